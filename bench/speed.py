"""Speed figures, as ratios measured in one run (these machines are shared and noisy).

    python bench/speed.py --kb KB [--shared ../shared] [--full-build] [--grow 100000]
                          [--index-sizes 10000 100000 1000000]

--kb is a KB of all of ../shared/corpus (for cold and warm `ask`); --full-build also builds
the whole corpus from scratch in a child process to measure its peak RSS (about 12 minutes).
Prints one table: extraction pages/s; embedding chunks/s of the pipeline vs. the model's raw
encode() on the same texts; cold `wpkb ask` (median of 5) vs. `import sentence_transformers`,
and cold `--help`, `sources`, `pages`; warm ask p50/p95, also on the KB grown to --grow chunks
(bench/warm_scale.py), with a cold ask on it (its files in the page cache); FAISS search latency at
each --index-sizes (bench/index_scale.py); peak RSS of a full build. On a KB built with
--sentence-vectors the answer sentences' vectors come from its cache (the grown KB, whose pages
are copies of the KB's, gets a copy of it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wpkb.ingest.cache import CACHE

ROOT = Path(__file__).resolve().parents[1]

PY = sys.executable
CLI = [PY, "-c", "from wpkb.search.cli import main; main()"]


def child_seconds(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def extraction(shared: Path) -> tuple[int, float]:
    from wpkb.ingest import ocr
    from wpkb.ingest.errors import WpkbError
    from wpkb.ingest.extract import extract

    ocr.available = lambda: False  # text layers only; bench/extraction.py measures OCR

    pages, t = 0, time.perf_counter()
    for pdf in sorted((shared / "corpus").glob("[ez][nh]/*.pdf")):  # zh/ and en/: text layers, no OCR
        try:
            pages += len(extract(pdf).pages)
        except WpkbError:
            pass
    return pages, time.perf_counter() - t


def embedding(shared: Path, n: int) -> tuple[int, float, float]:
    """chunks, pipeline seconds (the build's windows, batches, cache and writes), raw encode() seconds
    on the same texts (one call: it sorts them all by length itself)."""
    from wpkb.ingest.build import EMBED_BATCH, BuildReport, _index_files
    from wpkb.ingest.cache import EmbeddingCache
    from wpkb.ingest.chunk import ChunkSettings
    from wpkb.ingest.embed import Embedder, resolve_model
    from wpkb.ingest.extract import extract
    from wpkb.ingest.plan import CorpusFile, Plan
    from wpkb.ingest.progress import Progress
    from wpkb.ingest.readahead import Extracted, chunks_of
    from wpkb.ingest.writer import Writer

    items, total = [], 0
    for pdf in sorted((shared / "corpus" / "zh").glob("*.pdf")):
        doc = extract(pdf)
        chunks = chunks_of(doc, ChunkSettings())[: n - total]
        items.append(Extracted(CorpusFile(pdf.name, pdf, 0, 0), doc, chunks))
        total += len(chunks)
        if total >= n:
            break
    embedder = Embedder(resolve_model(None))
    model = embedder._model()
    texts = list(dict.fromkeys(c.text for i in items for c in i.chunks))
    model.encode(texts[:8], prompt_name="passage")  # warm up both paths alike
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp), "bench")
        writer = Writer(Path(tmp), "bench", None, embedder.dim, ChunkSettings().as_dict(), fresh=True)
        t = time.perf_counter()
        _index_files(writer, Plan(), iter(items), embedder, cache, Progress(), BuildReport())
        pipeline = time.perf_counter() - t
        writer.abandon()
        cache.close()
    t = time.perf_counter()
    model.encode(texts, prompt_name="passage", batch_size=EMBED_BATCH, normalize_embeddings=True)
    raw = time.perf_counter() - t
    return len(texts), pipeline, raw


def warm(kb: Path, questions: list[str]) -> tuple[list[float], list[float]]:
    """Per question: seconds to ranked passages, and to the full answer with its sentences."""
    from wpkb.search.retrieve import Searcher

    searcher = Searcher(kb)
    searcher.warm()
    search_t, answer_t = [], []
    for q in questions:
        t = time.perf_counter()
        searcher.search(q, k=5)
        search_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        searcher.ask(q, k=5)  # the core call the prompt makes
        answer_t.append(time.perf_counter() - t)
    searcher.close()
    return search_t, answer_t


def p50_p95(times: list[float]) -> str:
    times = sorted(times)
    return f"{times[len(times) // 2] * 1000:.0f} / {times[int(0.95 * (len(times) - 1))] * 1000:.0f}"


def full_build_rss(shared: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run(CLI + ["build", str(shared / "corpus"), "--kb", tmp], check=True, capture_output=True)
        secs = time.perf_counter() - t
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, secs  # KiB -> GiB


def build_and_cold(args) -> tuple[list[tuple[str, str, str]], float]:
    """Extraction, embedding and cold-start rows, and the median seconds of the bare import."""
    rows = []
    pages, secs = extraction(args.shared)
    rows.append(("extraction, zh/ + en/ (pages/s)", f"{pages / secs:.1f}", f"{pages} pages in {secs:.0f} s"))

    n, pipeline, raw = embedding(args.shared, args.chunks)
    rows.append(("embedding, pipeline (chunks/s)", f"{n / pipeline:.1f}", ""))
    rows.append(("embedding, raw encode() (chunks/s)", f"{n / raw:.1f}", ""))
    rows.append(("  ratio pipeline / raw (goal >= 0.9)", f"{raw / pipeline:.2f}", f"{n} chunks"))

    cold_s = cold(args.kb)
    imp = statistics.median(child_seconds([PY, "-c", "import sentence_transformers"]) for _ in range(COLD_RUNS))
    rows.append((f"cold `wpkb ask` (s, median of {COLD_RUNS})", f"{cold_s:.2f}", ""))
    rows.append((f"`import sentence_transformers` (s, median of {COLD_RUNS})", f"{imp:.2f}", ""))
    rows.append(("  ratio ask / import (goal <= 0.08)", f"{cold_s / imp:.2f}", ""))
    for name, cmd in (("--help", ["--help"]), ("sources", ["sources", "--kb", str(args.kb)]),
                      ("pages", ["pages", _first_report(args.kb), "--kb", str(args.kb)])):
        secs = statistics.median(child_seconds(CLI + cmd) for _ in range(COLD_RUNS))
        rows.append((f"`wpkb {name}` (s, median of {COLD_RUNS})", f"{secs:.2f}", ""))
    return rows, imp


COLD_RUNS = 5
COLD_QUESTION = "2030年我国港口吞吐量达到多少?"


def cold(kb: Path) -> float:
    """Median seconds of a cold `wpkb ask` in a new process (its files in the page cache)."""
    return statistics.median(child_seconds(CLI + ["ask", COLD_QUESTION, "--kb", str(kb)]) for _ in range(COLD_RUNS))


def _first_report(kb: Path) -> str:
    from wpkb.ingest.kb import KB

    reader = KB.open(kb)
    try:
        return reader.documents()[0].path
    finally:
        reader.close()


def sentences_ahead(kb: Path) -> bool:
    """Whether the KB's builds store its answer sentences' vectors (wpkb build --sentence-vectors)."""
    from wpkb.ingest.cache import ON, PARTIAL, sentence_state
    from wpkb.ingest.manifest import read_manifest

    return sentence_state(kb, read_manifest(kb).model_id) in (ON, PARTIAL)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--chunks", type=int, default=300)
    ap.add_argument("--full-build", action="store_true")
    ap.add_argument("--grow", type=int, default=0, help="also time warm questions on the KB grown to this many chunks")
    ap.add_argument("--index-sizes", type=int, nargs="*", default=[])
    ap.add_argument("--warm-only", action="store_true", help="only the warm ask figures (a minute, not ten)")
    args = ap.parse_args()
    rows, imp = ([], 0.0) if args.warm_only else build_and_cold(args)

    dev = args.shared / "eval" / "dev.jsonl"
    questions = [json.loads(line)["question"] for line in dev.read_text().splitlines() if line.strip()]
    search_t, answer_t = warm(args.kb, questions)
    ahead = sentences_ahead(args.kb)
    rows.append(("warm ask, ranked passages p50 / p95 (ms)", p50_p95(search_t), f"{len(questions)} questions"))
    rows.append(("warm ask, with answer sentences p50 / p95 (ms)", p50_p95(answer_t),
                 "their vectors stored by the build (--sentence-vectors)" if ahead else ""))

    if args.grow:
        import warm_scale

        with tempfile.TemporaryDirectory() as tmp:
            n = warm_scale.grow(args.kb, args.grow, Path(tmp))
            if ahead:  # the copies' pages are the KB's own, so are their answer sentences
                shutil.copy2(args.kb / CACHE, Path(tmp) / CACHE)
            search_t, answer_t = warm(Path(tmp), questions)
            grown_cold = None if args.warm_only else cold(Path(tmp))
        rows.append((f"  the same, KB grown to {n} chunks (IVF)", p50_p95(search_t), "ranked passages"))
        rows.append(("  with answer sentences", p50_p95(answer_t), ""))
        if grown_cold is not None:
            rows.append((f"  cold `wpkb ask` on it (s, median of {COLD_RUNS})", f"{grown_cold:.2f}",
                         f"{grown_cold / imp:.2f} x the import"))

    if args.index_sizes:
        import numpy as np

        import index_scale

        rng = np.random.default_rng(0)
        for size in args.index_sizes:
            for name, _, p50, p95, r, _ in index_scale.measure(size, 200, rng):
                rows.append((f"FAISS search at {size:,} vectors, {name} p50 / p95 (ms)", f"{p50:.2f} / {p95:.2f}",
                             f"recall@10 {r:.3f}"))

    if args.full_build:
        rss, secs = full_build_rss(args.shared)
        rows.append(("full build of ../shared/corpus: peak RSS (GiB)", f"{rss:.2f}", f"{secs / 60:.1f} min"))

    width = max(len(r[0]) for r in rows)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
