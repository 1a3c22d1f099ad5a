"""Interactive widgets for the notebooks (ipywidgets), usable without a live front end.

* :func:`kernel_presets`: classic 3x3 image kernels (identity, blur, sharpen, emboss, Sobel, Scharr).
* :func:`parse_kernel`: a kernel typed as text (``"1 0 -1; 2 0 -2; 1 0 -1"``) as an array.
* :func:`playground_image`: a grey test photo from ``skimage.data``, scaled to [0, 1].
* :func:`kernel_playground`: pick an image, a kernel, stride, padding and dilation, and see
  input, kernel and output side by side. The convolution itself is the learner's
  (``conv_fn``), or by default the Keras backend's own ``keras.ops.conv``.

The playground draws once when it is created, so a notebook executed without a browser
(nbval, ``python -m course_tools check``) still gets its first view and no error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["kernel_presets", "parse_kernel", "playground_image", "kernel_playground", "KernelPlayground", "IMAGE_NAMES"]

IMAGE_NAMES = ("camera", "coins", "chelsea")


def kernel_presets() -> dict[str, np.ndarray]:
    """Classic image kernels by name, each a float64 array (f_H, f_W) (a new copy on every call)."""
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
    scharr_x = np.array([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]], dtype=np.float64)
    return {
        "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
        "box blur": np.ones((3, 3)) / 9.0,
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
        "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64),
        "Sobel x (vertical edges)": sobel_x,
        "Sobel y (horizontal edges)": sobel_x.T.copy(),
        "Scharr x (vertical edges)": scharr_x,
        "Scharr y (horizontal edges)": scharr_x.T.copy(),
    }


def parse_kernel(text: str) -> np.ndarray:
    """Read a kernel typed as rows of numbers.

    Rows are separated by ``;`` or new lines, numbers by spaces or commas:
    ``"1 0 -1; 2 0 -2; 1 0 -1"`` gives a (3, 3) array. Fractions such as ``1/9`` are allowed.

    Returns:
        float64 array (f_H, f_W).

    Raises:
        ValueError: empty text, a word that is not a number, or rows of different lengths.
    """
    if not isinstance(text, str):
        raise ValueError(f"`text` must be a string such as '1 0 -1; 2 0 -2; 1 0 -1', got {type(text).__name__}")
    rows = [r for r in text.replace("\n", ";").split(";") if r.strip()]
    if not rows:
        raise ValueError("the kernel is empty: type rows of numbers such as '1 0 -1; 2 0 -2; 1 0 -1'")
    values = []
    for row in rows:
        numbers = []
        for word in row.replace(",", " ").split():
            try:
                if "/" in word:
                    num, den = word.split("/", 1)
                    numbers.append(float(num) / float(den))
                else:
                    numbers.append(float(word))
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"{word!r} is not a number (kernel text: {text!r})") from None
        values.append(numbers)
    lengths = sorted({len(r) for r in values})
    if len(lengths) != 1:
        raise ValueError(f"every row of the kernel must have the same length, got row lengths {lengths}")
    return np.array(values, dtype=np.float64)


def playground_image(name: str = "camera", size: int = 128) -> np.ndarray:
    """A grey photo from ``skimage.data`` (shipped with scikit-image, no download).

    Args:
        name: ``"camera"``, ``"coins"`` or ``"chelsea"`` (the cat, converted to grey).
        size: the longer side after resizing (pixels), at least 8.

    Returns:
        float64 array (n_H, n_W) with values in [0, 1].
    """
    from skimage import color, data, transform

    if name not in IMAGE_NAMES:
        raise ValueError(f"`name` must be one of {IMAGE_NAMES}, got {name!r}")
    if int(size) < 8:
        raise ValueError(f"`size` must be at least 8 pixels, got {size}")
    img = getattr(data, name)()
    if img.ndim == 3:
        img = color.rgb2gray(img)
    img = img.astype(np.float64)
    if img.max() > 1.0:
        img = img / 255.0
    scale = int(size) / max(img.shape)
    shape = (max(1, round(img.shape[0] * scale)), max(1, round(img.shape[1] * scale)))
    return transform.resize(img, shape, anti_aliasing=True)


def _keras_conv(A_prev, W, b, stride, pad, dilation=1):
    """The library's convolution, for display only, with the learner-facing signature."""
    import keras

    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Z = keras.ops.convert_to_numpy(
        keras.ops.conv(A_pad.astype("float32"), W.astype("float32"), strides=1, padding="valid", dilation_rate=dilation)
    )
    return Z[:, ::stride, ::stride, :] + np.reshape(b, (1, 1, 1, -1)), None


