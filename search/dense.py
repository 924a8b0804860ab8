"""The chunks nearest to a question vector in a KB's FAISS segments, optionally only among
some chunk ids (one report: ``--doc``); deleted chunks (tombstones) are never returned."""

from __future__ import annotations

import numpy as np

from ..ingest.vectors import VectorSegments


def _search(index, query: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
    import faiss

    if index.ntotal == 0 or k <= 0:
        return []
    params = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(allowed)
        if isinstance(index, faiss.IndexIDMap2):
            params = faiss.SearchParameters(sel=sel)
        else:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=faiss.extract_index_ivf(index).nprobe)
    scores, ids = index.search(query, min(k, index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def nearest(segments: VectorSegments, query: np.ndarray, k: int, deleted: np.ndarray,
            allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(chunk id, inner product) of the k nearest live chunks, optionally among ``allowed``
    ids (which are live: they come from the rows); best first."""
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    found = []
    for index, first, nxt in zip(segments.indexes, segments.firsts, [*segments.firsts[1:], None]):
        if allowed is not None:
            inside = allowed[(allowed >= first) & ((allowed < nxt) if nxt is not None else True)]
            if len(inside):
                found += _search(index, q, k, inside)
        else:
            # ask past this segment's deleted chunks (``deleted`` is sorted), then leave them out
            dead = set(deleted[np.searchsorted(deleted, first):
                               len(deleted) if nxt is None else np.searchsorted(deleted, nxt)].tolist())
            found += [(c, s) for c, s in _search(index, q, k + len(dead), None) if c not in dead]
    found.sort(key=lambda cs: -cs[1])
    return found[:k]
