"""Dictionary translation of question words, limited to and ordered by the index's own terms."""

import numpy as np

from wpkb.ingest import bm25
from wpkb.ingest.terms import index_term
from wpkb.search.lexical import Lexical
from wpkb.search.settings import DEFAULT
from wpkb.search.translate import translation_groups


class Index:
    """Stands in for the BM25 index: how many chunks hold each term."""

    def __init__(self, counts: dict[str, int]):
        self.counts = {index_term(t): n for t, n in counts.items()}

    def doc_freq(self, term: str) -> int:
        return self.counts.get(term, 0)


def translations(words: list[str], index: Index) -> list[str]:
    return [w for group in translation_groups(words, index) for w in group]


def test_of_a_words_translations_the_ones_the_corpus_uses_most_come_first():
    # CEDICT glosses 乘务, 劳务, 勤务, 服务, 业务 … all as "service"; a corpus of reports says 服务.
    counts = {"劳务": 2, "服务": 120, "业务": 40, "乘务": 1, "勤务": 1, "运营": 90, "客服": 5}
    out = translations(["service"], Index(counts))
    assert out[:4] == ["服务", "运营", "业务", "客服"]
    assert len(out) == DEFAULT.translations_per_word < len(counts)


def test_a_word_found_only_inside_two_word_glosses_is_still_translated():
    # 医疗 is glossed "medical treatment", never "medical" alone.
    assert translations(["medical"], Index({"医疗": 30})) == ["医疗"]


def test_chinese_words_translate_to_english_index_terms_and_phrases_come_first():
    assert "privacy" in translations(["隐私"], Index({"privacy": 10}))
    assert translations(["white", "paper"], Index({"白皮书": 5}))[:1] == ["白皮书"]


def test_a_chinese_word_glossed_only_in_two_words_translates_to_those_words():
    # CEDICT: 人工智能 /artificial intelligence/, 合作伙伴 /cooperative partner/
    assert "intelligence" in translations(["人工智能"], Index({"intelligence": 20}))
    assert "partner" in translations(["合作伙伴"], Index({"partner": 7}))


def test_a_chinese_word_with_a_one_word_gloss_takes_no_words_of_its_longer_ones():
    # 隐私 /secrets/privacy/private business/: "business" would count as 隐私 in an English page.
    out = translations(["隐私"], Index({"privacy": 10, "business": 90}))
    assert "privacy" in out and "business" not in out


def test_translations_absent_from_the_index_are_dropped():
    assert translations(["service", "隐私"], Index({})) == []


def test_an_inflected_word_also_takes_its_base_forms_entries():
    # CEDICT's own entries for these are rare senses: "services" 劳务, "used" 中古.
    assert "服务" in translations(["services"], Index({"劳务": 1, "服务": 50}))
    assert "使用" in translations(["used"], Index({"中古": 1, "使用": 40}))


def test_an_adverb_also_takes_its_adjectives_entries():
    # CEDICT glosses 天然 "natural", never "naturally", and 容易 "easy", not "easily".
    assert "天然" in translations(["naturally"], Index({"天然": 3}))
    assert "容易" in translations(["easily"], Index({"容易": 6}))


def test_a_short_word_ending_in_ly_is_no_adverb():
    # "early" is no form of "ear" (耳朵).
    assert "耳朵" not in translations(["early"], Index({"耳朵": 9, "早期": 2}))


def test_a_word_ending_in_d_is_not_read_as_an_inflection_of_a_shorter_one():
    # "card" is no form of "car": its translations are cards, not cars.
    out = translations(["card"], Index({"汽车": 40, "卡片": 3}))
    assert "卡片" in out and "汽车" not in out


def test_a_word_asked_twice_takes_the_same_translations_twice():
    # Not its next five senses the second time: those would count as one more question word.
    index = Index({"中国": 90, "我国": 50, "中华": 20, "内地": 10, "中西": 5, "东北": 5, "中方": 4, "华夏": 3})
    first, second = translation_groups(["china", "china"], index)
    assert first == second and "中国" in first


def test_number_words_and_currencies_translate_both_ways():
    assert translations(["trillion", "yuan"], Index({"万亿": 3, "元": 9})) == ["万亿", "元"]
    assert translations(["万亿"], Index({"trillion": 2})) == ["trillion"]


def test_a_place_name_whose_gloss_goes_on_to_describe_it_is_translated():
    # CEDICT: 广州 /Guangzhou subprovincial city and capital of Guangdong/Canton/
    assert "广州" in translations(["guangzhou"], Index({"广州": 4}))
    assert "guangzhou" in translations(["广州"], Index({"guangzhou": 4}))


def test_each_words_translations_form_one_group():
    index = Index({"服务": 120, "业务": 40, "隐私": 30})
    assert translation_groups(["service", "privacy", "zyzzyva"], index) == [["服务", "业务"], ["隐私"]]


def one_segment(rows: list[tuple[int, str]]) -> Lexical:
    return Lexical([bm25.build([(cid, terms, len(terms)) for cid, terms in rows])], np.zeros(0, np.int64))


def lexical(*chunks: str) -> Lexical:
    return one_segment([(i + 1, " ".join(index_term(w) for w in text.split())) for i, text in enumerate(chunks)])


def test_a_words_translations_count_as_one_term_in_bm25():
    # Chunk 1 holds two translations of "service"; chunk 2 holds one of "service" and one of
    # "privacy", the question's other word, so it matches more of the question.
    lex = lexical("服务 业务", "服务 隐私", "隐私 数据", "数据")
    summed = lex.scores(["服务", "业务", "隐私"])
    assert summed[0] > summed[1]  # as separate terms the rarer 业务 wins it for chunk 1
    grouped = lex.scores([], [["服务", "业务"], ["隐私"]])
    assert grouped[1] > grouped[0]
    assert np.isclose(grouped[0], lex.scores(["业务"])[0])  # its best translation, not the sum
    assert np.allclose(lex.scores(["数据"], [["unknown"]]), lex.scores(["数据"]))


def test_scores_are_read_by_chunk_id_and_an_id_not_indexed_scores_zero():
    lex = one_segment([(3, "harbour"), (7, "crane"), (9, "harbour crane")])
    scores = lex.scores(["harbour"])
    got = lex.scores_of([7, 8, 1, 10, 3, 9], scores)
    assert got == {7: 0.0, 8: 0.0, 1: 0.0, 10: 0.0, 3: float(scores[0]), 9: float(scores[2])}
    assert got[3] > 0 and got[9] > 0
