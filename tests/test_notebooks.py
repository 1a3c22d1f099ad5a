"""Authoring round trip and the release tool on a throw-away course folder."""
from __future__ import annotations

import shutil

import pytest

from course_utils.notebooks import (cell_kind, graded_cells, notebook_text, notebook_to_script, read_notebook,
                                    script_to_notebook, write_notebook)
from course_utils.release import project_root, release_all, release_notebook, stale_notebooks

SCRIPT = '''# %% [markdown]
# # Title
#
# Some *text*.

# %%
import math

# %% [solution] grade_id=square
def square(x):
    """Return x squared."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% [tests] grade_id=test_square points=2
assert square(3) == 9
### BEGIN HIDDEN TESTS
assert square(-2) == 4
### END HIDDEN TESTS

# %% [answer] grade_id=why points=1
# Because.
'''


def test_script_round_trip_keeps_cells_and_metadata():
    nb = script_to_notebook(SCRIPT)
    assert [cell_kind(c) for c in nb.cells] == ["markdown", "code", "solution", "tests", "answer"]
    assert graded_cells(nb) == [(3, "test_square", 2), (4, "why", 1)]
    again = script_to_notebook(notebook_to_script(nb))
    assert notebook_text(again) == notebook_text(nb)


@pytest.mark.parametrize("bad, message", [
    ("# %% [tests] grade_id=t\nx = 1\n", "points"),
    ("# %% [solution]\nx = 1\n", "grade_id"),
    ("# %% [weird]\nx = 1\n", "unknown cell kind"),
    ("x = 1\n# %%\n", "before the first"),
    ("# %% [solution] grade_id=a\n# %% [solution] grade_id=a\n", "more than once"),
])
def test_script_errors_are_clear(bad, message):
    with pytest.raises(ValueError, match=message):
        script_to_notebook(bad)


def test_release_clears_solutions_hidden_tests_and_outputs():
    nb = script_to_notebook(SCRIPT)
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    released = release_notebook(nb)
    sources = [c.source for c in released.cells]
    assert "x * x" not in sources[2] and "raise NotImplementedError()" in sources[2]
    assert "def square(x):" in sources[2], "the signature stays visible"
    assert "square(-2)" not in sources[3] and "square(3) == 9" in sources[3]
    assert sources[4] == "YOUR ANSWER HERE"
    assert released.cells[1].outputs == []
    assert released.cells[3].metadata.nbgrader.get("checksum"), "graded cells carry nbgrader checksums"
    assert nb.cells[2].source.count("x * x") == 1, "the solution notebook is not modified"


def test_release_check_detects_stale_and_orphan_notebooks(tmp_path):
    (tmp_path / "solutions").mkdir()
    write_notebook(script_to_notebook(SCRIPT), tmp_path / "solutions" / "01_demo.ipynb")
    assert stale_notebooks(tmp_path) == ["01_demo.ipynb"]
    assert [p.name for p in release_all(tmp_path)] == ["01_demo.ipynb"]
    assert stale_notebooks(tmp_path) == [] and release_all(tmp_path) == []
    student = tmp_path / "notebooks" / "01_demo.ipynb"
    student.write_text(student.read_text().replace("square(3)", "square(4)"))
    assert stale_notebooks(tmp_path) == ["01_demo.ipynb"]
    release_all(tmp_path)
    shutil.copy(student, tmp_path / "notebooks" / "02_orphan.ipynb")
    assert stale_notebooks(tmp_path) == ["02_orphan.ipynb (no solution notebook)"]


def test_committed_notebooks_are_deterministic_json():
    root = project_root()
    for path in sorted((root / "solutions").glob("*.ipynb")) + sorted((root / "notebooks").glob("*.ipynb")):
        assert path.read_text(encoding="utf-8") == notebook_text(read_notebook(path)), (
            f"{path.relative_to(root)} is not in the canonical JSON form: rewrite it with "
            "python -m course_utils py2nb (solutions) or release (notebooks)"
        )
