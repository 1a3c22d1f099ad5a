# %% [markdown]
# # 08 · Face recognition
#
# Teach a small CNN a *similarity function* between faces, then use it to tell people apart from a
# single photo each, and run a whole pipeline (detect, align, embed, compare) on a real photograph.
#
# **What you will learn**
# - the difference between face **verification** (is this person X?) and **recognition** (who is this?);
# - why **one-shot learning** needs a distance $d(x_1, x_2) \le \tau$ rather than a softmax over people;
# - **siamese networks**: one encoder $f$, applied to both images, with outputs on the unit sphere;
# - the **triplet loss**, its margin, and how to choose triplets (random, hard, semi-hard, batch-hard);
# - how to train an embedding with Keras 3 on either backend, and evaluate it on people it never saw
#   (ROC curve, AUC, a threshold chosen on validation pairs, one-shot identification accuracy);
# - why a CNN trained from scratch on 25 people memorises them, and how an ImageNet-pretrained network
#   (notebook 04) with a small triplet-trained head does much better;
# - face **alignment** from eye landmarks, and the privacy, consent and bias questions face recognition raises.
#
# **Time:** about 75 minutes of reading and exercises. The computer's part, all cells in full mode, took about 1.5
# minutes (79 s with TensorFlow, 96 s with PyTorch) in the course's benchmark on its reference machine (2 CPU cores,
# otherwise idle); a slower or busy machine takes longer.

# %% [markdown]
# ## Set-up

# %%
try:
    import course_utils as cu
except ModuleNotFoundError as err:  # this notebook's Python has not got the course: say how to install it
    if err.name != "course_utils":
        raise
    raise ModuleNotFoundError(
        "This notebook needs the course's package, course_utils, which this Python lacks: start JupyterLab "
        "from the course's environment (.venv/bin/python -m course_tools lab, see the course's README), or "
        "install the course into this Python with `%pip install -e ..` in a cell here (notebooks/ of a copy "
        "of the course's repository; in Colab or Kaggle, `!git clone` the repository first and "
        "`%pip install -e` its folder), then restart the kernel."
    ) from None

cu.setup()

import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import skimage.color
import skimage.data
import skimage.transform
from keras import ops
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from tqdm.auto import tqdm

# %% [markdown]
# ## 1 · Verification, recognition and one-shot learning
#
# Two different questions are both called "face recognition":
#
# - **Verification** (1:1). Input: a photo *and* a claimed identity ("I am Ada"). Output: yes or no.
#   A phone unlock is verification.
# - **Recognition** or identification (1:K). Input: a photo. Output: which of the $K$ people in a
#   database it shows, or "unknown". A door that opens for the 50 employees of a company is recognition.
#   It is harder: with $K$ people there are $K$ chances to make a false match, so a system needs a
#   verification error rate far below $1/K$ to be usable.
#
# In both cases the database usually holds **one photo per person** (an ID photo, an enrollment
# selfie). Training a classifier with a softmax over $K$ people fails here twice: one photo per class is
# far too little to train a CNN, and every new employee would change the number of outputs and need
# a new training run.
#
# **One-shot learning** turns the problem around: learn a function that measures how *different*
# two face photos are,
#
# $$ d(x_1, x_2) \;\begin{cases} \le \tau & \Rightarrow \text{same person} \\ > \tau & \Rightarrow \text{different people} \end{cases} $$
#
# Once $d$ is learnt (on other people), adding a person means storing one photo, nothing is retrained,
# and recognition is "the enrolled person with the smallest $d$, if it is at most $\tau$".
#
# ## The data: 40 people, 10 photos each
#
# The Olivetti (AT&T) faces: 400 grey 64 × 64 photos of 40 people, taken in 1992-1994 at AT&T
# Laboratories Cambridge with small changes of pose, expression, glasses and light. We split **by
# person**, never by photo: the embedding is trained on 25 people, 5 more people give the
# *validation pairs* on which we choose $\tau$, and 10 people are kept aside and never seen until the
# final evaluation. The small CNN we train from scratch works at 32 × 32 (2 × 2 averages), which is
# enough for these tightly cropped faces and four times cheaper; the pretrained network of section 7
# gets the 64 × 64 originals.

# %% alt="A row of ten grey 32x32 face photos from the Olivetti set, one of each of the 10 people kept for the final evaluation, titled with their person number."
faces64, person_ids = cu.data.load_olivetti_faces()
faces = faces64.reshape(-1, 32, 2, 32, 2).mean(axis=(2, 4))[..., None].astype("float32")  # (400, 32, 32, 1)

split_rng = np.random.default_rng(0)
people = split_rng.permutation(40)
train_people, val_people, test_people = people[:25], people[25:30], people[30:]


def select(which):
    keep = np.isin(person_ids, which)
    return faces[keep], person_ids[keep]


X_train, y_train = select(train_people)
X_val, y_val = select(val_people)
X_test, y_test = select(test_people)
print("train", X_train.shape, "validation", X_val.shape, "test (unseen people)", X_test.shape)
cu.plots.image_grid(X_test[::10, ..., 0], [f"person {p}" for p in y_test[::10]], ncols=10,
                    title="the 10 people kept for the final evaluation (one photo each)");


# %% [markdown]
# ## 2 · Siamese networks
#
# A **siamese network** is one encoder $f$ (a CNN with weights $W$) applied to two images: the two
# "twins" share every weight, so $f(x_1)$ and $f(x_2)$ live in the same space and
#
# $$ d(x_1, x_2) = \lVert f(x_1) - f(x_2) \rVert_2^2 .$$
#
# $f(x) \in \mathbb{R}^{D}$ is the **embedding** (or *encoding*) of the face. We divide it by its
# length so that $\lVert f(x) \rVert = 1$: every face is a point on the unit sphere, squared distances
# lie in $[0, 4]$ ($4$ for opposite points), and a squared distance is a simple function of the cosine
# similarity: $\lVert a - b\rVert^2 = 2 - 2\,a\cdot b$. The training goal, in words: photos of the same
# person close together, photos of different people far apart.
#
# **Worked example.** With $a = (1, 0)$, $b = (0.6, 0.8)$, $c = (-1, 0)$ (all unit length):
# $\lVert a-b\rVert^2 = 0.16 + 0.64 = 0.8 = 2 - 2(0.6)$, and $\lVert a-c\rVert^2 = 4$.

# %% [markdown]
# ## 3 · The triplet loss
#
# Look at three photos at a time: an **anchor** $A$, a **positive** $P$ (same person as $A$) and a
# **negative** $N$ (someone else). We want $\lVert f(A)-f(P)\rVert^2 + \alpha \le \lVert f(A)-f(N)\rVert^2$:
# the positive must be closer than the negative by at least a **margin** $\alpha > 0$. Why the margin?
# Without it, $f(x) = 0$ for every face (or any constant) satisfies $\lVert f(A)-f(P)\rVert^2 \le
# \lVert f(A)-f(N)\rVert^2$ with equality and costs nothing; the margin forces a real gap between the
# people. The loss of one triplet is how much the wish is violated, and zero once it holds:
#
# $$ \ell(A, P, N) = \max\big(\lVert f(A)-f(P)\rVert^2 - \lVert f(A)-f(N)\rVert^2 + \alpha,\; 0\big),
# \qquad J = \sum_{i=1}^{m} \ell\big(A^{(i)}, P^{(i)}, N^{(i)}\big).$$
#
# **Worked example** ($\alpha = 0.2$). Embeddings $f(A) = (1, 0)$, $f(P) = (0.6, 0.8)$, $f(N) = (0, 1)$:
# $\lVert A-P\rVert^2 = 0.8$, $\lVert A-N\rVert^2 = 2$, so $\ell = \max(0.8 - 2 + 0.2, 0) = 0$ (an easy
# triplet). Swap $P$ and $N$: $\ell = \max(2 - 0.8 + 0.2, 0) = 1.4$.

# %% [markdown]
# ### Exercise 1 (2 points)
#
# Write `triplet_loss(anchor, positive, negative, margin)` for a batch of $m$ triplets: the **sum** over
# the batch of $\max(\lVert a-p\rVert^2 - \lVert a-n\rVert^2 + \alpha, 0)$, with squared Euclidean
# distances. Use `keras.ops` (`ops.sum`, `ops.square`, `ops.maximum`) so that it works on NumPy arrays
# and on tensors of either backend (it is then usable as a training loss).

# %% nbgrader={"grade": false, "grade_id": "triplet_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def triplet_loss(anchor, positive, negative, margin=0.2):
    """Triplet loss of a batch, summed over the batch.

    Args:
        anchor: (m, D) embeddings f(A) of the anchors (array or tensor).
        positive: (m, D) embeddings f(P), same person as the anchor of the same row.
        negative: (m, D) embeddings f(N), another person.
        margin: alpha > 0, the gap wanted between the two squared distances.

    Returns:
        A scalar (0-d tensor or number): sum over i of
        max(||a_i - p_i||^2 - ||a_i - n_i||^2 + margin, 0).
    """
    ### BEGIN SOLUTION
    positive_distance = ops.sum(ops.square(anchor - positive), axis=-1)
    negative_distance = ops.sum(ops.square(anchor - negative), axis=-1)
    return ops.sum(ops.maximum(positive_distance - negative_distance + margin, 0.0))
    ### END SOLUTION


# %% [markdown]
# Try it on the worked example: the two triplets give $0$ and $1.4$, so the sum should print `1.4`.

# %%
A = np.array([[1.0, 0.0], [1.0, 0.0]], dtype="float32")
P = np.array([[0.6, 0.8], [0.0, 1.0]], dtype="float32")
N = np.array([[0.0, 1.0], [0.6, 0.8]], dtype="float32")
print(float(cu.to_numpy(triplet_loss(A, P, N, margin=0.2))))


