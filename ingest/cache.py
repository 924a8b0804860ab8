"""``embeddings.sqlite``: chunk vectors by (model id, text sha256), so the same text is never
embedded twice. Content-addressed, so a crashed build's work is kept, not trusted blindly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

CACHE = "embeddings.sqlite"


class EmbeddingCache:
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
