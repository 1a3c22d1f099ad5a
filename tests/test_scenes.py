"""course_utils.scenes: deterministic MNIST detection/segmentation scenes with exact boxes and masks."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import scenes as sc


@pytest.fixture(scope="module")
def train():
    return sc.make_scenes(40, split="train", seed=3)


def test_shapes_and_types(train):
    assert train.images.shape == (40, 96, 96) and train.images.dtype == np.float32
    assert train.masks.shape == (40, 96, 96) and train.masks.dtype == np.uint8
    assert len(train.boxes) == len(train.labels) == len(train.digit_ids) == 40
    assert 0.0 <= train.images.min() and train.images.max() <= 1.0
    for boxes, labels in zip(train.boxes, train.labels):
        assert boxes.shape == (len(labels), 4) and boxes.dtype == np.float32
        assert 1 <= len(labels) <= 4 and labels.dtype == np.int64
        assert ((0 <= labels) & (labels <= 9)).all()
    assert len(train) == 40 and "Scenes(" in repr(train)


def test_deterministic_and_seed_and_split_matter(train):
    again = sc.make_scenes(40, split="train", seed=3)
    np.testing.assert_array_equal(train.images, again.images)
    np.testing.assert_array_equal(train.masks, again.masks)
    for a, b in zip(train.boxes, again.boxes):
        np.testing.assert_array_equal(a, b)
    other = sc.make_scenes(40, split="train", seed=4)
    assert not np.array_equal(train.images, other.images)
    val = sc.make_scenes(40, split="val", seed=3)
    assert not np.array_equal(train.images, val.images)


def test_splits_share_no_digit_image():
    keys = {}
    for split in sc.SPLITS:
        images, labels = sc.split_digits(split)
        assert images.shape[1:] == (28, 28) and len(images) == len(labels)
        keys[split] = {img.tobytes() for img in images}
    sizes = {s: len(sc.split_digits(s)[0]) for s in sc.SPLITS}
    assert sizes == {"train": 3400, "val": 600, "test": 1000}
    assert not keys["train"] & keys["val"]
    assert not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]


def test_boxes_tight_around_each_digit_and_inside_canvas(train):
    """Rebuild each digit alone: its box is the tight box of its ink pixels."""
    digits, digit_labels = sc.split_digits("train")
    for i in range(10):
        boxes, labels, ids = train.boxes[i], train.labels[i], train.digit_ids[i]
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 1] >= 0).all()
        assert (boxes[:, 2] <= 96).all() and (boxes[:, 3] <= 96).all()
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
        np.testing.assert_array_equal(labels, digit_labels[ids])
        for (x1, y1, x2, y2), label in zip(boxes.astype(int), labels):
            inside = train.images[i, y1:y2, x1:x2]
            # every border line of the box holds some ink (tight), unless a later digit covers it
            assert inside.max() >= sc.INK_THRESHOLD
            region = train.masks[i, y1:y2, x1:x2]
            assert (region == 1 + label).any() or len(labels) > 1


def test_boxes_exactly_tight_for_a_single_digit():
    one = sc.make_scenes(20, split="test", seed=1, max_digits=1)
    for i in range(20):
        mask = one.masks[i] > 0
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        expected = [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
        np.testing.assert_array_equal(one.boxes[i][0], expected)
        assert set(np.unique(one.masks[i])) == {0, 1 + int(one.labels[i][0])}


def test_mask_consistent_with_image_and_boxes(train):
    for i in range(len(train)):
        mask, image = train.masks[i], train.images[i]
        assert (image[mask > 0] >= sc.INK_THRESHOLD).all()
        assert set(np.unique(mask)) <= {0} | {1 + int(label) for label in train.labels[i]}
        covered = np.zeros_like(mask, dtype=bool)
        for x1, y1, x2, y2 in train.boxes[i].astype(int):
            covered[y1:y2, x1:x2] = True
        assert not (mask > 0)[~covered].any(), "a digit pixel lies outside every box"


def test_clutter_noise_and_options():
    clean = sc.make_scenes(6, split="val", seed=0, canvas=64, scale_range=(0.5, 1.0), max_digits=2)
    assert clean.images.shape == (6, 64, 64)
    assert all(1 <= len(b) <= 2 for b in clean.boxes)
    cluttered = sc.make_scenes(
        6, split="val", seed=0, canvas=64, scale_range=(0.5, 1.0), max_digits=2, clutter=True, noise=0.05
    )
    assert 0.0 <= cluttered.images.min() and cluttered.images.max() <= 1.0
    # clutter is background: no label, no box
    assert all(len(b) <= 2 for b in cluttered.boxes)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(split="dev"), "`split`"),
        (dict(canvas=16), "`canvas`"),
        (dict(max_digits=0), "max_digits"),
        (dict(scale_range=(0.5, 4.0)), "`scale_range`"),
        (dict(noise=-1.0), "`noise`"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words):
    with pytest.raises(ValueError, match=words):
        sc.make_scenes(2, **kwargs)
