"""Question -> the best passages of the KB, at most one per page, with scores; and the one
core call, ``Searcher.ask``, that the CLI, the prompt, eval and bench/ use to answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..ingest.cache import stored_sentences
from ..ingest.clean import normalise_chars
from ..ingest.embed import Embedder, resolve_model
from ..ingest.errors import WpkbError
from ..ingest.kb import KB
from ..ingest.manifest import check_terms, read_manifest
from ..ingest.rows import DocRow
from ..ingest.names import kinds
from ..ingest.terms import index_term, words
from .asks import content_words
from .dense import nearest
from .fusion import best_of, best_per_page, fuse
from .lexical import Lexical, bm25_query, bm25_scores
from .names import ReportNames
from .priors import prior
from .settings import DEFAULT, Settings
from .translate import translations

MODES = ("hybrid", "dense", "bm25")
MAX_QUESTION_CHARS = 2_000  # a question, not a pasted document: tokenising 200k characters took minutes
# A title in 《》 (a law, a book, a report) names one thing: its words count as one BM25 term
# (their best in a chunk), as a word's translations do (docs/retrieval.md).
_TITLE = re.compile(r"《([^《》]+)》")


@dataclass(frozen=True)
class Query:
    """A question as retrieval saw it: its vector, its words and their index terms, and each
    word's dictionary translations in the index (which the answer sentences are scored by too)."""

    text: str
    vector: np.ndarray
    words: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # index_term of each word
    translations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (word or word pair, index terms)
    named: frozenset[str] = frozenset()  # name terms of the one report the question names clearly
    named_report: int | None = None  # that report's id
    titles: tuple[tuple[str, ...], ...] = ()  # index terms of each 《title》 the question quotes


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    doc_id: int
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
    same_text_pages: tuple[int, ...] = ()  # other pages of the report with this text
    title: str = ""  # the report's title (ingest/titles.py)

    def as_dict(self) -> dict:
        return {"doc": self.doc, "title": self.title, "page": self.page, "label": self.label, "ocr": self.ocr,
                "score": round(self.score, 4), "similarity": round(self.similarity, 4),
                "same_text_pages": list(self.same_text_pages),
                "text": self.text, "offsets": [self.char_start, self.char_end]}


