"""Face detection with MTCNN (Zhang et al., 2016), on either Keras backend.

One public function, :func:`detect_faces`, wraps the ``mtcnn`` package and its shipped
weights (P-Net, R-Net, O-Net)::

    faces = cu.faces.detect_faces(skimage.data.astronaut())
    faces[0]["box"]                   # (x1, y1, x2, y2) in pixels
    faces[0]["keypoints"]["left_eye"] # (x, y)

Why a child process: ``mtcnn`` builds its networks with TensorFlow and fails under
``KERAS_BACKEND=torch`` ("Can't call numpy() on Tensor that requires grad"). With the
TensorFlow backend the detector runs in this process (loaded once, then reused); with
the torch backend each call runs it in a short-lived child Python process started with
``KERAS_BACKEND=tensorflow`` (``python -m course_utils.faces OUT.json IN.npy``), so the
learner's session never imports TensorFlow. The child costs a few seconds per call
(TensorFlow's start-up): pass several images at once with :func:`detect_faces_batch`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["detect_faces", "detect_faces_batch", "KEYPOINT_NAMES"]

#: The five landmarks MTCNN returns. "left"/"right" are as seen in the image:
#: ``left_eye`` is the eye with the smaller x (the person's own right eye).
KEYPOINT_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")

_DETECTOR = None  # the in-process MTCNN instance (TensorFlow backend only)
_CHILD_TIMEOUT_S = 600
_CHILD_CODE = "import sys; from course_utils.faces import _main; sys.exit(_main(sys.argv[1:]))"


def _check_image(image: Any, name: str = "image") -> np.ndarray:
    """Return ``image`` as a C-contiguous uint8 (H, W, 3) array, or raise ValueError."""
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except Exception as error:  # pragma: no cover - exotic inputs
            raise ValueError(f"`{name}` must be an RGB array of shape (H, W, 3), got {type(image).__name__}") from error
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"`{name}` must be an RGB array of shape (H, W, 3), got shape {image.shape}. "
            "For a grey image (H, W), stack it: np.stack([image] * 3, axis=-1)."
        )
    if image.shape[0] < 12 or image.shape[1] < 12:
        raise ValueError(f"`{name}` must be at least 12 x 12 pixels (MTCNN's smallest window), got {image.shape[:2]}")
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    if np.issubdtype(image.dtype, np.floating):
        finite = np.isfinite(image).all()
        if finite and image.min() >= 0.0 and image.max() <= 1.0:
            return np.ascontiguousarray(np.round(image * 255.0).astype(np.uint8))
        raise ValueError(
            f"`{name}` must be uint8 in [0, 255] or float in [0, 1], got {image.dtype} with values in "
            f"[{np.nanmin(image):.3g}, {np.nanmax(image):.3g}]"
        )
    raise ValueError(f"`{name}` must be uint8 in [0, 255] or float in [0, 1], got dtype {image.dtype}")


def _check_confidence(min_confidence: float) -> float:
    value = float(min_confidence)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"`min_confidence` must be between 0 and 1, got {min_confidence}")
    return value


def _convert(raw: list[dict], min_confidence: float) -> list[dict]:
    """MTCNN's JSON (box as x, y, w, h) -> the course's format, sorted by confidence."""
    faces = []
    for face in raw:
        confidence = float(face["confidence"])
        if confidence < min_confidence:
            continue
        x, y, w, h = (int(v) for v in face["box"])
        keypoints = {k: (int(face["keypoints"][k][0]), int(face["keypoints"][k][1])) for k in KEYPOINT_NAMES}
        faces.append({"box": (x, y, x + w, y + h), "confidence": confidence, "keypoints": keypoints})
    faces.sort(key=lambda f: -f["confidence"])
    return faces


def _detect_in_process(images: list[np.ndarray]) -> list[list[dict]]:
    """Run MTCNN here (needs the TensorFlow backend). Returns MTCNN's raw dicts."""
    global _DETECTOR
    if _DETECTOR is None:
        from mtcnn import MTCNN  # imports TensorFlow

        _DETECTOR = MTCNN()
    results = []
    for image in images:
        raw = _DETECTOR.detect_faces(image)
        results.append(json.loads(json.dumps(raw, default=_json_default)))
    return results


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _detect_in_child(images: list[np.ndarray]) -> list[list[dict]]:
    """Run MTCNN in a child Python process with the TensorFlow backend."""
    with tempfile.TemporaryDirectory(prefix="course_faces_") as folder:
        folder_path = Path(folder)
        inputs = []
        for i, image in enumerate(images):
            path = folder_path / f"image_{i}.npy"
            np.save(path, image)
            inputs.append(str(path))
        output = folder_path / "faces.json"
        environment = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
        # The child must import this very package, wherever it is installed or checked out.
        package_parent = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
        command = [sys.executable, "-c", _CHILD_CODE, str(output), *inputs]
        try:
            finished = subprocess.run(
                command, env=environment, capture_output=True, text=True, timeout=_CHILD_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"Face detection did not finish within {_CHILD_TIMEOUT_S} s.") from error
        if finished.returncode != 0 or not output.exists():
            tail = "\n".join(finished.stderr.strip().splitlines()[-8:])
            raise RuntimeError(
                "Face detection failed in its TensorFlow helper process "
                f"(exit status {finished.returncode}). Is the `mtcnn` package installed?\n{tail}"
            )
        return json.loads(output.read_text())


