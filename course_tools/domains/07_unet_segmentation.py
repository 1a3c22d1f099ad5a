"""Cases for notebook 07: the transposed convolution in NumPy, U-Net's two blocks and the whole U-Net, and the
per-class IoU and Dice of a segmentation.

``conv_transpose_2d`` starts with the cases that each single out one mistake, in the order a learner meets them: a
1x1 input (the output is the kernel scaled, unflipped), placements that touch without overlapping (the stride), the
worked example (overlaps sum), its cropped version (the padding), several channels (the kernel's layout), then
non-square inputs, batches, integer inputs, defaults left out and random cases. The blocks and the U-Net are compared
by their outputs with fixed weights (``probe="block"``/``"model"``) in inference and training mode (inference only
where Dropout makes training mode random), on inputs from negative to above 6 (ReLU6 is not ReLU), plus their
parameter counts. The metrics start with the worked example, then a class in the truth only, a class predicted only
(0, not NaN: issue 44), a class absent from both (NaN), batches of maps, 8-bit maps.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

W3 = np.array([[1.0, 2.0, 1.0], [2.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
X2 = np.array([[2.0, 1.0], [3.0, 2.0]])
ASYM = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])  # no symmetry: a flip shows


def _batch(rng, shape, scale=1.0):
    """A float32 batch ~ N(0, scale): negatives and, for scale >= 3, values above 6."""
    return (rng.normal(size=shape) * scale).astype(np.float32)


# --------------------------------------------------------------------------- conv_transpose_2d


def conv_transpose_2d(rng):
    yield Gen(
        "a 1x1 input, one channel: the output is x * w",
        (np.full((1, 1, 1, 1), 2.0), ASYM[:, :, None, None]),
        {"stride": 2, "pad": 0},
        hint="each input value scales the whole kernel as it is: do not flip w (no w[::-1, ::-1]); Keras' "
        "Conv2DTranspose does not flip it either.",
    )
    yield Gen(
        "a 2x2 input, stride 3 = f: placements side by side, no overlap",
        (X2[None, :, :, None], ASYM[:, :, None, None]),
        {"stride": 3, "pad": 0},
        hint="the block of x[i, j] has its top-left corner at (i * stride, j * stride); the output is "
        "(n - 1) * stride + f pixels wide.",
    )
    yield Gen(
        "the worked example, stride 2, pad 0",
        (X2[None, :, :, None], W3[:, :, None, None]),
        {"stride": 2, "pad": 0},
        hint="add (+=) each scaled kernel into the output: where placements overlap, their values sum.",
    )
    yield Gen(
        "the worked example, stride 2, pad 1",
        (X2[None, :, :, None], W3[:, :, None, None]),
        {"stride": 2, "pad": 1},
        hint="pad crops p rows and columns from each border of the full output: (n - 1) s - 2p + f pixels.",
    )
    yield Gen(
        "2 input channels, 3 output channels",
        (rng.normal(size=(1, 2, 2, 2)), rng.normal(size=(3, 3, 3, 2))),
        {"stride": 2, "pad": 0},
        hint="w[:, :, c, c_prev] is the kernel from input channel c_prev to output channel c (output channels "
        "first): output channel c sums x[i, j, c_prev] * w[:, :, c, c_prev] over c_prev.",
    )
    yield Gen(
        "a 2x4 input (not square)",
        (rng.normal(size=(1, 2, 4, 1)), rng.normal(size=(3, 3, 1, 1))),
        {"stride": 2, "pad": 0},
        hint="n_H and n_W separately: the output is ((n_H - 1) s - 2p + f) x ((n_W - 1) s - 2p + f).",
    )
    yield Gen(
        "a batch of 3",
        (rng.normal(size=(3, 2, 3, 2)), rng.normal(size=(2, 2, 2, 2))),
        {"stride": 2, "pad": 0},
        hint="every example of the batch, with its own input values.",
    )
    yield Gen(
        "stride and pad left to their defaults (1, 0)",
        (rng.normal(size=(1, 3, 3, 1)), rng.normal(size=(2, 2, 2, 1))),
        hint="stride=1 and pad=0 by default.",
    )
    yield Gen(
        "f=1, stride 2: rows and columns of zeros between the values",
        (rng.normal(size=(1, 3, 2, 2)), rng.normal(size=(1, 1, 1, 2))),
        {"stride": 2, "pad": 0},
        hint="pixels that no placement covers stay 0.",
    )
    yield Gen(
        "stride 3 with pad 2",
        (rng.normal(size=(2, 3, 2, 1)), rng.normal(size=(5, 5, 2, 1))),
        {"stride": 3, "pad": 2},
        hint="place at (i * stride, j * stride) first, then crop pad from each border.",
    )
    yield Gen(
        "f=4, stride 2, pad 1: the usual x2 upsampling",
        (rng.normal(size=(1, 3, 3, 2)), rng.normal(size=(4, 4, 2, 2))),
        {"stride": 2, "pad": 1},
    )
    yield Gen(
        "integer inputs",
        (rng.integers(-3, 4, size=(1, 2, 3, 1)), rng.integers(-2, 3, size=(3, 3, 2, 1))),
        {"stride": 2, "pad": 0},
        hint="return a float array: start from np.zeros(...), which is float64.",
    )
    yield Gen(
        "an 8-bit image (uint8), float kernel",
        (rng.integers(0, 256, size=(1, 3, 2, 2)).astype(np.uint8), rng.normal(size=(3, 3, 1, 2))),
        {"stride": 2, "pad": 1},
        hint="pixel values up to 255: compute in floats (np.asarray(x, dtype=np.float64)).",
    )
    yield Gen(
        "stride and pad given by position",
        (rng.normal(size=(1, 2, 2, 1)), rng.normal(size=(3, 3, 1, 1)), 2, 1),
        hint="the arguments come in the order x, w, stride, pad.",
    )
    yield Gen(
        "a 1x1 input with 3 channels, pad 1",
        (rng.normal(size=(2, 1, 1, 3)), rng.normal(size=(3, 3, 2, 3))),
        {"stride": 1, "pad": 1},
    )
    for _ in range(8):
        m, c_prev, c = (int(v) for v in rng.integers(1, 4, size=3))
        n_H, n_W = (int(v) for v in rng.integers(1, 5, size=2))
        f, s = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        p = int(rng.integers(0, min(2, ((min(n_H, n_W) - 1) * s + f - 1) // 2) + 1))
        yield Gen(
            f"x ({m}, {n_H}, {n_W}, {c_prev}), w ({f}, {f}, {c}, {c_prev}), stride {s}, pad {p}",
            (rng.normal(size=(m, n_H, n_W, c_prev)), rng.normal(size=(f, f, c, c_prev))),
            {"stride": s, "pad": p},
        )


# --------------------------------------------------------------------------- conv_block

CONV_BLOCK_ORDER = (
    "Conv2D(n_filters, 3, activation='relu', padding='same', kernel_initializer='he_normal'), BatchNormalization(), "
    "the same again, then Dropout(dropout_prob) if dropout_prob > 0, then MaxPooling2D(2) if max_pooling; return "
    "(next_layer, skip_connection), the skip being the output before the pooling. 'relu', not 'relu6' (no cap at 6)."
)


def conv_block(rng):
    def case(kind, x, n_filters, kwargs=None, hint="", extra=(), **options):
        return Gen(kind, (x, n_filters) + extra, kwargs or {}, hint=hint, options=options)

    yield case("an 8x8x3 input, 8 filters", _batch(rng, (2, 8, 8, 3)), 8, hint=CONV_BLOCK_ORDER)
    yield case(
        "max_pooling=False: next_layer is skip_connection",
        _batch(rng, (2, 4, 6, 2)),
        3,
        {"max_pooling": False},
        hint="without pooling, next_layer is the same tensor as skip_connection.",
    )
    yield case(
        "inputs up to about 15 (above 6)",
        _batch(rng, (2, 4, 4, 2), 5.0),
        3,
        hint="activation='relu' has no upper limit (not 'relu6'). " + CONV_BLOCK_ORDER,
    )
    yield case(
        "a 4x6 input (not square)",
        _batch(rng, (2, 4, 6, 3), 3.0),
        2,
        hint="padding='same' keeps 4x6; MaxPooling2D(2) halves it to 2x3.",
    )
    yield case(
        "a 5x5 input: the pooling rounds down",
        _batch(rng, (2, 5, 5, 1), 3.0),
        2,
        hint="MaxPooling2D(2) keeps floor(5 / 2) = 2 rows and columns.",
    )
    yield case(
        "dropout_prob=0.3 (inference mode: Dropout passes its input on)",
        _batch(rng, (2, 4, 4, 2), 3.0),
        3,
        {"dropout_prob": 0.3},
        hint="Dropout(dropout_prob) after the second batch norm and before the pooling; it changes nothing in "
        "inference mode.",
        modes=["inference"],
    )
    yield case(
        "dropout_prob=0.5, max_pooling=False",
        _batch(rng, (2, 3, 4, 2), 3.0),
        2,
        {"dropout_prob": 0.5, "max_pooling": False},
        modes=["inference"],
    )
    yield case("one image", _batch(rng, (1, 4, 4, 2), 3.0), 2)
    yield case("a 2x2 input, 1 filter", _batch(rng, (3, 2, 2, 3), 3.0), 1)
    yield case(
        "arguments by position",
        _batch(rng, (2, 4, 2, 2), 3.0),
        2,
        hint="the arguments come in the order inputs, n_filters, dropout_prob, max_pooling.",
        extra=(0.0, False),
    )
    for _ in range(4):
        h, w = (int(v) for v in 2 * rng.integers(1, 4, size=2))
        c, n = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        pooling = bool(rng.integers(0, 2))
        yield case(
            f"inputs (2, {h}, {w}, {c}), {n} filters, max_pooling={pooling}",
            _batch(rng, (2, h, w, c), float(rng.choice([1.0, 4.0]))),
            n,
            {"max_pooling": pooling},
        )


# --------------------------------------------------------------------------- upsampling_block

UP_ORDER = (
    "Conv2DTranspose(n_filters, 3, strides=2, padding='same') on expansive_input, Concatenate(axis=-1) of "
    "[that, contractive_input] in this order, then twice Conv2D(n_filters, 3, activation='relu', padding='same', "
    "kernel_initializer='he_normal') and BatchNormalization(). 'relu', not 'relu6' (no cap at 6)."
)


def upsampling_block(rng):
    def case(kind, shape, skip_channels, n_filters, scale=1.0, hint=""):
        m, h, w, c = shape
        return Gen(
            kind,
            (_batch(rng, shape, scale), _batch(rng, (m, 2 * h, 2 * w, skip_channels), scale), n_filters),
            hint=hint,
        )

    yield case("expansive (2, 2, 2, 8), contractive (2, 4, 4, 4), 4 filters", (2, 2, 2, 8), 4, 4, hint=UP_ORDER)
    yield case(
        "a skip with other channels than n_filters",
        (2, 2, 3, 4),
        3,
        5,
        hint="concatenate [upsampled, contractive_input] in this order: the first 3x3 convolution sees "
        "n_filters + n_C_skip channels.",
    )
    yield case(
        "inputs up to about 30 (above 6)",
        (2, 2, 3, 3),
        2,
        4,
        10.0,
        hint="activation='relu' has no upper limit (not 'relu6'), in both convolutions. " + UP_ORDER,
    )
    yield case(
        "a 1x3 input (not square) doubled to 2x6",
        (2, 1, 3, 2),
        2,
        3,
        3.0,
        hint="Conv2DTranspose with strides=2 and padding='same' doubles the height and the width.",
    )
    yield case("one image", (1, 2, 2, 3), 2, 2, 3.0)
    yield case("1 filter", (2, 2, 2, 2), 1, 1, 3.0)
    for _ in range(3):
        h, w = (int(v) for v in rng.integers(1, 4, size=2))
        c, skip, n = (int(v) for v in rng.integers(1, 5, size=3))
        yield case(
            f"expansive (2, {h}, {w}, {c}), skip channels {skip}, {n} filters",
            (2, h, w, c),
            skip,
            n,
            float(rng.choice([1.0, 4.0])),
        )


# --------------------------------------------------------------------------- build_unet

UNET_TABLE = (
    "follow the table: conv_block with F, 2F, 4F (dropout_prob in c3) and 8F filters (dropout_prob, "
    "max_pooling=False), then upsampling_block(c4, c3's skip, 4F), (u5, c2's skip, 2F), (u6, c1's skip, F), then "
    "Conv2D(n_classes, 1, padding='same') with no activation (logits)."
)


def build_unet(rng):
    def case(kind, input_shape, args, kwargs=None, hint="", scale=1.0, modes=("inference", "training")):
        x = np.round(rng.normal(size=(2,) + input_shape) * scale, 2)
        return Gen(
            kind, (input_shape,) + args, kwargs or {}, hint=hint, options={"x": x.tolist(), "modes": list(modes)}
        )

    yield case("a 16x16x1 input, 3 classes, 2 filters", (16, 16, 1), (3,), {"n_filters": 2}, hint=UNET_TABLE)
    yield case(
        "an 8x16x3 input (not square), 5 classes, 3 filters",
        (8, 16, 3),
        (5,),
        {"n_filters": 3},
        hint="use the input_shape and n_classes you are given. " + UNET_TABLE,
    )
    yield case(
        "inputs up to about 15 (above 6)",
        (16, 8, 2),
        (4,),
        {"n_filters": 2},
        scale=5.0,
        hint="activation='relu' everywhere (not 'relu6'); no activation on the last 1x1 convolution.",
    )
    yield case(
        "dropout_prob=0.3 (inference mode)",
        (16, 16, 1),
        (2,),
        {"n_filters": 2, "dropout_prob": 0.3},
        hint="dropout_prob goes to c3 and c4 only; Dropout changes nothing in inference mode.",
        modes=("inference",),
    )
    yield case(
        "n_filters and dropout_prob left to their defaults (16, 0.0)",
        (8, 8, 1),
        (2,),
        hint="n_filters=16 by default.",
        modes=("inference",),
    )
    yield case("arguments by position", (8, 8, 2), (3, 2, 0.0))
    for _ in range(2):
        h, w = (int(v) for v in 8 * rng.integers(1, 3, size=2))
        c, k, n = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        yield case(f"a {h}x{w}x{c} input, {k} classes, {n} filters", (h, w, c), (k,), {"n_filters": n}, scale=3.0)


# --------------------------------------------------------------------------- iou_per_class and dice_coefficient


def _metric_cases(rng, dice):
    what = "Dice" if dice else "IoU"
    formula = "2 |A & B| / (|A| + |B|)" if dice else "|A & B| / |A | B|"
    yield Gen(
        "the worked example",
        (np.array([0, 0, 1, 1, 1, 0]), np.array([0, 1, 1, 1, 0, 0]), 3),
        hint=f"{what}_k = {formula} for each class k; NaN for a class absent from both.",
    )
    yield Gen(
        "class 2 in the truth only",
        (np.array([[2, 2], [0, 0]]), np.array([[0, 0], [0, 0]]), 3),
        hint=f"a class in the truth but never predicted has {what} 0, not NaN.",
    )
    yield Gen(
        "class 2 predicted, absent from the truth",
        (np.array([0, 0, 1]), np.array([0, 2, 1]), 3),
        hint=f"a class predicted but absent from the truth has {what} 0: NaN only when it is absent from both.",
    )
    yield Gen(
        "classes absent from both: NaN",
        (np.array([1, 1, 3]), np.array([1, 3, 3]), 6),
        hint=f"np.nan for every class that appears neither in y_true nor in y_pred (0/0); {formula} for the others.",
    )
    yield Gen(
        "a perfect prediction",
        (np.array([[0, 1], [2, 1]]), np.array([[0, 1], [2, 1]]), 3),
        hint=f"{what} 1 for every class present.",
    )
    yield Gen(
        "a batch of two 1x2 maps",
        (np.array([[[0, 1]], [[1, 1]]]), np.array([[[0, 1]], [[0, 1]]]), 2),
        hint="count the pixels of all maps of the batch together (flatten everything).",
    )
    yield Gen(
        "8-bit maps",
        (rng.integers(0, 3, size=(4, 5)).astype(np.uint8), rng.integers(0, 3, size=(4, 5)).astype(np.uint8), 3),
        hint="labels of any integer dtype: compare them with == k and count the True values.",
    )
    yield Gen("all background", (np.zeros((3, 3), int), np.zeros((3, 3), int), 2))
    yield Gen("nothing right", (np.ones(5, int), np.zeros(5, int), 3))
    yield Gen("one pixel", (np.array([[1]]), np.array([[1]]), 2))
    for _ in range(6):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 4))))
        k = int(rng.integers(2, 7))
        truth = rng.integers(0, k, size=shape)
        pred = np.where(rng.random(shape) < 0.6, truth, rng.integers(0, k, size=shape))
        yield Gen(f"maps of shape {shape}, {k} classes", (truth, pred, k))


def iou_per_class(rng):
    yield from _metric_cases(rng, dice=False)


def dice_coefficient(rng):
    yield from _metric_cases(rng, dice=True)


_MAPS = dict(argnames=("y_true", "y_pred", "n_classes"), returns="numpy", dtype="float", atol=1e-12, rtol=1e-9)
_KERAS = dict(atol=1e-3, rtol=1e-3)

DOMAINS = {
    "conv_transpose_2d": Domain(
        conv_transpose_2d,
        argnames=("x", "w", "stride", "pad"),
        returns="numpy",
        dtype="float",
        atol=1e-9,
        rtol=1e-9,
        hint="place x[i, j, c_prev] * w[:, :, c, c_prev] with its top-left corner at (i * stride, j * stride), add "
        "(+=) the overlaps, then crop pad from each border.",
    ),
    "conv_block": Domain(
        conv_block,
        argnames=("inputs", "n_filters", "dropout_prob", "max_pooling"),
        probe="block",
        hint=CONV_BLOCK_ORDER,
        options={
            "output_names": ["next_layer", "skip_connection"],
            "hint_params": "two Conv2D(n_filters, 3) with biases, each followed by BatchNormalization (4 numbers "
            "per channel); Dropout and MaxPooling2D have no parameters.",
        },
        **_KERAS,
    ),
    "upsampling_block": Domain(
        upsampling_block,
        argnames=("expansive_input", "contractive_input", "n_filters"),
        probe="block",
        hint=UP_ORDER,
        options={
            "inputs": 2,
            "hint_params": "Conv2DTranspose(n_filters, 3) (9 * n_C_prev * n_filters + n_filters), then the first "
            "3x3 convolution sees n_filters + n_C_skip concatenated channels; each batch norm adds 4 * n_filters.",
        },
        **_KERAS,
    ),
    "build_unet": Domain(
        build_unet,
        argnames=("input_shape", "n_classes", "n_filters", "dropout_prob"),
        probe="model",
        hint=UNET_TABLE,
        options={"hint_params": UNET_TABLE},
        **_KERAS,
    ),
    "iou_per_class": Domain(iou_per_class, hint="|A_k & B_k| / |A_k | B_k| per class, NaN when 0/0.", **_MAPS),
    "dice_coefficient": Domain(
        dice_coefficient, hint="2 |A_k & B_k| / (|A_k| + |B_k|) per class, NaN when 0/0.", **_MAPS
    ),
}