# %% nbgrader={"grade": true, "grade_id": "test_triplet_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check triplet_loss on 16 generated cases, on backend tensors, comparing the value and its gradient with respect
# to the three inputs (a loss that leaves the tensors, through NumPy or float(), cuts the gradient): the worked
# example, easy triplets (exactly 0), the margin left to its default and given by keyword, m != D, margin 0;
# and that it accepts NumPy arrays as well.
cu.checks.check_cases(triplet_loss, "triplet_loss")
_A = np.array([[1.0, 0.0], [1.0, 0.0]], dtype="float32")
_P = np.array([[0.6, 0.8], [0.0, 1.0]], dtype="float32")
_N = np.array([[0.0, 1.0], [0.6, 0.8]], dtype="float32")
cu.checks.check_close(cu.to_numpy(triplet_loss(_A, _P, _N, margin=0.2)), 1.4, atol=1e-5,
                       name="triplet_loss(worked example as NumPy arrays)",
                       hint="keras.ops functions take NumPy arrays and tensors alike.")
### BEGIN HIDDEN TESTS
def triplet_reference(a, p, n, margin):
    a, p, n = (np.asarray(v, dtype=np.float64) for v in (a, p, n))
    return np.maximum(((a - p) ** 2).sum(-1) - ((a - n) ** 2).sum(-1) + margin, 0).sum()


_rng = cu.checks.rng(8)
for _m, _d, _margin in [(5, 3, 0.2), (16, 8, 0.5), (1, 4, 1.0), (7, 2, 0.05)]:
    _a, _p, _n = (_rng.normal(size=(_m, _d)).astype("float32") for _ in range(3))
    cu.checks.check_close(triplet_loss(_a, _p, _n, _margin), triplet_reference(_a, _p, _n, _margin),
                           name=f"triplet_loss(random m={_m}, D={_d}, margin={_margin})", atol=1e-4, rtol=1e-4,
                           hint="squared distances, + margin, clip at 0, sum (not mean) over the batch.")
# tensors in, a backend scalar out, and the result is usable as a number
_a = np.array([[0, 0], [0, 0], [0, 0]], "float32"); _p = np.array([[1, 0], [0, 2], [0.5, 0]], "float32")
_n = np.array([[0, 2], [1, 0], [0, 0.5]], "float32")
_value = triplet_loss(ops.convert_to_tensor(_a), ops.convert_to_tensor(_p), ops.convert_to_tensor(_n), 0.3)
cu.checks.check_tensor(_value, name="triplet_loss(backend tensors)")
cu.checks.check_close(_value, triplet_reference(_a, _p, _n, 0.3), name="triplet_loss(backend tensors)", atol=1e-5,
                       hint="use keras.ops so that tensors of either backend work.")
### END HIDDEN TESTS
cu.checks.passed("triplet_loss", points=2)


# %% [markdown]
# ## 4 · All distances at once
#
# Training on a batch of $m$ faces needs the $m \times m$ matrix of distances between their
# embeddings. Two loops would be slow; the identity
#
# $$ \lVert e_i - e_j \rVert^2 = \lVert e_i \rVert^2 - 2\, e_i \cdot e_j + \lVert e_j \rVert^2 $$
#
# gives it with one matrix product $E E^\top$ and two broadcasts. Two traps:
#
# 1. **Rounding.** In float32 the three terms nearly cancel for close points, and the result can come
#    out slightly *negative* (e.g. $-3\times10^{-7}$): its square root is NaN. Clip at $0$.
# 2. **The gradient of $\sqrt{\cdot}$ at 0 is infinite.** The diagonal is exactly 0 (and so is the
#    distance between two identical photos); $\frac{d}{dx}\sqrt{x} = \frac{1}{2\sqrt{x}}$ is then
#    $\infty$, and back-propagation produces $\infty \times 0 = $ NaN, which poisons every weight at
#    the next step. Take the square root only of strictly positive entries, e.g.
#    `sqrt(d2 + mask * 1e-16) * (1 - mask)` with `mask = (d2 == 0)`, or `sqrt(maximum(d2, 1e-16))`
#    followed by zeroing where `d2 == 0`.
#
# Rounding also leaves tiny positive numbers (like $10^{-7}$) on the diagonal, whose square roots are
# no longer tiny ($3\times10^{-4}$); multiplying by `1 - eye(m)` makes the diagonal exactly 0.
#
# **Worked example.** $E = \begin{pmatrix}0 & 0\\ 3 & 4\\ 0 & 0\end{pmatrix}$: squared distances
# $\begin{pmatrix}0 & 25 & 0\\ 25 & 0 & 25\\ 0 & 25 & 0\end{pmatrix}$, distances the same with 5 in place of 25.

# %% [markdown]
# ### Exercise 2 (2 points)
#
# Write `pairwise_distances(embeddings, squared=False)` with `keras.ops`, **without Python loops**. It
# must never return NaN or negative values, and its gradient must stay finite when two rows are equal.

# %% nbgrader={"grade": false, "grade_id": "pairwise_distances", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pairwise_distances(embeddings, squared=False):
    """Euclidean distances between all pairs of rows.

    Args:
        embeddings: (m, D) array or tensor.
        squared: if True return squared distances ||e_i - e_j||^2, else ||e_i - e_j||.

    Returns:
        (m, m) tensor, symmetric, >= 0, zero on the diagonal; finite gradients everywhere.
    """
    ### BEGIN SOLUTION
    embeddings = ops.convert_to_tensor(embeddings)
    squared_norms = ops.sum(ops.square(embeddings), axis=1)
    distances = (ops.expand_dims(squared_norms, 1) - 2.0 * ops.matmul(embeddings, ops.transpose(embeddings))
                 + ops.expand_dims(squared_norms, 0))
    distances = ops.maximum(distances, 0.0)
    distances = distances * (1.0 - ops.eye(ops.shape(distances)[0], dtype=distances.dtype))  # exact zeros
    if squared:
        return distances
    zero = ops.cast(ops.equal(distances, 0.0), distances.dtype)
    return ops.sqrt(distances + zero * 1e-16) * (1.0 - zero)
    ### END SOLUTION


# %% [markdown]
# Try it on the worked example: you should see 0, 5, 0 on the first row (and 0, 25, 0 when squared).

# %%
E = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]], dtype="float32")
print(cu.to_numpy(pairwise_distances(E)))
print(cu.to_numpy(pairwise_distances(E, squared=True)))


# %% nbgrader={"grade": true, "grade_id": "test_pairwise_distances", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check pairwise_distances on 17 generated cases, on backend tensors, comparing the values and the gradient (equal
# rows: the gradient must stay finite): the worked example, squared and not, equal rows, m != D, one row, large
# embeddings (an exact zero diagonal); then that it takes float64 NumPy arrays, and gives no NaN or negative value
# on nearly equal large rows.
cu.checks.check_cases(pairwise_distances, "pairwise_distances")
_E64 = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])  # a float64 NumPy array
_D = cu.checks.check_runs(lambda: pairwise_distances(_E64), name="pairwise_distances(E as a float64 NumPy array)",
                           hint="keep one dtype throughout: ops.eye(m, dtype=distances.dtype), ops.cast(mask, "
                                "distances.dtype); TensorFlow refuses to multiply float64 by float32.")
cu.checks.check_array(_D, [[0, 5, 0], [5, 0, 5], [0, 5, 0]], atol=1e-5, name="pairwise_distances(E as a NumPy array)",
                       hint="convert the input with ops.convert_to_tensor: it may be a NumPy array.")
_base = cu.checks.rng(9).normal(size=(1, 32)).astype("float32") * 100
_near = np.concatenate([_base, _base + 1e-4, _base, _base - 1e-4]).astype("float32")
for _sq in (False, True):
    _d = np.asarray(cu.to_numpy(pairwise_distances(_near, squared=_sq)))
    cu.checks.check_true(np.all(np.isfinite(_d)) and np.all(_d >= 0), f"got NaN or negative values: {_d.tolist()}",
                          name=f"pairwise_distances(nearly equal large rows, squared={_sq})",
                          hint="rounding can make ||a||^2 - 2 a.b + ||b||^2 slightly negative: clip it at 0.")
### BEGIN HIDDEN TESTS
@cu.checks.in_student_kernel  # differentiates your function where it runs; returns the gradient as an array
def gradient_of_sum(function, x, **kwargs):
    """d(sum(function(x, **kwargs)))/dx on the active Keras backend (TensorFlow or PyTorch)."""
    import keras

    if keras.backend.backend() == "torch":
        import torch
        t = torch.tensor(x, requires_grad=True)
        torch.sum(function(t, **kwargs)).backward()
        return t.grad.detach().numpy()
    import tensorflow as tf
    t = tf.Variable(x)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(function(t, **kwargs))
    return tape.gradient(total, t).numpy()


def distances_reference(e, squared):
    e = np.asarray(e, dtype=np.float64)
    d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
    return d2 if squared else np.sqrt(d2)


_rng = cu.checks.rng(10)
for _m, _dim in [(6, 3), (10, 16), (1, 4)]:
    _e = _rng.normal(size=(_m, _dim)).astype("float32")
    for _sq in (False, True):
        cu.checks.check_array(pairwise_distances(_e, squared=_sq), distances_reference(_e, _sq),
                               name=f"pairwise_distances(random ({_m}, {_dim}), squared={_sq})", atol=5e-3, rtol=1e-3,
                               hint="||a||^2 - 2 a.b + ||b||^2 with broadcasting; square root unless squared.")
_e = _rng.normal(size=(5, 4)).astype("float32"); _e[3] = _e[1]
for _sq in (False, True):
    _grad = gradient_of_sum(pairwise_distances, _e, squared=_sq)
    cu.checks.check_true(np.all(np.isfinite(_grad)), "the gradient has NaN or inf entries",
                          name=f"gradient of pairwise_distances(two equal rows, squared={_sq})",
                          hint="only take the square root of entries that are > 0.")
_grad = gradient_of_sum(pairwise_distances, _near)
cu.checks.check_true(np.all(np.isfinite(_grad)), "the gradient has NaN or inf entries",
                      name="gradient of pairwise_distances(nearly equal large rows)",
                      hint="only take the square root of entries that are > 0.")
### END HIDDEN TESTS
cu.checks.passed("pairwise_distances", points=2)