class Searcher:
    """Holds the KB and the question encoder; one instance answers many questions."""

    def __init__(self, kb_dir: Path, model: str | None = None, settings: Settings = DEFAULT):
        self.settings = settings
        self.dir = kb_dir
        self.kb = self._open_generation()
        m = self.kb.manifest
        ref = resolve_model(model if model is not None else m.model_name)
        if ref.id != m.model_id:
            raise WpkbError(f"the knowledge base in {kb_dir} was built with model {m.model_id}, "
                            f"but the model now resolves to {ref.id}; rebuild with `wpkb build --full`")
        self.embedder = Embedder(ref)
        self.embedder.stored = stored_sentences(kb_dir, ref.id, m.dim)
        self._names: ReportNames | None = None

    def _open_generation(self) -> KB:
        """The last commit with all its segment files open at once, so a build that commits
        while the model loads cannot take them away (open files outlive their deletion); one
        retry when a merge removed them between reading the commit and opening them."""
        try:
            return self._load(KB.open(self.dir))
        except WpkbError:
            return self._load(KB.open(self.dir))

    def _load(self, kb: KB) -> KB:
        try:
            check_terms(kb.manifest, self.dir)
            kb.index()
            self._lexical = Lexical(kb.bm25(), kb.deleted())
        except BaseException:
            kb.close()
            raise
        return kb

    def refresh(self) -> int | None:
        """Move to the newest committed generation if a build committed since; its number, or None."""
        m = read_manifest(self.dir)
        if m is None or m.generation == self.kb.manifest.generation:
            return None
        if m.model_id != self.kb.manifest.model_id:
            raise WpkbError(f"the knowledge base in {self.dir} was rebuilt with model {m.model_id}; "
                            "start `wpkb ask` again")
        new = self._open_generation()
        self.kb.close()
        self.kb, self._names = new, None
        if self.embedder.stored is None:  # a build with --sentence-vectors since
            self.embedder.stored = stored_sentences(self.dir, m.model_id, m.dim)
        return new.manifest.generation

    def close(self) -> None:
        self.kb.close()
        if self.embedder.stored is not None:
            self.embedder.stored.close()

    def document(self, name: str) -> DocRow:
        return self.kb.find_document(name)

    def warm(self) -> None:
        """Load everything a question needs now, so the first answer is as quick as the rest."""
        self.ask("warm up", k=1)

    def ask(self, question: str, k: int = 5, doc: str | None = None, mode: str = "hybrid"):
        """The answer: the sentences that answer, whether to trust them, and the top-k passages
        (with any other a sentence comes from). The sentences are chosen from the top
        ``answer_pages`` pages whatever k is, so -k changes what is listed, not the answer."""
        from .answer import answer

        query, passages = self.search(question, k=max(k, self.settings.answer_pages), doc=doc, mode=mode)
        pages = {(p.doc_id, p.page): self.kb.page_text(p.doc_id, p.page)
                 for p in passages[:self.settings.answer_pages]}
        ans = answer(query, passages, pages, self.lexical(), self.embedder, mode, self.settings)
        return replace(ans, k=k)

    def lexical(self) -> Lexical:
        return self._lexical

    def search(self, question: str, k: int = 5, doc: str | None = None,
               mode: str = "hybrid") -> tuple[Query, tuple[Passage, ...]]:
        """The question as a Query, and its top-k passages, the best chunk of each page."""
        if not question.strip():
            raise WpkbError("the question is empty; ask something, e.g. `wpkb ask \"What is AI marketing?\"`")
        if k < 1:
            raise WpkbError("-k must be at least 1")
        if mode not in MODES:
            raise WpkbError(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
        if len(question) > MAX_QUESTION_CHARS:
            raise WpkbError(f"the question has {len(question):,} characters; ask in at most {MAX_QUESTION_CHARS:,} "
                            "(a question, not a document)")
        allowed = self.kb.chunk_ids(self.document(doc).id) if doc else None
        cfg = self.settings
        pool = max(cfg.pool, k * cfg.candidates_per_result)
        lex = self.lexical()
        asked = content_words(words(question))
        translated = translations(asked, lex, cfg.translations_per_word)
        groups = [g for _, g in translated if g]
        own = [index_term(w) for w in asked]
        # the question and its dictionary translation in one encoder call
        embedded = [w for g in groups for w in g[:cfg.translations_embedded]] if mode == "hybrid" else []
        vecs = self.embedder.queries([normalise_chars(question)] + ([" ".join(embedded)] if embedded else []))
        qvec, qvec2 = vecs[0], (vecs[1] if embedded else None)
        query = Query(question, qvec, tuple(asked), tuple(own),
                      tuple((w, tuple(index_term(t) for t in g)) for w, g in translated if g))
        if mode == "dense":
            fused = dict(nearest(self.kb.index(), qvec, pool, self.kb.deleted(), allowed))
        else:
            alternatives = [[index_term(w) for w in g] for g in groups]
            asked_names = set(own).union(*alternatives, kinds(question))  # kinds: BM25 leaves them out
            named = self.report_names().coverage(asked_names) if mode == "hybrid" else {}
            claimant = self.report_names().claimant(named, cfg.name_claim) if named else None
            claimed = self.report_names().names[claimant] if claimant is not None else set()
            query = replace(query, named=frozenset(claimed), named_report=claimant)
            titles = [[index_term(w) for w in words(t)] for t in _TITLE.findall(question)]
            query = replace(query, titles=tuple(tuple(t) for t in titles))
            bm25 = bm25_scores(lex, *bm25_query(own, alternatives, claimed, titles), allowed)
            lexical = best_of(lex.ids, bm25, pool)
            dense, basis = self._dense(qvec, qvec2, lexical, pool, allowed) if mode == "hybrid" else ({}, set())
            if dense:
                # every candidate with its own BM25 score: one the dense side found just past
                # BM25's pool would otherwise count as a 0 there, and -k (which widens the
                # pool) would decide whether it can win
                lexical = lex.scores_of(list(dense), bm25)
            fused = fuse(dense, lexical, mode, basis, cfg)
        rows = self.kb.chunks(list(fused))
        if mode == "hybrid" and fused:
            short = cfg.short_share * self.kb.manifest.stats.get("median_chunk_chars", 0)
            floor = min(fused[c] for c in basis)
            fused = {cid: floor + (s - floor) * prior(rows[cid].text, short, cfg)
                     + cfg.name_weight * named.get(rows[cid].doc_id, 0.0)
                     for cid, s in fused.items()}
        ranked, same_pages = best_per_page(fused, rows)
        chosen = ranked[:k]
        cosines = self.kb.vectors([cid for cid, _ in chosen]) @ qvec if chosen else []
        passages = []
        for i, ((cid, score), cos) in enumerate(zip(chosen, cosines)):
            r = rows[cid]
            lead = score - (ranked[i + 1][1] if i + 1 < len(ranked) else min(score, 0.0))
            passages.append(Passage(cid, r.doc_id, r.doc_path, r.page, r.label, score, r.text, r.char_start, r.char_end,
                                    ocr=r.page_status == "ocr", similarity=float(cos), lead=lead,
                                    same_text_pages=tuple(same_pages.get(cid, ())), title=r.doc_title))
        return query, tuple(passages)

    def report_names(self) -> ReportNames:
        if self._names is None:
            self._names = ReportNames(self.kb.name_terms())
        return self._names

    def _dense(self, qvec: np.ndarray, qvec2: np.ndarray | None, lexical: dict[int, float], pool: int,
               allowed: np.ndarray | None) -> tuple[dict[int, float], set[int]]:
        """The dense score of every candidate (nearest to the question or to its translation,
        or found by BM25, best first), mixing in the translated query's cosine where there is
        one; and the candidates among the first ``pool`` setting of each of those lists."""
        cfg = self.settings
        index, deleted = self.kb.index(), self.kb.deleted()
        found = [[cid for cid, _ in nearest(index, qvec, pool, deleted, allowed)], list(lexical)]
        if qvec2 is not None:
            found.append([cid for cid, _ in nearest(index, qvec2, pool, deleted, allowed)])
        ids_list = sorted({cid for ids in found for cid in ids})
        if not ids_list:
            return {}, set()
        vecs = self.kb.vectors(ids_list)
        scores = vecs @ qvec
        if qvec2 is not None:
            scores = (1 - cfg.translation_mix) * scores + cfg.translation_mix * (vecs @ qvec2)
        return dict(zip(ids_list, scores.tolist())), {cid for ids in found for cid in ids[:cfg.pool]}
