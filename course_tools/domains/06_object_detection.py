"""Cases for notebook 06: IoU, non-max suppression, YOLO targets, anchors by k-means, decoding, AP.

Every domain starts with the worked examples of the text, then the cases that single out one mistake
(boxes apart along one axis only or diagonally, touching, nested, empty and tiny boxes, ties in the
scores beyond the 16 elements where NumPy's default sort stops being stable, empty clusters, huge
logits, the documented order of a result, arguments left to their defaults), then random ones.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen


def _boxes(rng, n, low=0.0, high=20.0, size=(1.0, 10.0)):
    """n random boxes (x1, y1, x2, y2) with x1 < x2, y1 < y2."""
    xy = rng.uniform(low, high, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(*size, (n, 2))], axis=1)


# --------------------------------------------------------------------------- iou

IOU_HINT = "intersection = max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1)); union = a1 + a2 - intersection."


def iou(rng):
    yield Gen(
        "the worked example: two 4x4 boxes overlapping by 2x2",
        ((0, 0, 4, 4), (2, 2, 6, 6)),
        hint="union = area1 + area2 - intersection = 16 + 16 - 4: IoU 4/28 = 1/7.",
    )
    yield Gen(
        "boxes apart along x only (same rows)",
        ((0, 0, 2, 2), (3, 0, 5, 2)),
        hint="the overlap's width min(x2) - max(x1) is -1 here: clip it to 0, so IoU = 0.",
    )
    yield Gen(
        "boxes apart along y only (overlapping columns)",
        ((0, 0, 4, 2), (1, 3, 3, 5)),
        hint="the overlap's height min(y2) - max(y1) is -1 here: clip it to 0, so IoU = 0.",
    )
    yield Gen(
        "boxes apart diagonally (both sides of the overlap negative)",
        ((0, 0, 1, 1), (2, 2, 3, 3)),
        hint="clip each side to 0 before multiplying: (-1) * (-1) = 1 is not an overlap.",
    )
    yield Gen("boxes touching along an edge", ((0, 0, 2, 2), (2, 0, 4, 2)), hint="touching boxes share no area: 0.")
    yield Gen("a box with itself", ((1, 1, 3, 3), (1, 1, 3, 3)), hint="identical boxes: IoU 1.")
    yield Gen("a box inside another (area 10 in 100)", ((0, 0, 10, 10), (2, 3, 4, 8)), hint=IOU_HINT)
    yield Gen(
        "the same boxes in the other order",
        ((2, 2, 6, 6), (0, 0, 4, 4)),
        hint="the overlap starts at the larger x1 and y1 and ends at the smaller x2 and y2.",
    )
    yield Gen(
        "a wide box across a tall one",
        ((0, 2, 8, 4), (3, 0, 5, 9)),
        hint="width from the x corners (indices 0 and 2), height from the y corners (1 and 3).",
    )
    yield Gen(
        "fractional corners (1.5 in 3 + 3 - 1.5)",
        ((0.5, 0.5, 2.5, 2.0), (1.0, 0.0, 2.0, 3.0)),
        hint="keep the corners as they are (no int()).",
    )
    yield Gen("NumPy boxes", (np.array([0.0, 0.0, 4.0, 2.0]), np.array([2.0, 0.0, 6.0, 2.0])), hint=IOU_HINT)
    yield Gen("integer NumPy boxes", (np.array([0, 0, 4, 2]), np.array([1, 1, 3, 5])), hint=IOU_HINT)
    yield Gen("a list and a tuple", ([0, 0, 3, 3], (1, 1, 4, 4)), hint=IOU_HINT)
    yield Gen(
        "two empty boxes (union 0)",
        ((0, 0, 0, 0), (0, 0, 0, 0)),
        hint="when the union has zero area, return 0.0 (do not divide by zero).",
    )
    yield Gen(
        "two identical lines (zero height, union 0)",
        ((0.0, 1.0, 4.0, 1.0), (0.0, 1.0, 4.0, 1.0)),
        hint="a box of zero height has zero area: the union is 0, so return 0.0.",
    )
    yield Gen("a point inside a box", ((1, 1, 1, 1), (0, 0, 2, 2)), hint="an empty box overlaps nothing: 0.")
    yield Gen("a zero-width box (a line) across a box", ((1, 0, 1, 4), (0, 0, 4, 4)), hint=IOU_HINT)
    yield Gen(
        "tiny boxes (sides 0.001 and 0.002)",
        ((0.0, 0.0, 1e-3, 1e-3), (0.0, 0.0, 1e-3, 2e-3)),
        hint="tiny boxes have tiny areas (1e-6): test union > 0 and divide; do not add an epsilon or compare with 1.",
    )
    yield Gen(
        "tiny boxes, partly overlapping",
        ((0.0, 0.0, 2e-3, 2e-3), (1e-3, 5e-4, 3e-3, 2.5e-3)),
        hint="tiny boxes have tiny areas: do not add an epsilon to the union.",
    )
    yield Gen("large pixel coordinates", ((1000, 2000, 1600, 2300), (1300, 2100, 1900, 2600)), hint=IOU_HINT)
    yield Gen("negative coordinates", ((-5.0, -5.0, -1.0, -2.0), (-3.0, -4.0, 0.0, 0.0)), hint=IOU_HINT)
    for _ in range(10):
        a = _boxes(rng, 1, 0, 10, (1.0, 6.0))[0]
        b = a + rng.uniform(-3, 3, 4)
        b[2:] = np.maximum(b[2:], b[:2] + 0.2)
        yield Gen("random overlapping boxes", (tuple(float(v) for v in a), tuple(float(v) for v in b)))


# --------------------------------------------------------------------------- iou_matrix


def iou_matrix(rng):
    three = np.array([[0, 0, 4, 4], [0, 0, 4, 2], [0.5, 0.5, 2.5, 1.5]])
    yield Gen(
        "the worked example: 2 boxes against 2",
        (np.array([[0, 0, 4, 4], [2, 2, 6, 6]]), np.array([[2, 2, 6, 6], [10, 10, 12, 12]])),
        hint="broadcast boxes_a[:, None, :] against boxes_b[None, :, :]; union = area_a + area_b - intersection.",
    )
    yield Gen(
        "3 boxes against 3 others",
        (three, np.array([[2, 2, 6, 6], [1, 0, 2, 3], [0, 0, 1, 1]])),
        hint="entry [i, j] pairs boxes_a[i] with boxes_b[j] (not the transpose).",
    )
    yield Gen(
        "2 boxes against 4 (n != m)",
        (np.array([[0, 0, 4, 4], [1, 1, 2, 5]]), np.array([[2, 2, 6, 6], [1, 0, 2, 3], [0, 0, 1, 1], [0, 0, 4, 4]])),
        hint="the result has one row per box of boxes_a and one column per box of boxes_b: shape (n, m).",
    )
    yield Gen(
        "boxes apart along x only, along y only, diagonally",
        (np.array([[0, 0, 2, 2]]), np.array([[3, 0, 5, 2], [0, 3, 2, 5], [3, 3, 4, 4], [2, 2, 3, 3]])),
        hint="clip the overlap's width and height at 0 separately, before multiplying.",
    )
    yield Gen(
        "1 box against 3",
        (np.array([[1.0, 1.0, 3.0, 4.0]]), np.array([[0, 0, 2, 2], [2, 3, 5, 5], [1, 1, 3, 4]])),
        hint="keep 2 dimensions: (1, 3), not (3,).",
    )
    yield Gen("3 boxes against 1", (three, np.array([[0.0, 0.0, 1.0, 1.0]])), hint="keep 2 dimensions: (3, 1).")
    yield Gen(
        "no boxes in boxes_a", (np.zeros((0, 4)), three), hint="an empty set gives an empty (0, m) matrix, not (0,)."
    )
    yield Gen("no boxes in boxes_b", (three, np.zeros((0, 4))), hint="an empty set gives an empty (n, 0) matrix.")
    yield Gen("two empty sets", (np.zeros((0, 4)), np.zeros((0, 4))), hint="shape (0, 0).")
    yield Gen(
        "empty boxes (union 0)",
        (np.zeros((2, 4)), np.array([[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 2, 2]])),
        hint="0 where the union is 0, never NaN (use np.where on the union, or np.divide(..., where=...)).",
    )
    yield Gen(
        "zero-width and zero-height boxes",
        (np.array([[1, 0, 1, 4], [0, 2, 4, 2]]), np.array([[0, 0, 4, 4], [1, 0, 1, 4]])),
        hint="0 where the union is 0, never NaN.",
    )
    yield Gen("integer boxes", (np.array([[0, 0, 4, 4], [2, 1, 7, 3]]), np.array([[1, 1, 3, 5], [0, 0, 4, 4]])))
    yield Gen(
        "8-bit boxes (uint8 pixels)",
        (
            np.array([[0, 0, 40, 40], [200, 10, 250, 60]], dtype=np.uint8),
            np.array([[20, 20, 60, 60], [100, 100, 120, 130], [0, 0, 40, 40]], dtype=np.uint8),
        ),
        hint="convert the boxes to float first: differences of uint8 numbers wrap around (3 - 5 = 254).",
    )
    yield Gen(
        "tiny boxes",
        (np.array([[0.0, 0.0, 1e-3, 1e-3]]), np.array([[0.0, 0.0, 1e-3, 2e-3], [5e-4, 5e-4, 2e-3, 2e-3]])),
        hint="tiny boxes have tiny areas: test union > 0; do not add an epsilon.",
    )
    yield Gen("large pixel coordinates", (_boxes(rng, 3, 1000, 1200, (50, 300)), _boxes(rng, 2, 1000, 1200, (50, 300))))
    for _ in range(6):
        n, m = (int(v) for v in rng.integers(1, 8, size=2))
        yield Gen(f"{n} random boxes against {m}", (_boxes(rng, n), _boxes(rng, m)))


# --------------------------------------------------------------------------- non_max_suppression

NMS_HINT = "sort by score, keep the best, drop same-class boxes with IoU >= iou_threshold, repeat; per class."


def non_max_suppression(rng):
    b = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [20, 20, 30, 30]])
    b2 = np.array([[0, 0, 4, 4], [0, 0, 4, 2], [10, 10, 12, 12]], float)
    yield Gen(
        "the worked example",
        (b, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 0]), 0.5, 0.1),
        hint="keep box 0, drop box 1 (IoU 2/3 with box 0), keep box 2 (no overlap).",
    )
    yield Gen(
        "box 1 of another class",
        (b, np.array([0.9, 0.8, 0.7]), np.array([0, 1, 0]), 0.5, 0.1),
        hint="boxes of different classes never suppress each other: run NMS per class.",
    )
    yield Gen(
        "a chain of three boxes (IoU 7/13 between neighbours, 1/4 between the ends)",
        (np.array([[0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]]), np.array([0.9, 0.8, 0.7]), np.zeros(3, int)),
        {"iou_threshold": 0.5, "score_threshold": 0.0},
        hint="only kept boxes suppress others: box 1 is removed by box 0, so it cannot remove box 2.",
    )
    yield Gen(
        "3 classes, scores 0.5, 0.8, 0.9",
        (b, np.array([0.5, 0.8, 0.9]), np.array([0, 1, 2]), 0.5, 0.1),
        hint="return the kept indices sorted by decreasing score (not grouped by class, not in input order).",
    )
    yield Gen(
        "4 identical boxes, two of them tied at the best score",
        (np.array([[1, 1, 5, 5]] * 4), np.array([0.3, 0.9, 0.9, 0.5]), np.zeros(4, int), 0.5, 0.0),
        hint="identical boxes have IoU 1: only the best stays; equal scores: the smaller index first "
        "(argsort(-scores, kind='stable'); argsort(scores)[::-1] puts the larger index first).",
    )
    yield Gen(
        "IoU exactly 0.5",
        (b2, np.array([0.9, 0.8, 0.7]), np.zeros(3, int), 0.5, 0.0),
        hint="suppress when IoU >= iou_threshold (not only when >).",
    )
    yield Gen(
        "a score equal to score_threshold",
        (b2, np.array([0.9, 0.6, 0.6]), np.zeros(3, int), 0.7, 0.6),
        hint="keep only boxes with score > score_threshold (strictly greater).",
    )
    yield Gen(
        "boxes apart diagonally (a product of two negative sides is 1)",
        (np.array([[0, 0, 1, 1], [2, 2, 3, 3]]), np.array([0.9, 0.8]), np.zeros(2, int), 0.5, 0.0),
        hint="clip the overlap's width and height at 0 separately: these boxes do not overlap.",
    )
    yield Gen(
        "no boxes",
        (np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), 0.5, 0.0),
        hint="return an empty integer array: np.array(keep, dtype=int) (np.array([]) is a float array).",
    )
    yield Gen(
        "no score above score_threshold",
        (b, np.array([0.1, 0.05, 0.1]), np.array([0, 1, 0]), 0.5, 0.1),
        hint="nothing passes the score threshold: an empty integer array.",
    )
    yield Gen(
        "thresholds left to their defaults (0.5 and 0.0), one score 0",
        (
            np.array([[0, 0, 4, 4], [0, 0, 4, 2], [10, 10, 12, 12], [20, 0, 22, 2]]),
            np.array([0.9, 0.8, 0.7, 0.0]),
            np.zeros(4, int),
        ),
        hint="iou_threshold=0.5 and score_threshold=0.0 by default; a score of 0 is not > 0.",
    )
    yield Gen(
        "thresholds by keyword",
        (b, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 0])),
        {"score_threshold": 0.75, "iou_threshold": 0.7},
        hint="the arguments are boxes, scores, classes, iou_threshold, score_threshold.",
    )
    yield Gen(
        "iou_threshold 0: one box per class",
        (
            np.array([[0, 0, 1, 1], [1.5, 0, 2.5, 1], [9, 0, 10, 1], [9, 1.5, 10, 2.5], [20, 20, 21, 21]]),
            np.array([0.4, 0.9, 0.6, 0.7, 0.5]),
            np.array([0, 0, 1, 1, 0]),
            0.0,
            0.0,
        ),
        hint="IoU 0 >= 0: with iou_threshold 0 a kept box suppresses every other box of its class (clip the "
        "overlap's sides at 0, so that boxes apart along one axis have IoU 0, not less).",
    )
    yield Gen(
        "iou_threshold 1: only identical boxes are suppressed",
        (np.array([[0, 0, 4, 4], [0, 0, 4, 4], [0, 0, 4, 3.9]]), np.array([0.5, 0.9, 0.7]), np.zeros(3, int), 1.0, 0.0),
        hint="identical boxes have IoU exactly 1 >= 1.",
    )
    yield Gen(
        "class numbers 7 and 3",
        (
            np.array([[0, 0, 4, 4], [0, 0, 4, 4], [1, 0, 4, 4], [0, 1, 4, 4]]),
            np.array([0.6, 0.9, 0.8, 0.7]),
            np.array([7, 3, 7, 3]),
            0.5,
            0.0,
        ),
        hint="classes are any integers: group by their values, not by 0..k-1.",
    )
    yield Gen(
        "two identical empty boxes (union 0: IoU 0)",
        (
            np.array([[2, 2, 2, 2], [2, 2, 2, 2], [0, 0, 4, 4]], float),
            np.array([0.9, 0.8, 0.7]),
            np.zeros(3, int),
            0.5,
            0.0,
        ),
        hint="where the union is 0 the IoU is 0 (iou's rule): nothing is suppressed, never NaN.",
    )
    tiny = 2.0**-10
    yield Gen(
        "tiny boxes with IoU exactly 0.5",
        (np.array([[0, 0, tiny, tiny], [0, 0, tiny, tiny / 2]]), np.array([0.9, 0.8]), np.zeros(2, int), 0.5, 0.0),
        hint="do not add an epsilon to the union: these boxes have areas of about 1e-6.",
    )
    yield Gen(
        "tiny boxes with IoU 0.25",
        (np.array([[0, 0, tiny, tiny], [0, 0, tiny, tiny / 4]]), np.array([0.9, 0.8]), np.zeros(2, int), 0.5, 0.0),
        hint="clip the overlap's sides at 0 (not at 1): these boxes are about 0.001 wide.",
    )
    yield Gen(
        "8-bit boxes (uint8 pixels)",
        (
            np.array([[10, 10, 50, 50], [60, 10, 100, 50], [12, 10, 52, 50], [200, 200, 250, 240]], np.uint8),
            np.array([0.9, 0.8, 0.7, 0.6]),
            np.zeros(4, int),
            0.5,
            0.0,
        ),
        hint="convert the boxes to float first: differences of uint8 numbers wrap around (3 - 5 = 254).",
    )
    # 40 boxes in 20 overlapping pairs, both boxes of a pair with the same score: the one with the
    # smaller index is kept. NumPy's default sort is stable only up to 16 elements.
    pairs = _boxes(rng, 20, 0, 10, (8, 12)) + np.arange(20)[:, None] * [30.0, 0.0, 30.0, 0.0]
    order = rng.permutation(40)
    boxes = np.concatenate([pairs, pairs + [0.5, 0.0, 0.5, 0.0]])[order]
    scores = np.concatenate([np.round(rng.uniform(0.1, 1, 20), 1)] * 2)[order]
    yield Gen(
        "40 boxes in overlapping pairs with tied scores",
        (boxes, scores, np.zeros(40, int), 0.5, 0.0),
        hint="visit equal scores by increasing index: np.argsort(-scores, kind='stable'); NumPy's default sort "
        "is not stable beyond 16 elements.",
    )
    for _ in range(6):
        n, k = int(rng.integers(15, 40)), int(rng.integers(1, 4))
        thr = float(rng.choice([0.3, 0.5, 0.7]))
        yield Gen(
            f"{n} random boxes, {k} classes, iou_threshold {thr}",
            (
                _boxes(rng, n, 0, 40, (5, 20)),
                np.round(rng.uniform(0, 1, n), 1),
                rng.integers(0, k, n),
                thr,
                float(rng.choice([0.0, 0.2])),
            ),
        )


# --------------------------------------------------------------------------- encode_yolo_targets

ENC_HINT = "row from y, column from x; b_x = cx*S - col (cell-relative), b_w = w*S (cell units); anchor by shape IoU."


def encode_yolo_targets(rng):
    one = np.array([[1.0, 1.0]])
    tall_wide = np.array([[0.5, 1.5], [1.5, 0.5]])
    yield Gen(
        "the worked example (S = 3, one anchor, class 2)",
        (np.array([[40, 10, 80, 30]]) / 96, np.array([2]), 3, one, 3),
        hint="centre (60, 20) px -> row 0, col 1; b_x = 60/32 - 1 = 0.875, b_w = 40/32 = 1.25.",
    )
    yield Gen(
        "a box in row 2, column 0 (S = 3)",
        (np.array([[0.05, 0.7, 0.25, 0.9]]), np.array([1]), 3, one, 2),
        hint="the row comes from y (cy * S), the column from x (cx * S): target[row, col, a].",
    )
    yield Gen(
        "a wide box (w > h)",
        (np.array([[0.1, 0.4, 0.7, 0.5]]), np.array([0]), 4, one, 2),
        hint="entry [1:5] is (b_x, b_y, b_w, b_h): width first, both in cell units (w * S).",
    )
    yield Gen(
        "3 boxes, a tall and a wide anchor, S = 4",
        (
            np.array([[0.30, 0.55, 0.40, 0.95], [0.60, 0.05, 0.95, 0.15], [0.70, 0.30, 0.80, 0.45]]),
            np.array([4, 0, 2]),
            4,
            tall_wide,
            5,
        ),
        hint="the anchor is the one whose (w, h) has the highest IoU with the box's (w*S, h*S), both centred.",
    )
    yield Gen("no boxes", (np.zeros((0, 4)), np.zeros(0, int), 4, tall_wide, 5), hint="all zeros.")
    yield Gen(
        "a box in the bottom-right cell",
        (np.array([[0.8, 0.8, 1.0, 1.0]]), np.array([1]), 5, one, 2),
        hint=ENC_HINT,
    )
    yield Gen(
        "a centre on the image's bottom-right corner",
        (np.array([[1.0, 1.0, 1.0, 1.0]]), np.array([0]), 4, one, 2),
        hint="row = min(floor(cy * S), S - 1): floor(1.0 * S) = S is clamped to S - 1 (b_x is then 1).",
    )
    yield Gen(
        "a centre on the image's right edge only",
        (np.array([[0.9, 0.2, 1.0, 0.4], [1.0, 0.5, 1.0, 0.7]]), np.array([0, 1]), 4, one, 2),
        hint="clamp the column (x) and the row (y) separately: col = min(floor(cx * S), S - 1).",
    )
    yield Gen(
        "a centre on the image's bottom edge only",
        (np.array([[0.2, 0.9, 0.4, 1.0], [0.5, 1.0, 0.7, 1.0]]), np.array([1, 0]), 4, one, 2),
        hint="clamp the row (y) and the column (x) separately: row = min(floor(cy * S), S - 1).",
    )
    yield Gen(
        "a centre exactly on a cell border",
        (np.array([[0.125, 0.125, 0.375, 0.375]]), np.array([0]), 4, one, 2),
        hint="a centre on a border belongs to the cell below / to the right: floor, not round.",
    )
    yield Gen(
        "two boxes in the same cell and anchor (the later wins)",
        (np.array([[0.1, 0.1, 0.3, 0.3], [0.12, 0.12, 0.32, 0.3]]), np.array([0, 2]), 2, one, 3),
        hint="write the whole slot again for the later box: reset it to 0 first, so only its class is 1.",
    )
    yield Gen(
        "two boxes in the same cell, a tall one and a wide one",
        (np.array([[0.35, 0.55, 0.45, 0.95], [0.2, 0.7, 0.6, 0.8]]), np.array([1, 0]), 2, tall_wide, 2),
        hint="each box goes to the anchor of its own shape: both slots of the cell are filled.",
    )
    yield Gen(
        "two identical anchors (a tie: the smaller index)",
        (np.array([[0.1, 0.1, 0.4, 0.4]]), np.array([0]), 2, np.array([[2.0, 1.0], [1.0, 1.0], [1.0, 1.0]]), 1),
        hint="ties go to the smaller anchor index (np.argmax returns the first maximum).",
    )
    yield Gen(
        "a square box as close to a tall anchor as to a wide one",
        (np.array([[0.25, 0.25, 0.75, 0.75]]), np.array([1]), 2, np.array([[1.0, 2.0], [2.0, 1.0]]), 2),
        hint="equal IoUs: the smaller anchor index.",
    )
    yield Gen(
        "a box 3 cells wide",
        (np.array([[0.1, 0.3, 0.85, 0.45]]), np.array([0]), 4, np.array([[1.0, 1.0], [3.0, 0.5]]), 1),
        hint="b_w may be larger than 1 (cell units); the centre's cell owns the box.",
    )
    yield Gen(
        "a zero-size box",
        (np.array([[0.3, 0.6, 0.3, 0.6]]), np.array([1]), 3, tall_wide, 2),
        hint="a box of size 0 has IoU 0 with every anchor: the first anchor (np.argmax of a tie).",
    )
    yield Gen(
        "boxes and labels as lists",
        ([[0.1, 0.1, 0.3, 0.5], [0.6, 0.5, 0.9, 0.6]], [1, 0], 3, [[0.5, 1.5], [1.5, 0.5]], 2),
        hint="convert the inputs with np.asarray.",
    )
    yield Gen(
        "YOLOv2's 5 anchors on a 13 x 13 grid",
        (
            _boxes(rng, 6, 0.0, 0.7, (0.02, 0.3)),
            rng.integers(0, 4, 6),
            13,
            np.array([[0.57, 0.68], [1.87, 2.06], [3.34, 5.47], [7.88, 3.53], [9.77, 9.17]]),
            4,
        ),
    )
    yield Gen("a 1 x 1 grid", (np.array([[0.2, 0.3, 0.6, 0.9]]), np.array([0]), 1, tall_wide, 1))
    for _ in range(6):
        S, B, C, k = int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        yield Gen(
            f"{k} random boxes, S = {S}, {B} anchors, {C} classes",
            (_boxes(rng, k, 0.0, 0.6, (0.05, 0.4)), rng.integers(0, C, k), S, rng.uniform(0.3, 3.0, (B, 2)), C),
        )


# --------------------------------------------------------------------------- kmeans_anchors


def kmeans_anchors(rng):
    g = np.random.default_rng(0)
    protos = np.array([[2.0, 2.0], [3.0, 9.0], [40.0, 40.0]])
    clusters = np.concatenate([p * g.uniform(0.85, 1.15, (20, 2)) for p in protos])
    g = np.random.default_rng(1)
    mixed = np.concatenate(
        [
            [2.0, 2.0] * g.uniform(0.9, 1.1, (15, 2)),
            [5.0, 5.0] * g.uniform(0.9, 1.1, (15, 2)),
            g.uniform(30, 90, (15, 2)),
        ]
    )
    yield Gen(
        "three clear clusters: small squares, tall boxes, large squares",
        (clusters, 3),
        {"seed": 0},
        hint="distance 1 - IoU of (w, h) shapes centred together; mean update; sort by area.",
    )
    for seed in (0, 1):
        yield Gen(
            f"small, medium and spread large shapes, seed {seed}",
            (mixed, 3),
            {"seed": seed},
            hint="use 1 - IoU as the distance, not the Euclidean distance (which splits the large shapes and "
            "merges the small ones).",
        )
    yield Gen(
        "the anchors sorted by area, not by width",
        (np.array([[1.0, 8.0], [1.1, 7.5], [3.0, 2.0], [3.2, 2.1], [6.0, 5.0], [5.5, 5.5]]), 3),
        {"seed": 0},
        hint="sort by increasing area w * h: centroids[np.argsort(w * h)].",
    )
    wh = np.random.default_rng(3).uniform(1, 10, (40, 2))
    yield Gen(
        "40 shapes without clusters, 5 anchors, seed 4",
        (wh, 5, 4),
        hint="start exactly from box_wh[np.random.default_rng(seed).choice(n, size=k, replace=False)] and iterate "
        "until no assignment changes.",
    )
    yield Gen(
        "one assignment step (max_iter=1)",
        (wh, 4, 2, 1),
        hint="max_iter counts assignment steps: with 1, assign once, move the centroids once, stop.",
    )
    yield Gen("two assignment steps (max_iter=2)", (wh, 4, 2, 2), hint="max_iter counts assignment steps.")
    yield Gen("max_iter by keyword", (wh, 3), {"seed": 5, "max_iter": 3}, hint="max_iter counts assignment steps.")
    yield Gen(
        "seed and max_iter left to their defaults (0 and 100)", (wh, 3), hint="seed=0 and max_iter=100 by default."
    )
    yield Gen("k = 1: the mean shape", (wh[:12], 1), {"seed": 2}, hint="one cluster holds every box: its mean.")
    yield Gen(
        "k = n: every box its own anchor",
        (wh[:6], 6),
        {"seed": 1},
        hint="each box is its own cluster; the anchors are the boxes sorted by area.",
    )
    dup = np.array([[1.0, 1.0]] * 6 + [[8.0, 8.0]] * 6)
    yield Gen(
        "duplicated shapes: two centroids start equal, one gets no box",
        (dup, 3),
        {"seed": 0},
        hint="ties go to the smaller centroid index, so one centroid has no box: it stays where it is (no NaN).",
    )
    yield Gen(
        "duplicated shapes with another seed",
        (np.array([[1.0, 1.0]] * 4 + [[2.0, 3.0]] * 4 + [[8.0, 8.0]] * 4), 4),
        {"seed": 3},
        hint="a centroid with no box stays where it is.",
    )
    yield Gen(
        "a shape as close to a tall centroid as to a wide one",
        (np.array([[1.0, 2.0], [2.0, 1.0], [1.5, 1.5]]), 2),
        {"seed": 0, "max_iter": 1},
        hint="equal IoUs: the smaller centroid index (np.argmax returns the first maximum).",
    )
    yield Gen(
        "integer shapes",
        (np.array([[1, 2], [2, 2], [2, 1], [9, 10], [10, 12], [11, 9]]), 2),
        {"seed": 0},
        hint="the mean of integer shapes is not an integer: work on a float copy of box_wh.",
    )
    yield Gen(
        "shapes as a list",
        ([[1.0, 1.0], [1.2, 0.9], [5.0, 6.0], [6.0, 5.0], [5.5, 5.5]], 2),
        {"seed": 1},
        hint="convert box_wh with np.asarray(box_wh, dtype=float).",
    )
    for _ in range(5):
        n, k = int(rng.integers(8, 40)), int(rng.integers(1, 6))
        seed, max_iter = int(rng.integers(0, 100)), int(rng.choice([100, 100, 3]))
        yield Gen(
            f"{n} random shapes, {k} anchors, seed {seed}, max_iter {max_iter}",
            (rng.uniform(0.5, 20, (n, 2)) * rng.uniform(0.5, 2, (n, 1)), k, seed, max_iter),
        )


# --------------------------------------------------------------------------- decode_yolo_output


def _raw(shape, t_o=-8.0):
    out = np.zeros(shape)
    out[..., 0] = t_o
    return out


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _safe_scores(rng, out, threshold):
    """Move every score at least 1e-3 away from the threshold, so float32 answers keep the same boxes."""
    logits = out[..., 5:]
    p = np.exp(logits - logits.max(-1, keepdims=True))
    score = _sigmoid(out[..., 0]) * (p / p.sum(-1, keepdims=True)).max(-1)
    close = np.abs(score - threshold) < 1e-3
    out[..., 0][close] -= 3.0
    return out


def decode_yolo_output(rng):
    one = np.array([[1.0, 1.0]])
    two = np.array([[0.5, 1.0], [1.0, 0.5]])
    r = _raw((2, 2, 1, 7), -5.0)
    r[0, 1, 0, 0], r[0, 1, 0, 6] = 5.0, 5.0
    yield Gen(
        "the try-it example: one object in row 0, column 1",
        (r, one, 0.5),
        hint="cx = (col + sigmoid(t_x)) / S with col the x index (axis 1); w = anchor_w * exp(t_w) / S; "
        "score = sigmoid(t_o) * the largest softmax probability.",
    )
    r = _raw((3, 3, 1, 6))
    r[2, 0, 0, 0], r[2, 0, 0, 1:5] = 4.0, [1.0, -1.0, 0.5, -0.5]
    yield Gen(
        "one object in row 2, column 0 (S = 3)",
        (r, one, 0.5),
        hint="output[row, col]: the row (axis 0) gives y, the column (axis 1) gives x.",
    )
    r = _raw((2, 2, 2, 7))
    r[1, 0, 1, 0], r[1, 0, 1, 5] = 5.0, 5.0
    r[0, 0, 0, 0] = 0.0
    yield Gen(
        "two anchors (0.5, 1) and (1, 0.5), a score of exactly 0.25 at threshold 0.25",
        (r, two, 0.25),
        hint="keep scores > score_threshold (strictly); anchors[a] is (w, h) of the slot's own anchor a.",
    )
    yield Gen(
        "the same at threshold 0.2: two slots, listed in (row, col, anchor) order",
        (r, two, 0.2),
        hint="list the slots in the order of np.nonzero on the (S, S, B) grid of scores: row, then column, then "
        "anchor (not by score).",
    )
    r = _raw((3, 3, 2, 6))
    for row, col, a in [(2, 0, 0), (0, 2, 1), (0, 2, 0), (1, 1, 1)]:
        r[row, col, a, 0] = 3.0 + row
        r[row, col, a, 1:5] = rng.normal(0, 1, 4)
    yield Gen(
        "four objects: the order of the slots",
        (r, two, 0.5),
        hint="slots in row-major order of (row, col, anchor), as np.nonzero(score > threshold) gives them.",
    )
    yield Gen(
        "three classes with logits (0, ln 2, ln 5): softmax (1/8, 2/8, 5/8)",
        (np.array([[[[20.0, 0, 0, 0, 0, 0.0, np.log(2.0), np.log(5.0)]]]]), one, 0.5),
        hint="the class probabilities are the softmax over all class logits (not a sigmoid of each).",
    )
    yield Gen(
        "one class: its probability is 1",
        (np.array([[[[1.5, 0.2, -0.3, 0.1, 0.4, -2.0]]]]), one, 0.5),
        hint="with one class the softmax is 1, so the score is sigmoid(t_o).",
    )
    yield Gen(
        "equal class logits: the first class",
        (np.array([[[[6.0, 0, 0, 0, 0, 1.0, 1.0, 1.0, 0.5]]]]), one, 0.2),
        hint="np.argmax returns the first of equal probabilities.",
    )
    r = _raw((2, 2, 1, 8))
    r[1, 1, 0, 0], r[1, 1, 0, 5:] = 4.0, [1000.0, -1000.0, -50.0]
    r[0, 1, 0, 0], r[0, 1, 0, 5:] = 3.0, [-1000.0, -1000.0, -999.0]
    yield Gen(
        "huge class logits (+-1000)",
        (r, one, 0.5),
        hint="subtract the largest logit before exp (softmax(t) = softmax(t - max t)): exp(1000) overflows to inf; "
        "subtracting the mean or the min does not prevent it.",
    )
    r = _raw((2, 2, 1, 6))
    r[0, 0, 0, 0], r[1, 0, 0, 0] = 800.0, 30.0
    yield Gen(
        "huge objectness logits (800)",
        (r, one, 0.5),
        hint="sigmoid(x) = 1 / (1 + exp(-x)); exp(x) / (1 + exp(x)) gives inf / inf = NaN for large x.",
    )
    r = _raw((2, 2, 2, 6))
    r[0, 1, 1, 0], r[0, 1, 1, 1:5] = 4.0, [-0.5, 2.0, 1.2, -0.7]
    r[1, 0, 0, 0], r[1, 0, 0, 1:5] = 2.5, [3.0, 0.0, -1.5, 0.8]
    yield Gen(
        "sizes from t_w and t_h",
        (r, np.array([[0.8, 1.6], [2.0, 1.0]]), 0.5),
        hint="w = anchors[a, 0] * exp(t_w) / S, h = anchors[a, 1] * exp(t_h) / S; corners cx -+ w/2, cy -+ h/2.",
    )
    r = _raw((2, 2, 1, 6))
    r[1, 1, 0, 0], r[0, 0, 0, 0] = 0.3, 3.0
    yield Gen(
        "score_threshold left to its default (0.5)",
        (r, one),
        hint="score_threshold=0.5 by default.",
    )
    yield Gen("score_threshold by keyword", (r, one), {"score_threshold": 0.6}, hint="keep scores > score_threshold.")
    yield Gen(
        "no slot above the threshold",
        (_raw((2, 2, 2, 7)), two, 0.5),
        hint="return empty arrays of shapes (0, 4), (0,) and (0,).",
    )
    r = rng.normal(0, 1, (3, 3, 5, 25))
    r[..., 0] = rng.normal(-1, 3, (3, 3, 5))
    yield Gen(
        "3 x 3 grid, YOLOv2's 5 anchors, 20 classes",
        (
            _safe_scores(rng, r, 0.3),
            np.array([[0.57, 0.68], [1.87, 2.06], [3.34, 5.47], [7.88, 3.53], [9.77, 9.17]]),
            0.3,
        ),
    )
    yield Gen("anchors as a list", (r[:2, :2, :2, :8].copy(), [[0.5, 1.5], [1.5, 0.5]], 0.3))
    for _ in range(6):
        S, B, C = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
        r = rng.normal(0, 1.5, (S, S, B, 5 + C))
        r[..., 0] = rng.normal(0, 3, (S, S, B))
        thr = float(rng.choice([0.2, 0.5]))
        yield Gen(
            f"random {S} x {S} x {B} x {5 + C} output, threshold {thr}",
            (_safe_scores(rng, r, thr), rng.uniform(0.3, 4, (B, 2)), thr),
        )


# --------------------------------------------------------------------------- average_precision

AP_HINT = "sort by score; TP if the best-IoU true box has IoU >= threshold and is unmatched; AP = sum(dr * envelope)."


def average_precision(rng):
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]])
    preds = np.array([[0, 0, 10, 10], [100, 0, 110, 10], [200, 0, 210, 10], [20, 0, 30, 10], [40, 0, 50, 10]])
    s5 = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    gt2 = np.array([[0, 0, 10, 10], [20, 0, 30, 10]])
    dup = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 0, 30, 10]])
    half = np.array([[0, 0, 10, 5]])  # IoU 0.5 with gt2[0]
    yield Gen(
        "the worked example: TP, FP, FP, TP, TP",
        (preds, s5, gt),
        hint="precisions 1, 1/2, 1/3, 2/4, 3/5; replace each by the best precision at equal or higher recall "
        "(the envelope), then AP = 1/3 * 1 + 1/3 * 0.6 + 1/3 * 0.6.",
    )
    yield Gen("perfect detections", (gt, np.array([0.9, 0.8, 0.7]), gt), hint=AP_HINT)
    yield Gen(
        "no detections",
        (np.zeros((0, 4)), np.zeros(0), gt),
        hint="no detections: AP = 0.0.",
    )
    yield Gen("only a false positive", (np.array([[100, 100, 110, 110]]), np.array([0.9]), gt), hint=AP_HINT)
    yield Gen(
        "a duplicate detection of a matched box",
        (dup, np.array([0.9, 0.8, 0.7]), gt2),
        hint="a second detection of an already matched true box is a false positive.",
    )
    yield Gen(
        "detections given in another order",
        (dup[::-1].copy(), np.array([0.7, 0.8, 0.9]), gt2),
        hint="visit the detections by decreasing score, whatever their order in the input.",
    )
    yield Gen(
        "IoU exactly 0.5",
        (half, np.array([0.9]), gt2),
        hint="a detection matches when IoU >= iou_threshold (not only when >).",
    )
    yield Gen("IoU 0.5, iou_threshold 0.6", (half, np.array([0.9]), gt2, 0.6), hint="IoU 0.5 < 0.6: a false positive.")
    yield Gen("iou_threshold by keyword", (half, np.array([0.9]), gt2), {"iou_threshold": 0.4}, hint=AP_HINT)
    yield Gen(
        "the best true box already matched, another one close enough",
        (np.array([[0, 0, 10, 10], [1, 0, 11, 10]]), np.array([0.9, 0.8]), np.array([[0, 0, 10, 10], [3, 0, 13, 10]])),
        hint="only the true box with the highest IoU counts: if it is already matched, the detection is a false "
        "positive, even when another true box overlaps it enough.",
    )
    yield Gen(
        "two identical true boxes (a tie: the smaller index)",
        (np.array([[0, 0, 10, 10], [0, 0, 10, 10]]), np.array([0.9, 0.8]), np.array([[0, 0, 10, 10]] * 2)),
        hint="equal IoUs go to the smaller true-box index (np.argmax): the second detection finds it matched.",
    )
    yield Gen(
        "two detections with the same score: the smaller index first",
        (np.array([[100, 100, 110, 110], [0, 0, 10, 10]]), np.array([0.5, 0.5]), gt2),
        hint="equal scores: the smaller index first (np.argsort(-scores, kind='stable')).",
    )
    # 30 detections with scores rounded to one decimal: many ties, beyond the 16 elements where NumPy's
    # default sort is stable
    g30 = _boxes(rng, 10, 0, 300, (10, 20)) + np.arange(10)[:, None] * [400, 0, 400, 0]
    hits = g30[rng.integers(0, 10, 18)] + rng.normal(0, 0.5, (18, 4))
    misses = _boxes(rng, 12, 5000, 6000, (10, 20))
    order = rng.permutation(30)
    yield Gen(
        "30 detections with tied scores",
        (np.concatenate([hits, misses])[order], np.round(rng.uniform(0.1, 1, 30), 1), g30),
        hint="visit equal scores by increasing index: np.argsort(-scores, kind='stable'); NumPy's default sort is "
        "not stable beyond 16 elements.",
    )
    yield Gen(
        "more true boxes than detections",
        (preds[:2], s5[:2], np.concatenate([gt, gt + [0, 50, 0, 50]])),
        hint="recall_k = TP_k / (number of true boxes), not / (number of detections).",
    )
    yield Gen(
        "scores as a list",
        (preds, [0.5, 0.6, 0.7, 0.8, 0.9], gt),
        hint="convert the scores with np.asarray.",
    )
    yield Gen("integer boxes", (preds.astype(np.int64), s5, gt.astype(np.int64)), hint=AP_HINT)
    yield Gen(
        "tiny boxes",
        (np.array([[0, 0, 1e-3, 1e-3], [0, 0, 1e-3, 4e-4]]), np.array([0.9, 0.8]), np.array([[0, 0, 1e-3, 1e-3]])),
        hint=AP_HINT,
    )
    curve = {"returns": None}
    yield Gen(
        "the worked example with return_curve=True",
        (preds, s5, gt),
        {"return_curve": True},
        hint="return (ap, precision, recall), the curves after each detection, best first.",
        options=curve,
    )
    yield Gen(
        "return_curve=True, detections in another order",
        (preds[::-1].copy(), s5, gt, 0.5, True),
        hint="the curves follow the detections by decreasing score.",
        options=curve,
    )
    yield Gen(
        "return_curve=True with no detections",
        (np.zeros((0, 4)), np.zeros(0), gt),
        {"return_curve": True},
        hint="no detections: (0.0, an empty precision, an empty recall).",
        options=curve,
    )
    for _ in range(5):
        g, n = int(rng.integers(2, 10)), int(rng.integers(5, 30))
        true = _boxes(rng, g, 0, 100, (8, 20))
        near = true[rng.integers(0, g, n)] + rng.normal(0, 3, (n, 4))
        near[:, 2:] = np.maximum(near[:, 2:], near[:, :2] + 1)
        far = _boxes(rng, n // 3, 0, 100, (5, 15))
        thr = float(rng.choice([0.3, 0.5, 0.7]))
        yield Gen(
            f"{n + n // 3} random detections, {g} true boxes, iou_threshold {thr}",
            (np.concatenate([near, far]), np.round(rng.uniform(0, 1, n + n // 3), 2), true, thr),
        )


DOMAINS = {
    "iou": Domain(iou, argnames=("box1", "box2"), returns="number", atol=1e-9, rtol=1e-7, hint=IOU_HINT),
    "iou_matrix": Domain(
        iou_matrix,
        argnames=("boxes_a", "boxes_b"),
        returns="numpy",
        dtype="float",
        atol=1e-9,
        rtol=1e-7,
        hint="broadcast boxes_a[:, None] against boxes_b[None, :]; clip overlaps at 0; union = a + b - intersection.",
    ),
    "non_max_suppression": Domain(
        non_max_suppression,
        argnames=("boxes", "scores", "classes", "iou_threshold", "score_threshold"),
        returns="numpy",
        dtype="int",
        atol=0,
        rtol=0,
        hint=NMS_HINT,
        options={"hint_dtype": "return the indices as an integer array: np.array(keep, dtype=int)."},
    ),
    "encode_yolo_targets": Domain(
        encode_yolo_targets,
        argnames=("boxes", "labels", "grid_size", "anchors", "n_classes"),
        returns="numpy",
        dtype="float",
        atol=1e-5,
        rtol=1e-5,
        hint=ENC_HINT,
    ),
    "kmeans_anchors": Domain(
        kmeans_anchors,
        argnames=("box_wh", "k", "seed", "max_iter"),
        returns="numpy",
        dtype="float",
        atol=1e-9,
        rtol=1e-7,
        hint="distance 1 - IoU of (w, h) shapes centred together; mean update; sort by area.",
    ),
    "decode_yolo_output": Domain(
        decode_yolo_output,
        argnames=("output", "anchors", "score_threshold"),
        atol=1e-6,
        rtol=1e-5,
        hint="cx = (col + sigmoid(t_x)) / S with col the x index (axis 1); w = anchor_w * exp(t_w) / S; "
        "score = p_c * max prob.",
    ),
    "average_precision": Domain(
        average_precision,
        argnames=("pred_boxes", "pred_scores", "gt_boxes", "iou_threshold", "return_curve"),
        returns="number",
        atol=1e-9,
        rtol=1e-7,
        hint=AP_HINT,
    ),
}
