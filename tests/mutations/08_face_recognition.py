"""Wrong and correct answers for notebook 08 (see tests/mutation_harness.py)."""

VARIANTS = {
    "triplet_loss": {
        "wrong": {
            "plain distances, not squared": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sqrt(ops.sum(ops.square(anchor - positive), axis=-1))
                    dn = ops.sqrt(ops.sum(ops.square(anchor - negative), axis=-1))
                    return ops.sum(ops.maximum(dp - dn + margin, 0.0))
            """,
            "the mean over the batch": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sum(ops.square(anchor - positive), axis=-1)
                    dn = ops.sum(ops.square(anchor - negative), axis=-1)
                    return ops.mean(ops.maximum(dp - dn + margin, 0.0))
            """,
            "max(., 0) after the sum": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sum(ops.square(anchor - positive), axis=-1)
                    dn = ops.sum(ops.square(anchor - negative), axis=-1)
                    return ops.maximum(ops.sum(dp - dn + margin), 0.0)
            """,
            "margin subtracted": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sum(ops.square(anchor - positive), axis=-1)
                    dn = ops.sum(ops.square(anchor - negative), axis=-1)
                    return ops.sum(ops.maximum(dp - dn - margin, 0.0))
            """,
            "written in NumPy": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    a, p, n = (np.asarray(v, dtype=np.float64) for v in (anchor, positive, negative))
                    return float(np.maximum(((a - p) ** 2).sum(-1) - ((a - n) ** 2).sum(-1) + margin, 0).sum())
            """,
            "distances summed over the batch axis": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sum(ops.square(anchor - positive), axis=0)
                    dn = ops.sum(ops.square(anchor - negative), axis=0)
                    return ops.sum(ops.maximum(dp - dn + margin, 0.0))
            """,
            "margin fixed at 0.2": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dp = ops.sum(ops.square(anchor - positive), axis=-1)
                    dn = ops.sum(ops.square(anchor - negative), axis=-1)
                    return ops.sum(ops.maximum(dp - dn + 0.2, 0.0))
            """,
        },
        "right": {
            "relu": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    gap = ops.sum((anchor - positive) ** 2, axis=1) - ops.sum((anchor - negative) ** 2, axis=1)
                    return ops.sum(ops.relu(gap + margin))
            """,
            "einsum and where": """
                def triplet_loss(anchor, positive, negative, margin=0.2):
                    dap = anchor - positive
                    dan = anchor - negative
                    loss = ops.einsum("ij,ij->i", dap, dap) - ops.einsum("ij,ij->i", dan, dan) + margin
                    return ops.sum(ops.where(loss > 0, loss, ops.zeros_like(loss)))
            """,
        },
    },
    "pairwise_distances": {
        "wrong": {
            "no clipping: NaN from rounding": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    n = ops.sum(ops.square(e), axis=1)
                    d = ops.expand_dims(n, 1) - 2.0 * ops.matmul(e, ops.transpose(e)) + ops.expand_dims(n, 0)
                    return d if squared else ops.sqrt(d)
            """,
            "sqrt of zero: NaN gradient": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    n = ops.sum(ops.square(e), axis=1)
                    d = ops.maximum(ops.expand_dims(n, 1) - 2.0 * ops.matmul(e, ops.transpose(e)) + ops.expand_dims(n, 0), 0.0)
                    return d if squared else ops.sqrt(d)
            """,
            "squared flag inverted": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    n = ops.sum(ops.square(e), axis=1)
                    d = ops.maximum(ops.expand_dims(n, 1) - 2.0 * ops.matmul(e, ops.transpose(e)) + ops.expand_dims(n, 0), 0.0)
                    zero = ops.cast(ops.equal(d, 0.0), d.dtype)
                    return ops.sqrt(d + zero * 1e-16) * (1 - zero) if squared else d
            """,
            "minus sign dropped": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    n = ops.sum(ops.square(e), axis=1)
                    d = ops.maximum(ops.expand_dims(n, 1) + 2.0 * ops.matmul(e, ops.transpose(e)) + ops.expand_dims(n, 0), 0.0)
                    zero = ops.cast(ops.equal(d, 0.0), d.dtype)
                    return d if squared else ops.sqrt(d + zero * 1e-16) * (1 - zero)
            """,
            "Gram matrix of the columns": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.transpose(ops.convert_to_tensor(embeddings))
                    n = ops.sum(ops.square(e), axis=1)
                    d = ops.maximum(ops.expand_dims(n, 1) - 2.0 * ops.matmul(e, ops.transpose(e)) + ops.expand_dims(n, 0), 0.0)
                    zero = ops.cast(ops.equal(d, 0.0), d.dtype)
                    return d if squared else ops.sqrt(d + zero * 1e-16) * (1 - zero)
            """,
            "NumPy": """
                def pairwise_distances(embeddings, squared=False):
                    e = np.asarray(embeddings, dtype=np.float64)
                    d = ((e[:, None] - e[None]) ** 2).sum(-1)
                    return d if squared else np.sqrt(d)
            """,
        },
        "right": {
            "differences by broadcasting": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    d = ops.sum(ops.square(ops.expand_dims(e, 1) - ops.expand_dims(e, 0)), axis=-1)
                    if squared:
                        return d
                    safe = ops.where(d > 0, d, ops.ones_like(d))
                    return ops.where(d > 0, ops.sqrt(safe), ops.zeros_like(d))
            """,
            "maximum then zero the diagonal": """
                def pairwise_distances(embeddings, squared=False):
                    e = ops.convert_to_tensor(embeddings)
                    g = ops.matmul(e, ops.transpose(e))
                    n = ops.diagonal(g)
                    d = ops.relu(n[:, None] - 2 * g + n[None, :])
                    d = d * (1.0 - ops.eye(ops.shape(d)[0], dtype=d.dtype))
                    if squared:
                        return d
                    mask = ops.cast(d > 0, d.dtype)
                    return ops.sqrt(ops.maximum(d, 1e-16)) * mask
            """,
        },
    },
    "batch_hard_triplets": {
        "wrong": {
            "no mask on the negatives (the anchor itself is closest)": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=True)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.cast(ops.equal(labels[None, :], labels[:, None]), d.dtype)
                    return ops.max(d * same, axis=1), ops.min(d, axis=1)
            """,
            "the closest positive and the farthest negative": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=True)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.cast(ops.equal(labels[None, :], labels[:, None]), d.dtype)
                    eye = ops.eye(ops.shape(d)[0], dtype=d.dtype)
                    big = ops.max(d) + 1.0
                    hp = ops.min(d + (1.0 - same + eye) * big, axis=1)
                    hn = ops.max(d * (1.0 - same), axis=1)
                    return hp, hn
            """,
            "plain distances, not squared": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=False)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.cast(ops.equal(labels[None, :], labels[:, None]), d.dtype)
                    hp = ops.max(d * same, axis=1)
                    hn = ops.min(d + same * (ops.max(d) + 1.0), axis=1)
                    return hp, hn
            """,
            "a lone person's positive is the large number": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=True)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.cast(ops.equal(labels[None, :], labels[:, None]), d.dtype)
                    eye = ops.eye(ops.shape(d)[0], dtype=d.dtype)
                    big = ops.max(d) + 1.0
                    positive = same - eye
                    hp = ops.max(d * positive + (1.0 - positive) * -1.0, axis=1)
                    hp = ops.where(hp < 0, big, hp)
                    hn = ops.min(d + same * big, axis=1)
                    return hp, hn
            """,
            "NumPy": """
                def batch_hard_triplets(embeddings, labels):
                    e = np.asarray(embeddings, np.float64); y = np.asarray(labels)
                    d2 = ((e[:, None] - e[None]) ** 2).sum(-1)
                    same = y[:, None] == y[None]
                    return np.where(same, d2, 0).max(1), np.where(~same, d2, np.inf).min(1)
            """,
            "labels compared along one axis only": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=True)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.cast(ops.equal(labels, labels[0]), d.dtype)[None, :] * ops.ones_like(d)
                    hp = ops.max(d * same, axis=1)
                    hn = ops.min(d + same * (ops.max(d) + 1.0), axis=1)
                    return hp, hn
            """,
        },
        "right": {
            "with where and infinity": """
                def batch_hard_triplets(embeddings, labels):
                    d = pairwise_distances(embeddings, squared=True)
                    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
                    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
                    hp = ops.max(ops.where(same, d, ops.zeros_like(d)), axis=1)
                    hn = ops.min(ops.where(same, ops.full_like(d, float("inf")), d), axis=1)
                    return hp, hn
            """,
            "inline distances, masks as floats": """
                def batch_hard_triplets(embeddings, labels):
                    e = ops.convert_to_tensor(embeddings)
                    sq = ops.sum(e * e, axis=1)
                    d = ops.relu(sq[:, None] + sq[None, :] - 2.0 * ops.matmul(e, ops.transpose(e)))
                    y = ops.convert_to_tensor(labels)
                    pos = ops.cast(y[:, None] == y[None, :], "float32") - ops.eye(ops.shape(d)[0])
                    neg = 1.0 - pos - ops.eye(ops.shape(d)[0])
                    return ops.max(d * pos, axis=1), ops.min(d + (1.0 - neg) * 1e9, axis=1)
            """,
        },
    },
    "verify": {
        "wrong": {
            "strict <": """
                def verify(embedding_a, embedding_b, threshold):
                    return bool(np.sum((np.asarray(embedding_a) - embedding_b) ** 2) < threshold)
            """,
            "plain distance": """
                def verify(embedding_a, embedding_b, threshold):
                    return bool(np.linalg.norm(np.asarray(embedding_a) - embedding_b) <= threshold)
            """,
            "returns np.bool_": """
                def verify(embedding_a, embedding_b, threshold):
                    return np.sum((np.asarray(embedding_a) - embedding_b) ** 2) <= threshold
            """,
            "reversed test": """
                def verify(embedding_a, embedding_b, threshold):
                    return bool(np.sum((np.asarray(embedding_a) - embedding_b) ** 2) >= threshold)
            """,
            "always True": """
                def verify(embedding_a, embedding_b, threshold):
                    return True
            """,
            "returns the distance": """
                def verify(embedding_a, embedding_b, threshold):
                    return float(np.sum((np.asarray(embedding_a) - embedding_b) ** 2))
            """,
        },
        "right": {
            "dot product": """
                def verify(embedding_a, embedding_b, threshold):
                    d = np.asarray(embedding_a, float) - np.asarray(embedding_b, float)
                    return bool(d @ d <= threshold)
            """,
            "if / else": """
                def verify(embedding_a, embedding_b, threshold):
                    if ((embedding_a - embedding_b) ** 2).sum() > threshold:
                        return False
                    return True
            """,
        },
    },
    "identify": {
        "wrong": {
            "mean over a person's photos": """
                def identify(query_embedding, database, threshold):
                    best, best_d = "unknown", np.inf
                    for name, e in database.items():
                        d = np.mean(np.sum((np.asarray(e) - query_embedding) ** 2, axis=1))
                        if d < best_d:
                            best, best_d = name, d
                    return best if best_d <= threshold else "unknown"
            """,
            "plain distance": """
                def identify(query_embedding, database, threshold):
                    best, best_d = "unknown", np.inf
                    for name, e in database.items():
                        d = np.min(np.linalg.norm(np.asarray(e) - query_embedding, axis=1))
                        if d < best_d:
                            best, best_d = name, d
                    return best if best_d <= threshold else "unknown"
            """,
            "the first photo only": """
                def identify(query_embedding, database, threshold):
                    best, best_d = "unknown", np.inf
                    for name, e in database.items():
                        d = np.sum((np.asarray(e)[0] - query_embedding) ** 2)
                        if d < best_d:
                            best, best_d = name, d
                    return best if best_d <= threshold else "unknown"
            """,
            "never unknown": """
                def identify(query_embedding, database, threshold):
                    dist = {n: np.min(np.sum((np.asarray(e) - query_embedding) ** 2, axis=1)) for n, e in database.items()}
                    return min(dist, key=dist.get)
            """,
            "returns None when nobody is close": """
                def identify(query_embedding, database, threshold):
                    dist = {n: np.min(np.sum((np.asarray(e) - query_embedding) ** 2, axis=1)) for n, e in database.items()}
                    best = min(dist, key=dist.get)
                    return best if dist[best] <= threshold else None
            """,
            "the farthest person": """
                def identify(query_embedding, database, threshold):
                    dist = {n: np.min(np.sum((np.asarray(e) - query_embedding) ** 2, axis=1)) for n, e in database.items()}
                    best = max(dist, key=dist.get)
                    return best if dist[best] <= threshold else "unknown"
            """,
        },
        "right": {
            "sorted list": """
                def identify(query_embedding, database, threshold):
                    scored = sorted((float(((np.asarray(e) - query_embedding) ** 2).sum(axis=1).min()), n)
                                    for n, e in database.items())
                    d, name = scored[0]
                    return name if d <= threshold else "unknown"
            """,
            "with verify": """
                def identify(query_embedding, database, threshold):
                    best, best_d = None, None
                    for name, photos in database.items():
                        for photo in np.atleast_2d(photos):
                            d = float(np.sum((photo - query_embedding) ** 2))
                            if best_d is None or d < best_d:
                                best, best_d = name, d
                    return best if best_d is not None and best_d <= threshold else "unknown"
            """,
        },
    },
    "align_face": {
        "wrong": {
            "the transform instead of its inverse": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    S = output_size
                    t = skimage.transform.SimilarityTransform.from_estimate(
                        np.array([left_eye, right_eye], float), np.array([[0.3 * S, 0.4 * S], [0.7 * S, 0.4 * S]]))
                    return skimage.transform.warp(np.asarray(image, float), t, output_shape=(S, S), preserve_range=True)
            """,
            "points as (row, column)": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    return _align(image, tuple(left_eye)[::-1], tuple(right_eye)[::-1], output_size)
            """,
            "output_size ignored": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    return _align(image, left_eye, right_eye, 64)
            """,
            "eyes' targets swapped": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    return _align(image, right_eye, left_eye, output_size)
            """,
            "no rotation (scale and shift only)": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    S = output_size
                    l, r = np.asarray(left_eye, float), np.asarray(right_eye, float)
                    scale = 0.4 * S / np.linalg.norm(r - l)
                    shift = np.array([0.5 * S, 0.4 * S]) - scale * (l + r) / 2
                    t = skimage.transform.SimilarityTransform(scale=scale, translation=shift)
                    return skimage.transform.warp(np.asarray(image, float), t.inverse, output_shape=(S, S), preserve_range=True)
            """,
            "values scaled to 0..1": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    image = np.asarray(image, float)
                    return _align(image / max(image.max(), 1e-12), left_eye, right_eye, output_size)
            """,
        },
        "right": {
            "the matrix by hand and scipy.ndimage": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    from scipy import ndimage
                    S = output_size
                    l, r = np.asarray(left_eye, float), np.asarray(right_eye, float)
                    d = r - l
                    angle = np.arctan2(d[1], d[0])
                    scale = 0.4 * S / np.hypot(*d)
                    c, s = np.cos(-angle) * scale, np.sin(-angle) * scale
                    A = np.array([[c, -s], [s, c]])                   # photo (x, y) -> crop (x, y)
                    b = np.array([0.3 * S, 0.4 * S]) - A @ l
                    Ainv = np.linalg.inv(A)
                    # ndimage works in (row, col): swap x and y
                    P = np.array([[0, 1], [1, 0]])
                    M = P @ Ainv @ P
                    offset = P @ (-Ainv @ b)
                    img = np.asarray(image, float)
                    if img.ndim == 2:
                        return ndimage.affine_transform(img, M, offset=offset, output_shape=(S, S), order=1, mode="nearest")
                    return np.stack([ndimage.affine_transform(img[..., k], M, offset=offset, output_shape=(S, S), order=1,
                                                              mode="nearest") for k in range(img.shape[-1])], axis=-1)
            """,
            "estimate_transform": """
                def align_face(image, left_eye, right_eye, output_size=64):
                    S = output_size
                    dst = np.array([[0.3, 0.4], [0.7, 0.4]]) * S
                    tf = skimage.transform.estimate_transform("similarity", np.array([left_eye, right_eye], float), dst)
                    return skimage.transform.warp(image.astype(float), inverse_map=tf.inverse, output_shape=(S, S),
                                                  order=1, preserve_range=True)
            """,
        },
    },
}

