"""Reports a question names: "according to the institute's rail freight index white paper"."""

from __future__ import annotations

import math
import re

from ..ingest.rows import DocRow
from ..ingest.terms import index_term, words

_SEPARATORS = re.compile(r"[_\-.]+")
# Words for a kind of document. The BM25 terms leave them out ("白皮书提到…" favoured the
# pages about the white paper itself), but they still point at reports: "白皮书认为…" is
# likelier about a report whose name says white paper than about a survey. A kind counts as
# one name term, weighted like the others by how few reports' names hold it. Not "report"
# (报告): questions call any document that, and as a kind it cost R@5 on the dev set (docs/retrieval.md).
_KINDS = {
    "whitepaper": re.compile(r"白皮书|\bwhite[ -]?papers?\b"),
}


def kinds(text: str) -> set[str]:
    """Name terms for the kinds of document a text names ("白皮书", "white paper" -> whitepaper)."""
    low = text.lower()
    return {index_term(kind) for kind, pattern in _KINDS.items() if pattern.search(low)}


def name_terms(doc: DocRow) -> set[str]:
    """Index terms of a report's file name (without folder and extension) and its PDF title,
    and the kinds of document they name."""
    stem = doc.name.rsplit(".", 1)[0]
    name = f"{_SEPARATORS.sub(' ', stem)} {doc.title}"
    return {index_term(w) for w in words(name)} | kinds(name)


class ReportNames:
    """How much of each report's name a question's terms cover, each name term weighted by
    how few reports' names hold it (so "whitepaper" or "2022" count for little)."""

    def __init__(self, docs: list[DocRow]):
        self.names = {d.id: name_terms(d) for d in docs}
        n = len(self.names)
        df: dict[str, int] = {}
        for terms in self.names.values():
            for t in terms:
                df[t] = df.get(t, 0) + 1
        self.weight = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}
        self.total = {doc_id: math.fsum(self.weight[t] for t in name) for doc_id, name in self.names.items()}

    def coverage(self, terms: set[str]) -> dict[int, float]:
        """Report id -> share (0 to 1) of its name's weight that the terms hold; zeros left out."""
        out = {}
        for doc_id, name in self.names.items():
            # fsum: exact whatever order the set yields its terms, so two reports whose names the
            # question covers equally tie in every run (a plain sum's last bit follows the hash seed)
            hit = math.fsum(self.weight[t] for t in name & terms)
            if hit > 0:
                out[doc_id] = hit / self.total[doc_id]
        return out

    def claimed(self, coverage: dict[int, float], least: float) -> set[str]:
        """The name terms of the one report a question names clearly (``least`` of its name
        covered or more, and more than any other report's); empty when none is."""
        if not coverage:
            return set()
        top = max(coverage.values())
        best = [doc_id for doc_id, share in coverage.items() if share == top]
        return self.names[best[0]] if top >= least and len(best) == 1 else set()
