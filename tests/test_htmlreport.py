"""`relaxverify report`: the page is parsed with html.parser and its sections, numbers
(the `data-` attributes beside each plot), counterexample cells and escaping are
checked; the output file rules (never lose what a user wrote) and the exit codes."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Optional, Union

import pytest

from conftest import ROOT, run_cli
from relaxverify.htmlreport.convergence import Convergence, batch_sizes
from relaxverify.htmlreport.data import (CounterexampleRow, FailedObligation, FunctionRow,
                                         ReportData, SpecRow)
from relaxverify.htmlreport.page import page
from relaxverify.run.montecarlo import wilson

SMALL = ROOT / "tests" / "data" / "report" / "small.relax"
HOSTILE = "</script><script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, Optional[str]]
    parts: list[Union["Node", str]] = field(default_factory=list)  # in document order

    @property
    def children(self) -> list["Node"]:
        return [p for p in self.parts if isinstance(p, Node)]

    def all(self, tag: str, **attrs: str) -> list["Node"]:
        """The descendants with this tag (and these attribute values, `_` for `-`)."""
        want = {k.replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for child in self.children:
            if child.tag == tag and all(child.attrs.get(k) == v for k, v in want.items()):
                found.append(child)
            found += child.all(tag, **attrs)
        return found

    def one(self, tag: str, **attrs: str) -> "Node":
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def content(self) -> str:
        return "".join(p if isinstance(p, str) else p.content() for p in self.parts)


class TreeBuilder(HTMLParser):
    """A tree of the elements (html.parser only gives events)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.starts: list[str] = []  # every start tag, in order

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].parts.append(node)
        self.starts.append(tag)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.stack[-1].parts.append(Node(tag, dict(attrs)))
        self.starts.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(text: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder


def report(tmp_path: Path, *extra: str, source: Path = SMALL) -> tuple[str, TreeBuilder]:
    out = tmp_path / "report.html"
    got = run_cli("report", source, "-o", out, "--no-cache", "--trials", "200", *extra)
    assert got.code == 0, got.err
    assert got.out.startswith(f"wrote {out}: ")
    text = out.read_text(encoding="utf-8")
    return text, parse(text)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[str, TreeBuilder]:
    return report(tmp_path_factory.mktemp("report"), "--arg", "x=3")


def test_the_page_has_its_four_sections_and_every_function(small) -> None:
    _, tree = small
    sections = [s.attrs["id"] for s in tree.root.all("section")]
    assert sections == ["reliability", "convergence", "verify", "counterexamples"]
    rows = tree.root.one("section", id="reliability").all("tr", **{"class": "function"})
    assert [r.attrs["data-function"] for r in rows] == ["shrink", "twice", "bump"]
    assert len(tree.root.one("section", id="reliability").all("svg")) == 1


@pytest.mark.parametrize("name, static, spec, verdict", [
    ("shrink", 1.0, "0.99", "holds"),
    ("twice", 0.995 * 0.9999, "0.9999", "fails"),
    ("bump", 0.995, "0.99", "holds"),
])
def test_reliability_bars_hold_the_static_values_and_specs(small, name, static, spec,
                                                           verdict) -> None:
    row = small[1].root.one("section", id="reliability").one("tr", data_function=name)
    assert float(row.attrs["data-static"]) == pytest.approx(static, rel=1e-12)
    assert row.attrs["data-spec"] == spec and row.attrs["data-verdict"] == verdict


def test_verify_counts_per_function(small) -> None:
    rows = small[1].root.one("section", id="verify").all("tr", **{"class": "function"})
    # only `shrink` has obligations: its relational postcondition, which fails
    assert [(r.attrs["data-function"], r.attrs["data-verified"], r.attrs["data-failed"],
             r.attrs["data-unknown"]) for r in rows] == [("shrink", "0", "1", "0")]


def test_the_counterexample_is_a_side_by_side_table(small) -> None:
    section = small[1].root.one("section", id="counterexamples")
    article = section.one("article", data_function="shrink")
    assert article.attrs["data-line"] == "12" and article.attrs["data-kind"] == "ensures_r"
    table = article.one("table", **{"class": "or"})
    heads = [th.content() for th in table.one("thead").all("th")]
    assert heads == ["variable", "original (O)", "relaxed (R)"]
    cells = [(tr.one("th").content(), tr.one("td", **{"class": "o value"}).content(),
              tr.one("td", **{"class": "r value"}).content(), tr.attrs.get("class"))
             for tr in table.one("tbody").all("tr")]
    assert cells == [("x", "3", "3", None), ("y", "3", "2", "differs"),
                     ("result", "3", "2", "differs")]
    # the message keeps the relational `<r>`/`<o>` as text, not as elements
    message = article.one("p", **{"class": "message"}).content()
    assert "`result<r> == result<o>`" in message
    assert not section.all("r") and not section.all("o")


def test_monte_carlo_runs_the_functions_it_has_arguments_for(small) -> None:
    section = small[1].root.one("section", id="convergence")
    figures = {f.attrs["data-function"]: f for f in section.all("figure")}
    assert sorted(figures) == ["shrink", "twice"]
    for name, figure in figures.items():
        trials, correct = int(figure.attrs["data-trials"]), int(figure.attrs["data-correct"])
        lo, hi = wilson(correct, trials)
        assert trials == 200 and 0 <= correct <= trials
        assert float(figure.attrs["data-lower"]) == lo and float(figure.attrs["data-upper"]) == hi
        assert len(figure.all("svg")) == 1
    assert figures["shrink"].attrs["data-correct"] == "200"  # no unreliable operation
    assert float(figures["twice"].attrs["data-static"]) == pytest.approx(0.995 * 0.9999)
    skipped = section.one("li", data_function="bump")
    assert "--arg n=<int>" in skipped.content()


def test_help_and_standard_output(tmp_path) -> None:
    got = run_cli("report", "--help")
    assert got.code == 0 and "-o OUT" in got.out and "--trials N" in got.out
    got = run_cli("report", SMALL, "-o", "-", "--trials", "0", "--no-cache")
    assert got.code == 0 and got.out.startswith("<!DOCTYPE html>")
    assert parse(got.out).root.one("section", id="verify")
    got = run_cli("report", SMALL, "--trials", "0")
    assert got.code == 2 and "-o/--output" in got.err  # no silent default file


def test_the_page_is_self_contained(small) -> None:
    text, tree = small
    assert "script" not in tree.starts and "link" not in tree.starts
    assert tree.root.one("meta", http_equiv="Content-Security-Policy")
    for tag in ("img", "iframe", "object", "embed", "use", "image"):
        for node in tree.root.all(tag):
            href = node.attrs.get("href") or node.attrs.get("xlink:href") or ""
            assert href.startswith("#"), (tag, node.attrs)  # only in-page references
    urls = [(n, v) for n, v in _attributes(tree.root) if v and ("http:" in v or "https:" in v
                                                              or v.startswith("//"))]
    assert urls == [] and "src" not in {n for n, _ in _attributes(tree.root)}
    assert "@import" not in text
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*([^)]*)\)", text))  # clip paths


