"""How the two rankings are combined, and how a question that names a report favours it."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import built_searcher, make_pdf
from wpkb.ingest.terms import index_term, tokenize
from wpkb.search import retrieve
from wpkb.ingest.names import kinds, name_terms
from wpkb.search.names import ReportNames
from wpkb.search.priors import contents_prior, references_prior
from wpkb.search.settings import DEFAULT
from wpkb.search.fusion import best_of, fuse, standardised
from wpkb.search.lexical import bm25_query


pytestmark = pytest.mark.usefixtures("fake_model")


def report_names(docs: list[tuple[int, str, str]]) -> ReportNames:
    """ReportNames of (id, path, title) reports, their name terms made as a build makes them."""
    return ReportNames({id_: name_terms(path, title) for id_, path, title in docs})


def test_standard_scores_have_mean_zero_and_unit_spread_and_survive_a_constant():
    z = standardised(np.array([0.90, 0.91, 0.95, 0.70]))
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    assert np.allclose(standardised(np.array([0.8, 0.8, 0.8])), 0)
    # scaled by a basis, the values outside it are placed on the basis's scale
    wider = standardised(np.array([1.0, 2.0, 3.0, 10.0]), np.array([1.0, 2.0, 3.0]))
    assert np.allclose(wider[:3], standardised(np.array([1.0, 2.0, 3.0]))) and wider[3] > 9


def test_fused_score_weighs_both_sides_and_a_chunk_bm25_missed_gets_its_lowest():
    dense = {1: 0.90, 2: 0.90, 3: 0.85, 4: 0.80}
    lexical = {1: 12.0, 3: 3.0}  # chunks 2 and 4 were found by the dense side only
    fused = fuse(dense, lexical, "hybrid")
    assert max(fused, key=fused.get) == 1
    assert fused[1] > fused[2] and fused[3] > fused[4]
    assert fuse(dense, lexical, "bm25") == lexical


def test_contents_pages_are_known_by_their_dot_leaders():
    assert contents_prior("第一章 总论 ........................ 1\n第二章 方法 ..................... 9") == DEFAULT.leader_keep
    dotted = "2.1 Deployment . . . . . . . . . . . . . . . . 11 2.2 Risks . . . . . . . . . . . 14"
    assert contents_prior(dotted) == DEFAULT.leader_keep
    assert contents_prior("3.5. Results. The index rose 3.5... then fell. See p. 4.") == 1.0


def test_a_report_named_by_the_question_is_covered_most():
    names = report_names([
        (1, "zh/nira_rail_freight_index_whitepaper_2031.pdf", "白皮书"),
        (2, "zh/port_freight_market_report_2031.pdf", "PowerPoint 演示文稿"),
        (3, "en/acme_traveller_survey_2032.pdf", "Acme 2032 Traveller Survey"),
    ])
    asked = set(tokenize("According to NIRA's 2031 rail freight index white paper, what is one TEU?"))
    cover = names.coverage(asked)
    assert cover[1] > 2 * cover[2]
    assert cover[2] < 0.25  # it shares only "freight" and "2031"
    assert 3 not in cover


def test_only_one_clearly_named_report_claims_its_name_terms():
    names = report_names([(1, "r/harbour_census.pdf", ""), (2, "r/orchard_census.pdf", "")])
    assert names.claimant({1: 0.9, 2: 0.3}, 0.7) == 1
    assert names.claimant({1: 0.6, 2: 0.3}, 0.7) is None  # not clearly enough
    assert names.claimant({1: 0.8, 2: 0.8}, 0.7) is None  # two reports tie
    assert names.claimant({}, 0.7) is None


def test_words_every_report_name_holds_count_for_little():
    names = report_names([(i, f"r/{n}_whitepaper_2022.pdf", "") for i, n in enumerate(["alpha", "beta", "gamma"])])
    shared = names.coverage({"whitepap", "2022"})
    assert shared[0] == shared[1] == shared[2] and shared[0] * 3 < names.coverage({"alpha"})[0]


def test_a_claimed_reports_name_terms_leave_the_query_and_its_translations():
    acme, rail, freight = (index_term(w) for w in ("acme", "rail", "freight"))
    own, alternatives = bm25_query([acme, rail, freight], [["铁路"], ["货运", acme]], {acme, rail})
    assert own == [freight] and alternatives == [["铁路"], ["货运"]]
    # A question made only of the name keeps it: an empty query would find nothing.
    assert bm25_query([acme], [], {acme, rail}) == ([acme], [])


def test_the_words_of_a_title_in_book_marks_count_as_one_term():
    port, freight, data, effect = (index_term(w) for w in ("港口", "货运", "数据", "生效"))
    own, alternatives = bm25_query([port, data, freight, data, effect], [["effect"]], set(), [[port, data, freight]])
    assert own == [data, effect] and alternatives == [["effect"], [port, data, freight]]  # data is asked twice
    assert bm25_query([freight, effect], [], set(), [[freight]]) == ([freight, effect], [])  # a one-word title is a word


def test_a_page_that_spells_a_title_out_does_not_outrank_the_page_that_answers(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "port_law_review.pdf", [
        ["港口法律年度回顾"],
        ["与港口相关的法律主要有:《港口货运数据共享促进法》(PFDS Act)和《码头安全条例》。"],
        ["港口的 PFDS Act 于2031年5月1日开始生效,统一了货单格式。"],
        ["码头安全条例规定了起重设备的检查周期。"],
    ], title="港口法律年度回顾")
    with built_searcher(corpus, runner) as searcher:
        # BM25 alone: the dense side of so small a KB favours page 2, which holds the whole title.
        _, passages = searcher.search("《港口货运数据共享促进法》是哪天开始生效的?", k=2, mode="bm25")
        assert passages[0].page == 3


_EQUAL_NAMES = """
from wpkb.ingest.names import name_terms
from wpkb.search.names import ReportNames
shared = ["harbour", "freight", "census", "tonnage", "quay"]
names = {}
for k, word in enumerate(shared):  # each word in a different number of other reports: unequal weights
    names.update((len(names), name_terms(f"{word}_{n}.pdf", "")) for n in range(2 ** k))
