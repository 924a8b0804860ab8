"""Question -> the best passages of the KB, at most one per page, with scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.clean import normalise_chars
from ingest.embed import Embedder, resolve_model
from ingest.errors import WpkbError
from ingest.store import KB, DocRow

CANDIDATES_PER_RESULT = 4  # chunks fetched per wanted page, since pages collapse


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
    highlights: list[tuple[int, int]] = field(default_factory=list)  # answer spans in `text`

    def as_dict(self) -> dict:
        return {"doc": self.doc, "page": self.page, "label": self.label, "score": round(self.score, 4),
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

    def embed_question(self, question: str) -> np.ndarray:
        return self.embedder.queries([normalise_chars(question)])[0]

    def search(self, question: str, k: int = 5, doc: str | None = None) -> tuple[np.ndarray, list[Passage]]:
        """The question's vector and its top-k passages, the best chunk of each page."""
        if not question.strip():
            raise WpkbError("the question is empty; ask something, e.g. `wpkb ask \"What is AI marketing?\"`")
        if k < 1:
            raise WpkbError("-k must be at least 1")
        allowed = self.kb.chunk_ids(self.document(doc).id) if doc else None
        qvec = self.embed_question(question)
        total = self.kb.index().ntotal if allowed is None else len(allowed)
        want = k * CANDIDATES_PER_RESULT
        while True:
            hits = self.kb.search(qvec, want, allowed)
            best: dict[tuple[int, int], tuple[int, float]] = {}
            rows = self.kb.chunks([i for i, _ in hits])
            for cid, score in hits:
                row = rows[cid]
                key = (row.doc_id, row.page)
                if key not in best:
                    best[key] = (cid, score)
            if len(best) >= k or want >= total:
                break
            want *= 4
        chosen = sorted(best.values(), key=lambda t: -t[1])[:k]
        passages = []
        for cid, score in chosen:
            r = rows[cid]
            passages.append(Passage(cid, r.doc_path, r.page, r.label, score, r.text, r.char_start, r.char_end))
        return qvec, passages
