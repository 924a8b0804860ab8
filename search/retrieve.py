"""Question -> the best passages of the KB, at most one per page, with scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.clean import normalise_chars
from ingest.embed import Embedder, resolve_model
from ingest.errors import WpkbError
from ingest.store import KB, DocRow, check_terms
from ingest.terms import index_term, words

from .translate import translations

CANDIDATES_PER_RESULT = 4  # chunks fetched per wanted page, since pages collapse
POOL = 100  # candidates taken from each of the dense and the BM25 side
# Fusion settings, chosen on the dev set with bench/tune_fusion.py (README, "Retrieval quality").
W_DENSE, W_BM25 = 0.4, 0.6
# Covers, slogans and section titles are short and match everything a little: a chunk
# shorter than SHORT_SHARE of the KB's median chunk has its score scaled by
# (length / that) ** SHORT_GAMMA.
SHORT_SHARE, SHORT_GAMMA = 0.75, 1.0
# The question's dictionary translations, embedded as a second query, carry an English
# question to Chinese pages (and back) better than the sentence alone; its cosine gets
# this share of the dense score (hybrid mode only; chosen on the dev set, README).
TRANSLATION_MIX = 0.4
MODES = ("hybrid", "dense", "bm25")


@dataclass
class Passage:
    chunk_id: int
    doc: str  # path relative to the corpus
    page: int
    label: str | None
    score: float
    text: str
    char_start: int  # offsets of the passage in its page's text
    char_end: int
    ocr: bool = False  # the page's text was read by OCR, so it may hold recognition errors
    similarity: float = 0.0  # cosine between the question and this passage
    highlights: list[tuple[int, int]] = field(default_factory=list)  # answer spans in `text`

    def as_dict(self) -> dict:
        return {"doc": self.doc, "page": self.page, "label": self.label, "ocr": self.ocr,
                "score": round(self.score, 4), "similarity": round(self.similarity, 4),
                "text": self.text, "offsets": [self.char_start, self.char_end],
                "highlights": [list(h) for h in self.highlights]}


class Searcher:
    """Holds the KB and the question encoder; one instance answers many questions."""

    def __init__(self, kb_dir: Path, model: str | None = None):
        self.kb = KB.open(kb_dir)
        m = self.kb.manifest
        ref = resolve_model(model if model is not None else m.model_name)
        if ref.id != m.model_id:
            raise WpkbError(f"the knowledge base in {kb_dir} was built with model {m.model_id}, "
                            f"but the model now resolves to {ref.id}; rebuild with `wpkb build --full`")
        check_terms(m, kb_dir)
        self.embedder = Embedder(ref)

    def close(self) -> None:
        self.kb.close()

    def document(self, name: str) -> DocRow:
        return self.kb.find_document(name)

    def warm(self) -> None:
        """Load everything a question needs now, so the first answer is as quick as the rest."""
        self.search("warm up", k=1)

    def embed_question(self, question: str) -> np.ndarray:
        return self.embedder.queries([normalise_chars(question)])[0]

    def search(self, question: str, k: int = 5, doc: str | None = None,
               mode: str = "hybrid") -> tuple[np.ndarray, list[Passage]]:
        """The question's vector and its top-k passages, the best chunk of each page."""
        if not question.strip():
            raise WpkbError("the question is empty; ask something, e.g. `wpkb ask \"What is AI marketing?\"`")
        if k < 1:
            raise WpkbError("-k must be at least 1")
        if mode not in MODES:
            raise WpkbError(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
        allowed = self.kb.chunk_ids(self.document(doc).id) if doc else None
        qvec = self.embed_question(question)
        pool = max(POOL, k * CANDIDATES_PER_RESULT)
        if mode == "dense":
            fused = dict(self.kb.search(qvec, pool, allowed))
        else:
            asked = words(question)
            translated = translations(asked, self.kb.bm25())
            lexical = self._lexical([index_term(w) for w in asked + translated], pool, allowed)
            dense = self._dense(qvec, translated, lexical, pool, allowed) if mode == "hybrid" else {}
            fused = fuse(dense, lexical, mode)
        rows = self.kb.chunks(list(fused))
        if mode == "hybrid":
            short = SHORT_SHARE * self.kb.manifest.stats.get("median_chunk_chars", 0)
            fused = {cid: s * length_prior(len(rows[cid].text), short) for cid, s in fused.items()}
        best: dict[tuple[int, int], tuple[int, float]] = {}
        for cid, score in sorted(fused.items(), key=lambda t: -t[1]):
            key = (rows[cid].doc_id, rows[cid].page)
            if key not in best:
                best[key] = (cid, score)
        chosen = list(best.values())[:k]
        cosines = self.kb.vectors([cid for cid, _ in chosen]) @ qvec if chosen else []
        passages = []
        for (cid, score), cos in zip(chosen, cosines):
            r = rows[cid]
            passages.append(Passage(cid, r.doc_path, r.page, r.label, score, r.text, r.char_start, r.char_end,
                                    ocr=r.page_status == "ocr", similarity=float(cos)))
        return qvec, passages

    def _lexical(self, terms: list[str], pool: int, allowed: np.ndarray | None) -> dict[int, float]:
        lex = self.kb.bm25()
        scores = lex.scores(terms)
        if allowed is not None:
            scores = np.where(np.isin(lex.ids, allowed), scores, 0.0)
        top = np.argsort(-scores)[:pool]
        return {int(lex.ids[i]): float(scores[i]) for i in top if scores[i] > 0}

    def _dense(self, qvec: np.ndarray, translated: list[str], lexical: dict[int, float], pool: int,
               allowed: np.ndarray | None) -> dict[int, float]:
        """The dense score of every candidate (nearest to the question or to its translation,
        or found by BM25), mixing in the translated query's cosine where there is one."""
        ids = {cid for cid, _ in self.kb.search(qvec, pool, allowed)} | set(lexical)
        qvec2 = None
        if translated:
            qvec2 = self.embedder.queries([" ".join(translated)])[0]
            ids |= {cid for cid, _ in self.kb.search(qvec2, pool, allowed)}
        ids_list = sorted(ids)
        if not ids_list:
            return {}
        vecs = self.kb.vectors(ids_list)
        scores = vecs @ qvec
        if qvec2 is not None:
            scores = (1 - TRANSLATION_MIX) * scores + TRANSLATION_MIX * (vecs @ qvec2)
        return dict(zip(ids_list, scores.tolist()))


def length_prior(chars: int, short: float) -> float:
    return min(1.0, chars / short) ** SHORT_GAMMA if short > 0 else 1.0


def fuse(dense: dict[int, float], lexical: dict[int, float], mode: str) -> dict[int, float]:
    """BM25 alone, or per candidate W_DENSE x its dense score + W_BM25 x its BM25 score, each
    scaled to [0, 1] over the candidates."""
    if mode == "bm25":
        return lexical
    if not dense:
        return {}
    top, floor = max(dense.values()), min(dense.values())
    span = max(top - floor, 1e-6)
    lex_top = max(lexical.values(), default=0.0) or 1.0
    return {cid: W_DENSE * (d - floor) / span + W_BM25 * lexical.get(cid, 0.0) / lex_top
            for cid, d in dense.items()}
