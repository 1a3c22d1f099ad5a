"""Cases for notebook 11: adversarial attacks (FGSM, PGD) on small models, a patch embedding and one
self-attention head.

The attacks take a Keras model: the cases give it as data (``course_utils.checks.probe_call``'s ``models``
option builds it beside the learner's code): a linear model, a small tanh network and a model with
dropout, whose input gradients are computed here in NumPy to keep every case away from a pixel whose
gradient is so small that its sign would depend on rounding (float32 on one backend, float64 here). Each
domain starts with the text's worked examples and the cases that single out one mistake (the sign of the
step, the clip to the pixel range, the true labels, inference mode, the projection around the original
images), then random ones.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

# --------------------------------------------------------------------------- small models as data


def _spec(kind, shape, n_classes, rng, hidden=5, scale=1.0):
    """A model as data (see probe_call) and its weights: "linear", "tanh" (one hidden layer) or "dropout"."""
    d = int(np.prod(shape))
    if kind == "tanh":
        w = [
            rng.normal(0, 1.5 / np.sqrt(d), (d, hidden)),
            rng.normal(0, 0.3, hidden),
            rng.normal(0, scale * 1.5 / np.sqrt(hidden), (hidden, n_classes)),
            rng.normal(0, 0.3, n_classes),
        ]
        layers = [["Flatten", {}], ["Dense", {"units": hidden, "activation": "tanh"}], ["Dense", {"units": n_classes}]]
        name = f"a tanh network (Flatten, Dense({hidden}, tanh), Dense({n_classes}))"
    else:
        w = [rng.normal(0, scale * 2 / np.sqrt(d), (d, n_classes)), rng.normal(0, 0.3, n_classes)]
        layers = [["Flatten", {}], ["Dense", {"units": n_classes}]]
        name = f"a linear model (Flatten, Dense({n_classes}))"
        if kind == "dropout":
            layers.insert(1, ["Dropout", {"rate": 0.5}])
            name = f"a model with dropout (Flatten, Dropout(0.5), Dense({n_classes}))"
    w = [a.astype(np.float32).astype(np.float64) for a in w]  # the model computes in float32
    return {"name": name, "input": tuple(int(s) for s in shape), "layers": layers, "weights": w}


def _logits_and_grad(spec, x, labels):
    """The logits and d(cross-entropy)/d x of a model given as data, in float64 NumPy (inference mode)."""
    m = x.shape[0]
    flat = x.reshape(m, -1)
    w = spec["weights"]
    if len(w) == 4:
        h = np.tanh(flat @ w[0] + w[1])
        z = h @ w[2] + w[3]
    else:
        z = flat @ w[0] + w[1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = p - np.eye(z.shape[1])[labels]
    if len(w) == 4:
        dflat = ((dz @ w[2].T) * (1 - h**2)) @ w[0].T
    else:
        dflat = dz @ w[0].T
    return z, dflat.reshape(x.shape)


def _clear(grad, rel=3e-3, absolute=1e-5):
    """True when no pixel's gradient is near 0 (its sign cannot depend on rounding)."""
    size = np.abs(grad).reshape(len(grad), -1)
    return bool(np.all(size >= np.maximum(absolute, rel * size.max(axis=1, keepdims=True))))


def _fgsm(spec, x, labels, eps, low, high):
    _, g = _logits_and_grad(spec, x, labels)
    return np.clip(x + eps * np.sign(g), low, high), g


def _pgd_path_clear(spec, x, labels, eps, step, steps, low, high, start=None):
    """Run PGD here; True when every step's gradient is clear of 0 (see _clear)."""
    cur = x if start is None else start
    for _ in range(steps):
        _, g = _logits_and_grad(spec, cur, labels)
        if not _clear(g):
            return False
        cur = np.clip(np.clip(cur + step * np.sign(g), low, high), x - eps, x + eps)
    return True


def _images(rng, shape, low=0.0, high=1.0, edges=0.0):
    """Pixels uniform in [low, high]; a share ``edges`` of them exactly at low or high."""
    x = rng.uniform(low, high, shape)
    at = rng.random(shape) < edges
    x[at] = np.where(rng.random(int(at.sum())) < 0.5, low, high)
    return x.astype(np.float32).astype(np.float64)


