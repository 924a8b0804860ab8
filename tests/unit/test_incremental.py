"""Incremental builds: only what changed is read and embedded; the store stays consistent."""

import json
import os
import shutil
from contextlib import closing

import numpy as np
import pytest

from conftest import EN_PAGES, make_pdf
from wpkb.ingest import bm25, manifest, vectors
from wpkb.ingest.kb import KB
from wpkb.ingest.build import build, remove
from wpkb.ingest.errors import WpkbError
from wpkb.search.cli import app


def check_consistent(kb_dir):
    """The live vector ids and chunk rows agree one to one, and BM25 rows too."""
    kb = KB.open(kb_dir)
    try:
        rows = {r[0] for r in kb.db.execute("SELECT id FROM chunks")}
        dead = set(kb.deleted().tolist())
        ids = kb.index().ids()
        assert len(ids) == len(set(ids.tolist())) and set(ids.tolist()) - dead == rows
        assert {i for seg in kb.bm25() for i in seg.ids.tolist()} - dead == rows
        return {d.path for d in kb.documents()}
    finally:
        kb.close()


def segment_files(kb_dir, m=None):
    """(the segment files in the KB folder, those its manifest ``m`` lists), each sorted."""
    m = m or manifest.read_manifest(kb_dir)
    return (sorted(p.name for p in kb_dir.iterdir() if p.name.startswith("seg-")),
            sorted(name for s in m.segments for name in (s.faiss_file, s.bm25_dir)))


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
    before = manifest.read_manifest(kb)
    make_pdf(corpus / "extra.pdf", [["Saturn's rings are mostly water ice."]])

    def boom(index, path):
        raise OSError("disk full")

    monkeypatch.setattr(bm25, "save", boom)
    with pytest.raises(OSError):
        run(corpus, kb)
    assert manifest.read_manifest(kb) == before
    on_disk, listed = segment_files(kb, before)
    assert on_disk == listed  # the half-written one is gone
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}
    monkeypatch.undo()
    assert run(corpus, kb).added == ["extra.pdf"]
    assert sorted(p.name for p in kb.iterdir() if ".tmp" in p.name) == []


def test_sentence_vectors_are_embedded_ahead_and_kept_up_by_later_builds(workspace, runner):
    from wpkb.ingest.cache import EmbeddingCache, stored_sentences
    from wpkb.ingest.files import text_sha
    from wpkb.ingest.pieces import piece_texts

    corpus, kb = workspace

    def pieces_held():
        with closing(KB.open(kb)) as k:
            model = k.manifest.model_id
            shas = {text_sha(t) for d in k.documents() for p in k.pages(d.id) for t in piece_texts(p.text)}
        cache = EmbeddingCache(kb, model)
        try:
            return len(shas), len(cache.get(sorted(shas))), model
        finally:
            cache.close()

    n, held, model = pieces_held()
    assert held == n and stored_sentences(kb, model, 384) is not None  # a new KB embeds them
    make_pdf(corpus / "bees.pdf", [["Honey bees visit about two thousand flowers a day.",
                                    "A hive may hold sixty thousand bees in summer."]])
    report = run(corpus, kb)  # kept up: only the new report's sentences are embedded
    assert report.committed and report.sentences_embedded == 2
    assert pieces_held()[1] == pieces_held()[0]
    assert run(corpus, kb, sentence_vectors=False).sentences_embedded is None
    assert stored_sentences(kb, model, 384) is None
    make_pdf(corpus / "ants.pdf", [["Leafcutter ants farm a fungus on the leaves they carry home.",
                                    "A colony may hold eight million ants."]])
    assert run(corpus, kb).sentences_embedded is None  # off is remembered too
    n, held, _ = pieces_held()
    assert held == n - 2
    report = run(corpus, kb, sentence_vectors=True)
    assert not report.committed and report.sentences_embedded == 2  # nothing changed: only them
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--full"])
    assert result.exit_code == 0 and "answer sentences embedded ahead" in result.output
    n, held, _ = pieces_held()  # --full cleared the cache; every piece is back
    assert held == n


def test_a_damaged_sentence_cache_leaves_questions_answered(workspace, runner):
    from conftest import ask_json
    from wpkb.ingest.cache import CACHE

    _, kb = workspace
    question = "How many active volcano systems does Iceland have?"
    before = ask_json(runner, kb, question)
    for side in kb.glob(CACHE + "-*"):
        side.unlink()
    (kb / CACHE).write_bytes(b"not a database" * 100)
    after = ask_json(runner, kb, question)
    assert after["answer"] == before["answer"] and after["confidence"] == before["confidence"]


