"""The mutation suite: wrong answers fail the visible checks with a course message, correct ones pass.

One class per notebook with variants (``tests/mutations/NN_topic.py``), so that xdist's
``loadscope`` spreads notebooks over workers. Each runs the released notebook once in one kernel
(see ``tests/mutation_harness.py``); the run's summary prints the counts of every notebook.
"""

from __future__ import annotations

import pytest
from mutation_harness import MUTATIONS, run_mutations


class _Mutations:
    stem = None

    def test_mutations(self, tmp_path, record_property):
        report = run_mutations(self.stem, tmp_path)
        record_property("mutations", report.table())  # printed in the run's summary (tests/conftest.py)
        problems = report.problems()
        assert not problems, f"{self.stem}: {len(problems)} problem(s):\n" + "\n".join(problems)


def _backends(path) -> tuple[str, ...]:
    """The backends a variant file runs on: ``BACKENDS`` in the file, else TensorFlow only.

    One backend keeps the suite inside CI's 40 minutes (it costs about 15 minutes of one core per
    backend). The checks it exercises are the same code on both backends, and the solution notebooks,
    checks included, run on both in every test run; set ``BACKENDS = ("tensorflow", "torch")`` in a
    variant file to run its variants on both (all of them passed on torch when last run so).
    """
    import ast

    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BACKENDS" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    return ("tensorflow",)


for _path in sorted(MUTATIONS.glob("[0-9][0-9]_*.py")):
    _name = "TestMutations_" + _path.stem
    _marks = [] if len(_backends(_path)) > 1 else [pytest.mark.backend(_backends(_path)[0])]
    globals()[_name] = type(_name, (_Mutations,), {"stem": _path.stem, "pytestmark": _marks})


def test_every_variant_file_names_a_notebook():
    from course_utils.config import project_root

    stems = {p.stem for p in (project_root() / "notebooks").glob("*.ipynb")}
    for path in MUTATIONS.glob("*.py"):
        assert path.stem in stems, f"{path.name} names no released notebook"
    if not list(MUTATIONS.glob("*.py")):
        pytest.fail("no mutation variants")
