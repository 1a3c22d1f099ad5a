# %% [markdown]
# # 05 · CNN architectures
#
# The ideas behind the networks everybody reuses: VGG, ResNet, 1x1 convolutions, Inception,
# MobileNet and EfficientNet, and how to count what each one costs.
#
# **What you will learn**
# - the trend of the classic networks (LeNet-5, AlexNet, VGG-16): images shrink, channels grow,
#   parameters explode;
# - why very deep *plain* networks train worse than shallower ones, and how **residual (skip)
#   connections** fix it; you build ResNet-50's identity and convolutional (projection) blocks;
# - what a **1x1 convolution** does and why it makes the **Inception** module affordable; you build one;
# - **depthwise separable convolutions** (MobileNet): you compute their cost, reproduce a table of
#   the MobileNet paper, build the block, and weigh the width and resolution knobs against the
#   paper's accuracies;
# - how to count parameters and multiply-adds of any Keras model with `cu.models.profile`;
# - EfficientNet's compound scaling, and where the course's pretrained EfficientNet-Lite0 fits.
#
# **Time:** about 75 minutes of reading and exercises. The computer's part, all cells in full mode, took about a
# minute (62 s with TensorFlow, 46 s with PyTorch) in the course's benchmark on its reference machine (2 CPU cores,
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
from keras import layers

# %% [markdown]
# ## Counting the cost of a network
#
# Two numbers describe what a network costs:
#
# - **parameters**: the weights it stores (memory, download size, and how much data it needs);
# - **multiply-adds** (mult-adds, MACs): the multiplications, each followed by an addition, that one
#   forward pass of **one** image needs (time and energy). FLOPs are about twice the mult-adds.
#
# For a convolution with an $f \times f$ filter, $n_C$ input channels and $n_C'$ filters,
#
# $$ \text{params} = f \cdot f \cdot n_C \cdot n_C' \;(+\, n_C' \text{ biases}), \qquad
#    \text{mult-adds} = \underbrace{f \cdot f \cdot n_C}_{\text{one output value}} \cdot
#    \underbrace{n_H' \cdot n_W' \cdot n_C'}_{\text{output values}} .$$
#
# Note that the mult-adds use the **output** size $n_H' \times n_W'$, not the input size.
#
# Worked example: a 3x3 convolution with 16 filters on a 28x28x8 image with "same" padding has
# $3 \cdot 3 \cdot 8 \cdot 16 + 16 = 1{,}168$ parameters and
# $3 \cdot 3 \cdot 8 \cdot 28 \cdot 28 \cdot 16 = 903{,}168$ mult-adds.
#
# `cu.models.profile(model_or_layer, input_shape=None)` counts both, layer by layer, for any Keras
# model (nested models included). It counts only layers that multiply by weights (convolutions of
# every kind, `Dense`); batch normalisation has parameters but its mult-adds count as 0, as do
# pooling, activations, `Add` and `Concatenate`. Bias additions are not counted.

# %%
prof = cu.models.profile(layers.Conv2D(16, 3, padding="same"), input_shape=(28, 28, 8))
print(prof)
print("params:", prof.total_params, "| mult-adds:", prof.total_mult_adds)

# %% [markdown]
# ## 1. Classic networks: LeNet-5, AlexNet, VGG-16
#
# | network | year | input | weight layers | parameters |
# |---|---|---|---|---|
# | LeNet-5 | 1998 | 32x32x1 | 5 | about 60 thousand |
# | AlexNet | 2012 | 227x227x3 | 8 | about 60 million |
# | VGG-16 | 2014 | 224x224x3 | 16 | about 138 million |
#
# All three follow the same recipe: convolution and pooling layers that **shrink the image and grow
# the number of channels**, then a few fully connected layers and a softmax. AlexNet added ReLU,
# dropout and GPUs; VGG made the recipe **uniform**: only 3x3 convolutions with stride 1 and "same"
# padding, and 2x2 max pooling with stride 2; after each pooling the number of filters doubles
# (64, 128, 256, 512, 512). Two stacked 3x3 convolutions see a 5x5 patch with fewer parameters
# ($2 \cdot 9 C^2$ instead of $25 C^2$) and one more non-linearity.
#
# We build VGG-16 from `keras.applications` with `weights=None`: the architecture only, randomly
# initialised, nothing downloaded. Then we count it.

# %%
vgg16 = keras.applications.VGG16(weights=None)
vgg_profile = cu.models.profile(vgg16)
print(vgg_profile.table(skip_zero=True))
cu.report("vgg16_params", vgg_profile.total_params)
cu.report("vgg16_mult_adds", vgg_profile.total_mult_adds)
block_mult_adds = {}
for r in vgg_profile.layers():
    if r.name.startswith("block"):
        block = r.name.split("_")[0]
        block_mult_adds[block] = block_mult_adds.get(block, 0) + r.mult_adds
block_share = {block: ma / vgg_profile.total_mult_adds for block, ma in block_mult_adds.items()}
print("share of the mult-adds per block:", ", ".join(f"{block} {share:.1%}" for block, share in block_share.items()))
cu.report("vgg16_fc1_params", next(r.params for r in vgg_profile.layers() if r.name == "fc1"))
cu.report("vgg16_conv_mult_adds_share", sum(block_share.values()))
cu.report("vgg16_block1_mult_adds_share", block_share["block1"])
cu.report("vgg16_max_block_mult_adds_share", max(block_share.values()))

# %% [markdown]
# 138 million parameters and 15.5 billion mult-adds per image. Look at where each one comes from:
# the first fully connected layer (7x7x512 inputs to 4096 units) holds **103 million** of the
# parameters, while the convolutions do almost all of the **work** (more than 99 % of the mult-adds),
# spread over the blocks: blocks 3 and 4 (56 and 28 pixels) do about 30 % each, the full-resolution
# block 1 only about 12.5 %. Every 3x3 convolution with as many input as output channels costs the same
# 1.85 billion mult-adds, whatever its block: halving the height and the width (4 times fewer positions)
# and doubling the channels in and out (4 times more work per position) cancel out.

# %% alt="Three panels for VGG-16's weight layers in order: on a log scale the output height (= width) and the number of channels per layer; a bar chart of each layer's parameters in millions; a bar chart of each layer's mult-adds in billions."
rows = [r for r in vgg_profile.layers() if r.kind in ("Conv2D", "Dense")]
names = [r.name.replace("block", "b").replace("_conv", "c") for r in rows]
fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
axes[0].plot([r.output_shape[0] if len(r.output_shape) == 3 else 1 for r in rows], "o-", label="height = width")
axes[0].plot([r.output_shape[-1] for r in rows], "s-", label="channels")
axes[0].set_yscale("log")
axes[0].set_title("output size per weight layer")
axes[0].legend()
axes[1].bar(names, [r.params / 1e6 for r in rows], color="tab:blue")
axes[1].set_title("parameters (millions)")
axes[2].bar(names, [r.mult_adds / 1e9 for r in rows], color="tab:orange")
axes[2].set_title("mult-adds (billions)")
for ax in axes:
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
axes[0].set_xticks(range(len(names)), names)
plt.tight_layout()
plt.show()
del vgg16  # 550 MB of random weights we no longer need

