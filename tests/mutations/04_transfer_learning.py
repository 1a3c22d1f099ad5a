"""Wrong and correct answers for notebook 04 (see tests/mutation_harness.py)."""

_TRANSFER = """
    def build_transfer_model(base, n_classes, dropout_rate):
        FREEZE
        inputs = keras.Input(shape=INPUT)
        x = base(inputs, TRAINING)
        x = keras.layers.POOL()(x)
        x = keras.layers.Dropout(RATE)(x)
        outputs = keras.layers.Dense(n_classes, activation=LAST)(x)
        return keras.Model(inputs, outputs)
"""


def _transfer(
    freeze="base.trainable = False",
    inp="tuple(base.input.shape[1:])",
    training="training=False",
    pool="GlobalAveragePooling2D",
    rate="dropout_rate",
    last='"softmax"',
):
    return (
        _TRANSFER.replace("FREEZE", freeze)
        .replace("INPUT", inp)
        .replace("TRAINING", training)
        .replace("POOL", pool)
        .replace("RATE", rate)
        .replace("LAST", last)
    )


_FINE = """
    def fine_tune(model, base, unfreeze_from, learning_rate):
        START
        trainable = False
        for layer in base.layers:
            BEFORE
            layer.trainable = FLAG
            AFTER
        model.compile(optimizer=OPTIMIZER, loss=LOSS, metrics=["accuracy"])
        return model
"""


def _fine(
    start="base.trainable = True",
    flag="trainable and not isinstance(layer, keras.layers.BatchNormalization)",
    optimizer="keras.optimizers.Adam(learning_rate)",
    loss='"sparse_categorical_crossentropy"',
    after=False,
):
    switch = "if layer.name == unfreeze_from:\n                trainable = True"
    src = _FINE.replace("START", start).replace("FLAG", flag).replace("OPTIMIZER", optimizer).replace("LOSS", loss)
    return src.replace("BEFORE", "pass" if after else switch).replace("AFTER", switch if after else "pass")


