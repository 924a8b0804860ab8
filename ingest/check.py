"""`wpkb check`: verify a KB folder through every format it holds, and say what to do."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import bm25, manifest, vectors
from .cache import CACHE
from .errors import WpkbError
from .manifest import DB

REBUILD = "run `wpkb build --full` (it repairs the KB from the PDFs; cached vectors are reused)"


@dataclass
class CheckReport:
    kb: str
    generation: int | None = None
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fix: str | None = None

    def as_dict(self) -> dict:
        return {"kb": self.kb, "generation": self.generation, "ok": not self.problems,
                "checked": self.checked, "problems": self.problems, "fix": self.fix}


def check(kb_dir: Path) -> CheckReport:
    report = CheckReport(str(kb_dir))
    try:
        db = manifest.connect(kb_dir)
    except WpkbError as e:
        report.problems.append(str(e).split(";")[0])
        report.fix = REBUILD
        return report
    if db is None:
        raise manifest.no_kb(kb_dir)
    try:
        _check_commit(kb_dir, db, report)
    finally:
        db.close()
    _check_cache(kb_dir / CACHE, report)
    if report.problems:
        report.fix = REBUILD
    return report


def _check_commit(kb_dir: Path, db: sqlite3.Connection, report: CheckReport) -> None:
    """The rows and every segment of the last commit, as of one read transaction."""
    path = kb_dir / DB
    try:
        m = manifest.read(db, path)
    except WpkbError as e:
        report.problems.append(str(e).split(";")[0])
        return
    if m is None:
        raise manifest.no_kb(kb_dir)
    report.generation = m.generation
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            report.problems.append(f"{path}: {verdict}")
        rows = np.array([r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")], dtype=np.int64)
        report.checked.append(DB)
    except sqlite3.Error as e:
        report.problems.append(f"{path} cannot be read ({e})")
        return
    report.problems += manifest.damage(kb_dir, m.segments, full=True)
    held: list[np.ndarray] = []
    for seg in m.segments:
        try:
            ids = np.sort(vectors.vector_ids(vectors.read_index(kb_dir / seg.faiss_file)))
            lexical = bm25.load(kb_dir / seg.bm25_dir)
        except (WpkbError, RuntimeError, OSError, ValueError) as e:
            report.problems.append(f"segment {seg.id} cannot be read ({str(e).splitlines()[0]})")
            continue
        if not np.array_equal(ids, np.asarray(lexical.ids)) or len(ids) != seg.chunks:
            report.problems.append(f"{kb_dir / seg.faiss_file} and {kb_dir / seg.bm25_dir} hold other chunks "
                                   "than the commit lists")
        held.append(ids)
    files = sum(len(s.checksums) for s in m.segments)
    report.checked.append(f"{len(m.segments)} segment(s), {files} files with checksums")
    live = np.setdiff1d(np.concatenate(held) if held else np.zeros(0, np.int64), m.deleted_ids())
    if not np.array_equal(live, rows):
        report.problems.append(f"the segments index {len(live)} live chunks, {path} holds {len(rows)}")


def _check_cache(cache: Path, report: CheckReport) -> None:
    if not cache.exists():
        return
    try:
        conn = sqlite3.connect(f"{cache.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
        if verdict != "ok":
            report.problems.append(f"{cache}: {verdict} (the next build sets it aside and starts afresh)")
    except sqlite3.Error as e:
        report.problems.append(f"{cache}: {e} (the next build sets it aside and starts afresh)")
    report.checked.append(CACHE)
