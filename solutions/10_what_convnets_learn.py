# %% [markdown]
# # 10 · What convnets learn, and why they decide what they decide
#
# Ask a trained network which pixels made it say "cat", check the answer against the network's own
# arithmetic, and find out when such an answer can be trusted.
#
# **What you will learn**
# - what the first layer's filters look like, what channels respond to at three depths, which photos
#   excite a channel most, and what image excites it most (gradient ascent, with the regularisers that
#   make that image readable);
# - saliency maps: the gradient of a class score with respect to the pixels, and SmoothGrad;
# - integrated gradients, and their *completeness* property, checked numerically;
# - Grad-CAM: where in the last feature map the evidence for a class sits, for two classes of one photo;
# - occlusion sensitivity: what happens to the score when you hide part of the photo;
# - a sanity check (Adebayo et al., 2018): a map that does not change when the network's weights are
#   randomised cannot be explaining what the network learnt;
# - the same questions to a LeNet-5 trained here, and notebook 02's two-pixel shift seen
#   through Grad-CAM;
# - to write `saliency_map`, `integrated_gradients`, `grad_cam` and `occlusion_map` on either Keras
#   backend, and the native PyTorch version of the saliency map.
#
# **Time:** about 75 minutes of reading and exercises. The computer's part, all cells in full mode, took 219 s with
# TensorFlow and 191 s with PyTorch in the course's benchmark on its reference machine (2 CPU cores) while other
# programs kept both cores busy; an idle machine takes less. It uses the pretrained EfficientNet-Lite0 of notebook
# 04.

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
import torch
from scipy.ndimage import binary_dilation, gaussian_filter
from scipy.stats import spearmanr
from skimage.filters import sobel
from skimage.transform import resize
from tqdm.auto import tqdm

# %% [markdown]
# ## 1. A network to question
#
# The ImageNet-pretrained EfficientNet-Lite0 of notebook 04, with its classifier: it maps a 224 x 224
# photo, scaled by `cu.models.preprocess_imagenet`, to 1,000 *logits* (scores before the softmax). Its
# weights stay frozen: in this notebook we only ask it questions. Four photos that ship with scikit-image,
# and what the network thinks they show:

# %% alt="A row of four photos from scikit-image (a cat, a cup of coffee, an astronaut, a rocket), each titled with EfficientNet-Lite0's top ImageNet class."
model = cu.models.efficientnet_lite0(weights="imagenet")
labels = cu.models.imagenet_labels()
photo_names = ["chelsea", "coffee", "astronaut", "rocket"]
photos = np.concatenate([cu.models.preprocess_imagenet(getattr(skimage.data, name)()[None]) for name in photo_names])


def to_image(x):
    """Undo preprocess_imagenet: (H, W, 3) in about [-1, 1] -> float in [0, 1] for imshow."""
    return np.clip((np.asarray(x) * 128.0 + 127.0) / 255.0, 0.0, 1.0)


logits = cu.to_numpy(model(photos))
top = cu.models.decode_predictions(logits, top=3)
for name, row in zip(photo_names, top):
    print(f"{name:10s}", ", ".join(f"{label} {p:.2f}" for _, label, p in row))
cu.plots.image_grid(to_image(photos), [f"{n}: {row[0][1]}" for n, row in zip(photo_names, top)], ncols=4, size=2.5)
plt.show()
CLASS = {label: labels.index(label) for label in ("Egyptian cat", "tabby", "tiger cat", "espresso", "bobsled",
                                                  "football helmet")}
print(CLASS)

# %% [markdown]
# The astronaut is a "bobsled" (0.22) before a "football helmet" (0.15): a wrong answer we will ask the
# network to explain. (The cat photo is resized and its centre cut out, as for ImageNet's evaluation.)
#
# ## 2. What the layers compute
#
# The **first layer** (`stem_conv`) has 32 filters of 3 x 3 x 3: small enough to look at directly as
# colour images (each scaled to [0, 1]). Deeper filters have hundreds of input channels and cannot be
# drawn like this; instead we look at what they *respond* to: the **activation maps** of a few channels at
# three depths (stride 2, 8 and 32: 112, 28 and 7 pixels across).

# %% alt=["Grid of the 32 small 3x3 colour filters of EfficientNet-Lite0's first layer (stem_conv).", "Three rows of five images: the cat photo, then heat maps of the four most active channels of a layer for that photo, for the stem layer, block4a and the top layer, from fine grids down to 7x7."]
kernels = model.get_layer("stem_conv").get_weights()[0]  # (3, 3, 3, 32)
k = (kernels - kernels.min(axis=(0, 1, 2))) / np.ptp(kernels, axis=(0, 1, 2))
cu.plots.image_grid(np.moveaxis(k, -1, 0), size=0.8, title="stem_conv: the 32 filters of the first layer")
plt.show()

