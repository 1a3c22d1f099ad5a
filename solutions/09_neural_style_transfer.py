# %% [markdown]
# # 09 · Neural style transfer (bonus)
#
# Paint a photo in the style of another image by running gradient descent on the *pixels* of a picture,
# with a pretrained CNN as the judge.
#
# **What you will learn**
# - what the layers of a trained CNN respond to: activation maps, and the image patches that excite a channel most;
# - the cost $J(G) = \alpha J_{content}(C, G) + \beta J_{style}(S, G)$ and why we optimise the image, not the weights;
# - the content cost, the Gram matrix of a layer's channels, the style cost over several layers, total variation;
# - a backend-neutral optimisation loop (TensorFlow or PyTorch gradients) with Adam on the pixels;
# - how the choice of layers and the ratio $\alpha/\beta$ change the result.
#
# **Time:** about 40 minutes of reading and exercises. The computer's part, all cells in full mode, took 102 s with
# TensorFlow and 65 s with PyTorch in the course's benchmark on its reference machine (2 CPU cores) while other
# programs kept both cores busy; an idle machine takes less. Take this notebook last: it builds on notebook 04
# (EfficientNet-Lite0).

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
import skimage.data
from keras import ops
from tqdm.auto import tqdm

# %% [markdown]
# ## The network: EfficientNet-Lite0 without its top
#
# We reuse the ImageNet-pretrained EfficientNet-Lite0 of notebook 04, without the classifier (any input
# size of at least 32 x 32 works then). Its weights stay **frozen** for the whole notebook: the network only
# *measures* images. Its layers have readable names; we read the outputs of a few ReLU6 activations
# (`..._activation`). A *feature extractor* is a `keras.Model` with the same input and several outputs.

# %%
SIZE = cu.by_mode(full=128, fast=48)          # side of the generated image (pixels)
STEPS = cu.by_mode(full=150, fast=3)          # optimisation steps of the main run
SMALL, SMALL_STEPS = cu.by_mode(full=64, fast=32), cu.by_mode(full=40, fast=2)   # side-by-side experiments

base = cu.models.efficientnet_lite0(weights="imagenet", include_top=False, input_shape=(SIZE, SIZE, 3))
base.trainable = False
print([layer.name for layer in base.layers if layer.name.endswith("activation")][:12], "...")


def feature_extractor(model, layer_names):
    """keras.Model: image batch (m, H, W, 3) -> list of the named layers' outputs (m, n_H, n_W, n_C)."""
    return keras.Model(model.input, [model.get_layer(name).output for name in layer_names])


def to_image(x):
    """Inverse of preprocess_imagenet: (H, W, 3) in about [-1, 1] -> float in [0, 1] for imshow."""
    return np.clip((cu.to_numpy(x) * 128.0 + 127.0) / 255.0, 0.0, 1.0)


# %% [markdown]
# ## 1. What do the layers respond to?
#
# Early layers see a small patch of the image (their *receptive field* is a few pixels) and respond to
# edges and colours; deeper layers see larger patches and respond to textures and object parts. Below: the
# activation maps of the 6 most active channels of an early layer (`stem_activation`, stride 2) and a deeper
# one (`block4a_expand_activation`, stride 8) on the cat photo.

# %% alt="Two rows of seven images: in each row the cat photo, then the six most active channels of one layer of EfficientNet-Lite0 drawn as heat maps, the stem layer on top and block4a below, each titled with its channel number and size."
probe_layers = ["stem_activation", "block4a_expand_activation"]
probe = feature_extractor(base, probe_layers)
cat = cu.models.preprocess_imagenet(skimage.data.chelsea()[None], SIZE)
maps = [cu.to_numpy(a)[0] for a in probe(cat)]
fig, axes = plt.subplots(2, 7, figsize=(14, 4.2))
for row, (name, a) in enumerate(zip(probe_layers, maps)):
    axes[row, 0].imshow(to_image(cat[0]))
    axes[row, 0].set_title(name.replace("_activation", ""), fontsize=9)
    for col, channel in enumerate(np.argsort(a.mean(axis=(0, 1)))[::-1][:6], start=1):
        axes[row, col].imshow(a[..., channel], cmap="magma")
        axes[row, col].set_title(f"channel {channel}  {a.shape[0]}x{a.shape[1]}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# **The patches that excite a channel most.** Run a few photos through the network; for a chosen channel,
# find the positions where its activation is largest and cut out the image patch around each (position x
# stride, with the side of the layer's receptive field, roughly). Neighbouring positions see nearly the
# same patch, so we skip a position whose patch would overlap one already shown from the same photo. Each
# row is one channel of `block3a_expand_activation` (stride 4), and the photo each patch comes from is
# written above it. A channel at this depth does not pick one object: a row mixes patches of several
# photos (a rocket, a space suit, a coffee cup, stars), and what they share is a local pattern, which is
# clear in some rows (small bright spots on a dark background) and hard to name in others. This is what
# "a channel detects a feature" means at this depth: a feature is a pattern of colours and edges, not an
# object.

# %% alt="Four rows of nine small image patches: for each of four channels of block3a, the nine patches of six photos (astronaut, cat, coffee, rocket, tissue, stars) that activate it most, each titled with the photo it comes from."
photos = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(), skimage.data.rocket(),
          skimage.data.immunohistochemistry(), skimage.data.hubble_deep_field()]
