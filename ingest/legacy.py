"""KBs of format 1 (immutable generations, ``kb-NNNNNN.sqlite``, ``vectors-NNNNNN.faiss``
and ``bm25-NNNNNN/``, named by ``manifest.json``), converted by the first `wpkb build` of
format 2: the rows are copied into ``kb.sqlite``, the vectors become its first segment and
the BM25 part is made from the stored terms, so nothing is re-embedded. Until that commit
the old files are the KB; after it they are deleted."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from . import vectors
from .errors import WpkbError
from .files import remove
from .manifest import LEGACY_MANIFEST
from .progress import Progress
from .writer import Writer

_OLD_FILE = re.compile(r"^(kb|vectors|bm25)-\d{6}(\.sqlite|\.faiss|)(\..*)?$")
_TABLES = ("documents", "pages", "chunks", "skipped")


def convert(kb_dir: Path, progress: Progress) -> None:
    """Under the writer lock."""
    path = kb_dir / LEGACY_MANIFEST
    try:
        raw = json.loads(path.read_text())
        old_db, old_vectors = kb_dir / raw["files"]["db"], kb_dir / raw["files"]["vectors"]
        model = raw["model"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); rebuild with `wpkb build --full`") from None
    progress.stage("converting the knowledge base to segments", 0)
    writer = Writer(kb_dir, model["id"], model.get("name"), int(model["dim"]), dict(raw["chunking"]), fresh=True)
    try:
        old = sqlite3.connect(f"{old_db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            for table in _TABLES:
                cur = old.execute(f"SELECT * FROM {table}")
                names = [c[0] for c in cur.description]
                marks = ",".join("?" * len(names))
                writer.db.executemany(f"INSERT INTO {table}({','.join(names)}) VALUES ({marks})", cur)
        finally:
            old.close()
        ids, vecs = vectors.contents(vectors.read_index(old_vectors), int(model["dim"]))
        if len(ids):
            writer.index.add_with_ids(vecs, ids)
        writer.commit()
    except (sqlite3.Error, RuntimeError) as e:
        writer.abandon()
        raise WpkbError(f"the knowledge base in {kb_dir} could not be converted ({e}); rebuild it with "
                        "`wpkb build --full`") from None
    except BaseException:
        writer.abandon()
        raise
    remove_old_files(kb_dir)


def remove_old_files(kb_dir: Path) -> None:
    for p in kb_dir.iterdir():
        if _OLD_FILE.match(p.name):
            remove(p)
    (kb_dir / LEGACY_MANIFEST).unlink(missing_ok=True)
