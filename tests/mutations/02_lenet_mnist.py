"""Wrong and correct answers for notebook 02 (see tests/mutation_harness.py)."""

_LECTURE = """
    def build_lecture_convnet():
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation=A1),
            layers.POOL((2, 2)),
            layers.Conv2D(64, (3, 3), activation=A1),
            layers.POOL((2, 2)),
            layers.Conv2D(64, (3, 3), activation=A1),
            layers.Flatten(),
            layers.Dense(64, activation=A2),
            LAST
        ])
"""


def _lecture(a1='"relu"', a2='"relu"', pool="MaxPooling2D", last='layers.Dense(10, activation="softmax"),'):
    return _LECTURE.replace("A1", a1).replace("A2", a2).replace("POOL", pool).replace("LAST", last)


_LENET = """
    def build_lenet5(dropout=0.0):
        drop = [layers.Dropout(dropout)] if dropout > 0 else []
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.ZeroPadding2D(2),
            layers.Conv2D(6, 5, activation=ACT),
            layers.POOL(2),
            layers.Conv2D(16, 5, activation=ACT),
            layers.POOL(2),
            layers.Flatten(),
            layers.Dense(120, activation=ACT),
            *DROP1,
            layers.Dense(84, activation=ACT),
            *DROP2,
            layers.Dense(10, activation="softmax"),
            *DROP3
        ])
"""


def _lenet(act='"relu"', pool="MaxPooling2D", drops=("drop", "drop", "[]")):
    src = _LENET.replace("ACT", act).replace("POOL", pool)
    for i, d in enumerate(drops, 1):
        src = src.replace(f"DROP{i}", d)
    return src


_EPOCH = """
    def train_one_epoch_torch(model, loader, optimizer, loss_fn):
        model.train()
        losses = []
        for xb, yb in loader:
            BODY
        return RESULT
"""


def _epoch(body, result="float(np.mean(losses))", train=True):
    src = _EPOCH.replace("BODY", body.strip().replace("\n", "\n            ")).replace("RESULT", result)
    return src if train else src.replace("        model.train()\n", "")


_STEP = """
optimizer.zero_grad()
loss = loss_fn(model(xb), yb)
loss.backward()
optimizer.step()
losses.append(loss.item())
"""

