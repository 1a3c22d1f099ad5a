# %% [markdown]
# # 06 · Object detection
#
# From "what is in this image?" to "what is where?": localisation, the YOLO grid, IoU, non-max
# suppression, anchor boxes, a small YOLO-style detector trained on the CPU, its evaluation, and a
# real pretrained face detector.
#
# **What you will learn**
# - the target vector of classification with localisation, its loss, and landmark regression;
# - why sliding windows are slow, how fully connected layers become convolutions, and how one forward
#   pass computes every window at once (proven numerically);
# - the YOLO grid: which cell owns an object, how boxes are written relative to the cell, anchor boxes;
# - intersection over union (IoU) and non-max suppression (NMS), written by you;
# - choosing anchors by k-means with the distance $1 - \mathrm{IoU}$;
# - decoding a YOLOv2-style $(19, 19, 5, 85)$ output volume;
# - training a small detector on scenes of real MNIST digits, and measuring it with precision-recall
#   curves, average precision (AP) and mAP;
# - running a real pretrained face detector (MTCNN) on a photo.
#
# **Time:** about 90 minutes of reading and exercises. The computer's part, all cells in full mode, took about 4 to
# 5 minutes (214 s with TensorFlow, 297 s with PyTorch, of which the detector's training 188 s and 252 s) in the
# course's benchmark on its reference machine (2 CPU cores, otherwise idle); a slower or busy machine takes longer.

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
from keras import layers, ops

# %% [markdown]
# ## The data: scenes of real MNIST digits
#
# Detection needs images with several objects and a box around each. `cu.scenes.make_scenes` pastes
# 1 to 4 real MNIST digits at random sizes and places on a black canvas and returns, for each scene, the
# exact **boxes** (tight around the ink of each digit) and their **labels** (the digit). The train,
# validation and test scenes are made from different digit images, so the test measures generalisation.
#
# A box is written in **corner format** $(x_1, y_1, x_2, y_2)$ in pixels: $x$ to the right, $y$ **down**,
# the pixel in row $r$ and column $c$ covering $[c, c+1) \times [r, r+1)$. A box around the ink in
# columns 10 to 19 therefore has $x_1 = 10$, $x_2 = 20$ and width $x_2 - x_1 = 10$.
# `cu.boxes.draw_boxes` draws boxes on a copy of an image.

# %% alt="Grid of eight 96x96 scenes of handwritten digits on black, each digit inside its labelled ground-truth box."
demo = cu.scenes.make_scenes(8, split="train", seed=0)
print(demo)
print("boxes of scene 0 (x1, y1, x2, y2):\n", demo.boxes[0], "\nlabels:", demo.labels[0])
drawn = [cu.boxes.draw_boxes(img, b, labels=l, scale=2) for img, b, l in zip(demo.images, demo.boxes, demo.labels)]
cu.plots.image_grid(np.stack(drawn), ncols=4, size=2.2, title="digit scenes (96 x 96) with their boxes")
plt.show()


# %% [markdown]
# ## 1. Classification with localisation
#
# A classifier answers "which class?". To also say **where**, the network outputs a box. With three
# classes (say pedestrian, car, motorcycle) plus "background", the lecture's target vector is
#
# $$ y = [\,p_c,\; b_x,\; b_y,\; b_h,\; b_w,\; c_1,\; c_2,\; c_3\,]^T $$
#
# - $p_c$: is there an object at all (1) or only background (0)?
# - $(b_x, b_y)$: the centre of the box, $b_h, b_w$: its height and width, all as fractions of the image
#   (so $(0.5, 0.5)$ is the centre of the image);
# - $c_1, c_2, c_3$: one-hot class (only meaningful when $p_c = 1$).
#
# With squared error, the loss depends on $p_c$: when there is an object every component counts; when
# there is none, the box and class entries are "don't care" and only $p_c$ is compared:
#
# $$ \mathcal{L}(\hat y, y) = \begin{cases} \sum_{i=1}^{8} (\hat y_i - y_i)^2 & \text{if } y_1 = p_c = 1 \\
#    (\hat y_1 - y_1)^2 & \text{if } y_1 = p_c = 0 \end{cases} $$
#
# **Worked example.** A car in the middle-left: $y = [1, 0.3, 0.6, 0.4, 0.5, 0, 1, 0]$. The network says
# $\hat y = [0.9, 0.35, 0.6, 0.3, 0.5, 0.1, 0.8, 0.1]$. The squared errors are
# $0.01 + 0.0025 + 0 + 0.01 + 0 + 0.01 + 0.04 + 0.01 = 0.0825$. For an image with no object,
# $y = [0, ?, ?, ?, ?, ?, ?, ?]$ and the same $\hat y$ costs only $(0.9 - 0)^2 = 0.81$: the other seven
# numbers are ignored. (In practice one often uses a logistic loss for $p_c$ and a softmax loss for the
# classes; the case split stays the same.)

# %%
def localisation_loss(y_hat, y):
    """Squared-error loss of classification with localisation, for one example (8 numbers each)."""
    y_hat, y = np.asarray(y_hat, float), np.asarray(y, float)
    if y[0] == 1:
        return float(np.sum((y_hat - y) ** 2))
    return float((y_hat[0] - y[0]) ** 2)


y_hat = [0.9, 0.35, 0.6, 0.3, 0.5, 0.1, 0.8, 0.1]
print("object present:", round(localisation_loss(y_hat, [1, 0.3, 0.6, 0.4, 0.5, 0, 1, 0]), 4))
print("background    :", round(localisation_loss(y_hat, [0, 0.7, 0.1, 0.9, 0.9, 1, 0, 0]), 4),
      "(the box and class numbers of y are ignored)")


# %% [markdown]
# ### Landmark detection
#
# The same idea outputs any set of **points**: a face network may output $(l_{1x}, l_{1y}), \dots,
# (l_{64x}, l_{64y})$ for 64 landmarks (eye corners, mouth, jaw line), a pose network the joints of a
# body. It is plain regression of $2n$ numbers. One rule matters: landmark $k$ must mean the same point in
# every training image (say, always the left corner of the left eye), or the network is asked to learn a
# contradiction. Below, four landmarks of each digit (its top-, bottom-, left- and right-most ink pixel)
# are drawn with `cu.boxes.draw_landmarks`; a network could be trained to regress these 8 numbers. The
# real face detector at the end of the notebook outputs 5 landmarks per face.

# %% alt="Four digit scenes with four landmark dots on each digit: its top-, bottom-, left- and right-most pixels."
def extreme_points(mask):
    """Top-, bottom-, left- and right-most pixel centres (x, y) of a boolean mask, shape (4, 2)."""
    rows, cols = np.nonzero(mask)
    picks = [np.argmin(rows), np.argmax(rows), np.argmin(cols), np.argmax(cols)]
    return np.array([[cols[k] + 0.5, rows[k] + 0.5] for k in picks])


marked = []
for i in range(4):
    points = np.stack([extreme_points(demo.masks[i] == 1 + label) for label in demo.labels[i]
                       if (demo.masks[i] == 1 + label).any()])
    marked.append(cu.boxes.draw_landmarks(demo.images[i], points, radius=2, scale=2))
cu.plots.image_grid(np.stack(marked), ncols=4, size=2.2, title="four landmarks per digit")
plt.show()

# %% [markdown]
# ## 2. Sliding windows, and doing them all at once
#
# The oldest way to detect: train a classifier on tight crops ("digit" vs "not a digit", or which digit),
# then slide a window over the image, classify every crop, and repeat with several window sizes. It works,
# but the cost explodes. A 96 x 96 canvas with a 28 x 28 window moved by 4 pixels needs
# $\left(\frac{96 - 28}{4} + 1\right)^2 = 18^2 = 324$ forward passes, for a single window size. A stride of
# 1 needs $69^2 = 4761$. A coarse stride is cheaper but misplaces boxes.

