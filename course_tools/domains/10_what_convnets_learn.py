"""Cases for notebook 10: saliency maps, integrated gradients, Grad-CAM and occlusion, on small Keras models.

The models are stored as specs (layers and weights, see the probe option ``models`` of
``course_utils.checks.probe_call``) and built beside the learner's code. Every domain starts with the worked
examples of the text on linear models, whose gradients are their weights, then the cases that single out one
mistake (negative gradients, several channels, a class asked that is not the top class, one class per image,
a baseline that is not 0, a number of steps away from its default, heads where CAM is not Grad-CAM, strides
with gaps and overlaps), then random networks whose activations take negative values and values above 1.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen


def _keras_model(spec):
    """The model a spec describes (as probe_call builds it), for choosing classes and weights here."""
    import keras

    dtype = spec.get("dtype", "float32")
    layers = [getattr(keras.layers, kind)(**dict(config, dtype=dtype)) for kind, config in spec["layers"]]
    net = keras.Sequential([keras.Input(tuple(spec["input"]), dtype=dtype)] + layers)
    if spec.get("weights") is not None:
        net.set_weights([np.asarray(w, dtype=dtype) for w in spec["weights"]])
    return net


def _spec(name, input_shape, layers, weights=None, *, rng=None, dtype="float32", numpy=False, scale=1.0):
    """A model spec; weights drawn from ``rng`` (N(0, scale / sqrt(fan-in)), biases N(0, 0.5)) when not given."""
    spec = {"name": name, "input": tuple(int(d) for d in input_shape), "layers": [(k, dict(c)) for k, c in layers]}
    spec["dtype"] = dtype
    if weights is None:
        shapes = [tuple(w.shape) for w in _keras_model(dict(spec, weights=None)).get_weights()]
        weights = [
            rng.normal(0, scale / np.sqrt(max(1, int(np.prod(s[:-1])))), s) if len(s) > 1 else rng.normal(0, 0.5, s)
            for s in shapes
        ]
    spec["weights"] = [np.asarray(w, dtype=np.float64).astype(dtype) for w in weights]
    if numpy:
        spec["numpy"] = True
    return spec


def _logits(spec, x):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(_keras_model(spec)(np.asarray(x, dtype=spec["dtype"]))))


def _not_top(spec, x, rng):
    """For each image of x, a class that is not the model's top class."""
    logits = _logits(spec, x)
    return [int(rng.choice([c for c in range(logits.shape[1]) if c != int(np.argmax(row))])) for row in logits]


def _top(spec, x):
    return [int(c) for c in np.argmax(_logits(spec, x), axis=1)]


def _linear(shape, n, rng, name=None):
    return _spec(
        name or f"a linear model: Flatten, Dense({n}) on {shape}",
        shape,
        [("Flatten", {}), ("Dense", {"units": n})],
        rng=rng,
    )


def _tanh_net(shape, n, rng, filters=3, scale=1.5):
    return _spec(
        f"a small tanh network: Conv2D({filters}, 3, tanh), Flatten, Dense({n}) on {shape}",
        shape,
        [
            ("Conv2D", {"filters": filters, "kernel_size": 3, "activation": "tanh"}),
            ("Flatten", {}),
            ("Dense", {"units": n}),
        ],
        rng=rng,
        scale=scale,
    )


def _relu_net(shape, n, rng):
    return _spec(
        f"a ReLU network: Conv2D(4, 2, relu), AveragePooling2D, Flatten, Dense(8, relu), Dense({n}) on {shape}",
        shape,
        [
            ("Conv2D", {"filters": 4, "kernel_size": 2, "activation": "relu"}),
            ("AveragePooling2D", {"pool_size": 2}),
            ("Flatten", {}),
            ("Dense", {"units": 8, "activation": "relu"}),
            ("Dense", {"units": n}),
        ],
        rng=rng,
        scale=2.0,
    )


