# %% [markdown]
# # 07 · Semantic segmentation with U-Net and transposed convolutions
#
# Classify every pixel of an image: which digit, if any, does this pixel belong to?
#
# **What you will learn**
# - semantic segmentation as per-pixel classification, and why medical imaging gave us U-Net;
# - the transposed convolution: how it upsamples, its output size $(n - 1)s - 2p + f$, a NumPy
#   implementation checked against `keras.layers.Conv2DTranspose`, and its checkerboard artefacts;
# - U-Net: the contracting path, the expanding path and the skip connections between them;
# - training with a per-pixel cross-entropy plus a Dice term against class imbalance, and judging
#   a segmentation with pixel accuracy, per-class IoU and Dice, and mean IoU;
# - what the skip connections are worth, measured.
#
# **Time:** about 30 minutes of reading and exercises. The computer's part, all cells in full mode, took about 6
# minutes (346 s with TensorFlow, 354 s with PyTorch) in the course's benchmark on its reference machine (2 CPU
# cores, otherwise idle); a slower or busy machine takes longer.

# %% [markdown]
# ## Set-up
#
# The course package, the libraries, and the sizes of the scenes used throughout: 32x32 canvases
# with one or two digits, 11 classes per pixel (background and the ten digits).

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
from keras import layers

N_CLASSES = 11  # background + the ten digits
CANVAS = 32
SCENE_OPTIONS = dict(canvas=CANVAS, max_digits=2, scale_range=(0.8, 1.1))

# %% [markdown]
# ## 1. Segmentation: a label for every pixel
#
# Classification gives one label per image, detection (notebook 06) one box and label per object.
# **Semantic segmentation** gives one label per *pixel*: the output has the image's height and
# width, and at each position a score for each class. Convnets for it started with fully
# convolutional networks (FCN: Long, Shelhamer and Darrell, 2015) on PASCAL VOC's everyday photos.
# U-Net (Ronneberger, Fischer and Brox, 2015), designed the same year for biomedical images with little
# training data, made it the standard in biomedicine, where on a chest X-ray or a brain MRI scan a
# doctor wants the exact outline of an organ or a tumour, not a box around it, and labelled scans are
# few; it is still the default architecture there.
#
# Our data: the digit scenes of notebook 06, made from real MNIST digits by
# `cu.scenes.make_scenes`, here on small 32x32 canvases with one or two digits each (a quarter of
# the pixels of a 64x64 canvas, so four times the training steps for the same CPU time). Each
# scene comes with a **label map**: 0 for background and 1 + digit on the pixels of a digit (so
# class 1 is the digit 0, class 10 the digit 9). Where two digits overlap, the later one is on top.
# Train, validation and test scenes use disjoint sets of source digits, so the test measures digits
# the network has never seen.

# %% alt="Two rows of six 32x32 images: on top six training scenes of white handwritten digits on black, below their label maps with the background black and each digit filled with its class colour, and under the grid a legend naming the colour of the background and of each digit 0 to 9."
n_train = cu.by_mode(full=12000, fast=96)
n_val = cu.by_mode(full=300, fast=32)
n_test = cu.by_mode(full=400, fast=32)
print(f"making {n_train:,} training scenes ...", flush=True)
start = time.perf_counter()
train = cu.scenes.make_scenes(n_train, split="train", seed=0, **SCENE_OPTIONS)
val = cu.scenes.make_scenes(n_val, split="val", seed=0, **SCENE_OPTIONS)
test = cu.scenes.make_scenes(n_test, split="test", seed=0, **SCENE_OPTIONS)
scene_seconds = time.perf_counter() - start
print(train, val, test, f"made in {scene_seconds:.1f} s", sep="\n")
cu.report("scene_seconds", scene_seconds, unit="s")
print("image batch", train.images.shape, train.images.dtype, "| label maps", train.masks.shape, train.masks.dtype)

# One colour per class: black for the background, and for the digits Paul Tol's "muted" palette,
# which colour-blind readers can still tell apart; a legend under each figure names the classes.
from matplotlib.patches import Patch

LABEL_HEX = ["#000000", "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
             "#882255", "#44AA99", "#999933", "#AA4499", "#DDDDDD"]
LABEL_COLOURS = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in LABEL_HEX], "float32")
CLASS_NAMES = ["background"] + [f"digit {d}" for d in range(10)]


def colour_labels(label_maps):
    """RGB pictures (..., H, W, 3) of integer label maps (..., H, W): each class in its colour."""
    return LABEL_COLOURS[np.asarray(label_maps)]


def add_label_legend(fig):
    """A legend under the figure: each class's colour and name."""
    handles = [Patch(facecolor=c, edgecolor="gray", label=n) for c, n in zip(LABEL_HEX, CLASS_NAMES)]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=6, fontsize=8, frameon=False)


pictures = np.concatenate([np.repeat(train.images[:6, ..., None], 3, axis=-1), colour_labels(train.masks[:6])])
add_label_legend(cu.plots.image_grid(pictures, ["scene"] * 6 + ["label map"] * 6, ncols=6, size=1.6))
plt.show()

# %% [markdown]
# The classes are far from balanced: most pixels are background. A model that answers
# "background" everywhere already has a high **pixel accuracy**, which is why we will also use
# per-class measures.

# %% alt="Bar chart on a log scale of the fraction of training pixels in each class: background, then the digits 0 to 9."
counts = np.bincount(train.masks.ravel(), minlength=N_CLASSES)
print(f"background pixels: {counts[0] / counts.sum():.1%} of all pixels")
cu.report("background_pixel_fraction", float(counts[0] / counts.sum()))
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.bar(range(N_CLASSES), counts / counts.sum())
ax.set_xticks(range(N_CLASSES), ["bg"] + [str(d) for d in range(10)])
ax.set_ylabel("fraction of pixels")
ax.set_yscale("log")
plt.show()


# %% [markdown]
# ## 2. Transposed convolution: learnable upsampling
#
# A convolution with stride 2 halves the image. To get back to full resolution, a segmentation
# network needs the opposite: an operation that makes the image *larger*, with learnable weights.
# The **transposed convolution** does this. Picture the ordinary convolution: each output value is a
# weighted sum of an $f \times f$ patch of the input. The transposed convolution runs the picture
# backwards: **each input value scales the whole kernel, and the scaled kernel is added into the
# output** at a position that moves $s$ pixels for each step in the input. Where the pasted kernels
# overlap, their values add up.
#
# With an $n \times n$ input, an $f \times f$ kernel and stride $s$, the pasted kernels cover
# $(n - 1)s + f$ pixels per side. Padding $p$ then *removes* $p$ rows and columns from each border
# (it is the padding of the convolution this operation is the transpose of), so
#
# $$ n_{out} = (n - 1)\,s - 2p + f . $$
#
# **Worked example.** Input $x = \begin{bmatrix} 2 & 1 \\ 3 & 2 \end{bmatrix}$, kernel
# $w = \begin{bmatrix} 1 & 2 & 1 \\ 2 & 0 & 1 \\ 0 & 2 & 1 \end{bmatrix}$, $s = 2$. The four scaled
# kernels $2w$, $1w$, $3w$, $2w$ land at the top-left corners (0, 0), (0, 2), (2, 0), (2, 2) of a
# $(2-1) \cdot 2 + 3 = 5$ pixel wide output; the middle row and column receive two or four
# contributions. For example the centre pixel is $2 \cdot 1 + 1 \cdot 0 + 3 \cdot 1 + 2 \cdot 1 = 7$.
# The whole result is
#
# $$ \begin{bmatrix} 2 & 4 & 3 & 2 & 1 \\ 4 & 0 & 4 & 0 & 1 \\ 3 & 10 & 7 & 6 & 3 \\ 6 & 0 & 7 & 0 & 2 \\ 0 & 6 & 3 & 4 & 2 \end{bmatrix}
# \qquad\text{and with } p = 1: \quad
# \begin{bmatrix} 0 & 4 & 0 \\ 10 & 7 & 6 \\ 0 & 7 & 0 \end{bmatrix}
# \quad ((2 - 1) \cdot 2 - 2 + 3 = 3). $$