# %% [markdown]
# ## 2. Residual networks (ResNet)
#
# ### The degradation problem
#
# Stacking more layers should never hurt: a deeper network could copy a shallower one and set its
# extra layers to the identity. In practice, very deep **plain** networks reach a *higher training
# error* than shallower ones (He et al. 2015, 34 vs 18 layers on ImageNet). This is not
# overfitting (the training error itself is worse): the optimiser simply fails to find the good
# solution; learning an identity mapping through a stack of convolutions and ReLUs is hard.
#
# ### The residual block
#
# A residual block adds its input $a^{[l]}$ to the output of two layers, *before* the last
# activation $g$ (ReLU):
#
# $$ z^{[l+1]} = W^{[l+1]} a^{[l]} + b^{[l+1]}, \quad a^{[l+1]} = g(z^{[l+1]}), \quad
#    z^{[l+2]} = W^{[l+2]} a^{[l+1]} + b^{[l+2]}, \quad a^{[l+2]} = g\big(z^{[l+2]} + a^{[l]}\big). $$
#
# If the block's weights are zero (weight decay pushes them there when they are not needed),
# $z^{[l+2]} = 0$ and $a^{[l+2]} = g(a^{[l]}) = a^{[l]}$, because $a^{[l]} \ge 0$ already came out
# of a ReLU. So **the identity is the easiest thing for a residual block to learn**: adding blocks
# cannot make things worse, and each block only learns a correction $F(x) = H(x) - x$.
# The shortcut also gives gradients a direct path back to the early layers.
#
# Worked example: $a^{[l]} = (1, 0, 2.5)$ and all weights zero give $z^{[l+2]} = (0, 0, 0)$ and
# $a^{[l+2]} = \mathrm{ReLU}(1, 0, 2.5) = (1, 0, 2.5)$.

# %%
a_l = np.array([1.0, 0.0, 2.5])
W1, W2 = np.zeros((3, 3)), np.zeros((3, 3))
a_l1 = np.maximum(W1 @ a_l, 0)
a_l2 = np.maximum(W2 @ a_l1 + a_l, 0)
print("a[l+2] =", a_l2)


# %% [markdown]
# ### The bottleneck block of ResNet-50
#
# Deeper ResNets (50, 101, 152 layers) replace the two 3x3 convolutions by a **bottleneck**:
# a 1x1 convolution that *reduces* the channels, a 3x3 convolution on the thin tensor, and a
# 1x1 convolution that *expands* the channels back. Each convolution is followed by batch
# normalisation (BN); ReLU follows the first two BNs, and the last ReLU comes **after** the addition:
#
# ```
# x ──► conv 1x1 (F1) ─► BN ─► ReLU ─► conv fxf "same" (F2) ─► BN ─► ReLU ─► conv 1x1 (F3) ─► BN ─► (+) ─► ReLU
# │                                                                                               ▲
# └─────────────────────────────────────── shortcut ──────────────────────────────────────────────┘
# ```
#
# Worked example (ResNet-50's first stage, 256 channels in and out): the bottleneck 1x1 (64),
# 3x3 (64), 1x1 (256) has $256 \cdot 64 + 9 \cdot 64 \cdot 64 + 64 \cdot 256 = 69{,}632$ convolution
# weights; two 3x3 convolutions with 256 channels would have $2 \cdot 9 \cdot 256^2 = 1{,}179{,}648$.
#
# Two kinds of blocks:
# - the **identity block**: input and output have the same shape, the shortcut is $x$ itself;
# - the **convolutional (projection) block**: the block changes the size (stride $s$) and the number
#   of channels, so the shortcut becomes a 1x1 convolution with stride $s$ and $F_3$ filters,
#   followed by BN, to match shapes before the addition.

# %% [markdown]
# ### Exercise 1 (3 points)
#
# Write `identity_block(x, f, filters)` with the Keras functional API, as in the diagram above:
# `filters = (F1, F2, F3)`; `Conv2D(F1, 1)`, BN, ReLU, `Conv2D(F2, f, padding="same")`, BN, ReLU,
# `Conv2D(F3, 1)`, BN, then add the shortcut `x` (use `layers.Add()`), then ReLU. BN is
# `layers.BatchNormalization()` (channels last). Use the same bias setting for all three
# convolutions: either Keras's default (with biases) or `use_bias=False` (BN's own shift makes a
# bias redundant); both are accepted. `F3` must equal the number of channels of `x`.

# %% nbgrader={"grade": false, "grade_id": "identity_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def identity_block(x, f, filters):
    """ResNet-50 identity (bottleneck) block: 1x1 -> fxf -> 1x1 convolutions plus the input.

    Args:
        x: Keras tensor of shape (m, n_H, n_W, n_C).
        f: size of the middle convolution's filter (odd int, e.g. 3).
        filters: (F1, F2, F3), the number of filters of the three convolutions; F3 == n_C.

    Returns:
        Keras tensor of shape (m, n_H, n_W, F3):
        ReLU(BN(conv1x1_F3(ReLU(BN(convfxf_F2(ReLU(BN(conv1x1_F1(x))))))))) + x).
    """
    ### BEGIN SOLUTION
    f1, f2, f3 = filters
    shortcut = x
    x = layers.Conv2D(f1, 1)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(f2, f, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(f3, 1)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Add()([x, shortcut])
    return layers.ReLU()(x)
    ### END SOLUTION


# %% [markdown]
# Try it: on a 6x6x8 input with `f=3, filters=(2, 3, 8)` the output shape is `(None, 6, 6, 8)` and the
# block has **159** parameters with biases (convolutions $16 + 2$, $54 + 3$, $24 + 8$; BN $4 \cdot (2 + 3 + 8)$),
# or **146** with `use_bias=False`.

# %%
inputs = keras.Input((6, 6, 8))
block = keras.Model(inputs, identity_block(inputs, f=3, filters=(2, 3, 8)))
print(block.output.shape, block.count_params())


# %% nbgrader={"grade": true, "grade_id": "test_identity_block", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check identity_block on 16 generated blocks, from the Try-it block on: f of 1, 3 and 5, F1, F2 and F3 all different,
# inputs from negative to above 6 (ReLU6 is not ReLU), only negative inputs, a 1x1 image, one image, non-square images.
# Each block gets fixed weights (cu.checks.probe_block sets every weight from a generator keyed by the layer's kind and
# shape, and the biases to 0, so that a block with biases and one with use_bias=False agree); its outputs are compared
# in inference and in training mode with outputs stored from the course's solution, and its parameter count with the
# two counts the text accepts (with or without biases).
cu.checks.check_cases(identity_block, "identity_block")
### BEGIN HIDDEN TESTS
def _reference_identity(x, f, filters, use_bias):
    f1, f2, f3 = filters
    s = x
    x = layers.Conv2D(f1, 1, use_bias=use_bias)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(f2, f, padding="same", use_bias=use_bias)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.BatchNormalization()(layers.Conv2D(f3, 1, use_bias=use_bias)(x))
    return layers.ReLU()(layers.Add()([x, s]))


def _hidden_blocks(fn, reference, shape, args, seed):
    """The learner's block and the reference (same bias setting), weights filled alike: outputs in both modes."""
    inp, ref_inp = keras.Input(shape), keras.Input(shape)
    model = keras.Model(inp, fn(inp, *args))
    use_bias = any(getattr(l, "use_bias", False) for l in model.layers
                   if type(l).__name__ in ("Conv2D", "DepthwiseConv2D"))
    ref = keras.Model(ref_inp, reference(ref_inp, *args, use_bias))
    cu.checks.fill_weights(model)
    cu.checks.fill_weights(ref)
    xs = (np.random.default_rng(seed).normal(size=(3,) + shape) * 4).astype("float32")
    return model, ref, [(cu.to_numpy(model(xs, training=t)), cu.to_numpy(ref(xs, training=t))) for t in (False, True)]


for shape, f, filters in [((5, 7, 6), 3, (2, 4, 6)), ((4, 4, 5), 5, (3, 2, 5)), ((3, 3, 4), 1, (5, 3, 4))]:
    label = f"identity_block(x {shape}, f={f}, filters={filters})"
    model, ref, runs = _hidden_blocks(identity_block, _reference_identity, shape, (f, filters), 1)
    cu.checks.check_equal(model.count_params(), ref.count_params(), name=label + " parameters")
    for mode, (got, expected) in zip(("inference", "training"), runs):
        cu.checks.check_array(got, expected, atol=1e-3, rtol=1e-3, name=f"{label} with fixed weights, {mode} mode",
                               hint="order: conv, BN, ReLU (twice), conv, BN, add x, ReLU.")
### END HIDDEN TESTS
cu.checks.passed("identity_block", points=3)


# %% [markdown]
# ### Exercise 2 (3 points)
#
# Write `convolutional_block(x, f, filters, s=2)`: the same main path as the identity block, but
# the first 1x1 convolution has `strides=s`; the shortcut is `Conv2D(F3, 1, strides=s)` followed by
# BN. Add the two paths, then ReLU. (ResNet v1.5 moves the stride to the fxf convolution: that is
# accepted too; the output shape and parameters are the same.) Same bias rule as in Exercise 1.

# %% nbgrader={"grade": false, "grade_id": "convolutional_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def convolutional_block(x, f, filters, s=2):
    """ResNet-50 convolutional (projection) block: bottleneck path plus a 1x1 strided shortcut.

    Args:
        x: Keras tensor of shape (m, n_H, n_W, n_C).
        f: size of the middle convolution's filter (odd int).
        filters: (F1, F2, F3), filters of the three main convolutions (and F3 for the shortcut).
        s: stride (int >= 1) of the first 1x1 convolution and of the shortcut convolution.

    Returns:
        Keras tensor of shape (m, ceil(n_H / s), ceil(n_W / s), F3).
    """
    ### BEGIN SOLUTION
    f1, f2, f3 = filters
    shortcut = layers.Conv2D(f3, 1, strides=s)(x)
    shortcut = layers.BatchNormalization()(shortcut)
    x = layers.Conv2D(f1, 1, strides=s)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(f2, f, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(f3, 1)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Add()([x, shortcut])
    return layers.ReLU()(x)
    ### END SOLUTION


# %% [markdown]
# Try it: on an 8x8x3 input with `f=3, filters=(4, 5, 6), s=2` the output shape is `(None, 4, 4, 6)`;
# parameters: convolutions $12 + 180 + 30 + 18 = 240$ weights, plus $4 + 5 + 6 + 6 = 21$ biases,
# and BN $4 \cdot 21 = 84$: **345** with biases, **324** without.

# %%
inputs = keras.Input((8, 8, 3))
block = keras.Model(inputs, convolutional_block(inputs, f=3, filters=(4, 5, 6), s=2))
print(block.output.shape, block.count_params())


# %% nbgrader={"grade": true, "grade_id": "test_convolutional_block", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check convolutional_block on 16 generated blocks, from the Try-it block on: s left to its default, s of 1 and 3,
# f=5, F1, F2 and F3 all different, an odd size, inputs above 6, non-square images, a 1x1 image, one image. Fixed
# weights, inference and training mode, and the parameter count, as for identity_block; where the stride on the f x f
# convolution (ResNet v1.5) gives other outputs than on the first 1x1 convolution, both are stored and accepted.
cu.checks.check_cases(convolutional_block, "convolutional_block")
### BEGIN HIDDEN TESTS
def _reference_conv_block(x, f, filters, s, stride_in_middle, use_bias):
    f1, f2, f3 = filters
    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s, use_bias=use_bias)(x))
    x = layers.Conv2D(f1, 1, strides=1 if stride_in_middle else s, use_bias=use_bias)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(f2, f, strides=s if stride_in_middle else 1, padding="same", use_bias=use_bias)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.BatchNormalization()(layers.Conv2D(f3, 1, use_bias=use_bias)(x))
    return layers.ReLU()(layers.Add()([x, sc]))


