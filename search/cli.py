"""The `wpkb` command line: parse arguments, call the core, format the output."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ingest.chunk import ChunkSettings
from ingest.errors import WpkbError

app = typer.Typer(
    help="wpkb: ask your PDF white papers questions from the terminal; answers cite report and page.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

# Options shared by the commands, declared once.
KbOpt = Annotated[Optional[Path], typer.Option(
    "--kb", envvar="WPKB_KB", help="Knowledge-base folder [default: .wpkb beside the corpus].", show_default=False)]
CorpusOpt = Annotated[Path, typer.Option(
    "--corpus", envvar="WPKB_CORPUS", help="Folder of PDF reports.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def kb_path(kb: Path | None, corpus: Path) -> Path:
    return kb if kb is not None else corpus.resolve().parent / ".wpkb"


def friendly_errors(fn):
    """Turn WpkbError into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WpkbError as e:
            err.print(f"wpkb: error: {escape(str(e))}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("wpkb: interrupted; the knowledge base is as it was at the last commit")
            raise typer.Exit(130) from None

    return wrapper


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
        self.console.print(escape(message))


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
    t.add_row("seconds", f"{report.seconds:.1f}")
    t.add_row("warnings", str(len(report.warnings) + len(report.skipped)))
    out.print(t)
    for a, b in report.renamed:
        out.print(f"renamed  {escape(a)} -> {escape(b)}")
    for f, reason in report.skipped:
        reason = reason.split(": ", 1)[1] if reason.split(": ", 1)[0].endswith(f) else reason
        out.print(f"[yellow]skipped[/]  {escape(f)}: {escape(reason)}", soft_wrap=True)
    by_file: dict[str, list[str]] = {}
    for f, w in report.warnings:
        by_file.setdefault(f, []).append(w)
    for f, ws in by_file.items():  # one line per file
        out.print(f"[yellow]warning[/]  {escape(f)}: {escape('; '.join(ws))}", soft_wrap=True)


ChunkSizeOpt = Annotated[int, typer.Option("--chunk-size", min=50, help="Target characters per chunk.")]
OverlapOpt = Annotated[int, typer.Option("--overlap", min=0, help="Sentences shared by consecutive chunks.")]
ModelOpt = Annotated[Optional[str], typer.Option(
    "--model", help="A sentence-transformers folder, or a model name already in the local Hugging Face cache "
                    "[default: the bundled multilingual-e5-small].", show_default=False)]


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
    as_json: JsonOpt = False,
):
    """Index every PDF under CORPUS; only what changed since the last build is re-read."""
    from ingest.build import build as run_build

    with RichProgress(err) as progress:
        report = run_build(corpus, kb_path(kb, corpus), model=model, full=full,
                           settings=ChunkSettings(chunk_size, overlap), progress=progress)
    _print_build(report, as_json)
    if strict and report.skipped:
        raise typer.Exit(3)


@app.command()
@friendly_errors
def add(
    files: Annotated[list[Path], typer.Argument(help="PDF files to index.")],
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    copy: Annotated[bool, typer.Option("--copy", help="Copy the files into the corpus folder first.")] = False,
    password: Annotated[Optional[str], typer.Option("--password", help="Password of encrypted PDFs.")] = None,
    as_json: JsonOpt = False,
):
    """Index the given reports (they must be in the corpus, or use --copy)."""
    from ingest.build import build as run_build

    targets = []
    for f in files:
        if not f.is_file():
            raise WpkbError(f"{f}: no such file")
        if copy:
            corpus.mkdir(parents=True, exist_ok=True)
            dest = corpus / f.name
            if not dest.exists() or not os.path.samefile(f, dest):
                shutil.copy2(f, dest)
            f = dest
        targets.append(f)
    passwords = {str(f): password for f in targets} if password else None
    with RichProgress(err) as progress:
        report = run_build(corpus, kb_path(kb, corpus), only=targets, passwords=passwords, progress=progress)
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
    from ingest.build import remove as run_remove

    path = run_remove(kb_path(kb, corpus), corpus, doc)
    out.print(f"removed {escape(path)}")


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

    from ingest.watch import watch as run_watch

    def log(report) -> None:
        stamp = time.strftime("%H:%M:%S")
        lines = [f"added {f}" for f in report.added] + [f"changed {f}" for f in report.changed]
        lines += [f"removed {f}" for f in report.removed] + [f"renamed {a} -> {b}" for a, b in report.renamed]
        lines += [f"skipped {f}: {r}" for f, r in report.skipped if f not in report.unchanged]
        for line in lines or ([f"up to date: {report.documents} reports"] if not report.committed else []):
            out.print(f"{stamp} {escape(line)}", soft_wrap=True)

    out.print(f"watching {escape(str(corpus))} (Ctrl-C to stop)")
    try:
        run_watch(corpus, kb_path(kb, corpus), log, settle=settle)
    except KeyboardInterrupt:
        out.print("stopped; the knowledge base is consistent as of the last commit")


