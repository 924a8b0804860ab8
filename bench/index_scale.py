"""FAISS index types at 10^4, 10^5 and 10^6 synthetic 384-d unit vectors.

    python bench/index_scale.py [--sizes 10000 100000 1000000] [--queries 200]

Prints build seconds, query latency p50/p95 (one query at a time, as `wpkb ask` does),
recall@10 against exact search, and index memory, for Flat and for IVF at the nprobe that
first reaches recall@10 >= 0.95. The vectors are clustered (like chunk embeddings, which
crowd into topics), since uniform random vectors make every approximate index look bad.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from wpkb.ingest import vectors as store_vectors
from wpkb.ingest.vectors import ivf_lists, new_index

DIM = 384


def vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((max(16, n // 500), DIM)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def latencies(index, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), k)
        times.append(time.perf_counter() - t)
        found.append(ids[0])
    return np.array(times) * 1000, np.array(found)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def measure(n: int, n_queries: int, rng: np.random.Generator) -> list[tuple[str, float, float, float, float, float]]:
    """(index, build s, p50 ms, p95 ms, recall@10, MB) for flat and for IVF at n vectors."""
    import faiss

    x = vectors(n, rng)
    ids = np.arange(1, n + 1, dtype=np.int64)
    noise = 0.05 * rng.standard_normal((n_queries, DIM)).astype(np.float32)
    queries = x[rng.choice(n, n_queries, replace=False)] + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    mb = x.nbytes / 2**20

    t = time.perf_counter()
    flat = new_index(DIM, 0)
    flat.add_with_ids(x, ids)
    build_flat = time.perf_counter() - t
    lat, truth = latencies(flat, queries)
    rows = [("flat", build_flat, np.percentile(lat, 50), np.percentile(lat, 95), 1.0, mb)]
    del flat

    saved, store_vectors.FLAT_MAX = store_vectors.FLAT_MAX, 0  # measure IVF at every size, whatever the store would choose
    try:
        t = time.perf_counter()
        ivf = new_index(DIM, n, x)
        ivf.add_with_ids(x, ids)
        build_ivf = time.perf_counter() - t
    finally:
        store_vectors.FLAT_MAX = saved
    inner = faiss.extract_index_ivf(ivf)
    for nprobe in (1, 2, 4, 8, 16, 32, 64, 128):
        inner.nprobe = nprobe
        lat, found = latencies(ivf, queries)
        r = recall(found, truth)
        if r >= 0.95 or nprobe == 128:
            break
    rows.append((f"ivf{ivf_lists(n)} np{nprobe}", build_ivf, np.percentile(lat, 50), np.percentile(lat, 95), r, mb * 1.02))
    return rows


def main() -> None:
    import faiss

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads")
    print(f"{'n':>9} {'index':<14} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9} {'MB':>7}")
    for n in args.sizes:
        for name, build, p50, p95, r, mb in measure(n, args.queries, rng):
            print(f"{n:>9} {name:<14} {build:>8.2f} {p50:>7.2f} {p95:>7.2f} {r:>9.3f} {mb:>7.0f}")


if __name__ == "__main__":
    main()