# %% [markdown]
# ## 5 · Choosing triplets
#
# With 25 people and 10 photos each there are about $25 \cdot 10 \cdot 9 \cdot 240 = 540{,}000$ triplets,
# and most of them are **easy**: once the network is half trained, a random negative is already far
# more than $\alpha$ away, the loss of the triplet is 0, and it teaches nothing. How triplets are
# picked decides how fast (and whether) training progresses:
#
# | strategy | negative for anchor $A$ | effect |
# |---|---|---|
# | random | any other person | most triplets soon cost 0: slow |
# | hard | the closest other person: $\arg\min_N d(A, N)$ | most informative, but mislabelled or odd photos dominate, and training can collapse to $f = $ const early |
# | semi-hard | farther than the positive but within the margin: $d(A,P) < d(A,N) < d(A,P) + \alpha$ | FaceNet's choice (Schroff et al., 2015): useful and stable |
# | **batch-hard** | within the batch: the farthest positive and the closest negative of each anchor | Hermans et al. (2017): cheap (one distance matrix per batch), strong |
#
# We use **batch-hard** with "P × K" batches: $P$ people, $K$ photos of each ($10 \times 4 = 40$ photos).
# Every photo of the batch is an anchor once; its hardest positive is the farthest photo of the same
# person, its hardest negative the closest photo of someone else.
#
# **Worked example.** Four 1-D embeddings $e = (0, 1, 3, 3.5)$ with labels $(0, 0, 1, 1)$. Squared
# distances from photo 0: to 1 (same person) $1$, to 2 and 3 (others) $9$ and $12.25$. So anchor 0
# has hardest positive $1$ and hardest negative $9$. Anchor 1: positive $1$, negative $\min(4, 6.25) = 4$.

# %% [markdown]
# ### Exercise 3 (2 points)
#
# Write `batch_hard_triplets(embeddings, labels)`. For every anchor $i$ return
#
# - `hardest_positive[i]` $= \max_{j \ne i,\ y_j = y_i} \lVert e_i - e_j\rVert^2$ (0 if the anchor has no other photo of its person),
# - `hardest_negative[i]` $= \min_{j:\ y_j \ne y_i} \lVert e_i - e_j\rVert^2$ (every batch has at least two people),
#
# both **squared** distances. Use `keras.ops` and masks, no loops, so the training loss below can use it
# on backend tensors. Compute the distance matrix yourself (inline the formula from section 4, or call
# your `pairwise_distances(..., squared=True)`). Tip for the minimum: add a large number (e.g. the
# largest distance + 1) to the entries that are *not* negatives before taking `ops.min`.

# %% nbgrader={"grade": false, "grade_id": "batch_hard_triplets", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batch_hard_triplets(embeddings, labels):
    """Hardest positive and hardest negative squared distance of every anchor in a batch.

    Args:
        embeddings: (m, D) array or tensor.
        labels: (m,) integer person ids.

    Returns:
        (hardest_positive, hardest_negative): two (m,) tensors of squared distances;
        hardest_positive[i] = max over j != i with labels[j] == labels[i] (0 if none),
        hardest_negative[i] = min over j with labels[j] != labels[i].
    """
    ### BEGIN SOLUTION
    embeddings = ops.convert_to_tensor(embeddings)
    squared_norms = ops.sum(ops.square(embeddings), axis=1)
    distances = ops.maximum(
        ops.expand_dims(squared_norms, 1) - 2.0 * ops.matmul(embeddings, ops.transpose(embeddings))
        + ops.expand_dims(squared_norms, 0), 0.0)
    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
    same = ops.equal(ops.expand_dims(labels, 0), ops.expand_dims(labels, 1))
    not_self = ops.logical_not(ops.eye(ops.shape(labels)[0], dtype="bool"))
    positive_mask = ops.cast(ops.logical_and(same, not_self), distances.dtype)
    negative_mask = ops.cast(ops.logical_not(same), distances.dtype)
    hardest_positive = ops.max(distances * positive_mask, axis=1)
    large = ops.max(distances) + 1.0
    hardest_negative = ops.min(distances + (1.0 - negative_mask) * large, axis=1)
    return hardest_positive, hardest_negative
    ### END SOLUTION


# %% [markdown]
# Try it on the worked example: hardest positives `[1. 1. 0.25 0.25]`, hardest negatives `[9. 4. 4. 6.25]`.

# %%
e_small = np.array([[0.0], [1.0], [3.0], [3.5]], dtype="float32")
hp, hn = batch_hard_triplets(e_small, np.array([0, 0, 1, 1]))
print(cu.to_numpy(hp), cu.to_numpy(hn))


# %% nbgrader={"grade": true, "grade_id": "test_batch_hard_triplets", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check batch_hard_triplets on 26 generated cases (13 batches, each of the two outputs), on backend tensors,
# comparing the values and the gradient with respect to the embeddings: the worked example, three photos per
# person (the farthest positive, not the mean nor the closest), a person alone, labels in any order and of any
# value, squared distances above a million, P x K batches; then labels given as a backend tensor.
_result = batch_hard_triplets(np.array([[0.0], [1.0], [3.0], [3.5]], "float32"), np.array([0, 0, 1, 1]))
cu.checks.check_true(isinstance(_result, (tuple, list)) and len(_result) == 2,
                      f"expected a pair (hardest_positive, hardest_negative), got {type(_result).__name__}",
                      name="batch_hard_triplets(worked example)", hint="return hardest_positive, hardest_negative")
cu.checks.check_cases(batch_hard_triplets, "batch_hard_triplets")
_got = batch_hard_triplets(ops.convert_to_tensor(np.array([[0.0], [1.0], [3.0], [3.5], [10.0]], "float32")),
                           ops.convert_to_tensor(np.array([0, 0, 1, 1, 2])))
cu.checks.check_array(_got[0], [1, 1, 0.25, 0.25, 0], name="hardest_positive (labels as a backend tensor)", atol=1e-5,
                       hint="use keras.ops on the labels too (ops.equal, ops.expand_dims): they may be a tensor.")
cu.checks.check_array(_got[1], [9, 4, 4, 6.25, 42.25], name="hardest_negative (labels as a backend tensor)", atol=1e-4,
                       hint="use keras.ops on the labels too (ops.equal, ops.expand_dims): they may be a tensor.")
### BEGIN HIDDEN TESTS
def batch_hard_reference(e, y):
    e = np.asarray(e, np.float64); y = np.asarray(y)
    d2 = ((e[:, None] - e[None]) ** 2).sum(-1)
    same = y[:, None] == y[None]
    pos = np.where(same & ~np.eye(len(y), dtype=bool), d2, 0).max(1)
    neg = np.where(~same, d2, np.inf).min(1)
    return pos, neg


_rng = cu.checks.rng(10)
for _m, _dim, _k in [(12, 4, 3), (20, 8, 5), (9, 2, 4)]:
    _e = _rng.normal(size=(_m, _dim)).astype("float32")
    _y = _rng.integers(0, _k, size=_m)
    _y[:2] = [0, 1]  # at least two people
    _pos, _neg = batch_hard_reference(_e, _y)
    _got = batch_hard_triplets(_e, _y)
    cu.checks.check_array(_got[0], _pos, name=f"hardest_positive(random m={_m}, {_k} people)", atol=1e-4, rtol=1e-4,
                           hint="max over j != i with the same label, squared distances; 0 if there is none.")
    cu.checks.check_array(_got[1], _neg, name=f"hardest_negative(random m={_m}, {_k} people)", atol=1e-4, rtol=1e-4,
                           hint="min over j with a different label, squared distances.")
### END HIDDEN TESTS
cu.checks.passed("batch_hard_triplets", points=2)

# %% [markdown]
# ## 6 · Training the embedding
#
# **The encoder.** A small CNN: each photo is first standardised (mean 0, standard deviation 1, which
# removes differences of brightness and contrast), then three blocks of convolution, batch
# normalisation, ReLU and 2 × 2 max-pooling, global average pooling and a dense layer to
# $D = 64$ numbers, followed by `UnitNormalization`, which divides by the length: the outputs lie on
# the unit sphere. There is no dropout before the embedding: see "the plateau" below.
#
# **The loss.** Keras calls a loss as `loss(y_true, y_pred)`. We pass the person ids as `y_true`, so
# the loss sees the ids and the embeddings of a whole batch, which is all batch-hard needs:
#
# $$ J = \frac{1}{m}\sum_{i=1}^{m} \max\big(\text{hardest\_positive}_i - \text{hardest\_negative}_i + \alpha,\ 0\big). $$
#
# (The mean rather than the sum keeps the learning rate independent of the batch size.) The loss uses
# only `keras.ops`, so the same `model.fit` runs on TensorFlow and on PyTorch.
#
# **The batches.** `fit` must see P × K batches, so we build each epoch ourselves: 30 batches of
# $P = 10$ people × $K = 4$ photos, concatenated, and call `fit(..., batch_size=40, shuffle=False)`.
# With only 25 training people the network would soon memorise them, so every photo is augmented:
# random mirror, a shift of up to 2 pixels, a small rotation and a change of brightness.
#
# **The plateau.** Watch the loss curve below: for the first few epochs it sits at the margin,
# $J \approx \alpha = 0.5$. At the start the network maps every face close to the same point (all
# squared distances are about 0.01), so hardest positive and hardest negative are both about 0 and
# every anchor costs $\alpha$: this is the collapse to $f = $ const of section 5, and its gradient is
# tiny. After a few epochs the network finds a direction that separates people, the loss falls fast
# towards 0, and the distances grow. (Noise makes the plateau longer: with dropout before the dense
# layer, an earlier version of this notebook stayed on it for all 12 epochs. Hermans et al. describe
# the same plateau, and FaceNet's semi-hard mining exists partly to avoid it.) With only 25 people,
# the network then starts to memorise them, and the validation AUC stops improving: we stop after
# a dozen epochs.

# %%
MARGIN = 0.5
EMBEDDING_SIZE = 64


