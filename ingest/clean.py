"""Normalise extracted page text: the text that is stored, chunked, embedded and cited."""

from __future__ import annotations

import re
import unicodedata

# The character ranges every module shares, for regex classes ("[" + HAN + "]").
# Han ideographs of the basic planes (unified, extension A, compatibility): what a Chinese
# word is made of for the index and the question.
HAN = "\u3400-\u9fff\uf900-\ufaff"
# CJK text in general: HAN with the supplementary planes, radicals, CJK symbols and
# punctuation, kana, and the fullwidth punctuation NFKC leaves alone.
CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff"
    f"{HAN}\ufe30-\ufe4f\uff5e-\uff65\U00020000-\U0003134f"
)
_CJK_CHAR = f"[{CJK}]"
# ASCII punctuation that NFKC produced from fullwidth forms inside Chinese sentences.
_PUNCT = r"[,.;:!?)\]}%\"'”’、。]"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_CJK_GAP = re.compile(rf"(?<={_CJK_CHAR}) +(?={_CJK_CHAR}|{_PUNCT})")
_PUNCT_GAP = re.compile(rf"(?<={_CJK_CHAR}{_PUNCT}) +(?={_CJK_CHAR})")
_SENTENCE_END = re.compile(r"[。!?！？…:：;；]$|[.!?]['\"”’)]?$")
_IS_CJK = re.compile(_CJK_CHAR)
_WORDISH = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")


_HAN_CHAR = re.compile(f"[{HAN}]")


def is_han(text: str) -> bool:
    """Whether the text starts with a Han ideograph."""
    return bool(text) and _HAN_CHAR.match(text) is not None


def normalise_chars(text: str) -> str:
    """NFKC (Kangxi radicals, ligatures, fullwidth forms), drop control chars, tidy spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _CJK_GAP.sub("", text)
    return _PUNCT_GAP.sub("", text)


def _joined(out: str, line: str) -> str:
    """Two non-empty lines run together as one: words keep a space, a hyphenated word is mended,
    Chinese takes none."""
    if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[0].islower():
        return out[:-1] + line  # "subop-" + "timal"
    if _WORDISH.match(out[-1]) and _WORDISH.match(line[0]):
        return out + " " + line
    if _IS_CJK.match(out[-1]) or _IS_CJK.match(line[0]):
        return out + line
    return out + " " + line


def join_lines(lines: list[str], breaks: bool = True) -> str:
    """Join hard-wrapped lines; keep a line break only after a sentence end (none if not ``breaks``)."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not out:
            out = line
        elif breaks and _SENTENCE_END.search(out):
            out += "\n" + line
        else:
            out = _joined(out, line)
    return out


def one_line(text: str) -> str:
    """A text's lines run together by join_lines' rule, for a sentence shown on one line."""
    return join_lines(text.split("\n"), breaks=False)


# A word split after an fi/fl/ff ligature glyph: "confi guration", "diff erent", "fi ve".
_LIGATURE_SPLIT = re.compile(r"\b([A-Za-z]*(?:ffi|ffl|fi|fl|ff)) ([a-z]+)\b")


def join_ligature_splits(text: str) -> str:
    """Rejoin words split after a ligature, when the joined word is English and the parts are not both words."""
    if not _LIGATURE_SPLIT.search(text):
        return text
    from .cedict import is_english_word

    def fix(m: re.Match) -> str:
        left, right = m.group(1), m.group(2)
        if len(left) >= 3 and is_english_word(left) and is_english_word(right):
            return m.group(0)  # "off site", "staff members": two real words
        return left + right if is_english_word(left + right) else m.group(0)

    return _LIGATURE_SPLIT.sub(fix, text)


def clean_lines(text: str) -> list[str]:
    """Normalised, stripped, non-empty lines of raw page text."""
    lines = (line.strip() for line in normalise_chars(text).split("\n"))
    return [line for line in lines if line]


def clean_page(lines: list[str]) -> str:
    """The stored text of a page from its (header-free) normalised lines."""
    return join_ligature_splits(normalise_chars(join_lines(lines)))
