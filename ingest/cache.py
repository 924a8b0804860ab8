"""``embeddings.sqlite``: chunk vectors by (model id, text sha256), so the same text is never
embedded twice, and, where builds embed them (a new KB's do), the vectors of every answer piece
(``pieces.py``), read at question time. Content-addressed, so a crashed build's work is kept,
not trusted blindly; questions only read it, and answer the same without it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from .manifest import set_aside

CACHE = "embeddings.sqlite"
SENTENCE_VECTORS = "sentence_vectors"  # the option that has builds embed every answer piece ahead:
OFF, ON, PARTIAL = "0", "1", "partial"  # ... and all are there, or a build was stopped while embedding them


class EmbeddingCache:
    """A damaged cache file is set aside and started afresh: it only saves time. A vector read
    back is used only when it has the model's dimension, finite values and unit length."""

    def __init__(self, kb_dir: Path, model_id: str, dim: int | None = None, on_damage=None):
        kb_dir.mkdir(parents=True, exist_ok=True)
        self.model_id, self.dim = model_id, dim
        path = kb_dir / CACHE
        try:
            self.db = self._open(path)
        except sqlite3.DatabaseError:
            for side in (path.with_name(CACHE + "-wal"), path.with_name(CACHE + "-shm")):
                side.unlink(missing_ok=True)
            moved = set_aside(path)
            if on_damage:
                on_damage(f"{path} was damaged; moved it to {moved.name} and started an empty cache")
            self.db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS vectors(model TEXT NOT NULL, sha TEXT NOT NULL, "
                   "vec BLOB NOT NULL, PRIMARY KEY(model, sha))")
        db.execute("CREATE TABLE IF NOT EXISTS options(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("SELECT COUNT(*) FROM vectors").fetchone()  # a truncated file fails here, not mid-build
        return db

    @classmethod
    def reader(cls, kb_dir: Path, model_id: str, dim: int | None) -> "EmbeddingCache | None":
        """The cache opened read-only, for questions; None where there is none or it cannot be read
        (a folder this user may not write to, a damaged file): questions are then just slower."""
        path = kb_dir / CACHE
        if not path.is_file():
            return None
        self = cls.__new__(cls)
        self.model_id, self.dim = model_id, dim
        try:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error:
            return None
        try:
            self.db.execute("SELECT 1 FROM vectors LIMIT 1").fetchall()
        except sqlite3.Error:
            self.db.close()
            return None
        return self

    def option(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM options WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_option(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO options VALUES (?, ?)", (key, value))

    def _sound(self, v: np.ndarray) -> bool:
        return (self.dim is None or v.size == self.dim) and bool(np.isfinite(v).all()) \
            and abs(float(np.linalg.norm(v)) - 1.0) < 1e-3

    def get(self, shas: list[str]) -> dict[str, np.ndarray]:
        """The sound vectors of those shas the cache holds; none where a read fails (a reader's
        cache may be written, or set aside, by a build meanwhile)."""
        try:
            return self._get(shas)
        except sqlite3.Error:
            return {}

    def _get(self, shas: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(shas))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            rows = self.db.execute(f"SELECT sha, vec FROM vectors WHERE model=? AND sha IN ({','.join('?' * len(part))})",
                                   [self.model_id, *part])
            for sha, blob in rows:
                v = np.frombuffer(blob, dtype=np.float32) if len(blob) % 4 == 0 else np.zeros(0, np.float32)
                if self._sound(v):
                    found[sha] = v
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


def _state(cache: EmbeddingCache) -> str | None:
    try:
        return cache.option(SENTENCE_VECTORS)
    except sqlite3.Error:  # a cache from before options were kept
        return None


def sentence_state(kb_dir: Path, model_id: str) -> str | None:
    """The KB's SENTENCE_VECTORS option: OFF, ON, PARTIAL, or None (never set)."""
    cache = EmbeddingCache.reader(kb_dir, model_id, None)
    if cache is None:
        return None
    try:
        return _state(cache)
    finally:
        cache.close()


def stored_sentences(kb_dir: Path, model_id: str, dim: int) -> EmbeddingCache | None:
    """The KB's cache opened read-only when builds store its answer sentences' vectors there
    (the option is ON or PARTIAL); None otherwise."""
    cache = EmbeddingCache.reader(kb_dir, model_id, dim)
    if cache is not None and _state(cache) not in (ON, PARTIAL):
        cache.close()
        return None
    return cache
