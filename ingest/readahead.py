"""Each file of a build extracted and chunked in a worker thread, a few files ahead of the
embedder, so reading and embedding overlap and only a few documents' pages are held at once."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .chunk import ChunkSettings, chunk_spans
from .errors import WpkbError
from .extract import INDEXED, MAX_OCR_PAGES, Document, extract
from .files import text_sha
from .plan import CorpusFile
from .progress import Progress
from .rows import NewChunk
from .terms import tokenize

READ_AHEAD = 2  # documents extracted ahead of the embedder


@dataclass
class Extracted:
    file: CorpusFile
    doc: Document
    chunks: list[NewChunk]


@dataclass
class Unreadable:
    file: CorpusFile
    reason: str


@dataclass
class _Crashed:
    error: BaseException


def chunks_of(doc: Document, settings: ChunkSettings) -> list[NewChunk]:
    out = []
    for page in doc.pages:
        if page.status not in INDEXED:
            continue
        for a, b in chunk_spans(page.text, settings):
            text = page.text[a:b]
            out.append(NewChunk(page.number, a, b, text, text_sha(text),
                                      tokenize(text)))
    return out


def _read(f: CorpusFile, password: str | None, settings: ChunkSettings, max_ocr_pages: int) -> Extracted | Unreadable:
    try:
        doc = extract(f.path, password, max_ocr_pages)
    except WpkbError as e:
        return Unreadable(f, str(e))
    except OSError as e:  # deleted, moved or made unreadable while the build ran
        return Unreadable(f, f"{f.path}: could not be read ({e.strerror}); it changed during the build: "
                             "the next build looks again")
    return Extracted(f, doc, chunks_of(doc, settings))


def read_ahead(files: list[CorpusFile], passwords: dict[str, str], settings: ChunkSettings,
                progress: Progress, max_ocr_pages: int = MAX_OCR_PAGES) -> Iterator[Extracted | Unreadable]:
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
                item = _read(f, passwords.get(f.rel), settings, max_ocr_pages)
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
