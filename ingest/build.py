"""Bring the KB in line with the corpus: plan by content hash, extract, chunk, embed, commit."""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .chunk import ChunkSettings, chunk_spans
from .embed import Embedder, resolve_model
from .errors import WpkbError
from .extract import INDEXED, Document, extract
from .terms import tokenize

# Chunks per encode() call, chosen with bench/batch_size.py: on 2 CPU cores, batches of 2-4
# embed 17-18 chunks/s, 8 about 15, 32 about 11 (and 32 needs 0.2 GiB more).
EMBED_BATCH = 4
EMBED_WINDOW = 256  # new chunks gathered (across documents) before they are sorted and embedded
READ_AHEAD = 2  # documents extracted ahead of the embedder


class Progress:
    """What the build reports while it runs; the CLI draws it, tests ignore it."""

    def stage(self, name: str, total: int) -> None:
        """A new bar; stages may run at the same time (extraction overlaps embedding)."""

    def advance(self, n: int = 1, stage: str | None = None) -> None:
        """Move a stage's bar (the newest one if unnamed); may be called from a worker thread."""

    def grow(self, n: int, stage: str | None = None) -> None:
        """More work for a stage whose total was not known when it started."""

    def note(self, message: str) -> None: ...


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
            h = hashlib.sha256()
            with open(self.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            self._sha = h.hexdigest()
        return self._sha


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, warning)
    chunks_embedded: int = 0
    chunks_cached: int = 0
    documents: int = 0
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    committed: bool = False

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items()}
        d["renamed"] = [{"from": a, "to": b} for a, b in self.renamed]
        d["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        d["warnings"] = [{"file": f, "warning": w} for f, w in self.warnings]
        d["seconds"] = round(self.seconds, 2)
        return d


def scan(corpus: Path) -> tuple[list[CorpusFile], list[str]]:
    """(every PDF under the corpus folder, the other files), recursively; hidden ones skipped."""
    if not corpus.exists():
        raise WpkbError(f"no corpus folder at {corpus}; create it and put PDF reports in it, "
                        "or pass the folder: `wpkb build PATH`")
    if not corpus.is_dir():
        raise WpkbError(f"{corpus} is not a folder; pass the folder that holds the PDF reports")
    pdfs, others = [], []
    for root, dirs, names in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            p = Path(root) / name
            if name.lower().endswith(".pdf"):
                st = p.stat()
                pdfs.append(CorpusFile(p.relative_to(corpus).as_posix(), p, st.st_size, st.st_mtime_ns))
            else:
                others.append(p.relative_to(corpus).as_posix())
    return pdfs, others


def scan_corpus(corpus: Path) -> list[CorpusFile]:
    """Every PDF under the corpus folder."""
    return scan(corpus)[0]


@dataclass
class _Plan:
    process: list[CorpusFile] = field(default_factory=list)  # extract, chunk, embed
    replace: dict[str, int] = field(default_factory=dict)  # rel path -> doc id it replaces
    remove: list[store.DocRow] = field(default_factory=list)
    rename: list[tuple[store.DocRow, CorpusFile]] = field(default_factory=list)
    touch: list[tuple[store.DocRow, CorpusFile]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    still_skipped: list[store.SkippedRow] = field(default_factory=list)
    forget_skipped: list[str] = field(default_factory=list)
    duplicates: list[tuple[CorpusFile, str]] = field(default_factory=list)


def _plan(files: list[CorpusFile], docs: list[store.DocRow], skipped: list[store.SkippedRow],
          only: set[str] | None, retry: set[str]) -> _Plan:
    plan = _Plan()
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


@dataclass
class _Extracted:
    file: CorpusFile
    doc: Document
    chunks: list[store.NewChunk]


@dataclass
class _Unreadable:
    file: CorpusFile
    reason: str


@dataclass
class _Crashed:
    error: BaseException


def _chunks(doc: Document, settings: ChunkSettings) -> list[store.NewChunk]:
    out = []
    for page in doc.pages:
        if page.status not in INDEXED:
            continue
        for a, b in chunk_spans(page.text, settings):
            text = page.text[a:b]
            out.append(store.NewChunk(page.number, a, b, text, hashlib.sha256(text.encode()).hexdigest(),
                                      tokenize(text)))
    return out


def _read(f: CorpusFile, password: str | None, settings: ChunkSettings) -> _Extracted | _Unreadable:
    try:
        doc = extract(f.path, password)
    except WpkbError as e:
        return _Unreadable(f, str(e))
    return _Extracted(f, doc, _chunks(doc, settings))


def _read_ahead(files: list[CorpusFile], passwords: dict[str, str], settings: ChunkSettings,
                progress: Progress) -> Iterator[_Extracted | _Unreadable]:
    """Each file extracted and chunked in a worker thread, up to READ_AHEAD files ahead of the
    embedder, so the two overlap and only a few documents' pages are held at once."""
    out: queue.Queue = queue.Queue(READ_AHEAD)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        for f in files:
            if stop.is_set():
                return
            try:
                item = _read(f, passwords.get(f.rel), settings)
            except BaseException as e:  # a bug, not a bad file: re-raised in the caller's thread
                hand_over(_Crashed(e))
                return
            progress.advance(stage="extracting")
            if not hand_over(item):
                return
        hand_over(None)

    progress.stage("extracting", len(files))
    # A daemon thread: an interrupted build must not wait for a long OCR job to finish.
    threading.Thread(target=work, name="wpkb-extract", daemon=True).start()
    try:
        while (item := out.get()) is not None:
            if isinstance(item, _Crashed):
                raise item.error
            yield item
    finally:
        stop.set()


def _embed(texts: dict[str, str], embedder: Embedder, cache: store.EmbeddingCache,
           progress: Progress) -> dict[str, np.ndarray]:
    """Vectors for {sha: text}, embedded in batches of similar length; each batch is cached at once."""
    todo = sorted(texts, key=lambda s: len(texts[s]))  # similar lengths pad less
    vectors = {}
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i:i + EMBED_BATCH]
        vecs = embedder.passages([texts[s] for s in batch], batch_size=EMBED_BATCH)
        cache.put(batch, vecs)
        vectors.update(zip(batch, vecs))
        progress.advance(len(batch), stage="embedding")
    return vectors


def _index_files(writer: store.Writer, plan: _Plan, items: Iterator[_Extracted | _Unreadable],
                 embedder: Embedder, cache: store.EmbeddingCache, progress: Progress,
                 report: BuildReport) -> None:
    """Embed and store documents as they are read. Chunks not in the cache wait until
    EMBED_WINDOW of them are gathered, then go by length; the documents they complete are
    written to the new generation and leave memory."""
    waiting: list[_Extracted] = []
    vectors: dict[str, np.ndarray] = {}
    new: dict[str, str] = {}  # sha -> text still to embed
    progress.stage("embedding", 0)

    def flush() -> None:
        vectors.update(_embed(new, embedder, cache, progress))
        report.chunks_embedded += len(new)
        new.clear()
        for item in waiting:
            _add(writer, plan, item, vectors, report)
        waiting.clear()
        vectors.clear()

    for item in items:
        if isinstance(item, _Unreadable):
            # A file that can't be read leaves the KB as it was; an older version keeps answering.
            f = item.file
            writer.set_skipped(f.rel, f.sha256, f.size, f.mtime_ns, "error", item.reason)
            report.skipped.append((f.rel, item.reason))
            continue
        report.warnings.extend((item.file.rel, w) for w in item.doc.warnings)
        unseen = [c.text_sha for c in item.chunks if c.text_sha not in vectors and c.text_sha not in new]
        cached = cache.get(unseen)
        vectors.update(cached)
        report.chunks_cached += sum(1 for c in item.chunks if c.text_sha in cached)
        before = len(new)
        for c in item.chunks:
            if c.text_sha not in vectors:
                new.setdefault(c.text_sha, c.text)
        progress.grow(len(new) - before, stage="embedding")
        waiting.append(item)
        if len(new) >= EMBED_WINDOW:
            flush()
    flush()


def build(corpus: Path, kb_dir: Path, model: str | None = None, settings: ChunkSettings | None = None,
          full: bool = False, only: list[Path] | None = None, passwords: dict[str, str] | None = None,
          progress: Progress | None = None) -> BuildReport:
    """Index new and changed PDFs, drop removed ones, rename moved ones; commit once."""
    t0 = time.perf_counter()
    progress = progress or Progress()
    settings = settings or ChunkSettings()
    report = BuildReport()
    corpus = corpus.resolve()
    files, others = scan(corpus)
    only_rel = None
    if only is not None:
        only_rel = {_relative(p, corpus) for p in only}
    passwords = {_relative(Path(k), corpus): v for k, v in (passwords or {}).items()}
    with store.write_lock(kb_dir):
        manifest = store.read_manifest(kb_dir)
        if model is None and manifest and not full:
            model = manifest.model_name  # keep building with the KB's own model
        ref = resolve_model(model)
        if not files and not (manifest and not full):
            raise WpkbError(f"no PDF files in {corpus}; put reports there (any subfolder) and run `wpkb build`")
        old = None if full or manifest is None else store.KB(kb_dir, manifest)
        if old is not None:
            store.check_compatible(manifest, ref.id, settings.as_dict(), kb_dir)
        docs = old.documents() if old else []
        skipped = old.skipped() if old else []
        if old:
            old.close()
        plan = _plan(files, docs, skipped, only_rel, retry=set(only_rel or ()) | set(passwords))
        _report_plan(plan, report)
        if only is None:
            report.skipped += [(f, "not a PDF; wpkb indexes .pdf files only") for f in others]
        stale_terms = manifest is not None and not full and not store.terms_current(manifest)
        if not (plan.process or plan.remove or plan.rename or plan.touch or plan.forget_skipped
                or full or manifest is None or stale_terms):
            _finish(report, docs, t0)
            return report
        embedder = Embedder(ref, progress)
        cache = store.EmbeddingCache(kb_dir, ref.id)
        writer = None
        try:
            if full:
                cache.clear()
            writer = store.Writer(kb_dir, ref.id, model, embedder.dim, settings.as_dict(), fresh=full or manifest is None)
            if stale_terms:
                progress.stage("remaking BM25 terms", 0)
                writer.remake_terms(tokenize)
            _apply_plan(writer, plan)
            with closing(_read_ahead(plan.process, passwords, settings, progress)) as items:
                _index_files(writer, plan, items, embedder, cache, progress, report)
            progress.stage("committing", 0)
            _finish(report, writer.documents(), t0)
            writer.commit()
            report.committed = True
        except BaseException:
            if writer is not None:
                writer.abandon()
            raise
        finally:
            cache.close()
    report.seconds = time.perf_counter() - t0
    return report


def _relative(p: Path, corpus: Path) -> str:
    try:
        return p.resolve().relative_to(corpus).as_posix()
    except ValueError:
        raise WpkbError(f"{p} is not inside the corpus folder {corpus}; "
                        "use `wpkb add --copy` to copy it in") from None


def _report_plan(plan: _Plan, report: BuildReport) -> None:
    report.unchanged = list(plan.unchanged)
    report.removed = [d.path for d in plan.remove]
    report.renamed = [(d.path, f.rel) for d, f in plan.rename]
    for s in plan.still_skipped:
        report.skipped.append((s.path, s.reason))
    for f, original in plan.duplicates:
        report.skipped.append((f.rel, f"same content as {original}; indexed once"))


def _apply_plan(writer: store.Writer, plan: _Plan) -> None:
    """Everything but new content: removals, renames, new mtimes, forgotten skips."""
    for doc in plan.remove:
        writer.remove_document(doc.id)
    for doc, f in plan.rename:
        writer.rename_document(doc.id, f.rel, f.mtime_ns)
    for doc, f in plan.touch:
        writer.touch_document(doc.id, f.mtime_ns)
    for path in plan.forget_skipped:
        writer.forget_skipped(path)


def _add(writer: store.Writer, plan: _Plan, item: _Extracted, vectors: dict[str, np.ndarray],
         report: BuildReport) -> None:
    f = item.file
    if f.rel in plan.replace:
        writer.remove_document(plan.replace[f.rel])
        report.changed.append(f.rel)
    else:
        report.added.append(f.rel)
    vecs = np.stack([vectors[c.text_sha] for c in item.chunks]) if item.chunks else np.zeros((0, 1))
    writer.add_document(f.rel, f.sha256, f.size, f.mtime_ns, item.doc.title, item.doc.pages,
                        item.doc.warnings, item.doc.header_lines_removed, item.chunks, vecs)


def _finish(report: BuildReport, docs: list[store.DocRow], t0: float) -> None:
    report.documents = len(docs)
    report.pages = sum(d.page_count for d in docs)
    report.chunks = sum(d.chunks for d in docs)
    report.seconds = time.perf_counter() - t0


def remove(kb_dir: Path, corpus: Path, name: str) -> str:
    """Drop one report from the KB; if its PDF stays in the corpus, later builds leave it out."""
    with store.write_lock(kb_dir):
        kb = store.KB.open(kb_dir)
        try:
            doc = kb.find_document(name)
        finally:
            kb.close()
        m = kb.manifest
        writer = store.Writer(kb_dir, m.model_id, m.model_name, m.dim, m.chunking)
        try:
            writer.remove_document(doc.id)
            if (corpus / doc.path).exists():
                writer.set_skipped(doc.path, doc.sha256, doc.size, doc.mtime_ns, "excluded",
                                   f"removed with `wpkb remove`; `wpkb add '{corpus / doc.path}'` indexes it again")
            writer.commit()
        except BaseException:
            writer.abandon()
            raise
    return doc.path