def _hidden_conv_block(shape, f, filters, s, middle):
    inp, ref_inp = keras.Input(shape), keras.Input(shape)
    model = keras.Model(inp, convolutional_block(inp, f, filters, s=s))
    use_bias = any(getattr(l, "use_bias", False) for l in model.layers if type(l).__name__ == "Conv2D")
    ref = keras.Model(ref_inp, _reference_conv_block(ref_inp, f, filters, s, middle, use_bias))
    cu.checks.fill_weights(model)
    cu.checks.fill_weights(ref)
    xs = (np.random.default_rng(2).normal(size=(3,) + shape) * 4).astype("float32")
    same = [np.allclose(cu.to_numpy(model(xs, training=t)), cu.to_numpy(ref(xs, training=t)), atol=1e-3, rtol=1e-3)
            for t in (False, True)]
    return model.count_params() == ref.count_params() and all(same)


for shape, f, filters, s in [((8, 8, 3), 3, (4, 5, 6), 2), ((9, 6, 2), 3, (3, 4, 5), 3), ((5, 5, 3), 5, (2, 4, 7), 1)]:
    label = f"convolutional_block(x {shape}, f={f}, filters={filters}, s={s})"
    cu.checks.check_true(any(_hidden_conv_block(shape, f, filters, s, middle) for middle in (False, True)),
                          "with fixed weights the outputs (or the parameter count) differ from ReLU(main path + BN(conv1x1_s(x)))",
                          name=label, hint="order: conv, BN, ReLU (twice), conv, BN; shortcut conv, BN; add; then ReLU.")
### END HIDDEN TESTS
cu.checks.passed("convolutional_block", points=3)


# %% [markdown]
# ## Experiment: a deep plain network against the same network with skip connections
#
# Two networks with the same layers and the same number of parameters: a 3x3 convolution with
# stride 2 and a max pooling take MNIST digits to 7x7x16; then 10 "basic" blocks of two 3x3
# convolutions (16 filters, BN, ReLU); global average pooling and a softmax: **22 weight layers**
# (4 blocks, 10 layers, in fast mode).
# The residual network adds each block's input before the block's last ReLU; the plain one does
# not. (These basic blocks are ResNet-18/34's, simpler than your bottleneck.)
# We train both the same way on a few thousand digits and compare the **training** loss.

# %%
def deep_net(n_blocks, residual, width=16):
    """A 2 + 2 * n_blocks weight-layer CNN for 28x28x1 digits; with or without skip connections."""
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    for _ in range(n_blocks):
        shortcut = x
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        if residual:
            x = layers.Add()([x, shortcut])
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="resnet" if residual else "plain")


(X_train, y_train), _ = cu.data.load_mnist(dtype="float32")
n_train = cu.by_mode(full=2000, fast=256)
order = np.random.default_rng(0).permutation(len(X_train))[:n_train]
X_small = (X_train[order] / 255.0)[..., None].astype("float32")
y_small = y_train[order]
n_blocks = cu.by_mode(full=10, fast=4)
epochs = cu.by_mode(full=6, fast=2)
print("training images:", X_small.shape, "| epochs:", epochs, "| weight layers:", 2 + 2 * n_blocks)

histories = {}
for residual in (False, True):
    keras.utils.set_random_seed(1)
    model = deep_net(n_blocks, residual)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.time()
    histories[model.name] = model.fit(X_small, y_small, epochs=epochs, batch_size=64, verbose=0).history
    print(f"{model.name:>6}: {model.count_params():,} params, final training loss "
          f"{histories[model.name]['loss'][-1]:.3f}, {time.time() - start:.0f} s")

# %% alt="Line plot of the training loss per epoch of two networks of the same depth, a plain one and a ResNet with skip connections."
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, history in histories.items():
    ax.plot(range(1, epochs + 1), history["loss"], "o-", label=f"{name} ({2 + 2 * n_blocks} layers)")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("same depth, with and without skip connections")
ax.legend()
plt.show()
cu.report("plain_final_train_loss", histories["plain"]["loss"][-1])
cu.report("resnet_final_train_loss", histories["resnet"]["loss"][-1])

