"""Faults and hostile input: nothing lost, nothing stuck, never a traceback."""

import errno
import json
import os
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import make_pdf
from test_incremental import check_consistent
from wpkb.ingest import bm25, cache, files, manifest
from wpkb.ingest.build import build
from wpkb.ingest.plan import CorpusFile, make_plan
from wpkb.search.cli import app
from wpkb.search.retrieve import Searcher


def wpkb(*args, env=None):
    """The real console entry point in a process of its own (usage errors are handled there)."""
    return subprocess.run([sys.executable, "-m", "wpkb", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_a_damaged_database_is_a_clear_error_and_build_full_gets_out_of_it(workspace, runner):
    corpus, kb = workspace
    db = kb / manifest.DB

    def broken_meta():
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("UPDATE meta SET value='\"seven\"' WHERE key='generation'")
        conn.close()

    for damage in (lambda: db.write_bytes(b"{"), lambda: db.write_bytes(b"not a database " * 400), broken_meta):
        damage()
        result = runner.invoke(app, ["sources", "--kb", str(kb)])
        assert result.exit_code != 0 and "kb.sqlite" in result.stderr and "--full" in result.stderr
        assert "Traceback" not in result.output
        result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--full"])
        assert result.exit_code == 0, result.output
        assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}
    assert any(p.name.startswith("kb.sqlite.damaged-") for p in kb.iterdir())


def test_a_truncated_embedding_cache_is_set_aside_and_bad_cached_vectors_are_not_trusted(workspace):
    corpus, kb = workspace
    with open(kb / cache.CACHE, "r+b") as f:
        f.truncate(100)
    report = build(corpus, kb, full=True)
    assert report.committed and any(p.name.startswith(cache.CACHE + ".damaged-") for p in kb.iterdir())
    db = sqlite3.connect(kb / cache.CACHE)
    db.execute("UPDATE vectors SET vec = ?", (np.full(384, 715.0, np.float32).tobytes(),))  # not unit length
    db.commit()
    db.close()
    report = build(corpus, kb, full=True)
    assert report.chunks_cached == 0 and report.chunks_embedded == report.chunks


def test_a_pdf_deleted_during_the_build_is_reported_and_the_rest_indexed(workspace, monkeypatch):
    import wpkb.ingest.readahead as r

    corpus, kb = workspace
    make_pdf(corpus / "doomed.pdf", [["This report is deleted while the build reads it."]])
    make_pdf(corpus / "kept.pdf", [["Kestrels hover before they dive."]])
    real = r.extract

    def deleting(path, *rest):
        if path.name == "doomed.pdf":
            path.unlink()
        return real(path, *rest)

    monkeypatch.setattr(r, "extract", deleting)
    report = build(corpus, kb)
    assert "kept.pdf" in report.added and "doomed.pdf" in {f for f, _ in report.skipped}
    assert "kept.pdf" in check_consistent(kb)


def test_a_file_gone_before_it_is_hashed_leaves_its_indexed_version(tmp_path):
    gone = CorpusFile("gone.pdf", tmp_path / "gone.pdf", 10, 1)
    plan = make_plan([gone], [], [], None, set())
    assert [f for f, _ in plan.vanished] == ["gone.pdf"] and not plan.process


def test_links_to_nothing_looping_links_fifos_and_devices_are_skipped_without_blocking(workspace):
    corpus, kb = workspace
    (corpus / "dangling.pdf").symlink_to(corpus / "nowhere.pdf")
    (corpus / "loop.pdf").symlink_to(corpus / "loop.pdf")
    os.mkfifo(corpus / "fifo.pdf")
    (corpus / "zero.pdf").symlink_to("/dev/zero")
    make_pdf(corpus / "real.pdf", [["Otters hold hands while they sleep."]])
    done = {}
    worker = threading.Thread(target=lambda: done.update(report=build(corpus, kb)), daemon=True)
    worker.start()
    worker.join(120)
    assert "report" in done, "the build blocked on a FIFO or a device"
    skipped = dict(done["report"].skipped)
    assert {"dangling.pdf", "loop.pdf", "fifo.pdf", "zero.pdf"} <= set(skipped)
    assert "real.pdf" in done["report"].added


def test_control_characters_in_file_names_are_shown_not_sent_to_the_terminal(workspace, runner):
    corpus, kb = workspace
    evil = "evil\x1b[2J\x1b]0;pwned\x07.pdf"
    make_pdf(corpus / evil, [["Narwhal tusks are teeth."]])
    assert runner.invoke(app, ["build", str(corpus), "--kb", str(kb)]).exit_code == 0
    for args in (["sources"], ["pages", "evil"], ["ask", "What are narwhal tusks?"]):
        result = runner.invoke(app, [*args, "--kb", str(kb)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\\x1b" in result.stdout


def test_usage_mistakes_and_huge_numbers_are_one_line_errors(workspace):
    _, kb = workspace
    for args in (["pages", "zh_report", "abc"], ["ask", "x", "-k", "0"], ["pages", "zh_report", "10" * 10]):
        result = wpkb(*args, "--kb", kb)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("wpkb: error: "), result.stderr


def test_a_full_disk_during_the_commit_is_one_line_and_the_kb_survives(workspace, runner, monkeypatch):
    corpus, kb = workspace
    make_pdf(corpus / "more.pdf", [["Puffins mate for life."]])

    def full(index, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(bm25, "save", full)
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb)])
    errors = [line for line in result.stderr.splitlines() if line.startswith("wpkb: error: ")]
    assert result.exit_code == 1 and len(errors) == 1 and "disk is full" in errors[0]
    assert "Traceback" not in result.output
    assert check_consistent(kb) == {"en_digest.pdf", "zh_report.pdf"}


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    from wpkb.ingest import cedict, dictionary

    monkeypatch.setenv("WPKB_CACHE", str(tmp_path / "cache"))

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(files, "fsync_file", full)  # the disk fills as a stored table is written
    cedict.tables.cache_clear()
    try:
        assert cedict.tables().en2zh["market"]  # parsed, used, not kept
        assert dictionary.tokenizer(tmp_path / "cache").lcut("营销市场") == ["营销", "市场"]
        assert dictionary.tags(tmp_path / "cache")["留给"] == "v"  # read from jieba's file
    finally:
        cedict.tables.cache_clear()
    assert not list((tmp_path / "cache").glob("*.sqlite")) and not list((tmp_path / "cache").glob(".*tmp"))


def test_a_damaged_stored_table_is_made_again(tmp_path):
    from wpkb.ingest import dictionary

    cache = tmp_path / "cache"
    cache.mkdir()
    first = dictionary.tokenizer(cache)
    (stored,) = cache.glob("jieba-dict-*.sqlite")
    assert first.lcut("营销市场") == dictionary.tokenizer(cache).lcut("营销市场") == ["营销", "市场"]
    stored.write_bytes(b"not a database")
    assert dictionary.tokenizer(cache).lcut("营销市场") == ["营销", "市场"]  # loaded whole, stored again
    assert dictionary.tokenizer(cache).FREQ.get("营销") == first.FREQ["营销"]
    assert dictionary.tags(cache).get("留给") == "v" and dictionary.tags(cache).get("营销") == "vn"
    stored.write_bytes(b"not a database")
    assert dictionary.tags(cache).get("留给") == "v"  # the copy made again for the tags too


def test_word_frequencies_are_stored_once_and_a_damaged_store_is_made_again(tmp_path, monkeypatch):
    import wordfreq

    from wpkb.search import commonness

    def not_again(*args, **kwargs):
        raise AssertionError("wordfreq's list loaded although it is stored")

    monkeypatch.setenv("WPKB_CACHE", str(tmp_path / "cache"))
    commonness._table.cache_clear()
    try:
        assert commonness.frequency("the") > commonness.frequency("tesla") > 0 == commonness.frequency("qxzzv")
        assert commonness.frequency("市场") > 0
        tesla = commonness.frequency("Tesla")
        (stored,) = (tmp_path / "cache").glob("wordfreq-en-*.sqlite")
        with monkeypatch.context() as m:
            m.setattr(wordfreq, "get_frequency_dict", not_again)
            commonness._table.cache_clear()
            assert commonness.frequency("tesla") == tesla
        stored.write_bytes(b"not a database")
        commonness._table.cache_clear()
        assert commonness.frequency("tesla") == tesla  # loaded again, stored again
        monkeypatch.setattr(wordfreq, "get_frequency_dict", not_again)
        commonness._table.cache_clear()
        assert commonness.frequency("tesla") == tesla
    finally:
        commonness._table.cache_clear()


def test_a_reader_keeps_answering_while_builds_commit_and_merge_and_the_prompt_moves_on(workspace, monkeypatch):
    from wpkb.ingest import merge

    corpus, kb = workspace
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)  # every build merges: the segments it opened go
    searcher = Searcher(kb)
    try:
        opened = searcher.kb.manifest.segments
        before, _ = searcher.search("大熊猫吃什么?", k=2)
        for i in range(3):
            make_pdf(corpus / f"new_{i}.pdf", [[f"Fact {i}: lighthouses use Fresnel lenses."]])
            build(corpus, kb)
        assert not any((kb / s.faiss_file).exists() or (kb / s.bm25_dir).exists() for s in opened)
        _, passages = searcher.search("大熊猫吃什么?", k=2)
        assert passages and {p.doc for p in passages} <= {"zh_report.pdf", "en_digest.pdf"}
        _, passages = searcher.search("Which lenses do lighthouses use?", k=3)
        assert not any(p.doc.startswith("new_") for p in passages)  # the state it opened, whole
        assert searcher.refresh() == manifest.read_manifest(kb).generation
        assert searcher.refresh() is None
        _, passages = searcher.search("Which lenses do lighthouses use?", k=3)
        assert any(p.doc.startswith("new_") for p in passages)
        assert len(searcher.kb.manifest.segments) == 1
    finally:
        searcher.close()


