"""``python -m course_tools export``: the Gradescope autograder zip and the GitHub Classroom template.

Both are built for ``00_start_here`` (one exercise, ``conv_output_size``, 2 points) and then run
here as Gradescope and GitHub Actions would run them: the zip is unpacked into a folder laid out
like ``/autograder`` and its ``run_autograder`` grades a submission with this environment's Python;
the template's workflow steps (the grading step and one check per exercise) are taken from its
YAML and run with bash in the template folder, with nothing installed. The tests that grade run in
the TensorFlow pass only (the grader's kernels do not depend on the Keras backend here).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from course_tools.__main__ import main as cli
from course_tools.export import AUTOGRADER_ROOT_ENV, PYTHON_ENV, RESULTS_FILE, build_classroom_template
from course_tools.grade import HIDDEN_FAILED
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

ROOT = project_root()
NAME = "00_start_here"
RELEASED = ROOT / "notebooks" / f"{NAME}.ipynb"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
TEST = "test_conv_output_size"
SIGNATURE = "def conv_output_size(n, f, p=0, s=1):\n"
CORRECT = SIGNATURE + "    return (n + 2 * p - f) // s + 1\n"
WRONG = SIGNATURE + "    return (n - f) // s + 1  # ignores the padding\n"
# Right for every visible case (all have n < 10), wrong for the hidden ones with n >= 10 and p or s
# other than 0 and 1: it passes the visible checks and fails a hidden test.
VISIBLE_ONLY = SIGNATURE + "    if n < 10:\n        return (n + 2 * p - f) // s + 1\n    return n - f + 1\n"
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"

# Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
RESULT_KEYS = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_KEYS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def _with_answer(source: str | None):
    nb = read_notebook(RELEASED)
    if source is not None:
        for cell in nb.cells:
            if cell_kind(cell) == "solution":
                cell.source = source
    return nb


def _hidden_block() -> str:
    text = "".join(c.source + "\n" for c in read_notebook(SOLUTION).cells if cell_kind(c) == "tests")
    blocks = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, flags=re.S)
    assert blocks, "solutions/00_start_here.ipynb has hidden tests"
    return "".join(blocks)


def _hidden_only_lines() -> list[str]:
    """Lines of the hidden tests that the student release does not show (stripped)."""
    released = {line.strip() for c in read_notebook(RELEASED).cells for line in c.source.splitlines()}
    return [ln.strip() for ln in _hidden_block().splitlines() if ln.strip() and ln.strip() not in released]


def _hidden_inputs() -> list[str]:
    """``"32, 5, 2, 1"`` for every hidden case ``((32, 5, 2, 1), 32)``: what a hidden failure message names."""
    cases = re.findall(r"\(\((\d+), (\d+), (\d+), (\d+)\), \d+\)", _hidden_block())
    assert len(cases) >= 5
    return [", ".join(case) for case in cases]


def _extract(zip_path: Path, dest: Path) -> None:
    """Unpack like Info-ZIP's unzip (which Gradescope uses): with the files' Unix modes."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = dest / info.filename
            zf.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)


