"""BM25 scores of a question against a KB's BM25 segments, where a word's translations
(or a title's words) count as one term: their best score in a chunk, not their sum.

The scores are BM25 as Lucene computes it (bm25s's "lucene" method, which wpkb used before
segments), from each segment's term counts and the statistics of all live chunks together:
a chunk scores the same in one segment or in thirty, and a deleted chunk counts nowhere."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..ingest.bm25 import Bm25Segment

K1, B = 1.5, 0.75  # bm25s's defaults, with which the retrieval settings were tuned


def idf(df: int, n: int) -> float:
    """Lucene's BM25 IDF of a term that ``df`` of ``n`` chunks hold (never negative)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class Lexical:
    """Scores over a KB's segments, in one row space: the segments' rows one after another
    (chunk ids increase along it, as segments hold disjoint, ordered id ranges)."""

    def __init__(self, segments: Sequence[Bm25Segment], deleted: np.ndarray):
        self.segments = list(segments)
        sizes = [len(s.ids) for s in self.segments]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.ids = np.concatenate([np.asarray(s.ids) for s in self.segments]) if sizes else np.zeros(0, np.int64)
        self.alive = ~np.isin(self.ids, deleted) if len(deleted) else np.ones(len(self.ids), dtype=bool)
        self.n_chunks = int(self.alive.sum())
        lengths = np.concatenate([np.asarray(s.lengths) for s in self.segments]) if sizes else np.zeros(0)
        self.lengths = lengths.astype(np.float64)
        self.avg_length = float(self.lengths[self.alive].mean()) if self.n_chunks else 1.0
        self.total_length = float(self.lengths[self.alive].sum())  # indexed words of the live chunks

    def _column(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, counts) of the live chunks that hold the term, over all segments."""
        rows, counts = [], []
        for seg, offset in zip(self.segments, self.offsets):
            col = seg.column(term)
            if col is not None:
                rows.append(np.asarray(col[0], dtype=np.int64) + offset)
                counts.append(col[1])
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        rows_all, counts_all = np.concatenate(rows), np.concatenate(counts)
        live = self.alive[rows_all]
        return rows_all[live], counts_all[live]

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, BM25 scores) of the chunks that hold the term, None when no live chunk does."""
        rows, counts = self._column(term)
        if not len(rows):
            return None
        tf = counts.astype(np.float64)
        norm = K1 * ((1 - B) + B * self.lengths[rows] / self.avg_length)
        return rows, (idf(len(rows), self.n_chunks) * tf / (norm + tf)).astype(np.float32)

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
        """How many live chunks hold the term."""
        return len(self._column(term)[0])

    def scores(self, terms: list[str], alternatives: Sequence[list[str]] = ()) -> np.ndarray:
        """BM25 score of every chunk (in ``ids`` order) for the query terms, plus, for each
        list of ``alternatives`` (a word's translations), the best score of its terms in
        that chunk: alternatives count as one word however many there are."""
        total = np.zeros(len(self.ids), dtype=np.float32)
        summed = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:  # a term asked twice counts twice, as in bm25s's own scoring
            column = self.column(t)
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
            column = self.column(t)
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