editions = range(len(names), len(names) + 20)
names.update((i, name_terms("_".join(shared) + f"_edition{i}.pdf", "")) for i in editions)
coverage = ReportNames(names).coverage(set(shared))
print(len({coverage[i] for i in editions}))
"""


def test_reports_whose_names_a_question_covers_equally_tie_whatever_the_hash_seed():
    # A plain sum over a set adds in the set's order, which follows the hash seed: equal
    # shares then differed in their last bit, and one of two tied reports could be claimed.
    import os
    import subprocess
    import sys

    for seed in range(1, 6):
        out = subprocess.run([sys.executable, "-c", _EQUAL_NAMES], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}, cwd=Path(__file__).parents[2])
        assert out.stdout.strip() == "1", seed


def same_harbour_page(tmp_path: Path, *reports: tuple[str, str]) -> Path:
    """A corpus of reports (file name, title) that all hold the same page about a harbour."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, title in reports:
        make_pdf(corpus / name, [["Chapter 1. Harbours", "The harbour handled nine million containers last year."]],
                 title=title)
    return corpus


def test_a_question_naming_one_of_two_reports_with_the_same_text_finds_that_report(tmp_path, runner):
    corpus = same_harbour_page(tmp_path, ("northport_logistics_review.pdf", "Northport Logistics Review"),
                               ("southbay_shipping_outlook.pdf", "Southbay Shipping Outlook"))
    with built_searcher(corpus, runner) as searcher:
        for name, path in [("Southbay shipping outlook", "southbay_shipping_outlook.pdf"),
                           ("Northport logistics review", "northport_logistics_review.pdf")]:
            q, passages = searcher.search(f"According to the {name}, how many containers did the harbour handle?")
            assert passages[0].doc == path
            assert q.named_report == searcher.document(path).id  # the answer's sentences prefer it too
        q, passages = searcher.search("How many containers did the harbour handle?")
        assert q.named_report is None
        assert {p.doc for p in passages[:2]} == {"southbay_shipping_outlook.pdf", "northport_logistics_review.pdf"}
        assert passages[0].score == pytest.approx(passages[1].score)


def test_white_paper_in_any_spelling_is_a_name_term_and_report_is_not():
    whitepaper = {index_term("whitepaper")}
    assert kinds("白皮书认为…") == kinds("According to the White Paper") == kinds("two white-papers") == whitepaper
    assert kinds("报告指出,the report says") == set()
    assert whitepaper <= name_terms("r/harbour_whitepaper_2031.pdf", "")
    assert whitepaper <= name_terms("r/harbour_2031.pdf", "港口白皮书")


def test_a_question_that_says_white_paper_favours_the_report_named_so(tmp_path, runner):
    corpus = same_harbour_page(tmp_path, ("harbour_survey_2031.pdf", "Harbour Survey 2031"),
                               ("harbour_whitepaper_2031.pdf", "Harbour Whitepaper 2031"))
    with built_searcher(corpus, runner) as searcher:
        _, passages = searcher.search("According to the white paper, how many containers did the harbour handle?")
        assert passages[0].doc == "harbour_whitepaper_2031.pdf" and passages[0].score > passages[1].score


