"""The cited page as printed (`wpkb show`, `ask --show`), and `ask`'s short view with links."""

from __future__ import annotations

import io

from rich.console import Console
from wpkb.search import cli
from wpkb.search.cli import _window, app
from wpkb.search.render import render

ERUPTION = "The eruption of Eyjafjallajokull in 2010 grounded flights across Europe for six days."


def test_show_writes_the_page_with_the_passage_highlighted(workspace, runner, tmp_path):
    corpus, kb = workspace
    png = tmp_path / "page.png"
    result = runner.invoke(app, ["show", "en_digest", "2", "--passage", ERUPTION, "-o", str(png),
                                 "--corpus", str(corpus), "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _, boxes = render(corpus / "en_digest.pdf", 2, ERUPTION, tmp_path / "again.png")
    assert boxes == 1  # one line of text, one box
    _, none = render(corpus / "en_digest.pdf", 2, "Nothing like this is printed anywhere.", tmp_path / "no.png")
    assert none == 0


def test_show_finds_chinese_text_the_cleaner_changed(workspace, tmp_path):
    corpus, _ = workspace
    _, boxes = render(corpus / "zh_report.pdf", 3, "2025年中国新能源汽车销量预计达到1500万辆", tmp_path / "zh.png")
    assert boxes == 1


def test_show_errors_are_one_line(workspace, runner):
    corpus, kb = workspace
    for args, words in ((["en_digest", "9"], "no page 9"), (["nothing_like_it", "1"], "nothing_like_it")):
        result = runner.invoke(app, ["show", *args, "--corpus", str(corpus), "--kb", str(kb)])
        lines = [line for line in result.stderr.splitlines() if line.startswith("wpkb: error: ")]
        assert result.exit_code != 0 and len(lines) == 1 and words in lines[0]


def test_ask_show_prints_the_image_of_the_top_passage(workspace, runner):
    corpus, kb = workspace
    result = runner.invoke(app, ["ask", "How long were flights grounded after the eruption?", "--show",
                                 "--corpus", str(corpus), "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    assert "[1] as printed: " in result.stdout and "en_digest-p2.png" in result.stdout


def test_the_short_view_keeps_the_focus_and_fills_about_three_lines():
    text = "甲" * 300 + "答案在这里。" + "乙" * 300
    a, b = _window(text, (300, 306), 3 * 76)
    assert a < 300 and b > 306 and abs((300 - a) - (b - 306)) <= 1  # grown alike on both sides
    assert 2 * (b - a) <= 3 * 76 + 2  # Chinese characters take two cells
    assert _window("short", (0, 5), 228) == (0, 5)
    a, b = _window("x" * 1000, (0, 1000), 100)
    assert (a, b) == (0, 100)  # a sentence longer than the room: its start


def test_citations_link_to_the_pdf_page_in_a_terminal_only(workspace, runner, monkeypatch):
    corpus, kb = workspace
    question = "How long were flights grounded after the eruption?"
    plain = runner.invoke(app, ["ask", question, "--corpus", str(corpus), "--kb", str(kb)])
    assert plain.exit_code == 0 and "\x1b" not in plain.stdout
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=buffer, force_terminal=True, width=100))
    result = runner.invoke(app, ["ask", question, "--corpus", str(corpus), "--kb", str(kb)])
    assert result.exit_code == 0
    link = (corpus / "en_digest.pdf").resolve().as_uri() + "#page=2"
    assert "\x1b]8;" in buffer.getvalue() and link in buffer.getvalue()
