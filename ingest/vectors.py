"""The FAISS part of an index segment (``seg-NNNNNN.faiss``): chunk vectors keyed by chunk id.

Exact inner product up to FLAT_MAX chunks, IVF past it (bench/index_scale.py): small
segments (one build's new reports) are flat, and IVF is trained when a merge makes a large
one. Searching segments for a question is the search package's job; this module makes,
reads, writes and merges them.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import fsync_file

FLAT_MAX = 50_000  # exact search up to this many chunks; then IVF (bench/index_scale.py)
IVF_NPROBE = 16  # lists searched per query; recall@10 >= 0.95 against exact in bench/index_scale.py


def ivf_lists(n: int) -> int:
    # about 4 sqrt(n) lists, but never fewer than 39 training points per list (k-means needs them)
    return max(1, min(int(4 * np.sqrt(n)), n // 39))


def new_index(dim: int, n: int, training: np.ndarray | None = None):
    """Exact inner product for small KBs; IVF, trained on ``training``, past FLAT_MAX chunks.

    Both are keyed by chunk id and support removal by id. IVF keeps the ids in its own lists
    (an IndexIDMap around it would go stale on removal) and a hashtable direct map makes
    ``reconstruct(id)`` work.
    """
    import faiss

    if n <= FLAT_MAX or training is None:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    nlist = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = training[rng.choice(len(training), min(len(training), 64 * nlist), replace=False)]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.nprobe = IVF_NPROBE
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    return index


def segment_index(ids: np.ndarray, vecs: np.ndarray, dim: int):
    """A segment's index of these vectors: flat, or IVF trained on them past FLAT_MAX."""
    vecs = np.ascontiguousarray(vecs, dtype=np.float32).reshape(-1, dim)
    index = new_index(dim, len(ids), vecs)
    if len(ids):
        index.add_with_ids(vecs, np.asarray(ids, dtype=np.int64))
    return index


def contents(index, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of everything the index holds, in id order (for a merge)."""
    ids = np.sort(vector_ids(index))
    return ids, vectors_of(index, ids.tolist(), dim).astype(np.float32)


def vector_ids(index) -> np.ndarray:
    """Every chunk id held by the index."""
    import faiss

    if isinstance(index, faiss.IndexIDMap2):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = faiss.extract_index_ivf(index).invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
             for i in range(lists.nlist) if lists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def vectors_of(index, ids: list[int], dim: int) -> np.ndarray:
    """The stored vectors of the given chunk ids, in that order."""
    return np.stack([index.reconstruct(int(i)) for i in ids]) if ids else np.zeros((0, dim))


class VectorSegments:
    """The FAISS indexes of a KB's live segments, read as one: each holds the chunk ids of
    its own range (``firsts``: the lowest id each may hold, increasing)."""

    def __init__(self, indexes: list, firsts: list[int], dim: int):
        self.indexes, self.firsts, self.dim = indexes, firsts, dim

    @property
    def ntotal(self) -> int:
        return sum(i.ntotal for i in self.indexes)

    def holding(self, chunk_id: int):
        """The index whose range holds the chunk id."""
        return self.indexes[max(0, bisect.bisect_right(self.firsts, chunk_id) - 1)]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return (np.stack([self.holding(int(i)).reconstruct(int(i)) for i in ids]) if ids
                else np.zeros((0, self.dim), dtype=np.float32))

    def ids(self) -> np.ndarray:
        parts = [vector_ids(i) for i in self.indexes]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def read_index(path: Path):
    import faiss

    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    return faiss.read_index(str(path))


def write_index(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))
    fsync_file(path)
