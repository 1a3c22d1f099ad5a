"""The repository's layout: the learner's package apart from the instructor's tools, one direction of
imports, no sys.path tricks, lint clean, and the files a well-kept repository has."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_utils.config import project_root

ROOT = project_root()
LEARNER = {"__init__", "boxes", "checks", "config", "data", "faces", "plots", "scenes", "session", "widgets"}
TOOLS = {
    "__init__",
    "__main__",
    "bench",
    "cases",
    "claims",
    "conditions",
    "class_report",
    "execute",
    "export",
    "forkserver_init",
    "grade",
    "gradebook",
    "isolation",
    "judge",
    "judge_kernel",
    "lab",
    "landlock",
    "mutants",
    "mutation",
    "notebooks",
    "outputs",
    "release",
    "sandbox",
    "site",
    "variants",
    "zygote",
}
# The one sys.path change allowed: a kernel forked from the zygote under a Landlock allow-list cannot list the
# course folder that PYTHONPATH names, so it imports course_utils through a link in its own folder (an exec'd
# kernel gets the same through PYTHONPATH). Not an import between the course's own modules.
SYS_PATH_ALLOWED = {"course_tools/zygote.py": 'insert(0, spec["import_dir"])'}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_each_package_holds_its_own_modules():
    assert {p.stem for p in (ROOT / "course_utils").glob("*.py")} == LEARNER
    assert {p.stem for p in (ROOT / "course_tools").glob("*.py")} == TOOLS


def test_course_utils_never_imports_course_tools():
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in _python_files("course_utils")
        for name in _imports(p)
        if name.split(".")[0] == "course_tools"
    ]
    assert not offenders, "the learner's package must not import the tools: " + "; ".join(offenders)
    code = (
        "import json, sys, course_utils as cu; print(json.dumps([sorted(m for m in sys.modules"
        " if m.startswith('course_tools')), hasattr(cu, 'widgets'), callable(cu.to_numpy)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == [[], True, True], "import course_utils loads widgets and no tool"


def test_no_module_edits_sys_path():
    changes = re.compile(r"sys\.path\s*(\.\s*(insert|append|extend|pop|remove|clear)\b|\[[^\]]*\]\s*=(?!=)|\+?=(?!=))")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _python_files("course_utils", "course_tools", "benchmarks", "tests")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if changes.search(line) and not line.lstrip().startswith("#") and "changes = re.compile" not in line
        if SYS_PATH_ALLOWED.get(str(p.relative_to(ROOT)), "\0") not in line
    ]
    assert not offenders, f"modules import each other through the installed packages, not sys.path: {offenders}"


def test_repository_files():
    for name in [
        "LICENSE",
        "README.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
        "CITATION.cff",
        "docs/INSTRUCTORS.md",
        ".pre-commit-config.yaml",
        ".github/workflows/ci.yml",
        ".ci/run",
        "pyproject.toml",
        "environment.yml",
    ]:
        assert (ROOT / name).is_file(), f"{name} is missing"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"].startswith("1.2") and citation["title"] and citation["license"] == "MIT"
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ids = {hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]}
    assert {"ruff", "ruff-format", "check-json", "check-yaml", "no-notebook-outputs", "release-in-sync"} <= ids, ids
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any("bash .ci/run" in run for run in steps), "the workflow runs .ci/run"
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    five = contributing.split("## Who owns which folder")[1].split("\n## ")[0]
    assert len([line for line in five.splitlines() if line.startswith("- ")]) == 5


def test_readme_is_a_learners_page():
    readme = (ROOT / "README.md").read_text()
    assert "docs/INSTRUCTORS.md" in readme and "CONTRIBUTING.md" in readme
    assert "--timeout-cell" not in readme, "grading options belong in docs/INSTRUCTORS.md"
    assert "python -m course_utils " not in readme + (ROOT / "docs/INSTRUCTORS.md").read_text(), (
        "the CLI is course_tools"
    )


def _ruff() -> str:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: it is a course dependency (pip install -e .)")
    return ruff


def test_ruff_check_is_clean():
    out = subprocess.run([_ruff(), "check", "--no-cache", "."], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_is_clean():
    out = subprocess.run([_ruff(), "format", "--check", "--no-cache", "."], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, "run `ruff format .`:\n" + out.stdout + out.stderr


def test_relative_links_point_to_files_that_exist():
    """Links a reader follows inside the course (README, docs, notebooks' text) are not broken."""
    from course_tools.notebooks import read_notebook

    link = re.compile(r"\]\(([^)\s#,]*[./][^)\s#,]*)(?:#[^)]*)?\)")  # a path, not math such as J(C, G)
    pages = {
        p: p.read_text(encoding="utf-8")
        for p in [
            ROOT / "README.md",
            ROOT / "CONTRIBUTING.md",
            ROOT / "CHANGELOG.md",
            *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "datasets").glob("*.md")),
        ]
    }
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        pages[path] = "\n".join(c.source for c in read_notebook(path).cells if c.cell_type == "markdown")
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page, text in pages.items()
        for target in link.findall(text)
        if not re.match(r"[a-z]+:", target) and not (page.parent / target).exists()
    ]
    checked = [t for text in pages.values() for t in link.findall(text) if not re.match(r"[a-z]+:", t)]
    assert len(checked) >= 5, f"the link pattern finds too few links to mean anything: {checked}"
    assert not broken, f"broken relative links: {broken}"
