# %% [markdown]
# # 01 · Convolution from scratch
#
# Build the two operations every convolutional network is made of, convolution and pooling, in plain
# NumPy, check them against Keras, and play with kernels on real photos.
#
# **What you will learn**
# - why a dense layer is the wrong tool for images, in numbers of parameters;
# - what a kernel does to a photo (blur, sharpen, emboss, edges), and that a convolution is an
#   element-wise multiply-and-sum (a cross-correlation, strictly speaking);
# - padding, stride, dilation and the output-size formula; multi-channel input, several filters, bias,
#   activation and the parameter count of a layer;
# - max, average and global average pooling, and where their gradients go (ties included);
# - to write `zero_pad`, `conv_single_step`, `conv_forward`, `pool_forward`, `conv_backward`,
#   `pool_backward` and a vectorised `conv_forward_fast`, and to check them against Keras and a
#   numerical gradient;
# - how much faster vectorised code is than Python loops.
#
# **Time:** about 100 minutes of reading and exercises. The computer's part, all cells in full mode, took 19 s with
# TensorFlow and 18 s with PyTorch in the course's benchmark on its reference machine (2 CPU cores, otherwise idle);
# a slower or busy machine takes longer.

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
from skimage import color, data

# %% [markdown]
# ## 1. Why not a dense layer?
#
# A dense (fully connected) layer connects every input number to every unit. A small 64x64 RGB image
# already has $64 \cdot 64 \cdot 3 = 12\,288$ numbers. A dense layer with 1000 units on it needs
#
# $$ 12\,288 \cdot 1000 + 1000 = 12\,289\,000 \text{ parameters (weights plus one bias per unit).} $$
#
# A convolutional layer with 10 filters of size 3x3 looks at 3x3 patches only, and uses the **same**
# filter at every position of the image. Each filter has $3 \cdot 3 \cdot 3 = 27$ weights (the filter
# has the depth of its input) plus one bias, so the layer has $10 \cdot 28 = 280$ parameters, whatever
# the size of the image: 64x64 or 1000x1000. Two ideas give this saving:
#
# - **parameter sharing**: a feature detector (say a vertical-edge detector) useful in one part of
#   the image is useful everywhere;
# - **sparse connections**: each output number depends on a small patch of the input only.

# %%
dense_params = 64 * 64 * 3 * 1000 + 1000
conv_params = 10 * (3 * 3 * 3 + 1)
print(f"dense layer, 1000 units on 64x64x3: {dense_params:,} parameters")
print(f"conv layer, 10 filters 3x3x3:       {conv_params:,} parameters")
dense = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Flatten(), keras.layers.Dense(1000)])
conv = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(10, 3)])
print("Keras agrees:", dense.count_params(), conv.count_params())

# %% [markdown]
# ## 2. Kernels as image filters
#
# A **kernel** (or filter) is a small grid of weights. Put it on top of the image, multiply each weight
# with the pixel under it and add the products: that is one output pixel. Slide the kernel one pixel
# and repeat. Note that this is an **element-wise** multiply-and-sum, not a matrix product.
#
# Classic kernels, long used in image processing before they were learned by networks:
#
# | name | kernel | effect |
# |---|---|---|
# | box blur | $\frac19$ ones(3, 3) | each pixel becomes the mean of its 3x3 neighbourhood |
# | sharpen | $[[0,-1,0],[-1,5,-1],[0,-1,0]]$ | the pixel minus its neighbours, added back: edges stand out |
# | emboss | $[[-2,-1,0],[-1,1,1],[0,1,2]]$ | a relief lit from one corner |
# | Sobel x | $[[-1,0,1],[-2,0,2],[-1,0,1]]$ | right minus left: **vertical** edges |
# | Scharr x | $[[-3,0,3],[-10,0,10],[-3,0,3]]$ | the same, with better rotational symmetry |
#
# The transposes (Sobel y, Scharr y) find **horizontal** edges, and the gradient magnitude
# $\sqrt{G_x^2 + G_y^2}$ finds edges in every direction. Below, we apply them with a library routine
# (`scipy.ndimage.correlate`); you will write your own in a moment.

# %% alt="Grid of eight grey images: the camera photo, then the same photo filtered with box blur, sharpen, emboss, Sobel x, Sobel y and Scharr x kernels, and the gradient magnitude of the two Sobel outputs."
from scipy import ndimage

presets = cu.widgets.kernel_presets()
photos = {"camera": data.camera() / 255.0, "coins": data.coins() / 255.0,
          "chelsea": color.rgb2gray(data.chelsea())}
cam = photos["camera"][::2, ::2]  # 256x256 keeps it quick
shown, titles = [cam], ["camera"]
for name in ["box blur", "sharpen", "emboss", "Sobel x (vertical edges)", "Sobel y (horizontal edges)",
             "Scharr x (vertical edges)"]:
    shown.append(ndimage.correlate(cam, presets[name], mode="constant"))
    titles.append(name.split(" (")[0])
gx = ndimage.correlate(cam, presets["Sobel x (vertical edges)"], mode="constant")
gy = ndimage.correlate(cam, presets["Sobel y (horizontal edges)"], mode="constant")
shown.append(np.hypot(gx, gy))
titles.append("gradient magnitude")
cu.plots.image_grid(np.stack(shown), titles, ncols=4, size=2.4)
plt.show()

# %% [markdown]
# Edges on the other photos: the Sobel gradient magnitude on coins and on the cat.

# %% alt="Four grey images in a row: the coins photo, its Sobel edge magnitude, the cat photo (chelsea) and its Sobel edge magnitude."
edges = []
for name in ["coins", "chelsea"]:
    img = photos[name][:300, :380]  # same size for the grid
    gx = ndimage.correlate(img, presets["Sobel x (vertical edges)"])
    gy = ndimage.correlate(img, presets["Sobel y (horizontal edges)"])
    edges += [img, np.hypot(gx, gy)]
cu.plots.image_grid(edges, ["coins", "coins: edges", "chelsea", "chelsea: edges"], ncols=4, size=2.4)
plt.show()

# %% [markdown]
# ### Cross-correlation or convolution?
#
# In mathematics, the **convolution** of an image $I$ with a kernel $K$ flips the kernel first:
# $(I * K)(i, j) = \sum_{u,v} I(i - u, j - v)\, K(u, v)$. Sliding the kernel *without* flipping it,
# $\sum_{u,v} I(i + u, j + v)\, K(u, v)$, is a **cross-correlation**. Deep-learning libraries
# (Keras, PyTorch, TensorFlow) compute the cross-correlation and call it "convolution": since the kernel
# is learned, a network would simply learn the flipped kernel, so the flip buys nothing. Flipping
# matters when a kernel is given, as with Sobel: the flipped Sobel x kernel gives the same edges with the
# opposite sign. In this course "convolution" means the cross-correlation, like the libraries.

# %%
patch = cam[100:140, 100:140]
k = presets["Sobel x (vertical edges)"]
corr = ndimage.correlate(patch, k)
true_conv = ndimage.convolve(patch, k)
print("convolve == correlate with the flipped kernel:",
      np.allclose(true_conv, ndimage.correlate(patch, k[::-1, ::-1])))
print("for Sobel x the flip only changes the sign:", np.allclose(true_conv, -corr))

# %% [markdown]
# ## 3. Worked examples you can check by hand
#
# **A 3x3 input and the Sobel kernel.** Input $[[3,2,1],[1,2,3],[1,1,1]]$, kernel
# $[[-1,0,1],[-2,0,2],[-1,0,1]]$. The kernel fits exactly once:
#
# $$ 3\cdot(-1) + 2\cdot 0 + 1\cdot 1 + 1\cdot(-2) + 2\cdot 0 + 3\cdot 2 + 1\cdot(-1) + 1\cdot 0 + 1\cdot 1
#    = -3 + 1 - 2 + 6 - 1 + 1 = 2. $$
#
# **A 5x5 input.** Input $I$ and kernel $K$:
#
# $$ I = \begin{bmatrix} 1&2&0&3&1\\ 1&0&0&2&2\\ 2&1&2&1&1\\ 0&0&1&0&0\\ 1&2&1&1&1 \end{bmatrix}, \qquad
#    K = \begin{bmatrix} -1&1&2\\ 1&1&0\\ -1&-2&0 \end{bmatrix} $$
#
# - **valid, stride 1** (no padding): $5 - 3 + 1 = 3$ positions per side. The top-left value is
#   $-1 + 2 + 0 + 1 + 0 + 0 - 2 - 2 + 0 = -2$, and the whole output is
#   $\begin{bmatrix} -2&-1&3\\ 2&5&8\\ -2&0&-1 \end{bmatrix}$.
# - **stride 2**: the kernel jumps two pixels: $\lfloor (5-3)/2 \rfloor + 1 = 2$ positions per side, the
#   corners of the previous result: $\begin{bmatrix} -2&3\\ -2&-1 \end{bmatrix}$.
# - **one ring of zero padding** ($p = 1$, "same"): $5 + 2 - 3 + 1 = 5$, the size is kept:
#
# $$ \begin{bmatrix} -1&2&2&-1&-2\\ 2&-2&-1&3&-1\\ 3&2&5&8&2\\ 2&-2&0&-1&-3\\ 1&5&4&1&2 \end{bmatrix} $$
#
#   The centre 3x3 is the valid result; the top-left value is now $0 + 0 + 0 + 0 + 1 + 0 + 0 - 2 + 0 = -1$
#   (the window is the corner of zeros plus $I_{0,0} = 1$, $I_{0,1} = 2$, $I_{1,0} = 1$, $I_{1,1} = 0$,
#   and $K_{1,2} = 0$ cancels the 2).
# - with the kernel **flipped** (a true convolution) the valid result would be
#   $\begin{bmatrix} -1&2&1\\ 2&2&-2\\ 0&0&-1 \end{bmatrix}$: a different answer, so the checks below
#   can tell the two apart.

