"""What a chunk's shape says about it as an answer, whatever the question: covers, slogans
and section titles are short and match everything a little; a table of contents repeats
every section's title and answers nothing."""

from __future__ import annotations

import re

# A chunk shorter than SHORT_SHARE of the KB's median chunk keeps (length / that) **
# SHORT_GAMMA of its lead over the lowest candidate.
SHORT_SHARE, SHORT_GAMMA = 0.75, 1.0
# A chunk whose dot leaders ("第二章 ......... 12", ". . . . 11") fill LEADER_SHARE of it or
# more is a contents page: it keeps LEADER_KEEP of its lead.
LEADER_SHARE, LEADER_KEEP = 0.15, 0.3

_LEADERS = re.compile(r"[.…·]{4,}|(?:\. ){3,}")


def length_prior(chars: int, short: float) -> float:
    return min(1.0, chars / short) ** SHORT_GAMMA if short > 0 else 1.0


def contents_prior(text: str) -> float:
    leaders = sum(len(m) for m in _LEADERS.findall(text))
    return LEADER_KEEP if text and leaders >= LEADER_SHARE * len(text) else 1.0


def prior(text: str, short: float) -> float:
    """The share of its lead over the lowest candidate a chunk keeps (1 for most)."""
    return length_prior(len(text), short) * contents_prior(text)
