"""`wpkb mcp` over the real protocol: the server runs as a subprocess (on the fake model, as the
other unit tests do) and the SDK's own stdio client talks to it."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import anyio
from conftest import make_pdf
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from wpkb.search.cli import app

TESTS = Path(__file__).resolve().parents[1]
SERVER = ["-c", f"import sys; sys.path.insert(0, {str(TESTS)!r}); import fake_embedder; "
          "fake_embedder.install(); from wpkb.search.cli import main; main()", "mcp"]


def session(corpus: Path, kb: Path, script):
    """Run ``script(client)`` against a `wpkb mcp` server over the KB."""
    async def run():
        params = StdioServerParameters(command=sys.executable, args=[*SERVER, "--corpus", str(corpus), "--kb", str(kb)])
        async with Client(params, read_timeout_seconds=60) as client:
            return await script(client)

    return anyio.run(run)


def test_every_tool_answers_and_bad_calls_are_tool_errors(workspace, runner):
    corpus, kb = workspace

    async def script(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"search", "list_reports", "list_pages", "read_page", "show_page"}
        assert all(t.annotations.read_only_hint for t in tools.values())

        found = await client.call_tool("search", {"question": "How long were flights grounded after the eruption?"})
        assert not found.is_error
        data = found.structured_content
        assert data["passages"][0]["doc"] == "en_digest.pdf" and data["passages"][0]["page"] == 2
        assert isinstance(data["confidence"], float) and isinstance(data["confident"], bool)
        assert "six days" in data["answer"][0]["text"]
        a, b = data["passages"][0]["highlights"][0]
        assert data["passages"][0]["text"][a:b] == data["answer"][0]["text"]
        text = found.content[0].text
        assert "[1] Annual Science Digest — en_digest.pdf, page 2" in text and "six days" in text
        assert data["passages"][0]["title"] == "Annual Science Digest"

        one = await client.call_tool("search", {"question": "大熊猫每天吃多少竹子?", "k": 1, "doc": "zh_report"})
        assert [p["doc"] for p in one.structured_content["passages"]] == ["zh_report.pdf"]

        reports = (await client.call_tool("list_reports", {})).structured_content
        assert {d["file"] for d in reports["documents"]} == {"en_digest.pdf", "zh_report.pdf"}
        pages = (await client.call_tool("list_pages", {"doc": "en_digest"})).structured_content
        assert [p["page"] for p in pages["pages"]] == [1, 2, 3]
        page = (await client.call_tool("read_page", {"doc": "en_digest.pdf", "page": 3})).structured_content
        assert "Sicilian Defence" in page["pages"][0]["text"] and page["pages"][0]["status"] == "text"

        shown = await client.call_tool("show_page", {"doc": "en_digest", "page": 2,
                                                     "passage": data["passages"][0]["text"]})
        assert not shown.is_error and shown.structured_content["highlighted_boxes"] >= 1
        image = shown.content[1]
        assert image.type == "image" and image.mime_type == "image/png"
        assert base64.b64decode(image.data)[:8] == b"\x89PNG\r\n\x1a\n"

        errors = [await client.call_tool("read_page", {"doc": "en_digest.pdf", "page": 9}),
                  await client.call_tool("list_pages", {"doc": "no_such_report"}),
                  await client.call_tool("search", {"question": "   "}),
                  await client.call_tool("search", {"question": "why?", "mode": "psychic"})]
        assert all(e.is_error for e in errors)
        messages = [e.content[0].text for e in errors]
        assert "there is no page 9" in messages[0] and "no_such_report" in messages[1]
        assert "question is empty" in messages[2] and "unknown mode" in messages[3]
        assert all("\n" not in m and "Traceback" not in m for m in messages)
        # still serving after the errors
        return (await client.call_tool("list_reports", {})).is_error

    assert session(corpus, kb, script) is False


def test_a_commit_made_during_the_session_is_seen_by_the_next_call(workspace, runner):
    corpus, kb = workspace
    make_pdf(corpus / "puffins.pdf", [["Seabirds of the North", "Atlantic puffins mate for life and nest in burrows."]],
             title="Seabirds of the North")

    async def script(client):
        before = (await client.call_tool("list_reports", {})).structured_content
        result = await anyio.to_thread.run_sync(
            lambda: runner.invoke(app, ["add", str(corpus / "puffins.pdf"), "--corpus", str(corpus), "--kb", str(kb)]))
        assert result.exit_code == 0, result.output
        after = (await client.call_tool("list_reports", {})).structured_content
        found = (await client.call_tool("search", {"question": "Do puffins mate for life?"})).structured_content
        return before, after, found

    before, after, found = session(corpus, kb, script)
    assert "puffins.pdf" not in {d["file"] for d in before["documents"]}
    assert "puffins.pdf" in {d["file"] for d in after["documents"]}
    assert found["passages"][0]["doc"] == "puffins.pdf"