def test_a_very_long_question_is_refused_with_a_message(workspace, runner):
    _, kb = workspace
    result = runner.invoke(app, ["ask", "猫" * 200_000, "--kb", str(kb)])
    assert result.exit_code == 1 and "characters" in result.stderr


def flip_a_byte(path, at=0.5):
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_segment_files_and_database_are_detected_and_build_full_repairs_them(workspace, runner, monkeypatch):
    from wpkb.ingest import merge

    corpus, kb = workspace
    m = manifest.read_manifest(kb)
    flip_a_byte(kb / m.segments[0].faiss_file)  # same size: only the hash tells
    result = runner.invoke(app, ["check", "--kb", str(kb)])
    assert result.exit_code == 1 and "other bytes" in result.stdout and "wpkb build --full" in result.stdout
    make_pdf(corpus / "more.pdf", [["Moles dig twenty metres of tunnel a day."]])
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)  # a merge would carry the damage into a new segment
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb)])
    monkeypatch.undo()
    assert result.exit_code == 1 and "damaged" in result.stderr and "--full" in result.stderr
    after = manifest.read_manifest(kb)  # the new report was committed before the merge was refused
    assert after.generation == m.generation + 1 and after.segments[0] == m.segments[0]
    db = kb / manifest.DB
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 2)
    result = runner.invoke(app, ["sources", "--kb", str(kb)])
    assert result.exit_code == 1 and "--full" in result.stderr and "Traceback" not in result.output
    assert runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--full"]).exit_code == 0
    result = runner.invoke(app, ["check", "--kb", str(kb), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True


def test_ocr_stops_at_the_page_cap_and_says_which_pages_it_left(tmp_path, monkeypatch):
    from wpkb.ingest import extract, ocr

    pdf = make_pdf(tmp_path / "blank.pdf", [[] for _ in range(5)])
    read = []

    class Reader:
        def __init__(self, path, password=None):
            pass

        def read_lines(self, number):
            read.append(number)
            return [(20.0, f"scanned text of page {number}")]

        def close(self):
            pass

    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "PageReader", Reader)
    doc = extract.extract(pdf, max_ocr_pages=2)
    assert read == [1, 2] and [p.status for p in doc.pages].count("ocr") == 2
    assert any("3-5 not read" in w and "--max-ocr-pages" in w for w in doc.warnings)


def test_ocr_stops_when_its_time_for_a_report_is_up(tmp_path, monkeypatch):
    from wpkb.ingest import extract, ocr

    pdf = make_pdf(tmp_path / "blank.pdf", [[] for _ in range(3)])
    class Reader:
        def __init__(self, path, password=None):
            pass

        def read_lines(self, number):
            pytest.fail("OCR ran past its budget")

        def close(self):
            pass

    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "PageReader", Reader)
    monkeypatch.setattr(extract, "OCR_BUDGET_SECONDS", -1.0)
    doc = extract.extract(pdf)
    assert any("1-3 not read" in w and "minutes" in w for w in doc.warnings)


