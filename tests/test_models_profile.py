"""course_utils.models.profile: parameters and multiply-adds on hand-computable models."""

from __future__ import annotations

import keras
import pytest
from keras import layers

from course_utils.models import profile
from course_utils.models.profile import Profile, format_count


def _one(layer, shape):
    return profile(layer, input_shape=shape)


def test_mobilenet_table3_standard_vs_separable():
    # MobileNet paper, Table 3: D_K = 3, M = N = 512, D_F = 14 (no biases).
    conv = _one(layers.Conv2D(512, 3, padding="same", use_bias=False), (14, 14, 512))
    assert conv.total_params == 3 * 3 * 512 * 512 == 2_359_296
    assert conv.total_mult_adds == 3 * 3 * 512 * 512 * 14 * 14 == 462_422_016
    sep = _one(layers.SeparableConv2D(512, 3, padding="same", use_bias=False), (14, 14, 512))
    assert sep.total_params == 9 * 512 + 512 * 512 == 266_752
    assert sep.total_mult_adds == (9 * 512 + 512 * 512) * 14 * 14 == 52_283_392
    alpha = _one(layers.SeparableConv2D(384, 3, padding="same", use_bias=False), (14, 14, 384))
    assert round(alpha.total_mult_adds / 1e6, 1) == 29.6 and round(alpha.total_params / 1e6, 2) == 0.15
    rho = _one(layers.SeparableConv2D(384, 3, padding="same", use_bias=False), (10, 10, 384))
    assert round(rho.total_mult_adds / 1e6, 1) == 15.1


def test_lecture_worked_example_uses_output_size():
    # 6x6x3 input, 3x3 filters, no padding -> 4x4 output; 5 filters: 2,160 vs 432 + 240.
    conv = _one(layers.Conv2D(5, 3, use_bias=False), (6, 6, 3))
    assert conv.rows[0].output_shape == (4, 4, 5)
    assert conv.total_mult_adds == 2160 and conv.total_params == 135
    dw = _one(layers.DepthwiseConv2D(3, use_bias=False), (6, 6, 3))
    assert dw.total_mult_adds == 432 and dw.total_params == 27
    pw = _one(layers.Conv2D(5, 1, use_bias=False), (4, 4, 3))
    assert pw.total_mult_adds == 240
    sep = _one(layers.SeparableConv2D(5, 3, use_bias=False), (6, 6, 3))
    assert sep.total_mult_adds == 672 and sep.total_params == 42


def test_strides_biases_groups_and_depth_multiplier():
    strided = _one(layers.Conv2D(4, 3, strides=2, padding="same"), (8, 8, 2))
    assert strided.total_params == 9 * 2 * 4 + 4
    assert strided.total_mult_adds == 4 * 4 * 9 * 2 * 4  # output 4x4, biases not counted
    grouped = _one(layers.Conv2D(8, 3, padding="same", groups=2, use_bias=False), (5, 5, 4))
    assert grouped.total_mult_adds == 25 * 9 * 2 * 8
    dm = _one(layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=False), (5, 5, 3))
    assert dm.rows[0].output_shape == (5, 5, 6) and dm.total_mult_adds == 25 * 9 * 3 * 2


def test_transpose_dense_batchnorm_pooling_add_concat():
    tr = _one(layers.Conv2DTranspose(3, 2, strides=2, use_bias=False), (4, 4, 5))
    assert tr.rows[0].output_shape == (8, 8, 3)
    assert tr.total_mult_adds == 4 * 4 * 2 * 2 * 5 * 3 and tr.total_params == 60
    inp = keras.Input((6, 6, 3))
    a = layers.Conv2D(4, 1)(inp)
    b = layers.BatchNormalization()(a)
    c = layers.Add()([a, b])
    d = layers.Concatenate()([c, layers.MaxPooling2D(3, strides=1, padding="same")(a)])
    e = layers.Dense(2)(layers.GlobalAveragePooling2D()(d))
    prof = profile(keras.Model(inp, e))
    kinds = {r.kind: r for r in prof.layers()}
    assert kinds["BatchNormalization"].params == 16 and kinds["BatchNormalization"].mult_adds == 0
    for kind in ("Add", "Concatenate", "MaxPooling2D", "GlobalAveragePooling2D"):
        assert kinds[kind].params == 0 and kinds[kind].mult_adds == 0
    assert kinds["Dense"].mult_adds == 8 * 2 and kinds["Dense"].params == 18
    assert prof.total_params == keras.Model(inp, e).count_params() == 16 + 16 + 18
    assert prof.total_trainable_params == 16 + 8 + 18  # BN: gamma and beta only
    assert prof.total_mult_adds == 36 * 3 * 4 + 16
    # Dense on a sequence: one product per vector
    seq = _one(layers.Dense(5, use_bias=False), (7, 3))
    assert seq.total_mult_adds == 7 * 3 * 5


