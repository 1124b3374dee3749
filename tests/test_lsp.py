"""The language server, driven over stdio as an editor drives it (tests/lsp_client.py):
diagnostics with their ranges, hover with counterexample values, code lenses, go to
definition, verification on save that a change cancels or a time limit stops, and
shutdown. relaxverify/lsp/, docs/editor.md."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import run_cli
from lsp_client import ROOT, LspClient, server_env

pytest.importorskip("pygls")

from relaxverify.cli.lsp import tcp_address  # noqa: E402
from relaxverify.lsp.definitions import index_source  # noqa: E402
from relaxverify.lsp.verifier import Stopped, _answer  # noqa: E402

FIRST = (ROOT / "docs" / "snippets" / "first.relax").read_text()  # one obligation fails
FIXED = (ROOT / "docs" / "snippets" / "first_fixed.relax").read_text()  # all verify
GOOD = """const N: int = 4;

fn twice(x: int) -> int
  ensures result == 2 * x
{
  var y: int = x + x;
  return y;
}

fn use(a: int) -> int
  requires a < N
{
  var b: int = twice(a);
  for i in 0 .. N {
    b = b + i;
  }
  return b;
}
"""


def at(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """The protocol position of the first `needle` (plus `offset` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[LspClient]:
    c = LspClient(cwd=tmp_path)
    c.initialize(tmp_path)
    yield c
    c.kill()


def _document(tmp_path: Path, text: str, name: str = "doc.relax") -> str:
    path = tmp_path / name
    path.write_text(text)
    return path.as_uri()


def _lens_titles(client: LspClient, uri: str) -> list[str]:
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri}})
    return [lens["command"]["title"] for lens in lenses]


BROKEN = [  # (text, the message's words, where its range starts, its end)
    ("fn f(x: int) -> int { return y; }\n", "variable `y` is not defined", "y;", "; }"),
    ("fn f(x: int) -> int {\n  return x +;\n}\n", "expected", ";\n}", "\n}"),
    ("fn f(x: int) -> int { return x; }\n/* never closed\n", "comment", "/*", " never"),
]


@pytest.mark.parametrize("text, words, start, end", BROKEN, ids=["name", "syntax", "comment"])
def test_a_broken_document_gets_located_errors_and_the_server_goes_on(
        client: LspClient, tmp_path: Path, text: str, words: str, start: str, end: str) -> None:
    uri = _document(tmp_path, text)
    client.open(uri, text)
    found = client.diagnostics(uri)
    assert len(found) == 1, found
    assert words in found[0]["message"] and found[0]["severity"] == 1
    assert found[0]["range"] == {"start": at(text, start), "end": at(text, end)}
    assert found[0]["source"] == "relaxverify"
    position = {"textDocument": {"uri": uri}, "position": at(text, "x")}
    assert client.request("textDocument/hover", position) is None
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})  # nothing to verify
    lenses = _lens_titles(client, uri)
    assert lenses == ([] if words != "variable `y` is not defined"
                      else ["not verified: fix the errors first"])
    client.change(uri, GOOD, 2)
    assert client.diagnostics(uri) == []


def test_columns_count_utf16_code_units(client: LspClient, tmp_path: Path) -> None:
    """The protocol's default: a character beyond the BMP counts two, as in editors."""
    text = "fn f(x: int) -> int { /* \U0001F600 */ return y; }\n"
    uri = _document(tmp_path, text)
    client.open(uri, text)
    [found] = client.diagnostics(uri)
    column = text.index("y;") + 1  # the emoji is one code point, two UTF-16 units
    assert found["range"] == {"start": {"line": 0, "character": column},
                              "end": {"line": 0, "character": column + 1}}
    definition = client.request("textDocument/definition", {
        "textDocument": {"uri": uri}, "position": {"line": 0, "character": column}})
    assert definition is None  # `y` is declared nowhere; `x` is:
    definition = client.request("textDocument/definition", {
        "textDocument": {"uri": uri}, "position": at(text, "x")})
    assert definition["range"]["start"] == at(text, "x")


