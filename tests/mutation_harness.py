"""Inject wrong and correct answers into a released notebook, one kernel per notebook.

The variants of a notebook live in ``tests/mutations/NN_topic.py`` as a dict::

    VARIANTS = {
        "zero_pad": {                      # the grade_id of the exercise's answer cell
            "wrong": {"pads the batch axis too": "def zero_pad(X, pad):\\n    return np.pad(X, pad)\\n"},
            "right": {"with slicing": "def zero_pad(X, pad):\\n    ...\\n"},
        },
    }

:func:`run_mutations` runs the released notebook cell by cell in one kernel. At each answer cell
it runs, in turn, every variant followed by the exercise's *visible* test cells (those of the
student release), and, when the visible cells pass, the solution's test cells with the hidden
tests; then it runs the official answer and goes on with the notebook. Besides the written
variants it makes **leak** variants: every function a visible test cell defines, pasted as the
answer under the exercise's name, and every public ``course_utils`` function that accepts the
exercise's arguments, called as the answer; each must fail the visible checks.

``MUTATION_DEBUG=1`` prints, to stderr, every kernel call that takes more than 2 s and the variant
that made it (``pytest -s``), to find what makes a notebook's suite slow.
"""

from __future__ import annotations

import ast
import inspect
import runpy
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_tools.mutation import Kernel  # the automatic score's kernel: run code, get its error
from course_tools.notebooks import cell_kind, read_notebook

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = ROOT / "tests" / "mutations"


@dataclass
class Outcome:
    exercise: str
    kind: str  # wrong | right | leak
    label: str
    visible: str  # "passed" or "ename: first line"
    hidden: str = ""  # the solution's tests (visible + hidden), run when the visible ones passed
    course_message: bool = False  # the visible failure was a course check (AssertionError)


@dataclass
class Report:
    notebook: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per exercise: its variants and their checks

    def problems(self) -> list[str]:
        found = []
        for o in self.outcomes:
            where = f"{o.exercise} [{o.kind}] {o.label}"
            if o.kind == "right" and (o.visible != "passed" or o.hidden not in ("", "passed")):
                found.append(f"{where}: a correct answer fails: {o.visible if o.visible != 'passed' else o.hidden}")
            elif o.kind == "wrong" and o.visible == "passed":
                found.append(f"{where}: passes the visible checks (hidden: {o.hidden})")
            elif o.kind == "wrong" and not o.course_message:
                found.append(f"{where}: fails with {o.visible}, not with a course message")
            elif o.kind == "leak" and o.visible == "passed":
                found.append(f"{where}: a function the learner can read passes as the answer")
        return found

    def table(self) -> str:
        lines = [f"mutation suite, {self.notebook}:"]
        lines.append(
            f"  {'exercise':<28} {'wrong caught (visible / +hidden)':>34} {'right pass':>11} {'leaks caught':>13}"
            f" {'time':>7}"
        )
        for exercise in dict.fromkeys(o.exercise for o in self.outcomes):
            mine = [o for o in self.outcomes if o.exercise == exercise]
            wrong = [o for o in mine if o.kind == "wrong"]
            right = [o for o in mine if o.kind == "right"]
            leaks = [o for o in mine if o.kind == "leak"]
            visible = sum(o.visible != "passed" for o in wrong)
            both = sum(o.visible != "passed" or o.hidden not in ("", "passed") for o in wrong)
            ok = sum(o.visible == "passed" and o.hidden in ("", "passed") for o in right)
            caught = sum(o.visible != "passed" for o in leaks)
            lines.append(
                f"  {exercise:<28} {f'{visible}/{len(wrong)} / {both}/{len(wrong)}':>34} "
                f"{f'{ok}/{len(right)}':>11} {f'{caught}/{len(leaks)}':>13} {self.seconds.get(exercise, 0):>6.1f}s"
            )
        lines.append(
            f"  whole run {self.seconds.get('(whole run)', 0):.1f}s (the notebook up to the last exercise, once)"
        )
        w = [o for o in self.outcomes if o.kind == "wrong"]
        r = [o for o in self.outcomes if o.kind == "right"]
        lk = [o for o in self.outcomes if o.kind == "leak"]
        lines.append(
            f"  total: wrong caught by visible checks {sum(o.visible != 'passed' for o in w)}/{len(w)}, "
            f"by visible + hidden {sum(o.visible != 'passed' or o.hidden not in ('', 'passed') for o in w)}/{len(w)}; "
            f"right accepted {sum(o.visible == 'passed' and o.hidden in ('', 'passed') for o in r)}/{len(r)}; "
            f"leaks caught {sum(o.visible != 'passed' for o in lk)}/{len(lk)}"
        )
        return "\n".join(lines)


