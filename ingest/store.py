"""The knowledge base on disk. This module alone reads and writes its files.

A KB folder holds immutable *generations*: ``kb-NNNNNN.sqlite`` (documents, pages,
chunks), ``vectors-NNNNNN.faiss`` (chunk vectors keyed by chunk id) and ``bm25-NNNNNN/``
(a bm25s index over the chunks' terms, rows in chunk-id order). ``manifest.json``
names the current generation; replacing it (temp file, fsync, ``os.replace``) is the one
commit point, so a reader sees the old KB or the new one, never a mix, and a build killed
at any moment leaves the last committed KB intact. ``embeddings.sqlite`` caches vectors by
(model, text hash); it is content-addressed, so a crashed build's work is kept, not trusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UsageError, WpkbError
from .terms import VERSION as TERMS_VERSION

FORMAT = 1
MANIFEST = "manifest.json"
CACHE = "embeddings.sqlite"
LOCK = "write.lock"
KEEP_GENERATIONS = 2  # the current one and its predecessor, for readers that just opened it
_GEN_FILE = re.compile(r"^(kb|vectors|bm25)-(\d{6})(\.sqlite|\.faiss|)(\..*)?$")

SCHEMA = """
CREATE TABLE documents(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL UNIQUE,            -- relative to the corpus folder, '/' separated
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  title TEXT NOT NULL, page_count INTEGER NOT NULL, indexed_at TEXT NOT NULL,
  header_lines INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]');
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
"""


@dataclass
class Manifest:
    generation: int
    model_id: str
    model_name: str | None
    dim: int
    chunking: dict
    committed_at: str
    stats: dict = field(default_factory=dict)  # e.g. median_chunk_chars, for retrieval priors
    format: int = FORMAT

    @property
    def db_file(self) -> str:
        return f"kb-{self.generation:06d}.sqlite"

    @property
    def vectors_file(self) -> str:
        return f"vectors-{self.generation:06d}.faiss"

    @property
    def bm25_dir(self) -> str:
        return f"bm25-{self.generation:06d}"


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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync_file(path)
    except OSError:  # some filesystems can't fsync a directory; the rename is still atomic
        pass


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_manifest(kb_dir: Path) -> Manifest | None:
    path = kb_dir / MANIFEST
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); rebuild with `wpkb build --full`") from None
    if raw.get("format") != FORMAT:
        raise WpkbError(f"the knowledge base in {kb_dir} has format {raw.get('format')}, this wpkb reads "
                        f"format {FORMAT}; rebuild it with `wpkb build --full`")
    try:
        return Manifest(raw["generation"], raw["model"]["id"], raw["model"].get("name"),
                        raw["model"]["dim"], raw["chunking"], raw["committed_at"], raw.get("stats", {}))
    except (KeyError, TypeError):
        raise WpkbError(f"{path} is incomplete; rebuild with `wpkb build --full`") from None


def _write_manifest(kb_dir: Path, m: Manifest) -> None:
    data = {"format": m.format, "generation": m.generation,
            "model": {"id": m.model_id, "name": m.model_name, "dim": m.dim},
            "chunking": m.chunking, "committed_at": m.committed_at, "stats": m.stats,
            "files": {"db": m.db_file, "vectors": m.vectors_file, "bm25": m.bm25_dir}}
    _atomic_write(kb_dir / MANIFEST, json.dumps(data, indent=2, ensure_ascii=False).encode())


def _connect_ro(path: Path) -> sqlite3.Connection:
    # Committed generations are never modified, so readers need no locks.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _doc_row(r: sqlite3.Row) -> DocRow:
    return DocRow(r["id"], r["path"], r["sha256"], r["size"], r["mtime_ns"], r["title"],
                  r["page_count"], r["indexed_at"], r["header_lines"], json.loads(r["warnings"]))


class _Reads:
    """Queries shared by the read-only KB and the writer (both hold ``self.db``)."""

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

    def chunk_texts(self) -> tuple[np.ndarray, list[str]]:
        """(ids, texts) of every chunk, in id order."""
        rows = self.db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def skipped(self) -> list[SkippedRow]:
        return [SkippedRow(*r) for r in self.db.execute(
            "SELECT path, sha256, size, mtime_ns, kind, reason FROM skipped ORDER BY path")]


class KB(_Reads):
    """A read-only view of the last committed generation."""

    def __init__(self, kb_dir: Path, manifest: Manifest):
        self.dir = kb_dir
        self.manifest = manifest
        self.db = _connect_ro(kb_dir / manifest.db_file)
        self._index = None
        self._bm25 = None

    @classmethod
    def open(cls, kb_dir: Path) -> "KB":
        m = read_manifest(kb_dir)
        if m is None:
            raise WpkbError(f"no knowledge base in {kb_dir}; run `wpkb build` first")
        try:
            return cls(kb_dir, m)
        except sqlite3.Error as e:
            raise WpkbError(f"{kb_dir / m.db_file} cannot be opened ({e}); rebuild with `wpkb build --full`") from None

    def close(self) -> None:
        self.db.close()

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
            f"SELECT c.id, c.doc_id, d.path, c.page_start, p.label, c.char_start, c.char_end, c.text, p.status "
            f"FROM chunks c JOIN documents d ON d.id=c.doc_id "
            f"JOIN pages p ON p.doc_id=c.doc_id AND p.number=c.page_start WHERE c.id IN ({marks})",
            [int(i) for i in ids])
        return {r[0]: ChunkRow(*r) for r in rows}

    def chunk_ids(self, doc_id: int) -> np.ndarray:
        return np.array([r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))],
                        dtype=np.int64)

    def index(self):
        """The FAISS index of this generation, loaded on first use."""
        if self._index is None:
            self._index = _read_index(self.dir / self.manifest.vectors_file)
        return self._index

    def bm25(self) -> "Lexical":
        """The BM25 index of this generation, loaded on first use."""
        if self._bm25 is None:
            self._bm25 = Lexical.load(self.dir / self.manifest.bm25_dir)
        return self._bm25

    def vectors(self, ids: list[int]) -> np.ndarray:
        index = self.index()
        return np.stack([index.reconstruct(int(i)) for i in ids]) if ids else np.zeros((0, self.manifest.dim))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, inner product) of the k nearest chunks, optionally among ``allowed`` ids."""
        import faiss

        index = self.index()
        if index.ntotal == 0:
            return []
        params = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(allowed)
            if isinstance(index, faiss.IndexIDMap2):
                params = faiss.SearchParameters(sel=sel)
            else:
                params = faiss.SearchParametersIVF(sel=sel, nprobe=faiss.extract_index_ivf(index).nprobe)
        scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32),
                                   min(k, index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


FLAT_MAX = 50_000  # exact search up to this many chunks; then IVF (bench/index_scale.py)
IVF_NPROBE = 16  # lists searched per query; recall@10 >= 0.95 against exact in bench/index_scale.py


def ivf_lists(n: int) -> int:
    # about 4 sqrt(n) lists, but never fewer than 39 training points per list (k-means needs them)
    return max(1, min(int(4 * np.sqrt(n)), n // 39))


def new_index(dim: int, n: int, training: np.ndarray | None = None):
    """Exact inner product for small KBs; IVF, trained on ``training``, past FLAT_MAX chunks.

    Both are keyed by chunk id and support removal by id. IVF keeps the ids in its own lists
    (an IndexIDMap around it would go stale on removal) and a hashtable direct map makes
    ``reconstruct(id)`` work.
    """
    import faiss

    if n <= FLAT_MAX or training is None:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    nlist = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = training[rng.choice(len(training), min(len(training), 64 * nlist), replace=False)]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.nprobe = IVF_NPROBE
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    return index


def _grow(index, dim: int):
    """Move a flat index that outgrew FLAT_MAX into IVF, keeping every id."""
    import faiss

    if not isinstance(index, faiss.IndexIDMap2) or index.ntotal <= FLAT_MAX:
        return index
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    vecs = index.index.reconstruct_n(0, index.ntotal)
    ivf = new_index(dim, len(ids), vecs)
    ivf.add_with_ids(vecs, ids)
    return ivf


def vector_ids(index) -> np.ndarray:
    """Every chunk id held by the index."""
    import faiss

    if isinstance(index, faiss.IndexIDMap2):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = faiss.extract_index_ivf(index).invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
             for i in range(lists.nlist) if lists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _read_index(path: Path):
    import faiss

    if not path.exists():
        raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
    return faiss.read_index(str(path))


class Lexical:
    """A bm25s index whose rows are chunks; ``ids`` maps row -> chunk id."""

    IDS = "chunk_ids.npy"

    def __init__(self, bm25, ids: np.ndarray):
        self.bm25 = bm25
        self.ids = ids
        self.vocabulary = bm25.vocab_dict if bm25 is not None else {}
        self._rows: dict[int, int] | None = None  # chunk id -> row, made on first use

    @classmethod
    def build(cls, rows: list[tuple[int, str]]) -> "Lexical":
        import bm25s

        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return cls(None, ids)
        bm25 = bm25s.BM25()
        bm25.index([terms.split() for _, terms in rows], show_progress=False)
        return cls(bm25, ids)

    def save(self, path: Path) -> None:
        path.mkdir()
        np.save(path / self.IDS, self.ids)
        if self.bm25 is not None:
            self.bm25.save(str(path), show_progress=False)
        for f in path.iterdir():
            _fsync_file(f)

    @classmethod
    def load(cls, path: Path) -> "Lexical":
        import bm25s

        if not path.exists():
            raise WpkbError(f"{path} is missing (the KB changed while reading?); run the command again")
        ids = np.load(path / cls.IDS)
        if len(ids) == 0:
            return cls(None, ids)
        return cls(bm25s.BM25.load(str(path), mmap=True, show_progress=False, verbosity=0), ids)

    def scores_of(self, chunk_ids: list[int], scores: np.ndarray) -> dict[int, float]:
        """{chunk id: its entry in ``scores``} (an array in ``ids`` order); 0 for ids not indexed."""
        if self._rows is None:
            self._rows = {int(c): i for i, c in enumerate(self.ids)}
        rows = self._rows
        return {c: float(scores[rows[c]]) if c in rows else 0.0 for c in chunk_ids}

    def doc_freq(self, term: str) -> int:
        """How many chunks hold the term."""
        col = self.vocabulary.get(term)
        if col is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[col + 1] - indptr[col])

    def scores(self, terms: list[str], alternatives: Sequence[list[str]] = ()) -> np.ndarray:
        """BM25 score of every chunk (in ``ids`` order) for the query terms, plus, for each
        list of ``alternatives`` (a word's translations), the best score of its terms in
        that chunk: alternatives count as one word however many there are."""
        total = np.zeros(len(self.ids), dtype=np.float32)
        if self.bm25 is None:
            return total
        known = [t for t in terms if t in self.vocabulary]
        if known:
            total += np.asarray(self.bm25.get_scores(known), dtype=np.float32)
        for group in alternatives:
            total += self._best(group)
        return total

    def _best(self, terms: list[str]) -> np.ndarray:
        """Per chunk, the highest BM25 score of any one of the terms (0 where none occurs),
        read from each term's postings (bm25s keeps a term's per-chunk scores as a column)."""
        s = self.bm25.scores
        best = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:
            col = self.vocabulary.get(t)
            if col is not None:
                start, end = s["indptr"][col], s["indptr"][col + 1]
                rows = s["indices"][start:end]
                best[rows] = np.maximum(best[rows], s["data"][start:end])
        return best


@contextmanager
def write_lock(kb_dir: Path):
    """Hold the KB's writer lock; a second writer fails at once with a clear message."""
    from filelock import FileLock, Timeout

    kb_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(kb_dir / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise WpkbError(f"another wpkb build, add, remove or watch is writing to {kb_dir}; "
                        "wait for it to finish and run this again") from None
    try:
        _remove_uncommitted(kb_dir)
        yield
    finally:
        lock.release()


def _remove_uncommitted(kb_dir: Path) -> None:
    """Delete files of generations that were never committed, or are too old to be read."""
    m = read_manifest(kb_dir)
    current = m.generation if m else 0
    for p in kb_dir.iterdir():
        match = _GEN_FILE.match(p.name)
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            p.unlink(missing_ok=True)
        elif match:
            gen, tmp = int(match.group(2)), match.group(4)
            if tmp or gen > current or gen <= current - KEEP_GENERATIONS:
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)


class Writer(_Reads):
    """Changes to the KB, made on a copy and published by ``commit``. Use under ``write_lock``."""

    def __init__(self, kb_dir: Path, model_id: str, model_name: str | None, dim: int,
                 chunking: dict, fresh: bool = False):
        self.dir = kb_dir
        base = read_manifest(kb_dir)
        if base and not fresh:
            check_compatible(base, model_id, chunking, kb_dir)
        self.manifest = Manifest((base.generation if base else 0) + 1, model_id, model_name, dim,
                                 chunking, "")
        self._db_path = kb_dir / (self.manifest.db_file + ".tmp")
        if base and not fresh:
            shutil.copyfile(kb_dir / base.db_file, self._db_path)
            self.index = _read_index(kb_dir / base.vectors_file)
        else:
            self._db_path.unlink(missing_ok=True)
            self.index = new_index(dim, 0)
        self.db = sqlite3.connect(self._db_path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")
        if not (base and not fresh):
            self.db.executescript(SCHEMA)

    def remake_terms(self, tokenize) -> None:
        """Recompute every chunk's BM25 terms from its text, e.g. after the way terms are made changed."""
        ids, texts = self.chunk_texts()
        self.db.executemany("UPDATE chunks SET terms=? WHERE id=?",
                            [(" ".join(tokenize(text)), int(cid)) for cid, text in zip(ids, texts)])

    def remove_document(self, doc_id: int) -> int:
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        if ids:
            removed = self.index.remove_ids(np.array(ids, dtype=np.int64))
            if removed != len(ids):
                raise WpkbError(f"the vector index in {self.dir} lacks {len(ids) - removed} chunk(s); "
                                "rebuild with `wpkb build --full`")
        self.db.execute("DELETE FROM documents WHERE id=?", (doc_id,))
        return len(ids)

    def rename_document(self, doc_id: int, path: str, mtime_ns: int) -> None:
        self.db.execute("UPDATE documents SET path=?, mtime_ns=? WHERE id=?", (path, mtime_ns, doc_id))

    def touch_document(self, doc_id: int, mtime_ns: int) -> None:
        """Record a new mtime for unchanged content, so the next scan takes the fast path."""
        self.db.execute("UPDATE documents SET mtime_ns=? WHERE id=?", (mtime_ns, doc_id))

    def add_document(self, path: str, sha256: str, size: int, mtime_ns: int, title: str,
                     pages: list, warnings: list[str], header_lines: int,
                     chunks: list[NewChunk], vectors: np.ndarray) -> int:
        cur = self.db.execute(
            "INSERT INTO documents(path, sha256, size, mtime_ns, title, page_count, indexed_at, "
            "header_lines, warnings) VALUES (?,?,?,?,?,?,?,?,?)",
            (path, sha256, size, mtime_ns, title, len(pages), _now(), header_lines,
             json.dumps(warnings, ensure_ascii=False)))
        doc_id = cur.lastrowid
        self.db.executemany("INSERT INTO pages VALUES (?,?,?,?,?)",
                            [(doc_id, p.number, p.label, p.status, p.text) for p in pages])
        ids = []
        for c in chunks:
            cur = self.db.execute(
                "INSERT INTO chunks(doc_id, page_start, page_end, char_start, char_end, text, text_sha, terms) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (doc_id, c.page, c.page, c.char_start, c.char_end, c.text, c.text_sha, " ".join(c.terms)))
            ids.append(cur.lastrowid)
        if ids:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64))
        self.db.execute("DELETE FROM skipped WHERE path=?", (path,))
        return doc_id

    def set_skipped(self, path: str, sha256: str, size: int, mtime_ns: int, kind: str, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO skipped VALUES (?,?,?,?,?,?)",
                        (path, sha256, size, mtime_ns, kind, reason))

    def forget_skipped(self, path: str) -> None:
        self.db.execute("DELETE FROM skipped WHERE path=?", (path,))

    def commit(self) -> Manifest:
        """Write the new generation's files, then publish them by replacing the manifest."""
        import faiss

        n_chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if n_chunks != self.index.ntotal:  # never publish vectors and rows out of step
            raise WpkbError(f"internal error: {n_chunks} chunks but {self.index.ntotal} vectors; nothing was committed")
        self.db.commit()
        self._terms = self.db.execute("SELECT id, terms FROM chunks ORDER BY id").fetchall()
        lengths = [r[0] for r in self.db.execute("SELECT length(text) FROM chunks")]
        self.manifest.stats = {"median_chunk_chars": int(np.median(lengths)) if lengths else 0}
        self.db.close()
        _fsync_file(self._db_path)
        self.index = _grow(self.index, self.manifest.dim)
        vec_tmp = self.dir / (self.manifest.vectors_file + ".tmp")
        faiss.write_index(self.index, str(vec_tmp))
        _fsync_file(vec_tmp)
        bm25_tmp = self.dir / (self.manifest.bm25_dir + ".tmp")
        shutil.rmtree(bm25_tmp, ignore_errors=True)
        Lexical.build(self._terms).save(bm25_tmp)
        os.replace(self._db_path, self.dir / self.manifest.db_file)
        os.replace(vec_tmp, self.dir / self.manifest.vectors_file)
        os.replace(bm25_tmp, self.dir / self.manifest.bm25_dir)
        _fsync_dir(self.dir)
        self.manifest.committed_at = _now()
        _write_manifest(self.dir, self.manifest)  # the commit point
        _remove_uncommitted(self.dir)
        return self.manifest

    def abandon(self) -> None:
        try:
            self.db.close()
        finally:
            self._db_path.unlink(missing_ok=True)


def terms_current(m: Manifest) -> bool:
    """Whether the KB's BM25 terms were made as ``terms.tokenize`` makes them now."""
    return m.chunking.get("terms") == TERMS_VERSION


def check_terms(m: Manifest, kb_dir: Path) -> None:
    if not terms_current(m):
        raise WpkbError(f"the knowledge base in {kb_dir} holds BM25 terms made by an older wpkb; run "
                        "`wpkb build` to remake them (nothing is re-embedded)")


def _without_terms(chunking: dict) -> dict:
    return {k: v for k, v in chunking.items() if k != "terms"}


def check_compatible(m: Manifest, model_id: str, chunking: dict, kb_dir: Path) -> None:
    if m.model_id != model_id:
        raise WpkbError(f"the knowledge base in {kb_dir} was built with model {m.model_id}, not {model_id}; "
                        "rebuild it with `wpkb build --full` (add --model to choose the model)")
    # Terms are remade from the stored chunk texts (Writer.remake_terms); the rest needs a rebuild.
    if _without_terms(m.chunking) != _without_terms(chunking):
        raise WpkbError(f"the knowledge base in {kb_dir} was built with chunking {m.chunking}, not {chunking}; "
                        "rebuild it with `wpkb build --full`")


class EmbeddingCache:
    """Vectors by (model id, text sha256), so the same text is never embedded twice."""

    def __init__(self, kb_dir: Path, model_id: str):
        kb_dir.mkdir(parents=True, exist_ok=True)
        self.model_id = model_id
        self.db = sqlite3.connect(kb_dir / CACHE)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors(model TEXT NOT NULL, sha TEXT NOT NULL, "
                        "vec BLOB NOT NULL, PRIMARY KEY(model, sha))")

    def get(self, shas: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(shas))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            rows = self.db.execute(f"SELECT sha, vec FROM vectors WHERE model=? AND sha IN ({','.join('?' * len(part))})",
                                   [self.model_id, *part])
            for sha, blob in rows:
                found[sha] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, shas: list[str], vectors: np.ndarray) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                                [(self.model_id, s, np.asarray(v, np.float32).tobytes()) for s, v in zip(shas, vectors)])

    def clear(self) -> None:
        with self.db:
            self.db.execute("DELETE FROM vectors WHERE model=?", (self.model_id,))

    def close(self) -> None:
        self.db.close()
