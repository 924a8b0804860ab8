"""Question -> the best passages of the KB, at most one per page, with scores."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.clean import normalise_chars
from ingest.embed import Embedder, resolve_model
from ingest.errors import WpkbError
from ingest.store import KB, ChunkRow, DocRow, Lexical, check_terms
from ingest.terms import index_term, words

from .names import ReportNames, kinds
from .priors import SHORT_SHARE, prior
from .translate import translation_groups

CANDIDATES_PER_RESULT = 4  # chunks fetched per wanted page, since pages collapse
# Candidates taken from each of the dense and the BM25 side; a larger -k takes more, but the
# scores are scaled over these first POOL of each side, so more candidates can only join
# the ranking, never reorder the pages a smaller -k returns.
POOL = 100
# Fusion settings, chosen on the dev set with bench/tune_fusion.py (README, "Retrieval quality").
W_DENSE, W_BM25 = 0.5, 0.5
# A question that names a report ("according to the institute's rail freight index white paper")
# wants that report: a chunk gains NAME_WEIGHT x the share of its report's name (file name
# and title) the question's terms hold (hybrid mode only).
NAME_WEIGHT = 1.0
# When the question names one report clearly (NAME_CLAIM of its name's weight or more, and
# more than any other report's), that share picks the report, and the name's terms leave
# the BM25 query: there they would favour the report's pages that repeat its name (running
# footers, the cover) over the page that answers (hybrid mode only).
NAME_CLAIM = 0.7
# The question's dictionary translations, embedded as a second query, carry an English
# question to Chinese pages (and back) better than the sentence alone; its cosine gets
# this share of the dense score (hybrid mode only; chosen on the dev set, README).
TRANSLATION_MIX = 0.4
# That second query holds each word's first TRANSLATIONS_EMBEDDED translations (the senses
# the corpus uses most); the rest still reach BM25. Embedding takes time by length: all five
# nearly doubled a warm search's p95, for the same figures on the dev set (README).
TRANSLATIONS_EMBEDDED = 2
MODES = ("hybrid", "dense", "bm25")
# A title in 《》 (a law, a book, a report) names one thing: its words count as one BM25 term
# (their best in a chunk), as a word's translations do. Counted one by one, they favoured
# the page that spells the title out in full, where it is introduced, over the page that
# answers and names it once or by its short form (README, "Retrieval quality").
_TITLE = re.compile(r"《([^《》]+)》")


@dataclass
class Passage:
    chunk_id: int
    doc: str  # path relative to the corpus
    page: int
    label: str | None
    score: float
    text: str
    char_start: int  # offsets of the passage in its page's text
    char_end: int
    ocr: bool = False  # the page's text was read by OCR, so it may hold recognition errors
    similarity: float = 0.0  # cosine between the question and this passage
    lead: float = 0.0  # score above the next page's (also when that page is not returned)
    same_text_pages: list[int] = field(default_factory=list)  # other pages of the report with this text
    highlights: list[tuple[int, int]] = field(default_factory=list)  # answer spans in `text`

    def as_dict(self) -> dict:
        return {"doc": self.doc, "page": self.page, "label": self.label, "ocr": self.ocr,
                "score": round(self.score, 4), "similarity": round(self.similarity, 4),
                "same_text_pages": self.same_text_pages,
                "text": self.text, "offsets": [self.char_start, self.char_end],
                "highlights": [list(h) for h in self.highlights]}


class Searcher:
    """Holds the KB and the question encoder; one instance answers many questions."""

    def __init__(self, kb_dir: Path, model: str | None = None):
        self.kb = KB.open(kb_dir)
        m = self.kb.manifest
        ref = resolve_model(model if model is not None else m.model_name)
        if ref.id != m.model_id:
            raise WpkbError(f"the knowledge base in {kb_dir} was built with model {m.model_id}, "
                            f"but the model now resolves to {ref.id}; rebuild with `wpkb build --full`")
        check_terms(m, kb_dir)
        self.embedder = Embedder(ref)
        self._names: ReportNames | None = None

    def close(self) -> None:
        self.kb.close()

    def document(self, name: str) -> DocRow:
        return self.kb.find_document(name)

    def warm(self) -> None:
        """Load everything a question needs now, so the first answer is as quick as the rest."""
        self.search("warm up", k=1)

    def embed_question(self, question: str) -> np.ndarray:
        return self.embedder.queries([normalise_chars(question)])[0]

    def search(self, question: str, k: int = 5, doc: str | None = None,
               mode: str = "hybrid") -> tuple[np.ndarray, list[Passage]]:
        """The question's vector and its top-k passages, the best chunk of each page."""
        if not question.strip():
            raise WpkbError("the question is empty; ask something, e.g. `wpkb ask \"What is AI marketing?\"`")
        if k < 1:
            raise WpkbError("-k must be at least 1")
        if mode not in MODES:
            raise WpkbError(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
        allowed = self.kb.chunk_ids(self.document(doc).id) if doc else None
        qvec = self.embed_question(question)
        pool = max(POOL, k * CANDIDATES_PER_RESULT)
        if mode == "dense":
            fused = dict(self.kb.search(qvec, pool, allowed))
        else:
            lex = self.kb.bm25()
            asked = words(question)
            groups = translation_groups(asked, lex)
            own = [index_term(w) for w in asked]
            alternatives = [[index_term(w) for w in g] for g in groups]
            asked_names = set(own).union(*alternatives, kinds(question))  # kinds: BM25 leaves them out
            named = self.report_names().coverage(asked_names) if mode == "hybrid" else {}
            claimed = self.report_names().claimed(named, NAME_CLAIM) if named else set()
            titles = [[index_term(w) for w in words(t)] for t in _TITLE.findall(question)]
            bm25 = bm25_scores(lex, *bm25_query(own, alternatives, claimed, titles), allowed)
            lexical = best_of(lex.ids, bm25, pool)
            embedded = [w for g in groups for w in g[:TRANSLATIONS_EMBEDDED]]
            dense, basis = self._dense(qvec, embedded, lexical, pool, allowed) if mode == "hybrid" else ({}, set())
            if dense:
                # every candidate with its own BM25 score: one the dense side found just past
                # BM25's pool would otherwise count as a 0 there, and -k (which widens the
                # pool) would decide whether it can win
                lexical = lex.scores_of(list(dense), bm25)
            fused = fuse(dense, lexical, mode, basis)
        rows = self.kb.chunks(list(fused))
        if mode == "hybrid" and fused:
            short = SHORT_SHARE * self.kb.manifest.stats.get("median_chunk_chars", 0)
            floor = min(fused[c] for c in basis)
            fused = {cid: floor + (s - floor) * prior(rows[cid].text, short)
                     + NAME_WEIGHT * named.get(rows[cid].doc_id, 0.0)
                     for cid, s in fused.items()}
        ranked, same_pages = best_per_page(fused, rows)
        chosen = ranked[:k]
        cosines = self.kb.vectors([cid for cid, _ in chosen]) @ qvec if chosen else []
        passages = []
        for i, ((cid, score), cos) in enumerate(zip(chosen, cosines)):
            r = rows[cid]
            lead = score - (ranked[i + 1][1] if i + 1 < len(ranked) else min(score, 0.0))
            passages.append(Passage(cid, r.doc_path, r.page, r.label, score, r.text, r.char_start, r.char_end,
                                    ocr=r.page_status == "ocr", similarity=float(cos), lead=lead,
                                    same_text_pages=same_pages.get(cid, [])))
        return qvec, passages

    def report_names(self) -> ReportNames:
        if self._names is None:
            self._names = ReportNames(self.kb.documents())
        return self._names

    def _dense(self, qvec: np.ndarray, translated: list[str], lexical: dict[int, float], pool: int,
               allowed: np.ndarray | None) -> tuple[dict[int, float], set[int]]:
        """The dense score of every candidate (nearest to the question or to its translation,
        or found by BM25, best first), mixing in the translated query's cosine where there is
        one; and the candidates among the first POOL of each of those lists."""
        found = [[cid for cid, _ in self.kb.search(qvec, pool, allowed)], list(lexical)]
        qvec2 = None
        if translated:
            qvec2 = self.embedder.queries([" ".join(translated)])[0]
            found.append([cid for cid, _ in self.kb.search(qvec2, pool, allowed)])
        ids_list = sorted({cid for ids in found for cid in ids})
        if not ids_list:
            return {}, set()
        vecs = self.kb.vectors(ids_list)
        scores = vecs @ qvec
        if qvec2 is not None:
            scores = (1 - TRANSLATION_MIX) * scores + TRANSLATION_MIX * (vecs @ qvec2)
        return dict(zip(ids_list, scores.tolist())), {cid for ids in found for cid in ids[:POOL]}


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


def best_of(ids: np.ndarray, scores: np.ndarray, n: int) -> dict[int, float]:
    """{chunk id: score} of the n best-scoring chunks, leaving out zeros."""
    top = np.argsort(-scores)[:n]
    return {int(ids[i]): float(scores[i]) for i in top if scores[i] > 0}


def best_per_page(fused: dict[int, float],
                  rows: dict[int, ChunkRow]) -> tuple[list[tuple[int, float]], dict[int, list[int]]]:
    """(chunk id, score) of each page's best chunk, best first; a chunk whose text a better
    page of the same report already holds word for word (a report that repeats its pages)
    is not a page of its own, but listed under that one's id."""
    best: dict[tuple[int, int], tuple[int, float]] = {}  # (report, page) -> its best chunk
    first_page: dict[tuple[int, str], tuple[int, int]] = {}  # (report, text) -> first page with it
    same: dict[int, list[int]] = {}
    for cid, score in sorted(fused.items(), key=lambda t: (-t[1], t[0])):
        r = rows[cid]
        page = (r.doc_id, r.page)
        first = first_page.setdefault((r.doc_id, r.text), page)
        if page in best:
            continue
        if first != page and first in best:
            holder = best[first][0]
            if r.page not in same.setdefault(holder, []):
                same[holder].append(r.page)
            continue
        best[page] = (cid, score)
    return list(best.values()), same


def standardised(values: np.ndarray, basis: np.ndarray | None = None) -> np.ndarray:
    """Values as standard scores over the basis (themselves by default): mean 0, deviation 1."""
    basis = values if basis is None else basis
    sd = float(basis.std())
    return (values - basis.mean()) / (sd if sd > 1e-9 else 1.0)


def fuse(dense: dict[int, float], lexical: dict[int, float], mode: str,
         basis: set[int] | None = None) -> dict[int, float]:
    """BM25 alone, or per candidate W_DENSE x its dense score + W_BM25 x its BM25 score (0
    where BM25 has none), each standardised over the candidates in ``basis`` (all by
    default). A side's best candidate then counts for more when it stands far above the rest
    (one chunk holds the rare words) than when many are close behind it; min-max scaling
    gave every best a 1."""
    if mode == "bm25":
        return lexical
    if not dense:
        return {}
    ids = list(dense)
    in_basis = np.array([basis is None or c in basis for c in ids])
    d = np.array([dense[c] for c in ids], dtype=np.float64)
    b = np.array([lexical.get(c, 0.0) for c in ids], dtype=np.float64)
    fused = W_DENSE * standardised(d, d[in_basis]) + W_BM25 * standardised(b, b[in_basis])
    return dict(zip(ids, fused.tolist()))