# %% [markdown]
# ### Exercise 1 (3 points)
#
# Implement `conv_transpose_2d(x, w, stride, pad)` in NumPy for a batch of multi-channel images, in
# Keras' layout: `x` is `(m, n_H, n_W, n_C_prev)` and `w` is `(f, f, n_C, n_C_prev)`, the layout of
# a `Conv2DTranspose` kernel (output channels first, then input channels). For every example, every
# input position `(i, j)` and every input channel, add `x[i, j, c_prev] * w[:, :, c, c_prev]` into the
# output block whose top-left corner is `(i * stride, j * stride)`, for every output channel `c`.
# Then crop `pad` pixels from each border. Loops over the input positions are fine; `np.einsum` or
# `np.tensordot` can do the channel sums. The check runs your function on generated inputs and compares with outputs
# stored from the course's solution, which agree with Keras' `Conv2DTranspose`; it refuses an answer that calls Keras
# or another deep-learning library (or SciPy).

# %% nbgrader={"grade": false, "grade_id": "conv_transpose_2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_transpose_2d(x, w, stride=1, pad=0):
    """Transposed convolution (no bias) in NumPy, channels last.

    Args:
        x: input, shape (m, n_H, n_W, n_C_prev).
        w: kernel, shape (f, f, n_C, n_C_prev) (Keras Conv2DTranspose layout).
        stride: step s between the kernel placements in the output, s >= 1.
        pad: p rows/columns cropped from each border of the full output, p >= 0.

    Returns:
        out: shape (m, (n_H - 1) s - 2p + f, (n_W - 1) s - 2p + f, n_C), float64.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    m, n_H, n_W, _ = x.shape
    f, _, n_C, _ = w.shape
    full = np.zeros((m, (n_H - 1) * stride + f, (n_W - 1) * stride + f, n_C))
    for i in range(n_H):
        for j in range(n_W):
            # (m, c_prev) x (f, f, c, c_prev) -> (m, f, f, c)
            block = np.einsum("mp,abcp->mabc", x[:, i, j, :], w)
            full[:, i * stride:i * stride + f, j * stride:j * stride + f, :] += block
    if pad:
        full = full[:, pad:-pad, pad:-pad, :]
    return full
    ### END SOLUTION


# %% [markdown]
# Try it on the worked example. You should see the 5x5 matrix above for `pad=0`, and
# `[[0, 4, 0], [10, 7, 6], [0, 7, 0]]` for `pad=1`.

# %%
x_example = np.array([[2.0, 1.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
w_example = np.array([[1.0, 2.0, 1.0], [2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]).reshape(3, 3, 1, 1)
print(conv_transpose_2d(x_example, w_example, stride=2, pad=0)[0, :, :, 0])
print(conv_transpose_2d(x_example, w_example, stride=2, pad=1)[0, :, :, 0])

# %% nbgrader={"grade": true, "grade_id": "test_conv_transpose_2d", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check conv_transpose_2d on 22 generated cases, one mistake at a time first: a 1x1 input (the kernel scaled, not
# flipped), placements side by side (the stride), the worked example (overlaps sum) and its cropped version (pad), two
# input and three output channels (the kernel's layout), then non-square inputs, a batch, defaults left out, f=1 and
# f=4, stride 3 with pad 2, integer inputs, arguments by position, random cases. The expected outputs were computed
# once by the course's solution (they agree with keras.layers.Conv2DTranspose).
cu.checks.check_uses_none_of(conv_transpose_2d, cu.checks.LIBRARIES + ("layers",),
                              name="conv_transpose_2d is your own NumPy code",
                              hint="place x[i, j, c_prev] * w[:, :, c, c_prev] blocks with NumPy; Keras is the reference.")
cu.checks.check_cases(conv_transpose_2d, "conv_transpose_2d")
### BEGIN HIDDEN TESTS
def _keras_transpose(x, w, stride, pad):
    """Reference: Keras Conv2DTranspose (valid padding, no bias) with the same kernel, then the crop."""
    layer = layers.Conv2DTranspose(w.shape[2], w.shape[0], strides=stride, padding="valid", use_bias=False)
    layer.build(x.shape)
    layer.set_weights([w.astype("float32")])
    out = cu.to_numpy(layer(x.astype("float32")))
    return out[:, pad:out.shape[1] - pad, pad:out.shape[2] - pad, :]


rng = np.random.default_rng(7)
for (n, f, s, p, c_prev, c) in [(5, 3, 1, 0, 3, 2), (4, 3, 2, 1, 2, 4), (3, 4, 2, 1, 1, 1), (2, 5, 3, 2, 2, 2),
                                (6, 3, 3, 0, 1, 3), (1, 3, 2, 0, 2, 2)]:
    x_random = rng.normal(size=(3, n, n + 1, c_prev))
    w_random = rng.normal(size=(f, f, c, c_prev))
    expected = _keras_transpose(x_random, w_random, s, p)
    cu.checks.check_array(conv_transpose_2d(x_random, w_random, stride=s, pad=p), expected, atol=1e-4,
                           name=f"conv_transpose_2d on a {x_random.shape} input, f={f}, stride={s}, pad={p}",
                           hint="non-square inputs: use n_H and n_W separately.")
### END HIDDEN TESTS
cu.checks.passed("conv_transpose_2d", points=3)


# %% [markdown]
# ### Checkerboard artefacts
#
# When the kernel size is not a multiple of the stride, some output pixels receive more pasted
# kernels than others. Feed a constant input through a transposed convolution with a constant
# kernel ($f = 3$, $s = 2$): the output is not constant but a grid of stripes, the
# **checkerboard artefact** (Odena, Dumoulin and Olah, 2016). A trained network has to fight this
# pattern. A common alternative is to **upsample** (repeat each pixel, or interpolate) and then apply
# an ordinary convolution with 'same' padding: every output pixel then sees the same number of inputs.

# %% alt="Two heat maps with colour bars: on the left the output of a 3x3 transposed convolution with stride 2 on a constant 6x6 input, on the right the output of upsampling by 2 followed by a 3x3 convolution."
constant = np.ones((1, 6, 6, 1))
ones_kernel = np.ones((3, 3, 1, 1))
transposed = conv_transpose_2d(constant, ones_kernel, stride=2, pad=0)[0, :, :, 0]
upsampled = np.repeat(np.repeat(constant[0, :, :, 0], 2, axis=0), 2, axis=1)
smooth = keras.layers.Conv2D(1, 3, padding="same", use_bias=False, kernel_initializer="ones")
upsample_conv = cu.to_numpy(smooth(upsampled[None, :, :, None].astype("float32")))[0, :, :, 0]

fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
for ax, img, title in zip(axes, [transposed, upsample_conv],
                          ["transposed conv, f=3, s=2", "upsample x2 + 3x3 conv"]):
    shown = ax.imshow(img, cmap="viridis")
    ax.set_title(title, fontsize=10)
    ax.axis("off")
    fig.colorbar(shown, ax=ax, fraction=0.046)
plt.show()
print("interior values, transposed:", np.unique(transposed[2:-2, 2:-2]), "| upsample + conv:",
      np.unique(upsample_conv[1:-1, 1:-1]))


# %% [markdown]
# ## 3. U-Net
#
# U-Net has two halves, drawn as the two arms of a "U":
#
# - the **contracting path** (encoder): blocks of two 3x3 convolutions ('same' padding, ReLU, each
#   followed by batch normalisation) and a 2x2 max pooling. The height and width halve at each
#   block and the number of channels doubles: the network learns *what* is in the image and loses
#   *where*;
# - the **expanding path** (decoder): each block upsamples with a transposed convolution (stride 2),
#   **concatenates** the feature map of the same size saved from the contracting path (the skip
#   connection, which carries back the fine *where*), and applies two 3x3 convolutions (each
#   followed by batch normalisation);
# - a final **1x1 convolution** turns the channels of each pixel into one score per class.
#
# All convolutions use 'same' padding (so sizes only change at poolings and transposed convolutions,
# and the output has the input's size) and He-normal initialisation, which suits ReLU
# (notebook 02). The original paper used 'valid' convolutions and cropped the skip connections; with
# 'same' padding no cropping is needed.
#
# The 2015 paper had no batch normalisation (it came out the same year); today's U-Nets nearly all
# use it, and so do we: a `BatchNormalization` layer after every 3x3 convolution (notebook 03 showed
# what it computes). We measured what it is worth on these scenes: with 8 filters, 5 epochs and a
# constant learning rate, the test mean IoU (Section 5) was 0.61 without it and 0.77 with it; the
# network tells the digits apart after far fewer epochs. We put it *after* the ReLU, as many U-Net
# implementations do; the order of notebooks 03 and 05 (convolution without bias, batch
# normalisation, then ReLU) learned more slowly here (mean IoU 0.73 against 0.78 after 4 epochs of
# the same schedule). Both orders are in use, and notebook 03 discusses the choice; every U-Net block
# of this notebook uses convolution, ReLU, then batch normalisation.

# %% [markdown]
# ### Exercise 2 (2 points)
#
# Write `conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True)`: two `Conv2D(n_filters, 3)`
# layers with `activation="relu"`, `padding="same"` and `kernel_initializer="he_normal"`, each
# followed by a `BatchNormalization()` (so: conv, batch norm, conv, batch norm); then a
# `Dropout(dropout_prob)` layer if `dropout_prob > 0`; then, if `max_pooling`, a `MaxPooling2D(2)`.
# Return `(next_layer, skip_connection)`: `skip_connection` is the output before pooling, and
# `next_layer` the pooled output (or the same tensor as `skip_connection` when `max_pooling=False`).

# %% nbgrader={"grade": false, "grade_id": "conv_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
    """One block of the contracting path.

    Args:
        inputs: Keras tensor (batch, n_H, n_W, n_C_prev).
        n_filters: number of filters of both convolutions.
        dropout_prob: dropout rate after the convolutions (0: no Dropout layer).
        max_pooling: whether to end with a 2x2 max pooling.

    Returns:
        next_layer: (batch, n_H / 2, n_W / 2, n_filters) if max_pooling else (batch, n_H, n_W, n_filters).
        skip_connection: (batch, n_H, n_W, n_filters), the output before pooling.
    """
    ### BEGIN SOLUTION
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(inputs)
    conv = layers.BatchNormalization()(conv)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(conv)
    conv = layers.BatchNormalization()(conv)
    if dropout_prob > 0:
        conv = layers.Dropout(dropout_prob)(conv)
    skip_connection = conv
    next_layer = layers.MaxPooling2D(2)(conv) if max_pooling else conv
    return next_layer, skip_connection
    ### END SOLUTION


# %% [markdown]
# Try it: on a 32x32x3 input with 8 filters you should get `(None, 16, 16, 8)` and `(None, 32, 32, 8)`,
# and the block has $(3 \cdot 3 \cdot 3 + 1) \cdot 8 + (3 \cdot 3 \cdot 8 + 1) \cdot 8 + 2 \cdot 4 \cdot 8
# = 224 + 584 + 64 = 872$ parameters. A batch normalisation layer holds 4 numbers per channel: the
# learned scale $\gamma$ and shift $\beta$, and the moving mean and variance it uses at test time
# (`count_params` counts all four; only $\gamma$ and $\beta$ are trained by gradient descent).

# %%
block_input = keras.Input((32, 32, 3))
block_next, block_skip = conv_block(block_input, 8)
print(block_next.shape, block_skip.shape, keras.Model(block_input, [block_next, block_skip]).count_params())


# %% nbgrader={"grade": true, "grade_id": "test_conv_block", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check conv_block: it returns the pair (next_layer, skip_connection); 14 generated blocks (with and without pooling
# and dropout, inputs above 6, non-square and odd sizes, one image, 1 filter, arguments by position) get fixed weights
# (cu.checks.probe_block) and both outputs are compared with those stored from the course's solution, in inference
# and in training mode (inference only with dropout, which is random in training), with the parameter count; then its
# Dropout layer (its rate, none when dropout_prob is 0, and its place after the second batch norm) and the He-normal
# initialisers.
block_inputs = keras.Input((8, 8, 3))
block_outputs = conv_block(block_inputs, 4, dropout_prob=0.3)
cu.checks.check_true(isinstance(block_outputs, tuple) and len(block_outputs) == 2,
                      f"must return a tuple (next_layer, skip_connection), got {type(block_outputs).__name__}",
                      name="conv_block(8x8x3 input, 4, dropout_prob=0.3)", hint="return next_layer, skip_connection")
cu.checks.check_cases(conv_block, "conv_block")
block_layers = keras.Model(block_inputs, list(block_outputs)).layers
cu.checks.check_equal([float(l.rate) for l in block_layers if type(l).__name__ == "Dropout"], [0.3],
                       name="conv_block(..., dropout_prob=0.3): the rates of its Dropout layers",
                       hint="one Dropout(dropout_prob) layer when dropout_prob > 0.")
block_inputs = keras.Input((8, 8, 3))
cu.checks.check_equal([type(l).__name__ for l in keras.Model(block_inputs, list(conv_block(block_inputs, 4))).layers
                       if type(l).__name__ == "Dropout"], [], name="conv_block(..., dropout_prob=0): its Dropout layers",
                       hint="no Dropout layer when dropout_prob is 0 (if dropout_prob > 0: ...).")
cu.checks.check_equal([type(l).__name__ for l in block_layers if type(l).__name__ in ("BatchNormalization", "Dropout", "MaxPooling2D")],
                       ["BatchNormalization", "BatchNormalization", "Dropout", "MaxPooling2D"],
                       name="conv_block(..., dropout_prob=0.3): batch norms, dropout and pooling in order",
                       hint="conv, batch norm, conv, batch norm, then Dropout(dropout_prob), then MaxPooling2D(2).")
cu.checks.check_equal([type(l.kernel_initializer).__name__ for l in block_layers if type(l).__name__ == "Conv2D"],
                       ["HeNormal", "HeNormal"], name="conv_block: the initialisers of the two convolutions",
                       hint='Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")')
### BEGIN HIDDEN TESTS
def _block_kinds(*args, **kwargs):
    inputs = keras.Input((8, 8, 2))
    return [type(l).__name__ for l in keras.Model(inputs, list(conv_block(inputs, *args, **kwargs))).layers]


cu.checks.check_true("Dropout" not in _block_kinds(4), "with dropout_prob=0 there must be no Dropout layer",
                      name="conv_block(..., dropout_prob=0)")
cu.checks.check_true("MaxPooling2D" not in _block_kinds(4, 0.2, False), "with max_pooling=False there must be no pooling",
                      name="conv_block(..., max_pooling=False)")
### END HIDDEN TESTS
cu.checks.passed("conv_block", points=2)


# %% [markdown]
# ### Exercise 3 (2 points)
#
# Write `upsampling_block(expansive_input, contractive_input, n_filters)`: a
# `Conv2DTranspose(n_filters, 3, strides=2, padding="same")` on `expansive_input` (this doubles its
# height and width), a `Concatenate(axis=-1)` of the result with `contractive_input` (the skip
# connection), in that order (`[upsampled, contractive_input]`), then two `Conv2D(n_filters, 3)` layers
# with ReLU, 'same' padding and He-normal initialisation, each followed by a `BatchNormalization()` as
# in `conv_block`.

# %% nbgrader={"grade": false, "grade_id": "upsampling_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def upsampling_block(expansive_input, contractive_input, n_filters):
    """One block of the expanding path.

    Args:
        expansive_input: Keras tensor (batch, n_H, n_W, n_C_prev) from the block below.
        contractive_input: Keras tensor (batch, 2 n_H, 2 n_W, n_C_skip): the skip connection.
        n_filters: number of filters of the transposed convolution and of both convolutions.

    Returns:
        Keras tensor (batch, 2 n_H, 2 n_W, n_filters).
    """
    ### BEGIN SOLUTION
    up = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
    merge = layers.Concatenate(axis=-1)([up, contractive_input])
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(merge)
    conv = layers.BatchNormalization()(conv)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(conv)
    conv = layers.BatchNormalization()(conv)
    return conv
    ### END SOLUTION


# %% [markdown]
# Try it: from an 8x8x32 input and a 16x16x16 skip with 16 filters, the output is `(None, 16, 16, 16)`
# and the block has $(9 \cdot 32 + 1) \cdot 16 + (9 \cdot 32 + 1) \cdot 16 + (9 \cdot 16 + 1) \cdot 16
# + 2 \cdot 4 \cdot 16 = 4{,}624 + 4{,}624 + 2{,}320 + 128 = 11{,}696$ parameters (the first 3x3
# convolution sees 16 + 16 = 32 channels after the concatenation).

# %%
expansive, contractive = keras.Input((8, 8, 32)), keras.Input((16, 16, 16))
up_output = upsampling_block(expansive, contractive, 16)
print(up_output.shape, keras.Model([expansive, contractive], up_output).count_params())


# %% nbgrader={"grade": true, "grade_id": "test_upsampling_block", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check upsampling_block: 9 generated blocks (skips with other channels than n_filters, inputs above 6, a non-square
# input, one image, 1 filter, random sizes) get fixed weights (cu.checks.probe_block, with the two inputs) and their
# outputs and parameter counts are compared with those stored from the course's solution, in inference and in
# training mode; then the He-normal initialisers of its two 3x3 convolutions.
cu.checks.check_cases(upsampling_block, "upsampling_block")
up_expansive, up_contractive = keras.Input((2, 2, 4)), keras.Input((4, 4, 3))
up_layers = keras.Model([up_expansive, up_contractive], upsampling_block(up_expansive, up_contractive, 5)).layers
cu.checks.check_equal([type(l.kernel_initializer).__name__ for l in up_layers if type(l).__name__ == "Conv2D"],
                       ["HeNormal", "HeNormal"], name="upsampling_block: the initialisers of the two 3x3 convolutions",
                       hint='Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")')
### BEGIN HIDDEN TESTS
up_expansive, up_contractive = keras.Input((4, 6, 12)), keras.Input((8, 12, 5))
model = keras.Model([up_expansive, up_contractive], upsampling_block(up_expansive, up_contractive, 7))
cu.checks.check_shape(model.output, (None, 8, 12, 7), name="upsampling_block(4x6x12, 8x12x5, 7)")
expected = (9 * 12 * 7 + 7) + (9 * (7 + 5) * 7 + 7) + (9 * 7 * 7 + 7) + 2 * 4 * 7
cu.checks.check_equal(model.count_params(), expected, name="upsampling_block(4x6x12, 8x12x5, 7) parameters")
### END HIDDEN TESTS
cu.checks.passed("upsampling_block", points=2)


# %% [markdown]
# ### Exercise 4 (3 points)
#
# Assemble `build_unet(input_shape, n_classes, n_filters=16, dropout_prob=0.0)` from your two
# blocks, with $F$ = `n_filters` and $d$ = `dropout_prob`:
#
# | stage | block | output (for a 64x64 input) |
# |---|---|---|
# | c1 | `conv_block(inputs, F)` | next 32x32xF, skip 64x64xF |
# | c2 | `conv_block(c1 next, 2F)` | next 16x16x2F, skip 32x32x2F |
# | c3 | `conv_block(c2 next, 4F, dropout_prob=d)` | next 8x8x4F, skip 16x16x4F |
# | c4 (bottom) | `conv_block(c3 next, 8F, dropout_prob=d, max_pooling=False)` | 8x8x8F |
# | u5 | `upsampling_block(c4, c3 skip, 4F)` | 16x16x4F |
# | u6 | `upsampling_block(u5, c2 skip, 2F)` | 32x32x2F |
# | u7 | `upsampling_block(u6, c1 skip, F)` | 64x64xF |
# | out | `Conv2D(n_classes, 1, padding="same")` | 64x64x`n_classes` (logits, no activation) |
#
# Return a `keras.Model`. The height and width of the input must be multiples of 8. (The original
# U-Net puts dropout at the bottom; on our plentiful generated scenes it only slows training, so we
# train with `dropout_prob=0`, but the option is part of the exercise.)

# %% nbgrader={"grade": false, "grade_id": "build_unet", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
    """U-Net with three poolings, as in the table above.

    Args:
        input_shape: (n_H, n_W, n_C), n_H and n_W multiples of 8.
        n_classes: number of classes K.
        n_filters: filters F of the first block (doubling at each level down).
        dropout_prob: dropout rate in the blocks c3 and c4 (0: no Dropout layers).

    Returns:
        keras.Model mapping (batch, n_H, n_W, n_C) to logits (batch, n_H, n_W, K).
    """
    ### BEGIN SOLUTION
    inputs = keras.Input(input_shape)
    c1_next, c1_skip = conv_block(inputs, n_filters)
    c2_next, c2_skip = conv_block(c1_next, 2 * n_filters)
    c3_next, c3_skip = conv_block(c2_next, 4 * n_filters, dropout_prob=dropout_prob)
    c4, _ = conv_block(c3_next, 8 * n_filters, dropout_prob=dropout_prob, max_pooling=False)
    u5 = upsampling_block(c4, c3_skip, 4 * n_filters)
    u6 = upsampling_block(u5, c2_skip, 2 * n_filters)
    u7 = upsampling_block(u6, c1_skip, n_filters)
    outputs = layers.Conv2D(n_classes, 1, padding="same")(u7)
    return keras.Model(inputs, outputs, name="unet")
    ### END SOLUTION


# %% [markdown]
# Try it: print the shape of every stage. For `build_unet((64, 64, 1), 11, n_filters=8)` the model has
# 135,619 parameters (1,408 of them in the 14 batch normalisation layers).

# %%
unet_demo = build_unet((64, 64, 1), N_CLASSES, n_filters=8)
for layer in unet_demo.layers:
    if isinstance(layer, (layers.MaxPooling2D, layers.Conv2DTranspose, layers.Concatenate)) or layer is unet_demo.layers[-1]:
        print(f"{layer.name:<22} {type(layer).__name__:<16} -> {layer.output.shape}")
print("parameters:", unet_demo.count_params())


# %% nbgrader={"grade": true, "grade_id": "test_build_unet", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check build_unet: it builds and returns a keras.Model; 8 generated U-Nets (non-square inputs, several input channels
# and classes, inputs above 6, dropout, defaults left out, arguments by position) get fixed weights
# (cu.checks.probe_model) and their outputs on fixed images, output shapes and parameter counts are compared with
# those stored from the course's solution, in inference and in training mode (inference only with dropout); then its
# two Dropout layers must sit in c3 and c4 (the blocks at 1/4 and 1/8 of the input size).
unet_check = cu.checks.check_runs(lambda: build_unet((16, 16, 1), 3, n_filters=2, dropout_prob=0.3),
                                   name="build_unet((16, 16, 1), 3, n_filters=2, dropout_prob=0.3)",
                                   hint="each upsampling block gets the skip of the same size: u5 <- c3, u6 <- c2, "
                                        "u7 <- c1; the bottom block c4 has no pooling.")
cu.checks.check_true(isinstance(unet_check, keras.Model), f"must return a keras.Model, got {type(unet_check).__name__}",
                      name="build_unet((16, 16, 1), 3, n_filters=2, dropout_prob=0.3)", hint="return keras.Model(inputs, outputs)")
cu.checks.check_cases(build_unet, "build_unet")
cu.checks.check_equal(sorted((tuple(l.output.shape[1:]), float(l.rate)) for l in unet_check.layers if type(l).__name__ == "Dropout"),
                       [((2, 2, 16), 0.3), ((4, 4, 8), 0.3)],
                       name="build_unet((16, 16, 1), 3, n_filters=2, dropout_prob=0.3): (output shape, rate) of each Dropout layer",
                       hint="pass dropout_prob to c3 (4F filters, 1/4 of the size) and c4 (8F, 1/8) only, not to c1 and c2.")
### BEGIN HIDDEN TESTS
def _unet_params(c_in, n_classes, F):
    block = lambda c, f: (9 * c * f + f) + (9 * f * f + f) + 2 * 4 * f
    up = lambda c_exp, c_skip, f: (9 * c_exp * f + f) + (9 * (f + c_skip) * f + f) + (9 * f * f + f) + 2 * 4 * f
    return (block(c_in, F) + block(F, 2 * F) + block(2 * F, 4 * F) + block(4 * F, 8 * F)
            + up(8 * F, 4 * F, 4 * F) + up(4 * F, 2 * F, 2 * F) + up(2 * F, F, F) + (F * n_classes + n_classes))


model = cu.checks.check_runs(lambda: build_unet((32, 48, 3), 5, n_filters=4), name="build_unet((32, 48, 3), 5, 4)")
cu.checks.check_equal(model.count_params(), _unet_params(3, 5, 4), name="build_unet((32, 48, 3), 5, 4) parameters")
out = cu.to_numpy(model(np.zeros((2, 32, 48, 3), "float32")))
cu.checks.check_shape(out, (2, 32, 48, 5), name="build_unet(...) called on a batch")
### END HIDDEN TESTS
cu.checks.passed("build_unet", points=3)


# %% [markdown]
# ## 4. Measuring a segmentation
#
# **Pixel accuracy** is the fraction of pixels labelled correctly; with about 87 % background (Section
# 1) it flatters any model. Per class $k$, with $A_k$ the pixels the model labels $k$ and $B_k$ the pixels that
# truly are $k$:
#
# $$ \text{IoU}_k = \frac{|A_k \cap B_k|}{|A_k \cup B_k|}, \qquad
#    \text{Dice}_k = \frac{2\,|A_k \cap B_k|}{|A_k| + |B_k|} = \frac{2\,\text{IoU}_k}{1 + \text{IoU}_k}. $$
#
# **Mean IoU** averages $\text{IoU}_k$ over the classes. A class that appears neither in the truth nor
# in the prediction has $0/0$: it is *undefined*, not perfect and not a failure, so it must be left out
# of the mean. We mark it NaN and average with `np.nanmean`.
#
# Worked example (3 classes, 6 pixels): truth `[0, 0, 1, 1, 1, 0]`, prediction `[0, 1, 1, 1, 0, 0]`.
# Class 0: intersection 2 (pixels 0 and 5), union 4, IoU 0.5, Dice 4/6 = 0.667. Class 1: intersection 2,
# union 4, IoU 0.5, Dice 0.667. Class 2: absent from both, NaN.

# %% [markdown]
# ### Exercise 5 (3 points)
#
# Write `iou_per_class(y_true, y_pred, n_classes)` and `dice_coefficient(y_true, y_pred, n_classes)`.
# Both take integer label maps of the same shape (any shape: one map or a batch; count all pixels
# together) and return a float array of length `n_classes`, with `np.nan` for a class absent from both.

# %% nbgrader={"grade": false, "grade_id": "segmentation_metrics", "locked": false, "schema_version": 3, "solution": true, "task": false}
def iou_per_class(y_true, y_pred, n_classes):
    """Intersection over union for each class.

    Args:
        y_true, y_pred: integer label maps of the same shape, values in 0..n_classes-1.
        n_classes: number of classes K.

    Returns:
        float64 array (K,): |A_k & B_k| / |A_k | B_k|, NaN where class k is absent from both.
    """
    ### BEGIN SOLUTION
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    ious = np.full(n_classes, np.nan)
    for k in range(n_classes):
        truth, pred = y_true == k, y_pred == k
        union = np.sum(truth | pred)
        if union:
            ious[k] = np.sum(truth & pred) / union
    return ious
    ### END SOLUTION


def dice_coefficient(y_true, y_pred, n_classes):
    """Dice coefficient for each class.

    Args:
        y_true, y_pred: integer label maps of the same shape, values in 0..n_classes-1.
        n_classes: number of classes K.

    Returns:
        float64 array (K,): 2 |A_k & B_k| / (|A_k| + |B_k|), NaN where class k is absent from both.
    """
    ### BEGIN SOLUTION
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    dice = np.full(n_classes, np.nan)
    for k in range(n_classes):
        truth, pred = y_true == k, y_pred == k
        total = np.sum(truth) + np.sum(pred)
        if total:
            dice[k] = 2 * np.sum(truth & pred) / total
    return dice
    ### END SOLUTION


# %% [markdown]
# Try it: you should see `[0.5 0.5 nan]` and `[0.667 0.667 nan]`.

# %%
example_true = np.array([0, 0, 1, 1, 1, 0])
example_pred = np.array([0, 1, 1, 1, 0, 0])
print(np.round(iou_per_class(example_true, example_pred, 3), 3), np.round(dice_coefficient(example_true, example_pred, 3), 3))

# %% nbgrader={"grade": true, "grade_id": "test_segmentation_metrics", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check iou_per_class and dice_coefficient, each on 16 generated cases: the worked example, a class in the truth only
# (0), a class predicted but absent from the truth (0, not NaN), classes absent from both (NaN), a perfect prediction,
# batches of maps (all pixels counted together), 8-bit maps, one pixel, random maps; float arrays of length n_classes.
cu.checks.check_cases(iou_per_class, "iou_per_class")
cu.checks.check_cases(dice_coefficient, "dice_coefficient")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
batch_true = rng.integers(0, 4, size=(3, 9, 7))
batch_pred = np.where(rng.random((3, 9, 7)) < 0.7, batch_true, rng.integers(0, 4, size=(3, 9, 7)))
expected_iou = np.array([np.sum((batch_true == k) & (batch_pred == k)) / np.sum((batch_true == k) | (batch_pred == k))
                         for k in range(4)] + [np.nan])
cu.checks.check_array(iou_per_class(batch_true, batch_pred, 5), expected_iou, name="iou_per_class(a batch of maps)",
                       hint="count the pixels of all maps in the batch together.")
cu.checks.check_array(dice_coefficient(batch_true, batch_pred, 5), 2 * expected_iou / (1 + expected_iou),
                       name="dice_coefficient(a batch of maps)")
cu.checks.check_array(dice_coefficient(np.array([0, 0, 1]), np.array([0, 2, 1]), 3), [2 / 3, 1.0, 0.0],
                       name="dice_coefficient(class 2 predicted, absent from the truth)")
### END HIDDEN TESTS
cu.checks.passed("iou_per_class and dice_coefficient", points=3)


# %% [markdown]
# ## 5. Training with a per-pixel loss
#
# The network outputs, at every pixel, a score for each of the 11 classes. The basic loss is the
# ordinary **sparse categorical cross-entropy**, averaged over all pixels of all images: Keras applies
# it to the last axis, whatever the other dimensions. The targets are the integer label maps
# themselves (shape `(m, 32, 32)`), no one-hot encoding needed.
#
# **Class imbalance.** Averaged over pixels, the cross-entropy is dominated by the background (the
# bar chart above: most pixels), and each digit class is a few percent of the rest. A network trained
# on it alone first learns *where* the ink is, then sits for many epochs giving every ink pixel the
# same 1/10 for each digit before it starts telling the digits apart. Medical segmentation has the
# same problem (a small tumour in a large scan), and the usual fix comes from there: add a
# **soft Dice loss**, which scores each class by its own overlap, whatever its size. With $p_{ik}$ the
# predicted probability (softmax) of class $k$ at pixel $i$ and $y_{ik}$ its one-hot truth, summed over
# all pixels of the batch,
#
# $$ \text{soft Dice}_k = \frac{2 \sum_i p_{ik} y_{ik} + 1}{\sum_i p_{ik} + \sum_i y_{ik} + 1},
#    \qquad L = \text{CE} + \Big(1 - \frac{1}{K} \sum_k \text{soft Dice}_k\Big). $$
#
# It is the Dice coefficient of Section 4 with probabilities in place of hard labels, so it has a
# gradient; the $+1$ keeps a class that is absent from the batch (and not predicted) at 1 instead of
# $0/0$. Every class weighs $1/K$ in the mean, the ten rare digit classes as much as the background.
#
# **Worked example** (2 classes, 4 pixels): truth `[0, 0, 1, 1]`, predicted probability of class 1
# `[0.1, 0.2, 0.8, 0.6]` (so of class 0: `[0.9, 0.8, 0.2, 0.4]`). Class 1: $(2 \cdot 1.4 + 1) / (1.7 + 2 + 1)
# = 3.8 / 4.7 = 0.809$. Class 0: $(2 \cdot 1.7 + 1) / (2.3 + 2 + 1) = 4.4 / 5.3 = 0.830$. Dice term
# $1 - 0.819 = 0.181$; cross-entropy $-\frac{1}{4}(\ln 0.9 + \ln 0.8 + \ln 0.8 + \ln 0.6) = 0.266$;
# $L = 0.446$.

# %%
def ce_dice_loss(y_true, y_pred):
    """Per-pixel cross-entropy plus (1 - mean soft Dice over the classes); y_pred are logits."""
    y_true = keras.ops.cast(y_true, "int32")
    if len(y_true.shape) == len(y_pred.shape):  # labels given as (m, n_H, n_W, 1)
        y_true = keras.ops.squeeze(y_true, axis=-1)
    ce = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True))
    p = keras.ops.softmax(y_pred, axis=-1)
    y = keras.ops.one_hot(y_true, y_pred.shape[-1], dtype=p.dtype)
    pixel_axes = tuple(range(len(y_pred.shape) - 1))
    dice = (2 * keras.ops.sum(p * y, axis=pixel_axes) + 1) / (keras.ops.sum(p + y, axis=pixel_axes) + 1)
    return ce + (1 - keras.ops.mean(dice))


example_logits = np.log(np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.4, 0.6]], "float32"))
print("worked example, L =", round(float(cu.to_numpy(ce_dice_loss(np.array([0, 0, 1, 1]), example_logits))), 3))

# %% [markdown]
# We train a U-Net with $F = 12$ (303,647 parameters) for 5 epochs on 12,000 scenes (each seen
# only a few times, so the network learns digits rather than memorising scenes) with Adam and batches of 32. The learning rate starts at 0.002 and follows a **cosine**
# curve down to 5 % of that at the last step (`keras.optimizers.schedules.CosineDecay`): large
# steps while the network is far from a good solution, small ones at the end, where a constant rate
# would keep it jumping around one.
#
# The loss only stands in for what we care about. So after every epoch a small **callback** (Keras
# calls its `on_epoch_end` method) labels the validation scenes and computes the mean IoU over the
# digit classes with your `iou_per_class`; Keras prints it and keeps it in the history as
# `val_mean_iou`.

# %% alt="Training curves of the U-Net per epoch: loss, pixel accuracy and mean IoU over the digit classes, on the training and the validation scenes."
X_train, Y_train = train.images[..., None], train.masks.astype("int32")
X_val, Y_val = val.images[..., None], val.masks.astype("int32")
X_test, Y_test = test.images[..., None], test.masks.astype("int32")

N_FILTERS = cu.by_mode(full=12, fast=4)
EPOCHS = cu.by_mode(full=5, fast=1)
BATCH_SIZE = 32


def predict_labels(model, X):
    """Label maps (m, n_H, n_W): the class with the highest score at each pixel."""
    return np.argmax(cu.to_numpy(model.predict(X, batch_size=64, verbose=0)), axis=-1)


class ValidationMeanIoU(keras.callbacks.Callback):
    """After each epoch, add the mean IoU over the digit classes on the validation scenes to the logs."""

    def on_epoch_end(self, epoch, logs=None):
        ious = iou_per_class(Y_val, predict_labels(self.model, X_val), N_CLASSES)
        logs["val_mean_iou"] = float(np.nanmean(ious[1:]))


def compile_and_fit(model, label, epochs=EPOCHS):
    """Train with CE + Dice and Adam on a cosine schedule planned for EPOCHS epochs; stop after `epochs`."""
    steps = EPOCHS * int(np.ceil(len(X_train) / BATCH_SIZE))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=ce_dice_loss, metrics=["accuracy"])
    print(f"training {label}: {model.count_params():,} parameters, {epochs} of the {EPOCHS} epochs of the schedule")
    return model.fit(X_train, Y_train, validation_data=(X_val, Y_val), batch_size=BATCH_SIZE, epochs=epochs,
                     callbacks=[ValidationMeanIoU()], verbose=1)  # a progress bar per epoch


keras.utils.set_random_seed(cu.get_config().seed + 1)  # COURSE_SEED + 1; the network without skips gets the same
unet = build_unet((CANVAS, CANVAS, 1), N_CLASSES, n_filters=N_FILTERS)
start = time.perf_counter()
history_unet = compile_and_fit(unet, "U-Net")
# Validation images are run twice per epoch: Keras's validation loss and the mean-IoU callback.
unet_rate = cu.models.training_rate(unet, time.perf_counter() - start, train_samples=EPOCHS * len(X_train),
                                    eval_samples=2 * EPOCHS * len(X_val), input_shape=X_train.shape[1:])
print(f"arithmetic rate of the training: {unet_rate}")
cu.report("train_gflops", unet_rate.gflops)
cu.plots.training_curves(history_unet, ("loss", "accuracy", "mean_iou"), title="U-Net")
plt.show()


# %% [markdown]
# Now the test scenes: digits the network has never seen. We report the mean IoU over the ten digit
# classes (the background IoU is high for any model, so it is left out of that mean).

# %% alt="Bar chart of the IoU and the Dice coefficient of each class on the test scenes, background and the digits 0 to 9, on a scale from 0 to 1, with the legend beside the axes."
def evaluate(model, X, Y):
    predicted = predict_labels(model, X)
    ious = iou_per_class(Y, predicted, N_CLASSES)
    dice = dice_coefficient(Y, predicted, N_CLASSES)
    return predicted, {"pixel_accuracy": float(np.mean(predicted == Y)), "iou": ious, "dice": dice,
                       "mean_iou_digits": float(np.nanmean(ious[1:]))}


pred_unet, scores_unet = evaluate(unet, X_test, Y_test)
print(f"pixel accuracy {scores_unet['pixel_accuracy']:.4f} | mean IoU over digits {scores_unet['mean_iou_digits']:.3f}")
fig, ax = plt.subplots(figsize=(7, 2.8))
positions = np.arange(N_CLASSES)
ax.bar(positions - 0.2, scores_unet["iou"], width=0.4, label="IoU")
ax.bar(positions + 0.2, scores_unet["dice"], width=0.4, label="Dice")
ax.set_xticks(positions, ["bg"] + [str(d) for d in range(10)])
ax.set_ylim(0, 1)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes, never over a bar
ax.set_title("per-class scores on the test scenes")
plt.show()
cu.report("unet_mean_iou", scores_unet["mean_iou_digits"])
cu.report("unet_pixel_accuracy", scores_unet["pixel_accuracy"])


# %% [markdown]
# Predicted label maps next to the truth, and the test scenes the model found hardest (lowest
# per-scene mean IoU). Look at the kind of mistake: is the outline of a digit wrong, or is the
# outline right and the whole digit given the wrong class? Early in training, networks find *where*
# the digits are long before they learn *which* digit each one is.

# %% alt=["Four test scenes, each as three images side by side: the scene, the true label map and the U-Net's predicted label map, with a legend naming the class colours.", "The four test scenes with the lowest mean IoU, each as the scene, the true label map and the predicted label map, with a legend naming the class colours."]
def show_predictions(indices, title):
    rows = []
    for i in indices:
        rows += [np.repeat(X_test[i], 3, axis=-1), colour_labels(Y_test[i]), colour_labels(pred_unet[i])]
    labels = ["scene", "truth", "prediction"] * len(indices)
    add_label_legend(cu.plots.image_grid(np.stack(rows), labels, ncols=6, size=1.5, title=title))
    plt.show()


per_scene = np.array([np.nanmean(iou_per_class(Y_test[i], pred_unet[i], N_CLASSES)[1:]) for i in range(len(Y_test))])
show_predictions(range(4), "first test scenes")
show_predictions(np.argsort(per_scene)[:4], "hardest test scenes (lowest mean IoU)")


# %% [markdown]
# ## 6. What are the skip connections worth?
#
# Same network, same training, but the expanding path gets no skip connections: each upsampling
# block sees only what comes up from below. Everything the decoder knows about *where* an edge is
# must then pass through the 4x4 bottleneck (for our 32x32 scenes).
#
# To keep the notebook short we train it for only the first epochs of the *same* schedule (the same
# scenes, the same learning rate at every step) and compare the two networks epoch by epoch on the
# validation scenes, where both have had the same training. (Our runs, after two epochs: validation
# mean IoU about 0.75 with the skips, well under 0.6 without; the line below prints yours.)

# %% alt="Two line plots per epoch, for the U-Net and for the same network without skip connections: the validation mean IoU over the digits and the validation loss, with a dashed vertical line where the network without skips stops training."
def build_unet_without_skips(input_shape, n_classes, n_filters):
    """The U-Net of Exercise 4 with the concatenations removed (same layers otherwise)."""
    inputs = keras.Input(input_shape)
    x, _ = conv_block(inputs, n_filters)
    x, _ = conv_block(x, 2 * n_filters)
    x, _ = conv_block(x, 4 * n_filters)
    x, _ = conv_block(x, 8 * n_filters, max_pooling=False)
    for filters in (4 * n_filters, 2 * n_filters, n_filters):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same")(x)
        for _ in range(2):
            x = layers.Conv2D(filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(x)
            x = layers.BatchNormalization()(x)
    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(x), name="no_skips")


NO_SKIP_EPOCHS = cu.by_mode(full=2, fast=1)
keras.utils.set_random_seed(cu.get_config().seed + 1)  # the same seed as the U-Net's
no_skips = build_unet_without_skips((CANVAS, CANVAS, 1), N_CLASSES, N_FILTERS)
history_no_skips = compile_and_fit(no_skips, "without skips", epochs=NO_SKIP_EPOCHS)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for history, label in [(history_unet, "U-Net"), (history_no_skips, "no skips")]:
    for ax, key in zip(axes, ["val_mean_iou", "val_loss"]):
        ax.plot(np.arange(1, len(history.history[key]) + 1), history.history[key], "o-", ms=3, label=label)
for ax, ylabel in zip(axes, ["validation mean IoU (digits)", "validation loss"]):
    ax.axvline(NO_SKIP_EPOCHS, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()
plt.show()
unet_same_budget = history_unet.history["val_mean_iou"][NO_SKIP_EPOCHS - 1]
no_skip_same_budget = history_no_skips.history["val_mean_iou"][-1]
print(f"validation mean IoU after {NO_SKIP_EPOCHS} epochs: U-Net {unet_same_budget:.3f} "
      f"vs without skips {no_skip_same_budget:.3f}")
cu.report("unet_val_mean_iou_same_epochs", unet_same_budget)
cu.report("no_skip_val_mean_iou", no_skip_same_budget)

# %% [markdown]
# ## 7. A harder variant: noise and clutter
#
# Real images are not clean. The same generator can add fragments of other digits (clutter, which
# must be labelled background) and Gaussian pixel noise. How well does the U-Net trained on clean
# scenes do on them? (An exercise for you: train on the hard variant instead and compare.)

# %% alt="Four noisy, cluttered test scenes, each as three images side by side: the scene, the true label map and the predicted label map, with a legend naming the class colours."
hard = cu.scenes.make_scenes(n_test, split="test", seed=1, clutter=True, noise=0.15, **SCENE_OPTIONS)
pred_hard, scores_hard = evaluate(unet, hard.images[..., None], hard.masks.astype("int32"))
print(f"hard test scenes: mean IoU over digits {scores_hard['mean_iou_digits']:.3f} "
      f"(clean: {scores_unet['mean_iou_digits']:.3f})")
pictures = []
for i in range(4):
    pictures += [np.repeat(hard.images[i, ..., None], 3, axis=-1), colour_labels(hard.masks[i]),
                 colour_labels(pred_hard[i])]
add_label_legend(cu.plots.image_grid(np.stack(pictures), ["noisy scene", "truth", "prediction"] * 4, ncols=6, size=1.5))
plt.show()
cu.report("unet_mean_iou_hard", scores_hard["mean_iou_digits"])

# %% [markdown]
# ### Optional (online): Oxford-IIIT Pet masks
#
# The Keras example "Image segmentation with a U-Net-like architecture" trains on the Oxford-IIIT
# Pet dataset (7,390 photos of cats and dogs with 3-class masks: pet, background, border; about
# 800 MB). Set the flag to `True` on a machine with internet access to download it (once, into the
# Keras cache) and look at a few masks; the same `build_unet` trains on it with
# `input_shape=(128, 128, 3)` and `n_classes=3`. The tests skip this cell.

# %% alt="Grid of eight Oxford-IIIT Pet masks resized to 128x128, each pixel coloured by its class (pet, background or border), titled with the photo's file name."
USE_OXFORD_PETS = False
if USE_OXFORD_PETS:
    import pathlib

    from PIL import Image

    masks_dir = pathlib.Path(keras.utils.get_file(
        "annotations", "https://thor.robots.ox.ac.uk/datasets/pets/annotations.tar.gz", untar=True))
    trimaps = sorted(masks_dir.rglob("trimaps/[!._]*.png"))[:8]
    maps = np.stack([np.array(Image.open(p).resize((128, 128), Image.NEAREST)) - 1 for p in trimaps])
    cu.plots.image_grid(cu.plots.colorize_labels(maps.astype(int), 3, background=None), [p.stem for p in trimaps], ncols=4)
    plt.show()

# %% [markdown]
# ## Summary
#
# - Semantic segmentation labels every pixel; the loss is an ordinary cross-entropy averaged over pixels,
#   plus a soft Dice term so that small classes count as much as the background.
# - A transposed convolution pastes a scaled kernel for every input value and sums the overlaps; its
#   output size is $(n - 1)s - 2p + f$. Uneven overlaps make checkerboard artefacts; upsampling followed by a
#   convolution avoids them.
# - U-Net = contracting path (what) + expanding path (where) + skip connections that carry fine detail
#   across; 'same' padding and He initialisation keep it simple.
# - Judge a segmentation per class: IoU and Dice, with classes absent from both truth and prediction
#   left out of the mean. Watch the number you care about during training (a callback), not only
#   the loss.
# - Batch normalisation after every convolution and a cosine learning-rate schedule let a small
#   U-Net learn the digits in a few epochs on a CPU.
# - Section 6 measures what the skips are worth: with the same training, compare the two validation
#   curves of your run (the benchmark file records ours).
#
# **Next:** `08_face_recognition`.
#
# ## Further reading
# - O. Ronneberger, P. Fischer and T. Brox, *U-Net: Convolutional Networks for Biomedical Image
#   Segmentation*, MICCAI 2015, arXiv:1505.04597.
# - J. Long, E. Shelhamer and T. Darrell, *Fully Convolutional Networks for Semantic Segmentation*, CVPR 2015.
# - A. Odena, V. Dumoulin and C. Olah, *Deconvolution and Checkerboard Artifacts*, Distill 2016.
# - V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning*, arXiv:1603.07285.
# - Keras example: https://keras.io/examples/vision/oxford_pets_image_segmentation/
