"""Every tuned ranking and answer setting, with why it has its value. The evidence for each
is in docs/retrieval.md; bench/tune_fusion.py and the tests vary them by building a new
``Settings`` (``dataclasses.replace``), never by patching modules."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Settings:
    # -- candidates
    pool: int = 100  # candidates per side; scores are scaled over these, so a larger -k only adds pages
    candidates_per_result: int = 4  # chunks fetched per wanted page, since pages collapse
    # -- fusion
    w_dense: float = 0.5  # best R@1 on the dev grid (bench/tune_fusion.py) once every candidate keeps its BM25 score
    w_bm25: float = 0.5  # the other half: exact names and figures the small model blurs
    translation_mix: float = 0.4  # share of the dense score from the embedded dictionary translation
    translations_embedded: int = 2  # per word, in that second query; all five doubled warm p95 for no gain
    translations_per_word: int = 5  # reach BM25 as one term (their best), so a further sense costs little
    # -- report names
    name_weight: float = 1.0  # a chunk gains this x the share of its report's name the question holds
    name_claim: float = 0.7  # share of one report's name that claims it and drops its name terms from BM25
    # -- priors: what a chunk's shape says whatever the question
    short_share: float = 0.75  # chunks shorter than this share of the median chunk keep less of their lead
    short_gamma: float = 1.0  # ... (length / that) ** gamma of it
    leader_share: float = 0.15  # dot leaders filling this share of a chunk make it a contents page
    leader_keep: float = 0.3  # contents pages and reference lists keep at least this share of their lead
    # -- answer sentences
    answer_passages: int = 3  # sentences are drawn from this many top passages
    max_sentences: int = 3
    margin: float = 0.04  # a sentence this close to the best one is shown too
    overlap_weight: float = 0.3  # term overlap catches exact figures and names the embedding blurs
    min_sentence_chars: int = 6
    # -- confidence (hybrid mode): the top passage is close to the question and stands out
    confident_cosine: float = 0.75  # cosine of the top passage to the question
    confident_score: float = 2.4  # 0.21 above the highest unanswerable dev question's fused score
    confident_lead: float = 1.5  # or this far above the next page (small KBs, cross-lingual hits)

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT = Settings()
