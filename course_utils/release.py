"""Student release: ``solutions/NN_*.ipynb`` -> ``notebooks/NN_*.ipynb`` with nbgrader's preprocessors.

The release clears solutions (``# YOUR CODE HERE`` + ``raise NotImplementedError()``),
removes hidden tests, clears outputs, locks the graded cells and records nbgrader
checksums, then writes deterministic JSON so that ``release --check`` can compare.
"""
from __future__ import annotations

import copy
from pathlib import Path

from traitlets.config import Config

from .notebooks import notebook_text, read_notebook

__all__ = ["release_notebook", "release_all", "stale_notebooks", "project_root", "solution_paths"]


def project_root() -> Path:
    """The course folder (the parent of ``course_utils/``)."""
    return Path(__file__).resolve().parent.parent


def solution_paths(root: Path | None = None) -> list[Path]:
    """The solution notebooks, in course order."""
    root = root or project_root()
    return sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _preprocessors():
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    cfg = Config()
    cfg.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    cfg.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    return [
        LockCells(config=cfg),
        ClearSolutions(config=cfg),
        ClearOutput(config=cfg),
        CheckCellMetadata(config=cfg),
        ClearHiddenTests(config=cfg),
        ClearMarkScheme(config=cfg),
        ComputeChecksums(config=cfg),
        CheckCellMetadata(config=cfg),
    ]


def release_notebook(solution) -> "nbformat.NotebookNode":  # noqa: F821
    """Return the student version of a solution notebook (the input is not modified)."""
    nb = copy.deepcopy(solution)
    resources = {"language": "python"}
    for pre in _preprocessors():
        nb, resources = pre.preprocess(nb, resources)
    for cell in nb.cells:  # outputs of markdown/raw cells and execution counts
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def _release_text(path: Path) -> str:
    return notebook_text(release_notebook(read_notebook(path)))


def stale_notebooks(root: Path | None = None) -> list[str]:
    """Names of student notebooks that are missing, out of date, or have no solution."""
    root = root or project_root()
    stale = []
    expected = set()
    for src in solution_paths(root):
        expected.add(src.name)
        target = root / "notebooks" / src.name
        if not target.exists() or target.read_text(encoding="utf-8") != _release_text(src):
            stale.append(src.name)
    for extra in sorted((root / "notebooks").glob("*.ipynb")):
        if extra.name not in expected:
            stale.append(f"{extra.name} (no solution notebook)")
    return stale


def release_all(root: Path | None = None) -> list[Path]:
    """Regenerate every student notebook; returns the paths written."""
    root = root or project_root()
    (root / "notebooks").mkdir(exist_ok=True)
    written = []
    for src in solution_paths(root):
        target = root / "notebooks" / src.name
        text = _release_text(src)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written
