"""A page's answer pieces: each of its sentences, or a sentence joined with the ones it runs
into. They depend on the page alone, so a build can embed them ahead of the questions (a piece
that is a chunk's whole text keeps the chunk's vector: the same model); which of them answers
a question is the search package's choice."""

from __future__ import annotations

import re

from .chunk import sentence_spans

# A sentence runs into the next when it ends on a clause mark or with no end mark at all (a line
# break split it), or when the next one points back at it ("这在…中发生过", "This is…").
_RUNS_ON = re.compile(r"(?:[:：;；,，、]|[^。！？!?.…\"'”’)）」』】\]])\s*$")
_POINTS_BACK = re.compile(r"^(?:这|该|其|此|上述|以上|前者|后者|它|分别|其中|包括|即|例如|比如"
                          r"|(?:It|This|These|That|Those|They|Such|Its|Their|Both|Each|Including|Namely)\b)")
SHORT = 12  # characters: a heading or fragment, shown with what follows
JOINED = 3  # sentences a piece may join: a heading, its sentence, one that points back to it
MIN_CHARS = 6  # shorter "sentences" (a page number, a stray mark) are no part of any piece
# An abbreviation's stop before a figure ends no sentence ("the unit No. 8 transformer", "65.2%
# vs. 42.9%", "Fig. 3 shows"). Chunks are cut there all the same (chunk.sentence_spans), as the
# KBs built so far are; they overlap by a sentence, but an answer must not start "8 transformer".
# "No." stands for "number" only capitalised and after a word; alone it may be an answer.
_ABBREVIATION = re.compile(r"(?:^|[\s(（\[])(?:nos|figs?|vs|pp?|vol|sec|eq|art|approx|ch|para|tab|ref)\.$"
                           r"|[\s(（\[](?-i:No|NO)\.$", re.I)


def sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the page's sentences that pieces are made of."""
    spans: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        if spans and text[a].isdigit() and _ABBREVIATION.search(text[spans[-1][0]:spans[-1][1]]):
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return [s for s in spans if s[1] - s[0] >= MIN_CHARS]


def pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first, last) indexes into ``spans`` of each piece, in page order: a sentence alone
    unless it runs into the next, and joined with up to JOINED - 1 following ones where it does."""
    def needs_next(j: int) -> bool:  # a clause that runs on, a heading, or what the next points back to
        if j + 1 >= len(spans):
            return False
        piece = text[spans[j][0]:spans[j][1]]
        return (_RUNS_ON.search(piece) is not None or len(piece) < SHORT
                or _POINTS_BACK.match(text[spans[j + 1][0]:spans[j + 1][1]]) is not None)

    out = []
    for i in range(len(spans)):
        if not needs_next(i):
            out.append((i, i))
        j = i
        while needs_next(j) and j - i < JOINED - 1:
            j += 1
        if j > i:
            out.append((i, j))
    return out


def piece_texts(text: str) -> list[str]:
    """The text of every piece of the page."""
    spans = sentences(text)
    return [text[spans[i][0]:spans[j][1]] for i, j in pieces(text, spans)]
