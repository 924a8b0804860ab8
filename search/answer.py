"""Pick the sentences of the top passages that answer the question best, and say whether the
evidence is strong enough to present them as the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..ingest.chunk import sentence_spans
from ..ingest.clean import HAN, is_han, normalise_chars
from ..ingest.embed import Embedder
from .retrieve import Passage
from .settings import DEFAULT, Settings

_TERMS = re.compile(rf"[a-z0-9]+(?:\.[0-9]+)?%?|[{HAN}]")


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

    def highlights(self, ref: int) -> list[tuple[int, int]]:
        """The answer spans in passage ``ref`` (1-based), in the order the sentences rank."""
        return [(s.start, s.end) for s in self.sentences if s.ref == ref]

    def as_dict(self) -> dict:
        return {"question": self.question, "confident": self.confident,
                "answer": [s.as_dict() for s in self.sentences],
                "passages": [dict(p.as_dict(), highlights=[list(h) for h in self.highlights(i)], ref=i)
                             for i, p in enumerate(self.passages, 1)]}


def terms(text: str) -> set[str]:
    """Latin words and numbers, plus Chinese character bigrams."""
    toks = _TERMS.findall(normalise_chars(text).lower())
    out = {t for t in toks if not is_han(t)}
    han = [t for t in toks if is_han(t)]
    out.update(a + b for a, b in zip(han, han[1:]))
    return out


def overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & terms(sentence)) / len(question_terms)


def is_confident(passages: tuple[Passage, ...], mode: str, settings: Settings = DEFAULT) -> bool | None:
    if mode != "hybrid":
        return None
    if not passages:
        return False
    top = passages[0]
    return top.similarity >= settings.confident_cosine and (
        top.score >= settings.confident_score or top.lead >= settings.confident_lead)


def answer(question: str, qvec: np.ndarray, passages: tuple[Passage, ...], embedder: Embedder,
           mode: str = "hybrid", settings: Settings = DEFAULT) -> Answer:
    """The best one to three sentences, each tied to its passage."""
    confident = is_confident(passages, mode, settings)
    candidates: list[tuple[int, int, int]] = []  # (passage index, start, end)
    for i, p in enumerate(passages[:settings.answer_passages]):
        for a, b in sentence_spans(p.text):
            if b - a >= settings.min_sentence_chars:
                candidates.append((i, a, b))
    if not candidates:
        return Answer(question, (), passages, confident)
    texts = [passages[i].text[a:b] for i, a, b in candidates]
    sims = embedder.passages(texts, light=True) @ qvec
    qterms = terms(question)
    scored = sorted(
        (float(sim) + settings.overlap_weight * overlap(qterms, t), c, t)
        for sim, c, t in zip(sims, candidates, texts)
    )[::-1]
    best = scored[0][0]
    chosen = []
    for score, (i, a, b), text in scored[:settings.max_sentences]:
        if score < best - settings.margin:
            break
        chosen.append(AnswerSentence(text, i + 1, a, b, score))
    return Answer(question, tuple(chosen), passages, confident)
