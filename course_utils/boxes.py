"""Drawing boxes and landmarks on images, and box format converters.

In the style of torchvision's ``draw_bounding_boxes``: data first, styling options after;
inputs are never modified; each function returns a new RGB uint8 array, so drawings
compose with each other and with :func:`course_utils.plots.image_grid`::

    canvas = cu.boxes.draw_boxes(image, boxes, labels=["7", "2"], scores=[0.98, 0.61], scale=3)
    canvas = cu.boxes.draw_landmarks(canvas, points * 3)

Box formats (pixels, x to the right, y down):

* corners ``(x1, y1, x2, y2)``: the course's default;
* centres ``(cx, cy, w, h)``: centre, width and height.

IoU, non-max suppression and average precision are exercises of notebook 06: they are
deliberately not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["draw_boxes", "draw_landmarks", "corners_to_centers", "centers_to_corners", "PALETTE"]

#: Ten distinct colours (matplotlib's tab10), one per class index.
PALETTE = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]


def _as_boxes(boxes, name: str = "boxes") -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"`{name}` must have shape (k, 4), got {np.shape(boxes)}")
    return arr


def corners_to_centers(boxes) -> np.ndarray:
    """Convert ``(x1, y1, x2, y2)`` boxes to ``(cx, cy, w, h)``.

    Args:
        boxes: array (..., 4) in corner format.

    Returns:
        float array (..., 4): centre x, centre y, width, height.
    """
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.shape[-1:] != (4,):
        raise ValueError(f"`boxes` must have shape (..., 4), got {arr.shape}")
    x1, y1, x2, y2 = np.moveaxis(arr, -1, 0)
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)


def centers_to_corners(boxes) -> np.ndarray:
    """Convert ``(cx, cy, w, h)`` boxes to ``(x1, y1, x2, y2)``.

    Args:
        boxes: array (..., 4) in centre format.

    Returns:
        float array (..., 4) in corner format.
    """
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.shape[-1:] != (4,):
        raise ValueError(f"`boxes` must have shape (..., 4), got {arr.shape}")
    cx, cy, w, h = np.moveaxis(arr, -1, 0)
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def _to_rgb_uint8(image, scale: int):
    """A new (H*scale, W*scale, 3) uint8 copy of a grey or RGB image (uint8 or float in [0, 1])."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3)):
        raise ValueError(f"`image` must have shape (H, W), (H, W, 1) or (H, W, 3), got {np.shape(image)}")
    if arr.dtype == np.uint8:
        out = arr.copy()
    elif np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool:
        out = (np.clip(arr.astype(np.float64), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    else:
        raise ValueError(f"`image` must be uint8 (0-255) or float (0-1), got dtype {arr.dtype}")
    if out.ndim == 2:
        out = np.stack([out] * 3, axis=-1)
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"`scale` must be a positive int, got {scale!r}")
    if scale > 1:
        out = out.repeat(scale, axis=0).repeat(scale, axis=1)
    return np.ascontiguousarray(out)


def _color(value) -> tuple[int, int, int]:
    if isinstance(value, str):
        from matplotlib.colors import to_rgb

        return tuple(int(round(255 * c)) for c in to_rgb(value))
    rgb = tuple(int(c) for c in value)
    if len(rgb) != 3:
        raise ValueError(f"a colour must be a name or an (r, g, b) triple, got {value!r}")
    return rgb


def _colors_for(n: int, colors, labels) -> list[tuple[int, int, int]]:
    if colors is None:
        if labels is None:
            return [(255, 40, 40)] * n
        out = []
        for label in labels:
            try:
                out.append(PALETTE[int(label) % len(PALETTE)])
            except (TypeError, ValueError):
                out.append(PALETTE[sum(map(ord, str(label))) % len(PALETTE)])
        return out
    if isinstance(colors, str) or (len(colors) == 3 and all(isinstance(c, (int, np.integer)) for c in colors)):
        return [_color(colors)] * n
    if len(colors) != n:
        raise ValueError(f"`colors` must be one colour or one per box ({n}), got {len(colors)}")
    return [_color(c) for c in colors]


def draw_boxes(
    image,
    boxes,
    labels: Sequence | None = None,
    scores: Sequence | None = None,
    colors=None,
    width: int = 1,
    *,
    scale: int = 1,
) -> np.ndarray:
    """Draw boxes (and optional labels and scores) on a copy of an image.

    Args:
        image: (H, W) or (H, W, 1) grey, or (H, W, 3) RGB; uint8 in [0, 255] or float in [0, 1].
        boxes: (k, 4) corners (x1, y1, x2, y2) in pixels of ``image``; the outline is drawn
            on the pixels just inside the box (columns x1 .. x2 - 1).
        labels: optional k labels (ints or strings) written above each box.
        scores: optional k scores in [0, 1], written after the label as ``7: 0.97``.
        colors: one colour (name or (r, g, b)) for all boxes, or one per box. Default: a colour
            per class from :data:`PALETTE` when labels are given, red otherwise.
        width: outline width in pixels of the output image.
        scale: enlarge the image this many times (nearest neighbour) before drawing, so that
            text stays readable on small images; boxes are given in the original pixels.

    Returns:
        A new uint8 array (H * scale, W * scale, 3); ``image`` is not modified.

    Raises:
        ValueError: wrong shapes, dtypes or lengths (the message says which).
    """
    from PIL import Image, ImageDraw, ImageFont

    out = _to_rgb_uint8(image, scale)
    arr = _as_boxes(boxes)
    k = len(arr)
    for name, values in (("labels", labels), ("scores", scores)):
        if values is not None and len(values) != k:
            raise ValueError(f"`{name}` must have one entry per box ({k}), got {len(values)}")
    if not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"`width` must be a positive int, got {width!r}")
    if k == 0:
        return out
    palette = _colors_for(k, colors, labels)
    canvas = Image.fromarray(out)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for i, (x1, y1, x2, y2) in enumerate(arr * scale):
        x2, y2 = max(x1, x2 - 1), max(y1, y2 - 1)
        draw.rectangle([float(x1), float(y1), float(x2), float(y2)], outline=palette[i], width=int(width))
        text = []
        if labels is not None:
            text.append(str(labels[i]))
        if scores is not None:
            text.append(f"{float(scores[i]):.2f}")
        if text:
            caption = ": ".join(text)
            left, top, right, bottom = draw.textbbox((0, 0), caption, font=font)
            tw, th = right - left, bottom - top
            ty = y1 - th - 2 if y1 - th - 2 >= 0 else y1 + width
            draw.rectangle([x1, ty, x1 + tw + 2, ty + th + 2], fill=palette[i])
            draw.text((x1 + 1 - left, ty + 1 - top), caption, fill=(255, 255, 255), font=font)
    return np.asarray(canvas, dtype=np.uint8).copy()


