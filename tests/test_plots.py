"""Plot helpers return figures/arrays and reject bad input with clear messages."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_utils import plots


def test_image_grid_and_errors():
    fig = plots.image_grid(np.zeros((5, 8, 8)), labels=list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match=r"must have shape \(m, H, W\)"):
        plots.image_grid(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="one entry per image"):
        plots.image_grid(np.zeros((2, 8, 8)), labels=[1])


def test_training_curves_from_dict():
    fig = plots.training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="none of"):
        plots.training_curves({"mae": [1.0]}, metrics=("loss",))


def test_training_curves_validation_only_metric():
    """A metric recorded only on the validation data is drawn and labelled as validation."""
    fig = plots.training_curves({"loss": [1.0, 0.5, 0.4], "val_iou": [0.2, 0.6, 0.7]}, metrics=("loss", "iou"))
    loss_ax, iou_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["training"]
    assert [line.get_label() for line in iou_ax.get_lines()] == ["validation"]
    assert iou_ax.get_lines()[0].get_ydata().tolist() == [0.2, 0.6, 0.7]
    assert iou_ax.get_ylabel() == "iou"


def test_confusion_matrix_counts():
    ax = plots.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    assert ax.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_colorize_labels():
    maps = np.array([[[0, 1], [2, 2]]])
    rgb = plots.colorize_labels(maps, n_classes=3)
    assert rgb.shape == (1, 2, 2, 3) and rgb.dtype == np.float32
    assert np.all(rgb[0, 0, 0] == 0) and np.allclose(rgb[0, 1, 0], rgb[0, 1, 1])
    assert not np.allclose(rgb[0, 0, 1], rgb[0, 1, 0]), "different classes get different colours"
    with pytest.raises(ValueError, match="values must be in"):
        plots.colorize_labels(np.array([[3]]), n_classes=3)
    with pytest.raises(ValueError, match="integer array"):
        plots.colorize_labels(np.zeros((2, 2)), n_classes=3)
