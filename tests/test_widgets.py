"""The kernel playground: presets, typed kernels, images, and the first view drawn without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import widgets


def test_presets_are_fresh_3x3_arrays():
    presets = widgets.kernel_presets()
    for name in (
        "identity",
        "box blur",
        "sharpen",
        "emboss",
        "Sobel x (vertical edges)",
        "Scharr y (horizontal edges)",
    ):
        assert presets[name].shape == (3, 3)
    assert np.isclose(presets["box blur"].sum(), 1.0)
    np.testing.assert_array_equal(presets["Sobel y (horizontal edges)"], presets["Sobel x (vertical edges)"].T)
    presets["identity"][1, 1] = 7
    assert widgets.kernel_presets()["identity"][1, 1] == 1, "callers cannot change the presets"


def test_parse_kernel_reads_rows_and_fractions():
    np.testing.assert_array_equal(widgets.parse_kernel("1 0 -1; 2,0,-2\n1 0 -1"), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    assert widgets.parse_kernel("1/9 1/9")[0, 0] == pytest.approx(1 / 9)
    assert widgets.parse_kernel("1 2 3").shape == (1, 3)


@pytest.mark.parametrize("text, message", [("", "empty"), ("1 x; 2 3", "not a number"), ("1 2; 3", "same length")])
def test_parse_kernel_errors_are_clear(text, message):
    with pytest.raises(ValueError, match=message):
        widgets.parse_kernel(text)


def test_playground_image_is_grey_in_unit_range():
    img = widgets.playground_image("chelsea", size=32)
    assert img.ndim == 2 and max(img.shape) == 32
    assert 0 <= img.min() and img.max() <= 1
    with pytest.raises(ValueError, match="must be one of"):
        widgets.playground_image("astronaut")


def _shift_conv(A_prev, W, b, stride, pad, dilation=1):
    """A stand-in convolution (not a real one): records its arguments, returns a plausible shape."""
    calls.append((A_prev.shape, W.shape, stride, pad, dilation))
    n_H = (A_prev.shape[1] + 2 * pad - dilation * (W.shape[0] - 1) - 1) // stride + 1
    n_W = (A_prev.shape[2] + 2 * pad - dilation * (W.shape[1] - 1) - 1) // stride + 1
    return np.zeros((1, n_H, n_W, 1)), None


calls: list = []


def test_playground_draws_once_on_creation_and_redraws_on_change():
    calls.clear()
    pg = widgets.kernel_playground(_shift_conv, size=24, show=False)
    assert pg.figure is not None and pg.message == ""
    assert calls == [((1, 24, 24, 1), (3, 3, 1, 1), 1, 0, 1)]
    assert pg.output.shape == (22, 22)
    pg.stride.value = 2
    pg.dilation.value = 2
    assert calls[-1][2:] == (2, 0, 2)
    assert pg.output.shape == (10, 10)
    assert pg.caption.value.startswith("output 10x10") and "⌊(24 + 2·0 - (2·(3-1)+1)) / 2⌋ + 1 = 10" in pg.caption.value


def test_playground_typed_kernel_and_errors_are_shown_not_raised():
    pg = widgets.kernel_playground(_shift_conv, size=16, show=False)
    pg.kernel.value = "typed"
    pg.typed.value = "1 2"
    assert pg.output.shape == (16, 15)
    pg.typed.value = "1 oops"
    assert "not a number" in pg.message and pg.figure is None and pg.caption.value == ""

    def unfinished(*args):
        raise NotImplementedError()

    pg = widgets.kernel_playground(unfinished, size=16, show=False)
    assert "not implemented yet" in pg.message


def test_playground_default_uses_the_library_convolution():
    pg = widgets.kernel_playground(size=16, show=False)
    pg.kernel.value = "identity"
    np.testing.assert_allclose(pg.output, widgets.playground_image("camera", 16)[1:-1, 1:-1], atol=1e-5)
    with pytest.raises(ValueError, match="conv_fn"):
        widgets.kernel_playground(conv_fn=3, show=False)