batch = np.concatenate([cu.models.preprocess_imagenet(p[None], SIZE) for p in photos])
layer, stride, side = "block3a_expand_activation", 4, 20
acts = cu.to_numpy(keras.Model(base.input, base.get_layer(layer).output)(batch))  # (6, n_H, n_W, n_C)
photo_names = ["astronaut", "cat", "coffee", "rocket", "tissue", "stars"]
channels = np.argsort(acts.max(axis=(0, 1, 2)))[::-1][:4]
photos_per_row = []
fig, axes = plt.subplots(len(channels), 9, figsize=(9, 4.6))
for row, channel in enumerate(channels):
    chosen = []                                          # (photo, y, x) of the patches shown, best first
    for index in np.argsort(acts[..., channel].ravel())[::-1]:
        i, y, x = np.unravel_index(index, acts.shape[:3])
        if not any(i == j and abs(y - v) * stride < side and abs(x - u) * stride < side for j, v, u in chosen):
            chosen.append((i, y, x))
        if len(chosen) == 9:
            break
    for col, (i, y, x) in enumerate(chosen):
        cy, cx = y * stride + stride // 2, x * stride + stride // 2
        y0, x0 = np.clip(cy - side // 2, 0, SIZE - side), np.clip(cx - side // 2, 0, SIZE - side)
        axes[row, col].imshow(to_image(batch[i, y0:y0 + side, x0:x0 + side]))
        axes[row, col].set_title(f"ch {channel}: {photo_names[i]}" if col == 0 else photo_names[i], fontsize=7)
        axes[row, col].axis("off")
    photos_per_row.append(len({i for i, _, _ in chosen}))
plt.tight_layout()
plt.show()
print("photos among the nine patches of each row:", photos_per_row)
cu.report("patch_rows_min_photos", min(photos_per_row))


# %% [markdown]
# ## 2. The cost, and what we optimise
#
# Given a content image $C$ and a style image $S$, we look for a generated image $G$ that minimises
#
# $$ J(G) = \alpha\, J_{content}(C, G) + \beta\, J_{style}(S, G). $$
#
# The network's weights are fixed; the **unknowns are the pixels of $G$** (here 128 x 128 x 3 = 49,152
# numbers). We start $G$ from the content image plus some noise (Gatys et al. start from white noise, which
# takes many more steps to turn into a picture), then repeat: compute $J(G)$, its gradient with respect to the pixels, and update
# the pixels. The same backpropagation as in training, only the derivative is taken with respect to the input.
#
# ### Exercise 1 (1 point)
#
# Write `total_cost(J_content, J_style, alpha, beta)` returning $\alpha J_{content} + \beta J_{style}$.

# %% nbgrader={"grade": false, "grade_id": "total_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
    """Total cost of neural style transfer.

    Args:
        J_content: content cost, a scalar (float, NumPy or backend tensor).
        J_style: style cost, a scalar.
        alpha: weight of the content cost.
        beta: weight of the style cost.

    Returns:
        scalar: alpha * J_content + beta * J_style
    """
    ### BEGIN SOLUTION
    return alpha * J_content + beta * J_style
    ### END SOLUTION


# %% [markdown]
# Try it: `total_cost(2.0, 3.0, alpha=10, beta=40)` should print `140.0`.

# %%
print(total_cost(2.0, 3.0, alpha=10, beta=40))

# %% nbgrader={"grade": true, "grade_id": "test_total_cost", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Check total_cost on 16 generated cases, on backend tensors with the gradient: the worked example, alpha and
# beta given by position, by keyword and left to their defaults, J_content or J_style 0, large costs.
cu.checks.check_cases(total_cost, "total_cost")
cu.checks.check_close(cu.to_numpy(total_cost(2.0, 3.0, alpha=10, beta=40)), 140.0,
                       name="total_cost(2.0, 3.0, alpha=10, beta=40) on plain numbers")
### BEGIN HIDDEN TESTS
rng = cu.checks.rng(9, 1)
for jc, js, a, b in [(0.5, 7.0, 1.0, 1000.0), (3.0, 0.0, 2.0, 5.0)] + [tuple(rng.uniform(0, 9, 4)) for _ in range(3)]:
    cu.checks.check_close(float(cu.to_numpy(total_cost(jc, js, alpha=a, beta=b))), a * jc + b * js, rtol=1e-5,
                           name=f"total_cost({jc:.3f}, {js:.3f}, alpha={a:.3f}, beta={b:.3f})",
                           hint="alpha multiplies J_content.")
    cu.checks.check_close(float(cu.to_numpy(total_cost(jc, js, a, b))), a * jc + b * js, rtol=1e-5,
                           name=f"total_cost({jc:.3f}, {js:.3f}, {a:.3f}, {b:.3f})")
cu.checks.check_close(float(cu.to_numpy(total_cost(1.0, 1.0))), 50.0, name="total_cost(1, 1) (the defaults)")
### END HIDDEN TESTS
cu.checks.passed("total_cost", points=1)


# %% [markdown]
# ## 3. Content cost
#
# Pick one hidden layer $l$, neither too shallow (it would copy the pixels) nor too deep (only "there is a
# cat" would remain). With $a^{[l](C)}$ and $a^{[l](G)}$ its activations (shape $n_H \times n_W \times n_C$) for
# $C$ and $G$, the lecture writes the content cost as $\frac{1}{2}\lVert a^{[l](C)} - a^{[l](G)}\rVert^2$.
# We use the normalised form, which does not grow with the layer's size:
#
# $$ J_{content}(C, G) = \frac{1}{4\, n_H\, n_W\, n_C} \sum_{i,j,k} \left(a^{(C)}_{ijk} - a^{(G)}_{ijk}\right)^2 .$$
#
# Both forms have the same minimum (they differ by a constant factor, which $\alpha$ absorbs).
# Worked example: $a^{(C)}$ and $a^{(G)}$ of shape (1, 1, 2, 2) with values $(1, 2, 3, 4)$ and $(1, 1, 1, 1)$:
# squared differences $0 + 1 + 4 + 9 = 14$, divided by $4 \cdot 1 \cdot 2 \cdot 2 = 16$: $J = 0.875$
# (the $\frac12$ form would give 7).
#
# ### Exercise 2 (2 points)
#
# Write `compute_content_cost(a_C, a_G)`. Use `keras.ops` (`ops.sum`, `ops.square`) so that it works on NumPy
# arrays and on backend tensors (the optimisation loop will pass tensors and take gradients through it).

# %% nbgrader={"grade": false, "grade_id": "compute_content_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_content_cost(a_C, a_G):
    """Normalised content cost between two activations of one layer.

    Args:
        a_C: activations for the content image, shape (1, n_H, n_W, n_C).
        a_G: activations for the generated image, shape (1, n_H, n_W, n_C).

    Returns:
        scalar: sum((a_C - a_G)^2) / (4 * n_H * n_W * n_C)
    """
    ### BEGIN SOLUTION
    _, n_H, n_W, n_C = a_G.shape
    return ops.sum(ops.square(a_C - a_G)) / (4.0 * n_H * n_W * n_C)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `0.875`.

# %%
print(float(cu.to_numpy(compute_content_cost(np.array([1.0, 2, 3, 4]).reshape(1, 1, 2, 2),
                                                     np.ones((1, 1, 2, 2))))))


# %% nbgrader={"grade": true, "grade_id": "test_compute_content_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check compute_content_cost on 14 generated cases, on backend tensors with the gradient: the worked example,
# non-square maps, one channel, one position, equal activations, large values; then on NumPy arrays.
cu.checks.check_cases(compute_content_cost, "compute_content_cost")
got = compute_content_cost(np.array([1.0, 2, 3, 4]).reshape(1, 1, 2, 2), np.ones((1, 1, 2, 2)))
cu.checks.check_close(cu.to_numpy(got), 0.875, name="compute_content_cost(worked example as NumPy arrays)",
                       hint="use keras.ops, which take NumPy arrays as well as tensors.")
### BEGIN HIDDEN TESTS
def _content_ref(a_C, a_G):
    _, h, w, c = a_G.shape
    return np.sum((np.asarray(a_C, np.float64) - a_G) ** 2) / (4 * h * w * c)


rng = np.random.default_rng(11)
for shape in [(1, 4, 3, 5), (1, 2, 6, 3), (1, 7, 5, 8)]:
    a_C, a_G = rng.normal(size=shape), rng.normal(size=shape)
    cu.checks.check_close(float(cu.to_numpy(compute_content_cost(a_C, a_G))), _content_ref(a_C, a_G),
                           name=f"compute_content_cost on {shape}", rtol=1e-4,
                           hint="sum, not mean; the factor is 1 / (4 n_H n_W n_C).")
a_C, a_G = rng.normal(size=(1, 3, 4, 6)).astype("float32"), rng.normal(size=(1, 3, 4, 6)).astype("float32")
got = compute_content_cost(ops.convert_to_tensor(a_C), ops.convert_to_tensor(a_G))
cu.checks.check_close(float(cu.to_numpy(got)), _content_ref(a_C, a_G), rtol=1e-4,
                       name="compute_content_cost on backend tensors", hint="use keras.ops inside.")
### END HIDDEN TESTS
cu.checks.passed("compute_content_cost", points=2)


# %% [markdown]
# ## 4. Style: the Gram matrix
#
# Style is *which features occur together*, wherever they are in the image. Unroll a layer's activation into
# a matrix $A$ of shape $(n_C, n_H n_W)$: row $k$ holds channel $k$ at every position. The **Gram matrix**
#
# $$ G = A A^T, \qquad G_{kk'} = \sum_{\text{positions } p} A_{kp} A_{k'p}, $$
#
# of shape $(n_C, n_C)$, measures how strongly channels $k$ and $k'$ fire *together*; the diagonal $G_{kk}$
# measures how active channel $k$ is overall. The positions are summed out, so the layout of the image is lost
# and only its texture remains. Worked example: $A = \begin{pmatrix}1 & 2 & 0\\ 0 & 1 & 1\end{pmatrix}$ gives
# $G = \begin{pmatrix}5 & 2\\ 2 & 2\end{pmatrix}$.
#
# ### Exercise 3 (1 point)
#
# Write `gram_matrix(A)`.

# %% nbgrader={"grade": false, "grade_id": "gram_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gram_matrix(A):
    """Gram matrix of unrolled activations.

    Args:
        A: matrix of shape (n_C, n_H * n_W) (NumPy array or backend tensor).

    Returns:
        GA: Gram matrix A A^T, shape (n_C, n_C).
    """
    ### BEGIN SOLUTION
    return ops.matmul(A, ops.transpose(A))
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `[[5. 2.] [2. 2.]]`.

# %%
print(cu.to_numpy(gram_matrix(np.array([[1.0, 2, 0], [0, 1, 1]]))))

# %% nbgrader={"grade": true, "grade_id": "test_gram_matrix", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Check gram_matrix on 12 generated cases, on backend tensors with the gradient: the worked example, more
# positions than channels, a square A, one channel, one position; then on a NumPy array.
cu.checks.check_cases(gram_matrix, "gram_matrix")
cu.checks.check_array(cu.to_numpy(gram_matrix(np.array([[1.0, 2, 0], [0, 1, 1]]))), np.array([[5.0, 2], [2, 2]]),
                       name="gram_matrix(worked example as a NumPy array)",
                       hint="use keras.ops, which take NumPy arrays as well as tensors.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
for shape in [(3, 10), (5, 4), (1, 7)]:
    A = rng.normal(size=shape)
    cu.checks.check_array(cu.to_numpy(gram_matrix(A)), A @ A.T, name=f"gram_matrix on {shape}",
                           rtol=1e-4, atol=1e-5, hint="A @ A.T")
A = rng.normal(size=(4, 6)).astype("float32")
cu.checks.check_array(cu.to_numpy(gram_matrix(ops.convert_to_tensor(A))), A @ A.T, rtol=1e-4, atol=1e-4,
                       name="gram_matrix on a backend tensor", hint="use keras.ops.matmul and keras.ops.transpose.")
### END HIDDEN TESTS
cu.checks.passed("gram_matrix", points=1)


# %% [markdown]
# ### The style cost of one layer
#
# With $G^{(S)}$ and $G^{(G)}$ the Gram matrices of the style and generated images at one layer,
#
# $$ J^{[l]}_{style}(S, G) = \frac{1}{4\, n_C^2\, (n_H n_W)^2} \sum_{k, k'} \left(G^{(S)}_{kk'} - G^{(G)}_{kk'}\right)^2 .$$
#
# **Unroll with care.** The activation has shape $(1, n_H, n_W, n_C)$ with the channels *last*. Reshape it to
# $(n_H n_W, n_C)$ (each row one position) and then transpose to $(n_C, n_H n_W)$. Reshaping directly to
# $(n_C, n_H n_W)$ reads the numbers in memory order and mixes positions and channels: the rows would not be
# channels any more.
#
# ### Exercise 4 (2 points)
#
# Write `compute_layer_style_cost(a_S, a_G)`; you may call your `gram_matrix`.

# %% nbgrader={"grade": false, "grade_id": "compute_layer_style_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_layer_style_cost(a_S, a_G):
    """Style cost of one layer.

    Args:
        a_S: activations for the style image, shape (1, n_H, n_W, n_C).
        a_G: activations for the generated image, shape (1, n_H, n_W, n_C).

    Returns:
        scalar: sum((GS - GG)^2) / (4 n_C^2 (n_H n_W)^2), GS and GG the (n_C, n_C) Gram matrices of
        the activations unrolled to (n_C, n_H * n_W).
    """
    ### BEGIN SOLUTION
    _, n_H, n_W, n_C = a_G.shape
    S = ops.transpose(ops.reshape(a_S, (n_H * n_W, n_C)))
    G = ops.transpose(ops.reshape(a_G, (n_H * n_W, n_C)))
    GS, GG = gram_matrix(S), gram_matrix(G)
    return ops.sum(ops.square(GS - GG)) / (4.0 * n_C ** 2 * (n_H * n_W) ** 2)
    ### END SOLUTION


# %% [markdown]
# Try it: with `a_S` all ones of shape (1, 2, 2, 3) and `a_G` all zeros, each Gram entry of S is 4 (four
# positions), so the cost is $9 \cdot 16 / (4 \cdot 9 \cdot 16) = 0.25$.

# %%
print(float(cu.to_numpy(compute_layer_style_cost(np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))))))