depths = ["stem_activation", "block4a_expand_activation", "top_activation"]
probe = keras.Model(model.input, [model.get_layer(name).output for name in depths])
maps = [cu.to_numpy(a)[0] for a in probe(photos[:1])]
fig, axes = plt.subplots(3, 5, figsize=(11, 6.6))
for row, (name, a) in enumerate(zip(depths, maps)):
    axes[row, 0].imshow(to_image(photos[0]))
    axes[row, 0].set_title(f"{name} ({a.shape[0]}x{a.shape[1]})", fontsize=8)
    for col, channel in enumerate(np.argsort(a.mean(axis=(0, 1)))[::-1][:4], start=1):
        axes[row, col].imshow(a[..., channel], cmap="magma")
        axes[row, col].set_title(f"channel {channel}", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
top_channels = np.argsort(maps[2].mean(axis=(0, 1)))[::-1][:4]
middle, border = maps[2][2:5, 2:5][..., top_channels].mean(), np.concatenate(
    [maps[2][[0, -1]][..., top_channels].ravel(), maps[2][1:-1, [0, -1]][..., top_channels].ravel()]).mean()
print(f"the 4 most active top channels: mean {middle:.2f} in the middle 3 x 3 cells, {border:.2f} on the border")
cu.report("top_channels_middle_mean", middle)
cu.report("top_channels_border_mean", border)

# %% [markdown]
# In the early channels the photo is still recognisable: they are edge and colour detectors. At 28 x 28
# the channels respond to textures and the cat is hard to make out. At 7 x 7 the most active channels are
# near their ceiling (ReLU6 stops at 6) over the middle of the grid (5.6 on average) and at less than half
# of it on the border (2.5); each cell sees most of the photo.
#
# ### Which photos excite a channel most
#
# A channel of the last feature map is one of the 1,280 numbers the classifier reads (after global average
# pooling): the logit of class $c$ is $\sum_k W_{k,c} \bar A_k + b_c$. Two ways to pick "the channel of a
# class": the channel with the largest weight $W_{k,c}$, or the channel that contributes most to the class's
# logit *on its photo*, $\arg\max_k W_{k,c} \bar A_k$. Below, for three classes, the second kind, and then
# the question: of a gallery of eight photos (the four above and four more that ship with scikit-image),
# which excite that channel most? Each panel is one photo with the channel's 7 x 7 map over it, titled
# with the channel's pooled activation $\bar A_k$ and the map drawn on one colour scale per row (so a photo
# that barely excites the channel stays dark).

# %% alt="Three rows of four photos with a heat map overlaid: for the channel that contributes most to 'Egyptian cat', 'espresso' and 'football helmet', the four gallery photos that excite it most, best first, each titled with its mean activation."
gallery_names = photo_names + ["immunohistochemistry", "hubble_deep_field", "retina", "motorcycle"]


def load_photo(name):
    """A photo that ships with scikit-image, uint8 (H, W, 3)."""
    return skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()


gallery = np.concatenate([cu.models.preprocess_imagenet(load_photo(name)[None]) for name in gallery_names])
top_layer = keras.Model(model.input, model.get_layer("top_activation").output)
gallery_maps = cu.to_numpy(top_layer(gallery))  # (8, 7, 7, 1280)
pooled = gallery_maps.mean(axis=(1, 2))          # (8, 1280): what the classifier reads
W = model.get_layer("predictions").get_weights()[0]  # (1280, 1000)
fig, axes = plt.subplots(3, 4, figsize=(10, 7.8))
hits, margins, weight_hits = 0, [], 0
for row, (label, own) in enumerate([("Egyptian cat", 0), ("espresso", 1), ("football helmet", 2)]):
    channel = int(np.argmax(W[:, CLASS[label]] * pooled[own]))
    order = np.argsort(pooled[:, channel])[::-1]
    hits += int(order[0] == own)
    margins.append(pooled[order[0], channel] / max(pooled[order[1], channel], 1e-6))
    weight_hits += int(np.argmax(pooled[:, int(np.argmax(W[:, CLASS[label]]))]) == own)
    if label == "football helmet":  # how much of the channel's map lies on the helmet (bottom-right 2 x 2 cells)
        helmet_channel_share = float(gallery_maps[own, 5:, 5:, channel].sum() / gallery_maps[own, ..., channel].sum())
    for col, i in enumerate(order[:4]):
        heat = gallery_maps[i, ..., channel] / gallery_maps[order[0], ..., channel].max()  # one scale per row
        axes[row, col].imshow(cu.plots.overlay_heatmap(to_image(gallery[i]), np.clip(heat, 0, 1), normalise=False))
        axes[row, col].set_title(f"{label} ch {channel}: {gallery_names[i]} {pooled[i, channel]:.2f}"
                                 if col == 0 else f"{gallery_names[i]} {pooled[i, channel]:.2f}", fontsize=8)
        axes[row, col].axis("off")
plt.tight_layout()
plt.show()
print(f"the class's own photo comes first for {hits} of 3 channels; it beats the runner-up by "
      f"{min(margins):.1f}x or more")
print(f"with the channel of the largest weight instead: {weight_hits} of 3")
print(f"share of the 'football helmet' channel's map in the helmet's corner: {helmet_channel_share:.0%}")
cu.report("helmet_channel_share", helmet_channel_share)
cu.report("class_channel_top_photo_hits", hits)
cu.report("class_channel_margin_min", min(margins))
cu.report("weight_channel_top_photo_hits", weight_hits)

# %% [markdown]
# The channel that carries a class's logit on its photo is selective: its own photo comes first, with at
# least three times the runner-up's activation. *Where* it responds is another matter: the "football
# helmet" channel puts none of its map (0%) on the bottom-right corner where the helmet is. A channel that
# carries a class's score need not look at the object the class names (§5 asks where the evidence for a
# class lies, over all channels at once). The channel with the largest *weight* is a different story: for
# none of the three classes does it respond most to the class's photo; a large weight on a channel that
# is rarely active says little. To ask "what does this channel respond to", show it many inputs and keep
# the strongest (Zeiler and Fergus did that over the ImageNet validation set; notebook 09, §1, cuts out
# the patches).
#
# ### Filter visualisation by gradient ascent
#
# Instead of searching photos, *make* the input that excites a channel most: start from a grey image
# with a little noise and climb the gradient of the channel's mean activation with respect to the pixels
# (Erhan et al., 2009; Olah et al., 2017). The gradient is normalised at each step (its size varies by
# orders of magnitude between layers), and the pixels are kept in the network's input range. We use the
# network without its classifier on 128 x 128 inputs (about 3 times cheaper than 224), the batch-normalised
# output of `block5a_expand` (before the ReLU6, which would stop the climb at 6), and four channels
# chosen without looking (0, 10, 20, 30), one per image of the batch.
#
# Plain gradient ascent finds an input the channel loves and a person cannot read: a high-frequency
# pattern of single-pixel stripes, which the network's strided convolutions respond to and a photo never
# contains. Two **regularisers** steer it towards images: **jitter** (shift the image by a few random
# pixels before each step, so the pattern must work wherever it lands) and **blur** (a Gaussian filter every
# few steps, which removes what has no extent). We measure "readable" by the share of the image's
# spectral power above a quarter of the sampling frequency (half-way to the finest pattern pixels can hold).

# %% alt="Two rows of four generated 128x128 images that maximise channels 0, 10, 20 and 30 of block5a: plain gradient ascent on top, with jitter and blur below."
small_net = cu.models.efficientnet_lite0(weights="imagenet", include_top=False, input_shape=(128, 128, 3))
probe_layer = keras.Model(small_net.input, small_net.get_layer("block5a_expand_bn").output)
ascent_channels = [0, 10, 20, 30]


def channel_means(x):
    """(4, 128, 128, 3) -> (4,): the mean activation of ascent_channels[i] on image i."""
    a = probe_layer(x)
    return keras.ops.stack([keras.ops.mean(a[i, ..., c]) for i, c in enumerate(ascent_channels)])


def ascend(steps, regularise, lr=0.02, seed=0):
    """Gradient ascent on channel_means from grey plus noise; with regularise: jitter and blur."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.05, (len(ascent_channels), 128, 128, 3)).astype("float32")
    for step in tqdm(range(steps), desc="regularised" if regularise else "plain", leave=False):
        dy, dx = rng.integers(-6, 7, size=2) if regularise else (0, 0)
        _, grad = cu.models.value_and_gradient(channel_means, np.roll(x, (dy, dx), axis=(1, 2)))
        grad = np.roll(grad, (-dy, -dx), axis=(1, 2))  # back to the image's own frame
        x = x + lr * grad / (grad.std(axis=(1, 2, 3), keepdims=True) + 1e-8)
        if regularise and step % 4 == 3:
            x = gaussian_filter(x, sigma=(0, 1.0, 1.0, 0))  # blur rows and columns, not images or colours
        x = np.clip(x, -1.0, 1.0).astype("float32")
    return x


def high_frequency_share(images):
    """(m, H, W, 3) -> (m,): share of the grey image's power above 1/4 cycle per pixel."""
    grey = images.mean(axis=-1)
    power = np.abs(np.fft.fft2(grey - grey.mean(axis=(1, 2), keepdims=True))) ** 2
    f = np.fft.fftfreq(grey.shape[1])
    return power[:, np.hypot(f[:, None], f[None, :]) > 0.25].sum(axis=1) / power.sum(axis=(1, 2))


def stretch(image):
    """Scale to [0, 1] by the 1st and 99th percentiles, for display."""
    lo, hi = np.percentile(image, [1, 99])
    return np.clip((image - lo) / (hi - lo + 1e-8), 0.0, 1.0)


ascent_steps = cu.by_mode(full=64, fast=4)
plain, regularised = ascend(ascent_steps, regularise=False), ascend(ascent_steps, regularise=True)
small_gallery = np.concatenate([cu.models.preprocess_imagenet(load_photo(name)[None], 128) for name in gallery_names])
photo_best = cu.to_numpy(probe_layer(small_gallery)).mean(axis=(1, 2))[:, ascent_channels].max(axis=0)  # (4,)
fig, axes = plt.subplots(2, 4, figsize=(9, 4.8))
for i, channel in enumerate(ascent_channels):
    for row, (name, x) in enumerate([("plain", plain), ("jitter + blur", regularised)]):
        axes[row, i].imshow(stretch(x[i]))
        axes[row, i].set_title(f"{name}, channel {channel}", fontsize=8)
        axes[row, i].axis("off")
plt.tight_layout()
plt.show()
plain_act, reg_act = cu.to_numpy(channel_means(plain)), cu.to_numpy(channel_means(regularised))
plain_hf, reg_hf = high_frequency_share(plain), high_frequency_share(regularised)
print("mean activation   plain", np.round(plain_act, 1), " regularised", np.round(reg_act, 1),
      " best photo", np.round(photo_best, 1))
cat_hf = high_frequency_share(small_gallery[:1])[0]
print(f"high-frequency share: plain {plain_hf.mean():.1%}, regularised {reg_hf.mean():.1%}, the cat photo {cat_hf:.1%}")
cu.report("ascent_high_freq_cat", cat_hf)
cu.report("ascent_high_freq_plain", plain_hf.mean())
cu.report("ascent_high_freq_regularised", reg_hf.mean())
cu.report("ascent_activation_plain", plain_act.mean())
cu.report("ascent_activation_regularised", reg_act.mean())
cu.report("ascent_regularised_over_best_photo_min", float((reg_act / photo_best).min()))

# %% [markdown]
# The plain pictures are mostly noise (about half of their power lies above a quarter of the sampling
# frequency, against 4% for the cat photo); with jitter and blur that share drops to about 2%, below the
# photo's, and patterns appear (woven diagonals, scales, curls). Readability costs activation (the plain
# images reach roughly twice as much), and even the regularised ones excite their channel several times
# more than the best of the eight photos: these are "what the channel wants", an exaggeration, not a
# photo it has seen. The choice of regulariser shapes the picture, which is why such images illustrate,
# and do not prove.
# Which cells matter *for a class* is what the rest of the notebook asks.
#
# ## 3. Saliency maps: the gradient with respect to the pixels
#
# Simonyan et al. (2014): for a class $c$ with logit $y_c(x)$, the gradient $\partial y_c / \partial x$
# has one number per pixel and channel, and says how much a small change of that pixel would change the
# score. Its absolute value, maximised over the three colour channels, is the **saliency map** (H, W).
# Use the logit, not the softmax probability: a confident probability is flat (its gradient vanishes),
# and it also depends on the other classes' scores.
#
# Worked example you can check by hand: a *linear* model $y = W^\top \mathrm{vec}(x) + b$ on a 2 x 2
# image with one channel, $W_{:,c} = (0.5, -2, 0, 1)$: the gradient is $W_{:,c}$ itself, whatever $x$ is, so
# the saliency map is $[[0.5, 2], [0, 1]]$.
#
# The gradient comes from the backend's automatic differentiation; `cu.models.value_and_gradient(fn, x)`
# calls it on either backend: it returns `fn(x)` and the gradient of `sum(fn(x))` with respect to `x`
# (for a batch, row $i$ of the gradient is that of output $i$). §8 shows the same in plain PyTorch.
#
# ### Exercise 1 (2 points)
#
# Write `saliency_map(model, images, class_ids)`: for each image $i$ of the batch, the saliency map of
# class `class_ids[i]`, computed from the logits. The check runs it on small models stored with the course
# (linear ones, whose gradient is their weights, and small tanh and ReLU networks), asking for classes that are
# not always the model's top class, and compares with the stored maps.

# %% nbgrader={"grade": false, "grade_id": "saliency_map", "locked": false, "schema_version": 3, "solution": true, "task": false}
def saliency_map(model, images, class_ids):
    """Vanilla-gradient saliency (Simonyan et al., 2014).

    Args:
        model: Keras model, images (m, H, W, C) -> logits (m, n_classes).
        images: array (m, H, W, C), as the model expects them.
        class_ids: sequence of m ints, the class to explain for each image.

    Returns:
        array (m, H, W): max over the channels of |d logit[i, class_ids[i]] / d images[i]|.
    """
    ### BEGIN SOLUTION
    picks = keras.ops.convert_to_tensor(np.asarray(class_ids, dtype="int32").reshape(-1, 1))
    _, grad = cu.models.value_and_gradient(lambda x: keras.ops.take_along_axis(model(x), picks, axis=1), images)
    return np.abs(grad).max(axis=-1)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example (a Dense layer on the flattened 2 x 2 image) should print
# `[[0.5, 2.0], [0.0, 1.0]]`; then the map of "Egyptian cat" on the cat photo.

# %%
toy = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
toy.set_weights([np.array([[1, 0.5], [1, -2], [1, 0], [1, 1]], dtype="float32"), np.zeros(2, dtype="float32")])
print(saliency_map(toy, np.ones((1, 2, 2, 1), dtype="float32"), [1])[0].round(3).tolist())
cat_saliency = saliency_map(model, photos[:1], [CLASS["Egyptian cat"]])[0]
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
axes[0].imshow(to_image(photos[0]))
axes[1].imshow(cat_saliency, cmap="gray")
axes[1].set_title('saliency of "Egyptian cat"')
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test_saliency_map", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check saliency_map on 14 generated cases (stored maps): linear models, whose gradient is their weights (a
# negative weight, 3 channels, a class asked that is not the top class, two images with their own classes),
# small tanh and ReLU networks, non-square images, class_ids as a list, a tuple or a NumPy array.
cu.checks.check_cases(saliency_map, "saliency_map")
### BEGIN HIDDEN TESTS
@cu.checks.in_student_kernel  # builds the small model and calls your function where your code runs
def saliency_on(function, weights, images, class_ids):
    """function(model, images, class_ids) on (6, 6, 2) -> Conv2D tanh -> Dense(3)."""
    import keras

    net = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="tanh"),
                            keras.layers.Flatten(), keras.layers.Dense(3)])
    net.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return np.asarray(cu.to_numpy(function(net, np.asarray(images, dtype="float32"), class_ids)), dtype=float)


