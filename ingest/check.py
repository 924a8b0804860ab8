"""`wpkb check`: verify a KB folder through every format it holds, and say what to do."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import bm25, vectors
from .cache import CACHE
from .errors import WpkbError
from .manifest import MANIFEST, damage, read_manifest
from .rows import connect_ro

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
        m = read_manifest(kb_dir)
    except WpkbError as e:
        report.problems.append(str(e).split(";")[0])
        report.fix = REBUILD
        return report
    if m is None:
        raise WpkbError(f"no knowledge base in {kb_dir}; run `wpkb build` first")
    report.generation = m.generation
    report.checked.append(MANIFEST)
    if m.checksums:
        report.problems += damage(kb_dir, m, full=True)
        report.checked.append(f"checksums of {len(m.checksums)} files")
    try:
        db = connect_ro(kb_dir / m.db_file)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                report.problems.append(f"{kb_dir / m.db_file}: {verdict}")
            chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        finally:
            db.close()
        report.checked.append(m.db_file)
        index = vectors.read_index(kb_dir / m.vectors_file)
        if index.ntotal != chunks:
            report.problems.append(f"{kb_dir / m.vectors_file} holds {index.ntotal} vectors for {chunks} chunks")
        report.checked.append(m.vectors_file)
        ids = bm25.load(kb_dir / m.bm25_dir).ids
        if len(ids) != chunks:
            report.problems.append(f"{kb_dir / m.bm25_dir} indexes {len(ids)} chunks of {chunks}")
        report.checked.append(m.bm25_dir)
    except (sqlite3.Error, WpkbError, RuntimeError, OSError, ValueError) as e:
        report.problems.append(f"a file of generation {m.generation} cannot be read ({str(e).splitlines()[0]})")
    cache = kb_dir / CACHE
    if cache.exists():
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
    if report.problems:
        report.fix = REBUILD
    return report
