"""Count the parameters and multiply-adds of a Keras model, layer by layer.

Introduced in notebook 05 (architectures)::

    prof = cu.models.profile(model)                      # a built model
    prof = cu.models.profile(layer, input_shape=(14, 14, 512))   # one layer
    print(prof)                                          # a text table
    prof.total_params, prof.total_mult_adds

Conventions (those of the MobileNet paper, Howard et al. 2017):

* A *multiply-add* (mult-add, MAC) is one multiplication followed by one addition;
  counts are for **one example** (batch size 1). FLOPs are about twice the mult-adds.
* Only layers with weights that multiply their input are counted: convolutions of every
  kind and ``Dense``. Bias additions are not counted.
* ``BatchNormalization`` carries parameters (gamma, beta and the two moving statistics,
  4 per channel) but its mult-adds are counted as 0: at inference it folds into the
  preceding convolution. Pooling, activations, ``Add``, ``Concatenate``, reshapes and
  other weight-free operations count 0.
* Nested models (a ``Sequential`` or functional model used as a layer) are expanded;
  a layer called several times (shared weights) counts its parameters once and its
  mult-adds at every call.

Formulas, with output spatial size ``H_out x W_out`` (``D_F x D_F`` in the paper):

* ``Conv2D``: ``H_out W_out * k_h k_w * C_in / groups * C_out``
* ``DepthwiseConv2D``: ``H_out W_out * k_h k_w * C_in * depth_multiplier``
* ``SeparableConv2D``: the depthwise term above plus ``H_out W_out * C_in * depth_multiplier * C_out``
* ``Conv2DTranspose``: ``H_in W_in * k_h k_w * C_in * C_out`` (every input pixel scatters a kernel)
* ``Dense``: ``(number of input vectors) * n_in * n_out``

The 1D and 3D convolutions follow the same formulas.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["profile", "Profile", "LayerProfile", "format_count", "training_rate", "TrainingRate"]


@dataclass(frozen=True)
class LayerProfile:
    """One row of a :class:`Profile`: one call of one layer.

    Attributes:
        name: the layer's name (nested layers: ``"outer/inner"``).
        kind: the layer's class name, e.g. ``"Conv2D"``.
        output_shape: output shape for one example (no batch axis), e.g. ``(14, 14, 512)``.
        params: number of parameters (trainable and not); 0 for the repeated calls of a shared layer.
        mult_adds: multiply-adds for one example.
        depth: nesting depth (0 for a layer of the profiled model itself).
        trainable_params: the trainable part of ``params`` (BN moving statistics are not trainable).
        is_model: True for the header row of a nested model (its numbers are the sums of its rows).
    """

    name: str
    kind: str
    output_shape: tuple
    params: int
    mult_adds: int
    depth: int = 0
    is_model: bool = False
    trainable_params: int = 0


def format_count(n: float) -> str:
    """Short human form of a count: ``462422016 -> '462.4M'``, ``266752 -> '266.8k'``."""
    n = float(n)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return f"{n:.0f}"


class Profile:
    """Per-layer parameters and multiply-adds of a model (returned by :func:`profile`).

    Iterate over it (or index it by position or layer name) to get :class:`LayerProfile` rows.
    ``str(profile)`` / ``print(profile)`` / ``profile.table()`` give a text table.

    Attributes:
        rows: list of :class:`LayerProfile`, in call order; nested models contribute a header
            row (``is_model=True``) followed by their own rows.
        total_params: parameters of the whole model (each weight counted once).
        total_mult_adds: multiply-adds of one forward pass of one example.
        total_trainable_params: the trainable part of ``total_params``.
    """

    def __init__(self, rows: Sequence[LayerProfile], name: str = "model"):
        self.rows = list(rows)
        self.name = name
        leaves = [r for r in self.rows if not r.is_model]
        self.total_params = int(sum(r.params for r in leaves))
        self.total_mult_adds = int(sum(r.mult_adds for r in leaves))
        self.total_trainable_params = int(sum(r.trainable_params for r in leaves))

    def __iter__(self) -> Iterator[LayerProfile]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | str) -> LayerProfile:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key or row.name.split("/")[-1] == key:
                    return row
            raise KeyError(f"no layer named {key!r}; layers: {[r.name for r in self.rows]}")
        return self.rows[key]

    def layers(self, kind: str | None = None) -> list[LayerProfile]:
        """The rows of real layers (no nested-model headers), optionally only of one class name."""
        return [r for r in self.rows if not r.is_model and (kind is None or r.kind == kind)]

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """``{class name: (params, mult_adds)}`` summed over the layers of each class."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.layers():
            p, m = out.get(r.kind, (0, 0))
            out[r.kind] = (p + r.params, m + r.mult_adds)
        return out

    def table(self, *, skip_zero: bool = False, max_rows: int | None = None) -> str:
        """A plain-text table: layer (type), output shape, params, mult-adds, and a total line.

        Args:
            skip_zero: leave out the rows with neither parameters nor mult-adds (activations...).
            max_rows: show at most this many rows (the first ones), then a "... n more" line.
        """
        rows = [r for r in self.rows if not (skip_zero and r.params == 0 and r.mult_adds == 0)]
        hidden = 0
        if max_rows is not None and len(rows) > max_rows:
            hidden, rows = len(rows) - max_rows, rows[:max_rows]
        cells = [("layer (type)", "output shape", "params", "mult-adds")]
        for r in rows:
            shape = str(tuple(int(d) for d in r.output_shape)) if r.output_shape else "-"
            cells.append(("  " * r.depth + f"{r.name} ({r.kind})", shape, f"{r.params:,}", f"{r.mult_adds:,}"))
        widths = [max(len(c[i]) for c in cells) for i in range(4)]
        total = (
            f"total: {self.total_params:,} params ({format_count(self.total_params)}; "
            f"{self.total_trainable_params:,} trainable), "
            f"{self.total_mult_adds:,} mult-adds ({format_count(self.total_mult_adds)})"
        )
        width = max(sum(widths) + 6, len(total))

        def line(c):
            return f"{c[0]:<{widths[0]}}  {c[1]:<{widths[1]}}  {c[2]:>{widths[2]}}  {c[3]:>{widths[3]}}"

        out = [line(cells[0]), "-" * width] + [line(c) for c in cells[1:]]
        if hidden:
            out.append(f"... {hidden} more rows")
        out += ["-" * width, total]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


