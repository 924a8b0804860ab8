"""`wpkb mcp`: the KB's read-only tools for an AI assistant, over the Model Context Protocol
(stdio, the official ``mcp`` SDK).

One Searcher stays loaded for the whole session, so a call costs what a question at the
prompt costs; before each call it moves to the newest commit, so a build in another terminal
is seen without a restart. A problem the user can fix (unknown report, page out of range, an
empty question) comes back as a tool error with the CLI's one-line message.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ImageContent, TextContent, ToolAnnotations

from ..ingest.clean import one_line
from ..ingest.cli import visible
from ..ingest.errors import WpkbError
from . import listing
from .retrieve import Searcher

INSTRUCTIONS = (
    "wpkb answers questions from a local library of PDF reports (industry white papers, in Chinese and "
    "English) and cites each passage by report and page. Ask `search` in either language; when "
    "`confident` is false the reports do not seem to answer, so say so rather than rely on the closest "
    "sentence. `list_reports`, `list_pages` and `read_page` show what the library holds.")


def answer_text(ans) -> str:
    """The answer as a reader sees it: the answer sentences with [n] citations, then the passages."""
    c = "" if ans.confidence is None else f" (confidence {ans.confidence:.2f})"
    if not ans.passages:
        return "The knowledge base has no passages to search."
    if ans.confident is False:
        lines = [f"The indexed reports do not seem to answer this{c}. Closest:"]
        sentences = ans.sentences[:1]
    else:
        lines, sentences = [f"Answer{c}:"], ans.sentences
    lines += [f"  {visible(one_line(s.text))} [{s.ref}]" for s in sentences]
    for i, p in ans.listed(sentences):
        label = f" (printed {visible(p.label)})" if p.label and p.label != str(p.page) else ""
        title = f"{visible(p.title)} — " if p.title else ""
        lines += ["", f"[{i}] {title}{visible(p.doc)}, page {p.page}{label}", visible(p.text)]
    return "\n".join(lines)


def serve(kb_dir: Path, corpus: Path) -> None:
    """Serve the tools over stdin/stdout until the client hangs up; ``corpus`` holds the PDFs
    that `show_page` renders."""
    searcher = Searcher(kb_dir)
    searcher.warm()  # the model and indexes load now, not in the first call
    server = MCPServer("wpkb", instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    one_at_a_time = threading.Lock()  # the SDK runs each call in a worker thread; a Searcher answers one

    def tool(fn):
        """A tool over the newest commit whose user errors are tool errors, not crashes."""
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                with one_at_a_time:
                    searcher.refresh()
                    data, text, *images = fn(*args, **kwargs)
            except WpkbError as e:
                raise ToolError(str(e)) from None
            return CallToolResult(content=[TextContent(type="text", text=text), *images], structured_content=data)

        return server.tool(annotations=read_only)(call)

    @tool
    def search(question: str, k: int = 5, doc: str | None = None, mode: str = "hybrid") -> CallToolResult:
        """Answer a question (Chinese or English) from the reports: the answer sentences, whether
        they can be trusted (`confident`, `confidence` 0-1), and the top k passages (with any other a
        sentence comes from), each with its report (`doc`), page, printed page label, text and the
        answer's offsets in it (`highlights`). `doc` limits the search to one report (its file name
        or a unique part of it); `mode` is hybrid (default), dense or bm25."""
        ans = searcher.ask(question, k=k, doc=doc, mode=mode)
        return ans.as_dict(), answer_text(ans)

    @tool
    def list_reports() -> CallToolResult:
        """Every indexed report (file, title, pages, chunks, page status, warnings), and the files
        of the corpus that are not indexed and why."""
        data = listing.reports(searcher.kb)
        lines = [f"{visible(d['file'])} — {visible(d['title'])} ({d['pages']} pages)" for d in data["documents"]]
        lines += [f"not indexed: {visible(s['file'])}: {visible(s['reason'])}" for s in data["skipped"]]
        return data, "\n".join(lines) or "The knowledge base holds no reports."

    @tool
    def list_pages(doc: str) -> CallToolResult:
        """One report's pages: number, printed label, status (text, ocr, empty...) and first line."""
        data = listing.pages(searcher.kb, doc, text=False)
        lines = [f"{visible(data['doc'])} — {visible(data['title'])}"]
        lines += [f"p.{p['page']}" + (f" (printed {visible(p['label'])})" if p["label"] else "")
                  + f" [{p['status']}] {visible(p['first_line'])}" for p in data["pages"]]
        return data, "\n".join(lines)

    @tool
    def read_page(doc: str, page: int) -> CallToolResult:
        """The stored text of one page of a report (1-based page number), with its printed label and status."""
        data = listing.pages(searcher.kb, doc, page)
        p = data["pages"][0]
        label = f" (printed {visible(p['label'])})" if p["label"] else ""
        return data, f"{visible(data['doc'])}, page {p['page']}{label} [{p['status']}]\n{visible(p['text'])}"

    @tool
    def show_page(doc: str, page: int, passage: str | None = None) -> CallToolResult:
        """A page of a report as it is printed (a PNG image), with `passage` (e.g. a passage's
        text from `search`) highlighted: to check a citation against the table or chart around it."""
        import base64

        from .render import cited_page

        d = searcher.kb.find_document(doc)
        png, boxes = cited_page(searcher.kb, corpus, d, page, passage)
        data = {"doc": d.path, "page": page, "image": str(png), "highlighted_boxes": boxes}
        note = "" if not passage or boxes else " (the passage was not found on the page)"
        image = ImageContent(type="image", data=base64.b64encode(png.read_bytes()).decode(), mime_type="image/png")
        return data, f"{visible(data['doc'])}, page {page}: {png}{note}", image

    try:
        server.run("stdio")
    finally:
        searcher.close()
