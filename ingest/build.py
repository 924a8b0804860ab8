"""Bring the KB in line with the corpus: plan by content hash, extract, chunk, embed, commit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cache import OFF, ON, PARTIAL, SENTENCE_VECTORS, EmbeddingCache, sentence_state
from .chunk import ChunkSettings
from .copy import copy_into
from .embed import Embedder, resolve_model
from .errors import WpkbError
from .extract import MAX_OCR_PAGES, Page, title_of
from .files import text_sha
from .kb import KB
from .legacy import convert, remove_old_files
from .manifest import (DB, check_compatible, legacy, no_kb, read_committed, read_manifest, set_aside, terms_current,
                       write_lock)
from .merge import next_merge
from .pieces import piece_texts
from .plan import Plan, make_plan, relative, scan
from .progress import Progress
from .readahead import Extracted, Unreadable, read_ahead
from .rows import DocRow
from .terms import tokenize
from .titles import TITLE_PAGES
from .writer import Writer

# Chunks per encode() call, chosen with bench/batch_size.py: on 2 CPU cores, batches of 2-4
# embed 17-18 chunks/s, 8 about 15, 32 about 11 (and 32 needs 0.2 GiB more).
EMBED_BATCH = 4
EMBED_WINDOW = 256  # new chunks gathered (across documents) before they are sorted and embedded


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
    sentences_embedded: int | None = None  # answer pieces embedded ahead (None: the KB keeps none)
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


def _embed(texts: dict[str, str], embedder: Embedder, cache: EmbeddingCache,
           progress: Progress, stage: str = "embedding", pieces: bool = False) -> dict[str, np.ndarray]:
    """Vectors for {sha: text}, embedded in batches of similar length; each batch is cached at once.
    Answer ``pieces`` are embedded as questions embed them, and only cached."""
    todo = sorted(texts, key=lambda s: len(texts[s]))  # similar lengths pad less
    vectors = {}
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i:i + EMBED_BATCH]
        batch_texts = [texts[s] for s in batch]
        vecs = (embedder.answer_passages(batch_texts) if pieces
                else embedder.passages(batch_texts, batch_size=EMBED_BATCH))
        cache.put(batch, vecs)
        if not pieces:
            vectors.update(zip(batch, vecs))
        progress.advance(len(batch), stage=stage)
    return vectors


def _embed_pieces(kb_dir: Path, embedder: Embedder, cache: EmbeddingCache, progress: Progress,
                  only: set[str] | None) -> int:
    """Embed the answer pieces that the cache lacks of the committed KB's pages (of the reports
    at the paths ``only``, or of all), so a question needs no model work for its answer
    sentences; returns how many were embedded."""
    with closing(KB.open(kb_dir)) as kb:
        texts = {text_sha(t): t for d in kb.documents() if only is None or d.path in only
                 for p in kb.pages(d.id) for t in piece_texts(p.text)}
    held = set()
    shas = list(texts)
    for i in range(0, len(shas), 5000):
        held.update(cache.get(shas[i:i + 5000]))
    todo = {s: t for s, t in texts.items() if s not in held}
    progress.stage("embedding answer sentences", len(todo))
    _embed(todo, embedder, cache, progress, stage="embedding answer sentences", pieces=True)
    return len(todo)


def _index_files(writer: Writer, plan: Plan, items: Iterator[Extracted | Unreadable],
                 embedder: Embedder, cache: EmbeddingCache, progress: Progress,
                 report: BuildReport) -> None:
    """Embed and store documents as they are read. Chunks not in the cache wait until
    EMBED_WINDOW of them are gathered, then go by length; the documents they complete are
    written to the new generation and leave memory."""
    waiting: list[Extracted] = []
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
        if isinstance(item, Unreadable):
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
          progress: Progress | None = None, max_ocr_pages: int = MAX_OCR_PAGES,
          sentence_vectors: bool | None = None) -> BuildReport:
    """Index new and changed PDFs, drop removed ones, rename moved ones; commit once. Then, with
    ``sentence_vectors`` (the default for a new KB, remembered by later builds; False stops it),
    embed every answer sentence the KB lacks, so questions need not."""
    with write_lock(kb_dir):
        return _build(corpus, kb_dir, model, settings, full, only, passwords, progress, max_ocr_pages,
                      sentence_vectors)


def add(files: list[Path], corpus: Path, kb_dir: Path, copy: bool = False, as_name: str | None = None,
        password: str | None = None, progress: Progress | None = None) -> tuple[BuildReport, list[Path]]:
    """Index the given reports, copying them into the corpus first with ``copy`` (under the
    writer lock, never over another file); returns the report and the files in the corpus."""
    if as_name is not None and not (copy and len(files) == 1):
        raise WpkbError("--as names one copied file: use it with --copy and a single file")
    for f in files:
        if not f.is_file():
            raise WpkbError(f"{f}: no such file")
    with write_lock(kb_dir):
        targets = [copy_into(f, corpus, as_name) for f in files] if copy else list(files)
        passwords = {str(f): password for f in targets} if password else None
        return _build(corpus, kb_dir, None, None, False, targets, passwords, progress), targets


def _retitle(writer: Writer, docs: list, files: dict, progress: Progress) -> None:
    """Titles read from each report's first pages, for a KB made before they were (a report
    whose PDF is gone or won't open keeps its title)."""
    for d in docs:
        f = files.get(d.path)
        if f is None:
            continue
        rows = (writer.page(d, n) for n in range(1, min(TITLE_PAGES, d.page_count) + 1))  # not all its pages
        pages = [Page(r.number, r.label, r.text, r.status) for r in rows]
        try:
            title = title_of(f.path, pages)
        except WpkbError as e:
            progress.note(f"{d.path}: kept its title ({e})")
            continue
        if title != d.title:
            writer.set_title(d.id, title)


