"""No input makes the tool crash: random bytes and mutated programs end with exit 0
(the program is fine) or exit 2 with a located message, never a traceback."""
from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, run_cli

LOCATED = re.compile(r"^\S+:\d+:\d+: error: ", re.MULTILINE)
SOURCES = [p.read_text() for p in sorted(EXAMPLES.glob("*.relax"))]
TOKENS = ["(", ")", "{", "}", "[", "]", ";", ",", ":", "::", "..", "=", "==", "<o>", "<r>", "+.",
          "<.", "-", "!", "&&", "==>", "fn", "var", "if", "else", "while", "for", "relax", "st",
          "accept", "result", "old(", "eq(", "forall i: int ::", "x", "1", "2.5", "1e-3", "/*",
          "*/", "//", "\n", "\x00", "é", "\t", "int[]", "in urel", "repeat (3)"]
# RELAXVERIFY_FUZZ_EXAMPLES=2000 runs a larger campaign than the default suite's.
SETTINGS = settings(max_examples=int(os.environ.get("RELAXVERIFY_FUZZ_EXAMPLES", "60")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def assert_clean(tmp: Path, data: bytes) -> None:
    path = tmp / "fuzz.relax"
    path.write_bytes(data)
    result = run_cli("check", path)
    assert result.code in (0, 2), (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    if result.code == 2:
        assert LOCATED.search(result.out), result.out


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    assert_clean(tmp_path, data)


@SETTINGS
@given(source=st.sampled_from(SOURCES), data=st.data())
def test_mutated_examples(tmp_path: Path, source: str, data) -> None:
    """Delete, duplicate or insert characters and tokens at random places."""
    text = source
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "insert":
            text = text[:i] + " " + data.draw(st.sampled_from(TOKENS)) + " " + text[i:]
        elif action == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i]
    assert_clean(tmp_path, text.encode("utf-8"))


@SETTINGS
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=60))
def test_token_soup(tmp_path: Path, tokens: list[str]) -> None:
    assert_clean(tmp_path, " ".join(tokens).encode("utf-8"))
