"""The check helpers: quiet on success, teaching messages on failure."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import checks


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_check_array_passes_within_tolerance():
    checks.check_array(np.ones((2, 3), np.float32) + 1e-7, np.ones((2, 3)), name="f(x)")
    checks.check_array([[1, 2]], np.array([[1, 2]]), name="f(x)")


def test_check_array_reports_shape_values_and_hint():
    msg = _message(checks.check_array, np.zeros((2, 3)), np.zeros((3, 2)), name="zero_pad(x, 1)", hint="pad H and W")
    assert "zero_pad(x, 1)" in msg and "(3, 2)" in msg and "(2, 3)" in msg and "Hint: pad H and W" in msg
    msg = _message(checks.check_array, np.array([1.0, 2.5]), np.array([1.0, 2.0]), name="g")
    assert "max abs difference 0.5" in msg and "index (1,)" in msg and "atol" in msg
    msg = _message(checks.check_array, None, np.zeros(2), name="h")
    assert "returned None" in msg
    msg = _message(checks.check_array, np.array([np.nan, 1.0]), np.array([0.0, 1.0]), name="k")
    assert "NaN" in msg
    msg = _message(checks.check_array, np.array([1, 2]), np.array([1.0, 2.0]), name="d", check_dtype="float")
    assert "float" in msg and "int64" in msg


def test_check_equal_shape_close_true_raises():
    checks.check_equal(3, 3, name="n")
    checks.check_equal(np.int64(3), 3, name="n")
    msg = _message(checks.check_equal, 3.5, 3, name="conv_output_size(6, 3, 0, 2)")
    assert "expected 3" in msg and "got      3.5" in msg
    checks.check_shape(np.zeros((2, 5)), (2, None), name="s")
    assert "expected shape (2, 4)" in _message(checks.check_shape, np.zeros((2, 5)), (2, 4), name="s")
    checks.check_close(np.float32(0.1), 0.1, name="c")
    assert "expected 0.2" in _message(checks.check_close, 0.1, 0.2, name="c")
    assert "went wrong" in _message(checks.check_true, False, "went wrong", name="t")
    checks.check_raises(lambda: int("x"), ValueError, name="r")
    assert "nothing was raised" in _message(checks.check_raises, lambda: 1, ValueError, name="r")


def test_check_raises_reports_unfinished_function():
    def stub():
        raise NotImplementedError()

    assert "not implemented" in _message(checks.check_raises, stub, ValueError, name="r")


def test_to_numpy_accepts_backend_tensors():
    import keras

    x = keras.ops.convert_to_tensor(np.arange(3.0))
    assert np.array_equal(checks.to_numpy(x), np.arange(3.0))


def test_passed_prints_one_line(capsys):
    checks.passed("zero_pad", points=2)
    assert capsys.readouterr().out == "✔ zero_pad: all checks passed (2 points).\n"


def test_checks_module_imports_nothing_from_the_course():
    """The grader loads checks.py by path into every test cell: it may use the standard library and NumPy only
    (the probes, which run beside the learner's code, may also import the frameworks, inside their bodies)."""
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    allowed = set(sys.stdlib_module_names) | {"numpy"}
    inside = allowed | {"keras", "tensorflow", "torch"}
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"checks.py has a relative import (line {node.lineno}): it must stand alone"
            names = (
                {a.name.split(".")[0] for a in node.names}
                if isinstance(node, ast.Import)
                else {node.module.split(".")[0]}
            )
            ok = allowed if id(node) in top_level else inside
            assert names <= ok, f"checks.py line {node.lineno} imports {sorted(names - ok)}"


def test_checks_module_loads_by_path_alone(tmp_path):
    """As the grader does: a copy of the file, loaded by path, works without the course package."""
    import importlib.util
    import shutil

    copy = tmp_path / "checks.py"
    shutil.copy(checks.__file__, copy)
    spec = importlib.util.spec_from_file_location("lone_checks", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.check_equal(3, 3, name="n")
    assert sorted(module.__all__) == sorted(checks.__all__)


class _Layer:
    def __init__(self, cls, shapes):
        self.__class__ = type(cls, (_Layer,), {})
        self.weights = [np.zeros(s, "float32") for s in shapes]

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = weights


class _Model:
    def __init__(self, layers):
        self.layers = layers


def test_fill_weights_depends_on_layer_kind_and_shape_only():
    a = _Model([_Layer("Conv2D", [(3, 3, 2, 4), (4,)]), _Layer("BatchNormalization", [(4,)] * 4), _Layer("ReLU", [])])
    b = _Model([_Layer("Conv2D", [(3, 3, 2, 4), (4,)]), _Layer("BatchNormalization", [(4,)] * 4), _Layer("ReLU", [])])
    checks.fill_weights(a)
    checks.fill_weights(b)
    for la, lb in zip(a.layers, b.layers):
        for wa, wb in zip(la.get_weights(), lb.get_weights()):
            assert wa.dtype == np.float32 and np.array_equal(wa, wb)
    kernel, bias = a.layers[0].get_weights()
    assert 0.1 < kernel.std() < 0.5, "kernels ~ N(0, 1/sqrt(fan-in)) with fan-in 18"
    gamma, _, _, variance = a.layers[1].get_weights()
    assert (gamma >= 0.5).all() and (gamma <= 1.5).all() and (variance > 0).all()


def test_check_array_nan_messages_say_what_happened():
    msg = _message(checks.check_array, np.array([1.0, 2.0]), np.array([1.0, np.nan]), name="k")
    assert "expected NaN or inf at index (1,)" in msg and "finite value 2.0" in msg
    assert "nan]" in msg.splitlines()[2] and msg.splitlines()[2].strip().startswith("expected"), "expected is shown"
    msg = _message(checks.check_array, np.array([np.inf, 2.0]), np.array([1.0, 2.0]), name="k")
    assert "where a finite value is expected (first at index (0,)" in msg and "expected" in msg.splitlines()[2]
    checks.check_array(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), name="k")
    msg = _message(checks.check_array, np.array([np.inf, 1.0]), np.array([np.nan, 1.0]), name="k")
    assert "NaN and inf are not where expected" in msg


def test_check_number_refuses_arrays():
    checks.check_number(2.0, name="n")
    checks.check_number(np.float32(2.0), name="n")
    checks.check_number(np.array(2.0), name="n")
    msg = _message(checks.check_number, np.full((1, 1, 1), 2.0), name="conv_single_step(...)")
    assert "expected one number" in msg and "shape (1, 1, 1)" in msg
    assert "got a list" in _message(checks.check_number, [2.0], name="n")
    assert "got a bool" in _message(checks.check_number, True, name="n")


def test_check_uses_none_of_follows_notebook_functions():
    namespace = {}
    exec(
        "import numpy as np\n"
        "import math\n"
        "import json as keras\n"
        "def helper(x):\n    return keras.dumps(x)\n"
        "def answer(x):\n    return helper(x)\n"
        "def local_import(x):\n    import scipy.signal\n    return x\n"
        "def calls_forward(x):\n    return conv_forward(x)\n"
        "def conv_forward(x):\n    return np.sum(x) + math.pi\n"
        "def fine(x):\n    return conv_forward(x) * 2\n",
        namespace,
    )
    namespace["keras"].__name__ = "json"  # the module is json whatever its alias: only the real name counts
    checks.check_uses_none_of(namespace["fine"], ["keras", "scipy"], name="fine")
    from types import ModuleType

    fake = ModuleType("keras.ops")
    namespace["keras"] = fake
    msg = _message(checks.check_uses_none_of, namespace["answer"], ["keras"], name="conv_forward")
    assert "answer -> helper -> keras (from keras)" in msg
    msg = _message(checks.check_uses_none_of, namespace["local_import"], ["scipy"], name="f")
    assert "import scipy.signal" in msg
    msg = _message(checks.check_uses_none_of, namespace["calls_forward"], ["conv_forward"], name="conv_backward")
    assert "calls_forward -> conv_forward" in msg
    conv = type("Conv2D", (), {"__module__": "keras.src.layers"})
    namespace["layer"] = conv()
    exec("def with_layer(x):\n    return layer(x)\n", namespace)
    assert "layer (from keras)" in _message(checks.check_uses_none_of, namespace["with_layer"], ["keras"], name="f")
    assert "returned None" in _message(checks.check_uses_none_of, None, ["keras"], name="f")


def test_check_runs_turns_an_error_into_a_course_message():
    assert checks.check_runs(lambda: 3, name="f") == 3
    msg = _message(checks.check_runs, lambda: int("x"), name="build_unet(...)", hint="sizes")
    assert "raised ValueError: invalid literal" in msg and "Hint: sizes" in msg

    def stub():
        raise NotImplementedError()

    assert "not implemented yet" in _message(checks.check_runs, stub, name="f")
