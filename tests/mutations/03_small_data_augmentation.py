"""Wrong and correct answers for notebook 03 (see tests/mutation_harness.py)."""

_AUG = """
    def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
        X = np.asarray(X)
        X_aug = np.empty_like(X)
        for i, image in enumerate(X):
            angle = ANGLE
            dy, dx = SHIFT
            out = scipy.ndimage.rotate(image, angle, reshape=False, order=ORDER, mode="constant", cval=0.0)
            out = scipy.ndimage.shift(out, (dy, dx), order=ORDER, mode="constant", cval=0.0)
            X_aug[i] = CLIP
        return X_aug
"""


def _aug(
    angle="rng.uniform(-max_rotation_deg, max_rotation_deg)",
    shift="rng.uniform(-max_shift, max_shift, size=2)",
    order="1",
    clip="np.clip(out, 0.0, 1.0)",
    mode="constant",
):
    return (
        _AUG.replace("ANGLE", angle)
        .replace("SHIFT", shift)
        .replace("ORDER", order)
        .replace("CLIP", clip)
        .replace('"constant"', f'"{mode}"')
    )


_NET = """
    def build_regularised_convnet(input_shape=(28, 28, 1), n_classes=10, dropout_rate=0.5):
        return keras.Sequential([
            keras.Input(INPUT),
            layers.Conv2D(8, 3, activation=ACT),
            layers.POOL(2),
            layers.Conv2D(16, 3, activation=ACT),
            layers.POOL(2),
            layers.Flatten(),
            layers.Dropout(RATE),
            layers.Dense(64, activation="relu"),
            layers.Dense(CLASSES, activation=LAST),
        ])
"""


def _net(
    inp="input_shape", act='"relu"', pool="MaxPooling2D", rate="dropout_rate", classes="n_classes", last='"softmax"'
):
    return (
        _NET.replace("INPUT", inp)
        .replace("ACT", act)
        .replace("POOL", pool)
        .replace("RATE", rate)
        .replace("CLASSES", classes)
        .replace("LAST", last)
    )


