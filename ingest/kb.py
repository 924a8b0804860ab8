"""A read-only view of the last committed generation: its rows, vectors and BM25 files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from . import bm25, vectors
from .errors import WpkbError
from .manifest import Manifest, damage, read_manifest
from .rows import Reads, connect_ro


class KB(Reads):
    def __init__(self, kb_dir: Path, manifest: Manifest):
        self.dir = kb_dir
        self.manifest = manifest
        self.db = connect_ro(kb_dir / manifest.db_file)
        self._index = None
        self._bm25: bm25.Bm25Index | None = None

    @classmethod
    def open(cls, kb_dir: Path) -> "KB":
        m = read_manifest(kb_dir)
        if m is None:
            raise WpkbError(f"no knowledge base in {kb_dir}; run `wpkb build` first")
        problems = damage(kb_dir, m)
        if problems:
            raise WpkbError(f"{problems[0]}; the knowledge base is damaged: `wpkb check` says more, "
                            "`wpkb build --full` repairs it")
        try:
            return cls(kb_dir, m)
        except sqlite3.Error as e:
            raise WpkbError(f"{kb_dir / m.db_file} cannot be opened ({e}); rebuild with `wpkb build --full`") from None

    def close(self) -> None:
        self.db.close()

    def index(self):
        """The FAISS index of this generation, loaded on first use."""
        if self._index is None:
            self._index = vectors.read_index(self.dir / self.manifest.vectors_file)
        return self._index

    def bm25(self) -> bm25.Bm25Index:
        """The BM25 index of this generation, loaded on first use."""
        if self._bm25 is None:
            self._bm25 = bm25.load(self.dir / self.manifest.bm25_dir)
        return self._bm25

    def vectors(self, ids: list[int]) -> np.ndarray:
        return vectors.vectors_of(self.index(), ids, self.manifest.dim)
