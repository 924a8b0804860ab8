"""Run question sets with gold pages against the KB, through the same ``Searcher.ask`` a user's
question takes: does the right page come first (Recall@1, @5, MRR@10), does the first answer
sentence hold the answer (answer@1, @3), and can the ``confident`` flag be trusted."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.errors import WpkbError
from .retrieve import Searcher

MIN_INSIDE_CHARS = 8  # a sentence this long lying inside the evidence counts (evidence over two sentences)
_SPACE = re.compile(r"\s+")


@dataclass
class Question:
    id: str
    question: str
    doc: str | None  # relative to the corpus folder; None for a question with no answer
    pages: list[int]
    kind: str
    lang: str
    evidence: str = ""  # an exact substring of the gold page's text (NFKC, whitespace removed)
    trap: str | None = None  # for unanswerable questions: how they tempt a wrong answer


@dataclass
class Outcome:
    question: Question
    status: str  # "answerable", "unanswerable", or "absent" (its report is not in this KB)
    rank: int | None  # 1-based rank of the first gold page among the results, if found
    top: list[tuple[str, int]]  # (doc, page) of the results, best first
    confident: bool | None
    confidence: float | None
    answer_rank: int | None  # 1-based number of the first answer sentence that holds the evidence
    answer: str  # the first answer sentence


def normalised(text: str) -> str:
    """As the question sets give evidence: NFKC, no whitespace, and lower case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def holds(sentence: str, evidence: str) -> bool:
    """Whether an answer sentence holds the evidence, or is itself a long enough part of it."""
    s, e = normalised(sentence), normalised(evidence)
    return bool(e) and (e in s or (len(s) >= MIN_INSIDE_CHARS and s in e))


def _share(outs: list[Outcome], test) -> float | None:
    return sum(1 for o in outs if test(o)) / len(outs) if outs else None


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
                "mrr@10": sum(1 / o.rank for o in outs if o.rank and o.rank <= 10) / n,
                "answer@1": _share(outs, lambda o: o.answer_rank == 1),
                "answer@3": _share(outs, lambda o: o.answer_rank is not None and o.answer_rank <= 3)}

    def _confidence(self, outs: list[Outcome]) -> dict | None:
        if self.mode != "hybrid":
            return None
        answerable = [o for o in outs if o.status == "answerable"]
        unanswerable = [o for o in outs if o.status == "unanswerable"]
        absent = [o for o in outs if o.status == "absent"]
        confident = [o for o in outs if o.confident and o.status in ("answerable", "unanswerable")]
        return {"answerable": len(answerable), "answerable_confident": sum(1 for o in answerable if o.confident),
                "unanswerable": len(unanswerable),
                "unanswerable_flagged": sum(1 for o in unanswerable if not o.confident),
                "report_not_in_kb": len(absent), "report_not_in_kb_flagged": sum(1 for o in absent if not o.confident),
                "confident": len(confident),
                "confident_precision": _share(confident, lambda o: o.answer_rank is not None)}

    def summary(self) -> dict:
        answerable = [o for o in self.outcomes if o.status == "answerable"]
        by_kind, by_lang, by_trap = defaultdict(list), defaultdict(list), defaultdict(list)
        for o in self.outcomes:
            if o.status == "answerable":
                by_kind[o.question.kind].append(o)
            if o.status != "absent":
                by_lang[o.question.lang].append(o)
            if o.question.trap:
                by_trap[o.question.trap].append(o)
        return {
            "mode": self.mode, "k": self.k, "overall": self._metrics(answerable),
            "by_kind": {k: self._metrics(v) for k, v in sorted(by_kind.items())},
            "by_lang": {k: dict(self._metrics([o for o in v if o.status == "answerable"]),
                                confidence=self._confidence(v)) for k, v in sorted(by_lang.items())},
            "confidence": self._confidence(self.outcomes),
            "by_trap": {k: {"n": len(v), "flagged": sum(1 for o in v if not o.confident)}
                        for k, v in sorted(by_trap.items())},
            "missed": [{"id": o.question.id, "question": o.question.question, "gold": [o.question.doc, o.question.pages],
                        "rank": o.rank, "first": list(o.top[0]) if o.top else None}
                       for o in answerable if not (o.rank and o.rank <= 5)],
            "questions": [{"id": o.question.id, "status": o.status, "rank": o.rank, "answer_rank": o.answer_rank,
                           "confident": o.confident, "confidence": o.confidence, "answer": o.answer}
                          for o in self.outcomes],
        }


def load_questions(paths: list[Path] | Path) -> list[Question]:
    out = []
    for path in [paths] if isinstance(paths, Path) else paths:
        before = len(out)
        if not path.is_file():
            raise WpkbError(f"no question file at {path}; give a JSONL file with one question per line")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                out.append(Question(str(raw.get("id", n)), raw["question"], raw.get("doc"),
                                    [int(p) for p in raw.get("pages") or []], raw.get("kind", "-"),
                                    raw.get("lang", "-"), raw.get("evidence") or "", raw.get("trap")))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise WpkbError(f"{path}:{n}: not a question line ({e}); each line needs at least "
                                "\"question\", and \"doc\" + \"pages\" when it has an answer") from None
        if len(out) == before:
            raise WpkbError(f"{path} has no questions")
    return out


def gold_paths(questions: list[Question], kb_paths: list[str]) -> dict[str, str]:
    """The KB's path for each question's gold doc: the same path relative to the corpus or,
    when the KB has none, the one KB report with that file name (a KB built from another
    folder, e.g. the seed report alone)."""
    present = set(kb_paths)
    by_name: dict[str, list[str]] = defaultdict(list)
    for p in kb_paths:
        by_name[p.rsplit("/", 1)[-1]].append(p)
    out = {}
    for q in questions:
        if q.doc and q.doc not in out:
            named = by_name.get(q.doc.rsplit("/", 1)[-1], [])
            if q.doc in present:
                out[q.doc] = q.doc
            elif len(named) == 1:
                out[q.doc] = named[0]
    return out


def evaluate(searcher: Searcher, questions: list[Question], k: int = 10, mode: str = "hybrid",
             progress=None) -> Report:
    report = Report(k, mode)
    gold = gold_paths(questions, [d.path for d in searcher.kb.documents()])
    for q in questions:
        ans = searcher.ask(q.question, k=k, mode=mode)
        doc = gold.get(q.doc) if q.doc else None
        status = "unanswerable" if not q.doc else "answerable" if doc else "absent"
        top = [(p.doc, p.page) for p in ans.passages]
        rank = next((i for i, p in enumerate(ans.passages, 1)
                     if p.doc == doc and set(q.pages) & {p.page, *p.same_text_pages}), None)
        answer_rank = next((i for i, s in enumerate(ans.sentences, 1) if holds(s.text, q.evidence)), None) \
            if status == "answerable" else None
        first = ans.sentences[0].text if ans.sentences else ""
        report.outcomes.append(Outcome(q, status, rank, top, ans.confident, ans.confidence, answer_rank, first))
        if progress:
            progress.advance()
    return report
