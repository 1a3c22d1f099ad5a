"""The grader's pure logic, no kernel: how an exercise's status and points follow from its cells' outcomes
(:func:`course_tools.grade.score`), what a student sees of a hidden test, and the reports' escaping of what a
submission controls (its id, messages and notes) in Markdown, CSV, JSON and HTML. Each test runs in milliseconds.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_tools import class_report, grade

MARK = "HIDDEN-MARK-5f3a"  # the batch's random mark (grade.mark_hidden prints it at a hidden part's start)


def _nbg(grade_id: str, **meta) -> dict:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **meta}}


def _assignment() -> dict:
    """Two auto-graded exercises (1.5 and 2 points, the second with a pass mark) and one written answer."""
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_code_cell("def a(x):\n    pass", metadata=_nbg("ans_a", solution=True, grade=False)),
            new_code_cell("assert a(1) == 2", metadata=_nbg("test_a", grade=True, points=1.5)),
            new_markdown_cell("YOUR ANSWER HERE", metadata=_nbg("written", solution=True, grade=True, points=1)),
            new_code_cell("def b(x):\n    pass", metadata=_nbg("ans_b", solution=True, grade=False)),
            new_code_cell("cu.checks.passed('b')", metadata=_nbg("test_b", grade=True, points=2)),
        ]
    )
    tests = [
        {"grade_id": "test_a", "points": 1.5, "manual": False, "answers": ["ans_a"], "marks_pass": False},
        {"grade_id": "written", "points": 1.0, "manual": True, "answers": ["written"]},
        {"grade_id": "test_b", "points": 2.0, "manual": False, "answers": ["ans_b"], "marks_pass": True},
    ]
    return {"name": "99_units", "grading": nb, "tests": tests, "answers": ["ans_a", "written", "ans_b"]}


def _ok(stdout: str = "", judged: bool = True) -> dict:
    return {"status": "ok", "error": None, "stdout": stdout, "judged": judged}


def _err(ename: str, evalue: str, **extra) -> dict:
    return {"status": "error", "error": (ename, evalue), "stdout": "", "judged": True, **extra}


ANSWER_BY_HAND = "written answer: graded by hand"
TIMEOUT = {"status": "timeout", "error": ("Timeout", "the cell ran past --timeout-cell 5 s"), "stdout": ""}


def _score(test_a=None, *, ans_a=None, missing=(), tampered=None, crash=None, no_run=False, run_cells=None):
    """score() of one submission: test_a's and ans_a's outcomes given, the other cells pass."""
    spec = _assignment()
    prep = {
        "status": "ok",
        "notebook": spec["grading"],
        "missing": list(missing),
        "tampered": dict(tampered or {}),
        "notes": [],
        "hidden_mark": MARK,
    }
    cells = {1: ans_a or _ok(), 2: test_a or _ok(), 4: _ok(), 5: _ok(f"{grade._PASS_MARK}\n")}
    cells.update(run_cells or {})
    if test_a == "absent":
        del cells[2]
    run = None if no_run else {"cells": cells, "crash": crash}
    return grade.score(spec, prep, run)


# --------------------------------------------------------------------------- score precedence


@pytest.mark.parametrize(
    ("outcome", "status", "earned", "in_message"),
    [
        (_ok(), "passed", 1.5, ""),
        (_err("AssertionError", "a(1): expected 2, got 3"), "failed", 0.0, "AssertionError: a(1): expected 2"),
        (_err("ValueError", "shapes differ"), "error", 0.0, "ValueError: shapes differ"),
        (_err("KernelDied", "the kernel died while running this cell"), "error", 0.0, "KernelDied"),
        (TIMEOUT, "timeout", 0.0, "--timeout-cell 5 s"),
        ({"status": "error", "error": None, "stdout": ""}, "error", 0.0, "error display was tampered with"),
    ],
)
def test_one_cell_outcome_decides_status_and_points(outcome, status, earned, in_message):
    res = _score(outcome)["test_a"]
    assert (res["status"], res["earned"], res["points"]) == (status, earned, 1.5), res
    assert in_message in res["message"], res


def test_a_test_cell_that_did_not_run_is_an_error_with_the_crash():
    res = _score("absent", crash="kernel died in cell 1")["test_a"]
    assert (res["status"], res["earned"]) == ("error", 0.0)
    assert res["message"] == "kernel died in cell 1"
    assert _score("absent")["test_a"]["message"] == "the test did not run"


def test_a_check_with_a_pass_mark_passes_only_when_the_mark_was_printed():
    """In the kernel (not judged), a test cell of a check that prints its pass line passes only with that line."""
    silenced = _score(run_cells={5: _ok("", judged=False)})["test_b"]
    assert (silenced["status"], silenced["earned"]) == ("error", 0.0)
    assert "did not report success" in silenced["message"]
    printed = _score(run_cells={5: _ok(f"x\n{grade._PASS_MARK}\n", judged=False)})["test_b"]
    assert (printed["status"], printed["earned"]) == ("passed", 2.0)
    judged = _score(run_cells={5: _ok("", judged=True)})["test_b"]  # the grader's own verdict needs no mark
    assert (judged["status"], judged["earned"]) == ("passed", 2.0)


def test_a_failed_answer_cell_is_named_and_its_timeout_wins():
    failed_answer = _score(_err("NameError", "name 'a' is not defined"), ans_a=_err("SyntaxError", "bad"))["test_a"]
    assert failed_answer["status"] == "error"
    assert failed_answer["message"].startswith("answer cell: SyntaxError: bad\ntest: NameError"), failed_answer
    slow_answer = _score(_err("NameError", "name 'a' is not defined"), ans_a=TIMEOUT)["test_a"]
    assert (slow_answer["status"], slow_answer["earned"]) == ("timeout", 0.0)
    passed_anyway = _score(_ok(), ans_a=_err("ValueError", "in a print of the answer cell"))["test_a"]
    assert (passed_anyway["status"], passed_anyway["earned"], passed_anyway["message"]) == ("passed", 1.5, "")


def test_a_missing_answer_is_missing_unless_its_test_passed():
    not_run = _score(missing=["ans_a"], no_run=True)["test_a"]
    assert (not_run["status"], not_run["earned"]) == ("missing", 0.0)
    assert "ans_a" in not_run["message"]
    failed = _score(_err("NameError", "name 'a' is not defined"), missing=["ans_a"])["test_a"]
    assert (failed["status"], failed["earned"]) == ("missing", 0.0)
    assert failed["message"].startswith("no answer cell with grade_id ans_a") and "NameError" in failed["message"]
    passed = _score(_ok(), missing=["ans_a"])["test_a"]
    assert (passed["status"], passed["earned"]) == ("passed", 1.5)


def test_tampered_beats_every_other_status_and_keeps_what_the_answer_earns():
    """An edited test cell is graded with the original test: the status says tampered, the points are earned."""
    why = {"test_a": "the test cell was edited"}
    passed = _score(_ok(), tampered=why)["test_a"]
    assert (passed["status"], passed["earned"]) == ("tampered", 1.5), passed
    assert passed["message"] == "the test cell was edited; graded with the original test: passed"
    everything = _score(TIMEOUT, ans_a=TIMEOUT, missing=["ans_a"], tampered=why)["test_a"]
    assert (everything["status"], everything["earned"]) == ("tampered", 0.0), everything
    assert "graded with the original test: missing (no answer cell" in everything["message"]
    assert _score(_ok(), tampered=why)["test_b"]["status"] == "passed", "another exercise was marked tampered"


def test_an_unreadable_submission_earns_nothing_and_says_why():
    spec = _assignment()
    prep = {"status": "invalid", "notebook": None, "missing": [], "tampered": {}, "notes": ["not a notebook: x"]}
    results = grade.score(spec, prep, None)
    assert set(results) == {"test_a", "written", "test_b"}
    for res in results.values():
        assert (res["status"], res["earned"], res["message"]) == ("missing", 0.0, "not a notebook: x"), res


def test_a_written_answer_is_left_to_the_instructor():
    assert _score()["written"] == {"points": 1.0, "earned": 0.0, "status": "manual", "message": ANSWER_BY_HAND}
    assert _score(missing=["written"])["written"]["status"] == "missing"


def test_exercises_are_scored_independently():
    results = _score(_err("AssertionError", "no"))
    assert [results[g]["status"] for g in ("test_a", "written", "test_b")] == ["failed", "manual", "passed"]
    assert sum(r["earned"] for r in results.values()) == 2.0


# --------------------------------------------------------------------------- hidden tests


def test_a_judged_hidden_failure_shows_the_check_name_without_its_inputs():
    evalue = "conv(x (2, 5, 5, 3), pad=7):\n  expected: 1.25\n  got: 1.5\nHint: check the padding."
    res = _score(_err("AssertionError", evalue, hidden=True))["test_a"]
    assert res["hidden"] is True and res["status"] == "failed"
    seen = grade.student_message(res)
    assert seen.startswith(grade.HIDDEN_FAILED)
    assert "Failed check: conv(…):" in seen and "Hint: check the padding." in seen
    for secret in ("(2, 5, 5, 3)", "pad=7", "1.25", "expected", "got"):
        assert secret not in seen, f"{secret!r} of a hidden test reached the student: {seen!r}"
    assert "1.25" in res["message"], "the instructor's message lost the details"


def test_a_hidden_failure_raised_by_the_submission_shows_no_text_of_it():
    own = _score(_err("AssertionError", "inputs were [[9, 9]]", hidden=True, student_error=True))["test_a"]
    assert "[[9, 9]]" not in grade.student_message(own) and "AssertionError" in grade.student_message(own)
    custom = _score(_err("LeakError", "inputs were [[9, 9]]", hidden=True, student_error=True))["test_a"]
    seen = grade.student_message(custom)
    assert "[[9, 9]]" not in seen and "LeakError" not in seen and "an exception" in seen


def test_in_the_kernel_only_the_batchs_mark_makes_a_failure_hidden():
    marked = dict(_err("AssertionError", "x = 41"), judged=False, stdout=f"ok\n{MARK}\n")
    res = _score(marked)["test_a"]
    assert res.get("hidden") is True and "41" not in grade.student_message(res)
    forged = dict(_err("AssertionError", "x = 41"), judged=False, stdout="HIDDEN-MARK-guess\n")
    res = _score(forged)["test_a"]
    assert not res.get("hidden") and "x = 41" in grade.student_message(res)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("f(x (3, 4), 2) with k=5:", "f(…) with k=…:"),
        ("pool[0](a, [1, 2]) gives -1.5e-3", "pool[…](…) gives …"),
        ("layer_2 has 3 units", "layer_2 has … units"),
    ],
)
def test_a_check_name_line_loses_its_arguments_and_numbers(line, expected):
    assert grade._without_arguments(line) == expected


def test_mark_hidden_prints_the_mark_at_each_hidden_part():
    source = "a = 1\n    ### BEGIN HIDDEN TESTS\n    b = 2\n### END HIDDEN TESTS\n"
    assert grade.mark_hidden(source, "M") == (
        "a = 1\n    ### BEGIN HIDDEN TESTS\n    print('M')\n    b = 2\n### END HIDDEN TESTS\n"
    )
    assert grade.mark_hidden(source, "") == source


# --------------------------------------------------------------------------- reports

HOSTILE_ID = '=HYPERLINK("http://x")\n# Total: 99 | <script>alert(1)</script> \ud800'
HOSTILE_MESSAGE = "AssertionError: no\n```\n**Total: 20 / 20**\n~~~~\n<img src=x onerror=alert(2)>\n\ud800"


def _record(student: str, message: str = HOSTILE_MESSAGE, **exercise) -> dict:
    return {
        "student": student,
        "file": f"{student}.ipynb",
        "submission": "ok",
        "notes": [f"note: {message}"],
        "total": 0.5,
        "max_total": 3.5,
        "exercises": {
            "test_a": {"points": 1.5, "earned": 0.5, "status": "failed", "message": message, **exercise},
            "written": {"points": 1.0, "earned": 0.0, "status": "manual", "message": ""},
            "test_b": {"points": 2.0, "earned": 0.0, "status": "error", "message": ""},
        },
    }


def _fences(text: str) -> list[tuple[int, int, str]]:
    """The code blocks of a Markdown text as (first line, last line, fence): a line opens a block with a fence
    of backticks or tildes and only a line of the same character, at least as long, closes it (CommonMark)."""
    blocks, start, fence = [], None, ""
    for n, line in enumerate(text.splitlines()):
        run = line[: len(line) - len(line.lstrip(line[:1]))] if line[:1] in "`~" else ""
        if fence and run and run[0] == fence[0] and len(run) >= len(fence) and not line[len(run) :].strip():
            blocks.append((start, n, fence))
            fence = ""
        elif not fence and len(run) >= 3:
            start, fence = n, run
    assert not fence, "a code block is left open"
    return blocks


def test_feedback_keeps_the_students_text_out_of_the_markdown():
    text = grade.feedback_text(_record(HOSTILE_ID), "99_units")
    text.encode("utf-8")  # no lone surrogate left: the file can be written
    lines = text.splitlines()
    assert lines[0].startswith("# Feedback: 99_units, ") and "\n" not in lines[0]
    assert "<script>" in lines[0] and "|" not in lines[0], "the id kept a table separator"
    assert lines[2] == "**Total: 0.5 / 3.5**"
    blocks = _fences(text)
    inside = {n for a, b, _ in blocks for n in range(a, b + 1)}
    for n, line in enumerate(lines):
        if n > 2 and ("Total:" in line or (line.startswith("#") and not line.startswith("## "))):
            assert n in inside, f"line {n} of the submission's text is Markdown structure: {line!r}"
    assert [ln for ln in lines if ln.startswith("## ")] == ["## test_a: failed", "## Notes"]


def test_feedback_of_a_hidden_failure_shows_the_hidden_summary_only():
    record = _record("alice", message="AssertionError: f(7): expected 49", hidden=True, hidden_message="SUMMARY")
    record["notes"] = []
    text = grade.feedback_text(record, "99_units")
    assert "SUMMARY" in text and "49" not in text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("alice", "alice"),
        ("a=1", "a=1"),
        ("\ud800x", "\ufffdx"),
    ],
)
def test_a_csv_cell_never_starts_a_formula(value, cell):
    assert grade._csv_cell(value) == cell


def test_reports_of_hostile_records_parse_back_to_the_same_ids(tmp_path):
    students = [HOSTILE_ID, "-1+1", "a b", "a_b", "Alice", "alice", "../../etc/passwd", ".hidden", "Zo\u00eb"]
    records = [grade._clean_record(_record(s)) for s in students]
    spec = _assignment()
    grade.write_reports(records, spec, tmp_path / "out")
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "grades.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["student", "test_a", "written", "test_b", "total", "submission"]
    assert len(rows) == 1 + len(students), "a newline in an id split a CSV row"
    for row in rows[1:]:
        assert row[0][:1] not in ("=", "+", "-", "@"), row
    assert {row[0].lstrip("'") for row in rows[1:]} == {r["student"] for r in records}
    raw = (tmp_path / "out" / "grades.json").read_text(encoding="utf-8")
    assert raw.isascii(), "grades.json is not plain ASCII"
    assert set(json.loads(raw)["students"]) == {r["student"] for r in records}
    feedback = sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir())
    assert len(feedback) == len(students) and len({n.casefold() for n in feedback}) == len(students)
    for name in feedback:
        assert name.endswith(".md") and "/" not in name and not name.startswith("."), name
    assert "a_b.md" in feedback, "a plain id lost its plain file name"
    assert not list((tmp_path / "out").glob(".feedback*")), "a staging folder was left behind"


def test_feedback_names_are_distinct_even_for_an_id_that_copies_a_hashed_name():
    hashed = grade.feedback_name("a b")[:-3]  # "a_b-xxxxxxxx"
    names = grade.feedback_names(["a b", hashed, "a_b"])
    assert len(set(names.values())) == 3, names
    assert names[hashed] == f"{hashed}.md" and names["a_b"] == "a_b.md", "a plain id lost its plain name"
    folded = grade.feedback_names(["A_B", "a_b"])  # one file on a file system that folds case
    assert len({n.casefold() for n in folded.values()}) == 2, folded
    assert grade.feedback_name("a_b", ["A_B", "a_b"]) != "a_b.md", "an id that folds onto another kept its plain name"


def test_the_class_report_table_escapes_every_cell():
    html = class_report._table(["<h>"], [["<b>&\"'"], [HOSTILE_ID]])
    assert "<b>" not in html and "<script>" not in html and "<h>" not in html
    assert "&lt;b&gt;&amp;&quot;&#x27;" in html and "&lt;script&gt;" in html


def test_failure_groups_count_first_lines_of_failures_only():
    records = [
        {"student": s, "exercises": {"t": {"status": st, "message": msg}}}
        for s, st, msg in [
            ("a", "failed", "\n  AssertionError: x wrong  \nmore"),
            ("b", "error", "AssertionError: x wrong\nother"),
            ("c", "passed", "AssertionError: x wrong"),
            ("d", "timeout", ""),
            ("e", "manual", "written"),
        ]
    ]
    assert class_report.failure_groups(records, "t") == [
        ("AssertionError: x wrong", 2, ["a", "b"]),
        ("(no message)", 1, ["d"]),
    ]


def test_a_record_is_cleaned_of_lone_surrogates_keys_included():
    record = {"student": "\udcff", "exercises": {"t\ud800": {"message": ["a\udfff", ("b\ud801",)]}}, "total": 1.0}
    clean = grade._clean_record(record)
    json.dumps(clean, ensure_ascii=False).encode("utf-8")
    assert clean == {
        "student": "\ufffd",
        "exercises": {"t\ufffd": {"message": ["a\ufffd", ("b\ufffd",)]}},
        "total": 1.0,
    }
