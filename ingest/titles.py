"""A report's title as a reader would give it. A PDF's metadata title is often the producer's
("PowerPoint 演示文稿", "Microsoft Word - x.docx", "R4a02.indd"), a watermark, a classification
mark or the file name; then the title is read from the first pages: the line(s) set in the
largest font (pypdf's text visitor gives each run's size), else the first substantial line."""

from __future__ import annotations

import math
import re
from pathlib import Path

from .clean import HAN

TITLE_PAGES = 2  # a cover, or an inner title page after a cover without text
MAX_TITLE_LINES = 3  # more lines in the largest font: that page has no title font (a form, a list)
MAX_TITLE_CHARS = 100
MAX_FIRST_LINE = 60  # a first line longer than this is a paragraph (OCR joins a page's lines)
_LARGE = 0.9  # lines within this share of the largest font size belong to the title
OCR_LARGE = 0.8  # ... of the tallest OCR box, whose heights vary with the letters in it

_PRODUCER = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel)\b|powerpoint\s*(?:演示文稿|presentation)|untitled|无标题|新建"
    r"|slide \d|幻灯片)|\.(?:docx?|pptx?|xlsx?|indd|pdf|qxd|ai|psd|wps)\s*$", re.I)
# a document's kind, or a section heading a first page may hold in its largest font
_GENERIC = re.compile(r"^(?:白皮书|报告|研究报告|行业报告|文档|演示文稿|目\s*录|前\s*言|摘\s*要|序\s*言|引\s*言"
                      r"|介绍|声明|版权声明|编写说明|致谢|签名"
                      r"|report|white ?paper|document|presentation|slides?|contents|table of contents"
                      r"|foreword|preface|abstract|introduction|acknowledge?ments|copyright|disclaimer|executive summary)$",
                      re.I)
# watermarks, site names and classification marks ("Internal Audit" or "Draft Guidance" are titles)
_MARKS = re.compile(r"www\.|https?:|\.com\b|\.cn\b|\.org\b|投研|资讯|秘密|机密|绝密|内部资料|发布前|仅供|"
                    r"\bconfidential\b", re.I)
_DESIGN_FILE = re.compile(r"^[A-Za-z]{0,3}\d+[A-Za-z]?\d*$|_\d+$")  # R4a02, Architecture Diagram_01
_CONTENTS = re.compile(r"^(?:目\s*录|contents|table of contents)\b|\.{6,}|…{3,}", re.I)
# prose, not a title: a Chinese full stop, two commas, or five words or more ending in a stop
_SENTENCE = re.compile(r"[。！？]|[,，;；].*[,，;；]|^(?:\S+\s+){4,}\S*[.!?]$")
_MEANINGFUL = re.compile(rf"[A-Za-z{HAN}]")
_HAN_CHAR = re.compile(f"[{HAN}]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffd]")


def _squash(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.lower())


def is_junk(title: str, path: Path, printed: bool = False) -> bool:
    """Whether a title says nothing about the report to a reader. A metadata title that is the
    file name was filled in by a tool; the same words ``printed`` on the cover are the title."""
    t = title.strip()
    if not t or (not printed and _squash(t) == _squash(path.stem)) or _CONTROL.search(t):
        return True
    if _PRODUCER.search(t) or _GENERIC.match(t) or _MARKS.search(t) or _DESIGN_FILE.search(t):
        return True
    return not _MEANINGFUL.search(t) or (len(_HAN_CHAR.findall(t)) < 3 and len(t) < 5)


def _join(parts: list[str]) -> str:
    """Lines or runs joined as they read: no space between Chinese characters, one otherwise."""
    out = ""
    for p in (p.strip() for p in parts):
        if not p:
            continue
        tight = not out or re.match(f"[{HAN}（(：:]", p[0]) or re.search(f"[{HAN}（(]$", out)
        out += p if tight else " " + p
    return re.sub(r"\s+", " ", out).strip()


def _lines(page) -> list[tuple[float, str]]:
    """(font size on the page, text) of each horizontal line, top to bottom."""
    lines: dict[float, list] = {}

    def visit(text, cm, tm, font, size):
        text = _CONTROL.sub("", text or "")
        if not text.strip():
            return
        a, b, c, d, e, f = tm
        m = (a * cm[0] + b * cm[2], a * cm[1] + b * cm[3], c * cm[0] + d * cm[2], c * cm[1] + d * cm[3],
             e * cm[0] + f * cm[2] + cm[4], e * cm[1] + f * cm[3] + cm[5])
        if abs(m[1]) > abs(m[0]):  # rotated: a margin stamp ("arXiv:2004.04906v3 [cs.CL]"), not a title
            return
        line = lines.setdefault(round(m[5]), [0.0, []])
        line[0] = max(line[0], float(size) * math.hypot(m[2], m[3]))
        line[1].append(text)

    page.extract_text(visitor_text=visit)
    return [(size, _join(parts)) for _, (size, parts) in sorted(lines.items(), key=lambda kv: -kv[0])]


def largest(lines: list[tuple[float, str]], share: float = _LARGE) -> str:
    """Of (size, text) lines top to bottom, the line(s) in the largest type when they could be a
    title: at most a few lines; "" when none stand out."""
    lines = [(s, t.strip()) for s, t in lines if len(_MEANINGFUL.findall(t)) >= 2 and not _CONTENTS.search(t)]
    if not lines:
        return ""
    top = max(s for s, _ in lines)
    big = list(dict.fromkeys(t for s, t in lines if s >= share * top))  # a title drawn twice counts once
    if len(big) > MAX_TITLE_LINES:
        return ""
    while len(big) > 1 and len(_join(big)) > MAX_TITLE_CHARS:  # a title and a subtitle: the title
        big.pop()
    title = _join(big)
    return title if len(title) <= MAX_TITLE_CHARS else ""


def _first_line(texts: list[str]) -> str:
    """The first line of the page texts that reads like a title: short, mostly letters."""
    for text in texts:
        for line in text.split("\n"):
            line = line.strip()
            letters = len(_MEANINGFUL.findall(line))
            if 4 <= len(line) <= MAX_FIRST_LINE and letters >= 4 and letters >= 0.6 * len(line.replace(" ", "")) \
                    and not _CONTENTS.search(line) and not _SENTENCE.search(line):
                return line
    return ""


def choose(metadata: str, path: Path, reader, pages: list) -> str:
    """The metadata title when it says something; else the largest-font lines of the first pages
    with a text layer; else the first line of their stored text (OCR's too); else the metadata
    title cut of its producer's marks; else the file name. ``pages``: extract.Page, in order."""
    metadata = re.sub(r"\s+", " ", metadata).strip()
    if not is_junk(metadata, path):
        return metadata
    for page, stored in zip(reader.pages, pages[:TITLE_PAGES]):
        if stored.status == "ocr":  # an image: OCR measured its lines' height
            found = stored.heading
        elif stored.status == "text":  # (a garbled page's fonts say nothing)
            try:
                found = largest(_lines(page))
            except Exception:  # a page pypdf cannot walk has no title to give
                found = ""
        else:
            continue
        if found and not is_junk(found, path, printed=True) and not _SENTENCE.search(found):
            return found
    found = _first_line([p.text for p in pages[:TITLE_PAGES]])
    if found and not is_junk(found, path, printed=True):
        return found
    cut = re.sub(r"^microsoft (?:word|powerpoint|excel)\s*-\s*|\.(?:docx?|pptx?|xlsx?|indd|pdf)$", "", metadata, flags=re.I)
    return cut.strip() if cut.strip() and not is_junk(cut, path) else path.stem
