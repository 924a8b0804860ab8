"""The KB's SQLite file (``kb.sqlite``): schema, row types and the queries that read it.
Documents, their pages' text, chunks with offsets and BM25 terms, the files of the corpus
that are not indexed, and the commit record (``meta``, ``segments``, ``tombstones``, read
and written by manifest.py). The file is updated in place, in WAL mode: one transaction is
one commit, and a reader's transaction sees the KB as it was when it began."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UsageError

SCHEMA = """
CREATE TABLE documents(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL UNIQUE,            -- relative to the corpus folder, '/' separated
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  title TEXT NOT NULL, page_count INTEGER NOT NULL, indexed_at TEXT NOT NULL,
  header_lines INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]',
  name_terms TEXT NOT NULL DEFAULT '');  -- index terms of its file name and title (names.py), space separated
CREATE TABLE pages(
  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  number INTEGER NOT NULL, label TEXT, status TEXT NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY(doc_id, number));
CREATE TABLE chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the vector id in the FAISS index; never reused
  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  page_start INTEGER NOT NULL, page_end INTEGER NOT NULL,
  char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,  -- offsets in the page text
  text TEXT NOT NULL, text_sha TEXT NOT NULL,
  terms TEXT NOT NULL);                 -- BM25 terms, space separated
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE skipped(                    -- files in the corpus that are not indexed, and why
  path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,                    -- 'error' (unreadable) or 'excluded' (by `wpkb remove`)
  reason TEXT NOT NULL);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- JSON values (manifest.py)
CREATE TABLE segments(                   -- the index segments the committed KB searches
  id INTEGER PRIMARY KEY,                -- names its files, seg-NNNNNN.*; never reused
  first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,  -- the chunk ids it holds lie in this range
  chunks INTEGER NOT NULL,               -- vectors it holds, deleted ones included
  checksums TEXT NOT NULL);              -- JSON: file -> [size, sha256], recorded when written
CREATE TABLE tombstones(                 -- chunks deleted since their segment was written
  chunk_id INTEGER PRIMARY KEY, segment INTEGER NOT NULL);
"""


@dataclass
class DocRow:
    id: int
    path: str
    sha256: str
    size: int
    mtime_ns: int
    title: str
    page_count: int
    indexed_at: str
    header_lines: int
    warnings: list[str]
    chunks: int = 0
    page_status: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class PageRow:
    number: int
    label: str | None
    status: str
    text: str


@dataclass
class ChunkRow:
    id: int
    doc_id: int
    doc_path: str
    page: int
    label: str | None
    char_start: int
    char_end: int
    text: str
    page_status: str
    doc_title: str = ""


@dataclass
class SkippedRow:
    path: str
    sha256: str
    size: int
    mtime_ns: int
    kind: str
    reason: str


@dataclass
class NewChunk:
    page: int
    char_start: int
    char_end: int
    text: str
    text_sha: str
    terms: list[str]


def connect_ro(path: Path) -> sqlite3.Connection:
    """A reader. It holds one read transaction until closed, so every query sees the commit it
    opened, whatever a writer commits meanwhile (WAL keeps that state for it); a server may
    read from its worker threads, one call at a time (mcp_server.py)."""
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False,
                           isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # the snapshot starts at the first read
    return conn


def connect_rw(path: Path) -> sqlite3.Connection:
    """The writer's connection: transactions begun and ended by the caller (manifest.py)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """The tables, inside the caller's transaction (``executescript`` would commit it)."""
    statement = ""
    for line in SCHEMA.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):  # a ';' in a comment does not end one
            conn.execute(statement)
            statement = ""


def drop_schema(conn: sqlite3.Connection) -> None:
    """Every table, inside the caller's transaction: a full rebuild starts from nothing."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid DESC")]
    for name in names:  # children before the tables they refer to: no cascade to run
        conn.execute(f'DROP TABLE "{name}"')


def _doc_row(r: sqlite3.Row) -> DocRow:
    return DocRow(r["id"], r["path"], r["sha256"], r["size"], r["mtime_ns"], r["title"],
                  r["page_count"], r["indexed_at"], r["header_lines"], json.loads(r["warnings"]))


