"""Per-file extraction figures for a folder of PDFs: pages, characters, running-header lines
removed, pages read by OCR, pages left out, seconds, and the seconds OCR adds per page.

    python bench/extraction.py [FOLDER]   # default ../shared/corpus
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from wpkb.ingest import ocr
from wpkb.ingest.errors import WpkbError
from wpkb.ingest.extract import extract

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
    print(f"OCR {'available' if ocr.available() else 'not installed'}")
    print(f"{'file':<58} {'pages':>5} {'chars':>8} {'hdr':>5} {'ocr':>4} {'left':>4} {'s':>6}  notes")
    ocr_pages, ocr_seconds, no_ocr_seconds = 0, 0.0, 0.0
    for pdf in sorted(folder.rglob("*.pdf")):
        name = pdf.relative_to(folder).as_posix()
        t = time.perf_counter()
        try:
            doc = extract(pdf)
        except WpkbError as e:
            print(f"{name:<58} {'-':>5} {'-':>8} {'-':>5} {'-':>4} {'-':>4} {time.perf_counter() - t:>6.1f}  {e}")
            continue
        secs = time.perf_counter() - t
        status = Counter(p.status for p in doc.pages)
        chars = sum(len(p.text) for p in doc.pages)
        left = sum(n for s, n in status.items() if s not in ("text", "ocr"))
        print(f"{name:<58} {len(doc.pages):>5} {chars:>8} {doc.header_lines_removed:>5} {status['ocr']:>4} "
              f"{left:>4} {secs:>6.1f}  {'; '.join(doc.warnings)}")
        if status["ocr"]:
            ocr_pages += status["ocr"]
            ocr_seconds += secs
        else:
            no_ocr_seconds += secs
    if ocr_pages:
        print(f"\nfiles with OCR'd pages: {ocr_pages} pages OCR'd in {ocr_seconds:.0f} s, "
              f"{ocr_seconds / ocr_pages:.1f} s per OCR'd page (their text-layer pages included)")
    print(f"files without OCR: {no_ocr_seconds:.0f} s")


if __name__ == "__main__":
    main()
