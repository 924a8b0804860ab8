"""How common a word is in general text (wordfreq's small English and Chinese lists, CC BY-SA):
a question's word that the KB lacks says "the reports don't cover this" the more surely, the
more often a KB of its size would hold that word by chance. A one-report KB lacks most
ordinary words (阶段, build); a 30-report KB lacking "Tesla" is telling. So is one lacking a
thing's name (光合作用, 亚运会), but not one lacking the verb or adverb a paraphrase brought (留给,
打出, 宁愿): the reports say the same in other words.

wordfreq takes 0.1 s to import and load; its lists are stored once in the cache as indexed
SQLite files (ingest/lookup.py) and read a word at a time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from ..ingest import lookup
from ..ingest.clean import is_han
from ..ingest.embed import cache_dir
from ..ingest.errors import WpkbError

PER = 1_000_000_000  # frequencies are stored as integer counts per billion words


@cache
def _table(lang: str) -> Mapping[str, int]:
    spec = find_spec("wordfreq")  # finding it does not import it
    if spec is None or spec.origin is None:
        raise WpkbError("the confidence needs the wordfreq package; run `pip install 'wordfreq>=3.1,<4'`")
    source = Path(spec.origin).parent / "data" / f"small_{lang}.msgpack.gz"
    if not source.is_file():
        raise WpkbError(f"wordfreq is installed without {source.name}; run `pip install --force-reinstall 'wordfreq>=3.1,<4'`")
    stored = cache_dir() / f"wordfreq-{lang}-{source.stat().st_size}-v1.sqlite"
    try:
        return lookup.Store(stored).table("frequency")
    except lookup.Unreadable:  # none yet, damaged, from another wordfreq: load it again
        pass
    from wordfreq import get_frequency_dict

    counts = {w: round(f * PER) for w, f in get_frequency_dict(lang, wordlist="small").items()}
    lookup.write_best_effort(stored, {"frequency": counts.items()}, {})
    return counts


def frequency(word: str) -> float:
    """The word's share of the running words of general text in its script's language
    (0 when it is rarer than one in a million, the small lists' floor)."""
    return _table("zh" if is_han(word) else "en").get(word.lower(), 0) / PER


@cache
def _tags() -> Mapping[str, str]:
    from ..ingest.dictionary import tags

    return tags(cache_dir())


def names_a_thing(word: str) -> bool:
    """Whether the KB's lacking a question word says it is not about that thing: a Chinese word
    jieba's dictionary tags as a noun, a name or an abbreviation (or does not hold), and any
    English word, which no tagger here can tell from a verb."""
    if not is_han(word):
        return True
    tag = _tags().get(word)
    return tag is None or tag[0] in "nj" or tag == "eng"


def chance_held(forms: tuple[str, ...], running_words: float) -> float:
    """The probability that a text of ``running_words`` holds one of ``forms`` (a word and its
    translations) at least once, were the best of them as common there as in general text."""
    f = max((frequency(w) for w in forms), default=0.0)
    return 1.0 - math.exp(-f * running_words)
