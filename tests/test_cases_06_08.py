"""The stored cases of notebooks 06 and 08 are right by an independent route: exact fractions for the box
geometry, the docstrings' rules written as plain loops, float64 formulas and centred differences for the
gradients the tensor probe stored (the probe differentiates sum(out * w) for a fixed pattern w)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from course_utils import checks


def _exact_iou(a, b) -> Fraction:
    a, b = [Fraction(float(v)) for v in a], [Fraction(float(v)) for v in b]
    w = max(Fraction(0), min(a[2], b[2]) - max(a[0], b[0]))
    h = max(Fraction(0), min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else Fraction(0)


def _weights(shape) -> np.ndarray:
    """The fixed pattern probe_tensor multiplies the output by before differentiating."""
    n = int(np.prod(shape)) if shape else 1
    return np.cos(0.7 * np.arange(n) + 0.3).reshape(shape)


# --------------------------------------------------------------------------- 06


def test_06_iou_cases_are_exact():
    for case in checks.cases("iou"):
        assert abs(case.expected["value"] - float(_exact_iou(*case.args))) < 1e-12, case


def test_06_iou_matrix_cases_are_exact():
    for case in checks.cases("iou_matrix"):
        a, b = (np.asarray(x, dtype=np.float64).reshape(-1, 4) for x in case.args)
        exact = np.array([[float(_exact_iou(p, q)) for q in b] for p in a]).reshape(len(a), len(b))
        assert np.allclose(case.expected["value"], exact, rtol=1e-12, atol=1e-15), case


def _nms_by_the_docstring(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
    boxes, scores, classes = np.asarray(boxes, dtype=np.float64), list(map(float, scores)), list(classes)
    order = sorted((i for i in range(len(scores)) if scores[i] > score_threshold), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(classes[j] != classes[i] or _exact_iou(boxes[i], boxes[j]) < iou_threshold for j in keep):
            keep.append(i)
    return sorted(keep, key=lambda i: (-scores[i], i))


def test_06_non_max_suppression_cases_follow_the_docstring():
    for case in checks.cases("non_max_suppression"):
        assert list(case.expected["value"]) == _nms_by_the_docstring(*case.args, **case.kwargs), case


def test_06_decode_cases_follow_the_docstring():
    for case in checks.cases("decode_yolo_output"):
        output, anchors = np.asarray(case.args[0], dtype=np.float64), np.asarray(case.args[1], dtype=np.float64)
        threshold = case.args[2] if len(case.args) > 2 else case.kwargs.get("score_threshold", 0.5)
        S, _, B, _ = output.shape
        boxes, scores, classes = [], [], []
        for row in range(S):
            for col in range(S):
                for a in range(B):
                    t = output[row, col, a]
                    top = max(t[5:])
                    p = [math.exp(v - top) for v in t[5:]]
                    score = max(p) / sum(p) / (1 + math.exp(-t[0])) if t[0] > -700 else 0.0
                    if score > threshold:
                        cx, cy = (col + 1 / (1 + math.exp(-t[1]))) / S, (row + 1 / (1 + math.exp(-t[2]))) / S
                        w, h = anchors[a, 0] * math.exp(t[3]) / S, anchors[a, 1] * math.exp(t[4]) / S
                        boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
                        scores.append(score)
                        classes.append(p.index(max(p)))
        got_boxes, got_scores, got_classes = case.expected["value"]
        assert np.allclose(got_boxes, np.array(boxes).reshape(-1, 4), atol=1e-12), case
        assert np.allclose(got_scores, scores, atol=1e-12), case
        assert list(got_classes) == classes, case


def test_06_average_precision_cases_follow_the_docstring():
    for case in checks.cases("average_precision"):
        args = list(case.args) + [None] * (5 - len(case.args))
        pred, scores, gt, threshold, curve = args
        threshold = case.kwargs.get("iou_threshold", 0.5 if threshold is None else threshold)
        curve = case.kwargs.get("return_curve", bool(curve))
        pred, gt, scores = np.asarray(pred, float), np.asarray(gt, float), list(map(float, scores))
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        matched, tp, precision, recall = set(), 0, [], []
        for k, i in enumerate(order, start=1):
            overlaps = [_exact_iou(pred[i], g) for g in gt]
            j = overlaps.index(max(overlaps))
            if overlaps[j] >= threshold and j not in matched:
                matched.add(j)
                tp += 1
            precision.append(tp / k)
            recall.append(tp / len(gt))
        ap, previous = 0.0, 0.0
        for k in range(len(order)):
            ap += (recall[k] - previous) * max(precision[k:])
            previous = recall[k]
        if curve:
            got_ap, got_p, got_r = case.expected["value"]
            assert np.allclose(got_p, precision) and np.allclose(got_r, recall), case
        else:
            got_ap = case.expected["value"]
        assert abs(got_ap - ap) < 1e-12, case


def test_06_kmeans_cases_are_fixed_points_sorted_by_area():
    """Each stored answer is what k-means reaches: run to convergence (max_iter 100) no centroid moves any
    more when started from it, and the anchors are sorted by area."""
    for case in checks.cases("kmeans_anchors"):
        wh = np.asarray(case.args[0], dtype=np.float64)
        max_iter = case.args[3] if len(case.args) > 3 else case.kwargs.get("max_iter", 100)
        anchors = np.asarray(case.expected["value"])
        areas = anchors[:, 0] * anchors[:, 1]
        assert np.all(np.diff(areas) >= 0), case
        if max_iter < 100:
            continue
        inter = np.minimum(wh[:, None, 0], anchors[None, :, 0]) * np.minimum(wh[:, None, 1], anchors[None, :, 1])
        assign = np.argmax(inter / (wh.prod(1)[:, None] + areas[None, :] - inter), axis=1)
        for j in range(len(anchors)):
            if np.any(assign == j):
                assert np.allclose(wh[assign == j].mean(axis=0), anchors[j], atol=1e-9), case


# --------------------------------------------------------------------------- 08


def _triplet(a, p, n, margin=0.2):
    return np.maximum(((a - p) ** 2).sum(-1) - ((a - n) ** 2).sum(-1) + margin, 0).sum()


def _distances(e, squared=False):
    d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
    return d2 if squared else np.sqrt(d2)


def _hard(e, labels):
    d2 = _distances(e, squared=True)
    same = labels[:, None] == labels[None, :]
    positive = np.where(same & ~np.eye(len(labels), dtype=bool), d2, 0).max(1)
    negative = np.where(~same, d2, np.inf).min(1)
    return positive, negative


def _check_gradient(case, function, arrays, which, rtol):
    """The stored gradient with respect to arrays[which] against centred differences of the float64 function."""
    expected = case.expected["value"]
    w = _weights(np.shape(expected))

    def loss(x):
        parts = [np.array(a, dtype=np.float64) for a in arrays]
        parts[which] = x
        return function(*parts) * w

    numerical = checks.numerical_gradient(loss, np.array(arrays[which], dtype=np.float64), h=1e-5)
    k = case.options.get("grad_args", [0]).index(which)
    error = np.max(np.abs(case.expected["grads"][k] - numerical)) / max(1e-8, np.max(np.abs(numerical)))
    assert error < rtol, (case, which, error)


def test_08_triplet_loss_cases_by_the_formula_and_centred_differences():
    for case in checks.cases("triplet_loss"):
        a, p, n = (np.asarray(x, dtype=np.float32).astype(np.float64) for x in case.args[:3])
        margin = case.args[3] if len(case.args) > 3 else case.kwargs.get("margin", 0.2)
        assert abs(float(case.expected["value"]) - _triplet(a, p, n, margin)) < 1e-4, case
        for which in range(3):
            _check_gradient(case, lambda a, p, n, margin=margin: _triplet(a, p, n, margin), [a, p, n], which, 1e-3)


def test_08_pairwise_distance_cases_by_the_formula_and_centred_differences():
    for case in checks.cases("pairwise_distances"):
        e = np.asarray(case.args[0], dtype=np.float32).astype(np.float64)
        squared = case.args[1] if len(case.args) > 1 else case.kwargs.get("squared", False)
        expected = _distances(e, squared)
        assert np.allclose(case.expected["value"], expected, rtol=1e-4, atol=1e-3 * max(1.0, np.abs(e).max())), case
        off = ~np.eye(len(e), dtype=bool)
        if squared or np.all(_distances(e, True)[off] > 0):  # sqrt has no derivative at 0: skip equal rows
            _check_gradient(case, lambda x, squared=squared: _distances(x, squared), [e], 0, 1e-3)


@pytest.mark.parametrize("output", [0, 1])
def test_08_batch_hard_cases_by_the_formula_and_centred_differences(output):
    for case in checks.cases("batch_hard_triplets"):
        if case.options.get("select") != output:
            continue
        e = np.asarray(case.args[0], dtype=np.float32).astype(np.float64)
        labels = np.asarray(case.args[1])
        expected = _hard(e, labels)[output]
        assert np.allclose(case.expected["value"], expected, rtol=1e-4, atol=1e-4), case
        if np.abs(e).max() < 100:  # the far-apart case: float32 rounding dominates its centred differences
            _check_gradient(case, lambda x, labels=labels: _hard(x, labels)[output], [e], 0, 1e-3)


def test_08_verify_and_identify_cases_by_the_docstrings():
    for case in checks.cases("verify"):
        a, b, threshold = case.args
        d2 = sum((float(x) - float(y)) ** 2 for x, y in zip(a, b))
        assert case.expected["value"] == (d2 <= threshold), case
    for case in checks.cases("identify"):
        query, database, threshold = case.args
        best = {
            name: min(sum((float(x) - float(q)) ** 2 for x, q in zip(row, query)) for row in np.atleast_2d(rows))
            for name, rows in database.items()
        }
        name = min(best, key=best.get)
        assert case.expected["value"] == (name if best[name] <= threshold else "unknown"), case
