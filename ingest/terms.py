"""Terms for the BM25 index: jieba words for Chinese, stemmed lower-cased words and numbers otherwise."""

from __future__ import annotations

import re
from functools import cache

from .clean import HAN, is_han, normalise_chars

# How terms are made. It is recorded with the chunk settings: a KB whose terms were made
# another way is refused by search (its terms could not meet the question's) and has
# its terms remade by the next build.
VERSION = "jieba-search-dict+snowball-en/4"  # 3: report name terms stored; 4: titles from the pages

_RUNS = re.compile(rf"[{HAN}]+|[a-z0-9]+(?:[.,][0-9]+)*%?")
EN_STOP = frozenset(
    "a an and are as at be been by can could did do does for from had has have how i if in into is it its "
    "of on or our so such than that the their them then there these they this those to was we were what "
    "when where which who whom why will with would you your about according described say says said "
    "paper report white document most more many much some any all each other also only very here over "
    "under after before between both same own not no nor too just out up down again once during through "
    "above below should may might must shall being having doing me my he she him her his one does".split()
)
# Words that point at the document rather than at what it says ("白皮书提到…", "根据报告…"),
# as "according", "report", "paper" and "says" are in EN_STOP; jieba's search mode also
# yields 白皮 and 皮书 from 白皮书.
ZH_STOP = frozenset(
    "的 了 是 在 和 与 及 或 等 也 都 而 就 对 为 以 被 将 把 从 中 上 下 之 其 这 那 有 个 "
    "我们 什么 哪些 多少 是否 如何 怎么 "
    "白皮书 白皮 皮书 报告 根据 提到 提及 指出 认为".split()
)

@cache
def _cutter():
    from .dictionary import tokenizer
    from .embed import cache_dir

    return tokenizer(cache_dir())


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def is_chinese(term: str) -> bool:
    return is_han(term)


def words(text: str) -> list[str]:
    """The words of a text as written (lower-cased); Chinese runs cut for search (words and their parts)."""
    out: list[str] = []
    for run in _RUNS.findall(normalise_chars(text).lower()):
        if is_chinese(run):
            # Dictionary words only: jieba's HMM guesses unknown words from the characters
            # around them, so a question and the page that answers it get cut differently
            # ("开业时首店" gives 时首店, "品牌首店开业" 首店). Without it an unknown word
            # falls apart into the same single characters wherever it appears.
            out.extend(w for w in _cutter().lcut_for_search(run, HMM=False) if w not in ZH_STOP)
        elif run not in EN_STOP:
            out.append(run)
    return out


def index_term(word: str) -> str:
    """The form a word takes in the index: English words stemmed, so "received" meets "receive"."""
    return _stemmer().stemWord(word) if word.isascii() and word.isalpha() else word


def tokenize(text: str) -> list[str]:
    """BM25 terms of a text."""
    return [index_term(w) for w in words(text)]
