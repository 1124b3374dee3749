"""Arrays of several dimensions (LANGUAGE.md section 10) beyond the data tests: the
case studies, the values the interpreter keeps, `--arg` parsing, the JSON output."""
from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES
from relaxverify.cli.main import main
from relaxverify.core import arrays
from relaxverify.core import nodes as C
from relaxverify.run.arguments import ArgError, parse_value


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name, hardware", [("jacobi.relax", "leto"), ("matvec.relax", "rely")])
def test_case_studies_verify_and_meet_their_spec(capsys, name: str, hardware: str) -> None:
    path = str(EXAMPLES / name)
    code, doc = run_json(capsys, "verify", path, "--hardware", hardware)
    statuses = {o["status"] for o in doc["files"][0]["obligations"]}
    assert code == 0 and statuses == {"verified"}
    kinds = {o["kind"] for o in doc["files"][0]["obligations"]}
    assert {"bounds", "accept"} <= kinds
    code, doc = run_json(capsys, "reliability", path, "--hardware", hardware)
    assert code == 0
    (fn,) = doc["files"][0]["functions"]
    assert fn["status"] == "verified"


def test_jacobi_divides_by_the_diagonal(capsys) -> None:
    path = str(EXAMPLES / "jacobi.relax")
    code = main(["run", path, "--arg", "A=[[4,1,0],[1,4,1],[0,1,4]]", "--arg", "b=[5,6,5]",
                 "--arg", "x=[0,0,0]"])
    assert code == 0 and "result: [1.25, 1.5, 1.25]" in capsys.readouterr().out
    code = main(["run", path, "--arg", "A=[[4,1,0],[1,0,1],[0,1,4]]", "--arg", "b=[5,6,5]",
                 "--arg", "x=[0,0,0]"])
    assert code == 1 and "precondition" in capsys.readouterr().out


def test_run_json_result_is_nested_lists(capsys) -> None:
    src = EXAMPLES / "matvec.relax"
    code, doc = run_json(capsys, "run", str(src), "--arg", "A=[[1,2],[3,4],[5,6]]",
                         "--arg", "x=[1,1]")
    assert code == 0 and doc["result"] == [3, 7, 11]


def test_rows_keep_inner_lengths_and_compare_them() -> None:
    empty = arrays.new([0, 5], 0)
    assert arrays.length(empty, 1) == 5 and empty == arrays.new([0, 5], 0)
    assert empty != arrays.new([0, 4], 0)
    m = arrays.new([2, 2], 0)
    c = arrays.copy(m)
    c[1][1] = 9
    assert m[1][1] == 0 and c != m


INT2 = C.Type("int", True, 2)


@pytest.mark.parametrize("text, words", [
    ("[[1,2],[3]]", "ragged: row 0 has 2 element(s) but row 1 has 1"),
    ("[1,2]", "does not have 2 levels of brackets"),
    ("[[1,2],[3,4]", "unbalanced brackets"),
    ("[[1,2]] x", "text after its closing bracket"),
    ("[[1,,2]]", "an empty element"),
    ("[[1,2.5]]", "the element `2.5` of `m` (int[,]) is not an int"),
    ("3", "is not in brackets"),
])
def test_bad_matrix_arguments(text: str, words: str) -> None:
    with pytest.raises(ArgError) as err:
        parse_value(text, INT2, "m")
    assert words in str(err.value)


def test_matrix_arguments() -> None:
    assert parse_value("[[1, 2], [3, 4]]", INT2, "m") == [[1, 2], [3, 4]]
    assert arrays.length(parse_value("[]", INT2, "m"), 1) == 0
    cube = parse_value("[[[1],[2]],[[3],[4]]]", C.Type("int", True, 3), "c")
    assert [arrays.length(cube, d) for d in range(3)] == [2, 2, 1]


def test_ragged_argument_exits_2(capsys, tmp_path) -> None:
    path = tmp_path / "m.relax"
    path.write_text("fn f(m: int[,]) -> int { return m[0, 0]; }\n")
    assert main(["run", str(path), "--arg", "m=[[1],[2,3]]"]) == 2
    err = capsys.readouterr().out
    assert "m.relax:1:6: error: `m` (int[,]) must be rectangular" in err