def test_a_build_stopped_while_embedding_sentences_leaves_them_for_the_next(workspace, monkeypatch):
    import fake_embedder
    from wpkb.ingest.cache import PARTIAL, sentence_state
    from wpkb.ingest.embed import Embedder

    corpus, kb = workspace
    run(corpus, kb, sentence_vectors=False)
    make_pdf(corpus / "bees.pdf", [["Honey bees visit about two thousand flowers a day.",
                                    "A hive may hold sixty thousand bees in summer."]])
    run(corpus, kb)

    def stopped(self, texts):
        raise KeyboardInterrupt

    monkeypatch.setattr(Embedder, "answer_passages", stopped)
    with pytest.raises(KeyboardInterrupt):
        run(corpus, kb, sentence_vectors=True)
    with closing(KB.open(kb)) as k:
        assert sentence_state(kb, k.manifest.model_id) == PARTIAL
    monkeypatch.setattr(Embedder, "answer_passages", lambda self, texts: fake_embedder.embed(list(texts)))
    report = run(corpus, kb)  # nothing changed, but the sentences are not all there
    assert report.sentences_embedded == 2 and not report.committed
    assert run(corpus, kb).sentences_embedded is None  # all there now: nothing to do


def test_second_writer_fails_clearly(workspace):
    corpus, kb = workspace
    with manifest.write_lock(kb):
        with pytest.raises(WpkbError, match="another wpkb"):
            run(corpus, kb)


def test_each_build_adds_a_segment_and_merges_keep_them_few(workspace, monkeypatch):
    from wpkb.ingest import merge

    corpus, kb = workspace
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(merge, "RUN", 2)
    counts = []
    for i in range(5):
        make_pdf(corpus / f"n{i}.pdf", [[f"Page number {i} talks about comets and their tails."]])
        run(corpus, kb)
        counts.append(len(manifest.read_manifest(kb).segments))
    assert counts[:2] == [2, 3] and max(counts) == 3  # one segment per build, merged past three
    m = manifest.read_manifest(kb)
    on_disk, listed = segment_files(kb, m)
    assert on_disk == listed
    firsts = [s.first_id for s in m.segments]
    assert firsts == sorted(firsts) and all(a.last_id < b.first_id for a, b in zip(m.segments, m.segments[1:]))
    assert check_consistent(kb) >= {f"n{i}.pdf" for i in range(5)}


def test_merges_a_stopped_build_left_undone_are_done_by_the_next_one(workspace, monkeypatch):
    from wpkb.ingest import merge

    corpus, kb = workspace
    make_pdf(corpus / "n0.pdf", [["Page number 0 talks about comets and their tails."]])
    run(corpus, kb)
    assert len(manifest.read_manifest(kb).segments) == 2
    # as a build killed after its commit and before the merge that commit called for leaves it
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)
    report = run(corpus, kb)
    assert not report.added and not report.changed  # no report changed, yet the merge is done
    m = manifest.read_manifest(kb)
    assert len(m.segments) == 1
    on_disk, listed = segment_files(kb, m)
    assert on_disk == listed
    assert "n0.pdf" in check_consistent(kb)


# six pages of their own words: pages alike but for a figure would be one running header
LIGHTHOUSE_PAGES = [[f"The lighthouse at Alexandria {fact}."] for fact in (
    "stood for seventeen centuries", "was built under Ptolemy", "burned a fire at night",
    "fell in earthquakes", "guided ships into the harbour", "gave its name to lighthouses")]


def test_a_removed_report_is_tombstoned_then_dropped_by_a_merge(workspace, runner):
    from wpkb.ingest import merge

    corpus, kb = workspace
    make_pdf(corpus / "big.pdf", LIGHTHOUSE_PAGES)
    make_pdf(corpus / "note.pdf", [["The lighthouse keeper's note: the lamp was lit at dusk."]])
    run(corpus, kb)  # one segment of seven chunks
    m = manifest.read_manifest(kb)
    (corpus / "note.pdf").unlink()
    assert run(corpus, kb).removed == ["note.pdf"]
    after = manifest.read_manifest(kb)
    assert after.segments == m.segments and after.deleted  # nothing rewritten, rows tombstoned
    assert check_consistent(kb) == {"zh_report.pdf", "en_digest.pdf", "big.pdf"}
    result = runner.invoke(app, ["ask", "lighthouse keeper's note", "--kb", str(kb), "--json"])
    assert result.exit_code == 0 and "note.pdf" not in result.stdout
    (corpus / "big.pdf").unlink()  # now most of the last segment is deleted: it is rewritten
    assert run(corpus, kb).removed == ["big.pdf"]
    last = manifest.read_manifest(kb)
    assert not any(s.id == m.segments[-1].id for s in last.segments)
    assert all(s.chunks - last.live(s) < merge.DELETED_SHARE * s.chunks for s in last.segments)
    assert check_consistent(kb) == {"zh_report.pdf", "en_digest.pdf"}


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


