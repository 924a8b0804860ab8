"""Read a PDF into pages of clean text with their physical number and printed label."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .clean import clean_lines, clean_page
from .errors import WpkbError
from .headers import running_lines, strip_running_lines

EMPTY_PAGE_CHARS = 20  # fewer characters than this: a cover, a blank or an image-only page


@dataclass
class Page:
    number: int  # 1-based physical page
    label: str | None  # the PDF's own page label, where it defines one
    text: str
    status: str = "text"  # "text" | "empty" | "error"


@dataclass
class Document:
    title: str
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)
    header_lines_removed: int = 0


def _open(path: Path, password: str | None):
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if path.stat().st_size == 0:
        raise WpkbError(f"{path}: empty file (0 bytes); replace it with the complete PDF")
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted:
            if not reader.decrypt(password or ""):
                hint = "the password is wrong" if password else "it needs a password"
                raise WpkbError(f"{path}: encrypted and {hint}; index it with "
                                f"`wpkb add '{path}' --password PASSWORD`")
        n = len(reader.pages)
    except WpkbError:
        raise
    except FileNotDecryptedError:
        raise WpkbError(f"{path}: encrypted and it needs a password; index it with "
                        f"`wpkb add '{path}' --password PASSWORD`") from None
    except DependencyError as e:
        raise WpkbError(f"{path}: {e}; run `pip install 'pypdf[crypto]'`") from None
    except Exception as e:  # pypdf raises many types on damaged files; all mean "unreadable"
        raise WpkbError(f"{path}: not a readable PDF ({type(e).__name__}: {e}); "
                        "check the file opens in a PDF viewer, or remove it from the corpus") from None
    if n == 0:
        raise WpkbError(f"{path}: the PDF has no pages; remove it from the corpus")
    return reader


def _labels(reader) -> list[str | None]:
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return [None] * len(reader.pages)
        return list(reader.page_labels)
    except Exception:  # a malformed label tree must not cost us the text
        return [None] * len(reader.pages)


def _title(reader, path: Path) -> str:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:
        title = None
    title = str(title).strip() if title else ""
    return title or path.stem


def extract(path: Path, password: str | None = None) -> Document:
    """Extract, normalise and de-header every page; raises WpkbError if the file can't be read."""
    reader = _open(path, password)
    labels = _labels(reader)
    warnings: list[str] = []
    raw: list[list[str]] = []
    failed: set[int] = set()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns per object on damaged files
    for i, page in enumerate(reader.pages):
        try:
            raw.append(clean_lines(page.extract_text() or ""))
        except Exception as e:  # one bad page must not lose the report
            raw.append([])
            failed.add(i)
            warnings.append(f"page {i + 1}: text could not be read ({type(e).__name__})")
    running = running_lines(raw)
    pages: list[Page] = []
    removed_total = 0
    for i, lines in enumerate(raw):
        kept, removed = strip_running_lines(lines, running)
        removed_total += len(removed)
        text = clean_page(kept)
        if i in failed:
            status = "error"
        elif len(text) < EMPTY_PAGE_CHARS:
            status = "empty"
        else:
            status = "text"
        pages.append(Page(i + 1, labels[i], text, status))
    empty = [p.number for p in pages if p.status == "empty"]
    if empty and len(empty) == len(pages):
        warnings.append("no page has a text layer (scanned or image-only PDF); nothing to index")
    elif empty:
        warnings.append(f"{len(empty)} page(s) without text: {_ranges(empty)}")
    return Document(_title(reader, path), pages, warnings, removed_total)


def _ranges(numbers: list[int]) -> str:
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)
