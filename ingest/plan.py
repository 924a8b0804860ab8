"""What a build must do: the corpus's PDFs against the KB's documents, by size, mtime and
content hash (new, changed, renamed, removed, unchanged, duplicate, still unreadable)."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import WpkbError
from .files import sha256_of
from .rows import DocRow, SkippedRow


@dataclass
class CorpusFile:
    rel: str  # path relative to the corpus, '/' separated: the document's name in the KB
    path: Path
    size: int
    mtime_ns: int
    _sha: str | None = None

    @property
    def sha256(self) -> str:
        if self._sha is None:
            self._sha = sha256_of(self.path)
        return self._sha


def scan(corpus: Path) -> tuple[list[CorpusFile], list[str], list[tuple[str, str]]]:
    """(every PDF under the corpus folder, the other files, the PDF names that are no regular
    file: (name, why)), recursively; hidden ones skipped. A dangling or looping link, a FIFO or
    a device named *.pdf is reported, never opened: reading one would fail or block forever."""
    if not corpus.exists():
        raise WpkbError(f"no corpus folder at {corpus}; create it and put PDF reports in it, "
                        "or pass the folder: `wpkb build PATH`")
    if not corpus.is_dir():
        raise WpkbError(f"{corpus} is not a folder; pass the folder that holds the PDF reports")
    pdfs, others, problems = [], [], []
    for root, dirs, names in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            p = Path(root) / name
            rel = p.relative_to(corpus).as_posix()
            if not name.lower().endswith(".pdf"):
                others.append(rel)
                continue
            try:
                st = p.stat()
            except OSError as e:
                what = "a link that loops" if e.errno == errno.ELOOP else "a link to nothing" if p.is_symlink() \
                    else "gone while scanning"
                problems.append((rel, f"{what} ({e.strerror}); fix or remove it"))
                continue
            if not stat.S_ISREG(st.st_mode):
                problems.append((rel, "not a regular file (a FIFO, device or socket); only PDF files are read"))
                continue
            pdfs.append(CorpusFile(rel, p, st.st_size, st.st_mtime_ns))
    return pdfs, others, problems


def scan_corpus(corpus: Path) -> list[CorpusFile]:
    """Every PDF file under the corpus folder."""
    return scan(corpus)[0]


@dataclass
class Plan:
    process: list[CorpusFile] = field(default_factory=list)  # extract, chunk, embed
    replace: dict[str, int] = field(default_factory=dict)  # rel path -> doc id it replaces
    remove: list[DocRow] = field(default_factory=list)
    rename: list[tuple[DocRow, CorpusFile]] = field(default_factory=list)
    touch: list[tuple[DocRow, CorpusFile]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    still_skipped: list[SkippedRow] = field(default_factory=list)
    forget_skipped: list[str] = field(default_factory=list)
    duplicates: list[tuple[CorpusFile, str]] = field(default_factory=list)
    vanished: list[tuple[str, str]] = field(default_factory=list)  # (file, why) it could not be read


def make_plan(files: list[CorpusFile], docs: list[DocRow], skipped: list[SkippedRow],
          only: set[str] | None, retry: set[str]) -> Plan:
    plan = Plan()
    by_path = {d.path: d for d in docs}
    skipped_by_path = {s.path: s for s in skipped}
    present = {f.rel for f in files}
    gone = {d.path: d for d in docs if d.path not in present}
    gone_by_sha = {}
    for d in gone.values():
        gone_by_sha.setdefault(d.sha256, d)
    kept_shas = {d.sha256: d.path for d in docs if d.path in present}
    for s in skipped:
        if s.path not in present:
            plan.forget_skipped.append(s.path)
    for f in files:
        if only is not None and f.rel not in only:
            if f.rel in by_path:
                plan.unchanged.append(f.rel)
            continue
        doc = by_path.get(f.rel)
        if doc and doc.size == f.size and doc.mtime_ns == f.mtime_ns:
            plan.unchanged.append(f.rel)
            continue
        try:
            f.sha256  # read now: a file deleted since the scan must not stop the build
        except OSError as e:
            plan.vanished.append((f.rel, f"could not be read ({e.strerror}); it was moved or deleted during "
                                         "the build, or is unreadable: the next build looks again"))
            if doc:
                plan.unchanged.append(f.rel)  # the version already indexed keeps answering
            continue
        skip = skipped_by_path.get(f.rel)
        if skip and f.rel not in retry and skip.size == f.size and (
                skip.mtime_ns == f.mtime_ns or skip.sha256 == f.sha256):
            plan.still_skipped.append(skip)
            continue
        if doc and doc.sha256 == f.sha256:
            plan.touch.append((doc, f))
            plan.unchanged.append(f.rel)
        elif doc:
            plan.replace[f.rel] = doc.id
            plan.process.append(f)
        elif f.sha256 in gone_by_sha:
            plan.rename.append((gone_by_sha.pop(f.sha256), f))
        elif f.sha256 in kept_shas:
            plan.duplicates.append((f, kept_shas[f.sha256]))
        else:
            kept_shas[f.sha256] = f.rel
            plan.process.append(f)
    renamed_ids = {d.id for d, _ in plan.rename}
    if only is None:
        plan.remove = [d for d in gone.values() if d.id not in renamed_ids]
    return plan


def relative(p: Path, corpus: Path) -> str:
    try:
        return p.resolve().relative_to(corpus).as_posix()
    except ValueError:
        raise WpkbError(f"{p} is not inside the corpus folder {corpus}; "
                        "use `wpkb add --copy` to copy it in") from None
