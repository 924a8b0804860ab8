"""Dictionary translation of question words, limited to and ordered by the index's own terms."""

from ingest.terms import index_term
from search.translate import translations


class Index:
    """Stands in for the BM25 index: how many chunks hold each term."""

    def __init__(self, counts: dict[str, int]):
        self.counts = {index_term(t): n for t, n in counts.items()}

    def doc_freq(self, term: str) -> int:
        return self.counts.get(term, 0)


def test_of_a_words_translations_the_ones_the_corpus_uses_most_come_first():
    # CEDICT glosses 乘务, 劳务, 勤务, 服务, 业务 … all as "service"; a corpus of reports says 服务.
    out = translations(["service"], Index({"劳务": 2, "服务": 120, "业务": 40, "乘务": 1, "勤务": 1}))
    assert out == ["服务", "业务", "劳务"]


def test_a_word_found_only_inside_two_word_glosses_is_still_translated():
    # 医疗 is glossed "medical treatment", never "medical" alone.
    assert translations(["medical"], Index({"医疗": 30})) == ["医疗"]


def test_chinese_words_translate_to_english_index_terms_and_phrases_come_first():
    assert "privacy" in translations(["隐私"], Index({"privacy": 10}))
    assert translations(["white", "paper"], Index({"白皮书": 5}))[:1] == ["白皮书"]


def test_translations_absent_from_the_index_are_dropped():
    assert translations(["service", "隐私"], Index({})) == []


def test_an_inflected_word_also_takes_its_base_forms_entries():
    # CEDICT's own entries for these are rare senses: "services" 劳务, "used" 中古.
    assert "服务" in translations(["services"], Index({"劳务": 1, "服务": 50}))
    assert "使用" in translations(["used"], Index({"中古": 1, "使用": 40}))


def test_number_words_and_currencies_translate_both_ways():
    assert translations(["trillion", "yuan"], Index({"万亿": 3, "元": 9})) == ["万亿", "元"]
    assert translations(["万亿"], Index({"trillion": 2})) == ["trillion"]


def test_a_place_name_whose_gloss_goes_on_to_describe_it_is_translated():
    # CEDICT: 广州 /Guangzhou subprovincial city and capital of Guangdong/Canton/
    assert "广州" in translations(["guangzhou"], Index({"广州": 4}))
    assert "guangzhou" in translations(["广州"], Index({"guangzhou": 4}))
