# %% [markdown]
# # 00 · Start here
#
# Welcome to the course on **convolutional neural networks**. This page is the first one to open.
#
# **What you will learn here**
# - what the course covers, and in which order;
# - how exercises, checks and grading work;
# - whether your computer is ready (versions, Keras backend, fast mode, data folder, datasets);
# - the whole exercise flow end to end, with a small warm-up: the output size of a convolution.
#
# **Time:** about 10 minutes of reading. All its cells run in seconds: 8 s with TensorFlow and 13 s with PyTorch in
# the course's benchmark on its reference machine (2 CPU cores, otherwise idle); a slower or busy machine takes
# longer.

# %% [markdown]
# ## The course at a glance
#
# | # | notebook | you will build | computer time |
# |---|---|---|---:|
# | 00 | start here | this page, and the warm-up exercise | 8 s / 13 s |
# | 01 | convolution from scratch | padding, stride, convolution and pooling in NumPy, checked against Keras; a kernel playground | 19 s / 18 s |
# | 02 | LeNet on MNIST | a dense baseline, the lecture's convnet, LeNet-5, initialisation, a native PyTorch loop | 82 s / 87 s |
# | 03 | small data | augmentation, dropout, batch normalisation, data pipelines | 171 s / 146 s |
# | 04 | transfer learning | an ImageNet-pretrained EfficientNet-Lite0, frozen features and fine-tuning | 298 s / 262 s |
# | 05 | architectures | VGG, ResNet, 1x1 convolutions, Inception, MobileNet, a FLOP counter | 62 s / 46 s |
# | 06 | object detection | IoU, non-max suppression, anchors, a YOLO trained on the CPU, a real face detector | 214 s / 297 s |
# | 07 | segmentation | transposed convolutions and U-Net | 346 s / 354 s |
# | 08 | face recognition | siamese networks and the triplet loss on real faces | 79 s / 96 s |
# | 09 | style transfer (bonus) | neural style transfer with a pretrained network | busy: 102 s / 65 s |
# | 10 | what convnets learn | filters, the photos and images that excite a channel, saliency, integrated gradients, Grad-CAM, occlusion, a sanity check for all of them, and LeNet through the same lens | busy: 219 s / 191 s |
# | 11 | how convnets fail, and what came after them | adversarial examples (FGSM, PGD), adversarial training, attacks that transfer; a small vision transformer from its parts, raced against LeNet | busy: 266 s / 242 s |
#
# Take them in order: each notebook builds on the ones before it.
#
# **Computer time** is the computer's part of each notebook: all its cells in full mode, with TensorFlow / with
# PyTorch, as the course's benchmark measured it on its reference machine, 2 CPU cores otherwise idle
# (`benchmarks/results.md` has every run). Your reading and exercises take far longer (each notebook says how
# long). A slower machine takes longer, and a busy one much longer. The times marked *busy* were measured while
# other programs kept both cores busy, and an idle machine takes less: notebook 09's 128 x 128 style transfer took
# 6 s with TensorFlow and 7 s with PyTorch on the idle machine, and 9-20 s and 16-72 s in four runs on the busy
# one, 1.5 to 3 times as long with TensorFlow and 2.5 to 11 times with PyTorch, depending on the load.

# %% [markdown]
# ## How exercises work
#
# Each exercise is a heading such as **Exercise 1 (2 points)**, followed by
#
# 1. an **answer cell** with a function to complete. Replace `# YOUR CODE HERE` and the line
#    `raise NotImplementedError()` with your code;
# 2. usually a **try-it cell** that calls your function and tells you the value to expect;
# 3. a **check cell** right below. Run it: it prints `✔ ... all checks passed` or says what is
#    wrong, with the expected value, what came back and a hint. Check cells are locked: do not
#    edit them. Your instructor's grader runs more (hidden) checks of the same kind, so make your
#    function correct for every valid input, not only the example.
#
# To check a whole notebook from a terminal, in a fresh kernel, with a table of points:
#
# ```
# python -m course_tools check notebooks/00_start_here.ipynb
# ```

# %% [markdown]
# ## Set-up
#
# Every notebook starts with the same two lines. `cu.setup()` seeds the random generators (so that
# your results match the text), sets the plot style and prints one line about your environment.

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

# %% [markdown]
# **Warnings.** On a computer without an NVIDIA GPU, TensorFlow used to print lines such as "Could not
# find cuda drivers" and "failed call to cuInit" when it started: they only mean that it runs on the
# CPU, and `course_utils` now hides them. A warning that still appears under a cell (a `UserWarning`
# or `DeprecationWarning` from a library) is advice for programmers: worth reading, but the cell has run
# and it rarely changes a result. An error is different: a traceback ending in a line such as
# `ValueError: ...` stops the cell, and that is what you must fix. The course's checks never leave you
# guessing: they pass, or they say what is wrong.

# %% [markdown]
# ## Is your environment ready?
#
# Five settings change how the course runs. Set them *before* starting Jupyter, for example
# `KERAS_BACKEND=torch COURSE_FAST=1 jupyter lab`:
#
# | variable | values | what it does |
# |---|---|---|
# | `KERAS_BACKEND` | `tensorflow` (default) or `torch` | which framework runs the Keras models; every notebook works with both |
# | `COURSE_FAST` | `1` or unset | fast mode: small subsets and few epochs (the tests use it); results are then less accurate |
# | `COURSE_DATA_DIR` | a folder | where downloaded datasets are kept (default `~/.course_cnn_data`) |
# | `COURSE_SEED` | an integer (default 0) | the seed `cu.setup()` gives Python's, NumPy's and the backend's random generators; another seed trains the networks from another start, so the numbers that depend on training can differ a little from the text's |
# | `COURSE_THREADS` | an integer (default: half the cores) | how many CPU threads PyTorch uses; more threads than free cores make PyTorch many times slower on a busy machine |

