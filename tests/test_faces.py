"""course_utils.faces: MTCNN on the astronaut photo, on whichever Keras backend is set.

Under KERAS_BACKEND=torch the detector runs in a TensorFlow child process; under
tensorflow it runs in this process. Both paths must give the same, sensible answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

import course_utils as cu


@pytest.fixture(scope="module")
def batch():
    """One detector run for the whole module (a child process under the torch backend)."""
    grey = np.stack([skimage.data.camera()] * 3, axis=-1)
    return cu.faces.detect_faces_batch([skimage.data.astronaut(), grey], min_confidence=0.9)


@pytest.fixture(scope="module")
def astronaut_faces(batch):
    return batch[0]


def test_one_face_found_with_the_documented_format(astronaut_faces):
    assert len(astronaut_faces) == 1
    face = astronaut_faces[0]
    assert set(face) == {"box", "confidence", "keypoints"}
    assert set(face["keypoints"]) == set(cu.faces.KEYPOINT_NAMES)
    assert isinstance(face["confidence"], float) and 0.9 <= face["confidence"] <= 1.0
    assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])


def test_box_surrounds_the_face_region(astronaut_faces):
    x1, y1, x2, y2 = astronaut_faces[0]["box"]
    # Eileen Collins' face lies around x 180..270, y 60..175 in the 512 x 512 photo.
    assert 160 <= x1 <= 200 and 250 <= x2 <= 290, (x1, x2)
    assert 40 <= y1 <= 90 and 150 <= y2 <= 195, (y1, y2)
    for name, (x, y) in astronaut_faces[0]["keypoints"].items():
        assert x1 <= x <= x2 and y1 <= y <= y2, name


def test_eyes_level_and_ordered(astronaut_faces):
    points = astronaut_faces[0]["keypoints"]
    (lx, ly), (rx, ry) = points["left_eye"], points["right_eye"]
    assert lx < rx, "left_eye is the eye on the left of the image"
    assert abs(ly - ry) <= 8, "the astronaut's eyes are roughly level"
    assert ly < points["nose"][1] < points["mouth_left"][1]


def test_batch_gives_one_list_per_image(batch):
    assert len(batch) == 2 and len(batch[0]) == 1 and len(batch[1]) >= 1


def test_min_confidence_filters_and_sorts():
    point = [10, 10]
    raw = [
        {"box": [0, 0, 5, 5], "confidence": 0.5, "keypoints": dict.fromkeys(cu.faces.KEYPOINT_NAMES, point)},
        {"box": [1, 2, 3, 4], "confidence": 0.95, "keypoints": dict.fromkeys(cu.faces.KEYPOINT_NAMES, point)},
        {"box": [9, 9, 5, 5], "confidence": 0.99, "keypoints": dict.fromkeys(cu.faces.KEYPOINT_NAMES, point)},
    ]
    faces = cu.faces._convert(raw, 0.9)
    assert [f["confidence"] for f in faces] == [0.99, 0.95]
    assert faces[1]["box"] == (1, 2, 4, 6), "x, y, w, h becomes x1, y1, x2, y2"


@pytest.mark.backend("torch")
def test_torch_session_never_imports_tensorflow(batch):
    import sys

    assert "tensorflow" not in sys.modules, "detection under torch must run in a child process"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (np.zeros((64, 64), np.uint8), "must be an RGB array of shape (H, W, 3), got shape (64, 64)"),
        (np.zeros((64, 64, 4), np.uint8), "got shape (64, 64, 4)"),
        (np.full((64, 64, 3), 2.0), "float in [0, 1]"),
        (np.zeros((5, 5, 3), np.uint8), "at least 12 x 12"),
    ],
)
def test_bad_images_get_a_clear_message(bad, fragment):
    with pytest.raises(ValueError) as error:
        cu.faces.detect_faces(bad)
    assert fragment in str(error.value)


def test_bad_confidence_gets_a_clear_message():
    with pytest.raises(ValueError, match="min_confidence"):
        cu.faces.detect_faces(np.zeros((32, 32, 3), np.uint8), min_confidence=1.5)