def test_a_document_that_checks_has_no_diagnostics_and_asks_to_be_saved(
        client: LspClient, tmp_path: Path) -> None:
    uri = _document(tmp_path, GOOD)
    client.open(uri, GOOD)
    assert client.diagnostics(uri) == []
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri}})
    assert [(lens["range"]["start"], lens["command"]["title"]) for lens in lenses] == [
        (at(GOOD, "twice"), "not verified: save the file to verify"),
        (at(GOOD, "use"), "not verified: save the file to verify")]
    assert lenses[0]["command"]["command"] == "relaxverify.verify"


DEFINITIONS = [  # (a use, offset into it, the declaration it goes to)
    ("y;", 0, "y: int = x + x"),  # a local
    ("x + x", 4, "x: int) -> int\n  ensures"),  # a parameter
    ("twice(a)", 0, "twice(x"),  # a function
    ("a < N", 4, "N: int"),  # a constant
    ("b + i", 4, "i in 0"),  # a loop counter
    ("b = b", 0, "b: int = twice"),  # an assignment's target
]


@pytest.mark.parametrize("use, offset, declaration", DEFINITIONS,
                         ids=["local", "parameter", "function", "constant", "counter",
                              "target"])
def test_go_to_definition(client: LspClient, tmp_path: Path, use: str, offset: int,
                          declaration: str) -> None:
    uri = _document(tmp_path, GOOD)
    client.open(uri, GOOD)
    client.diagnostics(uri)
    found = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                       "position": at(GOOD, use, offset)})
    name_length = len(re.findall(r"\w+", declaration)[0])
    start = at(GOOD, declaration)
    assert found == {"uri": uri, "range": {"start": start, "end": {
        "line": start["line"], "character": start["character"] + name_length}}}


def test_saving_verifies_then_hover_shows_the_counterexample_side_by_side(
        client: LspClient, tmp_path: Path) -> None:
    uri = _document(tmp_path, FIRST)
    before = sorted(tmp_path.rglob("*"))
    client.open(uri, FIRST)
    assert client.diagnostics(uri) == []
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    client.wait_for(lambda m: m.get("method") == "workspace/codeLens/refresh")
    assert _lens_titles(client, uri) == ["verifying…"]
    found = client.diagnostics(uri)
    assert [(d["code"], d["severity"], d["range"]["start"]) for d in found] == [
        ("verify/ensures", 1, at(FIRST, "result >= x"))]
    assert found[0]["message"].startswith("cannot prove that the postcondition `result >= x` "
                                          "holds at the end of `twice` in the relaxed")
    assert "note: relaxed: x = 0, y = -1, result = -1" in found[0]["message"]
    assert _lens_titles(client, uri) == ["2 verified, 1 failed"]
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": at(FIRST, "ensures")})
    text = hover["contents"]["value"]
    assert hover["contents"]["kind"] == "markdown"
    assert "**failed** · `ensures` obligation (relaxed) in `twice`" in text
    assert "| variable | original | relaxed |" in text
    assert "| `y` | `0` | `-1` |" in text and "| `result` | `0` | `-1` |" in text
    assert "**verified** · `ensures` obligation (original)" in text
    on_accept = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": at(FIRST, "accept")})
    assert on_accept["contents"]["value"].startswith("**verified** · `accept` obligation")
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 0, "character": 0}}) is None
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: no cache, no copy
    assert client.close() == 0


def test_a_change_cancels_the_verification_of_the_older_text(
        client: LspClient, tmp_path: Path) -> None:
    uri = _document(tmp_path, FIXED)
    client.open(uri, FIXED)
    client.diagnostics(uri)
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    client.change(uri, FIRST, 2)  # before the worker can have answered
    assert client.diagnostics(uri) == []
    assert _lens_titles(client, uri) == ["not verified: save the file to verify"]
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    found = client.diagnostics(uri)
    assert [d["code"] for d in found] == ["verify/ensures"]
    published = [m for m in client.seen if m.get("method") == "textDocument/publishDiagnostics"]
    assert [len(m["params"]["diagnostics"]) for m in published] == [0, 0, 1], \
        "the run for the first text was cancelled: it published nothing"
    assert _lens_titles(client, uri) == ["2 verified, 1 failed"]


