"""What the KB holds, as plain data: its reports, one report's pages, one page's text. The
``sources`` and ``pages`` commands print it and the MCP tools return it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rows.py needs numpy, which `wpkb --help` should not wait for
    from ..ingest.rows import DocRow, PageRow, Reads


def report(d: DocRow) -> dict:
    return {"file": d.path, "title": d.title, "pages": d.page_count, "chunks": d.chunks,
            "indexed_at": d.indexed_at, "page_status": d.page_status,
            "header_lines_removed": d.header_lines, "warnings": d.warnings}


def reports(kb: Reads) -> dict:
    """Every indexed report, and the files of the corpus that are not indexed and why."""
    return {"documents": [report(d) for d in kb.documents()],
            "skipped": [{"file": s.path, "kind": s.kind, "reason": s.reason} for s in kb.skipped()]}


def page_dict(r: PageRow, text: bool = True) -> dict:
    out = {"page": r.number, "label": r.label, "status": r.status}
    return dict(out, text=r.text) if text else dict(out, first_line=r.text.split("\n", 1)[0])


def pages(kb: Reads, doc: str, page: int | None = None, text: bool = True) -> dict:
    """A report's pages (number, printed label, status, and the text or its first line), or one page."""
    d = kb.find_document(doc)
    rows = [kb.page(d, page)] if page is not None else kb.pages(d.id)
    return {"doc": d.path, "title": d.title, "pages": [page_dict(r, text) for r in rows]}