VARIANTS = {
    "shift_images": {
        "wrong": {
            "np.roll (wraps around)": """
                def shift_images(X, dx, dy):
                    return np.roll(np.roll(X, dy, axis=1), dx, axis=2)
            """,
            "dx and dy swapped (dx moves rows)": """
                def shift_images(X, dx, dy):
                    return _shift(X, dy, dx)
            """,
            "signs reversed (positive moves left/up)": """
                def shift_images(X, dx, dy):
                    return _shift(X, -dx, -dy)
            """,
            "modifies X in place": """
                def shift_images(X, dx, dy):
                    X[...] = _shift(X, dx, dy)
                    return X
            """,
            "float64 result (np.zeros(X.shape))": """
                def shift_images(X, dx, dy):
                    out = np.zeros(X.shape)
                    out[...] = _shift(X, dx, dy)
                    return out
            """,
            "the last two axes taken as rows and columns": """
                def shift_images(X, dx, dy):
                    X = np.asarray(X)
                    out = np.zeros_like(X)
                    H, W = X.shape[-2], X.shape[-1]
                    src_r, dst_r = slice(max(0, -dy), H - max(0, dy)), slice(max(0, dy), H - max(0, -dy))
                    src_c, dst_c = slice(max(0, -dx), W - max(0, dx)), slice(max(0, dx), W - max(0, -dx))
                    out[..., dst_r, dst_c] = X[..., src_r, src_c]
                    return out
            """,
            "dy reversed (rows counted from the bottom)": """
                def shift_images(X, dx, dy):
                    return _shift(X, dx, -dy)
            """,
            "roll, then zero the wrong edge for negative shifts": """
                def shift_images(X, dx, dy):
                    out = np.roll(np.roll(X, dy, axis=1), dx, axis=2)
                    out[:, :abs(dy)] = 0
                    out[:, :, :abs(dx)] = 0
                    return out
            """,
        },
        "right": {
            "loops over the target pixels": """
                def shift_images(X, dx, dy):
                    X = np.asarray(X)
                    out = np.zeros_like(X)
                    H, W = X.shape[1:3]
                    for i in range(H):
                        for j in range(W):
                            if 0 <= i - dy < H and 0 <= j - dx < W:
                                out[:, i, j] = X[:, i - dy, j - dx]
                    return out
            """,
            "pad and crop": """
                def shift_images(X, dx, dy):
                    X = np.asarray(X)
                    H, W = X.shape[1], X.shape[2]
                    p, q = min(abs(dy), H), min(abs(dx), W)
                    widths = [(0, 0), (p, p), (q, q)] + [(0, 0)] * (X.ndim - 3)
                    padded = np.pad(X, widths)
                    r0, c0 = p - max(-H, min(H, dy)), q - max(-W, min(W, dx))
                    return padded[:, r0:r0 + H, c0:c0 + W].copy()
            """,
            "roll, then zero the uncovered edges": """
                def shift_images(X, dx, dy):
                    out = np.roll(np.roll(np.array(X), dy, axis=1), dx, axis=2)
                    H, W = out.shape[1], out.shape[2]
                    if dy >= 0:
                        out[:, :min(dy, H)] = 0
                    else:
                        out[:, max(H + dy, 0):] = 0
                    if dx >= 0:
                        out[:, :, :min(dx, W)] = 0
                    else:
                        out[:, :, max(W + dx, 0):] = 0
                    return out
            """,
        },
    },
    "count_params": {
        "wrong": {
            "conv without the bias": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return f * f * c_in * c_out

                def count_dense_params(n_in, n_out):
                    return (n_in + 1) * n_out
            """,
            "bias argument ignored": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return c_out * (f * f * c_in + 1)

                def count_dense_params(n_in, n_out):
                    return (n_in + 1) * n_out
            """,
            "one bias per input channel": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return c_out * c_in * (f * f + (1 if bias else 0))

                def count_dense_params(n_in, n_out):
                    return (n_in + 1) * n_out
            """,
            "f instead of f * f": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return c_out * (f * c_in + (1 if bias else 0))

                def count_dense_params(n_in, n_out):
                    return (n_in + 1) * n_out
            """,
            "dense bias per input": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return c_out * (f * f * c_in + (1 if bias else 0))

                def count_dense_params(n_in, n_out):
                    return n_in * (n_out + 1)
            """,
            "floats (f ** 2.0)": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return c_out * (f ** 2.0 * c_in + bias)

                def count_dense_params(n_in, n_out):
                    return (n_in + 1.0) * n_out
            """,
            "NumPy integers (np.prod)": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    return np.prod([f, f, c_in, c_out]) + (c_out if bias else 0)

                def count_dense_params(n_in, n_out):
                    return np.prod([n_in + 1, n_out])
            """,
        },
        "right": {
            "weights plus biases, bool as int": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    weights = f ** 2 * c_in * c_out
                    return weights + int(bias) * c_out

                def count_dense_params(n_in, n_out):
                    return n_in * n_out + n_out
            """,
            "if/else, keyword names": """
                def count_conv_params(f, c_in, c_out, bias=True):
                    per_filter = f * f * c_in
                    if bias:
                        per_filter += 1
                    return int(per_filter * c_out)

                def count_dense_params(n_in, n_out):
                    return count_conv_params(f=1, c_in=n_in, c_out=n_out, bias=True)
            """,
        },
    },
    "build_lecture_convnet": {
        "wrong": {
            "no softmax on the last layer": _lecture(last="layers.Dense(10),"),
            "no ReLU in the convolutions": _lecture(a1="None"),
            "no ReLU in Dense(64)": _lecture(a2="None"),
            "average pooling": _lecture(pool="AveragePooling2D"),
            "padding 'same'": _lecture().replace("(3, 3), activation", '(3, 3), padding="same", activation'),
            "softmax as a ninth layer": _lecture(last="layers.Dense(10), layers.Softmax(),"),
            "sigmoid output": _lecture(last='layers.Dense(10, activation="sigmoid"),'),
            "tanh activations": _lecture(a1='"tanh"', a2='"tanh"'),
        },
        "right": {
            "add() one layer at a time, integer kernel sizes": """
                def build_lecture_convnet():
                    model = keras.Sequential()
                    model.add(keras.Input(shape=(28, 28, 1)))
                    model.add(keras.layers.Conv2D(filters=32, kernel_size=3, activation=keras.activations.relu))
                    model.add(keras.layers.MaxPool2D(pool_size=2))
                    model.add(keras.layers.Conv2D(filters=64, kernel_size=3, activation="relu"))
                    model.add(keras.layers.MaxPool2D(pool_size=2))
                    model.add(keras.layers.Conv2D(filters=64, kernel_size=3, activation="relu"))
                    model.add(keras.layers.Flatten())
                    model.add(keras.layers.Dense(units=64, activation="relu"))
                    model.add(keras.layers.Dense(units=10, activation="softmax"))
                    return model
            """,
            "a loop over the convolutions": """
                def build_lecture_convnet():
                    stack = [keras.Input((28, 28, 1))]
                    for i, n in enumerate((32, 64, 64)):
                        stack.append(layers.Conv2D(n, 3, strides=1, padding="valid", activation="relu"))
                        if i < 2:
                            stack.append(layers.MaxPooling2D(pool_size=(2, 2), strides=2))
                    stack += [layers.Flatten(), layers.Dense(64, "relu"), layers.Dense(10, "softmax")]
                    return keras.Sequential(stack, name="lecture_convnet")
            """,
        },
    },
    "build_lenet5": {
        "wrong": {
            "average pooling (the original sub-sampling)": _lenet(pool="AveragePooling2D"),
            "tanh activations (the original)": _lenet(act='"tanh"'),
            "no activations in the hidden layers": _lenet(act="None"),
            "dropout ignored": _lenet(drops=("[]", "[]", "[]")),
            "Dropout after the softmax": _lenet(drops=("drop", "[]", "drop")),
            "Dropout before Dense(120)": """
                def build_lenet5(dropout=0.0):
                    drop = [layers.Dropout(dropout)] if dropout > 0 else []
                    return keras.Sequential([
                        keras.Input((28, 28, 1)), layers.ZeroPadding2D(2),
                        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Flatten(), *drop, layers.Dense(120, activation="relu"),
                        *drop, layers.Dense(84, activation="relu"),
                        layers.Dense(10, activation="softmax"),
                    ])
            """,
            "Dropout(0.0) layers when dropout is 0": """
                def build_lenet5(dropout=0.0):
                    return keras.Sequential([
                        keras.Input((28, 28, 1)), layers.ZeroPadding2D(2),
                        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Flatten(), layers.Dense(120, activation="relu"), layers.Dropout(dropout),
                        layers.Dense(84, activation="relu"), layers.Dropout(dropout),
                        layers.Dense(10, activation="softmax"),
                    ])
            """,
            "no zero padding (24x24 maps)": """
                def build_lenet5(dropout=0.0):
                    drop = [layers.Dropout(dropout)] if dropout > 0 else []
                    return keras.Sequential([
                        keras.Input((28, 28, 1)),
                        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Flatten(), layers.Dense(120, activation="relu"), *drop,
                        layers.Dense(84, activation="relu"), *drop,
                        layers.Dense(10, activation="softmax"),
                    ])
            """,
        },
        "right": {
            "padding='same' instead of ZeroPadding2D": """
                def build_lenet5(dropout=0.0):
                    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
                    model.add(layers.Conv2D(filters=6, kernel_size=(5, 5), padding="same", activation="relu"))
                    model.add(layers.MaxPool2D(pool_size=(2, 2)))
                    model.add(layers.Conv2D(filters=16, kernel_size=(5, 5), activation="relu"))
                    model.add(layers.MaxPool2D(pool_size=(2, 2)))
                    model.add(layers.Flatten())
                    for units in (120, 84):
                        model.add(layers.Dense(units, activation="relu"))
                        if dropout:
                            model.add(layers.Dropout(rate=dropout))
                    model.add(layers.Dense(10, activation="softmax"))
                    return model
            """,
            "a list built with if statements, padding=((2, 2), (2, 2))": """
                def build_lenet5(dropout=0.0):
                    stack = [keras.Input((28, 28, 1)), layers.ZeroPadding2D(padding=((2, 2), (2, 2))),
                             layers.Conv2D(6, 5, activation=keras.activations.relu), layers.MaxPooling2D(2, strides=2),
                             layers.Conv2D(16, 5, activation=keras.activations.relu), layers.MaxPooling2D(2, strides=2),
                             layers.Flatten(), layers.Dense(120, activation="relu")]
                    if dropout > 0:
                        stack.append(layers.Dropout(dropout))
                    stack.append(layers.Dense(84, activation="relu"))
                    if dropout > 0:
                        stack.append(layers.Dropout(dropout))
                    stack.append(layers.Dense(10, activation="softmax"))
                    return keras.Sequential(stack)
            """,
        },
    },
    "train_one_epoch_torch": {
        "wrong": {
            "no optimizer.zero_grad() (gradients add up)": _epoch("""
loss = loss_fn(model(xb), yb)
loss.backward()
optimizer.step()
losses.append(loss.item())
"""),
            "zero_grad between backward and step": _epoch("""
loss = loss_fn(model(xb), yb)
loss.backward()
optimizer.zero_grad()
optimizer.step()
losses.append(loss.item())
"""),
            "step before backward": _epoch("""
optimizer.zero_grad()
loss = loss_fn(model(xb), yb)
optimizer.step()
loss.backward()
losses.append(loss.item())
"""),
            "returns the sum of the batch losses": _epoch(_STEP, result="float(sum(losses))"),
            "returns the last batch's loss": _epoch(_STEP, result="losses[-1]"),
            "returns a tensor (the mean of the loss tensors)": _epoch(
                _STEP.replace("loss.item()", "loss.detach()"), result="torch.stack(losses).mean()"
            ),
            "forgets model.train()": _epoch(_STEP, train=False),
            "only the first batch": """
                def train_one_epoch_torch(model, loader, optimizer, loss_fn):
                    model.train()
                    xb, yb = next(iter(loader))
                    optimizer.zero_grad()
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    optimizer.step()
                    return loss.item()
            """,
            "divides by the number of examples, not of batches": _epoch(
                _STEP, result="float(sum(losses) / len(loader.dataset))"
            ),
            "model.train() after the loop (the steps ran in evaluation mode)": _epoch(_STEP, train=False).replace(
                "        return float", "        model.train()\n        return float"
            ),
            "the mean weighted by batch size": _epoch(
                _STEP.replace("loss.item()", "loss.item() * len(yb)"), result="float(sum(losses) / len(loader.dataset))"
            ),
        },
        "right": {
            "running sum and count, set_to_none": """
                def train_one_epoch_torch(model, loader, optimizer, loss_fn):
                    model.train(True)
                    total, n = 0.0, 0
                    for inputs, targets in loader:
                        optimizer.zero_grad(set_to_none=True)
                        outputs = model(inputs)
                        batch_loss = loss_fn(outputs, targets)
                        batch_loss.backward()
                        optimizer.step()
                        total += batch_loss.item()
                        n += 1
                    return total / n
            """,
            "model.zero_grad() and torch.stack of detached losses": """
                def train_one_epoch_torch(model, loader, optimizer, loss_fn):
                    model.train()
                    values = []
                    for batch in loader:
                        xb, yb = batch
                        model.zero_grad()
                        loss = loss_fn(model(xb), yb)
                        loss.backward()
                        optimizer.step()
                        values.append(loss.detach())
                    return torch.stack(values).mean().item()
            """,
        },
    },
}