# %%
I5 = np.array([[1, 2, 0, 3, 1], [1, 0, 0, 2, 2], [2, 1, 2, 1, 1], [0, 0, 1, 0, 0], [1, 2, 1, 1, 1]], dtype=float)
K3 = np.array([[-1, 1, 2], [1, 1, 0], [-1, -2, 0]], dtype=float)
print(ndimage.correlate(I5, K3, mode="constant")[1:-1, 1:-1])  # valid part of a zero-padded correlation


# %% [markdown]
# ## 4. Padding, stride and the output size
#
# Without padding every convolution shrinks the image by $f - 1$ pixels, and pixels at the border take
# part in fewer outputs than pixels in the middle. **Padding** adds $p$ rings of zeros around the image:
#
# - **valid**: $p = 0$, no padding;
# - **same**: $p = (f - 1)/2$ for odd $f$, so that (with stride 1) the output has the input's size
#   ($f = 3 \to p = 1$, $f = 5 \to p = 2$, $f = 7 \to p = 3$).
#
# The **stride** $s$ is how many pixels the kernel jumps. An $n \times n$ input, padded with $p$, through
# an $f \times f$ kernel with stride $s$ gives
#
# $$ n_{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1 $$
#
# Kernels need not be square: a 1x3 kernel on a 5x5 input gives a 5x3 output (the formula is applied to
# height and width separately). In a batch of images of shape $(m, n_H, n_W, n_C)$ (the Keras
# "channels-last" layout) padding is added to the height and width axes only, never to the batch axis
# $m$ or the channel axis $n_C$.

# %% [markdown]
# ### Exercise 1 (2 points)
#
# Write `zero_pad(X, pad)`: pad every image of the batch `X` with `pad` rings of zeros, on height and
# width only. Hint: `np.pad` takes one `(before, after)` pair per axis.

# %% nbgrader={"grade": false, "grade_id": "zero_pad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def zero_pad(X, pad):
    """Pad a batch of images with zeros around height and width.

    Args:
        X: array (m, n_H, n_W, n_C), a batch of m images.
        pad: int >= 0, the number of rings of zeros on each side.

    Returns:
        X_pad: array (m, n_H + 2*pad, n_W + 2*pad, n_C), X in the middle, zeros around it.
    """
    ### BEGIN SOLUTION
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    return X_pad
    ### END SOLUTION


# %% [markdown]
# Try it: a batch of 4 images 3x3 with 2 channels, padded by 2, should have shape `(4, 7, 7, 2)`, and the
# first image's first channel should show the 3x3 block of ones in the middle of zeros.

# %%
x = np.ones((4, 3, 3, 2))
x_pad = zero_pad(x, 2)
print(x_pad.shape)
print(x_pad[0, :, :, 0])

# %% nbgrader={"grade": true, "grade_id": "test_zero_pad", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check zero_pad on 16 generated cases: non-square images, pad 0 to 4, one or several images and channels,
# negative values, an 8-bit image. The expected outputs are stored in course_utils/cases/zero_pad.npz.
cu.checks.check_cases(zero_pad, "zero_pad")
### BEGIN HIDDEN TESTS
rng = cu.checks.rng(1)
x = rng.normal(size=(3, 4, 2, 5))
for pad in (0, 2, 3):
    got, (x_after, _) = cu.checks.call_on_copies(zero_pad, x, pad)
    expected = np.zeros((3, 4 + 2 * pad, 2 + 2 * pad, 5))
    expected[:, pad:pad + 4, pad:pad + 2, :] = x
    cu.checks.check_array(got, expected, name=f"zero_pad(x, {pad})", atol=0)
    cu.checks.check_array(x_after, x, name="zero_pad must not modify its input", atol=0)
### END HIDDEN TESTS
cu.checks.passed("zero_pad", points=2)


# %% [markdown]
# ## 5. One step of a convolution
#
# On an RGB image a kernel has the depth of its input: a 3x3 kernel on 3 channels is a 3x3x3 block of
# **27 numbers**, and one output value is the sum of all 27 products, plus a **bias** $b$ (one number per
# filter):
#
# $$ z = \sum_{i, j, c} a_{i,j,c} \, W_{i,j,c} + b $$
#
# ### Exercise 2 (2 points)
#
# Write `conv_single_step(a_slice, W, b)` for one position of one filter.

# %% nbgrader={"grade": false, "grade_id": "conv_single_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_single_step(a_slice, W, b):
    """One output value of one filter: element-wise product with a slice of the input, summed, plus bias.

    Args:
        a_slice: array (f_H, f_W, n_C_prev), the input patch under the filter.
        W: array (f_H, f_W, n_C_prev), the filter's weights.
        b: array (1, 1, 1) (or a number), the filter's bias.

    Returns:
        Z: a Python float (or NumPy scalar), sum(a_slice * W) + b.
    """
    ### BEGIN SOLUTION
    Z = np.sum(a_slice * W) + np.sum(b)
    return float(Z)
    ### END SOLUTION


# %% [markdown]
# Try it: the Sobel example of section 3 (with bias 0) should give `2.0`; with bias 1 it gives `3.0`.

# %%
a = np.array([[3, 2, 1], [1, 2, 3], [1, 1, 1]], dtype=float)[:, :, None]
sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[:, :, None]
print(conv_single_step(a, sobel, np.zeros((1, 1, 1))), conv_single_step(a, sobel, np.ones((1, 1, 1))))

# %% nbgrader={"grade": true, "grade_id": "test_conv_single_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check conv_single_step on 16 generated cases: the Sobel example, biases as arrays and as numbers, non-square
# slices with several channels, integer pixels, large values (expected outputs stored as data).
cu.checks.check_cases(conv_single_step, "conv_single_step")
### BEGIN HIDDEN TESTS
rng = cu.checks.rng(2)
for shape in [(3, 3, 4), (2, 5, 3), (1, 1, 7)]:
    a_s, w_s, b_s = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=(1, 1, 1))
    cu.checks.check_close(conv_single_step(a_s, w_s, b_s), float(np.sum(a_s * w_s) + b_s.item()),
                           name=f"conv_single_step(random {shape})", atol=1e-9,
                           hint="sum over all three axes, then add b.")
### END HIDDEN TESTS
cu.checks.passed("conv_single_step", points=2)


# %% [markdown]
# ## 6. The forward pass of a convolutional layer
#
# A layer has $n_C$ filters. Each filter gives one output channel, so the output of a batch has shape
# $(m, n_H, n_W, n_C)$: several filters give several output channels. Every output value is a
# `conv_single_step` on the slice of the (padded) input under the filter. After the convolution a layer
# usually applies an activation, e.g. $\text{ReLU}(Z) = \max(0, Z)$; we keep the activation separate.
#
# **Parameter count.** $n_C$ filters of size $f \times f \times n_{C,prev}$ have
# $n_C \cdot (f \cdot f \cdot n_{C,prev} + 1)$ parameters: 10 filters of 3x3x3 give $10 \cdot 28 = 280$.
#
# **Dilation.** A dilated (atrous) convolution takes steps of size $d$ *in the image* inside the kernel:
# the kernel's taps sit $d$ pixels apart, $\sum_{u,v} I(i + d u, j + d v) K(u, v)$. A 3x3 kernel with
# $d = 2$ covers a 5x5 area with 9 weights; in general it spans $d(f - 1) + 1$ pixels, and the formula
# becomes
#
# $$ n_{out} = \left\lfloor \frac{n + 2p - d(f - 1) - 1}{s} \right\rfloor + 1 $$
#
# For example the 5x5 input $I$ with the 3x3 kernel $K$ at $d = 2$ gives a single value, the kernel's taps
# on the pixels of rows and columns 0, 2, 4:
# $-1\cdot 1 + 1\cdot 0 + 2\cdot 1 + 1\cdot 2 + 1\cdot 2 + 0\cdot 1 - 1\cdot 1 - 2\cdot 1 + 0\cdot 1 = 2$.
#
# ### Exercise 3 (6 points)
#
# Write `conv_forward(A_prev, W, b, stride, pad, dilation=1)` with NumPy. Loops are fine here (you will
# vectorise in Exercise 7); you may use `zero_pad` and `conv_single_step`. The checks run your function on
# generated cases (non-square images and kernels, strides with padding, dilations, several channels) and
# compare with outputs stored with the course (computed once by its solution; the course's tests check them
# against Keras' `Conv2D`). The second check also refuses an answer that calls Keras, TensorFlow, PyTorch, JAX
# or SciPy (it reads which libraries your function, and the functions it calls, use). Steps:
#
# 1. compute $n_H$ and $n_W$ with the formula above (kernels may be non-square: $f_H \times f_W$);
# 2. pad `A_prev`;
# 3. loop over examples $i$, output rows $h$, output columns $w$ and filters $c$: the slice starts at row
#    $h \cdot s$ and column $w \cdot s$, and takes every $d$-th pixel:
#    `a_prev_pad[h*s : h*s + d*(f_H-1)+1 : d, w*s : w*s + d*(f_W-1)+1 : d, :]`;
# 4. return `Z` and `cache = (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})`
#    (exactly this, `conv_backward` uses it).

