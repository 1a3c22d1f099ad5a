"""The judge against a hostile kernel (issue 42): whatever the kernel replies, it earns nothing it did
not compute, and it never takes the grader down.

:mod:`hostile_kernel` answers the judge's requests with generated adversarial replies (mutated
arrays, claims that the arguments changed, the grader's own inputs echoed back, wrong dtypes and item
sizes, deep, huge and wide structures, exceptions of every kind, broken protocol). For every exercise
of every notebook, no such reply passes a test cell and none escapes :meth:`Judge.run_test`; on 00 and
01, where the double can also answer honestly (the solution's answer cells, run here by the kernel's
own server code), the honest replies pass every test cell and a reply that is wrong only for the
exercise's own function fails it. Seeded: a failure names the notebook, cell, strategy and seed.

TensorFlow pass only: the judge's references run here, on the backend's ops; what the kernel sends is
bytes whatever the backend.
"""

from __future__ import annotations

import ast
import resource

import numpy as np
import pytest
from hostile_kernel import STRATEGIES, HonestServer, HostileKernel

from course_tools import judge
from course_tools.grade import load_assignment
from course_tools.notebooks import cell_kind, read_notebook
from course_tools.release import solution_paths
from course_utils.config import project_root

pytestmark = pytest.mark.backend("tensorflow")

ROOT = project_root()
NOTEBOOKS = [p.name[:2] for p in solution_paths(ROOT)]
DRAWS = 2  # seeds per strategy and test cell
# Test cells whose checks a made-up reply can meet honestly. 03's contract cell checks only that
# augment_batch returns an array of X's shape, dtype and range, and leaves X unchanged (its behaviour is
# the next cell's): zeros, or X's own values, are such an array (`return X.copy()` passes it in a kernel).
HONEST_BY_CONTRACT = {("03", "test_augment_batch_contract"): {"zeros_and_claims", "echo_inputs"}}


