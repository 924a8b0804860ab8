"""Incremental builds: only what changed is read and embedded; the store stays consistent."""

import json
import os
import shutil

import numpy as np
import pytest

from conftest import EN_PAGES, make_pdf
from wpkb.ingest import bm25, manifest, vectors
from wpkb.ingest.kb import KB
from wpkb.ingest.build import build, remove
from wpkb.ingest.errors import WpkbError
from wpkb.search.cli import app


def check_consistent(kb_dir):
    """Vector ids and chunk rows agree one to one, and BM25 rows too."""
    kb = KB.open(kb_dir)
    try:
        rows = {r[0] for r in kb.db.execute("SELECT id FROM chunks")}
        ids = vectors.vector_ids(kb.index())
        assert len(ids) == len(set(ids.tolist())) and set(ids.tolist()) == rows
        assert set(kb.bm25().ids.tolist()) == rows
        return {d.path for d in kb.documents()}
    finally:
        kb.close()


def run(corpus, kb, **kw):
    return build(corpus, kb, **kw)


def test_nothing_changed_reads_no_pdf(workspace, monkeypatch):
    corpus, kb = workspace
    import wpkb.ingest.readahead as r

    monkeypatch.setattr(r, "extract", lambda *a, **k: pytest.fail("a PDF was parsed"))
    report = run(corpus, kb)
    assert report.chunks_embedded == 0 and not report.committed
    assert sorted(report.unchanged) == ["en_digest.pdf", "zh_report.pdf"]


def test_touched_but_identical_file_is_unchanged(workspace, monkeypatch):
    corpus, kb = workspace
    os.utime(corpus / "zh_report.pdf", ns=(1, 1))
    import wpkb.ingest.readahead as r

    monkeypatch.setattr(r, "extract", lambda *a, **k: pytest.fail("a PDF was parsed"))
    report = run(corpus, kb)
    assert "zh_report.pdf" in report.unchanged and report.chunks_embedded == 0


def test_new_changed_removed_and_renamed(workspace):
    corpus, kb = workspace
    (corpus / "sub").mkdir()
    make_pdf(corpus / "sub" / "new.pdf", [["Honey bees visit about two thousand flowers a day."]])
    make_pdf(corpus / "en_digest.pdf", EN_PAGES[:2] + [["Chapter 3. Tea", "Assam tea grows in the Brahmaputra valley."]],
             header="Annual Science Digest", title="Annual Science Digest")
    shutil.move(corpus / "zh_report.pdf", corpus / "renamed 中文.pdf")
    report = run(corpus, kb)
    assert report.added == ["sub/new.pdf"]
    assert report.changed == ["en_digest.pdf"]
    assert report.renamed == [("zh_report.pdf", "renamed 中文.pdf")]
    assert report.removed == []
    # The renamed report was not read again; the changed one's unchanged pages came from the cache.
    assert report.chunks_cached > 0
    assert check_consistent(kb) == {"sub/new.pdf", "en_digest.pdf", "renamed 中文.pdf"}
    (corpus / "sub" / "new.pdf").unlink()
    report = run(corpus, kb)
    assert report.removed == ["sub/new.pdf"]
    assert check_consistent(kb) == {"en_digest.pdf", "renamed 中文.pdf"}


def test_answers_follow_a_changed_report(workspace, runner):
    corpus, kb = workspace
    make_pdf(corpus / "en_digest.pdf", [["Chapter 1. Tea", "Assam tea grows in the Brahmaputra valley of India."]])
    run(corpus, kb)
    from conftest import ask_json

    answer = ask_json(runner, kb, "Where does Assam tea grow?", "--mode", "bm25")
    assert answer["passages"][0]["doc"] == "en_digest.pdf"
    assert "Brahmaputra" in answer["passages"][0]["text"]
    assert not any("Iceland" in p["text"] for p in answer["passages"])  # the old text is gone


def test_same_file_twice_is_indexed_once(workspace):
    corpus, kb = workspace
    shutil.copy(corpus / "zh_report.pdf", corpus / "copy.pdf")
    report = run(corpus, kb)
    assert [f for f, _ in report.skipped] == ["copy.pdf"]
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}
    (corpus / "zh_report.pdf").unlink()  # the copy now stands in for the original
    report = run(corpus, kb)
    assert report.renamed == [("zh_report.pdf", "copy.pdf")]
    assert check_consistent(kb) == {"en_digest.pdf", "copy.pdf"}


