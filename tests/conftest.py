"""Shared fixtures: PDFs generated here (Chinese and English), and KBs built from them once.

``unit/`` tests run on ``fake_embedder`` (hashed n-grams, no model to load): ``workspace``
and ``fake_model``. ``integration/`` tests use the real bundled model: ``built``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fake_embedder
from wpkb.search.settings import DEFAULT, Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"

ZH_PAGES = [
    ["测试研究院", "2026年行业观察白皮书"],
    ["第一章 大熊猫的食物", "大熊猫主要以竹子为食,一只成年大熊猫每天要吃十二到三十八公斤的竹子。",
     "竹子的营养很低,所以大熊猫每天要花十多个小时进食。"],
    ["第二章 新能源汽车市场", "2025年中国新能源汽车销量预计达到1500万辆,市场渗透率超过百分之五十。",
     "电池成本下降是销量增长的主要原因。"],
    ["第三章 咖啡产业", "云南是中国最大的咖啡产区,咖啡产量占全国的百分之九十八以上。",
     "普洱和保山是云南咖啡种植最集中的地区。"],
]
EN_PAGES = [
    ["Annual Science Digest", "Edition 2026"],
    ["Chapter 1. Iceland", "Iceland has about thirty active volcano systems.",
     "The eruption of Eyjafjallajokull in 2010 grounded flights across Europe for six days."],
    ["Chapter 2. Chess", "The Sicilian Defence is the most popular reply to the king's pawn opening.",
     "It was analysed by Giulio Polerio as early as 1594."],
]


def make_pdf(path: Path, pages: list[list[str]], header: str | None = None, title: str | None = None) -> Path:
    """A PDF with one page per list of lines; Chinese via reportlab's built-in STSong-Light."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    if title:
        c.setTitle(title)
    for n, lines in enumerate(pages, 1):
        c.setFont("STSong-Light", 12)
        if header:
            c.drawString(60, 800, header)
        y = 760
        for line in lines:
            c.drawString(60, y, line)
            y -= 24
        c.drawString(290, 40, str(n))
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="session")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """Converted models are shared across tests (and runs) through the user cache."""
    from wpkb.ingest.embed import cache_dir

    return cache_dir()


def make_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    make_pdf(corpus / "zh_report.pdf", ZH_PAGES, header="2026年行业观察白皮书", title="行业观察白皮书")
    make_pdf(corpus / "en_digest.pdf", EN_PAGES, header="Annual Science Digest", title="Annual Science Digest")
    return corpus


def _build(root: Path, runner) -> tuple[Path, Path]:
    from wpkb.search.cli import app

    corpus = make_corpus(root)
    kb = root / "kb"
    result = runner.invoke(app, ["build", str(corpus), "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    return corpus, kb


@pytest.fixture(scope="session")
def built(tmp_path_factory, runner) -> tuple[Path, Path]:
    """(corpus, kb) built once from the generated PDFs with the real model; tests must not modify them."""
    return _build(tmp_path_factory.mktemp("built"), runner)


@pytest.fixture
def fake_model(monkeypatch) -> None:
    """Every embedding in the test comes from the hashed n-gram fake."""
    fake_embedder.install(monkeypatch.setattr)


@pytest.fixture(scope="session")
def fake_built(tmp_path_factory, runner) -> tuple[Path, Path]:
    """(corpus, kb) built once from the generated PDFs with the fake model."""
    with pytest.MonkeyPatch.context() as mp:
        fake_embedder.install(mp.setattr)
        return _build(tmp_path_factory.mktemp("fake_built"), runner)


@pytest.fixture
def workspace(tmp_path, fake_built, fake_model) -> tuple[Path, Path]:
    """A private copy of the fake-model corpus and KB that a test may change (the fake stays on)."""
    corpus, kb = fake_built
    shutil.copytree(corpus.parent, tmp_path / "w", symlinks=True)
    return tmp_path / "w" / "corpus", tmp_path / "w" / "kb"


def ask_json(runner, kb: Path, question: str, *args: str) -> dict:
    from wpkb.search.cli import app

    result = runner.invoke(app, ["ask", question, "--kb", str(kb), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@contextmanager
def built_searcher(corpus: Path, runner, settings: Settings = DEFAULT) -> Iterator:
    """A Searcher over a KB built (by the CLI) from the PDFs in corpus, closed afterwards."""
    from wpkb.search.cli import app
    from wpkb.search.retrieve import Searcher

    kb = corpus.parent / "kb"
    assert runner.invoke(app, ["build", str(corpus), "--kb", str(kb)]).exit_code == 0
    searcher = Searcher(kb, settings=settings)
    try:
        yield searcher
    finally:
        searcher.close()


def dev_questions() -> list[dict]:
    path = SHARED / "eval" / "dev.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


os.environ.setdefault("HF_HUB_OFFLINE", "1")
