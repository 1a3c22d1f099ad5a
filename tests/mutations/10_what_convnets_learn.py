"""Wrong and correct answers for notebook 10 (see tests/mutation_harness.py)."""

VARIANTS = {
    "saliency_map": {
        "wrong": {
            "signed gradient, not its absolute value": """
                def saliency_map(model, images, class_ids):
                    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
                    return g.max(axis=-1)
            """,
            "sum over the channels": """
                def saliency_map(model, images, class_ids):
                    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
                    return np.abs(g).sum(axis=-1)
            """,
            "softmax probability instead of the logit": """
                def saliency_map(model, images, class_ids):
                    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
                    f = lambda x: keras.ops.take_along_axis(keras.activations.softmax(model(x)), picks, axis=1)
                    _, g = cu.models.value_and_gradient(f, images)
                    return np.abs(g).max(axis=-1)
            """,
            "the first image's class for every image": """
                def saliency_map(model, images, class_ids):
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, int(class_ids[0])], images)
                    return np.abs(g).max(axis=-1)
            """,
            "the top class, not the one asked for": """
                def saliency_map(model, images, class_ids):
                    top = np.argmax(cu.to_numpy(model(images)), axis=1)
                    picks = keras.ops.convert_to_tensor(top.astype("int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
                    return np.abs(g).max(axis=-1)
            """,
            "a matrix of logits: every image's logit for every class asked": """
                def saliency_map(model, images, class_ids):
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take(model(x), np.asarray(class_ids), axis=1), images)
                    return np.abs(g).max(axis=-1)
            """,
            "the sum of all the logits": """
                def saliency_map(model, images, class_ids):
                    _, g = cu.models.value_and_gradient(lambda x: model(x), images)
                    return np.abs(g).max(axis=-1)
            """,
            "keeps the channel axis": """
                def saliency_map(model, images, class_ids):
                    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
                    return np.abs(g)
            """,
            "gradient times input": """
                def saliency_map(model, images, class_ids):
                    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
                    _, g = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
                    return np.abs(g * images).max(axis=-1)
            """,
        },
        "right": {
            "one-hot mask": """
                def saliency_map(model, images, class_ids):
                    n = cu.to_numpy(model(images[:1])).shape[1]
                    onehot = keras.ops.convert_to_tensor(np.eye(n, dtype="float32")[np.asarray(class_ids)])
                    _, grads = cu.models.value_and_gradient(lambda x: keras.ops.sum(model(x) * onehot, axis=1), images)
                    return np.max(np.abs(grads), axis=3)
            """,
            "one image at a time": """
                def saliency_map(model, images, class_ids):
                    maps = []
                    for image, c in zip(images, class_ids):
                        _, g = cu.models.value_and_gradient(lambda x: model(x)[0, int(c)], image[None])
                        maps.append(np.abs(g[0]).max(axis=-1))
                    return np.stack(maps)
            """,
        },
    },
    "integrated_gradients": {
        "wrong": {
            "sum of the gradients, not their mean": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None, None, None]
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
                    return (image - baseline) * g.sum(axis=0)
            """,
            "forgets to multiply by image - baseline": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None, None, None]
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
                    return g.mean(axis=0)
            """,
            "path from 0, not from the baseline": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None, None, None]
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], a * image)
                    return (image - baseline) * g.mean(axis=0)
            """,
            "gradient at the image only": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], image[None])
                    return (image - baseline) * g[0]
            """,
            "softmax probability instead of the logit": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None, None, None]
                    f = lambda x: keras.activations.softmax(model(x))[:, class_id]
                    _, g = cu.models.value_and_gradient(f, baseline + a * (image - baseline))
                    return (image - baseline) * g.mean(axis=0)
            """,
            "ignores steps (always 64 points)": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(64) + 0.5) / 64).astype("float32")[:, None, None, None]
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
                    return (image - baseline) * g.mean(axis=0)
            """,
            "batches of 8 that drop the last, incomplete one": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    alphas = ((np.arange(steps) + 0.5) / steps).astype("float32")
                    total = np.zeros(image.shape)
                    for start in range(0, steps - 7, 8):
                        a = alphas[start:start + 8, None, None, None]
                        _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
                        total += g.sum(axis=0)
                    return (image - baseline) * total / steps
            """,
            "multiplies by the image, not image - baseline": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    a = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None, None, None]
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
                    return image * g.mean(axis=0)
            """,
        },
        "right": {
            "left Riemann sum in one batch": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    alphas = np.linspace(0, 1, steps, endpoint=False, dtype="float32")
                    path = np.stack([baseline + t * (image - baseline) for t in alphas]).astype("float32")
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], path)
                    return (image - baseline) * np.mean(g, axis=0)
            """,
            "right ends": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    alphas = np.arange(1, steps + 1) / steps
                    path = np.stack([baseline + t * (image - baseline) for t in alphas])
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], path)
                    return (image - baseline) * g.mean(axis=0)
            """,
            "the mean at steps evenly spaced points (np.linspace)": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    alphas = np.linspace(0.0, 1.0, steps)
                    path = np.stack([baseline + t * (image - baseline) for t in alphas])
                    _, g = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], path)
                    return (image - baseline) * g.mean(axis=0)
            """,
            "trapezoid rule, one point at a time": """
                def integrated_gradients(model, image, class_id, baseline, steps=64):
                    grads = []
                    for t in np.linspace(0.0, 1.0, steps + 1):
                        point = (baseline + t * (image - baseline)).astype("float32")[None]
                        grads.append(cu.models.value_and_gradient(lambda x: model(x)[0, class_id], point)[1][0])
                    grads = np.array(grads)
                    return (image - baseline) * (grads[:-1] + grads[1:]).mean(axis=0) / 2
            """,
        },
    },
    "grad_cam": {
        "wrong": {
            "no ReLU": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    return A[0] @ dA[0].mean(axis=(0, 1))
            """,
            "max of the gradient, not its mean": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    return np.maximum(A[0] @ dA[0].max(axis=(0, 1)), 0)
            """,
            "gradient times A, no pooling of the gradient": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    return np.maximum((A[0] * dA[0]).sum(axis=-1), 0)
            """,
            "absolute gradients": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    return np.maximum(A[0] @ np.abs(dA[0]).mean(axis=(0, 1)), 0)
            """,
            "the top class, not the one asked for": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    top = int(np.argmax(cu.to_numpy(head(A))[0]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, top], A)
                    return np.maximum(A[0] @ dA[0].mean(axis=(0, 1)), 0)
            """,
            "upsampled to the image's size": """
                def grad_cam(features, head, image, class_id):
                    from skimage.transform import resize
                    A = cu.to_numpy(features(image[None]))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    return resize(np.maximum(A[0] @ dA[0].mean(axis=(0, 1)), 0), image.shape[:2])
            """,
            "CAM: the last Dense layer's weights": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    W = head.layers[-1].get_weights()[0]
                    return np.maximum(A[0] @ W[:, class_id], 0)
            """,
            "weights the channels by their mean activation": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None]))
                    return np.maximum(A[0] @ A[0].mean(axis=(0, 1)), 0)
            """,
        },
        "right": {
            "scaled to a maximum of 1, einsum": """
                def grad_cam(features, head, image, class_id):
                    A = np.asarray(cu.to_numpy(features(np.expand_dims(image, 0))))
                    _, grads = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
                    weights = np.mean(grads, axis=(1, 2))[0]
                    cam = np.maximum(np.einsum("hwk,k->hw", A[0], weights), 0)
                    return cam / cam.max() if cam.max() > 0 else cam
            """,
            "keras ops on the gradient": """
                def grad_cam(features, head, image, class_id):
                    A = cu.to_numpy(features(image[None].astype("float32")))
                    _, dA = cu.models.value_and_gradient(lambda a: head(a)[0, class_id], A)
                    alpha = keras.ops.mean(keras.ops.convert_to_tensor(dA), axis=(1, 2))
                    cam = keras.ops.relu(keras.ops.sum(keras.ops.convert_to_tensor(A) * alpha[:, None, None, :], axis=-1))
                    return cu.to_numpy(cam)[0]
            """,
        },
    },
    "occlusion_map": {
        "wrong": {
            "records the rise, not the drop": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
                            out[i, j] = predict(x[None])[0, class_id] - base
                    return out
            """,
            "patch at (i, j), not (i * stride, j * stride)": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i:i + patch, j:j + patch] = fill
                            out[i, j] = base - predict(x[None])[0, class_id]
                    return out
            """,
            "ignores fill (always 0)": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = 0.0
                            out[i, j] = base - predict(x[None])[0, class_id]
                    return out
            """,
            "covers only the first channel": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch, 0] = fill
                            out[i, j] = base - predict(x[None])[0, class_id]
                    return out
            """,
            "x = image, no copy": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
                            out[i, j] = base - predict(x[None])[0, class_id]
                    return out
            """,
            "H // stride positions": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = H // stride, W // stride
                    base = predict(image[None])[0, class_id]
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
                            out[i, j] = base - predict(x[None])[0, class_id]
                    return out
            """,
            "the occluded score, not the drop": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W = image.shape[:2]
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    out = np.zeros((n_h, n_w))
                    for i in range(n_h):
                        for j in range(n_w):
                            x = image.copy()
                            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
                            out[i, j] = predict(x[None])[0, class_id]
                    return out
            """,
        },
        "right": {
            "one predict call per position": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    rows = range(0, image.shape[0] - patch + 1, stride)
                    cols = range(0, image.shape[1] - patch + 1, stride)
                    base = float(predict(image[np.newaxis])[0][class_id])
                    result = []
                    for r in rows:
                        line = []
                        for c in cols:
                            hidden = np.array(image, copy=True)
                            hidden[r:r + patch, c:c + patch, :] = fill
                            line.append(base - float(predict(hidden[np.newaxis])[0][class_id]))
                        result.append(line)
                    return np.array(result)
            """,
            "mask arithmetic": """
                def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
                    H, W, C = image.shape
                    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
                    masks = np.zeros((n_h * n_w, H, W, 1))
                    for k in range(n_h * n_w):
                        i, j = divmod(k, n_w)
                        masks[k, i * stride:i * stride + patch, j * stride:j * stride + patch] = 1
                    batch = image[None] * (1 - masks) + fill * masks
                    scores = np.asarray(predict(np.concatenate([image[None], batch])))[:, class_id]
                    return (scores[0] - scores[1:]).reshape(n_h, n_w)
            """,
        },
    },
}


