"""Cases for notebook 08: the triplet loss, pairwise distances, batch-hard mining, verify and identify.

The functions on embeddings are probed on backend tensors (probe "tensor"): their value **and** the
gradient through them are compared, so a loss that leaves the tensors (NumPy, ``float()``) or a square root
whose gradient is NaN at a zero distance fails, on either backend. Cases start with the worked examples,
then the ones that single out one mistake (several positives per person, where the mean, the closest and the
farthest positive differ; a person alone; labels in any order; distances beyond any fixed "large number";
a margin left to its default; squared against plain distances at the threshold), then random ones.
Gradients are compared only where they are determined: no ties inside a max or a min, equal rows exactly
equal (small integers), so that every correct way of writing these functions gives the same numbers.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

# --------------------------------------------------------------------------- triplet_loss

TRIPLET_HINT = "per triplet max(||a-p||^2 - ||a-n||^2 + margin, 0) with squared distances, then the sum over the batch."


def triplet_loss(rng):
    A = np.array([[1.0, 0.0], [1.0, 0.0]])
    P = np.array([[0.6, 0.8], [0.0, 1.0]])
    N = np.array([[0.0, 1.0], [0.6, 0.8]])
    yield Gen(
        "the worked example: an easy triplet and a hard one",
        (A, P, N, 0.2),
        hint="the easy triplet costs max(0.8 - 2 + 0.2, 0) = 0, the hard one 2 - 0.8 + 0.2 = 1.4: the sum is 1.4.",
    )
    yield Gen(
        "an easy triplet alone",
        (A[:1], P[:1], N[:1], 0.2),
        hint="an easy triplet must cost exactly 0: clip each triplet's term with max(., 0).",
    )
    a3 = np.zeros((3, 2))
    p3 = np.array([[1.0, 0], [0, 2], [0.5, 0]])
    n3 = np.array([[0.0, 2], [1, 0], [0, 0.5]])
    yield Gen(
        "three triplets, margin 0.3 (terms 0, 3.3, 0.3)",
        (a3, p3, n3, 0.3),
        hint="squared distances (1, 4, 0.25 and 4, 1, 0.25); clip each term at 0 before summing; sum, not mean.",
    )
    yield Gen(
        "the margin left to its default (0.2)",
        (np.zeros((2, 2)), np.array([[1.0, 0], [2.0, 0]]), np.array([[0.0, 1.1], [0.0, 1.0]])),
        hint="margin=0.2 by default: the first triplet costs 1 - 1.21 + 0.2 = -0.01 -> 0, the second 4 - 1 + 0.2.",
    )
    yield Gen(
        "margin 1.0 by keyword",
        (np.zeros((2, 3)), np.array([[1.0, 0, 0], [0, 0.5, 0]]), np.array([[0.0, 1.5, 0], [0, 0, 1]])),
        {"margin": 1.0},
        hint="use the margin argument, not a fixed 0.2; it is added before max(., 0).",
    )
    yield Gen(
        "4 triplets of 3 numbers (m != D)",
        (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 0.5),
        hint="the squared distance of a triplet sums over its D numbers (axis -1), not over the batch (axis 0).",
    )
    yield Gen("one triplet of one number", (np.array([[0.0]]), np.array([[0.5]]), np.array([[0.6]]), 0.2))
    yield Gen(
        "all triplets easy",
        (np.zeros((4, 2)), np.full((4, 2), 0.1), np.full((4, 2), 3.0), 0.2),
        hint="max(., 0) clips every easy triplet to zero: the loss is 0, never negative.",
    )
    yield Gen(
        "margin 0",
        (rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), 0.0),
        hint="with margin 0 only triplets whose positive is farther than the negative cost something.",
    )
    e = rng.normal(size=(16, 8))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    yield Gen(
        "16 triplets of unit embeddings (D = 8), margin 0.5",
        (e, np.roll(e, 1, axis=0), np.roll(e, 2, axis=0), 0.5),
        hint=TRIPLET_HINT,
    )
    for _ in range(6):
        m, d = int(rng.integers(1, 10)), int(rng.integers(1, 9))
        margin = float(np.round(rng.uniform(0.05, 1.0), 2))
        yield Gen(
            f"random m={m}, D={d}, margin {margin}",
            (rng.normal(size=(m, d)), rng.normal(size=(m, d)), rng.normal(size=(m, d)), margin),
        )


# --------------------------------------------------------------------------- pairwise_distances


def pairwise_distances(rng):
    E = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    yield Gen(
        "the worked example (rows 0 and 2 equal)",
        (E,),
        hint="||e_i||^2 - 2 e_i.e_j + ||e_j||^2, clipped at 0, then the square root, taken only where the squared "
        "distance is > 0: the gradient of sqrt at 0 is infinite, and inf * 0 = NaN.",
    )
    yield Gen(
        "the worked example, squared=True",
        (E, True),
        hint="with squared=True, return the squared distances (no square root).",
    )
    yield Gen(
        "the worked example, squared=False by keyword", (E,), {"squared": False}, hint="squared=False: distances."
    )
    eq = np.array([[1.0, 2.0], [3.0, 0.0], [1.0, 2.0], [0.0, -1.0]])
    yield Gen(
        "two equal rows that are not zero",
        (eq,),
        hint="equal rows are at distance 0: take the root only where the squared distance is > 0, and zero the "
        "diagonal exactly.",
    )
    yield Gen("two equal rows, squared=True", (eq, True), hint="clip the squared distances at 0 (never negative).")
    ints = np.array([[1.0, 0, 2], [0, 1, 1], [2, 2, 0], [-1, 0, 1], [3, -1, 0]])
    yield Gen(
        "5 rows of 3 numbers (m != D)",
        (ints,),
        hint="the result is (m, m): one row and one column per embedding (E E^T, not E^T E).",
    )
    yield Gen("5 rows of 3 numbers, squared=True", (ints, True), hint="the result is (m, m), squared distances.")
    yield Gen("one row", (np.array([[0.5, -1.0, 2.0]]),), hint="a single embedding: the (1, 1) matrix [[0]].")
    yield Gen("one number per row (D = 1)", (np.array([[0.0], [2.0], [-1.0]]),), hint="distances |e_i - e_j|.")
    big = rng.normal(size=(4, 4)) * 100
    yield Gen(
        "large embeddings (values of about 100)",
        (big,),
        hint="zero the diagonal exactly: rounding leaves ||e||^2 - 2 e.e + ||e||^2 slightly off 0, whose square "
        "root is not small.",
    )
    yield Gen("large embeddings, squared=True", (big, True), hint="zero the diagonal exactly (multiply by 1 - eye(m)).")
    for squared in (False, True):
        for _ in range(3):
            m, d = int(rng.integers(2, 9)), int(rng.integers(1, 9))
            yield Gen(f"random ({m}, {d}), squared={squared}", (rng.normal(size=(m, d)), squared))


# --------------------------------------------------------------------------- batch_hard_triplets

POSITIVE = {"select": 0}
NEGATIVE = {"select": 1}


def _pair(kind, args, hint_positive, hint_negative):
    """The same call twice: item 0 (hardest_positive) and item 1 (hardest_negative) of the result."""
    yield Gen(f"{kind}: hardest_positive", args, hint=hint_positive, options=POSITIVE)
    yield Gen(f"{kind}: hardest_negative", args, hint=hint_negative, options=NEGATIVE)


def _batch(rng, people, photos, d, scale=1.0):
    labels = np.repeat(np.arange(people), photos)
    centres = rng.normal(size=(people, d)) * 2
    e = centres[labels] + rng.normal(size=(len(labels), d)) * 0.8
    order = rng.permutation(len(labels))
    return e[order] * scale, labels[order]


def batch_hard_triplets(rng):
    POS = "the largest squared distance to another photo of the same person (0 if there is none)."
    NEG = "the smallest squared distance to a photo of another person."
    yield from _pair(
        "the worked example: e = (0, 1, 3, 3.5), labels (0, 0, 1, 1)",
        (np.array([[0.0], [1.0], [3.0], [3.5]]), np.array([0, 0, 1, 1])),
        "squared distances: anchor 0 is at 1 from its positive, anchor 2 at 0.25. " + POS,
        "anchor 0's negatives are at 9 and 12.25: the closest, 9. Mask out the anchor's own person, itself included.",
    )
    yield from _pair(
        "three photos per person: e = (0, 1, 3, 10, 11, 15)",
        (np.array([[0.0], [1.0], [3.0], [10.0], [11.0], [15.0]]), np.array([0, 0, 0, 1, 1, 1])),
        "the farthest positive: anchor 0's positives are at 1 and 9, so 9 (not their mean 5, not the closest 1).",
        "the closest negative: anchor 2's negatives are at 49, 64 and 144, so 49.",
    )
    yield from _pair(
        "a person alone: e = (0, 1, 3, 3.5, 10), labels (0, 0, 1, 1, 2)",
        (np.array([[0.0], [1.0], [3.0], [3.5], [10.0]]), np.array([0, 0, 1, 1, 2])),
        "an anchor without another photo of its person gets 0; never count the anchor itself.",
        "the person alone at 10 has every other photo as a negative: the closest, at 6.5^2 = 42.25.",
    )
    yield from _pair(
        "labels in any order: (1, 0, 1, 2, 0, 2)",
        (
            np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [1.0, 1.0], [4.0, 3.0]]),
            np.array([1, 0, 1, 2, 0, 2]),
        ),
        "compare every label with every other: same = (labels[:, None] == labels[None, :]).",
        "compare every label with every other: a negative is any photo with another label.",
    )
    yield from _pair(
        "labels 7, 42 and -1",
        (
            np.array([[0.0, 1.0], [0.0, 2.0], [5.0, 0.0], [4.0, 0.0], [2.0, 2.0], [2.0, 3.5]]),
            np.array([7, 7, 42, 42, -1, -1]),
        ),
        "labels are any integers: compare them, do not use them as indices.",
        "labels are any integers: compare them, do not use them as indices.",
    )
    yield from _pair(
        "far-apart people (squared distances above a million)",
        (np.array([[0.0, 0.0], [30.0, 0.0], [2000.0, 0.0], [2000.0, 50.0], [0.0, 3000.0]]), np.array([0, 0, 1, 1, 2])),
        POS,
        "the large number added to the non-negatives must exceed every distance: use the largest distance + 1, "
        "not a fixed constant.",
    )
    yield from _pair(
        "labels as a list",
        (np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0], [0.0, 2.5]]), [0, 1, 0, 1]),
        "convert the labels with ops.convert_to_tensor (or np.asarray).",
        "convert the labels with ops.convert_to_tensor (or np.asarray).",
    )
    e, y = _batch(rng, 4, 3, 8)
    yield from _pair("a P x K batch: 4 people, 3 photos each, D = 8", (e, y), POS, NEG)
    e, y = _batch(rng, 2, 5, 2)
    yield from _pair("two people, 5 photos each, D = 2", (e, y), POS, NEG)
    for _ in range(4):
        people, photos, d = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 7))
        e, y = _batch(rng, people, photos, d)
        yield from _pair(f"random batch: {people} people, {photos} photos each, D = {d}", (e, y), POS, NEG)


# --------------------------------------------------------------------------- verify


def verify(rng):
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    yield Gen(
        "the worked example: squared distance 2, threshold 2",
        (a, b, 2.0),
        hint="the test is <= (less than or equal), on the squared distance.",
    )
    yield Gen("the worked example, threshold 1", (a, b, 1.0), hint="above the threshold it is not the same person.")
    z, h = np.array([0.0, 0.0]), np.array([0.5, 0.0])
    yield Gen(
        "squared distance 0.25, threshold 0.3",
        (z, h, 0.3),
        hint="compare the squared distance (0.25), not the distance (0.5), with the threshold.",
    )
    yield Gen(
        "squared distance 4, threshold 3",
        (z, np.array([0.0, 2.0]), 3.0),
        hint="compare the squared distance (4), not the distance (2), with the threshold.",
    )
    yield Gen("squared distance 0.25, threshold 0.25", (z, h, 0.25), hint="<=: equal to the threshold is a match.")
    yield Gen("squared distance 0.25, threshold 0.2", (h, z, 0.2), hint="0.25 > 0.2: not the same person.")
    yield Gen("the same embedding, threshold 0", (a, a.copy(), 0.0), hint="distance 0 <= 0: the same person.")
    yield Gen("a negative threshold", (a, a.copy(), -0.5), hint="no squared distance is below a negative threshold.")
    yield Gen(
        "one number each", (np.array([0.25]), np.array([-0.5]), 0.5625), hint="(0.25 + 0.5)^2 = 0.5625 <= 0.5625."
    )
    u = rng.normal(size=(2, 128))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    d2 = float(np.sum((u[0] - u[1]) ** 2))
    yield Gen("unit embeddings of 128 numbers", (u[0], u[1], float(np.round(d2 * 1.05, 3))))
    yield Gen("integer embeddings", (np.array([1, 2, 3]), np.array([2, 2, 1]), 5), hint="1 + 0 + 4 = 5 <= 5.")
    yield Gen(
        "float32 embeddings",
        (np.array([0.5, -0.25], np.float32), np.array([0.25, 0.25], np.float32), 0.3125),
        hint="0.0625 + 0.25 = 0.3125 <= 0.3125.",
    )
    for _ in range(8):
        d = int(rng.integers(2, 17))
        x, y = rng.normal(size=(2, d))
        d2 = float(np.sum((x - y) ** 2))
        factor = float(rng.choice([0.9, 0.97, 1.03, 1.1]))
        yield Gen(f"random {d}-d embeddings", (x, y, d2 * factor))


# --------------------------------------------------------------------------- identify


def identify(rng):
    toy = {"ada": np.array([[1.0, 0.0]]), "bob": np.array([[0.0, 1.0], [0.6, 0.8]])}
    q = np.array([0.8, 0.6])
    yield Gen(
        "the worked example, threshold 0.5",
        (q, toy, 0.5),
        hint="a person's distance is the smallest squared distance over their photos: ada 0.4, bob 0.08.",
    )
    yield Gen(
        "the worked example, threshold 0.05",
        (q, toy, 0.05),
        hint='nobody within the threshold: return the string "unknown".',
    )
    carol = {"dan": np.array([[0.0, 0.9]]), "carol": np.array([[0.0, 1.0], [5.0, 5.0], [-5.0, 5.0]])}
    yield Gen(
        "one of carol's photos matches exactly, her other photos are far",
        (np.array([0.0, 1.0]), carol, 0.5),
        hint="use the minimum over a person's photos, not the mean (carol's mean photo is far from the query).",
    )
    yield Gen(
        "squared distance 0.36, threshold 0.4",
        (np.zeros(2), {"eve": np.array([[0.6, 0.0]])}, 0.4),
        hint="the threshold is a squared distance: 0.36 <= 0.4 (the plain distance 0.6 is not).",
    )
    yield Gen(
        "squared distance 4, threshold 3",
        (np.zeros(2), {"eve": np.array([[0.0, 2.0]])}, 3.0),
        hint='the threshold is a squared distance: 4 > 3 gives "unknown" (the plain distance 2 is below 3).',
    )
    half = {"fay": np.array([[3.0, 3.0]]), "gus": np.array([[0.5, 0.0], [2.0, 2.0]])}
    yield Gen(
        "squared distance 0.25, threshold 0.25",
        (np.zeros(2), half, 0.25),
        hint="<=: a squared distance equal to the threshold is a match.",
    )
    people = {
        "p0": np.array([[4.0, 0.0], [3.0, 3.0]]),
        "p1": np.array([[0.0, -4.0]]),
        "p2": np.array([[1.0, 1.0], [-3.0, 0.0], [0.0, 5.0]]),
        "p3": np.array([[2.0, -2.0]]),
    }
    yield Gen(
        "the closest person in the middle of the database",
        (np.array([0.5, 0.5]), people, 1.0),
        hint="keep the smallest distance over all people (not the first or the last person, not the largest).",
    )
    yield Gen(
        "the closest person last in the database",
        (np.array([1.5, -1.5]), people, 1.0),
        hint="look at every person of the database.",
    )
    yield Gen(
        "the closest person first in the database",
        (np.array([3.5, 1.0]), people, 2.0),
        hint="look at every person of the database.",
    )
    yield Gen(
        "a query equal to an enrolled photo, threshold 0",
        (np.array([0.0, -4.0]), people, 0.0),
        hint="a squared distance of 0 <= 0: that person.",
    )
    yield Gen(
        "an infinite threshold: always the closest person",
        (np.array([10.0, 10.0]), people, float("inf")),
        hint="with threshold inf nobody is unknown.",
    )
    yield Gen("one person, one photo", (np.array([1.0, 2.0, 2.0]), {"solo": np.array([[1.0, 2.0, 3.0]])}, 1.0))
    yield Gen(
        "integer embeddings",
        (np.array([1, 1]), {"a": np.array([[3, 1]]), "b": np.array([[0, 0], [5, 5]])}, 2),
        hint="b's closest photo is at 1 + 1 = 2 <= 2.",
    )
    for _ in range(6):
        d, n = int(rng.integers(2, 9)), int(rng.integers(2, 7))
        database = {f"person {i}": rng.normal(size=(int(rng.integers(1, 4)), d)) for i in range(n)}
        query = rng.normal(size=d)
        best = min(float(np.min(np.sum((e - query) ** 2, axis=1))) for e in database.values())
        factor = float(rng.choice([0.9, 1.1]))
        yield Gen(f"random {d}-d database of {n} people", (query, database, best * factor))


DOMAINS = {
    "triplet_loss": Domain(
        triplet_loss,
        argnames=("anchor", "positive", "negative", "margin"),
        probe="tensor",
        returns="tensor",
        atol=1e-5,
        rtol=1e-5,
        options={"tensor_args": [0, 1, 2], "grad_args": [0, 1, 2]},
        hint=TRIPLET_HINT,
    ),
    "pairwise_distances": Domain(
        pairwise_distances,
        argnames=("embeddings", "squared"),
        probe="tensor",
        returns="tensor",
        atol=1e-4,
        rtol=1e-4,
        options={"tensor_args": [0], "grad_args": [0]},
        hint="||a||^2 - 2 a.b + ||b||^2 with broadcasting, clipped at 0, zero diagonal; the square root only of "
        "entries > 0.",
    ),
    "batch_hard_triplets": Domain(
        batch_hard_triplets,
        argnames=("embeddings", "labels"),
        probe="tensor",
        returns="tensor",
        atol=1e-4,
        rtol=1e-4,
        options={"tensor_args": [0], "grad_args": [0]},
        hint="squared distances; max over the anchor's other photos of its person, min over other people's photos.",
    ),
    "verify": Domain(
        verify,
        argnames=("embedding_a", "embedding_b", "threshold"),
        hint="True when the squared distance ||a - b||^2 is <= threshold.",
    ),
    "identify": Domain(
        identify,
        argnames=("query_embedding", "database", "threshold"),
        hint='the closest person (smallest squared distance over their photos) if it is <= threshold, else "unknown".',
    ),
}
