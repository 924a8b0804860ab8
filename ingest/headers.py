"""Find running headers and footers: lines repeated at the top or bottom of many pages."""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 2  # a running header/footer sits within the first or last two lines of a page
MIN_PAGES = 4  # below this a repeat is as likely content as layout
MIN_SHARE = 0.4  # share of pages a line must repeat on

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)


def _key(line: str) -> str:
    return _DIGITS.sub("#", line.strip().lower())


def _edges(lines: list[str]) -> list[tuple[int, str]]:
    n = len(lines)
    idx = sorted(set(range(min(EDGE_LINES, n))) | set(range(max(0, n - EDGE_LINES), n)))
    return [(i, lines[i]) for i in idx]


def running_lines(pages: list[list[str]]) -> set[str]:
    """Keys (digits masked) of lines that repeat at the page edges on enough pages."""
    non_empty = sum(1 for p in pages if p)
    if non_empty < MIN_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(line) for _, line in _edges(lines)})
    need = max(3, MIN_SHARE * non_empty)
    return {key for key, n in counts.items() if n >= need}


def strip_running_lines(lines: list[str], running: set[str]) -> tuple[list[str], list[str]]:
    """Drop running lines and bare page numbers at the page edges; return (kept, removed)."""
    drop = {i for i, line in _edges(lines) if _key(line) in running or _PAGE_NUMBER.match(line)}
    kept = [line for i, line in enumerate(lines) if i not in drop]
    removed = [line for i, line in enumerate(lines) if i in drop]
    return kept, removed
