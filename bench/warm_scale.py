"""Warm question latency on a KB grown to --chunks chunks (10^5 by default) from a real one.

    python bench/warm_scale.py --kb KB [--chunks 100000] [--questions ../shared/eval/dev.jsonl]

The real KB's documents are stored again and again under new names (copy-N/...) through the
KB's own Writer, each copy's vectors nudged by noise so they are not exact twins, until the
KB holds --chunks chunks, in one segment (IVF past FLAT_MAX, as a full build makes it).
Then each question is asked once in a warm process: ranked passages, and the full answer with
its sentences. Prints p50/p95 for the real KB and for the grown one.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from speed import p50_p95, warm  # noqa: E402  (bench/ is on sys.path when run as a script)


def grow(kb: Path, target: int, out: Path) -> int:
    from wpkb.ingest.manifest import write_lock
    from wpkb.ingest.writer import Writer

    m, docs = stored_reports(kb)
    rng = np.random.default_rng(0)
    with write_lock(out):
        writer = Writer(out, m.model_id, m.model_name, m.dim, m.chunking, fresh=True)
        total = _copies(writer, docs, target, rng)
        writer.commit()
    return total


def stored_reports(kb: Path) -> tuple:
    """The KB's commit record, and each report with its pages, chunks and stored vectors."""
    from wpkb.ingest.kb import KB
    from wpkb.ingest.rows import NewChunk

    reader = KB.open(kb)
    m = reader.manifest
    docs = []
    for d in reader.documents():
        pages = reader.pages(d.id)
        rows = reader.db.execute("SELECT id, page_start, char_start, char_end, text, text_sha, terms FROM chunks "
                                 "WHERE doc_id=? ORDER BY id", (d.id,)).fetchall()
        chunks = [NewChunk(r[1], r[2], r[3], r[4], r[5], r[6].split()) for r in rows]
        vecs = reader.vectors([r[0] for r in rows]) if rows else np.zeros((0, m.dim), np.float32)
        docs.append((d, pages, chunks, vecs))
    reader.close()
    return m, docs


def _copies(writer, docs: list, target: int, rng, first_copy: int = 0) -> int:
    """Store copies of the reports (each under copy-N/, its vectors nudged) until ``target`` chunks."""
    total, copy = 0, first_copy
    while total < target:
        for d, pages, chunks, vecs in docs:
            if total >= target:
                break
            if copy and len(vecs):
                vecs = vecs + rng.normal(0, 0.02, vecs.shape).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            name = d.path if copy == 0 else f"copy-{copy}/{d.path}"
            writer.add_document(name, f"{d.sha256}-{copy}", d.size, d.mtime_ns, d.title, pages, d.warnings,
                                d.header_lines, chunks, vecs)
            total += len(chunks)
        copy += 1
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    print(f"{'KB':<28} {'passages p50/p95 ms':>20} {'with answer sentences':>22}")
    s, a = warm(args.kb, questions)
    from wpkb.ingest.kb import KB

    kb = KB.open(args.kb)
    n = sum(d.chunks for d in kb.documents())
    kb.close()
    print(f"{f'{args.kb.name} ({n} chunks)':<28} {p50_p95(s):>20} {p50_p95(a):>22}")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        total = grow(args.kb, args.chunks, Path(tmp))
        built = time.perf_counter() - t
        s, a = warm(Path(tmp), questions)
        print(f"{f'grown to {total} chunks':<28} {p50_p95(s):>20} {p50_p95(a):>22}   (stored in {built:.0f} s)")


if __name__ == "__main__":
    main()