# %% nbgrader={"grade": true, "grade_id": "test_compute_layer_style_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check compute_layer_style_cost on 13 generated cases, on backend tensors with the gradient: the worked
# example, channels with different patterns (how to unroll), non-square maps, one channel, one position.
cu.checks.check_cases(compute_layer_style_cost, "compute_layer_style_cost")
got = compute_layer_style_cost(np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3)))
cu.checks.check_close(cu.to_numpy(got), 0.25, name="compute_layer_style_cost(ones, zeros) as NumPy arrays",
                       hint="use keras.ops, which take NumPy arrays as well as tensors.")
### BEGIN HIDDEN TESTS
def _layer_style_ref(a_S, a_G):
    _, h, w, c = a_G.shape
    S = np.asarray(a_S, np.float64).reshape(h * w, c).T
    G = np.asarray(a_G, np.float64).reshape(h * w, c).T
    return np.sum((S @ S.T - G @ G.T) ** 2) / (4 * c ** 2 * (h * w) ** 2)


rng = np.random.default_rng(21)
for shape in [(1, 4, 4, 3), (1, 2, 5, 6), (1, 6, 3, 2)]:
    a_S, a_G = rng.normal(size=shape), rng.normal(size=shape) + 0.5
    cu.checks.check_close(float(cu.to_numpy(compute_layer_style_cost(a_S, a_G))),
                           _layer_style_ref(a_S, a_G), name=f"compute_layer_style_cost on {shape}", rtol=1e-4,
                           hint="unroll channels-last correctly; normalise by 4 n_C^2 (n_H n_W)^2.")
