"""A minimal language-server client for the tests: spawns `python -m relaxverify lsp`,
frames JSON-RPC with Content-Length headers, and bounds every wait with a timeout,
so that a server that hangs fails the test instead of hanging it."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds any one message may take


def server_env() -> dict[str, str]:
    """The environment of a server process: this checkout's relaxverify first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


class LspClient:
    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "relaxverify", "lsp", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env=server_env())
        self.inbox: "queue.Queue[Optional[dict[str, Any]]]" = queue.Queue()
        self.seen: list[dict[str, Any]] = []  # every message read so far, in order
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)  # the server closed its output
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None, "a message without Content-Length"
            self.inbox.put(json.loads(out.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, wait: float = WAIT) -> Any:
        self._next_id += 1
        ident = self._next_id
        self.send({"id": ident, "method": method, "params": params})
        reply = self.wait_for(lambda m: m.get("id") == ident and "method" not in m, wait)
        assert "error" not in reply, reply
        return reply["result"]

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool],
                 wait: float = WAIT) -> dict[str, Any]:
        """The next message that `wanted` accepts; answers the server's own requests
        (a code lens refresh) on the way."""
        while True:
            try:
                message = self.inbox.get(timeout=wait)
            except queue.Empty:
                raise AssertionError(f"no awaited message within {wait} s; read so far: "
                                     f"{self.seen[-5:]}") from None
            assert message is not None, "the server exited: " + self.stderr_text()
            self.seen.append(message)
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            if wanted(message):
                return message

    def diagnostics(self, uri: str, wait: float = WAIT) -> list[dict[str, Any]]:
        message = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri, wait)
        return message["params"]["diagnostics"]

    def initialize(self, root: Path) -> dict[str, Any]:
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "capabilities": {"workspace": {"codeLens": {"refreshSupport": True}},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]}}}})
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "relax", "version": version, "text": text}})

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def close(self) -> int:
        """shutdown, exit; the exit code of the server."""
        assert self.request("shutdown", None) is None
        self.notify("exit", None)
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=WAIT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)

    def stderr_text(self) -> str:
        self.kill()
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")
