"""The grader's version (course_tools.gradebook.grader_version): what changes it and what does not; no kernels."""

from __future__ import annotations

import shutil
from pathlib import Path

from course_tools.gradebook import MAINTAINER_TOOLS, grader_files, grader_version

ROOT = Path(__file__).resolve().parents[1]


def _copy(tmp_path: Path) -> Path:
    for folder in ("course_tools", "course_utils"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_maintainers_tools_do_not_change_the_grader_version(tmp_path):
    root = _copy(tmp_path)
    before = grader_version(root)
    for name in sorted(MAINTAINER_TOOLS):
        assert (root / "course_tools" / name).is_file(), f"{name} is listed as a maintainer's tool but missing"
        with open(root / "course_tools" / name, "a") as f:
            f.write("\n# edited\n")
    assert grader_version(root) == before


def test_what_decides_a_verdict_changes_the_grader_version(tmp_path):
    root = _copy(tmp_path)
    files = grader_files(root)
    names = {p.relative_to(root).as_posix() for p in files}
    assert {
        "course_tools/judge.py",
        "course_tools/grade.py",
        "course_tools/cases.py",
        "course_utils/checks.py",
    } <= names
    assert any(n.startswith("course_tools/domains/") for n in names) and any(n.endswith(".npz") for n in names)
    seen = {grader_version(root)}
    for rel in ("course_tools/judge.py", "course_utils/checks.py"):
        with open(root / rel, "a") as f:
            f.write("\n# edited\n")
        seen.add(grader_version(root))
    domain = next(p for p in files if "domains" in p.parts)
    domain.write_text(domain.read_text() + "\n# edited\n")
    seen.add(grader_version(root))
    stored = next(p for p in files if p.suffix == ".npz")
    stored.write_bytes(stored.read_bytes() + b"\0")
    seen.add(grader_version(root))
    assert len(seen) == 5, "an edit to the grader, the checks, a domain or a stored case left the version as it was"
