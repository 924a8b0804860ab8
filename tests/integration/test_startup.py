"""Quick commands stay quick: no torch, sentence-transformers or faiss behind them."""

import json
import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "faiss", "transformers")

PROBE = """
import json, sys
from wpkb.search.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy})))
"""


def loaded_heavy_modules(*args: str) -> list[str]:
    code = PROBE.replace("{heavy}", repr(set(HEAVY)))
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    line = proc.stderr.rsplit("MODULES ", 1)[-1]
    return json.loads(line)


def test_help_sources_and_pages_do_not_import_heavy_modules(built):
    kb = str(built[1])
    assert loaded_heavy_modules("--help") == []
    assert loaded_heavy_modules("sources", "--kb", kb) == []
    assert loaded_heavy_modules("pages", "zh_report", "--kb", kb) == []
    assert loaded_heavy_modules("pages", "zh_report", "2", "--kb", kb) == []


def test_ask_with_the_default_model_needs_no_torch(built):
    mods = loaded_heavy_modules("ask", "大熊猫吃什么?", "--kb", str(built[1]))
    assert "torch" not in mods and "sentence_transformers" not in mods
