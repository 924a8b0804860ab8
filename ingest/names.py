"""The index terms of a report's name (its file name and title), stored with its row at build
time so a question can be matched to the reports it names without cutting every name at start."""

from __future__ import annotations

import re

from .terms import index_term, words

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


def name_terms(path: str, title: str) -> set[str]:
    """Index terms of a report's file name (without folder and extension) and its title, and
    the kinds of document they name."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = f"{_SEPARATORS.sub(' ', stem)} {title}"
    return {index_term(w) for w in words(name)} | kinds(name)