# %% [markdown]
# The residual network's training loss falls much faster (after the last epoch it is less than half
# the plain network's): with the same layers, the shortcuts make the deep network easy to optimise.
# We measured one depth over a few epochs only; whether the plain network catches up with longer
# training, and how the gap changes with depth, this run does not show (in He et al.'s ImageNet runs
# the plain 34-layer network ends with a higher training error than the plain 18-layer one, and the
# residual 34-layer network with a lower one).
#
# ## 3. 1x1 convolutions ("network in network")
#
# A 1x1 convolution with $n_C'$ filters on an $n_H \times n_W \times n_C$ volume is a small fully
# connected layer applied at every pixel, across the channels: it mixes channels and, with
# $n_C' < n_C$, **shrinks the number of channels** cheaply (pooling shrinks height and width).
#
# Worked example (from the lecture): a 5x5 "same" convolution with 32 filters on a 28x28x192 volume
# costs $28 \cdot 28 \cdot 32 \cdot 5 \cdot 5 \cdot 192 \approx 120.4$ million mult-adds. Shrink the
# channels first with 16 1x1 filters (a **bottleneck**): $28 \cdot 28 \cdot 16 \cdot 192 \approx 2.4$M,
# then the 5x5 convolution on 16 channels: $28 \cdot 28 \cdot 32 \cdot 5 \cdot 5 \cdot 16 \approx 10.0$M;
# in total **12.4 million**, ten times less, for the same output shape.

# %%
direct = keras.Sequential([keras.Input((28, 28, 192)), layers.Conv2D(32, 5, padding="same")], name="direct")
bottleneck = keras.Sequential([keras.Input((28, 28, 192)), layers.Conv2D(16, 1),
                               layers.Conv2D(32, 5, padding="same")], name="bottleneck")
cost_1x1 = {m.name: cu.models.profile(m) for m in (direct, bottleneck)}
for name, prof in cost_1x1.items():
    print(f"{name:>10}: {prof.total_mult_adds / 1e6:6.1f} M mult-adds, {prof.total_params:,} params")
cu.report("direct_5x5_mult_adds", cost_1x1["direct"].total_mult_adds)
cu.report("bottleneck_5x5_mult_adds", cost_1x1["bottleneck"].total_mult_adds)


# %% [markdown]
# ## 4. Inception
#
# Which filter size should a layer use: 1x1, 3x3, 5x5, or pooling? The Inception module (GoogLeNet,
# Szegedy et al. 2014) does them all in parallel and stacks the results along the channels
# ("DepthConcat"). Every branch keeps the height and width ("same" padding, the pooling with
# stride 1), so the outputs can be concatenated.
#
# The **naive** module applies the 3x3 and 5x5 convolutions to all input channels, and its max
# pooling branch passes all input channels through, so the output only grows. The module **with
# dimension reduction** puts 1x1 convolutions before the 3x3 and 5x5 ones (`n3x3_reduce`,
# `n5x5_reduce` filters) and after the pooling (`pool_proj`):
#
# ```
#        ┌─► conv 1x1 (n1x1) ────────────────────────────┐
#        ├─► conv 1x1 (n3x3_reduce) ─► conv 3x3 (n3x3) ──┤
# x ─────┼─► conv 1x1 (n5x5_reduce) ─► conv 5x5 (n5x5) ──┼─► concatenate channels
#        └─► max pool 3x3, stride 1 ─► conv 1x1 (pool_proj) ┘
# ```
#
# Output channels: $n_{1\times1} + n_{3\times3} + n_{5\times5} + n_{pool\,proj}$. GoogLeNet's module
# "3a" on 28x28x192 uses (64, 96, 128, 16, 32, 32) and outputs 64 + 128 + 32 + 32 = 256 channels.

# %% [markdown]
# ### Exercise 3 (2 points)
#
# Write `inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj)`: four branches
# as in the diagram, every convolution with "same" padding and a ReLU activation
# (`activation="relu"`), the pooling `layers.MaxPooling2D(3, strides=1, padding="same")`, and
# `layers.Concatenate()` of the branches **in the order** 1x1, 3x3, 5x5, pool. Use the same bias
# setting for every convolution (default biases, or `use_bias=False` everywhere).

# %% nbgrader={"grade": false, "grade_id": "inception_module", "locked": false, "schema_version": 3, "solution": true, "task": false}
def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    """Inception module with 1x1 dimension reductions (GoogLeNet).

    Args:
        x: Keras tensor of shape (m, n_H, n_W, n_C).
        n1x1: filters of the 1x1 branch.
        n3x3_reduce, n3x3: filters of the 1x1 reduction and of the 3x3 convolution.
        n5x5_reduce, n5x5: filters of the 1x1 reduction and of the 5x5 convolution.
        pool_proj: filters of the 1x1 convolution after the 3x3 max pooling (stride 1).

    Returns:
        Keras tensor of shape (m, n_H, n_W, n1x1 + n3x3 + n5x5 + pool_proj),
        the branches concatenated in that order.
    """
    ### BEGIN SOLUTION
    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
    b3 = layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x)
    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(b3)
    b5 = layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x)
    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(b5)
    bp = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    bp = layers.Conv2D(pool_proj, 1, padding="same", activation="relu")(bp)
    return layers.Concatenate()([b1, b3, b5, bp])
    ### END SOLUTION


# %% [markdown]
# Try it: GoogLeNet's module 3a on a 28x28x192 input gives `(None, 28, 28, 256)` and **163,696**
# parameters with biases: $192 \cdot 64 + 192 \cdot 96 + 9 \cdot 96 \cdot 128 + 192 \cdot 16 +
# 25 \cdot 16 \cdot 32 + 192 \cdot 32 = 163{,}328$ weights plus $64 + 96 + 128 + 16 + 32 + 32 = 368$ biases.

# %%
inputs = keras.Input((28, 28, 192))
module_3a = keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32), name="inception_3a")
print(module_3a.output.shape, module_3a.count_params())


# %% nbgrader={"grade": true, "grade_id": "test_inception_module", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check inception_module on 11 generated modules, from GoogLeNet's module 3a (on a 2x2 image) on: every branch a
# different size, inputs above 6 (activation "relu", not "relu6"), only negative inputs (max pooling, not average),
# a non-square image, a 1x1 image. Fixed weights (biases set to 0), outputs and parameter counts (with or without
# biases) compared with those stored from the course's solution.
cu.checks.check_cases(inception_module, "inception_module")
### BEGIN HIDDEN TESTS
def _reference_inception(x, n1, r3, n3, r5, n5, pp, use_bias):
    conv = lambda n, k: layers.Conv2D(n, k, padding="same", activation="relu", use_bias=use_bias)  # noqa: E731
    b1 = conv(n1, 1)(x)
    b3 = conv(n3, 3)(conv(r3, 1)(x))
    b5 = conv(n5, 5)(conv(r5, 1)(x))
    bp = conv(pp, 1)(layers.MaxPooling2D(3, strides=1, padding="same")(x))
    return layers.Concatenate()([b1, b3, b5, bp])


for shape, config in [((7, 5, 8), (4, 3, 5, 2, 6, 7)), ((6, 6, 3), (2, 4, 3, 5, 1, 6)), ((4, 9, 10), (1, 2, 8, 3, 4, 5))]:
    label = f"inception_module(x {shape}, {', '.join(map(str, config))})"
    inp = keras.Input(shape)
    model = keras.Model(inp, inception_module(inp, *config))
    use_bias = any(getattr(l, "use_bias", False) for l in model.layers if type(l).__name__ == "Conv2D")
    inp2 = keras.Input(shape)
    ref = keras.Model(inp2, _reference_inception(inp2, *config, use_bias))
    cu.checks.check_equal(model.count_params(), ref.count_params(), name=label + " parameters")
    cu.checks.fill_weights(model)
    cu.checks.fill_weights(ref)
    xs = (np.random.default_rng(3).normal(size=(2,) + shape) * 4).astype("float32")
    cu.checks.check_array(model(xs), cu.to_numpy(ref(xs)), atol=1e-3, rtol=1e-3, name=label + " with fixed weights",
                           hint="ReLU after every convolution, max pooling (not average), branches in the order 1x1, 3x3, 5x5, pool.")
### END HIDDEN TESTS
cu.checks.passed("inception_module", points=2)