# %%
for key, value in cu.session.environment_summary().items():
    print(f"{key:>12}: {value}")
print()
for name, status in cu.data.dataset_status().items():
    print(f"{name:>32}: {status}")


# %% [markdown]
# ## Warm-up: the output size of a convolution
#
# A convolution slides an $f \times f$ filter over an $n \times n$ image. Before sliding, the image may
# be **padded** with $p$ rings of zeros, and the filter moves $s$ pixels at a time (the **stride**).
# The number of positions the filter takes along one side is
#
# $$ n_{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1 $$
#
# You will meet this formula in every notebook. Check it by hand on three cases:
#
# | n | f | p | s | (n + 2p - f) / s | output |
# |---|---|---|---|---|---|
# | 6 | 3 | 0 | 1 | 3 | **4** |
# | 7 | 3 | 0 | 2 | 2 | **3** |
# | 6 | 3 | 1 | 1 | 5 | **6** (the output keeps the input size: "same" padding, $p = (f-1)/2$) |
# | 8 | 3 | 0 | 2 | 2.5 → 2 | **3** (the floor: a filter that would stick out of the image is not used) |

# %% [markdown]
# ### Exercise 1 (2 points)
#
# Write `conv_output_size(n, f, p, s)` that returns the output size as a Python `int`.
# Hint: `//` is integer (floor) division in Python.

# %% nbgrader={"grade": false, "grade_id": "conv_output_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(n, f, p=0, s=1):
    """Output size of a convolution along one side.

    Args:
        n: input size (pixels), n >= 1.
        f: filter size, 1 <= f <= n + 2p.
        p: padding on each side (rings of zeros), p >= 0.
        s: stride, s >= 1.

    Returns:
        int: floor((n + 2p - f) / s) + 1
    """
    ### BEGIN SOLUTION
    return (n + 2 * p - f) // s + 1
    ### END SOLUTION


# %% [markdown]
# Try it: `conv_output_size(6, 3, 0, 1)` should print `4` and `conv_output_size(8, 3, 0, 2)` should print `3`.

# %%
print(conv_output_size(6, 3, 0, 1), conv_output_size(8, 3, 0, 2))

# %% nbgrader={"grade": true, "grade_id": "test_conv_output_size", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check conv_output_size on 25 generated cases (strides with and without a remainder, padding, filters as large
# as the input, the defaults p=0 and s=1, keywords): it must return the right Python int each time.
cu.checks.check_cases(conv_output_size, "conv_output_size")
### BEGIN HIDDEN TESTS
hidden = [((1000, 7, 3, 2), 500), ((512, 3, 1, 2), 256), ((300, 5, 0, 5), 60), ((299, 4, 0, 3), 99),
          ((1024, 16, 0, 16), 64), ((13, 13, 6, 1), 13)]
for (n, f, p, s), expected in hidden:
    cu.checks.check_equal(conv_output_size(n, f, p, s), expected, name=f"conv_output_size({n}, {f}, {p}, {s})",
                           hint="pad both sides (2p), take the floor of the division, then add 1.")
### END HIDDEN TESTS
cu.checks.passed("conv_output_size", points=2)


# %% [markdown]
# ## Experiment: how stride and padding shrink an image
#
# A 32x32 image through a 3x3 filter. With $p = 1$ and $s = 1$ the size is kept; every stride of 2
# halves it. Networks use this to trade spatial detail for cheaper, more abstract layers.

# %% alt="Line plot of the output size of a 3x3 convolution on a 32-pixel image against the stride (1 to 4), one line for padding p = 0 and one for p = 1."
import matplotlib.pyplot as plt

strides = [1, 2, 3, 4]
fig, ax = plt.subplots(figsize=(5, 3))
for pad in (0, 1):
    ax.plot(strides, [conv_output_size(32, 3, pad, s) for s in strides], "o-", label=f"p = {pad}")
ax.set_xlabel("stride s")
ax.set_ylabel("output size (n = 32, f = 3)")
ax.set_xticks(strides)
ax.legend()
plt.show()
cu.report("same_padding_output_32", conv_output_size(32, 3, 1, 1))

# %% [markdown]
# ## Summary
#
# - Run `cu.setup()` at the top of every notebook; settings come from `KERAS_BACKEND`, `COURSE_FAST`
#   and `COURSE_DATA_DIR`.
# - An exercise is an answer cell, a try-it cell and a locked check cell that tells you what is wrong.
# - $n_{out} = \lfloor (n + 2p - f)/s \rfloor + 1$; "same" padding is $p = (f-1)/2$ for odd $f$.
#
# **Next:** `01_convolution_from_scratch`.
#
# ## Further reading
# - V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning* (2016), arXiv:1603.07285.
# - The Keras guide to the functional API: https://keras.io/guides/functional_api/
# - nbgrader's documentation (how instructors grade these notebooks): https://nbgrader.readthedocs.io
