"""Cases for notebook 02: shifting images, counting parameters, and the two convnets of the lecture.

``shift_images`` starts with the text's worked example and one direction at a time (right, down, left, up),
then the cases that single out one mistake (channels, 8-bit pixels, shifts as large as the image, a size of
one, arguments by keyword), then random ones. The parameter counts start with the text's table. The two model
builders are compared by a fingerprint: the probe fills every weight with fixed numbers and runs the model on
digits in [0, 1] and on inputs with negative values and values far above 6 (so that ReLU, ReLU6, tanh, linear
and the pooling kinds give different outputs), and counts the parameters.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

EXAMPLE = np.array([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3]]])


# --------------------------------------------------------------------------- shift_images


def shift_images(rng):
    for gen in _shift_cases(rng):
        gen.options.setdefault("dtype", str(np.asarray(gen.args[0]).dtype))  # the result keeps X's dtype
        yield gen


def _shift_cases(rng):
    yield Gen(
        "the worked example: dx=1, dy=-1",
        (EXAMPLE, 1, -1),
        hint="dx moves the columns (right if > 0), dy the rows (down if > 0); nothing wraps around.",
    )
    yield Gen(
        "one column to the right (dx=1, dy=0)",
        (EXAMPLE, 1, 0),
        hint="out[:, i, j + dx] = X[:, i, j]: positive dx moves the content right, along axis 2 (the columns).",
    )
    yield Gen(
        "one row down (dx=0, dy=1)",
        (EXAMPLE, 0, 1),
        hint="out[:, i + dy, j] = X[:, i, j]: positive dy moves the content down, along axis 1 (the rows).",
    )
    yield Gen(
        "two columns to the left (dx=-2)",
        (EXAMPLE, -2, 0),
        hint="negative dx moves left; the uncovered columns on the right are 0 (np.roll would wrap them around).",
    )
    yield Gen(
        "one row up (dy=-1)",
        (EXAMPLE, 0, -1),
        hint="negative dy moves up; the uncovered bottom row is 0 (no wrap-around).",
    )
    yield Gen("no shift", (EXAMPLE, 0, 0), hint="with dx = dy = 0 return a new array equal to X (not X itself).")
    yield Gen(
        "images with channels (1, 2, 3, 2), dx=-1, dy=1",
        (np.arange(1, 13).reshape(1, 2, 3, 2), -1, 1),
        hint="axes 1 (rows) and 2 (columns) move; the channel axis (last) is not shifted.",
    )
    yield Gen(
        "8-bit pixels",
        (rng.integers(1, 256, size=(2, 3, 5)).astype(np.uint8), 2, -1),
        hint="np.zeros_like(X) keeps X's dtype: the result is uint8 too.",
    )
    yield Gen(
        "a shift as large as the width (dx = W)",
        (EXAMPLE, 4, 0),
        hint="a shift by the whole width (or more) leaves nothing: every pixel is 0.",
    )
    yield Gen(
        "a shift past the height (dy = -H - 2)",
        (EXAMPLE, 0, -5),
        hint="a shift by the whole height (or more) leaves nothing: every pixel is 0.",
    )
    yield Gen(
        "a shift past the width, to the left (dx = -W - 3)",
        (EXAMPLE, -7, 1),
        hint="a shift by the whole width (or more) leaves nothing: every pixel is 0.",
    )
    yield Gen("W - 1 columns to the left", (EXAMPLE, -3, 0), hint="only the last column is left, now first.")
    yield Gen(
        "a tall 7x3 image, dx=2, dy=-3",
        (rng.integers(1, 10, size=(1, 7, 3)), 2, -3),
        hint="H = X.shape[1] (rows) and W = X.shape[2] (columns) differ: use each for its own axis.",
    )
    yield Gen(
        "a wide 2x6 image, dx=-4, dy=1",
        (rng.integers(1, 10, size=(2, 2, 6)), -4, 1),
        hint="H = X.shape[1] (rows) and W = X.shape[2] (columns) differ: use each for its own axis.",
    )
    yield Gen("images of one row (H=1), dx=2", (rng.integers(1, 10, size=(2, 1, 5)), 2, 0))
    yield Gen("images of one row (H=1), dy=1", (rng.integers(1, 10, size=(2, 1, 5)), 0, 1))
    yield Gen("images of one column (W=1), dy=-2", (rng.integers(1, 10, size=(1, 4, 1)), 0, -2))
    yield Gen(
        "negative pixel values",
        (rng.integers(-9, 0, size=(1, 3, 4)), -1, -1),
        hint="copy the pixels unchanged, whatever their sign; only the uncovered ones are 0.",
    )
    yield Gen(
        "float32 colour images, both shifts negative",
        (rng.random((3, 5, 6, 3)).astype(np.float32), -2, -3),
    )
    yield Gen("shifts given by keyword", (rng.random((2, 4, 5)),), {"dx": 1, "dy": 2})
    yield Gen(
        "shifts given by keyword, in the other order",
        (rng.random((2, 5, 4)),),
        {"dy": -1, "dx": 3},
        hint="the arguments are X, dx, dy: dx for the columns, dy for the rows.",
    )
    for _ in range(10):
        m, H, W = (int(v) for v in rng.integers(1, 8, size=3))
        shape = (m, H, W) if rng.random() < 0.5 else (m, H, W, int(rng.integers(1, 4)))
        dx, dy = int(rng.integers(-W - 1, W + 2)), int(rng.integers(-H - 1, H + 2))
        yield Gen(f"random X {shape}, dx={dx}, dy={dy}", (rng.integers(1, 100, size=shape), dx, dy))


# --------------------------------------------------------------------------- count_params

CONV_HINT = "each filter has f*f*c_in weights and, with bias=True, one bias; there are c_out filters."


def count_conv_params(rng):
    yield Gen("Conv 3x3, 1 -> 32 channels (the table)", (3, 1, 32), hint=CONV_HINT)
    yield Gen(
        "Conv 5x5, 6 -> 16 channels (LeNet)",
        (5, 6, 16),
        hint="a filter covers every input channel: f*f*c_in weights, plus one bias per filter (not per channel).",
    )
    yield Gen("bias=False", (3, 1, 32), {"bias": False}, hint="without a bias there is no +1: c_out * f * f * c_in.")
    yield Gen("bias=False given by position", (3, 4, 8, False), hint="the fourth argument is bias.")
    yield Gen("bias=True given", (2, 3, 5), {"bias": True}, hint=CONV_HINT)
    yield Gen("a 1x1 convolution, 64 -> 32", (1, 64, 32))
    yield Gen("a 7x7 filter over 3 channels", (7, 3, 2), hint="f * f weights per channel (a square filter), not f.")
    yield Gen("one filter over one channel", (4, 1, 1))
    yield Gen("Conv 3x3, 32 -> 64 (the lecture's convnet)", (3, 32, 64))
    yield Gen("AlexNet's first layer, 11x11, 3 -> 96", (11, 3, 96))
    yield Gen("arguments by keyword", (), {"c_out": 8, "c_in": 16, "f": 3}, hint="keep the names f, c_in, c_out, bias.")
    for _ in range(10):
        f, c_in, c_out = (int(v) for v in rng.integers(1, 13, size=3))
        bias = bool(rng.random() < 0.5)
        yield Gen(f"f={f}, c_in={c_in}, c_out={c_out}, bias={bias}", (f, c_in, c_out, bias))


def count_dense_params(rng):
    yield Gen(
        "Dense 1200 -> 1200 (the table)",
        (1200, 1200),
        hint="one weight per (input, unit) pair plus one bias per unit: (n_in + 1) * n_out.",
    )
    yield Gen(
        "Dense 400 -> 120 (LeNet)",
        (400, 120),
        hint="one bias per unit (n_out biases), not one per input: (n_in + 1) * n_out.",
    )
    yield Gen("Dense 64 -> 10", (64, 10))
    yield Gen("one input, one unit", (1, 1))
    yield Gen("one unit", (9, 1))
    yield Gen("one input", (1, 7))
    yield Gen("arguments by keyword", (), {"n_out": 3, "n_in": 5}, hint="keep the names n_in and n_out.")
    for _ in range(10):
        n_in, n_out = (int(v) for v in rng.integers(1, 2000, size=2))
        yield Gen(f"n_in={n_in}, n_out={n_out}", (n_in, n_out))


# --------------------------------------------------------------------------- the two convnets


def _digits(rng, m=2):
    """Digit-like images in [0, 1] and wide-ranging inputs (negative, and far above 6), 2 decimals."""
    return np.round(rng.random((m, 28, 28, 1)), 2).tolist(), np.round(rng.normal(0, 6, (m, 28, 28, 1)), 2).tolist()


MODEL_HINT = (
    "ReLU after every convolution and hidden Dense layer (not tanh, sigmoid or ReLU6), max pooling (not average), "
    "softmax on Dense(10) at the end."
)


def build_lecture_convnet(rng):
    images, wide = _digits(rng)
    yield Gen("two images in [0, 1]", (), options={"x": images}, hint=MODEL_HINT)
    yield Gen(
        "inputs with negative values and values far above 6",
        (),
        options={"x": wide},
        hint="ReLU, not ReLU6 or a linear activation: the outputs differ once values pass 6 or go below 0. "
        + MODEL_HINT,
    )


def build_lenet5(rng):
    images, wide = _digits(rng)
    both = {"modes": ["inference", "training"]}
    yield Gen("dropout left to its default (0)", (), options={"x": images, **both}, hint=MODEL_HINT)
    yield Gen(
        "inputs with negative values and values far above 6",
        (),
        options={"x": wide, **both},
        hint="ReLU, not ReLU6 or a linear activation: the outputs differ once values pass 6 or go below 0. "
        + MODEL_HINT,
    )
    yield Gen(
        "dropout=0.0 given: the same network, no Dropout layer",
        (),
        {"dropout": 0.0},
        options={"x": images, **both},
        hint="with dropout 0 the network has no Dropout layer (in training mode too).",
    )
    yield Gen(
        "dropout=0.3 (inference mode: dropout does nothing)",
        (),
        {"dropout": 0.3},
        options={"x": wide},
        hint="dropout adds no parameters and changes nothing at inference; the rest of the network stays the same.",
    )
    yield Gen("dropout 0.5 given by position", (0.5,), options={"x": images}, hint="the only argument is dropout.")


MODEL_OPTIONS = {"modes": ["inference"]}

DOMAINS = {
    "shift_images": Domain(
        shift_images,
        argnames=("X", "dx", "dy"),
        returns="numpy",
        atol=0,
        rtol=0,
        options={"hint_dtype": "start from np.zeros_like(X): it keeps X's dtype (np.zeros(X.shape) is float64)."},
    ),
    "count_conv_params": Domain(count_conv_params, argnames=("f", "c_in", "c_out", "bias"), returns="pyint"),
    "count_dense_params": Domain(count_dense_params, argnames=("n_in", "n_out"), returns="pyint"),
    "build_lecture_convnet": Domain(
        build_lecture_convnet,
        probe="model",
        atol=1e-5,
        rtol=1e-4,
        options={
            **MODEL_OPTIONS,
            "hint_params": "the table: 3x3 'valid' convolutions, 2x2 pooling, Dense(64), Dense(10).",
        },
    ),
    "build_lenet5": Domain(
        build_lenet5,
        probe="model",
        atol=1e-5,
        rtol=1e-4,
        options={**MODEL_OPTIONS, "hint_params": "the table: padding 2, 5x5 'valid' convolutions, Dense 120, 84, 10."},
    ),
}