# %% [markdown]
# ### Naive against reduced: what the 1x1 convolutions save
#
# The same module 3a without the reductions (naive): 1x1 (64), 3x3 (128) and 5x5 (32) on all 192
# channels, and the pooled 192 channels passed through. We count both with `cu.models.profile`.

# %% alt="Two bar charts comparing the naive Inception module with the one with 1x1 reductions: parameters in thousands, and mult-adds in millions."
def naive_inception(x, n1x1, n3x3, n5x5):
    """Inception module without 1x1 reductions: output channels n1x1 + n3x3 + n5x5 + n_C."""
    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(x)
    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(x)
    bp = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    return layers.Concatenate()([b1, b3, b5, bp])


inputs = keras.Input((28, 28, 192))
naive_3a = keras.Model(inputs, naive_inception(inputs, 64, 128, 32), name="naive_3a")
inception_costs = {"naive": cu.models.profile(naive_3a), "with 1x1 reductions": cu.models.profile(module_3a)}
print(inception_costs["with 1x1 reductions"].table())

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
labels = list(inception_costs)
axes[0].bar(labels, [p.total_params / 1e3 for p in inception_costs.values()], color="tab:blue")
axes[0].set_title("parameters (thousands)")
axes[1].bar(labels, [p.total_mult_adds / 1e6 for p in inception_costs.values()], color="tab:orange")
axes[1].set_title("mult-adds (millions)")
plt.tight_layout()
plt.show()
print("naive output:", naive_3a.output.shape, "| reduced output:", module_3a.output.shape)
print("naive / reduced: params x{:.1f}, mult-adds x{:.1f}".format(
    inception_costs["naive"].total_params / inception_costs["with 1x1 reductions"].total_params,
    inception_costs["naive"].total_mult_adds / inception_costs["with 1x1 reductions"].total_mult_adds))
cu.report("inception_naive_mult_adds", inception_costs["naive"].total_mult_adds)
cu.report("inception_reduced_mult_adds", inception_costs["with 1x1 reductions"].total_mult_adds)
cu.report("inception_naive_params", inception_costs["naive"].total_params)
cu.report("inception_reduced_params", inception_costs["with 1x1 reductions"].total_params)
cu.report("inception_naive_channels", naive_3a.output.shape[-1])
cu.report("inception_reduced_channels", module_3a.output.shape[-1])


# %% [markdown]
# The naive module needs about 2.4 times the parameters and the mult-adds (about 303 million
# against 128 million) and outputs 416 channels instead of 256, so the next module would cost even more. GoogLeNet stacks nine reduced modules (22 layers, about 5 million
# parameters, twelve times fewer than AlexNet).
#
# ## 5. MobileNet: depthwise separable convolutions
#
# MobileNet (Howard et al. 2017) targets phones: low latency, few mult-adds. It replaces each
# standard convolution by two cheaper ones:
#
# 1. a **depthwise** convolution: one $D_K \times D_K$ filter *per input channel*, each applied to its
#    own channel only ($M$ channels in, $M$ out);
# 2. a **pointwise** convolution: a 1x1 convolution with $N$ filters that mixes the channels.
#
# With an input of $M$ channels, $N$ filters of size $D_K \times D_K$ and an output of
# $D_F \times D_F$ positions (the paper's notation; biases left out, as in the paper):
#
# | | mult-adds | parameters |
# |---|---|---|
# | standard | $D_K^2 \cdot M \cdot N \cdot D_F^2$ | $D_K^2 \cdot M \cdot N$ |
# | depthwise separable | $D_K^2 \cdot M \cdot D_F^2 + M \cdot N \cdot D_F^2$ | $D_K^2 \cdot M + M \cdot N$ |
#
# The ratio of the costs is $\frac{1}{N} + \frac{1}{D_K^2}$: with 3x3 filters, 8 to 9 times cheaper.
#
# **Worked example** (from the lecture): a 6x6x3 input, 3x3 filters, stride 1, no padding, so the
# output has **4x4 positions**, and **5 filters** ($D_K = 3$, $M = 3$, $N = 5$, $D_F = 4$):
# - standard: $3 \cdot 3 \cdot 3$ mult-adds per output value, times $4 \cdot 4 \cdot 5$ output values:
#   **2,160**; parameters $3 \cdot 3 \cdot 3 \cdot 5 = 135$;
# - depthwise: $3 \cdot 3$ per value, times $4 \cdot 4 \cdot 3$ values: **432**; pointwise:
#   $1 \cdot 1 \cdot 3$ per value, times $4 \cdot 4 \cdot 5$ values: **240**; together **672**, about
#   31% of 2,160 ($\frac15 + \frac19 = 0.311$); parameters $27 + 15 = 42$.
#
# Note that $D_F$ is the size of the **output** (4), not of the input (6).
#
# Two more knobs shrink a MobileNet: the **width multiplier** $\alpha \in (0, 1]$ scales every
# layer's channels ($M \to \alpha M$, $N \to \alpha N$: cost roughly $\times \alpha^2$), and the
# **resolution multiplier** $\rho \in (0, 1]$ scales the input image, so $D_F \to \rho D_F$
# (cost $\times \rho^2$, parameters unchanged).

# %% [markdown]
# ### Exercise 4 (2 points)
#
# Write `conv_cost(d_k, m, n, d_f)` that returns the pair `(mult_adds, params)` of a standard
# convolution, as Python ints, **without biases** (as in the paper's tables). `d_f` is the side of
# the **output** feature map.

# %% nbgrader={"grade": false, "grade_id": "conv_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_cost(d_k, m, n, d_f):
    """Mult-adds and parameters of a standard convolution (no biases), for one example.

    Args:
        d_k: filter size D_K (the filter is D_K x D_K).
        m: number of input channels M.
        n: number of filters N (output channels).
        d_f: output height = width D_F.

    Returns:
        (mult_adds, params): D_K^2 * M * N * D_F^2 and D_K^2 * M * N, both Python ints.
    """
    ### BEGIN SOLUTION
    params = d_k * d_k * m * n
    return int(params * d_f * d_f), int(params)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example `conv_cost(3, 3, 5, 4)` is `(2160, 135)`; the MobileNet layer of the
# paper's Table 3, `conv_cost(3, 512, 512, 14)`, is about 462 million mult-adds and 2.36 million
# parameters.

# %%
print(conv_cost(3, 3, 5, 4), conv_cost(3, 512, 512, 14))

# %% nbgrader={"grade": true, "grade_id": "test_conv_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check conv_cost on 14 generated layers: the worked example, row 1 of the MobileNet paper's Table 3, M and N
# different, D_K and D_F different, D_F = 1, D_K = 1, a large layer; the pair must hold two Python ints (no biases).
cu.checks.check_cases(conv_cost, "conv_cost")
### BEGIN HIDDEN TESTS
for args in [(3, 512, 512, 14), (1, 192, 16, 28), (5, 16, 32, 28), (3, 7, 2, 1), (7, 3, 64, 112), (2, 1, 1, 3)]:
    d_k, m, n, d_f = args
    got = conv_cost(*args)
    cu.checks.check_equal(tuple(got), (d_k * d_k * m * n * d_f * d_f, d_k * d_k * m * n), name=f"conv_cost{args}",
                           hint="no biases; D_F squared; return (mult_adds, params) in that order.")
    cu.checks.check_true(all(type(v) is int for v in got), f"expected Python ints, got {[type(v).__name__ for v in got]}",
                          name=f"conv_cost{args}")
### END HIDDEN TESTS
cu.checks.passed("conv_cost", points=2)


# %% [markdown]
# ### Exercise 5 (2 points)
#
# Write `separable_conv_cost(d_k, m, n, d_f)`: the same pair `(mult_adds, params)` for a depthwise
# separable convolution (depthwise $D_K \times D_K$ plus pointwise 1x1), without biases.

