"""The BM25 part of an index segment (``seg-NNNNNN.bm25/``): for the segment's chunks, each
term's frequency in each chunk, each chunk's length in terms and in characters, and the
vocabulary. Scores are not stored, since they depend on the whole KB (how many chunks hold
a term, the average length): search computes them over every live segment at question time
(search/lexical.py), so a chunk scores the same whichever segment holds it.

The frequencies are a sparse matrix by term, as three ``.npy`` arrays (read memory-mapped):
column t's chunks are ``indices[indptr[t]:indptr[t+1]]`` (rows, in order) and its counts the
same slice of ``data``. bm25s, which indexed before segments, bakes the scores into its matrix."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import fsync_file

FORMAT = "wpkb-bm25-tf/1"
_ARRAYS = ("ids", "lengths", "chars", "data", "indices", "indptr")
_VOCAB, _FORMAT = "vocab.json", "format.json"


@dataclass(frozen=True)
class Bm25Segment:
    ids: np.ndarray  # row -> chunk id, increasing
    lengths: np.ndarray  # row -> the chunk's number of terms
    chars: np.ndarray  # row -> the chunk's length in characters (retrieval's short-chunk prior)
    vocabulary: dict[str, int] = field(default_factory=dict)  # term -> column
    data: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # counts
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # rows
    indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, counts) of the chunks that hold the term, None when none does."""
        col = self.vocabulary.get(term)
        if col is None:
            return None
        start, end = self.indptr[col], self.indptr[col + 1]
        return self.indices[start:end], self.data[start:end]


def _by_term(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n_cols: int):
    """(data, indices, indptr) of the matrix whose entries are (row, col, count), sorted by
    column then row; an entry given twice is summed."""
    order = np.lexsort((rows, cols))
    rows, cols, counts = rows[order], cols[order], counts[order]
    if len(rows):
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        starts = np.flatnonzero(first)
        counts, rows, cols = np.add.reduceat(counts, starts), rows[starts], cols[starts]
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n_cols), out=indptr[1:])
    return counts.astype(np.int32), rows.astype(np.int32), indptr


def build(rows: Sequence[tuple[int, str, int]]) -> Bm25Segment:
    """From (chunk id, space-separated terms, characters) rows, in id order."""
    vocabulary: dict[str, int] = {}
    cols: list[int] = []
    lengths = np.zeros(len(rows), dtype=np.int32)
    for r, (_, terms, _) in enumerate(rows):
        split = terms.split()
        lengths[r] = len(split)
        cols.extend(vocabulary.setdefault(t, len(vocabulary)) for t in split)
    entry_rows = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    data, indices, indptr = _by_term(entry_rows, np.array(cols, dtype=np.int64),
                                     np.ones(len(cols), dtype=np.int32), len(vocabulary))
    return Bm25Segment(np.array([r[0] for r in rows], dtype=np.int64), lengths,
                       np.array([r[2] for r in rows], dtype=np.int32), vocabulary, data, indices, indptr)


def merge(segments: Sequence[Bm25Segment], keep: Sequence[np.ndarray]) -> Bm25Segment:
    """One segment of the rows of ``segments`` (in their order) that ``keep`` (a mask per
    segment) keeps: the same counts, with the terms only deleted chunks held left out."""
    vocabulary: dict[str, int] = {}
    parts_rows, parts_cols, parts_counts = [], [], []
    offset = 0
    for seg, kept in zip(segments, keep):
        new_row = np.cumsum(kept) - 1 + offset  # old row -> its row in the merged segment
        to_col = np.array([vocabulary.setdefault(t, len(vocabulary))
                           for t in sorted(seg.vocabulary, key=seg.vocabulary.get)], dtype=np.int64)
        entry_cols = np.repeat(to_col, np.diff(np.asarray(seg.indptr)))
        rows = np.asarray(seg.indices)
        alive = kept[rows]
        parts_rows.append(new_row[rows[alive]])
        parts_cols.append(entry_cols[alive])
        parts_counts.append(np.asarray(seg.data)[alive])
        offset += int(kept.sum())
    data, indices, indptr = _by_term(np.concatenate(parts_rows), np.concatenate(parts_cols),
                                     np.concatenate(parts_counts), len(vocabulary))
    used = np.diff(indptr) > 0  # terms of deleted chunks only: drop their empty columns
    if not used.all():
        names = sorted(vocabulary, key=vocabulary.get)
        vocabulary = {t: i for i, t in enumerate(t for t, u in zip(names, used) if u)}
        indptr = np.concatenate([[0], indptr[1:][used]])
    return Bm25Segment(_kept(segments, keep, "ids", np.int64), _kept(segments, keep, "lengths", np.int32),
                       _kept(segments, keep, "chars", np.int32), vocabulary, data, indices, indptr)


def _kept(segments: Sequence[Bm25Segment], keep: Sequence[np.ndarray], name: str, dtype) -> np.ndarray:
    return np.concatenate([np.asarray(getattr(s, name))[k] for s, k in zip(segments, keep)]).astype(dtype)


def save(seg: Bm25Segment, path: Path) -> None:
    path.mkdir()
    for name in _ARRAYS:
        np.save(path / f"{name}.npy", np.asarray(getattr(seg, name)))
    (path / _VOCAB).write_text(json.dumps(seg.vocabulary, ensure_ascii=False))
    (path / _FORMAT).write_text(json.dumps({"format": FORMAT, "chunks": len(seg.ids)}))
    for f in path.iterdir():
        fsync_file(f)


def load(path: Path) -> Bm25Segment:
    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    try:
        about = json.loads((path / _FORMAT).read_text())
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        vocabulary = json.loads((path / _VOCAB).read_text())
    except (OSError, ValueError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); run `wpkb check`, then `wpkb build --full`") from None
    if about.get("format") != FORMAT or about.get("chunks") != len(arrays["ids"]):
        raise WpkbError(f"{path} is not a {FORMAT} index of its {len(arrays['ids'])} chunks; "
                        "rebuild with `wpkb build --full`")
    return Bm25Segment(vocabulary=vocabulary, **arrays)


def chunk_chars(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, their lengths in characters) of a segment, without its vocabulary."""
    try:
        return np.load(path / "ids.npy", mmap_mode="r"), np.load(path / "chars.npy", mmap_mode="r")
    except (OSError, ValueError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); run `wpkb check`, then `wpkb build --full`") from None
