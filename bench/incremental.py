"""Incremental-build figures: adding a report costs the report, not the KB.

    python bench/incremental.py [--shared ../shared] [--kb KB] [--grow N] [--skip-20] [--sentence-vectors]

1. At 20 reports (unless --skip-20): a KB of 20 reports of ../shared/corpus is built (not
   measured; --kb lends it its embedding cache); then one report is added with `wpkb add`
   in a process of its own, against the same report added to an empty KB.
2. With --grow N: a KB of ../shared/corpus (--kb, or built here) is grown to N chunks
   (bench/warm_scale.py: its reports stored again under new names, in one segment, IVF past
   FLAT_MAX). Then the same add into it, `wpkb remove` of that report, the cost of a merge
   (the run of small segments a build merges, and everything into one, IVF trained again)
   and the folder's size against the size of its data.

The added report is en/bitcoin_whitepaper_2008.pdf with one byte appended (so another
content hash), and none of its chunks is in the KB's embedding cache: every add embeds it.
Wall time and peak RSS are the `wpkb` process's own (os.wait4), medians of three runs
that alternate the two adds. With --sentence-vectors both KBs keep their answer sentences'
vectors (the grown one gets a copy of --kb's cache), so each add embeds the report's too. Ends
with one line:
``grown N: add ratio R, add peak RSS G GiB, remove S s``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from warm_scale import _copies, grow, stored_reports  # noqa: E402

ADDED = "en/bitcoin_whitepaper_2008.pdf"
REPEAT = 3  # runs of each add, alternating; medians (the machine is shared and noisy)


# Started from a small process of its own: a child forked from this one would count this
# process's memory (after a grow, 2 GB) in its own peak RSS.
_LAUNCH = ("import os, subprocess, sys, time; t = time.perf_counter(); "
           "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); _, st, ru = os.wait4(p.pid, 0); "
           "print(os.waitstatus_to_exitcode(st), time.perf_counter() - t, ru.ru_maxrss)")


def wpkb(*args) -> tuple[float, float]:
    """(seconds, peak RSS in GiB) of one `wpkb` command in a process of its own."""
    out = subprocess.run([sys.executable, "-c", _LAUNCH, sys.executable, "-m", "wpkb", *map(str, args)],
                         capture_output=True, text=True)
    code, secs, rss = out.stdout.split()
    if code != "0":
        raise SystemExit(f"wpkb {' '.join(map(str, args))} failed: {out.stderr[-500:]}")
    return float(secs), int(rss) / 2**20  # KiB -> GiB


def report_copy(shared: Path, folder: Path, n: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / "bitcoin_copy.pdf"
    dest.write_bytes((shared / "corpus" / ADDED).read_bytes() + f"\n% wpkb bench copy {n}\n".encode())
    return dest


def forget_vectors_of(kb: Path, pdf: Path) -> None:
    """Drop the report's chunk vectors, and its answer sentences', from the KB's embedding
    cache, so the add embeds them."""
    from wpkb.ingest.cache import CACHE
    from wpkb.ingest.chunk import ChunkSettings
    from wpkb.ingest.extract import extract
    from wpkb.ingest.files import text_sha
    from wpkb.ingest.pieces import piece_texts
    from wpkb.ingest.readahead import chunks_of

    if not (kb / CACHE).exists():
        return
    doc = extract(pdf)
    shas = [c.text_sha for c in chunks_of(doc, ChunkSettings())]
    shas += [text_sha(t) for page in doc.pages for t in piece_texts(page.text)]
    db = sqlite3.connect(kb / CACHE)
    with db:
        db.executemany("DELETE FROM vectors WHERE sha=?", [(s,) for s in shas])
    db.close()


def data_bytes(kb: Path) -> tuple[int, int]:
    """(the KB folder's bytes without the embedding cache, the bytes of its data: SQLite
    pages in use and the listed segments' files)."""
    from wpkb.ingest.cache import CACHE
    from wpkb.ingest.manifest import DB, read_manifest

    folder = sum(p.stat().st_size for p in kb.rglob("*") if p.is_file() and not p.name.startswith(CACHE))
    db = sqlite3.connect(kb / DB)
    used = (db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0])
    used *= db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    segments = sum(size for s in read_manifest(kb).segments for size, _ in s.checksums.values())
    return folder, used + segments


def row(label: str, value: str) -> None:
    print(f"{label:<58} {value:>14}", flush=True)


SENTENCES = False  # --sentence-vectors: every KB here embeds its answer sentences at each build


def keep_sentences(kb: Path, on: bool) -> None:
    """Set whether a KB's builds embed the answer sentences (as --sentence-vectors or
    --no-sentence-vectors leave it), without embedding the KB's own."""
    from wpkb.ingest.cache import OFF, ON, SENTENCE_VECTORS, EmbeddingCache
    from wpkb.ingest.embed import resolve_model

    cache = EmbeddingCache(kb, resolve_model(None).id)
    cache.set_option(SENTENCE_VECTORS, ON if on else OFF)
    cache.close()


def add_pair(shared: Path, kb: Path, corpus: Path, work: Path) -> tuple[float, float, float, float]:
    """Medians of REPEAT runs, alternating: (seconds, GiB) of adding the report to ``kb``
    (removed again after each run but the last), then of adding it to an empty KB."""
    into, alone = [], []
    for n in range(REPEAT):
        pdf = report_copy(shared, corpus, n)
        forget_vectors_of(kb, pdf)
        into.append(wpkb("add", pdf, "--corpus", corpus, "--kb", kb))
        if n < REPEAT - 1:
            wpkb("remove", pdf.name, "--corpus", corpus, "--kb", kb)
        alone_corpus, alone_kb = work / "alone-corpus", work / "alone-kb"
        shutil.rmtree(alone_kb, ignore_errors=True)
        keep_sentences(alone_kb, SENTENCES)  # as the KB added to does
        alone.append(wpkb("add", report_copy(shared, alone_corpus, n), "--corpus", alone_corpus, "--kb", alone_kb))
    (t, g), (t0, g0) = (np.median(np.array(runs), axis=0).tolist() for runs in (into, alone))
    return t, g, t0, g0