# Mutants of the official answers that no input the docstrings allow tells apart (course_tools.mutation).
EQUIVALENT = {
    "saliency_map": {
        "argument: `np.asarray(class_ids, dtype='int32')` -> `np.asarray(class_ids)` in `picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype='int32').resh...`": "class_ids are ints: NumPy's default integer indexes the logits as int32 does.",
        "constant: `1` -> `2` in `picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype='int32').resh...`": "the -1 of reshape(-1, 1) becomes -2, which NumPy's reshape also reads as 'the size that fits'.",
    },
    "integrated_gradients": {
        "statement: `image, baseline = (np.asarray(image, dtype='float32'), np.asarray(baseline, d...` -> `pass`": "image and baseline are documented arrays; without the float32 cast the path is computed in float64 and value_and_gradient casts it to float32 (the same numbers to rounding).",
        "argument: `np.asarray(image, dtype='float32')` -> `np.asarray(image)` in `image, baseline = (np.asarray(image, dtype='float32'), np.asarray(baseline, d...`": "idem: the float32 cast only changes the rounding of the path.",
        "argument: `np.asarray(baseline, dtype='float32')` -> `np.asarray(baseline)` in `image, baseline = (np.asarray(image, dtype='float32'), np.asarray(baseline, d...`": "idem: the float32 cast only changes the rounding of the path.",
        "constant: `0.5` -> `1.0` in `alphas = ((np.arange(steps) + 0.5) / steps).astype('float32')`": "alpha_k = (k + 1) / steps is the right-ends Riemann rule, which the text allows.",
        "argument: `np.zeros(image.shape, dtype='float64')` -> `np.zeros(image.shape)` in `total = np.zeros(image.shape, dtype='float64')`": "np.zeros is float64 by default.",
    },
    "grad_cam": {
        "argument: `np.asarray(image, dtype='float32')` -> `np.asarray(image)` in `A = cu.to_numpy(features(np.asarray(image, dtype='float32')[None]))`": "Keras casts the float64 image to the model's float32 itself.",
        "function: `dA[0].mean(axis=(0, 1))` -> `dA[0].sum(axis=(0, 1))` in `alpha = dA[0].mean(axis=(0, 1))`": "the sum over the h * w positions is the mean times h * w, a positive factor: the map may be scaled (the docstring allows any positive scale).",
        "constant: `0` -> `-1` in `alpha = dA[0].mean(axis=(0, 1))`": "the batch holds one image: dA[-1] is dA[0].",
        "argument: `(0, 1)` -> `(1, 0)` in `alpha = dA[0].mean(axis=(0, 1))`": "the mean over axes (0, 1) equals the mean over axes (1, 0).",
        "argument: `np.maximum(A[0] @ alpha, 0.0)` -> `np.maximum(0.0, A[0] @ alpha)` in `return np.maximum(A[0] @ alpha, 0.0)`": "np.maximum is symmetric.",
        "constant: `0` -> `-1` in `return np.maximum(A[0] @ alpha, 0.0)`": "the batch holds one image: A[-1] is A[0].",
    },
    "occlusion_map": {
        "statement: `image = np.asarray(image)` -> `pass`": "image is documented as an array: np.asarray returns it unchanged.",
        "constant: `0` -> `-1` in `original = np.asarray(predict(image[None]))[0, class_id]`": "predict(image[None]) has one row: row -1 is row 0.",
    },
}
