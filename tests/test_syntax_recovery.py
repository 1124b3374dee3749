"""Recovery after syntax errors: each error once, at its line:col, with either driver.

After an error the parser resumes at the next `fn`, `const` or `hardware` token
that starts a declaration (first on its line, or after `}` / `;` at depth 0).
"""
from __future__ import annotations

import pytest

from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax.parser import MAX_SYNTAX_ERRORS, parse

EXPR = ("unexpected `;`; expected one of `!`, `(`, `-`, `abs`, `bfloat16`, `ceil`, `cos`, "
        "`eq`, ...")
SEMI = "missing `;` at the end of the statement"


def errors(src: str, driver: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RelaxError) as info:
        parse(src, "r.relax", driver=driver)
    return [(d.span.line, d.span.column, d.message) for d in info.value.diagnostics]


CASES = {
    "one per function": (
        "fn a() { x = ; }\nfn b() { skip; }\nfn c() { y = 1 }\n",
        [(1, 14, EXPR), (3, 15, SEMI)]),
    "a missing brace: resume at the next line that starts a declaration": (
        "fn a() { if (x) { skip; }\nfn b() { x = ; }\nfn c() { skip; }\n",
        [(2, 1, "unexpected `fn`; expected one of `(`, `accept`, `assert`, `assume`, "
                "`else`, `for`, `havoc`, `if`, ..."), (2, 14, EXPR)]),
    "declarations on one line": (
        "fn a() { x = ; } fn b() { y = ; } const c: int = ; fn d() { skip; }",
        [(1, 14, EXPR), (1, 31, EXPR), (1, 50, EXPR)]),
    "a keyword inside a declaration is no place to resume": (
        "fn a(const: int) { skip; }\nfn b() { y = 1 }\n",
        [(1, 6, "unexpected `const`; expected one of `)`, a name"), (2, 15, SEMI)]),
    "characters that start no token": (
        "fn a() { x = 1 @ 2; }\nfn b() { y = # ; }\nfn c() { z = 1 }\n",
        [(1, 16, "unexpected character `@`"), (2, 14, "unexpected character `#`"),
         (3, 15, SEMI)]),
    "a reliability spec the builder rejects, then a foreign word": (
        "fn f(x: real) -> real\n  reliability R(result) >= 1 - 1e-4 * R(x)\n{ return x; }\n"
        "fn g() { let y = 3; }\n",
        [(2, 30, "unexpected `-`"), (4, 14, "unexpected `y`; expected one of `(`, `=`, `[`")]),
    "an extra closing brace": (
        "fn a() { skip; } }\nfn b() { x = ; }\n",
        [(1, 18, "unexpected `}`; expected one of `const`, `extern`, `fn`, `hardware`, "
          "`spec`, end of file"),
         (2, 14, EXPR)]),
    "hardware and constants": (
        "hardware h { operator + = 0.9; }\nhardware k { operator +. = 0.9 }\n"
        "const c: int = 1\nfn z() { skip; }",
        [(1, 23, "unexpected `+`; expected an unreliable operator such as `+.`"),
         (2, 31, SEMI), (3, 17, SEMI)]),
    "the end of the file inside a later function": (
        "fn a() { x = ; }\nfn b() {\n  skip;\n",
        [(1, 14, EXPR), (4, 1, "unexpected end of file; expected one of `(`, `accept`, "
                               "`assert`, `assume`, `for`, `havoc`, `if`, `relax`, ...")]),
    "a comment never closed ends the file": (
        "fn a() { x = ; }\nfn b() { /* never\n fn c() { x = ; }\n",
        [(1, 14, EXPR), (2, 10, "this comment is never closed")]),
    "commented-out code is no place to resume": (
        "fn a() { x = ; }\n/*\nfn old() { x = ; }\n*/\nfn c() { y = 1 }\n",
        [(1, 14, EXPR), (5, 15, SEMI)]),
    "a file that ends with `fn`": (
        "fn a() { x = ; }\nfn", [(1, 14, EXPR), (2, 3, "unexpected end of file; expected a name")]),
}


@pytest.mark.parametrize("driver", ["fast", "lark"])
@pytest.mark.parametrize("name", CASES)
def test_each_error_once_at_its_place(name: str, driver: str) -> None:
    src, expected = CASES[name]
    assert errors(src, driver) == expected


@pytest.mark.parametrize("driver", ["fast", "lark"])
def test_the_number_of_errors_is_capped(driver: str) -> None:
    src = "fn f() { x = ; }\n" * (MAX_SYNTAX_ERRORS + 5)
    found = errors(src, driver)
    assert found == [(n, 14, EXPR) for n in range(1, MAX_SYNTAX_ERRORS + 1)]


def test_the_first_error_is_the_one_a_single_parse_finds() -> None:
    """The first message does not depend on recovery: it is that of the first parse."""
    src = "fn a() {\n  var y: int = x\n  return y;\n}\nfn b(x: float) -> int { return 0; }\n"
    assert errors(src, "fast")[0] == (2, 17, SEMI)
    assert errors(src.split("fn b")[0], "fast") == [(2, 17, SEMI)]


@pytest.mark.parametrize("driver", ["fast", "lark"])
def test_an_indented_declaration_keyword_is_reported_once(driver: str) -> None:
    """`const` inside a block is one mistake: the parse does not start a declaration
    there (that would add `unexpected int; expected a name` for the same mistake)."""
    src = "fn a() {\n  var i: int = 0;\n  const int = 0;\n}\nfn b() { x = ; }\n"
    assert errors(src, driver) == [
        (3, 3, "unexpected `const`; expected one of `(`, `accept`, `assert`, `assume`, "
               "`for`, `havoc`, `if`, `relax`, ..."), (5, 14, EXPR)]
