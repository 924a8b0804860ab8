"""An MCP session's `search` calls against the warm prompt's answers, in one run.

    python bench/mcp_session.py --kb KB [--questions ../shared/eval/dev.jsonl] [-n 20]

Starts `wpkb mcp --kb KB` as a subprocess and talks to it with the MCP SDK's stdio client, as
an assistant would; times each of the first n questions' `search` call (the protocol, JSON
and the server's answer), then the same questions through `Searcher.ask` in this process (the
prompt). Prints p50 / p95 of both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]

from speed import p50_p95, warm  # noqa: E402  (bench/ is on sys.path when run as a script)


async def session(kb: Path, questions: list[str]) -> list[float]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "wpkb", "mcp", "--kb", str(kb)])
    times = []
    async with Client(params, read_timeout_seconds=120) as client:
        await client.call_tool("list_reports", {})  # the server has loaded the KB
        for q in questions:
            t = time.perf_counter()
            result = await client.call_tool("search", {"question": q})
            times.append(time.perf_counter() - t)
            if result.is_error:
                raise SystemExit(f"search failed: {result.content[0].text}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
    lines = [line for line in args.questions.read_text().splitlines() if line.strip()]
    questions = [json.loads(line)["question"] for line in lines][:args.n]
    mcp_t = anyio.run(session, args.kb, questions)
    _, prompt_t = warm(args.kb, questions)
    print(f"{len(questions)} questions")
    print(f"MCP `search` call, p50 / p95 (ms)       {p50_p95(mcp_t)}")
    print(f"warm prompt answer, p50 / p95 (ms)       {p50_p95(prompt_t)}")


if __name__ == "__main__":
    main()
