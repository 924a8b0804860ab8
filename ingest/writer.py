"""Changes to the KB, made on a copy of the last generation and published by one commit."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from . import bm25, vectors
from .errors import WpkbError
from .files import fsync_dir, fsync_file
from .manifest import (Manifest, check_compatible, checksums, damage, next_generation, now, read_manifest,
                       remove_uncommitted, write_manifest)
from .names import name_terms
from .rows import NewChunk, Reads, connect_rw


class Writer(Reads):
    """Use under ``manifest.write_lock``; ``commit`` publishes, ``abandon`` throws the copy away."""

    def __init__(self, kb_dir: Path, model_id: str, model_name: str | None, dim: int,
                 chunking: dict, fresh: bool = False):
        self.dir = kb_dir
        base = read_manifest(kb_dir)
        if base and not fresh:
            check_compatible(base, model_id, chunking, kb_dir)
        self.manifest = Manifest(next_generation(kb_dir, base), model_id, model_name, dim, chunking, "")
        self._db_path = kb_dir / (self.manifest.db_file + ".tmp")
        start_empty = not (base and not fresh)
        if start_empty:
            self._db_path.unlink(missing_ok=True)
            self.index = vectors.new_index(dim, 0)
        else:
            problems = damage(kb_dir, base, [base.db_file, base.vectors_file], full=True)
            if problems:  # building on damaged files would carry the damage into every later generation
                raise WpkbError(f"{problems[0]}; the knowledge base is damaged: rebuild it with `wpkb build --full`")
            shutil.copyfile(kb_dir / base.db_file, self._db_path)
            self.index = vectors.read_index(kb_dir / base.vectors_file)
        self.db = connect_rw(self._db_path, fresh=start_empty)

    def remake_terms(self, tokenize) -> None:
        """Recompute every chunk's BM25 terms from its text and every report's name terms, e.g.
        after the way terms are made changed (a KB from before name terms were stored gains them)."""
        ids, texts = self.chunk_texts()
        self.db.executemany("UPDATE chunks SET terms=? WHERE id=?",
                            [(" ".join(tokenize(text)), int(cid)) for cid, text in zip(ids, texts)])
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(documents)")}
        if "name_terms" not in columns:
            self.db.execute("ALTER TABLE documents ADD COLUMN name_terms TEXT NOT NULL DEFAULT ''")
        for doc_id, path, title in self.db.execute("SELECT id, path, title FROM documents").fetchall():
            self._set_name_terms(doc_id, path, title)

    def set_title(self, doc_id: int, title: str) -> None:
        (path,) = self.db.execute("SELECT path FROM documents WHERE id=?", (doc_id,)).fetchone()
        self.db.execute("UPDATE documents SET title=? WHERE id=?", (title, doc_id))
        self._set_name_terms(doc_id, path, title)

    def _set_name_terms(self, doc_id: int, path: str, title: str) -> None:
        self.db.execute("UPDATE documents SET name_terms=? WHERE id=?",
                        (" ".join(sorted(name_terms(path, title))), doc_id))

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
        (title,) = self.db.execute("SELECT title FROM documents WHERE id=?", (doc_id,)).fetchone()
        self._set_name_terms(doc_id, path, title)  # the file name is part of the name

    def touch_document(self, doc_id: int, mtime_ns: int) -> None:
        """Record a new mtime for unchanged content, so the next scan takes the fast path."""
        self.db.execute("UPDATE documents SET mtime_ns=? WHERE id=?", (mtime_ns, doc_id))

    def add_document(self, path: str, sha256: str, size: int, mtime_ns: int, title: str,
                     pages: list, warnings: list[str], header_lines: int,
                     chunks: list[NewChunk], vecs: np.ndarray) -> int:
        cur = self.db.execute(
            "INSERT INTO documents(path, sha256, size, mtime_ns, title, page_count, indexed_at, "
            "header_lines, warnings, name_terms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (path, sha256, size, mtime_ns, title, len(pages), now(), header_lines,
             json.dumps(warnings, ensure_ascii=False), " ".join(sorted(name_terms(path, title)))))
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
            self.index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), np.array(ids, dtype=np.int64))
        self.db.execute("DELETE FROM skipped WHERE path=?", (path,))
        return doc_id

    def set_skipped(self, path: str, sha256: str, size: int, mtime_ns: int, kind: str, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO skipped VALUES (?,?,?,?,?,?)",
                        (path, sha256, size, mtime_ns, kind, reason))

    def forget_skipped(self, path: str) -> None:
        self.db.execute("DELETE FROM skipped WHERE path=?", (path,))

    def commit(self) -> Manifest:
        """Write the new generation's files, then publish them by replacing the manifest."""
        n_chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if n_chunks != self.index.ntotal:  # never publish vectors and rows out of step
            raise WpkbError(f"internal error: {n_chunks} chunks but {self.index.ntotal} vectors; nothing was committed")
        self.db.commit()
        terms = self.chunk_terms()
        lengths = [r[0] for r in self.db.execute("SELECT length(text) FROM chunks")]
        self.manifest.stats = {"median_chunk_chars": int(np.median(lengths)) if lengths else 0}
        self.db.close()
        fsync_file(self._db_path)
        self.index = vectors.grow(self.index, self.manifest.dim)
        vec_tmp = self.dir / (self.manifest.vectors_file + ".tmp")
        vectors.write_index(self.index, vec_tmp)
        bm25_tmp = self.dir / (self.manifest.bm25_dir + ".tmp")
        shutil.rmtree(bm25_tmp, ignore_errors=True)
        bm25.save(bm25.build_index(terms), bm25_tmp)
        os.replace(self._db_path, self.dir / self.manifest.db_file)
        os.replace(vec_tmp, self.dir / self.manifest.vectors_file)
        os.replace(bm25_tmp, self.dir / self.manifest.bm25_dir)
        fsync_dir(self.dir)
        self.manifest.committed_at = now()
        self.manifest.checksums = checksums(self.dir, self.manifest)
        write_manifest(self.dir, self.manifest)  # the commit point
        remove_uncommitted(self.dir)
        return self.manifest

    def abandon(self) -> None:
        try:
            self.db.close()
        finally:
            self._db_path.unlink(missing_ok=True)