# %% nbgrader={"grade": false, "grade_id": "conv_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_forward(A_prev, W, b, stride, pad, dilation=1):
    """Forward pass of a convolutional layer (cross-correlation, like Keras), with loops.

    Args:
        A_prev: array (m, n_H_prev, n_W_prev, n_C_prev), the input batch.
        W: array (f_H, f_W, n_C_prev, n_C), n_C filters (f_H = f_W = f for a square kernel).
        b: array (1, 1, 1, n_C), one bias per filter.
        stride: int s >= 1.
        pad: int p >= 0, rings of zeros added around height and width.
        dilation: int d >= 1, the step between kernel taps in the image (1: an ordinary convolution).

    Returns:
        Z: array (m, n_H, n_W, n_C) with n_H = floor((n_H_prev + 2p - d(f_H - 1) - 1) / s) + 1,
            and n_W likewise with n_W_prev and f_W.
        cache: (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation}) for conv_backward.
    """
    ### BEGIN SOLUTION
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, _, n_C = W.shape
    span_H, span_W = dilation * (f_H - 1) + 1, dilation * (f_W - 1) + 1
    n_H = (n_H_prev + 2 * pad - span_H) // stride + 1
    n_W = (n_W_prev + 2 * pad - span_W) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            for w in range(n_W):
                horiz_start = w * stride
                a_slice = a_prev_pad[vert_start:vert_start + span_H:dilation,
                                     horiz_start:horiz_start + span_W:dilation, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice, W[:, :, :, c], b[:, :, :, c])
    cache = (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
    return Z, cache
    ### END SOLUTION


# %% [markdown]
# Try it on the 5x5 example of section 3 (one image, one channel, one filter, bias 0). Expected:
# valid stride 1 `[[-2,-1,3],[2,5,8],[-2,0,-1]]`; stride 2 `[[-2,3],[-2,-1]]`; padding 1 the 5x5 array of
# section 3 (top row `[-1,2,2,-1,-2]`); dilation 2 `[[2]]`.

# %%
A5 = I5[None, :, :, None]
W5 = K3[:, :, None, None]
b0 = np.zeros((1, 1, 1, 1))
for s, p, d in [(1, 0, 1), (2, 0, 1), (1, 1, 1), (1, 0, 2)]:
    Z, _ = conv_forward(A5, W5, b0, stride=s, pad=p, dilation=d)
    print(f"stride {s}, pad {p}, dilation {d}:\n{Z[0, :, :, 0]}")

# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_examples", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check that conv_forward reproduces the worked examples of section 3 (stride, padding, dilation, bias,
# 1x3 and 3x1 kernels) and returns the cache conv_backward needs.
cu.checks.check_cases(conv_forward, "conv_forward", group="examples")
A5 = np.array([[1, 2, 0, 3, 1], [1, 0, 0, 2, 2], [2, 1, 2, 1, 1], [0, 0, 1, 0, 0], [1, 2, 1, 1, 1]],
              dtype=float)[None, :, :, None]
W5, b0 = np.array([[-1, 1, 2], [1, 1, 0], [-1, -2, 0]], dtype=float)[:, :, None, None], np.zeros((1, 1, 1, 1))
_, returned_cache = conv_forward(A5, W5, b0, 2, 1, 1)
cu.checks.check_true(isinstance(returned_cache, tuple) and len(returned_cache) == 4
                      and returned_cache[3] == {"stride": 2, "pad": 1, "dilation": 1},
                      'cache must be (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})',
                      name="conv_forward cache", hint="return exactly the cache of step 4: conv_backward reads it.")
cu.checks.check_true(np.array_equal(cu.to_numpy(returned_cache[0]), A5),
                      "cache[0] must be the input A_prev (not padded)", name="conv_forward cache",
                      hint="keep the unpadded A_prev in the cache; conv_backward pads it again.")
### BEGIN HIDDEN TESTS
Z, _ = conv_forward(A5, W5, b0, stride=3, pad=1)
same = np.array([[-1, 2, 2, -1, -2], [2, -2, -1, 3, -1], [3, 2, 5, 8, 2], [2, -2, 0, -1, -3], [1, 5, 4, 1, 2]])
cu.checks.check_array(Z, same[None, ::3, ::3, None], name="conv_forward(5x5 example, stride=3, pad=1)",
                       hint="n_H = (5 + 2 - 3) // 3 + 1 = 2.")
Z, _ = conv_forward(A5, W5[1:, :2], b0, stride=2, pad=1)  # a non-square 2x2 corner, stride and padding
A5_pad = np.pad(A5[0, :, :, 0], 1)
expected = np.array([[np.sum(A5_pad[2 * i:2 * i + 2, 2 * j:2 * j + 2] * W5[1:, :2, 0, 0]) for j in range(3)] for i in range(3)])
cu.checks.check_array(Z, expected[None, :, :, None], name="conv_forward(5x5 example, 2x2 kernel, stride 2, pad 1)")
### END HIDDEN TESTS
cu.checks.passed("conv_forward on the hand examples", points=2)


# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_keras", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Check conv_forward on 24 generated cases: non-square images and kernels, strides 1 to 3 with padding 0 to 2,
# dilations 1 to 3, one or several images, channels and filters, integer pixels, arguments by position.
# The expected outputs were computed once by the course's solution (and agree with keras.layers.Conv2D).
cu.checks.check_uses_none_of(conv_forward, cu.checks.LIBRARIES + ("conv_forward_fast",), name="conv_forward is your own NumPy code",
                              hint="write the loops of the steps above; Keras is what the stored outputs were checked with.")
cu.checks.check_cases(conv_forward, "conv_forward", group="generated")
### BEGIN HIDDEN TESTS
def keras_conv2d(A_prev, W, b, stride, pad, dilation=1, padding="valid"):
    """Keras reference: explicit zero padding, then Conv2D with the given weights (stride 1 when dilated)."""
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0))).astype("float32")
    s = stride if dilation == 1 else 1  # TensorFlow refuses stride > 1 with dilation > 1: subsample instead
    layer = keras.layers.Conv2D(W.shape[-1], W.shape[:2], strides=s, padding=padding, dilation_rate=dilation)
    layer.build(A_pad.shape)
    layer.set_weights([W.astype("float32"), b.reshape(-1).astype("float32")])
    Z = keras.ops.convert_to_numpy(layer(A_pad))
    return Z if s == stride else Z[:, ::stride, ::stride, :]


rng = cu.checks.rng(3)
for (n_C_prev, n_C, f, s, p, d) in [(4, 1, 1, 1, 0, 1), (2, 2, 3, 2, 0, 1), (1, 3, 5, 1, 2, 1), (2, 2, 2, 1, 0, 3),
                                    (3, 2, 3, 2, 2, 2), (1, 1, 3, 3, 0, 1)]:
    A = rng.normal(size=(3, 9, 8, n_C_prev))
    W = rng.normal(size=(f, f, n_C_prev, n_C))
    b = rng.normal(size=(1, 1, 1, n_C))
    Z, _ = conv_forward(A, W, b, stride=s, pad=p, dilation=d)
    cu.checks.check_array(Z, keras_conv2d(A, W, b, s, p, d), atol=1e-4, rtol=1e-4,
                           name=f"conv_forward(A (3, 9, 8, {n_C_prev}), W ({f}, {f}, {n_C_prev}, {n_C}), stride={s}, pad={p}, dilation={d})")
