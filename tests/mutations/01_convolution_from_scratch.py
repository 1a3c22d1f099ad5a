"""Wrong and correct answers for notebook 01 (see tests/mutation_harness.py)."""

VARIANTS = {
    "zero_pad": {
        "wrong": {
            "pads every axis": """
                def zero_pad(X, pad):
                    return np.pad(X, pad)
            """,
            "pads only one side": """
                def zero_pad(X, pad):
                    return np.pad(X, ((0, 0), (pad, 0), (pad, 0), (0, 0)))
            """,
            "pads with ones": """
                def zero_pad(X, pad):
                    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1)
            """,
            "pads height twice, not width": """
                def zero_pad(X, pad):
                    return np.pad(X, ((0, 0), (2 * pad, 2 * pad), (0, 0), (0, 0)))
            """,
            "pads the channel axis instead of width": """
                def zero_pad(X, pad):
                    return np.pad(X, ((0, 0), (pad, pad), (0, 0), (pad, pad)))
            """,
            "edge padding": """
                def zero_pad(X, pad):
                    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
            """,
        },
        "right": {
            "allocate and slice": """
                def zero_pad(X, pad):
                    m, h, w, c = X.shape
                    out = np.zeros((m, h + 2 * pad, w + 2 * pad, c), dtype=X.dtype)
                    out[:, pad:pad + h, pad:pad + w, :] = X
                    return out
            """,
            "np.pad with a list": """
                def zero_pad(X, pad):
                    return np.pad(X, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
            """,
        },
    },
    "conv_single_step": {
        "wrong": {
            "returns a (1, 1, 1) array": """
                def conv_single_step(a_slice, W, b):
                    return np.sum(a_slice * W) + b
            """,
            "matrix product": """
                def conv_single_step(a_slice, W, b):
                    return float(np.sum(a_slice[:, :, 0] @ W[:, :, 0]) + np.sum(b))
            """,
            "flips the kernel": """
                def conv_single_step(a_slice, W, b):
                    return float(np.sum(a_slice * W[::-1, ::-1]) + np.sum(b))
            """,
            "forgets the bias": """
                def conv_single_step(a_slice, W, b):
                    return float(np.sum(a_slice * W))
            """,
            "subtracts the bias": """
                def conv_single_step(a_slice, W, b):
                    return float(np.sum(a_slice * W) - np.sum(b))
            """,
            "mean instead of sum": """
                def conv_single_step(a_slice, W, b):
                    return float(np.mean(a_slice * W) + np.sum(b))
            """,
        },
        "right": {
            "einsum": """
                def conv_single_step(a_slice, W, b):
                    return float(np.einsum("ijk,ijk->", a_slice, W) + np.asarray(b).item())
            """,
            "vdot and a NumPy scalar": """
                def conv_single_step(a_slice, W, b):
                    return np.vdot(a_slice, W) + np.float64(np.squeeze(b))
            """,
        },
    },
    "conv_forward": {
        "wrong": {
            "flips the kernel": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    return _conv(A_prev, W[::-1, ::-1], b, stride, pad, dilation)
            """,
            "ignores the stride in the slice": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    Z, cache = _conv(A_prev, W, b, 1, pad, dilation)
                    f = W.shape[0]
                    n = (A_prev.shape[1] + 2 * pad - dilation * (f - 1) - 1) // stride + 1
                    k = (A_prev.shape[2] + 2 * pad - dilation * (W.shape[1] - 1) - 1) // stride + 1
                    return Z[:, :n, :k, :], cache
            """,
            "forgets the bias": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    return _conv(A_prev, W, np.zeros_like(b), stride, pad, dilation)
            """,
            "ignores dilation": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    return _conv(A_prev, W, b, stride, pad, 1)
            """,
            "round for floor in the size": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    m, H, Wd, _ = A_prev.shape
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    nh = round((H + 2 * pad - dilation * (fh - 1) - 1) / stride) + 1
                    nw = round((Wd + 2 * pad - dilation * (fw - 1) - 1) / stride) + 1
                    Z = np.zeros((m, nh, nw, nc))
                    for h in range(nh):
                        for w in range(nw):
                            s = P[:, h * stride:h * stride + dilation * (fh - 1) + 1:dilation,
                                  w * stride:w * stride + dilation * (fw - 1) + 1:dilation, :]
                            if s.shape[1:3] == (fh, fw):
                                Z[:, h, w, :] = np.einsum("mijk,ijkc->mc", s, W) + b.reshape(-1)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "square kernel assumed (f_W = f_H)": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    f = W.shape[0]
                    if W.shape[1] != f:
                        W = np.resize(W, (f, f) + W.shape[2:])
                    return _conv(A_prev, W, b, stride, pad, dilation)
            """,
            "pads twice": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    return _conv(zero_pad(A_prev, pad), W, b, stride, pad, dilation)
            """,
            "wrong cache": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    Z, _ = _conv(A_prev, W, b, stride, pad, dilation)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad})
            """,
            "calls Keras": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    A_pad = zero_pad(A_prev, pad)
                    Z = keras.ops.convert_to_numpy(keras.ops.conv(A_pad, W, strides=1, dilation_rate=dilation))
                    Z = Z[:, ::stride, ::stride, :] + b.reshape(1, 1, 1, -1)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
        },
        "right": {
            "einsum per position": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    m, H, Wd, _ = A_prev.shape
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    nh = (H + 2 * pad - dilation * (fh - 1) - 1) // stride + 1
                    nw = (Wd + 2 * pad - dilation * (fw - 1) - 1) // stride + 1
                    Z = np.empty((m, nh, nw, nc))
                    for h in range(nh):
                        for w in range(nw):
                            s = P[:, h * stride:h * stride + dilation * (fh - 1) + 1:dilation,
                                  w * stride:w * stride + dilation * (fw - 1) + 1:dilation, :]
                            Z[:, h, w, :] = np.einsum("mijk,ijkc->mc", s, W) + b.reshape(-1)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "loop over taps": """
                def conv_forward(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = zero_pad(A_prev, pad)
                    nh = (P.shape[1] - dilation * (fh - 1) - 1) // stride + 1
                    nw = (P.shape[2] - dilation * (fw - 1) - 1) // stride + 1
                    Z = np.zeros((A_prev.shape[0], nh, nw, nc)) + b.reshape(1, 1, 1, nc)
                    for i in range(fh):
                        for j in range(fw):
                            tap = P[:, i * dilation:i * dilation + stride * (nh - 1) + 1:stride,
                                    j * dilation:j * dilation + stride * (nw - 1) + 1:stride, :]
                            Z += tap @ W[i, j]
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
        },
    },
    "pool_forward": {
        "wrong": {
            "pools across channels": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    for h in range(nh):
                        for w in range(nw):
                            win = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
                            v = win.max(axis=(1, 2, 3)) if mode == "max" else win.mean(axis=(1, 2, 3))
                            A[:, h, w, :] = v[:, None]
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "window starts at h, not h*stride": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    for h in range(nh):
                        for w in range(nw):
                            win = A_prev[:, h:h + f, w:w + f, :]
                            A[:, h, w, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "no ValueError for another mode": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    for h in range(nh):
                        for w in range(nw):
                            win = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
                            A[:, h, w, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "stride used as the window size": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    for h in range(nh):
                        for w in range(nw):
                            win = A_prev[:, h * stride:h * stride + stride, w * stride:w * stride + stride, :]
                            A[:, h, w, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "average is the max": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    for h in range(nh):
                        for w in range(nw):
                            win = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
                            A[:, h, w, :] = win.max(axis=(1, 2))
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "only the last window row is computed": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, H, W, C = A_prev.shape
                    nh, nw = (H - f) // stride + 1, (W - f) // stride + 1
                    A = np.zeros((m, nh, nw, C))
                    h = nh - 1
                    for w in range(nw):
                        win = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
                        A[:, :, w, :] = (win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2)))[:, None]
                    return A, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "calls Keras": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    layer = (keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D)(f, strides=stride)
                    return keras.ops.convert_to_numpy(layer(A_prev.astype("float32"))), (A_prev, {"f": f})
            """,
        },
        "right": {
            "sliding_window_view": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode == "max":
                        reduce = np.max
                    elif mode == "average":
                        reduce = np.mean
                    else:
                        raise ValueError("bad mode")
                    win = np.lib.stride_tricks.sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]
                    return reduce(win, axis=(-2, -1)), (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
            "four loops": """
                def pool_forward(A_prev, f, stride, mode="max"):
                    if mode not in ["max", "average"]:
                        raise ValueError(f"unknown mode {mode}")
                    m, H, W, C = A_prev.shape
                    out = np.zeros((m, 1 + (H - f) // stride, 1 + (W - f) // stride, C))
                    for i in range(m):
                        for h in range(out.shape[1]):
                            for w in range(out.shape[2]):
                                for c in range(C):
                                    win = A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f, c]
                                    out[i, h, w, c] = np.max(win) if mode == "max" else np.average(win)
                    return out, (A_prev, {"f": f, "stride": stride, "mode": mode})
            """,
        },
    },
    "conv_backward": {
        "wrong": {
            "dA keeps the padding": """
                def conv_backward(dZ, cache):
                    dA, dW, db = _backward(dZ, cache)
                    p = cache[3]["pad"]
                    return np.pad(dA, ((0, 0), (p, p), (p, p), (0, 0))), dW, db
            """,
            "db is the mean": """
                def conv_backward(dZ, cache):
                    dA, dW, db = _backward(dZ, cache)
                    return dA, dW, db / (dZ.shape[0] * dZ.shape[1] * dZ.shape[2])
            """,
            "= instead of += (last position wins)": """
                def conv_backward(dZ, cache):
                    A_prev, W, b, hp = cache
                    s, p, d = hp["stride"], hp["pad"], hp.get("dilation", 1)
                    fh, fw, _, nc = W.shape
                    Ap = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
                    dAp, dW = np.zeros_like(Ap), np.zeros_like(W)
                    for i in range(dZ.shape[0]):
                        for h in range(dZ.shape[1]):
                            for w in range(dZ.shape[2]):
                                r = slice(h * s, h * s + d * (fh - 1) + 1, d)
                                c = slice(w * s, w * s + d * (fw - 1) + 1, d)
                                dAp[i, r, c, :] = W @ dZ[i, h, w]
                                dW += Ap[i, r, c, :, None] * dZ[i, h, w]
                    return dAp[:, p:p + A_prev.shape[1], p:p + A_prev.shape[2]], dW, dZ.sum(axis=(0, 1, 2)).reshape(b.shape)
            """,
            "ignores the stride": """
                def conv_backward(dZ, cache):
                    A_prev, W, b, hp = cache
                    return _backward(dZ, (A_prev, W, b, dict(hp, stride=1)))
            """,
            "ignores dilation": """
                def conv_backward(dZ, cache):
                    A_prev, W, b, hp = cache
                    return _backward(dZ, (A_prev, W, b, dict(hp, dilation=1)))
            """,
            "db of shape (n_C,)": """
                def conv_backward(dZ, cache):
                    dA, dW, db = _backward(dZ, cache)
                    return dA, dW, db.reshape(-1)
            """,
            "numerical gradient through conv_forward": """
                def conv_backward(dZ, cache, h=1e-5):
                    A, W, b, hp = cache
                    def L(A_, W_, b_):
                        return np.sum(conv_forward(A_, W_, b_, hp["stride"], hp["pad"], hp.get("dilation", 1))[0] * dZ)
                    grads = []
                    for x, which in ((A, 0), (W, 1), (b, 2)):
                        g = np.zeros_like(x)
                        for k in np.ndindex(x.shape):
                            args = [A.copy(), W.copy(), b.copy()]
                            args[which][k] += h
                            up = L(*args)
                            args[which][k] -= 2 * h
                            g[k] = (up - L(*args)) / (2 * h)
                        grads.append(g)
                    return tuple(grads)
            """,
        },
        "right": {
            "vectorised over the batch": """
                def conv_backward(dZ, cache):
                    A_prev, W, b, hp = cache
                    s, p, d = hp["stride"], hp["pad"], hp.get("dilation", 1)
                    fh, fw, _, nc = W.shape
                    Ap = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
                    dAp, dW = np.zeros(Ap.shape), np.zeros(W.shape)
                    for h in range(dZ.shape[1]):
                        for w in range(dZ.shape[2]):
                            r = slice(h * s, h * s + d * (fh - 1) + 1, d)
                            c = slice(w * s, w * s + d * (fw - 1) + 1, d)
                            g = dZ[:, h, w, :]
                            dAp[:, r, c, :] += np.einsum("ijkc,mc->mijk", W, g)
                            dW += np.einsum("mijk,mc->ijkc", Ap[:, r, c, :], g)
                    dA = dAp[:, p:Ap.shape[1] - p, p:Ap.shape[2] - p, :]
                    return dA, dW, np.sum(dZ, axis=(0, 1, 2), keepdims=True)
            """,
            "loop over taps": """
                def conv_backward(dZ, cache):
                    A_prev, W, b, hp = cache
                    s, p, d = hp["stride"], hp["pad"], hp["dilation"]
                    fh, fw, _, nc = W.shape
                    _, nh, nw, _ = dZ.shape
                    Ap = zero_pad(A_prev, p)
                    dAp, dW = np.zeros_like(Ap, dtype=float), np.zeros_like(W, dtype=float)
                    for i in range(fh):
                        for j in range(fw):
                            rows = slice(i * d, i * d + s * (nh - 1) + 1, s)
                            cols = slice(j * d, j * d + s * (nw - 1) + 1, s)
                            dAp[:, rows, cols, :] += dZ @ W[i, j].T
                            dW[i, j] = np.tensordot(Ap[:, rows, cols, :], dZ, axes=([0, 1, 2], [0, 1, 2]))
                    H, Wd = A_prev.shape[1:3]
                    return dAp[:, p:p + H, p:p + Wd], dW, dZ.sum((0, 1, 2)).reshape(1, 1, 1, nc)
            """,
        },
    },
    "pool_backward": {
        "wrong": {
            "every tied maximum gets the whole dA": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for h in range(dA.shape[1]):
                        for w in range(dA.shape[2]):
                            win = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
                            g = dA[:, h, w, None, None, :]
                            if mode == "max":
                                mask = win == win.max(axis=(1, 2), keepdims=True)
                                dA_prev[:, h * s:h * s + f, w * s:w * s + f, :] += mask * g
                            else:
                                dA_prev[:, h * s:h * s + f, w * s:w * s + f, :] += g / (f * f)
                    return dA_prev
            """,
            "= instead of += (overlapping windows overwrite)": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i in range(dA.shape[0]):
                        for h in range(dA.shape[1]):
                            for w in range(dA.shape[2]):
                                for c in range(dA.shape[3]):
                                    win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                                    if mode == "max":
                                        r, q = np.unravel_index(np.argmax(win), win.shape)
                                        dA_prev[i, h * s + r, w * s + q, c] = dA[i, h, w, c]
                                    else:
                                        dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] = dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "average: forgets to divide by f*f": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for h in range(dA.shape[1]):
                        for w in range(dA.shape[2]):
                            win = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
                            g = dA[:, h, w, None, None, :]
                            if mode == "max":
                                first = np.argmax(win.reshape(win.shape[0], f * f, -1), axis=1)
                                mask = np.zeros_like(win.reshape(win.shape[0], f * f, -1))
                                np.put_along_axis(mask, first[:, None, :], 1.0, axis=1)
                                dA_prev[:, h * s:h * s + f, w * s:w * s + f, :] += mask.reshape(win.shape) * g
                            else:
                                dA_prev[:, h * s:h * s + f, w * s:w * s + f, :] += g
                    return dA_prev
            """,
            "average: divides by f, not f*f": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w, c in np.ndindex(dA.shape):
                        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                        if mode == "max":
                            r, q = np.unravel_index(np.argmax(win), win.shape)
                            dA_prev[i, h * s + r, w * s + q, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += dA[i, h, w, c] / f
                    return dA_prev
            """,
            "max: one maximum across all channels": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w in np.ndindex(dA.shape[:3]):
                        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, :]
                        if mode == "max":
                            r, q, _ = np.unravel_index(np.argmax(win), win.shape)
                            dA_prev[i, h * s + r, w * s + q, :] += dA[i, h, w, :]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, :] += dA[i, h, w, :] / (f * f)
                    return dA_prev
            """,
            "window starts at h, not h*stride": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w, c in np.ndindex(dA.shape):
                        win = A_prev[i, h:h + f, w:w + f, c]
                        if mode == "max":
                            r, q = np.unravel_index(np.argmax(win), win.shape)
                            dA_prev[i, h + r, w + q, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h:h + f, w:w + f, c] += dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "max: gradient to the top-left input of every window": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w, c in np.ndindex(dA.shape):
                        if mode == "max":
                            dA_prev[i, h * s, w * s, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "max: routes to the minimum": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w, c in np.ndindex(dA.shape):
                        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                        if mode == "max":
                            r, q = np.unravel_index(np.argmin(win), win.shape)
                            dA_prev[i, h * s + r, w * s + q, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "dA_prev shaped by the windows (uncovered rows dropped)": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    m, nh, nw, nc = dA.shape
                    dA_prev = np.zeros((m, (nh - 1) * s + f, (nw - 1) * s + f, nc))
                    for i, h, w, c in np.ndindex(dA.shape):
                        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                        if mode == "max":
                            r, q = np.unravel_index(np.argmax(win), win.shape)
                            dA_prev[i, h * s + r, w * s + q, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "no ValueError for another mode": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    dA_prev = np.zeros(A_prev.shape)
                    for i, h, w, c in np.ndindex(dA.shape):
                        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                        if mode == "max":
                            r, q = np.unravel_index(np.argmax(win), win.shape)
                            dA_prev[i, h * s + r, w * s + q, c] += dA[i, h, w, c]
                        else:
                            dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += dA[i, h, w, c] / (f * f)
                    return dA_prev
            """,
            "a numerical gradient through pool_forward": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    A, grad = A_prev.copy(), np.zeros(A_prev.shape)
                    for idx in np.ndindex(A.shape):
                        old, losses = A[idx], []
                        for value in (old + 1e-6, old - 1e-6):
                            A[idx] = value
                            losses.append(np.sum(pool_forward(A, hp["f"], hp["stride"], hp["mode"])[0] * dA))
                        A[idx] = old
                        grad[idx] = (losses[0] - losses[1]) / 2e-6
                    return grad
            """,
            "Keras' gradient": """
                def pool_backward(dA, cache):
                    import tensorflow as tf
                    A_prev, hp = cache
                    if hp["mode"] not in ("max", "average"):
                        raise ValueError(hp["mode"])
                    x = tf.constant(A_prev)
                    pool = tf.nn.max_pool2d if hp["mode"] == "max" else tf.nn.avg_pool2d
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_sum(pool(x, hp["f"], hp["stride"], "VALID") * dA)
                    return tape.gradient(loss, x).numpy()
            """,
        },
        "right": {
            "quadruple loop, argmax and unravel_index": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros_like(A_prev, dtype=float)
                    m, n_H, n_W, n_C = dA.shape
                    for i in range(m):
                        for h in range(n_H):
                            for w in range(n_W):
                                for c in range(n_C):
                                    win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                                    if mode == "max":
                                        r, q = np.unravel_index(np.argmax(win), win.shape)
                                        dA_prev[i, h * s + r, w * s + q, c] += dA[i, h, w, c]
                                    else:
                                        dA_prev[i, h * s:h * s + f, w * s:w * s + f, c] += np.full((f, f), dA[i, h, w, c] / f**2)
                    return dA_prev
            """,
            "mask split evenly between ties": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in ("max", "average"):
                        raise ValueError(mode)
                    dA_prev = np.zeros(A_prev.shape)
                    for h in range(dA.shape[1]):
                        for w in range(dA.shape[2]):
                            win = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
                            g = dA[:, h, w, None, None, :]
                            if mode == "max":
                                mask = (win == win.max(axis=(1, 2), keepdims=True)).astype(float)
                                share = mask / mask.sum(axis=(1, 2), keepdims=True)
                            else:
                                share = np.ones_like(win) / (f * f)
                            dA_prev[:, h * s:h * s + f, w * s:w * s + f, :] += share * g
                    return dA_prev
            """,
            "last maximum, helper functions (deeplearning.ai style)": """
                def create_mask_from_window(x):
                    flat = x.ravel()[::-1]
                    k = x.size - 1 - int(np.argmax(flat))
                    mask = np.zeros(x.shape, dtype=bool)
                    mask.flat[k] = True
                    return mask

                def distribute_value(dz, shape):
                    return np.ones(shape) * dz / (shape[0] * shape[1])

                def pool_backward(dA, cache):
                    A_prev, hparameters = cache
                    f, stride, mode = hparameters["f"], hparameters["stride"], hparameters["mode"]
                    if mode == "max":
                        pass
                    elif mode == "average":
                        pass
                    else:
                        raise ValueError(f"unknown mode {mode}")
                    dA_prev = np.zeros(A_prev.shape)
                    for i in range(dA.shape[0]):
                        for h in range(dA.shape[1]):
                            for w in range(dA.shape[2]):
                                for c in range(dA.shape[3]):
                                    vs, hs = h * stride, w * stride
                                    if mode == "max":
                                        mask = create_mask_from_window(A_prev[i, vs:vs + f, hs:hs + f, c])
                                        dA_prev[i, vs:vs + f, hs:hs + f, c] += mask * dA[i, h, w, c]
                                    else:
                                        dA_prev[i, vs:vs + f, hs:hs + f, c] += distribute_value(dA[i, h, w, c], (f, f))
                    return dA_prev
            """,
            "sliding_window_view and np.add.at": """
                def pool_backward(dA, cache):
                    A_prev, hp = cache
                    f, s, mode = hp["f"], hp["stride"], hp["mode"]
                    if mode not in {"max", "average"}:
                        raise ValueError("bad mode")
                    m, n_H, n_W, n_C = dA.shape
                    windows = np.lib.stride_tricks.sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s][:, :n_H, :n_W]
                    dA_prev = np.zeros(A_prev.shape)
                    hh, ww, ii, cc = np.meshgrid(np.arange(n_H), np.arange(n_W), np.arange(m), np.arange(n_C), indexing="ij")
                    if mode == "max":
                        k = windows.reshape(m, n_H, n_W, n_C, f * f).argmax(-1)
                        rows = hh * s + k[ii, hh, ww, cc] // f
                        cols = ww * s + k[ii, hh, ww, cc] % f
                        np.add.at(dA_prev, (ii, rows, cols, cc), dA[ii, hh, ww, cc])
                    else:
                        for r in range(f):
                            for q in range(f):
                                np.add.at(dA_prev, (ii, hh * s + r, ww * s + q, cc), dA[ii, hh, ww, cc] / (f * f))
                    return dA_prev
            """,
        },
    },
    "conv_forward_fast": {
        "wrong": {
            "the loop version": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    return _conv(A_prev, W, b, stride, pad, dilation)
            """,
            "windows not subsampled by the stride": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    win = np.lib.stride_tricks.sliding_window_view(P, (dilation * (fh - 1) + 1, dilation * (fw - 1) + 1), axis=(1, 2))
                    win = win[:, :, :, :, ::dilation, ::dilation]
                    Z = np.einsum("mhwcij,ijcn->mhwn", win, W) + b.reshape(1, 1, 1, nc)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "kernel axes swapped": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    win = np.lib.stride_tricks.sliding_window_view(P, (dilation * (fh - 1) + 1, dilation * (fw - 1) + 1), axis=(1, 2))
                    win = win[:, ::stride, ::stride, :, ::dilation, ::dilation]
                    Z = np.einsum("mhwcij,jicn->mhwn", win, W) + b.reshape(1, 1, 1, nc)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "forgets the bias": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    win = np.lib.stride_tricks.sliding_window_view(P, (dilation * (fh - 1) + 1, dilation * (fw - 1) + 1), axis=(1, 2))
                    win = win[:, ::stride, ::stride, :, ::dilation, ::dilation]
                    Z = np.einsum("mhwcij,ijcn->mhwn", win, W)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "ignores dilation": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    win = np.lib.stride_tricks.sliding_window_view(P, (fh, fw), axis=(1, 2))[:, ::stride, ::stride]
                    Z = np.einsum("mhwcij,ijcn->mhwn", win, W) + b.reshape(1, 1, 1, nc)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "calls Keras": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    Z = keras.ops.convert_to_numpy(keras.ops.conv(P, W, dilation_rate=dilation))[:, ::stride, ::stride]
                    return Z + b.reshape(1, 1, 1, -1), (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
        },
        "right": {
            "einsum": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
                    win = np.lib.stride_tricks.sliding_window_view(P, (dilation * (fh - 1) + 1, dilation * (fw - 1) + 1), axis=(1, 2))
                    win = win[:, ::stride, ::stride, :, ::dilation, ::dilation]
                    Z = np.einsum("mhwcij,ijcn->mhwn", win, W, optimize=True) + b.reshape(1, 1, 1, nc)
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
            "a loop over the taps": """
                def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):
                    fh, fw, _, nc = W.shape
                    P = zero_pad(A_prev, pad)
                    nh = (P.shape[1] - dilation * (fh - 1) - 1) // stride + 1
                    nw = (P.shape[2] - dilation * (fw - 1) - 1) // stride + 1
                    Z = np.broadcast_to(b.reshape(1, 1, 1, nc), (A_prev.shape[0], nh, nw, nc)).copy()
                    for i in range(fh):
                        for j in range(fw):
                            Z += P[:, i * dilation:i * dilation + stride * (nh - 1) + 1:stride,
                                   j * dilation:j * dilation + stride * (nw - 1) + 1:stride, :] @ W[i, j]
                    return Z, (A_prev, W, b, {"stride": stride, "pad": pad, "dilation": dilation})
            """,
        },
    },
}