# --------------------------------------------------------------------------- saliency_map


def saliency_map(rng):
    W = np.array([[0.5, 0.5], [0.0, 2.0], [0.5, 0.0], [0.0, 1.0]])
    model = _spec(
        "a linear model: Flatten, Dense(2) on (2, 2, 1)",
        (2, 2, 1),
        [("Flatten", {}), ("Dense", {"units": 2})],
        [W, np.zeros(2)],
    )
    yield Gen(
        "a linear model, one image, the class asked is the top class",
        (model, np.array([[1.0, 2.0], [3.0, 1.0]]).reshape(1, 2, 2, 1), [1]),
        hint="for a linear model the gradient of logit c is its weight column c, whatever the image: "
        "differentiate the logit of the class asked alone (not its softmax, not the sum of all the logits, not "
        "gradient x input) and return one (H, W) map per image.",
    )
    W = np.array([[-1.0, 0.5], [0.0, -2.0], [0.0, 0.0], [0.0, 1.0]])
    model = _spec(
        "the text's linear model: Flatten, Dense(2) on (2, 2, 1)",
        (2, 2, 1),
        [("Flatten", {}), ("Dense", {"units": 2})],
        [W, np.zeros(2)],
    )
    yield Gen(
        "the worked example: a weight -2 (the class asked is the top class)",
        (model, np.ones((1, 2, 2, 1)), [1]),
        hint="take the absolute value of the gradient: a pixel whose increase lowers the score matters as much "
        "as one that raises it. Expected [[0.5, 2], [0, 1]].",
    )
    x = rng.normal(size=(1, 2, 3, 3))
    model = _linear((2, 3, 3), 3, rng)
    yield Gen(
        "3 channels: the largest |gradient| over the channels",
        (model, x, _top(model, x)),
        hint="take the max over the channel axis (the last one) of |gradient|: not the sum, not the mean, not "
        "one channel.",
    )
    x = rng.normal(size=(1, 3, 3, 2))
    model = _linear((3, 3, 2), 4, rng)
    yield Gen(
        "the class asked is not the top class",
        (model, x, _not_top(model, x, rng)),
        hint="explain the class you are given (class_ids[i]), not the class the model predicts.",
    )
    x = rng.normal(size=(2, 3, 2, 2))
    model = _linear((3, 2, 2), 3, rng)
    while len(set(_top(model, x))) < 2:
        x = rng.normal(size=(2, 3, 2, 2))
    yield Gen(
        "two images, each with its own class",
        (model, x, _top(model, x)),
        hint="image i gets the gradient of logit class_ids[i] of image i alone: pick one logit per row (e.g. "
        "take_along_axis, or a one-hot mask), not model(x)[:, class_ids], which is an (m, m) matrix of every "
        "image's logit for every class asked (its gradient adds the classes up), and not class_ids[0] for all.",
    )
    x = rng.normal(size=(2, 6, 6, 2))
    model = _tanh_net((6, 6, 2), 3, rng)
    yield Gen(
        "a small tanh network: the gradient changes with the image",
        (model, x, _not_top(model, x, rng)),
        hint="differentiate the logit (the model's output, not its softmax) with respect to the images "
        "themselves; image i gets the gradient of its own class's logit.",
    )
    x = rng.normal(0, 2, size=(3, 5, 7, 1))
    model = _relu_net((5, 7, 1), 4, rng)
    yield Gen(
        "a ReLU network, 3 images 5x7 (not square), one channel, classes [0, 0, 2]",
        (model, x, np.array([0, 0, 2])),
        hint="the map of each image is (H, W) = (5, 7): the max over the channel axis (the last one).",
    )
    x = rng.normal(size=(1, 4, 5, 3))
    model = _tanh_net((4, 5, 3), 5, rng, filters=2)
    yield Gen("class_ids as a tuple, one image, 3 channels", (model, x, tuple(_not_top(model, x, rng))))
    x = rng.normal(size=(4, 1, 6, 2))
    model = _linear((1, 6, 2), 3, rng)
    yield Gen("images one pixel high, classes as a NumPy array", (model, x, np.array(_not_top(model, x, rng))))
    x = rng.normal(size=(2, 3, 3, 1)) * 5
    model = _linear((3, 3, 1), 2, rng)
    yield Gen("large pixel values", (model, x, [1, 0]))
    for k in range(4):
        shape = (int(rng.integers(3, 7)), int(rng.integers(3, 7)), int(rng.integers(1, 4)))
        m, n = int(rng.integers(1, 4)), int(rng.integers(2, 6))
        model = [_tanh_net, _relu_net, _linear, _tanh_net][k](shape, n, rng)
        x = rng.normal(0, 1.5, size=(m,) + shape)
        yield Gen(f"random images {(m,) + shape}, random classes", (model, x, [int(c) for c in rng.integers(0, n, m)]))