A = rng.normal(size=(2, 6, 7, 2))
W = rng.normal(size=(2, 3, 2, 3))
b = rng.normal(size=(1, 1, 1, 3))
Z, _ = conv_forward(A, W, b, stride=2, pad=1)
cu.checks.check_array(Z, keras_conv2d(A, W, b, 2, 1), atol=1e-4, rtol=1e-4, name="conv_forward(2x3 kernel, stride 2, pad 1)")
### END HIDDEN TESTS
cu.checks.passed("conv_forward on generated cases", points=4)


# %% [markdown]
# ### Experiment: several filters, bias and activation on a photo
#
# One layer with 4 filters (Sobel x, Sobel y, sharpen, box blur) on the camera photo, then a ReLU. Each
# filter gives one output channel; the ReLU keeps only positive responses, so the Sobel channels keep
# edges of one polarity (dark to bright) only.

# %% alt="Grid of eight small feature maps of the camera photo: the top row the convolution outputs Z of the Sobel x, Sobel y, sharpen and box-blur filters, the bottom row the same maps after ReLU."
small = cam[::4, ::4]  # 64x64: the loop version is slow on big images
names = ["Sobel x (vertical edges)", "Sobel y (horizontal edges)", "sharpen", "box blur"]
W4 = np.stack([presets[n] for n in names], axis=-1)[:, :, None, :]  # (3, 3, 1, 4)
b4 = np.zeros((1, 1, 1, 4))
Z4, _ = conv_forward(small[None, :, :, None], W4, b4, stride=1, pad=1)
A4 = np.maximum(Z4, 0)  # ReLU
print("input", small[None, :, :, None].shape, "-> output", Z4.shape)
cu.plots.image_grid(np.concatenate([np.moveaxis(Z4[0], -1, 0), np.moveaxis(A4[0], -1, 0)]),
                    [f"Z: {n.split(' (')[0]}" for n in names] + [f"ReLU: {n.split(' (')[0]}" for n in names],
                    ncols=4, size=2.0)
plt.show()

# %% [markdown]
# ### Experiment: the receptive field of dilated convolutions
#
# Stack three 3x3 convolutions. With $d = 1$ each layer adds 2 pixels to the area an output pixel can
# see (its **receptive field**): 3, 5, 7. With dilations 1, 2, 4 it grows exponentially: 3, 7, 15, with
# the same number of weights. We measure it by sending a single bright pixel (an impulse) through the
# layers and looking at where the output is non-zero.

# %% alt="Two 21x21 grids side by side showing in blue the input pixels that reach the centre output after three 3x3 convolutions: on the left with dilations 1, 1, 1, on the right with dilations 1, 2, 4."
impulse = np.zeros((1, 21, 21, 1))
impulse[0, 10, 10, 0] = 1.0
ones3 = np.ones((3, 3, 1, 1))
fields = {}
for label, dilations in {"d = 1, 1, 1": (1, 1, 1), "d = 1, 2, 4": (1, 2, 4)}.items():
    out = impulse
    for d in dilations:
        out, _ = conv_forward(out, ones3, np.zeros((1, 1, 1, 1)), stride=1, pad=d, dilation=d)
    fields[label] = out[0, :, :, 0] > 0
    rows = np.flatnonzero(fields[label].any(axis=1))
    print(f"{label}: receptive field {rows[-1] - rows[0] + 1} x {rows[-1] - rows[0] + 1}")
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, (label, field) in zip(axes, fields.items()):
    ax.imshow(field, cmap="Blues")
    ax.set_title(label)
    ax.axis("off")
plt.show()


# %% [markdown]
# ## 7. Pooling
#
# A pooling layer slides an $f \times f$ window with stride $s$ (usually $f = s = 2$, no overlap) and
# keeps one number per window: the **max** or the **average**. It has **no parameters**, nothing to
# learn, and works on **each channel separately**: the depth does not change. Global average pooling
# averages each whole channel to one number.
#
# Worked example, $X = [[2,1,0,-1],[-3,8,2,5],[1,-1,3,4],[0,1,1,-2]]$ with $f = s = 2$:
#
# - max pooling: $\begin{bmatrix} 8&5\\ 1&4 \end{bmatrix}$ (e.g. top-left $\max(2, 1, -3, 8) = 8$);
# - average pooling: $\begin{bmatrix} 2&1.5\\ 0.25&1.5 \end{bmatrix}$ (top-left $(2 + 1 - 3 + 8)/4 = 2$);
# - global average pooling: $21 / 16 = 1.3125$.
#
# The output size follows the same formula with $p = 0$: $\lfloor (n - f)/s \rfloor + 1$.
#
# ### Exercise 4 (3 points)
#
# Write `pool_forward(A_prev, f, stride, mode="max")` with NumPy for `mode` `"max"` or `"average"`; any
# other `mode` raises `ValueError`. The check compares with outputs stored for generated cases (checked
# against Keras' pooling layers by the course's tests), so it refuses an answer that calls a deep-learning
# library or SciPy. Return the cache as the docstring says: the backward pass of pooling reads it.

# %% nbgrader={"grade": false, "grade_id": "pool_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pool_forward(A_prev, f, stride, mode="max"):
    """Forward pass of a pooling layer (each channel separately, no padding).

    Args:
        A_prev: array (m, n_H_prev, n_W_prev, n_C).
        f: int, the size of the square window.
        stride: int s >= 1.
        mode: "max" or "average".

    Returns:
        A: array (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f) / s) + 1, n_W likewise.
        cache: (A_prev, {"f": f, "stride": stride, "mode": mode}), what a backward pass would need.

    Raises:
        ValueError: if mode is neither "max" nor "average".
    """
    ### BEGIN SOLUTION
    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}')
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            A[:, h, w, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    cache = (A_prev, {"f": f, "stride": stride, "mode": mode})
    return A, cache
    ### END SOLUTION


# %% [markdown]
# Try it: on the worked example max pooling should print `[[8, 5], [1, 4]]` and average pooling
# `[[2, 1.5], [0.25, 1.5]]`.

# %%
X4 = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1, 1, -2]], dtype=float)[None, :, :, None]
for mode in ("max", "average"):
    P, _ = pool_forward(X4, f=2, stride=2, mode=mode)
    print(mode, P[0, :, :, 0].tolist())
print("global average:", X4.mean(axis=(1, 2)).ravel())

# %% nbgrader={"grade": true, "grade_id": "test_pool_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check pool_forward on 23 generated cases: the worked example, negative values, channels that differ,
# non-square images, overlapping windows and gaps, f = 1, integer values, the default mode (stored outputs).
cu.checks.check_uses_none_of(pool_forward, cu.checks.LIBRARIES, name="pool_forward is your own NumPy code",
                              hint="loop over the windows and take np.max or np.mean of each.")
cu.checks.check_cases(pool_forward, "pool_forward")
X4 = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1, 1, -2]], dtype=float)[None, :, :, None]
cu.checks.check_raises(lambda: pool_forward(X4, 2, 2, mode="median"), ValueError, name='pool_forward(mode="median")')
_, returned_cache = pool_forward(X4, 2, 3, mode="average")
cu.checks.check_true(isinstance(returned_cache, tuple) and len(returned_cache) == 2
                      and returned_cache[1] == {"f": 2, "stride": 3, "mode": "average"},
                      'cache must be (A_prev, {"f": f, "stride": stride, "mode": mode})', name="pool_forward cache",
                      hint="pool_backward reads the mode, f and stride from the cache.")
### BEGIN HIDDEN TESTS
def keras_pool(A_prev, f, stride, mode):
    layer = (keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D)(f, strides=stride)
    return keras.ops.convert_to_numpy(layer(A_prev.astype("float32")))


rng = cu.checks.rng(4)
A = rng.normal(size=(3, 9, 6, 5))
for f, s, mode in [(2, 3, "max"), (2, 1, "average"), (4, 4, "max"), (1, 1, "average"), (3, 3, "average")]:
    P, _ = pool_forward(A, f, s, mode=mode)
    cu.checks.check_array(P, keras_pool(A, f, s, mode), atol=1e-5, name=f'pool_forward(A (3, 9, 6, 5), f={f}, stride={s}, "{mode}")')
P, _ = pool_forward(A, 6, 1, mode="average")  # a window as large as the width: 4x1 output per channel
cu.checks.check_shape(P, (3, 4, 1, 5), name='pool_forward(A (3, 9, 6, 5), f=6, stride=1, "average")')
### END HIDDEN TESTS
cu.checks.passed("pool_forward", points=3)


