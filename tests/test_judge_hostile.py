"""The judge against a hostile kernel (issue 42): whatever the kernel replies, it earns nothing it did
not compute, and it never takes the grader down.

:mod:`hostile_kernel` answers the judge's requests with generated adversarial replies (mutated
arrays, claims that the arguments changed, the grader's own inputs echoed back, wrong dtypes and item
sizes, deep, huge and wide structures, exceptions of every kind, broken protocol). For every exercise
of every notebook, no such reply passes a test cell and none escapes :meth:`Judge.run_test`; on 00 and
01, where the double can also answer honestly (the solution's answer cells, run here by the kernel's
own server code), the honest replies pass every test cell and a reply that is wrong only for the
exercise's own function fails it. Seeded: a failure names the notebook, cell, strategy and seed.

TensorFlow pass only: the judge's references run here, on the backend's ops; what the kernel sends is
bytes whatever the backend.
"""

from __future__ import annotations

import ast
import resource

import numpy as np
import pytest
from hostile_kernel import STRATEGIES, HonestServer, HostileKernel

from course_tools import judge
from course_tools.grade import load_assignment
from course_tools.notebooks import cell_kind, read_notebook
from course_tools.release import solution_paths
from course_utils.config import project_root

pytestmark = pytest.mark.backend("tensorflow")

ROOT = project_root()
NOTEBOOKS = [p.name[:2] for p in solution_paths(ROOT)]
DRAWS = 2  # seeds per strategy and test cell


def _tests(spec) -> list[tuple[int, str, dict]]:
    """``(cell index, source, test)`` of every autograded test cell of the grading notebook."""
    by_id = {t["grade_id"]: t for t in spec["tests"] if not t["manual"]}
    out = []
    for i, cell in enumerate(spec["grading"].cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell_kind(cell) == "tests" and gid in by_id:
            out.append((i, cell.source, by_id[gid]))
    return out


def _solution(notebook: str):
    return read_notebook(next(p for p in solution_paths(ROOT) if p.name.startswith(f"{notebook}_")))


def _judge(spec, run_code, seed: int = 3) -> judge.Judge:
    """The judge of a submission whose answer cells are the solution's (the grading copy has their indices)."""
    solution = _solution(spec["name"][:2])
    answers = {i: c.source for i, c in enumerate(solution.cells) if cell_kind(c) == "solution"}
    return judge.Judge(spec["grading"], spec["plan"], run_code, seed=seed, answer_sources=answers)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_hostile_reply_passes_a_test_or_escapes(notebook):
    spec = load_assignment(notebook)
    j = _judge(spec, HostileKernel("garbage", 0))
    tests = _tests(spec)
    j.run_slices_before(len(spec["grading"].cells))  # the official statements, once
    j.run_test(tests[0][0], tests[0][1], 60)  # the references' libraries warmed up before measuring
    peak = _peak_mb()
    passed = []
    for index, source, test in tests:
        for strategy in STRATEGIES:
            for seed in range(DRAWS):
                j.channel.run_code = HostileKernel(strategy, seed)
                result = j.run_test(index, source, 60)  # never raises
                if result["status"] == "ok":
                    passed.append((test["grade_id"], strategy, seed))
    assert not passed, f"{notebook}: hostile replies passed test cells: {passed}"
    assert _peak_mb() - peak < 1024, f"{notebook}: the grader's memory grew by {_peak_mb() - peak:.0f} MB"


# --------------------------------------------------------------------------- with an honest backend


def _honest(spec, notebook: str) -> HonestServer:
    """The solution's answer cells (after the notebook's first code cell, its imports) in a namespace."""
    solution = _solution(notebook)
    ns: dict = {"__name__": "__main__"}
    code = [c for c in solution.cells if c.cell_type == "code"]
    for cell in [code[0]] + [c for c in code if cell_kind(c) == "solution"]:
        exec(compile(cell.source, f"<{notebook} cell>", "exec"), ns)  # noqa: S102 - the course's own solution
    return HonestServer(ns)


def _own_functions(spec, test: dict) -> list[str]:
    """The functions the answer cells of ``test``'s exercise define."""
    names = []
    for cell in _solution(spec["name"][:2]).cells:
        if cell_kind(cell) == "solution" and cell.metadata["nbgrader"]["grade_id"] in test["answers"]:
            names += [s.name for s in ast.parse(cell.source).body if isinstance(s, ast.FunctionDef)]
    return names


@pytest.mark.parametrize("notebook", ["00", "01"])
def test_only_the_correct_value_earns_the_points(notebook):
    spec = load_assignment(notebook)
    honest = _honest(spec, notebook)
    j = _judge(spec, HostileKernel("honest", 0, honest=honest))
    tests = _tests(spec)
    for index, source, test in tests:
        result = j.run_test(index, source, 120)
        assert result["status"] == "ok", f"{notebook} {test['grade_id']}: honest replies failed: {result['error']}"
    forged = []
    for index, source, test in tests:
        for name in _own_functions(spec, test):
            for strategy in ("mutated_arrays", "zeros_and_claims", "echo_inputs"):
                for seed in range(DRAWS):
                    j.channel.run_code = HostileKernel(strategy, seed, honest=honest, only=name)
                    if j.run_test(index, source, 120)["status"] == "ok":
                        forged.append((test["grade_id"], name, strategy, seed))
    assert not forged, f"{notebook}: wrong replies for the exercise's own function passed: {forged}"


def test_nothing_the_kernel_sends_reaches_the_graders_inputs():
    """Arguments are sent as copies; a reply that claims they changed changes nothing here."""
    spec = load_assignment("01")
    honest = _honest(spec, "01")
    j = _judge(spec, HostileKernel("zeros_and_claims", 0, honest=honest))
    j.ns["zero_pad"] = j.channel.op("get", name="zero_pad")
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    before = x.copy()
    j.ns["zero_pad"](x, 1)
    assert np.array_equal(x, before)
