"""Cases for notebook 04: freezing, the transfer model, pooled features and fine-tuning.

Every exercise takes a Keras model, so the probe (``probe="on_model"``) builds one beside the learner's code from
plain data: a small convolutional base with EfficientNet-like layer names (convolutions, batch normalisation
whose moving statistics differ from any batch's, ReLU, pooling; a non-square input and a non-square last
feature map), and, for ``fine_tune``, a classifier on it, compiled. The cases say how the base arrives (frozen,
trainable, some layers frozen one by one) and which layer is named; the stored values are the trainable flags
and counts after the call, the transfer model's outputs (every weight set to fixed numbers) in inference and,
without dropout, training mode, the pooled features, and what the model is compiled with.
"""

from __future__ import annotations

import numpy as np

from course_tools.cases import Domain, Gen

INPUT = [12, 10, 3]


def _base(width=8):
    """A chain of [layer class, config]: 12x10 input, 6x5 last feature map with `width` channels."""
    return [
        ["Conv2D", {"filters": 6, "kernel_size": 3, "padding": "same", "use_bias": False, "name": "stem_conv"}],
        ["BatchNormalization", {"name": "stem_bn"}],
        ["ReLU", {"name": "stem_relu"}],
        ["Conv2D", {"filters": 6, "kernel_size": 3, "padding": "same", "name": "block1_conv"}],
        ["BatchNormalization", {"name": "block1_bn"}],
        ["ReLU", {"name": "block1_relu"}],
        ["MaxPooling2D", {"pool_size": 2, "name": "block1_pool"}],
        ["Conv2D", {"filters": 10, "kernel_size": 1, "use_bias": False, "name": "block2_expand_conv"}],
        ["BatchNormalization", {"name": "block2_expand_bn"}],
        ["ReLU", {"max_value": 6.0, "name": "block2_expand_relu"}],
        ["Conv2D", {"filters": width, "kernel_size": 3, "padding": "same", "use_bias": False, "name": "top_conv"}],
        ["BatchNormalization", {"name": "top_bn"}],
        ["ReLU", {"name": "top_relu"}],
    ]


def _short_base():
    """Another chain, with other names and a 9x7 input: a table of the first base's answers would not fit it."""
    return [
        ["Conv2D", {"filters": 4, "kernel_size": 3, "name": "conv_a"}],
        ["BatchNormalization", {"name": "bn_a"}],
        ["Activation", {"activation": "relu", "name": "act_a"}],
        ["Conv2D", {"filters": 5, "kernel_size": 2, "name": "conv_b"}],
        ["BatchNormalization", {"name": "bn_b"}],
        ["Activation", {"activation": "relu", "name": "act_b"}],
    ]


def _images(rng, m, shape=INPUT):
    """Preprocessed-looking images: values mostly in [-1, 1], some far outside (every activation's range)."""
    return np.round(rng.normal(0, 1.5, (m,) + tuple(shape)), 1).astype("float32")


def _x(rng, m, shape=INPUT):
    """The same, as a list (a probe option, stored as text)."""
    return np.round(rng.normal(0, 1.5, (m,) + tuple(shape)), 1).tolist()


# --------------------------------------------------------------------------- freeze_up_to

FREEZE = ["returned", "trainable", "n_trainable"]


def freeze_up_to(rng):
    yield Gen(
        "the base arrives fully frozen; train from block2_expand_conv on",
        ("$base", "block2_expand_conv"),
        hint="set model.trainable = True first: while the model is frozen, every layer in it stays frozen.",
    )
    yield Gen(
        "every layer trainable; train from top_conv on",
        ("$base", "top_conv"),
        options={"frozen": False},
        hint="the layers before the named one must be frozen (layer.trainable = False).",
    )
    yield Gen(
        "the named layer is a batch-norm layer (block1_bn)",
        ("$base", "block1_bn"),
        hint="the named layer itself is trainable, and every layer after it; the ones before it are frozen.",
    )
    yield Gen(
        "the named layer is the first one (stem_conv): everything trainable",
        ("$base", "stem_conv"),
        hint="the named layer itself is trainable, and every layer after it.",
    )
    yield Gen(
        "the named layer is the last one (top_relu)",
        ("$base", "top_relu"),
        options={"frozen": False},
        hint="every layer before the named one is frozen, whatever its flag was.",
    )
    yield Gen(
        "some later layers frozen one by one beforehand (top_bn, block2_expand_conv)",
        ("$base", "block1_conv"),
        options={"frozen": False, "frozen_layers": ["top_bn", "block2_expand_conv"]},
        hint="the named layer and every layer after it become trainable, whatever their flags were before.",
    )
    yield Gen(
        "another base (other names), arriving frozen",
        ("$base", "conv_b"),
        options={"base": _short_base(), "input": [9, 7, 2]},
        hint="find the named layer by its name (layer.name), in the order of model.layers.",
    )
    yield Gen("layer_name by keyword", ("$base",), {"layer_name": "block1_pool"})


# --------------------------------------------------------------------------- build_transfer_model

HEAD = "base(inputs, training=False), then GlobalAveragePooling2D, Dropout(dropout_rate), Dense(n_classes, softmax)."
TRANSFER = ["returned", "input_shape", "n_trainable", "trainable", "outputs"]
BOTH = ["inference", "training"]