# %% [markdown]
# ## 8. Backward pass: the gradients of a convolution
#
# Training needs the gradient of the loss $L$ with respect to the layer's input and parameters, given
# $dZ = \partial L / \partial Z$ (same shape as $Z$). Every output value
# $Z_{i,h,w,c} = \sum a_{\text{slice}} \cdot W_{:,:,:,c} + b_c$ used one slice of the padded input, so,
# summing over all positions $(i, h, w)$ and filters $c$:
#
# - $dA_{\text{prev,pad}}[i, \text{slice}] \mathrel{+}= W_{:,:,:,c} \cdot dZ_{i,h,w,c}$;
# - $dW_{:,:,:,c} \mathrel{+}= a_{\text{slice}} \cdot dZ_{i,h,w,c}$;
# - $db_c = \sum_{i,h,w} dZ_{i,h,w,c}$;
#
# and finally $dA_{\text{prev}}$ is $dA_{\text{prev,pad}}$ without the padding. The "slice" is the same one
# as in `conv_forward` (with stride and dilation).
#
# ### Exercise 5 (4 points)
#
# Write `conv_backward(dZ, cache)`. The check compares your gradients with gradients stored for generated
# cases (strides, padding, dilation, non-square kernels, several channels). The course's tests check those
# stored gradients against **numerical gradients**: $\partial L/\partial x \approx (L(x + h) - L(x - h)) / 2h$
# for every input number, where $L = \sum Z \cdot dZ$ (so that $\partial L / \partial Z = dZ$) and $Z$ comes
# from Keras. The check accepts a difference of $10^{-5}$ (relative and absolute), far above the rounding of
# a correct float64 answer; the "Try it" cell below measures your own error against centred differences on
# one case (well below $10^{-7}$ for a correct answer: $L$ is linear in each number, so the centred
# differences have no truncation error). Write the backward pass from the formulas above: the check refuses
# an answer that calls a deep-learning library, SciPy, or `conv_forward` / `conv_forward_fast` (a numerical
# gradient is a test, not a backward pass).

# %% nbgrader={"grade": false, "grade_id": "conv_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_backward(dZ, cache):
    """Backward pass of a convolutional layer.

    Args:
        dZ: array (m, n_H, n_W, n_C), gradient of the loss with respect to the output Z.
        cache: (A_prev, W, b, {"stride": s, "pad": p, "dilation": d}) as returned by conv_forward, with
            A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f_H, f_W, n_C_prev, n_C), b (1, 1, 1, n_C).

    Returns:
        dA_prev: array (m, n_H_prev, n_W_prev, n_C_prev), gradient with respect to A_prev.
        dW: array (f_H, f_W, n_C_prev, n_C), gradient with respect to W.
        db: array (1, 1, 1, n_C), gradient with respect to b.
    """
    ### BEGIN SOLUTION
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    dilation = hparameters.get("dilation", 1)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, _, n_C = W.shape
    _, n_H, n_W, _ = dZ.shape
    span_H, span_W = dilation * (f_H - 1) + 1, dilation * (f_W - 1) + 1
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dW = np.zeros(W.shape)
    db = np.sum(dZ, axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    for i in range(m):
        for h in range(n_H):
            rows = slice(h * stride, h * stride + span_H, dilation)
            for w in range(n_W):
                cols = slice(w * stride, w * stride + span_W, dilation)
                g = dZ[i, h, w, :]  # (n_C,)
                dA_prev_pad[i, rows, cols, :] += W @ g
                dW += A_prev_pad[i, rows, cols, :, None] * g
    dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db
    ### END SOLUTION


# %% [markdown]
# Try it: the gradients have the shapes of `A_prev`, `W` and `b`; with $dZ$ all ones, `db` is the number
# of output positions per filter, $m \cdot n_H \cdot n_W$ (here $2 \cdot 3 \cdot 3 = 18$). Then the same
# comparison as the check, with your `conv_forward` for $Z$: the largest relative error of each gradient
# against centred differences should be well below $10^{-7}$.

# %%
rng = np.random.default_rng(0)
A_try, W_try, b_try = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=(1, 1, 1, 4))
cache_try = (A_try, W_try, b_try, {"stride": 2, "pad": 1, "dilation": 1})
dZ_try = np.ones((2, 3, 3, 4))
dA_try, dW_try, db_try = conv_backward(dZ_try, cache_try)
print(dA_try.shape, dW_try.shape, db_try.ravel())


