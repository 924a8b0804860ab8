"""The candidate answer sentences of the top pages, and what each says about the question
without a model: how much of the question it holds (BM25 over the question's words, a word's
translations counting as one), and whether it holds the kind of thing asked for."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..ingest.pieces import pieces, sentences
from ..ingest.terms import index_term, tokenize
from .asks import asks_several, counted, counts, offered, type_match
from .commonness import chance_held, names_a_thing
from .lexical import idf
from .priors import heading_run, reference_lines, source_line
from .retrieve import Passage, Query
from .settings import Settings

_QUESTION = re.compile(r"[?？][\"'”’」』)）]*\s*$")  # an FAQ's heading asks (a quote may close it); it never answers


@dataclass(frozen=True)
class Candidate:
    ref: int  # 1-based number of the passage whose page holds it
    start: int  # offsets in that page's text
    end: int
    text: str
    bm25: float  # of the question's words, as a share of the most a sentence could score
    kind: float  # share of the kinds of thing asked (number, date, ...) that it holds


@dataclass(frozen=True)
class Weights:
    """IDF of each of the question's words (or its translations) in the KB."""

    groups: tuple[dict[str, float], ...]
    # per group, how much it counts in the shares: 1, or for a word the KB lacks, the chance
    # that a KB of its size would hold it (commonness.py): lacking 阶段 says little in one report
    counted: tuple[float, ...]
    # per group: no chunk of the KB holds the word or a translation, and it names a thing
    # (commonness.names_a_thing), not a paraphrase's verb
    telling: tuple[bool, ...]

    @property
    def total(self) -> float:
        return sum(max(g.values()) * c for g, c in zip(self.groups, self.counted)) or 1.0


def weights(query: Query, doc_freq, n_chunks: int, kb_words: float) -> Weights:
    """One group per question word: the word's index term and its translations, each with its IDF
    in a KB of ``n_chunks`` chunks and ``kb_words`` indexed words.
    An English word pair's translation ("market share" -> 市场份额) joins both words' groups.
    The words that name the report the question is about ("某银行2030年客户调查中…") are left
    out, as retrieval leaves them out of BM25: they chose the report, and in it they favour the
    sentences that repeat its name (a footer, a survey's title) over the one that answers."""
    by_word = dict(query.translations)
    groups: list[tuple[dict[str, int], tuple[str, ...]]] = []  # (doc freq by term, the forms as written)
    seen = set()
    for word, term in zip(query.words, query.terms):
        alts = {term, *by_word.get(word, ())}
        forms = [word, *by_word.get(word, ())]  # as written, for their frequency in general text
        for pair, translated in query.translations:
            if " " in pair and word in pair.split():
                alts.update(translated)
                forms.extend(translated)
        key = frozenset(alts)
        if key not in seen:
            seen.add(key)
            groups.append(({a: doc_freq(a) for a in alts}, tuple(forms)))
    for title in query.titles:  # a quoted title's words are one word, as in retrieval's BM25
        inside = [(g, f) for g, f in groups if set(g) & set(title)]
        if len(inside) > 1:
            merged = ({t: df for g, _ in inside for t, df in g.items()}, tuple(x for _, f in inside for x in f))
            groups = [gf for gf in groups if gf not in inside] + [merged]
    kept = [(g, f) for g, f in groups if not query.named.intersection(g)] or groups
    lacked = tuple(not any(g.values()) for g, _ in kept)
    return Weights(tuple({t: idf(df, n_chunks) for t, df in g.items()} for g, _ in kept),
                   tuple(chance_held(f, kb_words) if lack else 1.0 for (_, f), lack in zip(kept, lacked)),
                   tuple(lack and any(names_a_thing(x) for x in f) for (_, f), lack in zip(kept, lacked)))


def bm25(w: Weights, terms: list[str], avg_len: float, k1: float, b: float) -> float:
    """BM25 of a sentence's terms for the question's groups (each group scores its best term)."""
    counts, length = Counter(terms), len(terms)
    score = 0.0
    for group in w.groups:
        score += max((weight * counts[t] * (k1 + 1) / (counts[t] + k1 * (1 - b + b * length / avg_len))
                      for t, weight in group.items() if counts[t]), default=0.0)
    return score / w.total


def units(query: Query) -> tuple[str, ...]:
    """What a "how many" question counts, as the index has it and in the dictionary's other
    language: ("farmer", "农民", ...) for "How many farmers took part"; empty for other questions."""
    noun = counted(query.text)
    if noun is None:
        return ()
    return (index_term(noun), *dict(query.translations).get(noun, ()))


def kind_share(asks: frozenset[str], counted_units: tuple[str, ...], sentence: str) -> float:
    """The share of what the question asks for that the sentence holds: each kind of thing
    (number, date…) and, for a "how many X" question, a figure that counts X."""
    share = type_match(asks, offered(sentence, asks))
    if not counted_units:
        return share
    n = len(asks) or 1
    return (share * n + float(counts(sentence, counted_units))) / (n + 1)


def page_text(pages: dict[tuple[int, int], str], p: Passage) -> str:
    """The whole text of a passage's page, or the passage's own where the page was not fetched."""
    return pages.get((p.doc_id, p.page), p.text)


def candidates(query: Query, passages: tuple[Passage, ...], pages: dict[tuple[int, int], str], w: Weights,
               asks: frozenset[str], settings: Settings) -> tuple[list[Candidate], dict[int, set[str]]]:
    """Every sentence of the top pages' text (the answer often sits beside the retrieved chunk),
    and a sentence joined with the next where it runs into it; and each page's terms, by ref."""
    spans_of: list[tuple[int, str, list[tuple[int, int]], list[list[str]]]] = []
    for ref, p in enumerate(passages[:settings.answer_pages], 1):
        text = page_text(pages, p)
        spans = sentences(text)
        spans_of.append((ref, text, spans, [tokenize(text[a:b]) for a, b in spans]))
    counted_units = units(query)
    several = asks_several(query.text)  # a list of headings may answer it
    lengths = [len(t) for *_, terms in spans_of for t in terms]
    avg = max(1.0, sum(lengths) / max(1, len(lengths)))
    out = []
    for ref, text, spans, terms in spans_of:
        scores = [bm25(w, t, avg, settings.sentence_k1, settings.sentence_b) for t in terms]
        cited = reference_lines(text)
        for i, j in pieces(text, spans):
            a, first_end = spans[i]
            sentence = text[a:first_end]  # the piece's first sentence says whether it may answer
            if _QUESTION.search(sentence) or source_line(sentence) or any(x <= a < y for x, y in cited):
                continue
            if not several and heading_run(sentence):
                continue
            b = spans[j][1]
            piece = text[a:b]
            out.append(Candidate(ref, a, b, piece, max(scores[i:j + 1]), kind_share(asks, counted_units, piece)))
    return out, {ref: {t for ts in terms for t in ts} for ref, _, _, terms in spans_of}