# --------------------------------------------------------------------------- integrated_gradients


def integrated_gradients(rng):
    W = np.array([[1.0, 0.5], [1.0, -2.0], [1.0, 0.0], [1.0, 1.0]])
    toy = _spec(
        "the text's linear model: Flatten, Dense(2) on (2, 2, 1)",
        (2, 2, 1),
        [("Flatten", {}), ("Dense", {"units": 2})],
        [W, np.zeros(2)],
    )
    yield Gen(
        "the worked example: linear model, baseline 0, steps=8",
        (toy, np.ones((2, 2, 1)), 1, np.zeros((2, 2, 1)), 8),
        hint="for a linear model every gradient on the path is the weight column: IG = (image - baseline) * the "
        "mean of the gradients (a mean over the steps, not their sum). Expected [[0.5, -2], [0, 1]].",
    )
    model = _linear((3, 4, 2), 3, rng)
    yield Gen(
        "a linear model, a baseline that is not 0",
        (model, rng.normal(size=(3, 4, 2)), 2, rng.normal(size=(3, 4, 2)), 8),
        hint="multiply the mean gradient by image - baseline (not by the image), element by element.",
    )
    model = _tanh_net((6, 6, 2), 3, rng, scale=2.0)
    x, base = rng.normal(size=(6, 6, 2)), 0.5 * rng.normal(size=(6, 6, 2))
    yield Gen(
        "a small tanh network, baseline not 0, steps=64",
        (model, x, 2, base, 64),
        hint="average the gradients of the logit (not its softmax) at the points baseline + alpha * (image - "
        "baseline), alpha from 0 to 1 (the path starts at the baseline, not at 0), then multiply by image - "
        "baseline.",
    )
    yield Gen(
        "the same network, steps=2: the result depends on steps",
        (model, x, 2, base, 2),
        hint="use `steps` points on the path, alpha_k = (k + 0.5) / steps (or the left or right ends, or the "
        "trapezoid rule), not a fixed number of points.",
    )
    yield Gen(
        "steps=1: one point on the path",
        (model, x, 0, base, 1),
        hint="with one step the Riemann sum is the gradient at one point of the path (the middle, or one end).",
    )
    yield Gen(
        "steps=9 (more than one batch of 8)",
        (model, x, 1, base, 9),
        hint="every one of the `steps` points counts once: if you go through them in batches, do not skip or "
        "repeat the last, incomplete batch.",
    )
    yield Gen(
        "steps=17",
        (model, x, 1, base, 17),
        hint="every one of the `steps` points counts once, whatever the batches.",
    )
    yield Gen("steps left to its default (64)", (model, 1.5 * x, 0, base), hint="the default is steps=64.")
    yield Gen("steps by keyword", (model, x, 1, np.zeros((6, 6, 2))), {"steps": 5})
    model = _relu_net((5, 7, 1), 4, rng)
    x = rng.normal(0, 2, size=(5, 7, 1))
    yield Gen(
        "a ReLU network, a 5x7 image (not square), one channel, baseline 0",
        (model, x, _not_top(model, x[None], rng)[0], np.zeros((5, 7, 1)), 3),
    )
    model = _tanh_net((4, 5, 3), 4, rng, filters=2)
    x = rng.normal(size=(4, 5, 3))
    yield Gen("the baseline is the image: every attribution is 0", (model, x, 3, x.copy(), 4))
    for k in range(4):
        shape = (int(rng.integers(3, 7)), int(rng.integers(3, 7)), int(rng.integers(1, 4)))
        n = int(rng.integers(2, 6))
        model = [_tanh_net, _relu_net, _tanh_net, _linear][k](shape, n, rng)
        steps = int(rng.choice([2, 3, 6, 10, 16]))
        x, base = rng.normal(0, 1.5, size=shape), rng.normal(0, 0.5, size=shape)
        yield Gen(f"random image {shape}, steps={steps}", (model, x, int(rng.integers(0, n)), base, steps))