def _attributes(node: Node) -> list[tuple[str, Optional[str]]]:
    out = list(node.attrs.items())
    for child in node.children:
        out += _attributes(child)
    return out


def test_the_same_seed_gives_the_same_page_and_another_seed_other_runs(tmp_path) -> None:
    first, _ = report(tmp_path, "--trials", "50", "--seed", "7")
    again, _ = report(tmp_path, "--trials", "50", "--seed", "7")
    assert first == again
    counts = []
    for seed in ("1", "2", "3"):
        _, tree = report(tmp_path, "--trials", "400", "--seed", seed)
        counts.append(tree.root.one("figure", data_function="twice").attrs["data-correct"])
    assert len(set(counts)) > 1, counts


def test_the_running_estimate_has_one_point_per_batch() -> None:
    assert batch_sizes(2000) == [80] * 25
    assert batch_sizes(7) == [1] * 7
    assert batch_sizes(52) == [3, 3] + [2] * 23 and sum(batch_sizes(52)) == 52


def test_a_hostile_comment_stays_text(tmp_path) -> None:
    source = tmp_path / "hostile.relax"
    source.write_text("fn f(x: int) -> int {\n"
                      f"  return 10 / x;  // {HOSTILE} & \"quotes\"\n"
                      "}\n", encoding="utf-8")
    text, tree = report(tmp_path, source=source)
    assert HOSTILE not in text and "script" not in tree.starts
    shown = tree.root.one("article", data_function="f").one("pre").content()
    assert shown == f"2 |   return 10 / x;  // {HOSTILE} & \"quotes\""