class Reads:
    """Queries over a generation's rows, shared by the read-only KB and the writer (``self.db``)."""

    db: sqlite3.Connection

    def documents(self) -> list[DocRow]:
        docs = [_doc_row(r) for r in self.db.execute("SELECT * FROM documents ORDER BY path")]
        counts = dict(self.db.execute("SELECT doc_id, COUNT(*) FROM chunks GROUP BY doc_id").fetchall())
        status: dict[int, dict[str, int]] = {}
        for doc_id, st, n in self.db.execute("SELECT doc_id, status, COUNT(*) FROM pages GROUP BY doc_id, status"):
            status.setdefault(doc_id, {})[st] = n
        for d in docs:
            d.chunks = counts.get(d.id, 0)
            d.page_status = status.get(d.id, {})
        return docs

    def name_terms(self) -> dict[int, set[str]]:
        """Report id -> the index terms of its name, as the build stored them."""
        return {doc_id: set(terms.split()) for doc_id, terms in self.db.execute("SELECT id, name_terms FROM documents")}

    def chunk_texts(self) -> tuple[np.ndarray, list[str]]:
        """(ids, texts) of every chunk, in id order."""
        rows = self.db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def chunk_terms(self, after: int = 0) -> list[tuple[int, str, int]]:
        """(id, space-separated BM25 terms, characters) of every chunk with an id above
        ``after``, in id order."""
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT id, terms, length(text) FROM chunks WHERE id > ? ORDER BY id", (after,))]

    def skipped(self) -> list[SkippedRow]:
        return [SkippedRow(*r) for r in self.db.execute(
            "SELECT path, sha256, size, mtime_ns, kind, reason FROM skipped ORDER BY path")]

    def find_document(self, name: str) -> DocRow:
        """A document by its path, file name or stem; a unique substring also works."""
        docs = self.documents()
        key = name.replace("\\", "/").strip().lower()
        for test in (lambda d: d.path.lower() == key,
                     lambda d: d.name.lower() == key,
                     lambda d: d.name.lower().rsplit(".", 1)[0] == key,
                     lambda d: key in d.path.lower()):
            hits = [d for d in docs if test(d)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise UsageError(f"'{name}' matches {len(hits)} reports ({', '.join(d.path for d in hits[:5])}); "
                                 "give more of the path")
        raise UsageError(f"no report '{name}' in the knowledge base; `wpkb sources` lists them")

    def pages(self, doc_id: int) -> list[PageRow]:
        return [PageRow(*r) for r in self.db.execute(
            "SELECT number, label, status, text FROM pages WHERE doc_id=? ORDER BY number", (doc_id,))]

    def page(self, doc: DocRow, number: int) -> PageRow:
        if not 1 <= number <= max(doc.page_count, 1):
            raise UsageError(f"{doc.path} has pages 1-{doc.page_count}; there is no page {number}")
        r = self.db.execute("SELECT number, label, status, text FROM pages WHERE doc_id=? AND number=?",
                            (doc.id, number)).fetchone()
        if r is None:
            raise UsageError(f"{doc.path} has pages 1-{doc.page_count}; there is no page {number}")
        return PageRow(*r)

    def chunks(self, ids: list[int]) -> dict[int, ChunkRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.id, c.doc_id, d.path, c.page_start, p.label, c.char_start, c.char_end, c.text, p.status, d.title "
            f"FROM chunks c JOIN documents d ON d.id=c.doc_id "
            f"JOIN pages p ON p.doc_id=c.doc_id AND p.number=c.page_start WHERE c.id IN ({marks})",
            [int(i) for i in ids])
        return {r[0]: ChunkRow(*r) for r in rows}

    def chunk_ids(self, doc_id: int) -> np.ndarray:
        return np.array([r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))],
                        dtype=np.int64)

    def page_text(self, doc_id: int, number: int) -> str:
        r = self.db.execute("SELECT text FROM pages WHERE doc_id=? AND number=?", (doc_id, number)).fetchone()
        return r[0] if r else ""
