"""Cases for notebook 01: padding, convolution and pooling, forward and backward, in NumPy.

Every domain starts with the worked examples of the text (small, so a failure reads by hand), then the
cases that single out one mistake (non-square images and kernels, a stride of 3 with padding, dilation
with stride, one channel against several, integer inputs, defaults left out), then random ones.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

I5 = np.array([[1, 2, 0, 3, 1], [1, 0, 0, 2, 2], [2, 1, 2, 1, 1], [0, 0, 1, 0, 0], [1, 2, 1, 1, 1]], dtype=float)
K3 = np.array([[-1, 1, 2], [1, 1, 0], [-1, -2, 0]], dtype=float)
X4 = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1, 1, -2]], dtype=float)


EX = "examples"  # the worked examples of the text: their own check cell


def _size(n, f, p, s, d=1):
    return (n + 2 * p - d * (f - 1) - 1) // s + 1


# --------------------------------------------------------------------------- zero_pad


def zero_pad(rng):
    yield Gen("a 1x1 image, pad 1", (np.ones((1, 1, 1, 1)), 1), hint="zeros all around: shape (1, 3, 3, 1).")
    yield Gen(
        "a 2x3 image (not square), pad 1",
        (np.arange(1.0, 7.0).reshape(1, 2, 3, 1), 1),
        hint="pad axis 1 (height) and axis 2 (width), each on both sides.",
    )
    yield Gen(
        "2 images with 3 channels, pad 2",
        (rng.normal(size=(2, 3, 4, 3)), 2),
        hint="never pad the batch axis (0) or the channel axis (3).",
    )
    yield Gen(
        "pad 0: a new array equal to X",
        (rng.normal(size=(2, 2, 3, 2)), 0),
        hint="with pad 0 return a copy equal to X, not X itself.",
    )
    yield Gen("padding wider than the image", (rng.normal(size=(1, 1, 2, 1)), 4))
    yield Gen(
        "negative values stay as they are",
        (-np.abs(rng.normal(size=(1, 3, 2, 2))) - 1, 1),
        hint="the new pixels are 0, and the old ones are copied unchanged.",
    )
    yield Gen(
        "an 8-bit image",
        (rng.integers(0, 256, size=(1, 3, 4, 3)).astype(np.uint8), 2),
        hint="the new pixels are 0 whatever the dtype.",
    )
    yield Gen("pad given by keyword", (rng.normal(size=(2, 4, 2, 1)),), {"pad": 3})
    for _ in range(8):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=4))
        pad = int(rng.integers(0, 4))
        yield Gen(f"random X {shape}, pad {pad}", (rng.normal(size=shape), pad))


# --------------------------------------------------------------------------- conv_single_step


def conv_single_step(rng):
    a = np.array([[3, 2, 1], [1, 2, 3], [1, 1, 1]], dtype=float)[:, :, None]
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[:, :, None]
    yield Gen(
        "the Sobel example, bias 0",
        (a, sobel, np.zeros((1, 1, 1))),
        hint="multiply element-wise (a_slice * W) and sum everything; do not flip W; no matrix product.",
    )
    yield Gen("the Sobel example, bias 1.5", (a, sobel, np.full((1, 1, 1), 1.5)), hint="add the bias after the sum.")
    yield Gen("bias -2", (a, sobel, np.full((1, 1, 1), -2.0)), hint="add b (it may be negative), do not subtract it.")
    yield Gen(
        "a 2x3 slice with 2 channels",
        (rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2)), rng.normal(size=(1, 1, 1))),
        hint="sum over all three axes (height, width and channels).",
    )
    yield Gen("a 1x1x1 slice", (np.full((1, 1, 1), 3.0), np.full((1, 1, 1), -2.0), np.full((1, 1, 1), 0.5)))
    yield Gen("the bias as a plain number", (a, sobel, 0.25), hint="b may be a number or a (1, 1, 1) array.")
    yield Gen(
        "integer pixels, float weights",
        (rng.integers(0, 9, size=(3, 3, 2)), rng.normal(size=(3, 3, 2)), np.full((1, 1, 1), 0.1)),
    )
    yield Gen(
        "large values",
        (rng.normal(size=(3, 2, 3)) * 1e4, rng.normal(size=(3, 2, 3)), rng.normal(size=(1, 1, 1))),
        options={"rtol": 1e-7},
    )
    for _ in range(8):
        shape = tuple(int(v) for v in rng.integers(1, 5, size=3))
        yield Gen(f"random slice {shape}", (rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=(1, 1, 1))))


# --------------------------------------------------------------------------- conv_forward


def _conv_args(rng, m, n_H, n_W, c_prev, c, f_H, f_W, *, ints=False):
    A = (
        rng.integers(-4, 5, size=(m, n_H, n_W, c_prev)).astype(np.int64)
        if ints
        else rng.normal(size=(m, n_H, n_W, c_prev))
    )
    return A, rng.normal(size=(f_H, f_W, c_prev, c)), rng.normal(size=(1, 1, 1, c))


def conv_cases(rng):
    A5, W5, b0 = I5[None, :, :, None], K3[:, :, None, None], np.zeros((1, 1, 1, 1))
    yield Gen(
        "the 5x5 example, valid, stride 1",
        (A5, W5, b0),
        {"stride": 1, "pad": 0, "dilation": 1},
        hint="a true convolution flips the kernel; Keras and this course do not flip it.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, stride 2",
        (A5, W5, b0),
        {"stride": 2, "pad": 0, "dilation": 1},
        hint="the slice starts at row h*stride and column w*stride; n_H = (n + 2p - f) // s + 1.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, pad 1",
        (A5, W5, b0),
        {"stride": 1, "pad": 1, "dilation": 1},
        hint="pad height and width with zero_pad(A_prev, pad) before sliding the filter.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, dilation 2",
        (A5, W5, b0),
        {"stride": 1, "pad": 0, "dilation": 2},
        hint="with dilation d take every d-th pixel over a span of d*(f-1)+1 pixels.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, bias 0.5",
        (A5, W5, np.full((1, 1, 1, 1), 0.5)),
        {"stride": 1, "pad": 0},
        hint="add the filter's bias b[:, :, :, c] to every output value.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, 1x3 kernel",
        (A5, W5[:1], b0),
        {"stride": 1, "pad": 0},
        hint="kernels may be non-square: f_H = W.shape[0] for the height, f_W = W.shape[1] for the width.",
        group=EX,
    )
    yield Gen(
        "the 5x5 example, 3x1 kernel",
        (A5, W5[:, :1], b0),
        {"stride": 1, "pad": 0},
        hint="kernels may be non-square: f_H = W.shape[0] for the height, f_W = W.shape[1] for the width.",
        group=EX,
    )
    for gen in _generated(rng):
        gen.group = "generated"
        yield gen


def _generated(rng):
    yield Gen(
        "a 4x7 image (not square)",
        _conv_args(rng, 1, 4, 7, 1, 1, 3, 3),
        {"stride": 1, "pad": 0},
        hint="n_W comes from the width n_W_prev = A_prev.shape[2], n_H from the height.",
    )
    yield Gen(
        "2 input channels, 3 filters",
        _conv_args(rng, 1, 5, 5, 2, 3, 3, 3),
        {"stride": 1, "pad": 1},
        hint="a filter covers all input channels (sum over them); output channel c uses W[..., c] and b[..., c].",
    )
    yield Gen(
        "a batch of 3 images",
        _conv_args(rng, 3, 4, 4, 1, 2, 2, 2),
        {"stride": 1, "pad": 0},
        hint="loop over every image i of the batch.",
    )
    yield Gen(
        "stride 3 with pad 2, 2x3 kernel",
        _conv_args(rng, 1, 7, 6, 2, 2, 2, 3),
        {"stride": 3, "pad": 2},
        hint="pad first, then start the slice at h*stride; n_H = (n_H_prev + 2p - f_H) // s + 1.",
    )
    yield Gen(
        "stride 2 where (n + 2p - f) is odd",
        _conv_args(rng, 1, 6, 8, 1, 1, 3, 3),
        {"stride": 2, "pad": 0},
        hint="take the floor: the last incomplete window is dropped.",
    )
    yield Gen(
        "dilation 2 with stride 2 and pad 1",
        _conv_args(rng, 1, 8, 7, 2, 2, 3, 3),
        {"stride": 2, "pad": 1, "dilation": 2},
        hint="the span is d*(f-1)+1; the slice takes every d-th pixel.",
    )
    yield Gen("dilation 3, 2x2 kernel", _conv_args(rng, 2, 7, 8, 1, 2, 2, 2), {"stride": 1, "pad": 0, "dilation": 3})
    yield Gen(
        "kernel as large as the padded image",
        _conv_args(rng, 1, 3, 4, 2, 2, 5, 6),
        {"stride": 1, "pad": 1},
        hint="one position fits: the output is 1x1.",
    )
    yield Gen("a 1x1 kernel", _conv_args(rng, 2, 3, 5, 3, 2, 1, 1), {"stride": 1, "pad": 0})
    yield Gen(
        "integer pixels",
        _conv_args(rng, 1, 5, 4, 2, 2, 3, 2, ints=True),
        {"stride": 1, "pad": 1},
        hint="build Z as a float array (np.zeros(...)), not from the (integer) input.",
    )
    yield Gen(
        "dilation left to its default",
        _conv_args(rng, 1, 6, 5, 1, 2, 3, 3),
        {"stride": 2, "pad": 1},
        hint="dilation=1 by default.",
    )
    yield Gen(
        "stride and pad given by position",
        _conv_args(rng, 1, 5, 6, 1, 1, 2, 2) + (2, 1),
        hint="the arguments come in the order A_prev, W, b, stride, pad, dilation.",
    )
    for _ in range(12):
        m, c_prev, c = (int(v) for v in rng.integers(1, 4, size=3))
        f_H, f_W = (int(v) for v in rng.integers(1, 4, size=2))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.choice([1, 1, 2, 3]))
        n_H = int(rng.integers(max(1, d * (f_H - 1) + 1 - 2 * p), 9))
        n_W = int(rng.integers(max(1, d * (f_W - 1) + 1 - 2 * p), 9))
        yield Gen(
            f"A ({m}, {n_H}, {n_W}, {c_prev}), W ({f_H}, {f_W}, {c_prev}, {c}), stride {s}, pad {p}, dilation {d}",
            _conv_args(rng, m, n_H, n_W, c_prev, c, f_H, f_W),
            {"stride": s, "pad": p, "dilation": d},
        )


# --------------------------------------------------------------------------- pool_forward


def pool_forward(rng):
    A = X4[None, :, :, None]
    yield Gen(
        "the worked example, max",
        (A, 2, 2),
        {"mode": "max"},
        hint="take the max of each f x f window; the window starts at row h*stride.",
    )
    yield Gen("the worked example, average", (A, 2, 2), {"mode": "average"}, hint="take the mean of each f x f window.")
    yield Gen("the worked example, mode left to its default", (A, 2, 2), hint='mode="max" by default.')
    yield Gen(
        "only negative values, max",
        (-np.abs(rng.normal(size=(1, 4, 4, 1))) - 1, 2, 2),
        {"mode": "max"},
        hint="start from the window's own values (window.max()), not from 0.",
    )
    yield Gen(
        "3 channels with different values",
        (rng.normal(size=(1, 4, 4, 3)) + np.arange(3) * 5, 2, 2),
        {"mode": "max"},
        hint="pool each channel separately (never across channels).",
    )
    yield Gen(
        "a 4x6 image (not square)",
        (rng.normal(size=(1, 4, 6, 1)), 2, 2),
        {"mode": "average"},
        hint="n_W comes from the width: n_W = (n_W_prev - f) // s + 1.",
    )
    yield Gen(
        "overlapping windows: f 3, stride 1",
        (rng.normal(size=(1, 5, 6, 2)), 3, 1),
        {"mode": "max"},
        hint="the window is f wide, whatever the stride.",
    )
    yield Gen(
        "gaps: f 2, stride 3",
        (rng.normal(size=(2, 8, 7, 2)), 2, 3),
        {"mode": "average"},
        hint="the window starts at row h*stride and is f wide.",
    )
    yield Gen("a window as wide as the image", (rng.normal(size=(2, 6, 3, 2)), 3, 1), {"mode": "average"})
    yield Gen("f 1: the input itself", (rng.normal(size=(1, 3, 4, 2)), 1, 1), {"mode": "max"})
    yield Gen(
        "a batch of 3 images",
        (rng.normal(size=(3, 4, 4, 1)), 2, 2),
        {"mode": "max"},
        hint="pool every image of the batch.",
    )
    yield Gen(
        "integer values, average",
        (rng.integers(0, 10, size=(1, 4, 4, 1)), 2, 2),
        {"mode": "average"},
        hint="the average is a float: build A as a float array.",
    )
    yield Gen("stride given by keyword", (rng.normal(size=(1, 7, 5, 2)), 3), {"stride": 2, "mode": "max"})
    for _ in range(10):
        m, n_C = (int(v) for v in rng.integers(1, 4, size=2))
        f, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        n_H, n_W = (int(v) for v in rng.integers(f, 10, size=2))
        mode = str(rng.choice(["max", "average"]))
        yield Gen(
            f"A ({m}, {n_H}, {n_W}, {n_C}), f {f}, stride {s}, {mode}",
            (rng.normal(size=(m, n_H, n_W, n_C)), f, s),
            {"mode": mode},
        )


# --------------------------------------------------------------------------- conv_backward


def conv_backward(rng):
    def case(m, n_H, n_W, c_prev, c, f_H, f_W, s, p, d, kind, hint=""):
        A, W, b = _conv_args(rng, m, n_H, n_W, c_prev, c, f_H, f_W)
        dZ = rng.normal(size=(m, _size(n_H, f_H, p, s, d), _size(n_W, f_W, p, s, d), c))
        return Gen(kind, (dZ, (A, W, b, {"stride": s, "pad": p, "dilation": d})), hint=hint)

    yield case(
        1,
        3,
        3,
        1,
        1,
        3,
        3,
        1,
        0,
        1,
        "one position, one filter",
        "dA_prev[slice] += W * dZ, dW += a_slice * dZ, db += dZ.",
    )
    yield case(
        1,
        4,
        4,
        1,
        1,
        2,
        2,
        1,
        0,
        1,
        "overlapping positions",
        "add (+=) over all positions: inputs in several slices collect from each.",
    )
    yield case(
        1,
        4,
        4,
        1,
        2,
        3,
        3,
        1,
        1,
        1,
        "padding 1",
        "work on the padded input, then remove the padding from dA_prev_pad at the end.",
    )
    yield case(
        1, 5, 5, 2, 1, 3, 3, 2, 0, 1, "stride 2", "use the same slice as in conv_forward: it starts at h*stride."
    )
    yield case(1, 4, 6, 1, 1, 2, 3, 1, 0, 1, "non-square image and kernel", "f_H = W.shape[0], f_W = W.shape[1].")
    yield case(
        2, 4, 4, 2, 3, 2, 2, 1, 0, 1, "2 images, 2 channels, 3 filters", "db sums dZ over the batch, height and width."
    )
    yield case(1, 7, 7, 1, 1, 3, 3, 1, 1, 2, "dilation 2", "with dilation take every d-th pixel, as in conv_forward.")
    yield case(1, 8, 7, 2, 2, 2, 3, 3, 2, 1, "stride 3 with pad 2", "pad first; the slice starts at h*stride.")
    yield case(1, 8, 8, 1, 2, 2, 2, 2, 1, 3, "dilation 3 with stride 2")
    yield case(2, 3, 5, 3, 2, 1, 1, 1, 0, 1, "a 1x1 kernel")
    for _ in range(8):
        m, c_prev, c = (int(v) for v in rng.integers(1, 3, size=3))
        f_H, f_W = (int(v) for v in rng.integers(1, 4, size=2))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.choice([1, 1, 2]))
        n_H = int(rng.integers(max(1, d * (f_H - 1) + 1 - 2 * p), 8))
        n_W = int(rng.integers(max(1, d * (f_W - 1) + 1 - 2 * p), 8))
        yield case(
            m,
            n_H,
            n_W,
            c_prev,
            c,
            f_H,
            f_W,
            s,
            p,
            d,
            f"A ({m}, {n_H}, {n_W}, {c_prev}), W ({f_H}, {f_W}, {c_prev}, {c}), stride {s}, pad {p}, dilation {d}",
        )


# --------------------------------------------------------------------------- pool_backward


def pool_backward(rng):
    dA4 = np.array([[1, 2], [3, 4]], dtype=float)[None, :, :, None]
    distinct = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1.5, 1, -2]])[None, :, :, None]

    def unique(shape):  # all values different: no ties, one correct gradient
        return rng.permutation(int(np.prod(shape))).reshape(shape) / np.prod(shape) - 0.5

    def case(shape, f, s, mode, kind, hint=""):
        out = (shape[0], (shape[1] - f) // s + 1, (shape[2] - f) // s + 1, shape[3])
        return Gen(kind, (rng.normal(size=out), (unique(shape), {"f": f, "stride": s, "mode": mode})), hint=hint)

    yield Gen(
        "the worked example, average",
        (dA4, (X4[None, :, :, None], {"f": 2, "stride": 2, "mode": "average"})),
        hint="each of the f*f inputs of a window gets dA / (f*f).",
    )
    yield Gen(
        "the worked example without its tie, max",
        (dA4, (distinct, {"f": 2, "stride": 2, "mode": "max"})),
        hint="the whole dA of a window goes to the position of its maximum; the other inputs get 0.",
    )
    yield case((1, 4, 4, 2), 2, 2, "max", "2 channels, max", "find the maximum of each window and channel separately.")
    yield case((1, 6, 4, 1), 2, 2, "average", "a 6x4 input (not square), average")
    yield case(
        (1, 5, 5, 1),
        3,
        1,
        "max",
        "overlapping windows, max",
        "windows overlap (stride < f): an input collects (+=) from every window it is the maximum of.",
    )
    yield case(
        (1, 5, 6, 2),
        3,
        1,
        "average",
        "overlapping windows, average",
        "windows overlap: add (+=) the share of every window an input belongs to.",
    )
    yield case(
        (2, 7, 8, 1),
        2,
        3,
        "max",
        "gaps between windows (stride 3, f 2)",
        "rows and columns no window covers get 0; the window starts at row h*stride.",
    )
    yield case(
        (1, 7, 5, 2),
        3,
        2,
        "average",
        "uncovered last row and column",
        "dA_prev has the shape of A_prev, including rows and columns that no window covers (0 there).",
    )
    yield case((3, 4, 4, 1), 2, 2, "max", "a batch of 3")
    yield case((1, 3, 4, 2), 1, 1, "average", "f 1: dA passes through unchanged")
    for _ in range(8):
        m, n_C = (int(v) for v in rng.integers(1, 3, size=2))
        f, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        n_H, n_W = (int(v) for v in rng.integers(f, 9, size=2))
        mode = str(rng.choice(["max", "average"]))
        yield case((m, n_H, n_W, n_C), f, s, mode, f"A ({m}, {n_H}, {n_W}, {n_C}), f {f}, stride {s}, {mode}")


_CONV = dict(argnames=("A_prev", "W", "b"), select=0, returns="numpy", atol=1e-6, rtol=1e-5)

DOMAINS = {
    "zero_pad": Domain(
        zero_pad,
        argnames=("X", "pad"),
        returns="numpy",
        atol=0,
        rtol=0,
        hint="pad axes 1 and 2 only: ((0, 0), (pad, pad), (pad, pad), (0, 0)).",
    ),
    "conv_single_step": Domain(
        conv_single_step,
        argnames=("a_slice", "W", "b"),
        returns="number",
        atol=1e-6,
        rtol=1e-6,
        hint="sum(a_slice * W) + b, as one number.",
    ),
    "conv_forward": Domain(
        conv_cases,
        hint="compare with the hand examples; check the bias, the output size and the slice.",
        function="conv_forward",
        **_CONV,
    ),
    "pool_forward": Domain(
        pool_forward,
        argnames=("A_prev", "f", "stride"),
        select=0,
        returns="numpy",
        atol=1e-6,
        rtol=1e-6,
        hint="n_H = (n_H_prev - f) // s + 1; each channel separately.",
    ),
    "conv_backward": Domain(
        conv_backward,
        argnames=("dZ", "cache"),
        atol=1e-5,
        rtol=1e-5,
        hint="use the same slice as in conv_forward, add (+=) over all positions, and remove "
        "the padding from dA_prev_pad at the end.",
    ),
    "pool_backward": Domain(
        pool_backward,
        argnames=("dA", "cache"),
        returns="numpy",
        atol=1e-6,
        rtol=1e-6,
        hint="loop over the windows of dA and add each one's gradient to its inputs.",
    ),
    "conv_forward_fast": Domain(
        conv_cases,
        function="conv_forward_fast",
        hint="windows[:, ::s, ::s, :, ::d, ::d] pairs with W[i, j, c, :]; do not flip W; add b.",
        **_CONV,
    ),
}
