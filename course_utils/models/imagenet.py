"""ImageNet helpers for the pretrained network: preprocessing, class names, decoding.

Introduced in notebook 04 (transfer learning)::

    x = cu.models.preprocess_imagenet(skimage.data.chelsea()[None])   # (1, 224, 224, 3)
    logits = model.predict(x)
    cu.models.decode_predictions(logits, top=5)[0]   # [(285, 'Egyptian cat', 0.5...), ...]

The scaling is EfficientNet-Lite's (Google's ``efficientnet/lite`` builder: mean 127, standard
deviation 128 for every channel): ``(x - 127) / 128`` for pixel values x in 0..255, so the
network sees values in about [-1, 1]. The class names are torchvision's list of the 1,000
ImageNet-1k classes, kept in ``datasets/imagenet_classes.txt`` (see its card).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["preprocess_imagenet", "imagenet_labels", "decode_predictions", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = 127.0
IMAGENET_STD = 128.0
_LABELS_FILE = Path(__file__).resolve().parent.parent.parent / "datasets" / "imagenet_classes.txt"


def preprocess_imagenet(images, size: int | tuple[int, int] = 224, *, crop: bool = True) -> np.ndarray:
    """Resize, centre-crop and scale a batch of images for :func:`efficientnet_lite0`.

    Args:
        images: a batch, (m, H, W) grey, (m, H, W, 1) grey or (m, H, W, 3) RGB; uint8 in 0..255
            or float in [0, 1] (as scikit-image returns them). Grey images are repeated to 3 channels.
            For one image pass ``image[None]``.
        size: output side (an int) or (height, width).
        crop: True: resize so that the shorter side is ``size`` then cut the centre (keeps the
            aspect ratio, as for ImageNet evaluation); False: stretch to ``size``.

    Returns:
        float32 array (m, size, size, 3), ``(x - 127) / 128`` with x in 0..255 (range about [-1, 1]).

    Raises:
        ValueError: for another shape, an empty batch, or floats outside [0, 1].
    """
    from skimage.transform import resize

    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or x.shape[0] == 0:
        raise ValueError(f"`images` must have shape (m, H, W), (m, H, W, 1) or (m, H, W, 3), got {np.shape(images)}")
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32)
        if x.min() < -1e-6 or x.max() > 1 + 1e-6:
            raise ValueError(
                f"float `images` must be in [0, 1], got values in [{x.min():.3g}, {x.max():.3g}]; "
                "pass uint8 for 0..255 pixels (e.g. images.astype('uint8'))"
            )
    else:
        raise ValueError(f"`images` must be uint8 or float, got dtype {x.dtype}")
    out_h, out_w = (size, size) if isinstance(size, int) else tuple(size)
    m, h, w, c = x.shape
    if crop:
        scale = max(out_h / h, out_w / w)
        new_h, new_w = max(out_h, round(h * scale)), max(out_w, round(w * scale))
    else:
        new_h, new_w = out_h, out_w
    if (new_h, new_w) != (h, w):
        shrink = new_h < h or new_w < w
        x = resize(x, (m, new_h, new_w, c), order=1, mode="edge", anti_aliasing=shrink, preserve_range=True).astype(
            np.float32
        )
    top, left = (new_h - out_h) // 2, (new_w - out_w) // 2
    x = x[:, top : top + out_h, left : left + out_w, :]
    if c == 1:
        x = np.repeat(x, 3, axis=-1)
    x = np.clip(x, 0.0, 1.0)
    return ((x * 255.0 - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)


@lru_cache(maxsize=1)
def _labels() -> tuple[str, ...]:
    if not _LABELS_FILE.exists():
        raise FileNotFoundError(
            f"ImageNet class names not found at {_LABELS_FILE}: the course folder's datasets/ is incomplete "
            "(restore datasets/imagenet_classes.txt from the repository)"
        )
    names = tuple(_LABELS_FILE.read_text(encoding="utf-8").splitlines())
    if len(names) != 1000:
        raise ValueError(f"{_LABELS_FILE} must have 1000 lines, got {len(names)}")
    return names


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet-1k class names, index i = the network's output i ("tench", "goldfish", ...)."""
    return list(_labels())


def decode_predictions(logits, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """The ``top`` most likely classes for each example, with softmax probabilities.

    Args:
        logits: (m, 1000) or (1000,) scores (numpy array or backend tensor).
        top: how many classes to return per example (1..1000).

    Returns:
        One list per example of ``(class_index, class_name, probability)``, most likely first.
    """
    z = np.asarray(logits.detach().cpu() if hasattr(logits, "detach") else logits, dtype=np.float64)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != 1000:
        raise ValueError(f"`logits` must have shape (m, 1000), got {np.shape(z)}")
    if not 1 <= top <= 1000:
        raise ValueError(f"`top` must be in 1..1000, got {top}")
    z = z - z.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    names = _labels()
    result = []
    for row in probs:
        order = np.argsort(-row, kind="stable")[:top]
        result.append([(int(i), names[i], float(row[i])) for i in order])
    return result
