"""The commands end to end on generated PDFs, and every error a user can hit."""

import json

from conftest import ask_json, make_pdf
from wpkb.search.cli import app


def top_page(answer: dict) -> tuple[str, int]:
    p = answer["passages"][0]
    return p["doc"], p["page"]


def test_build_summary_counts_documents_pages_and_chunks(built, runner):
    corpus, kb = built
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["documents"] == 2 and report["pages"] == 7 and report["chunks"] >= 5
    assert sorted(report["unchanged"]) == ["en_digest.pdf", "zh_report.pdf"]
    assert report["chunks_embedded"] == 0 and report["added"] == []


def test_chinese_question_finds_its_page(built, runner):
    answer = ask_json(runner, built[1], "大熊猫每天吃多少公斤竹子?")
    assert top_page(answer) == ("zh_report.pdf", 2)
    assert any("公斤" in s["text"] for s in answer["answer"])


def test_english_question_about_a_chinese_page(built, runner):
    answer = ask_json(runner, built[1], "Which province produces most of China's coffee?")
    assert top_page(answer) == ("zh_report.pdf", 4)


def test_english_question_finds_english_page(built, runner):
    answer = ask_json(runner, built[1], "How long were flights grounded after the Iceland eruption?")
    assert top_page(answer) == ("en_digest.pdf", 2)


def test_answer_json_carries_citations_offsets_and_highlights(built, runner):
    corpus, kb = built
    answer = ask_json(runner, kb, "2025年新能源汽车销量预计是多少?", "-k", "3")
    assert answer["question"] == "2025年新能源汽车销量预计是多少?"
    assert 1 <= len(answer["answer"]) <= 3 and len(answer["passages"]) == 3
    first = answer["passages"][0]
    assert set(first) >= {"doc", "page", "label", "score", "text", "offsets", "highlights", "ref"}
    sentence = answer["answer"][0]
    cited = answer["passages"][sentence["ref"] - 1]
    a, b = sentence["offsets"]
    assert cited["text"][a:b] == sentence["text"]
    # offsets point into the stored page text, so a citation can be checked with `wpkb pages`
    page = json.loads(runner.invoke(app, ["pages", cited["doc"], str(cited["page"]), "--kb", str(kb), "--json"]).stdout)
    start, end = cited["offsets"]
    assert page["pages"][0]["text"][start:end] == cited["text"]
    assert len({(p["doc"], p["page"]) for p in answer["passages"]}) == 3  # one passage per page