# %%
for stride in (1, 2, 4, 8):
    for window in (20, 28, 40):
        n = ((96 - window) // stride + 1) ** 2
        print(f"window {window:2d}, stride {stride}: {n:5d} crops", end=" | " if window != 40 else "\n")

# %% [markdown]
# ### Fully connected layers as convolutions
#
# Many of those crops overlap, and a convnet computes the same features again for each. The fix starts
# with an observation: a `Dense` layer on a flattened $5 \times 5 \times 16$ volume is exactly a
# convolution with $5 \times 5$ filters that covers the whole volume (one output position), with the dense
# weights reshaped to $(5, 5, 16, n_{units})$. Later dense layers become $1 \times 1$ convolutions.
#
# Once the classifier is all convolutions, it accepts a **larger** image: a network built for
# $14 \times 14$ crops, fed a $16 \times 16$ image, outputs a $2 \times 2$ map, whose four entries are its
# predictions for the four $14 \times 14$ windows at stride 2 (the stride of its max pooling). One forward
# pass shares every computation the overlapping windows have in common. Let us prove it numerically with
# the lecture's small network (14 x 14 x 3 input, 5 x 5 convolution, 2 x 2 max pooling, two hidden dense
# layers, 4 classes), made smaller.

# %%
keras.utils.set_random_seed(1)
classifier = keras.Sequential([
    keras.Input((14, 14, 3)),
    layers.Conv2D(16, 5, activation="relu"),          # 10 x 10 x 16
    layers.MaxPooling2D(2),                          # 5 x 5 x 16
    layers.Flatten(),                                # 400
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(4, activation="softmax"),
], name="window_classifier")

conv_net = keras.Sequential([
    keras.Input((None, None, 3)),
    layers.Conv2D(16, 5, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Conv2D(32, 5, activation="relu"),         # was Dense(32) on the flattened 5 x 5 x 16
    layers.Conv2D(32, 1, activation="relu"),         # was Dense(32)
    layers.Conv2D(4, 1, activation="softmax"),       # was Dense(4)
], name="convolutional_sliding_windows")

conv_layers = [l for l in conv_net.layers if isinstance(l, layers.Conv2D)]
dense_like = [l for l in classifier.layers if isinstance(l, (layers.Conv2D, layers.Dense))]
for target, source in zip(conv_layers, dense_like):
    kernel, bias = source.get_weights()
    target.set_weights([kernel.reshape(target.kernel.shape), bias])

image = np.random.default_rng(0).random((1, 16, 16, 3)).astype("float32")
all_at_once = keras.ops.convert_to_numpy(conv_net(image))[0]           # (2, 2, 4)
one_by_one = np.zeros((2, 2, 4), "float32")
for r in range(2):
    for c in range(2):
        crop = image[:, 2 * r:2 * r + 14, 2 * c:2 * c + 14, :]
        one_by_one[r, c] = keras.ops.convert_to_numpy(classifier(crop))[0]
print("output map shape:", all_at_once.shape)
print("max difference between one pass and four windows:", np.abs(all_at_once - one_by_one).max())
cu.checks.check_array(all_at_once, one_by_one, name="convolutional sliding windows", atol=1e-5)


# %% [markdown]
# The difference is at the level of float32 rounding: the two computations are the same. On a
# $28 \times 28$ input the same network outputs an $8 \times 8$ map, 64 windows for the price of about
# $(28/14)^2 = 4$ crops. Its weakness: the windows sit on a fixed grid with fixed sizes, so the boxes are
# not precise. YOLO fixes that by letting each position **regress** a box.

# %% [markdown]
# ## 3. The YOLO grid
#
# YOLO ("you only look once") lays an $S \times S$ grid over the image and runs one convnet whose output
# has one vector per cell. An object belongs to the **one cell that holds the centre of its box**. That
# cell's vector says $p_c = 1$, the box and the class; every other cell says $p_c = 0$ for that object.
# The box is written **relative to the cell**:
#
# - $b_x, b_y \in [0, 1)$: where the centre lies inside its cell ($(0, 0)$ is the cell's top-left corner);
# - $b_w, b_h$: width and height **in cell units** (1 = one cell); they can be larger than 1, since an
#   object can span several cells.
#
# From here on we store boxes as $(b_x, b_y, b_w, b_h)$, the order of the YOLO papers and code (the
# lecture writes $b_h$ before $b_w$; only the bookkeeping changes).
#
# **Worked example.** A 96 x 96 image, $S = 3$ (cells of 32 pixels). A box $(x_1, y_1, x_2, y_2) = (40, 10,
# 80, 30)$ has its centre at $(60, 20)$, so it lies in **row** $\lfloor 20/32 \rfloor = 0$ and **column**
# $\lfloor 60/32 \rfloor = 1$. Inside that cell $b_x = 60/32 - 1 = 0.875$, $b_y = 20/32 - 0 = 0.625$, and
# $b_w = 40/32 = 1.25$, $b_h = 20/32 = 0.625$. In image-relative units (divide pixels by 96) the same
# numbers come out as $c_x S - \text{col}$ and $w S$. Note the **row** index comes from $y$ and the
# **column** index from $x$: arrays are indexed `[row, col]`.
#
# ## 4. Intersection over union
#
# To say whether a predicted box is "right", and to remove duplicates, we need a measure of overlap:
#
# $$ \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|} $$
#
# It is 1 for identical boxes and 0 for boxes that do not touch. By convention a detection is "correct"
# when its IoU with the true box is at least 0.5.
#
# **Worked example.** $A = (0, 0, 4, 4)$ and $B = (2, 2, 6, 6)$: the intersection is $(2, 2, 4, 4)$, area 4;
# the areas are 16 and 16, so the union is $16 + 16 - 4 = 28$ and IoU $= 4/28 = 1/7 \approx 0.1429$. For
# $A = (0, 0, 2, 2)$ and $C = (3, 0, 5, 2)$ the "intersection" would have width $2 - 3 = -1$: clip it to 0,
# so IoU $= 0$.

# %% [markdown]
# ### Exercise 1 (2 points)
#
# Write `iou(box1, box2)` for two boxes in corner format. Clip negative overlaps to zero, and remember to
# subtract the intersection in the union.

# %% nbgrader={"grade": false, "grade_id": "iou", "locked": false, "schema_version": 3, "solution": true, "task": false}
def iou(box1, box2):
    """Intersection over union of two boxes in corner format.

    Args:
        box1, box2: sequences or arrays of 4 numbers (x1, y1, x2, y2) with x1 <= x2, y1 <= y2.

    Returns:
        float in [0, 1]: area(box1 ∩ box2) / area(box1 ∪ box2); 0.0 for disjoint or touching
        boxes, and 0.0 when the union has zero area.
    """
    ### BEGIN SOLUTION
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    intersection = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
    area2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
    union = area1 + area2 - intersection
    return float(intersection / union) if union > 0 else 0.0
    ### END SOLUTION


# %% [markdown]
# Try it: `iou((0, 0, 4, 4), (2, 2, 6, 6))` should print `0.142857...` (1/7) and
# `iou((0, 0, 2, 2), (3, 0, 5, 2))` should print `0.0`.

# %%
print(iou((0, 0, 4, 4), (2, 2, 6, 6)), iou((0, 0, 2, 2), (3, 0, 5, 2)))

# %% nbgrader={"grade": true, "grade_id": "test_iou", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check iou on 31 generated cases: the worked examples, boxes apart along x only, along y only and diagonally,
# touching, nested and swapped boxes, fractional, integer and NumPy corners, empty boxes and lines (union 0),
# tiny and large boxes. The expected outputs are stored in course_utils/cases/iou.npz.
cu.checks.check_cases(iou, "iou")
### BEGIN HIDDEN TESTS
_hint = "intersection = max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1)); union = a1 + a2 - intersection."
_ref_iou = lambda a, b: (max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))) / (
    (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    - max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1])))
_rng = cu.checks.rng(6)
for _ in range(50):
    _xy = _rng.uniform(0, 10, (2, 2))
    _a = np.concatenate([_xy[0], _xy[0] + _rng.uniform(0.5, 6, 2)])
    _b = np.concatenate([_xy[1], _xy[1] + _rng.uniform(0.5, 6, 2)])
    cu.checks.check_close(iou(_a, _b), _ref_iou(_a, _b), name=f"iou({np.round(_a, 2)}, {np.round(_b, 2)})",
                           atol=1e-6, hint=_hint)
    cu.checks.check_close(iou(_a, _b), iou(_b, _a), name="iou is symmetric", atol=1e-9, hint=_hint)
### END HIDDEN TESTS
cu.checks.passed("iou", points=2)


# %% [markdown]
# ### Exercise 2 (2 points)
#
# Detectors compare thousands of boxes, so Python loops are too slow. Write `iou_matrix(boxes_a, boxes_b)`
# that returns every pairwise IoU at once with NumPy broadcasting (no Python loop): add axes so that
# `boxes_a[:, None, :]` meets `boxes_b[None, :, :]`.

# %% nbgrader={"grade": false, "grade_id": "iou_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def iou_matrix(boxes_a, boxes_b):
    """Pairwise IoU of two sets of boxes in corner format, vectorised.

    Args:
        boxes_a: array (n, 4) of boxes (x1, y1, x2, y2), of any numeric dtype (8-bit pixels too).
        boxes_b: array (m, 4) of boxes.

    Returns:
        float array (n, m): entry [i, j] is IoU(boxes_a[i], boxes_b[j]) (0 where the union is 0).
        Shape (0, m) or (n, 0) when a set is empty.
    """
    ### BEGIN SOLUTION
    a = np.asarray(boxes_a, dtype=np.float64)
    b = np.asarray(boxes_b, dtype=np.float64)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    intersection = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - intersection
    return intersection / np.where(union > 0, union, np.inf)       # 0 where the union is 0
    ### END SOLUTION


# %% [markdown]
# Try it: the matrix below should be `[[1/7, 0], [1, 0]]` (about `[[0.1429, 0], [1, 0]]`).

# %%
print(iou_matrix(np.array([[0, 0, 4, 4], [2, 2, 6, 6]]), np.array([[2, 2, 6, 6], [10, 10, 12, 12]])))

# %% nbgrader={"grade": true, "grade_id": "test_iou_matrix", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check iou_matrix on 21 generated cases: n boxes against m (n != m, one box, none at all), boxes apart along one
# axis or diagonally, empty boxes and lines (union 0: IoU 0, never NaN), integer and 8-bit boxes, tiny boxes;
# and that it computes all pairs at once instead of calling iou in a loop.
cu.checks.check_cases(iou_matrix, "iou_matrix")
cu.checks.check_uses_none_of(iou_matrix, ("iou",), name="iou_matrix is vectorised",
                              hint="compute every pair at once with broadcasting, not by calling iou pair by pair.")
