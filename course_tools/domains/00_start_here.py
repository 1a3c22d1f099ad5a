"""Cases for notebook 00: the output-size formula."""

from __future__ import annotations

from course_tools.cases import Domain, Gen

HINT = "pad both sides (2p), take the floor of the division (//), then add 1."


def conv_output_size(rng):
    yield Gen("valid, stride 1", (6, 3, 0, 1), hint="with p = 0 and s = 1 the size shrinks by f - 1.")
    yield Gen("stride 2, division exact", (7, 3, 0, 2), hint="divide by the stride before adding 1.")
    yield Gen("stride 2, floor needed", (8, 3, 0, 2), hint="take the floor: (8 - 3) / 2 = 2.5 -> 2, then add 1.")
    yield Gen("padding 1, stride 1", (6, 3, 1, 1), hint="the padding is on both sides: add 2p, not p.")
    yield Gen("padding and stride together", (5, 3, 1, 2), hint="pad first (n + 2p), then slide with stride s.")
    yield Gen("filter as large as the input", (5, 5, 0, 3), hint="one position fits: the answer is 1.")
    yield Gen("1x1 filter", (64, 1, 0, 1))
    yield Gen("stride larger than the filter", (9, 2, 0, 3))
    yield Gen("large padding and stride 3", (10, 4, 3, 3))
    yield Gen("AlexNet's first layer", (227, 11, 0, 4))
    yield Gen("arguments by keyword", (), {"n": 32, "f": 5, "p": 2, "s": 1}, hint="keep the argument names n, f, p, s.")
    yield Gen("defaults p=0, s=1", (28, 5), hint="the defaults are p=0 and s=1.")
    yield Gen("only the stride by keyword", (11, 3), {"s": 4})
    for _ in range(12):
        f = int(rng.integers(1, 8))
        p = int(rng.integers(0, 4))
        s = int(rng.integers(1, 6))
        n = int(rng.integers(max(1, f - 2 * p), 40))
        yield Gen(f"n={n}, f={f}, p={p}, s={s}", (n, f, p, s))


DOMAINS = {
    "conv_output_size": Domain(conv_output_size, argnames=("n", "f", "p", "s"), returns="pyint", hint=HINT),
}
