"""How the two rankings are combined, and how a question that names a report favours it."""

import numpy as np
import pytest

from conftest import make_pdf
from ingest.store import DocRow
from ingest.terms import tokenize
from search.names import ReportNames
from search.retrieve import Searcher, fuse, standardised


def doc(id_: int, path: str, title: str) -> DocRow:
    return DocRow(id_, path, "", 0, 0, title, 1, "", 0, [])


def test_standard_scores_have_mean_zero_and_unit_spread_and_survive_a_constant():
    z = standardised(np.array([0.90, 0.91, 0.95, 0.70]))
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    assert np.allclose(standardised(np.array([0.8, 0.8, 0.8])), 0)


def test_fused_score_weighs_both_sides_and_a_chunk_bm25_missed_gets_its_lowest():
    dense = {1: 0.90, 2: 0.90, 3: 0.85, 4: 0.80}
    lexical = {1: 12.0, 3: 3.0}  # chunks 2 and 4 were found by the dense side only
    fused = fuse(dense, lexical, "hybrid")
    assert max(fused, key=fused.get) == 1
    assert fused[1] > fused[2] and fused[3] > fused[4]
    assert fuse(dense, lexical, "bm25") == lexical


def test_a_report_named_by_the_question_is_covered_most():
    names = ReportNames([
        doc(1, "zh/caict_computing_power_index_whitepaper_2021.pdf", "白皮书"),
        doc(2, "zh/privacy_computing_market_report_2021.pdf", "PowerPoint 演示文稿"),
        doc(3, "en/cisco_consumer_privacy_survey_2022.pdf", "Cisco 2022 Consumer Privacy Survey"),
    ])
    asked = set(tokenize("According to CAICT's 2021 computing power index white paper, what is one EFlops?"))
    cover = names.coverage(asked)
    assert cover[1] > 2 * cover[2]
    assert cover[2] < 0.25  # it shares only "computing" and "2021"
    assert 3 not in cover


def test_words_every_report_name_holds_count_for_little():
    names = ReportNames([doc(i, f"r/{n}_whitepaper_2022.pdf", "") for i, n in enumerate(["alpha", "beta", "gamma"])])
    shared = names.coverage({"whitepap", "2022"})
    assert shared[0] == shared[1] == shared[2] and shared[0] * 3 < names.coverage({"alpha"})[0]


def test_a_question_naming_one_of_two_reports_with_the_same_text_finds_that_report(tmp_path, runner):
    from search.cli import app

    corpus = tmp_path / "c"
    corpus.mkdir()
    pages = [["Chapter 1. Harbours", "The harbour handled nine million containers last year."]]
    make_pdf(corpus / "northport_logistics_review.pdf", pages, title="Northport Logistics Review")
    make_pdf(corpus / "southbay_shipping_outlook.pdf", pages, title="Southbay Shipping Outlook")
    assert runner.invoke(app, ["build", str(corpus), "--kb", str(tmp_path / "kb")]).exit_code == 0
    searcher = Searcher(tmp_path / "kb")
    try:
        for name, path in [("Southbay shipping outlook", "southbay_shipping_outlook.pdf"),
                           ("Northport logistics review", "northport_logistics_review.pdf")]:
            _, passages = searcher.search(f"According to the {name}, how many containers did the harbour handle?")
            assert passages[0].doc == path
        _, passages = searcher.search("How many containers did the harbour handle?")
        assert {p.doc for p in passages[:2]} == {"southbay_shipping_outlook.pdf", "northport_logistics_review.pdf"}
        assert passages[0].score == pytest.approx(passages[1].score)
    finally:
        searcher.close()
