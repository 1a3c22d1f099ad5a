"""Release: ``solutions/NN_topic.py`` -> ``solutions/NN_topic.ipynb`` and ``notebooks/NN_topic.ipynb``.

The percent-format ``.py`` is the source. The solution notebook is its exact notebook form (for
nbgrader, instructors and the tests). The student notebook goes through nbgrader's own
preprocessors: clear solutions (:data:`~course_tools.notebooks.STUDENT_CODE_STUB`), remove
hidden tests, clear outputs, lock the graded cells and record nbgrader checksums. Both are
written as deterministic JSON, so ``release --check`` can compare them with what the sources
give.
"""

from __future__ import annotations

import copy
from pathlib import Path

from traitlets.config import Config

from course_utils.config import project_root

from .notebooks import STUDENT_CODE_STUB, STUDENT_TEXT_STUB, notebook_text, read_source

__all__ = [
    "release_notebook",
    "release_all",
    "stale_notebooks",
    "solution_paths",
    "source_paths",
    "nbgrader_stub_config",
]


def source_paths(root: Path | None = None) -> list[Path]:
    """The notebook sources ``solutions/NN_topic.py``, in course order."""
    root = root or project_root()
    return sorted((root / "solutions").glob("[0-9][0-9]_*.py"))


def solution_paths(root: Path | None = None) -> list[Path]:
    """The solution notebooks ``solutions/NN_topic.ipynb`` (generated from the sources), in course order."""
    root = root or project_root()
    return sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))


def nbgrader_stub_config() -> Config:
    """nbgrader configuration with the course's student stubs."""
    cfg = Config()
    cfg.ClearSolutions.code_stub = {"python": STUDENT_CODE_STUB}
    cfg.ClearSolutions.text_stub = STUDENT_TEXT_STUB
    return cfg


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

    cfg = nbgrader_stub_config()
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


def release_notebook(solution) -> nbformat.NotebookNode:  # noqa: F821
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


def _targets(src: Path, root: Path) -> dict[Path, str]:
    """The two generated files of one source and their expected text."""
    solution = read_source(src)
    name = src.with_suffix(".ipynb").name
    return {
        root / "solutions" / name: notebook_text(solution),
        root / "notebooks" / name: notebook_text(release_notebook(solution)),
    }


def stale_notebooks(root: Path | None = None) -> list[str]:
    """Generated notebooks (``solutions/*.ipynb``, ``notebooks/*.ipynb``) that are missing, out of
    date with their source, or have no source; paths relative to the course folder."""
    root = root or project_root()
    stale, expected = [], set()
    for src in source_paths(root):
        for target, text in _targets(src, root).items():
            expected.add(target)
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target.relative_to(root)))
    for folder in ("solutions", "notebooks"):
        for extra in sorted((root / folder).glob("*.ipynb")):
            if extra not in expected:
                stale.append(f"{folder}/{extra.name} (no source solutions/{extra.stem}.py)")
    return stale


def release_all(root: Path | None = None) -> list[Path]:
    """Regenerate every solution and student notebook from its source; returns the paths written."""
    root = root or project_root()
    (root / "notebooks").mkdir(exist_ok=True)
    written = []
    for src in source_paths(root):
        for target, text in _targets(src, root).items():
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
                written.append(target)
    return written
