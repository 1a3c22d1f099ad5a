"""EfficientNet-Lite0 in Keras against the PyTorch reference, and the ImageNet helpers.

Runs on the Keras backend in ``KERAS_BACKEND`` (the suite runs once per backend).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import course_utils as cu
from course_utils.models import imagenet as imagenet_module


@pytest.fixture(scope="module")
def keras_model():
    return cu.models.efficientnet_lite0()


@pytest.fixture(scope="module")
def torch_model():
    return cu.models.efficientnet_lite0_torch()


@pytest.fixture(scope="module")
def photos():
    import skimage.data

    images = [skimage.data.chelsea(), skimage.data.coffee()]
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 1, size=(1, 224, 224, 3)).astype(np.float32)
    batch = np.concatenate([cu.models.preprocess_imagenet(i[None]) for i in images])
    return np.concatenate([batch, cu.models.preprocess_imagenet(noise)])


def _torch_logits(torch_model, x):
    import torch

    with torch.no_grad():
        return torch_model(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))).numpy()


def _keras_logits(keras_model, x):
    return cu.checks.to_numpy(keras_model(x, training=False))


def test_same_logits_as_pytorch_reference(keras_model, torch_model, photos):
    got, expected = _keras_logits(keras_model, photos), _torch_logits(torch_model, photos)
    assert got.shape == expected.shape == (3, 1000)
    assert np.abs(got - expected).max() <= 1e-3


def test_same_top5_on_real_photos(keras_model, torch_model, photos):
    got, expected = _keras_logits(keras_model, photos[:2]), _torch_logits(torch_model, photos[:2])
    for g, e in zip(got, expected):
        assert list(np.argsort(-g)[:5]) == list(np.argsort(-e)[:5])
    chelsea, coffee = cu.models.decode_predictions(got, top=5)
    assert [i for i, _, _ in chelsea[:4]] == [285, 282, 281, 287]  # Egyptian, tiger, tabby cat, lynx
    assert coffee[0][:2] == (967, "espresso")


def test_parameter_counts_and_names(keras_model):
    trainable = sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)
    assert trainable == 4_652_008  # the reference's parameter count
    assert keras_model.count_params() == 4_652_008 + 42_016  # + BN moving means and variances (non-trainable)
    for name in ("stem_conv", "block1a_dwconv", "block2a_dwconv_pad", "block6d_add", "top_activation", "predictions"):
        keras_model.get_layer(name)
    assert keras_model.output.shape[-1] == 1000


def test_headless_other_size_shares_weights(keras_model):
    base = cu.models.efficientnet_lite0(include_top=False, input_shape=(96, 96, 3))
    assert tuple(base.output.shape[1:]) == (3, 3, 1280)
    np.testing.assert_array_equal(
        cu.checks.to_numpy(base.get_layer("top_conv").kernel),
        cu.checks.to_numpy(keras_model.get_layer("top_conv").kernel),
    )
    with pytest.raises(ValueError, match="include_top"):
        cu.models.efficientnet_lite0(weights=None, input_shape=(96, 96, 3))
    with pytest.raises(ValueError, match="weights"):
        cu.models.efficientnet_lite0(weights="cifar")


def test_preprocess_imagenet():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(2, 30, 40, 3), dtype=np.uint8)
    out = cu.models.preprocess_imagenet(rgb, size=20)
    assert out.shape == (2, 20, 20, 3) and out.dtype == np.float32
    assert out.min() >= -127 / 128 - 1e-6 and out.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(cu.models.preprocess_imagenet(rgb.astype(np.float32) / 255, size=20), out, atol=1e-5)
    # no resizing needed: exactly (x - 127) / 128
    np.testing.assert_allclose(
        cu.models.preprocess_imagenet(rgb[:, :20, :20], size=20),
        (rgb[:, :20, :20].astype(np.float32) - 127) / 128,
        atol=1e-5,
    )
    grey = cu.models.preprocess_imagenet(np.full((3, 25, 25), 1.0, np.float32), size=32)
    assert grey.shape == (3, 32, 32, 3)
    np.testing.assert_allclose(grey, 1.0, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(m, H, W"):
        cu.models.preprocess_imagenet(np.zeros((5,)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cu.models.preprocess_imagenet(np.full((1, 8, 8, 3), 200.0))


def test_labels_file_and_decode():
    labels = cu.models.imagenet_labels()
    assert len(labels) == 1000 and labels[0] == "tench" and labels[285] == "Egyptian cat"
    card = (imagenet_module._LABELS_FILE.parent / "imagenet_classes.md").read_text()
    assert hashlib.sha256(imagenet_module._LABELS_FILE.read_bytes()).hexdigest() in card
    logits = np.zeros(1000)
    logits[[3, 7]] = [5.0, 4.0]
    (decoded,) = cu.models.decode_predictions(logits, top=2)
    assert [i for i, _, _ in decoded] == [3, 7]
    assert abs(sum(p for _, _, p in cu.models.decode_predictions(logits, top=1000)[0]) - 1) < 1e-9
    with pytest.raises(ValueError, match="1000"):
        cu.models.decode_predictions(np.zeros((2, 10)))