def _build(corpus: Path, kb_dir: Path, model: str | None, settings: ChunkSettings | None, full: bool,
           only: list[Path] | None, passwords: dict[str, str] | None, progress: Progress | None,
           max_ocr_pages: int = MAX_OCR_PAGES, sentence_vectors: bool | None = None) -> BuildReport:
    t0 = time.perf_counter()
    progress = progress or Progress()
    settings = settings or ChunkSettings()
    report = BuildReport()
    corpus = corpus.resolve()
    files, others, problems = scan(corpus)
    only_rel = None
    if only is not None:
        only_rel = {relative(p, corpus) for p in only}
    passwords = {relative(Path(k), corpus): v for k, v in (passwords or {}).items()}
    try:
        if legacy(kb_dir) and not full:
            convert(kb_dir, progress)
        manifest = read_committed(kb_dir)  # None for a format-1 KB rebuilt with --full
    except WpkbError:
        if not full:
            raise
        if (kb_dir / DB).exists():
            progress.note(f"{kb_dir / DB} is damaged; moved it to {set_aside(kb_dir / DB).name}, "
                          "building afresh")
        manifest = None
    if model is None and manifest and not full:
        model = manifest.model_name  # keep building with the KB's own model
    ref = resolve_model(model)
    if not files and not (manifest and not full):
        raise WpkbError(f"no PDF files in {corpus}; put reports there (any subfolder) and run `wpkb build`")
    old = None if full or manifest is None else KB.open(kb_dir)  # refuses a damaged generation
    if old is not None:
        check_compatible(manifest, ref.id, settings.as_dict(), kb_dir)
    docs = old.documents() if old else []
    skipped = old.skipped() if old else []
    if old:
        old.close()
    plan = make_plan(files, docs, skipped, only_rel, retry=set(only_rel or ()) | set(passwords))
    _report_plan(plan, report)
    if only is None:
        report.skipped += [(f, "not a PDF; wpkb indexes .pdf files only") for f in others]
    report.skipped += [p for p in problems if only_rel is None or p[0] in only_rel]
    stale_terms = manifest is not None and not full and not terms_current(manifest)
    # a build stopped between its commit and the merges after it left them to do
    merges_due = manifest is not None and not full and next_merge(manifest) is not None
    nothing = not (plan.process or plan.remove or plan.rename or plan.touch or plan.forget_skipped
                   or full or manifest is None or stale_terms or merges_due)
    state = sentence_state(kb_dir, ref.id)
    if sentence_vectors is None and state is None and (full or manifest is None):
        sentence_vectors = True  # a new KB embeds them unless told not to; an older one keeps its way
    if nothing and not _sentences_to_do(state, sentence_vectors):
        _finish(report, docs, t0)
        return report
    embedder = Embedder(ref, progress)
    cache = EmbeddingCache(kb_dir, ref.id, embedder.dim, on_damage=progress.note)
    writer = None
    try:
        if full:
            cache.clear()
        if not nothing:
            writer = Writer(kb_dir, ref.id, model, embedder.dim, settings.as_dict(), fresh=full or manifest is None)
            if stale_terms:
                progress.stage("remaking BM25 terms", 0)
                writer.remake_terms(tokenize)
                _retitle(writer, docs, {f.rel: f for f in files}, progress)
            _apply_plan(writer, plan)
            with closing(read_ahead(plan.process, passwords, settings, progress, max_ocr_pages)) as items:
                _index_files(writer, plan, items, embedder, cache, progress, report)
            progress.stage("committing", 0)
            _finish(report, writer.documents(), t0)
            writer.commit()
            report.committed = True
            remove_old_files(kb_dir)  # a format-1 KB's files, after a --full build replaced it
        else:
            _finish(report, docs, t0)
        if sentence_vectors is False:
            cache.set_option(SENTENCE_VECTORS, OFF)
        elif sentence_vectors or state in (ON, PARTIAL):
            # After the commit: a kill leaves the KB committed and the option PARTIAL, so the next
            # build embeds what any report lacks; otherwise only this build's reports are new.
            cache.set_option(SENTENCE_VECTORS, PARTIAL)
            only = None if state != ON else set(report.added) | set(report.changed)
            report.sentences_embedded = _embed_pieces(kb_dir, embedder, cache, progress, only)
            cache.set_option(SENTENCE_VECTORS, ON)
    except BaseException:
        if writer is not None and not report.committed:
            writer.abandon()
        raise
    finally:
        cache.close()
    report.seconds = time.perf_counter() - t0
    return report


