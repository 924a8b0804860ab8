"""Question -> the best passages of the KB, at most one per page, with scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.clean import normalise_chars
from ingest.embed import Embedder, resolve_model
from ingest.errors import WpkbError
from ingest.store import KB, DocRow
from ingest.terms import tokenize

from .translate import translations

CANDIDATES_PER_RESULT = 4  # chunks fetched per wanted page, since pages collapse
POOL = 100  # candidates taken from each of the dense and the BM25 side
# Fusion settings, chosen on the dev set with bench/tune_fusion.py (README, "Retrieval quality").
W_DENSE, W_BM25 = 0.4, 0.6
# Covers, slogans and section titles are short and match everything a little: a chunk
# shorter than SHORT_SHARE of the KB's median chunk has its score scaled by
# (length / that) ** SHORT_GAMMA.
SHORT_SHARE, SHORT_GAMMA = 0.75, 1.0
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
    highlights: list[tuple[int, int]] = field(default_factory=list)  # answer spans in `text`

    def as_dict(self) -> dict:
        return {"doc": self.doc, "page": self.page, "label": self.label, "ocr": self.ocr,
                "score": round(self.score, 4),
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
        dense = dict(self.kb.search(qvec, pool, allowed)) if mode != "bm25" else {}
        lexical = self._lexical(question, pool, allowed) if mode != "dense" else {}
        fused = fuse(dense, lexical, self._dense_scores(qvec, set(lexical) - set(dense)), mode)
        rows = self.kb.chunks(list(fused))
        if mode == "hybrid":
            short = SHORT_SHARE * self.kb.manifest.stats.get("median_chunk_chars", 0)
            fused = {cid: s * length_prior(len(rows[cid].text), short) for cid, s in fused.items()}
        best: dict[tuple[int, int], tuple[int, float]] = {}
        for cid, score in sorted(fused.items(), key=lambda t: -t[1]):
            key = (rows[cid].doc_id, rows[cid].page)
            if key not in best:
                best[key] = (cid, score)
        passages = []
        for cid, score in list(best.values())[:k]:
            r = rows[cid]
            passages.append(Passage(cid, r.doc_path, r.page, r.label, score, r.text, r.char_start, r.char_end,
                                    ocr=r.page_status == "ocr"))
        return qvec, passages

    def query_terms(self, question: str) -> list[str]:
        """The question's BM25 terms plus their dictionary translations found in the index."""
        terms = tokenize(question)
        return terms + translations(terms, self.kb.bm25().vocabulary)

    def _lexical(self, question: str, pool: int, allowed: np.ndarray | None) -> dict[int, float]:
        lex = self.kb.bm25()
        scores = lex.scores(self.query_terms(question))
        if allowed is not None:
            scores = np.where(np.isin(lex.ids, allowed), scores, 0.0)
        top = np.argsort(-scores)[:pool]
        return {int(lex.ids[i]): float(scores[i]) for i in top if scores[i] > 0}

    def _dense_scores(self, qvec: np.ndarray, ids: set[int]) -> dict[int, float]:
        ids_list = sorted(ids)
        return dict(zip(ids_list, (self.kb.vectors(ids_list) @ qvec).tolist())) if ids_list else {}


def length_prior(chars: int, short: float) -> float:
    return min(1.0, chars / short) ** SHORT_GAMMA if short > 0 else 1.0


def fuse(dense: dict[int, float], lexical: dict[int, float], extra_dense: dict[int, float],
         mode: str) -> dict[int, float]:
    """One score per chunk: cosine alone, BM25 alone, or a weighted sum of both, each scaled to [0, 1]."""
    if mode == "dense":
        return dense
    if mode == "bm25":
        return lexical
    all_dense = {**extra_dense, **dense}
    if not all_dense:
        return {}
    top = max(all_dense.values())
    floor = min(dense.values()) if dense else min(all_dense.values())
    span = max(top - floor, 1e-6)
    lex_top = max(lexical.values(), default=0.0) or 1.0
    return {cid: W_DENSE * max(0.0, (d - floor) / span) + W_BM25 * lexical.get(cid, 0.0) / lex_top
            for cid, d in all_dense.items()}