# --------------------------------------------------------------------------- counting


def _shape_of(spec) -> tuple:
    return tuple(spec.shape) if hasattr(spec, "shape") else ()


def _first_shape(args) -> tuple:
    import keras

    for item in keras.tree.flatten(args):
        if hasattr(item, "shape"):
            return tuple(item.shape)
    return ()


def _prod(values) -> int:
    return int(math.prod(int(v) for v in values))


def _mult_adds(layer, in_shape: tuple, out_shape: tuple) -> int:
    """Mult-adds of one call of ``layer`` (shapes include the batch axis of size 1)."""
    from keras import layers as L

    def spatial(shape):  # channels_last or channels_first
        fmt = getattr(layer, "data_format", "channels_last")
        return shape[1:-1] if fmt == "channels_last" else shape[2:]

    if isinstance(layer, (L.SeparableConv1D, L.SeparableConv2D)):
        return _prod(spatial(out_shape)) * (_prod(layer.depthwise_kernel.shape) + _prod(layer.pointwise_kernel.shape))
    if isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        return _prod(spatial(out_shape)) * _prod(layer.kernel.shape)
    if isinstance(layer, (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)):
        return _prod(spatial(in_shape)) * _prod(layer.kernel.shape)
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)):
        # kernel (k..., C_in / groups, C_out): one output value costs k... * C_in / groups mult-adds
        return _prod(spatial(out_shape)) * _prod(layer.kernel.shape)
    if isinstance(layer, L.Dense):
        return _prod(in_shape[1:-1]) * _prod(layer.kernel.shape)
    return 0


def _prod_sum(weights) -> int:
    return int(sum(_prod(w.shape) for w in weights))


def _is_sequential(op) -> bool:
    import keras

    return isinstance(op, keras.Sequential)


def _is_functional(op) -> bool:
    import keras

    return isinstance(op, keras.Model) and hasattr(op, "_run_through_graph") and hasattr(op, "_nodes_by_depth")