# %% nbgrader={"grade": false, "grade_id": "separable_conv_cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def separable_conv_cost(d_k, m, n, d_f):
    """Mult-adds and parameters of a depthwise separable convolution (no biases), for one example.

    Args:
        d_k: depthwise filter size D_K.
        m: number of input channels M (= depthwise filters).
        n: number of pointwise filters N (output channels).
        d_f: output height = width D_F.

    Returns:
        (mult_adds, params): D_K^2 * M * D_F^2 + M * N * D_F^2 and D_K^2 * M + M * N, Python ints.
    """
    ### BEGIN SOLUTION
    depthwise = d_k * d_k * m
    pointwise = m * n
    return int((depthwise + pointwise) * d_f * d_f), int(depthwise + pointwise)
    ### END SOLUTION


# %% [markdown]
# Try it: `separable_conv_cost(3, 3, 5, 4)` is `(672, 42)`; `separable_conv_cost(3, 512, 512, 14)` is about
# 52.3 million mult-adds and 0.27 million parameters.

# %%
print(separable_conv_cost(3, 3, 5, 4), separable_conv_cost(3, 512, 512, 14))

# %% nbgrader={"grade": true, "grade_id": "test_separable_conv_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check separable_conv_cost on 14 generated layers: the worked example, rows 2 and 4 of the MobileNet paper's Table 3,
# M and N different, D_K and D_F different, D_F = 1, D_K = 1; the pair must hold two Python ints (no biases).
cu.checks.check_cases(separable_conv_cost, "separable_conv_cost")
### BEGIN HIDDEN TESTS
for args in [(3, 512, 512, 14), (3, 384, 384, 10), (5, 3, 7, 6), (1, 4, 4, 9), (3, 32, 64, 112), (7, 1, 1, 1)]:
    d_k, m, n, d_f = args
    got = separable_conv_cost(*args)
    expected = ((d_k * d_k * m + m * n) * d_f * d_f, d_k * d_k * m + m * n)
    cu.checks.check_equal(tuple(got), expected, name=f"separable_conv_cost{args}",
                           hint="no biases; D_F squared; depthwise D_K^2 * M (not D_K^2 * M * N); return (mult_adds, params).")
    cu.checks.check_true(all(type(v) is int for v in got), f"expected Python ints, got {[type(v).__name__ for v in got]}",
                          name=f"separable_conv_cost{args}")
### END HIDDEN TESTS
cu.checks.passed("separable_conv_cost", points=2)


# %% [markdown]
# ### Table 3 of the MobileNet paper, three ways
#
# The rows are cumulative: a 3x3 layer with 512 channels in and out on a 14x14 map; then
# depthwise separable; then width multiplier $\alpha = 0.75$ (384 channels); then resolution
# multiplier $\rho = 0.714$ ($14 \cdot 0.714 \approx 10$). We compute it with your two functions
# and with `cu.models.profile` on real Keras layers (`Conv2D` and `SeparableConv2D`, `use_bias=False`).

# %% alt="Two bar charts for the four rows of MobileNet's Table 3 (convolution, depthwise separable, alpha = 0.75, rho = 0.714): mult-adds in millions on a log scale, and parameters in millions."
table3_rows = [("convolution", conv_cost, (3, 512, 512, 14), layers.Conv2D),
               ("depthwise separable", separable_conv_cost, (3, 512, 512, 14), layers.SeparableConv2D),
               ("alpha = 0.75", separable_conv_cost, (3, 384, 384, 14), layers.SeparableConv2D),
               ("rho = 0.714", separable_conv_cost, (3, 384, 384, round(14 * 0.714)), layers.SeparableConv2D)]
paper = {"convolution": (462, 2.36), "depthwise separable": (52.3, 0.27), "alpha = 0.75": (29.6, 0.15),
         "rho = 0.714": (15.1, 0.15)}
print(f"{'row':<20} {'paper':>14} {'your functions':>16} {'Keras layers':>16}   (M mult-adds / M params)")
table3_keras = {}
for row, cost_fn, (d_k, m, n, d_f), layer_cls in table3_rows:
    yours = cost_fn(d_k, m, n, d_f)
    prof = cu.models.profile(layer_cls(n, d_k, padding="same", use_bias=False), input_shape=(d_f, d_f, m))
    table3_keras[row] = (prof.total_mult_adds, prof.total_params)
    print(f"{row:<20} {paper[row][0]:>7} / {paper[row][1]:<5} {yours[0] / 1e6:>7.1f} / {yours[1] / 1e6:<6.2f}"
          f" {prof.total_mult_adds / 1e6:>7.1f} / {prof.total_params / 1e6:<6.2f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].bar(list(table3_keras), [v[0] / 1e6 for v in table3_keras.values()], color="tab:orange")
axes[0].set_yscale("log")
axes[0].set_title("mult-adds (millions, log scale)")
axes[1].bar(list(table3_keras), [v[1] / 1e6 for v in table3_keras.values()], color="tab:blue")
axes[1].set_title("parameters (millions)")
for ax in axes:
    ax.tick_params(axis="x", labelrotation=20)
plt.tight_layout()
plt.show()
cu.report("table3_separable_mult_adds", table3_keras["depthwise separable"][0])
cu.report("table3_separable_params", table3_keras["depthwise separable"][1])


# %% [markdown]
# ### The MobileNet block
#
# In MobileNet v1 each depthwise and each pointwise convolution is followed by BN and ReLU:
#
# ```
# x ─► DepthwiseConv2D 3x3 (stride s) ─► BN ─► ReLU ─► Conv2D 1x1 (int(alpha * n_filters)) ─► BN ─► ReLU
# ```
#
# The stride, when there is one, belongs to the depthwise convolution.

# %% [markdown]
# ### Exercise 6 (2 points)
#
# Write `depthwise_separable_block(x, n_filters, stride, alpha=1.0)`:
# `layers.DepthwiseConv2D(3, strides=stride, padding="same")`, BN, ReLU, then
# `layers.Conv2D(int(alpha * n_filters), 1)`, BN, ReLU. Use `use_bias=False` in both convolutions
# (BN follows) or keep the default biases in both; both are accepted.

# %% nbgrader={"grade": false, "grade_id": "depthwise_separable_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
    """MobileNet v1 block: 3x3 depthwise conv, BN, ReLU, 1x1 pointwise conv, BN, ReLU.

    Args:
        x: Keras tensor of shape (m, n_H, n_W, n_C).
        n_filters: pointwise filters before the width multiplier.
        stride: stride of the depthwise convolution (1 or 2).
        alpha: width multiplier in (0, 1]; the block outputs int(alpha * n_filters) channels.

    Returns:
        Keras tensor of shape (m, ceil(n_H / stride), ceil(n_W / stride), int(alpha * n_filters)).
    """
    ### BEGIN SOLUTION
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)
    ### END SOLUTION


# %% [markdown]
# Try it: on a 14x14x32 input with `n_filters=64, stride=2, alpha=0.75` the output is `(None, 7, 7, 48)`,
# with $9 \cdot 32 + 32 \cdot 48 = 1{,}824$ convolution weights and $4 \cdot (32 + 48) = 320$ BN
# parameters: **2,144** parameters (**2,224** with biases).

# %%
inputs = keras.Input((14, 14, 32))
block = keras.Model(inputs, depthwise_separable_block(inputs, 64, stride=2, alpha=0.75))
print(block.output.shape, block.count_params())


# %% nbgrader={"grade": true, "grade_id": "test_depthwise_separable_block", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check depthwise_separable_block on 14 generated blocks, from the Try-it block (on a 4x4 image) on: alpha left to its
# default, int(alpha * n_filters) rounding down 7.5, strides 1 and 2, inputs above 6, a non-square image, a 1x1 image,
# one image. Fixed weights (biases set to 0), inference and training mode, and the parameter count (use_bias=False
# in both convolutions, or biases in both), compared with those stored from the course's solution.
cu.checks.check_cases(depthwise_separable_block, "depthwise_separable_block")
### BEGIN HIDDEN TESTS
def _reference_separable(x, n_filters, stride, alpha, use_bias):
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=use_bias)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=use_bias)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


