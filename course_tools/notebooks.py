"""Reading and writing course notebooks: deterministic JSON, nbgrader metadata, text sources.

The source of every notebook is a text file in jupytext's percent format,
``solutions/NN_topic.py``: the file developers edit and review. Each cell starts with a
``# %%`` line; markdown cells are ``# %% [markdown]`` and their lines start with ``# ``;
graded cells carry their nbgrader metadata as JSON in the header, and a cell that draws figures carries
their alt texts (``alt="A line plot of ..."``, or a list, one per figure), for example::

    # %% nbgrader={"grade": false, "grade_id": "zero_pad", "locked": false, "schema_version": 3, ...}
    def zero_pad(X, pad):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% nbgrader={"grade": true, "grade_id": "test_zero_pad", "locked": true, "points": 2, ...}
    cu.checks.check_array(...)

:func:`read_source` turns such a file into a notebook with stable cell ids (the grade_id of a
graded cell, else a hash of the cell's type and text), so inserting a cell does not renumber
the others; ``python -m course_tools release`` writes ``solutions/NN_topic.ipynb`` (for
nbgrader and instructors) and ``notebooks/NN_topic.ipynb`` (the student release) from it.
A new notebook's source can be made from an ``.ipynb`` with :func:`source_text`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat

__all__ = [
    "read_notebook",
    "write_notebook",
    "notebook_text",
    "cell_kind",
    "graded_cells",
    "read_source",
    "source_text",
    "STUDENT_CODE_STUB",
    "STUDENT_TEXT_STUB",
]

#: What a solution becomes in the student release (nbgrader's ``ClearSolutions`` stubs).
STUDENT_CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
STUDENT_TEXT_STUB = "YOUR ANSWER HERE"

NBFORMAT_MINOR = 5
_KERNELSPEC = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
_JUPYTEXT_FORMAT = "py:percent"
#: Cell metadata kept from a source: nbgrader's, and ``alt``, the alt text of the figures a cell draws (a
#: sentence, or a list with one sentence per figure, in the order they appear), which the course site uses.
CELL_METADATA = ("nbgrader", "alt")
_JUPYTEXT_FILTERS = {"notebook_metadata_filter": "-all", "cell_metadata_filter": ",".join(CELL_METADATA) + ",-all"}


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook (format 4); raises ``ValueError`` with the path if it is not valid JSON."""
    path = Path(path)
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - nbformat raises several types
        raise ValueError(f"{path} is not a readable Jupyter notebook: {err}") from None


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """Deterministic JSON text of a notebook (sorted keys, one-space indent, final newline)."""
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def write_notebook(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook as deterministic JSON."""
    Path(path).write_text(notebook_text(nb), encoding="utf-8")


def cell_kind(cell) -> str:
    """One of ``"solution"``, ``"tests"``, ``"answer"``, ``"markdown"``, ``"code"``."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution") and meta.get("grade"):
        return "answer" if cell.cell_type == "markdown" else "solution"
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "tests"
    return cell.cell_type


def graded_cells(nb) -> list[tuple[int, str, int]]:
    """``(index, grade_id, points)`` of every cell that carries points."""
    out = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            out.append((i, meta["grade_id"], int(meta.get("points", 0))))
    return out


def _stable_ids(nb) -> None:
    """Give every cell an id that depends on the cell alone: its grade_id, else a hash of its text."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            base = grade_id
        else:
            digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:10]
            base = f"{cell.cell_type[:2]}-{digest}"
        seen[base] = seen.get(base, 0) + 1
        cell["id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"


def read_source(path: str | Path) -> nbformat.NotebookNode:
    """The notebook of a percent-format source file (no outputs; stable ids; the course's kernelspec).

    Raises ``ValueError`` naming the file and the cell when a grade_id is used twice or the
    result is not a valid notebook.
    """
    path = Path(path)
    try:
        nb = jupytext.reads(path.read_text(encoding="utf-8"), fmt=_JUPYTEXT_FORMAT)
    except Exception as err:  # noqa: BLE001 - jupytext raises several types
        raise ValueError(f"{path} is not a readable percent-format notebook source: {err}") from None
    nb.nbformat, nb.nbformat_minor = 4, NBFORMAT_MINOR
    nb.metadata = nbformat.from_dict(_KERNELSPEC)
    grade_ids: dict[str, int] = {}
    for number, cell in enumerate(nb.cells):
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in CELL_METADATA})
        alt = cell.metadata.get("alt")
        if alt is not None and not (
            (isinstance(alt, str) and alt.strip())
            or (isinstance(alt, list) and alt and all(isinstance(a, str) and a.strip() for a in alt))
        ):
            raise ValueError(
                f"{path}: cell {number}: `alt` must be a sentence or a list of sentences (one per figure), got {alt!r}"
            )
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            raise ValueError(f"{path}: grade_id {grade_id!r} is used by cells {grade_ids[grade_id]} and {number}")
        if grade_id:
            grade_ids[grade_id] = number
    _stable_ids(nb)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        raise ValueError(f"{path}: not a valid notebook: {err.message}") from None
    return nb


def source_text(nb) -> str:
    """Percent-format source text of a notebook: cells and their nbgrader metadata, no outputs."""
    copy = nbformat.from_dict(dict(nb))
    copy.metadata = nbformat.from_dict({"jupytext": dict(_JUPYTEXT_FILTERS)})
    return jupytext.writes(copy, fmt=_JUPYTEXT_FORMAT)