VARIANTS = {
    "data_augmenter": {
        "wrong": {
            "rotation first": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomRotation(0.2), layers.RandomFlip("horizontal")])
            """,
            "RandomFlip() flips vertically too (the default mode)": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomFlip(), layers.RandomRotation(0.2)])
            """,
            "vertical flips": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomFlip("vertical"), layers.RandomRotation(0.2)])
            """,
            "the factor split in two halves (0.1)": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.2 / 2)])
            """,
            "rotations one way only (factor (0, 0.2))": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation((0, 0.2))])
            """,
            "a list of layers, not a model": """
                def data_augmenter():
                    return [layers.RandomFlip("horizontal"), layers.RandomRotation(0.2)]
            """,
            "one augmenter built once and returned every time": """
                _AUGMENTER = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.2)])

                def data_augmenter():
                    return _AUGMENTER
            """,
            "a RandomZoom added": """
                def data_augmenter():
                    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.2), layers.RandomZoom(0.1)])
            """,
        },
        "right": {
            "add() and keyword arguments": """
                def data_augmenter():
                    model = keras.Sequential()
                    model.add(keras.layers.RandomFlip(mode="horizontal"))
                    model.add(keras.layers.RandomRotation(factor=0.2))
                    return model
            """,
            "factor as a pair, a name": """
                def data_augmenter():
                    return keras.Sequential([keras.layers.RandomFlip("horizontal"),
                                             keras.layers.RandomRotation(factor=(-0.2, 0.2))], name="data_augmentation")
            """,
        },
    },
    "augment_batch": {
        "wrong": {
            "one transform for the whole batch": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    angle = rng.uniform(-max_rotation_deg, max_rotation_deg)
                    dy, dx = rng.uniform(-max_shift, max_shift, size=2)
                    out = scipy.ndimage.rotate(X, angle, axes=(2, 1), reshape=False, order=1, mode="constant")
                    out = scipy.ndimage.shift(out, (0, dy, dx), order=1, mode="constant")
                    return np.clip(out, 0, 1).astype(X.dtype)
            """,
            "np.random instead of rng": _aug(
                angle="np.random.uniform(-max_rotation_deg, max_rotation_deg)",
                shift="np.random.uniform(-max_shift, max_shift, size=2)",
            ),
            "the angle in radians": _aug(angle="np.deg2rad(rng.uniform(-max_rotation_deg, max_rotation_deg))"),
            "default spline order and no clipping": _aug(order="3", clip="out"),
            "modifies X in place": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    for i, image in enumerate(X):
                        angle = rng.uniform(-max_rotation_deg, max_rotation_deg)
                        dy, dx = rng.uniform(-max_shift, max_shift, size=2)
                        out = scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode="constant")
                        X[i] = np.clip(scipy.ndimage.shift(out, (dy, dx), order=1, mode="constant"), 0, 1)
                    return X.copy()
            """,
            "float64 result (np.zeros(X.shape))": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    X_aug = np.zeros(np.shape(X))
                    for i, image in enumerate(X):
                        angle = rng.uniform(-max_rotation_deg, max_rotation_deg)
                        dy, dx = rng.uniform(-max_shift, max_shift, size=2)
                        out = scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode="constant")
                        X_aug[i] = np.clip(scipy.ndimage.shift(out, (dy, dx), order=1, mode="constant"), 0, 1)
                    return X_aug
            """,
            "random horizontal flips": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    out = _augment(X, rng, max_shift, max_rotation_deg)
                    flip = rng.random(len(out)) < 0.5
                    out[flip] = out[flip, :, ::-1]
                    return out
            """,
            "a blur added": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    out = _augment(X, rng, max_shift, max_rotation_deg)
                    return scipy.ndimage.gaussian_filter(out, (0, 0.5, 0.5)).astype(X.dtype)
            """,
            "only positive angles": _aug(angle="rng.uniform(0, max_rotation_deg)"),
            "the same shift on both axes": _aug(shift="[rng.uniform(-max_shift, max_shift)] * 2"),
            "shift, then rotate": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    X_aug = np.empty_like(X)
                    for i, image in enumerate(X):
                        angle = rng.uniform(-max_rotation_deg, max_rotation_deg)
                        dy, dx = rng.uniform(-max_shift, max_shift, size=2)
                        out = scipy.ndimage.shift(image, (dy, dx), order=1, mode="constant")
                        out = scipy.ndimage.rotate(out, angle, reshape=False, order=1, mode="constant")
                        X_aug[i] = np.clip(out, 0, 1)
                    return X_aug
            """,
            "nearest-pixel interpolation (order=0)": _aug(order="0"),
            "the border filled with the nearest pixel": _aug(mode="nearest"),
            "normal (not uniform) shifts": _aug(
                shift="np.clip(rng.normal(0, max_shift / 2, size=2), -max_shift, max_shift)"
            ),
            "returns X itself (in place, for speed)": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    out = _augment(X, rng, max_shift, max_rotation_deg)
                    X[...] = out
                    return X
            """,
        },
        "right": {
            "all the random numbers drawn first, shift then clip in one go": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    m = len(X)
                    angles = rng.uniform(-max_rotation_deg, max_rotation_deg, size=m)
                    shifts = rng.uniform(-max_shift, max_shift, size=(m, 2))
                    images = [scipy.ndimage.shift(scipy.ndimage.rotate(X[i], angles[i], reshape=False, order=1),
                                                  shifts[i], order=1) for i in range(m)]
                    return np.clip(np.stack(images), 0, 1).astype(X.dtype)
            """,
            "a copy, then in place on the copy; dx drawn first": """
                def augment_batch(X, rng, max_shift=2.0, max_rotation_deg=15.0):
                    out = np.array(X, copy=True)
                    for k in range(out.shape[0]):
                        theta = rng.uniform(low=-max_rotation_deg, high=max_rotation_deg)
                        dx = rng.uniform(-max_shift, max_shift)
                        dy = rng.uniform(-max_shift, max_shift)
                        img = scipy.ndimage.rotate(out[k], theta, reshape=False, order=1, mode="constant", cval=0)
                        img = scipy.ndimage.shift(img, shift=(dy, dx), order=1, mode="constant", cval=0)
                        out[k] = np.clip(img, 0, 1)
                    return out
            """,
        },
    },
    "build_regularised_convnet": {
        "wrong": {
            "Dropout after the softmax": """
                def build_regularised_convnet(input_shape=(28, 28, 1), n_classes=10, dropout_rate=0.5):
                    return keras.Sequential([
                        keras.Input(input_shape), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                        layers.Dense(64, activation="relu"), layers.Dense(n_classes, activation="softmax"),
                        layers.Dropout(dropout_rate),
                    ])
            """,
            "dropout_rate ignored (0.5)": _net(rate="0.5"),
            "keep probability instead of rate": _net(rate="1 - dropout_rate"),
            "n_classes ignored (10)": _net(classes="10"),
            "input_shape ignored (28, 28, 1)": _net(inp="(28, 28, 1)"),
            "no softmax": _net(last="None"),
            "sigmoid output": _net(last='"sigmoid"'),
            "no ReLU in the convolutions": _net(act="None"),
            "ReLU6 in the convolutions": _net(act='"relu6"'),
            "average pooling": _net(pool="AveragePooling2D"),
            "Dropout between the Dense layers": """
                def build_regularised_convnet(input_shape=(28, 28, 1), n_classes=10, dropout_rate=0.5):
                    return keras.Sequential([
                        keras.Input(input_shape), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                        layers.Dense(64, activation="relu"), layers.Dropout(dropout_rate),
                        layers.Dense(n_classes, activation="softmax"),
                    ])
            """,
        },
        "right": {
            "functional API": """
                def build_regularised_convnet(input_shape=(28, 28, 1), n_classes=10, dropout_rate=0.5):
                    inputs = keras.Input(shape=input_shape)
                    x = layers.Conv2D(filters=8, kernel_size=(3, 3), activation="relu")(inputs)
                    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
                    x = layers.Conv2D(filters=16, kernel_size=(3, 3), activation="relu")(x)
                    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
                    x = layers.Flatten()(x)
                    x = layers.Dropout(rate=dropout_rate)(x)
                    x = layers.Dense(64, activation="relu")(x)
                    outputs = layers.Dense(n_classes, activation="softmax")(x)
                    return keras.Model(inputs=inputs, outputs=outputs)
            """,
            "add() one layer at a time": """
                def build_regularised_convnet(input_shape=(28, 28, 1), n_classes=10, dropout_rate=0.5):
                    model = keras.Sequential(name="regularised")
                    model.add(keras.Input(input_shape))
                    for n in (8, 16):
                        model.add(keras.layers.Conv2D(n, 3, activation=keras.activations.relu))
                        model.add(keras.layers.MaxPool2D())
                    model.add(keras.layers.Flatten())
                    model.add(keras.layers.Dropout(dropout_rate))
                    model.add(keras.layers.Dense(64, "relu"))
                    model.add(keras.layers.Dense(n_classes, "softmax"))
                    return model
            """,
        },
    },
    "steps_per_epoch": {
        "wrong": {
            "floor division": """
                def steps_per_epoch(n_examples, batch_size):
                    return n_examples // batch_size
            """,
            "round": """
                def steps_per_epoch(n_examples, batch_size):
                    return round(n_examples / batch_size)
            """,
            "always one more (n // B + 1)": """
                def steps_per_epoch(n_examples, batch_size):
                    return n_examples // batch_size + 1
            """,
            "a float (m / B)": """
                def steps_per_epoch(n_examples, batch_size):
                    return n_examples / batch_size
            """,
            "np.ceil (a NumPy float)": """
                def steps_per_epoch(n_examples, batch_size):
                    return np.ceil(n_examples / batch_size)
            """,
            "at least one step": """
                def steps_per_epoch(n_examples, batch_size):
                    return max(1, math.ceil(n_examples / batch_size))
            """,
        },
        "right": {
            "ceiling by negative floor division": """
                def steps_per_epoch(n_examples, batch_size):
                    return -(-n_examples // batch_size)
            """,
            "divmod": """
                def steps_per_epoch(n_examples, batch_size):
                    full, rest = divmod(n_examples, batch_size)
                    return full + (1 if rest else 0)
            """,
            "(m + B - 1) // B": """
                def steps_per_epoch(n_examples, batch_size):
                    return (n_examples + batch_size - 1) // batch_size
            """,
        },
    },
}

PRELUDE = {"augment_batch": "_augment = augment_batch"}


# Automatic mutants (course_tools/mutants.py) that no input the docstring allows tells apart, with the reason.
EQUIVALENT = {
    "data_augmenter": {
        "constant: `0.2` -> `-0.2` in `return keras.Sequential([layers.RandomFlip('horizontal'), layers.RandomRotati...`": "Keras reads a single rotation factor f as the range (-|f|, |f|): RandomRotation(-0.2) is RandomRotation(0.2).",
    },
    "augment_batch": {
        "statement: `X = np.asarray(X)` -> `pass`": "X is a NumPy array (the docstring): np.asarray(X) returns it unchanged.",
        "argument: `scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode='constant', c...` -> `scipy.ndimage.rotate(image, angle, reshape=False, order=1, cval=0.0)` in `out = scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode='consta...`": "mode='constant' and cval=0.0 are scipy.ndimage's defaults.",
        "argument: `scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode='constant', c...` -> `scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode='constant')` in `out = scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode='consta...`": "mode='constant' and cval=0.0 are scipy.ndimage's defaults.",
        "argument: `scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant', cval=0.0)` -> `scipy.ndimage.shift(out, (dy, dx), order=1, cval=0.0)` in `out = scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant', cval=0.0)`": "mode='constant' and cval=0.0 are scipy.ndimage's defaults.",
        "argument: `scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant', cval=0.0)` -> `scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant')` in `out = scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant', cval=0.0)`": "mode='constant' and cval=0.0 are scipy.ndimage's defaults.",
        "argument: `(dy, dx)` -> `(dx, dy)` in `out = scipy.ndimage.shift(out, (dy, dx), order=1, mode='constant', cval=0.0)`": "dy and dx are drawn the same way, independently: swapping them gives the same distribution of shifts.",
        "argument: `np.clip(out, 0.0, 1.0)` -> `np.clip(0.0, out, 1.0)` in `X_aug[i] = np.clip(out, 0.0, 1.0)`": "np.clip(0.0, out, 1.0) = min(max(0.0, out), 1.0) = np.clip(out, 0.0, 1.0), element by element.",
        "constant: `1.0` -> `2.0` in `X_aug[i] = np.clip(out, 0.0, 1.0)`": "bilinear interpolation of values in [0, 1] (the docstring's X) with a fill of 0 never leaves [0, 1]: the upper clip never acts.",
    },
    "build_regularised_convnet": {
        "argument: `layers.MaxPooling2D(2)` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input(input_shape), layers.Conv2D(8, 3, activa...`": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
        "argument: `layers.MaxPooling2D(2)` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input(input_shape), layers.Conv2D(8, 3, activa...` (#2)": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
    },
}
