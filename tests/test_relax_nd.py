"""`relax`/`havoc` of arrays of several dimensions in the interpreter beyond the data
tests (tests/data/*/relax_nd.*): recorded choices (a counterexample's, the fault-free
run's under --trials) are reused only with the lengths the array has, and the value
chosen shares no row with anything else."""
from __future__ import annotations

from relaxverify.core import arrays
from relaxverify.pipeline import load_source
from relaxverify.run.options import Options
from relaxverify.run.runtime import Interpreter

SRC = """
fn f(n: int) -> int[,] {
  var m: int[n, 2];
  havoc (m) st (forall i: int, j: int :: 0 <= i < len(m, 0) && 0 <= j < len(m, 1)
                ==> m[i, j] >= 1);
  return m;
}
"""


def interp() -> Interpreter:
    item = load_source("t.relax", SRC)
    assert item.ok, [d.message for d in item.diagnostics]
    return Interpreter(item.program, "f", Options())


def test_recorded_choice_of_the_same_lengths_is_reused() -> None:
    it = interp()
    it.set_choices([{"m": arrays.Rows([[5, 6], [7, 8]], (2,))}])
    out = it.run([2])
    assert out.failure is None and out.result == [[5, 6], [7, 8]] and not out.notes


def test_recorded_choice_of_other_lengths_is_not_reused() -> None:
    it = interp()
    it.set_choices([{"m": arrays.Rows([[5, 6, 7]], (3,))}])
    out = it.run([2])
    assert out.failure is None
    assert [len(out.result), arrays.length(out.result, 1)] == [2, 2]
    assert all(x >= 1 for row in out.result for x in row)
    assert any("does not satisfy its predicate here; a new one was chosen" in n
               for n in out.notes)


def test_empty_rows_keep_their_inner_length() -> None:
    out = interp().run([0])
    assert out.failure is None and out.result == arrays.Rows([], (2,))
    assert arrays.length(out.result, 1) == 2