class _Tracer:
    def __init__(self):
        self.rows: list[LayerProfile] = []
        self.seen: set[int] = set()

    def call(self, op, args, kwargs, depth: int, prefix: str):
        """Record one call of ``op`` on symbolic ``args`` and return its symbolic output."""
        name = prefix + getattr(op, "name", type(op).__name__)
        if _is_sequential(op) or _is_functional(op):
            child = "" if depth < 0 else name + "/"
            header_at = len(self.rows)
            self.rows.append(None)  # placeholder, filled in below
            if _is_sequential(op):
                out = args[0]
                for layer in op.layers:
                    out = self.call(layer, (out,), {}, depth + 1, child)
            else:
                inner = args[0] if len(args) == 1 else list(args)
                out = op._run_through_graph(
                    inner,
                    operation_fn=lambda inner_op: lambda *a, **k: self.call(inner_op, a, k, depth + 1, child),
                )
            children = [r for r in self.rows[header_at + 1 :] if not r.is_model]
            self.rows[header_at] = LayerProfile(
                name=name,
                kind=type(op).__name__,
                output_shape=_shape_of(_first_out(out))[1:],
                params=sum(r.params for r in children),
                mult_adds=sum(r.mult_adds for r in children),
                depth=depth,
                is_model=True,
                trainable_params=sum(r.trainable_params for r in children),
            )
            return out
        out = op.compute_output_spec(*args, **kwargs)
        first_time = id(op) not in self.seen
        self.seen.add(id(op))
        params = int(op.count_params()) if first_time and hasattr(op, "count_params") and op.built else 0
        trainable = _prod_sum(getattr(op, "trainable_weights", [])) if first_time else 0
        out_shape = _shape_of(_first_out(out))
        self.rows.append(
            LayerProfile(
                name=name,
                kind=type(op).__name__ + ("" if first_time else " (shared)"),
                output_shape=out_shape[1:],
                params=params,
                mult_adds=_mult_adds(op, _first_shape(args), out_shape),
                depth=depth,
                trainable_params=trainable,
            )
        )
        return out


def _first_out(out):
    import keras

    flat = keras.tree.flatten(out)
    return flat[0] if flat else None


def profile(model, input_shape: Sequence[int] | None = None) -> Profile:
    """Parameters and multiply-adds of every layer of a Keras model (for one example).

    Args:
        model: a ``keras.Model`` (functional or ``Sequential``, possibly with nested models)
            or a single ``keras.layers.Layer``.
        input_shape: shape of one input example without the batch axis, e.g. ``(224, 224, 3)``.
            Needed for a single layer, for a ``Sequential`` model without an ``Input``, and for a
            model whose input has unknown sizes (``None``); otherwise the model's own input shape
            is used; if given for a model with a known input shape, it must match it.

    Returns:
        A :class:`Profile`: ``.rows``, ``.total_params``, ``.total_mult_adds``, ``.table()``.

    Raises:
        TypeError: ``model`` is not a Keras model or layer.
        ValueError: ``input_shape`` is missing where it is needed, or does not fit the model.
    """
    import keras

    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"`model` must be a keras.Model or a keras layer, got {type(model).__name__}")
    if input_shape is not None:
        try:
            input_shape = tuple(int(d) for d in input_shape)
        except (TypeError, ValueError):
            raise ValueError(
                f"`input_shape` must be a tuple of ints without the batch axis, e.g. (28, 28, 1), got {input_shape!r}"
            ) from None
        if not input_shape or any(d <= 0 for d in input_shape):
            raise ValueError(f"`input_shape` must hold positive sizes, got {input_shape}")

    tracer = _Tracer()
    if _is_functional(model) and not _is_sequential(model):
        specs = []
        for x in model.inputs:
            shape = tuple(x.shape[1:])
            if input_shape is not None and len(model.inputs) == 1:
                if len(shape) != len(input_shape) or any(d is not None and d != g for d, g in zip(shape, input_shape)):
                    raise ValueError(f"`input_shape` {input_shape} does not fit the model's input shape {shape}")
                shape = input_shape
            if any(d is None for d in shape):
                raise ValueError(
                    f"the model's input shape {shape} has unknown sizes: pass `input_shape`, e.g. (224, 224, 3)"
                )
            specs.append(keras.KerasTensor((1,) + tuple(shape), dtype=x.dtype))
        tracer.call(model, tuple(specs), {}, -1, "")
        rows = tracer.rows[1:]  # drop the header of the profiled model itself
    else:
        if _is_sequential(model) and model.built and input_shape is None:
            shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "_functional", None) else None
        else:
            shape = input_shape
        if shape is None or any(d is None for d in shape):
            raise ValueError(
                f"pass `input_shape` (one example, no batch axis, e.g. (14, 14, 512)) to profile "
                f"{type(model).__name__} {model.name!r}"
            )
        if not model.built:
            try:
                model.build((None,) + tuple(shape))
            except Exception as err:  # noqa: BLE001 - report the layer's own complaint
                raise ValueError(f"cannot build {model.name!r} on input_shape {shape}: {err}") from None
        spec = keras.KerasTensor((1,) + tuple(shape), dtype="float32")
        if _is_sequential(model):
            tracer.call(model, (spec,), {}, -1, "")
            rows = tracer.rows[1:]
        else:
            tracer.call(model, (spec,), {}, 0, "")
            rows = tracer.rows
    return Profile(rows, name=getattr(model, "name", "model"))


