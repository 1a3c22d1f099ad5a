"""Every notebook graded with the grader's verdicts (issue 25): the solution earns full marks, a blank
notebook nothing, with a judge seed other than the one the tests were written with (the hidden tests'
inputs change; a hidden test that only holds for one draw would fail here).

TensorFlow runs all notebooks; PyTorch runs the ones whose tests take a backend-specific path in the
kernel (01's traced helper, 02's native PyTorch loop, 08's and 10's gradients), which keeps the suite's time
within CI's budget.

The blank notebook is the student release: earning nothing here is the check that every graded check
fails on it (the cells before the first exercise are the solution's own, which nbval runs).

One class per notebook, so that xdist's ``loadscope`` spreads the notebooks over its workers.
"""

from __future__ import annotations

import os

import pytest

from course_tools.grade import grade_batch
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_tools.release import solution_paths
from course_utils.config import project_root

ROOT = project_root()
NOTEBOOKS = [p.name[:2] for p in solution_paths(ROOT)]
ON_TORCH = {"01", "02", "08", "10"}


def _submissions(notebook: str, folder):
    solution = read_notebook(next(p for p in solution_paths(ROOT) if p.name.startswith(f"{notebook}_")))
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells if cell_kind(c) == "solution"}
    released = read_notebook(next((ROOT / "notebooks").glob(f"{notebook}_*.ipynb")))
    write_notebook(released, folder / "blank.ipynb")
    for cell in released.cells:
        if cell_kind(cell) == "solution":
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    write_notebook(released, folder / "solution.ipynb")


def _run_a_parallel_operation_here():
    """What a grader may have done before a batch (the tests before this one did): run a parallel
    convolution in this process. Workers forked from it then hung in their first parallel operation
    (libgomp under PyTorch); the judging workers must not inherit that state."""
    import keras
    import numpy as np

    x = np.random.default_rng(0).random((8, 48, 48, 16), dtype=np.float32)
    keras.layers.Conv2D(32, 3)(x)


class _GradedWithTheJudge:
    notebook = ""

    def test_solution_full_marks_blank_nothing_with_the_graders_verdicts(self, tmp_path):
        notebook = self.notebook
        if os.environ.get("KERAS_BACKEND", "tensorflow") == "torch" and notebook not in ON_TORCH:
            pytest.skip("graded under TensorFlow; on PyTorch only the notebooks with backend-specific checks")
        _run_a_parallel_operation_here()
        subs = tmp_path / "subs"
        subs.mkdir()
        _submissions(notebook, subs)
        records = {
            r["student"]: r
            for r in grade_batch(subs, notebook, out=tmp_path / "out", workers=2, progress=False, judge_seed=7)
        }
        solution, blank = records["solution"], records["blank"]
        graded = {g: e for g, e in solution["exercises"].items() if e["status"] != "manual"}  # by hand
        not_full = {g: (e["status"], e["message"][:300]) for g, e in graded.items() if e["status"] != "passed"}
        assert not not_full and solution["total"] == solution["max_total"], not_full
        assert all(e.get("judged") for e in graded.values()), "a verdict was decided in the kernel"
        earned = {g: e["status"] for g, e in blank["exercises"].items() if e["earned"]}
        assert blank["total"] == 0 and not earned, f"the blank release earns points: {earned}"


for _nb in NOTEBOOKS:
    _name = f"TestGradedWithTheJudge_{_nb}"
    globals()[_name] = type(_name, (_GradedWithTheJudge,), {"notebook": _nb})
