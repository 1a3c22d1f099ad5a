"""Wrong and correct answers for notebook 06 (see tests/mutation_harness.py)."""

VARIANTS = {
    "iou": {
        "wrong": {
            "union without subtracting the intersection": """
                def iou(box1, box2):
                    w = max(0.0, min(box1[2], box2[2]) - max(box1[0], box2[0]))
                    h = max(0.0, min(box1[3], box2[3]) - max(box1[1], box2[1]))
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    return w * h / (a1 + a2) if a1 + a2 > 0 else 0.0
            """,
            "clips the product, not each side": """
                def iou(box1, box2):
                    w = min(box1[2], box2[2]) - max(box1[0], box2[0])
                    h = min(box1[3], box2[3]) - max(box1[1], box2[1])
                    inter = max(0.0, w * h)
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    u = a1 + a2 - inter
                    return inter / u if u > 0 else 0.0
            """,
            "the first box's corners for the overlap": """
                def iou(box1, box2):
                    w = max(0.0, min(box1[2], box2[2]) - box1[0])
                    h = max(0.0, min(box1[3], box2[3]) - box1[1])
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    u = a1 + a2 - w * h
                    return w * h / u if u > 0 else 0.0
            """,
            "divides by zero for empty boxes": """
                def iou(box1, box2):
                    w = max(0.0, min(box1[2], box2[2]) - max(box1[0], box2[0]))
                    h = max(0.0, min(box1[3], box2[3]) - max(box1[1], box2[1]))
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    return float(np.float64(w * h) / np.float64(a1 + a2 - w * h))
            """,
            "intersection over the smaller area": """
                def iou(box1, box2):
                    w = max(0.0, min(box1[2], box2[2]) - max(box1[0], box2[0]))
                    h = max(0.0, min(box1[3], box2[3]) - max(box1[1], box2[1]))
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    return w * h / min(a1, a2) if min(a1, a2) > 0 else 0.0
            """,
            "integer corners (int() rounds the fractions)": """
                def iou(box1, box2):
                    box1, box2 = [int(v) for v in box1], [int(v) for v in box2]
                    w = max(0, min(box1[2], box2[2]) - max(box1[0], box2[0]))
                    h = max(0, min(box1[3], box2[3]) - max(box1[1], box2[1]))
                    a1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
                    a2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
                    u = a1 + a2 - w * h
                    return w * h / u if u > 0 else 0.0
            """,
        },
        "right": {
            "unpacking and np.clip": """
                def iou(box1, box2):
                    ax1, ay1, ax2, ay2 = box1
                    bx1, by1, bx2, by2 = box2
                    iw = np.clip(min(ax2, bx2) - max(ax1, bx1), 0, None)
                    ih = np.clip(min(ay2, by2) - max(ay1, by1), 0, None)
                    inter = iw * ih
                    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
                    if union <= 0:
                        return 0.0
                    return float(inter / union)
            """,
            "through NumPy arrays": """
                def iou(box1, box2):
                    a, b = np.asarray(box1, float), np.asarray(box2, float)
                    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
                    inter = np.prod(np.maximum(hi - lo, 0))
                    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
                    return float(inter / union) if union > 0 else 0.0
            """,
        },
    },
    "iou_matrix": {
        "wrong": {
            "the transpose": """
                def iou_matrix(boxes_a, boxes_b):
                    return _iou_matrix(boxes_b, boxes_a)
            """,
            "pairs by index (the diagonal only)": """
                def iou_matrix(boxes_a, boxes_b):
                    a, b = np.asarray(boxes_a, float), np.asarray(boxes_b, float)
                    n = min(len(a), len(b))
                    return np.diag([iou(a[i], b[i]) for i in range(n)]) if n else np.zeros((len(a), len(b)))
            """,
            "NaN where the union is 0": """
                def iou_matrix(boxes_a, boxes_b):
                    a, b = np.asarray(boxes_a, float).reshape(-1, 4), np.asarray(boxes_b, float).reshape(-1, 4)
                    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
                    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
                    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
                    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
                    with np.errstate(all="ignore"):
                        return w * h / (area_a[:, None] + area_b[None, :] - w * h)
            """,
            "no clipping of the overlap": """
                def iou_matrix(boxes_a, boxes_b):
                    a, b = np.asarray(boxes_a, float).reshape(-1, 4), np.asarray(boxes_b, float).reshape(-1, 4)
                    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
                    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
                    inter = w * h
                    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
                    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
                    union = area_a[:, None] + area_b[None, :] - inter
                    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
            """,
            "an empty set gives (0,) instead of (0, m)": """
                def iou_matrix(boxes_a, boxes_b):
                    if len(boxes_a) == 0 or len(boxes_b) == 0:
                        return np.zeros(0)
                    return _iou_matrix(boxes_a, boxes_b)
            """,
        },
        "right": {
            "a loop-free split into columns": """
                def iou_matrix(boxes_a, boxes_b):
                    a = np.asarray(boxes_a, dtype=float).reshape(-1, 1, 4)
                    b = np.asarray(boxes_b, dtype=float).reshape(1, -1, 4)
                    lo = np.maximum(a[..., :2], b[..., :2])
                    hi = np.minimum(a[..., 2:], b[..., 2:])
                    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
                    union = np.prod(a[..., 2:] - a[..., :2], axis=-1) + np.prod(b[..., 2:] - b[..., :2], axis=-1) - inter
                    out = np.zeros_like(inter)
                    np.divide(inter, union, out=out, where=union > 0)
                    return out
            """,
            "errstate and nan_to_num": """
                def iou_matrix(boxes_a, boxes_b):
                    a, b = np.asarray(boxes_a, float).reshape(-1, 4), np.asarray(boxes_b, float).reshape(-1, 4)
                    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
                    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
                    inter = ix * iy
                    union = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None] + ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None] - inter
                    with np.errstate(divide="ignore", invalid="ignore"):
                        return np.nan_to_num(inter / union)
            """,
        },
    },
    "non_max_suppression": {
        "wrong": {
            "all classes together": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    return _nms(boxes, scores, np.zeros(len(scores), int), iou_threshold, score_threshold)
            """,
            "suppresses only when IoU > threshold": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    return _nms(boxes, scores, classes, iou_threshold + 1e-9, score_threshold)
            """,
            "keeps scores equal to the threshold": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    return _nms(boxes, scores, classes, iou_threshold, score_threshold - 1e-9)
            """,
            "grouped by class, not sorted by score": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    keep = _nms(boxes, scores, classes, iou_threshold, score_threshold)
                    classes = np.asarray(classes)
                    return keep[np.argsort(classes[keep], kind="stable")]
            """,
            "suppressed boxes suppress too": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    boxes, scores, classes = np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes)
                    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] > score_threshold]
                    removed, keep = set(), []
                    for n, i in enumerate(order):
                        if i not in removed:
                            keep.append(i)
                        for j in order[n + 1:]:
                            if classes[j] == classes[i] and iou(boxes[i], boxes[j]) >= iou_threshold:
                                removed.add(j)
                    return np.array(keep, dtype=int)
            """,
            "ties by the larger index": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    boxes, scores, classes = np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes)
                    order = [i for i in np.argsort(-scores)[::-1][::-1] if scores[i] > score_threshold]
                    order = sorted(order, key=lambda i: (-scores[i], -i))
                    keep = []
                    for i in order:
                        if all(classes[j] != classes[i] or iou(boxes[i], boxes[j]) < iou_threshold for j in keep):
                            keep.append(i)
                    return np.array(keep, dtype=int)
            """,
            "returns None when nothing is kept": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    if len(scores) == 0:
                        return None
                    return _nms(boxes, scores, classes, iou_threshold, score_threshold)
            """,
        },
        "right": {
            "plain loops with iou": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    boxes, scores, classes = np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes)
                    order = sorted((i for i in range(len(scores)) if scores[i] > score_threshold), key=lambda i: (-scores[i], i))
                    keep = []
                    for i in order:
                        if all(classes[j] != classes[i] or iou(boxes[i], boxes[j]) < iou_threshold for j in keep):
                            keep.append(i)
                    return np.array(keep, dtype=int)
            """,
            "per class with iou_matrix": """
                def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
                    boxes, scores, classes = np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes)
                    kept = []
                    for c in set(classes.tolist()):
                        idx = [i for i in np.lexsort((np.arange(len(scores)), -scores)) if classes[i] == c and scores[i] > score_threshold]
                        while idx:
                            best, idx = idx[0], idx[1:]
                            kept.append(best)
                            if idx:
                                ious = iou_matrix(boxes[[best]], boxes[idx])[0]
                                idx = [i for i, v in zip(idx, ious) if v < iou_threshold]
                    return np.array(sorted(kept, key=lambda i: (-scores[i], i)), dtype=np.int64)
            """,
        },
    },
    "encode_yolo_targets": {
        "wrong": {
            "row and column swapped": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    t = _encode(boxes, labels, grid_size, anchors, n_classes)
                    return np.ascontiguousarray(np.swapaxes(t, 0, 1))
            """,
            "sizes image-relative, not in cell units": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    t = _encode(boxes, labels, grid_size, anchors, n_classes)
                    t[..., 3:5] /= grid_size
                    return t
            """,
            "float64": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    return _encode(boxes, labels, grid_size, anchors, n_classes).astype(np.float64)
            """,
            "always the first anchor": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    t = _encode(boxes, labels, grid_size, np.asarray(anchors)[:1], n_classes)
                    out = np.zeros((grid_size, grid_size, len(anchors), 5 + n_classes), np.float32)
                    out[:, :, :1] = t
                    return out
            """,
            "round for floor": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    boxes = np.asarray(boxes, float).reshape(-1, 4)
                    anchors = np.asarray(anchors, float).reshape(-1, 2)
                    S = grid_size
                    t = np.zeros((S, S, len(anchors), 5 + n_classes), np.float32)
                    for (x1, y1, x2, y2), label in zip(boxes, labels):
                        cx, cy, w, h = (x1 + x2) / 2 * S, (y1 + y2) / 2 * S, (x2 - x1) * S, (y2 - y1) * S
                        row, col = min(round(cy), S - 1), min(round(cx), S - 1)
                        inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])
                        a = int(np.argmax(inter / (w * h + anchors[:, 0] * anchors[:, 1] - inter)))
                        t[row, col, a, :5] = [1, cx - col, cy - row, w, h]
                        t[row, col, a, 5 + int(label)] = 1
                    return t
            """,
            "no clamp at the last cell": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    boxes = np.asarray(boxes, float).reshape(-1, 4)
                    anchors = np.asarray(anchors, float).reshape(-1, 2)
                    S = grid_size
                    t = np.zeros((S, S, len(anchors), 5 + n_classes), np.float32)
                    for (x1, y1, x2, y2), label in zip(boxes, labels):
                        cx, cy, w, h = (x1 + x2) / 2 * S, (y1 + y2) / 2 * S, (x2 - x1) * S, (y2 - y1) * S
                        row, col = int(cy), int(cx)
                        inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])
                        a = int(np.argmax(inter / (w * h + anchors[:, 0] * anchors[:, 1] - inter)))
                        t[row % S, col % S, a, :5] = [1, cx - col, cy - row, w, h]
                        t[row % S, col % S, a, 5 + int(label)] = 1
                    return t
            """,
        },
        "right": {
            "np.eye for the one-hot": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    S = grid_size
                    anchors = np.asarray(anchors, dtype=np.float32)
                    target = np.zeros((S, S, len(anchors), 5 + n_classes), dtype=np.float32)
                    for box, label in zip(np.asarray(boxes).reshape(-1, 4), labels):
                        x1, y1, x2, y2 = box * S
                        cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
                        col, row = min(int(cx // 1), S - 1), min(int(cy // 1), S - 1)
                        inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])
                        best = int(np.argmax(inter / (w * h + anchors.prod(axis=1) - inter)))
                        target[row, col, best] = np.concatenate([[1, cx - col, cy - row, w, h], np.eye(n_classes)[label]])
                    return target
            """,
            "anchor IoU with a helper": """
                def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
                    S = grid_size
                    out = np.zeros((S, S, len(anchors), 5 + n_classes), "float32")
                    for (x1, y1, x2, y2), lab in zip(np.asarray(boxes, float).reshape(-1, 4), np.asarray(labels).ravel()):
                        w, h = (x2 - x1) * S, (y2 - y1) * S
                        cx, cy = (x1 + x2) * S / 2, (y1 + y2) * S / 2
                        r, c = min(int(np.floor(cy)), S - 1), min(int(np.floor(cx)), S - 1)
                        ious = [iou((0, 0, w, h), (0, 0, aw, ah)) for aw, ah in anchors]
                        a = int(np.argmax(ious))
                        out[r, c, a] = 0
                        out[r, c, a, :5] = (1, cx - c, cy - r, w, h)
                        out[r, c, a, 5 + int(lab)] = 1
                    return out
            """,
        },
    },
    "kmeans_anchors": {
        "wrong": {
            "Euclidean distance": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.asarray(box_wh, float)
                    c = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()
                    assign = None
                    for _ in range(max_iter):
                        new = np.argmin(((wh[:, None] - c[None]) ** 2).sum(-1), axis=1)
                        if assign is not None and np.array_equal(new, assign):
                            break
                        assign = new
                        for j in range(k):
                            if np.any(assign == j):
                                c[j] = wh[assign == j].mean(axis=0)
                    return c[np.argsort(c[:, 0] * c[:, 1])]
            """,
            "not sorted": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.asarray(box_wh, float)
                    c = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()
                    assign = None
                    for _ in range(max_iter):
                        inter = np.minimum(wh[:, None, 0], c[None, :, 0]) * np.minimum(wh[:, None, 1], c[None, :, 1])
                        new = np.argmax(inter / (wh[:, None].prod(-1) + c[None].prod(-1) - inter), axis=1)
                        if assign is not None and np.array_equal(new, assign):
                            break
                        assign = new
                        for j in range(k):
                            if np.any(assign == j):
                                c[j] = wh[assign == j].mean(axis=0)
                    return c
            """,
            "sorted by width": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    c = _kmeans(box_wh, k, seed, max_iter)
                    return c[np.argsort(c[:, 0])]
            """,
            "the first k boxes as the start": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.asarray(box_wh, float)
                    c = wh[:k].copy()
                    for _ in range(max_iter):
                        inter = np.minimum(wh[:, None, 0], c[None, :, 0]) * np.minimum(wh[:, None, 1], c[None, :, 1])
                        a = np.argmax(inter / (wh[:, None].prod(-1) + c[None].prod(-1) - inter), axis=1)
                        c = np.array([wh[a == j].mean(0) if np.any(a == j) else c[j] for j in range(k)])
                    return c[np.argsort(c.prod(1))]
            """,
            "one assignment step only": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    return _kmeans(box_wh, k, seed, 1)
            """,
            "the median instead of the mean": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.asarray(box_wh, float)
                    c = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()
                    assign = None
                    for _ in range(max_iter):
                        inter = np.minimum(wh[:, None, 0], c[None, :, 0]) * np.minimum(wh[:, None, 1], c[None, :, 1])
                        new = np.argmax(inter / (wh[:, None].prod(-1) + c[None].prod(-1) - inter), axis=1)
                        if assign is not None and np.array_equal(new, assign):
                            break
                        assign = new
                        for j in range(k):
                            if np.any(assign == j):
                                c[j] = np.median(wh[assign == j], axis=0)
                    return c[np.argsort(c.prod(1))]
            """,
        },
        "right": {
            "a while loop": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.array(box_wh, dtype=float)
                    rng = np.random.default_rng(seed)
                    cent = wh[rng.choice(len(wh), size=k, replace=False)]
                    prev, it = None, 0
                    while it < max_iter:
                        iw = np.minimum.outer(wh[:, 0], cent[:, 0])
                        ih = np.minimum.outer(wh[:, 1], cent[:, 1])
                        inter = iw * ih
                        dist = 1 - inter / (np.multiply.outer(wh[:, 0] * wh[:, 1], np.ones(k)) + cent[:, 0] * cent[:, 1] - inter)
                        lab = dist.argmin(axis=1)
                        if prev is not None and (lab == prev).all():
                            break
                        prev = lab
                        cent = np.stack([wh[lab == j].mean(0) if (lab == j).any() else cent[j] for j in range(k)])
                        it += 1
                    return cent[np.argsort(cent.prod(axis=1), kind="stable")]
            """,
            "sorted() on the rows": """
                def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
                    wh = np.asarray(box_wh, np.float64)
                    c = wh[np.random.default_rng(seed).choice(wh.shape[0], size=k, replace=False)].copy()
                    last = None
                    for _ in range(max_iter):
                        scores = np.array([[iou((0, 0, w, h), (0, 0, cw, ch)) for cw, ch in c] for w, h in wh])
                        assign = scores.argmax(axis=1)
                        if last is not None and np.array_equal(assign, last):
                            break
                        last = assign
                        for j in range(k):
                            if (assign == j).any():
                                c[j] = wh[assign == j].mean(axis=0)
                    return np.array(sorted(c.tolist(), key=lambda r: r[0] * r[1]))
            """,
        },
    },
    "decode_yolo_output": {
        "wrong": {
            "row and column swapped": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    return _decode(np.swapaxes(np.asarray(output), 0, 1), anchors, score_threshold)
            """,
            "anchor (w, h) swapped": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    return _decode(output, np.asarray(anchors)[:, ::-1], score_threshold)
            """,
            "score >= threshold": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    return _decode(output, anchors, score_threshold - 1e-12)
            """,
            "no softmax on the classes": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    out = np.asarray(output, float)
                    S = out.shape[0]
                    sig = lambda x: 1 / (1 + np.exp(-x))
                    score = sig(out[..., 0]) * sig(out[..., 5:]).max(-1)
                    r, c, a = np.nonzero(score > score_threshold)
                    t = out[r, c, a]
                    anchors = np.asarray(anchors, float)
                    cx, cy = (c + sig(t[:, 1])) / S, (r + sig(t[:, 2])) / S
                    w, h = anchors[a, 0] * np.exp(t[:, 3]) / S, anchors[a, 1] * np.exp(t[:, 4]) / S
                    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), score[r, c, a], t[:, 5:].argmax(-1)
            """,
            "centre in cell units, not image-relative": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    boxes, scores, classes = _decode(output, anchors, score_threshold)
                    S = np.asarray(output).shape[0]
                    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 * S
                    half = (boxes[:, 2:] - boxes[:, :2]) / 2
                    return np.concatenate([centre - half, centre + half], 1), scores, classes
            """,
            "the first anchor for every slot": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    anchors = np.asarray(anchors)
                    return _decode(output, np.repeat(anchors[:1], len(anchors), axis=0), score_threshold)
            """,
            "score without p_c": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    out = np.array(output, float)
                    out[..., 0] = 50.0
                    return _decode(out, anchors, score_threshold)
            """,
        },
        "right": {
            "loops over the grid": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    S, _, B, _ = output.shape
                    boxes, scores, classes = [], [], []
                    for r in range(S):
                        for c in range(S):
                            for a in range(B):
                                t = output[r, c, a].astype(float)
                                p = np.exp(t[5:] - t[5:].max()); p /= p.sum()
                                score = p.max() / (1 + np.exp(-t[0]))
                                if score > score_threshold:
                                    cx, cy = (c + 1 / (1 + np.exp(-t[1]))) / S, (r + 1 / (1 + np.exp(-t[2]))) / S
                                    w, h = anchors[a][0] * np.exp(t[3]) / S, anchors[a][1] * np.exp(t[4]) / S
                                    boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
                                    scores.append(score)
                                    classes.append(int(p.argmax()))
                    return np.array(boxes).reshape(-1, 4), np.array(scores), np.array(classes, dtype=int)
            """,
            "keras.ops softmax and a grid": """
                def decode_yolo_output(output, anchors, score_threshold=0.5):
                    out = np.asarray(output, dtype="float64")
                    S = out.shape[0]
                    probs = keras.ops.convert_to_numpy(keras.ops.softmax(out[..., 5:], axis=-1)).astype("float64")
                    probs = probs / probs.sum(-1, keepdims=True)
                    col, row = np.meshgrid(np.arange(S), np.arange(S))
                    sig = lambda v: 0.5 * (1 + np.tanh(v / 2))
                    cx = (col[..., None] + sig(out[..., 1])) / S
                    cy = (row[..., None] + sig(out[..., 2])) / S
                    w = np.asarray(anchors)[:, 0] * np.exp(out[..., 3]) / S
                    h = np.asarray(anchors)[:, 1] * np.exp(out[..., 4]) / S
                    score = sig(out[..., 0]) * probs.max(-1)
                    keep = score > score_threshold
                    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)[keep]
                    return boxes, score[keep], probs.argmax(-1)[keep]
            """,
        },
    },
    "average_precision": {
        "wrong": {
            "no envelope (raw precision)": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    ap, p, r = _ap(pred_boxes, pred_scores, gt_boxes, iou_threshold, return_curve=True)
                    ap = float(np.sum((r - np.concatenate([[0.0], r[:-1]])) * p)) if len(p) else 0.0
                    return (ap, p, r) if return_curve else ap
            """,
            "duplicates count as true positives": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    pb, ps, gt = np.asarray(pred_boxes, float).reshape(-1, 4), np.asarray(pred_scores, float), np.asarray(gt_boxes, float)
                    order = np.argsort(-ps, kind="stable")
                    ov = iou_matrix(pb[order], gt)
                    tp = (ov.max(axis=1) >= iou_threshold).astype(float) if len(order) else np.zeros(0)
                    c = np.cumsum(tp); p = c / np.arange(1, len(c) + 1); r = c / len(gt)
                    env = np.maximum.accumulate(p[::-1])[::-1]
                    ap = float(np.sum((r - np.concatenate([[0.0], r[:-1]])) * env))
                    return (ap, p, r) if return_curve else ap
            """,
            "not sorted by score": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    n = len(pred_scores)
                    return _ap(pred_boxes, np.linspace(1, 0.5, n) if n else pred_scores, gt_boxes, iou_threshold, return_curve)
            """,
            "IoU > threshold": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    return _ap(pred_boxes, pred_scores, gt_boxes, iou_threshold + 1e-9, return_curve)
            """,
            "recall divided by the number of detections": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    ap, p, r = _ap(pred_boxes, pred_scores, gt_boxes, iou_threshold, return_curve=True)
                    r = r * len(gt_boxes) / max(len(p), 1)
                    env = np.maximum.accumulate(p[::-1])[::-1] if len(p) else p
                    ap = float(np.sum((r - np.concatenate([[0.0], r[:-1]])) * env))
                    return (ap, p, r) if return_curve else ap
            """,
            "the mean precision": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    ap, p, r = _ap(pred_boxes, pred_scores, gt_boxes, iou_threshold, return_curve=True)
                    ap = float(np.mean(p)) if len(p) else 0.0
                    return (ap, p, r) if return_curve else ap
            """,
        },
        "right": {
            "loops and iou": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    order = sorted(range(len(pred_scores)), key=lambda i: (-pred_scores[i], i))
                    used, tp, fp, prec, rec = set(), 0, 0, [], []
                    for i in order:
                        ious = [iou(pred_boxes[i], g) for g in gt_boxes]
                        j = int(np.argmax(ious))
                        if ious[j] >= iou_threshold and j not in used:
                            used.add(j); tp += 1
                        else:
                            fp += 1
                        prec.append(tp / (tp + fp)); rec.append(tp / len(gt_boxes))
                    ap, last = 0.0, 0.0
                    for k in range(len(prec)):
                        ap += (rec[k] - last) * max(prec[k:])
                        last = rec[k]
                    return (ap, np.array(prec), np.array(rec)) if return_curve else ap
            """,
            "envelope by a reversed loop": """
                def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
                    boxes = np.asarray(pred_boxes, float).reshape(-1, 4)
                    order = np.lexsort((np.arange(len(boxes)), -np.asarray(pred_scores, float)))
                    ov = iou_matrix(boxes[order], np.asarray(gt_boxes, float))
                    taken = np.zeros(len(gt_boxes), bool)
                    hits = []
                    for row in ov:
                        j = int(np.argmax(row))
                        ok = bool(row[j] >= iou_threshold and not taken[j])
                        taken[j] |= ok
                        hits.append(ok)
                    c = np.cumsum(hits, dtype=float)
                    precision = c / np.arange(1, len(c) + 1)
                    recall = c / len(gt_boxes)
                    env = precision.copy()
                    for k in range(len(env) - 2, -1, -1):
                        env[k] = max(env[k], env[k + 1])
                    ap = float(np.dot(np.diff(np.concatenate([[0.0], recall])), env))
                    return (ap, precision, recall) if return_curve else ap
            """,
        },
    },
}

PRELUDE = {
    "iou_matrix": "_iou_matrix = iou_matrix",
    "non_max_suppression": "_nms = non_max_suppression",
    "encode_yolo_targets": "_encode = encode_yolo_targets",
    "kmeans_anchors": "_kmeans = kmeans_anchors",
    "decode_yolo_output": "_decode = decode_yolo_output",
    "average_precision": "_ap = average_precision",
}

# Mutants of the official answers (python -m course_tools mutation-score 06) that no input the docstrings allow
# tells apart from them, with the reason.
EQUIVALENT = {
    "iou": {
        "argument: `max(box1[0], box2[0])` -> `max(box2[0], box1[0])` in `x1, y1 = (max(box1[0], box2[0]), max(box1[1], box2[1]))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `max(box1[1], box2[1])` -> `max(box2[1], box1[1])` in `x1, y1 = (max(box1[0], box2[0]), max(box1[1], box2[1]))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `min(box1[2], box2[2])` -> `min(box2[2], box1[2])` in `x2, y2 = (min(box1[2], box2[2]), min(box1[3], box2[3]))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `min(box1[3], box2[3])` -> `min(box2[3], box1[3])` in `x2, y2 = (min(box1[2], box2[2]), min(box1[3], box2[3]))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `max(0.0, x2 - x1)` -> `max(x2 - x1, 0.0)` in `intersection = max(0.0, x2 - x1) * max(0.0, y2 - y1)`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `max(0.0, y2 - y1)` -> `max(y2 - y1, 0.0)` in `intersection = max(0.0, x2 - x1) * max(0.0, y2 - y1)`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "function: `float(intersection / union)` -> `intersection / union` in `return float(intersection / union) if union > 0 else 0.0`": "intersection / union is already a Python float or an np.float64 (a float subclass): float() changes nothing.",
    },
    "encode_yolo_targets": {
        "statement: `boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)` -> `pass`": "boxes are documented as a (k, 4) array of floats in [0, 1]: the loop reads its rows alike from a list or an array, and float64 changes nothing beyond rounding far below the tolerance.",
        "argument: `np.asarray(boxes, dtype=np.float64)` -> `np.asarray(boxes)` in `boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)`": "boxes are documented as a (k, 4) array of floats in [0, 1]: the loop reads its rows alike from a list or an array, and float64 changes nothing beyond rounding far below the tolerance.",
        "constant: `1` -> `2` in `boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "argument: `np.asarray(anchors, dtype=np.float64)` -> `np.asarray(anchors)` in `anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)`": "anchors as float or integer arrays give the same IoUs (np.minimum and the products turn them into floats with w and h).",
        "constant: `1` -> `2` in `anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "constant: `1` -> `2` in `for (x1, y1, x2, y2), label in zip(boxes, np.asarray(labels).reshape(-1)): cx...`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "argument: `min(int(np.floor(cy)), S - 1)` -> `min(S - 1, int(np.floor(cy)))` in `row, col = (min(int(np.floor(cy)), S - 1), min(int(np.floor(cx)), S - 1))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `min(int(np.floor(cx)), S - 1)` -> `min(S - 1, int(np.floor(cx)))` in `row, col = (min(int(np.floor(cy)), S - 1), min(int(np.floor(cx)), S - 1))`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.minimum(w, anchors[:, 0])` -> `np.minimum(anchors[:, 0], w)` in `inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.minimum(h, anchors[:, 1])` -> `np.minimum(anchors[:, 1], h)` in `inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "arith: `w * h + anchors[:, 0] * anchors[:, 1] - inter` -> `w * h + anchors[:, 0] * anchors[:, 1] + inter` in `a = int(np.argmax(inter / (w * h + anchors[:, 0] * anchors[:, 1] - inter)))`": "I / (a + b - I) and I / (a + b + I) both increase with I / (a + b): the same anchor has the largest of each.",
    },
    "kmeans_anchors": {
        "constant: `1` -> `2` in `wh = np.asarray(box_wh, dtype=np.float64).reshape(-1, 2)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "function: `wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()` -> `wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].view()` in `centroids = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=Fa...`": "indexing with an array of indices already returns a copy: its view shares nothing with box_wh.",
        "argument: `np.minimum(wh[:, None, 0], centroids[None, :, 0])` -> `np.minimum(centroids[None, :, 0], wh[:, None, 0])` in `inter = np.minimum(wh[:, None, 0], centroids[None, :, 0]) * np.minimum(wh[:, ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.minimum(wh[:, None, 1], centroids[None, :, 1])` -> `np.minimum(centroids[None, :, 1], wh[:, None, 1])` in `inter = np.minimum(wh[:, None, 0], centroids[None, :, 0]) * np.minimum(wh[:, ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "arith: `wh[:, None, 0] * wh[:, None, 1] + centroids[None, :, 0] * centroids[None, :, ...` -> `wh[:, None, 0] * wh[:, None, 1] + centroids[None, :, 0] * centroids[None, :, ...` in `shape_iou = inter / (wh[:, None, 0] * wh[:, None, 1] + centroids[None, :, 0] ...`": "I / (a + c - I) and I / (a + c + I) both increase with I / (a + c): the same centroid has the largest of each.",
        "compare: `assignment is not None` -> `assignment is None` in `if assignment is not None and np.array_equal(new, assignment): break`": "without the early stop the loop runs on at a fixed point: once no assignment changes, no centroid moves.",
        "argument: `np.array_equal(new, assignment)` -> `np.array_equal(assignment, new)` in `if assignment is not None and np.array_equal(new, assignment): break`": "np.array_equal is symmetric in its two arguments.",
        "range: `range(k)` -> `range(k + 1)` in `for j in range(k): if np.any(assignment == j): centroids[j] = wh[assignment =...`": "there is no centroid k: no box is assigned to it, so the extra pass changes nothing.",
        "argument: `np.argsort(centroids[:, 0] * centroids[:, 1], kind='stable')` -> `np.argsort(centroids[:, 0] * centroids[:, 1])` in `return centroids[np.argsort(centroids[:, 0] * centroids[:, 1], kind='stable')]`": "NumPy's default sort is stable up to 16 elements, and the docstring leaves the order of equal areas open.",
    },
    "iou_matrix": {
        "argument: `np.maximum(a[:, None, 0], b[None, :, 0])` -> `np.maximum(b[None, :, 0], a[:, None, 0])` in `x1 = np.maximum(a[:, None, 0], b[None, :, 0])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.maximum(a[:, None, 1], b[None, :, 1])` -> `np.maximum(b[None, :, 1], a[:, None, 1])` in `y1 = np.maximum(a[:, None, 1], b[None, :, 1])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.minimum(a[:, None, 2], b[None, :, 2])` -> `np.minimum(b[None, :, 2], a[:, None, 2])` in `x2 = np.minimum(a[:, None, 2], b[None, :, 2])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.minimum(a[:, None, 3], b[None, :, 3])` -> `np.minimum(b[None, :, 3], a[:, None, 3])` in `y2 = np.minimum(a[:, None, 3], b[None, :, 3])`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.clip(x2 - x1, 0, None)` -> `np.clip(0, x2 - x1, None)` in `intersection = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)`": "np.clip(0, x, None) is max(0, x) broadcast to the shape of x: the values of np.clip(x, 0, None).",
        "argument: `np.clip(y2 - y1, 0, None)` -> `np.clip(0, y2 - y1, None)` in `intersection = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)`": "np.clip(0, x, None) is max(0, x) broadcast to the shape of x: the values of np.clip(x, 0, None).",
    },
    "non_max_suppression": {
        "statement: `scores = np.asarray(scores, dtype=np.float64)` -> `pass`": "scores are documented as an array of confidences: np.asarray returns it as it is, and float64 changes nothing for float or integer scores.",
        "argument: `np.asarray(scores, dtype=np.float64)` -> `np.asarray(scores)` in `scores = np.asarray(scores, dtype=np.float64)`": "scores are documented as an array of confidences: np.asarray returns it as it is, and float64 changes nothing for float or integer scores.",
        "statement: `classes = np.asarray(classes)` -> `pass`": "classes are documented as an int array: np.asarray returns it as it is.",
        "argument: `np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, N...` -> `np.clip(0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), N...` in `w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), ...`": "np.clip(0, x, None) is max(0, x) broadcast to the shape of x: the values of np.clip(x, 0, None).",
        "argument: `np.minimum(x2[best], x2[rest])` -> `np.minimum(x2[rest], x2[best])` in `w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.maximum(x1[best], x1[rest])` -> `np.maximum(x1[rest], x1[best])` in `w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, N...` -> `np.clip(0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), N...` in `h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), ...`": "np.clip(0, x, None) is max(0, x) broadcast to the shape of x: the values of np.clip(x, 0, None).",
        "argument: `np.minimum(y2[best], y2[rest])` -> `np.minimum(y2[rest], y2[best])` in `h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "argument: `np.maximum(y1[best], y1[rest])` -> `np.maximum(y1[rest], y1[best])` in `h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), ...`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
    },
    "decode_yolo_output": {
        "argument: `np.asarray(output, dtype=np.float64)` -> `np.asarray(output)` in `out = np.asarray(output, dtype=np.float64)`": "the output volume holds floats (or integers): without float64 the same formulas give the same values to far below the tolerance.",
        "constant: `0` -> `1` in `S = out.shape[0]`": "the grid is square, (S, S, B, 5 + C): shape[1] is S as well.",
        "argument: `np.asarray(anchors, dtype=np.float64)` -> `np.asarray(anchors)` in `anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)`": "anchors of floats or integers give the same sizes: anchors[a, 0] * exp(t_w) is a float either way.",
        "constant: `1` -> `2` in `anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "bool: `-1` -> `1` in `return (boxes, score[rows, cols, a], probs[rows, cols, a].argmax(axis=-1))`": "probs[rows, cols, a] has shape (n, C): axis 1 is its last axis.",
    },
    "average_precision": {
        "statement: `pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)` -> `pass`": "pred_boxes is documented as an (n, 4) array: indexing it and iou_matrix work on it as it is (iou_matrix converts to float).",
        "argument: `np.asarray(pred_boxes, dtype=np.float64)` -> `np.asarray(pred_boxes)` in `pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)`": "pred_boxes is documented as an (n, 4) array: indexing it and iou_matrix work on it as it is (iou_matrix converts to float).",
        "constant: `1` -> `2` in `pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "argument: `np.asarray(pred_scores, dtype=np.float64)` -> `np.asarray(pred_scores)` in `scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)`": "np.asarray of the scores (an array or a list of floats) is already a float array.",
        "constant: `1` -> `2` in `scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "argument: `np.asarray(gt_boxes, dtype=np.float64)` -> `np.asarray(gt_boxes)` in `gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)`": "gt_boxes only goes to iou_matrix, which converts it to float.",
        "constant: `1` -> `2` in `gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)`": "NumPy's reshape infers any negative size: reshape(-2, ...) works as reshape(-1, ...).",
        "argument: `np.zeros(len(gt), dtype=bool)` -> `np.zeros(len(gt))` in `matched = np.zeros(len(gt), dtype=bool)`": "matched holds 0.0 and 1.0 instead of False and True: `not matched[j]` reads them the same.",
        "constant: `0` -> `-1` in `if len(gt) == 0: break`": "the docstring asks for g >= 1 true boxes: len(gt) is never 0 (nor -1).",
        "argument: `max(len(gt), 1)` -> `max(1, len(gt))` in `recall = cumulative / max(len(gt), 1)`": "max and min (np.maximum, np.minimum) are symmetric in their two arguments.",
        "constant: `1` -> `0` in `recall = cumulative / max(len(gt), 1)`": "the docstring asks for g >= 1 true boxes: max(len(gt), 1), max(1, len(gt)) and max(len(gt), 0) are all len(gt).",
        "function: `float(np.sum((recall - previous) * envelope))` -> `np.sum((recall - previous) * envelope)` in `ap = float(np.sum((recall - previous) * envelope))`": "np.sum returns an np.float64, a subclass of float: float() changes nothing.",
    },
}
