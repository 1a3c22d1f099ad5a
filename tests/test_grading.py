"""The check helpers: quiet on success, teaching messages on failure."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import grading


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_check_array_passes_within_tolerance():
    grading.check_array(np.ones((2, 3), np.float32) + 1e-7, np.ones((2, 3)), name="f(x)")
    grading.check_array([[1, 2]], np.array([[1, 2]]), name="f(x)")


def test_check_array_reports_shape_values_and_hint():
    msg = _message(grading.check_array, np.zeros((2, 3)), np.zeros((3, 2)), name="zero_pad(x, 1)", hint="pad H and W")
    assert "zero_pad(x, 1)" in msg and "(3, 2)" in msg and "(2, 3)" in msg and "Hint: pad H and W" in msg
    msg = _message(grading.check_array, np.array([1.0, 2.5]), np.array([1.0, 2.0]), name="g")
    assert "max abs difference 0.5" in msg and "index (1,)" in msg and "atol" in msg
    msg = _message(grading.check_array, None, np.zeros(2), name="h")
    assert "returned None" in msg
    msg = _message(grading.check_array, np.array([np.nan, 1.0]), np.array([0.0, 1.0]), name="k")
    assert "NaN" in msg
    msg = _message(grading.check_array, np.array([1, 2]), np.array([1.0, 2.0]), name="d", check_dtype="float")
    assert "float" in msg and "int64" in msg


def test_check_equal_shape_close_true_raises():
    grading.check_equal(3, 3, name="n")
    grading.check_equal(np.int64(3), 3, name="n")
    msg = _message(grading.check_equal, 3.5, 3, name="conv_output_size(6, 3, 0, 2)")
    assert "expected 3" in msg and "got      3.5" in msg
    grading.check_shape(np.zeros((2, 5)), (2, None), name="s")
    assert "expected shape (2, 4)" in _message(grading.check_shape, np.zeros((2, 5)), (2, 4), name="s")
    grading.check_close(np.float32(0.1), 0.1, name="c")
    assert "expected 0.2" in _message(grading.check_close, 0.1, 0.2, name="c")
    assert "went wrong" in _message(grading.check_true, False, "went wrong", name="t")
    grading.check_raises(lambda: int("x"), ValueError, name="r")
    assert "nothing was raised" in _message(grading.check_raises, lambda: 1, ValueError, name="r")


def test_check_raises_reports_unfinished_function():
    def stub():
        raise NotImplementedError()

    assert "not implemented" in _message(grading.check_raises, stub, ValueError, name="r")


def test_to_numpy_accepts_backend_tensors():
    import keras

    x = keras.ops.convert_to_tensor(np.arange(3.0))
    assert np.array_equal(grading.to_numpy(x), np.arange(3.0))


def test_passed_prints_one_line(capsys):
    grading.passed("zero_pad", points=2)
    assert capsys.readouterr().out == "✔ zero_pad: all checks passed (2 points).\n"
