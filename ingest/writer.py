"""Changes to the KB, made in one SQLite transaction on ``kb.sqlite`` and published by its
commit, with one new index segment for the chunks they add (manifest.py)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from . import bm25, manifest, vectors
from .errors import WpkbError
from .files import fsync_dir
from .manifest import DB, Manifest, Segment, check_compatible, now
from .names import name_terms
from .rows import NewChunk, Reads, connect_ro, connect_rw, create_schema, drop_schema


class Writer(Reads):
    """Use under ``manifest.write_lock``; ``commit`` publishes, ``abandon`` rolls back."""

    def __init__(self, kb_dir: Path, model_id: str, model_name: str | None, dim: int,
                 chunking: dict, fresh: bool = False):
        self.dir = kb_dir
        base = manifest.read_committed(kb_dir)  # a format-1 KB being converted has none yet
        if base and not fresh:
            check_compatible(base, model_id, chunking, kb_dir)
        self.db = connect_rw(kb_dir / DB)
        try:
            self.db.execute("BEGIN IMMEDIATE")
            if base is None or fresh:
                drop_schema(self.db)
                create_schema(self.db)
        except BaseException:
            self.db.close()
            raise
        kept = base if base and not fresh else None
        # generation: the last commit's, until this writer's commit counts one more
        self.manifest = Manifest(base.generation if base else 0, model_id, model_name, dim, chunking,
                                 segments=list(kept.segments) if kept else [],
                                 deleted=dict(kept.deleted) if kept else {},
                                 last_segment=base.last_segment if base else 0)
        self._reindex = False
        # chunk ids only grow (AUTOINCREMENT): the chunks above this one are this commit's
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name='chunks'").fetchone()
        self._first_new = int(row[0]) if row else 0
        self.index = vectors.new_index(dim, 0)  # the vectors of this commit's chunks

    def remake_terms(self, tokenize) -> None:
        """Recompute every chunk's BM25 terms from its text and every report's name terms, e.g.
        after the way terms are made changed; the commit then indexes every chunk afresh."""
        ids, texts = self.chunk_texts()
        self.db.executemany("UPDATE chunks SET terms=? WHERE id=?",
                            [(" ".join(tokenize(text)), int(cid)) for cid, text in zip(ids, texts)])
        for doc_id, path, title in self.db.execute("SELECT id, path, title FROM documents").fetchall():
            self._set_name_terms(doc_id, path, title)
        self._reindex = True

    def set_title(self, doc_id: int, title: str) -> None:
        (path,) = self.db.execute("SELECT path FROM documents WHERE id=?", (doc_id,)).fetchone()
        self.db.execute("UPDATE documents SET title=? WHERE id=?", (title, doc_id))
        self._set_name_terms(doc_id, path, title)

    def _set_name_terms(self, doc_id: int, path: str, title: str) -> None:
        self.db.execute("UPDATE documents SET name_terms=? WHERE id=?",
                        (" ".join(sorted(name_terms(path, title))), doc_id))

    def remove_document(self, doc_id: int) -> int:
        """Delete a report's rows; its committed chunks become tombstones of their segments."""
        ids = self.chunk_ids(doc_id)
        new = ids[ids > self._first_new]
        if len(new):
            removed = self.index.remove_ids(new)
            if removed != len(new):
                raise WpkbError(f"internal error: {len(new) - removed} new chunk(s) of {self.dir} have no "
                                "vector; nothing was committed")
        firsts = [s.first_id for s in self.manifest.segments]
        for cid in ids[ids <= self._first_new].tolist():
            seg = self.manifest.segments[max(0, np.searchsorted(firsts, cid, side="right") - 1)]
            if not seg.first_id <= cid <= seg.last_id:
                raise WpkbError(f"the index of {self.dir} lacks chunk {cid}; rebuild with `wpkb build --full`")
            self.manifest.deleted[cid] = seg.id
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

    def merge(self, run: list[Segment]) -> None:
        """Replace these segments (adjacent by chunk id) by one that leaves their deleted
        chunks out; IVF is trained here when the result is large (vectors.FLAT_MAX)."""
        if not run:
            return
        at = [self.manifest.segments.index(s) for s in run]
        if at != list(range(at[0], at[0] + len(run))):  # else the merged range would overlap another's
            raise WpkbError("internal error: only adjacent segments can be merged")
        problems = manifest.damage(self.dir, run, full=True)
        if problems:  # merging damaged files would carry the damage on
            raise WpkbError(f"{problems[0]}; the knowledge base is damaged: rebuild it with `wpkb build --full`")
        dead = self.manifest.deleted_ids()
        ids, vecs, lexical, keep = [], [], [], []
        for seg in run:
            seg_ids, seg_vecs = vectors.contents(vectors.read_index(self.dir / seg.faiss_file), self.manifest.dim)
            lexical.append(bm25.load(self.dir / seg.bm25_dir))
            if not np.array_equal(seg_ids, lexical[-1].ids):
                raise WpkbError(f"{self.dir / seg.faiss_file} and {seg.bm25_dir} hold other chunks; the knowledge "
                                "base is damaged: rebuild it with `wpkb build --full`")
            keep.append(~np.isin(seg_ids, dead))
            ids.append(seg_ids[keep[-1]])
            vecs.append(seg_vecs[keep[-1]])
        merged = bm25.merge(lexical, keep)
        all_ids = np.concatenate(ids)
        index = vectors.segment_index(all_ids, np.concatenate(vecs), self.manifest.dim)
        self._replace(run, index, merged)

    def _replace(self, old: list[Segment], index, lexical: bm25.Bm25Segment) -> None:
        """Write a segment of these files in place of ``old`` (in this transaction)."""
        gone = {s.id for s in old}
        self.manifest.segments = [s for s in self.manifest.segments if s.id not in gone]
        self.manifest.deleted = {c: s for c, s in self.manifest.deleted.items() if s not in gone}
        if len(lexical.ids):
            self.manifest.segments.append(self._write_segment(index, lexical))
            self.manifest.segments.sort(key=lambda s: s.first_id)

    def _write_segment(self, index, lexical: bm25.Bm25Segment) -> Segment:
        number = manifest.next_segment(self.dir, self.manifest)
        self.manifest.last_segment = number
        seg = Segment(number, int(lexical.ids[0]), int(lexical.ids[-1]), len(lexical.ids), {})
        faiss_tmp = self.dir / (seg.faiss_file + ".tmp")
        bm25_tmp = self.dir / (seg.bm25_dir + ".tmp")
        shutil.rmtree(bm25_tmp, ignore_errors=True)
        vectors.write_index(index, faiss_tmp)
        bm25.save(lexical, bm25_tmp)
        os.replace(faiss_tmp, self.dir / seg.faiss_file)  # not listed yet: no reader opens them
        os.replace(bm25_tmp, self.dir / seg.bm25_dir)
        fsync_dir(self.dir)
        return Segment(seg.id, seg.first_id, seg.last_id, seg.chunks, manifest.checksums(self.dir, number))

    def _index_new_chunks(self) -> None:
        """The segment of this commit's chunks (of all chunks, when terms were remade)."""
        dim = self.manifest.dim
        rows = self.chunk_terms(0 if self._reindex else self._first_new)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        held = [vectors.contents(self.index, dim)]
        if self._reindex:  # every chunk's terms changed: one segment of everything
            held += [vectors.contents(vectors.read_index(self.dir / s.faiss_file), dim) for s in self.manifest.segments]
        held_ids = np.concatenate([h[0] for h in held])
        order = np.argsort(held_ids)
        held_ids, held_vecs = held_ids[order], np.concatenate([h[1] for h in held])[order]
        live = np.isin(held_ids, ids)  # leaves out the tombstoned chunks of old segments
        if not np.array_equal(held_ids[live], ids):  # never publish vectors and rows out of step
            raise WpkbError(f"internal error: {len(ids)} chunks to index but vectors for {int(live.sum())}; "
                            "nothing was committed")
        if len(ids) or self._reindex:
            old = list(self.manifest.segments) if self._reindex else []
            self._replace(old, vectors.segment_index(ids, held_vecs[live], dim), bm25.build(rows))

    def _stats(self) -> dict:
        chars = []
        for seg in self.manifest.segments:
            ids, lengths = bm25.chunk_chars(self.dir / seg.bm25_dir)
            chars.append(lengths[~np.isin(ids, self.manifest.deleted_in(seg))])
        lengths = np.concatenate(chars) if chars else np.zeros(0)
        return {"median_chunk_chars": int(np.median(lengths)) if len(lengths) else 0}

    def commit(self) -> Manifest:
        """Write this commit's segment and publish it with the rows in one transaction; then
        merge segments, each merge a commit of its own, while ``merge.next_merge`` asks for one."""
        from .merge import next_merge

        self._index_new_chunks()
        self.manifest.stats = self._stats()  # a merge leaves the live chunks as they are
        self._publish()
        while (run := next_merge(self.manifest)) is not None:
            self.db.execute("BEGIN IMMEDIATE")
            self.merge(run)
            self._publish()
        self._finish()
        return self.manifest

    def _publish(self) -> None:
        m = self.manifest
        m.generation += 1
        m.committed_at = now()
        self.db.execute("DELETE FROM segments")
        self.db.executemany("INSERT INTO segments VALUES (?,?,?,?,?)",
                            [(s.id, s.first_id, s.last_id, s.chunks, json.dumps(s.checksums)) for s in m.segments])
        self.db.execute("DELETE FROM tombstones")
        self.db.executemany("INSERT INTO tombstones VALUES (?,?)", list(m.deleted.items()))
        manifest.write(self.db, m)
        self.db.execute("COMMIT")  # the commit point

    def _finish(self) -> None:
        try:
            # Fold the WAL into the file; without waiting for readers of an older state.
            self.db.execute("PRAGMA busy_timeout=0")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._close()
        manifest.remove_unlisted(self.dir, {s.id for s in self.manifest.segments})

    def _close(self) -> None:
        self.db.close()
        # Closing the last writing connection deleted the WAL and its index (-shm). A reader that
        # may not write to the folder cannot make them again but reads through them once they
        # are there, and a read-only connection leaves them in place when it closes. A courtesy:
        # it must not hide what the build did or why it failed.
        try:
            connect_ro(self.dir / DB).close()
        except (OSError, sqlite3.Error):
            pass

    def abandon(self) -> None:
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        finally:
            self._close()
            manifest.remove_unlisted(self.dir, None)
