"""cu.models.value_and_gradient (on the active backend) and cu.plots.overlay_heatmap."""

from __future__ import annotations

import numpy as np
import pytest

import course_utils as cu


def test_gradient_of_a_model_and_of_keras_ops():
    import keras

    x = np.arange(12, dtype="float32").reshape(2, 6) / 10
    w = np.linspace(-1, 1, 18).reshape(6, 3).astype("float32")
    dense = keras.layers.Dense(3, use_bias=False)
    dense.build((None, 6))
    dense.set_weights([w])
    value, grad = cu.models.value_and_gradient(lambda t: dense(t)[:, 1], x)
    np.testing.assert_allclose(value, x @ w[:, 1], rtol=1e-5)
    np.testing.assert_allclose(grad, np.tile(w[:, 1], (2, 1)), rtol=1e-5)  # each row its own output
    value, grad = cu.models.value_and_gradient(lambda t: keras.ops.sum(t**2, axis=1), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-5)
    assert grad.dtype == np.float32 and grad.shape == x.shape


def test_gradient_errors_are_clear():
    with pytest.raises(TypeError, match="must be a function"):
        cu.models.value_and_gradient(3, np.zeros(2))
    with pytest.raises(ValueError, match="finite numbers"):
        cu.models.value_and_gradient(lambda t: t, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="finite numbers"):
        cu.models.value_and_gradient(lambda t: t, np.array(["a"]))
    import keras

    with pytest.raises(ValueError, match="does not depend on `x`"):
        cu.models.value_and_gradient(lambda t: keras.ops.ones((2,)), np.zeros(2))


def test_overlay_heatmap_blends_and_resizes():
    image = np.zeros((8, 12, 3), dtype=np.uint8)
    heat = np.array([[0.0, 1.0], [0.0, 0.0]])
    out = cu.plots.overlay_heatmap(image, heat, alpha=1.0, cmap="gray")
    assert out.shape == (8, 12, 3) and out.dtype == np.float32
    assert out[0, -1].mean() > 0.9 and out[-1, 0].mean() < 0.1  # the hot corner is top-right
    np.testing.assert_allclose(cu.plots.overlay_heatmap(image, heat, alpha=0.0), 0.0)
    same = cu.plots.overlay_heatmap(np.full((4, 4), 0.5), 3 * heat + 1, alpha=1.0, cmap="gray")
    np.testing.assert_allclose(same, cu.plots.overlay_heatmap(np.full((4, 4), 0.5), heat, alpha=1.0, cmap="gray"))
    assert not np.any(np.isnan(cu.plots.overlay_heatmap(image, np.ones((3, 3)))))  # constant map: no division by 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image": np.zeros((4, 4, 2)), "heat": np.zeros((2, 2))}, "RGB"),
        ({"image": np.full((4, 4, 3), 2.0), "heat": np.zeros((2, 2))}, r"\[0, 1\]"),
        ({"image": np.zeros((4, 4, 3)), "heat": np.zeros(4)}, "2-D"),
        ({"image": np.zeros((4, 4, 3)), "heat": np.zeros((2, 2)), "alpha": 2}, "alpha"),
        ({"image": np.zeros((4, 4, 3)), "heat": np.full((2, 2), 3.0), "normalise": False}, "normalise=False"),
    ],
)
def test_overlay_heatmap_errors_say_what_to_pass(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cu.plots.overlay_heatmap(**kwargs)
