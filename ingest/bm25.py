"""The BM25 folder of a generation (``bm25-NNNNNN/``): a bm25s index whose rows are chunks,
in chunk-id order, and ``chunk_ids.npy`` mapping row -> chunk id. Scoring a question
against it is the search package's job; this module builds, writes and reads it.

bm25s builds and writes the index. Reading it back needs only numpy: bm25s keeps every term's
per-chunk scores as a column of a sparse matrix in three ``.npy`` files, with the vocabulary
and its parameters as JSON, so a question is scored without importing bm25s and scipy (0.15 s
of a cold start)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import fsync_file

IDS = "chunk_ids.npy"
_MATRIX = ("data", "indices", "indptr")  # bm25s's file names: {name}.csc.index.npy
_VOCAB, _PARAMS = "vocab.index.json", "params.index.json"
_METHOD = "lucene"  # the only bm25s method whose scores are all in the matrix (no non-occurrence term)


@dataclass(frozen=True)
class Bm25Index:
    ids: np.ndarray  # row -> chunk id
    vocabulary: dict[str, int] = field(default_factory=dict)  # term -> column
    data: np.ndarray | None = None  # column t's scores are data[indptr[t]:indptr[t+1]],
    indices: np.ndarray | None = None  # for the rows indices[indptr[t]:indptr[t+1]]
    indptr: np.ndarray | None = None
    built: object | None = None  # the bm25s.BM25 that made it, which writes it; None once read back

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, scores) of the chunks that hold the term, None when no chunk does."""
        col = self.vocabulary.get(term)
        if col is None or self.indptr is None:
            return None
        start, end = self.indptr[col], self.indptr[col + 1]
        return self.indices[start:end], self.data[start:end]


def build_index(rows: list[tuple[int, str]]) -> Bm25Index:
    """From (chunk id, space-separated terms) rows, in id order."""
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not rows:
        return Bm25Index(ids)
    import bm25s

    bm25 = bm25s.BM25(method=_METHOD)
    bm25.index([terms.split() for _, terms in rows], show_progress=False)
    return Bm25Index(ids, bm25.vocab_dict, *(bm25.scores[name] for name in _MATRIX), built=bm25)


def save(index: Bm25Index, path: Path) -> None:
    path.mkdir()
    np.save(path / IDS, index.ids)
    if index.built is not None:
        index.built.save(str(path), show_progress=False)
    for f in path.iterdir():
        fsync_file(f)


def load(path: Path) -> Bm25Index:
    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    ids = np.load(path / IDS)
    if len(ids) == 0:
        return Bm25Index(ids)
    try:
        params = json.loads((path / _PARAMS).read_text())
        vocabulary = json.loads((path / _VOCAB).read_text())
        data, indices, indptr = (np.load(path / f"{name}.csc.index.npy", mmap_mode="r") for name in _MATRIX)
    except (OSError, ValueError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); run `wpkb check`, then `wpkb build --full`") from None
    if params.get("method") != _METHOD or params.get("num_docs") != len(ids):
        raise WpkbError(f"{path} is not a {_METHOD} BM25 index of {len(ids)} chunks; rebuild with `wpkb build --full`")
    return Bm25Index(ids, vocabulary, data, indices, indptr)