@dataclass(frozen=True)
class TrainingRate:
    """The arithmetic rate a training run reached (returned by :func:`training_rate`).

    Attributes:
        flops: floating-point operations of the run, estimated from the model's multiply-adds.
        seconds: wall-clock seconds the run took.
        gflops: ``flops / seconds / 1e9``, the achieved rate in GFLOP/s.
    """

    flops: float
    seconds: float
    gflops: float

    def __str__(self) -> str:
        return f"{self.gflops:.2f} GFLOP/s ({self.flops / 1e9:,.0f} GFLOP in {self.seconds:.1f} s)"


def training_rate(
    model,
    seconds: float,
    train_samples: int,
    eval_samples: int = 0,
    input_shape: Sequence[int] | None = None,
) -> TrainingRate:
    """How many floating-point operations per second a training run did, counted from the model.

    Each training example costs a forward and a backward pass, about three forward passes
    (the backward pass computes gradients for both the inputs and the weights of each layer);
    each evaluated example (validation inside ``fit``) costs one forward pass; one multiply-add
    is two FLOPs::

        flops = 2 * mult_adds_per_example * (3 * train_samples + eval_samples)

    Compare the rate with what the CPU reaches on one large matrix multiply (the benchmark
    records it as ``matmul_peak_gflops``): a small network on small batches reaches a few percent
    of it, because most of the time goes to per-layer overheads, not to arithmetic.

    Args:
        model: the trained ``keras.Model`` (see :func:`profile` for ``input_shape``).
        seconds: wall-clock seconds of the run (for example around ``model.fit``).
        train_samples: training examples seen (examples per epoch x epochs).
        eval_samples: examples only evaluated during the run (validation x epochs).

    Returns:
        A :class:`TrainingRate`; ``print`` it, or read ``.gflops``.

    Raises:
        ValueError: ``seconds`` is not positive, or a sample count is negative or not a whole number.
    """
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise ValueError(f"`seconds` must be a number of seconds, got {seconds!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"`seconds` must be positive (the run's wall-clock time), got {seconds}")
    counts = {}
    for name, value in (("train_samples", train_samples), ("eval_samples", eval_samples)):
        try:
            whole = not isinstance(value, bool) and int(value) == value and value >= 0
        except (TypeError, ValueError):
            whole = False
        if not whole:
            raise ValueError(f"`{name}` must be a whole number >= 0 of examples, got {value!r}")
        counts[name] = int(value)
    if counts["train_samples"] == 0 and counts["eval_samples"] == 0:
        raise ValueError("`train_samples` and `eval_samples` are both 0: the run did no work to count")
    mult_adds = profile(model, input_shape).total_mult_adds
    flops = 2.0 * mult_adds * (3 * counts["train_samples"] + counts["eval_samples"])
    return TrainingRate(flops=flops, seconds=seconds, gflops=flops / seconds / 1e9)