### BEGIN HIDDEN TESTS
_hint = "broadcast boxes_a[:, None] against boxes_b[None, :]; clip overlaps at 0; union = a + b - intersection."
def _ref_iou_matrix(a, b):
    x1 = np.maximum(a[:, None, 0], b[None, :, 0]); y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2]); y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]); area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)
_rng = cu.checks.rng(7)
_a = np.concatenate([_xy := _rng.uniform(0, 20, (30, 2)), _xy + _rng.uniform(1, 10, (30, 2))], axis=1)
_b = np.concatenate([_xy := _rng.uniform(0, 20, (17, 2)), _xy + _rng.uniform(1, 10, (17, 2))], axis=1)
cu.checks.check_array(iou_matrix(_a, _b), _ref_iou_matrix(_a, _b), name="iou_matrix(30 random, 17 random)",
                       atol=1e-6, hint=_hint)
cu.checks.check_array(iou_matrix(_a[:5], _a[:5]).diagonal(), np.ones(5), name="iou_matrix(A, A) diagonal",
                       atol=1e-6, hint=_hint)
cu.checks.check_shape(iou_matrix(np.zeros((0, 4)), _b), (0, 17), name="iou_matrix(no boxes, 17 boxes)",
                       hint="an empty set gives an empty (0, m) matrix.")
### END HIDDEN TESTS
cu.checks.passed("iou_matrix", points=2)


# %% [markdown]
# ## 5. Non-max suppression
#
# A detector fires several times around one object (neighbouring cells and anchors all see it). Non-max
# suppression (NMS) keeps the best of each cluster:
#
# 1. discard every box whose score is $\le$ `score_threshold` (keep only `score > score_threshold`);
# 2. **separately for each class**: pick the remaining box with the highest score and output it, then
#    discard every remaining box of that class whose IoU with it is $\ge$ `iou_threshold`; repeat until no
#    box of that class is left.
#
# Per class matters: a "1" drawn inside a "7" is a different object, even if the boxes overlap a lot.
#
# **Worked example.** Three boxes of class 0 with scores 0.9, 0.8 and 0.7: box 1 overlaps box 0 with IoU
# $80/120 = 2/3$, box 2 does not touch either. With `iou_threshold=0.5` NMS keeps boxes 0 and 2. If box 1 were of
# class 1, all three would be kept.

# %% [markdown]
# ### Exercise 3 (3 points)
#
# Write `non_max_suppression`. Follow the docstring to the letter: strict `>` for the score, `>=` for the
# IoU, and ties broken by index, so that every correct version returns the same indices.

# %% nbgrader={"grade": false, "grade_id": "non_max_suppression", "locked": false, "schema_version": 3, "solution": true, "task": false}
def non_max_suppression(boxes, scores, classes, iou_threshold=0.5, score_threshold=0.0):
    """Greedy non-max suppression, done separately for each class.

    Args:
        boxes: array (n, 4), corner format (x1, y1, x2, y2), of any numeric dtype (8-bit pixels too).
        scores: array (n,) of confidences.
        classes: int array (n,) of class indices.
        iou_threshold: a box is suppressed when its IoU with a kept box of the same class
            is >= iou_threshold.
        score_threshold: only boxes with score > score_threshold (strictly) take part.

    Returns:
        int array (k,) of the indices (into the inputs) of the kept boxes, sorted by
        decreasing score; equal scores in increasing index order. Empty (0,) array when
        nothing is kept.

    Within a class, boxes are visited by decreasing score (equal scores: smaller index
    first); a visited box is kept unless a kept box of its class overlaps it with
    IoU >= iou_threshold. Boxes of different classes never suppress each other.
    """
    ### BEGIN SOLUTION
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    classes = np.asarray(classes)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > score_threshold]
    keep = []
    for c in np.unique(classes[order]):
        index = order[classes[order] == c]              # this class, best first
        x1, y1, x2, y2 = (boxes[index, j] for j in range(4))
        area = (x2 - x1) * (y2 - y1)
        alive = np.arange(len(index))
        while alive.size:
            best, rest = alive[0], alive[1:]
            keep.append(index[best])
            w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
            h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
            intersection = w * h
            union = area[best] + area[rest] - intersection
            overlap = intersection / np.where(union > 0, union, np.inf)    # 0 where the union is 0
            alive = rest[overlap < iou_threshold]
    keep = np.asarray(keep, dtype=np.int64)
    return keep[np.lexsort((keep, -scores[keep]))]
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example. Expected `[0 2]`, and `[0 1 2]` when box 1 is of another class.

# %%
example_boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [20, 20, 30, 30]])
print(iou(example_boxes[0], example_boxes[1]))
print(non_max_suppression(example_boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 0]), 0.5, 0.1))
print(non_max_suppression(example_boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 1, 0]), 0.5, 0.1))

# %% nbgrader={"grade": true, "grade_id": "test_non_max_suppression", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check non_max_suppression on 26 generated cases: the worked example, per-class suppression, the order of the
# result, a chain of boxes, IoU exactly at the threshold and scores equal to it, thresholds 0 and 1 and left to
# their defaults, empty results (an integer array), empty, tiny and 8-bit boxes, and 40 boxes with tied scores.
cu.checks.check_cases(non_max_suppression, "non_max_suppression")
### BEGIN HIDDEN TESTS
_hint = "sort by score, keep the best, drop same-class boxes with IoU >= iou_threshold, repeat; per class."
def _nms_list(*args):
    out = non_max_suppression(*args)
    cu.checks.check_implemented(out, "non_max_suppression")
    return [int(i) for i in np.asarray(cu.to_numpy(out)).reshape(-1)]
def _pair_iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0])); h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)
def _ref_nms(boxes, scores, classes, iou_threshold, score_threshold):
    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] > score_threshold]
    keep = []
    for i in order:
        if all(classes[j] != classes[i] or _pair_iou(boxes[i], boxes[j]) < iou_threshold
               for j in keep):
            keep.append(i)
    return sorted(keep, key=lambda i: (-scores[i], i))
# one class, many random boxes; several classes, many random boxes
_rng = cu.checks.rng(8)
for _n, _k, _thr in [(60, 1, 0.5), (200, 4, 0.5), (300, 10, 0.3), (150, 3, 0.7)]:
    _xy = _rng.uniform(0, 50, (_n, 2))
    _bx = np.concatenate([_xy, _xy + _rng.uniform(5, 25, (_n, 2))], axis=1)
    _sc = np.round(_rng.uniform(0, 1, _n), 2)        # rounded: ties happen
    _cl = _rng.integers(0, _k, _n)
    cu.checks.check_equal(_nms_list(_bx, _sc, _cl, _thr, 0.2), _ref_nms(_bx, _sc, _cl, _thr, 0.2),
                           name=f"non_max_suppression({_n} random boxes, {_k} classes, iou_threshold={_thr})",
                           hint=_hint + " Return indices sorted by decreasing score.")
### END HIDDEN TESTS
cu.checks.passed("non_max_suppression", points=3)

# %% [markdown]
# ### How fast is your NMS?
#
# A detector may produce thousands of candidate boxes per image, so NMS must be quick. Below: 10,000
# candidates as a detector produces them, 100 objects in a 416 x 416 image, each seen by about 100
# jittered, overlapping candidates, 10 classes. With a vectorised inner step (the IoU of the best box
# against all remaining boxes at once) this takes well under the 50 ms a detector can afford (the line
# below prints the best of 5 runs); a Python loop over pairs of boxes would compute the same IoUs one at
# a time, far more slowly. (Greedy NMS does one step per **kept** box: 10,000 boxes that never overlap
# would take 10,000 steps.)

# %%
rng = np.random.default_rng(0)
object_centres, object_sizes = rng.uniform(40, 376, (100, 2)), rng.uniform(20, 80, (100, 2))
object_classes = rng.integers(0, 10, 100)
owner = rng.integers(0, 100, 10_000)                     # which object each candidate looks at
centres = object_centres[owner] + rng.normal(0, 4, (10_000, 2))
sizes = object_sizes[owner] * rng.uniform(0.85, 1.15, (10_000, 2))
many_boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
many_scores, many_classes = rng.uniform(0, 1, 10_000), object_classes[owner]
timings = []
for _ in range(5):
    start = time.perf_counter()
    kept = non_max_suppression(many_boxes, many_scores, many_classes, 0.5, 0.0)
    timings.append(time.perf_counter() - start)
print(f"kept {len(kept)} of 10,000 boxes; best of 5 runs: {1000 * min(timings):.1f} ms")
cu.report("nms_10k_ms", 1000 * min(timings), unit="ms")


# %% [markdown]
# ## 6. Anchor boxes
#
# With one box per cell, two objects whose centres fall into the same cell cannot both be described. Anchor
# boxes give each cell $B$ slots, each with a prototype shape (say one tall and one wide). An object goes to
# the cell holding its centre **and** to the anchor whose shape has the highest IoU with the object's
# shape (both centred at the same point, so only widths and heights matter:
# $\mathrm{IoU} = \frac{\min(w, w_a)\min(h, h_a)}{w h + w_a h_a - \min(w, w_a)\min(h, h_a)}$).
# Anchors also let each slot specialise: a slot for tall objects learns tall boxes.
#
# The training target for one image then has shape $(S, S, B, 5 + C)$. In this notebook, entry
# `target[row, col, a]` is
#
# $$ [\,p_c,\; b_x,\; b_y,\; b_w,\; b_h,\; c_0, \dots, c_{C-1}\,] $$
#
# with $p_c = 1$, $b_x, b_y$ relative to the cell, $b_w, b_h$ in cell units and a one-hot class for the
# slot that owns an object, and all zeros elsewhere. The worked example of section 3 with one anchor
# $(1, 1)$ and $C = 3$ (class 2) fills `target[0, 1, 0] = [1, 0.875, 0.625, 1.25, 0.625, 0, 0, 1]`.

