"""Stored check cases of notebooks 05 and 07, checked by an independent route: the costs by their closed forms,
the transposed convolution by Keras' own, the metrics by scikit-learn's, and the blocks' alternatives (05's
convolutional block with its stride on the f x f convolution) stored only where they differ."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import checks


@pytest.mark.parametrize("exercise", ["conv_cost", "separable_conv_cost"])
def test_05_cost_cases_follow_the_papers_formulas(exercise):
    for case in checks.cases(exercise):
        d_k, m, n, d_f = case.args
        params = d_k * d_k * m * n if exercise == "conv_cost" else d_k * d_k * m + m * n
        assert tuple(case.expected["value"]) == (params * d_f * d_f, params), case
        assert all(type(v) is int for v in case.expected["value"]), case


def test_05_convolutional_block_alternatives_are_stored_where_they_differ():
    stored = checks.cases("convolutional_block")
    for case in stored:
        f, s = case.args[1], case.kwargs.get("s", 2)
        assert ("also" in case.expected) == (f > 1 and s > 1 and case.args[0].shape[1:3] != (1, 1)), case


def test_07_conv_transpose_cases_agree_with_keras():
    import keras

    for case in checks.cases("conv_transpose_2d"):
        x, w = (np.asarray(a, dtype="float64") for a in case.args[:2])
        rest = list(case.args[2:]) + [None, None]
        stride = case.kwargs.get("stride", rest[0] if rest[0] is not None else 1)
        pad = case.kwargs.get("pad", rest[1] if rest[1] is not None else 0)
        out = keras.ops.convert_to_numpy(
            keras.ops.conv_transpose(x, w, strides=stride, padding="valid", output_padding=0)
        )
        out = out[:, pad : out.shape[1] - pad, pad : out.shape[2] - pad, :]
        assert np.allclose(case.expected["value"], out, atol=1e-9), case


@pytest.mark.parametrize("exercise", ["iou_per_class", "dice_coefficient"])
def test_07_metric_cases_agree_with_scikit_learn(exercise):
    from sklearn.metrics import f1_score, jaccard_score

    score = jaccard_score if exercise == "iou_per_class" else f1_score
    for case in checks.cases(exercise):
        y_true, y_pred, k = np.ravel(case.args[0]), np.ravel(case.args[1]), case.args[2]
        expected = score(y_true, y_pred, labels=list(range(k)), average=None, zero_division=0).astype(float)
        absent = ~np.isin(np.arange(k), np.concatenate([y_true, y_pred]))  # 0/0: NaN in the course, 0 in scikit-learn
        expected[absent] = np.nan
        assert np.allclose(case.expected["value"], expected, equal_nan=True), case
