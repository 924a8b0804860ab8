"""Extraction of real-world PDFs: labels, encryption, garbage text layers, OCR, damaged files."""

import random
import time
import unicodedata

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SHARED, make_pdf
from wpkb.ingest import extract as extract_mod
from wpkb.ingest import ocr
from wpkb.ingest.chunk import ChunkSettings, chunk_spans
from wpkb.ingest.clean import CJK, clean_page, normalise_chars
from wpkb.ingest.errors import WpkbError
from wpkb.ingest.extract import extract
from wpkb.ingest.quality import garbage_share, is_garbled

MOJIBAKE = "⛼╙丘㰅篺宁休♏氳亍㑔榟◲金碜丘䩺氳ꄆ金䙬╬䄖逈炙⚢⺨槡⩘⮇阡⺎纺⺭㛢簟宿ꄈ丘䩺յ⩘⮇䧳 QSJWBDZ\x0eQSFTFSWJOH\x01DPNQVUBUJPO"


def test_garbled_text_layer_is_detected_and_real_text_is_not():
    assert is_garbled(MOJIBAKE)
    assert not is_garbled("2021年,我国数字经济规模达到45.5万亿元,同比名义增长16.2%,占GDP比重达到39.8%。")
    assert not is_garbled("| OWASP ⼤语⾔模型⼈⼯智能应⽤ Top 10 安全威胁 OWASP.org 1 介 绍 2022 年 底 , 随 着 ChatGPT")
    assert garbage_share("short") == 0.0


def test_page_labels_come_from_the_pdf(tmp_path):
    pages = [[f"Page {w} has enough words to count as text."] for w in ("one", "two", "three", "four")]
    src = make_pdf(tmp_path / "a.pdf", pages)
    writer = pypdf.PdfWriter(clone_from=src)
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 3, style="/D", start=1)
    writer.write(tmp_path / "labelled.pdf")
    assert [p.label for p in extract(tmp_path / "labelled.pdf").pages] == ["i", "ii", "1", "2"]
    assert [p.label for p in extract(src).pages] == [None] * 4  # no /PageLabels: no invented labels


def test_aes_encrypted_with_empty_user_password_opens(tmp_path):
    src = make_pdf(tmp_path / "a.pdf", [["Copy-protected, but anyone may read this sentence."]])
    writer = pypdf.PdfWriter(clone_from=src)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    writer.write(tmp_path / "protected.pdf")
    assert "anyone may read" in extract(tmp_path / "protected.pdf").pages[0].text


def image_only_pdf(tmp_path, lines):
    """A PDF whose only page is a picture of text, like a scan."""
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    text_pdf = make_pdf(tmp_path / "text.pdf", [lines])
    image = pdfium.PdfDocument(str(text_pdf))[0].render(scale=2).to_pil()
    image.save(tmp_path / "page.png")
    c = canvas.Canvas(str(tmp_path / "scan.pdf"), pagesize=(image.width / 2, image.height / 2))
    c.drawImage(str(tmp_path / "page.png"), 0, 0, image.width / 2, image.height / 2)
    c.showPage()
    c.save()
    return tmp_path / "scan.pdf"


def test_image_only_page_without_ocr_is_reported_with_the_fix(tmp_path, monkeypatch):
    pytest.importorskip("pypdfium2")
    scan = image_only_pdf(tmp_path, ["The lighthouse keeper logged 212 ships in March."])
    monkeypatch.setattr(ocr, "available", lambda: False)
    doc = extract(scan)
    assert doc.pages[0].status == "empty" and doc.pages[0].text == ""
    assert any("pip install 'wpkb[ocr]'" in w for w in doc.warnings)


@pytest.mark.skipif(not ocr.available(), reason="the [ocr] extra is not installed")
def test_image_only_page_is_read_by_ocr(tmp_path):
    # Latin only: pdfium draws reportlab's Chinese font only where a system CJK font exists.
    scan = image_only_pdf(tmp_path, ["The lighthouse keeper logged 212 ships in March."])
    doc = extract(scan)
    page = doc.pages[0]
    assert page.status == "ocr"
    assert "lighthouse" in page.text and "212" in page.text
    assert any("read by OCR" in w for w in doc.warnings)


class _ScanReader:
    """OCR's lines of a scanned report whose footer is printed with the page number and a
    bracket before it on odd pages and after it on even ones, and misread on every third."""

    def __init__(self, path, password=None):
        pass

    def read_lines(self, number):
        footer = f"》{number} 深潜数据蓝海——隐私计算报告" if number % 2 else f"深潜数据蓝海—隐私计算报告 {number}《"
        if number % 3 == 0:
            footer = f"深潜数据篮海—隐私计算报吿{number}"
        topic = "金融 医疗 政务 能源 交通 零售".split()[number - 1]
        return [(30.0, f"{topic}行业的应用"), (12.0, f"{topic}是隐私计算的主要市场。"), (12.0, "各方数据不出域。"),
                (12.0, f"{topic}的规模在增长。"), (9.0, footer)]

    def close(self):
        pass


def test_running_footers_are_removed_from_ocr_pages(tmp_path, monkeypatch):
    scan = make_pdf(tmp_path / "scan.pdf", [[] for _ in range(6)])  # a page number alone: no text layer
    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "PageReader", _ScanReader)
    doc = extract(scan)
    assert [p.status for p in doc.pages] == ["ocr"] * 6
    for p in doc.pages:
        assert "深潜数据" not in p.text and p.text.count("。") == 3 and p.text.startswith(p.heading)
    assert doc.header_lines_removed == 12  # the text layer's six page numbers and the six footers