def make_encoder(embedding_size=EMBEDDING_SIZE):
    """The encoder f: (m, 32, 32, 1) greys in [0, 1] -> (m, D) unit vectors."""
    inputs = keras.Input((32, 32, 1))
    # each photo standardised to mean 0, standard deviation 1: brightness and contrast no longer matter
    mean = ops.mean(inputs, axis=(1, 2, 3), keepdims=True)
    h = (inputs - mean) / (ops.std(inputs, axis=(1, 2, 3), keepdims=True) + 1e-3)
    for filters in (32, 64, 128):
        h = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.ReLU()(h)
        h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dense(embedding_size)(h)
    outputs = keras.layers.UnitNormalization()(h)
    return keras.Model(inputs, outputs, name="face_encoder")


def batch_hard_loss(y_true, y_pred):
    """Keras loss: mean over anchors of max(hardest positive - hardest negative + margin, 0)."""
    hardest_positive, hardest_negative = batch_hard_triplets(y_pred, ops.cast(ops.reshape(y_true, (-1,)), "int32"))
    return ops.mean(ops.maximum(hardest_positive - hardest_negative + MARGIN, 0.0))


def augment(images, rng):
    """Random mirror, shift (<= 2 px), rotation (<= 8 degrees) and brightness (x 0.85..1.15)."""
    out = np.empty_like(images)
    for i, image in enumerate(images[..., 0]):
        if rng.random() < 0.5:
            image = image[:, ::-1]
        image = skimage.transform.rotate(image, rng.uniform(-8, 8), mode="edge")
        image = np.pad(image, 2, mode="edge")
        dy, dx = rng.integers(0, 5, size=2)
        out[i, ..., 0] = image[dy:dy + 32, dx:dx + 32]
    out *= rng.uniform(0.85, 1.15, size=(len(images), 1, 1, 1)).astype("float32")
    return np.clip(out, 0.0, 1.0)


def pk_batches(images, labels, rng, batches, people_per_batch=10, photos_per_person=4):
    """`batches` P x K batches, concatenated: (batches * P * K, 32, 32, 1) images and their labels."""
    index = []
    for _ in range(batches):
        for person in rng.choice(np.unique(labels), people_per_batch, replace=False):
            index.extend(rng.choice(np.flatnonzero(labels == person), photos_per_person, replace=False))
    index = np.array(index)
    return images[index], labels[index]


encoder = make_encoder()
encoder.summary()


# %% [markdown]
# Before training: the distances between photos of the same person (positive pairs) and of
# different people (negative pairs), among the 10 **unseen** people. A random CNN already separates
# them a little (similar photos give similar activations), but the two histograms overlap a lot. (Each
# histogram has its own distance axis: before training all distances are tiny.)

# %%
def pair_distances(embed_fn, images, labels):
    """Squared distances of all pairs i < j, and whether each pair shows one person.

    `embed_fn` maps a batch of images to embeddings, e.g. `scratch_embed` below.
    """
    embeddings = embed_fn(images)
    distances = ((embeddings[:, None] - embeddings[None]) ** 2).sum(-1)
    upper = np.triu_indices(len(labels), k=1)
    return distances[upper], (labels[:, None] == labels[None])[upper]


def distance_histograms(distances, same, title, ax):
    bins = np.linspace(0, max(distances.max(), 1e-6), 40)  # the axis fits the distances
    ax.hist(distances[same], bins, density=True, alpha=0.6, label=f"same person ({same.sum()} pairs)")
    ax.hist(distances[~same], bins, density=True, alpha=0.6, label=f"different people ({(~same).sum()} pairs)")
    ax.set(title=title, xlabel="squared distance $\\|f(x_1) - f(x_2)\\|^2$", ylabel="density")
    ax.legend()


def scratch_embed(images):
    """The CNN trained from scratch, as a function of a (m, 32, 32, 1) batch."""
    return encoder.predict(images, verbose=0)


before = pair_distances(scratch_embed, X_test, y_test)
print(f"AUC before training: {roc_auc_score(before[1], -before[0]):.3f}")

# %% alt="Training curves of the CNN trained from scratch with the batch-hard triplet loss: the loss per epoch and the validation AUC per epoch."
EPOCHS = cu.by_mode(full=12, fast=2)
BATCHES_PER_EPOCH = cu.by_mode(full=30, fast=3)
train_rng = np.random.default_rng(1)
encoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss=batch_hard_loss)
losses, validation_aucs = [], []
fit_seconds, samples_seen = 0.0, 0
for epoch in tqdm(range(EPOCHS), desc="epochs"):
    X_epoch, y_epoch = pk_batches(X_train, y_train, train_rng, BATCHES_PER_EPOCH)
    X_epoch = augment(X_epoch, train_rng)
    start = time.perf_counter()
    history = encoder.fit(X_epoch, y_epoch, batch_size=40, shuffle=False, epochs=1, verbose=0)
    fit_seconds, samples_seen = fit_seconds + time.perf_counter() - start, samples_seen + len(X_epoch)
    losses.append(history.history["loss"][-1])
    d_val, same_val = pair_distances(scratch_embed, X_val, y_val)
    validation_aucs.append(roc_auc_score(same_val, -d_val))
print(f"loss after epoch 1 {losses[0]:.4f} (the margin is {MARGIN}), last loss {losses[-1]:.4f}, "
      f"validation AUC {validation_aucs[-1]:.3f}")
cu.report("scratch_loss_epoch1", losses[0])
cu.report("scratch_final_loss", losses[-1])
encoder_rate = cu.models.training_rate(encoder, fit_seconds, train_samples=samples_seen,
                                       input_shape=X_train.shape[1:])
print(f"arithmetic rate of the training steps: {encoder_rate}")
cu.report("train_gflops", encoder_rate.gflops)
cu.plots.training_curves({"loss": losses, "val_AUC": validation_aucs}, metrics=("loss", "AUC"));

# %% [markdown]
# After training, on the same 10 unseen people: the two histograms have moved apart (the printed
# medians: pairs of different people are now several times farther apart than photos of one person).
# The overlap that is left is where any threshold $\tau$ makes mistakes.

# %% alt="Two histograms of the squared distances between the embeddings of pairs of photos of unseen people, for pairs of the same person and pairs of different people: before training on the left, after training on the right."
after = pair_distances(scratch_embed, X_test, y_test)
median_same, median_different = np.median(after[0][after[1]]), np.median(after[0][~after[1]])
print(f"median squared distance on unseen people: same person {median_same:.3f}, "
      f"different people {median_different:.3f}")
cu.report("scratch_median_distance_same", median_same)
cu.report("scratch_median_distance_different", median_different)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
distance_histograms(*before, "before training (unseen people)", axes[0])
distance_histograms(*after, "after training (unseen people)", axes[1])
fig.tight_layout()

# %% [markdown]
# **Why batch-hard?** Measure it on the trained encoder: draw random triplets from the training
# people and count how many still have a non-zero loss, then do the same with the batch-hard triplets
# of one P × K batch. Most random triplets are "solved" already (only about a quarter still cost
# anything) and give no gradient, while nearly every batch-hard triplet still does.

# %%
check_rng = np.random.default_rng(2)
train_embeddings = encoder.predict(X_train, verbose=0)
anchors = check_rng.integers(0, len(y_train), 2000)
positives = np.array([check_rng.choice(np.flatnonzero((y_train == y_train[a]) & (np.arange(len(y_train)) != a)))
                      for a in anchors])
negatives = np.array([check_rng.choice(np.flatnonzero(y_train != y_train[a])) for a in anchors])
d_ap = ((train_embeddings[anchors] - train_embeddings[positives]) ** 2).sum(-1)
d_an = ((train_embeddings[anchors] - train_embeddings[negatives]) ** 2).sum(-1)
random_active = np.mean(d_ap - d_an + MARGIN > 0)

X_batch, y_batch = pk_batches(X_train, y_train, check_rng, 1)
hp, hn = batch_hard_triplets(encoder.predict(X_batch, verbose=0), y_batch)
hard_active = np.mean(cu.to_numpy(hp) - cu.to_numpy(hn) + MARGIN > 0)
print(f"triplets with a non-zero loss: random {random_active:.1%}, batch-hard {hard_active:.1%}")
cu.report("random_triplets_active", random_active)
cu.report("batch_hard_triplets_active", hard_active)
scratch_auc = roc_auc_score(after[1], -after[0])
print(f"verification AUC of the CNN trained from scratch, on the 10 unseen people: {scratch_auc:.3f}")
cu.report("scratch_verification_auc", scratch_auc)

# %% [markdown]
# ## 7 · Standing on ImageNet's shoulders
#
# The AUC above is far from what a phone unlock needs, and the curves show why: the loss on the 25
# training people keeps falling while the validation AUC stalls. 250 photos are too few to learn what
# makes faces differ *in general*; the network learns these 25 people instead. This is notebook 04's
# situation (little data, a task close to ordinary photos), and the same remedy applies: **transfer**.
#
# **The encoder, in two parts.**
#
# 1. A *frozen* feature extractor: the ImageNet-pretrained EfficientNet-Lite0 of notebook 04, cut after
#    its block 6d and followed by global average pooling: 192 numbers per photo. We cut below the top
#    because the last blocks are the most specific to ImageNet's 1,000 classes, while the middle blocks
#    hold general parts and textures (eyes, the rims of glasses, hair). Each grey 64 × 64 photo is
#    enlarged to 128 × 128 and repeated to three channels by `cu.models.preprocess_imagenet`.
# 2. A small trainable **head**: each feature standardised (with the mean and spread over the training
#    people), dropout, a dense layer to $D = 64$ and `UnitNormalization`. It is trained with the same
#    batch-hard triplet loss and the same P × K batches as the CNN above.
#
# The extractor is frozen, so its features are computed **once** for the 400 photos and their mirror
# images (the mirror image is our augmentation); training the head then works on 192 numbers per photo
# instead of the photo's 4,096 pixels.

# %%
FEATURE_SIZE = 128  # side of the photos given to the pretrained network
faces64_4d = faces64[..., None].astype("float32")  # (400, 64, 64, 1) in [0, 1]
base = cu.models.efficientnet_lite0(weights="imagenet", include_top=False,
                                    input_shape=(FEATURE_SIZE, FEATURE_SIZE, 3))
