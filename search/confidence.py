"""How likely the answer sentences hold the answer: a logistic model over features that
do not grow or shrink with the size of the KB (shares, cosines, yes/no, and for a word the KB
lacks, how surely a KB that size would hold it), fitted by bench/fit_answer.py on the dev
questions over a one-report and a 30-report KB."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .sentences import Candidate, Weights

FEATURES = (
    "cosine",        # the answer sentence's cosine to the question
    "sentence",      # its BM25 share of the question's words
    "page",          # IDF-weighted share of the question's words (or translations) on its page
    "rarest_absent",  # 1 when the question's rarest word is not on that page ("Microsoft's tax rate")
    "unknown",       # a thing the question names nowhere in the KB: how surely a KB this size would hold it
    "similarity",    # the top passage's cosine to the question
    "lead",          # the top passage's lead over the next page (capped at 3)
    "figures",       # share of the question's figures and years found on the answer's page
    "margin",        # the answer sentence's score over the next candidate's (standard units)
    "top_page",      # 1 when the answer sentence is on the top passage's page
)
_FIGURE = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Evidence:
    """The features of one answer, by name (FEATURES)."""

    values: tuple[float, ...]

    def as_dict(self) -> dict[str, float]:
        return {name: round(v, 4) for name, v in zip(FEATURES, self.values)}


def _share(w: Weights, terms: set[str] | frozenset[str]) -> tuple[float, list[bool]]:
    present = [any(t in terms for t in g) for g in w.groups]
    return sum(max(g.values()) for g, p in zip(w.groups, present) if p) / w.total, present


def evidence(question: str, best: Candidate, cosine: float, margin: float, page_terms: set[str],
             page_text: str, w: Weights, top_similarity: float, top_lead: float) -> Evidence:
    page, present = _share(w, page_terms)
    rarest = max(range(len(w.groups)), key=lambda i: max(w.groups[i].values()) * w.counted[i], default=None)
    rarest_absent = 0.0 if rarest is None or present[rarest] else 1.0
    unknown = max((c for c, telling in zip(w.counted, w.telling) if telling), default=0.0)
    figures = set(_FIGURE.findall(question))
    found = sum(1 for f in figures if f in page_text) / len(figures) if figures else 1.0
    return Evidence((cosine, best.bm25, page, rarest_absent, unknown, top_similarity, min(3.0, top_lead), found,
                     margin, float(best.ref == 1)))


def probability(ev: Evidence, weights: tuple[float, ...], bias: float) -> float:
    z = bias + math.fsum(w * v for w, v in zip(weights, ev.values))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