def test_hostile_names_stay_text_in_tables_and_plots() -> None:
    """A name the grammar would reject, as a check that nothing relies on it."""
    name = HOSTILE + "&<b>"
    row = FunctionRow("a<b>.relax", name, 1, static=0.99, specs=[SpecRow(HOSTILE, 0.9, True)],
                      verified=1, failed=1, label=name)
    row.convergence = Convergence(name, "medium", 0, [(10, 9), (20, 19)], static=0.9)
    failure = FailedObligation("a<b>.relax", name, "assert", "original", 3, 1, HOSTILE,
                               HOSTILE, [CounterexampleRow(HOSTILE, HOSTILE, "1")],
                               notes=[HOSTILE])
    text = page(ReportData(["a<b>.relax"], [HOSTILE], [row], [failure], 20, 0))
    tree = parse(text)
    assert HOSTILE not in text and "script" not in tree.starts and "b" not in tree.starts
    assert tree.root.one("section", id="reliability").one("tr", data_function=name)
    svg_text = " ".join(t.content() for t in tree.root.all("text"))
    assert name in svg_text  # the plot's label, escaped by matplotlib


# ---------------------------------------------------------------- the output file


@pytest.mark.parametrize("name, content, force", [
    ("program.relax", "fn f() {}\n", True),  # a program, never replaced
    ("notes.txt", "my notes\n", False),  # not a report: only with --force
])
def test_a_file_the_user_wrote_is_not_replaced(tmp_path, name, content, force) -> None:
    target = tmp_path / name
    target.write_text(content)
    got = run_cli("report", SMALL, "-o", target, "--trials", "0", "--no-cache",
                  *(["--force"] if force else []))
    assert got.code == 2 and target.read_text() == content
    assert got.err.startswith(f"relaxverify report: error: {target}")


def test_force_replaces_another_file_and_a_report_is_replaced_without(tmp_path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes\n")
    got = run_cli("report", SMALL, "-o", target, "--trials", "0", "--no-cache", "--force")
    assert got.code == 0 and "relaxverify report" in target.read_text()
    target.chmod(0o640)
    got = run_cli("report", SMALL, "-o", target, "--trials", "0", "--no-cache")
    assert got.code == 0 and oct(target.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # no temporary file left


def test_a_directory_is_not_a_report(tmp_path) -> None:
    got = run_cli("report", SMALL, "-o", tmp_path, "--trials", "0")
    assert got.code == 2 and "is a directory" in got.err and "report.html" in got.err


@pytest.mark.parametrize("args, message", [
    (["--arg", "z=1"], "no function has a parameter named `z`"),
    (["--arg", "x"], "`--arg x` needs a name and a value"),
    (["--arg", "x=abc"], "small.relax:10:"),  # the run's message, at the parameter
    (["--trials", "-1"], "--trials must be 0"),
    (["--fn", "nope"], "there is no function `nope`"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, args, message) -> None:
    got = run_cli("report", SMALL, "-o", tmp_path / "r.html", "--no-cache", "--trials", "5",
                  *args)
    assert got.code == 2 and message in got.err, got.err
    assert "Traceback" not in got.err and not (tmp_path / "r.html").exists()


def test_a_file_that_does_not_parse_is_reported_where_it_fails(tmp_path) -> None:
    bad = tmp_path / "bad.relax"
    bad.write_text("fn f(x: int) -> int {\n  return x +;\n}\n")
    got = run_cli("report", bad, "-o", tmp_path / "r.html")
    assert got.code == 2 and f"{bad}:2:" in got.err and "no report written" in got.err
    assert not (tmp_path / "r.html").exists()


def test_without_matplotlib_the_message_says_what_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    got = run_cli("report", SMALL, "-o", tmp_path / "r.html")
    assert got.code == 2 and "pip install 'relaxverify[report]'" in got.err
    assert not (tmp_path / "r.html").exists()


def test_other_commands_do_not_load_matplotlib() -> None:
    code = ("import sys\nfrom relaxverify.cli.main import main\n"
            f"main(['verify', {str(SMALL)!r}, '--no-cache'])\n"
            "print('matplotlib' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.stdout.splitlines()[-1] == "False", proc.stdout + proc.stderr


def test_a_fault_free_run_that_fails_is_listed_with_its_message(tmp_path) -> None:
    source = tmp_path / "boom.relax"
    source.write_text("fn boom() -> int {\n  var a: int[2];\n  return a[5];\n}\n")
    _, tree = report(tmp_path, source=source)
    section = tree.root.one("section", id="convergence")
    assert not section.all("figure")
    why = section.one("li", data_function="boom").content()
    assert why.startswith("boom: the fault-free run fails: ") and "(line 3)" in why
    verify = tree.root.one("section", id="verify").one("tr", data_function="boom")
    assert verify.attrs["data-failed"] == "1"