def test_ask_human_output_cites_report_and_page(built, runner):
    result = runner.invoke(app, ["ask", "大熊猫吃什么?", "--kb", str(built[1]), "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "Answer" in result.stdout and "[1] zh_report.pdf · p.2 · " in result.stdout


def test_ask_one_document_only(built, runner):
    answer = ask_json(runner, built[1], "大熊猫吃什么?", "--doc", "en_digest")
    assert {p["doc"] for p in answer["passages"]} == {"en_digest.pdf"}


def test_ask_modes(built, runner):
    for mode in ("dense", "bm25", "hybrid"):
        answer = ask_json(runner, built[1], "云南咖啡产量", "--mode", mode)
        assert top_page(answer) == ("zh_report.pdf", 4), mode


def test_sources_lists_reports(built, runner):
    result = runner.invoke(app, ["sources", "--kb", str(built[1]), "--json"])
    assert result.exit_code == 0
    docs = {d["file"]: d for d in json.loads(result.stdout)["documents"]}
    assert docs["zh_report.pdf"]["title"] == "行业观察白皮书"
    assert docs["zh_report.pdf"]["pages"] == 4 and docs["en_digest.pdf"]["pages"] == 3
    assert docs["zh_report.pdf"]["chunks"] >= 3
    human = runner.invoke(app, ["sources", "--kb", str(built[1])]).stdout
    assert "zh_report.pdf" in human and "en_digest.pdf" in human


def test_pages_lists_and_prints_pages_without_running_headers(built, runner):
    result = runner.invoke(app, ["pages", "zh_report", "--kb", str(built[1]), "--json"])
    assert result.exit_code == 0
    pages = json.loads(result.stdout)["pages"]
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert all("2026年行业观察白皮书" not in p["text"] for p in pages[1:])  # running header removed
    text = runner.invoke(app, ["pages", "zh_report.pdf", "3", "--kb", str(built[1])]).stdout
    assert "1500万辆" in text and "p.3" in text


def error_line(result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wpkb: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_error_no_corpus_folder(tmp_path, runner):
    line = error_line(runner.invoke(app, ["build", str(tmp_path / "nope"), "--kb", str(tmp_path / "kb")]))
    assert "no corpus folder" in line and "nope" in line


def test_error_corpus_without_pdfs(tmp_path, runner):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("not a pdf")
    line = error_line(runner.invoke(app, ["build", str(tmp_path / "c"), "--kb", str(tmp_path / "kb")]))
    assert "no PDF files" in line


def test_non_pdf_files_in_the_corpus_are_reported(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "a.pdf", [["A page with enough text to be indexed properly."]])
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(tmp_path / "kb"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == [{"file": "notes.docx", "reason": "not a PDF; wpkb indexes .pdf files only"}]


def test_error_unknown_document_and_page(built, runner):
    kb = str(built[1])
    assert "no report 'missing'" in error_line(runner.invoke(app, ["pages", "missing", "--kb", kb]))
    assert "no page 99" in error_line(runner.invoke(app, ["pages", "zh_report", "99", "--kb", kb]))
    assert "no report" in error_line(runner.invoke(app, ["ask", "x", "--doc", "missing", "--kb", kb]))
    assert "matches 2 reports" in error_line(runner.invoke(app, ["pages", ".pdf", "--kb", kb]))


def test_error_ask_before_any_build(tmp_path, runner):
    line = error_line(runner.invoke(app, ["ask", "hello?", "--kb", str(tmp_path / "kb")]))
    assert "run `wpkb build` first" in line


def edit_meta(kb, key, change):
    """Change one value of the KB's commit record in place, as another wpkb might have written it."""
    import sqlite3

    db = sqlite3.connect(kb / "kb.sqlite")
    with db:
        (value,) = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        db.execute("UPDATE meta SET value=? WHERE key=?", (json.dumps(change(json.loads(value))), key))
    db.close()


def test_error_kb_built_with_another_model(workspace, runner):
    corpus, kb = workspace
    edit_meta(kb, "model", lambda model: {**model, "id": "some-other-model"})
    assert "rebuild" in error_line(runner.invoke(app, ["ask", "hello?", "--kb", str(kb)]))
    assert "--full" in error_line(runner.invoke(app, ["build", str(corpus), "--kb", str(kb)]))


def test_kb_with_terms_made_the_older_way_is_remade_by_build(workspace, runner):
    import sqlite3

    from wpkb.ingest.names import name_terms
    from wpkb.ingest.terms import tokenize, words

    corpus, kb = workspace
    db = sqlite3.connect(kb / "kb.sqlite")
    with db:  # terms as wpkb made them before English words were stemmed, and no report name terms
        for cid, text in db.execute("SELECT id, text FROM chunks").fetchall():
            db.execute("UPDATE chunks SET terms=? WHERE id=?", (" ".join(words(text)), cid))
        db.execute("UPDATE documents SET name_terms=''")
    db.close()
    edit_meta(kb, "chunking", lambda chunking: {k: v for k, v in chunking.items() if k != "terms"})
    line = error_line(runner.invoke(app, ["ask", "How long were flights grounded after the Iceland eruption?", "--kb", str(kb)]))
    assert "older" in line and "`wpkb build`" in line

    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["chunks_embedded"] == 0
    db = sqlite3.connect(kb / "kb.sqlite")
    rows = db.execute("SELECT text, terms FROM chunks").fetchall()
    names = db.execute("SELECT path, title, name_terms FROM documents").fetchall()
    db.close()
    assert rows and all(terms == " ".join(tokenize(text)) for text, terms in rows)
    assert names and all(set(terms.split()) == name_terms(path, title) and terms for path, title, terms in names)
    answer = ask_json(runner, kb, "How long were flights grounded after the Iceland eruption?")
    assert top_page(answer) == ("en_digest.pdf", 2)


def test_error_other_chunk_settings_need_full_rebuild(workspace, runner):
    corpus, kb = workspace
    line = error_line(runner.invoke(app, ["build", str(corpus), "--kb", str(kb), "--chunk-size", "123"]))
    assert "chunking" in line and "--full" in line


def test_error_unknown_model(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "a.pdf", [["hello world, this is a page of text"]])
    line = error_line(runner.invoke(app, ["build", str(corpus), "--kb", str(tmp_path / "kb"),
                                          "--model", "nobody/no-such-model"]))
    assert "unknown model" in line


def test_bad_pdf_is_reported_and_the_rest_indexed(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "good.pdf", [["Giant pandas eat bamboo for most of the day."]])
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "random.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02")
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(tmp_path / "kb"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == ["good.pdf"]
    reasons = {s["file"]: s["reason"] for s in report["skipped"]}
    assert "empty file" in reasons["empty.pdf"] and "not a readable PDF" in reasons["random.pdf"]
    strict = runner.invoke(app, ["build", str(corpus), "--kb", str(tmp_path / "kb"), "--strict"])
    assert strict.exit_code != 0


def test_weak_evidence_is_not_presented_as_an_answer(built, runner):
    answer = ask_json(runner, built[1], "What is the freezing point of mercury in kelvin?")
    assert answer["confident"] is False
    result = runner.invoke(app, ["ask", "What is the freezing point of mercury in kelvin?", "--kb", str(built[1])])
    assert "No passage in the indexed reports answers this well." in result.stdout
    assert ask_json(runner, built[1], "大熊猫每天吃多少公斤竹子?")["confident"] is True
    # The lead over the next page counts even when only one passage is asked for.
    assert ask_json(runner, built[1], "What is the freezing point of mercury in kelvin?", "-k", "1")["confident"] is False
    assert ask_json(runner, built[1], "大熊猫每天吃多少公斤竹子?", "-k", "1")["confident"] is True


def test_eval_reports_recall_by_kind_and_language(built, runner, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "question": "大熊猫每天吃多少公斤竹子?", "doc": "zh_report.pdf", "pages": [2],
         "kind": "numeric", "lang": "zh", "evidence": "每天要吃十二到三十八公斤的竹子"},
        {"id": "b", "question": "Who analysed the Sicilian Defence in 1594?", "doc": "en_digest.pdf", "pages": [3],
         "kind": "fact", "lang": "en"},
        {"id": "c", "question": "Which chess opening is played in Yunnan?", "doc": "zh_report.pdf", "pages": [1],
         "kind": "fact", "lang": "en"},
        {"id": "d", "question": "What is the freezing point of mercury?", "kind": "unanswerable", "lang": "en"},
    ]))
    result = runner.invoke(app, ["eval", str(questions), "--kb", str(built[1]), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["overall"]["n"] == 3
    assert summary["by_lang"]["zh"]["recall@1"] == 1.0
    assert summary["by_kind"]["numeric"]["mrr@10"] == 1.0
    assert [m["id"] for m in summary["missed"]] == ["c"]
    assert summary["confidence"]["unanswerable"] == 1 and summary["confidence"]["answerable"] == 3
    assert summary["by_kind"]["numeric"]["answer@1"] == 1.0  # the first answer sentence holds the evidence
    assert {q["id"]: q["answer_rank"] for q in summary["questions"]}["a"] == 1
    assert summary["settings"]["confident_at"] > 0
    human = runner.invoke(app, ["eval", str(questions), "--kb", str(built[1])]).stdout
    assert "R@5" in human and "answer@1" in human and "missed c" in human


def test_eval_rejects_a_malformed_question_file(built, runner, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc": "x.pdf"}\n')
    assert "bad.jsonl:1" in error_line(runner.invoke(app, ["eval", str(bad), "--kb", str(built[1])]))


def test_ask_without_a_question_opens_a_prompt(built, runner):
    result = runner.invoke(app, ["ask", "--kb", str(built[1]), "-k", "1"],
                           input="大熊猫吃什么?\n\nHow long were flights grounded after the eruption?\n")
    assert result.exit_code == 0, result.output
    assert "zh_report.pdf · p.2" in result.stdout and "en_digest.pdf · p.2" in result.stdout
    assert result.stdout.count("[1] ") == 2