PRELUDE = {"shift_images": "_shift = shift_images"}


# Automatic mutants (course_tools/mutants.py) that no input the docstring allows tells apart, with the reason.
EQUIVALENT = {
    "shift_images": {
        "statement: `X = np.asarray(X)` -> `pass`": "X is an array (the docstring): np.asarray(X) returns it unchanged.",
        "compare: `abs(dx) >= W` -> `abs(dx) > W` in `if abs(dx) >= W or abs(dy) >= H: return out`": "a shift of exactly the width (height) gives empty source and target slices: zeros, as the early return does.",
        "compare: `abs(dy) >= H` -> `abs(dy) > H` in `if abs(dx) >= W or abs(dy) >= H: return out`": "a shift of exactly the width (height) gives empty source and target slices: zeros, as the early return does.",
        "argument: `max(0, -dy)` -> `max(-dy, 0)` in `src_rows = slice(max(0, -dy), H - max(0, dy))`": "max(0, v) and max(v, 0) are the same number.",
        "argument: `max(0, dy)` -> `max(dy, 0)` in `src_rows = slice(max(0, -dy), H - max(0, dy))`": "max(0, v) and max(v, 0) are the same number.",
        "constant: `0` -> `-1` in `src_rows = slice(max(0, -dy), H - max(0, dy))` (#2)": "the end of a slice: max(-1, v) differs from max(0, v) only when v < 0, and then gives H + 1 (W + 1) instead of H (W), the same end for a slice of an axis of length H (W).",
        "argument: `max(0, dy)` -> `max(dy, 0)` in `dst_rows = slice(max(0, dy), H - max(0, -dy))`": "max(0, v) and max(v, 0) are the same number.",
        "argument: `max(0, -dy)` -> `max(-dy, 0)` in `dst_rows = slice(max(0, dy), H - max(0, -dy))`": "max(0, v) and max(v, 0) are the same number.",
        "constant: `0` -> `-1` in `dst_rows = slice(max(0, dy), H - max(0, -dy))` (#2)": "the end of a slice: max(-1, v) differs from max(0, v) only when v < 0, and then gives H + 1 (W + 1) instead of H (W), the same end for a slice of an axis of length H (W).",
        "argument: `max(0, -dx)` -> `max(-dx, 0)` in `src_cols = slice(max(0, -dx), W - max(0, dx))`": "max(0, v) and max(v, 0) are the same number.",
        "argument: `max(0, dx)` -> `max(dx, 0)` in `src_cols = slice(max(0, -dx), W - max(0, dx))`": "max(0, v) and max(v, 0) are the same number.",
        "constant: `0` -> `-1` in `src_cols = slice(max(0, -dx), W - max(0, dx))` (#2)": "the end of a slice: max(-1, v) differs from max(0, v) only when v < 0, and then gives H + 1 (W + 1) instead of H (W), the same end for a slice of an axis of length H (W).",
        "argument: `max(0, dx)` -> `max(dx, 0)` in `dst_cols = slice(max(0, dx), W - max(0, -dx))`": "max(0, v) and max(v, 0) are the same number.",
        "argument: `max(0, -dx)` -> `max(-dx, 0)` in `dst_cols = slice(max(0, dx), W - max(0, -dx))`": "max(0, v) and max(v, 0) are the same number.",
        "constant: `0` -> `-1` in `dst_cols = slice(max(0, dx), W - max(0, -dx))` (#2)": "the end of a slice: max(-1, v) differs from max(0, v) only when v < 0, and then gives H + 1 (W + 1) instead of H (W), the same end for a slice of an axis of length H (W).",
    },
    "build_lecture_convnet": {
        "argument: `layers.MaxPooling2D((2, 2))` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), ...`": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
        "argument: `layers.MaxPooling2D((2, 2))` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), ...` (#2)": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
    },
    "build_lenet5": {
        "argument: `layers.MaxPooling2D(2)` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input((28, 28, 1)), layers.ZeroPadding2D(2), l...`": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
        "argument: `layers.MaxPooling2D(2)` -> `layers.MaxPooling2D()` in `return keras.Sequential([keras.Input((28, 28, 1)), layers.ZeroPadding2D(2), l...` (#2)": "MaxPooling2D's pool_size is 2 by default (and its strides default to the pool size).",
    },
    "train_one_epoch_torch": {
        "function: `float(np.mean(losses))` -> `np.mean(losses)` in `return float(np.mean(losses))`": "np.mean returns np.float64, a subclass of Python's float: the docstring's float.",
    },
}