def twenty(shared: Path, lender: Path | None, work: Path) -> None:
    from wpkb.ingest.build import build
    from wpkb.ingest.cache import CACHE

    pool = sorted(p.relative_to(shared / "corpus").as_posix()
                  for sub in ("zh", "en") for p in (shared / "corpus" / sub).glob("*.pdf"))
    base = [p for p in pool if p != ADDED][:20]
    corpus, kb = work / "corpus20", work / "kb20"
    for name in base:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shared / "corpus" / name, corpus / name)
    kb.mkdir(parents=True)
    if lender and (lender / CACHE).exists():
        shutil.copy(lender / CACHE, kb / CACHE)
    print(f"building a KB of {len(base)} reports (not measured) ...", flush=True)
    first = build(corpus, kb, sentence_vectors=SENTENCES)
    t, g, t0, g0 = add_pair(shared, kb, corpus, work)
    row(f"20 reports ({first.chunks} chunks): add one (s, GiB)", f"{t:.1f}, {g:.2f}")
    row("  the same report into an empty KB (s, GiB)", f"{t0:.1f}, {g0:.2f}")
    row("  add ratio (goal <= 1.1)", f"{t / t0:.2f}")


def grown(shared: Path, base: Path | None, n: int, work: Path) -> None:
    from wpkb.ingest import merge
    from wpkb.ingest.build import build, compact
    from wpkb.ingest.manifest import read_manifest, write_lock
    from wpkb.ingest.writer import Writer

    if base is None:
        base = work / "base-kb"
        print("building a KB of ../shared/corpus (not measured) ...", flush=True)
        build(shared / "corpus", base, sentence_vectors=SENTENCES)
    kb, corpus = work / "grown-kb", work / "grown-corpus"
    t = time.perf_counter()
    total = grow(base, n, kb)
    if SENTENCES:  # the copies' pages are the base's own, so are their answer sentences
        from wpkb.ingest.cache import CACHE, ON, sentence_state

        if sentence_state(base, read_manifest(base).model_id) != ON:
            sys.exit(f"--sentence-vectors: {base} keeps no answer sentences; build it with --sentence-vectors")
        shutil.copy2(base / CACHE, kb / CACHE)
    print(f"grown to {total} chunks in {time.perf_counter() - t:.0f} s (not measured)", flush=True)
    folder, data = data_bytes(kb)
    row("grown KB: folder / data (GiB), goal <= 1.15 x", f"{folder / 2**30:.2f} / {data / 2**30:.2f} = {folder / data:.2f}")

    add_t, add_g, alone_t, alone_g = add_pair(shared, kb, corpus, work)
    row(f"{total} chunks: add one report (s, GiB)", f"{add_t:.1f}, {add_g:.2f}")
    row("  the same report into an empty KB (s, GiB)", f"{alone_t:.1f}, {alone_g:.2f}")
    row("  add ratio (goal <= 1.15), peak RSS (goal <= 1.3 GB)", f"{add_t / alone_t:.2f}, {add_g * 2**30 / 1e9:.2f} GB")
    remove_t, remove_g = wpkb("remove", "bitcoin_copy.pdf", "--corpus", corpus, "--kb", kb)
    row("  remove that report (s, GiB; goal < 2 s)", f"{remove_t:.2f}, {remove_g:.2f}")

    # Segments of one report each, as a build per report makes them, then the merge a build
    # would make of the smallest run of them; then everything into one.
    m, docs = stored_reports(base)
    docs = [d for d in docs if d[2]]  # reports with chunks
    rng = np.random.default_rng(1)
    for i in range(merge.RUN):
        with write_lock(kb):
            w = Writer(kb, m.model_id, m.model_name, m.dim, m.chunking)
            _copies(w, docs[i:i + 1], 1, rng, first_copy=10_000 + i)
            w.commit()
    small = [s.id for s in read_manifest(kb).segments[-merge.RUN:]]
    t = time.perf_counter()
    compact(kb, small)
    row(f"  merge {merge.RUN} one-report segments (s)", f"{time.perf_counter() - t:.2f}")
    t = time.perf_counter()
    compact(kb)
    row("  merge everything into one, IVF trained again (s)", f"{time.perf_counter() - t:.1f}")
    folder, data = data_bytes(kb)
    row("  after it: folder / data (GiB)", f"{folder / 2**30:.2f} / {data / 2**30:.2f} = {folder / data:.2f}")
    print(f"grown {total}: add ratio {add_t / alone_t:.2f}, add peak RSS {add_g:.2f} GiB, remove {remove_t:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--kb", type=Path, help="a KB of ../shared/corpus to grow from (and lend its cache)")
    ap.add_argument("--grow", type=int, default=0, help="also measure on a KB grown to this many chunks")
    ap.add_argument("--skip-20", action="store_true", help="leave out the 20-report measure")
    ap.add_argument("--sentence-vectors", action="store_true",
                    help="with --grow and a --kb built with --sentence-vectors: every add embeds its answer sentences")
    args = ap.parse_args()
    global SENTENCES
    SENTENCES = args.sentence_vectors
    work = Path(tempfile.mkdtemp(prefix="wpkb-bench-"))
    try:
        if not args.skip_20:
            twenty(args.shared, args.kb, work)
        if args.grow:
            grown(args.shared, args.kb, args.grow, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