def centred_saliency(net, x, classes, h=1e-3):
    """max_channels |(y_c(x + h e) - y_c(x - h e)) / 2h| for every pixel and channel, in float64 around the model."""
    grads = np.zeros(x.shape)
    for idx in np.ndindex(x.shape[1:]):
        step = np.zeros(x.shape[1:])
        step[idx] = h
        up, down = cu.to_numpy(net(x + step)).astype(float), cu.to_numpy(net(x - step)).astype(float)
        grads[(slice(None),) + idx] = (up - down)[np.arange(len(x)), classes] / (2 * h)
    return np.abs(grads).max(axis=-1)


rng = np.random.default_rng(10)
W_tanh = [rng.normal(size=(3, 3, 2, 3)) / 3, rng.normal(size=3) / 2, rng.normal(size=(48, 3)) / 3, rng.normal(size=3)]
net = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="tanh"), keras.layers.Flatten(),
                       keras.layers.Dense(3)])  # the same network, here, for the centred differences
net.set_weights([w.astype("float32") for w in W_tanh])
x_more = rng.normal(size=(3, 6, 6, 2))
classes = [int(np.argsort(row)[0]) for row in cu.to_numpy(net(x_more.astype("float32")))]  # the lowest logit
got = saliency_on(saliency_map, W_tanh, x_more, classes)
cu.checks.check_array(got, centred_saliency(net, x_more.astype("float32"), classes), atol=2e-3, rtol=2e-2,
                      name=f"saliency_map(small tanh network, 3 images, class_ids={classes})")
### END HIDDEN TESTS
cu.checks.passed("saliency_map", points=2)


# %% [markdown]
# ### Experiment: SmoothGrad
#
# The raw gradient is speckled: the score's slope changes from pixel to pixel (ReLU6 switches on and off).
# SmoothGrad (Smilkov et al., 2017) averages the saliency maps of noisy copies of the photo, noise of
# standard deviation 10-20% of the pixel range; the speckle averages out and what several copies agree on
# stays. Below, 15% noise and a growing number of copies, each map drawn over the photo (its colour scale
# capped at the map's 99th percentile, so that a few extreme pixels do not leave the rest dark). Two numbers
# measure what changes: the smoothness, as the correlation of each pixel with its right-hand neighbour, and
# where the brightest 5% of the map's pixels lie: in the white boxes around the eyes and the nose, or not.

# %% alt="A row of four pictures of the cat photo with a saliency map for 'Egyptian cat' drawn over it in colour: the vanilla gradient, then SmoothGrad averaged over 1, 6 and 24 noisy copies, the last with white boxes around the eyes and the nose."
SMOOTH_SAMPLES = cu.by_mode(full=24, fast=2)
rng = np.random.default_rng(0)
noise = 0.15 * np.ptp(photos[0])
noisy = photos[:1] + rng.normal(0, noise, size=(SMOOTH_SAMPLES,) + photos.shape[1:]).astype("float32")
noisy_maps = np.concatenate([saliency_map(model, noisy[i:i + 8], [CLASS["Egyptian cat"]] * len(noisy[i:i + 8]))
                             for i in range(0, SMOOTH_SAMPLES, 8)])
counts = sorted({1, max(1, SMOOTH_SAMPLES // 4), SMOOTH_SAMPLES})
FACE = {"left eye": (slice(60, 105), slice(50, 110)), "right eye": (slice(65, 110), slice(160, 215)),
        "nose": (slice(145, 185), slice(115, 165))}  # (rows, columns) of the 224 x 224 photo
face = np.zeros(photos.shape[1:3], dtype=bool)
for box in FACE.values():
    face[box] = True


def on_photo(m):
    """A saliency map (224, 224) over the cat photo, its colour scale capped at the map's 99th percentile."""
    return cu.plots.overlay_heatmap(to_image(photos[0]), np.clip(m / np.percentile(m, 99), 0, 1), normalise=False)


def brightest_on_face(m, top=0.05):
    """Share of the map's brightest 5% of pixels that lie in the eye and nose boxes."""
    bright = m >= np.quantile(m, 1 - top)
    return float(bright[face].sum() / bright.sum())


panels = [("vanilla gradient", cat_saliency)] + [
    (f"SmoothGrad, {n} {'copy' if n == 1 else 'copies'}", noisy_maps[:n].mean(axis=0)) for n in counts]
fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.3))
for ax, (title, m) in zip(axes, panels):
    ax.imshow(on_photo(m))
    ax.set_title(f"{title}\nbrightest 5% in the boxes: {brightest_on_face(m):.0%}", fontsize=9)
    ax.axis("off")
for rows, cols in FACE.values():
    axes[-1].add_patch(plt.Rectangle((cols.start, rows.start), cols.stop - cols.start, rows.stop - rows.start,
                                     fill=False, color="white", lw=1))
plt.tight_layout()
plt.show()
smooth = noisy_maps.mean(axis=0)


def neighbour_correlation(m):
    """Correlation of each pixel with its right-hand neighbour: near 1 for a smooth map, near 0 for speckle."""
    return float(np.corrcoef(m[:, :-1].ravel(), m[:, 1:].ravel())[0, 1])


print(f"neighbour correlation: vanilla {neighbour_correlation(cat_saliency):.2f}, "
      f"SmoothGrad {neighbour_correlation(smooth):.2f}")
print(f"brightest 5% in the eye and nose boxes ({face.mean():.0%} of the photo): vanilla "
      f"{brightest_on_face(cat_saliency):.0%}, SmoothGrad {brightest_on_face(smooth):.0%}")
cu.report("vanilla_neighbour_corr", neighbour_correlation(cat_saliency))
cu.report("smoothgrad_neighbour_corr", neighbour_correlation(smooth))
cu.report("face_area", face.mean())
cu.report("vanilla_face_share", brightest_on_face(cat_saliency))
cu.report("smoothgrad_face_share", brightest_on_face(smooth))

# %% [markdown]
# The averaged map is smoother (the neighbour correlation rises from 0.44 to 0.73), and it gathers on the
# eyes and the nose: about half of its brightest pixels (49%) lie in the three boxes, which cover 14% of
# the photo, against 21% for the vanilla gradient. Elsewhere it stays a haze over the whole photo: on this
# network neither map outlines the cat the way the pictures of the SmoothGrad paper do. Pixel gradients of a deep ReLU6 network are noisy, and a blurrier picture is not
# by itself a truer one: §7 asks whether these maps depend on what the network learnt at all.

# %% [markdown]
# ## 4. Integrated gradients
#
# A gradient is local: it says what a tiny change would do, not how much each pixel *contributed* to the
# score. Sundararajan et al. (2017) integrate the gradient along the straight path from a **baseline**
# $x'$ (an image with no information; here the grey image, 0 after preprocessing) to the photo $x$:
# $$\mathrm{IG}_j(x) = (x_j - x'_j) \int_0^1 \frac{\partial y_c}{\partial x_j}\big(x' + \alpha (x - x')\big)\, d\alpha .$$
# Its key property, **completeness**, follows from the fundamental theorem of calculus: the attributions
# add up to the change of the score, $\sum_j \mathrm{IG}_j(x) = y_c(x) - y_c(x')$. So you can check an
# implementation (and the number of steps) by adding its output up.
#
# The integral is a Riemann sum over `steps` points $\alpha_k$; the midpoint rule $\alpha_k = (k + 0.5) /$
# `steps` is a good choice (the left or right ends, or the trapezoid rule, work too). The `steps` points
# are a batch of images; on the 224-pixel network compute their gradients a few at a time (8 here): the
# backward pass keeps every layer's activations, so memory grows with the batch.
#
# Worked example: for the linear model of §3, the gradient is $W_{:,c}$ on the whole path, so
# $\mathrm{IG} = (x - x') \odot W_{:,c}$; with $x = [[1, 1], [1, 1]]$, $x' = 0$: $[[0.5, -2], [0, 1]]$, which
# adds up to $-0.5 = y_c(x) - y_c(0)$.
#
# ### Exercise 2 (3 points)
#
# Write `integrated_gradients(model, image, class_id, baseline, steps)` for one image. The check compares
# with stored attributions: the exact answer on linear models, and on small tanh and ReLU networks, with 1 to
# 64 steps, the answer of the midpoint rule, or of the left or right ends or the trapezoid rule if you use
# one of those (so `steps` must set the number of points).

# %% nbgrader={"grade": false, "grade_id": "integrated_gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
def integrated_gradients(model, image, class_id, baseline, steps=64):
    """Integrated gradients (Sundararajan et al., 2017) of one logit, by a Riemann sum.

    Args:
        model: Keras model, images (m, H, W, C) -> logits (m, n_classes).
        image: array (H, W, C); baseline: array (H, W, C), the reference input.
        class_id: int, the logit to explain.
        steps: number of points on the path from baseline to image.

    Returns:
        array (H, W, C) of attributions; they add up to about logit(image) - logit(baseline).
    """
    ### BEGIN SOLUTION
    image, baseline = np.asarray(image, dtype="float32"), np.asarray(baseline, dtype="float32")
    alphas = ((np.arange(steps) + 0.5) / steps).astype("float32")
    total = np.zeros(image.shape, dtype="float64")
    for start in range(0, steps, 8):
        a = alphas[start:start + 8, None, None, None]
        _, grad = cu.models.value_and_gradient(lambda x: model(x)[:, class_id], baseline + a * (image - baseline))
        total += grad.sum(axis=0)
    return (image - baseline) * total / steps
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `[[0.5, -2.0], [0.0, 1.0]]` and `-0.5`; then the cat photo, where
# the attributions should add up to within a few percent of the change of the logit.

# %%
print(integrated_gradients(toy, np.ones((2, 2, 1)), 1, np.zeros((2, 2, 1)), steps=8)[..., 0].round(3).tolist(),
      round(float(integrated_gradients(toy, np.ones((2, 2, 1)), 1, np.zeros((2, 2, 1)), steps=8).sum()), 3))
IG_STEPS = cu.by_mode(full=128, fast=8)
grey = np.zeros_like(photos[0])
start = time.perf_counter()
cat_ig = integrated_gradients(model, photos[0], CLASS["Egyptian cat"], grey, steps=IG_STEPS)
ig_seconds = time.perf_counter() - start
change = float(cu.to_numpy(model(photos[:1]))[0, CLASS["Egyptian cat"]] - cu.to_numpy(model(grey[None]))[0, CLASS["Egyptian cat"]])
print(f"{IG_STEPS} steps in {ig_seconds:.1f} s: attributions add up to {cat_ig.sum():.3f}, "
      f"the logit changed by {change:.3f} ({abs(cat_ig.sum() - change) / abs(change):.1%} off)")

# %% nbgrader={"grade": true, "grade_id": "test_integrated_gradients", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check integrated_gradients on 15 generated cases (stored attributions): linear models (exact), a baseline that
# is not 0, small tanh and ReLU networks with steps from 1 to 64 and left to its default, non-square images.
cu.checks.check_cases(integrated_gradients, "integrated_gradients")
### BEGIN HIDDEN TESTS
@cu.checks.in_student_kernel  # builds the small model and calls your function where your code runs
def ig_on(function, weights, image, class_id, baseline, steps):
    """function(model, image, class_id, baseline, steps) on (6, 6, 2) -> Conv2D tanh -> Dense(3)."""
    import keras

    net = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="tanh"),
                            keras.layers.Flatten(), keras.layers.Dense(3)])
    net.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return np.asarray(cu.to_numpy(function(net, np.asarray(image, dtype="float32"), class_id,
                                           np.asarray(baseline, dtype="float32"), steps)), dtype=float)


