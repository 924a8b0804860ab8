"""The commit record of a KB and the files it names: ``kb.sqlite``'s ``meta``, ``segments``
and ``tombstones`` tables, written in the same transaction as the rows it describes.

A KB folder holds ``kb.sqlite`` (rows.py), updated in place in WAL mode, and the files of
its index segments, ``seg-NNNNNN.faiss`` (vectors.py) and ``seg-NNNNNN.bm25/`` (bm25.py).
A build writes one segment for the chunks it adds; a deleted chunk is a tombstone until a
merge leaves it out (merge.py). The transaction that lists a new segment beside the new rows
is the commit: a reader sees the KB before it or after it, never a mix, and a build killed at
any moment leaves the last committed KB. Segment files that no commit lists are the remains
of a killed build, or of segments a merge replaced; the writer deletes them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import remove, sha256_of
from .rows import connect_ro
from .terms import VERSION as TERMS_VERSION

FORMAT = 2  # 1: immutable generations named by manifest.json (converted by `wpkb build`, legacy.py)
DB = "kb.sqlite"
LEGACY_MANIFEST = "manifest.json"
LOCK = "write.lock"
_SEGMENT_FILE = re.compile(r"^seg-(\d{6})\.(faiss|bm25)(\.tmp)?$")


@dataclass(frozen=True)
class Segment:
    id: int
    first_id: int  # the chunk ids it holds lie in [first_id, last_id]
    last_id: int
    chunks: int  # vectors it holds, deleted ones included
    checksums: dict  # file (relative) -> [size, sha256]

    @property
    def faiss_file(self) -> str:
        return segment_name(self.id, "faiss")

    @property
    def bm25_dir(self) -> str:
        return segment_name(self.id, "bm25")


@dataclass
class Manifest:
    generation: int  # counts commits; a reader compares it to see whether the KB changed
    model_id: str
    model_name: str | None
    dim: int
    chunking: dict
    committed_at: str = ""
    stats: dict = field(default_factory=dict)  # e.g. median_chunk_chars, for retrieval priors
    segments: list[Segment] = field(default_factory=list)  # by first_id
    deleted: dict[int, int] = field(default_factory=dict)  # tombstoned chunk id -> its segment
    last_segment: int = 0  # the highest segment number ever used: names are never reused
    format: int = FORMAT

    def deleted_ids(self) -> np.ndarray:
        return np.array(sorted(self.deleted), dtype=np.int64)

    def deleted_in(self, seg: Segment) -> np.ndarray:
        """The tombstoned chunk ids of one segment."""
        return np.array([c for c, s in self.deleted.items() if s == seg.id], dtype=np.int64)

    def live(self, seg: Segment) -> int:
        return seg.chunks - len(self.deleted_in(seg))


def segment_name(number: int, kind: str) -> str:
    return f"seg-{number:06d}.{kind}"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def legacy(kb_dir: Path) -> bool:
    """A KB of format 1, which `wpkb build` converts (legacy.py); until the conversion
    commits, its manifest names the KB."""
    return (kb_dir / LEGACY_MANIFEST).exists() and read_committed(kb_dir) is None


def no_kb(kb_dir: Path) -> WpkbError:
    if (kb_dir / LEGACY_MANIFEST).exists():
        return WpkbError(f"the knowledge base in {kb_dir} was made by an older wpkb; run `wpkb build` "
                         "once to convert it (nothing is re-embedded)")
    return WpkbError(f"no knowledge base in {kb_dir}; run `wpkb build` first")


def unreadable(path: Path, e: Exception | str) -> WpkbError:
    if path.exists() and not os.access(path.parent, os.W_OK):
        return WpkbError(f"{path} cannot be read from a folder wpkb may not write to ({e}): its WAL index "
                         f"{path.name}-shm is missing; run `wpkb build` once as a user who may write to "
                         f"{path.parent} (it leaves the index for readers), or make the folder writable")
    return WpkbError(f"{path} is unreadable ({e}); rebuild with `wpkb build --full`")


def read(db: sqlite3.Connection, path: Path) -> Manifest | None:
    """The commit record, as of the connection's transaction; None before the first commit."""
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() is None:
            return None
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        segments = [Segment(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in db.execute(
            "SELECT id, first_id, last_id, chunks, checksums FROM segments ORDER BY first_id")]
        deleted = dict(db.execute("SELECT chunk_id, segment FROM tombstones").fetchall())
    except (sqlite3.Error, ValueError) as e:
        raise unreadable(path, e) from None
    if not meta:
        return None
    if meta.get("format") != FORMAT:
        raise WpkbError(f"the knowledge base in {path.parent} has format {meta.get('format')}, this wpkb "
                        f"reads format {FORMAT}; rebuild it with `wpkb build --full`")
    try:
        model = meta["model"]
        return Manifest(int(meta["generation"]), model["id"], model.get("name"), int(model["dim"]),
                        dict(meta["chunking"]), meta.get("committed_at", ""), dict(meta.get("stats", {})),
                        segments, deleted, int(meta.get("last_segment", 0)))
    except (KeyError, TypeError, ValueError):
        raise WpkbError(f"{path} holds an incomplete commit record; rebuild with `wpkb build --full`") from None


def check_header(path: Path) -> None:
    """A file SQLite would read as an empty database (a few bytes of something else) is damage."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    if head and head != b"SQLite format 3\0":
        raise unreadable(path, "not a SQLite database")


def connect(kb_dir: Path) -> sqlite3.Connection | None:
    """A reader's connection to ``kb.sqlite`` (one read transaction, rows.connect_ro); None
    when there is no file; a file that is no database, or that SQLite cannot open, is an error
    that says what to do."""
    path = kb_dir / DB
    check_header(path)
    try:
        return connect_ro(path)
    except FileNotFoundError:
        return None
    except sqlite3.Error as e:
        raise unreadable(path, e) from None


def read_committed(kb_dir: Path) -> Manifest | None:
    """The record of ``kb.sqlite``'s last commit; None before the first (or without the file)."""
    db = connect(kb_dir)
    if db is None:
        return None
    try:
        return read(db, kb_dir / DB)
    finally:
        db.close()


def read_manifest(kb_dir: Path) -> Manifest | None:
    """The last commit's record; None when there is no KB in the folder yet."""
    m = read_committed(kb_dir)
    if m is None and (kb_dir / LEGACY_MANIFEST).exists():
        raise no_kb(kb_dir)
    return m


def write(db: sqlite3.Connection, m: Manifest) -> None:
    """Record ``m`` inside the writer's open transaction (its COMMIT is the KB's commit)."""
    meta = {"format": m.format, "generation": m.generation,
            "model": {"id": m.model_id, "name": m.model_name, "dim": m.dim},
            "chunking": m.chunking, "committed_at": m.committed_at, "stats": m.stats,
            "last_segment": m.last_segment}
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                   [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()])


