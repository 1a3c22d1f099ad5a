"""Gradients with respect to an input, on either Keras backend (notebook 10).

Keras 3 runs the forward pass on the backend; the gradient comes from the backend's own
mechanism (``tf.GradientTape`` on TensorFlow, ``torch.autograd`` on PyTorch). This is the one
place where the course hides that difference; notebook 10 shows the native PyTorch lines too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["value_and_gradient"]


def value_and_gradient(fn: Callable[[Any], Any], x) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``fn(x)`` and the gradient of ``sum(fn(x))`` with respect to ``x``.

    Args:
        fn: takes a backend tensor shaped like ``x`` and returns a tensor built from it with Keras
            ops or a Keras model (any shape: the gradient is that of the sum of its entries, so for a
            batch whose rows do not interact, row i of the gradient is that of output i alone).
        x: array (any shape), float; converted to a float32 tensor.

    Returns:
        (value, gradient): ``fn(x)`` as a NumPy array, and a float32 NumPy array shaped like ``x``.

    Raises:
        TypeError: if ``fn`` is not callable.
        ValueError: if ``x`` is not a finite float array, or the output does not depend on ``x``.
    """
    import keras

    if not callable(fn):
        raise TypeError(f"`fn` must be a function of one tensor, got {type(fn).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"`x` must be a non-empty array of finite numbers, got dtype {arr.dtype}, shape {arr.shape}; "
            "preprocess the images first (cu.models.preprocess_imagenet)"
        )
    arr = arr.astype("float32")
    if keras.backend.backend() == "torch":
        import torch

        t = torch.tensor(arr, requires_grad=True)
        out = fn(t)
        total = torch.sum(out)
        if not total.requires_grad:
            raise ValueError("`fn(x)` does not depend on `x` (no gradient): build the output from the tensor it gets")
        (grad,) = torch.autograd.grad(total, t)
        return out.detach().cpu().numpy(), grad.detach().cpu().numpy()
    import tensorflow as tf

    t = tf.convert_to_tensor(arr)
    with tf.GradientTape() as tape:
        tape.watch(t)
        out = fn(t)
        total = tf.reduce_sum(out)
    grad = tape.gradient(total, t)
    if grad is None:
        raise ValueError("`fn(x)` does not depend on `x` (no gradient): build the output from the tensor it gets")
    return np.asarray(out), grad.numpy()