def load_variants(stem: str) -> dict:
    path = MUTATIONS / f"{stem}.py"
    loaded = runpy.run_path(str(path))
    variants = loaded["VARIANTS"]
    variants["__prelude__"] = loaded.get("PRELUDE", {})
    for exercise, kinds in variants.items():
        if exercise == "__prelude__":
            continue
        assert set(kinds) <= {"wrong", "right"}, f"{path.name} {exercise}: kinds are 'wrong' and 'right'"
        for kind, items in kinds.items():
            for label, source in items.items():
                kinds[kind][label] = textwrap.dedent(source)
    return variants


def _answer_name(solution_source: str, grade_id: str) -> str | None:
    """The function the answer cell defines (the one named like the grade_id, else the first)."""
    names = [n.name for n in ast.parse(solution_source).body if isinstance(n, ast.FunctionDef)]
    if not names:
        return None
    return grade_id if grade_id in names else names[0]


def _required_positional(source: str, name: str) -> int:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return len(node.args.posonlyargs) + len(node.args.args) - len(node.args.defaults)
    return 0


def _defined_functions(source: str) -> dict[str, str]:
    """Top-level functions a cell defines, name -> source."""
    tree = ast.parse(source)
    return {n.name: ast.get_source_segment(source, n) for n in tree.body if isinstance(n, ast.FunctionDef)}


def _course_functions() -> dict[str, inspect.Signature]:
    """Every public function of the learner's package, as ``module.name`` -> signature."""
    import importlib
    import pkgutil

    import course_utils

    found, seen = {}, set()
    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            if inspect.isfunction(obj) and id(obj) not in seen:  # a function re-exported by a package once
                seen.add(id(obj))
                try:
                    found[f"{info.name}.{name}"] = inspect.signature(obj)
                except (TypeError, ValueError):
                    pass
    return found


def _accepts(signature: inspect.Signature, n_positional: int) -> bool:
    try:
        signature.bind(*range(n_positional))
    except TypeError:
        return False
    return True


