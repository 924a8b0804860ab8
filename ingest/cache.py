"""``embeddings.sqlite``: chunk vectors by (model id, text sha256), so the same text is never
embedded twice. Content-addressed, so a crashed build's work is kept, not trusted blindly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from .manifest import set_aside

CACHE = "embeddings.sqlite"


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
        db.execute("SELECT COUNT(*) FROM vectors").fetchone()  # a truncated file fails here, not mid-build
        return db

    def _sound(self, v: np.ndarray) -> bool:
        return (self.dim is None or v.size == self.dim) and bool(np.isfinite(v).all()) \
            and abs(float(np.linalg.norm(v)) - 1.0) < 1e-3

    def get(self, shas: list[str]) -> dict[str, np.ndarray]:
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