def _validate_gradescope(results: dict) -> None:
    """The keys and types Gradescope documents; the score is the sum of the tests' scores."""
    assert set(results) <= RESULT_KEYS, set(results) - RESULT_KEYS
    assert isinstance(results["score"], float)
    assert isinstance(results["output"], str) and results["output"]
    assert results.get("visibility", "visible") in VISIBILITIES
    assert results.get("stdout_visibility", "hidden") in VISIBILITIES
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] == "visible"
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def _env() -> dict:
    """This environment, with its Python first on PATH and no PYTHONPATH of its own."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


# --------------------------------------------------------------------------- bad input


def test_export_refuses_bad_input_with_a_fix(tmp_path, capsys):
    assert cli(["export", "gradescope", "7"]) == 2
    err = capsys.readouterr().err
    assert "two-digit notebook prefix, got '7'" in err and "00, 01" in err
    assert cli(["export", "github-classroom", "42", "--out", str(tmp_path / "x")]) == 2
    assert "notebooks/42_*.ipynb" in capsys.readouterr().err
    assert cli(["export", "gradescope", "00", "--out", str(tmp_path / "a.tar")]) == 2
    assert "must name a .zip file" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    assert cli(["export", "github-classroom", "00", "--out", str(busy)]) == 2
    assert "must be a new or empty folder" in capsys.readouterr().err
    assert (busy / "keep.txt").read_text() == "mine" and len(list(busy.iterdir())) == 1
    existing = tmp_path / "old.zip"
    existing.write_bytes(b"old")
    assert cli(["export", "gradescope", "00", "--out", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err and existing.read_bytes() == b"old"


# --------------------------------------------------------------------------- Gradescope


@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    assert cli(["export", "gradescope", "00", "--out", str(out)]) == 0
    return out


def test_gradescope_zip_layout(gradescope_zip):
    with zipfile.ZipFile(gradescope_zip) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    names = set(infos)
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & stat.S_IXUSR, f"{script} must be executable"
    assert run.startswith("#!/usr/bin/env bash\n") and setup.startswith("#!/usr/bin/env bash\n")
    assert all(n in ("setup.sh", "run_autograder") or n.startswith("source/") for n in names)
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "course_utils/checks.py", "course_tools/grade.py"):
        assert f"source/{needed}" in names, needed
    assert "source/course_tools/export.py" in names
    assert {n for n in names if n.startswith("source/solutions/")} == {
        f"source/solutions/{NAME}.ipynb",
        f"source/solutions/{NAME}.py",  # the official answers the fresh cases are computed from
    }
    assert {n for n in names if n.startswith("source/notebooks/")} == {f"source/notebooks/{NAME}.ipynb"}
    assert not [n for n in names if ".git" in n.split("/") or "__pycache__" in n or n.endswith(".pyc")]
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup and "torch==2.13.0" in setup
    assert setup.index("torch==2.13.0") < setup.index('pip install "./source[instructor]" -c ./source/constraints.txt')
    assert "gradescope-run \\\n  --assignment 00" in run or "gradescope-run --assignment 00" in run
    assert 'timeout --signal=KILL "$((BUDGET - 15))"' in run and '--budget "$BUDGET"' in run
    for script in (setup, run):
        check = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def _autograder(tmp_path: Path, zip_path: Path, submission: dict[str, object], python: str = sys.executable):
    """Lay out ``tmp_path`` like /autograder, run ``source/run_autograder``; return results.json and the run."""
    _extract(zip_path, tmp_path / "source")
    sub = tmp_path / "submission"
    sub.mkdir()
    for name, content in submission.items():
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(sub / name)
        elif isinstance(content, str):
            (sub / name).write_text(content)
        else:
            write_notebook(content, sub / name)
    env = _env() | {AUTOGRADER_ROOT_ENV: str(tmp_path), PYTHON_ENV: python}
    start = time.monotonic()
    proc = subprocess.run(
        [str(tmp_path / "source" / "run_autograder")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    text = (tmp_path / "results" / "results.json").read_text()
    return {"results": json.loads(text), "text": text, "stdout": proc.stdout, "seconds": seconds}


@pytest.fixture(scope="module")
def gradescope_runs(gradescope_zip, tmp_path_factory) -> dict:
    cases = {
        # a stray notebook beside the assignment's: the 00_* one is graded
        "correct": {f"{NAME}.ipynb": _with_answer(CORRECT), "scratch/notes.ipynb": _with_answer(WRONG)},
        "visible_only": {f"{NAME}.ipynb": _with_answer(VISIBLE_ONLY)},
        "blank": {f"{NAME}.ipynb": _with_answer(None)},
        "nothing": {"answers.py": CORRECT},
        # an upload that links to the solution notebook in the autograder's own copy (issue 42)
        "symlink": {f"{NAME}.ipynb": lambda p: p.symlink_to(p.parents[1] / "source" / "source" / "solutions" / p.name)},
    }
    runs = {name: _autograder(tmp_path_factory.mktemp(name), gradescope_zip, files) for name, files in cases.items()}
    print("\nGradescope runs: " + ", ".join(f"{n} {r['seconds']:.1f} s" for n, r in runs.items()))
    return runs


@pytest.mark.backend("tensorflow")
def test_gradescope_results_are_valid_and_score_the_submission(gradescope_runs):
    for name, run in gradescope_runs.items():
        _validate_gradescope(run["results"])
        assert [t["name"] for t in run["results"]["tests"]] == [TEST], name
        assert run["results"]["tests"][0]["max_score"] == 2.0
    correct = gradescope_runs["correct"]["results"]
    assert correct["score"] == 2.0 and correct["tests"][0]["status"] == "passed"
    assert "several notebooks submitted; graded 00_start_here.ipynb" in correct["output"]
    assert gradescope_runs["blank"]["results"]["score"] == 0.0
    assert "NotImplementedError" in gradescope_runs["blank"]["results"]["tests"][0]["output"]
    nothing = gradescope_runs["nothing"]["results"]
    assert nothing["score"] == 0.0 and "No notebook (.ipynb) was found" in nothing["output"]


@pytest.mark.backend("tensorflow")
def test_gradescope_refuses_a_symbolic_link(gradescope_runs):
    results = gradescope_runs["symlink"]["results"]
    assert results["score"] == 0.0, results
    assert "symbolic link" in results["output"] or "symbolic link" in results["tests"][0]["output"], results


@pytest.mark.backend("tensorflow")
def test_gradescope_hides_the_hidden_tests(gradescope_runs):
    run = gradescope_runs["visible_only"]
    results = run["results"]
    assert results["score"] == 0.0 and results["tests"][0]["status"] == "failed"
    assert HIDDEN_FAILED in results["tests"][0]["output"]
    for text in (run["text"], run["stdout"]):
        leaked = [case for case in _hidden_inputs() if case in text]
        leaked += [line for line in _hidden_only_lines() if line in text]
        assert not leaked, f"hidden test text in the results: {leaked}"


@pytest.mark.backend("tensorflow")
def test_gradescope_failures_still_give_a_valid_result(gradescope_zip, tmp_path):
    # a broken autograder (the assignment's notebooks are gone from the course copy)
    broken = tmp_path / "broken"
    broken.mkdir()
    _extract(gradescope_zip, broken / "source")
    (broken / "source" / "source" / "solutions" / f"{NAME}.ipynb").unlink()
    (broken / "submission").mkdir()
    write_notebook(_with_answer(CORRECT), broken / "submission" / f"{NAME}.ipynb")
    env = _env() | {AUTOGRADER_ROOT_ENV: str(broken), PYTHON_ENV: sys.executable}
    subprocess.run([str(broken / "source" / "run_autograder")], env=env, check=True, capture_output=True, timeout=300)
    results = json.loads((broken / "results" / "results.json").read_text())
    _validate_gradescope(results)
    assert results["score"] == 0.0 and "the autograder failed" in results["output"]
    assert "tell your instructor" in results["output"]
    # no Python at all: run_autograder's own placeholder result stays
    gone = _autograder(tmp_path / "nopython", gradescope_zip, {f"{NAME}.ipynb": _with_answer(CORRECT)}, "/nonexistent")
    _validate_gradescope(gone["results"])
    assert gone["results"]["score"] == 0.0 and "did not finish" in gone["results"]["output"]


# --------------------------------------------------------------------------- GitHub Classroom


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("classroom") / "template"
    assert cli(["export", "github-classroom", "00", "--out", str(out)]) == 0
    return out


def _workflow(template: Path) -> dict:
    return yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())


def test_classroom_template_has_no_solutions_nor_hidden_tests(classroom):
    files = [p for p in classroom.rglob("*") if p.is_file()]
    assert not [p for p in classroom.rglob("solutions")], "no solutions/ folder"
    assert (classroom / f"{NAME}.ipynb").read_bytes() == RELEASED.read_bytes()
    assert (classroom / ".course" / "notebooks" / f"{NAME}.ipynb").read_bytes() == RELEASED.read_bytes()
    assert [p.name for p in (classroom / ".course" / "notebooks").iterdir()] == [f"{NAME}.ipynb"]
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "course_utils/checks.py", "course_tools/grade.py"):
        assert (classroom / ".course" / needed).is_file(), needed
    hidden_lines = _hidden_only_lines()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(classroom)
        # the grader's own code names the marker it looks for; no other file has it
        if rel.parts[:2] != (".course", "course_tools") or rel.suffix != ".py":
            assert HIDDEN_MARK not in text, rel
        assert not [line for line in hidden_lines if line in text], f"hidden test text in {rel}"
    assert not [p for p in files if "__pycache__" in p.parts or ".git" in p.parts]


def test_classroom_workflow_structure(classroom):
    wf = _workflow(classroom)
    assert set(wf[True]) == {"push", "workflow_dispatch", "repository_dispatch"}  # YAML's `on` is True
    assert wf["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job,) = wf["jobs"].values()
    assert job["if"] == "github.actor != 'github-classroom[bot]'" and job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert steps[1]["uses"] == "actions/setup-python@v5" and steps[1]["with"]["python-version"] == "3.11"
    install = steps[2]["run"]
    assert install.index("torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu") < install.index(
        'pip install "./.course[instructor]" -c .course/constraints.txt'
    )
    assert steps[3]["id"] == "grade" and "classroom-grade" in steps[3]["run"] and "--course .course" in steps[3]["run"]
    checks, reporter = steps[4:-1], steps[-1]
    expected = [
        (c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"])
        for c in read_notebook(RELEASED).cells
        if cell_kind(c) == "tests"
    ]
    assert [(s["with"]["test-name"], s["with"]["max-score"]) for s in checks] == expected
    ids = [s["id"] for s in checks]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z][a-z0-9-]*", i) for i in ids)
    for step in checks:
        assert step["uses"] == "classroom-resources/autograding-command-grader@v1"
        assert f"classroom-check {RESULTS_FILE} {step['with']['test-name']}" in step["with"]["command"]
        assert step["with"]["timeout"] >= 1
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}


def _run_workflow(template: Path, answer: str | None) -> dict:
    """The workflow's grading step, then each check as the command grader runs it (env: PATH, HOME only)."""
    notebook = template / f"{NAME}.ipynb"
    if notebook.is_symlink() or answer is None:
        notebook.unlink()
    if answer == "symlink":  # a link committed to the repository (issue 42)
        notebook.symlink_to(Path(".course") / "notebooks" / f"{NAME}.ipynb")
    elif answer is not None:
        write_notebook(_with_answer(answer), notebook)
    wf = _workflow(template)
    (job,) = wf["jobs"].values()
    env = _env() | {k: str(v).replace("${{ github.workspace }}", str(template)) for k, v in job["env"].items()}
    grade = next(s for s in job["steps"] if s.get("id") == "grade")
    start = time.monotonic()
    proc = subprocess.run(
        ["bash", "-e", "-c", grade["run"]], cwd=template, env=env, capture_output=True, text=True, timeout=600
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    checks = {}
    for step in job["steps"]:
        if step.get("uses", "").startswith("classroom-resources/autograding-command-grader"):
            check = subprocess.run(
                ["sh", "-c", step["with"]["command"]],
                cwd=template,
                env={"PATH": env["PATH"], "HOME": env.get("HOME", "/root"), "FORCE_COLOR": "true"},
                capture_output=True,
                text=True,
                timeout=60 * step["with"]["timeout"],
            )
            checks[step["with"]["test-name"]] = (check.returncode, check.stdout + check.stderr)
    results = json.loads((template / RESULTS_FILE).read_text())
    return {"checks": checks, "results": results, "stdout": proc.stdout, "seconds": seconds}


@pytest.fixture(scope="module")
def classroom_runs(tmp_path_factory) -> dict:
    template = build_classroom_template("00", tmp_path_factory.mktemp("classroom-runs") / "repo")
    runs = {
        name: _run_workflow(template, answer)
        for name, answer in [
            ("correct", CORRECT),
            ("wrong", WRONG),
            ("visible_only", VISIBLE_ONLY),
            ("gone", None),
            ("symlink", "symlink"),
        ]
    }
    print("\nClassroom workflow runs: " + ", ".join(f"{n} {r['seconds']:.1f} s" for n, r in runs.items()))
    return runs


@pytest.mark.backend("tensorflow")
def test_classroom_workflow_steps_pass_a_correct_notebook_and_fail_a_wrong_one(classroom_runs):
    correct, wrong = classroom_runs["correct"], classroom_runs["wrong"]
    assert correct["checks"] and all(rc == 0 for rc, _ in correct["checks"].values()), correct["checks"]
    assert correct["results"]["total"] == correct["results"]["max_total"] == 2.0
    assert correct["results"]["source"] == "release"
    rc, out = wrong["checks"][TEST]
    assert rc == 1 and "failed (0/2 points)" in out
    assert "conv_output_size(6, 3, 1, 1)" in out, "the visible check's message reaches the student"
    gone = classroom_runs["gone"]
    rc, out = gone["checks"][TEST]
    assert rc == 1 and "not in the repository" in out


@pytest.mark.backend("tensorflow")
def test_classroom_refuses_a_symbolic_link(classroom_runs):
    run = classroom_runs["symlink"]
    assert run["results"]["submission"] == "invalid" and run["results"]["total"] == 0, run["results"]
    assert "symbolic link" in " ".join(run["results"]["notes"]), run["results"]
    assert run["checks"][TEST][0] == 1


@pytest.mark.backend("tensorflow")
def test_classroom_runs_the_visible_checks_only(classroom_runs):
    # The answer that fails a hidden test on Gradescope passes here: the runner has the visible tests only.
    run = classroom_runs["visible_only"]
    assert run["checks"][TEST][0] == 0 and run["results"]["total"] == 2.0
    for r in classroom_runs.values():
        text = json.dumps(r["results"]) + r["stdout"] + "".join(out for _, out in r["checks"].values())
        assert not [case for case in _hidden_inputs() if case in text]


def test_classroom_grade_refuses_another_course_root(classroom, tmp_path):
    # Run without PYTHONPATH, this environment's course_utils (not the template's .course) is imported.
    proc = subprocess.run(
        [sys.executable, "-m", "course_tools.export", "classroom-grade", "--assignment", "00", "--course", ".course"]
        + ["--results", str(tmp_path / "r.json"), f"{NAME}.ipynb"],
        cwd=classroom,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "must run on the course copy" in proc.stderr and "PYTHONPATH" in proc.stderr


# --------------------------------------------------------------------------- issue 45: order and time budget


def test_gradescope_numbers_the_tests_in_notebook_order(tmp_path):
    """The gradebook stores a record as JSON with sorted keys: read back, 01's exercises came alphabetically
    (test_conv_backward first), and Gradescope numbered them so; now in the notebook's order (issue 45)."""
    from course_tools.export import _exercises, gradescope_results
    from course_tools.gradebook import FILE_NAME, Gradebook

    exercises = _exercises(ROOT / "solutions" / "01_convolution_from_scratch.ipynb")
    order = [e["grade_id"] for e in exercises]
    assert order != sorted(order), "01's exercises are not in alphabetical order"
    spec = {"name": "01_convolution_from_scratch", "version": "0" * 16, "tests": exercises}
    record = {
        "student": "ada",
        "file": "ada.ipynb",
        "submission": "ok",
        "notes": [],
        "exercises": {g: {"points": 2.0, "earned": 2.0, "status": "passed", "message": ""} for g in order},
        "total": 2.0 * len(order),
        "max_total": 2.0 * len(order),
    }
    with Gradebook(tmp_path / FILE_NAME, spec) as book:
        book.save(record, content="x", version="0" * 16, grader="g", seed=0, run_id=book.start_run("t"))
        stored = book.records()[0]
    assert list(stored["exercises"]) == order
    shuffled = dict(stored, exercises=dict(sorted(stored["exercises"].items())))
    results = gradescope_results(shuffled, spec["name"], "01.ipynb", order)
    assert [t["name"] for t in results["tests"]] == order
    assert [t["number"] for t in results["tests"]] == [str(i) for i in range(1, len(order) + 1)]


@pytest.mark.backend("tensorflow")
def test_gradescope_run_ends_within_its_time_budget(gradescope_zip, tmp_path):
    """Gradescope gives a run that reaches its timeout 0 points and no test results (its documentation,
    troubleshooting: "Your submission timed out"). An answer that never returns used to hold the run for
    --timeout-cell (300 s in the zip): now the run ends within its budget and the student sees which
    test timed out (issue 45)."""
    budget = 150
    _extract(gradescope_zip, tmp_path / "source")
    (tmp_path / "submission").mkdir()
    write_notebook(_with_answer("while True:\n    pass\n" + CORRECT), tmp_path / "submission" / f"{NAME}.ipynb")
    env = _env() | {
        AUTOGRADER_ROOT_ENV: str(tmp_path),
        PYTHON_ENV: sys.executable,
        "COURSE_AUTOGRADER_BUDGET": str(budget),
    }
    start = time.monotonic()
    proc = subprocess.run(
        [str(tmp_path / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=600
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert seconds < budget, f"the run took {seconds:.0f} s, past its budget of {budget} s"
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    _validate_gradescope(results)
    assert results["score"] == 0.0
    assert results["tests"] and results["tests"][0]["output"].startswith("timeout"), results
    print(f"\nbudget {budget} s: the run ended after {seconds:.0f} s")
