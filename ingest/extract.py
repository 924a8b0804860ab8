"""Read a PDF into pages of clean text with their physical number and printed label."""

from __future__ import annotations

import logging
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from .clean import clean_lines, clean_page
from .errors import WpkbError
from . import ocr, titles
from .headers import remove_running_lines
from .quality import is_garbled

EMPTY_PAGE_CHARS = 8  # fewer characters than this: a blank page, a lone page number, an image
INDEXED = ("text", "ocr")  # page statuses whose text is chunked and embedded
# OCR costs about 4 s a page here: a 20,000-page blank PDF would hold the writer lock for a day.
MAX_OCR_PAGES = 300
OCR_BUDGET_SECONDS = 1800.0  # and at most this long on one report, whatever its pages cost


@dataclass
class Page:
    number: int  # 1-based physical page
    label: str | None  # the PDF's own page label, where it defines one
    text: str
    status: str = "text"  # "text" | "ocr" | "empty" | "garbled" | "error"; only text and ocr are indexed
    heading: str = ""  # for an OCR'd page, its line(s) in the tallest type (titles.py)


@dataclass
class Document:
    title: str
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)
    header_lines_removed: int = 0


def _open(path: Path, password: str | None):
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise WpkbError(f"{path}: not a regular file; only PDF files are read")
    if st.st_size == 0:
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


def _metadata_title(reader) -> str:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # a damaged info dictionary: the pages still give a title
        title = None
    return str(title).strip() if title else ""


def extract(path: Path, password: str | None = None, max_ocr_pages: int = MAX_OCR_PAGES) -> Document:
    """Extract, normalise and de-header every page; raises WpkbError if the file can't be read.

    Pages without a text layer, or whose text layer is garbage, are read by OCR where the
    `wpkb[ocr]` extra is installed; otherwise they are marked and left out of the index.
    """
    reader = _open(path, password)
    labels = _labels(reader)
    warnings: list[str] = []
    raw: list[list[str]] = []
    status: list[str] = []
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns per object on damaged files
    for i, page in enumerate(reader.pages):
        try:
            text = page.extract_text() or ""
        except Exception as e:  # one bad page must not lose the report
            raw.append([])
            status.append("error")
            warnings.append(f"page {i + 1}: text could not be read ({type(e).__name__})")
            continue
        garbled = is_garbled(text)
        raw.append([] if garbled else clean_lines(text))
        status.append("garbled" if garbled else "text")
    kept_pages, removed_total = remove_running_lines(raw)
    pages: list[Page] = []
    for i, kept in enumerate(kept_pages):
        text = clean_page(kept)
        st = status[i]
        if st == "text" and len(text) < EMPTY_PAGE_CHARS:
            st = "empty"
        pages.append(Page(i + 1, labels[i], text if st == "text" else "", st))
    notes, removed_by_ocr = _read_unreadable_pages(path, password, pages, max_ocr_pages)
    title = titles.choose(_metadata_title(reader), path, reader, pages)
    return Document(title, pages, warnings + notes, removed_total + removed_by_ocr)


def title_of(path: Path, pages: list[Page]) -> str:
    """The title of a report indexed before titles were read from its pages: its PDF's first
    pages, with ``pages`` as stored (an OCR'd first page is read again for its tallest line)."""
    reader = _open(path, None)
    metadata = _metadata_title(reader)
    if titles.is_junk(metadata, path) and ocr.available():
        todo = [p for p in pages[:titles.TITLE_PAGES] if p.status == "ocr"]
        if todo:
            again = ocr.PageReader(path)
            try:
                for p in todo:
                    p.heading = titles.largest(again.read_lines(p.number), titles.OCR_LARGE)
            finally:
                again.close()
    return titles.choose(metadata, path, reader, pages)


def _read_unreadable_pages(path: Path, password: str | None, pages: list[Page], cap: int) -> tuple[list[str], int]:
    """OCR empty and garbled pages in place, at most ``cap`` of them; say what was done or what to
    install, and how many running header and footer lines the OCR'd pages lost."""
    todo = [p for p in pages if p.status in ("empty", "garbled")]
    if not todo:
        return [], 0
    over = [p.number for p in todo[cap:]] if ocr.available() else []
    todo = todo[:cap] if ocr.available() else todo
    garbled = [p.number for p in todo if p.status == "garbled"]
    empty = [p.number for p in todo if p.status == "empty"]
    if not ocr.available():
        notes = []
        if empty:
            notes.append(f"no text layer on page(s) {_ranges(empty)}"
                         + (" (image-only PDF)" if len(empty) == len(pages) else ""))
        if garbled:
            notes.append(f"garbled text layer (font without a usable ToUnicode map) on page(s) {_ranges(garbled)}")
        return [f"{n}: not indexed; `{ocr.INSTALL_HINT}` reads them by OCR" for n in notes], 0
    reader = ocr.PageReader(path, password)
    deadline = time.monotonic() + OCR_BUDGET_SECONDS
    read: list[tuple[Page, list[tuple[float, str]]]] = []
    try:
        for i, page in enumerate(todo):
            if time.monotonic() > deadline:
                over = [p.number for p in todo[i:]] + over
                break
            read.append((page, reader.read_lines(page.number)))
    finally:
        reader.close()
    # a scan's running headers and footers are found among its OCR'd pages, as a text layer's are
    kept_pages, removed_total = remove_running_lines(
        [clean_lines("\n".join(t for _, t in lines)) for _, lines in read], misread=True)
    for (page, lines), kept in zip(read, kept_pages):
        text = clean_page(kept)
        if len(text) >= EMPTY_PAGE_CHARS:
            page.text, page.status, page.heading = text, "ocr", titles.largest(lines, titles.OCR_LARGE)
    left = set(over)
    done = [p.number for p in todo if p.status == "ocr"]
    still = [p.number for p in todo if p.status != "ocr" and p.number not in left]
    notes = [f"page(s) {_ranges(done)} read by OCR"] if done else []
    if still:
        notes.append(f"no text found on page(s) {_ranges(still)}, even by OCR")
    if over:
        notes.append(f"page(s) {_ranges(over)} not read: OCR stops after {cap} pages or "
                     f"{OCR_BUDGET_SECONDS / 60:.0f} minutes a report (`wpkb build --max-ocr-pages N` reads more pages)")
    return notes, removed_total


def _ranges(numbers: list[int]) -> str:
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)