def test_nested_models_and_shared_layers():
    block = keras.Sequential([layers.Conv2D(4, 3, padding="same", use_bias=False), layers.ReLU()], name="block")
    inp = keras.Input((5, 5, 4))
    shared = layers.Conv2D(4, 1, use_bias=False, name="shared")
    x = shared(block(inp))
    x = shared(x)
    inner = keras.Model(inp, x, name="inner")
    outer_in = keras.Input((5, 5, 4))
    outer = keras.Model(outer_in, layers.Conv2D(2, 1, use_bias=False)(inner(outer_in)))
    prof = profile(outer)
    assert prof.total_params == outer.count_params() == 144 + 16 + 8
    assert prof.total_mult_adds == 25 * 144 + 2 * 25 * 16 + 25 * 8
    header = prof["inner"]
    assert header.is_model and header.params == 160 and header.depth == 0
    assert prof["block"].is_model
    shared_rows = [r for r in prof.layers() if r.name.endswith("shared")]
    assert [r.params for r in shared_rows] == [16, 0] and all(r.mult_adds == 400 for r in shared_rows)


def test_sequential_without_input_and_unknown_sizes():
    model = keras.Sequential([layers.Conv2D(3, 3, use_bias=False), layers.Flatten(), layers.Dense(2, use_bias=False)])
    prof = profile(model, input_shape=(5, 5, 1))
    assert prof.total_params == 27 + 27 * 2
    assert prof.total_mult_adds == 9 * 9 * 3 + 27 * 2
    with pytest.raises(ValueError, match="input_shape"):
        profile(keras.Sequential([layers.Dense(2)]))
    inp = keras.Input((None, None, 3))
    fcn = keras.Model(inp, layers.Conv2D(2, 1, use_bias=False)(inp))
    with pytest.raises(ValueError, match="unknown sizes"):
        profile(fcn)
    assert profile(fcn, input_shape=(4, 4, 3)).total_mult_adds == 16 * 6
    fixed_in = keras.Input((4, 4, 3))
    with pytest.raises(ValueError, match="does not fit"):
        profile(keras.Model(fixed_in, layers.ReLU()(fixed_in)), input_shape=(5, 5, 3))


def test_bad_arguments_and_table():
    with pytest.raises(TypeError, match="keras.Model"):
        profile("not a model")
    with pytest.raises(ValueError, match="positive"):
        profile(layers.Dense(2), input_shape=(0,))
    prof = _one(layers.Conv2D(512, 3, padding="same", use_bias=False), (14, 14, 512))
    assert isinstance(prof, Profile) and len(prof) == 1
    text = prof.table()
    assert "2,359,296" in text and "462,422,016" in text and "Conv2D" in text and "(14, 14, 512)" in text
    assert str(prof) == text and "462.4M" in text
    assert format_count(266_752) == "266.8k" and format_count(15_470_264_320) == "15.5G" and format_count(42) == "42"
    assert prof.by_kind() == {"Conv2D": (2_359_296, 462_422_016)}


def test_training_rate_counts_forward_backward_and_validation():
    from course_utils.models import training_rate

    model = keras.Sequential([keras.Input((6, 6, 3)), layers.Conv2D(5, 3, use_bias=False)])  # 2,160 mult-adds
    rate = training_rate(model, 2.0, train_samples=1000, eval_samples=500)
    assert rate.flops == 2 * 2160 * (3 * 1000 + 500)
    assert rate.gflops == pytest.approx(rate.flops / 2.0 / 1e9)
    assert "GFLOP/s" in str(rate) and "2.0 s" in str(rate)
    # A Sequential model without an Input needs input_shape, as profile() does.
    bare = keras.Sequential([layers.Conv2D(5, 3, use_bias=False)])
    assert training_rate(bare, 1.0, 10, input_shape=(6, 6, 3)).flops == 2 * 2160 * 30
    for bad, message in [
        (dict(seconds=0), "positive"),
        (dict(seconds="soon"), "number of seconds"),
        (dict(train_samples=-1), "whole number"),
        (dict(train_samples=2.5), "whole number"),
        (dict(train_samples="many"), "whole number"),
        (dict(train_samples=0, eval_samples=0), "no work"),
    ]:
        args = dict(seconds=1.0, train_samples=10, eval_samples=0) | bad
        with pytest.raises(ValueError, match=message):
            training_rate(model, **args)