# %% [markdown]
# ### Exercise 4 (3 points)
#
# Write `encode_yolo_targets`. Boxes arrive **image-relative** (pixel coordinates divided by the image size).

# %% nbgrader={"grade": false, "grade_id": "encode_yolo_targets", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode_yolo_targets(boxes, labels, grid_size, anchors, n_classes):
    """Encode the boxes of one image as a YOLO training target.

    Args:
        boxes: array (k, 4) corner format (x1, y1, x2, y2), image-relative: all in [0, 1]
            (pixels divided by the image width / height).
        labels: int array (k,) of classes in 0..n_classes-1.
        grid_size: S, the number of cells per side.
        anchors: array (B, 2) of anchor shapes (w, h) in cell units.
        n_classes: C.

    Returns:
        float32 array (S, S, B, 5 + C). For each box, with centre (cx, cy), width w and height h
        (image-relative):
          row = min(floor(cy * S), S - 1), col = min(floor(cx * S), S - 1);
          a = the anchor whose (w, h) has the highest IoU with (w * S, h * S), both centred at the
              same point (ties: the smaller anchor index);
          target[row, col, a] = [1, cx * S - col, cy * S - row, w * S, h * S, one-hot(label)].
        Every other entry is 0. If two boxes land on the same (row, col, a), the later box wins.
    """
    ### BEGIN SOLUTION
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    S, B = int(grid_size), len(anchors)
    target = np.zeros((S, S, B, 5 + n_classes), dtype=np.float32)
    for (x1, y1, x2, y2), label in zip(boxes, np.asarray(labels).reshape(-1)):
        cx, cy, w, h = (x1 + x2) / 2 * S, (y1 + y2) / 2 * S, (x2 - x1) * S, (y2 - y1) * S
        row, col = min(int(np.floor(cy)), S - 1), min(int(np.floor(cx)), S - 1)
        inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])
        a = int(np.argmax(inter / (w * h + anchors[:, 0] * anchors[:, 1] - inter)))
        target[row, col, a] = 0.0
        target[row, col, a, :5] = [1.0, cx - col, cy - row, w, h]
        target[row, col, a, 5 + int(label)] = 1.0
    return target
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example of section 3 (image 96 pixels, $S = 3$). Expected
# `[1. 0.875 0.625 1.25 0.625 0. 0. 1.]` and one non-zero slot in total.

# %%
t = encode_yolo_targets(np.array([[40, 10, 80, 30]]) / 96, np.array([2]), 3, np.array([[1.0, 1.0]]), 3)
print(t.shape, t[0, 1, 0], "slots with an object:", int(t[..., 0].sum()))

# %% nbgrader={"grade": true, "grade_id": "test_encode_yolo_targets", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check encode_yolo_targets on 25 generated cases: the worked example, rows from y and columns from x, anchors
# chosen by shape (ties: the smaller index), centres on cell borders and on the image's far edges (along one axis
# or both), two boxes in one slot (the later wins) or in one cell, zero-size boxes, lists, YOLOv2's 5 anchors;
# and that the target is float32, as the training loop expects.
cu.checks.check_cases(encode_yolo_targets, "encode_yolo_targets")
_t = encode_yolo_targets(np.array([[40, 10, 80, 30]]) / 96, np.array([2]), 3, np.array([[1.0, 1.0]]), 3)
cu.checks.check_true(np.asarray(cu.to_numpy(_t)).dtype == np.float32,
                      f"expected a float32 array, got {np.asarray(cu.to_numpy(_t)).dtype}", name="encode_yolo_targets dtype",
                      hint="np.zeros(..., dtype=np.float32): the training loop feeds it to the network as is.")
### BEGIN HIDDEN TESTS
_hint = "row from y, column from x; b_x = cx*S - col (cell-relative), b_w = w*S (cell units); anchor by shape IoU."
# a centre exactly on a cell border belongs to the cell below / to the right (floor)
_t = encode_yolo_targets(np.array([[0.125, 0.125, 0.375, 0.375]]), np.array([0]), 4, np.array([[1.0, 1.0]]), 2)
cu.checks.check_array(_t[1, 1, 0], [1, 0.0, 0.0, 1.0, 1.0, 1, 0], name="encode_yolo_targets(centre on a cell border)",
                       atol=1e-5, hint=_hint)
cu.checks.check_close(_t.sum(), 1 + 2.0 + 1, name="encode_yolo_targets(centre on a cell border): one slot only",
                       atol=1e-5)
_rng = cu.checks.rng(9)
for _ in range(5):
    _xy = _rng.uniform(0, 0.7, (4, 2))
    _bx = np.concatenate([_xy, _xy + _rng.uniform(0.05, 0.3, (4, 2))], axis=1)
    _lab = _rng.integers(0, 3, 4)
    _anc = _rng.uniform(0.3, 3, (2, 2))
    _t = np.asarray(cu.to_numpy(encode_yolo_targets(_bx, _lab, 6, _anc, 3)))
    _exp = np.zeros((6, 6, 2, 8))
    for (_x1, _y1, _x2, _y2), _l in zip(_bx * 6, _lab):
        _w, _h, _cx, _cy = _x2 - _x1, _y2 - _y1, (_x1 + _x2) / 2, (_y1 + _y2) / 2
        _r, _c = min(int(_cy), 5), min(int(_cx), 5)
        _i = np.minimum(_w, _anc[:, 0]) * np.minimum(_h, _anc[:, 1])
        _a = int(np.argmax(_i / (_w * _h + _anc.prod(1) - _i)))
        _exp[_r, _c, _a] = 0
        _exp[_r, _c, _a, :5] = [1, _cx - _c, _cy - _r, _w, _h]
        _exp[_r, _c, _a, 5 + _l] = 1
    cu.checks.check_array(_t, _exp, name="encode_yolo_targets(4 random boxes, S = 6, 2 anchors)", atol=1e-5, hint=_hint)
### END HIDDEN TESTS
cu.checks.passed("encode_yolo_targets", points=3)


# %% [markdown]
# ### Choosing anchors with k-means
#
# Which anchor shapes? YOLOv2 learned them from the training boxes by **k-means on (w, h)**, with the
# distance $d = 1 - \mathrm{IoU}$ (shapes centred together) instead of the Euclidean distance: with
# Euclidean distance, big boxes dominate (an error of 5 pixels is huge for a 10-pixel box and tiny for a
# 200-pixel one), while IoU is scale-free.

# %% [markdown]
# ### Exercise 5 (2 points)
#
# Write `kmeans_anchors(box_wh, k, seed)`. Follow the docstring exactly (initialisation, assignment,
# update, stopping rule), so that the result is fully determined by the seed.

# %% nbgrader={"grade": false, "grade_id": "kmeans_anchors", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kmeans_anchors(box_wh, k, seed=0, max_iter=100):
    """Anchor shapes by k-means on box widths and heights with the distance 1 - IoU.

    Args:
        box_wh: array (n, 2) of box shapes (w, h), all > 0.
        k: number of anchors (1 <= k <= n).
        seed: seed of the initialisation.
        max_iter: at most this many assignment steps.

    Returns:
        float array (k, 2) of anchor shapes (w, h), sorted by increasing area w * h.

    Algorithm:
        1. centroids = box_wh[np.random.default_rng(seed).choice(n, size=k, replace=False)];
        2. assign each box to the centroid with the highest shape IoU (= smallest 1 - IoU;
           ties: the smaller centroid index);
        3. if no assignment changed since the previous step, stop; otherwise move each centroid
           to the mean (w, h) of its boxes (a centroid with no box stays where it is) and go to 2.
    """
    ### BEGIN SOLUTION
    wh = np.asarray(box_wh, dtype=np.float64).reshape(-1, 2)
    centroids = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()
    assignment = None
    for _ in range(max_iter):
        inter = np.minimum(wh[:, None, 0], centroids[None, :, 0]) * np.minimum(wh[:, None, 1], centroids[None, :, 1])
        shape_iou = inter / (wh[:, None, 0] * wh[:, None, 1] + centroids[None, :, 0] * centroids[None, :, 1] - inter)
        new = np.argmax(shape_iou, axis=1)
        if assignment is not None and np.array_equal(new, assignment):
            break
        assignment = new
        for j in range(k):
            if np.any(assignment == j):
                centroids[j] = wh[assignment == j].mean(axis=0)
    return centroids[np.argsort(centroids[:, 0] * centroids[:, 1], kind="stable")]
    ### END SOLUTION


# %% [markdown]
# Try it: shapes drawn around three prototypes, small squares $(2, 2)$, tall boxes $(3, 9)$ and large
# squares $(40, 40)$. Expected: three anchors close to those, smallest first.