pooled = keras.layers.GlobalAveragePooling2D()(base.get_layer("block6d_add").output)
feature_extractor = keras.Model(base.input, pooled, name="lite0_to_block6d")
feature_extractor.trainable = False


def extract(images64):
    """(m, 64, 64, 1) greys in [0, 1] -> (m, 192) pooled block-6d features of EfficientNet-Lite0."""
    return feature_extractor.predict(cu.models.preprocess_imagenet(images64, FEATURE_SIZE),
                                     batch_size=50, verbose=0)


features = extract(faces64_4d)
features_mirrored = extract(faces64_4d[:, :, ::-1])
print("features", features.shape, "(and as many for the mirror images)")

is_train, is_val, is_test = (np.isin(person_ids, group) for group in (train_people, val_people, test_people))
feature_mean = features[is_train].mean(axis=0)
feature_std = features[is_train].std(axis=0) + 1e-6


def standardised_features(feature_batch):
    """No training at all: the features standardised, then scaled to unit length."""
    z = (feature_batch - feature_mean) / feature_std
    return z / np.linalg.norm(z, axis=1, keepdims=True)


raw_d, raw_same = pair_distances(standardised_features, features[is_test], person_ids[is_test])
print(f"verification AUC of the pretrained features alone (no training on faces): "
      f"{roc_auc_score(raw_same, -raw_d):.3f}")


# %% [markdown]
# The ImageNet features alone, without any training on faces, already separate the unseen people
# better than the CNN we trained on faces. The head now learns which directions among the 192 matter
# for telling people apart, and pulls each person's photos together.

# %% alt="Training curves of the head trained on the pretrained features: the loss per epoch and the validation AUC per epoch."
def make_head(n_features=192, embedding_size=EMBEDDING_SIZE):
    """The trainable head: standardise, dropout, dense to D, unit length."""
    inputs = keras.Input((n_features,))
    h = keras.layers.Normalization(mean=feature_mean, variance=feature_std ** 2)(inputs)
    h = keras.layers.Dropout(0.2)(h)
    h = keras.layers.Dense(embedding_size)(h)
    return keras.Model(inputs, keras.layers.UnitNormalization()(h), name="face_head")


keras.utils.set_random_seed(0)
head = make_head()
head.compile(optimizer=keras.optimizers.Adam(1e-3), loss=batch_hard_loss)
train_features = np.concatenate([features[is_train], features_mirrored[is_train]])  # mirror = augmentation
train_ids = np.concatenate([person_ids[is_train], person_ids[is_train]])
HEAD_EPOCHS = cu.by_mode(full=12, fast=3)
head_losses, head_aucs = [], []
head_rng = np.random.default_rng(1)
for epoch in tqdm(range(HEAD_EPOCHS), desc="epochs"):
    F_epoch, y_epoch = pk_batches(train_features, train_ids, head_rng, 20)
    history = head.fit(F_epoch, y_epoch, batch_size=40, shuffle=False, epochs=1, verbose=0)
    head_losses.append(history.history["loss"][-1])
    d_val, same_val = pair_distances(lambda f: head.predict(f, verbose=0), features[is_val], person_ids[is_val])
    head_aucs.append(roc_auc_score(same_val, -d_val))
print(f"last loss {head_losses[-1]:.4f}, validation AUC {head_aucs[-1]:.3f}")
cu.plots.training_curves({"loss": head_losses, "val_AUC": head_aucs}, metrics=("loss", "AUC"),
                         title="the head on pretrained features");


# %% alt="Two histograms of the squared distances between embeddings of pairs of test photos, same person against different people: for the CNN trained from scratch on the left, for the pretrained extractor with the trained head on the right, each titled with its AUC."
def embed(images64):
    """The encoder f from now on: (m, 64, 64, 1) greys in [0, 1] -> (m, 64) unit embeddings."""
    return head.predict(extract(images64), verbose=0)


X64_train, X64_val, X64_test = faces64_4d[is_train], faces64_4d[is_val], faces64_4d[is_test]
transfer = pair_distances(embed, X64_test, y_test)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
distance_histograms(*after, f"CNN from scratch (AUC {scratch_auc:.3f})", axes[0])
distance_histograms(*transfer, f"pretrained extractor + head (AUC {roc_auc_score(transfer[1], -transfer[0]):.3f})",
                    axes[1])
fig.tight_layout()


# %% [markdown]
# From here on, `embed` (the pretrained extractor followed by the trained head) is our encoder $f$.

# %% [markdown]
# ## 8 · Verification: a threshold, or a classifier on the difference
#
# The simplest rule says "same person" when $d(x_1, x_2) \le \tau$. The lecture's alternative treats
# verification as **binary classification**: feed the element-wise difference
# $\lvert f(x_1) - f(x_2)\rvert$ (a vector of $D$ numbers) to a logistic regression,
#
# $$ \hat{y} = \sigma\Big(\sum_{k=1}^{D} w_k \,\lvert f(x_1)_k - f(x_2)_k\rvert + b\Big), $$
#
# trained on labelled pairs. The threshold rule is the special case $w_k = -1$ (with squares); the
# classifier can weigh some coordinates more. We fit it on the pairs of the 5 validation people and
# compare both on the 10 unseen people with the **ROC curve**: for every threshold, the rate of
# true matches accepted (true positive rate) against the rate of impostors accepted (false positive
# rate). The **AUC** (area under it) is the probability that a random positive pair scores better
# than a random negative pair: 1 is perfect, 0.5 is chance.

# %% alt="ROC curves of face verification on 10 unseen people, true positive rate against false positive rate: one for a threshold on the distance, one for logistic regression on |f(a) - f(b)|, with the chosen threshold tau marked as a black dot and the diagonal dotted."
def embedding_pairs(embed_fn, images, labels):
    """|f(a) - f(b)| (pairs, D), squared distance (pairs,) and same-person flag (pairs,) for all pairs."""
    embeddings = embed_fn(images)
    i, j = np.triu_indices(len(labels), k=1)
    difference = np.abs(embeddings[i] - embeddings[j])
    return difference, (difference ** 2).sum(-1), labels[i] == labels[j]


val_diff, val_d, val_same = embedding_pairs(embed, X64_val, y_val)
test_diff, test_d, test_same = embedding_pairs(embed, X64_test, y_test)
classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(val_diff, val_same)
classifier_scores = classifier.predict_proba(test_diff)[:, 1]

verification_auc = roc_auc_score(test_same, -test_d)
classifier_auc = roc_auc_score(test_same, classifier_scores)

# tau: the threshold that maximises accuracy on the validation pairs (balanced between the two kinds)
candidates = np.unique(val_d)
balanced = [0.5 * (np.mean(val_d[val_same] <= t) + np.mean(val_d[~val_same] > t)) for t in candidates]
tau = float(candidates[int(np.argmax(balanced))])
test_tpr, test_fpr = np.mean(test_d[test_same] <= tau), np.mean(test_d[~test_same] <= tau)

fig, ax = plt.subplots(figsize=(4.8, 4.2))
for name, scores, auc in [("threshold on d", -test_d, verification_auc),
                          ("logistic regression on |f(a)-f(b)|", classifier_scores, classifier_auc)]:
    fpr, tpr, _ = roc_curve(test_same, scores)
    ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
ax.plot([test_fpr], [test_tpr], "ko", label=f"tau = {tau:.2f} (chosen on validation)")
ax.plot([0, 1], [0, 1], "k:", lw=1)
ax.set(xlabel="false positive rate (impostors accepted)", ylabel="true positive rate (matches accepted)",
       title="verification on 10 unseen people")
ax.legend(fontsize=8)
print(f"tau = {tau:.3f}: on unseen people it accepts {test_tpr:.1%} of true matches and {test_fpr:.1%} of impostors")
cu.report("verification_auc", verification_auc)
cu.report("verification_auc_logistic", classifier_auc)


# %% [markdown]
# Which rule wins depends on how many labelled pairs the classifier gets. Here it is fitted on the pairs
# of only 5 people (45 positive pairs) and has 65 parameters, so it can fit those 5 people too well and
# do no better, or worse, than the one-parameter threshold rule on new people. With thousands of
# labelled pairs it can learn which coordinates of the embedding to trust.

# %% [markdown]
# ## 9 · Verify and identify
#
# Two small functions turn an embedding into decisions. We use **squared** distances throughout, as in
# the triplet loss, so $\tau$ above is a squared distance too.
#
# **Worked example.** $f(a) = (1, 0)$, $f(b) = (0, 1)$: squared distance $1^2 + 1^2 = 2$. With $\tau = 2$
# they are the same person (the test is $\le$); with $\tau = 1$ they are not. (These numbers are exact in
# binary floating point; with $(0.6, 0.8)$ the squared distance would come out as 0.8000000000000002,
# just above $\tau = 0.8$.)

# %% [markdown]
# ### Exercise 4 (1 point)
#
# Write `verify(embedding_a, embedding_b, threshold)`: `True` when
# $\lVert a - b\rVert^2 \le \tau$ (squared distance, less than *or equal*), else `False`, as a Python `bool`.

# %% nbgrader={"grade": false, "grade_id": "verify", "locked": false, "schema_version": 3, "solution": true, "task": false}
def verify(embedding_a, embedding_b, threshold):
    """Is this the same person?

    Args:
        embedding_a, embedding_b: (D,) embeddings (NumPy arrays).
        threshold: tau, a squared distance.

    Returns:
        bool: True when ||a - b||^2 <= threshold.
    """
    ### BEGIN SOLUTION
    difference = np.asarray(embedding_a, dtype=np.float64) - np.asarray(embedding_b, dtype=np.float64)
    return bool(np.sum(difference ** 2) <= threshold)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `True False`.

# %%
print(verify(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 2.0),
      verify(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 1.0))