def _rule(points_and_weights):
    """An integrated-gradients answer with another Riemann rule (alphas and weights as functions of steps)."""

    def integrated_gradients(model, image, class_id, baseline, steps=64):
        import course_utils as cu

        image, baseline = np.asarray(image, dtype="float32"), np.asarray(baseline, dtype="float32")
        alphas, weights = points_and_weights(steps)
        path = baseline + alphas.astype("float32")[:, None, None, None] * (image - baseline)
        _, grad = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], path)
        return (image - baseline) * np.tensordot(weights, grad.astype("float64"), axes=1)

    return integrated_gradients


def _trapezoid(n):
    alphas = np.linspace(0.0, 1.0, n + 1)
    weights = np.full(n + 1, 1.0 / n)
    weights[[0, -1]] /= 2
    return alphas, weights


def _trapezoid_on_steps_points(n):
    if n < 2:
        return np.array([0.5]), np.array([1.0])
    alphas = np.linspace(0.0, 1.0, n)
    weights = np.full(n, 1.0 / (n - 1))
    weights[[0, -1]] /= 2
    return alphas, weights


IG_RULES = (
    _rule(lambda n: (np.arange(n) / n, np.full(n, 1.0 / n))),  # left ends
    _rule(lambda n: ((np.arange(n) + 1.0) / n, np.full(n, 1.0 / n))),  # right ends
    _rule(_trapezoid),  # trapezoid on steps intervals (steps + 1 points)
    _rule(_trapezoid_on_steps_points),  # trapezoid on steps points
    _rule(lambda n: (np.linspace(0.0, 1.0, n), np.full(n, 1.0 / n))),  # the mean at steps evenly spaced points
)


# --------------------------------------------------------------------------- grad_cam


def _features(shape, filters, rng, *, stride=1):
    return _spec(
        f"features: Conv2D({filters}, 3{', strides=2' if stride > 1 else ''}, tanh) on {shape}",
        shape,
        [("Conv2D", {"filters": filters, "kernel_size": 3, "strides": stride, "activation": "tanh"})],
        rng=rng,
        scale=2.0,
    )


def _head(kind, A_shape, n, rng):
    h, w, K = A_shape
    if kind == "pool":
        name, layers = (
            f"head: GlobalAveragePooling2D, Dense({n})",
            [("GlobalAveragePooling2D", {}), ("Dense", {"units": n})],
        )
    elif kind == "flat":
        name, layers = f"head: Flatten, Dense({n})", [("Flatten", {}), ("Dense", {"units": n})]
    elif kind == "conv":
        name = f"head: Conv2D({K}, 1, tanh), GlobalAveragePooling2D, Dense({n})"
        layers = [
            ("Conv2D", {"filters": K, "kernel_size": 1, "activation": "tanh"}),
            ("GlobalAveragePooling2D", {}),
            ("Dense", {"units": n}),
        ]
    elif kind == "hidden":
        name = f"head: GlobalAveragePooling2D, Dense({K}, relu), Dense({n})"
        layers = [
            ("GlobalAveragePooling2D", {}),
            ("Dense", {"units": K, "activation": "relu"}),
            ("Dense", {"units": n}),
        ]
    else:  # "mlp"
        name = f"head: Flatten, Dense(6, tanh), Dense({n})"
        layers = [("Flatten", {}), ("Dense", {"units": 6, "activation": "tanh"}), ("Dense", {"units": n})]
    return _spec(name, A_shape, layers, rng=rng, scale=2.0)


