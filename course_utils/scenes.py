"""Detection and segmentation scenes made of real MNIST digits.

:func:`make_scenes` pastes 1 to ``max_digits`` real MNIST digits (from
:func:`course_utils.data.load_mnist`) at random scales and positions on a black canvas,
and returns exact boxes, class labels and a per-pixel label map::

    scenes = cu.scenes.make_scenes(8, split="train", seed=0)
    scenes.images[0]   # (96, 96) float32 in [0, 1]
    scenes.boxes[0]    # (k, 4) float32, corners (x1, y1, x2, y2) in pixels
    scenes.labels[0]   # (k,) int64 digits 0-9
    scenes.masks[0]    # (96, 96) uint8: 0 background, 1 + digit on digit pixels

Conventions:

* Pixel ``(row r, column c)`` covers the square ``[c, c + 1) x [r, r + 1)``, so a box
  ``(x1, y1, x2, y2)`` tightly around the ink in columns ``c0..c1`` and rows ``r0..r1``
  is ``(c0, r0, c1 + 1, r1 + 1)``: width ``x2 - x1`` is the number of ink columns.
* Ink is a pixel of the scaled digit with value ``>= INK_THRESHOLD``. Boxes surround the
  whole ink of a digit, even where a later digit covers part of it.
* Digits are drawn in order; where two overlap, the image keeps the brighter value and
  the label map the later digit ("later digit on top").
* Splits: the 4,000 training digits of ``load_mnist()`` are divided once (fixed seed)
  into 3,400 for ``"train"`` and 600 for ``"val"``; ``"test"`` uses the 1,000 test
  digits. No digit image is used by two splits. ``seed`` chooses the scenes; the same
  ``(n, split, seed, options)`` always gives the same scenes, and different splits give
  different scenes for the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

__all__ = ["Scenes", "make_scenes", "split_digits", "INK_THRESHOLD", "SPLITS"]

INK_THRESHOLD = 0.25
SPLITS = ("train", "val", "test")
_VAL_SIZE = 600


@dataclass
class Scenes:
    """A batch of scenes.

    Attributes:
        images: float32 (n, H, W) in [0, 1], white digits on black.
        boxes: list of n float32 arrays (k_i, 4), corners (x1, y1, x2, y2) in pixels.
        labels: list of n int64 arrays (k_i,), the digit (0-9) of each box.
        masks: uint8 (n, H, W): 0 for background, 1 + digit on the pixels of a digit.
        digit_ids: list of n int64 arrays (k_i,), index of each source digit in its split
            (see :func:`split_digits`); lets you check that splits never share a digit.
        split: ``"train"``, ``"val"`` or ``"test"``.
    """

    images: np.ndarray
    boxes: list
    labels: list
    masks: np.ndarray
    digit_ids: list = field(repr=False)
    split: str = "train"

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        n, h, w = self.images.shape
        counts = [len(b) for b in self.boxes]
        return (
            f"Scenes(n={n}, canvas={h}x{w}, split={self.split!r}, "
            f"digits per scene {min(counts, default=0)}-{max(counts, default=0)}, "
            f"{sum(counts)} boxes)"
        )


@lru_cache(maxsize=1)
def _all_digits():
    from .data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(dtype="float32")
    order = np.random.default_rng(12345).permutation(len(x_train))
    val, train = order[:_VAL_SIZE], np.sort(order[_VAL_SIZE:])
    val = np.sort(val)
    return {
        "train": (x_train[train], y_train[train]),
        "val": (x_train[val], y_train[val]),
        "test": (x_test, y_test),
    }


def split_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The source digits of one split: ``(images (m, 28, 28) float32 in [0, 1], labels (m,))``."""
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}")
    x, y = _all_digits()[split]
    return x.copy(), y.copy()


@lru_cache(maxsize=256)
def _interpolation_matrix(size: int, source: int = 28) -> np.ndarray:
    """(size, source) weights of a triangle (bilinear) filter, widened when shrinking (anti-aliasing)."""
    ratio = source / size
    support = max(1.0, ratio)
    centres = (np.arange(size) + 0.5) * ratio - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(np.arange(source)[None, :] - centres[:, None]) / support)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(np.float32)


def _resize(digit: np.ndarray, size: int) -> np.ndarray:
    """Resize a square (28, 28) image to (size, size) (separable bilinear), values in [0, 1]."""
    matrix = _interpolation_matrix(int(size), digit.shape[0])
    return np.clip(matrix @ digit @ matrix.T, 0.0, 1.0).astype(np.float32)


def _ink_box(patch: np.ndarray) -> tuple[int, int, int, int] | None:
    """Tight box (x1, y1, x2, y2) of the pixels >= INK_THRESHOLD of a patch, or None."""
    rows = patch.max(axis=1) >= INK_THRESHOLD
    cols = patch.max(axis=0) >= INK_THRESHOLD
    if not rows.any():
        return None
    r0, r1 = int(rows.argmax()), len(rows) - int(rows[::-1].argmax())
    c0, c1 = int(cols.argmax()), len(cols) - int(cols[::-1].argmax())
    return c0, r0, c1, r1