for shape, n_filters, stride, alpha in [((9, 9, 6), 10, 2, 0.75), ((5, 6, 3), 8, 1, 1.0), ((8, 8, 4), 12, 2, 0.5),
                                        ((6, 6, 5), 10, 1, 0.75)]:
    label = f"depthwise_separable_block(x {shape}, {n_filters}, stride={stride}, alpha={alpha})"
    inp = keras.Input(shape)
    model = keras.Model(inp, depthwise_separable_block(inp, n_filters, stride, alpha=alpha))
    use_bias = any(getattr(l, "use_bias", False) for l in model.layers if type(l).__name__ in ("Conv2D", "DepthwiseConv2D"))
    inp2 = keras.Input(shape)
    ref = keras.Model(inp2, _reference_separable(inp2, n_filters, stride, alpha, use_bias))
    cu.checks.check_equal(model.count_params(), ref.count_params(), name=label + " parameters")
    cu.checks.fill_weights(model)
    cu.checks.fill_weights(ref)
    xs = (np.random.default_rng(4).normal(size=(2,) + shape) * 4).astype("float32")
    for training in (False, True):
        cu.checks.check_array(model(xs, training=training), cu.to_numpy(ref(xs, training=training)), atol=1e-3, rtol=1e-3,
                               name=f"{label} with fixed weights, training={training}",
                               hint="the stride belongs to the depthwise convolution; BN before each ReLU.")
### END HIDDEN TESTS
cu.checks.passed("depthwise_separable_block", points=2)


# %% [markdown]
# ### Experiment: a small MobileNet against the same network with standard convolutions
#
# A stack of your blocks on 96x96 images, and the same stack with each depthwise + pointwise pair
# replaced by one standard 3x3 convolution. We count both, and the effect of $\alpha$.

# %% alt="Two bar charts for four small MobileNet variants (standard convolutions, separable, separable with alpha = 0.5, and that at 64x64): mult-adds in millions, and parameters in thousands."
def small_mobilenet(alpha, separable=True, size=96):
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False)(inputs)
    for n_filters, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]:
        if separable:
            x = depthwise_separable_block(x, n_filters, stride, alpha=alpha)
        else:
            x = layers.Conv2D(int(alpha * n_filters), 3, strides=stride, padding="same", use_bias=False)(x)
            x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10)(x))


variants = {"standard conv": small_mobilenet(1.0, separable=False), "separable": small_mobilenet(1.0),
            "separable, alpha=0.5": small_mobilenet(0.5), "separable, alpha=0.5, 64x64": small_mobilenet(0.5, size=64)}
mobilenet_costs = {name: cu.models.profile(model) for name, model in variants.items()}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].bar(list(mobilenet_costs), [p.total_mult_adds / 1e6 for p in mobilenet_costs.values()], color="tab:orange")
axes[0].set_title("mult-adds (millions)")
axes[1].bar(list(mobilenet_costs), [p.total_params / 1e3 for p in mobilenet_costs.values()], color="tab:blue")
axes[1].set_title("parameters (thousands)")
for ax in axes:
    ax.tick_params(axis="x", labelrotation=15)
plt.tight_layout()
plt.show()
for name, prof in mobilenet_costs.items():
    print(f"{name:<30} {prof.total_mult_adds / 1e6:7.1f} M mult-adds {prof.total_params:>10,} params")

# %% [markdown]
# ### Experiment: what the two knobs cost and what they lose
#
# The full MobileNet v1 (Table 1 of the paper) is a stride-2 standard convolution with 32 filters,
# thirteen of your blocks, global average pooling and a 1000-way classifier. We build it for the
# paper's width multipliers at 224x224 and for its resolutions at $\alpha = 1$, and count each one
# with `cu.models.profile`. Training on ImageNet is out of reach of a laptop, so the accuracy axis
# is the paper's (Tables 6 and 7: top-1 accuracy on ImageNet); the cost axis is our own count.

# %% alt="Line plot of the paper's ImageNet top-1 accuracy against our count of mult-adds per image (log scale) for MobileNet v1: one line for the width multipliers 1, 0.75, 0.5 and 0.25 at 224x224, one for the resolutions 224, 192, 160 and 128 at alpha = 1, each point labelled."
MOBILENET_V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                       (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def mobilenet_v1(alpha=1.0, size=224, n_classes=1000):
    """MobileNet v1 built from your depthwise_separable_block (Howard et al. 2017, Table 1)."""
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for n_filters, stride in MOBILENET_V1_BLOCKS:
        x = depthwise_separable_block(x, n_filters, stride, alpha=alpha)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(n_classes)(x), name=f"mobilenet_{alpha}_{size}")


# (alpha, resolution): the paper's ImageNet top-1 accuracy, million mult-adds and million parameters
paper_tradeoff = {(1.0, 224): (70.6, 569, 4.2), (0.75, 224): (68.4, 325, 2.6), (0.5, 224): (63.7, 149, 1.3),
                  (0.25, 224): (50.6, 41, 0.5), (1.0, 192): (69.1, 418, 4.2), (1.0, 160): (67.2, 290, 4.2),
                  (1.0, 128): (64.4, 186, 4.2)}
tradeoff = {key: cu.models.profile(mobilenet_v1(*key)) for key in paper_tradeoff}
print(f"{'alpha':>5} {'size':>5} | {'M mult-adds':>11} {'(paper)':>7} | {'M params':>8} {'(paper)':>7} | top-1 (paper)")
for (alpha, size), (accuracy, paper_macs, paper_params) in paper_tradeoff.items():
    prof = tradeoff[alpha, size]
    print(f"{alpha:>5} {size:>5} | {prof.total_mult_adds / 1e6:11.0f} {paper_macs:7} | "
          f"{prof.total_trainable_params / 1e6:8.2f} {paper_params:7} | {accuracy}%")

fig, ax = plt.subplots(figsize=(6.5, 4))
for label, keys, style in [("width multiplier (224x224)", [(a, 224) for a in (1.0, 0.75, 0.5, 0.25)], "o-"),
                           ("resolution ($\\alpha$ = 1)", [(1.0, r) for r in (224, 192, 160, 128)], "s--")]:
    ax.plot([tradeoff[k].total_mult_adds / 1e6 for k in keys], [paper_tradeoff[k][0] for k in keys], style,
            label=label)
    for k in keys:
        ax.annotate(f"{k[0]}" if "width" in label else f"{k[1]}", (tradeoff[k].total_mult_adds / 1e6,
                    paper_tradeoff[k][0]), textcoords="offset points", xytext=(4, -12), fontsize=8)
ax.set_xscale("log")
ax.set(xlabel="mult-adds per image (millions, our count)", ylabel="ImageNet top-1 accuracy (%, the paper's)",
       title="MobileNet v1: two ways to make it cheaper")
ax.legend()
plt.show()
macs_1_224 = tradeoff[1.0, 224].total_mult_adds
cu.report("mobilenet_v1_mult_adds", macs_1_224)
cu.report("mobilenet_v1_trainable_params", tradeoff[1.0, 224].total_trainable_params)
cu.report("mobilenet_v1_max_rel_diff_from_paper_mult_adds",
          max(abs(tradeoff[k].total_mult_adds / 1e6 / v[1] - 1) for k, v in paper_tradeoff.items()))
cu.report("mobilenet_alpha_half_mult_adds_ratio", tradeoff[0.5, 224].total_mult_adds / macs_1_224)
cu.report("mobilenet_res128_mult_adds_ratio", tradeoff[1.0, 128].total_mult_adds / macs_1_224)
cu.report("mobilenet_res128_params_ratio",
          tradeoff[1.0, 128].total_trainable_params / tradeoff[1.0, 224].total_trainable_params)
