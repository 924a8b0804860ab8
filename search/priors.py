"""What a chunk's shape says about it as an answer, whatever the question: covers, slogans
and section titles are short and match everything a little; a table of contents repeats
every section's title, and a list of references every cited title, and neither answers."""

from __future__ import annotations

import re

# A chunk shorter than SHORT_SHARE of the KB's median chunk keeps (length / that) **
# SHORT_GAMMA of its lead over the lowest candidate.
SHORT_SHARE, SHORT_GAMMA = 0.75, 1.0
# A chunk whose dot leaders ("第二章 ......... 12", ". . . . 11") fill LEADER_SHARE of it or
# more is a contents page: it keeps LEADER_KEEP of its lead.
LEADER_SHARE, LEADER_KEEP = 0.15, 0.3

_LEADERS = re.compile(r"[.…·]{4,}|(?:\. ){3,}")
# A line of a reference list: it starts with its number ("[12] ", "参考文献[1]") or is a
# link, and holds what citations hold: a document type ("[J]", "[EB/OL]"), a link, pages,
# proceedings, a DOI or a year. A chunk keeps 1 - the share of its text in such lines of
# its lead, and at least LEADER_KEEP: pypdf puts a page's footnotes into its text, so a
# chunk is often part answer, part references.
_REFERENCE_START = re.compile(r"^\s*(?:参考文献|references?)?\s*\[\d{1,3}\]|^\s*https?://", re.I)
_CITATION = re.compile(r"\[(?:J|R|M|C|D|N|OL|EB/OL|Z|S|P|A|G|DB|CP)\]|https?://|www\.|\bpp\.|\bproceedings\b"
                       r"|\bdoi\b|\bvol\.|\b(?:19|20)\d\d\b", re.I)


def length_prior(chars: int, short: float) -> float:
    return min(1.0, chars / short) ** SHORT_GAMMA if short > 0 else 1.0


def contents_prior(text: str) -> float:
    leaders = sum(len(m) for m in _LEADERS.findall(text))
    return LEADER_KEEP if text and leaders >= LEADER_SHARE * len(text) else 1.0


def references_prior(text: str) -> float:
    """1 - the share of the text in reference-list lines, and at least LEADER_KEEP."""
    cited = sum(len(line) for line in text.split("\n") if _REFERENCE_START.match(line) and _CITATION.search(line))
    return max(LEADER_KEEP, 1.0 - cited / len(text)) if text else 1.0


def prior(text: str, short: float) -> float:
    """The share of its lead over the lowest candidate a chunk keeps (1 for most)."""
    return length_prior(len(text), short) * contents_prior(text) * references_prior(text)
