"""Cases for notebook 05: ResNet's blocks, the Inception module, the costs of standard and depthwise separable
convolutions, and MobileNet's block.

The blocks are compared by their outputs with fixed weights (``probe="block"``: every weight set from a generator
keyed by the layer's kind and the weight's shape, biases set to 0 so that a block with and one without biases
agree), in inference and in training mode, on inputs that span every activation's range (negatives, values above
6, so that ReLU6 is not ReLU), plus their parameter counts (with or without biases: both are accepted). Each
domain starts with the text's Try-it block, then the cases that single out one mistake (the argument ``f`` or
``s`` ignored, filters in another order, ReLU6, a 1x1 image, one image, non-square images, defaults left out),
then random ones.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen


def _batch(rng, shape, scale=1.0):
    """A float32 batch ~ N(0, scale): negatives and, for scale >= 3, values above 6."""
    return (rng.normal(size=shape) * scale).astype(np.float32)


# --------------------------------------------------------------------------- identity_block

IDENTITY_ORDER = (
    "order: Conv2D(F1, 1), BN, ReLU, Conv2D(F2, f, padding='same'), BN, ReLU, Conv2D(F3, 1), BN, "
    "then add x (layers.Add()), then one ReLU: none between the last BN and the addition. ReLU is layers.ReLU() "
    "or 'relu' (no cap at 6, not ReLU6)."
)
IDENTITY_PARAMS = (
    "three convolutions, 1x1 (F1), f x f (F2) and 1x1 (F3), each followed by BatchNormalization (4 numbers per "
    "channel); the same bias setting in all three (Keras' default biases, or use_bias=False)."
)


def _bottleneck_params(c, f, filters, projection=False):
    """(with biases, without biases) of a bottleneck block."""
    f1, f2, f3 = filters
    weights = c * f1 + f * f * f1 * f2 + f2 * f3 + (c * f3 if projection else 0)
    bn = 4 * (f1 + f2 + f3 + (f3 if projection else 0))
    biases = f1 + f2 + f3 + (f3 if projection else 0)
    return weights + bn + biases, weights + bn


def _block(kind, x, args, kwargs=None, hint="", projection=False, params_hint=False, **options):
    f, filters = (args[0], args[1]) if args else (kwargs["f"], kwargs["filters"])
    _, without = _bottleneck_params(x.shape[-1], f, filters, projection)
    options = {"params_also": [without], **({"hint_params": hint} if params_hint else {}), **options}
    return Gen(kind, (x,) + tuple(args), kwargs or {}, hint=hint, options=options)


def identity_block(rng):
    yield _block(
        "the Try-it block, inputs about -2 to 2",
        _batch(rng, (2, 6, 6, 8)),
        (3, (2, 3, 8)),
        hint=IDENTITY_ORDER,
    )
    yield _block(
        "f=5: a 5x5 middle convolution",
        _batch(rng, (2, 5, 5, 4)),
        (5, (3, 2, 4)),
        hint="the middle convolution is f x f (padding='same'): use the argument f, not 3.",
        params_hint=True,
    )
    yield _block(
        "F1, F2 and F3 all different",
        _batch(rng, (2, 4, 4, 3)),
        (3, (4, 2, 3)),
        hint="filters = (F1, F2, F3): F1 filters in the first 1x1 convolution, F2 in the f x f one, F3 in the last.",
        params_hint=True,
    )
    yield _block(
        "inputs up to about 15 (above 6)",
        _batch(rng, (2, 4, 5, 3), 5.0),
        (3, (2, 3, 3)),
        hint="ReLU has no upper limit: layers.ReLU() (or 'relu'), not ReLU6 or max_value=6. " + IDENTITY_ORDER,
    )
    yield _block(
        "only negative inputs",
        -np.abs(_batch(rng, (2, 3, 4, 2), 3.0)) - 0.5,
        (3, (3, 2, 2)),
        hint="the shortcut is x itself (not ReLU(x)), added after the last BN and before the last ReLU.",
    )
    yield _block("f=1", _batch(rng, (2, 4, 3, 3), 3.0), (1, (2, 2, 3)))
    yield _block(
        "a 3x7 image (not square)",
        _batch(rng, (2, 3, 7, 3), 3.0),
        (3, (2, 3, 3)),
        hint="padding='same' in the f x f convolution keeps the height and the width.",
    )
    yield _block("a 1x1 image", _batch(rng, (3, 1, 1, 4), 3.0), (3, (2, 2, 4)))
    yield _block("one image", _batch(rng, (1, 4, 4, 2), 3.0), (3, (3, 3, 2)))
    yield _block("f and filters given by keyword", _batch(rng, (2, 3, 3, 3), 3.0), (), {"f": 3, "filters": (2, 4, 3)})
    for _ in range(6):
        c = int(rng.integers(1, 6))
        f = int(rng.choice([1, 3, 5]))
        filters = (int(rng.integers(1, 5)), int(rng.integers(1, 5)), c)
        h, w = (int(v) for v in rng.integers(1, 7, size=2))
        scale = float(rng.choice([1.0, 4.0]))
        yield _block(f"x (2, {h}, {w}, {c}), f={f}, filters={filters}", _batch(rng, (2, h, w, c), scale), (f, filters))


# --------------------------------------------------------------------------- convolutional_block


def convolutional_block_stride_in_middle(x, f, filters, s=2):
    """ResNet v1.5, which the text accepts: the stride on the f x f convolution instead of the first 1x1."""
    from keras import layers

    f1, f2, f3 = filters
    shortcut = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, strides=s, padding="same")(x)))
    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
    return layers.ReLU()(layers.Add()([x, shortcut]))


PROJECTION_ORDER = (
    "main path: Conv2D(F1, 1, strides=s), BN, ReLU, Conv2D(F2, f, padding='same'), BN, ReLU, Conv2D(F3, 1), BN; "
    "shortcut: Conv2D(F3, 1, strides=s), BN; add the two, then one ReLU (layers.ReLU(): no cap at 6)."
)
PROJECTION_PARAMS = (
    "main path: convolutions 1x1 (F1), f x f (F2), 1x1 (F3), each followed by BatchNormalization; shortcut: "
    "Conv2D(F3, 1, strides=s) and its own BatchNormalization; the same bias setting in all four convolutions."
)


def convolutional_block(rng):
    def case(kind, x, f, filters, s=None, hint="", params_hint=False):
        kwargs = {} if s is None else {"s": s}
        return _block(kind, x, (f, filters), kwargs, hint=hint, projection=True, params_hint=params_hint)

    yield case("the Try-it block, s=2", _batch(rng, (2, 8, 8, 3)), 3, (4, 5, 6), 2, hint=PROJECTION_ORDER)
    yield case(
        "s left to its default (2)",
        _batch(rng, (2, 6, 6, 3)),
        3,
        (2, 3, 4),
        hint="s=2 by default; the output has ceil(n_H / s) rows.",
    )
    yield case(
        "s=3",
        _batch(rng, (2, 9, 6, 2)),
        3,
        (3, 4, 5),
        3,
        hint="use the argument s (not 2) for both strides: the first 1x1 convolution's and the shortcut's.",
    )
    yield case(
        "s=1: no downsampling",
        _batch(rng, (2, 5, 5, 3)),
        3,
        (2, 4, 7),
        1,
        hint="with s=1 the shape stays; the shortcut is still Conv2D(F3, 1) and BN (F3 differs from n_C).",
    )
    yield case(
        "f=5",
        _batch(rng, (2, 6, 6, 2)),
        5,
        (2, 3, 4),
        2,
        hint="the middle convolution is f x f (padding='same'): use the argument f.",
        params_hint=True,
    )
    yield case(
        "F1, F2 and F3 all different",
        _batch(rng, (2, 4, 4, 2)),
        3,
        (5, 2, 3),
        2,
        hint="filters = (F1, F2, F3) in this order; the shortcut has F3 filters.",
        params_hint=True,
    )
    yield case(
        "a 7x7 image, s=2: ceil(7 / 2) = 4",
        _batch(rng, (2, 7, 7, 4), 3.0),
        3,
        (2, 2, 8),
        2,
        hint="a 1x1 convolution with stride 2 keeps rows 0, 2, 4, 6: 4 rows.",
    )
    yield case(
        "inputs up to about 15 (above 6)",
        _batch(rng, (2, 4, 6, 3), 5.0),
        3,
        (3, 2, 4),
        2,
        hint="ReLU has no upper limit: layers.ReLU() (or 'relu'), not ReLU6. " + PROJECTION_ORDER,
    )
    yield case("a 4x9 image (not square), s=2", _batch(rng, (2, 4, 9, 2), 3.0), 3, (2, 3, 3), 2)
    yield case("a 1x1 image, s=2", _batch(rng, (3, 1, 1, 3), 3.0), 3, (2, 2, 4), 2)
    yield case("one image", _batch(rng, (1, 6, 4, 2), 3.0), 3, (2, 3, 3), 2)
    for _ in range(5):
        c = int(rng.integers(1, 5))
        f = int(rng.choice([1, 3, 5]))
        filters = tuple(int(v) for v in rng.integers(1, 6, size=3))
        s = int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(1, 8, size=2))
        scale = float(rng.choice([1.0, 4.0]))
        yield case(
            f"x (2, {h}, {w}, {c}), f={f}, filters={filters}, s={s}", _batch(rng, (2, h, w, c), scale), f, filters, s
        )


# --------------------------------------------------------------------------- inception_module

INCEPTION_ORDER = (
    "four branches, every Conv2D with padding='same' and activation='relu': 1x1 (n1x1); 1x1 (n3x3_reduce) then "
    "3x3 (n3x3); 1x1 (n5x5_reduce) then 5x5 (n5x5); MaxPooling2D(3, strides=1, padding='same') then 1x1 (pool_proj); "
    "Concatenate() in the order 1x1, 3x3, 5x5, pool."
)
INCEPTION_PARAMS = (
    "1x1 reductions (n3x3_reduce, n5x5_reduce) before the 3x3 and 5x5 convolutions, a 1x1 projection (pool_proj) "
    "after the pooling; the same bias setting in all six convolutions."
)


def _inception_params(c, config):
    n1, r3, n3, r5, n5, pp = config
    weights = c * n1 + c * r3 + 9 * r3 * n3 + c * r5 + 25 * r5 * n5 + c * pp
    return weights + n1 + r3 + n3 + r5 + n5 + pp, weights


def inception_module(rng):
    def case(kind, x, config, hint="", **options):
        _, without = _inception_params(x.shape[-1], config)
        return Gen(kind, (x,) + tuple(config), hint=hint, options={"params_also": [without], **options})

    yield case(
        "module 3a of GoogLeNet on a 2x2 image",
        _batch(rng, (1, 2, 2, 192)),
        (64, 96, 128, 16, 32, 32),
        hint=INCEPTION_ORDER,
        modes=["inference"],
    )
    yield case(
        "every branch a different size",
        _batch(rng, (2, 5, 6, 4)),
        (3, 2, 4, 1, 5, 2),
        hint="n3x3_reduce feeds the 3x3 convolution, n5x5_reduce the 5x5 one; concatenate in the order "
        "1x1, 3x3, 5x5, pool; pool with MaxPooling2D(3, strides=1, padding='same').",
        hint_params="n3x3_reduce filters feed the 3x3 convolution, n5x5_reduce the 5x5 one; " + INCEPTION_PARAMS,
    )
    yield case(
        "inputs up to about 30 (above 6)",
        _batch(rng, (2, 5, 5, 3), 10.0),
        (2, 3, 2, 3, 2, 2),
        hint="activation='relu' has no upper limit (not 'relu6'); a ReLU after every convolution, the 1x1 "
        "reductions too.",
    )
    yield case(
        "only negative inputs",
        -np.abs(_batch(rng, (2, 4, 5, 2), 3.0)) - 0.5,
        (2, 2, 2, 2, 2, 3),
        hint="max pooling (MaxPooling2D, not AveragePooling2D), size 3, strides=1, padding='same', before its 1x1 "
        "convolution.",
    )
    yield case("a 7x3 image (not square)", _batch(rng, (2, 7, 3, 3), 3.0), (2, 3, 2, 1, 2, 2))
    yield case("a 1x1 image", _batch(rng, (2, 1, 1, 5), 3.0), (1, 2, 3, 2, 1, 2))
    for _ in range(5):
        c = int(rng.integers(1, 7))
        config = tuple(int(v) for v in rng.integers(1, 5, size=6))
        h, w = (int(v) for v in rng.integers(1, 8, size=2))
        scale = float(rng.choice([1.0, 4.0]))
        yield case(f"x (2, {h}, {w}, {c}), {', '.join(map(str, config))}", _batch(rng, (2, h, w, c), scale), config)


# --------------------------------------------------------------------------- conv_cost and separable_conv_cost


def conv_cost(rng):
    yield Gen(
        "the worked example",
        (3, 3, 5, 4),
        hint="mult-adds D_K^2 * M * N * D_F^2 (D_F = 4, the output side), params D_K^2 * M * N; no biases.",
    )
    yield Gen("Table 3, row 1", (3, 512, 512, 14), hint="462 million mult-adds, 2.36 million parameters.")
    yield Gen("M and N different", (3, 2, 7, 5), hint="M input channels times N filters.")
    yield Gen("D_K and D_F different", (5, 2, 3, 3), hint="D_K squared for the filter, D_F squared for the output.")
    yield Gen("D_F = 1", (3, 4, 6, 1), hint="one output position: mult-adds = params.")
    yield Gen("D_K = 1", (1, 192, 16, 28), hint="a 1x1 convolution: D_K^2 = 1.")
    yield Gen("one channel, one filter", (2, 1, 1, 3))
    yield Gen("a large layer", (7, 3, 64, 112))
    for _ in range(6):
        yield Gen(
            "random", tuple(int(v) for v in (rng.integers(1, 8), *rng.integers(1, 600, size=2), rng.integers(1, 60)))
        )


def separable_conv_cost(rng):
    yield Gen(
        "the worked example",
        (3, 3, 5, 4),
        hint="depthwise D_K^2 * M * D_F^2 (432) plus pointwise M * N * D_F^2 (240); params D_K^2 * M + M * N; "
        "no biases.",
    )
    yield Gen("Table 3, row 2", (3, 512, 512, 14), hint="52.3 million mult-adds, 0.27 million parameters.")
    yield Gen("Table 3, row 4 (D_F = 10)", (3, 384, 384, 10), hint="15.1 million mult-adds, 0.15 million parameters.")
    yield Gen(
        "M and N different",
        (3, 2, 7, 5),
        hint="depthwise: one D_K x D_K filter per input channel (D_K^2 * M, not times N); pointwise M * N.",
    )
    yield Gen("D_K and D_F different", (5, 2, 3, 3), hint="D_K squared for the filter, D_F squared for the output.")
    yield Gen("D_F = 1", (3, 4, 6, 1), hint="one output position: mult-adds = params.")
    yield Gen("D_K = 1", (1, 4, 4, 9))
    yield Gen("one channel, one filter", (7, 1, 1, 1))
    for _ in range(6):
        yield Gen(
            "random", tuple(int(v) for v in (rng.integers(1, 8), *rng.integers(1, 600, size=2), rng.integers(1, 60)))
        )


# --------------------------------------------------------------------------- depthwise_separable_block

SEPARABLE_ORDER = (
    "DepthwiseConv2D(3, strides=stride, padding='same'), BN, ReLU, Conv2D(int(alpha * n_filters), 1), BN, ReLU "
    "(layers.ReLU(): no cap at 6)."
)
SEPARABLE_PARAMS = (
    "DepthwiseConv2D(3) (9 weights per input channel), BN, Conv2D(int(alpha * n_filters), 1), BN; use_bias=False in "
    "both convolutions, or biases in both."
)


def depthwise_separable_block(rng):
    def case(kind, x, n_filters, stride, alpha=None, hint="", params_hint=False):
        c, n_out = x.shape[-1], int((1.0 if alpha is None else alpha) * n_filters)
        without = 9 * c + c * n_out + 4 * (c + n_out)
        kwargs = {} if alpha is None else {"alpha": alpha}
        options = {"params_also": [without + c + n_out], **({"hint_params": hint} if params_hint else {})}
        return Gen(kind, (x, n_filters, stride), kwargs, hint=hint, options=options)

    yield case("the Try-it block on a 4x4 image", _batch(rng, (2, 4, 4, 32)), 64, 2, 0.75, hint=SEPARABLE_ORDER)
    yield case(
        "alpha left to its default (1.0)",
        _batch(rng, (2, 4, 4, 3)),
        5,
        1,
        hint="alpha=1.0 by default: int(alpha * n_filters) pointwise filters.",
        params_hint=True,
    )
    yield case(
        "alpha * n_filters = 7.5",
        _batch(rng, (2, 4, 4, 6)),
        10,
        2,
        0.75,
        hint="int(alpha * n_filters) rounds down: int(7.5) == 7 (round(7.5) is 8).",
        params_hint=True,
    )
    yield case(
        "stride 1",
        _batch(rng, (2, 5, 4, 3)),
        4,
        1,
        1.0,
        hint="the stride belongs to the depthwise convolution; with stride 1 the size stays.",
    )
    yield case(
        "stride 2 on a 5x5 image",
        _batch(rng, (2, 5, 5, 2)),
        6,
        2,
        0.5,
        hint="the stride belongs to the depthwise convolution (padding='same': ceil(5 / 2) = 3).",
    )
    yield case(
        "inputs up to about 15 (above 6)",
        _batch(rng, (2, 4, 4, 3), 5.0),
        4,
        1,
        1.0,
        hint="ReLU has no upper limit: layers.ReLU(), not ReLU6. " + SEPARABLE_ORDER,
    )
    yield case("a 3x6 image (not square)", _batch(rng, (2, 3, 6, 2), 3.0), 6, 2, 1.0)
    yield case("a 1x1 image", _batch(rng, (3, 1, 1, 4), 3.0), 4, 2, 0.5)
    yield case("one image", _batch(rng, (1, 4, 4, 3), 3.0), 4, 1, 1.0)
    for _ in range(5):
        c, n_filters = int(rng.integers(1, 6)), int(rng.integers(2, 10))
        stride, alpha = int(rng.integers(1, 3)), float(rng.choice([0.25, 0.5, 0.75, 1.0]))
        n_filters = max(n_filters, int(np.ceil(1 / alpha)))
        h, w = (int(v) for v in rng.integers(1, 7, size=2))
        scale = float(rng.choice([1.0, 4.0]))
        yield case(
            f"x (2, {h}, {w}, {c}), {n_filters}, stride={stride}, alpha={alpha}",
            _batch(rng, (2, h, w, c), scale),
            n_filters,
            stride,
            alpha,
        )


def _block_options(hint_params):
    return dict(probe="block", atol=2e-4, rtol=2e-4, options={"zero_bias": True, "hint_params": hint_params})


_COST = dict(
    argnames=("d_k", "m", "n", "d_f"),
    returns="tuple",
    atol=0,
    rtol=0,
    options={"items": "pyint", "hint_items": "int(...) turns a float or a NumPy integer into a Python int."},
)

DOMAINS = {
    "identity_block": Domain(
        identity_block,
        argnames=("x", "f", "filters"),
        hint=IDENTITY_ORDER,
        **_block_options(IDENTITY_PARAMS),
    ),
    "convolutional_block": Domain(
        convolutional_block,
        argnames=("x", "f", "filters", "s"),
        hint=PROJECTION_ORDER,
        alternatives=(convolutional_block_stride_in_middle,),
        **_block_options(PROJECTION_PARAMS),
    ),
    "inception_module": Domain(
        inception_module,
        argnames=("x", "n1x1", "n3x3_reduce", "n3x3", "n5x5_reduce", "n5x5", "pool_proj"),
        hint=INCEPTION_ORDER,
        **_block_options(INCEPTION_PARAMS),
    ),
    "conv_cost": Domain(conv_cost, hint="(D_K^2 * M * N * D_F^2, D_K^2 * M * N) as Python ints; no biases.", **_COST),
    "separable_conv_cost": Domain(
        separable_conv_cost,
        hint="(D_K^2 * M * D_F^2 + M * N * D_F^2, D_K^2 * M + M * N) as Python ints; no biases.",
        **_COST,
    ),
    "depthwise_separable_block": Domain(
        depthwise_separable_block,
        argnames=("x", "n_filters", "stride", "alpha"),
        hint=SEPARABLE_ORDER,
        **_block_options(SEPARABLE_PARAMS),
    ),
}