VARIANTS = {
    "freeze_up_to": {
        "wrong": {
            "the named layer stays frozen (flag switched after it)": """
                def freeze_up_to(model, layer_name):
                    if layer_name not in [layer.name for layer in model.layers]:
                        raise ValueError(layer_name)
                    model.trainable = True
                    trainable = False
                    for layer in model.layers:
                        layer.trainable = trainable
                        if layer.name == layer_name:
                            trainable = True
                    return model
            """,
            "model.trainable not reset (a frozen model stays frozen)": """
                def freeze_up_to(model, layer_name):
                    if layer_name not in [layer.name for layer in model.layers]:
                        raise ValueError(layer_name)
                    trainable = False
                    for layer in model.layers:
                        if layer.name == layer_name:
                            trainable = True
                        layer.trainable = trainable
                    return model
            """,
            "only freezes, never unfreezes": """
                def freeze_up_to(model, layer_name):
                    if layer_name not in [layer.name for layer in model.layers]:
                        raise ValueError(layer_name)
                    for layer in model.layers:
                        if layer.name == layer_name:
                            break
                        layer.trainable = False
                    return model
            """,
            "no ValueError for an unknown name": """
                def freeze_up_to(model, layer_name):
                    model.trainable = True
                    trainable = False
                    for layer in model.layers:
                        if layer.name == layer_name:
                            trainable = True
                        layer.trainable = trainable
                    return model
            """,
            "KeyError for an unknown name": """
                def freeze_up_to(model, layer_name):
                    index = {layer.name: i for i, layer in enumerate(model.layers)}
                    if layer_name not in index:
                        raise KeyError(layer_name)
                    model.trainable = True
                    for i, layer in enumerate(model.layers):
                        layer.trainable = i >= index[layer_name]
                    return model
            """,
            "frozen and trainable swapped": """
                def freeze_up_to(model, layer_name):
                    if layer_name not in [layer.name for layer in model.layers]:
                        raise ValueError(layer_name)
                    model.trainable = True
                    trainable = True
                    for layer in model.layers:
                        if layer.name == layer_name:
                            trainable = False
                        layer.trainable = trainable
                    return model
            """,
            "returns nothing": """
                def freeze_up_to(model, layer_name):
                    if layer_name not in [layer.name for layer in model.layers]:
                        raise ValueError(layer_name)
                    model.trainable = True
                    trainable = False
                    for layer in model.layers:
                        if layer.name == layer_name:
                            trainable = True
                        layer.trainable = trainable
            """,
        },
        "right": {
            "index of the layer and a slice": """
                def freeze_up_to(model, layer_name):
                    names = [layer.name for layer in model.layers]
                    try:
                        k = names.index(layer_name)
                    except ValueError:
                        raise ValueError(f"no layer called {layer_name}") from None
                    model.trainable = True
                    for layer in model.layers[:k]:
                        layer.trainable = False
                    for layer in model.layers[k:]:
                        layer.trainable = True
                    return model
            """,
            "get_layer raises the ValueError": """
                def freeze_up_to(model, layer_name):
                    target = model.get_layer(layer_name)
                    model.trainable = True
                    seen = False
                    for layer in model.layers:
                        seen = seen or layer is target
                        layer.trainable = seen
                    return model
            """,
        },
    },
    "build_transfer_model": {
        "wrong": {
            "base not frozen": _transfer(freeze="pass"),
            "no softmax": _transfer(last="None"),
            "dropout_rate ignored (0.2)": _transfer(rate="0.2"),
            "base called without training=False": _transfer(training=""),
            "global max pooling": _transfer(pool="GlobalMaxPooling2D"),
            "Dropout after the softmax": """
                def build_transfer_model(base, n_classes, dropout_rate):
                    base.trainable = False
                    inputs = keras.Input(shape=tuple(base.input.shape[1:]))
                    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
                    x = keras.layers.Dense(n_classes, activation="softmax")(x)
                    return keras.Model(inputs, keras.layers.Dropout(dropout_rate)(x))
            """,
            "n_classes ignored (2 classes)": _transfer().replace("Dense(n_classes", "Dense(2"),
            "the head on base.output (no call with training=False)": """
                def build_transfer_model(base, n_classes, dropout_rate):
                    base.trainable = False
                    x = keras.layers.GlobalAveragePooling2D()(base.output)
                    x = keras.layers.Dropout(dropout_rate)(x)
                    return keras.Model(base.input, keras.layers.Dense(n_classes, activation="softmax")(x))
            """,
        },
        "right": {
            "Activation('softmax') and base.inputs[0]": """
                def build_transfer_model(base, n_classes, dropout_rate):
                    base.trainable = False
                    image = keras.layers.Input(shape=base.inputs[0].shape[1:])
                    features = base(image, training=False)
                    pooled = keras.layers.GlobalAveragePooling2D()(features)
                    dropped = keras.layers.Dropout(rate=dropout_rate)(pooled)
                    logits = keras.layers.Dense(units=n_classes)(dropped)
                    return keras.Model(inputs=image, outputs=keras.layers.Activation("softmax")(logits))
            """,
            "freeze after building, keras.activations.softmax": """
                def build_transfer_model(base, n_classes, dropout_rate):
                    inputs = keras.Input(base.input.shape[1:])
                    x = base(inputs, training=False)
                    x = keras.layers.GlobalAveragePooling2D()(x)
                    x = keras.layers.Dropout(dropout_rate)(x)
                    outputs = keras.layers.Dense(n_classes, activation=keras.activations.softmax)(x)
                    model = keras.Model(inputs, outputs)
                    base.trainable = False
                    return model
            """,
        },
    },
    "extract_features": {
        "wrong": {
            "drops the last partial batch": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for b in range(len(images) // batch_size):
                        maps = base(images[b * batch_size:(b + 1) * batch_size], training=False)
                        chunks.append(cu.to_numpy(keras.ops.mean(maps, axis=(1, 2))))
                    return np.concatenate(chunks).astype("float32")
            """,
            "batch norm in training mode": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for start in range(0, len(images), batch_size):
                        maps = base(images[start:start + batch_size], training=True)
                        chunks.append(cu.to_numpy(keras.ops.mean(maps, axis=(1, 2))))
                    return np.concatenate(chunks).astype("float32")
            """,
            "max over the positions": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for start in range(0, len(images), batch_size):
                        maps = cu.to_numpy(base(images[start:start + batch_size], training=False))
                        chunks.append(maps.max(axis=(1, 2)))
                    return np.concatenate(chunks).astype("float32")
            """,
            "mean over the rows only": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for start in range(0, len(images), batch_size):
                        maps = cu.to_numpy(base(images[start:start + batch_size], training=False))
                        chunks.append(maps.mean(axis=1))
                    return np.concatenate(chunks).astype("float32")
            """,
            "returns a list of batches": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for start in range(0, len(images), batch_size):
                        maps = cu.to_numpy(base(images[start:start + batch_size], training=False))
                        chunks.append(maps.mean(axis=(1, 2)))
                    return chunks
            """,
            "float64 features": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    for start in range(0, len(images), batch_size):
                        maps = cu.to_numpy(base(images[start:start + batch_size], training=False))
                        chunks.append(maps.mean(axis=(1, 2), dtype=np.float64))
                    return np.concatenate(chunks)
            """,
            "returns a backend tensor": """
                def extract_features(base, images, batch_size):
                    chunks = [keras.ops.mean(base(images[s:s + batch_size], training=False), axis=(1, 2))
                              for s in range(0, len(images), batch_size)]
                    return keras.ops.concatenate(chunks, axis=0)
            """,
            "the last batch counted twice (overlapping windows)": """
                def extract_features(base, images, batch_size):
                    chunks = []
                    n = len(images)
                    for start in range(0, n, batch_size):
                        start = min(start, max(0, n - batch_size))
                        maps = cu.to_numpy(base(images[start:start + batch_size], training=False))
                        chunks.append(maps.mean(axis=(1, 2)))
                    return np.concatenate(chunks)[:n].astype("float32")
            """,
        },
        "right": {
            "predict per batch, NumPy mean, vstack": """
                def extract_features(base, images, batch_size):
                    out = []
                    i = 0
                    while i < len(images):
                        maps = base.predict(images[i:i + batch_size], verbose=0)
                        out.append(np.mean(maps, axis=(1, 2)))
                        i += batch_size
                    return np.vstack(out).astype(np.float32)
            """,
            "a GlobalAveragePooling2D layer and np.array_split": """
                def extract_features(base, images, batch_size):
                    pool = keras.layers.GlobalAveragePooling2D()
                    n_batches = -(-len(images) // batch_size)
                    parts = [images[k * batch_size:(k + 1) * batch_size] for k in range(n_batches)]
                    feats = [keras.ops.convert_to_numpy(pool(base(p, training=False))) for p in parts]
                    return np.concatenate(feats, axis=0).astype("float32")
            """,
        },
    },
    "fine_tune": {
        "wrong": {
            "batch-norm layers unfrozen too": _fine(flag="trainable"),
            "not recompiled": """
                def fine_tune(model, base, unfreeze_from, learning_rate):
                    base.trainable = True
                    trainable = False
                    for layer in base.layers:
                        if layer.name == unfreeze_from:
                            trainable = True
                        layer.trainable = trainable and not isinstance(layer, keras.layers.BatchNormalization)
                    model.optimizer.learning_rate.assign(learning_rate)
                    return model
            """,
            "learning_rate ignored (1e-5)": _fine(optimizer="keras.optimizers.Adam(1e-5)"),
            "Adam() with its default learning rate": _fine(optimizer="keras.optimizers.Adam()"),
            "the named layer stays frozen": _fine(after=True),
            "SGD instead of Adam": _fine(optimizer="keras.optimizers.SGD(learning_rate)"),
            "categorical (one-hot) cross-entropy": _fine(loss='"categorical_crossentropy"'),
            "only the named layer unfrozen": _fine(flag="layer.name == unfreeze_from"),
            "a loss from logits on softmax outputs": _fine(
                loss="keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
            ),
            "no accuracy metric": _fine().replace(', metrics=["accuracy"]', ""),
        },
        "right": {
            "index of the layer, keyword arguments, a loss object": """
                def fine_tune(model, base, unfreeze_from, learning_rate):
                    base.trainable = True
                    names = [layer.name for layer in base.layers]
                    k = names.index(unfreeze_from)
                    for i, layer in enumerate(base.layers):
                        if isinstance(layer, keras.layers.BatchNormalization):
                            layer.trainable = False
                        else:
                            layer.trainable = i >= k
                    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                                  loss=keras.losses.SparseCategoricalCrossentropy(),
                                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
                    return model
            """,
            "freeze everything, then unfreeze the top": """
                def fine_tune(model, base, unfreeze_from, learning_rate):
                    base.trainable = True
                    for layer in base.layers:
                        layer.trainable = False
                    top = False
                    for layer in base.layers:
                        top = top or layer.name == unfreeze_from
                        if top and type(layer).__name__ != "BatchNormalization":
                            layer.trainable = True
                    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
                    return model
            """,
        },
    },
}


# Automatic mutants (course_tools/mutants.py) that no input the docstring allows tells apart, with the reason.
EQUIVALENT = {
    "freeze_up_to": {
        "argument: `ValueError(f'no layer named {layer_name!r} in {model.name}')` -> `ValueError()` in `raise ValueError(f'no layer named {layer_name!r} in {model.name}')`": "the error's message is not part of the contract (only its type, ValueError).",
    },
    "build_transfer_model": {
        "argument: `keras.layers.GlobalAveragePooling2D(name='gap')` -> `keras.layers.GlobalAveragePooling2D()` in `x = keras.layers.GlobalAveragePooling2D(name='gap')(x)`": "layer and model names are not part of the contract.",
        "argument: `keras.layers.Dropout(dropout_rate, name='head_dropout')` -> `keras.layers.Dropout(dropout_rate)` in `x = keras.layers.Dropout(dropout_rate, name='head_dropout')(x)`": "layer and model names are not part of the contract.",
        "argument: `keras.layers.Dense(n_classes, activation='softmax', name='head')` -> `keras.layers.Dense(n_classes, activation='softmax')` in `outputs = keras.layers.Dense(n_classes, activation='softmax', name='head')(x)`": "layer and model names are not part of the contract.",
        "argument: `keras.Model(inputs, outputs, name=f'transfer_{base.name}')` -> `keras.Model(inputs, outputs)` in `return keras.Model(inputs, outputs, name=f'transfer_{base.name}')`": "layer and model names are not part of the contract.",
    },
    "extract_features": {
        "argument: `base(images[start:start + batch_size], training=False)` -> `base(images[start:start + batch_size])` in `maps = base(images[start:start + batch_size], training=False)`": "called outside fit, a Keras model runs in inference mode by default (training=None).",
        "argument: `(1, 2)` -> `(2, 1)` in `chunks.append(cu.to_numpy(keras.ops.mean(maps, axis=(1, 2))))`": "the mean over axes (1, 2) equals the mean over axes (2, 1).",
    },
    "fine_tune": {
        "statement: `base.trainable = True` -> `pass`": "Keras 3.15 gathers a model's trainable weights layer by layer: the layers set trainable inside a base whose own flag stays False still train, and nothing reads the base's own flag afterwards.",
        "constant: `True` -> `False` in `base.trainable = True`": "Keras 3.15 gathers a model's trainable weights layer by layer: the layers set trainable inside a base whose own flag stays False still train, and nothing reads the base's own flag afterwards.",
    },
}