def draw_landmarks(image, points, colors=None, radius: int = 2, *, scale: int = 1) -> np.ndarray:
    """Draw landmark points as filled dots on a copy of an image.

    Args:
        image: (H, W) grey or (H, W, 3) RGB; uint8 in [0, 255] or float in [0, 1].
        points: (p, 2) pixel coordinates (x, y), or (m, p, 2) for several sets (e.g. one per face).
        colors: one colour for all points, or one per point of a set (p colours). Default:
            a different colour per point index from :data:`PALETTE`.
        radius: dot radius in pixels of the output image.
        scale: enlarge the image this many times before drawing; points are given in the
            original pixels.

    Returns:
        A new uint8 array (H * scale, W * scale, 3); ``image`` is not modified.
    """
    from PIL import Image, ImageDraw

    out = _to_rgb_uint8(image, scale)
    pts = np.asarray(points, dtype=np.float64)
    if pts.size == 0:
        return out
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[-1] != 2:
        raise ValueError(f"`points` must have shape (p, 2) or (m, p, 2), got {np.shape(points)}")
    p = pts.shape[1]
    palette = [PALETTE[j % len(PALETTE)] for j in range(p)] if colors is None else _colors_for(p, colors, None)
    canvas = Image.fromarray(out)
    draw = ImageDraw.Draw(canvas)
    for group in pts * scale:
        for j, (x, y) in enumerate(group):
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=palette[j])
    return np.asarray(canvas, dtype=np.uint8).copy()
