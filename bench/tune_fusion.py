"""Compare fusion settings on a question set without re-embedding: prints R@1, R@5, MRR@10.

    python bench/tune_fusion.py --kb KB --questions ../shared/eval/dev.jsonl

Each question's dense and BM25 candidates are computed once; every variant re-scores them.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path


from search import retrieve
from search.evaluate import load_questions
from search.retrieve import Searcher


def candidates(searcher: Searcher, question: str, pool: int):
    qvec = searcher.embed_question(question)
    dense = dict(searcher.kb.search(qvec, pool))
    lexical = searcher._lexical(question, pool, None)
    extra = searcher._dense_scores(qvec, set(lexical) - set(dense))
    return dense, lexical, extra


def rank_pages(fused: dict[int, float], rows, lengths: dict[int, int], short: float, gamma: float):
    retrieve.SHORT_GAMMA = gamma
    scored = [(s * retrieve.length_prior(lengths[cid], short), cid) for cid, s in fused.items()]
    pages = []
    for _, cid in sorted(scored, reverse=True):
        key = (rows[cid].doc_path, rows[cid].page)
        if key not in pages:
            pages.append(key)
    return pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--pool", type=int, default=100)
    args = ap.parse_args()
    searcher = Searcher(args.kb)
    qs = [q for q in load_questions(args.questions) if q.doc]
    cache = []
    for q in qs:
        dense, lexical, extra = candidates(searcher, q.question, args.pool)
        rows = searcher.kb.chunks(list(set(dense) | set(lexical)))
        lengths = {cid: len(r.text) for cid, r in rows.items()}
        cache.append((q, dense, lexical, extra, rows, lengths))
    median = searcher.kb.manifest.stats.get("median_chunk_chars", 0)
    print(f"{len(qs)} answerable questions; median chunk {median} chars; short = share x median")
    print(f"{'mode':<8} {'w_dense':>7} {'share':>5} {'gamma':>5}  R@1   R@5   MRR   xling-R@5")
    for mode, w, share, gamma in itertools.chain(
        [("dense", 1.0, 0, 0.0), ("bm25", 0.0, 0, 0.0)],
        itertools.product(["hybrid"], [0.2, 0.3, 0.4, 0.5], [0, 0.25, 0.5, 0.75], [0.5, 1.0]),
    ):
        short = share * median
        retrieve.W_DENSE, retrieve.W_BM25 = w, 1 - w
        r1 = r5 = mrr = x5 = nx = 0
        for q, dense, lexical, extra, rows, lengths in cache:
            fused = retrieve.fuse(dense, lexical, extra, mode)
            pages = rank_pages(fused, rows, lengths, short, gamma)
            rank = next((i for i, (doc, p) in enumerate(pages[:10], 1) if doc == q.doc and p in q.pages), None)
            r1 += rank == 1
            r5 += bool(rank and rank <= 5)
            mrr += 1 / rank if rank else 0
            if q.kind == "crosslingual":
                nx += 1
                x5 += bool(rank and rank <= 5)
        n = len(cache)
        print(f"{mode:<8} {w:>7} {share:>5} {gamma:>5}  {r1/n:.2f}  {r5/n:.2f}  {mrr/n:.2f}  {x5/max(nx,1):.2f}")


if __name__ == "__main__":
    main()
