"""Normalisation, running-header removal, sentence splitting and chunking."""

from wpkb.ingest.chunk import ChunkSettings, chunk_spans, sentence_spans
from wpkb.ingest.clean import clean_page, join_ligature_splits, join_lines, normalise_chars, one_line
from wpkb.ingest.headers import running_lines, strip_running_lines
from wpkb.ingest.terms import tokenize


def test_nfkc_maps_kangxi_radicals_and_ligatures():
    assert normalise_chars("⼤语⾔模型") == "大语言模型"
    assert normalise_chars("conﬁguration ﬂow") == "configuration flow"


def test_control_characters_and_nul_are_dropped():
    assert normalise_chars("LLM\x00\x00: 提示词\x07注入") == "LLM: 提示词注入"


def test_spaces_between_cjk_characters_are_removed():
    assert normalise_chars("大 型 语 言 模 型 的 关注") == "大型语言模型的关注"
    assert normalise_chars("市 场 ， 人们") == "市场,人们"
    # Latin words keep their spaces, and so does a number before a Chinese unit.
    assert normalise_chars("large language model") == "large language model"
    assert normalise_chars("2022 年 底") == "2022 年底"


def test_hard_wrapped_lines_are_joined_by_script():
    assert join_lines(["发展数字经济已上升为国家", "战略。", "下一段"]) == "发展数字经济已上升为国家战略。\n下一段"
    assert join_lines(["the model is", "suboptimal"]) == "the model is suboptimal"
    assert join_lines(["a subop-", "timal result"]) == "a suboptimal result"
    assert join_lines(["well-", "Known"]) == "well- Known"  # only a lower-case continuation is de-hyphenated


def test_clean_page_is_idempotent():
    text = clean_page(["⼤ 语 ⾔ 模 型", "的 风 险。", "Second line", "continues here."])
    assert clean_page(text.split("\n")) == text


def test_running_headers_and_page_numbers_are_removed_but_repeated_content_kept():
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    pages = [["Annual Report 2023", f"{w} opens the page", f"{w} closes it", f"Page {i}"]
             for i, w in enumerate(words, 1)]
    pages[3].insert(2, "Table 1: revenue")  # repeated twice only: content, not a running line
    pages[5].insert(2, "Table 1: revenue")
    running = running_lines(pages)
    kept, removed = strip_running_lines(pages[3], running)
    assert kept == ["delta opens the page", "Table 1: revenue", "delta closes it"]
    assert removed == ["Annual Report 2023", "Page 4"]


def test_running_lines_match_whatever_page_number_and_brackets_they_carry():
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    printings = ["》{}Harbour Review——2021", "Harbour Review — 2021 {}《", "HARBOUR REVIEW 2021 · {}", "{} | Harbour Review 2021"]
    pages = [[printings[i % 4].format(i), f"{w} opens the page"] for i, w in enumerate(words, 1)]
    running = running_lines(pages)
    assert [strip_running_lines(p, running)[0] for p in pages[:2]] == [["alpha opens the page"], ["beta opens the page"]]


def test_a_line_like_a_running_line_is_one_only_where_ocr_may_have_misread_it():
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    pages = [["Harbour Review: the year in shipping", f"{w} opens the page", f"{w} closes it"] for w in words]
    pages[4][0] = "Harbour Review: the yeer in shipplng"  # OCR's reading of the same header
    assert strip_running_lines(pages[4], running_lines(pages))[1] == []  # a text layer's line that differs is content
    assert strip_running_lines(pages[4], running_lines(pages, misread=True), misread=True)[1] == [pages[4][0]]


def test_no_running_lines_in_a_short_document():
    assert running_lines([["Title", "x"], ["Title", "y"]]) == set()


def test_sentences_split_on_chinese_and_english_punctuation():
    text = "第一句。第二句!第三句?Fourth one. Fifth 3.5 percent; sixth"
    got = [text[a:b] for a, b in sentence_spans(text)]
    assert got == ["第一句。", "第二句!", "第三句?", "Fourth one.", "Fifth 3.5 percent;", "sixth"]


def test_chunks_respect_size_overlap_and_offsets():
    text = "".join(f"这是第{i}个句子,内容用于测试分块。" for i in range(40))
    settings = ChunkSettings(size=60, overlap=1)
    spans = chunk_spans(text, settings)
    assert len(spans) > 5
    for a, b in spans:
        assert 0 <= a < b <= len(text) and b - a <= 60
        assert text[a:b].startswith("这是第")
    for (a1, b1), (a2, b2) in zip(spans, spans[1:]):
        assert a2 < b1  # one sentence of overlap
    assert spans[-1][1] == len(text)


def test_run_on_text_is_cut_to_the_chunk_size():
    text = "1 2 3 4 5 " * 100  # a flattened table: no sentence end at all
    spans = chunk_spans(text, ChunkSettings(size=100, overlap=0))
    assert all(b - a <= 100 for a, b in spans)
    assert sum(b - a for a, b in spans) >= len(text.strip()) - 10


def test_bm25_terms_cut_chinese_and_drop_stopwords():
    terms = tokenize("2030年AI客服的市场规模是多少? What is the market size?")
    assert {"2030", "ai", "客服", "市场", "规模", "market", "size"} <= set(terms)
    assert "的" not in terms and "the" not in terms
    # words about the document itself, in either language
    assert tokenize("白皮书提到的市场规模") == tokenize("根据报告,市场规模") == ["市场", "规模"]
    assert tokenize("the report says the market size") == ["market", "size"]


def test_bm25_terms_stem_english_words_but_not_numbers_or_chinese():
    assert tokenize("the FTC received comments") == tokenize("FTC receives a comment")
    assert tokenize("countries") == tokenize("country")
    assert tokenize("22.73% 2018 5g 营销") == ["22.73%", "2018", "5g", "营销"]


def test_an_unknown_chinese_word_is_cut_the_same_in_a_question_and_in_the_page():
    # jieba's HMM would make up 时首店 in the question and 首店 in the page
    question = set(tokenize("咖啡品牌开业时首店客流有多少?"))
    page = set(tokenize("这家咖啡品牌的首店开业当天接待顾客三千人。"))
    assert {"首", "店", "开业"} <= question & page
    assert "时首店" not in question


def test_words_split_after_a_ligature_are_rejoined():
    text = "The confi guration of the diff erent fl ange needs verifi cation; fi ve sites, off site staff members."
    assert join_ligature_splits(text) == (
        "The configuration of the different flange needs verification; five sites, off site staff members.")


def test_an_answer_sentence_is_shown_on_one_line():
    assert one_line("关于“新\n利润”的作战地图\n") == "关于“新利润”的作战地图"
    assert one_line("2022年初,J.D.\nPower与《环球时报》") == "2022年初,J.D. Power与《环球时报》"
    assert one_line("built with the following components:  \n• An off-the-shelf toolkit") == \
        "built with the following components: • An off-the-shelf toolkit"