def db_damage(path: Path, db: sqlite3.Connection) -> str | None:
    """A cheap check that the SQLite file has the size its header says (a truncated copy
    would fail only when a query reaches the missing pages). Only with an empty WAL: until
    a checkpoint, the newest pages live there."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    pages = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    if path.stat().st_size < pages:
        return f"{path} is shorter than its own header says"
    return None


def checksums(kb_dir: Path, number: int) -> dict:
    """[size, sha256] of each file of a segment, relative to the KB folder."""
    files = [segment_name(number, "faiss")]
    bm25 = kb_dir / segment_name(number, "bm25")
    files += sorted(f"{bm25.name}/{p.name}" for p in bm25.iterdir())
    return {name: [(kb_dir / name).stat().st_size, sha256_of(kb_dir / name)] for name in files}


def damage(kb_dir: Path, segments: list[Segment], full: bool = False) -> list[str]:
    """What no longer matches the commit: a missing segment file, another size, or (``full``)
    other bytes. Sizes cost a stat each; hashes read every byte."""
    problems = []
    for seg in segments:
        for name, (size, sha) in seg.checksums.items():
            path = kb_dir / name
            try:
                if path.stat().st_size != size:
                    problems.append(f"{path} has another size than when it was committed")
                elif full and sha256_of(path) != sha:
                    problems.append(f"{path} has other bytes than when it was committed")
            except FileNotFoundError:
                problems.append(f"{path} is missing")
    return problems


def set_aside(path: Path) -> Path:
    """Move a damaged file out of the way (``NAME.damaged-N``), keeping it for a look; a
    SQLite file takes its WAL and shared-memory files along."""
    n = 1
    while (dest := path.with_name(f"{path.name}.damaged-{n}")).exists():
        n += 1
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, dest.with_name(dest.name + suffix))
    os.replace(path, dest)
    return dest


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
        remove_unlisted(kb_dir)
        yield
    finally:
        lock.release()


def remove_unlisted(kb_dir: Path, keep: set[int] | None = None) -> None:
    """Delete segment files no commit lists (a killed build's, a merge's inputs) and temporary
    files. With an unreadable KB nothing but temporary files is deleted: which segments are
    live is unknown, and `wpkb build --full` starts afresh anyway."""
    known = keep is not None
    if not known:
        try:
            m = read_committed(kb_dir)  # a format-1 KB's kb.sqlite has none: every segment file is unlisted
            keep, known = {s.id for s in m.segments} if m else set(), True
        except WpkbError:
            pass
    for p in kb_dir.iterdir():
        match = _SEGMENT_FILE.match(p.name)
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            p.unlink(missing_ok=True)
        elif match and known and (match.group(3) or int(match.group(1)) not in keep):
            remove(p)


def next_segment(kb_dir: Path, m: Manifest | None) -> int:
    """After every segment number used, and after any segment's files left on disk: a new
    segment never writes over files a reader might be about to open."""
    on_disk = [int(g.group(1)) for p in kb_dir.iterdir() if (g := _SEGMENT_FILE.match(p.name))]
    return max([m.last_segment if m else 0, *on_disk]) + 1


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