@pytest.mark.integration
@pytest.mark.skipif(not ocr.available(), reason="the [ocr] extra is not installed")
@pytest.mark.skipif(not (SHARED / "corpus" / "odd").is_dir(), reason="../shared/corpus is not beside the project")
def test_chinese_scan_is_read_by_ocr():
    reader = ocr.PageReader(SHARED / "corpus" / "odd" / "scanned_zh_book_8p_image_only.pdf")
    try:
        text = "".join(reader.read(1))
    finally:
        reader.close()
    assert len(text) > 300 and "商品" in text


def test_ocr_lines_are_put_in_reading_order():
    boxes = [
        ([[300, 10], [400, 10], [400, 30], [300, 30]], "right", 0.9),
        ([[10, 12], [100, 12], [100, 32], [10, 32]], "left", 0.9),
        ([[10, 60], [100, 60], [100, 80], [10, 80]], "below", 0.9),
        ([[10, 90], [100, 90], [100, 110], [10, 110]], "noise", 0.1),
    ]
    assert ocr._lines(boxes) == [(20, "left right"), (20, "below")]  # (height, text): the height tells a title


def test_damaged_pdfs_raise_only_our_error_in_bounded_time(tmp_path):
    good = make_pdf(tmp_path / "good.pdf", [["Some text on page one."], ["And page two."]]).read_bytes()
    rng = random.Random(7)
    variants = [good[: rng.randrange(len(good))] for _ in range(15)]
    for _ in range(25):
        data = bytearray(good)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        variants.append(bytes(data))
    variants += [b"", b"%PDF-1.7\n", bytes(rng.randrange(256) for _ in range(5000))]
    for i, data in enumerate(variants):
        path = tmp_path / f"v{i}.pdf"
        path.write_bytes(data)
        start = time.monotonic()
        try:
            doc = extract(path)
            assert all(p.status in {"text", "ocr", "empty", "garbled", "error"} for p in doc.pages)
        except WpkbError as e:
            assert str(path) in str(e)
        assert time.monotonic() - start < 30


def test_a_pdf_with_no_pages_is_a_clear_error(tmp_path):
    writer = pypdf.PdfWriter()
    writer.write(tmp_path / "blank.pdf")
    with pytest.raises(WpkbError, match="no pages"):
        extract(tmp_path / "blank.pdf")


def test_user_password_pdf_names_the_file_and_the_fix(tmp_path):
    src = make_pdf(tmp_path / "a.pdf", [["Locked text that only the password opens."]])
    writer = pypdf.PdfWriter(clone_from=src)
    writer.encrypt(user_password="secret", algorithm="AES-128")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(WpkbError, match=r"locked\.pdf.*--password"):
        extract(tmp_path / "locked.pdf")
    assert "Locked text" in extract(tmp_path / "locked.pdf", password="secret").pages[0].text


# Property tests of the normaliser -------------------------------------------------

_ALPHABET = st.sampled_from(list("大型语言模型的风险数据要素市场规模") + list("abcXYZ019") + list(" \n,.。!?-ﬁ⼤") + ["\x00"])
_TEXT = st.lists(_ALPHABET, max_size=120).map("".join)


def _kept(text: str) -> str:
    """The letters, digits and CJK characters of a text, in order."""
    import re

    return "".join(c for c in unicodedata.normalize("NFKC", text) if re.match(rf"[\w{CJK}]", c))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_normalising_is_idempotent(text):
    once = clean_page(normalise_chars(text).split("\n"))
    assert clean_page(once.split("\n")) == once
    assert normalise_chars(normalise_chars(text)) == normalise_chars(text)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_normalising_loses_no_letter_or_cjk_character(text):
    lines = normalise_chars(text).split("\n")
    joined = clean_page(lines)
    # Only spaces, line breaks and the hyphen of a split word may go.
    assert _kept(joined) == _kept(text).replace("_", "")


@settings(max_examples=100, deadline=None)
@given(_TEXT, st.integers(min_value=10, max_value=80), st.integers(min_value=0, max_value=2))
def test_chunk_offsets_map_back_to_the_page_text(text, size, overlap):
    page = clean_page(normalise_chars(text).split("\n"))
    spans = chunk_spans(page, ChunkSettings(size, overlap))
    covered = set()
    for a, b in spans:
        assert 0 <= a < b <= len(page) and page[a:b] == page[a:b].strip()
        covered.update(range(a, b))
    assert all(page[i].isspace() for i in range(len(page)) if i not in covered)


@pytest.mark.integration
@pytest.mark.skipif(not (SHARED / "corpus" / "zh").is_dir(), reason="../shared/corpus is not beside the project")
def test_real_reports_spaced_chinese_and_broken_fonts():
    owasp = extract(SHARED / "corpus" / "zh" / "owasp_llm_top10_zh.pdf")
    assert len(owasp.pages) == 28
    text = "".join(p.text for p in owasp.pages)
    assert "大型语言模型" in text and "大 型" not in text and "\x00" not in text
    assert owasp.header_lines_removed >= 27
    if not ocr.available():
        webank = extract(SHARED / "corpus" / "zh" / "webank_kpmg_privacy_computing_industry_2021.pdf")
        assert sum(p.status == "garbled" for p in webank.pages) >= 40
        assert all(p.text == "" for p in webank.pages if p.status == "garbled")


def test_extract_module_exposes_indexed_statuses():
    assert extract_mod.INDEXED == ("text", "ocr")