rng = np.random.default_rng(20)
W_tanh = [rng.normal(size=(3, 3, 2, 3)) / 2, rng.normal(size=3) / 2, rng.normal(size=(48, 3)) / 2, rng.normal(size=3)]
net = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="tanh"), keras.layers.Flatten(),
                        keras.layers.Dense(3)])  # the same network, here, for the logits
net.set_weights([w.astype("float32") for w in W_tanh])


def check_completeness(image, baseline, class_id, steps, name):
    got = ig_on(integrated_gradients, W_tanh, image, class_id, baseline, steps)
    cu.checks.check_shape(got, image.shape, name=name)
    logits = cu.to_numpy(net(np.stack([image, baseline]).astype("float32"))).astype(float)
    change = logits[0, class_id] - logits[1, class_id]
    cu.checks.check_true(abs(got.sum() - change) <= 0.1 * abs(change) + 1e-3,
                          f"the attributions add up to {got.sum():.4f}, but the logit changes by {change:.4f} from "
                          "the baseline to the image (completeness)", name=name)


x_more, base_more = 1.5 * rng.normal(size=(6, 6, 2)), rng.normal(size=(6, 6, 2))
check_completeness(x_more, base_more, 0, 96, "integrated_gradients(small tanh network, class_id=0, steps=96)")
check_completeness(x_more, np.zeros((6, 6, 2)), 1, 64, "integrated_gradients(small tanh network, baseline 0, class_id=1)")
### END HIDDEN TESTS
cu.checks.passed("integrated_gradients", points=3)


# %% [markdown]
# ### Experiment: how many steps?
#
# Completeness tells you when the Riemann sum is fine enough: below, the gap between the sum of the
# attributions and the change of the logit as the number of steps doubles from 8 to 128, and the
# attributions (summed over the colour channels, positive in red, negative in blue) at the largest.

# %% alt="Two panels: a log-log line plot of the completeness gap of integrated gradients against the number of steps, and the integrated-gradients attribution of the cat photo for 'Egyptian cat' as a blue-white-red map of negative and positive values."
step_counts = cu.by_mode(full=[8, 16, 32, 64, 128], fast=[2, 4])
gaps = []
for steps in tqdm(step_counts, desc="integrated gradients"):
    attribution = cat_ig if steps == IG_STEPS else integrated_gradients(model, photos[0], CLASS["Egyptian cat"], grey, steps)
    gaps.append(abs(attribution.sum() - change) / abs(change))
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].plot(step_counts, gaps, "o-")
axes[0].set(xscale="log", yscale="log", xlabel="steps", ylabel="|sum(IG) - change| / |change|",
            title="completeness gap")
signed = cat_ig.sum(axis=-1)
limit = np.percentile(np.abs(signed), 99)
axes[1].imshow(signed, cmap="bwr", vmin=-limit, vmax=limit)
axes[1].set_title(f'integrated gradients, "Egyptian cat", {IG_STEPS} steps')
axes[1].set_xticks([])
axes[1].set_yticks([])
plt.show()
print({s: f"{g:.1%}" for s, g in zip(step_counts, gaps)})
cu.report("ig_completeness_gap", gaps[-1])
cu.report("ig_completeness_gap_fewest_steps", gaps[0])
cu.report("ig_gap_rises", sum(later > earlier for earlier, later in zip(gaps, gaps[1:])))  # doublings that did worse
for steps, gap in zip(step_counts, gaps):
    cu.report(f"ig_completeness_gap_{steps}", gap)
cu.report("ig_seconds", ig_seconds, unit="s")

# %% [markdown]
# With 8 steps the attributions miss the change of the logit by about a third (32%); with 128 they add up
# to it within half a percent. On the way the gap does *not* shrink at every doubling: 16 steps miss by
# 16%, 32 by a third again (34%), 64 by 4%. The path from grey to the photo crosses many places where a
# ReLU6 switches, so the gradient along it jumps, and a coarse sum can land on the lucky or the unlucky side
# of the jumps: one good figure with few steps proves nothing. Only the trend is reliable, and the gap, not
# the picture, tells you when to stop adding steps.

# %% [markdown]
# ## 5. Grad-CAM: which cells of the last feature map
#
# Pixels are a fine grid for a question the network answers on a coarse one. Grad-CAM (Selvaraju et al.,
# 2017) looks at the last convolutional feature map $A$ (here `top_activation`, 7 x 7 x 1280, each cell
# seeing most of the photo) and asks how much each of its $K$ channels matters for class $c$:
#
# 1. the gradient $\partial y_c / \partial A$ (7 x 7 x 1280), through the rest of the network (the *head*:
#    global average pooling and the dense classifier);
# 2. channel weights $\alpha_k = \frac{1}{hw} \sum_{i,j} \partial y_c / \partial A_{i,j,k}$, the gradient
#    averaged over the positions (global average pooling of the gradient);
# 3. the map $\mathrm{ReLU}\big(\sum_k \alpha_k A_{:,:,k}\big)$ (7 x 7): the ReLU keeps the evidence *for* the
#    class;
# 4. upsampled to the photo's size to draw it over the photo (`cu.plots.overlay_heatmap` does that).
#
# For a head that is exactly global average pooling then a dense layer, as here, $\partial y_c / \partial
# A_{i,j,k} = W_{k,c} / hw$ at every position, so Grad-CAM is the older **CAM** (Zhou et al., 2016): the
# classifier's weights applied to the feature map. Worked example: $A$ of 1 x 2 positions and 2 channels,
# $A_{:,:,0} = [[1, 3]]$, $A_{:,:,1} = [[2, 0]]$, $W_{:,c} = (1, -1)$: $\alpha = (0.5, -0.5)$, and the map is
# $\mathrm{ReLU}([[0.5 - 1, 1.5 - 0]]) = [[0, 1.5]]$.
#
# We split the network into `features` (photo -> $A$) and `head` ($A$ -> logits):