# ----------------------------------------------------------------------------- ask


def _page_ref(doc: str, page: int, label: str | None, ocr: bool = False) -> str:
    ref = f"{doc} · p.{page}"
    if label and label != str(page):
        ref += f" (printed {label})"
    return ref + " · OCR" if ocr else ref


def _print_answer(ans) -> None:
    if ans.confident is False:
        out.print("[bold yellow]No passage in the indexed reports answers this well.[/] Closest:")
        out.print()
    elif ans.sentences:
        out.print("[bold]Answer[/]")
        for s in ans.sentences:
            out.print(Text("  ") + Text(s.text) + Text(f" [{s.ref}]", style="cyan"))
        out.print()
    for i, p in enumerate(ans.passages, 1):
        same = f" (same text on p.{', '.join(map(str, p.same_text_pages))})" if p.same_text_pages else ""
        out.print(Text(f"[{i}] ", style="bold cyan") + Text(_page_ref(p.doc, p.page, p.label, p.ocr), style="bold")
                  + Text(same) + Text(f" · {p.score:.2f}", style="dim"))
        body = Text(p.text)
        for a, b in p.highlights:
            body.stylize("bold yellow", a, b)
        out.print(Text("    ") + body, soft_wrap=True)
        out.print()


def _interactive(searcher, k: int, doc: str | None, mode: str, as_json: bool) -> None:
    """A prompt that keeps the model and indexes loaded; history in the cache folder."""
    from ingest.embed import cache_dir
    from search.answer import answer

    try:
        import readline  # line editing and history for input()
    except ImportError:  # not on every platform; input() still works
        readline = None
    history = cache_dir() / "ask_history"
    if readline:
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    searcher.warm()
    err.print("Ask a question (Ctrl-D to leave).")
    try:
        while True:
            try:
                question = input("wpkb> ").strip()
            except KeyboardInterrupt:
                err.print()
                continue
            if not question:
                continue
            try:
                qvec, passages = searcher.search(question, k=k, doc=doc, mode=mode)
                _show(answer(question, qvec, passages, searcher.embedder, mode), as_json)
            except WpkbError as e:
                err.print(f"wpkb: error: {escape(str(e))}", soft_wrap=True)
    except EOFError:
        err.print()
    finally:
        if readline:
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)


def _show(ans, as_json: bool) -> None:
    if as_json:
        print_json(ans.as_dict())
    elif not ans.passages:
        out.print("The knowledge base has no passages to search; add PDF reports with text and run `wpkb build`.")
    else:
        _print_answer(ans)