a_S, a_G = rng.normal(size=(1, 3, 3, 5)).astype("float32"), rng.normal(size=(1, 3, 3, 5)).astype("float32")
got = compute_layer_style_cost(ops.convert_to_tensor(a_S), ops.convert_to_tensor(a_G))
cu.checks.check_close(float(cu.to_numpy(got)), _layer_style_ref(a_S, a_G), rtol=1e-3,
                       name="compute_layer_style_cost on backend tensors", hint="use keras.ops inside.")
### END HIDDEN TESTS
cu.checks.passed("compute_layer_style_cost", points=2)


# %% [markdown]
# ### The style cost over several layers
#
# In Gatys et al.'s large images, shallow layers capture fine texture (colours, small strokes), deeper ones
# larger motifs (Section 8 shows what they do at our small size). We combine $L$ layers with weights
# $\lambda^{[l]}$ (they often sum to 1):
#
# $$ J_{style}(S, G) = \sum_l \lambda^{[l]} J^{[l]}_{style}(S, G). $$
#
# ### Exercise 5 (2 points)
#
# Write `compute_style_cost(style_outputs, generated_outputs, layer_weights)`: three lists of equal length
# (activations of the style image, of the generated image, and one weight per layer).

# %% nbgrader={"grade": false, "grade_id": "compute_style_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_style_cost(style_outputs, generated_outputs, layer_weights):
    """Weighted style cost over several layers.

    Args:
        style_outputs: list of L activations for the style image, each (1, n_H^[l], n_W^[l], n_C^[l]).
        generated_outputs: list of L activations for the generated image, same shapes.
        layer_weights: list of L floats, lambda^[l].

    Returns:
        scalar: sum over l of layer_weights[l] * compute_layer_style_cost(style_outputs[l], generated_outputs[l])
    """
    ### BEGIN SOLUTION
    J_style = 0.0
    for a_S, a_G, weight in zip(style_outputs, generated_outputs, layer_weights):
        J_style = J_style + weight * compute_layer_style_cost(a_S, a_G)
    return J_style
    ### END SOLUTION