def build_transfer_model(rng):
    yield Gen(
        "3 classes, dropout 0: training mode gives the inference outputs",
        ("$base", 3, 0.0),
        options={"x": _x(rng, 3), "modes": BOTH},
        hint=HEAD,
    )
    yield Gen(
        "the base arrives trainable: it must come out frozen",
        ("$base", 2, 0.0),
        options={"x": _x(rng, 2), "modes": BOTH, "frozen": False},
        hint="freeze the base (base.trainable = False): only the Dense head trains.",
    )
    yield Gen(
        "2 classes, dropout 0.3 (inference mode)",
        ("$base", 2, 0.3),
        options={"x": _x(rng, 3), "modes": ["inference"]},
        hint=HEAD,
    )
    yield Gen(
        "another base (9x7 inputs, 5 channels out), 5 classes, dropout 0",
        ("$base", 5, 0.0),
        options={"x": _x(rng, 2, (9, 7, 2)), "base": _short_base(), "input": [9, 7, 2], "modes": BOTH},
        hint="the input has the base's input shape: keras.Input(shape=base.input.shape[1:]); Dense(n_classes).",
    )
    yield Gen(
        "arguments by keyword",
        (),
        {"dropout_rate": 0.0, "n_classes": 4, "base": "$base"},
        options={"x": _x(rng, 2), "modes": BOTH},
        hint="keep the argument names base, n_classes and dropout_rate.",
    )


# --------------------------------------------------------------------------- extract_features

FEATURES = "the mean of base(batch, training=False) over its h x w positions (axes 1 and 2)."


def extract_features(rng):
    yield Gen(
        "one image, batches of 1",
        ("$base", _images(rng, 1), 1),
        hint=FEATURES + " Batch norm must run in inference mode (its moving statistics).",
    )
    yield Gen(
        "4 images in one batch of 4",
        ("$base", _images(rng, 4), 4),
        hint=FEATURES + " Batch norm must run in inference mode (its moving statistics).",
    )
    yield Gen(
        "10 images in batches of 4: the last batch holds 2",
        ("$base", _images(rng, 10), 4),
        hint="keep the last, smaller batch: range(0, m, batch_size) and images[start:start + batch_size].",
    )
    yield Gen(
        "9 images in batches of 3 (exact)",
        ("$base", _images(rng, 9), 3),
        hint="the features come in the order of the images, one row each.",
    )
    yield Gen("3 images, batch size larger than m", ("$base", _images(rng, 3), 8), hint="one (smaller) batch.")
    yield Gen("5 images in batches of 1, the base frozen", ("$base", _images(rng, 5), 1), options={"frozen": True})
    yield Gen(
        "another base (9x7 inputs, 5 channels)",
        ("$base", _images(rng, 5, (9, 7, 2)), 2),
        options={"base": _short_base(), "input": [9, 7, 2]},
        hint="C is the number of channels of the base's output, whatever it is.",
    )
    yield Gen("batch_size by keyword", ("$base", _images(rng, 6)), {"batch_size": 4})


# --------------------------------------------------------------------------- fine_tune

TUNE = (
    "base.trainable = True first, then freeze the layers before the named one, keep every BatchNormalization "
    "frozen; recompile with keras.optimizers.Adam(learning_rate), loss='sparse_categorical_crossentropy' (the "
    "outputs are probabilities, not logits) and metrics=['accuracy']."
)
COMPILED = ["returned", "trainable", "n_trainable", "compiled"]


def fine_tune(rng):
    yield Gen(
        "unfreeze from block2_expand_conv, learning rate 2e-5",
        ("$model", "$base", "block2_expand_conv", 2e-5),
        hint=TUNE,
    )
    yield Gen(
        "from a batch-norm layer (block1_bn): it stays frozen, the layers after it train",
        ("$model", "$base", "block1_bn", 1e-4),
        hint="every BatchNormalization layer stays frozen, the named one too; the other layers from it on train.",
    )
    yield Gen(
        "from the first layer (stem_conv)",
        ("$model", "$base", "stem_conv", 3e-4),
        hint=TUNE,
    )
    yield Gen(
        "a base that arrives trainable, some layers frozen one by one",
        ("$model", "$base", "top_conv", 5e-5),
        options={"frozen": False, "frozen_layers": ["top_conv", "stem_bn"]},
        hint="the layers before the named one frozen, the named one and those after it trainable (not batch norm).",
    )
    yield Gen(
        "learning_rate by keyword",
        ("$model", "$base", "top_conv"),
        {"learning_rate": 0.003},
        hint="use the learning_rate argument: keras.optimizers.Adam(learning_rate).",
    )


DOMAINS = {
    "freeze_up_to": Domain(
        freeze_up_to,
        argnames=("model", "layer_name"),
        probe="on_model",
        options={"report": FREEZE, "base": _base(), "input": INPUT},
    ),
    "build_transfer_model": Domain(
        build_transfer_model,
        argnames=("base", "n_classes", "dropout_rate"),
        probe="on_model",
        atol=1e-5,
        rtol=1e-4,
        options={
            "report": TRANSFER,
            "base": _base(),
            "input": INPUT,
            "hint_params": "the base's parameters plus the Dense head's, (C + 1) * n_classes: no other layer.",
        },
    ),
    "extract_features": Domain(
        extract_features,
        argnames=("base", "images", "batch_size"),
        probe="on_model",
        returns="numpy",
        dtype="float32",
        atol=1e-5,
        rtol=1e-4,
        options={
            "base": _base(),
            "input": INPUT,
            "frozen": False,
            "hint_dtype": "return float32 features: .astype('float32').",
        },
    ),
    "fine_tune": Domain(
        fine_tune,
        argnames=("model", "base", "unfreeze_from", "learning_rate"),
        probe="on_model",
        atol=1e-5,
        rtol=1e-4,
        options={"report": COMPILED, "base": _base(), "input": INPUT, "x": _x(np.random.default_rng(4), 4)},
    ),
}
