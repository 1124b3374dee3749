"""`run`: run a function (the student's, or a hidden program's) with `args`, and compare
its result with `expect` (`tolerance` for reals), or require only that no check fails
(`expect_ok`), or that a check of a given kind fails (`expect_error`); with `tries`,
one of that many runs with successive seeds must pass."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relaxverify import api
from relaxverify.grading.tools import bad_arguments, call, relax_value, same

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader

OPTIONS = ("semantics", "hardware")  # as for `relaxverify run` (and the seed)


def grade_run(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    """One run, or with `tries` as many runs with successive seeds of which one must
    pass: what a relaxation may do ("some relaxed run skips the step") is shown by a
    run that does it, and the choices of `relax` are drawn at random."""
    tries = int(spec.get("tries", 1))
    first = int(spec.get("seed", 0))
    for seed in range(first, first + tries):
        fraction, text = _run_once(grader, spec, seed)
        if fraction >= 1.0:
            break
    if tries == 1:
        return fraction, text
    if fraction >= 1.0:
        return fraction, f"{text} (with seed {seed}, run {seed - first + 1} of up to {tries})"
    return fraction, (f"none of {tries} runs (seeds {first} to {first + tries - 1}) passed; "
                      f"the last: {text}")


def _run_once(grader: "Grader", spec: dict[str, Any], seed: int) -> tuple[float, str]:
    path = grader.submission
    if spec.get("program"):
        path, _ = grader.combine(spec["program"])
    args = {name: relax_value(value) for name, value in spec.get("args", {}).items()}
    options = _options(spec, args, grader.timeout, str(path), seed)
    call_text = f"{spec['function']}({', '.join(f'{k}={v}' for k, v in args.items())})"
    if spec.get("semantics"):
        call_text += f" in the {spec['semantics']} execution"
    result = call(api.run, str(path), options=options)
    error = api.run_failure(result)
    if result.status == "error" and error is None:
        found = list(dict.fromkeys(d.message for f in result.files for d in f.messages()))
        return 0.0, f"{call_text}: could not run: " + "; ".join(found)
    value = api.result_value(result)
    if spec.get("expect_error"):
        if error and error.kind == spec["expect_error"]:
            return 1.0, f"{call_text}: failed a `{error.kind}` check, as it should"
        got = f"failed: {error.message}" if error else f"returned {value}"
        return 0.0, f"{call_text}: expected a failed `{spec['expect_error']}` check, but it {got}"
    if error:
        where = "" if spec.get("program") else f" at line {error.line}"
        why = ("\n(a proof assumes that the function returns, so it holds for a body "
               "that never ends: make it return)") if error.kind == "limit" else ""
        return 0.0, f"{call_text}: the run failed{where}: {error.message}{why}"
    if spec.get("expect_ok") and "expect" not in spec:
        return 1.0, f"{call_text}: ran to the end without a failed check"
    want = spec["expect"]
    if same(value, want, spec.get("tolerance", 0.0)):
        return 1.0, f"{call_text} = {relax_value(value)}, as expected"
    return 0.0, f"{call_text} = {relax_value(value)}, expected {relax_value(want)}"


def _options(spec: dict[str, Any], args: dict[str, str], timeout: float,
             path: str, seed: int) -> api.RunOptions:
    """The run's options; grading.json values as the command line would read them."""
    given = {o: str(spec[o]) for o in OPTIONS if o in spec}
    try:
        return api.RunOptions(fn=spec["function"], timeout=timeout, args=dict(args),
                              semantics=given.get("semantics", "original"),
                              hardware=given.get("hardware"),
                              seed=seed)
    except ValueError:
        argv = ["run", path, "--fn", spec["function"], "--format", "json",
                "--timeout", str(timeout)]
        argv += [a for name, text in args.items() for a in ("--arg", f"{name}={text}")]
        argv += [a for o, text in given.items() for a in (f"--{o}", text)]
        argv += ["--seed", str(seed)]
        raise bad_arguments(argv) from None


def runs_guard(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    """A test's `runs`: run tests of its function that it needs passed too (1, or 0
    and why). A proof is of partial correctness (a body that never returns proves
    every `ensures`), says what a relaxation must not do, never what it may do, and
    a constant result is perfectly reliable: runs show what proofs cannot."""
    function = spec.get("function") or spec["functions"][0]
    failed = []
    for run in spec["runs"]:
        fraction, text = grade_run(grader, {"function": function, "expect_ok": True, **run})
        if fraction < 1.0:
            failed.append(text + (f"\n({run['why']})" if run.get("why") else ""))
    if not failed:
        return 1.0, ""
    more = (f"\n... and {len(failed) - 1} more of the {len(spec['runs'])} runs fail"
            if len(failed) > 1 else "")
    return 0.0, ("no points: a run of your function does not do what the lab asks:\n"
                 + "\n".join("  " + line for line in (failed[0] + more).splitlines()))