# %% [markdown]
# Try it: two layers of all ones vs zeros, shapes (1, 2, 2, 3) and (1, 1, 1, 2), have layer costs 0.25 and
# 0.25; with weights (0.2, 0.8) the style cost should print `0.25`, with weights (1, 3) it prints `1.0`.

# %%
_S = [np.ones((1, 2, 2, 3)), np.ones((1, 1, 1, 2))]
_G = [np.zeros((1, 2, 2, 3)), np.zeros((1, 1, 1, 2))]
print(float(cu.to_numpy(compute_style_cost(_S, _G, [0.2, 0.8]))),
      float(cu.to_numpy(compute_style_cost(_S, _G, [1.0, 3.0]))))


# %% nbgrader={"grade": true, "grade_id": "test_compute_style_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check compute_style_cost on 11 generated cases, on backend tensors with the gradient: one layer of weight 1
# and of weight 2 (weights need not sum to 1), three layers with equal and different weights, a weight 0,
# the text's example, 2 to 5 random layers.
cu.checks.check_cases(compute_style_cost, "compute_style_cost")
### BEGIN HIDDEN TESTS
def _style_ref(style_outputs, generated_outputs, weights):
    total = 0.0
    for a_S, a_G, w in zip(style_outputs, generated_outputs, weights):
        _, h, c2, c = a_G.shape
        S, G = np.asarray(a_S, np.float64).reshape(-1, c).T, np.asarray(a_G, np.float64).reshape(-1, c).T
        total += w * np.sum((S @ S.T - G @ G.T) ** 2) / (4 * c ** 2 * (h * c2) ** 2)
    return total


rng = np.random.default_rng(5)
shapes = [(1, 4, 4, 3), (1, 2, 2, 5), (1, 1, 3, 2)]
S_out = [rng.normal(size=s) for s in shapes]
G_out = [rng.normal(size=s) for s in shapes]
for weights in ([0.5, 0.2, 0.3], [1.0, 3.0, 0.1], list(rng.uniform(0, 3, 3))):
    cu.checks.check_close(float(cu.to_numpy(compute_style_cost(S_out, G_out, weights))),
                           _style_ref(S_out, G_out, weights), rtol=1e-4,
                           name=f"compute_style_cost, 3 layers, weights {np.round(weights, 3).tolist()}",
                           hint="each layer's cost is multiplied by its own weight; do not average.")
one = compute_style_cost(S_out[:1], G_out[:1], [2.0])
cu.checks.check_close(float(cu.to_numpy(one)), _style_ref(S_out[:1], G_out[:1], [2.0]), rtol=1e-4,
                       name="compute_style_cost, one layer")
got = compute_style_cost([ops.convert_to_tensor(a.astype("float32")) for a in S_out],
                         [ops.convert_to_tensor(a.astype("float32")) for a in G_out], [0.5, 0.2, 0.3])
cu.checks.check_close(float(cu.to_numpy(got)), _style_ref(S_out, G_out, [0.5, 0.2, 0.3]), rtol=1e-3,
                       name="compute_style_cost on backend tensors")
### END HIDDEN TESTS
cu.checks.passed("compute_style_cost", points=2)


# %% [markdown]
# ## 5. Total variation: less noise
#
# Gradient descent on pixels leaves high-frequency speckle. The **total variation** of an image, the sum of
# the absolute differences between neighbouring pixels, penalises it; we add a multiple of it to the cost:
# $J(G) = \alpha J_{content} + \beta J_{style} + \gamma\, TV(G)$. Here it is a mean per pixel, of about 0.1
# to 0.3 on our images: next to the style cost, the $\gamma = 1$ of the runs below is too small to matter, and
# §8 measures how large $\gamma$ must be before the speckle goes.

