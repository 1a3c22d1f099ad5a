"""Options of the generated-case checks added for the structure exercises (notebooks 05 and 07): other accepted
values (``also``), messages that name the run (inference or training) and the output, the type of every item of a
returned tuple, the 2-D slice a message shows of a larger array, and probe_block's several inputs and outputs."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import checks


def _case(expected, **options):
    return checks.Case("demo", 1, 1, "a case", (np.zeros(1),), {}, expected, {"atol": 1e-6, "rtol": 1e-6, **options})


def test_another_accepted_value_passes_and_a_third_fails():
    a, b = np.ones((2, 2)), np.full((2, 2), 2.0)
    case = _case({"value": [a], "also": [[b]]}, probe="block")
    assert checks._case_problems(case, {"value": [a], "type": "keras.Model"}) is None
    assert checks._case_problems(case, {"value": [b], "type": "keras.Model"}) is None
    lines, _ = checks._case_problems(case, {"value": [a + 5], "type": "keras.Model"})
    assert "inference mode" in lines[0]


def test_a_block_right_in_inference_but_not_in_training_gets_the_training_hint():
    a = np.ones((1, 2, 2, 1))
    case = _case({"value": [a, a]}, probe="block", output_names=None)
    lines, hint = checks._case_problems(case, {"value": [a, a + 1], "type": "keras.Model"})
    assert "in training mode (training=True)" in lines[0]
    assert "training" in hint


def test_outputs_are_named_in_the_message():
    a = np.zeros((1, 2, 2, 1))
    case = _case({"value": [[a, a]]}, probe="block", output_names=["next_layer", "skip_connection"])
    lines, _ = checks._case_problems(case, {"value": [[a, a + 1]], "type": "keras.Model"})
    assert "of skip_connection in inference mode" in lines[0]


def test_every_item_of_a_tuple_must_have_the_documented_type():
    case = _case({"value": (6, 2)}, returns="tuple", items="pyint", hint_items="use int(...)")
    ok = {"value": (6, 2), "type": "builtins.tuple", "types": ["builtins.int", "builtins.int"]}
    assert checks._case_problems(case, ok) is None
    floats = dict(ok, types=["builtins.float", "builtins.int"])
    lines, hint = checks._case_problems(case, floats)
    assert "builtins.float" in lines[0] and hint == "use int(...)"


def test_a_message_shows_the_plane_of_the_largest_difference_and_ignores_expected_nans():
    e = np.arange(2 * 3 * 4 * 2.0).reshape(2, 3, 4, 2)
    g = e.copy()
    g[1, 2, 1, 0] += 5
    lines = checks._compare(e, g, 1e-6, 1e-6)
    assert "(1, 2, 1, 0)" in lines[0] and lines[1].startswith("expected[1, :, :, 0]")
    lines = checks._compare(np.array([np.nan, 1.0, 2.0]), np.array([np.nan, 1.0, 3.0]), 1e-6, 1e-6)
    assert "index (2,)" in lines[0]


@pytest.mark.filterwarnings("ignore")
def test_probe_block_takes_several_inputs_and_returns_several_outputs():
    from keras import layers

    def block(a, b, n):
        merged = layers.Concatenate()([a, b])
        return layers.Conv2D(n, 1)(merged), merged

    x, y = np.ones((2, 3, 3, 1), "float32"), np.full((2, 3, 3, 2), -1.0, "float32")
    got = checks.probe_block(block, [x, y, 4], {}, {"inputs": 2, "modes": ["inference"]})
    ((conv, merged),) = got["value"]
    assert conv.shape == (2, 3, 3, 4) and np.array_equal(merged[..., :1], x) and got["params"] == 3 * 4 + 4