def _draw(rng, kind, shape, n_classes, *, low=0.0, high=1.0, edges=0.0, labels="true", scale=1.0, check=None):
    """A model, images and labels whose gradients are clear of 0 (and ``check(spec, x, y)`` holds).

    labels: "true" (any), "not top" (never the model's top class), "top" (always the top class).
    """
    for _ in range(500):
        spec = _spec(kind, shape[1:], n_classes, rng, scale=scale)
        x = _images(rng, shape, low, high, edges)
        z, _ = _logits_and_grad(spec, x, np.zeros(shape[0], int))
        top = z.argmax(axis=1)
        if labels == "top":
            y = top
        elif labels == "not top":
            y = (top + rng.integers(1, n_classes, shape[0])) % n_classes
        else:
            y = rng.integers(0, n_classes, shape[0])
        y = y.astype(np.int64)
        _, g = _logits_and_grad(spec, x, y)
        if _clear(g) and (check is None or check(spec, x, y)):
            return spec, x, y
    raise RuntimeError(f"no clear case found for {kind} {shape}")


# --------------------------------------------------------------------------- fgsm


EX = "examples"


def fgsm(rng):
    spec, x, y = _draw(rng, "linear", (1, 2, 2, 1), 3, labels="top")
    yield Gen(
        "a linear model, one 2x2 image, epsilon 0.1",
        (spec, x, y, 0.1),
        hint="step *up* the loss: images + epsilon * sign(g), g the gradient with respect to the images of the "
        "cross-entropy computed from the logits (from_logits=True: the model outputs logits, not probabilities).",
        group=EX,
    )
    yield Gen(
        "epsilon 0: the images come back unchanged",
        (spec, x, y, 0.0),
        hint="with epsilon 0 return (a copy of) the images.",
        group=EX,
    )
    spec, x, y = _draw(rng, "linear", (2, 3, 3, 1), 3, labels="not top")
    yield Gen(
        "labels that are not the model's top class",
        (spec, x, y, 0.05),
        hint="differentiate the loss of the *given* labels (the true classes), not of the predicted ones.",
        group=EX,
    )
    spec, x, y = _draw(rng, "linear", (1, 3, 4, 1), 4, edges=0.4)
    yield Gen(
        "pixels at 0 and 1: the result stays in the pixel range",
        (spec, x, y, 0.2),
        hint="clip the result to pixel_range: np.clip(..., low, high).",
        group=EX,
    )
    spec, x, y = _draw(rng, "linear", (1, 3, 3, 1), 3, low=-1.0, high=1.0, edges=0.3)
    yield Gen(
        "pixel_range (-1, 1)",
        (spec, x, y, 0.3),
        {"pixel_range": (-1.0, 1.0)},
        hint="clip to pixel_range = (low, high) as given, not to [0, 1].",
        group=EX,
    )
    spec, x, y = _draw(rng, "linear", (3, 2, 3, 1), 3)
    yield Gen(
        "3 images with their own labels",
        (spec, x, y, 0.1),
        hint="one gradient per image: image i's loss with its own label labels[i] (value_and_gradient gives "
        "the gradient of the sum of the per-image losses).",
        group=EX,
    )
    # The text's worked example: the last pixel has the same weight for both classes, so the loss does not
    # depend on it; its gradient is exactly 0 on every backend and it must stay as it is.
    toy = {
        "name": "the text's linear model (Flatten, Dense(2)), the last pixel weighted 0",
        "input": (2, 2, 1),
        "layers": [["Flatten", {}], ["Dense", {"units": 2}]],
        "weights": [np.array([[1.0, -1.0], [-2.0, 2.0], [0.5, -0.5], [0.0, 0.0]]), np.zeros(2)],
    }
    yield Gen(
        "the worked example: a pixel the loss does not depend on",
        (toy, np.full((1, 2, 2, 1), 0.5), np.array([0]), 0.1),
        hint="the sign of 0 is 0: a pixel whose gradient is 0 stays as it is (np.sign(g); do not divide by |g|).",
        group=EX,
    )
    for gen in _fgsm_generated(rng):
        gen.group = "generated"
        yield gen


