"""Notebook sources (jupytext percent format), stable cell ids, and the release tool on a throw-away course."""

from __future__ import annotations

import shutil

import pytest

from course_tools.notebooks import (
    STUDENT_CODE_STUB,
    cell_kind,
    graded_cells,
    notebook_text,
    read_notebook,
    read_source,
    source_text,
)
from course_tools.release import release_all, release_notebook, source_paths, stale_notebooks
from course_utils.config import project_root

SOLUTION = (
    '{"grade": false, "grade_id": "square", "locked": false, "schema_version": 3, "solution": true, "task": false}'
)
TESTS = (
    '{"grade": true, "grade_id": "test_square", "locked": true, "points": 2, "schema_version": 3, '
    '"solution": false, "task": false}'
)
ANSWER = (
    '{"grade": true, "grade_id": "why", "locked": false, "points": 1, "schema_version": 3, '
    '"solution": true, "task": false}'
)
SOURCE = f'''# %% [markdown]
# # Title
#
# Some *text*.

# %%
import math

# %% nbgrader={SOLUTION}
def square(x):
    """Return x squared."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% nbgrader={TESTS}
assert square(3) == 9
### BEGIN HIDDEN TESTS
assert square(-2) == 4
### END HIDDEN TESTS

# %% [markdown] nbgrader={ANSWER}
# Because.
'''


def _write(tmp_path, text=SOURCE, name="01_demo.py"):
    (tmp_path / "solutions").mkdir(exist_ok=True)
    path = tmp_path / "solutions" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_source_gives_cells_metadata_and_round_trips(tmp_path):
    nb = read_source(_write(tmp_path))
    assert [cell_kind(c) for c in nb.cells] == ["markdown", "code", "solution", "tests", "answer"]
    assert graded_cells(nb) == [(3, "test_square", 2), (4, "why", 1)]
    assert nb.cells[0].source == "# Title\n\nSome *text*."
    assert all(c.metadata.keys() <= {"nbgrader"} for c in nb.cells)
    again = read_source(_write(tmp_path, source_text(nb), "02_again.py"))
    assert notebook_text(again) == notebook_text(nb)


def test_cell_ids_are_stable_when_a_cell_is_inserted(tmp_path):
    before = read_source(_write(tmp_path))
    inserted = SOURCE.replace("# %%\nimport math\n", "# %%\nimport os\n\n# %%\nimport math\n")
    after = read_source(_write(tmp_path, inserted, "02_inserted.py"))
    ids_before = [c.id for c in before.cells]
    ids_after = [c.id for c in after.cells]
    assert len(ids_after) == len(ids_before) + 1
    assert [i for i in ids_after if i not in ids_before] == [ids_after[1]], "only the new cell has a new id"
    assert ids_before[2:] == ["square", "test_square", "why"], "graded cells are named by their grade_id"
    twice = read_source(
        _write(tmp_path, SOURCE.replace("# %%\nimport math\n", "# %%\nx = 1\n\n# %%\nx = 1\n"), "03_twice.py")
    )
    assert len({c.id for c in twice.cells}) == len(twice.cells), "identical cells still get unique ids"


def test_source_errors_are_clear(tmp_path):
    duplicated = SOURCE.replace('"grade_id": "why"', '"grade_id": "square"')
    with pytest.raises(ValueError, match="grade_id 'square' is used by cells 2 and 4"):
        read_source(_write(tmp_path, duplicated))


def test_release_clears_solutions_hidden_tests_and_outputs(tmp_path):
    nb = read_source(_write(tmp_path))
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    released = release_notebook(nb)
    sources = [c.source for c in released.cells]
    assert "x * x" not in sources[2] and STUDENT_CODE_STUB.splitlines()[1] in sources[2]
    assert "def square(x):" in sources[2], "the signature stays visible"
    assert "square(-2)" not in sources[3] and "square(3) == 9" in sources[3]
    assert sources[4] == "YOUR ANSWER HERE"
    assert released.cells[1].outputs == []
    assert released.cells[3].metadata.nbgrader.get("checksum"), "graded cells carry nbgrader checksums"
    assert nb.cells[2].source.count("x * x") == 1, "the solution notebook is not modified"


def test_release_check_detects_stale_and_orphan_notebooks(tmp_path):
    src = _write(tmp_path)
    assert stale_notebooks(tmp_path) == ["solutions/01_demo.ipynb", "notebooks/01_demo.ipynb"]
    assert [p.relative_to(tmp_path).as_posix() for p in release_all(tmp_path)] == [
        "solutions/01_demo.ipynb",
        "notebooks/01_demo.ipynb",
    ]
    assert stale_notebooks(tmp_path) == [] and release_all(tmp_path) == []
    # editing only the source makes both generated notebooks stale, and release fixes them
    src.write_text(src.read_text().replace("square(3) == 9", "square(4) == 16"))
    assert stale_notebooks(tmp_path) == ["solutions/01_demo.ipynb", "notebooks/01_demo.ipynb"]
    release_all(tmp_path)
    assert "square(4) == 16" in (tmp_path / "notebooks" / "01_demo.ipynb").read_text()
    student = tmp_path / "notebooks" / "01_demo.ipynb"
    student.write_text(student.read_text().replace("square(4)", "square(5)"))
    assert stale_notebooks(tmp_path) == ["notebooks/01_demo.ipynb"], "a hand edit of a generated notebook is caught"
    release_all(tmp_path)
    shutil.copy(student, tmp_path / "notebooks" / "02_orphan.ipynb")
    assert stale_notebooks(tmp_path) == ["notebooks/02_orphan.ipynb (no source solutions/02_orphan.py)"]


def test_every_solution_notebook_has_a_source():
    root = project_root()
    sources = {p.stem for p in source_paths(root)}
    notebooks = {p.stem for p in (root / "solutions").glob("*.ipynb")}
    assert sources and sources == notebooks, f"sources {sorted(sources)} vs notebooks {sorted(notebooks)}"


def test_committed_notebooks_are_deterministic_json():
    root = project_root()
    for path in sorted((root / "solutions").glob("*.ipynb")) + sorted((root / "notebooks").glob("*.ipynb")):
        assert path.read_text(encoding="utf-8") == notebook_text(read_notebook(path)), (
            f"{path.relative_to(root)} is not in the canonical JSON form: edit solutions/{path.stem}.py and run "
            "python -m course_tools release"
        )
