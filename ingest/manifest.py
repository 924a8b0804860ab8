"""The manifest and the generations it names: the KB's one commit point.

A KB folder holds immutable *generations*: ``kb-NNNNNN.sqlite`` (rows.py),
``vectors-NNNNNN.faiss`` (vectors.py) and ``bm25-NNNNNN/`` (bm25.py). ``manifest.json``
names the current one; replacing it atomically is the commit, so a reader sees the old KB
or the new one, never a mix, and a build killed at any moment leaves the last committed KB.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import WpkbError
from .files import atomic_write, sha256_of
from .terms import VERSION as TERMS_VERSION

FORMAT = 1
MANIFEST = "manifest.json"
LOCK = "write.lock"
KEEP_GENERATIONS = 2  # the current one and its predecessor, for readers that just opened it
_GEN_FILE = re.compile(r"^(kb|vectors|bm25)-(\d{6})(\.sqlite|\.faiss|)(\..*)?$")


@dataclass
class Manifest:
    generation: int
    model_id: str
    model_name: str | None
    dim: int
    chunking: dict
    committed_at: str
    stats: dict = field(default_factory=dict)  # e.g. median_chunk_chars, for retrieval priors
    checksums: dict = field(default_factory=dict)  # file (relative) -> [size, sha256], recorded at commit
    format: int = FORMAT

    @property
    def db_file(self) -> str:
        return f"kb-{self.generation:06d}.sqlite"

    @property
    def vectors_file(self) -> str:
        return f"vectors-{self.generation:06d}.faiss"

    @property
    def bm25_dir(self) -> str:
        return f"bm25-{self.generation:06d}"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def read_manifest(kb_dir: Path) -> Manifest | None:
    path = kb_dir / MANIFEST
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise WpkbError(f"{path} is unreadable ({e}); rebuild with `wpkb build --full`") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else None
        raise WpkbError(f"the knowledge base in {kb_dir} has format {found}, this wpkb reads "
                        f"format {FORMAT}; rebuild it with `wpkb build --full`")
    try:
        return Manifest(int(raw["generation"]), raw["model"]["id"], raw["model"].get("name"),
                        int(raw["model"]["dim"]), dict(raw["chunking"]), raw["committed_at"], raw.get("stats", {}),
                        dict(raw.get("checksums", {})))
    except (KeyError, TypeError, ValueError):
        raise WpkbError(f"{path} is incomplete; rebuild with `wpkb build --full`") from None


def generation_files(kb_dir: Path, m: Manifest) -> list[str]:
    """The files of a generation, relative to the KB folder."""
    bm25 = kb_dir / m.bm25_dir
    inside = sorted(f"{m.bm25_dir}/{p.name}" for p in bm25.iterdir()) if bm25.is_dir() else []
    return [m.db_file, m.vectors_file, *inside]


def checksums(kb_dir: Path, m: Manifest) -> dict:
    """[size, sha256] of each of the generation's files, as recorded at commit."""
    return {name: [(kb_dir / name).stat().st_size, sha256_of(kb_dir / name)] for name in generation_files(kb_dir, m)}


def damage(kb_dir: Path, m: Manifest, names=None, full: bool = False) -> list[str]:
    """What no longer matches the commit: a missing file, another size, or (``full``) other
    bytes. Sizes cost a stat each; hashes read every byte. An older KB without checksums: []."""
    problems = []
    for name, (size, sha) in m.checksums.items():
        if names is not None and not any(name == n or name.startswith(n + "/") for n in names):
            continue
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
    """Move a damaged file out of the way (``NAME.damaged-N``), keeping it for a look."""
    n = 1
    while (dest := path.with_name(f"{path.name}.damaged-{n}")).exists():
        n += 1
    os.replace(path, dest)
    return dest


def write_manifest(kb_dir: Path, m: Manifest) -> None:
    data = {"format": m.format, "generation": m.generation,
            "model": {"id": m.model_id, "name": m.model_name, "dim": m.dim},
            "chunking": m.chunking, "committed_at": m.committed_at, "stats": m.stats,
            "files": {"db": m.db_file, "vectors": m.vectors_file, "bm25": m.bm25_dir},
            "checksums": m.checksums}
    atomic_write(kb_dir / MANIFEST, json.dumps(data, indent=2, ensure_ascii=False).encode())


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
        remove_uncommitted(kb_dir)
        yield
    finally:
        lock.release()


def remove_uncommitted(kb_dir: Path) -> None:
    """Delete files of generations that were never committed, or are too old to be read. With
    an unreadable manifest nothing but temporary files is deleted: which generation is current
    is unknown, and `wpkb build --full` starts afresh anyway."""
    try:
        m = read_manifest(kb_dir)
    except WpkbError:
        m, unknown = None, True
    else:
        unknown = False
    current = m.generation if m else 0
    for p in kb_dir.iterdir():
        match = _GEN_FILE.match(p.name)
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            p.unlink(missing_ok=True)
        elif match and not unknown:
            gen, tmp = int(match.group(2)), match.group(4)
            if tmp or gen > current or gen <= current - KEEP_GENERATIONS:
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)


def next_generation(kb_dir: Path, base: Manifest | None) -> int:
    """After the current one and after any generation's files left on disk (a manifest set aside,
    a build killed before its cleanup): a new generation never writes over another's files."""
    on_disk = [int(m.group(2)) for p in kb_dir.iterdir() if (m := _GEN_FILE.match(p.name))]
    return max([base.generation if base else 0, *on_disk]) + 1


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
