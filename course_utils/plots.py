"""Plotting helpers shared by every notebook. Each returns the matplotlib Figure or Axes.

* :func:`image_grid`: a grid of images with optional labels.
* :func:`training_curves`: loss and metric curves from a Keras ``History`` or a dict.
* :func:`confusion_matrix`: a labelled confusion matrix.
* :func:`colorize_labels`: a per-pixel label map as an RGB image (composes with :func:`image_grid`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["image_grid", "training_curves", "confusion_matrix", "history_dict", "colorize_labels", "overlay_heatmap"]


def _as_images(images) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] not in (3, 4)):
        raise ValueError(f"`images` must have shape (m, H, W), (m, H, W, 1) or (m, H, W, 3), got {np.shape(images)}")
    return arr


def image_grid(
    images,
    labels: Sequence | None = None,
    *,
    ncols: int = 8,
    cmap: str = "gray",
    size: float = 1.3,
    title: str | None = None,
    vmin=None,
    vmax=None,
):
    """Show images in a grid, each with its label as a title.

    Args:
        images: array (m, H, W), (m, H, W, 1) or (m, H, W, 3).
        labels: optional sequence of m labels (numbers or strings) shown above the images.
        ncols: number of columns.
        cmap: colour map for grey images.
        size: size of one cell in inches.
        title: optional figure title.
        vmin, vmax: value range for grey images (default: each image's own range).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    arr = _as_images(images)
    m = len(arr)
    if m == 0:
        raise ValueError("`images` is empty: nothing to show")
    if labels is not None and len(labels) != m:
        raise ValueError(f"`labels` must have one entry per image ({m}), got {len(labels)}")
    ncols = max(1, min(ncols, m))
    nrows = int(np.ceil(m / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= m:
            continue
        img = arr[k]
        if img.ndim == 3 and img.dtype.kind == "f":
            img = np.clip(img, 0, 1)
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=vmin, vmax=vmax)
        if labels is not None:
            ax.set_title(str(labels[k]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def history_dict(history) -> dict[str, list[float]]:
    """The per-epoch metrics of a Keras ``History`` (or a dict of lists) as a plain dict."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a Keras History or a dict of lists, got {type(history).__name__}")
    return {k: [float(v) for v in vals] for k, vals in data.items()}


def training_curves(history, metrics: Sequence[str] = ("loss", "accuracy"), *, title: str | None = None, axes=None):
    """Plot training (and validation, when present) curves, one panel per metric.

    Args:
        history: a Keras ``History`` or a dict like ``{"loss": [...], "val_loss": [...]}``.
        metrics: metric names to plot; a metric is drawn from ``name`` (training) and/or
            ``val_name`` (validation), whichever the history has, and skipped if it has neither.
        title: optional figure title.
        axes: optional sequence of Axes, one per metric present.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    data = history_dict(history)
    present = [m for m in metrics if m in data or f"val_{m}" in data]
    if not present:
        raise ValueError(f"none of {list(metrics)} is in the history; it has {sorted(data)}")
    if axes is None:
        fig, axes = plt.subplots(1, len(present), figsize=(4.5 * len(present), 3.2), squeeze=False)
        axes = axes[0]
    else:
        axes = list(np.atleast_1d(axes))
        fig = axes[0].figure
    for ax, metric in zip(axes, present):
        if metric in data:
            ax.plot(np.arange(1, len(data[metric]) + 1), data[metric], "o-", ms=3, color="C0", label="training")
        if f"val_{metric}" in data:
            values = data[f"val_{metric}"]
            ax.plot(np.arange(1, len(values) + 1), values, "s-", ms=3, color="C1", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(
    y_true, y_pred, *, class_names: Sequence | None = None, normalize: bool = False, ax=None, cmap: str = "Blues"
):
    """Plot a confusion matrix (rows: true class, columns: predicted class).

    Args:
        y_true, y_pred: integer labels, shape (m,).
        class_names: names of the classes (default 0..K-1).
        normalize: show each row as fractions of the true class.
        ax: optional Axes.

    Returns:
        The Axes (the counts are in ``ax.confusion``).
    """
    import matplotlib.pyplot as plt

    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`y_true` and `y_pred` must have the same shape, got {y_true.shape} and {y_pred.shape}")
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    if class_names is not None:
        k = max(k, len(class_names))
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * k + 2, 0.45 * k + 1.6))
    ax.imshow(shown, cmap=cmap)
    names = list(class_names) if class_names is not None else list(range(k))
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = shown.max() if shown.size else 1
    for i in range(k):
        for j in range(k):
            val = shown[i, j]
            if val:
                ax.text(
                    j,
                    i,
                    f"{val:.2f}" if normalize else str(val),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if val > 0.6 * top else "black",
                )
    ax.confusion = counts
    return ax


def colorize_labels(label_maps, n_classes: int, *, background: int | None = 0, cmap: str = "tab20"):
    """Colour per-pixel label maps: one fixed colour per class, the background black.

    Args:
        label_maps: integer array (H, W) or (m, H, W) with values in 0..n_classes-1.
        n_classes: number of classes (the colours do not depend on which classes are present).
        background: class drawn in black (``None``: colour it like the others).
        cmap: matplotlib colour map the class colours come from.

    Returns:
        float32 RGB array (H, W, 3) or (m, H, W, 3) in [0, 1]; the input is not modified.
    """
    import matplotlib

    labels = np.asarray(label_maps)
    if labels.ndim not in (2, 3) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"`label_maps` must be an integer array (H, W) or (m, H, W), got {labels.dtype} {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"`label_maps` values must be in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    colours = np.asarray(
        matplotlib.colormaps[cmap](np.linspace(0, 1, max(n_classes, 2)))[:n_classes, :3], dtype=np.float32
    )
    if background is not None:
        colours[background] = 0.0
    return colours[labels]


def overlay_heatmap(image, heat, *, alpha: float = 0.5, cmap: str = "jet", normalise: bool = True):
    """Blend a heat map (a saliency or Grad-CAM map, any size) over a photo.

    Args:
        image: RGB (H, W, 3) or grey (H, W); uint8 in 0..255 or float in [0, 1].
        heat: 2-D array (h, w) of any size; resized to (H, W) with bilinear interpolation.
        alpha: weight of the heat map's colour, in [0, 1] (0: the photo only).
        cmap: matplotlib colour map.
        normalise: scale ``heat`` to [0, 1] by its min and max first (a constant map becomes 0);
            False: ``heat`` must already be in [0, 1].

    Returns:
        float32 RGB array (H, W, 3) in [0, 1]; the inputs are not modified.
    """
    import matplotlib
    from skimage.transform import resize

    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise ValueError(f"`image` must be RGB (H, W, 3) or grey (H, W), got shape {np.shape(image)}")
    img = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    if img.size and (img.min() < -1e-6 or img.max() > 1 + 1e-6):
        raise ValueError(
            f"a float `image` must be in [0, 1], got [{img.min():.3g}, {img.max():.3g}]; pass uint8 for 0..255, "
            "or undo the network's preprocessing first"
        )
    h = np.asarray(heat, dtype=np.float64)
    if h.ndim != 2 or h.size == 0 or not np.all(np.isfinite(h)):
        raise ValueError(f"`heat` must be a finite 2-D array (h, w), got shape {np.shape(heat)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1], got {alpha}")
    if normalise:
        span = h.max() - h.min()
        h = (h - h.min()) / span if span > 0 else np.zeros_like(h)
    elif h.min() < 0 or h.max() > 1:
        raise ValueError(f"with normalise=False `heat` must be in [0, 1], got [{h.min():.3g}, {h.max():.3g}]")
    h = resize(h, img.shape[:2], order=1, mode="edge", anti_aliasing=False)
    colour = np.asarray(matplotlib.colormaps[cmap](np.clip(h, 0, 1))[..., :3], dtype=np.float32)
    return np.clip((1 - alpha) * img + alpha * colour, 0, 1).astype(np.float32)