# %%
A_layer = model.get_layer("top_activation").output
features = keras.Model(model.input, A_layer, name="features")
head = keras.Model(A_layer, model.output, name="head")
print(features.output.shape, "->", head.output.shape)

# %% [markdown]
# ### Exercise 3 (3 points)
#
# Write `grad_cam(features, head, image, class_id)`: the (h, w) Grad-CAM map of one image, after the ReLU
# and before any upsampling (you may scale it so that its maximum is 1, or not). The check uses small
# feature extractors and heads stored with the course, among them heads where CAM and Grad-CAM differ.

# %% nbgrader={"grade": false, "grade_id": "grad_cam", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_cam(features, head, image, class_id):
    """Grad-CAM (Selvaraju et al., 2017) of one image.

    Args:
        features: Keras model, images (m, H, W, C) -> feature maps A (m, h, w, K).
        head: Keras model, A (m, h, w, K) -> logits (m, n_classes).
        image: array (H, W, C).
        class_id: int, the class to explain.

    Returns:
        array (h, w) >= 0: ReLU(sum_k alpha_k A[:, :, k]), alpha_k the mean over positions of d logit / d A.
    """
    ### BEGIN SOLUTION
    A = cu.to_numpy(features(np.asarray(image, dtype="float32")[None]))
    _, dA = cu.models.value_and_gradient(lambda a: head(a)[:, class_id], A)
    alpha = dA[0].mean(axis=(0, 1))
    return np.maximum(A[0] @ alpha, 0.0)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example (a head of global average pooling and a dense layer, fed the feature map
# directly) should print `[[0.0, 1.5]]`; then "Egyptian cat" on the cat photo.

# %%
toy_A = np.array([[[1, 2], [3, 0]]], dtype="float32")  # (1, 2, 2): A[:, :, 0] = [[1, 3]], A[:, :, 1] = [[2, 0]]
toy_features = keras.Sequential([keras.Input((1, 2, 2)), keras.layers.Identity()])  # passes A through
toy_head = keras.Sequential([keras.Input((1, 2, 2)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
toy_head.set_weights([np.array([[1.0], [-1.0]], dtype="float32"), np.zeros(1, dtype="float32")])
print(np.round(grad_cam(toy_features, toy_head, toy_A, 0), 3).tolist())
cat_cam = grad_cam(features, head, photos[0], CLASS["Egyptian cat"])
plt.imshow(cu.plots.overlay_heatmap(to_image(photos[0]), cat_cam))
plt.title('Grad-CAM of "Egyptian cat"')
plt.axis("off")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "test_grad_cam", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Check grad_cam on 15 generated cases (stored maps, compared after scaling both to a maximum of 1): the worked
# example, features that shrink the image, a class asked that is not the top class, heads where the gradient
# differs from position to position (Flatten + Dense, a hidden layer: there CAM is not Grad-CAM).
cu.checks.check_cases(grad_cam, "grad_cam")
### BEGIN HIDDEN TESTS
@cu.checks.in_student_kernel  # builds the small models and calls your function where your code runs
def grad_cam_on(function, head_kind, weights, image, class_id):
    """function(features, head, image, class_id): features (6, 6, 2) -> Conv2D(4, 3, tanh) -> (4, 4, 4);
    head "flat": Flatten -> Dense(3); head "mlp": Flatten -> Dense(5, tanh) -> Dense(3)."""
    import keras

    features = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3, activation="tanh")])
    features.set_weights([np.asarray(w, dtype="float32") for w in weights[:2]])
    hidden = [keras.layers.Dense(5, activation="tanh")] if head_kind == "mlp" else []
    head = keras.Sequential([keras.Input((4, 4, 4)), keras.layers.Flatten()] + hidden + [keras.layers.Dense(3)])
    head.set_weights([np.asarray(w, dtype="float32") for w in weights[2:]])
    return np.asarray(cu.to_numpy(function(features, head, np.asarray(image, dtype="float32"), class_id)), dtype=float)


rng = np.random.default_rng(30)
conv = [rng.normal(size=(3, 3, 2, 4)) / 2, rng.normal(size=4) / 2]
feature_net = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3, activation="tanh")])
feature_net.set_weights([w.astype("float32") for w in conv])  # the same features, here
for head_kind, dense, class_id in [("flat", [rng.normal(size=(64, 3)), rng.normal(size=3)], 0),
                                   ("mlp", [rng.normal(size=(64, 5)) / 4, rng.normal(size=5), rng.normal(size=(5, 3)),
                                            rng.normal(size=3)], 2)]:
    x_more = rng.normal(size=(6, 6, 2))
    head_net = keras.Sequential([keras.Input((4, 4, 4)), keras.layers.Flatten()]
                                + ([keras.layers.Dense(5, activation="tanh")] if head_kind == "mlp" else [])
                                + [keras.layers.Dense(3)])
    head_net.set_weights([w.astype("float32") for w in dense])
    A_more = cu.to_numpy(feature_net(x_more[None].astype("float32")))
    _, dA_more = cu.models.value_and_gradient(lambda a, net=head_net, c=class_id: net(a)[:, c], A_more)
    expected = np.maximum(A_more[0].astype(float) @ dA_more[0].mean(axis=(0, 1)), 0)
    got = grad_cam_on(grad_cam, head_kind, conv + dense, x_more, class_id)
    name = f"grad_cam(head {head_kind}, another image, class_id={class_id}) (compared after scaling to a maximum of 1)"
    cu.checks.check_shape(got, (4, 4), name=name)
    scale = got.max() / expected.max() if expected.max() > 0 and got.max() > 0 else 1.0
    cu.checks.check_array(got / scale, expected, atol=2e-3 * expected.max() + 1e-6, rtol=1e-3, name=name)
### END HIDDEN TESTS
cu.checks.passed("grad_cam", points=3)


# %% [markdown]
# ### Experiment: two classes, one photo
#
# Grad-CAM answers for the class you ask about. The network called the astronaut a "bobsled" before a
# "football helmet"; the white helmet she holds sits in the bottom-right corner of the photo (the box,
# 2 x 2 of the 7 x 7 cells, 8% of the photo). For the cat, "Egyptian cat", "tiger cat" and "tabby", three
# breeds the network hesitates between (0.40, 0.33 and 0.16).

# %% alt="Five photos with a Grad-CAM heat map overlaid, each titled with its class and probability: the astronaut for 'bobsled' and for 'football helmet', with a white square around the helmet, and the cat for 'Egyptian cat', 'tiger cat' and 'tabby'."
HELMET = (slice(5, 7), slice(5, 7))  # rows and columns of the 7 x 7 grid


def share_in(cam, box):
    """Fraction of a map's total that falls inside box (rows, cols)."""
    return float(cam[box].sum() / cam.sum()) if cam.sum() > 0 else 0.0


pairs = [(2, "bobsled"), (2, "football helmet"), (0, "Egyptian cat"), (0, "tiger cat"), (0, "tabby")]
cams = {label: grad_cam(features, head, photos[i], CLASS[label]) for i, label in pairs}
fig, axes = plt.subplots(1, 5, figsize=(15, 3.5))
for ax, (i, label) in zip(axes, pairs):
    ax.imshow(cu.plots.overlay_heatmap(to_image(photos[i]), cams[label]))
    ax.set_title(f"{label} ({cu.to_numpy(keras.activations.softmax(logits[i]))[CLASS[label]]:.2f})")
    ax.axis("off")
for ax in axes[:2]:
    ax.add_patch(plt.Rectangle((160, 160), 63, 63, fill=False, color="white", lw=2))
plt.show()
helmet_share = share_in(cams["football helmet"], HELMET)
bobsled_share = share_in(cams["bobsled"], HELMET)
cat_classes_corr = float(spearmanr(cams["Egyptian cat"].ravel(), cams["tabby"].ravel())[0])
tiger_corr = min(float(spearmanr(cams["tiger cat"].ravel(), cams[other].ravel())[0]) for other in ("Egyptian cat", "tabby"))
print(f'share of the map in the helmet box: "football helmet" {helmet_share:.0%}, "bobsled" {bobsled_share:.0%}')
print(f'rank correlation of the "Egyptian cat" and "tabby" maps: {cat_classes_corr:.2f}; '
      f'of "tiger cat" with either: {tiger_corr:.2f} or more')
cu.report("helmet_share_football_helmet", helmet_share)
cu.report("helmet_share_bobsled", bobsled_share)
cu.report("cat_classes_cam_corr", cat_classes_corr)
cu.report("tiger_cat_cam_corr_min", tiger_corr)
cat_probs = cu.to_numpy(keras.activations.softmax(logits[0]))
cu.report("p_egyptian_cat", float(cat_probs[CLASS["Egyptian cat"]]))
cu.report("p_tiger_cat", float(cat_probs[CLASS["tiger cat"]]))
cu.report("p_tabby", float(cat_probs[CLASS["tabby"]]))

# %% [markdown]
# For "football helmet" a quarter of the map (25%) lies in the helmet's box, three times the box's share of
# the photo; for "bobsled" 10%: its map sits on the orange suit and the body, the evidence a bobsleigh team
# in suits would give. The wrong answer is explained, not excused. The three cat breeds, in contrast, get
# nearly the same map (rank correlations 0.97 and more): all use the same face, and Grad-CAM can only separate
# classes that use different *places*, not different details at the same place.