# %% nbgrader={"grade": true, "grade_id": "test_verify", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Check verify on 20 generated cases: the worked example, squared against plain distances on both sides of the
# threshold, a squared distance equal to the threshold (<=), thresholds 0 and negative, one number or 128 per
# embedding, integer and float32 embeddings; and that it returns a Python bool.
cu.checks.check_cases(verify, "verify")
_answer = verify(np.array([0.0, 0.0]), np.array([0.5, 0.0]), 0.3)
cu.checks.check_true(type(_answer) is bool,
                      f"must return a Python bool, got {type(_answer).__module__}.{type(_answer).__name__}",
                      name="verify return type", hint="wrap the comparison in bool(...): NumPy comparisons give np.bool_.")
### BEGIN HIDDEN TESTS
_rng = cu.checks.rng(11)
for _ in range(20):
    _x, _z = _rng.normal(size=(2, 16))
    _t = _rng.uniform(0, 40)
    cu.checks.check_equal(verify(_x, _z, _t), bool(((_x - _z) ** 2).sum() <= _t), name="verify(random 16-d)")
### END HIDDEN TESTS
cu.checks.passed("verify", points=1)


# %% [markdown]
# ### Exercise 5 (2 points)
#
# Write `identify(query_embedding, database, threshold)`. `database` maps a name to that person's
# enrolled embeddings, a NumPy array of shape $(k, D)$ (one row per enrolled photo; $k = 1$ for
# one-shot). A person's distance to the query is the **smallest** squared distance over their photos.
# Return the name of the closest person if that distance is $\le \tau$, otherwise the string `"unknown"`.
#
# **Worked example.** `database = {"ada": [[1, 0]], "bob": [[0, 1], [0.6, 0.8]]}` and the query
# $(0.8, 0.6)$: squared distances ada $0.4$, bob $\min(1.6, 0.08) = 0.08$: bob when $\tau \ge 0.08$,
# `"unknown"` for $\tau = 0.05$.

# %% nbgrader={"grade": false, "grade_id": "identify", "locked": false, "schema_version": 3, "solution": true, "task": false}
def identify(query_embedding, database, threshold):
    """Who is this? The closest enrolled person, or "unknown".

    Args:
        query_embedding: (D,) embedding of the query photo.
        database: dict name -> (k, D) array of that person's enrolled embeddings (k >= 1).
        threshold: tau, a squared distance.

    Returns:
        str: the name whose closest enrolled embedding is nearest to the query, if its
        squared distance is <= threshold; otherwise "unknown".
    """
    ### BEGIN SOLUTION
    query = np.asarray(query_embedding, dtype=np.float64)
    best_name, best_distance = "unknown", np.inf
    for name, enrolled in database.items():
        enrolled = np.asarray(enrolled, dtype=np.float64).reshape(-1, query.shape[-1])
        distance = np.min(np.sum((enrolled - query) ** 2, axis=1))
        if distance < best_distance:
            best_name, best_distance = name, distance
    return best_name if best_distance <= threshold else "unknown"
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `bob unknown`.

# %%
toy_database = {"ada": np.array([[1.0, 0.0]]), "bob": np.array([[0.0, 1.0], [0.6, 0.8]])}
print(identify(np.array([0.8, 0.6]), toy_database, 0.5), identify(np.array([0.8, 0.6]), toy_database, 0.05))

# %% nbgrader={"grade": true, "grade_id": "test_identify", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check identify on 19 generated cases: the worked example, the minimum over a person's photos, squared distances
# on both sides of the threshold, a squared distance equal to it (<=), the closest person first, in the middle or
# last in the database, a threshold of 0 and an infinite one, integer embeddings.
cu.checks.check_cases(identify, "identify")
### BEGIN HIDDEN TESTS
_rng = cu.checks.rng(12)
_names = [f"p{i}" for i in range(6)]
_database = {n: _rng.normal(size=(_rng.integers(1, 4), 8)) for n in _names}
for _ in range(15):
    _q = _rng.normal(size=8)
    _dist = {n: ((e - _q) ** 2).sum(1).min() for n, e in _database.items()}
    _best = min(_dist, key=_dist.get)
    for _t in (_dist[_best] * 0.99, _dist[_best] * 1.01):
        _expected = _best if _dist[_best] <= _t else "unknown"
        cu.checks.check_equal(identify(_q, _database, _t), _expected, name="identify(random 8-d database)")
### END HIDDEN TESTS
cu.checks.passed("identify", points=2)

# %% [markdown]
# ## 10 · One-shot identification of 10 unseen people
#
# Enroll **one** random photo of each of the 10 unseen people and identify the 90 other photos (the
# threshold plays no role here: everyone asked about is enrolled, so we take the nearest person).
# Then enroll 3 photos each and identify the other 70. One draw of enrollment photos is noisy (a
# person may be enrolled with a photo taken with glasses and queried without), so we average over 20
# random draws.

# %%
test_embeddings = embed(X64_test)
test_names = np.array([f"person {p}" for p in y_test])


def one_shot_accuracy(embeddings, names, shots, draws=20, seed=0):
    """Mean identification accuracy over random enrollments of `shots` photos per person, and the mistakes."""
    rng = np.random.default_rng(seed)
    accuracies, mistakes = [], []
    for _ in range(draws):
        enrolled = np.concatenate([rng.choice(np.flatnonzero(names == n), shots, replace=False)
                                   for n in np.unique(names)])
        database = {n: embeddings[enrolled[names[enrolled] == n]] for n in np.unique(names)}
        queries = np.setdiff1d(np.arange(len(names)), enrolled)
        predicted = np.array([identify(embeddings[q], database, threshold=np.inf) for q in queries])
        accuracies.append(np.mean(predicted == names[queries]))
        mistakes += [(q, p) for q, p in zip(queries, predicted) if p != names[q]]
    return float(np.mean(accuracies)), mistakes


one_shot, mistakes = one_shot_accuracy(test_embeddings, test_names, shots=1)
three_shot, _ = one_shot_accuracy(test_embeddings, test_names, shots=3)
print(f"identification accuracy on 10 unseen people: 1 photo enrolled {one_shot:.1%}, 3 photos {three_shot:.1%}")
cu.report("one_shot_accuracy", one_shot)
cu.report("three_shot_accuracy", three_shot)

# %% [markdown]
# **The closest mistakes.** Each pair below is a query (left) and the enrolled person it was taken
# for (right, that person's nearest photo). Mistakes usually come from pose, glasses or a strong
# change of light, and from people who look alike.

# %% alt="Grid of the closest identification mistakes: each query face next to the enrolled face it was taken for, titled with the query's name and the name it was taken for."
if mistakes:
    gallery, labels = [], []
    for q, predicted in sorted(set(mistakes), key=lambda m: m[0])[:6]:
        candidates = np.flatnonzero(test_names == predicted)
        nearest = candidates[np.argmin(((test_embeddings[candidates] - test_embeddings[q]) ** 2).sum(1))]
        gallery += [X64_test[q, ..., 0], X64_test[nearest, ..., 0]]
        labels += [f"query: {test_names[q]}", f"taken for {predicted}"]
    cu.plots.image_grid(np.array(gallery), labels, ncols=4, title="closest mistakes");
else:
    print("no mistakes in any draw")

# %% [markdown]
# ## 11 · The same training step in native PyTorch
#
# Keras hides the loop. In PyTorch you write it: sample a batch, forward, loss, `backward()`, `step()`.
# Below, the encoder of section 6 written with `torch.nn` (standardise each photo, three blocks of
# convolution, batch norm, ReLU and max-pooling, then a linear layer and a division by the length),
# trained with batch-hard triplets on as many P × K batches as the Keras run saw, with the distance
# matrix written in `torch` (`torch.cdist` would also do, but its gradient at zero distance has the
# same NaN trap as section 4). This cell imports `torch` directly, so it runs whatever the Keras
# backend is. Its printed loss tells the story of section 6 again: it starts on the plateau at the
# margin (0.5) and, after a hundred or two steps, leaves it. (A smaller network, with 16 and 32
# filters and no batch norm, never left the plateau in 400 steps when we tried it.)

# %%
import torch

torch.manual_seed(0)


def torch_block(in_channels, out_channels):
    return [torch.nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(out_channels), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]


torch_encoder = torch.nn.Sequential(
    *torch_block(1, 32), *torch_block(32, 64), *torch_block(64, 128),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(128, EMBEDDING_SIZE),
)
optimizer = torch.optim.Adam(torch_encoder.parameters(), lr=1e-3)


def torch_batch_hard_loss(embeddings, labels, margin=MARGIN):
    squared_norms = (embeddings ** 2).sum(1)
    d2 = (squared_norms[:, None] - 2 * embeddings @ embeddings.T + squared_norms[None]).clamp_min(0)
    same = labels[:, None] == labels[None]
    eye = torch.eye(len(labels), dtype=torch.bool)
    hardest_positive = (d2 * (same & ~eye)).max(1).values
    hardest_negative = (d2 + same * (d2.max() + 1)).min(1).values
    return torch.relu(hardest_positive - hardest_negative + margin).mean()


torch_rng = np.random.default_rng(3)
torch_steps = EPOCHS * BATCHES_PER_EPOCH  # as many batches as the Keras run of section 6
torch_losses = []
torch_encoder.train()  # batch norm uses the batch's statistics
for step in range(torch_steps):
    X_b, y_b = pk_batches(X_train, y_train, torch_rng, 1)
    images = torch.from_numpy(augment(X_b, torch_rng)).permute(0, 3, 1, 2)  # channels first: (m, 1, 32, 32)
    images = (images - images.mean((1, 2, 3), keepdim=True)) / (images.std((1, 2, 3), keepdim=True) + 1e-3)
    embeddings = torch.nn.functional.normalize(torch_encoder(images), dim=1)
    loss = torch_batch_hard_loss(embeddings, torch.from_numpy(y_b))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())
    if step % 60 == 0 or step == torch_steps - 1:
        print(f"step {step:3d}  loss {loss.item():.4f}")
cu.report("torch_loop_first_loss", torch_losses[0])
cu.report("torch_loop_final_loss", float(np.mean(torch_losses[-30:])))  # the mean of the last 30 batches