def _sentences_to_do(state: str | None, asked: bool | None) -> bool:
    """Whether the answer sentences need a build though no report changed: the last one stopped
    while embedding them, or this one turns them on or off."""
    return state == PARTIAL or (asked is not None and asked != (state == ON))


def _report_plan(plan: Plan, report: BuildReport) -> None:
    report.unchanged = list(plan.unchanged)
    report.removed = [d.path for d in plan.remove]
    report.renamed = [(d.path, f.rel) for d, f in plan.rename]
    for s in plan.still_skipped:
        report.skipped.append((s.path, s.reason))
    for f, original in plan.duplicates:
        report.skipped.append((f.rel, f"same content as {original}; indexed once"))
    report.skipped += plan.vanished


def _apply_plan(writer: Writer, plan: Plan) -> None:
    """Everything but new content: removals, renames, new mtimes, forgotten skips."""
    for doc in plan.remove:
        writer.remove_document(doc.id)
    for doc, f in plan.rename:
        writer.rename_document(doc.id, f.rel, f.mtime_ns)
    for doc, f in plan.touch:
        writer.touch_document(doc.id, f.mtime_ns)
    for path in plan.forget_skipped:
        writer.forget_skipped(path)


def _add(writer: Writer, plan: Plan, item: Extracted, vectors: dict[str, np.ndarray],
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


def _finish(report: BuildReport, docs: list[DocRow], t0: float) -> None:
    report.documents = len(docs)
    report.pages = sum(d.page_count for d in docs)
    report.chunks = sum(d.chunks for d in docs)
    report.seconds = time.perf_counter() - t0


def remove(kb_dir: Path, corpus: Path, name: str) -> str:
    """Drop one report from the KB; if its PDF stays in the corpus, later builds leave it out."""
    with write_lock(kb_dir):
        kb = KB.open(kb_dir)
        try:
            doc = kb.find_document(name)
        finally:
            kb.close()
        m = kb.manifest
        writer = Writer(kb_dir, m.model_id, m.model_name, m.dim, m.chunking)
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


def compact(kb_dir: Path, segments: list[int] | None = None) -> int:
    """Merge adjacent segments (by default all of them) into one that leaves deleted chunks
    out; builds merge on their own (merge.py), this forces one. Returns the new generation."""
    with write_lock(kb_dir):
        m = read_manifest(kb_dir)
        if m is None:
            raise no_kb(kb_dir)
        run = [s for s in m.segments if segments is None or s.id in segments]
        writer = Writer(kb_dir, m.model_id, m.model_name, m.dim, m.chunking)
        try:
            writer.merge(run)
            return writer.commit().generation
        except BaseException:
            writer.abandon()
            raise