# %% [markdown]
# ## 6. Occlusion sensitivity
#
# Zeiler and Fergus (2014) asked the question without any gradient: hide part of the photo under a grey
# patch and see how much the class's probability falls. Slide a `patch` x `patch` square with a step of
# `stride` pixels (top-left corner at $(i \cdot s, j \cdot s)$, $n_h = \lfloor (H - \text{patch}) / s
# \rfloor + 1$ positions down, likewise across, as for a pooling window); the map holds, for each
# position, the **drop** $p_c(\text{photo}) - p_c(\text{photo with the patch})$. It costs one forward pass
# per position (169 for a 32-pixel patch every 16 pixels) and measures what hiding a whole region does,
# where a gradient measures an infinitesimal change.
#
# Worked example: a "network" whose score is the sum of the pixels of a 2 x 2 one-channel image
# $[[1, 2], [3, 4]]$, a 1 x 1 patch of value 0 and stride 1: hiding a pixel lowers the score by that
# pixel, so the map is $[[1, 2], [3, 4]]$; with a patch of value 1 it is $[[0, 1], [2, 3]]$.
#
# ### Exercise 4 (2 points)
#
# Write `occlusion_map(predict, image, class_id, patch, stride, fill)`: `predict` takes a batch
# (m, H, W, C) and returns scores (m, n_classes) as a NumPy array; the patch covers all channels and has the
# value `fill`. Leave `image` unchanged.

# %% nbgrader={"grade": false, "grade_id": "occlusion_map", "locked": false, "schema_version": 3, "solution": true, "task": false}
def occlusion_map(predict, image, class_id, patch, stride, fill=0.0):
    """Occlusion sensitivity (Zeiler & Fergus, 2014).

    Args:
        predict: function, batch (m, H, W, C) -> scores (m, n_classes), NumPy.
        image: array (H, W, C).
        class_id: int.
        patch: int, side of the square patch; stride: int, step between patch positions.
        fill: the value the patch sets every covered pixel and channel to.

    Returns:
        array (n_h, n_w), n_h = (H - patch) // stride + 1: score(image) - score(image with the patch), for
        the patch's top-left corner at (i * stride, j * stride).
    """
    ### BEGIN SOLUTION
    image = np.asarray(image)
    H, W = image.shape[:2]
    n_h, n_w = (H - patch) // stride + 1, (W - patch) // stride + 1
    batch = np.repeat(image[None], n_h * n_w, axis=0)
    for k, (i, j) in enumerate(np.ndindex(n_h, n_w)):
        batch[k, i * stride:i * stride + patch, j * stride:j * stride + patch, :] = fill
    original = np.asarray(predict(image[None]))[0, class_id]
    return (original - np.asarray(predict(batch))[:, class_id]).reshape(n_h, n_w)
    ### END SOLUTION


# %% [markdown]
# Try it: the worked example should print `[[1.0, 2.0], [3.0, 4.0]]` and `[[0.0, 1.0], [2.0, 3.0]]`.

# %%
def pixel_sum(batch):
    return batch.reshape(len(batch), -1).sum(axis=1, keepdims=True)


tiny = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
print(occlusion_map(pixel_sum, tiny, 0, 1, 1).tolist(), occlusion_map(pixel_sum, tiny, 0, 1, 1, fill=1.0).tolist())

# %% nbgrader={"grade": true, "grade_id": "test_occlusion_map", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Check occlusion_map on 14 generated cases (stored maps; predict is a linear score or its softmax): the worked
# example with fill 0 and 1, strides with gaps and overlaps, non-square images, 3 channels, a class other than
# 0, an integer image; and that the image is left unchanged.
cu.checks.check_cases(occlusion_map, "occlusion_map")
### BEGIN HIDDEN TESTS
@cu.checks.in_student_kernel  # defines the linear predict and calls your function where your code runs
def occlusion_on(function, weights, image, class_id, patch, stride, fill):
    """function with predict(batch) = batch.reshape(m, -1) @ weights; returns the map and whether image changed."""
    image = np.asarray(image, dtype=float)
    kept = image.copy()
    weights = np.asarray(weights, dtype=float)

    def predict(batch):
        return np.asarray(batch, dtype=float).reshape(len(batch), -1) @ weights

    out = np.asarray(function(predict, image, class_id, patch, stride, fill), dtype=float)
    return {"map": out, "image_changed": bool(not np.array_equal(image, kept))}


def check_occlusion(shape, class_id, patch, stride, fill, seed):
    rng = np.random.default_rng(seed)
    image, weights = rng.normal(size=shape), rng.normal(size=(int(np.prod(shape)), 3))
    name = f"occlusion_map(linear predict, image {shape}, class_id={class_id}, patch={patch}, stride={stride}, fill={fill})"
    run = occlusion_on(occlusion_map, weights, image, class_id, patch, stride, fill)
    n_h, n_w = (shape[0] - patch) // stride + 1, (shape[1] - patch) // stride + 1
    cu.checks.check_true(not run["image_changed"], "your function changed the image it was given", name=name)
    cu.checks.check_shape(run["map"], (n_h, n_w), name=name)
    contribution = (weights[:, class_id].reshape(shape) * (image - fill)).sum(axis=-1)  # what hiding each pixel costs
    windows = np.lib.stride_tricks.sliding_window_view(contribution, (patch, patch))[::stride, ::stride][:n_h, :n_w]
    cu.checks.check_array(run["map"], windows.sum(axis=(-1, -2)), atol=1e-6, rtol=1e-6, name=name)


check_occlusion((9, 7, 1), 2, 4, 3, -0.25, seed=42)
check_occlusion((5, 5, 2), 1, 5, 1, 1.0, seed=43)
check_occlusion((7, 8, 3), 0, 3, 2, 0.5, seed=41)
### END HIDDEN TESTS
cu.checks.passed("occlusion_map", points=2)


# %% [markdown]
# ### Experiment: occlusion against Grad-CAM
#
# The network's probabilities are `predict` (`model.predict` works in batches and, unlike calling the
# model, records nothing for a backward pass). The grey patch is 0 after
# preprocessing. Where does hiding part of the astronaut photo cost "football helmet" the most, and does it
# agree with Grad-CAM? (The agreement is a rank correlation of the two maps on the occlusion grid.) The
# middle panel repeats the occlusion on Grad-CAM's own grid: a 32-pixel patch every 32 pixels, 7 x 7 positions.

# %% alt="The astronaut photo three times, with heat maps for 'football helmet': the occlusion map on a 13x13 grid, the occlusion map on a 7x7 grid, and the 7x7 Grad-CAM map."
PATCH, STRIDE = cu.by_mode(full=(32, 16), fast=(112, 112))


def predict(batch):
    """Probabilities (m, 1000); model.predict runs in batches of 16 and keeps no gradient information."""
    return cu.to_numpy(keras.activations.softmax(model.predict(batch, batch_size=16, verbose=0)))


start = time.perf_counter()
helmet_occlusion = occlusion_map(predict, photos[2], CLASS["football helmet"], PATCH, STRIDE, fill=0.0)
occlusion_seconds = time.perf_counter() - start
cam_on_grid = resize(cams["football helmet"], helmet_occlusion.shape, order=1, mode="edge")
occlusion_cam_corr = float(spearmanr(helmet_occlusion.ravel(), cam_on_grid.ravel())[0])
COARSE = cu.by_mode(full=32, fast=112)  # patch = stride: one position per Grad-CAM cell in full mode
coarse_occlusion = occlusion_map(predict, photos[2], CLASS["football helmet"], COARSE, COARSE, fill=0.0)
coarse_cam_corr = float(spearmanr(coarse_occlusion.ravel(), resize(cams["football helmet"], coarse_occlusion.shape,
                                                                    order=1, mode="edge").ravel())[0])
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, occ, patch, stride in [(axes[0], helmet_occlusion, PATCH, STRIDE), (axes[1], coarse_occlusion, COARSE, COARSE)]:
    ax.imshow(cu.plots.overlay_heatmap(to_image(photos[2]), np.maximum(occ, 0)))
    ax.set_title(f"occlusion, patch {patch} every {stride} px ({occ.shape[0]}x{occ.shape[1]})\ndrops > 0 only", fontsize=9)
