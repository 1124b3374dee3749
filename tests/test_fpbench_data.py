"""The FPBench data and the sampler behind benchmarks/fpbench.py (fast; no verifier runs)."""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from benchmarks import fpbench
from benchmarks.fpcore_sample import (
    FPCoreError, box, eval_exact, eval_float, parse_fpcore, read_all)

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "fpbench"
FILES = sorted(DATA.glob("*.fpcore"))
PUBLISHED = json.loads((DATA / "published.json").read_text(encoding="utf-8"))["benchmarks"]


def bench_of(text: str):
    return parse_fpcore(text, "t.fpcore")


def test_at_least_fifteen_benchmarks():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_fpcore_parses_with_a_box_and_its_file_name(path):
    b = parse_fpcore(path.read_text(encoding="utf-8"), str(path))
    assert b.name == path.stem
    assert set(box(b)) == set(b.args)  # every argument is bounded, so it can be sampled
    assert ":precision" in b.props or ":cite" in b.props  # FPBench's own metadata kept


def test_published_entries_and_files_match_one_to_one():
    assert set(PUBLISHED) == {p.stem for p in FILES}
    for name, entry in PUBLISHED.items():
        for tool in ("fptaylor", "daisy"):
            value = entry[tool]
            assert value == "n/a" or (isinstance(value, float) and 0 < value < 1), (name, tool)
            assert entry[f"{tool}_source"], (name, tool)


def test_most_benchmarks_have_an_fptaylor_figure():
    assert sum(isinstance(e["fptaylor"], float) for e in PUBLISHED.values()) >= 15


def test_reader_handles_brackets_rationals_and_comments():
    forms = read_all("; c\n(let ([x 1/3] [y 2.5e-1]) (+ x y)) ; trailing")
    assert forms == [["let", [["x", "1/3"], ["y", "2.5e-1"]], ["+", "x", "y"]]]
    b = bench_of('(FPCore (x) :name "t" :pre (<= 1001/1000 x 2) (/ x 3))')
    assert box(b) == {"x": (Fraction(1001, 1000), Fraction(2), False, False)}


def test_reader_reports_unbalanced_input_with_its_position():
    with pytest.raises(FPCoreError, match=r"t\.fpcore:2:3: error: this parenthesis is never closed"):
        read_all("\n  (+ 1 2", "t.fpcore")
    with pytest.raises(FPCoreError, match=r":1:6: error: unmatched"):
        read_all("(+ 1)) ", "t.fpcore")


def test_exact_evaluation_of_a_small_formula():
    b = bench_of("(FPCore (x y) :pre (and (<= 0 x 1) (<= 0 y 1))"
                 " (let* ([t (* x y)] [u (- t 0.1)]) (/ u 3)))")
    assert eval_exact(b, {"x": Fraction(1, 2), "y": Fraction(3, 4)}) == Fraction(11, 120)


def test_float_evaluation_rounds_each_operation_and_each_literal():
    b = bench_of("(FPCore (x) :pre (<= 0 x 1) (- (+ x 0.1) 0.2))")
    got = eval_float(b, {"x": np.array([0.3, 0.7])})
    assert list(got) == [(0.3 + 0.1) - 0.2, (0.7 + 0.1) - 0.2]


def test_observed_error_is_zero_for_exact_formulas_and_positive_otherwise():
    exact = bench_of("(FPCore (x) :pre (<= 1 x 2) (* 2 (- x 1)))")  # Sterbenz, power of 2
    assert fpbench.observe(exact, 300, 50, 0).error == 0.0
    inexact = bench_of("(FPCore (x) :pre (<= 1 x 2) (/ x 3))")
    err = fpbench.observe(inexact, 300, 50, 0).error
    assert err is not None and 0 < err <= 2.0 ** -53 * (2 / 3)  # at most half an ulp of x/3


def test_double_box_keeps_samples_inside_the_real_interval():
    b = bench_of("(FPCore (x) :pre (< 0.1 x 6.36) x)")
    lo, hi = fpbench.double_box(b)["x"]
    assert Fraction(lo) > Fraction("0.1") and Fraction(hi) < Fraction("6.36")
    assert math.nextafter(lo, -math.inf) <= 0.1 and math.nextafter(hi, math.inf) >= 6.36


def test_sampled_errors_stay_below_the_published_fptaylor_bounds():
    # Every published bound is sound, so an observed error above one means the sampler is wrong.
    for path in FILES:
        b = parse_fpcore(path.read_text(encoding="utf-8"), str(path))
        fpt = PUBLISHED[b.name]["fptaylor"]
        obs = fpbench.observe(b, 400, 40, 1).error
        assert obs is not None and obs > 0, b.name
        if isinstance(fpt, float):
            assert obs <= fpt, b.name


def test_bound_is_read_from_the_accept_obligation_or_explained():
    report = {"status": "verified", "files": [{"obligations": [
        {"kind": "overflow", "status": "verified"},
        {"kind": "accept", "status": "verified", "bound": 1.6e-13}]}]}
    assert fpbench._bound_of(report) == (1.6e-13, "")
    unknown = {"status": "unknown", "files": [{"obligations": [
        {"kind": "accept", "status": "unknown", "bound": None, "message": "timeout"}]}]}
    bound, why = fpbench._bound_of(unknown)
    assert bound is None and "timeout" in why
    bound, why = fpbench._bound_of({"status": "verified", "files": [{"obligations": []}]})
    assert bound is None and "no accept carries" in why
