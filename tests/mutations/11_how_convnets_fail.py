"""Wrong and correct answers for notebook 11 (see tests/mutation_harness.py)."""

VARIANTS = {
    "fgsm": {
        "wrong": {
            "steps down the loss": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    return np.clip(2 * np.asarray(images, "float32") - _fgsm(model, images, labels, epsilon, (-9, 9)),
                                   *pixel_range)
            """,
            "forgets to clip": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    return _fgsm(model, images, labels, epsilon, (-np.inf, np.inf))
            """,
            "clips to [0, 1] whatever the range": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    return _fgsm(model, images, labels, epsilon, (0.0, 1.0))
            """,
            "attacks the predicted class": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    predicted = cu.to_numpy(model(np.asarray(images, "float32"))).argmax(axis=1)
                    return _fgsm(model, images, predicted, epsilon, pixel_range)
            """,
            "the raw gradient, not its sign": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    y = keras.ops.convert_to_tensor(np.asarray(labels, "int32"))
                    _, g = cu.models.value_and_gradient(
                        lambda x: keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True), images)
                    return np.clip(np.asarray(images, "float32") + epsilon * g, *pixel_range)
            """,
            "treats the logits as probabilities": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    y = keras.ops.convert_to_tensor(np.asarray(labels, "int32"))
                    _, g = cu.models.value_and_gradient(
                        lambda x: keras.losses.sparse_categorical_crossentropy(y, model(x)), images)
                    return np.clip(np.asarray(images, "float32") + epsilon * np.sign(g), *pixel_range)
            """,
            "training mode": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    y = keras.ops.convert_to_tensor(np.asarray(labels, "int32"))
                    _, g = cu.models.value_and_gradient(
                        lambda x: keras.losses.sparse_categorical_crossentropy(y, model(x, training=True),
                                                                               from_logits=True), images)
                    return np.clip(np.asarray(images, "float32") + epsilon * np.sign(g), *pixel_range)
            """,
            "lowers the true class's logit": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    picks = keras.ops.convert_to_tensor(np.asarray(labels, "int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: -keras.ops.take_along_axis(model(x), picks, axis=1),
                                                        images)
                    return np.clip(np.asarray(images, "float32") + epsilon * np.sign(g), *pixel_range)
            """,
            "an L2 step": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    y = keras.ops.convert_to_tensor(np.asarray(labels, "int32"))
                    _, g = cu.models.value_and_gradient(
                        lambda x: keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True), images)
                    norm = np.sqrt((g ** 2).sum(axis=(1, 2, 3), keepdims=True)) + 1e-12
                    return np.clip(np.asarray(images, "float32") + epsilon * g / norm, *pixel_range)
            """,
            "one label for the whole batch": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    return _fgsm(model, images, np.full(len(images), np.asarray(labels)[0]), epsilon, pixel_range)
            """,
        },
        "right": {
            "keras.ops all the way, mean loss, one-hot labels": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    def loss(x):
                        logits = model(x)
                        onehot = keras.ops.one_hot(keras.ops.convert_to_tensor(np.asarray(labels)), logits.shape[-1])
                        return keras.ops.mean(keras.losses.categorical_crossentropy(onehot, logits, from_logits=True))
                    _, grad = cu.models.value_and_gradient(loss, images)
                    out = keras.ops.clip(keras.ops.convert_to_tensor(images, "float32") + epsilon * keras.ops.sign(grad),
                                         pixel_range[0], pixel_range[1])
                    return keras.ops.convert_to_numpy(out)
            """,
            "log-softmax by hand, float64": """
                def fgsm(model, images, labels, epsilon, pixel_range=(0.0, 1.0)):
                    picks = keras.ops.convert_to_tensor(np.asarray(labels).astype("int32")[:, None])
                    def nll(x):
                        return -keras.ops.take_along_axis(keras.ops.log_softmax(model(x)), picks, axis=1)
                    _, grad = cu.models.value_and_gradient(nll, images)
                    low, high = pixel_range
                    return np.minimum(np.maximum(np.asarray(images, "float64") + epsilon * np.sign(grad), low), high)
            """,
        },
    },
    "pgd": {
        "wrong": {
            "projects around the current point": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    x = np.asarray(images if start is None else start, "float32")
                    for _ in range(steps):
                        x = np.clip(fgsm(model, x, labels, step_size, pixel_range), x - epsilon, x + epsilon)
                    return x
            """,
            "no projection on the ball": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    x = np.asarray(images if start is None else start, "float32")
                    for _ in range(steps):
                        x = fgsm(model, x, labels, step_size, pixel_range)
                    return x
            """,
            "no clip to the pixel range": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    images = np.asarray(images, "float32")
                    x = images if start is None else np.asarray(start, "float32")
                    for _ in range(steps):
                        x = np.clip(fgsm(model, x, labels, step_size, (-np.inf, np.inf)), images - epsilon,
                                    images + epsilon)
                    return x
            """,
            "the gradient once, at the start": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    images = np.asarray(images, "float32")
                    x = images if start is None else np.asarray(start, "float32")
                    direction = fgsm(model, x, labels, 1.0, (-np.inf, np.inf)) - x
                    for _ in range(steps):
                        x = np.clip(np.clip(x + step_size * direction, *pixel_range), images - epsilon, images + epsilon)
                    return x
            """,
            "ignores start": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    return _pgd(model, images, labels, epsilon, step_size, steps, pixel_range)
            """,
            "projects around start": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    centre = np.asarray(images if start is None else start, "float32")
                    x = centre
                    for _ in range(steps):
                        x = np.clip(fgsm(model, x, labels, step_size, pixel_range), centre - epsilon, centre + epsilon)
                    return x
            """,
            "steps of size epsilon": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    return _pgd(model, images, labels, epsilon, epsilon, steps, pixel_range, start)
            """,
            "one step fewer": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    images = np.asarray(images, "float32")
                    x = images if start is None else np.asarray(start, "float32")
                    for _ in range(1, steps):
                        x = np.clip(fgsm(model, x, labels, step_size, pixel_range), images - epsilon, images + epsilon)
                    return np.array(x)
            """,
            "its own random start": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    noise = np.random.default_rng(0).uniform(-epsilon, epsilon, np.shape(images))
                    own = np.clip(np.asarray(images, "float32") + noise, *pixel_range)
                    return _pgd(model, images, labels, epsilon, step_size, steps, pixel_range, own)
            """,
        },
        "right": {
            "by hand, without fgsm": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    y = keras.ops.convert_to_tensor(np.asarray(labels, "int32"))
                    images = np.asarray(images, "float32")
                    lower = np.maximum(images - epsilon, pixel_range[0])
                    upper = np.minimum(images + epsilon, pixel_range[1])
                    x = images.copy() if start is None else np.array(start, "float32")
                    for _ in range(steps):
                        _, g = cu.models.value_and_gradient(
                            lambda t: keras.losses.sparse_categorical_crossentropy(y, model(t), from_logits=True), x)
                        x = np.minimum(np.maximum(x + step_size * np.sign(g), lower), upper)
                    return x
            """,
            "ball first, then the range": """
                def pgd(model, images, labels, epsilon, step_size, steps, pixel_range=(0.0, 1.0), start=None):
                    x0 = np.asarray(images, "float64")
                    x = x0 if start is None else np.asarray(start, "float64")
                    for _ in range(steps):
                        x = fgsm(model, x, labels, step_size, (-np.inf, np.inf))
                        x = np.clip(np.clip(x, x0 - epsilon, x0 + epsilon), *pixel_range)
                    return x
            """,
        },
    },
    "patch_embedding": {
        "wrong": {
            "reshape without the transpose": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    x = keras.ops.reshape(images[:, :h // p * p, :w // p * p], (-1, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "patches in column order": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    x = keras.ops.reshape(images[:, :h // p * p, :w // p * p], (-1, h // p, p, w // p, p, c))
                    x = keras.ops.reshape(keras.ops.transpose(x, (0, 3, 1, 2, 4, 5)), (-1, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "channels first inside a patch": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    x = keras.ops.reshape(images[:, :h // p * p, :w // p * p], (-1, h // p, p, w // p, p, c))
                    x = keras.ops.reshape(keras.ops.transpose(x, (0, 1, 3, 5, 2, 4)), (-1, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "columns before rows inside a patch": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    x = keras.ops.reshape(images[:, :h // p * p, :w // p * p], (-1, h // p, p, w // p, p, c))
                    x = keras.ops.reshape(keras.ops.transpose(x, (0, 1, 3, 4, 2, 5)), (-1, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "no bias": """
                def patch_embedding(images, kernel, bias, patch_size):
                    return _embed(images, kernel, 0 * bias, patch_size)
            """,
            "no crop before the reshape": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    x = keras.ops.reshape(images, (-1, h // p, p, w // p, p, c))
                    x = keras.ops.reshape(keras.ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "the batch size from images.shape[0]": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    m, h, w, c = images.shape
                    x = keras.ops.reshape(images[:, :h // p * p, :w // p * p], (m, h // p, p, w // p, p, c))
                    x = keras.ops.reshape(keras.ops.transpose(x, (0, 1, 3, 2, 4, 5)), (m, (h // p) * (w // p), p * p * c))
                    return keras.ops.matmul(x, kernel) + bias
            """,
            "NumPy": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    x = np.asarray(images)
                    m, h, w, c = x.shape
                    x = x[:, :h // p * p, :w // p * p].reshape(m, h // p, p, w // p, p, c).transpose(0, 1, 3, 2, 4, 5)
                    return x.reshape(m, -1, p * p * c) @ np.asarray(kernel) + np.asarray(bias)
            """,
        },
        "right": {
            "a strided convolution": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    c, d = images.shape[-1], kernel.shape[-1]
                    out = keras.ops.conv(images, keras.ops.reshape(kernel, (p, p, c, d)), strides=p, padding="valid")
                    return keras.ops.reshape(out, (-1, out.shape[1] * out.shape[2], d)) + bias
            """,
            "a loop over the patches": """
                def patch_embedding(images, kernel, bias, patch_size):
                    p = patch_size
                    h, w, c = images.shape[1:]
                    tokens = [keras.ops.reshape(images[:, i * p:(i + 1) * p, j * p:(j + 1) * p, :], (-1, 1, p * p * c))
                              for i in range(h // p) for j in range(w // p)]
                    return keras.ops.matmul(keras.ops.concatenate(tokens, axis=1), kernel) + bias
            """,
        },
    },
    "attention_head": {
        "wrong": {
            "no scaling": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    w = keras.ops.softmax(keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)), axis=-1)
                    return keras.ops.matmul(w, v), w
            """,
            "scaled by the tokens' width": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    s = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(Wk.shape[0]))
                    w = keras.ops.softmax(s, axis=-1)
                    return keras.ops.matmul(w, v), w
            """,
            "scaled by d_k, not its square root": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    s = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / float(Wk.shape[-1])
                    w = keras.ops.softmax(s, axis=-1)
                    return keras.ops.matmul(w, v), w
            """,
            "softmax over the queries": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    s = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(Wk.shape[-1]))
                    w = keras.ops.softmax(s, axis=-2)
                    return keras.ops.matmul(w, v), w
            """,
            "keys times queries": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    s = keras.ops.matmul(k, keras.ops.swapaxes(q, -1, -2)) / np.sqrt(float(Wk.shape[-1]))
                    w = keras.ops.softmax(s, axis=-1)
                    return keras.ops.matmul(w, v), w
            """,
            "weights times x, not V": """
                def attention_head(x, Wq, Wk, Wv):
                    _, w = _attention(x, Wq, Wk, Wv)
                    return keras.ops.matmul(w, keras.ops.convert_to_tensor(x, "float32")), w
            """,
            "exp over the sum, no care for large scores": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    e = keras.ops.exp(keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(Wk.shape[-1])))
                    w = e / keras.ops.sum(e, axis=-1, keepdims=True)
                    return keras.ops.matmul(w, v), w
            """,
            "returns only the output": """
                def attention_head(x, Wq, Wk, Wv):
                    return _attention(x, Wq, Wk, Wv)[0]
            """,
        },
        "right": {
            "einsum": """
                def attention_head(x, Wq, Wk, Wv):
                    q = keras.ops.einsum("bnd,dk->bnk", x, Wq)
                    k = keras.ops.einsum("bnd,dk->bnk", x, Wk)
                    v = keras.ops.einsum("bnd,dk->bnk", x, Wv)
                    w = keras.ops.softmax(keras.ops.einsum("bik,bjk->bij", q / keras.ops.sqrt(float(k.shape[-1])), k))
                    return keras.ops.einsum("bij,bjv->biv", w, v), w
            """,
            "a stable softmax by hand": """
                def attention_head(x, Wq, Wk, Wv):
                    q, k, v = keras.ops.matmul(x, Wq), keras.ops.matmul(x, Wk), keras.ops.matmul(x, Wv)
                    s = keras.ops.matmul(q, keras.ops.transpose(k, (0, 2, 1))) * (1.0 / keras.ops.sqrt(float(Wq.shape[1])))
                    e = keras.ops.exp(s - keras.ops.max(s, axis=-1, keepdims=True))
                    w = e / keras.ops.sum(e, axis=-1, keepdims=True)
                    return keras.ops.matmul(w, v), w
            """,
        },
    },
}