def _cam_case(rng, image_shape, filters, head_kind, n, *, stride=1, asked="not top"):
    features = _features(image_shape, filters, rng, stride=stride)
    x = rng.normal(0, 1.5, size=image_shape)
    A = _logits(features, x[None])
    head = _head(head_kind, A.shape[1:], n, rng)
    for _ in range(50):  # a class whose map is not all 0 (a map scaled to a maximum of 1 is then defined)
        scores = _logits(head, A)[0]
        top = int(np.argmax(scores))
        choices = [c for c in range(n) if c != top] if asked == "not top" else [top]
        c = int(rng.choice(choices))
        if _cam_positive(features, head, x, c):
            return features, head, x, c
        x = rng.normal(0, 1.5, size=image_shape)
        A = _logits(features, x[None])
    raise RuntimeError("no image with a positive Grad-CAM map")


def _cam_positive(features, head, x, c):
    import course_utils as cu

    A = _logits(features, x[None])
    _, dA = cu.models.value_and_gradient(lambda a: _keras_model(head)(a)[:, c], A)
    cam = np.maximum(A[0] @ dA[0].mean(axis=(0, 1)), 0)
    return (
        cam.max() > 1e-3 and (cam > 0).mean() < 1.0 and cam.max() > 0.05 * np.abs(A[0] @ dA[0].mean(axis=(0, 1))).max()
    )


