"""Keep the KB in step with the corpus folder: rebuild incrementally when PDFs change."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from .build import BuildReport, build
from .progress import Progress
from .plan import scan_corpus

SETTLE_SECONDS = 2.0  # a file must keep its size this long before it is read (copies in progress)
CHANGES = {"created", "modified", "moved", "deleted", "closed"}  # watchdog event types that matter


class _Changes:
    """Collects file-system events under the corpus; any PDF or folder event marks it dirty."""

    def __init__(self):
        self.last_event = 0.0
        self.lock = threading.Lock()

    def dispatch(self, event) -> None:
        if event.event_type not in CHANGES:
            return  # opens and reads, our own build's included, change nothing
        paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
        if event.is_directory or any(str(p).lower().endswith(".pdf") for p in paths if p):
            with self.lock:
                self.last_event = time.monotonic()

    def quiet_since(self) -> float:
        with self.lock:
            return self.last_event


def _sizes(corpus: Path) -> dict[str, int]:
    try:
        return {f.rel: f.size for f in scan_corpus(corpus)}
    except OSError:  # a file vanished mid-scan; the next event brings us back
        return {}


def watch(corpus: Path, kb_dir: Path, on_report: Callable[[BuildReport], None],
          stop: threading.Event | None = None, settle: float = SETTLE_SECONDS,
          progress: Progress | None = None, **build_options) -> None:
    """Build once, then again after every settled change, until ``stop`` is set or Ctrl-C."""
    from watchdog.observers import Observer

    stop = stop or threading.Event()
    corpus = corpus.resolve()
    scan_corpus(corpus)  # a missing corpus folder is an error now, not a silent wait
    changes = _Changes()
    observer = Observer()
    observer.schedule(changes, str(corpus), recursive=True)
    observer.start()
    try:
        seen = changes.quiet_since()  # before building: a change during the build is not yet seen
        on_report(build(corpus, kb_dir, progress=progress, **build_options))
        while not stop.is_set():
            stop.wait(min(settle, 0.5))
            last = changes.quiet_since()
            if last == seen or time.monotonic() - last < settle:
                continue
            before = _sizes(corpus)
            if stop.wait(settle):
                break
            if _sizes(corpus) != before or changes.quiet_since() != last:
                continue  # still being written: wait for it to settle
            seen = last
            on_report(build(corpus, kb_dir, progress=progress, **build_options))
    finally:
        observer.stop()
        observer.join()