@app.command()
@friendly_errors
def ask(
    question: Annotated[Optional[str], typer.Argument(
        help="The question, in Chinese or English. Without one, an interactive prompt opens.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, help="How many passages to cite.")] = 5,
    doc: Annotated[Optional[str], typer.Option("--doc", help="Only search this report.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid (BM25 + vectors), dense or bm25.")] = "hybrid",
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """Answer a question with cited passages (report, page) and the best answer sentences."""
    from search.answer import answer
    from search.retrieve import Searcher

    searcher = Searcher(kb_path(kb, corpus))
    try:
        if question is None:
            _interactive(searcher, k, doc, mode, as_json)
            return
        qvec, passages = searcher.search(question, k=k, doc=doc, mode=mode)
        ans = answer(question, qvec, passages, searcher.embedder, mode)
    finally:
        searcher.close()
    _show(ans, as_json)


@app.command(name="eval")
@friendly_errors
def evaluate(
    questions: Annotated[Path, typer.Argument(help="JSONL: question, doc (relative to the corpus), pages, kind, lang.")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many passages to rank per question.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """Measure retrieval on a question set with gold pages: Recall@1, Recall@5, MRR@10."""
    from search.evaluate import evaluate as run_eval
    from search.evaluate import load_questions
    from search.retrieve import Searcher

    qs = load_questions(questions)
    searcher = Searcher(kb_path(kb, corpus))
    try:
        with RichProgress(err) as progress:
            progress.stage("questions", len(qs))
            report = run_eval(searcher, qs, k=k, mode=mode, progress=progress)
    finally:
        searcher.close()
    summary = report.summary()
    if as_json:
        print_json(summary)
        return
    t = Table("questions", "n", "R@1", "R@5", "MRR@10")
    rows = [("all answerable", summary["overall"])]
    rows += [(f"kind={name}", m) for name, m in summary["by_kind"].items()]
    rows += [(f"lang={name}", m) for name, m in summary["by_lang"].items()]
    for name, m in rows:
        t.add_row(name, str(m["n"]), f"{m['recall@1']:.2f}", f"{m['recall@5']:.2f}", f"{m['mrr@10']:.2f}")
    out.print(f"mode {mode}, k {k}")
    out.print(t)
    signal = summary["no_answer_signal"]
    if signal:
        out.print(f"no-answer signal: {signal['unanswerable_not_confident']}/{signal['unanswerable']} unanswerable "
                  f"questions flagged not confident; {signal['answerable_confident']}/{signal['answerable']} "
                  "answerable ones confident")
    for miss in summary["missed"]:
        first = f"{miss['first'][0]} p.{miss['first'][1]}" if miss["first"] else "nothing"
        out.print(f"[yellow]missed[/] {escape(miss['id'])} {escape(miss['question'])}\n"
                  f"       gold {escape(str(miss['gold'][0]))} p.{miss['gold'][1]}, rank {miss['rank'] or '>' + str(k)}; "
                  f"first: {escape(first)}", soft_wrap=True)


# ----------------------------------------------------------------------------- browse


def _open_kb(kb: Path | None, corpus: Path):
    from ingest.store import KB

    return KB.open(kb_path(kb, corpus))


def _health(d) -> str:
    s = d.page_status
    parts = [f"{s.get('text', 0)} text"]
    parts += [f"{n} {name}" for name, n in sorted(s.items()) if name != "text"]
    return ", ".join(parts)


@app.command()
@friendly_errors
def sources(corpus: CorpusOpt = Path("corpus"), kb: KbOpt = None, as_json: JsonOpt = False):
    """List the indexed reports: file, title, pages, chunks, when indexed, warnings."""
    db = _open_kb(kb, corpus)
    try:
        docs, skipped = db.documents(), db.skipped()
    finally:
        db.close()
    if as_json:
        print_json({
            "documents": [{"file": d.path, "title": d.title, "pages": d.page_count, "chunks": d.chunks,
                           "indexed_at": d.indexed_at, "page_status": d.page_status,
                           "header_lines_removed": d.header_lines, "warnings": d.warnings} for d in docs],
            "skipped": [{"file": s.path, "kind": s.kind, "reason": s.reason} for s in skipped],
        })
        return
    t = Table()
    t.add_column("file", overflow="fold", min_width=min(40, max((len(d.path) for d in docs), default=4)))
    t.add_column("title", overflow="fold", min_width=10)
    t.add_column("pages", min_width=8)
    t.add_column("chunks", min_width=6)
    t.add_column("indexed", min_width=10)
    t.add_column("warnings", overflow="fold", min_width=8)
    for d in docs:
        t.add_row(escape(d.path), escape(d.title), f"{d.page_count} ({_health(d)})", str(d.chunks),
                  d.indexed_at[:16].replace("T", " "), escape("; ".join(d.warnings)))
    out.print(t)
    for s in skipped:
        out.print(f"[yellow]not indexed[/]  {escape(s.path)}: {escape(s.reason)}", soft_wrap=True)


@app.command()
@friendly_errors
def pages(
    doc: Annotated[str, typer.Argument(help="The report: its path, file name or a unique part of it.")],
    page: Annotated[Optional[int], typer.Argument(help="Print the full text of this page (1-based).")] = None,
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """List one report's pages with label and first line, or print the text of one page."""
    db = _open_kb(kb, corpus)
    try:
        d = db.find_document(doc)
        rows = [db.page(d, page)] if page is not None else db.pages(d.id)
    finally:
        db.close()
    if as_json:
        print_json({"doc": d.path, "title": d.title,
                    "pages": [{"page": r.number, "label": r.label, "status": r.status, "text": r.text} for r in rows]})
        return
    if page is not None:
        r = rows[0]
        out.print(Text(_page_ref(d.path, r.number, r.label) + f" · {r.status}", style="bold"))
        out.print(Text(r.text), soft_wrap=True)
        return
    t = Table("page", "label", "status", "first line")
    room = max(20, out.width - 34)  # one row per page: cut the line to the cells that are left
    for r in rows:
        first = Text(r.text.split("\n", 1)[0])
        first.truncate(room, overflow="ellipsis")
        t.add_row(str(r.number), r.label or "", r.status, first)
    out.print(Text(f"{d.path} · {d.title}", style="bold"))
    out.print(t)


def main() -> None:
    app()
