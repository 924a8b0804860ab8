"""How likely a page's extracted text is garbage from a font without a usable ToUnicode map."""

from __future__ import annotations

# Code points that real report text almost never uses, but mis-mapped CJK fonts produce
# in bulk: private use, CJK extension A, Yi syllables, box drawing and miscellaneous
# symbols and arrows, Armenian, and C0/C1 controls (the one-letter-shifted Latin of such
# fonts comes with control characters in place of spaces).
_SUSPICIOUS = (
    (0x0000, 0x0008), (0x000E, 0x001F), (0x007F, 0x009F),
    (0x0530, 0x058F),
    (0x2190, 0x21FF), (0x2300, 0x23FF), (0x2500, 0x2BFF),
    (0x2E80, 0x2FDF),  # radicals: counted on raw text, before NFKC folds the Kangxi ones
    (0x3400, 0x4DBF),
    (0xA000, 0xA4CF),
    (0xE000, 0xF8FF),
)
GARBLED_SHARE = 0.2  # share of suspicious characters above which a page is not indexed
MIN_CHARS = 20


def _suspicious(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _SUSPICIOUS)


def garbage_share(raw: str) -> float:
    """Share of the non-space characters of raw extracted text that are suspicious."""
    chars = [c for c in raw if c not in " \n\r\t\u3000"]
    if len(chars) < MIN_CHARS:
        return 0.0
    return sum(1 for c in chars if _suspicious(ord(c))) / len(chars)


def is_garbled(raw: str) -> bool:
    return garbage_share(raw) > GARBLED_SHARE
