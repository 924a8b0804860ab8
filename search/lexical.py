"""BM25 scores of a question against a generation's BM25 index, where a word's translations
(or a title's words) count as one term: their best score in a chunk, not their sum."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ingest.bm25 import Bm25Index


class Lexical:
    """Scores over a loaded ``Bm25Index``; rows are chunks, ``ids`` maps row -> chunk id."""

    def __init__(self, index: Bm25Index):
        self.index = index
        self.ids = index.ids
        self.vocabulary = index.vocabulary

    def scores_of(self, chunk_ids: list[int], scores: np.ndarray) -> dict[int, float]:
        """{chunk id: its entry in ``scores``} (an array in ``ids`` order); 0 for ids not indexed.
        Rows are in chunk-id order, so a row is found by bisection, with no map to build."""
        if not chunk_ids or len(self.ids) == 0:
            return dict.fromkeys(chunk_ids, 0.0)
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        found = self.ids[rows] == wanted
        return {c: float(scores[r]) if ok else 0.0 for c, r, ok in zip(chunk_ids, rows.tolist(), found.tolist())}

    def doc_freq(self, term: str) -> int:
        """How many chunks hold the term."""
        column = self.index.column(term)
        return 0 if column is None else len(column[0])

    def scores(self, terms: list[str], alternatives: Sequence[list[str]] = ()) -> np.ndarray:
        """BM25 score of every chunk (in ``ids`` order) for the query terms, plus, for each
        list of ``alternatives`` (a word's translations), the best score of its terms in
        that chunk: alternatives count as one word however many there are."""
        total = np.zeros(len(self.ids), dtype=np.float32)
        summed = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:  # a term asked twice counts twice, as in bm25s's own scoring
            column = self.index.column(t)
            if column is not None:
                np.add.at(summed, *column)
        total += summed
        for group in alternatives:
            total += self._best(group)
        return total

    def _best(self, terms: list[str]) -> np.ndarray:
        """Per chunk, the highest BM25 score of any one of the terms (0 where none occurs)."""
        best = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:
            column = self.index.column(t)
            if column is not None:
                rows, scores = column
                best[rows] = np.maximum(best[rows], scores)
        return best


def bm25_query(own: list[str], alternatives: list[list[str]], claimed: set[str],
               titles: Sequence[list[str]] = ()) -> tuple[list[str], list[list[str]]]:
    """The BM25 query from the index terms of the question's words and of each word's
    translations (one list of alternatives per word): a claimed report's name terms are
    left out unless nothing else is left, and the terms of each title in the question
    (``titles``) become one list of alternatives."""
    kept = [t for t in own if t not in claimed]
    kept_alternatives = [a for a in ([t for t in g if t not in claimed] for g in alternatives) if a]
    if not (kept or kept_alternatives):
        kept, kept_alternatives = list(own), list(alternatives)
    for title in titles:
        inside = list(dict.fromkeys(t for t in title if t in kept))
        if len(inside) > 1:
            for t in inside:
                kept.remove(t)  # one occurrence: the word may be asked outside the title too
            kept_alternatives.append(inside)
    return kept, kept_alternatives


def bm25_scores(lex: Lexical, terms: list[str], alternatives: list[list[str]],
                allowed: np.ndarray | None) -> np.ndarray:
    """Every chunk's BM25 score (in the BM25 index's order), 0 outside ``allowed``."""
    scores = lex.scores(terms, alternatives)
    return np.where(np.isin(lex.ids, allowed), scores, 0.0) if allowed is not None else scores