def _fgsm_generated(rng):
    spec, x, y = _draw(rng, "tanh", (2, 3, 4, 2), 4, labels="top", scale=8.0)
    yield Gen(
        "confident logits (the softmax is near 0 and 1)",
        (spec, x, y, 0.05),
        hint="compute the cross-entropy from the logits (from_logits=True): the model outputs logits, not "
        "probabilities.",
    )
    spec, x, y = _draw(rng, "dropout", (2, 3, 3, 1), 3)
    yield Gen(
        "a model with dropout",
        (spec, x, y, 0.1),
        hint="call the model in inference mode (model(x), or model(x, training=False)): dropout is off then.",
    )
    spec, x, y = _draw(rng, "tanh", (2, 3, 5, 3), 5, edges=0.2)
    yield Gen(
        "non-square images with 3 channels, a tanh network",
        (spec, x, y, 0.07),
        hint="the gradient has the images' shape (m, H, W, C); take its sign pixel by pixel and channel by channel.",
    )
    spec, x, y = _draw(rng, "linear", (1, 4, 2, 1), 2)
    yield Gen("two classes", (spec, x, y, 0.15))
    spec, x, y = _draw(rng, "tanh", (3, 2, 2, 1), 3)
    yield Gen(
        "labels as a Python list",
        (spec, x, [int(v) for v in y], 0.1),
        hint="labels may be a list of ints: np.asarray(labels).",
    )
    spec, x, y = _draw(rng, "linear", (2, 3, 3, 1), 3)
    yield Gen("epsilon by keyword", (spec, x, y), {"epsilon": 0.25})
    spec, x, y = _draw(rng, "tanh", (1, 4, 4, 1), 3, low=-127 / 128, high=1.0)
    yield Gen(
        "pixel_range of preprocess_imagenet (-127/128, 1)",
        (spec, x, y, 0.02),
        {"pixel_range": (-127 / 128, 1.0)},
        hint="clip to pixel_range = (low, high) as given.",
    )
    spec, x, y = _draw(rng, "linear", (2, 2, 3, 1), 3)
    yield Gen("a large epsilon (0.6)", (spec, x, y, 0.6), hint="clip the result to pixel_range.")
    for _ in range(8):
        m = int(rng.integers(1, 4))
        h, w, c = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        kind = str(rng.choice(["linear", "tanh"]))
        k = int(rng.integers(2, 6))
        eps = float(np.round(rng.uniform(0.01, 0.3), 3))
        spec, x, y = _draw(rng, kind, (m, h, w, c), k, edges=0.1)
        yield Gen(f"{kind}, images ({m}, {h}, {w}, {c}), {k} classes, epsilon {eps}", (spec, x, y, eps))


# --------------------------------------------------------------------------- pgd


