"""Split page text into sentences and pack them into overlapping chunks, keeping offsets."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .clean import HAN
from .terms import VERSION as TERMS_VERSION

# A sentence ends at Chinese or English end punctuation (with any closing quotes or
# brackets), or at a kept line break. A "." ends one only before a space, a line
# break, a CJK character or the end, so "3.5" and "e5.c" stay whole.
_END = re.compile(
    rf"(?:[。！？!?；;…]+|\.(?=\s|$|[{HAN}]))[\"'”’)）」』】]*\s*|\n+"
)


@dataclass(frozen=True)
class ChunkSettings:
    size: int = 400  # target characters per chunk
    overlap: int = 1  # sentences repeated from the end of the previous chunk

    def as_dict(self) -> dict:
        return {**asdict(self), "terms": TERMS_VERSION}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _END.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _split_long(text: str, a: int, b: int, size: int) -> list[tuple[int, int]]:
    """Cut a run-on 'sentence' (a flattened table, a list) into pieces of at most size."""
    pieces = (_trim(text, s, min(s + size, b)) for s in range(a, b, size))
    return [p for p in pieces if p[1] > p[0]]


def chunk_spans(text: str, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Offsets of the chunks of one page's text."""
    sentences: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        sentences.extend(_split_long(text, a, b, settings.size) if b - a > settings.size else [(a, b)])
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= settings.size:
            j += 1
        chunks.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        i = max(j + 1 - settings.overlap, i + 1)
    return chunks
