"""The cited page as it is printed: a PNG of the PDF page (pypdfium2) with the passage's text
highlighted, so a reader checks a citation against the table or chart around it.

The stored text was cleaned (spaces between Chinese characters dropped, lines joined,
ligatures repaired), so the passage is found in the page's own characters by aligning the two
without whitespace (difflib); the matched characters' boxes, merged line by line, are what is
highlighted. An OCR'd page has no characters to align: it is read again by OCR and the boxes
whose text lies in the passage are highlighted.
"""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path

from ..ingest.errors import WpkbError

SCALE = 2.0  # 144 dpi: small print stays legible
MIN_BLOCK = 4  # characters: shorter matches between page and passage are chance
FILL = (255, 214, 0, 90)  # translucent yellow over the text, and a solid outline
OUTLINE = (230, 120, 0, 255)

Box = tuple[float, float, float, float]  # left, top, right, bottom in image pixels


def _flat(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if not ch.isspace())


def _aligned(page_chars: list[str], passage: str) -> list[int]:
    """Indices of the page's characters that the passage's text matches, in order."""
    flat, index = [], []
    for i, c in enumerate(page_chars):
        for ch in _flat(c):
            flat.append(ch)
            index.append(i)
    matcher = difflib.SequenceMatcher(None, "".join(flat), _flat(passage), autojunk=False)
    return sorted({index[b.a + k] for b in matcher.get_matching_blocks() if b.size >= MIN_BLOCK
                   for k in range(b.size)})


def _lines(boxes: list[Box]) -> list[Box]:
    """Character boxes, in reading order, merged into one box per run on a line."""
    merged: list[list[float]] = []
    for left, top, right, bottom in boxes:
        if merged:
            m = merged[-1]
            overlap = min(bottom, m[3]) - max(top, m[1])
            if overlap > 0.5 * min(bottom - top, m[3] - m[1]) and left >= m[0] - 1:
                m[0], m[1], m[2], m[3] = min(m[0], left), min(m[1], top), max(m[2], right), max(m[3], bottom)
                continue
        merged.append([left, top, right, bottom])
    return [tuple(m) for m in merged]


def _text_boxes(page, passage: str) -> list[Box]:
    textpage = page.get_textpage()
    try:
        chars = [textpage.get_text_range(i, 1) for i in range(textpage.count_chars())]
        hit = _aligned(chars, passage)
        left0, bottom0, _, top0 = page.get_cropbox()
        boxes = []
        for i in hit:
            left, bottom, right, top = textpage.get_charbox(i)
            if right > left and top > bottom:
                boxes.append(((left - left0) * SCALE, (top0 - top) * SCALE, (right - left0) * SCALE,
                              (top0 - bottom) * SCALE))
        return _lines(boxes)
    finally:
        textpage.close()


def _ocr_boxes(image, passage: str) -> list[Box]:
    from ..ingest import ocr

    if not ocr.available():
        raise WpkbError(f"this page was read by OCR; highlighting it needs the OCR extra: `{ocr.INSTALL_HINT}`")
    target = _flat(passage)
    out = []
    for quad, text in ocr.boxes(image):
        words = _flat(text)
        if len(words) >= MIN_BLOCK and (words in target or
                                difflib.SequenceMatcher(None, words, target, autojunk=False).find_longest_match(
                                    0, len(words), 0, len(target)).size >= max(MIN_BLOCK, 0.6 * len(words))):
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            out.append((min(xs), min(ys), max(xs), max(ys)))
    return out


def cited_page(kb, corpus: Path, d, page: int, passage: str | None,
               out: Path | None = None) -> tuple[Path, int]:
    """Page ``page`` of the KB's report ``d`` (a DocRow), read from the corpus, as a PNG with the
    passage highlighted, by default in the cache folder; its path and how many boxes were highlighted."""
    from ..ingest.embed import cache_dir

    row = kb.page(d, page)
    pdf = corpus / d.path
    if not pdf.is_file():
        raise WpkbError(f"{pdf}: the report's PDF is not in the corpus folder; pass --corpus DIR where it is")
    png = out or cache_dir() / "pages" / f"{Path(d.path).stem}-p{page}.png"
    return render(pdf, page, passage, png, ocr_page=row.status == "ocr")


def render(pdf: Path, page_number: int, passage: str | None, out: Path, ocr_page: bool = False) -> tuple[Path, int]:
    """Write page ``page_number`` (1-based) of ``pdf`` as a PNG with ``passage`` highlighted;
    the PNG's path and how many boxes were highlighted."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        doc = pdfium.PdfDocument(str(pdf))
    except Exception as e:  # pdfium's errors carry no type worth telling apart
        raise WpkbError(f"{pdf}: the page could not be rendered ({e})") from None
    try:
        if not 1 <= page_number <= len(doc):
            raise WpkbError(f"{pdf} has pages 1-{len(doc)}; there is no page {page_number}")
        page = doc[page_number - 1]
        image = page.render(scale=SCALE).to_pil().convert("RGBA")
        boxes: list[Box] = []
        if passage:
            boxes = _ocr_boxes(image.convert("RGB"), passage) if ocr_page else _text_boxes(page, passage)
    finally:
        doc.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, top, right, bottom in boxes:
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=FILL, outline=OUTLINE, width=2)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.alpha_composite(image, overlay).convert("RGB").save(out, "PNG")
    except OSError as e:
        raise WpkbError(f"{out}: the image could not be written ({e.strerror or e})") from None
    return out, len(boxes)
