"""Run a question set with gold pages against the KB: Recall@1, Recall@5, MRR@10."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.errors import WpkbError

from .retrieve import Searcher


@dataclass
class Question:
    id: str
    question: str
    doc: str | None  # relative to the corpus folder; None for a question with no answer
    pages: list[int]
    kind: str
    lang: str


@dataclass
class Outcome:
    question: Question
    rank: int | None  # 1-based rank of the first gold page among the results, if found
    top: list[tuple[str, int]]  # (doc, page) of the results, best first
    confident: bool | None


@dataclass
class Report:
    k: int
    mode: str
    outcomes: list[Outcome] = field(default_factory=list)

    def _metrics(self, outs: list[Outcome]) -> dict:
        n = len(outs)
        if not n:
            return {"n": 0}
        return {"n": n,
                "recall@1": sum(1 for o in outs if o.rank == 1) / n,
                "recall@5": sum(1 for o in outs if o.rank and o.rank <= 5) / n,
                "mrr@10": sum(1 / o.rank for o in outs if o.rank and o.rank <= 10) / n}

    def _no_answer(self, answerable: list[Outcome]) -> dict | None:
        if self.mode != "hybrid":
            return None
        unanswerable = [o for o in self.outcomes if not o.question.doc]
        return {"unanswerable": len(unanswerable),
                "unanswerable_not_confident": sum(1 for o in unanswerable if not o.confident),
                "answerable_confident": sum(1 for o in answerable if o.confident),
                "answerable": len(answerable)}

    def summary(self) -> dict:
        answerable = [o for o in self.outcomes if o.question.doc]
        by_kind, by_lang = defaultdict(list), defaultdict(list)
        for o in answerable:
            by_kind[o.question.kind].append(o)
            by_lang[o.question.lang].append(o)
        return {
            "mode": self.mode, "k": self.k, "overall": self._metrics(answerable),
            "by_kind": {k: self._metrics(v) for k, v in sorted(by_kind.items())},
            "by_lang": {k: self._metrics(v) for k, v in sorted(by_lang.items())},
            "no_answer_signal": self._no_answer(answerable),
            "missed": [{"id": o.question.id, "question": o.question.question, "gold": [o.question.doc, o.question.pages],
                        "rank": o.rank, "first": list(o.top[0]) if o.top else None}
                       for o in answerable if not (o.rank and o.rank <= 5)],
        }


def load_questions(path: Path) -> list[Question]:
    if not path.is_file():
        raise WpkbError(f"no question file at {path}; give a JSONL file with one question per line")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(Question(str(raw.get("id", n)), raw["question"], raw.get("doc"),
                                [int(p) for p in raw.get("pages") or []], raw.get("kind", "-"), raw.get("lang", "-")))
        except (ValueError, KeyError, TypeError) as e:
            raise WpkbError(f"{path}:{n}: not a question line ({e}); each line needs at least "
                            "\"question\", and \"doc\" + \"pages\" when it has an answer") from None
    if not out:
        raise WpkbError(f"{path} has no questions")
    return out


def evaluate(searcher: Searcher, questions: list[Question], k: int = 10, mode: str = "hybrid",
             progress=None) -> Report:
    report = Report(k, mode)
    for q in questions:
        ans = searcher.ask(q.question, k=k, mode=mode)
        top = [(p.doc, p.page) for p in ans.passages]
        rank = next((i for i, p in enumerate(ans.passages, 1)
                     if p.doc == q.doc and set(q.pages) & {p.page, *p.same_text_pages}), None)
        report.outcomes.append(Outcome(q, rank, top, ans.confident))
        if progress:
            progress.advance()
    return report