PRELUDE = {
    "fgsm": "_fgsm = fgsm",
    "pgd": "_pgd = pgd",
    "patch_embedding": "_embed = patch_embedding",
    "attention_head": "_attention = attention_head",
}


# Automatic mutants (python -m course_tools mutation-score) judged equivalent to the answer, with the reason:
# no input the docstring allows tells them apart. Anything else that survives is a gap of the checks.
EQUIVALENT = {
    "fgsm": {
        "argument: `np.asarray(labels, dtype='int32')` -> `np.asarray(labels)` in `targets = keras.ops.convert_to_tensor(np.asarray(labels, dtype='int32'))`": "the labels are ints (the docstring): the cross-entropy takes int64 labels as it takes int32 ones, on both backends.",
        "argument: `model(x, training=False)` -> `model(x)` in `_, grad = cu.models.value_and_gradient(lambda x: keras.losses.sparse_categori...`": "Keras 3 calls a model in inference mode unless training=True is passed (or inside fit): model(x) is model(x, training=False) here.",
        "argument: `np.clip(np.asarray(images, dtype='float32') + epsilon * np.sign(grad), low, h...` -> `np.clip(low, np.asarray(images, dtype='float32') + epsilon * np.sign(grad), h...` in `return np.clip(np.asarray(images, dtype='float32') + epsilon * np.sign(grad),...`": "np.clip(low, X, high) is minimum(maximum(low, X), high), the same array as np.clip(X, low, high) when low <= high.",
        "argument: `np.asarray(images, dtype='float32')` -> `np.asarray(images)` in `return np.clip(np.asarray(images, dtype='float32') + epsilon * np.sign(grad),...`": "the images are a float array (the docstring): without the cast the result is float64 for float64 images, still the same values and a float array.",
    },
    "pgd": {
        "statement: `images = np.asarray(images, dtype='float32')` -> `pass`": "the images are a float NumPy array (the docstring) and fgsm returns a new array: without the cast nothing is aliased or changed, and the values agree.",
        "argument: `np.asarray(images, dtype='float32')` -> `np.asarray(images)` in `images = np.asarray(images, dtype='float32')`": "the images are a float array (the docstring): without the cast a float64 input gives a float64 result, the same values.",
        "argument: `np.asarray(start, dtype='float32')` -> `np.asarray(start)` in `x = images if start is None else np.asarray(start, dtype='float32')`": "start is a float array like images (the docstring): without the cast its float64 gives a float64 result, the same values.",
        "argument: `np.clip(x, images - epsilon, images + epsilon)` -> `np.clip(images - epsilon, x, images + epsilon)` in `x = np.clip(x, images - epsilon, images + epsilon)`": "np.clip(lo, x, hi) is minimum(maximum(lo, x), hi), the same array as np.clip(x, lo, hi) since images - epsilon <= images + epsilon.",
    },
    "attention_head": {
        "argument: `keras.ops.swapaxes(k, -1, -2)` -> `keras.ops.swapaxes(k, -2, -1)` in `scores = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(W...`": "swapping axes -2 and -1 is the same permutation as swapping -1 and -2.",
        "function: `float(Wk.shape[-1])` -> `Wk.shape[-1]` in `scores = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(W...`": "np.sqrt of an int is the same float as np.sqrt of that int made a float.",
        "bool: `-1` -> `1` in `scores = keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2)) / np.sqrt(float(W...` (#2)": "Wk is 2-D (d, d_k) (the docstring): Wk.shape[1] is Wk.shape[-1].",
        "argument: `keras.ops.softmax(scores, axis=-1)` -> `keras.ops.softmax(scores)` in `weights = keras.ops.softmax(scores, axis=-1)`": "keras.ops.softmax's default axis is -1.",
    },
}
