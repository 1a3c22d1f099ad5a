"""The student release: in sync with solutions/, without solutions or hidden tests.

That every graded check fails on the blank release is tested where the grader grades it
(tests/test_judge_notebooks.py: the blank release earns nothing, on every notebook).
"""

from __future__ import annotations

from course_tools.notebooks import cell_kind, read_notebook
from course_tools.release import release_notebook, solution_paths, stale_notebooks
from course_utils.config import project_root

ROOT = project_root()


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