def run_mutations(stem: str, cwd: Path) -> Report:
    released = read_notebook(ROOT / "notebooks" / f"{stem}.ipynb")
    solution = read_notebook(ROOT / "solutions" / f"{stem}.ipynb")
    variants = load_variants(stem)
    prelude = variants.pop("__prelude__")
    answers = {c.metadata.nbgrader.grade_id: c.source for c in solution.cells if cell_kind(c) == "solution"}
    full_tests = {c.metadata.nbgrader.grade_id: c.source for c in solution.cells if cell_kind(c) == "tests"}
    cells = released.cells
    kinds = [cell_kind(c) for c in cells]
    exercises = [i for i, k in enumerate(kinds) if k == "solution" and cells[i].cell_type == "code"]
    unknown = set(variants) - {cells[i].metadata.nbgrader.grade_id for i in exercises}
    assert not unknown, f"{stem}: variants for unknown exercises {sorted(unknown)}"
    # run up to the last check of the last exercise that has variants (the rest of the notebook adds nothing)
    with_variants = [i for i in exercises if cells[i].metadata.nbgrader.grade_id in variants]
    after = [j for j in exercises if j > max(with_variants)] if with_variants else []
    end_of_last = after[0] if after else len(cells)
    last_test = max(i for i, k in enumerate(kinds[:end_of_last]) if k == "tests")
    course_functions = _course_functions()
    report = Report(stem)
    seen_test_functions: dict[str, str] = {}
    started_run = time.perf_counter()
    kernel = Kernel(cwd)
    try:
        for i, cell in enumerate(cells[: last_test + 1]):
            if cell.cell_type != "code":
                continue
            if i not in exercises:
                error, _ = kernel.run(cell.source)
                if kinds[i] == "tests":
                    assert error is None, (
                        f"{stem}: the official answer fails {cell.metadata.nbgrader.grade_id}: {error}"
                    )
                    seen_test_functions.update(_defined_functions(cell.source))
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            following = [j for j in exercises if j > i]
            end = following[0] if following else len(cells)
            tests = [j for j in range(i + 1, end) if kinds[j] == "tests"]
            # the cells a learner runs between the answer and its last check (try-it cells, checks)
            between = [j for j in range(i + 1, (tests[-1] + 1) if tests else i + 1) if cells[j].cell_type == "code"]
            mine = variants.get(grade_id)
            name = _answer_name(answers[grade_id], grade_id)
            todo = []
            if mine:
                todo += [("wrong", label, src) for label, src in mine.get("wrong", {}).items()]
                todo += [("right", label, src) for label, src in mine.get("right", {}).items()]
            if mine is not None and name is not None:
                visible_functions = dict(seen_test_functions)
                for j in tests:
                    visible_functions.update(_defined_functions(cells[j].source))
                for helper, src in visible_functions.items():
                    if name in {n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)}:
                        continue  # a wrapper around the learner's own function computes nothing by itself
                    todo.append(("leak", f"test-cell function {helper}", f"{src}\n\n{name} = {helper}\n"))
                n_args = _required_positional(answers[grade_id], name)
                for qualified, signature in course_functions.items():
                    if n_args and _accepts(signature, n_args):
                        module, _, function = qualified.rpartition(".")
                        todo.append(("leak", qualified, f"import {module} as _m\n{name} = _m.{function}\ndel _m\n"))
            started = time.perf_counter()
            if todo:
                error, _ = kernel.run(answers[grade_id] + "\n" + prelude.get(grade_id, ""))
                assert error is None, f"{stem}: the official answer of {grade_id} or its prelude fails: {error}"
                for j in between:  # what the try-it cells define, in case a variant's run stops early
                    if kinds[j] != "tests":
                        kernel.run(cells[j].source)
            for kind, label, src in todo:
                outcome = Outcome(grade_id, kind, label, "passed")
                kernel.label = f"{grade_id} [{kind}] {label}"
                error, _ = kernel.run(src)
                if error is not None:
                    outcome.visible = f"(the variant itself fails) {error}"
                else:
                    for j in between:
                        if kinds[j] != "tests":
                            continue  # try-it cells ran once with the official answer (their inputs are defined)
                        error, ename = kernel.run(cells[j].source)
                        if error is not None:
                            outcome.visible = error.splitlines()[0][:300]
                            outcome.course_message = ename == "AssertionError"
                            break
                    if outcome.visible == "passed" and kind != "leak":
                        outcome.hidden = "passed"
                        for j in tests:
                            error, _ = kernel.run(full_tests[cells[j].metadata.nbgrader.grade_id])
                            if error is not None:
                                outcome.hidden = error.splitlines()[0][:300]
                                break
                report.outcomes.append(outcome)
            kernel.label = ""
            error, _ = kernel.run(answers[grade_id])
            assert error is None, f"{stem}: the official answer of {grade_id} does not run: {error}"
            if todo:
                report.seconds[grade_id] = time.perf_counter() - started
    finally:
        kernel.close()
    report.seconds["(whole run)"] = time.perf_counter() - started_run
    return report
