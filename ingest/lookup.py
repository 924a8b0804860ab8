"""Word tables kept in the user cache as indexed SQLite files, read a key at a time.

A question needs a few dozen entries of jieba's dictionary (500k entries) and of CC-CEDICT's
tables; loading them whole costs 0.4 s and 0.1 s at every start, reading one entry from an
index costs microseconds. A file holds named tables of key -> value (an integer, or a JSON
list) and a ``meta`` table with its format; it is written whole under a temporary name and
renamed (files.replacing), so a reader never sees half of one. These are caches: anything
wrong with a file means it is made again from its source.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .files import replacing

FORMAT = 1


class Unreadable(Exception):
    """The file is missing, damaged or of another format: make it again."""


class Store:
    """An open file of tables; ``meta`` gives its recorded values (e.g. jieba's total)."""

    def __init__(self, path: Path):
        try:
            self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self.meta = dict(self._con.execute("SELECT key, value FROM meta"))
        except sqlite3.Error as e:
            raise Unreadable(str(e)) from None
        if self.meta.get("format") != FORMAT:
            raise Unreadable(f"format {self.meta.get('format')}")
        self._lock = threading.Lock()  # one connection, shared by threads (an MCP server's)

    def fetch(self, table: str, key: str):
        with self._lock:
            row = self._con.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def table(self, name: str, decode=None) -> StoredTable:
        return StoredTable(self, name, decode)


class StoredTable(Mapping):
    """A read-only mapping over one table, remembering what it looked up: cutting a whole
    corpus asks for the same few hundred thousand keys again and again."""

    def __init__(self, store: Store, name: str, decode=None):
        self._store, self._name, self._decode = store, name, decode
        self._seen: dict[str, object] = {}

    def get(self, key, default=None):
        try:
            value = self._seen[key]
        except KeyError:
            value = self._store.fetch(self._name, key) if isinstance(key, str) else None
            if value is not None and self._decode is not None:
                value = self._decode(value)
            self._seen[key] = value
        return default if value is None else value

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __bool__(self) -> bool:  # a Mapping's truth would count it
        return True

    def __iter__(self) -> Iterator[str]:  # read a key at a time; never listed whole
        raise TypeError("a stored table is read a key at a time")

    def __len__(self) -> int:
        raise TypeError("a stored table is read a key at a time")


def write(path: Path, tables: dict[str, Iterable[tuple[str, object]]], meta: dict[str, int]) -> None:
    """Write the tables (values: int, or lists stored as JSON) and ``meta`` as one new file."""
    with replacing(path) as tmp:
        con = sqlite3.connect(tmp)
        try:
            with con:
                for name, items in tables.items():
                    con.execute(f"CREATE TABLE {name}(key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID")
                    con.executemany(f"INSERT INTO {name} VALUES(?, ?)",
                                    ((k, json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
                                     for k, v in items))
                con.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL)")
                con.executemany("INSERT INTO meta VALUES(?, ?)", [("format", FORMAT), *meta.items()])
        finally:
            con.close()


def write_best_effort(path: Path, tables: dict, meta: dict[str, int]) -> None:
    """``write`` for a cache: one that can't be written (full disk, read-only folder) only costs
    the time to load its source again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, tables, meta)
    except (OSError, sqlite3.Error):
        pass


def decode_list(value: str) -> list:
    return json.loads(value)