def centred_differences(x, h=1e-5):
    """(L(x + h) - L(x - h)) / 2h of L = sum(Z * dZ_try) for every number of x (A_try, W_try or b_try)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old, losses = x[idx], []
        for value in (old + h, old - h):
            x[idx] = value  # conv_forward reads A_try, W_try and b_try: change one number, then restore it
            losses.append(np.sum(conv_forward(A_try, W_try, b_try, stride=2, pad=1)[0] * dZ_try))
        x[idx] = old
        grad[idx] = (losses[0] - losses[1]) / (2 * h)
    return grad


try_errors = {}
for label, mine, x in [("dA_prev", dA_try, A_try), ("dW", dW_try, W_try), ("db", db_try, b_try)]:
    numerical = centred_differences(x)
    try_errors[label] = float(np.max(np.abs(mine - numerical) / np.maximum(1e-8, np.abs(mine) + np.abs(numerical))))
print("largest relative errors:", {label: f"{err:.1e}" for label, err in try_errors.items()})
cu.report("conv_backward_try_max_rel_error", max(try_errors.values()))


# %% nbgrader={"grade": true, "grade_id": "test_conv_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Check conv_backward on 18 generated cases (overlapping positions, padding, strides up to 3, dilations up to 3,
# non-square images and kernels, several images, channels and filters): dA_prev, dW and db are compared with
# gradients stored as data (computed once by the course's solution and checked against centred differences of
# Keras' convolution).
cu.checks.check_uses_none_of(conv_backward, cu.checks.LIBRARIES + ("conv_forward", "conv_forward_fast"),
                              name="conv_backward is your own NumPy code",
                              hint="use the cache and the three += formulas above; no new forward pass.")
cu.checks.check_cases(conv_backward, "conv_backward")
### BEGIN HIDDEN TESTS
def keras_forward(A, W, b, stride, pad, dilation):
    """Z from keras.ops.conv in float64; stride applied by subsampling (as TensorFlow refuses stride with dilation)."""
    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Z = keras.ops.convert_to_numpy(keras.ops.conv(A_pad, W, strides=1, padding="valid", dilation_rate=dilation))
    return Z[:, ::stride, ::stride, :] + b.reshape(1, 1, 1, -1)


def check_conv_backward(m, n, n_C_prev, n_C, f, stride, pad, dilation, seed):
    rng = cu.checks.rng(seed)
    A, W, b = rng.normal(size=(m, n, n, n_C_prev)), rng.normal(size=(f, f, n_C_prev, n_C)), rng.normal(size=(1, 1, 1, n_C))
    dZ = rng.normal(size=keras_forward(A, W, b, stride, pad, dilation).shape)
    what = f"conv_backward(A ({m}, {n}, {n}, {n_C_prev}), W ({f}, {f}, {n_C_prev}, {n_C}), stride={stride}, pad={pad}, dilation={dilation})"
    dA, dW, db = conv_backward(dZ, (A, W, b, {"stride": stride, "pad": pad, "dilation": dilation}))
    for label, mine, x in [("dA_prev", dA, A), ("dW", dW, W), ("db", db, b)]:
        numerical = cu.checks.numerical_gradient(lambda _: keras_forward(A, W, b, stride, pad, dilation), x, dZ, h=1e-4)
        err = cu.checks.rel_error(np.asarray(mine, dtype=float), numerical)
        cu.checks.check_true(err < 1e-5, f"{label}: relative error {err:.2e} against the numerical gradient", name=what)


check_conv_backward(2, 5, 2, 2, 2, stride=2, pad=2, dilation=1, seed=7)
check_conv_backward(1, 6, 2, 2, 2, stride=2, pad=1, dilation=3, seed=12)
check_conv_backward(1, 6, 1, 2, 2, stride=3, pad=1, dilation=2, seed=9)
### END HIDDEN TESTS
cu.checks.passed("conv_backward", points=4)


# %% [markdown]
# ### The backward pass of pooling
#
# Pooling has no parameters, so its backward pass has one thing to compute: $dA_{\text{prev}}$, given
# $dA = \partial L / \partial A$ (the shape of the pooled output). Each window sends the gradient of its
# one output back to the inputs that made it:
#
# - **max pooling**: the output *is* the largest input of the window. Nudging any other input a little
#   changes nothing, nudging the largest one by $\epsilon$ moves the output by $\epsilon$; so the whole
#   $dA_{i,h,w,c}$ goes to the position of the maximum, and the other inputs of the window get 0.
# - **average pooling**: every input counts for $1/f^2$ of the output, so each of the $f^2$ inputs of the
#   window gets $dA_{i,h,w,c} / f^2$.
# - Each channel separately, as in the forward pass. Where windows overlap (stride $< f$) an input belongs
#   to several windows and collects from each of them: add (`+=`), as in `conv_backward`. Rows and columns
#   that no window covers (when $(n - f)/s$ is not a whole number) get 0.
# - **Ties**: where the maximum appears twice in a window, the max is not differentiable. Any split of
#   $dA$ between the tied inputs that adds up to $dA$ is a valid choice (a *subgradient*); TensorFlow and
#   PyTorch both give it all to the first maximum in reading order (row by row), as `np.argmax` would.
#   Giving the whole $dA$ to *every* tied input is wrong: the window would pass back twice what it got.
#
# Worked example: the $4 \times 4$ input $X$ of section 7, $f = s = 2$, and $dA = [[1, 2], [3, 4]]$.
#
# - Max pooling. The maxima are 8 at (1, 1), 5 at (1, 3) and 4 at (2, 3), which get 1, 2 and 4. The
#   bottom-left window $[[1, -1], [0, 1]]$ has its maximum 1 twice, at (2, 0) and (3, 1): the first in
#   reading order, (2, 0), gets 3 (splitting it, 1.5 and 1.5, is also correct). Everything else is 0:
#   $$dX = \begin{bmatrix} 0&0&0&0\\ 0&1&0&2\\ 3&0&0&4\\ 0&0&0&0 \end{bmatrix}.$$
# - Average pooling: each window spreads its $dA$ over its four inputs, a quarter each:
#   $$dX = \begin{bmatrix} 0.25&0.25&0.5&0.5\\ 0.25&0.25&0.5&0.5\\ 0.75&0.75&1&1\\ 0.75&0.75&1&1 \end{bmatrix}.$$
#
# In both cases (and whenever the windows do not overlap) $dX$ adds up to what $dA$ adds up to, here 10.
#
# ### Exercise 6 (3 points)
#
# Write `pool_backward(dA, cache)` with NumPy, for the cache `pool_forward` returns (the mode is in it);
# any other mode raises `ValueError`. The check compares with gradients stored for generated inputs without
# ties, where the gradient is unique (the course's tests check them against numerical gradients of Keras'
# pooling), and on inputs with many ties it checks that every window passes its whole $dA$ to its maxima and
# nothing to the other inputs. Write it from the rules above: the check
# refuses an answer that calls a deep-learning library, SciPy or `pool_forward` (a numerical gradient is
# a test, not a backward pass).

# %% nbgrader={"grade": false, "grade_id": "pool_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pool_backward(dA, cache):
    """Backward pass of a pooling layer.

    Args:
        dA: array (m, n_H, n_W, n_C), gradient of the loss with respect to the pooled output.
        cache: (A_prev, {"f": f, "stride": s, "mode": "max" or "average"}) as returned by pool_forward,
            with A_prev (m, n_H_prev, n_W_prev, n_C).

    Returns:
        dA_prev: array (m, n_H_prev, n_W_prev, n_C), gradient with respect to A_prev.

    Raises:
        ValueError: if the mode is neither "max" nor "average".
    """
    ### BEGIN SOLUTION
    A_prev, hparameters = cache
    f, stride, mode = hparameters["f"], hparameters["stride"], hparameters["mode"]
    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}')
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    rows, channels = np.arange(m)[:, None], np.arange(n_C)[None, :]
    for h in range(n_H):
        for w in range(n_W):
            top, left = h * stride, w * stride
            if mode == "average":
                dA_prev[:, top:top + f, left:left + f, :] += dA[:, h, w, None, None, :] / (f * f)
                continue
            window = A_prev[:, top:top + f, left:left + f, :].reshape(m, f * f, n_C)
            first = np.argmax(window, axis=1)  # (m, n_C): the first maximum, row by row
            dA_prev[rows, top + first // f, left + first % f, channels] += dA[:, h, w, :]
    return dA_prev
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example above; then the same comparison as the check, with your `pool_forward` for
# the centred differences, on an input whose numbers are all different (no ties, so the gradient is
# unique). With windows that do not overlap, the gradient is only moved around: `dA_prev` adds up to
# what `dA` adds up to. The largest relative error should be below $10^{-8}$.

# %%
dA4 = np.array([[1, 2], [3, 4]], dtype=float)[None, :, :, None]
for mode in ("max", "average"):
    print(mode, pool_backward(dA4, (X4, {"f": 2, "stride": 2, "mode": mode}))[0, :, :, 0].tolist())
rng = np.random.default_rng(1)
A_pool, dA_pool = rng.permutation(216).reshape(2, 6, 6, 3) / 216, rng.normal(size=(2, 3, 3, 3))
pool_errors = {}
for mode in ("max", "average"):
    mine = pool_backward(dA_pool, (A_pool, {"f": 2, "stride": 2, "mode": mode}))
    numerical = np.zeros_like(A_pool)
    for idx in np.ndindex(A_pool.shape):
        old, losses = A_pool[idx], []
        for value in (old + 1e-4, old - 1e-4):
            A_pool[idx] = value  # change one number, pool, then restore it
            losses.append(np.sum(pool_forward(A_pool, 2, 2, mode=mode)[0] * dA_pool))
        A_pool[idx] = old
        numerical[idx] = (losses[0] - losses[1]) / 2e-4
    pool_errors[mode] = float(np.max(np.abs(mine - numerical) / np.maximum(1e-6, np.abs(mine) + np.abs(numerical))))
    print(f"{mode}: dA_prev adds up to {mine.sum():.6f} (dA to {dA_pool.sum():.6f}), "
          f"largest relative error {pool_errors[mode]:.1e}")
cu.report("pool_backward_try_max_rel_error", max(pool_errors.values()))

# %% nbgrader={"grade": true, "grade_id": "test_pool_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check pool_backward on 18 generated cases without ties (non-square inputs, overlapping windows, gaps,
# uncovered rows, several images and channels; stored gradients), then on inputs with many ties: every
# window must pass its whole dA to its maxima and nothing to the other inputs.
def check_ties(A, dA, f, name):
    """f = stride: every window passes its whole dA to its maxima, and nothing to its other inputs."""
    got = cu.to_numpy(pool_backward(dA, (A, {"f": f, "stride": f, "mode": "max"})))
    cu.checks.check_shape(got, A.shape, name=name)
    for h, w in np.ndindex(dA.shape[1:3]):
        cells = (slice(None), slice(h * f, h * f + f), slice(w * f, w * f + f), slice(None))
        window, grads = A[cells], got[cells]
        at_max = window == window.max(axis=(1, 2), keepdims=True)
        cu.checks.check_true(np.allclose(np.where(at_max, 0, grads), 0), f"window ({h}, {w}) sends gradient "
                             "to an input that is not its maximum", name=name, hint="only the maximum of a window "
                             "changes the output: the other inputs get 0 (compare with the max of the same channel).")
        passed_back, ties = grads.sum(axis=(1, 2)), at_max.sum(axis=(1, 2))
        if not np.allclose(passed_back, dA[:, h, w, :]):
            times = passed_back / np.where(dA[:, h, w, :] == 0, np.nan, dA[:, h, w, :])
            doubled = np.any((ties > 1) & np.isclose(times, ties))
            cu.checks.check_true(False, f"window ({h}, {w}) passes back {np.nanmax(times):.3g} times its dA"
                                 + (", as if each tied maximum got the whole dA" if doubled else ""), name=name,
                                 hint="where the maximum appears more than once, give dA to one of them (the first, "
                                      "as np.argmax does), or split it so that the window passes back exactly dA.")


X4 = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1, 1, -2]], dtype=float)[None, :, :, None]
dA4 = np.array([[1, 2], [3, 4]], dtype=float)[None, :, :, None]
cu.checks.check_raises(lambda: pool_backward(dA4, (X4, {"f": 2, "stride": 2, "mode": "median"})), ValueError,
                       name='pool_backward(mode="median")')
cu.checks.check_uses_none_of(pool_backward, cu.checks.LIBRARIES + ("pool_forward", "check_ties"),
                              name="pool_backward is your own NumPy code",
                              hint="loop over the windows of dA and add each one's gradient to its inputs.")
cu.checks.check_cases(pool_backward, "pool_backward")
check_ties(X4, dA4, 2, name='pool_backward(worked example, "max")')
rng = cu.checks.rng(6)
check_ties(rng.integers(0, 3, size=(2, 6, 6, 3)).astype(float), rng.normal(size=(2, 3, 3, 3)), 2,
           name='pool_backward(A with many ties (values 0, 1, 2), f=2, stride=2, "max")')
check_ties(rng.integers(0, 2, size=(1, 6, 9, 2)).astype(float), rng.normal(size=(1, 2, 3, 2)), 3,
           name='pool_backward(A with many ties (values 0, 1), f=3, stride=3, "max")')
### BEGIN HIDDEN TESTS
def pooled_loss_gradient(A, dA, f, stride, mode, h=1e-4):
    """Centred differences of L = sum(pool(A) * dA), pool from Keras in float64, for every number of A."""
    pool = keras.ops.max_pool if mode == "max" else keras.ops.average_pool
    copies = np.eye(A.size).reshape((A.size,) + A.shape)
    batches = [keras.ops.convert_to_tensor((A + sign * h * copies).reshape((-1,) + A.shape[1:]), dtype="float64")
               for sign in (1, -1)]
    losses = [np.sum(keras.ops.convert_to_numpy(pool(x, f, stride, "valid")).reshape((A.size,) + dA.shape) * dA,
                     axis=(1, 2, 3, 4)) for x in batches]
    return ((losses[0] - losses[1]) / (2 * h)).reshape(A.shape)


for shape, f, stride, mode, seed in [((2, 9, 7, 3), 2, 3, "max", 7), ((2, 9, 7, 3), 3, 3, "average", 8),
                                     ((1, 8, 8, 2), 4, 2, "max", 9), ((1, 5, 6, 4), 1, 1, "average", 10)]:
    rng = cu.checks.rng(seed)
    A = rng.permutation(np.prod(shape)).reshape(shape) / np.prod(shape)
    dA = rng.normal(size=(shape[0], (shape[1] - f) // stride + 1, (shape[2] - f) // stride + 1, shape[3]))
    got = pool_backward(dA, (A, {"f": f, "stride": stride, "mode": mode}))
    err = cu.checks.rel_error(got, pooled_loss_gradient(A, dA, f, stride, mode))
    cu.checks.check_true(err < 1e-5, f"relative error {err:.2e} against the numerical gradient",
                          name=f'pool_backward(A {shape}, f={f}, stride={stride}, "{mode}")')
rng = cu.checks.rng(11)
A_ties, dA_ties = rng.integers(0, 3, size=(2, 7, 7, 2)).astype(float), rng.normal(size=(2, 3, 3, 2))
got = pool_backward(dA_ties, (A_ties, {"f": 3, "stride": 2, "mode": "max"}))
cu.checks.check_true(np.isclose(np.sum(got), np.sum(dA_ties)), "with ties and overlapping windows, dA_prev must add "
                     f"up to what dA adds up to ({np.sum(dA_ties):.4f}), got {np.sum(got):.4f}",
                     name='pool_backward(A with ties, f=3, stride=2, "max")')
### END HIDDEN TESTS
cu.checks.passed("pool_backward", points=3)


# %% [markdown]
# ## 9. Vectorising: `conv_forward_fast`
#
# Python loops are slow: `conv_forward` makes one Python call per output number. The standard trick,
# **im2col**, collects every slice the filter visits into one big matrix, so that the whole convolution
# becomes a single matrix product, which NumPy hands to an optimised BLAS routine:
#
# 1. pad the input;
# 2. build an array of windows: `np.lib.stride_tricks.sliding_window_view(A_pad, (span_H, span_W), axis=(1, 2))`
#    has shape $(m, n_H', n_W', n_{C,prev}, \text{span}_H, \text{span}_W)$ *without copying* (it only
#    changes the strides); keep every $s$-th window and every $d$-th tap with slicing;
# 3. multiply-and-sum with the filters in one call (`np.einsum(..., optimize=True)` or `np.tensordot`),
#    then add the bias.
#
# ### Exercise 7 (3 points)
#
# Write `conv_forward_fast` with the same arguments and return values as `conv_forward`, **without Python
# loops over the output positions** (a loop over the $f \times f$ taps is fine). The check compares it with
# stored outputs, as in Exercise 3, and also counts the lines of Python your function runs (NumPy's own code is not counted): on
# 2 x 16 x 16 output positions it must be fewer than 300.

# %% nbgrader={"grade": false, "grade_id": "conv_forward_fast", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
    """Vectorised forward pass of a convolutional layer (no loops over output positions).

    Args:
        A_prev: array (m, n_H_prev, n_W_prev, n_C_prev).
        W: array (f_H, f_W, n_C_prev, n_C).
        b: array (1, 1, 1, n_C).
        stride: int s >= 1.
        pad: int p >= 0.
        dilation: int d >= 1.

    Returns:
        Z: array (m, n_H, n_W, n_C), the same as conv_forward (n_H = floor((n_H_prev + 2p - d(f_H - 1) - 1) / s) + 1).
        cache: (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation}).
    """
    ### BEGIN SOLUTION
    f_H, f_W, n_C_prev, n_C = W.shape
    span_H, span_W = dilation * (f_H - 1) + 1, dilation * (f_W - 1) + 1
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(A_pad, (span_H, span_W), axis=(1, 2))
    windows = windows[:, ::stride, ::stride, :, ::dilation, ::dilation]  # (m, n_H, n_W, n_C_prev, f_H, f_W)
    Z = np.tensordot(windows, W, axes=([4, 5, 3], [0, 1, 2])) + b.reshape(1, 1, 1, n_C)
    cache = (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
    return Z, cache
    ### END SOLUTION


# %% [markdown]
# Try it: on the 5x5 example with padding 1 the first row should be `[-1, 2, 2, -1, -2]`, as in section 3.

# %%
Z, _ = conv_forward_fast(A5, W5, b0, stride=1, pad=1)
print(Z[0, :, :, 0])

# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_fast", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check conv_forward_fast on 31 generated cases (the worked examples, then the kinds of Exercise 3's check, with
# other numbers), and that it runs no Python loop over the output positions.
cu.checks.check_uses_none_of(conv_forward_fast, cu.checks.LIBRARIES + ("conv_forward",), name="conv_forward_fast is your own NumPy code",
                              hint="sliding_window_view and one einsum / tensordot; no library convolution.")
cu.checks.check_cases(conv_forward_fast, "conv_forward_fast")
A5 = np.arange(25.0).reshape(1, 5, 5, 1)
_, returned_cache = conv_forward_fast(A5, np.ones((2, 3, 1, 1)), np.zeros((1, 1, 1, 1)), 1, 2, 2)
cu.checks.check_true(isinstance(returned_cache, tuple) and len(returned_cache) == 4
                      and returned_cache[3] == {"stride": 1, "pad": 2, "dilation": 2},
                      'cache must be (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})',
                      name="conv_forward_fast cache", hint="the same cache as conv_forward: conv_backward reads it.")


@cu.checks.in_student_kernel  # it traces your function, so it runs where your code runs
def python_lines_run(fn, *args):
    """Run fn(*args) and count the lines of Python it executes outside installed libraries (NumPy and co)."""
    import sys

    library = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith(library):
            return None  # do not count lines inside NumPy, Python's standard library, ...
        if event == "line":
            count[0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count[0]


rng = cu.checks.rng(10)
A = rng.normal(size=(2, 16, 16, 3))
W = rng.normal(size=(3, 3, 3, 4))
b = rng.normal(size=(1, 1, 1, 4))
lines = python_lines_run(conv_forward_fast, A, W, b, 1, 1)
cu.checks.check_true(lines < 300, f"ran {lines} lines of Python for 2 x 16 x 16 output positions (expected fewer than 300)",
                      name="conv_forward_fast is vectorised", hint="no Python loop over h and w: build all windows at once "
                      "(sliding_window_view) and use one einsum / tensordot.")
### BEGIN HIDDEN TESTS
def keras_conv2d(A_prev, W, b, stride, pad, dilation=1):
    """Keras reference: explicit zero padding, then Conv2D with the given weights (stride 1 when dilated)."""
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0))).astype("float32")
    s = stride if dilation == 1 else 1
    layer = keras.layers.Conv2D(W.shape[-1], W.shape[:2], strides=s, dilation_rate=dilation)
    layer.build(A_pad.shape)
    layer.set_weights([W.astype("float32"), b.reshape(-1).astype("float32")])
    Z = keras.ops.convert_to_numpy(layer(A_pad))
    return Z if s == stride else Z[:, ::stride, ::stride, :]


for (n_C_prev, n_C, f, s, p, d) in [(4, 1, 1, 1, 0, 1), (1, 3, 5, 1, 2, 1), (2, 2, 2, 1, 0, 3), (3, 2, 3, 2, 2, 2)]:
    A = rng.normal(size=(3, 9, 8, n_C_prev))
    W = rng.normal(size=(f, f, n_C_prev, n_C))
    b = rng.normal(size=(1, 1, 1, n_C))
    Z, _ = conv_forward_fast(A, W, b, stride=s, pad=p, dilation=d)
    cu.checks.check_array(Z, keras_conv2d(A, W, b, s, p, d), atol=1e-4, rtol=1e-4,
                           name=f"conv_forward_fast(A (3, 9, 8, {n_C_prev}), W ({f}, {f}, {n_C_prev}, {n_C}), stride={s}, pad={p}, dilation={d})")
A = rng.normal(size=(2, 6, 7, 2))
W = rng.normal(size=(2, 3, 2, 3))
b = rng.normal(size=(1, 1, 1, 3))
Z, _ = conv_forward_fast(A, W, b, stride=2, pad=1)
cu.checks.check_array(Z, keras_conv2d(A, W, b, 2, 1), atol=1e-4, rtol=1e-4, name="conv_forward_fast(2x3 kernel, stride 2, pad 1)")
### END HIDDEN TESTS
cu.checks.passed("conv_forward_fast", points=3)


# %% [markdown]
# ### Experiment: how much faster?
#
# One batch of 32x32 RGB images through 8 filters of 3x3 with "same" padding: your loop version, your
# vectorised version and Keras' `Conv2D`. Keras runs an optimised compiled kernel (oneDNN on the CPU
# for TensorFlow, ATen for PyTorch), but every call also pays a fixed cost (the layer's checks, the
# conversion back to NumPy), and on a batch this small that cost is a large part of its time: your
# vectorised NumPy version and Keras come out within a small factor of each other (a few times at most),
# and which one wins depends on the backend and the machine: read the bars. Both are hundreds of times
# faster than the loops. What Keras gives you besides speed is the backward pass and a GPU when there is one.

# %% alt="Bar chart on a log scale of the time per batch of three convolutions: conv_forward with loops, conv_forward_fast with im2col, and Keras Conv2D, for 16 images of 32x32x3 and eight 3x3 filters."
m_bench = cu.by_mode(full=16, fast=2)
rng = np.random.default_rng(0)
A_bench = rng.normal(size=(m_bench, 32, 32, 3))
W_bench = rng.normal(size=(3, 3, 3, 8)) * 0.1
b_bench = rng.normal(size=(1, 1, 1, 8))


def best_time(fn, repeats):
    """Smallest wall time of `repeats` calls, in seconds (the least disturbed run)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


