"""The Python API in a few lines (docs/api.md); tests/test_api.py runs this file."""
from relaxverify import api

SOURCE = """
fn halve(x: int) -> int
  requires x >= 0
  ensures result >= 0
{
  var h: int = x / 2;
  relax (h) st (0 <= h && h <= old(h) + 1);
  accept h<r> <= h<o> + 1;
  return h;
}
"""

# Prove every obligation of a program given as text (a path works the same way).
result = api.verify(source=SOURCE, name="halve.relax", timeout=5.0)
print(result.status, result.exit_code)
for finding in result.findings():
    o = finding.payload.obligation
    print(f"  line {finding.span.line}: {finding.status.value}: {o.kind} ({o.side})")

# A weaker program: the failed obligation carries the messages the CLI prints.
broken = api.verify(source=SOURCE.replace("old(h) + 1", "old(h) + 2"), name="halve.relax")
for finding in broken.findings():
    if finding.status is api.Status.FAILED:
        print(finding.message)

# Reliability on a hardware model, and a run with an argument.
reliability = api.reliability(source=SOURCE, hardware="medium")
print([(r.function.name, r.status) for r in api.function_results(reliability.files[0])])
ran = api.run(source=SOURCE, fn="halve", args={"x": 7})
print("halve(7) =", api.result_value(ran))
