"""A KB built from the real seed report answers the dev questions about it."""

import pytest

from conftest import SHARED, dev_questions
from wpkb.ingest.build import build
from wpkb.search.retrieve import Searcher

SEED = SHARED / "corpus" / "seed"


@pytest.mark.integration
@pytest.mark.skipif(not SEED.is_dir(), reason="../shared/corpus/seed is not beside the project")
def test_seed_dev_questions_find_their_gold_page_in_the_top_5(tmp_path):
    # The top 5, the answer-quality issue's measure: on this one-report KB a cross-lingual
    # question's gold page and its neighbour differ by a hundredth, 3rd or 4th by turns.
    questions = [q for q in dev_questions() if (q.get("doc") or "").startswith("seed/")]
    assert questions, "dev.jsonl has no question on the seed report"
    report = build(SEED, tmp_path / "kb")
    assert report.documents == 1 and not [f for f, _ in report.skipped if f.endswith(".pdf")]
    searcher = Searcher(tmp_path / "kb")
    try:
        for q in questions:
            _, passages = searcher.search(q["question"], k=5)
            name = q["doc"].rsplit("/", 1)[-1]
            got = [(p.doc, p.page) for p in passages]
            assert any(doc == name and page in q["pages"] for doc, page in got), (q["id"], q["question"], got)
    finally:
        searcher.close()
