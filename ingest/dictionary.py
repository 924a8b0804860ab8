"""jieba's dictionary, read a word at a time from a stored copy (lookup.py) instead of loaded
whole at every start.

The copy is jieba's own prefix dictionary (every word with its frequency, every prefix of a
word with 0) and its total, exactly as jieba builds them, and jieba's own cutting code reads
it: the cuts are jieba's, only the lookups differ (checked on every chunk of the shared corpus).
It also holds each word's part-of-speech tag from the same file (n noun, v verb, d adverb…).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import lookup

LAYOUT = 2  # of the stored copy; 2: the words' tags


def _dictionary(cache: Path) -> tuple[Path, Path]:
    """jieba's dictionary file, and where its stored copy lives in ``cache``."""
    import jieba

    dictionary = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    st = dictionary.stat()
    key = f"{jieba.__version__}|{LAYOUT}|{dictionary}|{st.st_size}|{st.st_mtime_ns}"
    return dictionary, cache / f"jieba-dict-{hashlib.sha256(key.encode()).hexdigest()[:12]}.sqlite"


def _tags(dictionary: Path) -> Iterator[tuple[str, str]]:
    """(word, tag) of each line of jieba's dictionary ("营销 1342 vn"), a word once."""
    seen = set()
    with dictionary.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] not in seen:
                seen.add(parts[0])
                yield parts[0], parts[2]


def tokenizer(cache: Path):
    """A jieba ``Tokenizer`` for its default dictionary, over the stored copy; the first time
    (or when the copy is unreadable) loaded whole as jieba does, and the copy stored."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    dictionary, path = _dictionary(cache)
    try:
        store = lookup.Store(path)
        tk.FREQ, tk.total, tk.initialized = store.table("freq"), int(store.meta["total"]), True
    except (lookup.Unreadable, KeyError):
        try:
            cache.mkdir(parents=True, exist_ok=True)
            tk.tmp_dir = str(cache)  # jieba's own cache of the whole load
        except OSError:
            pass
        tk.initialize()
        lookup.write_best_effort(path, {"freq": tk.FREQ.items(), "tag": _tags(dictionary)}, {"total": tk.total})
    return tk


def tags(cache: Path) -> Mapping[str, str]:
    """Each dictionary word's part-of-speech tag, read from the stored copy (made by
    ``tokenizer`` when there is none), or from jieba's file where it cannot be stored."""
    dictionary, path = _dictionary(cache)
    try:
        return lookup.Store(path).table("tag")
    except lookup.Unreadable:
        tokenizer(cache)
    try:
        return lookup.Store(path).table("tag")
    except lookup.Unreadable:
        return dict(_tags(dictionary))