cu.report("mobilenet_alpha_quarter_params_ratio",
          tradeoff[0.25, 224].total_trainable_params / tradeoff[1.0, 224].total_trainable_params)

# %% [markdown]
# What the counts show (every one agrees with the paper's to within half a percent):
#
# - **The width multiplier cuts cost by about $\alpha^2$**: at $\alpha = 0.5$ the network needs about
#   a quarter of the mult-adds (the pointwise convolutions, which dominate, shrink by $\alpha^2$; the
#   depthwise ones only by $\alpha$), and the parameters shrink the same way, 4.2 million to 0.5 million
#   at $\alpha = 0.25$.
# - **The resolution cuts cost by $\rho^2$ and leaves the parameters alone**: 128x128 needs about a third
#   of the mult-adds of 224x224 ($(128/224)^2 = 0.33$), with exactly the same 4.2 million weights: a
#   smaller image saves time, not memory for the model.
# - **For the same cost the two knobs lose about the same accuracy**: near 300 million mult-adds, 68.4%
#   ($\alpha = 0.75$) against 67.2% (160x160); near 150-190 million, 63.7% ($\alpha = 0.5$) against 64.4%
#   (128x128). The losses grow quickly below that: $\alpha = 0.25$ costs 14 times less than the full
#   network and loses 20 points. Which knob to turn depends on the other budget: the width if the
#   model's size matters (download, memory), the resolution if the objects stay large enough to see.

# %% [markdown]
# ## 6. EfficientNet: scaling a network up or down
#
# Given a good small network, how should it grow when more compute is available: deeper (more
# layers), wider (more channels) or with larger images? EfficientNet (Tan and Le, 2019) scales all
# three together with one **compound coefficient** $\phi$:
#
# $$ \text{depth} \times \alpha^\phi, \quad \text{width} \times \beta^\phi, \quad
#    \text{resolution} \times \gamma^\phi, \qquad \alpha \beta^2 \gamma^2 \approx 2, $$
#
# with $\alpha = 1.2$, $\beta = 1.1$, $\gamma = 1.15$ found by a small grid search on the base network
# B0. The mult-adds grow like depth $\times$ width$^2$ $\times$ resolution$^2$, so each step of $\phi$
# roughly doubles them. (These $\alpha$, $\beta$, $\gamma$ are not MobileNet's $\alpha$.)
#
# The base network B0 is built from MobileNet v2's inverted residual blocks (1x1 expand, 3x3
# depthwise, 1x1 project, with a shortcut) plus squeeze-and-excitation: 5.3 million parameters,
# 0.39 billion mult-adds at 224x224. **EfficientNet-Lite0**, the pretrained network of notebook 04,
# is B0 made friendlier to phones and to 8-bit arithmetic: no squeeze-and-excitation, ReLU6 instead
# of swish, and a fixed stem and head: **4.65 million** parameters, 224x224 inputs.

# %% [markdown]
# The course's EfficientNet-Lite0 (`cu.models.efficientnet_lite0`, notebook 04) is a Keras model, so
# we can count it. `weights=None` builds the architecture only, nothing is loaded. The usual figure,
# 4.65 million, counts trainable parameters; the profile's total also counts the batch-norm moving
# statistics. Compare it with VGG-16:

# %% alt="Two bar charts comparing VGG-16 and EfficientNet-Lite0: parameters in millions, and mult-adds in millions."
lite0_profile = cu.models.profile(cu.models.efficientnet_lite0(weights=None))
print(lite0_profile.table(skip_zero=True, max_rows=8))
print(f"trainable parameters: {lite0_profile.total_trainable_params:,}")
cu.report("efficientnet_lite0_params", lite0_profile.total_trainable_params)
cu.report("efficientnet_lite0_mult_adds", lite0_profile.total_mult_adds)
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for ax, key, title in [(axes[0], "total_params", "parameters (millions)"),
                       (axes[1], "total_mult_adds", "mult-adds (millions)")]:
    ax.bar(["VGG-16", "EfficientNet-Lite0"], [getattr(p, key) / 1e6 for p in (vgg_profile, lite0_profile)],
           color=["tab:gray", "tab:green"])
    ax.set_title(title)
plt.tight_layout()
plt.show()

# %% [markdown]
# Compound scaling, starting from B0:

# %% alt="Line plot on a log-2 scale of the factors over EfficientNet-B0 against the compound coefficient phi from 0 to 6: depth alpha^phi, width beta^phi, resolution gamma^phi, and the mult-adds (alpha beta^2 gamma^2)^phi as a dashed line."
alpha_d, beta_w, gamma_r = 1.2, 1.1, 1.15
phis = np.arange(0, 7)
depth, width, resolution = alpha_d ** phis, beta_w ** phis, gamma_r ** phis
cost = depth * width ** 2 * resolution ** 2
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(phis, depth, "o-", label=r"depth $\alpha^\phi$")
ax.plot(phis, width, "s-", label=r"width $\beta^\phi$")
ax.plot(phis, resolution, "^-", label=r"resolution $\gamma^\phi$")
ax.plot(phis, cost, "k--", label=r"mult-adds $(\alpha\beta^2\gamma^2)^\phi$")
ax.set_yscale("log", base=2)
ax.set_xlabel(r"compound coefficient $\phi$")
ax.set_ylabel("factor over B0")
ax.legend()
plt.show()
print("input resolution for phi = 0..6:", [int(round(224 * r / 8) * 8) for r in resolution])

# %% [markdown]
# The released B1 to B7 follow this rule only roughly (their $\phi$ were adjusted per model): their
# input resolutions are 240, 260, 300, 380, 456, 528 and 600.
#
# ## Summary
#
# - Classic networks shrink the image and grow the channels; VGG-16 uses only 3x3 convolutions and
#   2x2 pooling, and has 138 million parameters, most of them in its first dense layer.
# - Very deep plain networks train worse (the degradation problem). A residual block computes
#   $a^{[l+2]} = g(z^{[l+2]} + a^{[l]})$: with zero weights it is the identity, so depth stops hurting.
#   ResNet-50 uses bottleneck blocks (1x1, 3x3, 1x1), identity or projection shortcuts.
# - A 1x1 convolution mixes and shrinks channels; as a bottleneck it cuts the lecture's 5x5 example
#   from 120 million to 12.4 million mult-adds.
# - The Inception module runs 1x1, 3x3, 5x5 and pooling branches in parallel and concatenates them;
#   1x1 reductions make it affordable.
# - A depthwise separable convolution costs $\frac{1}{N} + \frac{1}{D_K^2}$ of a standard one
#   (462M to 52.3M mult-adds on the paper's layer); $\alpha$ and $\rho$ shrink it further. The width
#   multiplier cuts cost by about $\alpha^2$ and the parameters with it, the resolution by $\rho^2$ with
#   the same weights; for the same cost both lose about the same ImageNet accuracy.
# - EfficientNet scales depth, width and resolution together; EfficientNet-Lite0 (4.65M parameters)
#   is its phone-friendly base network.
# - `cu.models.profile(model)` counts parameters and mult-adds of any Keras model, layer by layer.
#
# **Next:** `06_object_detection`.
#
# ## Further reading
# - K. Simonyan and A. Zisserman, *Very Deep Convolutional Networks for Large-Scale Image Recognition* (2014), arXiv:1409.1556.
# - K. He, X. Zhang, S. Ren and J. Sun, *Deep Residual Learning for Image Recognition* (2015), arXiv:1512.03385.
# - M. Lin, Q. Chen and S. Yan, *Network In Network* (2013), arXiv:1312.4400.
# - C. Szegedy et al., *Going Deeper with Convolutions* (2014), arXiv:1409.4842.
# - A. Howard et al., *MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications* (2017), arXiv:1704.04861.
# - M. Tan and Q. V. Le, *EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks* (2019), arXiv:1905.11946.
# - The Keras applications (architectures with pretrained weights): https://keras.io/api/applications/