def test_removed_report_stays_out_until_added_back(workspace, runner):
    corpus, kb = workspace
    assert remove(kb, corpus, "zh_report") == "zh_report.pdf"
    assert check_consistent(kb) == {"en_digest.pdf"}
    report = run(corpus, kb)
    assert "zh_report.pdf" in [f for f, _ in report.skipped]
    assert check_consistent(kb) == {"en_digest.pdf"}
    result = runner.invoke(app, ["add", str(corpus / "zh_report.pdf"), "--corpus", str(corpus), "--kb", str(kb),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == ["zh_report.pdf"]
    assert json.loads(result.stdout)["chunks_embedded"] == 0  # every vector came from the cache
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}


def test_add_copy_brings_an_outside_file_in(workspace, runner, tmp_path):
    corpus, kb = workspace
    outside = make_pdf(tmp_path / "outside.pdf", [["Octopuses have three hearts and blue blood."]])
    result = runner.invoke(app, ["add", str(outside), "--corpus", str(corpus), "--kb", str(kb)])
    assert result.exit_code != 0 and "--copy" in result.stderr
    result = runner.invoke(app, ["add", str(outside), "--copy", "--corpus", str(corpus), "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == ["outside.pdf"]
    assert (corpus / "outside.pdf").exists()


def test_password_protected_report_is_skipped_then_added_with_password(tmp_path, runner):
    import pypdf

    corpus = tmp_path / "c"
    corpus.mkdir()
    plain = make_pdf(tmp_path / "plain.pdf", [["The secret ingredient is cardamom, added last."]])
    writer = pypdf.PdfWriter(clone_from=plain)
    writer.encrypt(user_password="pw123", owner_password="owner", algorithm="AES-128")
    writer.write(corpus / "locked.pdf")
    make_pdf(corpus / "open.pdf", [["Nothing to hide on this page at all."]])
    kb = tmp_path / "kb"
    report = build(corpus, kb)
    assert report.added == ["open.pdf"]
    assert "password" in dict(report.skipped)["locked.pdf"]
    result = runner.invoke(app, ["add", str(corpus / "locked.pdf"), "--password", "pw123",
                                 "--corpus", str(corpus), "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == ["locked.pdf"]
    assert check_consistent(kb) == {"open.pdf", "locked.pdf"}


def test_failed_commit_leaves_the_previous_kb(workspace, monkeypatch):
    corpus, kb = workspace
    before = json.loads((kb / "manifest.json").read_text())
    make_pdf(corpus / "extra.pdf", [["Saturn's rings are mostly water ice."]])

    def boom(index, path):
        raise OSError("disk full")

    monkeypatch.setattr(bm25, "save", boom)
    with pytest.raises(OSError):
        run(corpus, kb)
    assert json.loads((kb / "manifest.json").read_text()) == before
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}
    monkeypatch.undo()
    assert run(corpus, kb).added == ["extra.pdf"]
    assert sorted(p.name for p in kb.iterdir() if ".tmp" in p.name) == []


def test_second_writer_fails_clearly(workspace):
    corpus, kb = workspace
    with manifest.write_lock(kb):
        with pytest.raises(WpkbError, match="another wpkb"):
            run(corpus, kb)


def test_old_generations_are_cleaned_up(workspace):
    corpus, kb = workspace
    for i in range(4):
        make_pdf(corpus / f"n{i}.pdf", [[f"Page number {i} talks about comets and their tails."]])
        run(corpus, kb)
    gens = {p.name.split("-")[1][:6] for p in kb.iterdir() if p.name.startswith(("kb-", "vectors-", "bm25-"))}
    assert len(gens) == manifest.KEEP_GENERATIONS
    assert check_consistent(kb) >= {f"n{i}.pdf" for i in range(4)}


def test_full_rebuild_starts_from_scratch(workspace):
    corpus, kb = workspace
    report = run(corpus, kb, full=True)
    assert sorted(report.added) == ["en_digest.pdf", "zh_report.pdf"]
    assert report.chunks_embedded == report.chunks
    ids = np.array(sorted(KB.open(kb).chunk_ids(1).tolist()))
    assert ids.min() == 1  # ids start afresh with the new generation


def test_watch_picks_up_a_copied_file_and_a_deleted_file(workspace, tmp_path):
    import threading
    import time

    from wpkb.ingest.watch import watch

    corpus, kb = workspace
    reports, stop = [], threading.Event()
    thread = threading.Thread(target=watch, args=(corpus, kb, reports.append),
                              kwargs={"stop": stop, "settle": 0.3}, daemon=True)
    thread.start()

    def wait_for(predicate):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(predicate(r) for r in reports):
                return
            time.sleep(0.1)
        pytest.fail(f"watch did not report it: {reports}")

    try:
        wait_for(lambda r: not r.committed)  # the first pass: nothing to do
        source = make_pdf(tmp_path / "incoming.pdf", [["Koalas sleep up to twenty hours a day."]])
        data = source.read_bytes()
        with open(corpus / "incoming.pdf", "wb") as f:  # copied in two parts, like a slow copy
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(0.1)
            f.write(data[len(data) // 2:])
        wait_for(lambda r: r.added == ["incoming.pdf"])
        (corpus / "en_digest.pdf").unlink()
        wait_for(lambda r: r.removed == ["en_digest.pdf"])
    finally:
        stop.set()
        thread.join(timeout=30)
    assert check_consistent(kb) == {"zh_report.pdf", "incoming.pdf"}


def test_a_kb_that_outgrows_exact_search_moves_to_ivf(workspace, monkeypatch, runner):
    import faiss

    from conftest import ask_json

    corpus, kb = workspace
    monkeypatch.setattr(vectors, "FLAT_MAX", 3)
    make_pdf(corpus / "more.pdf", [[f"Fact {i}: the lighthouse at Alexandria stood for {i} centuries."] for i in range(6)])
    run(corpus, kb)
    index = KB.open(kb).index()
    assert isinstance(index, faiss.IndexIVFFlat)
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf", "more.pdf"}
    assert ask_json(runner, kb, "大熊猫吃什么?", "--doc", "zh_report")["passages"][0]["page"] == 2
    (corpus / "more.pdf").unlink()
    assert run(corpus, kb).removed == ["more.pdf"]
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}


def test_watch_catches_a_file_that_arrives_during_a_build(workspace, tmp_path, monkeypatch):
    import threading
    import time

    import wpkb.ingest.watch as w

    corpus, kb = workspace
    real_build = w.build
    calls = []

    def build_then_file_arrives(*args, **kwargs):
        report = real_build(*args, **kwargs)
        if not calls:  # the copy lands after the first build scanned the corpus
            make_pdf(corpus / "late.pdf", [["Penguins can drink sea water because of a salt gland."]])
        calls.append(report)
        return report

    monkeypatch.setattr(w, "build", build_then_file_arrives)
    stop = threading.Event()
    thread = threading.Thread(target=w.watch, args=(corpus, kb, lambda r: None),
                              kwargs={"stop": stop, "settle": 0.3}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(r.added == ["late.pdf"] for r in calls):
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=30)
    assert any(r.added == ["late.pdf"] for r in calls), calls
    assert sum(1 for r in calls if not r.committed) <= 1  # no rebuild loop from our own reads


class RecordingProgress:
    def __init__(self):
        self.totals, self.done = {}, {}

    def stage(self, name, total):
        self.totals[name] = total

    def advance(self, n=1, stage=None):
        self.done[stage] = self.done.get(stage, 0) + n

    def grow(self, n, stage=None):
        self.totals[stage] += n

    def note(self, message):
        pass


def test_streaming_build_reports_progress_and_embeds_across_windows(workspace, monkeypatch):
    corpus, kb = workspace
    import wpkb.ingest.build as b

    monkeypatch.setattr(b, "EMBED_WINDOW", 3)  # several windows, documents finishing in between
    for i in range(3):
        make_pdf(corpus / f"more_{i}.pdf", [[f"Topic {i} page {p}.", f"Fact number {i * 10 + p} about topic {i}."]
                                            for p in range(1, 4)])
    progress = RecordingProgress()
    report = run(corpus, kb, full=True, progress=progress)
    assert progress.totals["extracting"] == progress.done["extracting"] == 5
    assert progress.totals["embedding"] == progress.done["embedding"] == report.chunks_embedded == report.chunks
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf", "more_0.pdf", "more_1.pdf", "more_2.pdf"}


def test_a_crash_in_the_reader_thread_reaches_the_caller_and_commits_nothing(workspace, monkeypatch):
    corpus, kb = workspace
    before = check_consistent(kb)
    generation = manifest.read_manifest(kb).generation
    make_pdf(corpus / "new.pdf", [["Honey bees visit about two thousand flowers a day."]])
    import wpkb.ingest.readahead as r

    def broken(*a, **k):
        raise RuntimeError("a bug in extraction")

    monkeypatch.setattr(r, "extract", broken)
    with pytest.raises(RuntimeError, match="a bug in extraction"):
        run(corpus, kb)
    assert manifest.read_manifest(kb).generation == generation
    assert check_consistent(kb) == before
    assert not [p for p in kb.iterdir() if p.name.endswith(".tmp")]
