"""Incremental-build figures: adding one report to a 20-report KB vs. indexing it alone,
and a rebuild with nothing changed.

    python bench/incremental.py [--shared ../shared] [--seed-cache KB/embeddings.sqlite]

--seed-cache only speeds up building the 20-report starting KB (not measured); the
measured runs start with no cached vector for the added report.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wpkb.ingest.build import build
from wpkb.ingest.cache import CACHE

ROOT = Path(__file__).resolve().parents[1]

ADDED = "en/google_generative_ai_faqs_2023.pdf"


def link_reports(shared: Path, names: list[str], corpus: Path) -> None:
    for name in names:
        dest = corpus / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shared / "corpus" / name, dest)


def drop_cached(kb: Path, report: Path) -> None:
    """Remove the added report's chunk vectors from the cache, so it is really embedded."""
    import sqlite3

    from wpkb.ingest.build import _chunks
    from wpkb.ingest.chunk import ChunkSettings
    from wpkb.ingest.extract import extract

    shas = [c.text_sha for c in _chunks(extract(report), ChunkSettings())]
    db = sqlite3.connect(kb / CACHE)
    with db:
        db.executemany("DELETE FROM vectors WHERE sha=?", [(s,) for s in shas])
    db.close()


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--seed-cache", type=Path)
    args = ap.parse_args()
    pool = sorted(p.relative_to(args.shared / "corpus").as_posix()
                  for sub in ("zh", "en") for p in (args.shared / "corpus" / sub).glob("*.pdf"))
    base = [p for p in pool if p != ADDED][:20]
    work = Path(tempfile.mkdtemp(prefix="wpkb-bench-"))
    try:
        corpus, kb = work / "corpus", work / "kb"
        link_reports(args.shared, base, corpus)
        kb.mkdir()
        if args.seed_cache:
            shutil.copy(args.seed_cache, kb / CACHE)
        print(f"building the starting KB of {len(base)} reports ...", flush=True)
        first, secs = timed(lambda: build(corpus, kb))
        print(f"  {first.documents} reports, {first.chunks} chunks, {secs:.1f} s (not measured)")
        drop_cached(kb, args.shared / "corpus" / ADDED)

        from wpkb.ingest import embed

        # Indexing the report alone into an empty KB, in-process; both runs pay the model load.
        alone_corpus, alone_kb = work / "alone", work / "alone-kb"
        link_reports(args.shared, [ADDED], alone_corpus)
        embed._LOADED.clear()
        alone, t_alone = timed(lambda: build(alone_corpus, alone_kb))

        embed._LOADED.clear()
        link_reports(args.shared, [ADDED], corpus)
        added, t_add = timed(lambda: build(corpus, kb))
        assert added.added == [ADDED] and added.chunks_embedded == alone.chunks_embedded

        unchanged, t_same = timed(lambda: build(corpus, kb))
        proc_t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from wpkb.search.cli import main; main()", "build", str(corpus),
                        "--kb", str(kb)], check=True, capture_output=True)
        t_proc = time.perf_counter() - proc_t

        print()
        print(f"{'measure':<52} {'value':>10}")
        print(f"{'index ' + ADDED.split('/')[-1] + ' alone into an empty KB (s)':<52} {t_alone:>10.2f}")
        print(f"{'add it to the ' + str(len(base)) + '-report KB (s)':<52} {t_add:>10.2f}")
        print(f"{'ratio add / alone (goal <= 1.2)':<52} {t_add / t_alone:>10.2f}")
        print(f"{'chunks embedded for it':<52} {added.chunks_embedded:>10}")
        print(f"{'rebuild, nothing changed: build() seconds':<52} {t_same:>10.3f}")
        parsed = len(unchanged.added) + len(unchanged.changed)
        print(f"{'  PDFs parsed / chunks embedded':<52} {f'{parsed} / {unchanged.chunks_embedded}':>10}")
        print(f"{'  whole `wpkb build` process, start-up included (s)':<52} {t_proc:>10.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
