"""Chunks/s and peak memory of passage embedding by batch size, to choose ingest.build.EMBED_BATCH.

    python bench/batch_size.py --kb KB [--chunks 384] [--sizes 4 8 16 32 64]

Takes a seeded random sample of the KB's chunk texts (so the length mix is the corpus's),
sorts it by length as the build does, and embeds it once per batch size, each in a fresh
child process so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sample(kb: Path, n: int) -> list[str]:
    from wpkb.ingest.kb import KB

    reader = KB.open(kb)
    _, texts = reader.chunk_texts()
    reader.close()
    random.Random(0).shuffle(texts)
    return sorted(texts[:n], key=len)


def child(kb: Path, n: int, size: int) -> None:
    from wpkb.ingest.embed import Embedder, resolve_model

    texts = sample(kb, n)
    embedder = Embedder(resolve_model(None))
    embedder.passages(texts[:4], batch_size=4)  # load and warm up outside the timing
    t = time.perf_counter()
    for i in range(0, len(texts), size):
        embedder.passages(texts[i:i + size], batch_size=size)
    secs = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"size": size, "per_s": len(texts) / secs, "rss_gib": rss}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--chunks", type=int, default=384)
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.kb, args.chunks, args.child)
        return
    print(f"{args.chunks} chunks sampled from {args.kb}, sorted by length")
    print(f"{'batch':>5}  {'chunks/s':>8}  {'peak RSS GiB':>12}")
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--kb", str(args.kb), "--chunks", str(args.chunks),
                              "--child", str(size)], check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{size:>5}  {r['per_s']:>8.1f}  {r['rss_gib']:>12.2f}")


if __name__ == "__main__":
    main()