def grad_cam(rng):
    toy_features = _spec("features: Identity on (1, 2, 2) (A passed through)", (1, 2, 2), [("Identity", {})], [])
    toy_head = _spec(
        "head: GlobalAveragePooling2D, Dense(1)",
        (1, 2, 2),
        [("GlobalAveragePooling2D", {}), ("Dense", {"units": 1})],
        [np.array([[1.0], [-1.0]]), np.zeros(1)],
    )
    yield Gen(
        "the worked example: A passed through, a head of pooling and Dense",
        (toy_features, toy_head, np.array([[[1.0, 2.0], [3.0, 0.0]]]), 0),
        hint="alpha_k is the mean over the positions of d logit / d A_k (signed: not its absolute value); the map "
        "is sum_k alpha_k A_k, then a ReLU (a negative sum becomes 0). Expected [[0, 1.5]] (or scaled to [[0, 1]]).",
    )
    yield Gen(
        "features shrink the image (6x6 -> 4x4): the map has the feature map's size",
        _cam_case(rng, (6, 6, 2), 4, "pool", 3, asked="top"),
        hint="return the (h, w) map of the feature map A (here 4 x 4), before any upsampling to the image's size.",
    )
    yield Gen(
        "the class asked is not the top class (pooling + Dense head)",
        _cam_case(rng, (6, 6, 2), 4, "pool", 3),
        hint="explain the class you are given (class_id), not the class the head predicts.",
    )
    yield Gen(
        "head = Flatten + Dense: the gradient differs from position to position",
        _cam_case(rng, (6, 6, 2), 4, "flat", 3),
        hint="here the gradient differs from position to position: alpha_k is the mean of d logit / d A_k over the "
        "positions (not its max, not its absolute value), the map is sum_k alpha_k A_k (not sum_k gradient * A_k), "
        "and the gradient comes from differentiating the head (not from reading its weights).",
    )
    yield Gen(
        "a head with a hidden layer (Conv2D 1x1 tanh, pooling, Dense): CAM is not Grad-CAM here",
        _cam_case(rng, (6, 6, 2), 4, "conv", 3),
        hint="differentiate the logit through the whole head (cu.models.value_and_gradient on head); reading "
        "the last Dense layer's weights gives CAM, which is Grad-CAM only for a head of pooling and one Dense layer.",
    )
    yield Gen(
        "a head with a hidden Dense layer (pooling, Dense relu, Dense)",
        _cam_case(rng, (6, 6, 2), 4, "hidden", 3),
        hint="differentiate the logit through the whole head; do not read the head's weights.",
    )
    yield Gen(
        "a feature map 3x5 (not square)",
        _cam_case(rng, (5, 7, 2), 3, "flat", 4),
        hint="the map has the feature map's (h, w) = (3, 5): no upsampling, one number per position.",
    )
    yield Gen(
        "features with stride 2, an 8x6 image (not square): the map is the feature map's size",
        _cam_case(rng, (8, 6, 1), 3, "mlp", 3, stride=2),
        hint="return the (h, w) map of the features, before any upsampling to the image's size.",
    )
    yield Gen("one channel in the feature map", _cam_case(rng, (5, 5, 2), 1, "flat", 2, asked="top"))
    yield Gen("the top class, a head with a hidden layer", _cam_case(rng, (6, 5, 3), 3, "conv", 4, asked="top"))
    features, head, x, c = _cam_case(rng, (6, 6, 2), 5, "hidden", 4)
    yield Gen("class_id as a NumPy integer", (features, head, x, np.int64(c)))
    for k in range(4):
        shape = (int(rng.integers(5, 9)), int(rng.integers(5, 9)), int(rng.integers(1, 4)))
        kind = ["mlp", "conv", "flat", "hidden"][k]
        yield Gen(f"random image {shape}, {kind} head", _cam_case(rng, shape, int(rng.integers(2, 6)), kind, 3))


# --------------------------------------------------------------------------- occlusion_map


def _predict(name, shape, W, b=None, *, softmax=False):
    layers = [("Flatten", {}), ("Dense", {"units": W.shape[1], "use_bias": b is not None})]
    if softmax:
        layers.append(("Softmax", {}))
    weights = [W] + ([b] if b is not None else [])
    return _spec(name, shape, layers, weights, dtype="float64", numpy=True)


