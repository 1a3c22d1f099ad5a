"""Cases for notebook 09: the costs of neural style transfer, on backend tensors with their gradients.

Every function here feeds the optimisation of the pixels, so every case is probed on float32 backend tensors
(probe ``"tensor"``): the value and the gradient with respect to the activations are compared, and a result
that is not a tensor (NumPy, ``float()``) fails. Each domain starts with the worked examples of the text, then
the cases that single out one mistake (non-square maps, one channel, weights that do not sum to 1, the
defaults left out), then random ones.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

RETURN_HINT = "stay on backend tensors (keras.ops), so that gradients can flow back to the pixels."


def _scalar(value):
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------------- total_cost


def total_cost(rng):
    yield Gen(
        "the worked example, alpha=10, beta=40",
        (_scalar(2.0), _scalar(3.0)),
        {"alpha": 10.0, "beta": 40.0},
        hint="alpha * J_content + beta * J_style: 10 * 2 + 40 * 3 = 140.",
    )
    yield Gen(
        "alpha=1, beta=1000 given by position",
        (_scalar(2.0), _scalar(3.0), 1.0, 1000.0),
        hint="use the alpha and beta you are given, not fixed numbers (10 and 40 are only the defaults).",
    )
    yield Gen(
        "J_style = 0: only the content term is left",
        (_scalar(2.0), _scalar(0.0), 3.0, 5.0),
        hint="alpha multiplies J_content (here 3 * 2 = 6); beta goes with J_style; add the two terms, do not "
        "multiply them or divide by alpha + beta.",
    )
    yield Gen(
        "J_content = 0: only the style term is left",
        (_scalar(0.0), _scalar(4.0), 3.0, 5.0),
        hint="beta multiplies J_style (here 5 * 4 = 20): the style term must be part of the sum.",
    )
    yield Gen(
        "alpha and beta left to their defaults (10 and 40)",
        (_scalar(0.5), _scalar(0.25)),
        hint="the defaults are alpha=10.0 and beta=40.0.",
    )
    yield Gen("only beta by keyword (alpha left to 10)", (_scalar(1.5), _scalar(2.0)), {"beta": 0.5})
    yield Gen("only alpha by keyword (beta left to 40)", (_scalar(1.5), _scalar(2.0)), {"alpha": 0.1})
    yield Gen("alpha = 0: the content cost is ignored", (_scalar(7.0), _scalar(0.5), 0.0, 2.0))
    yield Gen("weights that are integers", (_scalar(1.25), _scalar(0.75)), {"alpha": 4, "beta": 3})
    yield Gen("large costs", (_scalar(2.5e4), _scalar(3.5e3), 10.0, 1000.0))
    for _ in range(6):
        jc, js = rng.uniform(0, 5, size=2)
        a, b = rng.choice([0.5, 1.0, 10.0, 40.0, 1000.0]), float(np.round(rng.uniform(0.1, 100), 2))
        yield Gen(f"J_content {jc:.3f}, J_style {js:.3f}, alpha {a}, beta {b}", (_scalar(jc), _scalar(js), a, b))


# --------------------------------------------------------------------------- compute_content_cost


def compute_content_cost(rng):
    yield Gen(
        "the worked example: (1, 2, 3, 4) against ones, shape (1, 1, 2, 2)",
        (np.array([1.0, 2, 3, 4]).reshape(1, 1, 2, 2), np.ones((1, 1, 2, 2))),
        hint="square the differences, add them all up (a sum, not a mean; one number), and divide by "
        "4 * n_H * n_W * n_C = 16: 14 / 16 = 0.875.",
    )
    yield Gen(
        "zeros against twos, shape (1, 2, 3, 2)",
        (np.zeros((1, 2, 3, 2)), np.full((1, 2, 3, 2), 2.0)),
        hint="12 squared differences of 4 make 48, divided by 4 * 2 * 3 * 2 = 48; the sign of a_C - a_G does "
        "not matter (square it).",
    )
    yield Gen(
        "a 3x5 map with 2 channels (not square)",
        (rng.normal(size=(1, 3, 5, 2)), rng.normal(size=(1, 3, 5, 2))),
        hint="n_H, n_W and n_C come from the shape (1, n_H, n_W, n_C): 3, 5 and 2 here.",
    )
    yield Gen(
        "one channel",
        (rng.normal(size=(1, 4, 2, 1)), rng.normal(size=(1, 4, 2, 1))),
        hint="n_C may be 1: the factor is 4 * n_H * n_W * n_C.",
    )
    yield Gen("one position, one channel", (np.full((1, 1, 1, 1), 3.0), np.full((1, 1, 1, 1), -1.0)))
    yield Gen("equal activations: the cost is 0", (np.full((1, 2, 2, 3), 1.5), np.full((1, 2, 2, 3), 1.5)))
    yield Gen(
        "activations of a ReLU6 layer (0 to 6)",
        (np.clip(rng.normal(2, 3, size=(1, 4, 3, 5)), 0, 6), np.clip(rng.normal(2, 3, size=(1, 4, 3, 5)), 0, 6)),
    )
    yield Gen(
        "large activations",
        (100 * rng.normal(size=(1, 2, 4, 3)), 100 * rng.normal(size=(1, 2, 4, 3))),
        options={"rtol": 1e-4},
    )
    for _ in range(6):
        shape = (1,) + tuple(int(v) for v in rng.integers(1, 7, size=3))
        yield Gen(f"random activations {shape}", (rng.normal(size=shape), rng.normal(size=shape)))


# --------------------------------------------------------------------------- gram_matrix


def gram_matrix(rng):
    yield Gen(
        "the worked example, A (2, 3)",
        (np.array([[1.0, 2, 0], [0, 1, 1]]),),
        hint="G = A A^T, of shape (n_C, n_C): A times its transpose (a matrix product, not A^T A, not A * A).",
    )
    yield Gen(
        "3 channels, 10 positions",
        (rng.normal(size=(3, 10)),),
        hint="the Gram matrix is (n_C, n_C) = (3, 3): A @ A^T, not A^T @ A (10, 10).",
    )
    yield Gen(
        "a square A (4, 4): A A^T is not A^T A",
        (rng.normal(size=(4, 4)),),
        hint="G[k, k'] = sum over positions p of A[k, p] * A[k', p]: A @ A^T; the off-diagonal entries count too.",
    )
    yield Gen("one channel", (rng.normal(size=(1, 7)),), hint="n_C = 1: a (1, 1) matrix, the sum of squares.")
    yield Gen("one position", (rng.normal(size=(5, 1)),), hint="with one position G is the outer product of A.")
    yield Gen(
        "ReLU6 activations (0 to 6)",
        (np.clip(rng.normal(2, 3, size=(3, 6)), 0, 6),),
        hint="no normalisation here: the style cost divides later.",
    )
    for _ in range(6):
        shape = tuple(int(v) for v in rng.integers(1, 9, size=2))
        yield Gen(f"random A {shape}", (rng.normal(size=shape),))


# --------------------------------------------------------------------------- compute_layer_style_cost


def compute_layer_style_cost(rng):
    yield Gen(
        "the worked example: ones against zeros, shape (1, 2, 2, 3)",
        (np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))),
        hint="sum the squared differences of the two Gram matrices and divide by 4 * n_C**2 * (n_H * n_W)**2: "
        "9 * 16 / (4 * 9 * 16) = 0.25.",
    )
    yield Gen(
        "each channel a different pattern, shape (1, 2, 2, 2)",
        (
            np.array([[[[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0], [0.0, -1.0]]]]),
            np.array([[[[0.5, 0.0], [1.0, 1.0]], [[0.0, 2.0], [-1.0, 0.0]]]]),
        ),
        hint="the rows of the unrolled matrix must be the channels: reshape to (n_H * n_W, n_C) first (each row "
        "a position), then transpose to (n_C, n_H * n_W); reshaping straight to (n_C, n_H * n_W) mixes positions "
        "and channels. The Gram matrix is (n_C, n_C).",
    )
    yield Gen(
        "a 3x2 map with 4 channels (not square)",
        (rng.normal(size=(1, 3, 2, 4)), rng.normal(size=(1, 3, 2, 4))),
        hint="n_H * n_W positions (here 6) and n_C channels (here 4): divide by 4 * n_C**2 * (n_H * n_W)**2.",
    )
    yield Gen("one channel", (rng.normal(size=(1, 3, 4, 1)), rng.normal(size=(1, 3, 4, 1))))
    yield Gen("one position", (rng.normal(size=(1, 1, 1, 5)), rng.normal(size=(1, 1, 1, 5))))
    yield Gen("the same activations: the cost is 0", (np.full((1, 2, 3, 2), 0.5), np.full((1, 2, 3, 2), 0.5)))
    yield Gen(
        "ReLU6 activations (0 to 6)",
        (np.clip(rng.normal(2, 3, size=(1, 4, 3, 3)), 0, 6), np.clip(rng.normal(2, 3, size=(1, 4, 3, 3)), 0, 6)),
        options={"rtol": 1e-4},
    )
    for _ in range(6):
        shape = (1,) + tuple(int(v) for v in rng.integers(1, 6, size=3))
        yield Gen(f"random activations {shape}", (rng.normal(size=shape), rng.normal(size=shape) + 0.5))


# --------------------------------------------------------------------------- compute_style_cost


def _layers(rng, shapes, shift=0.0):
    return [rng.normal(size=s) for s in shapes], [rng.normal(size=s) + shift for s in shapes]


def compute_style_cost(rng):
    ones, zeros = [np.ones((1, 2, 2, 3)), np.ones((1, 1, 1, 2))], [np.zeros((1, 2, 2, 3)), np.zeros((1, 1, 1, 2))]
    S, G = _layers(rng, [(1, 3, 2, 2)])
    yield Gen(
        "one layer of weight 1: its own style cost",
        (S, G, [1.0]),
        hint="the style cost of layer l is compute_layer_style_cost(style_outputs[l], generated_outputs[l]).",
    )
    yield Gen(
        "one layer of weight 2 (weights need not sum to 1)",
        (S, G, [2.0]),
        hint="multiply each layer's cost by its own weight and add: do not divide by the sum of the weights, "
        "which need not be 1.",
    )
    S3, G3 = _layers(rng, [(1, 4, 4, 3), (1, 2, 2, 5), (1, 1, 3, 2)])
    yield Gen(
        "three layers of weight 1",
        (S3, G3, [1.0, 1.0, 1.0]),
        hint="add the cost of every layer (not only the last one): a sum, not a mean.",
    )
    yield Gen(
        "three layers, weights (0.5, 0.2, 0.3)",
        (S3, G3, [0.5, 0.2, 0.3]),
        hint="layer l gets weight layer_weights[l]: go through the three lists together (zip), in order.",
    )
    yield Gen(
        "the text's example: two layers of cost 0.25, weights (1, 3)",
        (ones, zeros, [1.0, 3.0]),
        hint="1 * 0.25 + 3 * 0.25 = 1.0: a weighted sum over the layers, not a mean (do not divide by the number "
        "of layers or by the sum of the weights).",
    )
    yield Gen(
        "three layers, weights (0, 0, 2)",
        (S3, G3, [0.0, 0.0, 2.0]),
        hint="a layer of weight 0 adds nothing; each layer's cost is multiplied by its own weight.",
    )
    yield Gen("the text's example, weights (0.2, 0.8)", (ones, zeros, [0.2, 0.8]))
    yield Gen("weights as a tuple", (S3, G3, (0.25, 1.5, 0.75)))
    for n in (2, 4, 5):
        shapes = [(1,) + tuple(int(v) for v in rng.integers(1, 5, size=3)) for _ in range(n)]
        S, G = _layers(rng, shapes, shift=0.3)
        weights = [float(w) for w in np.round(rng.uniform(0, 2, size=n), 3)]
        yield Gen(f"{n} random layers, random weights", (S, G, weights))


def _opts(args):
    return {"tensor_args": list(args), "grad_args": list(args)}


DOMAINS = {
    "total_cost": Domain(
        total_cost,
        argnames=("J_content", "J_style", "alpha", "beta"),
        probe="tensor",
        returns="tensor",
        rtol=1e-5,
        options=dict(_opts((0, 1)), hint_return=RETURN_HINT),
        hint="alpha * J_content + beta * J_style.",
    ),
    "compute_content_cost": Domain(
        compute_content_cost,
        argnames=("a_C", "a_G"),
        probe="tensor",
        returns="tensor",
        atol=1e-6,
        rtol=1e-5,
        options=dict(_opts((0, 1)), hint_return=RETURN_HINT),
        hint="sum((a_C - a_G)^2) / (4 * n_H * n_W * n_C), with keras.ops.",
    ),
    "gram_matrix": Domain(
        gram_matrix,
        argnames=("A",),
        probe="tensor",
        returns="tensor",
        atol=1e-5,
        rtol=1e-5,
        options=dict(_opts((0,)), hint_return=RETURN_HINT),
        hint="A @ A^T with ops.matmul and ops.transpose.",
    ),
    "compute_layer_style_cost": Domain(
        compute_layer_style_cost,
        argnames=("a_S", "a_G"),
        probe="tensor",
        returns="tensor",
        atol=1e-6,
        rtol=2e-5,
        options=dict(_opts((0, 1)), hint_return=RETURN_HINT),
        hint="unroll each activation to (n_C, n_H * n_W) (reshape, then transpose), take the Gram matrices, and "
        "divide the sum of their squared differences by 4 * n_C**2 * (n_H * n_W)**2.",
    ),
    "compute_style_cost": Domain(
        compute_style_cost,
        argnames=("style_outputs", "generated_outputs", "layer_weights"),
        probe="tensor",
        returns="tensor",
        atol=1e-6,
        rtol=2e-5,
        options=dict(_opts((0, 1)), hint_return=RETURN_HINT),
        hint="the sum over the layers of layer_weights[l] * compute_layer_style_cost(style_outputs[l], "
        "generated_outputs[l]).",
    ),
}