class KernelPlayground:
    """Controls plus a figure: image, kernel, output and the output-size formula.

    Build it with :func:`kernel_playground`. ``self.widget`` is the ipywidgets box,
    ``self.figure`` the last matplotlib Figure drawn, ``self.output`` the last output
    array (n_H, n_W), ``self.caption`` the text line under the figure (output size and the
    formula for rows and columns, above the figure) and ``self.message`` the last error shown (or ``""``).
    """

    def __init__(self, conv_fn: Callable | None = None, *, size: int = 128, show: bool = True):
        import ipywidgets as w

        self.conv_fn = conv_fn if conv_fn is not None else _keras_conv
        self.size = size
        self.show = show
        self.presets = kernel_presets()
        self.figure = None
        self.output = None
        self.message = ""
        self._images: dict[str, np.ndarray] = {}
        style = {"description_width": "70px"}
        self.image = w.Dropdown(options=list(IMAGE_NAMES), value="camera", description="image", style=style)
        self.kernel = w.Dropdown(
            options=list(self.presets) + ["typed"], value="Sobel x (vertical edges)", description="kernel", style=style
        )
        self.typed = w.Text(
            value="1 0 -1; 2 0 -2; 1 0 -1", description="typed", style=style, placeholder="rows separated by ;"
        )
        self.stride = w.IntSlider(value=1, min=1, max=4, description="stride s", style=style)
        self.pad = w.IntSlider(value=0, min=0, max=8, description="padding p", style=style)
        self.dilation = w.IntSlider(value=1, min=1, max=6, description="dilation d", style=style)
        self.out = w.Output()
        self.caption = w.HTML(value="")
        self.caption.add_class("course-playground-caption")
        for control in (self.image, self.kernel, self.typed, self.stride, self.pad, self.dilation):
            control.observe(self._on_change, names="value")
        left = w.VBox([self.image, self.kernel, self.typed])
        right = w.VBox([self.stride, self.pad, self.dilation])
        self.widget = w.VBox([w.HBox([left, right]), self.caption, self.out])
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def current_kernel(self) -> np.ndarray:
        """The kernel in use (f_H, f_W): a preset, or the typed one."""
        if self.kernel.value == "typed":
            return parse_kernel(self.typed.value)
        return self.presets[self.kernel.value]

    def _image(self) -> np.ndarray:
        name = self.image.value
        if name not in self._images:
            self._images[name] = playground_image(name, self.size)
        return self._images[name]

    def _compute(self):
        img = self._image()
        kernel = self.current_kernel()
        s, p, d = int(self.stride.value), int(self.pad.value), int(self.dilation.value)
        A_prev = img[None, :, :, None]
        W = kernel[:, :, None, None]
        b = np.zeros((1, 1, 1, 1))
        result = self.conv_fn(A_prev, W, b, s, p, d)
        Z = result[0] if isinstance(result, tuple) else result
        if Z is None:
            raise ValueError("the convolution returned None: finish the function and `return Z, cache`")
        Z = np.asarray(Z)
        if Z.ndim != 4 or Z.shape[0] != 1 or Z.shape[-1] != 1:
            raise ValueError(f"the convolution must return Z of shape (1, n_H, n_W, 1) here, got {Z.shape}")
        return img, kernel, Z[0, :, :, 0], (s, p, d)

    def _formula(self, n: int, f: int, p: int, s: int, d: int, out: int) -> str:
        span = f"({d}·({f}-1)+1)" if d > 1 else f"{f}"  # the dilated kernel's span, in parentheses
        return f"⌊({n} + 2·{p} - {span}) / {s}⌋ + 1 = {out}"

    def update(self) -> None:
        """Recompute and redraw with the current settings (called on every change)."""
        from matplotlib.figure import Figure

        try:
            img, kernel, out, (s, p, d) = self._compute()
            self.message = ""
        except NotImplementedError:
            self._show_text("The convolution is not implemented yet: finish the exercise, then run this cell again.")
            return
        except Exception as err:  # noqa: BLE001 - shown to the learner, never raised from a callback
            self._show_text(f"{type(err).__name__}: {err}")
            return
        self.output = out
        fig = Figure(figsize=(10, 3.6))
        ax_in, ax_k, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [3, 1.4, 3]})
        ax_in.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax_in.set_title(f"input {img.shape[0]}x{img.shape[1]}", fontsize=9)
        lim = max(np.abs(kernel).max(), 1e-12)
        ax_k.imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for (i, j), val in np.ndenumerate(kernel):
            colour = "white" if abs(val) > 0.6 * lim else "black"  # readable on the dark ends of the colour map
            ax_k.text(j, i, f"{val:.3g}", ha="center", va="center", fontsize=8, color=colour)
        ax_k.set_title(f"kernel {kernel.shape[0]}x{kernel.shape[1]}", fontsize=9)
        ax_out.imshow(out, cmap="gray")
        ax_out.set_title(f"output {out.shape[0]}x{out.shape[1]}", fontsize=9)
        for ax in (ax_in, ax_k, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
        rows = self._formula(img.shape[0], kernel.shape[0], p, s, d, out.shape[0])
        cols = self._formula(img.shape[1], kernel.shape[1], p, s, d, out.shape[1])
        self.caption.value = f"output {out.shape[0]}x{out.shape[1]} &nbsp; rows: {rows} &nbsp; columns: {cols}"
        fig.tight_layout()
        self.figure = fig
        if self.show:
            from IPython.display import display

            with self.out:
                self.out.clear_output(wait=True)
                display(fig)

    def _show_text(self, text: str) -> None:
        self.message = text
        self.figure = None
        self.output = None
        self.caption.value = ""
        if self.show:
            with self.out:
                self.out.clear_output(wait=True)
                print(text)


def kernel_playground(conv_fn: Callable | None = None, *, size: int = 128, show: bool = True) -> KernelPlayground:
    """Build (and display) the kernel playground.

    Args:
        conv_fn: a convolution with the signature of the notebook's ``conv_forward``:
            ``conv_fn(A_prev, W, b, stride, pad, dilation) -> (Z, cache)`` (or just ``Z``), with
            A_prev (1, n_H, n_W, 1), W (f_H, f_W, 1, 1), b (1, 1, 1, 1). Default: the Keras
            backend's ``keras.ops.conv``.
        size: longer side of the photos in pixels (smaller is faster for a loop convolution).
        show: display the controls and the first view (set False in tests).

    Returns:
        The :class:`KernelPlayground` (its first view is already drawn).
    """
    if conv_fn is not None and not callable(conv_fn):
        raise ValueError(f"`conv_fn` must be a function like conv_forward, got {type(conv_fn).__name__}")
    playground = KernelPlayground(conv_fn, size=size, show=show)
    if show:
        from IPython.display import display

        display(playground.widget)
    return playground