# %%
rng = np.random.default_rng(0)
prototypes = np.array([[2.0, 2.0], [3.0, 9.0], [40.0, 40.0]])
shapes = np.concatenate([p * rng.uniform(0.85, 1.15, (100, 2)) for p in prototypes])
print(np.round(kmeans_anchors(shapes, 3, seed=0), 2))

# %% nbgrader={"grade": true, "grade_id": "test_kmeans_anchors", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check kmeans_anchors on 21 generated cases: clear clusters, small shapes beside spread large ones (where the
# Euclidean distance goes wrong), sorting by area, the seed, max_iter 1 to 3 and left to its default, k = 1 and
# k = n, duplicated shapes that leave a centroid empty, ties between centroids, integer shapes and lists.
cu.checks.check_cases(kmeans_anchors, "kmeans_anchors")
### BEGIN HIDDEN TESTS
_hint = "distance 1 - IoU of (w, h) shapes centred together; mean update; sort by area."
def _ref_kmeans(wh, k, seed, max_iter=100):
    c = wh[np.random.default_rng(seed).choice(len(wh), size=k, replace=False)].copy()
    assign = None
    for _ in range(max_iter):
        inter = np.minimum(wh[:, None, 0], c[None, :, 0]) * np.minimum(wh[:, None, 1], c[None, :, 1])
        new = np.argmax(inter / (wh[:, None, 0] * wh[:, None, 1] + c[None, :, 0] * c[None, :, 1] - inter), axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            if np.any(assign == j):
                c[j] = wh[assign == j].mean(axis=0)
    return c[np.argsort(c[:, 0] * c[:, 1], kind="stable")]
# small boxes of two distinct shapes plus one widely spread cluster of large ones:
# IoU separates the small shapes; a Euclidean distance would split the large cluster instead.
_rng = cu.checks.rng(1)
_shapes2 = np.concatenate([np.array([2.0, 2.0]) * _rng.uniform(0.9, 1.1, (60, 2)),
                           np.array([4.0, 4.0]) * _rng.uniform(0.9, 1.1, (60, 2)),
                           _rng.uniform(40, 60, (60, 2))])
for _seed in (0, 1, 2):
    cu.checks.check_array(kmeans_anchors(_shapes2, 3, seed=_seed), _ref_kmeans(_shapes2, 3, _seed),
                           name=f"kmeans_anchors(small, medium and spread large shapes, seed={_seed})",
                           rtol=1e-6, atol=1e-6, hint=_hint + " Use exactly the initialisation of the docstring.")
_wh = cu.checks.rng(3).uniform(1, 10, (200, 2))
cu.checks.check_array(kmeans_anchors(_wh, 5, seed=4), _ref_kmeans(_wh, 5, 4), name="kmeans_anchors(random shapes, 5, seed=4)",
                       rtol=1e-6, atol=1e-6, hint=_hint)
### END HIDDEN TESTS
cu.checks.passed("kmeans_anchors", points=2)

# %% [markdown]
# The anchors of our digit scenes: the digits' boxes in cell units for the grid we will train with
# ($64 \times 64$ canvases, $S = 8$, cells of 8 pixels).

# %% alt="Scatter plot of the widths and heights, in grid cells, of the digit boxes of 1,000 training scenes, with the two k-means anchors drawn as large stars."
CANVAS, S, N_CLASSES = 64, 8, 10
SCALES = (0.7, 1.1)
sample = cu.scenes.make_scenes(cu.by_mode(full=1000, fast=300), split="train", seed=10, canvas=CANVAS,
                               scale_range=SCALES)
sample_wh = np.concatenate([b[:, 2:] - b[:, :2] for b in sample.boxes]) / (CANVAS / S)
anchors = kmeans_anchors(sample_wh, 2, seed=0)
print("anchors (w, h) in cell units:\n", np.round(anchors, 3))
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(sample_wh[:, 0], sample_wh[:, 1], s=4, alpha=0.3, label="digit boxes")
ax.scatter(anchors[:, 0], anchors[:, 1], s=120, marker="*", color="C3", label="anchors")
ax.set_xlabel("width (cells)")
ax.set_ylabel("height (cells)")
ax.legend()
plt.show()


# %% [markdown]
# ## 7. Decoding a YOLOv2 output volume
#
# YOLOv2 on COCO reads a $608 \times 608 \times 3$ image and outputs a $19 \times 19$ grid with $B = 5$
# anchors and $C = 80$ classes: each anchor slot holds $5 + 80 = 85$ numbers, each cell
# $5 \times 85 = 425$, so the last layer has 425 channels, reshaped to $(19, 19, 5, 85)$. The network
# outputs **raw** numbers $(t_o, t_x, t_y, t_w, t_h, t_{c_0}, \dots)$; decoding turns them into boxes:
#
# $$ p_c = \sigma(t_o), \quad b_x = \sigma(t_x),\; b_y = \sigma(t_y) \text{ (inside the cell)}, \quad
#    b_w = a_w e^{t_w},\; b_h = a_h e^{t_h} \text{ (cell units)}, \quad
#    P(\text{class}) = \mathrm{softmax}(t_c) $$
#
# The sigmoid keeps the centre inside its cell, the exponential keeps sizes positive and equal to the
# anchor when $t = 0$. The **score** of a slot is $p_c \times \max_c P(c)$, its class the arg-max. Score
# thresholding then keeps the slots with score above a threshold, and NMS removes duplicates.
#
# To draw or evaluate boxes, convert back to the image: the centre is
# $\left(\frac{\text{col} + b_x}{S}, \frac{\text{row} + b_y}{S}\right)$ and the size $\left(\frac{b_w}{S},
# \frac{b_h}{S}\right)$ (image-relative).

# %% [markdown]
# ### Exercise 6 (3 points)
#
# Write `decode_yolo_output`. Return image-relative corner boxes.

# %% nbgrader={"grade": false, "grade_id": "decode_yolo_output", "locked": false, "schema_version": 3, "solution": true, "task": false}
def decode_yolo_output(output, anchors, score_threshold=0.5):
    """Decode one raw YOLOv2-style output volume into scored, image-relative boxes.

    Args:
        output: array (S, S, B, 5 + C) of raw network outputs; output[row, col, a] =
            [t_o, t_x, t_y, t_w, t_h, t_c0, ..., t_c(C-1)] (row: y index, col: x index).
        anchors: array (B, 2) of anchor shapes (w, h) in cell units.
        score_threshold: keep slots whose score is > score_threshold (strictly).

    Returns:
        boxes: float array (n, 4), corner format (x1, y1, x2, y2), image-relative, where
            cx = (col + sigmoid(t_x)) / S, cy = (row + sigmoid(t_y)) / S,
            w = anchors[a, 0] * exp(t_w) / S, h = anchors[a, 1] * exp(t_h) / S;
        scores: float array (n,): sigmoid(t_o) * max(softmax(t_c));
        classes: int array (n,): argmax of softmax(t_c).
        Slots are listed in row-major order of (row, col, a) (the order of np.nonzero).
    """
    ### BEGIN SOLUTION
    out = np.asarray(output, dtype=np.float64)
    S = out.shape[0]
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
    logits = out[..., 5:]
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = exp / exp.sum(axis=-1, keepdims=True)
    score = sigmoid(out[..., 0]) * probs.max(axis=-1)
    rows, cols, a = np.nonzero(score > score_threshold)
    t = out[rows, cols, a]
    cx = (cols + sigmoid(t[:, 1])) / S
    cy = (rows + sigmoid(t[:, 2])) / S
    w = anchors[a, 0] * np.exp(t[:, 3]) / S
    h = anchors[a, 1] * np.exp(t[:, 4]) / S
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes, score[rows, cols, a], probs[rows, cols, a].argmax(axis=-1)
    ### END SOLUTION


# %% [markdown]
# Try it: a $2 \times 2$ grid, one anchor $(1, 1)$, 2 classes, every number 0 except a confident object in
# **row 0, column 1** ($t_o = 5$, class 1 with $t_{c_1} = 5$). With $t_x = t_y = t_w = t_h = 0$ its centre
# is in the middle of that cell, $\left(\frac{1 + 0.5}{2}, \frac{0 + 0.5}{2}\right) = (0.75, 0.25)$, and
# its size one cell, $0.5$. Expected box `[0.5, 0, 1, 0.5]`, score $\sigma(5) \cdot \frac{e^5}{1 + e^5}
# \approx 0.9866$, class 1.

# %%
raw = np.zeros((2, 2, 1, 7))
raw[..., 0] = -5.0
raw[0, 1, 0, 0], raw[0, 1, 0, 6] = 5.0, 5.0
print(decode_yolo_output(raw, np.array([[1.0, 1.0]]), 0.5))

# %% nbgrader={"grade": true, "grade_id": "test_decode_yolo_output", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check decode_yolo_output on 22 generated cases: the try-it example, rows and columns, two anchors, a score
# exactly at the threshold, the order of the slots (row, column, anchor), softmax over 1 to 20 classes, huge
# logits (a softmax or sigmoid that overflows gives NaN), sizes from t_w and t_h, the default threshold, no
# slot kept; and that the classes are integers.
cu.checks.check_cases(decode_yolo_output, "decode_yolo_output")
_raw = np.zeros((2, 2, 1, 7)); _raw[..., 0] = -5.0; _raw[0, 1, 0, 0] = 5.0; _raw[0, 1, 0, 6] = 5.0
_classes = np.asarray(cu.to_numpy(decode_yolo_output(_raw, np.array([[1.0, 1.0]]), 0.5)[2]))
cu.checks.check_true(_classes.dtype.kind in "iu", f"expected an integer array of classes, got dtype {_classes.dtype}",
                      name="decode_yolo_output(try-it example) classes",
                      hint="the classes are indices: argmax gives integers (np.array(..., dtype=int) for an empty list).")
### BEGIN HIDDEN TESTS
_hint = "cx = (col + sigmoid(t_x)) / S with col the x index (axis 1); w = anchor_w * exp(t_w) / S; score = p_c * max prob."
def _ref_decode(out, anc, thr):
    sig = lambda x: 1 / (1 + np.exp(-x))
    p = np.exp(out[..., 5:] - out[..., 5:].max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)
    score = sig(out[..., 0]) * p.max(-1)
    r, c, a = np.nonzero(score > thr)
    t = out[r, c, a]; S = out.shape[0]
    cx, cy = (c + sig(t[:, 1])) / S, (r + sig(t[:, 2])) / S
    w, h = anc[a, 0] * np.exp(t[:, 3]) / S, anc[a, 1] * np.exp(t[:, 4]) / S
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1).reshape(-1, 4), score[r, c, a], p[r, c, a].argmax(-1)
_rng = cu.checks.rng(11)
for _S, _B, _C in [(5, 2, 4), (7, 3, 6)]:
    _anc = _rng.uniform(0.5, 3, (_B, 2))
    _out = _rng.normal(0, 1, (_S, _S, _B, 5 + _C)); _out[..., 0] = _rng.normal(-1, 2, (_S, _S, _B))
    for _got, _exp, _what in zip(decode_yolo_output(_out, _anc, 0.4), _ref_decode(_out, _anc, 0.4),
                                 ("boxes", "scores", "classes")):
        cu.checks.check_array(np.asarray(cu.to_numpy(_got)), _exp, atol=1e-5, hint=_hint,
                               name=f"decode_yolo_output(random {_S}x{_S}x{_B}x{5 + _C} output) {_what}")
