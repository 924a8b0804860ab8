"""Compare fusion settings on a question set: R@1, R@5, MRR@10, cross-lingual R@5, and how
the no-answer signal does, per setting.

    python bench/tune_fusion.py --kb KB --questions ../shared/eval/dev.jsonl

Each setting runs the real search with a ``Settings`` object of its own; the question vectors
are computed once and reused.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from wpkb.search.evaluate import evaluate, load_questions
from wpkb.search.retrieve import Searcher
from wpkb.search.settings import DEFAULT

GRID = {
    "w_dense": [0.3, 0.4, 0.5, 0.6],
    "translation_mix": [0.2, 0.4, 0.6],
    "name_weight": [0.0, 1.0, 2.0],
    "name_claim": [0.5, 0.7, 1.01],  # 1.01: the name's terms always stay in the BM25 query
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    args = ap.parse_args()
    searcher = Searcher(args.kb)
    queries = searcher.embedder.queries

    @lru_cache(maxsize=None)
    def one(text: str) -> np.ndarray:
        return queries([text])[0]

    searcher.embedder.queries = lambda texts: np.stack([one(t) for t in texts])
    questions = load_questions(args.questions)
    print(f"{len(questions)} questions, KB {args.kb}")
    print(" ".join(f"{k:>15}" for k in GRID), "   R@1   R@5   MRR  xl-R@5  no-answer (unans. not conf. / ans. conf.)")
    for values in itertools.product(*GRID.values()):
        chosen = dict(zip(GRID, values))
        searcher.settings = replace(DEFAULT, **chosen, w_bm25=1 - chosen["w_dense"])
        s = evaluate(searcher, questions).summary()
        o, xl, na = s["overall"], s["by_kind"].get("crosslingual", {}), s["no_answer_signal"]
        print(" ".join(f"{v:>15}" for v in values),
              f"  {o['recall@1']:.2f}  {o['recall@5']:.2f}  {o['mrr@10']:.2f}  {xl.get('recall@5', 0):.2f}",
              f"   {na['unanswerable_not_confident']}/{na['unanswerable']} / "
              f"{na['answerable_confident']}/{na['answerable']}")
    searcher.close()


if __name__ == "__main__":
    main()
