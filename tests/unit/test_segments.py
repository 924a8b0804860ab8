"""BM25 over segments: a chunk scores the same whichever segment holds it, deleted chunks
count nowhere, and a merge keeps every live chunk's counts."""

import math

import numpy as np

from wpkb.ingest import bm25
from wpkb.search.lexical import B, K1, Lexical

ROWS = [(1, "harbour crane harbour", 20), (2, "crane ship", 10), (3, "ship ship dock", 14),
        (5, "harbour dock tide", 17), (8, "tide", 4), (9, "crane tide harbour ship", 23)]


def scores(segments, deleted=()):
    lex = Lexical(segments, np.array(deleted, dtype=np.int64))
    return lex, {t: dict(zip(lex.ids.tolist(), lex.scores([t]).tolist())) for t in ("harbour", "ship", "tide", "crane")}


def test_scores_are_lucene_bm25_over_all_chunks():
    _, got = scores([bm25.build(ROWS)])
    lengths = [len(r[1].split()) for r in ROWS]
    avg = sum(lengths) / len(lengths)
    df = 3  # harbour is in chunks 1, 5 and 9
    idf = math.log(1 + (len(ROWS) - df + 0.5) / (df + 0.5))
    tf, dl = 2, 3
    assert math.isclose(got["harbour"][1], idf * tf / (tf + K1 * (1 - B + B * dl / avg)), rel_tol=1e-6)
    assert got["harbour"][2] == 0.0


def test_a_chunk_scores_the_same_in_one_segment_or_in_three():
    _, one = scores([bm25.build(ROWS)])
    _, three = scores([bm25.build(ROWS[:2]), bm25.build(ROWS[2:3]), bm25.build(ROWS[3:])])
    assert one == three


def test_deleted_chunks_count_nowhere_and_a_merge_leaves_them_out():
    kept = [r for r in ROWS if r[0] not in (2, 9)]
    _, rebuilt = scores([bm25.build(kept)])
    parts = [bm25.build(ROWS[:3]), bm25.build(ROWS[3:])]
    lex, tombstoned = scores(parts, deleted=[2, 9])
    assert lex.n_chunks == len(kept) and lex.doc_freq("crane") == 1
    assert {t: {c: s for c, s in v.items() if c not in (2, 9)} for t, v in tombstoned.items()} == rebuilt
    assert all(v[2] == 0 and v[9] == 0 for v in tombstoned.values())
    masks = [~np.isin(np.asarray(p.ids), [2, 9]) for p in parts]
    merged = bm25.merge(parts, masks)
    assert merged.ids.tolist() == [1, 3, 5, 8] and merged.chars.tolist() == [20, 14, 17, 4]
    _, after = scores([merged])
    assert after == rebuilt


def test_a_segment_is_written_and_read_back(tmp_path):
    seg = bm25.build(ROWS)
    bm25.save(seg, tmp_path / "seg-000001.bm25")
    back = bm25.load(tmp_path / "seg-000001.bm25")
    assert back.vocabulary == seg.vocabulary and np.array_equal(back.ids, seg.ids)
    for t in seg.vocabulary:
        assert all(np.array_equal(a, b) for a, b in zip(back.column(t), seg.column(t)))
