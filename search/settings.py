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
    # -- answer sentences (bench/fit_answer.py; docs/answers.md)
    answer_pages: int = 5  # sentences come from this many top pages: 0.93 of gold evidence lies in them
    sentence_k1: float = 1.2  # BM25 over a sentence's terms: the textbook values, best of k1 0.6-2, b 0-1
    sentence_b: float = 0.75
    kind_weight: float = 1.0  # bonus (standard units) for holding the kind of thing asked (number, date...)
    cosine_weight: float = 0.25  # the cosine's standard score: the small model adds little beyond the words
    other_report_step: float = 0.5  # less for a sentence of another report than the top passage's (4 of 5 folds)
    # share of a language's mean cosine (over the six, both languages there) taken off its sentences:
    # the same gain (one answer) at 0.25-0.75, two lost at 1.0
    language_centring: float = 0.5
    sentences_embedded: int = 6  # only the best by words and kind are embedded (for speed)
    max_sentences: int = 3
    margin: float = 2.0  # a further sentence is shown within this of the best (standard units); 1.0 showed fewer hits
    # -- confidence: a logistic model over confidence.FEATURES (in that order), fitted on the 137 dev
    # questions over the full and the seed-only KB by `bench/fit_answer.py --margin 2.0 --precision 0.95`
    confidence_weights: tuple[float, ...] = (8.412, -1.433, 2.336, 0.265, -3.451, 2.585, 0.810, 1.876, 0.200,
                                             0.780)
    confidence_bias: float = -13.463
    confident_at: float = 0.66  # lowest probability whose confident dev answers are >= 95% right

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT = Settings()
