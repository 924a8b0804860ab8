"""Every real report in ../shared/corpus is extracted correctly or reported clearly.

Expected page counts and defects come from ../shared/corpus/SOURCES.md, the corpus's own
description, so this test names no file. OCR is switched off to keep it fast; pages that
need it must then say how to get it.
"""

import re

import pytest

from conftest import SHARED
from wpkb.ingest import ocr
from wpkb.ingest.errors import WpkbError
from wpkb.ingest.extract import extract

CORPUS = SHARED / "corpus"


def described_files() -> list[dict]:
    """Rows of SOURCES.md's file tables: file, pages, and (where given) cpp and pua columns."""
    rows, header = [], None
    for line in (CORPUS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| file"):
            header = cells
        elif header and line.startswith("| `"):
            row = dict(zip(header, cells))
            row["file"] = row["file"].strip("`")
            rows.append(row)
        elif not line.startswith("|"):
            header = None
    return rows


def number(cell: str | None) -> int | None:
    m = re.match(r"^[\d,]+$", (cell or "").strip())
    return int(m.group().replace(",", "")) if m else None


@pytest.mark.integration
@pytest.mark.skipif(not (CORPUS / "SOURCES.md").is_file(), reason="../shared/corpus is not beside the project")
def test_every_report_is_extracted_or_reported(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    rows = described_files()
    assert len(rows) >= 25
    for row in rows:
        path = CORPUS / row["file"]
        try:
            doc = extract(path)
        except WpkbError as e:  # only files that need a password may refuse to open
            assert "password" in str(e) and str(path) in str(e), (row["file"], str(e))
            continue
        pages = number(row.get("p"))
        if pages is not None:
            assert len(doc.pages) == pages, row["file"]
        indexed = [p for p in doc.pages if p.status == "text"]
        if number(row.get("cpp")) == 0:  # no text layer at all: nothing indexed, and the fix is named
            assert not indexed and any("wpkb[ocr]" in w for w in doc.warnings), row["file"]
        elif (number(row.get("pua")) or 0) > 1000:  # a broken font mapping: marked, never indexed
            garbled = [p for p in doc.pages if p.status == "garbled"]
            assert len(garbled) > len(doc.pages) // 2 and all(not p.text for p in garbled), row["file"]
            assert any("garbled" in w for w in doc.warnings), row["file"]
        else:
            assert len(indexed) >= 0.9 * len(doc.pages), row["file"]
        for p in indexed:
            assert "\x00" not in p.text and "\u2f24" not in p.text  # NUL and Kangxi radicals gone