def pgd(rng):
    def case(
        kind,
        shape,
        k,
        eps,
        step,
        steps,
        *,
        start=False,
        low=0.0,
        high=1.0,
        edges=0.0,
        labels="true",
        changes=False,
        scale=1.0,
    ):
        def ok(spec, x, y):
            s = None
            if start:
                s = np.clip(x + rng.uniform(-eps, eps, x.shape), low, high).astype(np.float32).astype(np.float64)
                ok.start = s
            if not _pgd_path_clear(spec, x, y, eps, step, steps, low, high, s):
                return False
            if changes:  # the sign of the gradient flips along the path for some pixel
                first = np.sign(_logits_and_grad(spec, x if s is None else s, y)[1])
                cur = x if s is None else s
                for _ in range(steps):
                    _, g = _logits_and_grad(spec, cur, y)
                    cur = np.clip(np.clip(cur + step * np.sign(g), low, high), x - eps, x + eps)
                    if np.any(np.sign(g) != first):
                        return True
                return False
            return True

        ok.start = None
        spec, x, y = _draw(rng, kind, shape, k, low=low, high=high, edges=edges, labels=labels, check=ok, scale=scale)
        return spec, x, y, ok.start

    spec, x, y, _ = case("linear", (1, 2, 2, 1), 3, 0.1, 0.1, 1, labels="top")
    yield Gen(
        "one step of size epsilon from the images: FGSM",
        (spec, x, y, 0.1, 0.1, 1),
        hint="each step is an FGSM step of size step_size from the current point (you may call your fgsm).",
        group=EX,
    )
    spec, x, y, _ = case("tanh", (2, 3, 3, 1), 3, 0.3, 0.1, 4, changes=True, scale=3.0)
    yield Gen(
        "4 steps, the gradient's sign changes on the way",
        (spec, x, y, 0.3, 0.1, 4),
        hint="take the gradient at the current point at every step, not once at the images.",
        group=EX,
    )
    spec, x, y, _ = case("linear", (2, 3, 3, 1), 3, 0.1, 0.06, 5)
    yield Gen(
        "5 steps of 0.06 would go past epsilon 0.1: project on the ball",
        (spec, x, y, 0.1, 0.06, 5),
        hint="after every step clip to [images - epsilon, images + epsilon], around the original images "
        "(not around the current point).",
        group=EX,
    )
    spec, x, y, _ = case("linear", (1, 3, 4, 1), 4, 0.3, 0.1, 3, edges=0.4)
    yield Gen(
        "pixels at 0 and 1: every step stays in the pixel range",
        (spec, x, y, 0.3, 0.1, 3),
        hint="clip to pixel_range after every step, as well as to the epsilon ball.",
        group=EX,
    )
    spec, x, y, s = case("linear", (2, 3, 3, 1), 3, 0.2, 0.05, 2, start=True)
    yield Gen(
        "a random start: the ball stays centred on the images",
        (spec, x, y, 0.2, 0.05, 2),
        {"start": s},
        hint="begin at `start` when it is given, and still project around `images` (the ball's centre).",
        group=EX,
    )
    spec, x, y, _ = case("linear", (2, 3, 3, 1), 3, 0.1, 0.05, 3, labels="not top")
    yield Gen(
        "labels that are not the model's top class",
        (spec, x, y, 0.1, 0.05, 3),
        hint="differentiate the loss of the given labels (the true classes).",
        group=EX,
    )
    for gen in _pgd_generated(rng, case):
        gen.group = "generated"
        yield gen


def _pgd_generated(rng, case):
    spec, x, y, _ = case("linear", (1, 3, 3, 1), 3, 0.4, 0.15, 4, low=-1.0, high=1.0, edges=0.3)
    yield Gen(
        "pixel_range (-1, 1)",
        (spec, x, y, 0.4, 0.15, 4),
        {"pixel_range": (-1.0, 1.0)},
        hint="clip to pixel_range = (low, high) as given, not to [0, 1].",
    )
    spec, x, y, _ = case("dropout", (2, 2, 3, 1), 3, 0.2, 0.08, 3)
    yield Gen(
        "a model with dropout",
        (spec, x, y, 0.2, 0.08, 3),
        hint="call the model in inference mode (model(x), or model(x, training=False)).",
    )
    spec, x, y, _ = case("tanh", (2, 3, 4, 2), 4, 0.05, 0.02, 3, labels="top", scale=8.0)
    yield Gen(
        "confident logits",
        (spec, x, y, 0.05, 0.02, 3),
        hint="compute the cross-entropy from the logits (from_logits=True).",
    )
    spec, x, y, s = case("tanh", (1, 4, 3, 2), 3, 0.15, 0.1, 3, start=True, changes=True, scale=3.0)
    yield Gen(
        "a random start, a tanh network",
        (spec, x, y),
        {"epsilon": 0.15, "step_size": 0.1, "steps": 3, "start": s},
    )
    spec, x, y, _ = case("tanh", (2, 3, 3, 1), 3, 0.25, 0.1, 6, changes=True, scale=3.0)
    yield Gen("6 steps, a tanh network", (spec, x, y, 0.25, 0.1, 6))
    spec, x, y, _ = case("linear", (1, 2, 3, 1), 2, 0.1, 0.2, 2)
    yield Gen(
        "a step larger than epsilon",
        (spec, x, y, 0.1, 0.2, 2),
        hint="the projection brings every pixel back within epsilon of the images.",
    )
    for _ in range(8):
        m = int(rng.integers(1, 4))
        h, w, c = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        kind = str(rng.choice(["linear", "tanh"]))
        k = int(rng.integers(2, 5))
        eps = float(np.round(rng.uniform(0.05, 0.3), 3))
        steps = int(rng.integers(1, 6))
        step = float(np.round(eps * rng.uniform(0.3, 1.2), 3))
        spec, x, y, _ = case(kind, (m, h, w, c), k, eps, step, steps, edges=0.1)
        yield Gen(
            f"{kind}, images ({m}, {h}, {w}, {c}), epsilon {eps}, step {step}, {steps} steps",
            (spec, x, y, eps, step, steps),
        )


