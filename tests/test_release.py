"""The student release: in sync with solutions/, and every graded check fails when blank."""

from __future__ import annotations

import pytest

from course_tools.execute import execute_notebook
from course_tools.notebooks import cell_kind, read_notebook
from course_tools.release import release_notebook, solution_paths, stale_notebooks
from course_utils.config import project_root

ROOT = project_root()
RELEASED = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_release_is_in_sync():
    stale = stale_notebooks()
    assert not stale, f"run `python -m course_tools release`; out of date: {stale}"


def test_every_solution_has_graded_exercises_and_no_outputs():
    for path in solution_paths():
        nb = read_notebook(path)
        kinds = [cell_kind(c) for c in nb.cells]
        assert "solution" in kinds and "tests" in kinds, f"{path.name} has no graded exercise"
        with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
        assert not with_outputs, f"{path.name}: strip the outputs of cells {with_outputs}"


def test_release_removes_solutions_and_hidden_tests():
    for path in solution_paths():
        released = release_notebook(read_notebook(path))
        text = "\n".join(c.source for c in released.cells)
        for marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            assert marker not in text, f"{path.name}: {marker!r} left in the student release"


class _BlankRelease:
    """Every graded check fails on the blank notebook; every cell before the first exercise runs.

    One class per notebook (below) so that xdist's ``loadscope`` runs notebooks in parallel.
    TensorFlow pass only: a blank answer raises the same NotImplementedError on both backends, and on
    torch every cell of every notebook runs in the solution notebooks' test (this keeps CI under 40 minutes).
    """

    pytestmark = pytest.mark.backend("tensorflow")

    notebook = None

    def test_blank_release_fails_every_check(self, tmp_path):
        notebook = self.notebook
        executed = execute_notebook(read_notebook(notebook), cwd=tmp_path, timeout=600)
        assert "course_execution_error" not in executed.metadata, executed.metadata["course_execution_error"]
        first_exercise = next(i for i, c in enumerate(executed.cells) if cell_kind(c) == "solution")
        for i, cell in enumerate(executed.cells):
            if cell.cell_type != "code":
                continue
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if i < first_exercise:
                assert not errors, f"{notebook.name} cell {i} fails before the first exercise: {errors[0]['evalue']}"
            if cell_kind(cell) == "tests":
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                assert errors, f"{notebook.name}: check {grade_id} passes on the blank notebook"


for _path in RELEASED:
    _name = "TestBlankRelease_" + _path.stem
    globals()[_name] = type(_name, (_BlankRelease,), {"notebook": _path})