def test_a_build_with_nothing_to_do_does_not_pass_over_a_damaged_generation(workspace, runner):
    corpus, kb = workspace
    db_file = kb / manifest.DB
    with open(db_file, "r+b") as f:
        f.truncate(db_file.stat().st_size - 1024)
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb)])
    assert result.exit_code == 1 and "damaged" in result.stderr and "--full" in result.stderr


def test_a_build_leaves_the_wal_index_a_reader_who_may_not_write_needs(workspace, runner):
    corpus, kb = workspace
    for name in (manifest.DB + "-wal", manifest.DB + "-shm"):
        (kb / name).unlink(missing_ok=True)
    make_pdf(corpus / "extra.pdf", [["A tea harvest of 4200 tonnes was reported."]])
    assert runner.invoke(app, ["build", str(corpus), "--kb", str(kb)]).exit_code == 0
    # SQLite deletes both when the last writing connection closes; a reader without write
    # permission on the folder cannot create them, but reads through them (checked by hand as
    # another user: docs/store.md)
    assert (kb / (manifest.DB + "-shm")).is_file() and (kb / (manifest.DB + "-wal")).is_file()
    assert manifest.read_committed(kb).generation >= 2


def test_a_kb_that_cannot_be_opened_in_a_folder_wpkb_may_not_write_says_why(tmp_path, monkeypatch):
    db = tmp_path / manifest.DB
    db.write_bytes(b"")
    assert "--full" in str(manifest.unreadable(db, "unable to open database file"))
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a user without write permission
    message = str(manifest.unreadable(db, "unable to open database file"))
    assert "writable" in message and str(tmp_path) in message and "--full" not in message
