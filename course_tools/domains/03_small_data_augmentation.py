"""Cases for notebook 03: augmentation by hand, the regularised convnet, and steps per epoch.

``augment_batch`` is random: of its outputs only what every draw gives is stored here (at zero strength the
batch comes back unchanged; an all-black batch stays black whatever the angle and the shift), which checks the
contract on every kind of batch (float32 and float64, one image, non-square images, arguments by keyword): a
new array of X's dtype, X unchanged. The distribution of the angles and shifts is checked in the notebook, by
measuring them. The convnet is compared by a fingerprint (every weight set to fixed numbers by the probe) on
inputs with negative values and values far above 6, in inference mode, and in training mode where the dropout
rate is 0 (a random dropout mask cannot be stored). ``steps_per_epoch`` starts with the text's examples.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

# --------------------------------------------------------------------------- augment_batch

ZERO_HINT = "at zero strength nothing may change: no flip, blur or noise; return a new array of X's dtype."


def augment_batch(rng):
    for gen in _augment_cases(rng):
        gen.options.setdefault("dtype", str(np.asarray(gen.args[0]).dtype))  # the result keeps X's dtype
        yield gen


def _digits(rng, m, H, W, dtype="float32"):
    """Grey images in [0, 1] with a bright stroke, 0 and 1 exactly included."""
    X = np.round(rng.random((m, H, W)) * 0.3, 3)
    X[:, H // 4 : H - H // 4, W // 2] = 1.0
    return X.astype(dtype)


def _augment_cases(rng):
    yield Gen(
        "zero strength (max_shift=0, max_rotation_deg=0): the batch comes back unchanged",
        (_digits(rng, 3, 8, 8), 0, 0, 0),
        hint=ZERO_HINT,
    )
    yield Gen("zero strength, float64 images", (_digits(rng, 2, 7, 7, "float64"), 1, 0.0, 0.0), hint=ZERO_HINT)
    yield Gen("zero strength, one image", (_digits(rng, 1, 9, 9), 2, 0, 0), hint=ZERO_HINT)
    yield Gen(
        "zero strength, non-square 6x11 images",
        (_digits(rng, 2, 6, 11), 3, 0, 0),
        hint="images may be non-square: rotate with reshape=False so each keeps its shape (H, W).",
    )
    yield Gen("zero strength, by keyword", (_digits(rng, 2, 5, 8), 4), {"max_shift": 0, "max_rotation_deg": 0})
    yield Gen(
        "an all-black batch (max_shift=3, max_rotation_deg=40): black whatever the draw",
        (np.zeros((4, 10, 12), "float32"), 5, 3.0, 40.0),
        hint="the pixels uncovered by a rotation or a shift are filled with 0 (mode='constant', cval=0).",
    )
    yield Gen(
        "an all-black batch, float64, one image",
        (np.zeros((1, 9, 7)), 6, 2.0, 15.0),
        hint="the pixels uncovered by a rotation or a shift are filled with 0 (mode='constant', cval=0).",
    )
    yield Gen("an all-black batch, the defaults (2 pixels, 15 degrees)", (np.zeros((3, 8, 8), "float32"), 7))


# --------------------------------------------------------------------------- build_regularised_convnet


def _inputs(rng, shape, m=2, wide=False):
    x = rng.normal(0, 6, (m,) + tuple(shape)) if wide else rng.random((m,) + tuple(shape))
    return np.round(x, 1).tolist()


NET_HINT = (
    "Conv2D(8, 3, relu), MaxPooling2D(2), Conv2D(16, 3, relu), MaxPooling2D(2), Flatten, Dropout(dropout_rate), "
    "Dense(64, relu), Dense(n_classes, softmax)."
)
BOTH = ["inference", "training"]


def build_regularised_convnet(rng):
    yield Gen(
        "the defaults: (28, 28, 1) images, 10 classes, rate 0.5 (inference mode)",
        (),
        options={"x": _inputs(rng, (28, 28, 1))},
        hint=NET_HINT,
    )
    yield Gen(
        "inputs with negative values and values far above 6",
        ((28, 28, 1), 10, 0.5),
        options={"x": _inputs(rng, (28, 28, 1), wide=True)},
        hint="ReLU (not ReLU6, tanh or none) and max pooling: the outputs differ once values pass 6 or go below 0. "
        + NET_HINT,
    )
    yield Gen(
        "rate 0: training mode gives the inference outputs",
        ((28, 28, 1), 10, 0.0),
        options={"x": _inputs(rng, (28, 28, 1)), "modes": BOTH},
        hint="with dropout_rate 0 the Dropout layer changes nothing, in training mode too.",
    )
    yield Gen(
        "colour 20x20 images, 4 classes, rate 0.2",
        ((20, 20, 3), 4, 0.2),
        options={"x": _inputs(rng, (20, 20, 3), wide=True)},
        hint="use input_shape for keras.Input and n_classes for the last Dense layer.",
    )
    yield Gen(
        "non-square 25x31 images with 2 channels, 2 classes, rate 0",
        ((25, 31, 2), 2, 0.0),
        options={"x": _inputs(rng, (25, 31, 2), wide=True), "modes": BOTH},
        hint="use input_shape for keras.Input and n_classes for the last Dense layer.",
    )
    yield Gen(
        "arguments by keyword, 5 classes",
        (),
        {"n_classes": 5, "dropout_rate": 0.25, "input_shape": (16, 12, 3)},
        options={"x": _inputs(rng, (16, 12, 3), wide=True)},
        hint="keep the argument names input_shape, n_classes and dropout_rate.",
    )


# --------------------------------------------------------------------------- steps_per_epoch

CEIL = "the last, smaller batch counts too: round up (math.ceil(m / B)), not down (//) nor to the nearest."


def steps_per_epoch(rng):
    yield Gen("2000 examples in batches of 20 (exact)", (2000, 20), hint="m / B when B divides m: 100, no more.")
    yield Gen("2001 examples in batches of 20", (2001, 20), hint=CEIL)
    yield Gen("100 examples in batches of 32", (100, 32), hint=CEIL)
    yield Gen("2009 examples in batches of 20 (100.45 batches)", (2009, 20), hint=CEIL)
    yield Gen("fewer examples than a batch", (19, 20), hint="one smaller batch: 1 step.")
    yield Gen("no examples", (0, 8), hint="no examples, no batches: 0 steps.")
    yield Gen("batches of one", (7, 1))
    yield Gen("one example", (1, 1))
    yield Gen("MNIST's 60,000 in batches of 128", (60000, 128))
    yield Gen("arguments by keyword", (), {"batch_size": 32, "n_examples": 4001}, hint=CEIL)
    for _ in range(8):
        b = int(rng.integers(1, 300))
        n = int(rng.integers(0, 100000))
        yield Gen(f"{n} examples in batches of {b}", (n, b))


DOMAINS = {
    "augment_batch": Domain(
        augment_batch,
        argnames=("X", "rng", "max_shift", "max_rotation_deg"),
        returns="numpy",
        atol=1e-6,
        rtol=0,
        options={"rng_args": [1], "hint_dtype": "keep X's dtype: np.empty_like(X), or .astype(X.dtype) at the end."},
    ),
    "build_regularised_convnet": Domain(
        build_regularised_convnet,
        probe="model",
        atol=1e-5,
        rtol=1e-4,
        options={"modes": ["inference"], "hint_params": "the layers of the text: " + NET_HINT},
    ),
    "steps_per_epoch": Domain(steps_per_epoch, argnames=("n_examples", "batch_size"), returns="pyint"),
}
