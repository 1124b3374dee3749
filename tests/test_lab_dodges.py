"""Submissions that dodge the point of a lab exercise lose that part's points.

Each file of tests/data/grade/LAB/ is a reference solution with one part dodged
(a body that never returns, a relaxation that never relaxes, a constant result, a
stronger `requires`, a loose bound...). Its header says what the dodge is and what
the grader must give it:

    // Dodge: what the file does instead of the exercise
    // zero: the name of a test that must give no points (one line per test)
    // says: text that the output of those tests must hold (optional, any number)
    // score: the total score
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

DODGES = sorted((ROOT / "tests" / "data" / "grade").glob("*/*.relax"))


def expectation(path: Path) -> tuple[list[str], list[str], int]:
    text = path.read_text()
    zero = re.findall(r"^// zero: (.+)$", text, re.M)
    says = re.findall(r"^// says: (.+)$", text, re.M)
    score = re.search(r"^// score: (\d+)$", text, re.M)
    assert zero and score, f"{path.name}: needs `// zero:` and `// score:` lines"
    return zero, says, int(score.group(1))


def test_every_lab_has_dodges() -> None:
    labs = sorted(p.name for p in (ROOT / "labs").iterdir() if (p / "grading.json").is_file())
    assert sorted({p.parent.name for p in DODGES}) == labs


@pytest.mark.parametrize("path", DODGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_dodge_loses_the_points_of_its_part(path: Path, tmp_path) -> None:
    zero, says, score = expectation(path)
    out = tmp_path / "results.json"
    result = run_cli("grade", ROOT / "labs" / path.parent.name, path, "--output", out)
    assert result.code == 0, result.out
    results = json.loads(out.read_text())
    tests = {t["name"]: t for t in results["tests"]}
    for name in zero:
        assert tests[name]["score"] == 0, f"{name}:\n{tests[name]['output']}"
    explained = "\n".join(tests[name]["output"] for name in zero)
    for text in says:
        assert text in explained, explained
    total = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == score < total, result.out