axes[2].imshow(cu.plots.overlay_heatmap(to_image(photos[2]), cams["football helmet"]))
axes[2].set_title("Grad-CAM (7x7)", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()
p_helmet = float(predict(photos[2:3])[0, CLASS["football helmet"]])
occlusion_peak = (np.array(np.unravel_index(helmet_occlusion.argmax(), helmet_occlusion.shape)) * STRIDE + PATCH / 2)
cam = cams["football helmet"]
cam_peak = (np.array(np.unravel_index(cam.argmax(), cam.shape)) + 0.5) * photos.shape[1] / cam.shape[0]
print(f"occlusion: largest drop {helmet_occlusion.max():.3f} (of p = {p_helmet:.3f}) at pixel (row, column) "
      f"{tuple(occlusion_peak.astype(int))}; Grad-CAM's brightest cell centred on {tuple(cam_peak.astype(int))}")
print(f"rank correlation with Grad-CAM: {occlusion_cam_corr:.2f} on the {helmet_occlusion.shape[0]}x"
      f"{helmet_occlusion.shape[1]} grid, {coarse_cam_corr:.2f} on Grad-CAM's own; "
      f"{np.mean(helmet_occlusion < 0):.0%} of the patches raise the probability (a drop < 0)")
cu.report("occlusion_cam_corr", occlusion_cam_corr)
cu.report("occlusion_cam_corr_coarse", coarse_cam_corr)
cu.report("occlusion_negative_share", float(np.mean(helmet_occlusion < 0)))
cu.report("occlusion_max_drop", float(helmet_occlusion.max()))
cu.report("p_helmet_astronaut", p_helmet)
cu.report("occlusion_peak_min_coordinate", float(occlusion_peak.min()))
cu.report("cam_peak_min_coordinate", float(cam_peak.min()))
cu.report("occlusion_seconds", occlusion_seconds, unit="s")

# %% [markdown]
# Hiding a patch of the helmet costs "football helmet" most of its probability (the largest drop is 0.128 of
# 0.153), and both maps are brightest in the photo's lower right, on and next to the helmet; elsewhere they
# agree only roughly (rank correlation 0.38). The grid is not the reason: on Grad-CAM's own 7 x 7 grid the
# agreement is no better (0.30). The question is. About half of the patches (48%) *raise* the probability
# when they hide their region (drops below 0, left out of the pictures): a grey square is an input of its
# own, which the network reacts to, and hiding one region shifts the evidence of the others. Grad-CAM asks
# about an infinitesimal change of the feature map and keeps only the positive evidence (its ReLU). Away
# from the helmet, where both maps are small, the two orders have little to do with each other.

# %% [markdown]
# ## 7. Sanity check: do the maps depend on what the network learnt?
#
# A map can look convincing and explain nothing: an edge detector run on the photo highlights the cat's
# outline too, without asking the network anything. Adebayo et al. (2018) proposed a test every method
# should pass: **randomise the network's weights, layer by layer from the top** (the "cascading
# randomisation"), recompute the map, and measure how similar it stays to the original (a Spearman rank
# correlation of the absolute values). A method that explains the *trained* network must change once the
# layers it depends on are random. They found that some popular methods (guided backpropagation, for
# one) barely change, while plain gradients and Grad-CAM do.
#
# Below, the convolution and dense weights of each stage are replaced by random numbers of the same mean
# and spread (batch normalisation keeps its statistics), from the classifier down to the stem, and after
# each stage we recompute the saliency map and Grad-CAM of "Egyptian cat". The image's own edge map
# (Sobel filter, no network) is the reference that cannot change.

# %% alt="Line plot of the rank correlation with the trained network's map as the layers are randomised from the top (predictions, top_conv, block7 down to the stem), one line each for saliency, Grad-CAM and an edge map that uses no network, with a thin line at zero."
stages = ["predictions", "top_conv", "block7", "block6", "block5", "block4", "block3", "block2", "block1", "stem"]
original = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}
rng = np.random.default_rng(0)
cat_id = CLASS["Egyptian cat"]
edge_map = sobel(to_image(photos[0]).mean(axis=-1))
reference = {"saliency": cat_saliency, "Grad-CAM": cat_cam, "edges (no network)": edge_map}
correlations = {method: [] for method in reference}
for stage in tqdm(stages, desc="randomising"):
    for layer in model.layers:
        if layer.name.startswith(stage) and type(layer).__name__ in ("Conv2D", "DepthwiseConv2D", "Dense"):
            layer.set_weights([rng.normal(w.mean(), w.std() + 1e-8, w.shape).astype(w.dtype) for w in layer.get_weights()])
    now = {"saliency": saliency_map(model, photos[:1], [cat_id])[0], "Grad-CAM": grad_cam(features, head, photos[0], cat_id),
           "edges (no network)": edge_map}
    for method, m in now.items():
        correlations[method].append(float(spearmanr(np.abs(reference[method]).ravel(), np.abs(m).ravel())[0]))
for layer in model.layers:  # the trained network back
    layer.set_weights(original[layer.name])
assert np.allclose(cu.to_numpy(model(photos[:1])), logits[:1], atol=1e-4), "the trained weights were not restored"

plt.figure(figsize=(8, 3.8))
for method, values in correlations.items():
    plt.plot(range(1, len(stages) + 1), values, "o-", label=method)
plt.xticks(range(1, len(stages) + 1), [f"+{s}" for s in stages], rotation=45, ha="right")
plt.axhline(0, color="grey", lw=0.5)
plt.ylabel("rank correlation with the trained map")
plt.title("cascading randomisation, from the top")
plt.legend()
plt.tight_layout()
plt.show()
for method, values in correlations.items():
    print(f"{method:20s}", " ".join(f"{v:5.2f}" for v in values))
cu.report("sanity_cam_corr_after_top", correlations["Grad-CAM"][1])
cu.report("sanity_cam_corr_all", correlations["Grad-CAM"][-1])
cu.report("sanity_saliency_corr_after_top", correlations["saliency"][1])
cu.report("sanity_saliency_corr_all", correlations["saliency"][-1])
cu.report("sanity_saliency_corr_first", correlations["saliency"][0])
cu.report("sanity_cam_corr_first", correlations["Grad-CAM"][0])
cu.report("sanity_edges_corr_min", min(correlations["edges (no network)"]))

# %% [markdown]
# Both methods pass: randomising the classifier alone drops the saliency map's rank correlation with the
# trained one to 0.26 and Grad-CAM's to 0.35; once the top convolution is random too, Grad-CAM's map is
# unrelated or inverted (-0.48), and from there on neither stays above 0.4. The edge map stays at 1.00:
# it would "explain" a random network just as well, which is the point of the test. Passing it is
# necessary, not sufficient: it says a map depends on the weights, not that it shows the reason.

# %% [markdown]
# ## 8. The same saliency map in plain PyTorch
#
# In PyTorch the gradient of a tensor that `requires_grad` comes from `backward()` (or `torch.autograd.grad`).
# `cu.models.efficientnet_lite0_torch()` is the reference PyTorch network with the same weights; it wants
# channels first, (m, 3, H, W). Both networks compute the same function in float32, in a different order,
# so their logits agree to rounding (about 1e-6). The two maps then agree either as closely, or to about 1%
# of their maximum on a small patch of pixels: a rounding difference can move a unit's input across a corner
# of ReLU6 (at 0 or 6), which switches that unit's gradient on or off for every pixel it sees. Which of the
# two you see depends on the backend and the processor: the benchmark's runs on the reference machine
# measured 1.0% of the maximum, on 2.5% of the pixels, with TensorFlow, and 1e-6 with PyTorch, in its latest runs.
# Either way it is the same map:

# %%
torch_net = cu.models.efficientnet_lite0_torch()
x = torch.tensor(np.moveaxis(photos[:1], -1, 1).copy(), requires_grad=True)  # (1, 3, 224, 224)
score = torch_net(x)[0, cat_id]
score.backward()                               # x.grad = d score / d x
torch_saliency = x.grad.abs().amax(dim=1)[0].numpy()  # max over the channel axis (1 here)
difference = float(np.abs(torch_saliency - cat_saliency).max() / cat_saliency.max())
pixels_off = float(np.mean(np.abs(torch_saliency - cat_saliency) > 1e-3 * cat_saliency.max()))
print(f"largest difference from the Keras map: {difference:.1e} of its maximum; "
      f"{pixels_off:.1%} of the pixels differ by more than 0.1% of it")
cu.report("torch_saliency_rel_diff", difference)
cu.report("torch_saliency_pixels_off", pixels_off)

# %% [markdown]
# ## 9. The same questions to LeNet
#
# The methods are not tied to big networks. Here is LeNet-5 of notebook 02 in its 1998 form: the same
# table of layers and the same 61,706 parameters, with tanh and average pooling where notebook 02 uses ReLU
# and max pooling, and logits out. It is built in two parts so that Grad-CAM can split it after the last
# convolution (10 x 10 x 16, each cell 2 pixels apart on the digit), and trains for 8 epochs on the 4,000
# training digits (the cell prints how long it took). Its training does not repeat exactly from one run to the
# next, so the LeNet figures below are ranges: each covers the benchmark's four runs (two on each backend).

# %%
digit_features = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.ZeroPadding2D(2),
                                   keras.layers.Conv2D(6, 5, activation="tanh"), keras.layers.AveragePooling2D(2),
                                   keras.layers.Conv2D(16, 5, activation="tanh")], name="lenet_features")
digit_head = keras.Sequential([keras.Input((10, 10, 16)), keras.layers.AveragePooling2D(2), keras.layers.Flatten(),
                               keras.layers.Dense(120, activation="tanh"), keras.layers.Dense(84, activation="tanh"),
                               keras.layers.Dense(10)], name="lenet_head")
lenet = keras.Sequential([keras.Input((28, 28, 1)), digit_features, digit_head], name="lenet5_1998")
lenet.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
(X_train, y_train), (X_test, y_test) = cu.data.load_mnist(dtype="float32")
X_train, X_test = X_train[..., None], X_test[..., None]  # (m, 28, 28, 1)
start = time.perf_counter()
lenet.fit(X_train, y_train, batch_size=64, epochs=cu.by_mode(full=8, fast=1), verbose=2)  # one line per epoch
lenet_accuracy = lenet.evaluate(X_test, y_test, verbose=0)[1]
print(f"{lenet.count_params():,} parameters, trained in {time.perf_counter() - start:.1f} s, "
      f"test accuracy {lenet_accuracy:.1%}")
cu.report("lenet_accuracy", lenet_accuracy)

# %% [markdown]
# **Saliency on digits**, with your `saliency_map`: one test digit of each class, and over a few hundred
# test digits the share of the map that falls on the ink (pixels above 0.1), next to the share of the image
# the ink covers.

# %% alt="Two rows of ten small images: one test digit of each class 0 to 9, and below each its saliency map for LeNet."
examples = [int(np.flatnonzero(y_test == d)[0]) for d in range(10)]
digit_saliency = saliency_map(lenet, X_test[examples], y_test[examples])
cu.plots.image_grid(np.concatenate([X_test[examples, ..., 0], digit_saliency / digit_saliency.max(axis=(1, 2),
                    keepdims=True)]), [str(d) for d in range(10)] + ["saliency"] * 10, ncols=10, size=0.9)