def test_a_merge_that_makes_a_large_segment_trains_ivf(workspace, monkeypatch, runner):
    import faiss

    from conftest import ask_json
    from wpkb.ingest import merge

    corpus, kb = workspace
    monkeypatch.setattr(vectors, "FLAT_MAX", 3)
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)
    make_pdf(corpus / "more.pdf", LIGHTHOUSE_PAGES)
    run(corpus, kb)
    segments = KB.open(kb).index().indexes
    assert len(segments) == 1 and isinstance(segments[0], faiss.IndexIVFFlat)
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


def test_a_kb_built_report_by_report_answers_as_one_merged_segment(workspace, monkeypatch):
    from wpkb.ingest import merge
    from wpkb.ingest.build import compact
    from wpkb.search.retrieve import Searcher

    corpus, kb = workspace
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 100)
    for i, (topic, fact) in enumerate([("comets", "Comets grow tails of dust and gas near the sun."),
                                       ("tides", "Tides follow the moon; spring tides come at new moon."),
                                       ("bees", "A bee colony holds sixty thousand workers in summer.")]):
        make_pdf(corpus / f"{topic}.pdf", [[fact], [f"Chapter {i} of the {topic} report, on {topic} again."]])
        run(corpus, kb)
    questions = ["Why do comets have tails?", "When do spring tides come?", "大熊猫吃什么?", "How many bees?"]

    def answers():
        searcher = Searcher(kb)
        try:
            return [[(p.doc, p.page, round(p.score, 5)) for p in searcher.search(q, k=5)[1]] for q in questions]
        finally:
            searcher.close()

    assert len(manifest.read_manifest(kb).segments) == 4
    many = answers()
    compact(kb)
    assert len(manifest.read_manifest(kb).segments) == 1
    assert answers() == many
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf", "comets.pdf", "tides.pdf", "bees.pdf"}


def make_format_1(kb):
    """Turn a KB into the layout wpkb wrote before segments: one generation of rows, vectors
    and BM25 files, named by manifest.json."""
    import faiss
    import sqlite3

    m = manifest.read_manifest(kb)
    reader = KB.open(kb)
    ids = np.sort(reader.index().ids())
    vecs = reader.vectors(ids.tolist()).astype(np.float32)
    reader.close()
    new, old = sqlite3.connect(kb / manifest.DB), sqlite3.connect(kb / "kb-000003.sqlite")
    for table in ("documents", "pages", "chunks", "skipped"):
        old.execute(new.execute("SELECT sql FROM sqlite_master WHERE name=?", (table,)).fetchone()[0])
        rows = new.execute(f"SELECT * FROM {table}").fetchall()
        if rows:
            old.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)
    old.commit()
    old.close()
    new.close()
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(m.dim))
    index.add_with_ids(vecs, ids)
    faiss.write_index(index, str(kb / "vectors-000003.faiss"))
    (kb / "bm25-000003").mkdir()
    np.save(kb / "bm25-000003" / "chunk_ids.npy", ids)
    (kb / "manifest.json").write_text(json.dumps({
        "format": 1, "generation": 3, "model": {"id": m.model_id, "name": m.model_name, "dim": m.dim},
        "chunking": m.chunking, "committed_at": "", "stats": {}, "checksums": {},
        "files": {"db": "kb-000003.sqlite", "vectors": "vectors-000003.faiss", "bm25": "bm25-000003"}}))
    for p in kb.iterdir():
        if p.name.startswith(("kb.sqlite", "seg-")):
            shutil.rmtree(p) if p.is_dir() else p.unlink()


def test_a_kb_of_the_format_before_segments_is_converted_by_the_next_build(workspace, runner):
    from conftest import ask_json

    corpus, kb = workspace
    before = ask_json(runner, kb, "大熊猫吃什么?")
    make_format_1(kb)
    result = runner.invoke(app, ["ask", "大熊猫吃什么?", "--kb", str(kb)])
    assert result.exit_code == 1 and "older wpkb" in result.stderr and "wpkb build" in result.stderr
    report = run(corpus, kb)
    assert report.chunks_embedded == 0 and not report.added and report.documents == 2
    assert sorted(p.name for p in kb.iterdir() if p.name.startswith(("kb-", "vectors-", "bm25-", "manifest"))) == []
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}
    after = ask_json(runner, kb, "大熊猫吃什么?")
    assert [(p["doc"], p["page"]) for p in after["passages"]] == [(p["doc"], p["page"]) for p in before["passages"]]
