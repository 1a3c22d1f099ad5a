"""Stored check cases (course_utils/cases/*.npz): in sync with their sources, reproducible on both backends,
and, for notebooks 01, 02, 03 and 11, right by an independent route (Keras' convolution and pooling, numerical
gradients, pixel loops, Keras' parameter counts; NumPy gradients of 11's small models, NumPy attention)."""

from __future__ import annotations

import numpy as np
import pytest

from course_tools import cases
from course_utils import checks

STEMS = cases.domain_stems()


def test_no_stored_case_is_stale():
    assert not cases.stale(), "\n".join(cases.stale())


@pytest.mark.parametrize("stem", STEMS)
def test_stored_cases_recompute_on_this_backend(stem):
    """The reference solution, run here (this backend), gives the stored outputs within each case's tolerances."""
    problems = cases.check([stem], log=lambda line: None)
    assert not problems, "\n".join(problems)


def test_every_exercise_with_a_domain_is_checked_by_its_cell():
    from course_tools.notebooks import read_source

    for stem in STEMS:
        text = "\n".join(c.source for c in read_source(cases._root() / "solutions" / f"{stem}.py").cells)
        for exercise in cases.domains(stem):
            assert f'"{exercise}"' in text, f"{stem}: no check cell calls check_cases(..., {exercise!r})"


def test_the_case_files_are_deterministic(tmp_path):
    stem = "00_start_here"
    ns = cases.reference_namespace(stem)
    domain = cases.domains(stem)["conv_output_size"]
    records = cases.run_domain("conv_output_size", domain, ns["conv_output_size"])
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    cases.write_cases(a, "conv_output_size", domain, records, "h")
    cases.write_cases(b, "conv_output_size", domain, records, "h")
    assert a.read_bytes() == b.read_bytes()


# --------------------------------------------------------------------------- 01, against Keras


def _keras_conv(A, W, b, stride, pad, dilation=1):
    import keras

    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Z = keras.ops.convert_to_numpy(
        keras.ops.conv(A_pad.astype("float64"), W.astype("float64"), strides=1, padding="valid", dilation_rate=dilation)
    )
    return Z[:, ::stride, ::stride, :] + b.reshape(1, 1, 1, -1)


def _conv_call(case):
    args = list(case.args) + [None] * (5 - len(case.args))
    A, W, b, s, p = args[:5]
    s = case.kwargs.get("stride", s)
    p = case.kwargs.get("pad", p)
    d = case.kwargs.get("dilation", case.args[5] if len(case.args) > 5 else 1)
    return A, W, b, s, p, d


@pytest.mark.parametrize("exercise", ["conv_forward", "conv_forward_fast"])
def test_01_convolution_cases_agree_with_keras(exercise):
    for case in checks.cases(exercise):
        A, W, b, s, p, d = _conv_call(case)
        expected = _keras_conv(np.asarray(A, float), W, b, s, p, d)
        assert np.allclose(case.expected["value"], expected, atol=1e-9), case


def test_01_pooling_cases_agree_with_keras():
    import keras

    for case in checks.cases("pool_forward"):
        A, f = case.args[0], case.args[1]
        stride = case.kwargs.get("stride", case.args[2] if len(case.args) > 2 else None)
        mode = case.kwargs.get("mode", "max")
        pool = keras.ops.max_pool if mode == "max" else keras.ops.average_pool
        expected = keras.ops.convert_to_numpy(pool(np.asarray(A, "float64"), f, stride, "valid"))
        assert np.allclose(case.expected["value"], expected, atol=1e-9), case


def test_01_backward_cases_agree_with_numerical_gradients():
    for case in checks.cases("conv_backward")[:8]:
        dZ, (A, W, b, hp) = case.args
        s, p, d = hp["stride"], hp["pad"], hp["dilation"]
        for which, (got, x) in enumerate(zip(case.expected["value"], (A, W, b))):
            x = np.array(x, dtype=np.float64)

            def forward(value, which=which, parts=(A, W, b), hp=(s, p, d)):
                parts = list(parts)
                parts[which] = value
                return _keras_conv(*parts, *hp)

            numerical = checks.numerical_gradient(forward, x, dZ, h=1e-4)
            assert checks.rel_error(got, numerical) < 1e-6, (case, which)


def test_01_pool_backward_cases_agree_with_numerical_gradients():
    import keras

    for case in checks.cases("pool_backward"):
        dA, (A, hp) = case.args
        pool = keras.ops.max_pool if hp["mode"] == "max" else keras.ops.average_pool

        def forward(value, hp=hp, pool=pool):
            return keras.ops.convert_to_numpy(
                pool(keras.ops.convert_to_tensor(value, "float64"), hp["f"], hp["stride"], "valid")
            )

        numerical = checks.numerical_gradient(forward, np.array(A, dtype=np.float64), dA, h=1e-6)
        assert checks.rel_error(case.expected["value"], numerical) < 1e-5, case


def test_the_grader_draws_other_cases_and_never_shows_them():
    """Under the class grader: new inputs for the seed, the reference's outputs, messages without values."""
    fresh = cases.grading_cases("conv_forward", 424242, group="generated")
    stored = checks.cases("conv_forward", group="generated")
    assert len(fresh) == len(stored) and all(c.fresh for c in fresh)
    assert not np.array_equal(fresh[0].args[0], stored[0].args[0]), "the same inputs as the stored cases"
    assert cases.grading_cases("conv_forward", 424242, group="generated") is not None
    again = cases.grading_cases("conv_forward", 424242, group="generated")
    assert np.array_equal(again[0].args[0], fresh[0].args[0]), "the same seed gives the same cases (regrades)"
    ns = cases.reference_namespace("01_convolution_from_scratch")
    checks.check_cases(ns["conv_forward"], "conv_forward", cases_=fresh)

    def off_by_one(A_prev, W, b, stride, pad, dilation=1):
        Z, cache = ns["conv_forward"](A_prev, W, b, stride, pad, dilation)
        return Z + 1, cache

    with pytest.raises(AssertionError) as info:
        checks.check_cases(off_by_one, "conv_forward", cases_=fresh)
    message = str(info.value)
    assert "the values are wrong" in message and "called conv_forward" not in message
    assert "expected [" not in message and "got " not in message