plt.show()
sample = np.random.default_rng(1).permutation(len(X_test))[:cu.by_mode(full=300, fast=40)]
sample_saliency = saliency_map(lenet, X_test[sample], y_test[sample])
ink = X_test[sample, ..., 0] > 0.1
near_ink = np.stack([binary_dilation(m, iterations=2) for m in ink])  # the ink and 2 pixels around it
on_ink, near = (sample_saliency * ink).sum() / sample_saliency.sum(), (sample_saliency * near_ink).sum() / sample_saliency.sum()
print(f"share of the saliency on the ink {on_ink:.0%} (the ink covers {ink.mean():.0%} of the image); "
      f"on the ink and 2 pixels around it {near:.0%} (covering {near_ink.mean():.0%})")
cu.report("digit_saliency_on_ink", on_ink)
cu.report("digit_ink_area", ink.mean())
cu.report("digit_saliency_near_ink", near)
cu.report("digit_near_ink_area", near_ink.mean())

# %% [markdown]
# On LeNet the vanilla gradient does not single out the ink: the share of the map on the ink is about
# the ink's share of the image (16-19% against 17%), and the map is a field of soft blobs over the whole
# digit and the paper around it. That is not a bug: the gradient answers "which pixels, changed a little,
# would change the score", and for a digit a stroke of ink added on empty paper (closing a 4 into a 9)
# matters as much as one removed. A map of where the *evidence* is needs another question, as Grad-CAM
# and occlusion ask it.
#
# **The two-pixel shift of notebook 02, through Grad-CAM.** Notebook 02 showed that a network with a
# dense head loses accuracy when the digit moves. Where is the symmetry lost? Shift the test digits 2
# pixels to the right (one cell of the 10 x 10 map) and compare, digit by digit, the map of the shifted
# digit with the original map moved by $d$ cells, for $d = -2, \dots, 2$: the $d$ that correlates best is
# how far the map moved. Once for the feature map itself (the sum of $|A_k|$ over the channels) and once
# for your `grad_cam` of the true class.

# %% alt="Two rows of five digits with Grad-CAM heat maps overlaid: on top five test digits, below the same digits shifted 2 pixels to the right, each titled with its class."
def shift_right(X, dx):
    """(m, H, W, 1) -> the same digits moved dx >= 0 pixels to the right: dx zero columns padded on the left,
    the last dx columns cut off (notebook 02's `shift_images` does any direction)."""
    return np.pad(X, ((0, 0), (0, 0), (dx, 0), (0, 0)))[:, :, : X.shape[2]]


def on_digit(cam):
    """(10, 10) map -> (28, 28): cell j's receptive field is centred on pixel 2j + 4.5, so each cell covers
    pixels 2j + 4 and 2j + 5, and a 4-pixel border stays 0."""
    frame = np.zeros((28, 28))
    frame[4:24, 4:24] = np.kron(np.asarray(cam, dtype=float), np.ones((2, 2)))
    return frame


def best_move(before, after, moves=range(-2, 3)):
    """The horizontal move (in cells) of `before` that correlates best with `after`, both (h, w)."""
    inner = slice(2, -2)  # columns that stay inside the map for every move
    scores = [np.corrcoef(np.roll(before, d, axis=1)[:, inner].ravel(), after[:, inner].ravel())[0, 1]
              if before.std() > 0 and after.std() > 0 else -np.inf for d in moves]
    return list(moves)[int(np.argmax(scores))]


shifted = shift_right(X_test, 2)
lenet_shift_accuracy = {s: float(np.mean(cu.to_numpy(lenet.predict(shift_right(X_test, s), verbose=0)).argmax(1) == y_test))
                        for s in (0, 2, 4)}
cam_sample = sample[:cu.by_mode(full=200, fast=20)]
energy_before = np.abs(cu.to_numpy(digit_features(X_test[cam_sample]))).sum(axis=-1)
energy_after = np.abs(cu.to_numpy(digit_features(shifted[cam_sample]))).sum(axis=-1)
cams_before = [grad_cam(digit_features, digit_head, X_test[i], int(y_test[i])) for i in tqdm(cam_sample, desc="Grad-CAM")]
cams_after = [grad_cam(digit_features, digit_head, shifted[i], int(y_test[i])) for i in cam_sample]
feature_moves = np.array([best_move(b, a) for b, a in zip(energy_before, energy_after)])
cam_moves = np.array([best_move(np.asarray(b, dtype=float), np.asarray(a, dtype=float)) for b, a in zip(cams_before, cams_after)])
fig, axes = plt.subplots(2, 5, figsize=(10, 4.6))
for col in range(5):
    i = cam_sample[col]
    for row, (image, cam, tag) in enumerate([(X_test[i], cams_before[col], "digit"), (shifted[i], cams_after[col], "shifted 2 px")]):
        axes[row, col].imshow(cu.plots.overlay_heatmap(image[..., 0], on_digit(cam)))
        axes[row, col].set_title(f"Grad-CAM of {y_test[i]}, {tag}", fontsize=8)
        axes[row, col].axis("off")
plt.tight_layout()
plt.show()
print("LeNet's test accuracy, digits shifted by", ", ".join(f"{s} px: {a:.1%}" for s, a in lenet_shift_accuracy.items()))
for name, moves in [("feature map", feature_moves), ("Grad-CAM", cam_moves)]:
    print(f"{name:12s} moved by  " + "  ".join(f"{d:+d} cells: {np.mean(moves == d):4.0%}" for d in range(-2, 3)))
cam_on_ink = float(sum((on_digit(c) * (X_test[i, ..., 0] > 0.1)).sum() for c, i in zip(cams_before, cam_sample))
                   / sum(on_digit(c).sum() for c in cams_before))
print(f"share of the Grad-CAM maps on the ink: {cam_on_ink:.0%} (the ink covers {ink.mean():.0%})")
cu.report("digit_cam_on_ink", cam_on_ink)
cu.report("lenet_accuracy_shift2", lenet_shift_accuracy[2])
cu.report("lenet_accuracy_shift4", lenet_shift_accuracy[4])
cu.report("feature_map_moves_one_cell", float(np.mean(feature_moves == 1)))
cu.report("cam_moves_one_cell", float(np.mean(cam_moves == 1)))

# %% [markdown]
# The convolutional part is exactly equivariant: every digit's feature map moved by one cell (100%).
# Grad-CAM's map, whose channel weights come from the dense head, moves with it for about four digits in
# five (78-81%), and it sits on the ink nearly twice as much as the saliency map does (32-37% of it, against
# 17% of the image). Meanwhile the accuracy falls from about 94% to 77-79% at 2 pixels and 35-38% at 4.
# This is notebook 02's experiment seen from inside: the features follow the digit, but the dense head
# reads fixed positions of the 5 x 5 pooled map, so it gets a different input, answers differently, and
# its gradient (the channel weights of Grad-CAM) changes with it. What breaks the shift invariance is
# the head, not the convolutions; the small CNN of notebook 02 replaced it with a global pooling.

# %% [markdown]
# ## Summary
#
# - First-layer filters can be looked at directly; deeper channels through what they respond to: the
#   photos that excite them most, or an image made by gradient ascent, readable only with regularisers
#   (jitter, blur) that also shape it.
# - A saliency map is $\max_{\text{channels}} |\partial y_c / \partial x|$ of the **logit**; it is speckled,
#   and SmoothGrad (the mean over noisy copies) keeps what the copies agree on.
# - Integrated gradients add up to $y_c(x) - y_c(x')$ (completeness); the gap measures whether enough steps
#   were taken.
# - Grad-CAM weights the last feature map's channels by their mean gradient and keeps the positive part:
#   a coarse map per class, which for a pooling-then-dense head is CAM.
# - Occlusion needs no gradient and one forward pass per position; it measures what hiding a region does.
# - A map must depend on the trained weights: check it by randomising them (Adebayo et al., 2018); an
#   edge detector, which never asks the network, does not change at all.
# - On LeNet, a shifted digit shifts the feature map exactly; the dense head does not follow, and that is
#   where the shift invariance is lost.
#
# **Next:** back to any notebook: ask its models why.
#
# ## Further reading
# - D. Erhan, Y. Bengio, A. Courville and P. Vincent, *Visualizing higher-layer features of a deep network*
#   (University of Montreal technical report 1341, 2009).
# - C. Olah, A. Mordvintsev and L. Schubert, *Feature visualization*, Distill (2017),
#   https://distill.pub/2017/feature-visualization/
# - M. D. Zeiler and R. Fergus, *Visualizing and understanding convolutional networks* (ECCV 2014), arXiv:1311.2901.
# - K. Simonyan, A. Vedaldi and A. Zisserman, *Deep inside convolutional networks: visualising image
#   classification models and saliency maps* (ICLR workshop 2014), arXiv:1312.6034.
# - D. Smilkov et al., *SmoothGrad: removing noise by adding noise* (2017), arXiv:1706.03825.
# - M. Sundararajan, A. Taly and Q. Yan, *Axiomatic attribution for deep networks* (ICML 2017), arXiv:1703.01365.
# - B. Zhou et al., *Learning deep features for discriminative localization* (CVPR 2016), arXiv:1512.04150.
# - R. R. Selvaraju et al., *Grad-CAM: visual explanations from deep networks via gradient-based
#   localization* (ICCV 2017), arXiv:1610.02391.
# - J. Adebayo et al., *Sanity checks for saliency maps* (NeurIPS 2018), arXiv:1810.03292.
# - Keras examples: *Grad-CAM class activation visualization*, https://keras.io/examples/vision/grad_cam/
