"""Fit the answer layer on question sets, with cross-validated figures.

    python bench/fit_answer.py --kb FULL_KB --kb SEED_KB --questions ../shared/eval/dev.jsonl ../shared/eval/dev-more.jsonl

1. The sentence score's weights (cosine, kind of thing asked, the step down for another report
   than the top passage's) on a small grid, chosen by answer@1 over the answerable questions of
   every KB given.
2. The confidence: a logistic model over ``confidence.FEATURES`` of the first answer sentence,
   whose label is "that sentence holds the gold evidence" (0 for every question the KB cannot
   answer), and the probability from which an answer counts as confident: the lowest at which
   the training questions' confident answers are at least --precision right.

Both are cross-validated: k folds over question ids (a question's answers on every KB fall in
the same fold); each fold is fitted on the others. The figures printed per KB are those of the
held-out folds; the weights printed last are fitted on everything, for settings.py.

--repeats N also prints the confidence's cross-validated figures over N random splits (mean,
and per split against all features for each --without list, e.g. --without cosine,similarity), so
a feature is judged on more than one split of a few hundred answers.
"""

from __future__ import annotations

import argparse
import itertools
import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from wpkb.search.answer import answer
from wpkb.search.confidence import FEATURES
from wpkb.search.evaluate import gold_paths, holds, load_questions
from wpkb.search.retrieve import Searcher
from wpkb.search.settings import DEFAULT

GRID = {"cosine_weight": [0.0, 0.25, 0.5, 1.0], "kind_weight": [0.0, 0.5, 1.0, 2.0],
        "other_report_step": [0.0, 0.5, 1.0]}


class CachedEmbedder:
    """The searcher's embedder, each sentence embedded once for every setting tried."""

    def __init__(self, embedder):
        self.embedder, self.cache = embedder, {}

    def passages(self, texts, light=False):
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.embedder.passages(todo, light=True)))
        return np.stack([self.cache[t] for t in texts])


def collect(kb: Path, questions) -> list[dict]:
    """Per question: what the answer layer takes, computed once."""
    searcher = Searcher(kb)
    gold = gold_paths(questions, [d.path for d in searcher.kb.documents()])
    rows = []
    for q in questions:
        query, passages = searcher.search(q.question, k=DEFAULT.answer_pages)
        pages = {(p.doc_id, p.page): searcher.kb.page_text(p.doc_id, p.page) for p in passages}
        status = "unanswerable" if not q.doc else "answerable" if q.doc in gold else "absent"
        rows.append(dict(kb=kb.name, q=q, status=status, query=query, passages=passages, pages=pages))
    return rows, searcher


def run(rows, searchers, settings):
    """(first sentence holds the evidence, any sentence does, evidence features) per row."""
    out = []
    for r in rows:
        searcher, embedder = searchers[r["kb"]]
        ans = answer(r["query"], r["passages"], r["pages"], searcher.lexical(), embedder, "hybrid", settings)
        ok = r["status"] == "answerable"
        hits = [ok and holds(x.text, r["q"].evidence) for x in ans.sentences]
        ev = ans.evidence.values if ans.evidence else (0.0,) * len(FEATURES)
        out.append((bool(hits and hits[0]), any(hits), np.array(ev)))
    return out


def logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 3000) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by gradient descent, on standardised features."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= 0.1 * float((p - y).mean())
    return w / sd, b - float((w / sd) @ mu)