def test_a_claimed_report_name_leaves_the_bm25_query_so_its_footers_do_not_outrank_the_answer(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    footer = "Harbour Freight Census 2031 | Harbour Freight Census 2031 | Harbour Freight Census 2031"
    make_pdf(corpus / "harbour_freight_census_2031.pdf", [
        ["Harbour Freight Census 2031"],
        ["Method. Inspectors logged 4,800 vessels at 17 docks over one year.",
         "Each dock reported its arrivals every month."],
        ["Tonnage rose everywhere.", footer, "Ships grew larger.", "Fees fell.", "Trade recovered."],
        ["Cranes were replaced.", footer, "Queues grew shorter.", "Tugs were renewed.", "Rail links opened."],
    ], title="Harbour Freight Census 2031")
    make_pdf(corpus / "orchard_yearbook.pdf", [["Apple harvests grew in the valley."]], title="Orchard Yearbook")
    with built_searcher(corpus, runner) as searcher:
        question = "How many vessels did the Harbour Freight Census 2031 count, and in how many ports?"
        _, passages = searcher.search(question, k=3)
        assert (passages[0].doc, passages[0].page) == ("harbour_freight_census_2031.pdf", 2)
        _, kept = searcher.search(question, k=3, mode="bm25")  # BM25 alone keeps the name's terms
        assert kept[0].page != 2


def test_a_chunk_keeps_the_share_of_its_lead_that_is_not_reference_list():
    body = "港口吞吐量在2031年增长了12%,主要来自集装箱业务。"
    refs = ["[1] 王明.港口经济研究[J].航运学报,2030(02):1-9.", "[2] Port Authority. Annual Review[EB/OL]. https://example.org/r"]
    assert references_prior(body) == 1.0
    assert references_prior("\n".join(refs)) == DEFAULT.leader_keep
    mixed = body + "\n" + refs[0]
    assert references_prior(mixed) == pytest.approx(1 - len(refs[0]) / len(mixed))
    # an in-text citation mark is no reference line
    assert references_prior("据统计[3],2031年港口吞吐量增长了12%。") == 1.0


def test_a_page_matching_more_question_words_beats_one_repeating_a_words_translations(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "platform_review.pdf", [
        ["平台年度回顾"],
        ["本年度平台的服务、业务与运营全面升级。", "服务团队扩大,业务覆盖新的城市,运营流程更加顺畅。"],
        ["新上线的隐私保护服务,默认加密用户的通话记录。"],
        ["明年计划开设两个新的数据中心。"],
    ], title="平台年度回顾")
    with built_searcher(corpus, runner) as searcher:
        # "service" has three translations on page 2 (服务, 业务, 运营); page 3 answers with
        # one translation each of "privacy", "protection" and "service".
        for mode in ("bm25", "hybrid"):
            _, passages = searcher.search("Which service offers privacy protection?", k=2, mode=mode)
            assert passages[0].page == 3, mode


def harbours(tmp_path: Path) -> Path:
    """A corpus of one report whose eight pages all answer a question about harbours a little."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_pdf(corpus / "harbours.pdf", [
        [f"{name} harbour. The harbour moved {n * 1000} containers last year, by ship and by rail."]
        # a name each: lines alike but for their figures would be one running header, not text
        for n, name in enumerate("Aden Bergen Cork Durban Esbjerg Fremantle Genoa Hull".split(), 1)
    ], title="Harbours")
    return corpus


def test_every_candidate_enters_fusion_with_its_own_bm25_score_not_only_bm25s_pool(tmp_path, runner, monkeypatch):
    corpus = harbours(tmp_path)
    seen = {}
    real_fuse, real_bm25 = retrieve.fuse, retrieve.bm25_scores

    def recording_fuse(dense, lexical, *rest):
        seen.update(dense=dense, lexical=lexical)
        return real_fuse(dense, lexical, *rest)

    def recording_bm25(*args):
        seen["all"] = real_bm25(*args)
        return seen["all"]

    def every_chunk_dense(self, qvec, *_):  # the dense side finds every chunk
        ids = [int(c) for c in self.lexical().ids]
        return dict(zip(ids, (self.kb.vectors(ids) @ qvec).tolist())), set(ids)

    monkeypatch.setattr(retrieve, "fuse", recording_fuse)
    monkeypatch.setattr(retrieve, "bm25_scores", recording_bm25)
    monkeypatch.setattr(retrieve.Searcher, "_dense", every_chunk_dense)
    narrow = replace(DEFAULT, pool=2, candidates_per_result=1)  # BM25 keeps its best two chunks
    with built_searcher(corpus, runner, narrow) as searcher:
        searcher.search("How many containers did the harbour move by rail?", k=1)
        lex = searcher.lexical()
    bm25_pool = set(best_of(lex.ids, seen["all"], 2))
    row = {int(c): i for i, c in enumerate(lex.ids)}
    beyond = [c for c in seen["dense"] if c not in bm25_pool]
    assert len(beyond) >= 6 and all(seen["all"][row[c]] > 0 for c in beyond)  # scored, only ranked lower
    assert all(seen["lexical"][c] == seen["all"][row[c]] for c in seen["dense"])


def test_a_larger_k_adds_pages_without_reordering_or_rescoring_those_a_smaller_k_returns(tmp_path, runner, monkeypatch):
    narrow = replace(DEFAULT, pool=2, candidates_per_result=1)  # so that -k 6 widens every side's pool threefold
    with built_searcher(harbours(tmp_path), runner, narrow) as searcher:
        question = "How many containers did the harbour move by rail?"
        _, few = searcher.search(question, k=2)
        _, more = searcher.search(question, k=6)
    assert len(more) == 6
    score_in_more = {p.chunk_id: p.score for p in more}  # the same scores, hence the same order
    assert [score_in_more[p.chunk_id] for p in few] == pytest.approx([p.score for p in few])
