"""Model tools for the course: a parameter and multiply-add counter (notebook 05) and the
arithmetic rate of a training run (02, 06, 07, 08),
the pretrained EfficientNet-Lite0 and its ImageNet helpers (notebook 04), and gradients with respect
to an input on either backend (notebook 10)."""

from __future__ import annotations

from .efficientnet import efficientnet_lite0, efficientnet_lite0_torch
from .gradients import value_and_gradient
from .imagenet import decode_predictions, imagenet_labels, preprocess_imagenet
from .profile import profile, training_rate

__all__ = [
    "decode_predictions",
    "efficientnet_lite0",
    "efficientnet_lite0_torch",
    "imagenet_labels",
    "preprocess_imagenet",
    "profile",
    "training_rate",
    "value_and_gradient",
]
