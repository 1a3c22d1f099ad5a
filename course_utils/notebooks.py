"""Reading, writing and authoring course notebooks (deterministic JSON, nbgrader metadata).

Solutions are ``.ipynb`` files and stay the single source of truth. For editing in a
text editor, :func:`notebook_to_script` writes a percent-format script and
:func:`script_to_notebook` reads it back (a round trip keeps every cell and its
grading metadata)::

    python -m course_utils nb2py solutions/01_convolution_from_scratch.ipynb /tmp/01.py
    python -m course_utils py2nb /tmp/01.py solutions/01_convolution_from_scratch.ipynb

Cell markers in the script:

* ``# %%``: a plain code cell; ``# %% [markdown]``: a markdown cell (lines start with ``# ``).
* ``# %% [solution] grade_id=NAME``: an autograded answer cell (code between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is removed in the student release).
* ``# %% [tests] grade_id=NAME points=N``: a locked test cell (``### BEGIN HIDDEN TESTS`` /
  ``### END HIDDEN TESTS`` blocks are removed in the student release).
* ``# %% [answer] grade_id=NAME points=N``: a manually graded written answer (markdown).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

__all__ = [
    "read_notebook",
    "write_notebook",
    "notebook_text",
    "cell_kind",
    "graded_cells",
    "script_to_notebook",
    "notebook_to_script",
]

NBFORMAT_MINOR = 5
_KERNELSPEC = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
_MARKER = re.compile(r"^# %%(?: \[(?P<kind>[a-z]+)\])?(?P<args>(?: +\w+=\S+)*)\s*$")


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


def _nbgrader_meta(kind: str, grade_id: str, points: int) -> dict:
    base = {"grade_id": grade_id, "schema_version": 3, "task": False}
    if kind == "solution":
        base.update(grade=False, locked=False, solution=True)
    elif kind == "tests":
        base.update(grade=True, locked=True, points=points, solution=False)
    elif kind == "answer":
        base.update(grade=True, locked=False, points=points, solution=True)
    return base


def _new_cell(kind: str, lines: list[str], args: dict, number: int):
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if kind in ("markdown", "answer"):
        text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
        cell = nbformat.v4.new_markdown_cell(text)
    else:
        cell = nbformat.v4.new_code_cell("\n".join(lines))
    if kind in ("solution", "tests", "answer"):
        if "grade_id" not in args:
            raise ValueError(f"cell {number}: a [{kind}] cell needs grade_id=NAME")
        points = int(args.get("points", 0))
        if kind in ("tests", "answer") and points <= 0:
            raise ValueError(f"cell {number}: a [{kind}] cell needs points=N (N > 0)")
        cell.metadata["nbgrader"] = _nbgrader_meta(kind, args["grade_id"], points)
        cell.id = args["grade_id"]
    else:
        cell.id = f"cell-{number:03d}"
    return cell


def script_to_notebook(text: str) -> nbformat.NotebookNode:
    """Build a notebook from percent-format script text (see the module docstring)."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = NBFORMAT_MINOR
    nb.metadata.update(_KERNELSPEC)
    kind, args, lines = None, {}, []
    for raw in text.splitlines():
        match = _MARKER.match(raw)
        if match:
            if kind is not None:
                nb.cells.append(_new_cell(kind, lines, args, len(nb.cells)))
            kind = match.group("kind") or "code"
            if kind not in ("code", "markdown", "solution", "tests", "answer"):
                raise ValueError(f"unknown cell kind [{kind}] in line: {raw}")
            args = dict(a.split("=", 1) for a in match.group("args").split())
            lines = []
        elif kind is not None:
            lines.append(raw)
        elif raw.strip():
            raise ValueError(f"text before the first '# %%' marker: {raw!r}")
    if kind is not None:
        nb.cells.append(_new_cell(kind, lines, args, len(nb.cells)))
    ids = [c.id for c in nb.cells]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"grade_id used more than once: {dupes}")
    nbformat.validate(nb)
    return nb


def notebook_to_script(nb) -> str:
    """Percent-format script text of a notebook (inverse of :func:`script_to_notebook`)."""
    parts = []
    for cell in nb.cells:
        kind = cell_kind(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        header = "# %%" if kind == "code" else f"# %% [{kind}]"
        if kind in ("solution", "tests", "answer"):
            header += f" grade_id={meta['grade_id']}"
        if kind in ("tests", "answer"):
            header += f" points={meta.get('points', 0)}"
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + line) if line else "#" for line in cell.source.splitlines())
        else:
            body = cell.source
        parts.append(f"{header}\n{body}\n")
    return "\n".join(parts)
