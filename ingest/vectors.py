"""The FAISS file of a generation (``vectors-NNNNNN.faiss``): chunk vectors keyed by chunk id.

Exact inner product up to FLAT_MAX chunks, IVF past it (bench/index_scale.py). Searching
it for a question is the search package's job; this module makes, reads and writes it.
"""

from __future__ import annotations

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


def grow(index, dim: int):
    """Move a flat index that outgrew FLAT_MAX into IVF, keeping every id."""
    import faiss

    if not isinstance(index, faiss.IndexIDMap2) or index.ntotal <= FLAT_MAX:
        return index
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    vecs = index.index.reconstruct_n(0, index.ntotal)
    ivf = new_index(dim, len(ids), vecs)
    ivf.add_with_ids(vecs, ids)
    return ivf


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


def read_index(path: Path):
    import faiss

    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    return faiss.read_index(str(path))


def write_index(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))
    fsync_file(path)
