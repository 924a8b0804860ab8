"""A build killed at any moment leaves the last committed KB whole and usable."""

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import make_pdf
from wpkb.ingest.cache import CACHE
from wpkb.ingest.manifest import read_manifest
from wpkb.search.retrieve import Searcher
from test_incremental import check_consistent, segment_files

KILLS = 24
# The CLI in a process of its own, on the fake model as the in-process tests are, and
# merging after every build, so kills land in merges too.
TESTS = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(TESTS)!r}); import fake_embedder; "
         "fake_embedder.install(); from wpkb.ingest import merge; merge.MAX_SEGMENTS = 1; "
         "from wpkb.search.cli import main; main()", "build"]

TOPICS = [
    ("Glaciers", "Glaciers store about seventy percent of the world's fresh water."),
    ("Bees", "A honey bee colony can hold sixty thousand workers in summer."),
    ("Tides", "Tides are driven by the gravity of the moon and, less, of the sun."),
    ("Salt", "Sea water holds on average thirty-five grams of salt per litre."),
]


def new_reports(corpus):
    for i, (topic, fact) in enumerate(TOPICS):
        pages = [[f"{topic} chapter {p}", f"{fact} Page {p} adds detail number {p * 7 + i}.",
                  f"Researchers measured this in {1990 + p + i} and again in {2000 + p + i}."] for p in range(1, 6)]
        make_pdf(corpus / f"new_{i}.pdf", pages, header=f"{topic} report")


def test_sigkill_at_random_moments_never_breaks_the_kb(workspace, tmp_path):
    corpus, kb = workspace
    pristine = tmp_path / "pristine"
    shutil.copytree(kb, pristine)
    old = check_consistent(kb)
    new_reports(corpus)
    new = old | {f"new_{i}.pdf" for i in range(len(TOPICS))}

    def fresh_kb():
        shutil.rmtree(kb)
        shutil.copytree(pristine, kb)
        (kb / CACHE).unlink(missing_ok=True)  # so every attempt embeds, not just the first

    fresh_kb()
    start = time.monotonic()
    subprocess.run(BUILD + [str(corpus), "--kb", str(kb)], check=True, capture_output=True, timeout=300)
    full = time.monotonic() - start
    assert check_consistent(kb) == new

    rng = random.Random(1234)
    # Evenly over the whole build (start-up, extraction, embedding), plus extra near the end (the commit).
    delays = [full * (i + rng.random()) / 20 for i in range(20)]
    delays += [full * rng.uniform(0.9, 1.05) for _ in range(KILLS - 20)]
    outcomes = []
    for delay in delays:
        fresh_kb()
        proc = subprocess.Popen(BUILD + [str(corpus), "--kb", str(kb)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        docs = check_consistent(kb)
        assert docs in (old, new), (delay, docs)
        outcomes.append(docs == new)
        searcher = Searcher(kb)
        try:
            _, passages = searcher.search("How much fresh water do glaciers hold?", k=3)
            assert passages
        finally:
            searcher.close()
    assert len(delays) >= 20
    assert not all(outcomes), "every kill came after the commit; the test did not exercise a build"
    # A normal build then finishes the job, whatever state the kill left, and leaves only
    # the files of the segment it lists.
    subprocess.run(BUILD + [str(corpus), "--kb", str(kb)], check=True, capture_output=True, timeout=300)
    assert check_consistent(kb) == new
    m = read_manifest(kb)
    assert len(m.segments) == 1
    on_disk, listed = segment_files(kb, m)
    assert on_disk == listed


def test_two_concurrent_builds_never_interleave(workspace):
    corpus, kb = workspace
    new_reports(corpus)
    procs = [subprocess.Popen(BUILD + [str(corpus), "--kb", str(kb)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results
    if codes[1] != 0:  # the loser says why, in one line
        assert any("another wpkb build" in err for _, err in results)
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"} | {f"new_{i}.pdf" for i in range(len(TOPICS))}
