"""The `wpkb` command line, its shared parts and the commands that write the KB (build, add,
remove, watch). The commands that read it are added by ``wpkb.search.cli``."""

from __future__ import annotations

import errno
import functools
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .chunk import ChunkSettings
from .errors import WpkbError

app = typer.Typer(
    help="wpkb: ask your PDF white papers questions from the terminal; answers cite report and page.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

# Options shared by the commands, declared once.
KbOpt = Annotated[Optional[Path], typer.Option(
    "--kb", envvar="WPKB_KB", help="Knowledge-base folder (default: .wpkb beside the corpus).", show_default=False)]
CorpusOpt = Annotated[Path, typer.Option(
    "--corpus", envvar="WPKB_CORPUS", help="Folder of PDF reports.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def kb_path(kb: Path | None, corpus: Path) -> Path:
    return kb if kb is not None else corpus.resolve().parent / ".wpkb"


_DISK_FULL = "the disk is full: free some space and run it again (the knowledge base is as of its last commit)"


def system_error(e: BaseException) -> WpkbError:
    """A full disk, a read-only folder or a damaged file, as one line that names the file and the fix."""
    import sqlite3

    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        fix = {errno.ENOSPC: _DISK_FULL,
               errno.EROFS: "the folder is read-only: use a writable --kb folder or WPKB_CACHE",
               errno.EACCES: "permission denied: use a folder you can write to",
               errno.EDQUOT: "the disk quota is used up: free some space and run it again"}.get(e.errno)
        return WpkbError(f"{where}{e.strerror or e}; " + (fix or "check the file and run it again"))
    text = str(e)
    if "disk is full" in text or "No space" in text or "write error" in text or "requested and" in text:
        return WpkbError(f"{text}; {_DISK_FULL}")
    if isinstance(e, sqlite3.Error):
        return WpkbError(f"a knowledge-base database is damaged or unreadable ({text}); run `wpkb check`, or "
                         "rebuild with `wpkb build --full`")
    return WpkbError(f"{type(e).__name__}: {text}; a file of the knowledge base may be damaged: `wpkb check` tells, "
                     "`wpkb build --full` repairs")


def friendly_errors(fn):
    """Turn errors into one line on stderr and a non-zero exit, never a traceback: our own
    WpkbError, and what the system or a storage library raises (full disk, damaged files)."""
    import sqlite3

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err.print("wpkb: interrupted; the knowledge base is as it was at the last commit")
            raise typer.Exit(130) from None
        except Exception as e:
            if not isinstance(e, (WpkbError, OSError, sqlite3.Error, RuntimeError, MemoryError, ValueError)):
                raise  # a bug: the traceback is what a report needs
            known = e if isinstance(e, WpkbError) else system_error(e)
            err.print(f"wpkb: error: {shown(str(known))}", soft_wrap=True)
            raise typer.Exit(known.exit_code) from None

    return wrapper


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def visible(text: str) -> str:
    """Text from a file (a name, a title, page text) with control characters shown as escapes
    (``\\x1b``), so it can't clear the screen or retitle the terminal; newlines stay."""
    return _CONTROL.sub(lambda m: "\n" if m.group() == "\n" else m.group().encode("unicode_escape").decode(), text)


def shown(text: str) -> str:
    """``visible`` text, escaped for Rich markup."""
    return escape(visible(text))


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# ----------------------------------------------------------------------------- build


class RichProgress:
    """Progress bars on stderr for the build's stages."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = console
        self.bars = Progress(TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=console, transient=False)
        self.tasks: dict[str, int] = {}  # stage name -> bar
        self.totals: dict[str, int] = {}
        self.newest: str | None = None

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()

    def stage(self, name: str, total: int) -> None:
        # A stage with no known total gets its bar when work for it turns up (grow).
        self.newest = name
        if total:
            self.tasks[name] = self.bars.add_task(name, total=total)
            self.totals[name] = total

    def advance(self, n: int = 1, stage: str | None = None) -> None:
        task = self.tasks.get(stage or self.newest)
        if task is not None:
            self.bars.advance(task, n)

    def grow(self, n: int, stage: str | None = None) -> None:
        name = stage or self.newest
        if not n or name is None:
            return
        self.totals[name] = self.totals.get(name, 0) + n
        if name not in self.tasks:
            self.tasks[name] = self.bars.add_task(name, total=n)
        else:
            self.bars.update(self.tasks[name], total=self.totals[name])

    def note(self, message: str) -> None:
        self.console.print(shown(message))


def _print_build(report, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("documents", f"{report.documents}  ({report.pages} pages, {report.chunks} chunks)")
    t.add_row("changes", f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
                         f"{len(report.renamed)} renamed, {len(report.unchanged)} unchanged")
    t.add_row("embedded", f"{report.chunks_embedded} chunks ({report.chunks_cached} reused from the cache)")
    if report.sentences_embedded is not None:
        t.add_row("sentences", f"{report.sentences_embedded} answer sentences embedded ahead")
    t.add_row("seconds", f"{report.seconds:.1f}")
    t.add_row("warnings", str(len(report.warnings) + len(report.skipped)))
    out.print(t)
    for a, b in report.renamed:
        out.print(f"renamed  {shown(a)} -> {shown(b)}")
    for f, reason in report.skipped:
        reason = reason.split(": ", 1)[1] if reason.split(": ", 1)[0].endswith(f) else reason
        out.print(f"[yellow]skipped[/]  {shown(f)}: {shown(reason)}", soft_wrap=True)
    by_file: dict[str, list[str]] = {}
    for f, w in report.warnings:
        by_file.setdefault(f, []).append(w)
    for f, ws in by_file.items():  # one line per file
        out.print(f"[yellow]warning[/]  {shown(f)}: {shown('; '.join(ws))}", soft_wrap=True)


ChunkSizeOpt = Annotated[int, typer.Option("--chunk-size", min=50, help="Target characters per chunk.")]
OverlapOpt = Annotated[int, typer.Option("--overlap", min=0, help="Sentences shared by consecutive chunks.")]
ModelOpt = Annotated[Optional[str], typer.Option(
    "--model", help="A sentence-transformers folder, or a model name already in the local Hugging Face cache "
                    "(default: the bundled multilingual-e5-small).", show_default=False)]


@app.command()
@friendly_errors
def build(
    corpus: Annotated[Path, typer.Argument(help="Folder of PDF reports (searched recursively).")] = Path("corpus"),
    kb: KbOpt = None,
    model: ModelOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Rebuild from scratch, re-embedding every chunk.")] = False,
    chunk_size: ChunkSizeOpt = ChunkSettings.size,
    overlap: OverlapOpt = ChunkSettings.overlap,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero if any file was skipped.")] = False,
    max_ocr_pages: Annotated[int, typer.Option("--max-ocr-pages", min=0, help="Pages OCR reads at most in one "
                                                                             "report (about 4 s a page).")] = 300,
    sentence_vectors: Annotated[Optional[bool], typer.Option(
        "--sentence-vectors/--no-sentence-vectors",
        help="Also embed every answer sentence, so an answer needs no model work for them (about as long "
             "again as the chunks). On for a new KB; later builds and adds keep to the last choice.",
        show_default=False)] = None,
    as_json: JsonOpt = False,
):
    """Index every PDF under CORPUS; only what changed since the last build is re-read."""
    from .build import build as run_build

    with RichProgress(err) as progress:
        report = run_build(corpus, kb_path(kb, corpus), model=model, full=full, max_ocr_pages=max_ocr_pages,
                           settings=ChunkSettings(chunk_size, overlap), progress=progress,
                           sentence_vectors=sentence_vectors)
    _print_build(report, as_json)
    if strict and report.skipped:
        raise typer.Exit(3)


@app.command()
@friendly_errors
def add(
    files: Annotated[list[Path], typer.Argument(help="PDF files to index.")],
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    copy: Annotated[bool, typer.Option("--copy", help="Copy the files into the corpus folder first "
                                                      "(never over another file).")] = False,
    as_name: Annotated[Optional[str], typer.Option("--as", help="With --copy and one file: the name "
                                                               "to copy it under.")] = None,
    password: Annotated[Optional[str], typer.Option("--password", help="Password of encrypted PDFs.")] = None,
    as_json: JsonOpt = False,
):
    """Index the given reports (they must be in the corpus, or use --copy)."""
    from .build import add as run_add

    with RichProgress(err) as progress:
        report, targets = run_add(files, corpus, kb_path(kb, corpus), copy=copy, as_name=as_name,
                                  password=password, progress=progress)
    _print_build(report, as_json)
    not_indexed = {f for f, _ in report.skipped}
    if any(t.resolve().relative_to(corpus.resolve()).as_posix() in not_indexed for t in targets):
        raise typer.Exit(3)


@app.command()
@friendly_errors
def remove(
    doc: Annotated[str, typer.Argument(help="The report: its path, file name or a unique part of it.")],
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
):
    """Drop one report from the knowledge base (the PDF file is left where it is)."""
    from .build import remove as run_remove

    path = run_remove(kb_path(kb, corpus), corpus, doc)
    out.print(f"removed {shown(path)}")


@app.command()
@friendly_errors
def watch(
    corpus: Annotated[Path, typer.Argument(help="Folder of PDF reports to watch.")] = Path("corpus"),
    kb: KbOpt = None,
    settle: Annotated[float, typer.Option("--settle", min=0.1, help="Seconds a file must stay unchanged "
                                                                    "before it is read.")] = 2.0,
):
    """Keep the knowledge base up to date while PDFs are added, changed, moved or deleted (Ctrl-C stops)."""
    import time

    from .watch import watch as run_watch

    def log(report) -> None:
        stamp = time.strftime("%H:%M:%S")
        lines = [f"added {f}" for f in report.added] + [f"changed {f}" for f in report.changed]
        lines += [f"removed {f}" for f in report.removed] + [f"renamed {a} -> {b}" for a, b in report.renamed]
        lines += [f"skipped {f}: {r}" for f, r in report.skipped if f not in report.unchanged]
        for line in lines or ([f"up to date: {report.documents} reports"] if not report.committed else []):
            out.print(f"{stamp} {shown(line)}", soft_wrap=True)

    out.print(f"watching {shown(str(corpus))} (Ctrl-C to stop)")
    try:
        run_watch(corpus, kb_path(kb, corpus), log, settle=settle)
    except KeyboardInterrupt:
        out.print("stopped; the knowledge base is consistent as of the last commit")


@app.command()
@friendly_errors
def check(
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """Verify the knowledge base's files (checksums, database, indexes) and say what to do."""
    from .check import check as run_check

    report = run_check(kb_path(kb, corpus))
    if as_json:
        print_json(report.as_dict())
    elif not report.problems:
        out.print(f"ok: generation {report.generation}; checked {shown(', '.join(report.checked))}", soft_wrap=True)
    else:
        for problem in report.problems:
            out.print(f"[red]damaged[/]  {shown(problem)}", soft_wrap=True)
        out.print(f"fix: {shown(report.fix)}", soft_wrap=True)
    if report.problems:
        raise typer.Exit(1)
