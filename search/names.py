"""Reports a question names: "according to the institute's rail freight index white paper"."""

from __future__ import annotations

import math

class ReportNames:
    """How much of each report's name a question's terms cover, each name term weighted by
    how few reports' names hold it (so "whitepaper" or "2022" count for little)."""

    def __init__(self, names: dict[int, set[str]]):
        self.names = names  # report id -> its name terms (ingest/names.py, stored at build time)
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

    def claimant(self, coverage: dict[int, float], least: float) -> int | None:
        """The id of the one report a question names clearly (``least`` of its name covered or
        more, and more than any other report's); None when none is."""
        if not coverage:
            return None
        top = max(coverage.values())
        best = [doc_id for doc_id, share in coverage.items() if share == top]
        return best[0] if top >= least and len(best) == 1 else None