# --------------------------------------------------------------------------- patch_embedding


def patch_embedding(rng):
    four = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    yield Gen(
        "the worked example: a 4x4 image, 2x2 patches, the identity kernel",
        (four, np.eye(4), np.zeros(4), 2),
        hint="patch (i, j) is images[:, i*p:(i+1)*p, j*p:(j+1)*p, :], flattened; the patches in row order "
        "(0, 0), (0, 1), then (1, 0), (1, 1). A reshape to (m, n_H, p, n_W, p, C) needs a transpose "
        "(0, 1, 3, 2, 4, 5) before the last reshape.",
    )
    yield Gen(
        "the worked example with a bias",
        (four, np.eye(4), np.array([0.5, -1.0, 2.0, 0.0]), 2),
        hint="add the bias to every patch's projection.",
    )
    yield Gen(
        "a 4x6 image (not square)",
        (rng.normal(size=(1, 4, 6, 1)), rng.normal(size=(4, 3)), rng.normal(size=3), 2),
        hint="n_H = H // p patches down, n_W = W // p across; N = n_H * n_W in row order.",
    )
    yield Gen(
        "3 channels",
        (rng.normal(size=(1, 4, 4, 3)), rng.normal(size=(12, 5)), rng.normal(size=5), 2),
        hint="flatten each patch in (row, column, channel) order, as patch.reshape(-1) does for a (p, p, C) patch.",
    )
    yield Gen(
        "a 5x7 image with 2x2 patches: the last row and column fill no patch",
        (rng.normal(size=(2, 5, 7, 1)), rng.normal(size=(4, 3)), rng.normal(size=3), 2),
        hint="drop the rows and columns that do not fill a patch (as Conv2D with strides=p does): "
        "images[:, :n_H*p, :n_W*p, :].",
    )
    yield Gen(
        "patch size 1: every pixel is a token",
        (rng.normal(size=(1, 2, 3, 2)), rng.normal(size=(2, 4)), rng.normal(size=4), 1),
    )
    yield Gen(
        "one patch covers the whole image",
        (rng.normal(size=(2, 3, 3, 2)), rng.normal(size=(18, 4)), rng.normal(size=4), 3),
        hint="N = 1 token per image: the output has shape (m, 1, D).",
    )
    yield Gen(
        "a batch of 3 images",
        (rng.normal(size=(3, 4, 4, 1)), rng.normal(size=(4, 2)), rng.normal(size=2), 2),
        hint="keep the batch axis first: reshape to (-1, N, p*p*C) (or use images.shape[0]).",
    )
    yield Gen(
        "an embedding of width 1",
        (rng.normal(size=(1, 6, 4, 1)), rng.normal(size=(9, 1)), rng.normal(size=1), 3),
    )
    yield Gen(
        "patch_size by keyword",
        (rng.normal(size=(1, 6, 6, 2)), rng.normal(size=(18, 3)), rng.normal(size=3)),
        {"patch_size": 3},
    )
    for _ in range(8):
        p = int(rng.integers(1, 4))
        m, c = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w = int(rng.integers(p, 3 * p + 2)), int(rng.integers(p, 3 * p + 2))
        d = int(rng.integers(1, 6))
        yield Gen(
            f"images ({m}, {h}, {w}, {c}), patch {p}, width {d}",
            (rng.normal(size=(m, h, w, c)), rng.normal(size=(p * p * c, d)), rng.normal(size=d), p),
        )


# --------------------------------------------------------------------------- attention_head