PRELUDE = {"align_face": "_align = align_face"}

# Mutants of the official answers (python -m course_tools mutation-score 08) that no input the docstrings allow
# tells apart from them, with the reason.
EQUIVALENT = {
    "triplet_loss": {
        "bool: `-1` -> `1` in `positive_distance = ops.sum(ops.square(anchor - positive), axis=-1)`": "the embeddings are (m, D): axis 1 is their last axis.",
        "bool: `-1` -> `1` in `negative_distance = ops.sum(ops.square(anchor - negative), axis=-1)`": "the embeddings are (m, D): axis 1 is their last axis.",
        "argument: `ops.maximum(positive_distance - negative_distance + margin, 0.0)` -> `ops.maximum(0.0, positive_distance - negative_distance + margin)` in `return ops.sum(ops.maximum(positive_distance - negative_distance + margin, 0.0))`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
    },
    "pairwise_distances": {
        "statement: `embeddings = ops.convert_to_tensor(embeddings)` -> `pass`": "the keras.ops calls that follow convert a NumPy array themselves: the result is the same tensor.",
        "argument: `ops.maximum(distances, 0.0)` -> `ops.maximum(0.0, distances)` in `distances = ops.maximum(distances, 0.0)`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
        "constant: `0` -> `1` in `distances = distances * (1.0 - ops.eye(ops.shape(distances)[0], dtype=distanc...`": "the distance matrix is square and the labels one-dimensional: shape[1] or shape[-1] is shape[0].",
        "constant: `0` -> `-1` in `distances = distances * (1.0 - ops.eye(ops.shape(distances)[0], dtype=distanc...`": "the distance matrix is square and the labels one-dimensional: shape[1] or shape[-1] is shape[0].",
        "argument: `ops.equal(distances, 0.0)` -> `ops.equal(0.0, distances)` in `zero = ops.cast(ops.equal(distances, 0.0), distances.dtype)`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
        "arith: `zero * 1e-16` -> `zero / 1e-16` in `return ops.sqrt(distances + zero * 1e-16) * (1.0 - zero)`": "the shift only touches entries that are then multiplied by 1 - zero = 0 (value and gradient 0 either way).",
        "constant: `1e-16` -> `2e-16` in `return ops.sqrt(distances + zero * 1e-16) * (1.0 - zero)`": "the shift only touches entries that are then multiplied by 1 - zero = 0 (value and gradient 0 either way).",
    },
    "batch_hard_triplets": {
        "statement: `embeddings = ops.convert_to_tensor(embeddings)` -> `pass`": "the keras.ops calls that follow convert a NumPy array themselves: the result is the same tensor.",
        "argument: `ops.maximum(ops.expand_dims(squared_norms, 1) - 2.0 * ops.matmul(embeddings, ...` -> `ops.maximum(0.0, ops.expand_dims(squared_norms, 1) - 2.0 * ops.matmul(embeddi...` in `distances = ops.maximum(ops.expand_dims(squared_norms, 1) - 2.0 * ops.matmul(...`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
        "statement: `labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))` -> `pass`": "labels are documented as (m,) integers (an array or a tensor): ops.expand_dims and ops.shape take them as they are.",
        "argument: `ops.equal(ops.expand_dims(labels, 0), ops.expand_dims(labels, 1))` -> `ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))` in `same = ops.equal(ops.expand_dims(labels, 0), ops.expand_dims(labels, 1))`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
        "argument: `ops.eye(ops.shape(labels)[0], dtype='bool')` -> `ops.eye(ops.shape(labels)[0])` in `not_self = ops.logical_not(ops.eye(ops.shape(labels)[0], dtype='bool'))`": "ops.logical_not of the float identity matrix is the same mask as of the boolean one.",
        "constant: `0` -> `-1` in `not_self = ops.logical_not(ops.eye(ops.shape(labels)[0], dtype='bool'))`": "the distance matrix is square and the labels one-dimensional: shape[1] or shape[-1] is shape[0].",
        "argument: `ops.logical_and(same, not_self)` -> `ops.logical_and(not_self, same)` in `positive_mask = ops.cast(ops.logical_and(same, not_self), distances.dtype)`": "ops.maximum, ops.equal and ops.logical_and are symmetric in their two arguments.",
        "constant: `1` -> `0` in `hardest_positive = ops.max(distances * positive_mask, axis=1)`": "the masked distance matrix is symmetric (same person is a symmetric relation): its max or min over axis 0 equals that over axis 1.",
        "function: `ops.max(distances)` -> `ops.sum(distances)` in `large = ops.max(distances) + 1.0`": "the sum of the distances + 1 exceeds every distance as the max + 1 does: the entries it is added to are never the minimum.",
        "constant: `1.0` -> `2.0` in `large = ops.max(distances) + 1.0`": "max + 2 exceeds every distance as max + 1 does: the entries it is added to are never the minimum.",
        "constant: `1` -> `0` in `hardest_negative = ops.min(distances + (1.0 - negative_mask) * large, axis=1)`": "the masked distance matrix is symmetric (same person is a symmetric relation): its max or min over axis 0 equals that over axis 1.",
    },
    "verify": {
        "argument: `np.asarray(embedding_a, dtype=np.float64)` -> `np.asarray(embedding_a)` in `difference = np.asarray(embedding_a, dtype=np.float64) - np.asarray(embedding...`": "for float64 and integer embeddings nothing changes; for float32 ones the docstring does not fix the precision of the squared distance.",
        "argument: `np.asarray(embedding_b, dtype=np.float64)` -> `np.asarray(embedding_b)` in `difference = np.asarray(embedding_a, dtype=np.float64) - np.asarray(embedding...`": "for float64 and integer embeddings nothing changes; for float32 ones the docstring does not fix the precision of the squared distance.",
    },
    "identify": {
        "argument: `np.asarray(query_embedding, dtype=np.float64)` -> `np.asarray(query_embedding)` in `query = np.asarray(query_embedding, dtype=np.float64)`": "for float64 and integer embeddings nothing changes; for float32 ones the docstring does not fix the precision of the squared distance.",
        "statement: `enrolled = np.asarray(enrolled, dtype=np.float64).reshape(-1, query.shape[-1])` -> `pass`": "enrolled embeddings are documented as a (k, D) array: enrolled - query broadcasts the same from the array (or a list of rows).",
        "argument: `np.asarray(enrolled, dtype=np.float64)` -> `np.asarray(enrolled)` in `enrolled = np.asarray(enrolled, dtype=np.float64).reshape(-1, query.shape[-1])`": "for float64 and integer embeddings nothing changes; for float32 ones the docstring does not fix the precision of the squared distance.",
        "constant: `1` -> `2` in `enrolled = np.asarray(enrolled, dtype=np.float64).reshape(-1, query.shape[-1])`": "NumPy's reshape infers any negative size: reshape(-2, D) works as reshape(-1, D).",
        "constant: `1` -> `0` in `enrolled = np.asarray(enrolled, dtype=np.float64).reshape(-1, query.shape[-1])` (#2)": "the query is a (D,) vector: query.shape[0] is query.shape[-1].",
        "compare: `distance < best_distance` -> `distance <= best_distance` in `if distance < best_distance: best_name, best_distance = (name, distance)`": "the two differ only for two people at exactly the same distance, whom the docstring does not order.",
    },
    "align_face": {
        "argument: `np.array([left_eye, right_eye], dtype=np.float64)` -> `np.array([left_eye, right_eye])` in `source = np.array([left_eye, right_eye], dtype=np.float64)`": "SimilarityTransform.from_estimate converts integer points to float itself.",
        "argument: `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` -> `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....` (#2)": "order=1 is warp's default for a float image: dropping it changes nothing.",
        "argument: `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` -> `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....` (#3)": "mode only fills output pixels that fall outside the photo, which the docstring leaves open (any correct method is fine).",
        "argument: `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` -> `skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse...` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....` (#4)": "the image reaches warp as float64, which warp does not rescale: preserve_range changes nothing.",
        "argument: `np.asarray(image, dtype=np.float64)` -> `np.asarray(image)` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....`": "with preserve_range=True warp returns float64 in the image's range for 8-bit and float images alike.",
        "constant: `1` -> `2` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....`": "the exercise accepts any interpolation (order 0 to 2 put the dots at the same places to within a pixel).",
        "constant: `1` -> `0` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....`": "the exercise accepts any interpolation (order 0 to 2 put the dots at the same places to within a pixel).",
        "constant: `True` -> `False` in `return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform....`": "the image reaches warp as float64, which warp does not rescale: preserve_range changes nothing.",
    },
}