def threshold(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """The lowest probability whose confident answers are at least ``precision`` right."""
    for t in np.arange(0.05, 0.96, 0.01):
        conf = p >= t
        if conf.any() and y[conf].mean() >= precision:
            return float(t)
    return 0.96


def folds_of(rows, k: int, seed: int = 0) -> list[set[str]]:
    ids = sorted({r["q"].id for r in rows})
    random.Random(seed).shuffle(ids)
    return [set(ids[i::k]) for i in range(k)]


def confidence_cv(x, y, rows, folds, l2: float, precision: float) -> np.ndarray:
    """Held-out confidence and threshold per row: each fold's model and threshold fitted on the others."""
    p_cv, t_cv = np.zeros(len(rows)), np.zeros(len(rows))
    for test in folds:
        held = np.array([r["q"].id in test for r in rows])
        w, b = logistic(x[~held], y[~held], l2)
        p_cv[held] = 1 / (1 + np.exp(-(x[held] @ w + b)))
        t_cv[held] = threshold(1 / (1 + np.exp(-(x[~held] @ w + b))), y[~held], precision)
    return p_cv >= t_cv


def repeated(x, y, rows, args) -> None:
    """Confident / flagged / precision, mean over --repeats splits, over all KBs and per KB; and
    each --without list against all features on the same splits."""
    st = np.array([r["status"] for r in rows])
    kbs = np.array([r["kb"] for r in rows])

    def figures(conf, m=True):
        c = conf & (st != "absent") & m
        return np.array([conf[(st == "answerable") & m].mean(), (~conf[(st == "unanswerable") & m]).mean(),
                         y[c].mean() if c.any() else np.nan])

    splits = [folds_of(rows, args.folds, seed) for seed in range(args.repeats)]
    held = [confidence_cv(x, y, rows, f, args.l2, args.precision) for f in splits]
    base = np.array([figures(conf) for conf in held])
    print(f"confidence over {args.repeats} splits, all KBs: confident {base[:, 0].mean():.3f}, "
          f"flagged {base[:, 1].mean():.3f}, precision {base[:, 2].mean():.3f}")
    for kb in dict.fromkeys(kbs):
        per = np.array([figures(conf, kbs == kb) for conf in held])
        print(f"  {kb}: confident {per[:, 0].mean():.3f}, flagged {per[:, 1].mean():.3f}, "
              f"precision {np.nanmean(per[:, 2]):.3f}")
    for names in args.without:
        gone = set(names.split(","))
        keep = [i for i, f in enumerate(FEATURES) if f not in gone]
        d = np.array([figures(confidence_cv(x[:, keep], y, rows, f, args.l2, args.precision)) for f in splits]) - base
        print(f"  without {names}: confident {d[:, 0].mean():+.3f} (better in {(d[:, 0] > 0).sum()}, worse in "
              f"{(d[:, 0] < 0).sum()}), flagged {d[:, 1].mean():+.3f}, precision {d[:, 2].mean():+.3f} (better in "
              f"{(d[:, 2] > 0).sum()}, worse in {(d[:, 2] < 0).sum()})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, action="append", required=True)
    ap.add_argument("--questions", type=Path, nargs="+", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--precision", type=float, default=0.95)
    ap.add_argument("--l2", type=float, default=2.0)
    ap.add_argument("--label", choices=("first", "any"), default="any",
                    help="what a right answer is: the first sentence holds the evidence, or any shown sentence does")
    ap.add_argument("--margin", type=float, default=DEFAULT.margin)
    ap.add_argument("--repeats", type=int, default=0, help="also the confidence over this many random splits")
    ap.add_argument("--without", action="append", default=[], metavar="F1,F2",
                    help="with --repeats: the confidence without these features, split by split")
    args = ap.parse_args()
    unknown = {f for names in args.without for f in names.split(",")} - set(FEATURES)
    if unknown:  # before minutes of work, not after
        ap.error(f"--without: no feature {', '.join(sorted(unknown))}; the features: {', '.join(FEATURES)}")
    questions = load_questions(args.questions)
    rows, searchers = [], {}
    for kb in args.kb:
        got, searcher = collect(kb, questions)
        rows += got
        searchers[kb.name] = (searcher, CachedEmbedder(searcher.embedder))
    folds = folds_of(rows, args.folds)
    answerable = np.array([r["status"] == "answerable" for r in rows])

    # 1. sentence weights
    grid = [dict(zip(GRID, v)) for v in itertools.product(*GRID.values())]
    first = {}
    for g in grid:
        first[tuple(g.values())] = np.array([h1 for h1, _, _ in run(rows, searchers, replace(DEFAULT, **g))])
    best_for = lambda mask: max(grid, key=lambda g: first[tuple(g.values())][mask & answerable].sum())  # noqa: E731
    cv_pick = np.zeros(len(rows), bool)
    per_fold = []
    for test in folds:
        held = np.array([r["q"].id in test for r in rows])
        g = best_for(~held)
        per_fold.append(tuple(g.values()))
        cv_pick[held] = first[tuple(g.values())][held]
    chosen = best_for(np.ones(len(rows), bool))
    settings = replace(DEFAULT, **chosen, margin=args.margin)
    results = run(rows, searchers, settings)
    any_hit = np.array([h for _, h, _ in results])
    first_hit = np.array([h1 for h1, _, _ in results])
    y = (any_hit if args.label == "any" else np.array([h1 for h1, _, _ in results])).astype(float)
    x = np.stack([e for _, _, e in results])

    # 2. confidence
    conf = confidence_cv(x, y, rows, folds, args.l2, args.precision)
    print(f"{len(questions)} questions x {len(args.kb)} KBs, {args.folds}-fold cross-validation by question")
    for kb in searchers:
        m = np.array([r["kb"] == kb for r in rows])
        st = np.array([r["status"] for r in rows])
        a, u, ab = m & (st == "answerable"), m & (st == "unanswerable"), m & (st == "absent")
        c = conf & m & (st != "absent")
        print(f"  {kb}: answer@1 {cv_pick[a].mean():.2f} (cv; {first_hit[a].mean():.2f} with the weights fitted on all), "
              f"any sentence {any_hit[a].mean():.2f}; answerable confident {conf[a].mean():.2f}, "
              f"unanswerable flagged {(~conf[u]).mean():.2f}"
              + (f", questions on reports not in the KB flagged {(~conf[ab]).mean():.2f}" if ab.any() else "")
              + f", confident precision {any_hit[c].mean() if c.any() else float('nan'):.2f} of {c.sum()}")
    w, b = logistic(x, y, args.l2)
    p_all = 1 / (1 + np.exp(-(x @ w + b)))
    print("sentence weights (fitted on all):", chosen, "; per fold:", per_fold)
    print("confidence_weights = (" + ", ".join(f"{v:.3f}" for v in w) + ")  # " + ", ".join(FEATURES))
    print(f"confidence_bias = {b:.3f}; confident_at = {threshold(p_all, y, args.precision):.2f}")
    if args.repeats:
        repeated(x, y, rows, args)
    for searcher, _ in searchers.values():
        searcher.close()


if __name__ == "__main__":
    main()