def _pixel_overlap(a, b, canvas: int) -> float:
    """Intersection over union of two integer pixel boxes, counted pixel by pixel on the canvas."""
    first = np.zeros((canvas, canvas), bool)
    second = np.zeros((canvas, canvas), bool)
    first[a[1] : a[3], a[0] : a[2]] = True
    second[b[1] : b[3], b[0] : b[2]] = True
    union = np.count_nonzero(first | second)
    return np.count_nonzero(first & second) / union if union else 0.0


def _check_args(n, split, canvas, min_digits, max_digits, scale_range, noise, max_overlap):
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"`n` must be a non-negative int, got {n!r}")
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}")
    if not isinstance(canvas, (int, np.integer)) or canvas < 32:
        raise ValueError(f"`canvas` must be an int >= 32 (pixels), got {canvas!r}")
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits, got {min_digits} and {max_digits}")
    lo, hi = scale_range
    if not 0.2 <= lo <= hi or hi * 28 > canvas:
        raise ValueError(
            f"`scale_range` must satisfy 0.2 <= low <= high and high * 28 <= canvas ({canvas}), got {scale_range}"
        )
    if noise < 0:
        raise ValueError(f"`noise` must be >= 0, got {noise}")
    if not 0.0 <= max_overlap <= 1.0:
        raise ValueError(f"`max_overlap` must be in [0, 1], got {max_overlap}")


def make_scenes(
    n: int,
    *,
    split: str = "train",
    seed: int = 0,
    canvas: int = 96,
    min_digits: int = 1,
    max_digits: int = 4,
    scale_range: tuple[float, float] = (0.7, 1.5),
    max_overlap: float = 0.3,
    clutter: bool = False,
    noise: float = 0.0,
) -> Scenes:
    """Make ``n`` scenes of real MNIST digits with exact boxes, labels and label maps.

    Args:
        n: number of scenes.
        split: ``"train"``, ``"val"`` or ``"test"``: which source digits to use (disjoint sets).
        seed: seed of the scenes (positions, scales, digits, clutter, noise).
        canvas: side of the square canvas in pixels (H = W = canvas).
        min_digits, max_digits: each scene holds a uniform random number of digits in this range.
        scale_range: a digit's 28 x 28 source image is resized to ``round(28 * s)`` pixels,
            ``s`` uniform in this range (the ink box is a little smaller: MNIST has a margin).
        max_overlap: a new digit is placed only where its box has IoU <= ``max_overlap`` with
            every earlier box of the scene (up to 50 tries, then the digit is skipped, so a
            scene can hold fewer than ``min_digits`` on a crowded canvas; never zero).
        clutter: add 1-3 fragments (random 10-14 pixel crops of other digits of the same
            split) before the digits; they are background (label 0) and have no box.
        noise: standard deviation of Gaussian pixel noise added at the end (then clipped to [0, 1]).

    Returns:
        A :class:`Scenes` with images (n, canvas, canvas) float32, boxes, labels, masks
        (n, canvas, canvas) uint8 and digit_ids.

    Raises:
        ValueError: an argument out of range (the message says which).
    """
    _check_args(n, split, canvas, min_digits, max_digits, scale_range, noise, max_overlap)
    digits, digit_labels = _all_digits()[split]
    rng = np.random.default_rng([int(seed), SPLITS.index(split), 6])
    images = np.zeros((n, canvas, canvas), np.float32)
    masks = np.zeros((n, canvas, canvas), np.uint8)
    all_boxes, all_labels, all_ids = [], [], []
    for i in range(n):
        image, mask = images[i], masks[i]
        if clutter:
            for _ in range(int(rng.integers(1, 4))):
                source = digits[rng.integers(len(digits))]
                size = int(rng.integers(10, 15))
                r0, c0 = (int(v) for v in rng.integers(4, 28 - size - 4 + 1, size=2))
                piece = source[r0 : r0 + size, c0 : c0 + size]
                y, x = (int(v) for v in rng.integers(0, canvas - size + 1, size=2))
                np.maximum(image[y : y + size, x : x + size], piece, out=image[y : y + size, x : x + size])
        boxes, labels, ids = [], [], []
        for _ in range(int(rng.integers(min_digits, max_digits + 1))):
            index = int(rng.integers(len(digits)))
            size = int(round(28 * rng.uniform(*scale_range)))
            patch = _resize(digits[index], size)
            ink = _ink_box(patch)
            if ink is None:
                continue
            placed = False
            for _ in range(50):
                y, x = (int(v) for v in rng.integers(0, canvas - size + 1, size=2))
                box = (x + ink[0], y + ink[1], x + ink[2], y + ink[3])
                if all(_pixel_overlap(box, other, canvas) <= max_overlap for other in boxes):
                    placed = True
                    break
            if not placed and boxes:
                continue
            region = (slice(y, y + size), slice(x, x + size))
            np.maximum(image[region], patch, out=image[region])
            mask[region][patch >= INK_THRESHOLD] = 1 + digit_labels[index]
            boxes.append(box)
            labels.append(int(digit_labels[index]))
            ids.append(index)
        all_boxes.append(np.asarray(boxes, np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(labels, np.int64))
        all_ids.append(np.asarray(ids, np.int64))
    if noise > 0:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return Scenes(images, all_boxes, all_labels, masks, all_ids, split)
