"""The chunks nearest to a question vector in a generation's FAISS index, optionally only
among some chunk ids (one report: ``--doc``)."""

from __future__ import annotations

import numpy as np


def nearest(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(chunk id, inner product) of the k nearest chunks, optionally among ``allowed`` ids."""
    import faiss

    if index.ntotal == 0:
        return []
    params = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(allowed)
        if isinstance(index, faiss.IndexIDMap2):
            params = faiss.SearchParameters(sel=sel)
        else:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=faiss.extract_index_ivf(index).nprobe)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32),
                               min(k, index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
