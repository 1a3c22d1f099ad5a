"""Wrong and correct answers for notebook 07 (see tests/mutation_harness.py)."""

_CONV = 'layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")'

VARIANTS = {
    "conv_transpose_2d": {
        "wrong": {
            "= instead of += (overlaps do not sum)": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    m, n_H, n_W, _ = x.shape
                    f, _, n_C, _ = w.shape
                    full = np.zeros((m, (n_H - 1) * stride + f, (n_W - 1) * stride + f, n_C))
                    for i in range(n_H):
                        for j in range(n_W):
                            full[:, i * stride:i * stride + f, j * stride:j * stride + f, :] = np.einsum("mp,abcp->mabc", x[:, i, j, :], w)
                    return full[:, pad:full.shape[1] - pad, pad:full.shape[2] - pad, :]
            """,
            "flips the kernel": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    return _transpose(x, w[::-1, ::-1], stride, pad)
            """,
            "kernel channels swapped (w[:, :, c_prev, c])": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    m, n_H, n_W, _ = x.shape
                    f, _, n_C, _ = w.shape
                    full = np.zeros((m, (n_H - 1) * stride + f, (n_W - 1) * stride + f, n_C))
                    for i in range(n_H):
                        for j in range(n_W):
                            full[:, i * stride:i * stride + f, j * stride:j * stride + f, :] += np.einsum("mp,abpc->mabc", x[:, i, j, :], w.reshape(f, f, w.shape[3], n_C))
                    return full[:, pad:full.shape[1] - pad, pad:full.shape[2] - pad, :]
            """,
            "crops pad from one side only": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    full = _transpose(x, w, stride, 0)
                    return full[:, 2 * pad:, 2 * pad:, :]
            """,
            "uses w[:, :, c_prev, c] on a square channel count": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    return _transpose(x, np.swapaxes(w, 2, 3), stride, pad) if w.shape[2] == w.shape[3] else _transpose(x, w, stride, pad)
            """,
            "stride ignored": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    return _transpose(x, w, 1, pad)
            """,
            "calls Keras": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    layer = keras.layers.Conv2DTranspose(w.shape[2], w.shape[0], strides=stride, use_bias=False)
                    layer.build(x.shape)
                    layer.set_weights([w.astype("float32")])
                    out = keras.ops.convert_to_numpy(layer(x.astype("float32")))
                    return out[:, pad:out.shape[1] - pad, pad:out.shape[2] - pad, :]
            """,
        },
        "right": {
            "loop over the kernel taps": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    m, n_H, n_W, _ = x.shape
                    f, _, n_C, _ = w.shape
                    out = np.zeros((m, (n_H - 1) * stride + f, (n_W - 1) * stride + f, n_C))
                    for a in range(f):
                        for b in range(f):
                            out[:, a:a + stride * (n_H - 1) + 1:stride, b:b + stride * (n_W - 1) + 1:stride, :] += x @ w[a, b].T
                    if pad > 0:
                        out = out[:, pad:-pad, pad:-pad]
                    return out
            """,
            "four loops": """
                def conv_transpose_2d(x, w, stride=1, pad=0):
                    m, n_H, n_W, n_P = x.shape
                    f, _, n_C, _ = w.shape
                    H, W = (n_H - 1) * stride + f, (n_W - 1) * stride + f
                    out = np.zeros((m, H, W, n_C))
                    for e in range(m):
                        for i in range(n_H):
                            for j in range(n_W):
                                for p in range(n_P):
                                    out[e, i * stride:i * stride + f, j * stride:j * stride + f, :] += x[e, i, j, p] * w[:, :, :, p]
                    return out[:, pad:H - pad, pad:W - pad, :]
            """,
        },
    },
    "conv_block": {
        "wrong": {
            "no ReLU in the convolutions": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = layers.Conv2D(n_filters, 3, padding="same", kernel_initializer="he_normal")(inputs)
                    x = layers.BatchNormalization()(x)
                    x = layers.Conv2D(n_filters, 3, padding="same", kernel_initializer="he_normal")(x)
                    x = layers.BatchNormalization()(x)
                    if dropout_prob > 0:
                        x = layers.Dropout(dropout_prob)(x)
                    return (layers.MaxPooling2D(2)(x) if max_pooling else x), x
            """,
            "the skip after the pooling": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = CONV(inputs)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    if dropout_prob > 0:
                        x = layers.Dropout(dropout_prob)(x)
                    x = layers.MaxPooling2D(2)(x) if max_pooling else x
                    return x, x
            """.replace("CONV", _CONV),
            "dropout_prob ignored": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = CONV(inputs)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    return (layers.MaxPooling2D(2)(x) if max_pooling else x), x
            """.replace("CONV", _CONV),
            "max_pooling ignored": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = CONV(inputs)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    if dropout_prob > 0:
                        x = layers.Dropout(dropout_prob)(x)
                    return layers.MaxPooling2D(2)(x), x
            """.replace("CONV", _CONV),
            "Dropout before the batch norm": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = CONV(inputs)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    if dropout_prob > 0:
                        x = layers.Dropout(dropout_prob)(x)
                    x = layers.BatchNormalization()(x)
                    return (layers.MaxPooling2D(2)(x) if max_pooling else x), x
            """.replace("CONV", _CONV),
            "valid padding": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = layers.Conv2D(n_filters, 3, activation="relu", kernel_initializer="he_normal")(inputs)
                    x = layers.BatchNormalization()(x)
                    x = layers.Conv2D(n_filters, 3, activation="relu", kernel_initializer="he_normal")(x)
                    x = layers.BatchNormalization()(x)
                    if dropout_prob > 0:
                        x = layers.Dropout(dropout_prob)(x)
                    return (layers.MaxPooling2D(2)(x) if max_pooling else x), x
            """,
        },
        "right": {
            "a loop over the two convolutions": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    x = inputs
                    for _ in range(2):
                        x = keras.layers.Conv2D(filters=n_filters, kernel_size=(3, 3), padding="same", activation="relu",
                                                kernel_initializer=keras.initializers.HeNormal())(x)
                        x = keras.layers.BatchNormalization()(x)
                    if dropout_prob:
                        x = keras.layers.Dropout(rate=dropout_prob)(x)
                    skip = x
                    if max_pooling:
                        x = keras.layers.MaxPooling2D(pool_size=(2, 2))(x)
                    return x, skip
            """,
            "MaxPool2D alias and strides": """
                def conv_block(inputs, n_filters, dropout_prob=0, max_pooling=True):
                    conv = layers.Conv2D(n_filters, 3, padding="same", activation=keras.activations.relu, kernel_initializer="he_normal")(inputs)
                    conv = layers.BatchNormalization()(conv)
                    conv = layers.Conv2D(n_filters, 3, padding="same", activation="relu", kernel_initializer="he_normal")(conv)
                    conv = layers.BatchNormalization()(conv)
                    if dropout_prob > 0:
                        conv = layers.Dropout(dropout_prob)(conv)
                    return (layers.MaxPool2D(pool_size=2, strides=2)(conv) if max_pooling else conv), conv
            """,
        },
    },
    "upsampling_block": {
        "wrong": {
            "no concatenation with the skip": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    x = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    return layers.BatchNormalization()(x)
            """.replace("CONV", _CONV),
            "Add instead of Concatenate": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    x = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
                    x = layers.Add()([x, layers.Conv2D(n_filters, 1)(contractive_input)])
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    return layers.BatchNormalization()(x)
            """.replace("CONV", _CONV),
            "UpSampling2D instead of Conv2DTranspose": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    x = layers.UpSampling2D(2)(expansive_input)
                    x = layers.Concatenate()([x, contractive_input])
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    return layers.BatchNormalization()(x)
            """.replace("CONV", _CONV),
            "stride 1 (no upsampling)": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    x = layers.Conv2DTranspose(n_filters, 3, strides=1, padding="same")(expansive_input)
                    x = layers.Concatenate()([layers.MaxPooling2D(2)(contractive_input), x])
                    x = CONV(x)
                    x = layers.BatchNormalization()(x)
                    x = CONV(x)
                    return layers.BatchNormalization()(x)
            """.replace("CONV", _CONV),
            "one convolution only": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    x = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
                    x = layers.Concatenate()([x, contractive_input])
                    x = CONV(x)
                    return layers.BatchNormalization()(x)
            """.replace("CONV", _CONV),
        },
        "right": {
            "keyword arguments": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    up = keras.layers.Conv2DTranspose(filters=n_filters, kernel_size=(3, 3), strides=(2, 2), padding="same")(expansive_input)
                    x = keras.layers.concatenate([up, contractive_input], axis=3)
                    for _ in range(2):
                        x = keras.layers.Conv2D(n_filters, (3, 3), activation="relu", padding="same", kernel_initializer="he_normal")(x)
                        x = keras.layers.BatchNormalization()(x)
                    return x
            """,
            "reusing conv_block without pooling": """
                def upsampling_block(expansive_input, contractive_input, n_filters):
                    up = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
                    merged = layers.Concatenate(axis=-1)([up, contractive_input])
                    out, _ = conv_block(merged, n_filters, max_pooling=False)
                    return out
            """,
        },
    },
    "build_unet": {
        "wrong": {
            "skips in the wrong order": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    c1, s1 = conv_block(inputs, n_filters)
                    c2, s2 = conv_block(c1, 2 * n_filters)
                    c3, s3 = conv_block(c2, 4 * n_filters, dropout_prob=dropout_prob)
                    c4, _ = conv_block(c3, 8 * n_filters, dropout_prob=dropout_prob, max_pooling=False)
                    u = upsampling_block(c4, s1, 4 * n_filters)
                    u = upsampling_block(u, s2, 2 * n_filters)
                    u = upsampling_block(u, s3, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(u))
            """,
            "softmax on the output": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    model = _unet(input_shape, n_classes, n_filters, dropout_prob)
                    return keras.Model(model.input, layers.Softmax()(model.output))
            """,
            "dropout in every block": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    c1, s1 = conv_block(inputs, n_filters, dropout_prob=dropout_prob)
                    c2, s2 = conv_block(c1, 2 * n_filters, dropout_prob=dropout_prob)
                    c3, s3 = conv_block(c2, 4 * n_filters, dropout_prob=dropout_prob)
                    c4, _ = conv_block(c3, 8 * n_filters, dropout_prob=dropout_prob, max_pooling=False)
                    u = upsampling_block(c4, s3, 4 * n_filters)
                    u = upsampling_block(u, s2, 2 * n_filters)
                    u = upsampling_block(u, s1, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(u))
            """,
            "the number of filters never doubles": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    c1, s1 = conv_block(inputs, n_filters)
                    c2, s2 = conv_block(c1, n_filters)
                    c3, s3 = conv_block(c2, n_filters, dropout_prob=dropout_prob)
                    c4, _ = conv_block(c3, n_filters, dropout_prob=dropout_prob, max_pooling=False)
                    u = upsampling_block(c4, s3, n_filters)
                    u = upsampling_block(u, s2, n_filters)
                    u = upsampling_block(u, s1, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(u))
            """,
            "n_classes ignored": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    return _unet(input_shape, N_CLASSES, n_filters, dropout_prob)
            """,
            "dropout in c1 and c2 instead of c3 and c4": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    c1, s1 = conv_block(inputs, n_filters, dropout_prob=dropout_prob)
                    c2, s2 = conv_block(c1, 2 * n_filters, dropout_prob=dropout_prob)
                    c3, s3 = conv_block(c2, 4 * n_filters)
                    c4, _ = conv_block(c3, 8 * n_filters, max_pooling=False)
                    u = upsampling_block(c4, s3, 4 * n_filters)
                    u = upsampling_block(u, s2, 2 * n_filters)
                    u = upsampling_block(u, s1, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(u))
            """,
            "a fourth pooling at the bottom": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    c1, s1 = conv_block(inputs, n_filters)
                    c2, s2 = conv_block(c1, 2 * n_filters)
                    c3, s3 = conv_block(c2, 4 * n_filters, dropout_prob=dropout_prob)
                    c4, _ = conv_block(c3, 8 * n_filters, dropout_prob=dropout_prob)
                    u = upsampling_block(c4, s3, 4 * n_filters)
                    u = upsampling_block(u, s2, 2 * n_filters)
                    u = upsampling_block(u, s1, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, 1, padding="same")(u))
            """,
        },
        "right": {
            "loops over the levels": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(shape=input_shape)
                    x, skips = inputs, []
                    for level, mult in enumerate([1, 2, 4]):
                        x, skip = conv_block(x, mult * n_filters, dropout_prob=dropout_prob if level == 2 else 0)
                        skips.append(skip)
                    x, _ = conv_block(x, 8 * n_filters, dropout_prob=dropout_prob, max_pooling=False)
                    for mult, skip in zip([4, 2, 1], reversed(skips)):
                        x = upsampling_block(x, skip, mult * n_filters)
                    outputs = keras.layers.Conv2D(filters=n_classes, kernel_size=1, padding="same", activation=None)(x)
                    return keras.Model(inputs=inputs, outputs=outputs)
            """,
            "keyword arguments and a 'linear' activation": """
                def build_unet(input_shape=(CANVAS, CANVAS, 1), n_classes=N_CLASSES, n_filters=16, dropout_prob=0.0):
                    inputs = keras.Input(input_shape)
                    d1, skip1 = conv_block(inputs=inputs, n_filters=n_filters)
                    d2, skip2 = conv_block(inputs=d1, n_filters=n_filters * 2)
                    d3, skip3 = conv_block(inputs=d2, n_filters=n_filters * 4, dropout_prob=dropout_prob)
                    bottom, _ = conv_block(inputs=d3, n_filters=n_filters * 8, dropout_prob=dropout_prob, max_pooling=False)
                    up = upsampling_block(bottom, skip3, n_filters * 4)
                    up = upsampling_block(up, skip2, n_filters * 2)
                    up = upsampling_block(up, skip1, n_filters)
                    return keras.Model(inputs, layers.Conv2D(n_classes, (1, 1), activation="linear", padding="same")(up))
            """,
        },
    },
    "segmentation_metrics": {
        "wrong": {
            "0 instead of NaN for an absent class": """
                def iou_per_class(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    return np.array([np.sum((t == k) & (p == k)) / max(1, np.sum((t == k) | (p == k))) for k in range(n_classes)])
                def dice_coefficient(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    return np.array([2 * np.sum((t == k) & (p == k)) / max(1, np.sum(t == k) + np.sum(p == k)) for k in range(n_classes)])
            """,
            "union without subtracting the intersection": """
                def iou_per_class(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    out = np.full(n_classes, np.nan)
                    for k in range(n_classes):
                        u = np.sum(t == k) + np.sum(p == k)
                        if u:
                            out[k] = np.sum((t == k) & (p == k)) / u
                    return out
                dice_coefficient = _dice
            """,
            "Dice without the factor 2": """
                iou_per_class = _iou
                def dice_coefficient(y_true, y_pred, n_classes):
                    return _dice(y_true, y_pred, n_classes) / 2
            """,
            "NaN also when the truth is empty but the prediction is not": """
                def iou_per_class(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    out = np.full(n_classes, np.nan)
                    for k in range(n_classes):
                        if np.any(t == k):
                            out[k] = np.sum((t == k) & (p == k)) / np.sum((t == k) | (p == k))
                    return out
                dice_coefficient = _dice
            """,
            "Dice NaN for a class predicted but absent from the truth": """
                iou_per_class = _iou
                def dice_coefficient(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    out = np.full(n_classes, np.nan)
                    for k in range(n_classes):
                        if np.any(t == k):
                            out[k] = 2 * np.sum((t == k) & (p == k)) / (np.sum(t == k) + np.sum(p == k))
                    return out
            """,
            "only the first map of a batch": """
                def iou_per_class(y_true, y_pred, n_classes):
                    return _iou(np.asarray(y_true)[0], np.asarray(y_pred)[0], n_classes)
                def dice_coefficient(y_true, y_pred, n_classes):
                    return _dice(np.asarray(y_true)[0], np.asarray(y_pred)[0], n_classes)
            """,
            "pixel accuracy per class": """
                def iou_per_class(y_true, y_pred, n_classes):
                    t, p = np.ravel(y_true), np.ravel(y_pred)
                    out = np.full(n_classes, np.nan)
                    for k in range(n_classes):
                        if np.any(t == k):
                            out[k] = np.mean(p[t == k] == k)
                        elif np.any(p == k):
                            out[k] = 0.0
                    return out
                dice_coefficient = _dice
            """,
        },
        "right": {
            "bincount": """
                def iou_per_class(y_true, y_pred, n_classes):
                    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
                    inter = np.bincount(t[t == p], minlength=n_classes).astype(float)
                    union = np.bincount(t, minlength=n_classes) + np.bincount(p, minlength=n_classes) - inter
                    with np.errstate(invalid="ignore", divide="ignore"):
                        return np.where(union > 0, inter / union, np.nan)
                def dice_coefficient(y_true, y_pred, n_classes):
                    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
                    inter = np.bincount(t[t == p], minlength=n_classes).astype(float)
                    total = np.bincount(t, minlength=n_classes) + np.bincount(p, minlength=n_classes)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        return np.where(total > 0, 2 * inter / total, np.nan)
            """,
            "Dice from the IoU": """
                def iou_per_class(y_true, y_pred, n_classes):
                    res = []
                    for k in range(n_classes):
                        a, b = np.equal(y_true, k), np.equal(y_pred, k)
                        u = np.logical_or(a, b).sum()
                        res.append(np.logical_and(a, b).sum() / u if u else float("nan"))
                    return np.array(res, dtype=np.float64)
                def dice_coefficient(y_true, y_pred, n_classes):
                    j = iou_per_class(y_true, y_pred, n_classes)
                    return 2 * j / (1 + j)
            """,
        },
    },
}

PRELUDE = {
    "conv_transpose_2d": "_transpose = conv_transpose_2d",
    "build_unet": "_unet = build_unet",
    "segmentation_metrics": "_iou, _dice = iou_per_class, dice_coefficient",
}

# Mutants of the official answers that no input the docstrings allow tells apart (see course_tools/mutation.py).
EQUIVALENT = {
    "conv_transpose_2d": {
        "statement: `x = np.asarray(x, dtype=np.float64)` -> `pass`": "w is still converted to float64, so einsum promotes x (integer, uint8 or float) to float64 exactly: the same products and sums.",
        "argument: `np.asarray(x, dtype=np.float64)` -> `np.asarray(x)` in `x = np.asarray(x, dtype=np.float64)`": "idem: with w in float64, einsum computes in float64 whatever x's dtype.",
        "statement: `w = np.asarray(w, dtype=np.float64)` -> `pass`": "x is still converted to float64, so einsum promotes w to float64 exactly: the same products and sums.",
        "argument: `np.asarray(w, dtype=np.float64)` -> `np.asarray(w)` in `w = np.asarray(w, dtype=np.float64)`": "idem: with x in float64, einsum computes in float64 whatever w's dtype.",
    },
    "conv_block": {
        "argument: `layers.MaxPooling2D(2)` -> `layers.MaxPooling2D()` in `next_layer = layers.MaxPooling2D(2)(conv) if max_pooling else conv`": "MaxPooling2D's default pool_size is 2 (and its strides default to the pool size).",
    },
    "upsampling_block": {
        "argument: `layers.Concatenate(axis=-1)` -> `layers.Concatenate()` in `merge = layers.Concatenate(axis=-1)([up, contractive_input])`": "Concatenate's default axis is -1.",
    },
    "build_unet": {
        "argument: `layers.Conv2D(n_classes, 1, padding='same')` -> `layers.Conv2D(n_classes, 1)` in `outputs = layers.Conv2D(n_classes, 1, padding='same')(u7)`": "a 1x1 convolution pads nothing: 'valid' (the default) and 'same' are the same layer.",
        "constant: `'same'` -> `'valid'` in `outputs = layers.Conv2D(n_classes, 1, padding='same')(u7)`": "idem: a 1x1 convolution with 'valid' padding is the same as with 'same'.",
        "argument: `keras.Model(inputs, outputs, name='unet')` -> `keras.Model(inputs, outputs)` in `return keras.Model(inputs, outputs, name='unet')`": "the model's name is not part of the contract (the docstring asks for a keras.Model with these layers).",
    },
    "segmentation_metrics": {
        "range: `range(n_classes)` -> `range(n_classes + 1)` in `for k in range(n_classes): truth, pred = (y_true == k, y_pred == k) union = n...`": "labels lie in 0..n_classes-1, so class n_classes has an empty union and nothing is written for it (the array keeps n_classes entries).",
        "argument: `(y_true == k, y_pred == k)` -> `(y_pred == k, y_true == k)` in `truth, pred = (y_true == k, y_pred == k)`": "IoU is symmetric in the truth and the prediction.",
        "range: `range(n_classes)` -> `range(n_classes + 1)` in `for k in range(n_classes): truth, pred = (y_true == k, y_pred == k) total = n...`": "labels lie in 0..n_classes-1, so class n_classes has total 0 and nothing is written for it.",
        "argument: `(y_true == k, y_pred == k)` -> `(y_pred == k, y_true == k)` in `truth, pred = (y_true == k, y_pred == k)` (#2)": "Dice is symmetric in the truth and the prediction.",
    },
}
