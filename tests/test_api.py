"""The Python API (relaxverify.api, docs/api.md): the same verdicts as the command line,
typed results, and a documented example that runs."""
from __future__ import annotations

import contextlib
import io
import json
import re
import runpy
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, run_cli
from relaxverify import api
from relaxverify.report import codes

BAD = "fn f(x: int) -> int {\n  var y: int = x + true;\n  return y;\n}\n"
FAILS = "fn f(x: int) -> int ensures result > x { return x; }\n"


def test_the_documented_example_prints_what_the_page_shows() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(ROOT / "docs" / "snippets" / "api_example.py"), run_name="__main__")
    assert out.getvalue() == (ROOT / "docs" / "snippets" / "api_example.txt").read_text(), \
        "run `python docs/snippets.py` to regenerate, then review the diff"


def test_check_a_source_string_locates_the_error_under_its_name() -> None:
    result = api.check(source=BAD, name="bad.relax")
    assert result.status == "error" and result.exit_code == 2
    (finding,) = result.findings()
    assert finding.status is api.Status.ERROR and finding.kind == "type"
    assert (finding.span.path, finding.span.line, finding.span.column) == ("bad.relax", 2, 20)


def test_verify_gives_one_finding_per_obligation_with_its_counterexample() -> None:
    result = api.verify(source=FAILS, timeout=5)
    assert result.status == "failed" and result.exit_code == 1
    failed = [f for f in result.findings() if f.status is api.Status.FAILED]
    assert failed and all(f.kind == "ensures" and f.rule == "verify/ensures" for f in failed)
    o = failed[0].payload.obligation
    assert o.counterexample is not None and "x" in o.counterexample.inputs_o
    assert any(n.startswith("original: x = ") for n in failed[0].notes)


@pytest.mark.parametrize("command", ["check", "verify", "reliability"])
def test_the_api_and_the_command_line_agree(command: str) -> None:
    path = EXAMPLES / "swish.relax"
    result = getattr(api, command)(path)
    cli = run_cli(command, path, "--format", "json")
    strip = lambda text: re.sub(r'"time_ms": [0-9.e-]+', "", text)  # noqa: E731
    assert strip(json.dumps(result.to_json(), indent=2) + "\n") == strip(cli.out)
    assert result.exit_code == cli.code


def test_reliability_results_are_typed() -> None:
    result = api.reliability(EXAMPLES / "swish.relax", hardware="mild")
    results = api.function_results(result.files[0])
    assert results and all(0.0 <= r.value <= 1.0 for r in results)
    assert {f.kind for f in result.findings() if f.payload is not None} == {"reliability"}


def test_run_a_source_string_and_read_its_failure() -> None:
    source = "fn f(x: int) -> int { assert x > 5; return x + 1; }\n"
    assert api.result_value(api.run(source=source, args={"x": 9})) == 10
    failed = api.run(source=source, name="f.relax", args={"x": 3})
    failure = api.run_failure(failed)
    assert failed.exit_code == 1 and failure is not None
    assert (failure.kind, failure.line) == ("assert", 1)
    assert [f.span.path for f in failed.findings()] == ["f.relax"]


def test_bad_options_raise_and_bad_input_does_not() -> None:
    with pytest.raises(ValueError, match="timeout"):
        api.verify(source=FAILS, timeout=0)
    with pytest.raises(ValueError, match="semantics"):
        api.RunOptions(semantics="approximate")
    missing = api.verify(ROOT / "no-such-file.relax")
    assert missing.status == "error" and next(missing.findings()).kind == "io"


def test_the_registry_holds_every_obligation_kind_of_the_language() -> None:
    kinds = ("assert assume accept invariant invariant_r ensures ensures_r requires "
             "requires_r bounds division length alignment bound").split()
    v1 = [k.name for k in codes.OBLIGATION_KINDS.values() if k.version == 1]
    assert v1 == kinds and codes.OBLIGATION_KINDS["overflow"].version == 2
    rules = [rid for rid, _ in codes.sarif_rules()]
    assert len(rules) == len(set(rules)) and "verify/overflow" not in rules


def test_grading_and_the_api_do_not_import_the_command_line() -> None:
    code = ("import sys; import relaxverify.grading.grader, relaxverify.api; "
            "print([m for m in sys.modules if m.startswith('relaxverify.cli')])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_the_module_docstring_example_runs() -> None:
    import doctest
    outcome = doctest.testmod(api)
    assert outcome.attempted > 0 and outcome.failed == 0