def test_a_verification_past_its_time_limit_is_stopped_and_the_server_goes_on(
        tmp_path: Path) -> None:
    client = LspClient("--verify-timeout", "0.01", cwd=tmp_path)
    try:
        client.initialize(tmp_path)
        uri = _document(tmp_path, FIRST)
        client.open(uri, FIRST)
        client.diagnostics(uri)
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        shown = client.wait_for(lambda m: m.get("method") == "window/showMessage")
        assert "verification stopped after 0.01 s" in shown["params"]["message"]
        assert client.diagnostics(uri) == []  # the check's: none
        assert _lens_titles(client, uri)[0].startswith("verification stopped after 0.01 s")
        assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                     "position": at(FIRST, "ensures")}) is None
        assert client.close() == 0
    finally:
        client.kill()


@pytest.mark.parametrize("out, err, reason", [
    (b"", b"Traceback ...\nMemoryError\n", "the verifier process failed: MemoryError"),
    (b"", b"", "the verifier process failed: exit code -9"),
    (b'{"error": "RecursionError: too deep"}', b"",
     "the verifier failed: RecursionError: too deep (a bug in relaxverify"),
])
def test_a_failed_worker_is_a_reason_not_an_exception(out: bytes, err: bytes,
                                                      reason: str) -> None:
    answer = _answer(-9, out, err)
    assert isinstance(answer, Stopped) and answer.reason.startswith(reason)


@pytest.mark.parametrize("text, address", [
    ("2087", ("127.0.0.1", 2087)), (":2087", ("127.0.0.1", 2087)),
    ("0.0.0.0:2087", ("0.0.0.0", 2087)), ("[::1]:9", ("[::1]", 9)),
    ("localhost:0", None), ("host:65536", None), ("host:", None), ("nonsense", None)])
def test_tcp_addresses(text: str, address: Any) -> None:
    assert tcp_address(text) == address


def test_a_bad_tcp_address_is_a_usage_error() -> None:
    result = run_cli("lsp", "--tcp", "somewhere")
    assert result.code == 2 and result.out == ""
    assert "error: `--tcp somewhere` is not HOST:PORT" in result.err


def test_without_pygls_the_command_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "relaxverify.lsp.server", raising=False)
    monkeypatch.setitem(sys.modules, "pygls", None)  # as if not installed
    result = run_cli("lsp")
    assert result.code == 2 and result.out == ""
    assert "the language server needs pygls" in result.err
    assert "pip install 'relaxverify[lsp]'" in result.err


def test_tcp_listens_on_localhost_when_asked(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "relaxverify", "lsp", "--tcp", str(port)],
                            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=server_env())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "never listened"
                time.sleep(0.1)
        with conn:
            body = b'{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}'
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            reply = conn.recv(4096)
        assert b'"id": 1' in reply or b'"id":1' in reply, reply
        assert proc.stdout is not None and proc.stdout.read1(1) == b""  # nothing on stdout
    finally:
        proc.kill()
        proc.wait(timeout=60)


SCOPES = """fn f(c: bool) -> int {
  var r: int = 0;
  if (c) {
    var t: int = 1;
    r = t;
  } else {
    var t: int = 2;
    r = t;
  }
  assert forall k: int :: k == k;
  return r;
}
"""


@pytest.mark.parametrize("line, column, declared", [
    (5, 9, (4, 9)),  # `t` in the then-branch: its own
    (8, 9, (7, 9)),  # `t` in the else-branch: the other one
    (10, 27, (10, 17)),  # a quantified variable
    (11, 10, (2, 7)),  # `r`
    (1, 6, (1, 6)),  # a declaration is its own definition
])
def test_definitions_follow_the_blocks(line: int, column: int,
                                       declared: tuple[int, int]) -> None:
    index = index_source(SCOPES, "s.relax")
    assert index is not None
    found = index.definition(line, column)
    assert found is not None and (found.span.line, found.span.column) == declared


def test_a_document_that_does_not_parse_has_no_index() -> None:
    assert index_source("fn f( {", "s.relax") is None