# --------------------------------------------------------------------------- 02 and 03, by other routes


def _call_args(case, names, defaults):
    values = dict(zip(names, case.args))
    values.update(case.kwargs)
    return [values.get(n, defaults.get(n)) for n in names]


def test_02_shift_cases_agree_with_a_pixel_loop():
    for case in checks.cases("shift_images"):
        X, dx, dy = _call_args(case, ("X", "dx", "dy"), {})
        expected = np.zeros_like(X)
        for i in range(X.shape[1]):
            for j in range(X.shape[2]):
                if 0 <= i + dy < X.shape[1] and 0 <= j + dx < X.shape[2]:
                    expected[:, i + dy, j + dx] = X[:, i, j]
        assert np.array_equal(case.expected["value"], expected), case
        assert case.expected["value"].dtype == X.dtype, case


def test_02_parameter_counts_agree_with_keras():
    import keras

    for case in checks.cases("count_conv_params"):
        f, c_in, c_out, bias = _call_args(case, ("f", "c_in", "c_out", "bias"), {"bias": True})
        layer = keras.layers.Conv2D(c_out, f, use_bias=bias)
        layer.build((None, 16, 16, c_in))
        assert case.expected["value"] == layer.count_params(), case
    for case in checks.cases("count_dense_params"):
        n_in, n_out = _call_args(case, ("n_in", "n_out"), {})
        layer = keras.layers.Dense(n_out)
        layer.build((None, n_in))
        assert case.expected["value"] == layer.count_params(), case


def test_03_steps_agree_with_the_batches_of_a_loop():
    for case in checks.cases("steps_per_epoch"):
        n, b = _call_args(case, ("n_examples", "batch_size"), {})
        assert case.expected["value"] == len(range(0, n, b)), case


# --------------------------------------------------------------------------- 11, by NumPy and by Keras' convolution


def _np_logits_grad(spec, x, labels):
    """Logits and d(cross-entropy)/dx of a model given as data (Flatten, [Dropout], Dense [tanh, Dense])."""
    w = [np.asarray(a, np.float64) for a in spec["weights"]]
    flat = x.reshape(len(x), -1)
    hidden = np.tanh(flat @ w[0] + w[1]) if len(w) == 4 else None
    z = hidden @ w[2] + w[3] if len(w) == 4 else flat @ w[0] + w[1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = p - np.eye(z.shape[1])[np.asarray(labels)]
    dflat = ((dz @ w[2].T) * (1 - hidden**2)) @ w[0].T if len(w) == 4 else dz @ w[0].T
    return z, dflat.reshape(x.shape)


def _attack_call(case, names):
    values = dict(zip(names, case.args))
    values.update(case.kwargs)
    return values


def test_11_fgsm_cases_agree_with_numpy_gradients():
    names = ("model", "images", "labels", "epsilon", "pixel_range")
    for case in checks.cases("fgsm"):
        a = _attack_call(case, names)
        low, high = a.get("pixel_range", (0.0, 1.0))
        _, g = _np_logits_grad(a["model"], np.asarray(a["images"], np.float64), a["labels"])
        expected = np.clip(a["images"] + a["epsilon"] * np.sign(g), low, high)
        assert np.allclose(case.expected["value"], expected, atol=1e-5), case


def test_11_pgd_cases_agree_with_numpy_gradients():
    names = ("model", "images", "labels", "epsilon", "step_size", "steps", "pixel_range", "start")
    for case in checks.cases("pgd"):
        a = _attack_call(case, names)
        low, high = a.get("pixel_range", (0.0, 1.0))
        x0 = np.asarray(a["images"], np.float64)
        x = x0 if a.get("start") is None else np.asarray(a["start"], np.float64)
        for _ in range(a["steps"]):
            _, g = _np_logits_grad(a["model"], x, a["labels"])
            x = np.clip(np.clip(x + a["step_size"] * np.sign(g), low, high), x0 - a["epsilon"], x0 + a["epsilon"])
        assert np.allclose(case.expected["value"], x, atol=1e-5), case


def test_11_patch_embedding_cases_agree_with_a_strided_convolution():
    import keras

    for case in checks.cases("patch_embedding"):
        images, kernel, bias = case.args[:3]
        p = case.args[3] if len(case.args) > 3 else case.kwargs["patch_size"]
        c, d = images.shape[-1], kernel.shape[-1]
        out = keras.ops.convert_to_numpy(
            keras.ops.conv(images.astype("float64"), kernel.reshape(p, p, c, d).astype("float64"), strides=p)
        )
        expected = out.reshape(len(images), -1, d) + bias
        assert np.allclose(case.expected["value"], expected, atol=1e-4), case


@pytest.mark.parametrize("exercise", ["attention_head", "attention_weights"])
def test_11_attention_cases_agree_with_numpy(exercise):
    for case in checks.cases(exercise):
        x, wq, wk, wv = (np.asarray(a, np.float64) for a in case.args)
        scores = (x @ wq) @ np.swapaxes(x @ wk, -1, -2) / np.sqrt(wk.shape[-1])
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
        expected = weights @ (x @ wv) if exercise == "attention_head" else weights
        assert np.allclose(case.expected["value"], expected, atol=1e-4, rtol=1e-4), case