def occlusion_map(rng):
    pixel_sum = _predict("predict = the sum of the pixels", (2, 2, 1), np.ones((4, 1)))
    tiny = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    yield Gen(
        "the worked example: patch 1, stride 1, fill left to 0",
        (pixel_sum, tiny, 0, 1, 1),
        hint="for each position set the patch to fill and record score(image) - score(image with the patch): "
        "hiding a pixel of value v lowers the sum by v (a drop, positive here).",
    )
    yield Gen(
        "the worked example with fill=1",
        (pixel_sum, tiny, 0, 1, 1, 1.0),
        hint="the patch sets every covered pixel to `fill` (here 1), not to 0: expected [[0, 1], [2, 3]].",
    )
    shape = (6, 7, 1)
    linear = _predict("predict = a linear score of 3 classes", shape, rng.normal(size=(42, 3)), rng.normal(size=3))
    yield Gen(
        "stride 2, patch 3, a 6x7 image (not square)",
        (linear, rng.normal(size=shape), 1, 3, 2),
        hint="the patch's top-left corner is at (i * stride, j * stride), and n_h = (H - patch) // stride + 1 "
        "positions down (here 2), n_w = (W - patch) // stride + 1 across (here 3).",
    )
    shape = (4, 4, 3)
    linear = _predict("predict = a linear score of 3 classes", shape, rng.normal(size=(48, 3)), rng.normal(size=3))
    yield Gen(
        "3 channels: the patch covers all of them",
        (linear, rng.normal(size=shape), 2, 2, 1, 0.5),
        hint="set image[i*stride : i*stride + patch, j*stride : j*stride + patch, :] (every channel) to fill.",
    )
    shape = (6, 5, 2)
    probs = _predict(
        "predict = the softmax of a linear score of 4 classes",
        shape,
        rng.normal(size=(60, 4)),
        rng.normal(size=4),
        softmax=True,
    )
    yield Gen(
        "probabilities: the drop of class 3's probability",
        (probs, rng.normal(size=shape), 3, 3, 1, -0.5),
        hint="read the score of class_id from predict's output (m, n_classes), one row per image.",
    )
    yield Gen("a patch larger than the stride (overlapping positions)", (probs, rng.normal(size=shape), 1, 4, 1))
    yield Gen("a stride larger than the patch (gaps)", (probs, rng.normal(size=shape), 0, 2, 3, 1.0))
    yield Gen("a patch as large as the image's height: one row of positions", (probs, rng.normal(size=shape), 2, 5, 2))
    shape = (3, 7, 1)
    linear = _predict("predict = a linear score of 2 classes", shape, rng.normal(size=(21, 2)), rng.normal(size=2))
    yield Gen("an integer image", (linear, rng.integers(0, 9, size=shape), 1, 2, 2))
    yield Gen("fill by keyword", (linear, rng.normal(size=shape), 0, 3, 2), {"fill": 2.0})
    for _ in range(4):
        shape = (int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(1, 4)))
        n = int(rng.integers(2, 5))
        model = _predict(
            f"predict = the softmax of a linear score of {n} classes",
            shape,
            rng.normal(size=(int(np.prod(shape)), n)) / 2,
            rng.normal(size=n),
            softmax=bool(rng.integers(0, 2)),
        )
        patch = int(rng.integers(1, min(shape[:2]) + 1))
        stride = int(rng.integers(1, 4))
        fill = float(np.round(rng.uniform(-1, 1), 2))
        yield Gen(
            f"random image {shape}, patch {patch}, stride {stride}, fill {fill}",
            (model, rng.normal(size=shape), int(rng.integers(0, n)), patch, stride, fill),
        )


DOMAINS = {
    "saliency_map": Domain(
        saliency_map,
        argnames=("model", "images", "class_ids"),
        returns="numpy",
        dtype="float",
        atol=1e-5,
        rtol=1e-4,
        options={"models": [0]},
        hint="max over the channels of |d logit[i, class_ids[i]] / d images[i]|.",
    ),
    "integrated_gradients": Domain(
        integrated_gradients,
        argnames=("model", "image", "class_id", "baseline", "steps"),
        returns="numpy",
        dtype="float",
        atol=1e-5,
        rtol=1e-4,
        options={"models": [0]},
        alternatives=IG_RULES,
        hint="(image - baseline) * the mean of the gradients at `steps` points of the path from the baseline to "
        "the image (the midpoint rule; the left or right ends and the trapezoid rule are accepted too).",
    ),
    "grad_cam": Domain(
        grad_cam,
        argnames=("features", "head", "image", "class_id"),
        returns="numpy",
        dtype="float",
        atol=1e-4,
        rtol=1e-4,
        options={"models": [0, 1], "scale": "max"},
        hint="ReLU(sum_k alpha_k A[:, :, k]), alpha_k the mean over the positions of d logit / d A[:, :, k] "
        "(compared after scaling both maps to a maximum of 1).",
    ),
    "occlusion_map": Domain(
        occlusion_map,
        argnames=("predict", "image", "class_id", "patch", "stride", "fill"),
        returns="numpy",
        dtype="float",
        atol=1e-6,
        rtol=1e-5,
        options={"models": [0]},
        hint="score(image) - score(image with the patch), for the patch's top-left corner at (i * stride, j * stride).",
    ),
}
