"""A read-only view of the last committed KB: its rows, as of one SQLite read transaction, and
the segments that commit lists (vectors and BM25), with the chunks deleted since."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from . import bm25, manifest, vectors
from .errors import WpkbError
from .manifest import DB, Manifest
from .rows import Reads


class KB(Reads):
    def __init__(self, kb_dir: Path, db: sqlite3.Connection, m: Manifest):
        self.dir = kb_dir
        self.db = db
        self.manifest = m
        self._index: vectors.VectorSegments | None = None
        self._bm25: list[bm25.Bm25Segment] | None = None
        self._deleted = m.deleted_ids()

    @classmethod
    def open(cls, kb_dir: Path) -> "KB":
        path = kb_dir / DB
        db = manifest.connect(kb_dir)
        if db is None:
            raise manifest.no_kb(kb_dir)
        try:
            m = manifest.read(db, path)  # as of this reader's snapshot
            if m is None:
                raise manifest.no_kb(kb_dir)
            problems = [p for p in [manifest.db_damage(path, db)] if p] + manifest.damage(kb_dir, m.segments)
        except BaseException:
            db.close()
            raise
        if problems:
            db.close()
            raise WpkbError(f"{problems[0]}; the knowledge base is damaged: `wpkb check` says more, "
                            "`wpkb build --full` repairs it")
        return cls(kb_dir, db, m)

    def close(self) -> None:
        self.db.close()

    def index(self) -> vectors.VectorSegments:
        """The FAISS indexes of the live segments, loaded on first use."""
        if self._index is None:
            segs = self.manifest.segments
            self._index = vectors.VectorSegments([vectors.read_index(self.dir / s.faiss_file) for s in segs],
                                                 [s.first_id for s in segs], self.manifest.dim)
        return self._index

    def bm25(self) -> list[bm25.Bm25Segment]:
        """The BM25 parts of the live segments, loaded (memory-mapped) on first use."""
        if self._bm25 is None:
            self._bm25 = [bm25.load(self.dir / s.bm25_dir) for s in self.manifest.segments]
        return self._bm25

    def deleted(self) -> np.ndarray:
        """Chunk ids still in a segment but deleted since (tombstones), sorted."""
        return self._deleted

    def vectors(self, ids: list[int]) -> np.ndarray:
        return self.index().vectors(ids)