def _backend() -> str:
    from .config import get_config

    return get_config().backend


def detect_faces_batch(images, min_confidence: float = 0.9) -> list[list[dict]]:
    """Detect faces in several images (one child process under the torch backend).

    Args:
        images: a list of RGB images, each (H, W, 3) uint8 in [0, 255] (float in [0, 1]
            is accepted and converted).
        min_confidence: keep faces whose MTCNN score is at least this (0 to 1).

    Returns:
        One list per image, in the format of :func:`detect_faces`.

    Raises:
        ValueError: an image that is not (H, W, 3), or a confidence outside [0, 1].
        RuntimeError: the detector could not run (message says why).
    """
    if isinstance(images, np.ndarray) and images.ndim == 3:
        raise ValueError("`images` must be a list of (H, W, 3) images; for one image use detect_faces(image)")
    checked = [_check_image(image, name=f"images[{i}]") for i, image in enumerate(images)]
    threshold = _check_confidence(min_confidence)
    if not checked:
        return []
    raw = _detect_in_process(checked) if _backend() == "tensorflow" else _detect_in_child(checked)
    return [_convert(faces, threshold) for faces in raw]


def detect_faces(image, min_confidence: float = 0.9) -> list[dict]:
    """Find the faces in one RGB image with MTCNN.

    Args:
        image: (H, W, 3) uint8 RGB in [0, 255] (float in [0, 1] is accepted and
            converted). Grey images must be stacked to three channels first.
        min_confidence: keep faces whose MTCNN score is at least this (0 to 1).

    Returns:
        A list (most confident first) of dicts, one per face::

            {"box": (x1, y1, x2, y2),          # ints, pixel corners, x right, y down
             "confidence": 0.999,             # float in [0, 1]
             "keypoints": {"left_eye": (x, y), "right_eye": (x, y), "nose": (x, y),
                           "mouth_left": (x, y), "mouth_right": (x, y)}}

        ``left``/``right`` are as seen in the image (``left_eye`` has the smaller x).
        An empty list when no face reaches ``min_confidence``.

    Raises:
        ValueError: ``image`` is not an RGB array of shape (H, W, 3), or
            ``min_confidence`` is outside [0, 1].
        RuntimeError: the detector could not run (message says why).
    """
    checked = _check_image(image)
    return detect_faces_batch([checked], min_confidence=min_confidence)[0]


def _main(argv: list[str]) -> int:
    """Child-process entry: ``python -m course_utils.faces OUT.json IN1.npy [IN2.npy ...]``."""
    if len(argv) < 2:
        print("usage: python -m course_utils.faces OUT.json IN.npy [IN.npy ...]", file=sys.stderr)
        return 2
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        print("the face-detection helper needs KERAS_BACKEND=tensorflow", file=sys.stderr)
        return 2
    images = [_check_image(np.load(path, allow_pickle=False)) for path in argv[1:]]
    raw = _detect_in_process(images)
    Path(argv[0]).write_text(json.dumps(raw, default=_json_default))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
