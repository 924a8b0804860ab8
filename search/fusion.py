"""Combine the dense and BM25 candidates into one score, and keep one chunk per page."""

from __future__ import annotations

import numpy as np

from ..ingest.rows import ChunkRow
from .settings import DEFAULT, Settings


def standardised(values: np.ndarray, basis: np.ndarray | None = None) -> np.ndarray:
    """Values as standard scores over the basis (themselves by default): mean 0, deviation 1."""
    basis = values if basis is None else basis
    sd = float(basis.std())
    return (values - basis.mean()) / (sd if sd > 1e-9 else 1.0)


def fuse(dense: dict[int, float], lexical: dict[int, float], mode: str,
         basis: set[int] | None = None, settings: Settings = DEFAULT) -> dict[int, float]:
    """BM25 alone, or per candidate w_dense x its dense score + w_bm25 x its BM25 score (0
    where BM25 has none), each standardised over the candidates in ``basis`` (all by
    default). A side's best candidate then counts for more when it stands far above the rest
    (one chunk holds the rare words) than when many are close behind it; min-max scaling
    gave every best a 1."""
    if mode == "bm25":
        return lexical
    if not dense:
        return {}
    ids = list(dense)
    in_basis = np.array([basis is None or c in basis for c in ids])
    d = np.array([dense[c] for c in ids], dtype=np.float64)
    b = np.array([lexical.get(c, 0.0) for c in ids], dtype=np.float64)
    fused = settings.w_dense * standardised(d, d[in_basis]) + settings.w_bm25 * standardised(b, b[in_basis])
    return dict(zip(ids, fused.tolist()))


def best_of(ids: np.ndarray, scores: np.ndarray, n: int) -> dict[int, float]:
    """{chunk id: score} of the n best-scoring chunks, leaving out zeros."""
    top = np.argsort(-scores)[:n]
    return {int(ids[i]): float(scores[i]) for i in top if scores[i] > 0}


def best_per_page(fused: dict[int, float],
                  rows: dict[int, ChunkRow]) -> tuple[list[tuple[int, float]], dict[int, list[int]]]:
    """(chunk id, score) of each page's best chunk, best first; a chunk whose text a better
    page of the same report already holds word for word (a report that repeats its pages)
    is not a page of its own, but listed under that one's id."""
    best: dict[tuple[int, int], tuple[int, float]] = {}  # (report, page) -> its best chunk
    first_page: dict[tuple[int, str], tuple[int, int]] = {}  # (report, text) -> first page with it
    same: dict[int, list[int]] = {}
    for cid, score in sorted(fused.items(), key=lambda t: (-t[1], t[0])):
        r = rows[cid]
        page = (r.doc_id, r.page)
        first = first_page.setdefault((r.doc_id, r.text), page)
        if page in best:
            continue
        if first != page and first in best:
            holder = best[first][0]
            if r.page not in same.setdefault(holder, []):
                same[holder].append(r.page)
            continue
        best[page] = (cid, score)
    return list(best.values()), same