t_loop, (Z_loop, _) = best_time(lambda: conv_forward(A_bench, W_bench, b_bench, 1, 1), repeats=1)
t_fast, (Z_fast, _) = best_time(lambda: conv_forward_fast(A_bench, W_bench, b_bench, 1, 1), repeats=5)
layer = keras.layers.Conv2D(8, 3, padding="same")
layer.build(A_bench.shape)
layer.set_weights([W_bench.astype("float32"), b_bench.ravel().astype("float32")])
A32 = A_bench.astype("float32")
layer(A32)  # warm-up
t_keras, Z_keras = best_time(lambda: keras.ops.convert_to_numpy(layer(A32)), repeats=5)
max_diff = float(np.max(np.abs(Z_fast - Z_loop)))
print(f"m = {m_bench}: loop {t_loop * 1e3:.1f} ms, fast {t_fast * 1e3:.2f} ms, Keras {t_keras * 1e3:.2f} ms")
print(f"max |fast - loop| = {max_diff:.2e}, max |Keras - loop| = {np.max(np.abs(Z_keras - Z_loop)):.2e} (float32)")
cu.report("conv_loop_ms", t_loop * 1e3, unit="ms")
cu.report("conv_fast_ms", t_fast * 1e3, unit="ms")
cu.report("keras_conv_ms", t_keras * 1e3, unit="ms")
cu.report("conv_fast_speedup", t_loop / t_fast, unit="x")
cu.report("conv_fast_max_abs_diff", max_diff)

