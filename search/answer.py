"""Pick the sentences of the top passages that answer the question best."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ingest.chunk import sentence_spans
from ingest.clean import normalise_chars
from ingest.embed import Embedder

from .retrieve import Passage

ANSWER_PASSAGES = 3  # sentences are drawn from this many top passages
MAX_SENTENCES = 3
MARGIN = 0.04  # a sentence this close to the best one is shown too
OVERLAP_WEIGHT = 0.3  # term overlap catches exact figures and names the embedding blurs
MIN_SENTENCE_CHARS = 6
# In hybrid mode the best passage is evidence when it is close to the question itself and
# its fused score (standard scores over the candidates, plus any report-name share) stands
# well above the candidates, or well above the next passage (a small KB, where a few
# candidates bound the standard scores; a cross-lingual hit). Set on the dev set's
# unanswerable and answerable questions, on the KB of all of shared/corpus and on the seed
# report alone (README; the gap is thin). The score threshold sits 0.21 above the highest
# unanswerable question's score (2.19, on the seed KB).
CONFIDENT_COSINE = 0.75
CONFIDENT_SCORE = 2.4
CONFIDENT_LEAD = 1.5

_TERMS = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?%?|[\u3400-\u9fff]")


@dataclass
class AnswerSentence:
    text: str
    ref: int  # 1-based number of the passage it comes from
    start: int  # offsets in that passage's text
    end: int
    score: float

    def as_dict(self) -> dict:
        return {"text": self.text, "ref": self.ref, "offsets": [self.start, self.end],
                "score": round(self.score, 4)}


@dataclass
class Answer:
    question: str
    sentences: list[AnswerSentence]
    passages: list[Passage]
    confident: bool | None = None  # None: the mode gives no calibrated signal
    extras: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"question": self.question, "confident": self.confident,
                "answer": [s.as_dict() for s in self.sentences],
                "passages": [dict(p.as_dict(), ref=i + 1) for i, p in enumerate(self.passages)], **self.extras}


def terms(text: str) -> set[str]:
    """Latin words and numbers, plus Chinese character bigrams."""
    toks = _TERMS.findall(normalise_chars(text).lower())
    out = {t for t in toks if not ("\u3400" <= t[0] <= "\u9fff")}
    han = [t for t in toks if "\u3400" <= t[0] <= "\u9fff"]
    out.update(a + b for a, b in zip(han, han[1:]))
    return out


def overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & terms(sentence)) / len(question_terms)


def is_confident(passages: list[Passage], mode: str) -> bool | None:
    if mode != "hybrid":
        return None
    if not passages:
        return False
    top = passages[0]
    return top.similarity >= CONFIDENT_COSINE and (top.score >= CONFIDENT_SCORE or top.lead >= CONFIDENT_LEAD)


def answer(question: str, qvec: np.ndarray, passages: list[Passage], embedder: Embedder,
           mode: str = "hybrid") -> Answer:
    """The best one to three sentences, each tied to its passage and highlighted there."""
    confident = is_confident(passages, mode)
    candidates: list[tuple[int, int, int]] = []  # (passage index, start, end)
    for i, p in enumerate(passages[:ANSWER_PASSAGES]):
        for a, b in sentence_spans(p.text):
            if b - a >= MIN_SENTENCE_CHARS:
                candidates.append((i, a, b))
    if not candidates:
        return Answer(question, [], passages, confident)
    texts = [passages[i].text[a:b] for i, a, b in candidates]
    sims = embedder.passages(texts, light=True) @ qvec
    qterms = terms(question)
    scored = sorted(
        (float(sim) + OVERLAP_WEIGHT * overlap(qterms, t), c, t)
        for sim, c, t in zip(sims, candidates, texts)
    )[::-1]
    best = scored[0][0]
    chosen = []
    for score, (i, a, b), text in scored[:MAX_SENTENCES]:
        if score < best - MARGIN:
            break
        chosen.append(AnswerSentence(text, i + 1, a, b, score))
        passages[i].highlights.append((a, b))
    return Answer(question, chosen, passages, confident)