# %% [markdown]
# ## 12 · Face alignment
#
# The encoder was trained on Olivetti crops: the face fills the frame, the eyes are level, at about
# 40 % of the height. A face in an ordinary photo is small, anywhere, and tilted. A detector finds it
# and five landmarks (notebook 06); **alignment** then applies a *similarity transform* (rotation,
# uniform scale, shift) that moves the two eyes to fixed places in an `output_size` × `output_size` crop:
#
# - the left eye (the one with the smaller $x$ in the photo) to $(x, y) = (0.3\,S,\ 0.4\,S)$,
# - the right eye to $(0.7\,S,\ 0.4\,S)$, with $S$ = `output_size`.
#
# Two point pairs fix a similarity transform exactly: the rotation angle is
# $\theta = \operatorname{atan2}(y_r - y_l,\ x_r - x_l)$ (rotate by $-\theta$ to level the eyes), the
# scale is $0.4\,S / \lVert r - l\rVert$, and the shift puts the midpoint of the eyes at $(0.5\,S,\ 0.4\,S)$.
#
# **Worked example.** Eyes at $(100, 120)$ and $(180, 120)$, $S = 64$: already level, so $\theta = 0$; the
# scale is $25.6 / 80 = 0.32$; the eye midpoint $(140, 120)$ goes to $(32, 25.6)$.
#
# Coordinates are $(x, y)$ = (column, row), pixel centres at whole numbers, as in `skimage.transform`.

# %% [markdown]
# ### Exercise 6 (2 points)
#
# Write `align_face(image, left_eye, right_eye, output_size)`. Any correct method is fine: build the
# $3 \times 3$ matrix yourself, or let `skimage.transform.SimilarityTransform.from_estimate(src, dst)`
# find the transform mapping `src` (the two eyes in the photo) to `dst` (their targets), then sample
# the output with `skimage.transform.warp(image, transform.inverse, output_shape=(S, S), preserve_range=True)`
# (`warp` wants the map from *output* to *input* coordinates, hence `.inverse`).

# %% nbgrader={"grade": false, "grade_id": "align_face", "locked": false, "schema_version": 3, "solution": true, "task": false}
def align_face(image, left_eye, right_eye, output_size=64):
    """Rotate, scale and crop a face so that the eyes land on fixed positions.

    Args:
        image: (H, W) grey or (H, W, C) colour image, any value range.
        left_eye: (x, y) of the eye with the smaller x in the photo (pixels).
        right_eye: (x, y) of the other eye.
        output_size: S, the side of the square output.

    Returns:
        (S, S) or (S, S, C) float array in the image's value range, with the left eye at
        (0.3 S, 0.4 S) and the right eye at (0.7 S, 0.4 S) (x, y).
    """
    ### BEGIN SOLUTION
    size = output_size
    source = np.array([left_eye, right_eye], dtype=np.float64)
    target = np.array([[0.3 * size, 0.4 * size], [0.7 * size, 0.4 * size]])
    transform = skimage.transform.SimilarityTransform.from_estimate(source, target)
    return skimage.transform.warp(np.asarray(image, dtype=np.float64), transform.inverse,
                                  output_shape=(size, size), order=1, mode="edge", preserve_range=True)
    ### END SOLUTION


# %% [markdown]
# Try it on a synthetic face: a red dot for the left eye, a green one for the right eye and a blue one
# for the mouth, on a face tilted by about 27°. After alignment the red and green dots should sit level at
# $(19.2, 25.6)$ and $(44.8, 25.6)$ in a 64 × 64 crop, and the blue dot below them, near $(32, 51.2)$.

# %%
def dot_face(left_eye, right_eye, size=(240, 260), sigma=3.0):
    """A black (H, W, 3) image with Gaussian dots: red = left eye, green = right eye, blue = mouth."""
    rows, cols = np.mgrid[:size[0], :size[1]]
    left, right = np.asarray(left_eye, float), np.asarray(right_eye, float)
    eye_vector = right - left
    mouth = (left + right) / 2 + np.array([-eye_vector[1], eye_vector[0]])  # one eye distance "below"
    image = np.zeros(size + (3,))
    for channel, (x, y) in enumerate([left, right, mouth]):
        image[..., channel] = np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma ** 2))
    return image


def dot_centre(channel_image):
    """(x, y) centroid of a dot image (weights = pixel values)."""
    weights = np.clip(channel_image, 0, None)
    rows, cols = np.mgrid[:weights.shape[0], :weights.shape[1]]
    return np.array([(cols * weights).sum(), (rows * weights).sum()]) / weights.sum()


synthetic = dot_face((80, 150), (150, 114))
aligned = align_face(synthetic, (80, 150), (150, 114), 64)
for channel, name in enumerate(["left eye", "right eye", "mouth"]):
    print(name, np.round(dot_centre(aligned[..., channel]), 1))
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].imshow(synthetic); axes[0].set_title("tilted")
axes[1].imshow(np.clip(aligned, 0, 1)); axes[1].set_title("aligned (64 x 64)");


# %% nbgrader={"grade": true, "grade_id": "test_align_face", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check that align_face puts the eyes level at (0.3 S, 0.4 S) and (0.7 S, 0.4 S) and the mouth below them, on
# faces tilted either way (by up to 60 degrees), in photos wider than tall, for output sizes from 32 to 96 (odd
# ones too), in colour and in grey, float and 8-bit; that it returns floats in the photo's value range and leaves
# the photo unchanged. Any interpolation is fine: the checks measure where the dots land, to within 1 pixel.
def _check_alignment(left, right, size, label, photo=(240, 260), scale=1.0, eight_bit=False):
    image = dot_face(left, right, size=photo, sigma=3.0 * scale)
    image = (image * 255).round().astype(np.uint8) if eight_bit else image
    before = image.copy()
    out = align_face(image, left, right, size)
    cu.checks.check_shape(out, (size, size, 3), name=f"align_face({label}, output_size={size})",
                           hint="the output is output_size x output_size, with the image's channels.")
    cu.checks.check_true(np.array_equal(image, before), "changed the photo it was given",
                          name=f"align_face({label})", hint="work on a copy: never change the input image.")
    out = np.asarray(cu.to_numpy(out))
    cu.checks.check_true(out.dtype.kind == "f", f"expected a float array, got dtype {out.dtype}",
                          name=f"align_face({label})", hint="return floats: np.asarray(image, dtype=float) first.")
    out = out.astype(np.float64)
    expected = {"left eye (red)": (0.3 * size, 0.4 * size), "right eye (green)": (0.7 * size, 0.4 * size),
                "mouth (blue)": (0.5 * size, 0.8 * size)}
    for channel, (name, target) in enumerate(expected.items()):
        cu.checks.check_true(np.isfinite(out[..., channel]).all() and np.clip(out[..., channel], 0, None).sum() > 1e-3,
                              f"the {name} is not inside the {size} x {size} crop", name=f"align_face({label})",
                              hint="warp maps *output* to *input* coordinates: pass transform.inverse (the map from the "
                                   "crop back to the photo), not the transform itself.")
        centre = dot_centre(out[..., channel])
        cu.checks.check_array(centre, np.array(target), name=f"{name} centre (x, y) after align_face({label})",
                               atol=1.0, hint="left eye -> (0.3 S, 0.4 S), right eye -> (0.7 S, 0.4 S); points are "
                               "(x, y) = (column, row); rotate by -atan2(dy, dx) and scale by 0.4 S / eye distance.")
    return out


_check_alignment((80, 150), (150, 114), 64, "tilted synthetic face")
_check_alignment((90, 80), (140, 130), 48, "tilted the other way")
_check_alignment((100, 30), (180, 45), 33, "a photo wider than tall, odd output size", photo=(150, 320))
_out = _check_alignment((60, 100), (140, 120), 40, "an 8-bit photo", eight_bit=True)
cu.checks.check_true(100 < _out.max() <= 255.5, f"the value range must be kept: the brightest pixel is "
                      f"{_out.max():.3g}, expected 100 to 255", name="align_face(an 8-bit photo in 0..255)",
                      hint="warp(..., preserve_range=True) keeps the image's values (0..255 here, not 0..1).")
_rng = cu.checks.rng(13)
for _ in range(4):
    _angle, _dist = np.radians(_rng.uniform(-60, 60)), _rng.uniform(50, 90)
    _mid = np.array([130.0, 100.0]) + _rng.uniform(-15, 15, 2)
    _half = 0.5 * _dist * np.array([np.cos(_angle), np.sin(_angle)])
    _size = int(_rng.choice([32, 47, 64, 96]))
    _check_alignment(tuple(_mid - _half), tuple(_mid + _half), _size,
                     f"eyes {_dist:.0f} px apart, tilted by {np.degrees(_angle):.0f} degrees", scale=_dist / 70)
_grey = dot_face((80, 150), (150, 114))[..., 0] * 200.0
_out = align_face(_grey, (80, 150), (150, 114), 32)
cu.checks.check_shape(_out, (32, 32), name="align_face(grey image)", hint="a grey (H, W) image gives (S, S).")
cu.checks.check_true(50 < np.asarray(_out).max() <= 200.5, f"the value range must be kept: the brightest pixel is "
                      f"{float(np.asarray(_out).max()):.3g}, expected 50 to 200 (the dot is blurred by the downscaling)",
                      name="align_face(grey image in 0..200)",
                      hint="warp(..., preserve_range=True) keeps the image's values.")
### BEGIN HIDDEN TESTS
_check_alignment((60, 100), (160, 100), 64, "level face")
_check_alignment((120, 120), (170, 110), 96, "small face, large output")
### END HIDDEN TESTS
cu.checks.passed("align_face", points=2)

# %% [markdown]
# ## 13 · The whole pipeline on a real photo
#
# Detect → align → embed → compare. `cu.faces.detect_faces` runs MTCNN (Zhang et al., 2016) and returns,
# for each face, a box, a confidence and five landmarks (with the PyTorch backend it runs in a separate
# TensorFlow process, so the first call waits for that process to start). We detect the face of the astronaut
# Eileen Collins in `skimage.data.astronaut()` and in a second "photo" made by tilting the first by 15°
# and darkening it, align both with your `align_face` (grey, 64 × 64, like the Olivetti photos),
# enroll the first next to the 10 unseen Olivetti people, and ask who the second one is.
# `min_confidence=0.9` keeps only the detections MTCNN is at least 90 % sure are faces (its score runs
# from 0 to 1): lower it to find small or turned faces, at the price of false detections on patterns
# that look like a face.