fig, ax = plt.subplots(figsize=(5, 3))
labels = ["conv_forward\n(loops)", "conv_forward_fast\n(im2col)", f"Keras Conv2D\n({keras.backend.backend()})"]
ax.bar(labels, [t_loop * 1e3, t_fast * 1e3, t_keras * 1e3], color=["tab:red", "tab:blue", "tab:green"])
ax.set_yscale("log")
ax.set_ylabel("time per batch (ms, log scale)")
ax.set_title(f"{m_bench} images 32x32x3, 8 filters 3x3")
plt.show()

# %% [markdown]
# ## 10. The same operations in Keras
#
# | NumPy (yours) | Keras |
# |---|---|
# | `conv_forward(A, W, b, stride=s, pad=p, dilation=d)` | `layers.Conv2D(n_C, f, strides=s, padding="valid" or "same", dilation_rate=d)` |
# | `pool_forward(A, f, s, "max")` | `layers.MaxPooling2D(f, strides=s)` |
# | `pool_forward(A, f, s, "average")` | `layers.AveragePooling2D(f, strides=s)` |
# | `A.mean(axis=(1, 2))` | `layers.GlobalAveragePooling2D()` |
#
# Keras' `padding="same"` pads so that the output size is $\lceil n / s \rceil$; with stride 1 and odd $f$
# that is your $p = (f - 1)/2$. Keras stores the kernel as $(f_H, f_W, n_{C,prev}, n_C)$, the same layout
# as your `W`, and a layer's weights can be read and set with `get_weights` / `set_weights`.
# PyTorch uses the channels-first layout instead: input $(m, n_C, n_H, n_W)$ and weight
# $(n_C, n_{C,prev}, f_H, f_W)$.

# %%
X4 = np.array([[2, 1, 0, -1], [-3, 8, 2, 5], [1, -1, 3, 4], [0, 1, 1, -2]], dtype="float32")[None, :, :, None]
for layer in [keras.layers.MaxPooling2D(2), keras.layers.AveragePooling2D(2), keras.layers.GlobalAveragePooling2D()]:
    print(f"{layer.__class__.__name__:>24}:", keras.ops.convert_to_numpy(layer(X4)).squeeze().tolist(),
          "| parameters:", layer.count_params())

model = keras.Sequential([
    keras.Input((64, 64, 3)),
    keras.layers.Conv2D(10, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(16, 3, dilation_rate=2, activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
])
model.summary()

# %% [markdown]
# And the native PyTorch call, for comparison (channels first; `torch.nn.functional.conv2d` is also a
# cross-correlation). It matches your `conv_forward_fast` on the benchmark batch:

# %%
import torch

with torch.no_grad():
    Z_torch = torch.nn.functional.conv2d(torch.from_numpy(A_bench).permute(0, 3, 1, 2),
                                         torch.from_numpy(W_bench).permute(3, 2, 0, 1),
                                         torch.from_numpy(b_bench.ravel()), stride=1, padding=1)
print("max |torch - fast| =", float(np.max(np.abs(Z_torch.permute(0, 2, 3, 1).numpy() - Z_fast))))

# %% [markdown]
# ## 11. Playground
#
# Pick a photo and a kernel (or choose "typed" and type one, rows separated by `;`), and change stride,
# padding and dilation. The line under the controls gives the output size and the output-size formula
# with the numbers filled in; the picture shows the input, the kernel and the output (computed by
# **your** `conv_forward_fast`). Things to try:
#
# - stride 2 or 3: the output shrinks, and thin edges can vanish between the samples;
# - padding 4 with a box blur: a dark frame appears (the zeros are averaged in);
# - dilation 4 with Sobel: the edges double, because the taps are now far apart;
# - typed `1 1 1 1 1` (a 1x5 kernel): the output is narrower than it is tall.

# %% alt="The kernel playground's first view: a grey photo, the 3x3 kernel applied to it, and the filtered output, with a caption giving the output size from the formula."
playground = cu.widgets.kernel_playground(conv_fn=conv_forward_fast, size=cu.by_mode(full=256, fast=96))

# %% [markdown]
# ## Summary
#
# - A convolutional layer shares one small filter across the whole image: 10 filters of 3x3x3 have 280
#   parameters, where a dense layer on a 64x64x3 image has millions.
# - A "convolution" in deep learning is an element-wise multiply-and-sum of the kernel with each patch
#   (a cross-correlation: no flip), plus a bias, usually followed by an activation.
# - $n_{out} = \lfloor (n + 2p - d(f-1) - 1)/s \rfloor + 1$; "same" padding is $p = (f-1)/2$; padding
#   touches height and width only.
# - A filter has the depth of its input; $n_C$ filters give $n_C$ output channels.
# - Dilation widens the receptive field without adding weights.
# - Pooling (max, average, global average) has no parameters and works per channel.
# - The backward pass adds each output gradient back onto the slice that produced it; a numerical
#   gradient check catches mistakes.
# - Max pooling sends each window's gradient to its maximum (one of them, where there are ties), average
#   pooling spreads it evenly over the $f^2$ inputs; overlapping windows add up.
# - Vectorising (im2col) replaces many Python calls by one matrix product: orders of magnitude faster.
#
# **Next:** `02_lenet_mnist`, where these layers are trained.
#
# ## Further reading
# - V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning* (2016), arXiv:1603.07285.
# - F. Yu and V. Koltun, *Multi-scale context aggregation by dilated convolutions* (ICLR 2016), arXiv:1511.07122.
# - CS231n notes, *Convolutional Neural Networks*: https://cs231n.github.io/convolutional-networks/
# - K. Chellapilla, S. Puri and P. Simard, *High performance convolutional neural networks for document
#   processing* (2006): the im2col idea.
# - Keras API: https://keras.io/api/layers/convolution_layers/convolution2d/ and
#   https://keras.io/api/layers/pooling_layers/
# - V. Powell, *Image kernels explained visually*: https://setosa.io/ev/image-kernels/