def attention_cases(rng):
    two = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    eye = np.eye(2)
    yield Gen(
        "the worked example: 2 tokens, identity projections",
        (two, eye, eye, eye),
        hint="scores = Q @ K^T / sqrt(d_k) with Q = x @ Wq, K = x @ Wk; weights = softmax of each row; "
        "output = weights @ V with V = x @ Wv.",
    )
    yield Gen(
        "queries and keys differ: the scores are not symmetric",
        (
            np.array([[[1.0, 2.0], [0.0, -1.0], [2.0, 0.5]]]),
            np.array([[1.0, 0.0], [0.5, -1.0]]),
            eye,
            np.array([[1.0, -1.0], [2.0, 0.0]]),
        ),
        hint="weights[i, j] = softmax over j (the keys, the last axis) of q_i . k_j / sqrt(d_k); each row sums to 1.",
    )
    yield Gen(
        "keys of width 2 from tokens of width 4",
        (rng.normal(size=(1, 3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))),
        hint="divide the scores by sqrt(d_k), d_k = Wk.shape[1] (the width of the keys), not by the width of x.",
    )
    yield Gen(
        "values narrower than keys (d_k 5, d_v 3)",
        (rng.normal(size=(1, 4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(3, 5)), rng.normal(size=(3, 3))),
        hint="the output is weights @ V, of shape (m, N, d_v) with V = x @ Wv.",
    )
    yield Gen(
        "large scores",
        (20 * rng.normal(size=(1, 4, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2))),
        hint="a plain exp overflows: use keras.ops.softmax, or subtract each row's maximum before exp.",
    )
    yield Gen(
        "tokens of width 1",
        (rng.normal(size=(2, 3, 1)), rng.normal(size=(1, 2)), rng.normal(size=(1, 2)), rng.normal(size=(1, 1))),
    )
    yield Gen(
        "a batch of 3 sequences",
        (rng.normal(size=(3, 5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
        hint="transpose only the last two axes of K (keras.ops.swapaxes(K, -1, -2)), never the batch axis.",
    )
    for _ in range(8):
        m, n = int(rng.integers(1, 4)), int(rng.integers(2, 7))
        d, dk, dv = (int(v) for v in rng.integers(1, 6, size=3))
        yield Gen(
            f"x ({m}, {n}, {d}), d_k {dk}, d_v {dv}",
            (
                rng.normal(size=(m, n, d)),
                rng.normal(size=(d, dk)) / np.sqrt(d),
                rng.normal(size=(d, dk)) / np.sqrt(d),
                rng.normal(size=(d, dv)),
            ),
        )


_ATTACK = dict(
    argnames=("model", "images", "labels", "epsilon"),
    returns="numpy",
    dtype="float",
    atol=1e-5,
    rtol=1e-5,
    options={"models": [0]},
)
_ATTENTION = dict(argnames=("x", "Wq", "Wk", "Wv"), probe="tensor", returns="tensor", atol=1e-5, rtol=1e-4)

DOMAINS = {
    "fgsm": Domain(
        fgsm,
        hint="images + epsilon * sign(d loss / d images), the loss the cross-entropy of the logits against the "
        "labels, clipped to pixel_range.",
        **_ATTACK,
    ),
    "pgd": Domain(
        pgd,
        hint="steps FGSM steps of size step_size from start (or the images), each followed by a clip to "
        "[images - epsilon, images + epsilon] and to pixel_range.",
        **_ATTACK,
    ),
    "patch_embedding": Domain(
        patch_embedding,
        argnames=("images", "kernel", "bias", "patch_size"),
        probe="tensor",
        returns="tensor",
        atol=1e-5,
        rtol=1e-4,
        hint="cut the images into p x p patches in row order, flatten each in (row, column, channel) order, "
        "then patches @ kernel + bias, with keras.ops.",
    ),
    "attention_head": Domain(
        attention_cases,
        select=0,
        hint="softmax(Q @ K^T / sqrt(d_k)) @ V along the keys' axis, with Q, K, V = x @ Wq, x @ Wk, x @ Wv.",
        **_ATTENTION,
    ),
    "attention_weights": Domain(
        attention_cases,
        function="attention_head",
        select=1,
        hint="the weights are softmax(Q @ K^T / sqrt(d_k)) along the last axis (the keys): each row sums to 1.",
        options={"grad_args": [0, 1, 2]},  # the weights do not depend on Wv
        **_ATTENTION,
    ),
}
"""Input domains of the exercises of notebook 11 (see :mod:`course_tools.cases`)."""