# %% alt="Four panels: the astronaut photo with the detected face's box and five landmark dots, its aligned 64x64 grey face crop, then the same for a rotated and darkened copy of the photo."
photo = skimage.data.astronaut()
second_photo = (skimage.transform.rotate(photo, 15, mode="edge", preserve_range=True) * 0.8).astype(np.uint8)
detections = cu.faces.detect_faces_batch([photo, second_photo], min_confidence=0.9)
print("faces found:", [len(d) for d in detections])


def face_crop(image, face):
    """Grey aligned (64, 64, 1) crop in [0, 1] of one detected face."""
    grey = skimage.color.rgb2gray(image)
    aligned = align_face(grey, face["keypoints"]["left_eye"], face["keypoints"]["right_eye"], 64)
    return np.clip(aligned, 0.0, 1.0)[..., None].astype("float32")

fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
crops = []
for k, (image, found) in enumerate(zip([photo, second_photo], detections)):
    face = found[0]
    x1, y1, x2, y2 = face["box"]
    axes[2 * k].imshow(image)
    axes[2 * k].add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="lime", lw=2))
    for x, y in face["keypoints"].values():
        axes[2 * k].plot(x, y, "r.", ms=6)
    axes[2 * k].set_title(f"detected, confidence {face['confidence']:.3f}")
    crops.append(face_crop(image, face))
    axes[2 * k + 1].imshow(crops[-1][..., 0], cmap="gray")
    axes[2 * k + 1].set_title("aligned, 64 x 64")
for ax in axes:
    ax.axis("off")

# %%
crop_embeddings = embed(np.stack(crops))
rng_enroll = np.random.default_rng(4)
database = {name: test_embeddings[[rng_enroll.choice(np.flatnonzero(test_names == name))]]
            for name in np.unique(test_names)}
database["astronaut"] = crop_embeddings[:1]
answer = identify(crop_embeddings[1], database, tau)
distances = {name: float(((e - crop_embeddings[1]) ** 2).sum(1).min()) for name, e in database.items()}
closest = sorted(distances, key=distances.get)[:3]
print(f"identify(second photo) -> {answer!r} (tau = {tau:.3f}); closest: "
      + ", ".join(f"{n} {distances[n]:.3f}" for n in closest))
stranger = X64_val[0:1]
print(f"identify(a validation person, never enrolled) -> "
      f"{identify(embed(stranger)[0], database, tau)!r}")

# %% [markdown]
# The head was trained on 25 people from one lab in the 1990s, in grey, so do not expect much of it on
# other photos: even with ImageNet features underneath, a crop that is framed, lit or sized differently
# from the training data lands in an unfamiliar part of the embedding space. Production systems train on millions of photos of hundreds
# of thousands of people (FaceNet: 200 million photos of 8 million people) for exactly this reason.
#
# ## 14 · Try it: enroll and query
#
# Pick a photo of one of the 10 unseen people, enroll it under a name, then query other photos. The
# first view is drawn once when the cell runs; the buttons work when you run the notebook yourself.

# %% alt="The face demo's first view: a query face photo on the left and, on the right, the closest enrolled person's photo titled with the decision."
import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure

demo_database = {}


def demo_view(query_index):
    """Draw the query photo next to its closest enrolled photo, with the decision.

    The picture is a matplotlib ``Figure`` shown with ``display``, not ``plt.subplots`` and
    ``plt.show()``: pyplot figures drawn inside a button's callback can come out blank.
    """
    query = test_embeddings[query_index]
    answer = identify(query, demo_database, tau) if demo_database else "unknown"
    fig = Figure(figsize=(4.5, 2.4))
    axes = fig.subplots(1, 2)
    axes[0].imshow(X64_test[query_index, ..., 0], cmap="gray")
    axes[0].set_title(f"query ({test_names[query_index]})", fontsize=9)
    if answer != "unknown":
        axes[1].imshow(X64_test[demo_enrolled[answer], ..., 0], cmap="gray")
    axes[1].set_title(f"-> {answer}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    display(fig)


demo_enrolled = {}


def enroll(name, index):
    name = str(name)  # a plain string, also for the NumPy strings of test_names
    demo_database[name] = test_embeddings[[index]]
    demo_enrolled[name] = index


for person in np.unique(test_names)[:5]:  # a starting database: 5 people, their first photo
    enroll(person, int(np.flatnonzero(test_names == person)[0]))
print("enrolled:", sorted(demo_database))
demo_view(int(np.flatnonzero(test_names == np.unique(test_names)[0])[5]))  # the static first view

photo_picker = widgets.IntSlider(value=5, min=0, max=len(test_names) - 1, description="photo")
name_box = widgets.Text(value="me", description="name")
enroll_button, query_button = widgets.Button(description="Enroll"), widgets.Button(description="Who is it?")
demo_output = widgets.Output()


def on_enroll(_):
    enroll(name_box.value, photo_picker.value)
    with demo_output:
        demo_output.clear_output()
        print(f"enrolled photo {photo_picker.value} as {name_box.value!r}; database: {sorted(demo_database)}")


def on_query(_):
    with demo_output:
        demo_output.clear_output()
        demo_view(photo_picker.value)


enroll_button.on_click(on_enroll)
query_button.on_click(on_query)
display(widgets.VBox([widgets.HBox([photo_picker, name_box]), widgets.HBox([enroll_button, query_button]),
                      demo_output]))

# %% [markdown]
# ## 15 · Privacy, consent and bias
#
# Face recognition is one of the few computer-vision tools that acts directly on people, often
# without their knowledge. Three points to keep in mind before you build one:
#
# - **A face is biometric data.** It cannot be changed like a password, and an embedding is enough to
#   find a person again across photos. In the EU the GDPR treats biometric data used to identify
#   someone as a special category (Article 9): processing needs explicit consent or a specific legal
#   basis, and the EU AI Act restricts real-time remote identification in public spaces. Store
#   embeddings like passwords (encrypted, deletable), and prefer verification on the user's own device
#   to a central database.
# - **Consent and purpose.** The people in a data set agreed (or not) to a purpose. Several large face
#   data sets scraped from the web (MegaFace, MS-Celeb-1M, DukeMTMC) were withdrawn after it became
#   clear how they were being used. Olivetti's 40 volunteers agreed to a 1990s research project.
# - **Bias.** Error rates are not the same for everyone. NIST's evaluation of 189 algorithms
#   (Grother et al., 2019) found false match rates 10 to 100 times higher for some demographic groups,
#   and the Gender Shades study (Buolamwini and Gebru, 2018) found commercial gender classifiers erring
#   on darker-skinned women up to 34.7 % of the time against 0.8 % for lighter-skinned men. The cause is
#   mostly the training data. Our 40 Olivetti people are mostly young, white and male: an embedding
#   trained on them would be worse for anyone else. Always report error rates per group, and choose
#   $\tau$ knowing that a false match (an impostor let in, a wrong arrest) and a false non-match (a
#   person locked out) do not cost the same.

# %% [markdown]
# ## Summary
#
# - Verification answers "is this X?" (1:1), recognition "who is this?" (1:K); both work from one
#   enrolled photo per person by learning a distance $d(x_1, x_2)$ and a threshold $\tau$.
# - A siamese network applies one encoder to both images; normalising the embedding puts faces on the
#   unit sphere, where $\lVert a-b\rVert^2 = 2 - 2\,a\cdot b$.
# - The triplet loss $\max(d(A,P) - d(A,N) + \alpha, 0)$ pulls a person's photos together and pushes
#   others at least $\alpha$ away; the margin rules out the trivial solution.
# - Most random triplets are easy and teach nothing: hard, semi-hard or batch-hard mining keeps the
#   loss informative. Batch-hard needs only the distance matrix of a P × K batch.
# - Training with batch-hard triplets often starts on a plateau at $J = \alpha$, every face mapped near
#   one point; noise (dropout before the embedding) can keep it there. Watch the loss: a loss stuck at
#   the margin means a collapsed embedding, not a converged one.
# - Compute all distances with one matrix product, clip at 0, and keep the gradient of $\sqrt{\cdot}$
#   finite at zero distance.
# - With a few hundred photos a CNN trained from scratch memorises its training people; a frozen
#   ImageNet-pretrained extractor with a small triplet-trained head generalises to new people far better.
# - Evaluate on people never seen in training: ROC and AUC for verification, $\tau$ chosen on
#   validation pairs, identification accuracy with 1 and 3 enrolled photos.
# - A real pipeline is detect → align (eyes to fixed positions) → embed → compare; and face
#   recognition carries privacy, consent and bias questions that an accuracy number does not answer.

# %% [markdown]
# ## Further reading
#
# - F. Schroff, D. Kalenichenko, J. Philbin, *FaceNet: A Unified Embedding for Face Recognition and
#   Clustering*, CVPR 2015 (triplet loss, semi-hard mining).
# - Y. Taigman, M. Yang, M. Ranzato, L. Wolf, *DeepFace: Closing the Gap to Human-Level Performance in
#   Face Verification*, CVPR 2014 (siamese verification, alignment).
# - A. Hermans, L. Beyer, B. Leibe, *In Defense of the Triplet Loss for Person Re-Identification*, 2017 (batch-hard).
# - K. Zhang, Z. Zhang, Z. Li, Y. Qiao, *Joint Face Detection and Alignment using Multi-task Cascaded
#   Convolutional Networks* (MTCNN), IEEE SPL 2016.
# - G. Koch, R. Zemel, R. Salakhutdinov, *Siamese Neural Networks for One-shot Image Recognition*, 2015.
# - P. Grother, M. Ngan, K. Hanaoka, *Face Recognition Vendor Test Part 3: Demographic Effects*, NIST IR 8280, 2019.
# - J. Buolamwini, T. Gebru, *Gender Shades*, FAT* 2018.
# - Keras example: [Image similarity estimation using a Siamese Network with a triplet loss](https://keras.io/examples/vision/siamese_network/).
