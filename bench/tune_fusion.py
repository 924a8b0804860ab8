"""Compare fusion settings on a question set without re-embedding: prints R@1, R@5, MRR@10.

    python bench/tune_fusion.py --kb KB --questions ../shared/eval/dev.jsonl

Each question's candidates and vectors are fetched once; every variant re-scores them.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from ingest.terms import index_term, words
from search import retrieve
from search.evaluate import load_questions
from search.retrieve import Searcher
from search.translate import translations


def candidates(searcher: Searcher, question: str, pool: int):
    """(BM25 scores, {chunk: cosine to the question}, {chunk: cosine to the translation} or None)."""
    qvec = searcher.embed_question(question)
    asked = words(question)
    translated = translations(asked, searcher.kb.bm25())
    lexical = searcher._lexical([index_term(w) for w in asked + translated], pool, None)
    ids = {cid for cid, _ in searcher.kb.search(qvec, pool)} | set(lexical)
    qvec2 = searcher.embedder.queries([" ".join(translated)])[0] if translated else None
    if qvec2 is not None:
        ids |= {cid for cid, _ in searcher.kb.search(qvec2, pool)}
    ids = sorted(ids)
    vecs = searcher.kb.vectors(ids)
    cos = dict(zip(ids, (vecs @ qvec).tolist()))
    cos2 = dict(zip(ids, (vecs @ qvec2).tolist())) if qvec2 is not None else None
    return lexical, cos, cos2


def rank_pages(fused: dict[int, float], rows, lengths: dict[int, int], short: float, gamma: float):
    retrieve.SHORT_GAMMA = gamma
    scored = sorted(((s * retrieve.length_prior(lengths[cid], short), cid) for cid, s in fused.items()), reverse=True)
    pages = []
    for _, cid in scored:
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
        lexical, cos, cos2 = candidates(searcher, q.question, args.pool)
        rows = searcher.kb.chunks(list(cos))
        cache.append((q, lexical, cos, cos2, rows, {cid: len(r.text) for cid, r in rows.items()}))
    median = searcher.kb.manifest.stats.get("median_chunk_chars", 0)
    print(f"{len(qs)} answerable questions; median chunk {median} chars; short = share x median")
    print(f"{'mode':<7} {'w_dense':>7} {'mix':>4} {'share':>5} {'gamma':>5}  R@1   R@5   MRR   xling-R@5")
    grid = itertools.chain([("bm25", 0.0, 0.0, 0.0, 1.0)],
                           itertools.product(["hybrid"], [0.3, 0.4, 0.5], [0.0, 0.2, 0.4, 0.6], [0.0, 0.75], [1.0]))
    for mode, w, mix, share, gamma in grid:
        retrieve.W_DENSE, retrieve.W_BM25 = w, 1 - w
        r1 = r5 = mrr = x5 = nx = 0
        for q, lexical, cos, cos2, rows, lengths in cache:
            dense = {c: (1 - mix) * v + mix * cos2[c] if cos2 else v for c, v in cos.items()}
            pages = rank_pages(retrieve.fuse(dense, lexical, mode), rows, lengths, share * median, gamma)
            rank = next((i for i, (doc, p) in enumerate(pages[:10], 1) if doc == q.doc and p in q.pages), None)
            r1 += rank == 1
            r5 += bool(rank and rank <= 5)
            mrr += 1 / rank if rank else 0
            if q.kind == "crosslingual":
                nx += 1
                x5 += bool(rank and rank <= 5)
        n = len(cache)
        print(f"{mode:<7} {w:>7} {mix:>4} {share:>5} {gamma:>5}  {r1/n:.2f}  {r5/n:.2f}  {mrr/n:.2f}  {x5/max(nx, 1):.2f}")


if __name__ == "__main__":
    main()