def _tests(spec) -> list[tuple[int, str, dict]]:
    """``(cell index, source, test)`` of every autograded test cell of the grading notebook."""
    by_id = {t["grade_id"]: t for t in spec["tests"] if not t["manual"]}
    out = []
    for i, cell in enumerate(spec["grading"].cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell_kind(cell) == "tests" and gid in by_id:
            out.append((i, cell.source, by_id[gid]))
    return out


def _solution(notebook: str):
    return read_notebook(next(p for p in solution_paths(ROOT) if p.name.startswith(f"{notebook}_")))


def _judge(spec, run_code, seed: int = 3) -> judge.Judge:
    """The judge of a submission whose answer cells are the solution's (the grading copy has their indices)."""
    solution = _solution(spec["name"][:2])
    answers = {i: c.source for i, c in enumerate(solution.cells) if cell_kind(c) == "solution"}
    return judge.Judge(spec["grading"], spec["plan"], run_code, seed=seed, answer_sources=answers)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_hostile_reply_passes_a_test_or_escapes(notebook):
    spec = load_assignment(notebook)
    j = _judge(spec, HostileKernel("garbage", 0))
    tests = _tests(spec)
    j.run_slices_before(len(spec["grading"].cells))  # the official statements, once
    j.run_test(tests[0][0], tests[0][1], 60)  # the references' libraries warmed up before measuring
    peak = _peak_mb()
    passed = []
    for index, source, test in tests:
        for strategy in STRATEGIES:
            for seed in range(DRAWS):
                j.channel.run_code = HostileKernel(strategy, seed)
                result = j.run_test(index, source, 60)  # never raises
                allowed = HONEST_BY_CONTRACT.get((notebook, test["grade_id"]), set())
                if result["status"] == "ok" and strategy not in allowed:
                    passed.append((test["grade_id"], strategy, seed))
    assert not passed, f"{notebook}: hostile replies passed test cells: {passed}"
    assert _peak_mb() - peak < 1024, f"{notebook}: the grader's memory grew by {_peak_mb() - peak:.0f} MB"


# --------------------------------------------------------------------------- with an honest backend


def _honest(spec, notebook: str) -> HonestServer:
    """The solution's answer cells (after the notebook's first code cell, its imports) in a namespace."""
    solution = _solution(notebook)
    ns: dict = {"__name__": "__main__"}
    code = [c for c in solution.cells if c.cell_type == "code"]
    for cell in [code[0]] + [c for c in code if cell_kind(c) == "solution"]:
        exec(compile(cell.source, f"<{notebook} cell>", "exec"), ns)  # noqa: S102 - the course's own solution
    return HonestServer(ns)


def _own_functions(spec, test: dict) -> list[str]:
    """The functions the answer cells of ``test``'s exercise define."""
    names = []
    for cell in _solution(spec["name"][:2]).cells:
        if cell_kind(cell) == "solution" and cell.metadata["nbgrader"]["grade_id"] in test["answers"]:
            names += [s.name for s in ast.parse(cell.source).body if isinstance(s, ast.FunctionDef)]
    return names


@pytest.mark.parametrize("notebook", ["00", "01"])
def test_only_the_correct_value_earns_the_points(notebook):
    spec = load_assignment(notebook)
    honest = _honest(spec, notebook)
    j = _judge(spec, HostileKernel("honest", 0, honest=honest))
    tests = _tests(spec)
    for index, source, test in tests:
        result = j.run_test(index, source, 120)
        assert result["status"] == "ok", f"{notebook} {test['grade_id']}: honest replies failed: {result['error']}"
    forged = []
    for index, source, test in tests:
        for name in _own_functions(spec, test):
            for strategy in ("mutated_arrays", "zeros_and_claims", "echo_inputs"):
                for seed in range(DRAWS):
                    j.channel.run_code = HostileKernel(strategy, seed, honest=honest, only=name)
                    if j.run_test(index, source, 120)["status"] == "ok":
                        forged.append((test["grade_id"], name, strategy, seed))
    assert not forged, f"{notebook}: wrong replies for the exercise's own function passed: {forged}"


def test_nothing_the_kernel_sends_reaches_the_graders_inputs():
    """Arguments are sent as copies; a reply that claims they changed changes nothing here."""
    spec = load_assignment("01")
    honest = _honest(spec, "01")
    j = _judge(spec, HostileKernel("zeros_and_claims", 0, honest=honest))
    j.ns["zero_pad"] = j.channel.op("get", name="zero_pad")
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    before = x.copy()
    j.ns["zero_pad"](x, 1)
    assert np.array_equal(x, before)


# --------------------------------------------------------------------------- small notebooks, one rule each


def _tiny(answer: str, test: str):
    """A notebook of one answer cell and one test cell; the judge of a submission whose answer is ``answer``,
    with the double answering honestly from it. Returns ``(judge, test cell index)``."""
    from nbformat.v4 import new_code_cell, new_notebook

    answer_cell = new_code_cell("def f(x):\n    raise NotImplementedError\n")
    answer_cell.metadata["nbgrader"] = {"grade": False, "grade_id": "f", "solution": True, "locked": False}
    test_cell = new_code_cell(test)
    test_cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_f", "solution": False, "points": 1}
    nb = new_notebook(cells=[new_code_cell("import numpy as np\nimport course_utils as cu"), answer_cell, test_cell])
    ns: dict = {"__name__": "__main__", "np": np}
    exec(compile(answer, "<answer>", "exec"), ns)  # noqa: S102 - the test's own answer
    honest = HonestServer(ns)
    j = judge.Judge(
        nb, judge.plan_notebook(nb), HostileKernel("honest", 0, honest=honest), seed=11, answer_sources={1: answer}
    )
    return j, 2


def test_check_inputs_come_from_the_judges_seed():
    """``cu.checks.rng(*key)`` draws from ``[seed, *key]`` in the grader (from ``key`` in a learner's kernel):
    a table of answers prepared for one seed earns nothing under another."""
    import course_utils.checks as checks

    test = "x = cu.checks.rng(4, 2).normal(size=5)\ncu.checks.check_array(f(x), 2 * x, name='f(x)')\n"
    assert np.array_equal(checks.rng(4, 2).normal(size=5), np.random.default_rng([4, 2]).normal(size=5))
    prepared = np.random.default_rng([11, 4, 2]).normal(size=5)  # drawn with the judge's seed 11
    table = f"_table = {{{prepared.tobytes()!r}: {(2 * prepared).tolist()!r}}}\n"
    answer = table + "def f(x):\n    return np.array(_table.get(x.tobytes(), np.zeros(len(x))))\n"
    j, index = _tiny(answer, test)
    assert j.run_test(index, test, 30)["status"] == "ok"  # the seed the table was made for
    j.seed = 12
    j.ns["cu"] = j._protected["cu"] = j._course_utils()
    result = j.run_test(index, test, 30)
    assert result["status"] == "error" and "values differ" in result["error"][1], result


def test_a_test_reads_the_in_place_result_only_from_scratch_copies():
    test = (
        "x = np.array([-1.0, 2.0, -3.0])\n"
        "got = f(x)\n"
        "out, (after,) = cu.checks.call_on_copies(f, x)\n"
        "cu.checks.check_array(x, np.array([-1.0, 2.0, -3.0]), name='the grader keeps its input')\n"
        "cu.checks.check_array(after, np.array([0.0, 2.0, 0.0]), name='what f did to its argument')\n"
    )
    answer = "def f(x):\n    x[x < 0] = 0\n    return x\n"
    j, index = _tiny(answer, test)
    result = j.run_test(index, test, 30)
    assert result["status"] == "ok", result


def test_a_visible_helper_called_from_a_hidden_line_fails_a_hidden_case():
    test = (
        "def check(v):\n"
        "    cu.checks.check_equal(f(v), 2 * v, name=f'f({v})')\n"
        "check(1)\n"
        "### BEGIN HIDDEN TESTS\n"
        "check(7)\n"
        "### END HIDDEN TESTS\n"
    )
    j, index = _tiny("def f(x):\n    return 2 * x if x < 5 else 0\n", test)
    result = j.run_test(index, test, 30)
    assert result["status"] == "error" and result["hidden"], result
    j, index = _tiny("def f(x):\n    return 0\n", test)
    assert not j.run_test(index, test, 30)["hidden"]  # the visible case failed: not hidden


@pytest.mark.parametrize(
    ("answer", "passes"),
    [
        ("def f(x):\n    return 2 * x\n", True),
        ("def _g(x):\n    return 2 * x\n\nf = _g\n", True),  # an alias of a def: that def is read
        ("def f(x):\n    return 2 * x\n\nimport scipy.special\nf = scipy.special.exp2\n", False),
        ("def f(x):\n    return 2 * x\n\ndef _k(x):\n    import scipy\n    return x\n\nf = _k\n", False),
        ("import functools\n\n@functools.lru_cache\ndef f(x):\n    return 2 * x\n", False),
        ("def f(x):\n    return 2 * x\n\nglobals()['f'] = lambda x: 2 * x\n", False),  # the kernel's f is another
    ],
)
def test_the_static_check_reads_what_the_kernel_binds(answer, passes):
    test = "cu.checks.check_uses_none_of(f, ('scipy',), name='f is your own code')\n"
    j, index = _tiny(answer, test)
    result = j.run_test(index, test, 30)
    assert (result["status"] == "ok") == passes, result


def test_a_dict_of_any_kind_compares_with_a_plain_one():
    test = "cu.checks.check_true(f(1) == {'a': 1} and f(2) != {'a': 1}, 'f(1) is {\"a\": 1}', name='f')\n"
    answer = "from collections import OrderedDict\n\ndef f(x):\n    return OrderedDict(a=x)\n"
    j, index = _tiny(answer, test)
    assert j.run_test(index, test, 30)["status"] == "ok"


def test_a_reply_is_refused_before_anything_is_allocated():
    """A text array of item size 500,000,000 (2 GB an item), in a process limited to 1 GB: refused, no
    MemoryError (before issue 42 it was allocated first)."""
    import subprocess
    import sys

    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
        "from course_tools import judge\n"
        "c = judge.Channel(None)\n"
        "try:\n"
        "    c.decode({'$array': ['x'], 'dtype': '<U500000000', 'shape': [1], 'text': True})\n"
        "except judge.RemoteUnavailable as err:\n"
        "    print('refused:', err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("refused:") and "larger than" in done.stdout, done.stdout + done.stderr[-2000:]
