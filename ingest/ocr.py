"""Read page images with OCR (the optional extra `wpkb[ocr]`: rapidocr-onnxruntime + pypdfium2)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from . import heap
from .errors import WpkbError

INSTALL_HINT = "pip install 'wpkb[ocr]'"
# 72 dpi, at least MIN_LONG_SIDE pixels: the PP-OCR recogniser drops the spaces between
# English words when the text is rendered larger (seen on a scanned English report).
MIN_LONG_SIDE = 800
MIN_CONFIDENCE = 0.5


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr_onnxruntime", "pypdfium2"))


@cache
def _ocr():
    import logging

    from rapidocr_onnxruntime import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR()


def _lines(result) -> list[tuple[float, str]]:
    """OCR boxes -> (height in pixels, text) of each line in reading order (top to bottom,
    then left to right)."""
    boxes = []
    for box, text, score in result or []:
        if float(score) < MIN_CONFIDENCE or not text.strip():
            continue
        ys = [p[1] for p in box]
        boxes.append((min(ys), max(ys), min(p[0] for p in box), text.strip()))
    boxes.sort()
    lines: list[list[tuple[float, float, str]]] = []
    bottom = None
    for top, low, left, text in boxes:
        if lines and bottom is not None and top < bottom - 0.5 * (low - top):
            lines[-1].append((left, low - top, text))  # overlaps the line above: same line
            bottom = max(bottom, low)
        else:
            lines.append([(left, low - top, text)])
            bottom = low
    return [(max(h for _, h, _ in line), " ".join(t for _, _, t in sorted(line))) for line in lines]


def boxes(image) -> list[tuple[list, str]]:
    """(corner points, text) of each confident OCR box in an image (a PIL image or an array)."""
    import numpy as np

    result, _ = _ocr()(np.asarray(image), use_cls=False)
    return [(box, text.strip()) for box, text, score in result or [] if float(score) >= MIN_CONFIDENCE and text.strip()]


class PageReader:
    """Renders pages of one PDF and reads them; open once per document."""

    def __init__(self, path: Path, password: str | None = None):
        import pypdfium2 as pdfium

        try:
            self.pdf = pdfium.PdfDocument(str(path), password=password)
        except Exception as e:  # pdfium's errors carry no type worth telling apart
            raise WpkbError(f"{path}: pages could not be rendered for OCR ({e})") from None

    def read(self, number: int) -> list[str]:
        """The text lines of 1-based page ``number``."""
        return [text for _, text in self.read_lines(number)]

    def read_lines(self, number: int) -> list[tuple[float, str]]:
        """(height, text) of each line of 1-based page ``number``: the height tells a title."""
        page = self.pdf[number - 1]
        scale = max(1.0, MIN_LONG_SIDE / max(page.get_size()))
        image = page.render(scale=scale).to_numpy()
        result, _ = _ocr()(image, use_cls=False)  # report pages are upright; the classifier flips lines
        heap.trim()  # measured: a 47-page scan peaks at 0.8 GB instead of 1.3 GB, no slower
        return _lines(result)

    def close(self) -> None:
        self.pdf.close()
