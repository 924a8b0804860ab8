"""The BM25 folder of a generation (``bm25-NNNNNN/``): a bm25s index whose rows are chunks,
in chunk-id order, and ``chunk_ids.npy`` mapping row -> chunk id. Scoring a question
against it is the search package's job; this module builds, writes and reads it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import fsync_file

IDS = "chunk_ids.npy"


@dataclass(frozen=True)
class Bm25Index:
    bm25: object | None  # a bm25s.BM25, None when the KB has no chunks
    ids: np.ndarray  # row -> chunk id


def build_index(rows: list[tuple[int, str]]) -> Bm25Index:
    """From (chunk id, space-separated terms) rows, in id order."""
    import bm25s

    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not rows:
        return Bm25Index(None, ids)
    bm25 = bm25s.BM25()
    bm25.index([terms.split() for _, terms in rows], show_progress=False)
    return Bm25Index(bm25, ids)


def save(index: Bm25Index, path: Path) -> None:
    path.mkdir()
    np.save(path / IDS, index.ids)
    if index.bm25 is not None:
        index.bm25.save(str(path), show_progress=False)
    for f in path.iterdir():
        fsync_file(f)


def load(path: Path) -> Bm25Index:
    import bm25s

    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    ids = np.load(path / IDS)
    if len(ids) == 0:
        return Bm25Index(None, ids)
    return Bm25Index(bm25s.BM25.load(str(path), mmap=True, show_progress=False, verbosity=0), ids)