# %%
def total_variation(image):
    """Mean absolute difference between vertical and horizontal neighbours; image (1, H, W, 3)."""
    return (ops.mean(ops.abs(image[:, 1:, :, :] - image[:, :-1, :, :]))
            + ops.mean(ops.abs(image[:, :, 1:, :] - image[:, :, :-1, :])))


# %% [markdown]
# ## 6. Gradients with respect to the pixels, on either backend
#
# Keras 3 computes the forward pass with the backend; the gradient comes from the backend's own mechanism:
# `tf.GradientTape` on TensorFlow, `torch.autograd` on PyTorch. A small helper hides the difference. The image
# is a `keras.Variable` (on PyTorch a tensor with `requires_grad=True`), updated by `keras.optimizers.Adam`,
# which works on both backends. On TensorFlow we compile the whole step with `tf.function` (§7 measures what
# that saves); PyTorch runs the step as it is written.

# %%
def value_and_grad(cost_fn, variable):
    """Evaluate cost_fn() -> (J, extras) and the gradient dJ/d(variable), with the backend's autodiff."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(variable.value)
            cost, extras = cost_fn()
        return cost, extras, tape.gradient(cost, variable.value)
    import torch

    cost, extras = cost_fn()
    (grad,) = torch.autograd.grad(cost, variable.value)
    return cost, extras, grad


def make_step(cost_fn, image, optimizer, compile=True):
    """One Adam step on the pixels of `image`, which then stay in the network's input range.

    On TensorFlow the step is compiled with tf.function unless compile=False."""
    optimizer.build([image])

    def step():
        cost, extras, grad = value_and_grad(cost_fn, image)
        optimizer.apply_gradients([(grad, image)])
        image.assign(ops.clip(image.value, -127.0 / 128.0, 1.0))
        return cost, extras

    if compile and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(step)
    return step


# %% [markdown]
# ## 7. Style transfer
#
# Content: the cat (`skimage.data.chelsea`); style: a colourful wave pattern generated in NumPy, and a
# stained-tissue micrograph (`skimage.data.immunohistochemistry`). Content layer `block4a_expand_activation`;
# five style layers from shallow to deep, equal weights.

# %% alt="Four panels: the cat photo as the content image C, a colourful wave pattern as the style image S, the generated image G, and a line plot of the total cost J(G) against the optimisation step on a log scale."
def wave_pattern(size=256, seed=0):
    """A colourful generated texture: sums of oriented sine waves, uint8 (size, size, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        angle, freq = rng.uniform(0, np.pi), rng.uniform(6, 14)
        wave = np.sin(2 * np.pi * freq * (x * np.cos(angle) + y * np.sin(angle)) + 3 * np.sin(8 * y))
        channels.append(wave)
    return ((np.stack(channels, -1) + 1) * 127.5).astype(np.uint8)


CONTENT_LAYER = "block4a_expand_activation"
STYLE_LAYERS = ["stem_activation", "block2a_expand_activation", "block3a_expand_activation",
                "block4a_expand_activation", "block5a_expand_activation"]
styles = {"waves": wave_pattern(), "immunohistochemistry": skimage.data.immunohistochemistry()}


_models = {SIZE: base}   # one network per image size, built once


def style_transfer(content, style, *, size, steps, content_layer=CONTENT_LAYER, style_layers=STYLE_LAYERS,
                   alpha=10.0, beta=1000.0, tv_weight=1.0, learning_rate=0.02, seed=0, progress=True,
                   compile=True, timings=None):
    """Run neural style transfer; returns (image (size, size, 3) in [0, 1], list of total costs).

    timings: a list to which the seconds of each step are appended (or None)."""
    if size not in _models:
        _models[size] = cu.models.efficientnet_lite0(weights="imagenet", include_top=False,
                                                     input_shape=(size, size, 3))
    model = _models[size]
    extractor = feature_extractor(model, [content_layer] + list(style_layers))
    C = cu.models.preprocess_imagenet(content[None], size)
    S = cu.models.preprocess_imagenet(style[None], size)
    a_C = extractor(C)[0]
    a_S = extractor(S)[1:]
    noise = np.random.default_rng(seed).uniform(-0.2, 0.2, C.shape).astype("float32")
    image = keras.Variable(np.clip(C + noise, -127 / 128, 1.0))
    weights = [1.0 / len(style_layers)] * len(style_layers)

    def cost_fn():
        outputs = extractor(image.value)
        J_content = compute_content_cost(a_C, outputs[0])
        J_style = compute_style_cost(a_S, outputs[1:], weights)
        J = total_cost(J_content, J_style, alpha=alpha, beta=beta) + tv_weight * total_variation(image.value)
        return J, (J_content, J_style)

    step = make_step(cost_fn, image, keras.optimizers.Adam(learning_rate), compile=compile)
    costs = []
    for _ in tqdm(range(steps), desc=f"{size}x{size}", disable=not progress, leave=False):
        started = time.perf_counter()
        J, _ = step()
        costs.append(float(cu.to_numpy(J)))
        if timings is not None:
            timings.append(time.perf_counter() - started)
    return to_image(image.value[0]), costs


start = time.perf_counter()
result, costs = style_transfer(skimage.data.chelsea(), styles["waves"], size=SIZE, steps=STEPS)
seconds = time.perf_counter() - start
reduction = 1.0 - costs[-1] / costs[0]
print(f"{SIZE}x{SIZE}, {STEPS} steps: {seconds:.1f} s, cost {costs[0]:.1f} -> {costs[-1]:.1f} "
      f"({100 * reduction:.0f}% lower)")
cu.report("style_transfer_seconds", round(seconds, 1))
cu.report("cost_reduction", round(reduction, 3))
cu.report("image_size", SIZE)

fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
axes[0].imshow(to_image(cu.models.preprocess_imagenet(skimage.data.chelsea()[None], SIZE)[0]))
axes[0].set_title("content C")
axes[1].imshow(to_image(cu.models.preprocess_imagenet(styles["waves"][None], SIZE)[0]))
axes[1].set_title("style S")
axes[2].imshow(result)
axes[2].set_title("generated G")
for ax in axes[:3]:
    ax.axis("off")
axes[3].semilogy(costs)
axes[3].set_xlabel("step")
axes[3].set_title("total cost J(G)")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What `tf.function` saves.** The same small run as in §8 (64 x 64), ten steps as written and ten compiled,
# on TensorFlow (PyTorch runs the step as written: there is nothing to compare). The first compiled step
# traces the step into a graph and pays for that once, so we compare the median step after the first. The
# compiled step is many times faster (the benchmark measured 14x to 47x on its reference machine while other
# work kept it busy): Python's overhead for each of the step's hundreds of small operations is gone.

# %%
if keras.backend.backend() == "tensorflow":
    step_seconds = {False: [], True: []}
    for compiled in (False, True):
        style_transfer(skimage.data.chelsea(), styles["waves"], size=SMALL, steps=cu.by_mode(full=10, fast=3),
                       compile=compiled, timings=step_seconds[compiled], progress=False)
    eager, graph = np.median(step_seconds[False][1:]), np.median(step_seconds[True][1:])
    print(f"one step at {SMALL} x {SMALL}: {1000 * eager:.0f} ms as written, {1000 * graph:.0f} ms compiled "
          f"({eager / graph:.0f}x faster); the first compiled step (tracing) took {step_seconds[True][0]:.1f} s")
    cu.report("tf_function_speedup", eager / graph)
else:
    print("PyTorch runs the step as written: nothing to compile here.")

# %% [markdown]
# ## 8. Experiments: layers, alpha/beta and total variation
#
# Small images and few steps, so that each run takes well under a minute. **Left to right:** a second style; the
# style measured only on the two shallow layers vs only on the two deepest; and the ratio $\alpha/\beta$:
# a large $\alpha$ keeps the cat, a large $\beta$ lets the style take over (the mean change $|G - C|$ per pixel,
# printed under the panels, is about twice as large for the second: 0.16 against 0.08, of which the starting
# noise alone makes about 0.05).
#
# The classical picture (shallow layers: fine colour texture; deep layers: larger motifs) does not appear
# at 64 x 64 after 40 steps; the two middle panels show the reverse. The shallow layers paint blotches of
# colour a few pixels wide; the deep layers leave a fine, pixel-level speckle. The line under the panels
# measures it: the correlation of the change $G - C$ between neighbouring pixels (near 1 for smooth
# blotches, near 0 for speckle) is lower for the deep layers (0.37 against 0.58). Their maps have only 8 x 8
# and 4 x 4 positions here (stride 8 and 16): they hardly see single pixels, so more of the starting noise
# stays in the picture (the second line: the correlation of $G - C$ with the noise $G$ started from is 0.50
# for the deep layers against 0.38), and their gradient reaches the pixels through strided layers.

# %% alt="Five small images of the cat generated with different settings: tissue style, shallow style layers, deep style layers, alpha/beta = 10 and alpha/beta = 1e-4."
settings = {
    "tissue style": dict(style=styles["immunohistochemistry"]),
    "shallow style layers": dict(style=styles["waves"], style_layers=STYLE_LAYERS[:2]),
    "deep style layers": dict(style=styles["waves"], style_layers=STYLE_LAYERS[3:]),
    "alpha/beta = 10": dict(style=styles["waves"], alpha=10000.0, beta=1000.0),
    "alpha/beta = 1e-4": dict(style=styles["waves"], alpha=1.0, beta=10000.0),
}
pictures, start = {}, time.perf_counter()
fig, axes = plt.subplots(1, len(settings), figsize=(3 * len(settings), 3.2))
for ax, (title, kwargs) in zip(axes, tqdm(settings.items(), desc="experiments")):
    style = kwargs.pop("style")
    pictures[title], _ = style_transfer(skimage.data.chelsea(), style, size=SMALL, steps=SMALL_STEPS,
                                        progress=False, **kwargs)
    ax.imshow(pictures[title])
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()
cu.report("experiment_seconds_per_run", (time.perf_counter() - start) / len(settings), unit="s")


def neighbour_correlation(change):
    """Correlation of an (H, W, 3) image change with itself one pixel down and one pixel right."""
    d = change - change.mean(axis=(0, 1))
    here = np.concatenate([d[1:].ravel(), d[:, 1:].ravel()])
    neighbour = np.concatenate([d[:-1].ravel(), d[:, :-1].ravel()])
    return float(np.corrcoef(here, neighbour)[0, 1])


small_cat = to_image(cu.models.preprocess_imagenet(skimage.data.chelsea()[None], SMALL)[0])
shallow_corr = neighbour_correlation(pictures["shallow style layers"] - small_cat)
deep_corr = neighbour_correlation(pictures["deep style layers"] - small_cat)
print(f"neighbour correlation of G - C: shallow style layers {shallow_corr:.2f}, deep style layers {deep_corr:.2f}")
cu.report("shallow_style_neighbour_corr", shallow_corr)
cu.report("deep_style_neighbour_corr", deep_corr)
small_C = cu.models.preprocess_imagenet(skimage.data.chelsea()[None], SMALL)  # the start of every run: C + noise
small_start = to_image(np.clip(small_C + np.random.default_rng(0).uniform(-0.2, 0.2, small_C.shape), -127 / 128, 1.0)[0])
noise_share = {name: float(np.corrcoef((pictures[name] - small_cat).ravel(), (small_start - small_cat).ravel())[0, 1])
               for name in ("shallow style layers", "deep style layers")}
print(f"correlation of G - C with the starting noise: shallow style layers {noise_share['shallow style layers']:.2f}, "
      f"deep style layers {noise_share['deep style layers']:.2f}")
cu.report("shallow_style_noise_corr", noise_share["shallow style layers"])
cu.report("deep_style_noise_corr", noise_share["deep style layers"])
mean_change = {name: float(np.abs(pictures[name] - small_cat).mean()) for name in ("alpha/beta = 10", "alpha/beta = 1e-4")}
print("mean |G - C| per pixel:", ", ".join(f"{name} {value:.3f}" for name, value in mean_change.items()))
cu.report("change_alpha_large", mean_change["alpha/beta = 10"])
cu.report("change_beta_large", mean_change["alpha/beta = 1e-4"])
cu.report("change_start_noise", float(np.abs(small_start - small_cat).mean()))

# %% [markdown]
# **Total variation.** The run with all five style layers, at four weights $\gamma$ of the total variation:
# 0, 1 (the weight of every run above), 1,000 and 10,000. Each title gives the neighbour correlation of
# $G - C$ and the total variation of $G$; the content photo's own is in the first title.

# %% alt="Five small images: the cat photo, then the cat generated with the wave style at total-variation weights 0, 1, 1000 and 10000, each titled with its neighbour correlation and total variation; the speckle fades from the fourth and the last is blurred."
def tv_of(picture):
    """Total variation of an (H, W, 3) picture in [0, 1], as total_variation computes it."""
    return float(np.abs(np.diff(picture, axis=0)).mean() + np.abs(np.diff(picture, axis=1)).mean())


tv_weights = [0.0, 1.0, 1000.0, 10000.0]
tv_corr, tv_value = {}, {}
fig, axes = plt.subplots(1, len(tv_weights) + 1, figsize=(3 * (len(tv_weights) + 1), 3.4))
axes[0].imshow(small_cat)
axes[0].set_title(f"content C\nTV {tv_of(small_cat):.2f}", fontsize=9)
for ax, gamma in zip(axes[1:], tqdm(tv_weights, desc="total variation")):
    picture, _ = style_transfer(skimage.data.chelsea(), styles["waves"], size=SMALL, steps=SMALL_STEPS,
                                tv_weight=gamma, progress=False)
    tv_corr[gamma], tv_value[gamma] = neighbour_correlation(picture - small_cat), tv_of(picture)
    ax.imshow(picture)
    ax.set_title(f"gamma = {gamma:g}\nneighbour corr {tv_corr[gamma]:.2f}, TV {tv_value[gamma]:.2f}", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()
cu.report("tv_content", tv_of(small_cat))
for gamma in tv_weights:
    cu.report(f"tv_corr_{gamma:.0f}", tv_corr[gamma])
    cu.report(f"tv_value_{gamma:.0f}", tv_value[gamma])

# %% [markdown]
# $\gamma = 0$ and $\gamma = 1$ give the same picture (neighbour correlation 0.52, total variation 0.27, more
# than three times the photo's 0.08): at 1 the term is too small to matter. At 1,000 the speckle fades (0.71;
# the total variation halves, to 0.13) and the style's colours stay; at 10,000 the picture is blurred flatter
# than the photo itself (0.03), and the fur goes with the speckle. Too small does nothing, too large blurs:
# $\gamma$ is set by looking, again for each image size and each $\beta$.

# %% [markdown]
# ## Summary
#
# - A trained CNN is a fixed measuring instrument: shallow channels respond to edges and colours, deeper ones
#   to textures and parts; a channel's favourite patches share a local pattern, not an object.
# - Style transfer minimises $J(G) = \alpha J_{content} + \beta J_{style}$ (+ total variation) over the
#   **pixels** of $G$, starting from the content image plus noise; the weights never change.
# - Content cost: squared difference of one layer's activations, normalised by $4 n_H n_W n_C$.
# - Style: Gram matrix $A A^T$ of the activation unrolled to $(n_C, n_H n_W)$ (reshape channels-last, then
#   transpose), normalised squared difference per layer, weighted sum over layers.
# - The same loop runs on TensorFlow and PyTorch: Keras computes the cost, the backend's autodiff the gradient.
#
# ## Further reading
# - L. Gatys, A. Ecker, M. Bethge, *A Neural Algorithm of Artistic Style* (2015), arXiv:1508.06576.
# - M. Zeiler, R. Fergus, *Visualizing and Understanding Convolutional Networks* (2013), arXiv:1311.2901.
# - J. Johnson, A. Alahi, L. Fei-Fei, *Perceptual Losses for Real-Time Style Transfer* (2016), arXiv:1603.08155.
# - Keras example: https://keras.io/examples/generative/neural_style_transfer/
