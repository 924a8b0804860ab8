"""Find running headers and footers: lines repeated at the top or bottom of many pages."""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

EDGE_LINES = 2  # a running header/footer sits within the first or last two lines of a page
MIN_PAGES = 4  # below this a repeat is as likely content as layout
MIN_SHARE = 0.4  # share of pages a line must repeat on
SIMILAR = 0.8  # OCR misreads a letter or two of a running line ("Prlvacy", "Clsco"): still the same line
SIMILAR_MIN = 8  # ... for keys this long; shorter ones are alike by chance

# what tells two printings of a running line apart: page numbers, the rules and brackets
# around them ("》13 Report", "Report 14《"), spacing and case
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)


def _key(line: str) -> str:
    """A line's letters; for a line without any ("10.", "- 3 -"), its shape with digits masked."""
    return _NOT_LETTERS.sub("", line.lower()) or _DIGITS.sub("#", line.strip())


def _edges(lines: list[str]) -> list[tuple[int, str]]:
    n = len(lines)
    idx = sorted(set(range(min(EDGE_LINES, n))) | set(range(max(0, n - EDGE_LINES), n)))
    return [(i, lines[i]) for i in idx]


def _alike(key: str, other: str) -> bool:
    """The same line, or one OCR read a little differently."""
    return key == other or (min(len(key), len(other)) >= SIMILAR_MIN
                            and SequenceMatcher(None, key, other, autojunk=False).ratio() >= SIMILAR)


def running_lines(pages: list[list[str]], misread: bool = False) -> set[str]:
    """Keys (their letters only) of lines that repeat at the page edges on enough pages. Of OCR'd
    pages (``misread``), a line read slightly differently counts as a repeat; of a text layer,
    where such a line is content (a chapter's title beside its running header), it does not."""
    non_empty = sum(1 for p in pages if p)
    if non_empty < MIN_PAGES:
        return set()
    edge_keys = [{_key(line) for _, line in _edges(lines)} - {""} for lines in pages]
    counts = Counter(k for keys in edge_keys for k in keys)
    need = max(3, MIN_SHARE * non_empty)
    running = {key for key, n in counts.items() if n >= need}
    for key, n in counts.items() if misread else ():  # read alike at least twice, and misread elsewhere?
        if 2 <= n < need and len(key) >= SIMILAR_MIN and not any(_alike(key, r) for r in running):
            if sum(1 for keys in edge_keys if any(_alike(key, k) for k in keys)) >= need:
                running.add(key)
    return running


def strip_running_lines(lines: list[str], running: set[str], misread: bool = False) -> tuple[list[str], list[str]]:
    """Drop running lines (of OCR'd pages, lines misread from one too) and bare page numbers at
    the page edges; return (kept, removed)."""
    def running_line(line: str) -> bool:
        key = _key(line)
        return key in running or (misread and any(_alike(key, r) for r in running))

    drop = {i for i, line in _edges(lines) if _PAGE_NUMBER.match(line) or running_line(line)}
    kept = [line for i, line in enumerate(lines) if i not in drop]
    removed = [line for i, line in enumerate(lines) if i in drop]
    return kept, removed


def remove_running_lines(pages: list[list[str]], misread: bool = False) -> tuple[list[list[str]], int]:
    """Each page's lines without the report's running lines and bare page numbers, and how many
    lines went."""
    running = running_lines(pages, misread)
    kept_pages, removed = [], 0
    for lines in pages:
        kept, gone = strip_running_lines(lines, running, misread)
        kept_pages.append(kept)
        removed += len(gone)
    return kept_pages, removed