### END HIDDEN TESTS
cu.checks.passed("decode_yolo_output", points=3)

# %% [markdown]
# Now the lecture's volume: a synthetic $(19, 19, 5, 85)$ output with YOLOv2's COCO anchors. Almost every
# slot says "nothing here" ($t_o$ around $-4$), except three planted objects, each seen by a few
# neighbouring slots, as a real network would. Count the boxes at each stage.

# %% alt="A dark 608x608 image with many overlapping grey boxes that pass the score threshold, and on top the boxes non-max suppression keeps, drawn thicker with their class and score."
yolo_anchors = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434],
                         [7.88282, 3.52778], [9.77052, 9.16828]])
rng = np.random.default_rng(0)
volume = rng.normal(0.0, 1.0, (19, 19, 5, 85))
volume[..., 0] = rng.normal(-4.0, 1.0, (19, 19, 5))
for row, col, anchor, cls in [(5, 4, 2, 0), (12, 12, 4, 2), (9, 15, 1, 16)]:   # person, car, dog
    for dr, dc in [(0, 0), (0, 1), (1, 0)]:
        volume[row + dr, col + dc, anchor, 0] = 4.0 - 2 * (dr + dc)
        volume[row + dr, col + dc, anchor, 1:5] = [-2.0 * dc + 0.5, -2.0 * dr + 0.5, 0.1, 0.1]
        volume[row + dr, col + dc, anchor, 5 + cls] = 8.0
print("slots:", 19 * 19 * 5, "| raw numbers:", volume.size, "=", "19 x 19 x 425")
boxes_d, scores_d, classes_d = decode_yolo_output(volume, yolo_anchors, score_threshold=0.6)
kept = non_max_suppression(boxes_d, scores_d, classes_d, iou_threshold=0.5, score_threshold=0.6)
print("after score thresholding:", len(scores_d), "| after NMS:", len(kept), "| classes:", classes_d[kept])
shown = cu.boxes.draw_boxes(np.full((608, 608), 0.15), boxes_d * 608, colors="gray")
shown = cu.boxes.draw_boxes(shown, boxes_d[kept] * 608, labels=classes_d[kept], scores=scores_d[kept], width=3)
cu.plots.image_grid(shown[None], size=5, title="thresholded boxes (grey) and what NMS keeps")
plt.show()

# %% [markdown]
# ## 8. Training a small YOLO on digit scenes
#
# A detector for our digits, sized for a laptop CPU: $64 \times 64$ canvases with 1 to 4 digits, an
# $8 \times 8$ grid (cells of 8 pixels), the two anchors found above and 10 classes, so the output is
# $(8, 8, 2, 15)$. Five convolution blocks (3 x 3 convolution, batch normalisation, ReLU) bring $64$ down
# to $8$: the first has stride 2 (it computes the 32 x 32 map directly, a quarter of the work of a
# full-resolution convolution followed by pooling, and on a CPU it halves the time per training step),
# two max poolings do the rest, and two blocks of 128 channels work on the $8 \times 8$ grid, where the
# network decides *which* digit sits in a cell. A $1 \times 1$ convolution gives the 30 numbers of each
# cell. The receptive field is 53 pixels, enough to see a whole digit and its neighbours from the cell
# holding its centre.
#
# **The loss** (a simplified YOLOv2 loss), summed over the slots of an image, with $\mathbb{1}^{obj}$ = 1
# for the slots that own an object:
#
# $$ \mathcal{L} = \sum \Big[ \lambda_{coord} \mathbb{1}^{obj} \big( (\sigma(t_x) - b_x)^2 +
# (\sigma(t_y) - b_y)^2 + (t_w - \log\tfrac{b_w}{a_w})^2 + (t_h - \log\tfrac{b_h}{a_h})^2 \big)
# + \mathbb{1}^{obj}\, \mathrm{BCE}(t_o, 1) + \lambda_{noobj} (1 - \mathbb{1}^{obj})\, \mathrm{BCE}(t_o, 0)
# + \mathbb{1}^{obj}\, \mathrm{CE}(t_c, c) \Big] $$
#
# with $\lambda_{coord} = 5$ (boxes matter) and $\lambda_{noobj} = 0.5$ (most slots are empty, so their
# many small errors must not drown the few object slots). It is the "two cases" loss of section 1, applied
# to every slot. It uses only `keras.ops`, so it runs on both backends. The training targets come from
# your `encode_yolo_targets` (boxes divided by the canvas size).

# %%
# More scenes, fewer passes (mAP@0.5 of a smaller net: 12,000 x 8 0.872, 24,000 x 4 0.881, 36,000 x 3 0.888).
N_TRAIN = cu.by_mode(full=36000, fast=300)
EPOCHS = cu.by_mode(full=3, fast=1)
start = time.perf_counter()
train_scenes = cu.scenes.make_scenes(N_TRAIN, split="train", seed=1, canvas=CANVAS, scale_range=SCALES)
val_scenes = cu.scenes.make_scenes(cu.by_mode(full=500, fast=100), split="val", seed=2, canvas=CANVAS,
                                   scale_range=SCALES)
test_scenes = cu.scenes.make_scenes(cu.by_mode(full=1000, fast=100), split="test", seed=3, canvas=CANVAS,
                                    scale_range=SCALES)


def targets_for(scenes):
    return np.stack([encode_yolo_targets(b / CANVAS, l, S, anchors, N_CLASSES)
                     for b, l in zip(scenes.boxes, scenes.labels)])


X_train, Y_train = train_scenes.images[..., None], targets_for(train_scenes)
X_val, Y_val = val_scenes.images[..., None], targets_for(val_scenes)
print(f"{len(train_scenes)} training scenes, targets {Y_train.shape}, made in {time.perf_counter() - start:.0f} s")

# %%
anchor_tensor = ops.convert_to_tensor(anchors.astype("float32"))


def yolo_loss(y_true, y_pred):
    """Simplified YOLOv2 loss; y_true from encode_yolo_targets, y_pred raw, both (m, S, S, B, 5 + C)."""
    obj = y_true[..., 0]
    objectness = ops.binary_crossentropy(obj, y_pred[..., 0], from_logits=True)
    centre = ops.sum(ops.square(ops.sigmoid(y_pred[..., 1:3]) - y_true[..., 1:3]), axis=-1)
    log_size = ops.log(ops.maximum(y_true[..., 3:5], 1e-6) / anchor_tensor)    # any value where obj = 0
    size = ops.sum(ops.square(y_pred[..., 3:5] - log_size), axis=-1)
    classes = ops.categorical_crossentropy(y_true[..., 5:], y_pred[..., 5:], from_logits=True)
    per_slot = obj * (5.0 * (centre + size) + objectness + classes) + 0.5 * (1.0 - obj) * objectness
    return ops.sum(per_slot, axis=(1, 2, 3))


