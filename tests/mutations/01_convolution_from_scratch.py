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
