"""The commands that read the KB (ask, eval, sources, pages), added to the one `wpkb` app;
``main`` is the console script. Each parses arguments, calls the core and formats output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..ingest.cli import CorpusOpt, JsonOpt, KbOpt, RichProgress, app, err, friendly_errors, kb_path, out, print_json, \
    shown, visible
from ..ingest.clean import one_line
from ..ingest.errors import WpkbError
from . import listing


def _page_ref(doc: str, page: int, label: str | None, ocr: bool = False) -> str:
    ref = f"{visible(doc)} · p.{page}"
    if label and label != str(page):
        ref += f" (printed {visible(label)})"
    return ref + " · OCR" if ocr else ref


SNIPPET_LINES = 3  # a passage in the short view: its best sentence with context, about this many lines


def _window(text: str, focus: tuple[int, int], cells: int) -> tuple[int, int]:
    """Offsets of a part of ``text`` around ``focus`` that fills about ``cells`` terminal cells
    (a Chinese character takes two), grown on both sides alike."""
    from rich.cells import cell_len

    a, b = focus
    used = cell_len(text[a:b])
    while used > cells and b > a + 1:  # a long sentence: its start
        b -= 1
        used -= cell_len(text[b])
    while used < cells and (a > 0 or b < len(text)):
        for side in (0, 1):
            if side == 0 and a > 0:
                a -= 1
                used += cell_len(text[a])
            elif side == 1 and b < len(text):
                used += cell_len(text[b])
                b += 1
    return a, b


def _passage_body(ans, i: int, p, full: bool) -> Text:
    """The passage's text, answer spans highlighted; unless ``full``, cut to its best sentence
    (the answer's where it holds one) with a little context, … where cut."""
    spans = ans.highlights(i)
    start, end = 0, len(p.text)
    focus = spans[0] if spans else (ans.focus[i - 1] if i <= len(ans.focus) else None)
    if not full and focus is not None:
        start, end = _window(p.text, focus, SNIPPET_LINES * max(20, out.width - 4) - 2)
    body = Text(("…" if start > 0 else "") + visible(p.text[start:end]) + ("…" if end < len(p.text) else ""))
    shift = (1 if start > 0 else 0) - start  # page text holds no control characters (clean.py): offsets stay
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a < b:
            body.stylize("bold yellow", a + shift, b + shift)
    return body


def _pdf_link(corpus: Path | None, doc: str, page: int) -> str | None:
    """A file:// link that opens the report at the page in most PDF viewers, where the file is there."""
    if corpus is None:
        return None
    pdf = (corpus / doc).resolve()
    return f"{pdf.as_uri()}#page={page}" if pdf.is_file() else None


def _print_answer(ans, full: bool = False, corpus: Path | None = None) -> None:
    sure = "" if ans.confidence is None else f" (confidence {ans.confidence:.2f})"
    if ans.confident is False:
        out.print("[bold yellow]No passage in the indexed reports answers this well.[/] Closest" + sure + ":",
                  soft_wrap=True)
        shown_sentences = ans.sentences[:1]
    else:
        out.print("[bold]Answer[/]" + sure)
        shown_sentences = ans.sentences
    for s in shown_sentences:
        out.print(Text("  ") + Text(visible(one_line(s.text))) + Text(f" [{s.ref}]", style="cyan"))
    out.print()
    for i, p in ans.listed(shown_sentences):
        same = f" (same text on p.{', '.join(map(str, p.same_text_pages))})" if p.same_text_pages else ""
        link = _pdf_link(corpus, p.doc, p.page)  # rich writes it (OSC 8) to a terminal only
        ref = Text(_page_ref(p.doc, p.page, p.label, p.ocr), style=Style(bold=True, link=link))
        head = Text(f"[{i}] ", style="bold cyan") + ref + Text(same) + Text(f" · {p.score:.2f}", style="dim")
        room = out.width - head.cell_len - 3  # the title on the same line, cut to what is left of it
        if p.title and room >= 8:
            title = Text(visible(p.title), style="dim")
            title.truncate(room, overflow="ellipsis")
            head += Text(" · ", style="dim") + title
        out.print(head)
        out.print(Text("    ") + _passage_body(ans, i, p, full), soft_wrap=not full)
        out.print()


def _interactive(searcher, k: int, doc: str | None, mode: str, view: dict) -> None:
    """A prompt that keeps the model and indexes loaded; history in the cache folder."""
    from ..ingest.embed import cache_dir

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
                generation = searcher.refresh()
                if generation is not None:
                    err.print(f"wpkb: the knowledge base changed; now answering from generation {generation}")
                _show(searcher, searcher.ask(question, k=k, doc=doc, mode=mode), **view)
            except WpkbError as e:
                err.print(f"wpkb: error: {shown(str(e))}", soft_wrap=True)
    except EOFError:
        err.print()
    finally:
        if readline:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
            except OSError:  # history is a convenience: a full or read-only cache folder loses it
                err.print(f"wpkb: warning: could not save the prompt history to {shown(str(history))}")


def _show(searcher, ans, as_json: bool, full: bool, corpus: Path, show: bool) -> None:
    if as_json:
        print_json(ans.as_dict())
    elif not ans.passages:
        out.print("The knowledge base has no passages to search; add PDF reports with text and run `wpkb build`.")
    else:
        _print_answer(ans, full, corpus)
    if show and ans.passages:
        from .render import cited_page

        p = ans.passages[0]
        png, _ = cited_page(searcher.kb, corpus, searcher.document(p.doc), p.page, p.text)
        (err if as_json else out).print(f"[1] as printed: {shown(str(png))}", soft_wrap=True)


@app.command()
@friendly_errors
def ask(
    question: Annotated[Optional[str], typer.Argument(
        help="The question, in Chinese or English. Without one, an interactive prompt opens.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, help="How many passages to list (and any the answer cites).")] = 5,
    doc: Annotated[Optional[str], typer.Option("--doc", help="Only search this report.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid (BM25 + vectors), dense or bm25.")] = "hybrid",
    full: Annotated[bool, typer.Option("--full", help="Print whole passages, not their best sentence.")] = False,
    show: Annotated[bool, typer.Option("--show", help="Also render the top passage's page, highlighted (PNG).")] = False,
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """Answer a question with cited passages (report, page) and the best answer sentences."""
    from .retrieve import Searcher

    searcher = Searcher(kb_path(kb, corpus))
    view = {"as_json": as_json, "full": full, "corpus": corpus, "show": show}
    try:
        if question is None:
            _interactive(searcher, k, doc, mode, view)
            return
        _show(searcher, searcher.ask(question, k=k, doc=doc, mode=mode), **view)
    finally:
        searcher.close()


@app.command(name="eval")
@friendly_errors
def evaluate(
    questions: Annotated[list[Path], typer.Argument(
        help="JSONL files: question, doc (relative to the corpus), pages, evidence, kind, lang.")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many passages to rank per question.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
    as_json: JsonOpt = False,
):
    """Measure answers on question sets with gold pages: R@1, R@5, MRR@10, answer@1/@3, confidence."""
    from .evaluate import evaluate as run_eval
    from .evaluate import load_questions
    from .retrieve import Searcher

    qs = load_questions(questions)
    searcher = Searcher(kb_path(kb, corpus))
    try:
        with RichProgress(err) as progress:
            progress.stage("questions", len(qs))
            report = run_eval(searcher, qs, k=k, mode=mode, progress=progress)
    finally:
        searcher.close()
    summary = dict(report.summary(), settings=searcher.settings.as_dict())
    if as_json:
        print_json(summary)
        return
    _print_eval(summary, mode, k)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_eval(summary: dict, mode: str, k: int) -> None:
    t = Table("questions", "n", "R@1", "R@5", "MRR@10", "answer@1", "answer@3")
    rows = [("all answerable", summary["overall"])]
    rows += [(f"kind={name}", m) for name, m in summary["by_kind"].items()]
    rows += [(f"lang={name}", m) for name, m in summary["by_lang"].items()]
    for name, m in rows:
        if m["n"]:
            t.add_row(name, str(m["n"]), *(_cell(m[key]) for key in ("recall@1", "recall@5", "mrr@10", "answer@1",
                                                                      "answer@3")))
    out.print(f"mode {mode}, k {k}")
    out.print(t)
    c = summary["confidence"]
    if c:
        out.print(f"confidence: {c['answerable_confident']}/{c['answerable']} answerable confident, "
                  f"{c['unanswerable_flagged']}/{c['unanswerable']} unanswerable flagged, "
                  f"precision {_cell(c['confident_precision'])} of {c['confident']} confident answers"
                  + (f"; {c['report_not_in_kb_flagged']}/{c['report_not_in_kb']} questions about reports not in "
                     "this KB flagged" if c["report_not_in_kb"] else ""))
        traps = ", ".join(f"{name} {v['flagged']}/{v['n']}" for name, v in summary["by_trap"].items())
        if traps:
            out.print(f"unanswerable flagged by trap: {shown(traps)}")
    for miss in summary["missed"]:
        first = f"{miss['first'][0]} p.{miss['first'][1]}" if miss["first"] else "nothing"
        out.print(f"[yellow]missed[/] {shown(miss['id'])} {shown(miss['question'])}\n"
                  f"       gold {shown(str(miss['gold'][0]))} p.{miss['gold'][1]}, rank {miss['rank'] or '>' + str(k)}; "
                  f"first: {shown(first)}", soft_wrap=True)


def _open_kb(kb: Path | None, corpus: Path):
    from ..ingest.kb import KB

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
        if as_json:
            print_json(listing.reports(db))
            return
        docs, skipped = db.documents(), db.skipped()
    finally:
        db.close()
    t = Table()
    t.add_column("file", overflow="fold", min_width=min(40, max((len(d.path) for d in docs), default=4)))
    t.add_column("title", overflow="fold", min_width=10)
    t.add_column("pages", min_width=8)
    t.add_column("chunks", min_width=6)
    t.add_column("indexed", min_width=10)
    t.add_column("warnings", overflow="fold", min_width=8)
    for d in docs:
        t.add_row(shown(d.path), shown(d.title), f"{d.page_count} ({_health(d)})", str(d.chunks),
                  d.indexed_at[:16].replace("T", " "), shown("; ".join(d.warnings)))
    out.print(t)
    for s in skipped:
        out.print(f"[yellow]not indexed[/]  {shown(s.path)}: {shown(s.reason)}", soft_wrap=True)


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
        if as_json:
            print_json(listing.pages(db, doc, page))
            return
        d = db.find_document(doc)
        rows = [db.page(d, page)] if page is not None else db.pages(d.id)
    finally:
        db.close()
    if page is not None:
        r = rows[0]
        out.print(Text(_page_ref(d.path, r.number, r.label) + f" · {r.status}", style="bold"))
        out.print(Text(visible(r.text)), soft_wrap=True)
        return
    t = Table("page", "label", "status", "first line")
    room = max(20, out.width - 34)  # one row per page: cut the line to the cells that are left
    for r in rows:
        first = Text(visible(r.text.split("\n", 1)[0]))
        first.truncate(room, overflow="ellipsis")
        t.add_row(str(r.number), visible(r.label or ""), r.status, first)
    out.print(Text(f"{visible(d.path)} · {visible(d.title)}", style="bold"))
    out.print(t)


@app.command()
@friendly_errors
def show(
    doc: Annotated[str, typer.Argument(help="The report: its path, file name or a unique part of it.")],
    page: Annotated[int, typer.Argument(help="The page (1-based).")],
    passage: Annotated[Optional[str], typer.Option("--passage", help="Text to highlight on the page.")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Where to write the PNG.")] = None,
    corpus: CorpusOpt = Path("corpus"),
    kb: KbOpt = None,
):
    """Render a page of a report as printed (PNG), with a passage highlighted; prints the image's path."""
    from .render import cited_page

    db = _open_kb(kb, corpus)
    try:
        png, boxes = cited_page(db, corpus, db.find_document(doc), page, passage, output)
    finally:
        db.close()
    out.print(shown(str(png)), soft_wrap=True)
    if passage and not boxes:
        err.print("wpkb: warning: the passage was not found on that page; the page is shown without highlight")


@app.command()
@friendly_errors
def mcp(corpus: CorpusOpt = Path("corpus"), kb: KbOpt = None):
    """Serve the KB to an AI assistant: an MCP server on stdin/stdout (search, list_reports, list_pages, read_page,
    show_page)."""
    from .mcp_server import serve

    serve(kb_path(kb, corpus), corpus)


def main() -> None:
    """The console script: a usage mistake is one line too, not a box of help."""
    from typer.exceptions import Abort, Exit, TyperException

    try:
        code = app(standalone_mode=False)
    except Exit as e:
        code = e.exit_code
    except Abort:
        err.print("wpkb: interrupted")
        code = 130
    except TyperException as e:  # typer's own click: usage errors, bad parameters
        ctx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
            out.print(ctx.get_help(), highlight=False)
            code = 0
        elif hasattr(e, "format_message"):
            command = ctx.command_path.split(" ", 1)[1] + " " if ctx is not None and " " in ctx.command_path else ""
            err.print(f"wpkb: error: {shown(e.format_message())} (see `wpkb {command}--help`)", soft_wrap=True)
            code = 2
        else:
            raise
    raise SystemExit(code if isinstance(code, int) else 0)