def conv_block(x, filters, strides=1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_detector(n_anchors, n_classes=N_CLASSES):
    inputs = keras.Input((CANVAS, CANVAS, 1))
    x = conv_block(inputs, 16, strides=2)   # 32 x 32
    x = conv_block(x, 32)
    x = layers.MaxPooling2D()(x)            # 16 x 16
    x = conv_block(x, 64)
    x = layers.MaxPooling2D()(x)            # 8 x 8
    x = conv_block(x, 128)
    x = conv_block(x, 128)
    x = layers.Conv2D(n_anchors * (5 + n_classes), 1)(x)
    outputs = layers.Reshape((S, S, n_anchors, 5 + n_classes))(x)
    return keras.Model(inputs, outputs, name="tiny_yolo")


keras.utils.set_random_seed(0)
detector = build_detector(len(anchors))
detector.summary()

# %% alt="Training curve of the YOLO detector: the loss per image on the training and validation scenes per epoch."
BATCH = 32
schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=EPOCHS * (N_TRAIN // BATCH))
detector.compile(optimizer=keras.optimizers.Adam(schedule), loss=yolo_loss)
start = time.perf_counter()
history = detector.fit(X_train, Y_train, validation_data=(X_val, Y_val), batch_size=BATCH, epochs=EPOCHS,
                       verbose=2)
train_seconds = time.perf_counter() - start
detector_rate = cu.models.training_rate(detector, train_seconds, train_samples=EPOCHS * len(X_train),
                                        eval_samples=EPOCHS * len(X_val), input_shape=X_train.shape[1:])
print(f"training took {train_seconds:.0f} s, arithmetic rate {detector_rate}")
cu.report("train_gflops", detector_rate.gflops)
cu.plots.training_curves(history, metrics=("loss",), title="YOLO loss per image")
plt.show()

# %% [markdown]
# ### Detections on test canvases
#
# Decode each output with your `decode_yolo_output`, keep scores above 0.3, run your `non_max_suppression`
# and draw what is left (label and score above each box). Test scenes use digit images the network never saw.

# %% alt="Grid of twelve held-out test scenes of digits, each with the detector's boxes, predicted digit and score after thresholding and non-max suppression."
test_outputs = keras.ops.convert_to_numpy(detector.predict(test_scenes.images[..., None], batch_size=256, verbose=0))


def detect(output, score_threshold=0.3, iou_threshold=0.5):
    """Boxes (pixels), scores and classes of one output volume after thresholding and NMS."""
    boxes_rel, scores, classes = decode_yolo_output(output, anchors, score_threshold)
    keep = non_max_suppression(boxes_rel, scores, classes, iou_threshold, score_threshold)
    return boxes_rel[keep] * CANVAS, scores[keep], classes[keep]


drawn = []
for i in range(12):
    boxes_px, scores, classes = detect(test_outputs[i])
    drawn.append(cu.boxes.draw_boxes(test_scenes.images[i], boxes_px, labels=classes, scores=scores, scale=3))
cu.plots.image_grid(np.stack(drawn), ncols=4, size=2.4, title="detections on held-out test scenes")
plt.show()


# %% [markdown]
# ## 9. Evaluation: precision, recall and average precision
#
# Sort all detections of one class (over the whole test set) by decreasing score. Walk down the list: a
# detection is a **true positive** (TP) when its IoU with a true box of that class is at least 0.5 and that
# box has not been claimed by a higher-scoring detection; otherwise it is a **false positive** (FP), which
# includes duplicates of an object already found. After $k$ detections,
#
# $$ \text{precision}_k = \frac{TP_k}{k}, \qquad \text{recall}_k = \frac{TP_k}{\#\text{true boxes}}. $$
#
# The **precision-recall curve** traces these pairs. **Average precision** (AP) summarises it as the area
# under its upper envelope (the "all-point" interpolation of PASCAL VOC 2010 onwards): replace each
# precision by the best precision at any equal or higher recall, then sum
# $(r_k - r_{k-1}) \cdot p^{interp}_k$. **mAP** is the mean AP over the classes.
#
# **Worked example.** 3 true boxes; the detections, best first, are TP, FP, FP, TP, TP. Precisions:
# $1, \frac12, \frac13, \frac24, \frac35$; recalls: $\frac13, \frac13, \frac13, \frac23, 1$. The envelope
# at recall $\frac23$ is $\max(0.5, 0.6) = 0.6$, so AP $= \frac13 \cdot 1 + \frac13 \cdot 0.6 + \frac13 \cdot
# 0.6 = 0.7333$.
#
# To evaluate a whole test set with a one-image function, shift each image's boxes sideways by a multiple of
# a large number (here 1000 pixels per image): boxes of different images can then never overlap.

# %% [markdown]
# ### Exercise 7 (3 points)
#
# Write `average_precision`. With `return_curve=True` it also returns the precision and recall after each
# detection (used for the plots below).

# %% nbgrader={"grade": false, "grade_id": "average_precision", "locked": false, "schema_version": 3, "solution": true, "task": false}
def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5, return_curve=False):
    """Average precision of the detections of one class (all-point interpolation, VOC 2010+).

    Args:
        pred_boxes: array (n, 4) of detected boxes, corner format.
        pred_scores: array (n,) of their scores.
        gt_boxes: array (g, 4) of true boxes, corner format (g >= 1).
        iou_threshold: a detection can match a true box when IoU >= iou_threshold.
        return_curve: also return the precision and recall arrays.

    Returns:
        ap (float in [0, 1]); with return_curve=True, (ap, precision (n,), recall (n,)).

    Matching: visit detections by decreasing score (equal scores: smaller index first). A
    detection is a true positive when the true box with which it has the highest IoU
    (ties: the smaller index) has IoU >= iou_threshold and is not yet matched (it becomes
    matched); otherwise it is a false positive (duplicates included). After the k-th
    detection: precision_k = TP_k / k, recall_k = TP_k / g. With the envelope
    p_interp_k = max(precision_j for j >= k) and recall_0 = 0:
    ap = sum_k (recall_k - recall_(k-1)) * p_interp_k. No detections: ap = 0.0 (empty curves).
    """
    ### BEGIN SOLUTION
    pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-scores, kind="stable")
    overlaps = iou_matrix(pred_boxes[order], gt)
    matched = np.zeros(len(gt), dtype=bool)
    tp = np.zeros(len(order))
    for k in range(len(order)):
        if len(gt) == 0:
            break
        j = int(np.argmax(overlaps[k]))
        if overlaps[k, j] >= iou_threshold and not matched[j]:
            matched[j] = True
            tp[k] = 1.0
    cumulative = np.cumsum(tp)
    precision = cumulative / np.arange(1, len(order) + 1)
    recall = cumulative / max(len(gt), 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    previous = np.concatenate([[0.0], recall[:-1]])
    ap = float(np.sum((recall - previous) * envelope))
    return (ap, precision, recall) if return_curve else ap
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example (expected `0.7333`), then a perfect detector (expected `1.0`).

# %%
gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]])
preds = np.array([[0, 0, 10, 10], [100, 0, 110, 10], [200, 0, 210, 10], [20, 0, 30, 10], [40, 0, 50, 10]])
print(round(average_precision(preds, np.array([0.9, 0.8, 0.7, 0.6, 0.5]), gt), 4))
print(average_precision(gt, np.array([0.9, 0.8, 0.7]), gt))

# %% nbgrader={"grade": true, "grade_id": "test_average_precision", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check average_precision on 25 generated cases: the worked example, perfect and empty detections, duplicates,
# detections in any order, IoU exactly at the threshold, the best true box already matched, ties in the IoUs and
# in the scores (30 detections), more true boxes than detections, the curves of return_curve=True.
cu.checks.check_cases(average_precision, "average_precision")
### BEGIN HIDDEN TESTS
_hint = "sort by score; TP if best-IoU true box has IoU >= threshold and is unmatched; AP = sum(dr * envelope)."
# random detections against a reference
def _pair_iou_ap(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0])); h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)
def _ref_ap(pb, ps, gb, thr=0.5):
    order = np.argsort(-ps, kind="stable")
    ov = np.array([[_pair_iou_ap(p, g) for g in gb] for p in pb[order]])
    taken = np.zeros(len(gb), bool); tp = []
    for k in range(len(order)):
        j = int(np.argmax(ov[k]))
        hit = ov[k, j] >= thr and not taken[j]
        taken[j] = taken[j] or hit; tp.append(float(hit))
    c = np.cumsum(tp); prec = c / np.arange(1, len(c) + 1); rec = c / len(gb)
    env = np.maximum.accumulate(prec[::-1])[::-1]
    return float(np.sum((rec - np.concatenate([[0], rec[:-1]])) * env))
_rng = cu.checks.rng(12)
for _trial in range(5):
    _g = np.concatenate([_xy := _rng.uniform(0, 100, (15, 2)), _xy + _rng.uniform(8, 20, (15, 2))], axis=1)
    _pb = np.concatenate([_g[_rng.integers(0, 15, 25)] + _rng.normal(0, 3, (25, 4)),
                          np.concatenate([_xy := _rng.uniform(0, 100, (10, 2)), _xy + 10], axis=1)])
    _ps = _rng.uniform(0, 1, 35)
    cu.checks.check_close(average_precision(_pb, _ps, _g), _ref_ap(_pb, _ps, _g),
                           name=f"average_precision(35 random detections, 15 true boxes, trial {_trial})",
                           atol=1e-6, hint=_hint)
### END HIDDEN TESTS
cu.checks.passed("average_precision", points=3)


# %% [markdown]
# ### AP per class and mAP of our detector
#
# All test detections (score above 0.01, after NMS), one precision-recall curve per digit.

