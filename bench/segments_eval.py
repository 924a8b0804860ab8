"""Ranks do not depend on how the KB is cut into segments.

    python bench/segments_eval.py --kb KB [--questions ../shared/eval/dev.jsonl ...]

From a KB of ../shared/corpus, a copy is made with one commit per report, so one segment
per report (no merge), and that copy is then merged into one segment. Every question is
asked of both; prints how many ranks, answer sentences and confidence flags differ (and
by how much the scores move, which float sums in another order may do).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from warm_scale import stored_reports  # noqa: E402


def report_by_report(base: Path, out: Path) -> int:
    from wpkb.ingest import merge
    from wpkb.ingest.manifest import DB, read_manifest, write_lock
    from wpkb.ingest.writer import Writer

    m, docs = stored_reports(base)
    merge.MAX_SEGMENTS = len(docs) + 1  # one segment per report, none merged
    for d, pages, chunks, vecs in docs:
        with write_lock(out):
            w = Writer(out, m.model_id, m.model_name, m.dim, m.chunking, fresh=not (out / DB).exists())
            w.add_document(d.path, d.sha256, d.size, d.mtime_ns, d.title, pages, d.warnings, d.header_lines,
                           chunks, vecs)
            w.commit()
    return len(read_manifest(out).segments)


def answers(kb: Path, questions: list[dict]) -> list[tuple]:
    from wpkb.search.retrieve import Searcher

    searcher = Searcher(kb)
    try:
        out = []
        for q in questions:
            a = searcher.ask(q["question"], k=10)
            out.append(([(p.doc, p.page) for p in a.passages], [p.score for p in a.passages],
                        a.sentences[0].text if a.sentences else "", a.confident))
        return out
    finally:
        searcher.close()


def main() -> None:
    import json

    from wpkb.ingest.build import compact

    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--questions", type=Path, nargs="+",
                    default=[ROOT.parent / "shared" / "eval" / "dev.jsonl", ROOT.parent / "shared" / "eval" / "dev-more.jsonl"])
    args = ap.parse_args()
    questions = [json.loads(line) for f in args.questions for line in f.read_text().splitlines() if line.strip()]
    work = Path(tempfile.mkdtemp(prefix="wpkb-segments-"))
    try:
        kb = work / "kb"
        n = report_by_report(args.kb, kb)
        many = answers(kb, questions)
        compact(kb)
        one = answers(kb, questions)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ranks = sum(a[0] != b[0] for a, b in zip(many, one))
    sentences = sum(a[2] != b[2] for a, b in zip(many, one))
    flags = sum(a[3] != b[3] for a, b in zip(many, one))
    moved = max((abs(x - y) for a, b in zip(many, one) for x, y in zip(a[1], b[1])), default=0.0)
    print(f"{len(questions)} questions, {n} segments against one: ranked pages differ for {ranks}, "
          f"answer sentences for {sentences}, confident for {flags}; largest score change {moved:.2e}")
    if np.isfinite(moved) and (ranks or sentences or flags):
        sys.exit(1)


if __name__ == "__main__":
    main()
