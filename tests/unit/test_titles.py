"""Report titles: a junk metadata title gives way to the largest-font line of the first pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from wpkb.ingest import titles
from wpkb.ingest.extract import extract


def cover_pdf(path: Path, title_lines: list[str], body: list[str], metadata: str | None,
              blank_first: bool = False) -> Path:
    """A report whose cover sets ``title_lines`` in 28 pt over 12 pt ``body`` lines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    if metadata:
        c.setTitle(metadata)
    if blank_first:
        c.showPage()
    y = 700
    c.setFont("STSong-Light", 28)
    for line in title_lines:
        c.drawString(60, y, line)
        y -= 40
    c.setFont("STSong-Light", 12)
    for line in body:
        c.drawString(60, y, line)
        y -= 20
    c.saveState()
    c.rotate(90)  # a margin stamp, set large but sideways
    c.setFont("STSong-Light", 40)
    c.drawString(100, -40, "arXiv:2101.00001v1 [cs.CL]")
    c.restoreState()
    c.showPage()
    c.setFont("STSong-Light", 12)
    c.drawString(60, 760, "第一章 概述:数据要素市场在2025年继续增长。")
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize("title", [
    "", "PowerPoint 演示文稿", "Microsoft Word - 港口白皮书.docx", "R4a02.indd", "秘密★发布前", "白皮书",
    "慧博投研资讯 - www.hibor.com.cn", "Architecture Diagram_01", "Untitled", "harbour_report_2031",
    "目录", "1SF\x01GB",
])
def test_producer_marks_watermarks_and_the_file_name_are_junk(title):
    assert titles.is_junk(title, Path("corpus/harbour_report_2031.pdf"))


@pytest.mark.parametrize("title", [
    "GOOG 10-K 2023", "Safari Privacy Overview", "2026年AI营销行业白皮书", "数据要素白皮书",
    "ARCHIVED: Amazon Web Services: Overview of Security Processes", "Internal Audit Report 2031",
    "Draft Guidance on Harbour Data",
])
def test_titles_that_say_what_the_report_is_are_kept(title):
    assert not titles.is_junk(title, Path("corpus/harbour_report_2031.pdf"))


def test_a_junk_title_gives_way_to_the_covers_largest_lines(tmp_path):
    pdf = cover_pdf(tmp_path / "dx_2025.pdf", ["跨境数据流通", "合规与技术应用白皮书"],
                    ["开放群岛开源社区", "2022年12月"], "PowerPoint 演示文稿")
    assert extract(pdf).title == "跨境数据流通合规与技术应用白皮书"  # no space between Chinese lines


def test_an_english_cover_title_skips_a_sideways_margin_stamp(tmp_path):
    pdf = cover_pdf(tmp_path / "paper.pdf", ["Dense Passage Retrieval", "for Open-Domain QA"],
                    ["Vladimir Karpukhin, Barlas Oguz", "Facebook AI"], None)
    assert extract(pdf).title == "Dense Passage Retrieval for Open-Domain QA"


def test_a_good_metadata_title_is_kept_and_a_cover_without_text_falls_to_the_next_page(tmp_path):
    pdf = cover_pdf(tmp_path / "a.pdf", ["Harbour Freight Review"], ["Port authority"], "Annual Harbour Census")
    assert extract(pdf).title == "Annual Harbour Census"
    later = cover_pdf(tmp_path / "b.pdf", ["Harbour Freight Review"], ["Port authority"], None, blank_first=True)
    assert extract(later).title == "Harbour Freight Review"


def test_with_no_title_anywhere_the_file_name_stays(tmp_path):
    pdf = cover_pdf(tmp_path / "scan_0042.pdf", [], ["这是正文的第一句,没有标题。", "第二句。"], "Microsoft Word - x.docx")
    assert extract(pdf).title == "scan_0042"


def test_ocr_lines_give_the_tallest_as_the_title():
    lines = [(20.0, "CISCO"), (41.0, "Privacy Becomes"), (36.0, "Mission Critical"), (18.0, "Key findings")]
    assert titles.largest(lines, titles.OCR_LARGE) == "Privacy Becomes Mission Critical"
    assert titles.largest([(12.0, f"line {i} of a form") for i in range(9)]) == ""  # nothing stands out