# %% alt="Precision-recall curves of the detector on the test scenes at IoU 0.5, one curve per digit class, with each class's average precision in the legend and the mean AP in the title."
def evaluate(outputs, scenes, iou_threshold=0.5, score_threshold=0.01):
    """AP per class and the PR curves over a set of scenes: {class: (ap, precision, recall)}."""
    per_class = {c: ([], [], []) for c in range(N_CLASSES)}
    for i, output in enumerate(outputs):
        boxes_px, scores, classes = detect(output, score_threshold)
        shift = np.array([1000.0 * i, 0, 1000.0 * i, 0])          # images side by side, never overlapping
        for c in range(N_CLASSES):
            per_class[c][0].append(boxes_px[classes == c] + shift)
            per_class[c][1].append(scores[classes == c])
            per_class[c][2].append(scenes.boxes[i][scenes.labels[i] == c] + shift)
    results = {}
    for c, (pb, ps, gb) in per_class.items():
        results[c] = average_precision(np.concatenate(pb).reshape(-1, 4), np.concatenate(ps),
                                       np.concatenate(gb).reshape(-1, 4), iou_threshold, return_curve=True)
    return results


results = evaluate(test_outputs, test_scenes)
aps = np.array([results[c][0] for c in range(N_CLASSES)])
fig, ax = plt.subplots(figsize=(5.5, 4.5))
for c in range(N_CLASSES):
    _, precision, recall = results[c]
    ax.plot(recall, precision, label=f"{c}: AP {aps[c]:.2f}", lw=1.2)
ax.set_xlabel("recall")
ax.set_ylabel("precision")
ax.set_xlim(0, 1.02)
ax.set_ylim(0, 1.02)
ax.set_title(f"test set, IoU 0.5: mAP = {aps.mean():.3f}")
ax.legend(fontsize=7, loc="lower left", ncol=2)
plt.show()
print("AP per digit:", np.round(aps, 3))
cu.report("detector_map50", float(aps.mean()))
for c in range(N_CLASSES):
    cu.report(f"detector_ap50_digit{c}", float(aps[c]))
cu.report("detector_train_seconds", train_seconds, unit="s")

# %% [markdown]
# Where does it fail? The AP list above names the weakest digits of this run. A digit partly hidden by
# another one is harder: the scenes let two boxes overlap (IoU up to 0.3), and the recall of such digits
# (found with the right class, IoU at least 0.5, score above 0.3) is below that of the isolated ones.

# %%
def recall_overlapping_and_isolated(outputs, scenes, score_threshold=0.3, iou_threshold=0.5):
    """Recall of the true boxes that overlap another true box of their scene, and of the others."""
    found = {True: [], False: []}
    for output, true_boxes, labels in zip(outputs, scenes.boxes, scenes.labels):
        boxes_px, _, classes = detect(output, score_threshold)
        overlapping = (iou_matrix(true_boxes, true_boxes) > 0).sum(axis=1) > 1    # a box overlaps itself
        hits = (iou_matrix(true_boxes, boxes_px) >= iou_threshold) & (labels[:, None] == classes[None, :])
        for j in range(len(true_boxes)):
            found[bool(overlapping[j])].append(bool(hits[j].any()))
    recall = {k: float(np.mean(v)) if v else float("nan") for k, v in found.items()}
    return recall[True], recall[False], len(found[True]), len(found[False])


recall_overlapping, recall_isolated, n_overlapping, n_isolated = recall_overlapping_and_isolated(
    test_outputs, test_scenes)
print(f"recall of the {n_overlapping} digits overlapping another: {recall_overlapping:.3f}; "
      f"of the {n_isolated} isolated digits: {recall_isolated:.3f}")
cu.report("detector_recall_overlapping", recall_overlapping)
cu.report("detector_recall_isolated", recall_isolated)

# %% [markdown]
# Try a stricter IoU threshold (0.75, as COCO also reports): AP drops, because box precision now matters
# more, and it drops more than on average for the thin "1", a narrow box where a one-pixel error costs a
# lot of IoU.

# %%
strict = evaluate(test_outputs, test_scenes, iou_threshold=0.75)
aps75 = np.array([strict[c][0] for c in range(N_CLASSES)])
print(f"mAP@0.5 = {aps.mean():.3f}, mAP@0.75 = {aps75.mean():.3f}")
print("AP drop from IoU 0.5 to 0.75 per digit:", np.round(aps - aps75, 3))
cu.report("detector_map75", float(aps75.mean()))
for c in range(N_CLASSES):
    cu.report(f"detector_ap75_digit{c}", float(aps75[c]))

# %% [markdown]
# ## 10. A real pretrained detector: faces
#
# MTCNN (Zhang et al., 2016) is a cascade of three small convnets: P-Net proposes face windows over an
# image pyramid (a fully convolutional sliding window, section 2), R-Net refines and rejects them, and
# O-Net outputs the final box, a confidence and **five landmarks** (eyes, nose, mouth corners), with NMS
# between the stages. `cu.faces.detect_faces` runs the weights that ship with the `mtcnn` package on either
# Keras backend and returns, per face, the box (corners, pixels), the confidence and the landmarks.

# %% alt="The astronaut photo from scikit-image with the MTCNN face detector's box, label and score around the face and five landmark dots on the eyes, nose and mouth corners."
import skimage.data

photo = skimage.data.astronaut()
faces = cu.faces.detect_faces(photo)
for face in faces:
    print("box", face["box"], "confidence", round(face["confidence"], 4), "landmarks", face["keypoints"])
face_boxes = np.array([f["box"] for f in faces]).reshape(-1, 4)
marked = cu.boxes.draw_boxes(photo, face_boxes, labels=["face"] * len(faces),
                             scores=[f["confidence"] for f in faces], colors="yellow", width=3)
points = np.array([[f["keypoints"][k] for k in cu.faces.KEYPOINT_NAMES] for f in faces]).reshape(-1, 5, 2)
marked = cu.boxes.draw_landmarks(marked, points, radius=4)
cu.plots.image_grid(marked[None], size=5, title="MTCNN on skimage.data.astronaut()")
plt.show()
cu.report("astronaut_faces", len(faces))

# %% [markdown]
# ## 11. R-CNN, Fast and Faster R-CNN, and the YOLO family
#
# Two families of detectors grew in parallel. **Region-based** detectors first propose regions, then
# classify them: R-CNN (Girshick et al., 2014) ran a classic segmentation algorithm (selective search) to
# propose about 2,000 regions and a convnet on each one (slow: one forward pass per region); Fast R-CNN
# (2015) ran the convnet once on the whole image and classified all proposals from the shared feature map
# (the convolutional sliding-window idea of section 2); Faster R-CNN (Ren et al., 2015) replaced selective
# search by a Region Proposal Network with anchors, so the whole detector is one trainable network.
# **Single-shot** detectors skip the proposals: YOLO v1 (Redmon et al., 2016, a 7 x 7 grid, 2 boxes per
# cell, 20 classes), YOLOv2 (2017: batch normalisation, anchors chosen by k-means, the 19 x 19 x 425
# output of section 7), YOLOv3 (2018: predictions at three scales with 3 anchors each), then many later
# versions from other authors, alongside SSD and RetinaNet. Two-stage detectors were long the more
# accurate; single-shot ones the faster; today the gap is small.

# %% [markdown]
# ## Summary
#
# - Classification with localisation adds $p_c$ and a box to the output; the loss ignores the box when
#   $p_c = 0$. Landmarks are regressed $(x, y)$ pairs with a fixed meaning per index.
# - A fully convolutional classifier evaluates all sliding windows in one pass, with the same numbers as
#   window-by-window evaluation.
# - YOLO assigns each object to the cell of its centre and an anchor of similar shape; $b_x, b_y$ are
#   relative to the cell, $b_w, b_h$ in cell units; the target is $S \times S \times B \times (5 + C)$.
# - IoU measures overlap (correct at $\ge 0.5$); NMS per class removes duplicates; k-means with
#   $1 - \mathrm{IoU}$ picks anchors.
# - A small YOLO trained for about 3 to 4 minutes on a 2-core CPU detects digits; AP per class (all-point interpolation)
#   and mAP measure it.
#
# ## Further reading
#
# - J. Redmon et al., *You Only Look Once: Unified, Real-Time Object Detection*, CVPR 2016, arXiv:1506.02640.
# - J. Redmon and A. Farhadi, *YOLO9000: Better, Faster, Stronger*, CVPR 2017, arXiv:1612.08242 (anchors, k-means).
# - J. Redmon and A. Farhadi, *YOLOv3: An Incremental Improvement*, 2018, arXiv:1804.02767.
# - P. Sermanet et al., *OverFeat*, ICLR 2014, arXiv:1312.6229 (convolutional sliding windows).
# - R. Girshick et al., *Rich feature hierarchies...* (R-CNN), CVPR 2014; R. Girshick, *Fast R-CNN*, ICCV 2015;
#   S. Ren et al., *Faster R-CNN*, NeurIPS 2015, arXiv:1506.01497.
# - M. Everingham et al., *The PASCAL Visual Object Classes Challenge*, IJCV 2010 (AP).
# - K. Zhang et al., *Joint Face Detection and Alignment using Multi-task Cascaded Convolutional Networks*
#   (MTCNN), IEEE SPL 2016, arXiv:1604.02878.
# - torchvision's `nms` and `draw_bounding_boxes`: https://pytorch.org/vision/stable/ops.html
