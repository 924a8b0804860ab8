"""Pick the sentences of the top pages that answer the question, and say how likely they hold
the answer.

Sentences are scored in two steps. Every sentence of the top pages gets the standard score of
its BM25 (the question's words and their translations) plus a bonus for holding the kind of
thing asked; the best few are then embedded and gain their cosine's standard score. Embedding
only those few keeps a warm answer fast; the rest could not have won.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from ..ingest.clean import HAN
from ..ingest.embed import Embedder
from .asks import asked
from .confidence import Evidence, evidence, probability
from .fusion import standardised
from .retrieve import Passage, Query
from .sentences import Candidate, candidates, page_text, weights
from .settings import DEFAULT, Settings


_HAN = re.compile(f"[{HAN}]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    ref: int  # 1-based number of the passage it comes from
    start: int  # offsets in that passage's text
    end: int
    score: float

    def as_dict(self) -> dict:
        return {"text": self.text, "ref": self.ref, "offsets": [self.start, self.end],
                "score": round(self.score, 4)}


@dataclass(frozen=True)
class Answer:
    question: str
    sentences: tuple[AnswerSentence, ...]
    passages: tuple[Passage, ...]
    confident: bool | None = None  # None: the mode gives no calibrated signal
    confidence: float | None = None  # the probability that the answer sentences hold the answer
    evidence: Evidence | None = None  # what the confidence was computed from
    focus: tuple[tuple[int, int] | None, ...] = ()  # per passage, its best sentence (offsets), for a short view
    k: int | None = None  # passages asked for; None: all of them

    def highlights(self, ref: int) -> list[tuple[int, int]]:
        """The answer spans in passage ``ref`` (1-based), in the order the sentences rank."""
        return [(s.start, s.end) for s in self.sentences if s.ref == ref]

    def listed(self, sentences: tuple[AnswerSentence, ...] | None = None) -> list[tuple[int, Passage]]:
        """(ref, passage) of the first k passages and of any other that one of ``sentences`` (by
        default all the answer's) comes from: a citation always has its passage."""
        cited = {s.ref for s in (self.sentences if sentences is None else sentences)}
        return [(i, p) for i, p in enumerate(self.passages, 1) if self.k is None or i <= self.k or i in cited]

    def as_dict(self) -> dict:
        return {"question": self.question, "confident": self.confident,
                "confidence": None if self.confidence is None else round(self.confidence, 4),
                "answer": [s.as_dict() for s in self.sentences],
                "passages": [dict(p.as_dict(), highlights=[list(h) for h in self.highlights(i)], ref=i)
                             for i, p in self.listed()]}


def cheap_scores(cands: list[Candidate], passages: tuple[Passage, ...], settings: Settings,
                 named_report: int | None = None) -> np.ndarray:
    """Every candidate's score by words and kind alone (standard units), less a step for a
    sentence of another report than the top passage's (retrieval's choice of report is the
    better-informed one), or than the report the question names, when a top page is of it."""
    home = passages[0].doc_id
    if named_report is not None and any(p.doc_id == named_report for p in passages[:settings.answer_pages]):
        home = named_report
    other = np.array([passages[c.ref - 1].doc_id != home for c in cands], dtype=np.float64)
    return (standardised(np.array([c.bm25 for c in cands])) + settings.kind_weight * np.array([c.kind for c in cands])
            - settings.other_report_step * other)


def scored(query: Query, cands: list[Candidate], cheap: np.ndarray, embedder: Embedder,
           settings: Settings) -> list[tuple[float, float, Candidate]]:
    """(score, cosine, candidate) of the candidates worth embedding, best first."""
    keep = np.argsort(-cheap, kind="stable")[:settings.sentences_embedded]
    kept = [cands[i] for i in keep]
    cosines = np.asarray(embedder.passages([c.text for c in kept], light=True) @ query.vector, dtype=np.float64)
    centred = language_centred(cosines, [c.text for c in kept], settings.language_centring)
    final = cheap[keep] + settings.cosine_weight * standardised(centred)
    order = np.argsort(-final, kind="stable")
    return [(float(final[i]), float(cosines[i]), kept[i]) for i in order]


def mostly_chinese(text: str) -> bool:
    return 2 * len(_HAN.findall(text)) > len(_LATIN.findall(text))


def language_centred(cosines: np.ndarray, texts: list[str], share: float) -> np.ndarray:
    """The cosines less ``share`` of how far their language's mean lies from all candidates'
    mean, when both languages are among them: the model gives a sentence in the question's
    language a higher cosine, whatever it says."""
    chinese = np.array([mostly_chinese(t) for t in texts], dtype=bool)
    if not share or chinese.all() or not chinese.any():
        return cosines
    out = cosines.copy()
    for side in (chinese, ~chinese):
        out[side] -= share * (cosines[side].mean() - cosines.mean())
    return out


def _widened(p: Passage, page_text: str, spans: list[tuple[int, int]]) -> Passage:
    """The passage grown to hold its answer sentences (page offsets), so they are cited in place."""
    start = min([p.char_start] + [a for a, _ in spans])
    end = max([p.char_end] + [b for _, b in spans])
    if (start, end) == (p.char_start, p.char_end):
        return p
    return replace(p, text=page_text[start:end], char_start=start, char_end=end)


def answer(query: Query, passages: tuple[Passage, ...], pages: dict[tuple[int, int], str], lexical,
           embedder: Embedder, mode: str = "hybrid", settings: Settings = DEFAULT) -> Answer:
    """The best one to three sentences, each tied to its passage, and the confidence in the first."""
    w = weights(query, lexical.doc_freq, lexical.n_chunks, lexical.total_length)
    asks = asked(query.text)
    cands, page_terms = candidates(query, passages, pages, w, asks, settings)
    hybrid = mode == "hybrid"
    if not cands:
        return Answer(query.text, (), passages, False if hybrid else None, 0.0 if hybrid else None)
    cheap = cheap_scores(cands, passages, settings, query.named_report)
    ranked = scored(query, cands, cheap, embedder, settings)
    best_score = ranked[0][0]
    chosen: list[tuple[float, Candidate]] = []
    for score, _, c in ranked:
        if len(chosen) == settings.max_sentences or score < best_score - settings.margin:
            break
        if not any(o.ref == c.ref and o.start < c.end and c.start < o.end for _, o in chosen):
            chosen.append((score, c))
    spans: dict[int, list[tuple[int, int]]] = {}
    for _, c in chosen:
        spans.setdefault(c.ref, []).append((c.start, c.end))
    widened = tuple(_widened(p, page_text(pages, p), spans[i]) if i in spans else p
                    for i, p in enumerate(passages, 1))
    sentences = tuple(AnswerSentence(c.text, c.ref, c.start - widened[c.ref - 1].char_start,
                                     c.end - widened[c.ref - 1].char_start, score) for score, c in chosen)
    focus = _focus(cands, cheap, widened)
    ev = None
    confidence = None
    if hybrid:
        best = ranked[0]
        margin = best[0] - ranked[1][0] if len(ranked) > 1 else settings.margin
        p = passages[best[2].ref - 1]
        ev = evidence(query.text, best[2], best[1], margin, page_terms[best[2].ref],
                      page_text(pages, p), w, passages[0].similarity, passages[0].lead)
        confidence = probability(ev, settings.confidence_weights, settings.confidence_bias)
    confident = None if confidence is None else confidence >= settings.confident_at
    return Answer(query.text, sentences, widened, confident, confidence, ev, focus)


def _focus(cands: list[Candidate], cheap: np.ndarray, passages: tuple[Passage, ...]) -> tuple:
    """Per passage, the offsets of its best sentence by words and kind (None: no candidate in it)."""
    best: dict[int, tuple[float, Candidate]] = {}
    for score, c in zip(cheap.tolist(), cands):
        p = passages[c.ref - 1]
        if p.char_start <= c.start and c.end <= p.char_end and (c.ref not in best or score > best[c.ref][0]):
            best[c.ref] = (score, c)
    return tuple((best[i][1].start - p.char_start, best[i][1].end - p.char_start) if i in best else None
                 for i, p in enumerate(passages, 1))
