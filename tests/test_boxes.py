"""course_utils.boxes: drawing helpers return new RGB uint8 arrays; format converters round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import boxes as bx


def test_draw_boxes_returns_new_rgb_and_leaves_input_alone():
    image = np.zeros((20, 30), np.float32)
    before = image.copy()
    out = bx.draw_boxes(image, [[2, 3, 10, 12]], colors="red")
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(image, before)
    # the outline sits on the border pixels of the box: columns 2 and 9, rows 3 and 11
    assert tuple(out[3, 5]) == (255, 0, 0) and tuple(out[11, 5]) == (255, 0, 0)
    assert tuple(out[7, 2]) == (255, 0, 0) and tuple(out[7, 9]) == (255, 0, 0)
    assert tuple(out[7, 5]) == (0, 0, 0) and tuple(out[7, 10]) == (0, 0, 0)


def test_draw_boxes_labels_scores_scale_and_uint8_rgb_input():
    image = np.full((16, 16, 3), 200, np.uint8)
    out = bx.draw_boxes(image, np.array([[1, 8, 9, 15]]), labels=[7], scores=[0.5], scale=4, width=2)
    assert out.shape == (64, 64, 3)
    assert (image == 200).all()
    assert (out != 200).any()
    empty = bx.draw_boxes(image, np.zeros((0, 4)))
    np.testing.assert_array_equal(empty, image)


def test_draw_boxes_colours_per_label_and_per_box():
    image = np.zeros((40, 40), np.uint8)
    out = bx.draw_boxes(image, [[0, 20, 10, 30], [20, 20, 30, 30]], labels=[0, 1])
    assert tuple(out[25, 0]) == bx.PALETTE[0] and tuple(out[25, 20]) == bx.PALETTE[1]
    out = bx.draw_boxes(image, [[0, 0, 5, 5], [10, 10, 15, 15]], colors=[(0, 255, 0), "blue"])
    assert tuple(out[2, 0]) == (0, 255, 0) and tuple(out[12, 10]) == (0, 0, 255)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: bx.draw_boxes(np.zeros((4, 4, 2)), [[0, 0, 1, 1]]), "`image`"),
        (lambda: bx.draw_boxes(np.zeros((4, 4)), [0, 0, 1, 1]), "`boxes`"),
        (lambda: bx.draw_boxes(np.zeros((4, 4)), [[0, 0, 1, 1]], labels=[1, 2]), "`labels`"),
        (lambda: bx.draw_boxes(np.zeros((4, 4)), [[0, 0, 1, 1]], scale=0), "`scale`"),
        (lambda: bx.draw_boxes(np.zeros((4, 4), np.int32), [[0, 0, 1, 1]]), "`image`"),
        (lambda: bx.draw_landmarks(np.zeros((4, 4)), [[1, 2, 3]]), "`points`"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_draw_landmarks():
    image = np.zeros((10, 10), np.float32)
    out = bx.draw_landmarks(image, [[2, 3], [7, 7]], colors="white", radius=1)
    assert out.shape == (10, 10, 3) and tuple(out[3, 2]) == (255, 255, 255) and tuple(out[7, 7]) == (255, 255, 255)
    assert image.max() == 0
    many = bx.draw_landmarks(image, np.array([[[2, 3]], [[7, 7]]]), scale=2)
    assert many.shape == (20, 20, 3) and many[6, 4].any() and many[14, 14].any()


def test_converters_round_trip():
    corners = np.array([[0, 0, 4, 2], [1.5, 2.5, 3.5, 8.5]])
    centers = bx.corners_to_centers(corners)
    np.testing.assert_allclose(centers, [[2, 1, 4, 2], [2.5, 5.5, 2, 6]])
    np.testing.assert_allclose(bx.centers_to_corners(centers), corners)
    np.testing.assert_allclose(bx.corners_to_centers(corners[None])[0], centers)
    with pytest.raises(ValueError, match="`boxes`"):
        bx.corners_to_centers(np.zeros((3, 3)))
