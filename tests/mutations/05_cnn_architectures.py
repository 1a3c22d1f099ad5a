"""Wrong and correct answers for notebook 05 (see tests/mutation_harness.py)."""

VARIANTS = {
    "identity_block": {
        "wrong": {
            "ReLU before and after the addition": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f3, 1)(x)))
                    return layers.ReLU()(layers.Add()([x, shortcut]))
            """,
            "ReLU before the addition, none after": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f3, 1)(x)))
                    return layers.Add()([x, shortcut])
            """,
            "no final ReLU": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.Add()([x, shortcut])
            """,
            "no ReLU after the first BN": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.BatchNormalization()(layers.Conv2D(f1, 1)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, shortcut]))
            """,
            "ReLU before BN (activation in the Conv2D)": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.BatchNormalization()(layers.Conv2D(f1, 1, activation="relu")(x))
                    x = layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same", activation="relu")(x))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, shortcut]))
            """,
            "BN after the addition": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.Conv2D(f3, 1)(x)
                    x = layers.Add()([x, shortcut])
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "f ignored (3x3 hard-coded)": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, 3, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, shortcut]))
            """,
            "ReLU6 (max_value=6) instead of ReLU": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = x
                    x = layers.ReLU(max_value=6)(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU(max_value=6)(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU(max_value=6)(layers.Add()([x, shortcut]))
            """,
            "valid padding in the middle convolution": """
                def identity_block(x, f, filters):
                    f1, f2, f3 = filters
                    shortcut = layers.Cropping2D(f // 2)(x)
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f)(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, shortcut]))
            """,
        },
        "right": {
            "use_bias=False and Activation('relu')": """
                def identity_block(x, f, filters):
                    F1, F2, F3 = filters
                    x_shortcut = x
                    x = layers.Conv2D(filters=F1, kernel_size=(1, 1), strides=(1, 1), padding="valid", use_bias=False)(x)
                    x = layers.BatchNormalization(axis=3)(x)
                    x = layers.Activation("relu")(x)
                    x = layers.Conv2D(filters=F2, kernel_size=(f, f), padding="same", use_bias=False)(x)
                    x = layers.BatchNormalization(axis=-1)(x)
                    x = layers.Activation("relu")(x)
                    x = layers.Conv2D(filters=F3, kernel_size=(1, 1), use_bias=False)(x)
                    x = layers.BatchNormalization()(x)
                    x = layers.add([x_shortcut, x])
                    return layers.Activation(keras.activations.relu)(x)
            """,
            "a loop over the three convolutions": """
                def identity_block(x, f, filters):
                    shortcut = x
                    for i, (n, k) in enumerate(zip(filters, (1, f, 1))):
                        x = layers.Conv2D(n, k, padding="same")(x)
                        x = layers.BatchNormalization()(x)
                        if i < 2:
                            x = layers.ReLU()(x)
                    return layers.ReLU()(layers.Add()([shortcut, x]))
            """,
        },
    },
    "convolutional_block": {
        "wrong": {
            "s ignored (stride 2 hard-coded)": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=2)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=2)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, sc]))
            """,
            "no BN on the shortcut": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.Conv2D(f3, 1, strides=s)(x)
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=s)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, sc]))
            """,
            "no final ReLU": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=s)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.Add()([x, sc])
            """,
            "ReLU before the addition too": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=s)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f3, 1)(x)))
                    return layers.ReLU()(layers.Add()([x, sc]))
            """,
            "stride on the last 1x1 convolution": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    return layers.ReLU()(layers.Add()([x, sc]))
            """,
            "BN after the addition instead of on the main path": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=s)(x)))
                    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x)))
                    x = layers.Conv2D(f3, 1)(x)
                    return layers.ReLU()(layers.BatchNormalization()(layers.Add()([x, sc])))
            """,
            "no ReLU in the main path": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    sc = layers.BatchNormalization()(layers.Conv2D(f3, 1, strides=s)(x))
                    x = layers.BatchNormalization()(layers.Conv2D(f1, 1, strides=s)(x))
                    x = layers.BatchNormalization()(layers.Conv2D(f2, f, padding="same")(x))
                    x = layers.BatchNormalization()(layers.Conv2D(f3, 1)(x))
                    return layers.ReLU()(layers.Add()([x, sc]))
            """,
        },
        "right": {
            "ResNet v1.5 (stride on the fxf), no biases": """
                def convolutional_block(x, f, filters, s=2):
                    F1, F2, F3 = filters
                    x_shortcut = layers.Conv2D(F3, (1, 1), strides=(s, s), use_bias=False)(x)
                    x_shortcut = layers.BatchNormalization(axis=3)(x_shortcut)
                    x = layers.Conv2D(F1, (1, 1), use_bias=False)(x)
                    x = layers.Activation("relu")(layers.BatchNormalization(axis=3)(x))
                    x = layers.Conv2D(F2, (f, f), strides=(s, s), padding="same", use_bias=False)(x)
                    x = layers.Activation("relu")(layers.BatchNormalization(axis=3)(x))
                    x = layers.Conv2D(F3, (1, 1), use_bias=False)(x)
                    x = layers.BatchNormalization(axis=3)(x)
                    return layers.Activation("relu")(layers.add([x, x_shortcut]))
            """,
            "main path first, keyword arguments": """
                def convolutional_block(x, f, filters, s=2):
                    f1, f2, f3 = filters
                    main = layers.Conv2D(filters=f1, kernel_size=1, strides=s)(x)
                    main = layers.ReLU()(layers.BatchNormalization()(main))
                    main = layers.Conv2D(filters=f2, kernel_size=f, padding="same")(main)
                    main = layers.ReLU()(layers.BatchNormalization()(main))
                    main = layers.BatchNormalization()(layers.Conv2D(filters=f3, kernel_size=1)(main))
                    shortcut = layers.BatchNormalization()(layers.Conv2D(filters=f3, kernel_size=1, strides=s, padding="valid")(x))
                    return layers.ReLU()(layers.Add()([shortcut, main]))
            """,
        },
    },
    "inception_module": {
        "wrong": {
            "no ReLU on the 1x1 reductions": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
            "no activations at all": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same")(layers.Conv2D(n3x3_reduce, 1, padding="same")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same")(layers.Conv2D(n5x5_reduce, 1, padding="same")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
            "average pooling": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same", activation="relu")(layers.AveragePooling2D(3, strides=1, padding="same")(x))
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
            "branches concatenated in another order": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same", activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
                    return layers.Concatenate()([b1, b3, bp, b5])
            """,
            "pooling with the default stride (3)": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same", activation="relu")(layers.MaxPooling2D(3, padding="same")(x))
                    bp = layers.UpSampling2D(3)(bp)[:, : x.shape[1], : x.shape[2], :]
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
            "pooled input without the projection": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x))
                    bp = layers.MaxPooling2D(3, strides=1, padding="same")(x)
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
            "the reductions swapped (n5x5_reduce before the 3x3)": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    b1 = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(x)
                    b3 = layers.Conv2D(n3x3, 3, padding="same", activation="relu")(layers.Conv2D(n5x5_reduce, 1, padding="same", activation="relu")(x))
                    b5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu")(layers.Conv2D(n3x3_reduce, 1, padding="same", activation="relu")(x))
                    bp = layers.Conv2D(pool_proj, 1, padding="same", activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
                    return layers.Concatenate()([b1, b3, b5, bp])
            """,
        },
        "right": {
            "a helper, use_bias=False, axis=-1": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    def conv(n, k, t):
                        return layers.Conv2D(n, (k, k), padding="same", use_bias=False, activation=None)(t)
                    relu = lambda t: layers.Activation("relu")(t)
                    branch1 = relu(conv(n1x1, 1, x))
                    branch3 = relu(conv(n3x3, 3, relu(conv(n3x3_reduce, 1, x))))
                    branch5 = relu(conv(n5x5, 5, relu(conv(n5x5_reduce, 1, x))))
                    pool = layers.MaxPool2D(pool_size=(3, 3), strides=(1, 1), padding="same")(x)
                    branchp = relu(conv(pool_proj, 1, pool))
                    return layers.Concatenate(axis=-1)([branch1, branch3, branch5, branchp])
            """,
            "keyword arguments, ReLU layers, pool branch first": """
                def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
                    pool = layers.MaxPooling2D(pool_size=3, strides=1, padding="same")(x)
                    pool = layers.ReLU()(layers.Conv2D(filters=pool_proj, kernel_size=1)(pool))
                    five = layers.ReLU()(layers.Conv2D(filters=n5x5_reduce, kernel_size=1)(x))
                    five = layers.ReLU()(layers.Conv2D(filters=n5x5, kernel_size=5, padding="same")(five))
                    three = layers.ReLU()(layers.Conv2D(filters=n3x3_reduce, kernel_size=1)(x))
                    three = layers.ReLU()(layers.Conv2D(filters=n3x3, kernel_size=3, padding="same")(three))
                    one = layers.ReLU()(layers.Conv2D(filters=n1x1, kernel_size=1)(x))
                    return layers.concatenate([one, three, five, pool], axis=3)
            """,
        },
    },
    "conv_cost": {
        "wrong": {
            "D_F not squared": """
                def conv_cost(d_k, m, n, d_f):
                    return d_k * d_k * m * n * d_f, d_k * d_k * m * n
            """,
            "counts the biases": """
                def conv_cost(d_k, m, n, d_f):
                    params = d_k * d_k * m * n + n
                    return (d_k * d_k * m * n + n) * d_f * d_f, params
            """,
            "the pair in the wrong order": """
                def conv_cost(d_k, m, n, d_f):
                    return d_k * d_k * m * n, d_k * d_k * m * n * d_f * d_f
            """,
            "D_F taken as the input size (output d_f - d_k + 1)": """
                def conv_cost(d_k, m, n, d_f):
                    out = d_f - d_k + 1
                    return d_k * d_k * m * n * out * out, d_k * d_k * m * n
            """,
            "floats (d_f ** 2.0)": """
                def conv_cost(d_k, m, n, d_f):
                    params = d_k ** 2 * m * n
                    return params * d_f ** 2.0, float(params)
            """,
            "NumPy integers (np.prod)": """
                def conv_cost(d_k, m, n, d_f):
                    params = np.prod([d_k, d_k, m, n])
                    return params * d_f * d_f, params
            """,
            "D_K not squared": """
                def conv_cost(d_k, m, n, d_f):
                    return d_k * m * n * d_f * d_f, d_k * m * n
            """,
        },
        "right": {
            "powers and a tuple": """
                def conv_cost(d_k, m, n, d_f):
                    params = d_k ** 2 * m * n
                    mult_adds = params * d_f ** 2
                    return (mult_adds, params)
            """,
            "math.prod": """
                import math

                def conv_cost(d_k, m, n, d_f):
                    params = math.prod((d_k, d_k, m, n))
                    return math.prod((params, d_f, d_f)), params
            """,
        },
    },
    "separable_conv_cost": {
        "wrong": {
            "depthwise counted like a standard convolution (times N)": """
                def separable_conv_cost(d_k, m, n, d_f):
                    p = d_k * d_k * m * n + m * n
                    return p * d_f * d_f, p
            """,
            "forgets the pointwise convolution": """
                def separable_conv_cost(d_k, m, n, d_f):
                    return d_k * d_k * m * d_f * d_f, d_k * d_k * m
            """,
            "forgets the depthwise convolution": """
                def separable_conv_cost(d_k, m, n, d_f):
                    return m * n * d_f * d_f, m * n
            """,
            "pointwise not times D_F^2": """
                def separable_conv_cost(d_k, m, n, d_f):
                    return d_k * d_k * m * d_f * d_f + m * n, d_k * d_k * m + m * n
            """,
            "floats (ratio times a standard convolution)": """
                def separable_conv_cost(d_k, m, n, d_f):
                    ratio = 1 / n + 1 / d_k ** 2
                    return ratio * d_k ** 2 * m * n * d_f ** 2, ratio * d_k ** 2 * m * n
            """,
            "NumPy integers (np.sum)": """
                def separable_conv_cost(d_k, m, n, d_f):
                    p = np.sum([d_k * d_k * m, m * n])
                    return p * d_f * d_f, p
            """,
            "pointwise N * N": """
                def separable_conv_cost(d_k, m, n, d_f):
                    p = d_k * d_k * m + n * n
                    return p * d_f * d_f, p
            """,
        },
        "right": {
            "two named terms and powers": """
                def separable_conv_cost(d_k, m, n, d_f):
                    depthwise_mult_adds = d_k ** 2 * m * d_f ** 2
                    pointwise_mult_adds = m * n * d_f ** 2
                    return depthwise_mult_adds + pointwise_mult_adds, d_k ** 2 * m + m * n
            """,
            "factored, int() of the result": """
                def separable_conv_cost(d_k, m, n, d_f):
                    params = m * (d_k * d_k + n)
                    return int(params * d_f * d_f), int(params)
            """,
        },
    },
    "depthwise_separable_block": {
        "wrong": {
            "stride on the pointwise convolution": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
                    x = layers.ReLU()(layers.BatchNormalization()(x))
                    x = layers.Conv2D(int(alpha * n_filters), 1, strides=stride, use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "round(alpha * n_filters)": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
                    x = layers.ReLU()(layers.BatchNormalization()(x))
                    x = layers.Conv2D(round(alpha * n_filters), 1, use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "no ReLU after the depthwise convolution": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
                    x = layers.BatchNormalization()(x)
                    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "ReLU before BN": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
                    x = layers.BatchNormalization()(layers.ReLU()(x))
                    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=False)(x)
                    return layers.BatchNormalization()(layers.ReLU()(x))
            """,
            "alpha ignored": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
                    x = layers.ReLU()(layers.BatchNormalization()(x))
                    x = layers.Conv2D(n_filters, 1, use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "ReLU6, as in Keras' MobileNet": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
                    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
                    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=False)(x)
                    return layers.ReLU(6.0)(layers.BatchNormalization()(x))
            """,
            "SeparableConv2D (no BN and ReLU between)": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.SeparableConv2D(int(alpha * n_filters), 3, strides=stride, padding="same", use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "a standard 3x3 convolution": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.Conv2D(int(alpha * n_filters), 3, strides=stride, padding="same", use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
            "biases in one convolution only": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(3, strides=stride, padding="same")(x)
                    x = layers.ReLU()(layers.BatchNormalization()(x))
                    x = layers.Conv2D(int(alpha * n_filters), 1, use_bias=False)(x)
                    return layers.ReLU()(layers.BatchNormalization()(x))
            """,
        },
        "right": {
            "default biases, Activation('relu'), keywords": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    x = layers.DepthwiseConv2D(kernel_size=(3, 3), strides=(stride, stride), padding="same")(x)
                    x = layers.BatchNormalization()(x)
                    x = layers.Activation("relu")(x)
                    x = layers.Conv2D(filters=int(n_filters * alpha), kernel_size=(1, 1), strides=(1, 1), padding="same")(x)
                    x = layers.BatchNormalization()(x)
                    return layers.Activation("relu")(x)
            """,
            "a list of layers applied in turn, positional arguments": """
                def depthwise_separable_block(x, n_filters, stride, alpha=1.0):
                    for layer in [layers.DepthwiseConv2D(3, stride, "same", use_bias=False), layers.BatchNormalization(), layers.ReLU(),
                                  layers.Conv2D(int(alpha * n_filters), 1, use_bias=False), layers.BatchNormalization(), layers.ReLU()]:
                        x = layer(x)
                    return x
            """,
        },
    },
}

# Mutants of the official answers that no input the docstrings allow tells apart (see course_tools/mutation.py).
_ONE_BY_ONE = "a 1x1 convolution pads nothing: 'valid' (the default) and 'same' give the same layer."
EQUIVALENT = {
    "identity_block": {
        "argument: `[x, shortcut]` -> `[shortcut, x]` in `x = layers.Add()([x, shortcut])`": "Add sums its inputs: x + shortcut is shortcut + x, exactly.",
    },
    "convolutional_block": {
        "argument: `[x, shortcut]` -> `[shortcut, x]` in `x = layers.Add()([x, shortcut])`": "Add sums its inputs: x + shortcut is shortcut + x, exactly.",
    },
    "inception_module": {
        "argument: `layers.Conv2D(n1x1, 1, padding='same', activation='relu')` -> `layers.Conv2D(n1x1, 1, activation='relu')` in `b1 = layers.Conv2D(n1x1, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "constant: `'same'` -> `'valid'` in `b1 = layers.Conv2D(n1x1, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "argument: `layers.Conv2D(n3x3_reduce, 1, padding='same', activation='relu')` -> `layers.Conv2D(n3x3_reduce, 1, activation='relu')` in `b3 = layers.Conv2D(n3x3_reduce, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "constant: `'same'` -> `'valid'` in `b3 = layers.Conv2D(n3x3_reduce, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "argument: `layers.Conv2D(n5x5_reduce, 1, padding='same', activation='relu')` -> `layers.Conv2D(n5x5_reduce, 1, activation='relu')` in `b5 = layers.Conv2D(n5x5_reduce, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "constant: `'same'` -> `'valid'` in `b5 = layers.Conv2D(n5x5_reduce, 1, padding='same', activation='relu')(x)`": _ONE_BY_ONE,
        "argument: `layers.Conv2D(pool_proj, 1, padding='same', activation='relu')` -> `layers.Conv2D(pool_proj, 1, activation='relu')` in `bp = layers.Conv2D(pool_proj, 1, padding='same', activation='relu')(bp)`": _ONE_BY_ONE,
        "constant: `'same'` -> `'valid'` in `bp = layers.Conv2D(pool_proj, 1, padding='same', activation='relu')(bp)`": _ONE_BY_ONE,
    },
}