# Wrong variants above call the learner-looking helpers below, defined once in the kernel by the harness
# (they are the course's own answers under other names, so a wrong variant differs in exactly one thing).
PRELUDE = {
    "conv_forward": "_conv = conv_forward",
    "conv_backward": "_backward = conv_backward",
    "conv_forward_fast": "_conv = conv_forward",
}


# Automatic mutants (python -m course_tools mutation-score) judged equivalent to the answer, with the reason:
# no input the docstring allows tells them apart. Anything else that survives is a gap of the checks.
EQUIVALENT = {
    "zero_pad": {
        "argument: `np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant...` -> `np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=0)` in `X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', ...`": "np.pad's default mode is 'constant'.",
        "argument: `np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant...` -> `np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant')` in `X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', ...`": "np.pad pads with constant_values=0 by default.",
    },
    "conv_single_step": {
        "function: `np.sum(b)` -> `np.mean(b)` in `Z = np.sum(a_slice * W) + np.sum(b)`": "b holds one number (a (1, 1, 1) array or a number): its mean is its sum.",
        "function: `np.sum(b)` -> `np.max(b)` in `Z = np.sum(a_slice * W) + np.sum(b)`": "b holds one number: its max is its sum.",
        "function: `float(Z)` -> `Z` in `return float(Z)`": "the docstring allows a NumPy scalar: np.sum returns np.float64, which is also a float.",
    },
    "conv_forward": {
        "function: `np.zeros((m, n_H, n_W, n_C))` -> `np.ones((m, n_H, n_W, n_C))` in `Z = np.zeros((m, n_H, n_W, n_C))`": "every entry of Z is assigned in the loops before it is returned: its initial value is never read.",
        "argument: `conv_single_step(a_slice, W[:, :, :, c], b[:, :, :, c])` -> `conv_single_step(W[:, :, :, c], a_slice, b[:, :, :, c])` in `Z[i, h, w, c] = conv_single_step(a_slice, W[:, :, :, c], b[:, :, :, c])`": "conv_single_step(a, W, b) is symmetric in a and W (element-wise product).",
    },
    "pool_forward": {
        "argument: `('max', 'average')` -> `('average', 'max')` in `if mode not in ('max', 'average'): raise ValueError(f'mode must be \"max\" or \"...`": "the order of the allowed modes in the membership test does not matter.",
        'argument: `ValueError(f\'mode must be "max" or "average", got {mode!r}\')` -> `ValueError()` in `raise ValueError(f\'mode must be "max" or "average", got {mode!r}\')`': "the error's message is not part of the contract (only its type, ValueError).",
        "function: `np.zeros((m, n_H, n_W, n_C))` -> `np.ones((m, n_H, n_W, n_C))` in `A = np.zeros((m, n_H, n_W, n_C))`": "every entry of A is assigned in the loops before it is returned.",
        "argument: `(1, 2)` -> `(2, 1)` in `A[:, h, w, :] = window.max(axis=(1, 2)) if mode == 'max' else window.mean(axi...`": "max over axes (1, 2) equals max over axes (2, 1).",
        "argument: `(1, 2)` -> `(2, 1)` in `A[:, h, w, :] = window.max(axis=(1, 2)) if mode == 'max' else window.mean(axi...` (#2)": "mean over axes (1, 2) equals mean over axes (2, 1).",
    },
    "conv_backward": {
        "argument: `hparameters.get('dilation', 1)` -> `hparameters.get('dilation')` in `dilation = hparameters.get('dilation', 1)`": "the cache documented by conv_forward always holds 'dilation': the default of .get is never used.",
        "constant: `1` -> `2` in `dilation = hparameters.get('dilation', 1)`": "idem: the default of .get is never used.",
        "constant: `1` -> `0` in `dilation = hparameters.get('dilation', 1)`": "idem: the default of .get is never used.",
    },
    "pool_backward": {
        "argument: `('max', 'average')` -> `('average', 'max')` in `if mode not in ('max', 'average'): raise ValueError(f'mode must be \"max\" or \"...`": "the order of the allowed modes in the membership test does not matter.",
        'argument: `ValueError(f\'mode must be "max" or "average", got {mode!r}\')` -> `ValueError()` in `raise ValueError(f\'mode must be "max" or "average", got {mode!r}\')`': "the error's message is not part of the contract (only its type, ValueError).",
    },
}
