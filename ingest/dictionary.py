"""jieba's dictionary, read a word at a time from a stored copy (lookup.py) instead of loaded
whole at every start.

The copy is jieba's own prefix dictionary (every word with its frequency, every prefix of a
word with 0) and its total, exactly as jieba builds them, and jieba's own cutting code reads
it: the cuts are jieba's, only the lookups differ (checked on every chunk of the shared corpus).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from . import lookup


def _stored_path(cache: Path, dictionary: Path, version: str) -> Path:
    st = dictionary.stat()
    key = hashlib.sha256(f"{version}|{dictionary}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    return cache / f"jieba-dict-{key}.sqlite"


def tokenizer(cache: Path):
    """A jieba ``Tokenizer`` for its default dictionary, over the stored copy; the first time
    (or when the copy is unreadable) loaded whole as jieba does, and the copy stored."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    path = _stored_path(cache, Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME), jieba.__version__)
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
        lookup.write_best_effort(path, {"freq": tk.FREQ.items()}, {"total": tk.total})
    return tk
