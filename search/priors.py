"""What a chunk's shape says about it as an answer, whatever the question: covers, slogans
and section titles are short and match everything a little; a table of contents repeats
every section's title, and a list of references every cited title, and neither answers."""

from __future__ import annotations

import re

from .settings import DEFAULT, Settings

# Contents pages: dot leaders ("第二章 ......... 12", ". . . . 11").
_LEADERS = re.compile(r"[.…·]{4,}|(?:\. ){3,}")
# A line of a reference list: it starts with its number ("[12] ", "参考文献[1]") or is a
# link, and holds what citations hold: a document type ("[J]", "[EB/OL]"), a link, pages,
# proceedings, a DOI or a year. A chunk keeps 1 - the share of its text in such lines of
# its lead, and at least settings.leader_keep: pypdf puts a page's footnotes into its text, so a
# chunk is often part answer, part references.
_REFERENCE_START = re.compile(r"^\s*(?:参考文献|references?)?\s*\[\d{1,3}\]|^\s*https?://", re.I)
_CITATION = re.compile(r"\[(?:J|R|M|C|D|N|OL|EB/OL|Z|S|P|A|G|DB|CP)\]|https?://|www\.|\bpp\.|\bproceedings\b"
                       r"|\bdoi\b|\bvol\.|\b(?:19|20)\d\d\b", re.I)


# A line that opens a list of links or references ("参考链接. 理解 LLM 幻觉: Towards Data
# Science . …"): its entries are titles of other documents.
_REFERENCE_HEADING = re.compile(r"^\s*(?:参考链接|参考文献|参考资料|相关链接|references?|reference links|bibliography)\b", re.I)


# A figure's or table's source line ("数据来源:中国信息通信研究院图 2 …", "Source: IDC"): it names
# who published the data, and the caption it runs into names what is drawn, not what it shows.
_SOURCE = re.compile(r"^\s*\d{0,3}\s*(?:数据来源|资料来源|来源|sources?)\s*[:：]", re.I)
_CAPTION = re.compile(r"(?:图|表|figure|fig\.|table|exhibit|chart)\s*[A-Z]?\d", re.I)
_ENDS = re.compile(r"[。！？.!?][\"'”’)）」』]*\s*$")  # a sentence's end, closing quotes after it
# Numbered headings ("第一,品牌存在普遍的“AI 焦虑”第二,品牌要找到…"), two or more run together with
# no sentence end: a section's points named as headings; the sentences under them state them.
_HEADING_MARK = re.compile(r"第[一二三四五六七八九十]+[,，、:：]")


def source_line(sentence: str) -> bool:
    """Whether a sentence is a source line: the mark, then a caption or a bare attribution. A
    sentence that starts so and ends as a sentence ("数据来源:包括用户提供的数据…。") may be about
    where data come from."""
    return _SOURCE.match(sentence) is not None and (_CAPTION.search(sentence) is not None
                                                    or _ENDS.search(sentence) is None)


def heading_run(sentence: str) -> bool:
    """Whether a sentence is two or more numbered headings run together (it states nothing)."""
    return len(_HEADING_MARK.findall(sentence)) >= 2 and _ENDS.search(sentence) is None


def reference_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text's lines that are reference-list entries or open such a list."""
    spans, at = [], 0
    for line in text.split("\n"):
        if _REFERENCE_HEADING.match(line) or (_REFERENCE_START.match(line) and _CITATION.search(line)):
            spans.append((at, at + len(line)))
        at += len(line) + 1
    return spans


def length_prior(chars: int, short: float, settings: Settings = DEFAULT) -> float:
    """A chunk shorter than ``short`` (a share of the KB's median chunk) keeps (length / short) ** gamma."""
    return min(1.0, chars / short) ** settings.short_gamma if short > 0 else 1.0


def contents_prior(text: str, settings: Settings = DEFAULT) -> float:
    leaders = sum(len(m) for m in _LEADERS.findall(text))
    return settings.leader_keep if text and leaders >= settings.leader_share * len(text) else 1.0


def references_prior(text: str, settings: Settings = DEFAULT) -> float:
    """1 - the share of the text in reference-list lines, and at least ``leader_keep``."""
    cited = sum(len(line) for line in text.split("\n") if _REFERENCE_START.match(line) and _CITATION.search(line))
    return max(settings.leader_keep, 1.0 - cited / len(text)) if text else 1.0


def prior(text: str, short: float, settings: Settings = DEFAULT) -> float:
    """The share of its lead over the lowest candidate a chunk keeps (1 for most)."""
    return (length_prior(len(text), short, settings) * contents_prior(text, settings)
            * references_prior(text, settings))
