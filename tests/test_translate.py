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
