"""Checks for exercise test cells: a short pass line, or a failure that teaches.

Contract with the class grader (``course_tools.grade``): this file is loaded *by path*, afresh,
at the top of every test cell the grader runs, so that a submission that rebinds
``cu.checks`` or its functions changes nothing. It must therefore import nothing from the
course (only the standard library and NumPy) and keep no state between calls;
``tests/test_checks.py`` enforces it.

Every check raises :class:`AssertionError` on failure with a message that names
what was checked, what was expected, what came back (value, shape or dtype) and,
when given, a hint. Test cells call one or more checks and end with
:func:`passed`::

    cu.checks.check_array(zero_pad(x, 2), expected, name="zero_pad(x, 2)",
                           hint="pad axes 1 and 2 only, never the batch or channel axis")
    cu.checks.passed("zero_pad")

Verdicts outside the kernel: every comparison here works on plain data, i.e. numbers, strings,
lists, and arrays (``to_numpy`` first); ``check_tensor`` needs only the value's type and module,
``check_uses_none_of`` only the names and modules a function's code uses. So the class grader
(``course_tools.judge``) runs the test cells itself, asks the kernel only for values, and calls
these same functions in its own process. A test helper that must run beside the learner's code
(it traces it, or builds a model from the learner's functions) is marked
:func:`in_student_kernel`; it must return plain data.
"""

from __future__ import annotations

import dis
import json
import math
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_shape",
    "check_equal",
    "check_close",
    "check_true",
    "check_raises",
    "check_runs",
    "check_implemented",
    "check_number",
    "check_uses_none_of",
    "check_tensor",
    "passed",
    "to_numpy",
    "fill_weights",
    "in_student_kernel",
    "call_on_copies",
    "rng",
    "LIBRARIES",
    "rel_error",
    "numerical_gradient",
    "Case",
    "cases",
    "check_cases",
    "probe_call",
    "probe_tensor",
    "probe_block",
    "probe_model",
    "probe_on_model",
]

#: What an exercise "with NumPy" must not call: the check compares with one of these.
LIBRARIES = ("keras", "tensorflow", "torch", "jax", "scipy")


numbers_like = (int, float, np.integer, np.floating)


def _fail(name: str, lines: list[str], hint: str | None) -> None:
    text = [f"{name}:"] + [f"    {_hang(line)}" for line in lines]
    if hint:
        text.append(f"    Hint: {hint}")
    raise AssertionError("\n".join(text))


def _hang(line: str) -> str:
    """A line whose value spans several lines (a matrix): continuation lines aligned under its first value."""
    if "\n" not in line:
        return line
    first, *rest = line.split("\n")
    head = first.find("[[") if "[[" in first else first.find("[") if "[" in first else 0
    return "\n".join([first] + [" " * (5 + head) + r.lstrip() for r in rest])


def _short(value: Any, limit: int = 300) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=40, edgeitems=3):
            text = np.array2string(value, separator=", ")
    else:
        text = repr(value)
    text = " ".join(text.split()) if "\n" in text and len(text) > limit else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_numpy(value: Any) -> np.ndarray:
    """Convert a NumPy array, a backend tensor (TensorFlow or PyTorch) or a list to NumPy."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # torch tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):  # tf tensor / variable
        return np.asarray(value.numpy())
    return np.asarray(value)


def check_implemented(value: Any, name: str) -> None:
    """Fail with a clear message when a function returned ``None`` (unfinished exercise)."""
    if value is None:
        _fail(name, ["returned None."], "finish the function and make sure it ends with `return`.")


def check_shape(value: Any, expected_shape: tuple, *, name: str, hint: str | None = None) -> None:
    """Check that ``value`` (array or tensor) has ``expected_shape``; ``None`` matches any size."""
    check_implemented(value, name)
    shape = tuple(to_numpy(value).shape) if not hasattr(value, "shape") else tuple(value.shape)
    expected_shape = tuple(expected_shape)
    ok = len(shape) == len(expected_shape) and all(e is None or int(s) == int(e) for s, e in zip(shape, expected_shape))
    if not ok:
        _fail(name, [f"expected shape {expected_shape}", f"got shape      {shape}"], hint)


def check_array(
    value: Any,
    expected: Any,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    check_dtype: str | None = None,
    hint: str | None = None,
) -> None:
    """Check an array against an expected array: type, shape, optional dtype kind, then values.

    Args:
        value: what the learner's code returned (NumPy array, tensor or list).
        expected: the reference array.
        name: what was called, e.g. ``"conv_forward(A, W, b, stride=2, pad=1)"``.
        atol, rtol: tolerances as in :func:`numpy.allclose`.
        check_dtype: ``"float"``, ``"int"`` or ``"bool"`` to also check the dtype kind.
        hint: one sentence on the most likely mistake.
    """
    check_implemented(value, name)
    try:
        got = to_numpy(value)
    except Exception:  # noqa: BLE001 - any failure to convert is the learner's to see
        _fail(name, [f"expected an array, got {type(value).__name__}"], hint)
    exp = np.asarray(expected)
    if got.dtype == object:
        _fail(name, [f"expected a numeric array, got an object array: {_short(got)}"], hint)
    if got.shape != exp.shape:
        _fail(name, [f"expected shape {exp.shape}", f"got shape      {got.shape}"], hint)
    kinds = {"float": "f", "int": "iu", "bool": "b"}
    if check_dtype is not None and got.dtype.kind not in kinds[check_dtype]:
        _fail(name, [f"expected a {check_dtype} array, got dtype {got.dtype}"], hint)
    if exp.dtype.kind == "b" or got.dtype.kind == "b":
        same = np.array_equal(got, exp)
        if not same:
            _fail(name, ["values differ", f"expected {_short(exp)}", f"got      {_short(got)}"], hint)
        return
    gotf = got.astype(np.float64)
    expf = exp.astype(np.float64)
    finite_got, finite_exp = np.isfinite(gotf), np.isfinite(expf)
    if not np.array_equal(finite_got, finite_exp):
        where = tuple(int(i) for i in np.argwhere(finite_got != finite_exp)[0])
        if finite_exp[where]:
            first = (
                f"contains NaN or inf where a finite value is expected (first at index {where}: "
                f"got {float(gotf[where])})"
            )
        else:
            first = (
                f"expected NaN or inf at index {where} (expected {float(expf[where])}), but got the finite value "
                f"{float(gotf[where])}"
            )
        _fail(name, [first, f"expected {_short(exp)}", f"got      {_short(got)}"], hint)
    if np.isnan(expf).any() and not np.array_equal(np.isnan(gotf), np.isnan(expf)):
        _fail(name, ["NaN and inf are not where expected", f"expected {_short(exp)}", f"got      {_short(got)}"], hint)
    if not np.allclose(gotf, expf, atol=atol, rtol=rtol, equal_nan=True):
        diff = np.abs(gotf - expf)
        where = np.unravel_index(np.nanargmax(diff), diff.shape) if diff.size else ()
        lines = [
            f"values differ (max abs difference {np.nanmax(diff):.3g} at index {tuple(int(i) for i in where)}, "
            f"tolerance atol={atol:g}, rtol={rtol:g})",
            f"expected {_short(exp)}",
            f"got      {_short(got)}",
        ]
        _fail(name, lines, hint)


def check_close(
    value: Any, expected: float, *, name: str, atol: float = 1e-6, rtol: float = 1e-5, hint: str | None = None
) -> None:
    """Check one number against an expected number within tolerances."""
    check_implemented(value, name)
    try:
        got = float(to_numpy(value).reshape(()))
    except Exception:  # noqa: BLE001
        _fail(name, [f"expected a single number, got {_short(value)} ({type(value).__name__})"], hint)
    if not math.isclose(got, float(expected), rel_tol=rtol, abs_tol=atol):
        _fail(name, [f"expected {expected!r}", f"got      {got!r} (tolerance atol={atol:g}, rtol={rtol:g})"], hint)


def check_number(value: Any, *, name: str, hint: str | None = None) -> None:
    """Check that ``value`` is one number (a Python or NumPy scalar, or a 0-d array), not an array of numbers."""
    check_implemented(value, name)
    if isinstance(value, (bool, np.bool_)) or not (
        isinstance(value, numbers_like) or (hasattr(value, "shape") and tuple(value.shape) == ())
    ):
        shape = getattr(value, "shape", None)
        what = f"an array of shape {tuple(shape)}" if shape is not None else f"a {type(value).__name__}"
        _fail(name, [f"expected one number (a float), got {what}: {_short(value)}"], hint)


def check_tensor(value: Any, *, name: str, hint: str | None = None) -> None:
    """Check that ``value`` is a backend tensor (TensorFlow, PyTorch or JAX), not a NumPy array or number.

    Code that training differentiates must stay on tensors: NumPy cuts the gradient.
    """
    check_implemented(value, name)
    module = type(value).__module__.split(".")[0]
    if module not in ("tensorflow", "torch", "jax", "jaxlib"):
        _fail(
            name,
            [f"expected a backend tensor (inputs were tensors), got {type(value).__module__}.{type(value).__name__}"],
            hint or "use keras.ops (ops.sum, ops.square, ...) instead of NumPy, so gradients can flow through it.",
        )


def _uses(
    function: Callable, forbidden: set[str], path: tuple[str, ...], seen: set[int], named: dict[int, str]
) -> list[str]:
    """Where ``function`` (or a function it calls that was written next to it) uses a forbidden name."""
    if id(function) in seen:
        return []
    seen.add(id(function))
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    found = []
    names, codes = set(), [code]
    while codes:
        c = codes.pop()
        names.update(c.co_names)
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        for ins in dis.get_instructions(c):
            if ins.opname == "IMPORT_NAME" and str(ins.argval).split(".")[0] in forbidden:
                found.append(" -> ".join(path + (f"import {ins.argval}",)))
    scope = dict(getattr(function, "__globals__", {}))
    for cell_name, cell in zip(code.co_freevars, function.__closure__ or ()):
        try:
            scope[cell_name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
        names.add(cell_name)
    for n in sorted(names):
        if n in forbidden and n in scope and not isinstance(scope[n], types.ModuleType):
            found.append(" -> ".join(path + (n,)))
            continue
        if n not in scope:
            continue
        obj = scope[n]
        if id(obj) in named:
            found.append(" -> ".join(path + (f"{n} (= {named[id(obj)]})",)))
            continue
        module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
        if not isinstance(module, str) and not isinstance(obj, (type, types.FunctionType)):
            module = getattr(type(obj), "__module__", None)
        if isinstance(module, str) and module.split(".")[0] in forbidden:
            found.append(" -> ".join(path + (f"{n} (from {module.split('.')[0]})",)))
        elif isinstance(obj, types.FunctionType) and obj.__globals__ is function.__globals__:
            found.extend(_uses(obj, forbidden, path + (n,), seen, named))
    return found


def check_uses_none_of(function: Callable, forbidden, *, name: str, hint: str | None = None) -> None:
    """Check that ``function`` does not use the libraries or functions named in ``forbidden``.

    Reads the function's code (not its text): the names it looks up, the modules it imports, and,
    through every function defined in the notebook that it calls, theirs too. ``forbidden`` holds
    top-level module names (``"keras"``, ``"scipy"``) and names of notebook functions
    (``"conv_forward"``). Used where a check compares with a library the exercise asks you not to call.
    """
    check_implemented(function, name)
    if not callable(function):
        _fail(name, [f"expected a function, got {type(function).__name__}"], hint)
    scope = getattr(function, "__globals__", {})
    named = {id(scope[n]): n for n in forbidden if isinstance(scope.get(n), types.FunctionType)}
    found = _uses(function, set(forbidden), (getattr(function, "__name__", name),), set(), named)
    if found:
        _fail(
            name,
            ["uses what this exercise asks you to write yourself:"] + [f"  {f}" for f in found],
            hint or f"write it without {', '.join(sorted(forbidden))}.",
        )


def check_equal(value: Any, expected: Any, *, name: str, hint: str | None = None) -> None:
    """Check exact equality (numbers, strings, tuples, lists, dicts)."""
    if isinstance(expected, np.ndarray) or isinstance(value, np.ndarray):
        check_array(value, expected, name=name, atol=0, rtol=0, hint=hint)
        return
    if expected is not None:
        check_implemented(value, name)
    if type(expected) is int and isinstance(value, (np.integer,)):
        value = int(value)
    if value != expected:
        lines = [f"expected {_short(expected)}", f"got      {_short(value)}"]
        if type(value) is not type(expected) and not (
            isinstance(value, numbers_like) and isinstance(expected, numbers_like)
        ):
            lines.append(f"(expected type {type(expected).__name__}, got {type(value).__name__})")
        _fail(name, lines, hint)


def check_true(condition: Any, message: str, *, name: str, hint: str | None = None) -> None:
    """Fail with ``message`` unless ``condition`` is true."""
    if not bool(condition):
        _fail(name, [message], hint)


def check_raises(
    function: Callable[[], Any], exception: type[BaseException] | tuple, *, name: str, hint: str | None = None
) -> None:
    """Check that calling ``function()`` raises ``exception`` (e.g. ValueError on bad input)."""
    try:
        function()
    except exception:
        return
    except NotImplementedError:
        _fail(name, ["is not implemented yet (raised NotImplementedError)."], hint)
    except Exception as err:  # noqa: BLE001
        expected = getattr(exception, "__name__", str(exception))
        _fail(name, [f"expected {expected}, got {type(err).__name__}: {err}"], hint)
    expected = getattr(exception, "__name__", str(exception))
    _fail(name, [f"expected {expected} to be raised, but nothing was raised"], hint)


def check_runs(function: Callable[[], Any], *, name: str, hint: str | None = None) -> Any:
    """Call ``function()`` and return its result; if it raises, fail with the error as a course message.

    For answers that build something (a model) where a mistake shows up as an error deep inside a
    library, e.g. two tensors of different sizes given to ``Concatenate``.
    """
    try:
        return function()
    except NotImplementedError:
        _fail(name, ["is not implemented yet (raised NotImplementedError)."], hint)
    except Exception as err:  # noqa: BLE001 - the learner's error, shown as a check failure
        first = " ".join(str(err).split())
        _fail(name, [f"raised {type(err).__name__}: {first[:400]}"], hint)


def in_student_kernel(function: Callable) -> Callable:
    """Mark a test helper that must run where the learner's code runs; returns ``function`` unchanged.

    In a learner's own notebook everything runs in one process, so this changes nothing. Under the
    class grader, test cells run in the grader's process and the learner's functions are remote; a
    helper marked like this is sent (by its source) to the learner's kernel and called there, so it
    must take and return plain data (numbers, strings, lists, dicts, arrays), e.g. the layer names
    and the outputs of a model it builds from the learner's function.
    """
    function.__course_kernel_side__ = True
    return function


def rng(*key: int) -> np.random.Generator:
    """The random generator a test cell draws its inputs from (under the class grader: also the batch's seed)."""
    return np.random.default_rng([int(k) for k in key])


def call_on_copies(function: Callable, *args: Any, **kwargs: Any) -> tuple[Any, tuple]:
    """Call ``function`` on copies of its array arguments; return ``(result, copies)``.

    ``copies`` holds the positional arguments as the call left them: a test that checks that a
    function does not change its input compares ``copies[0]`` with the input (which never changes).
    Under the class grader the call runs in the learner's kernel and only these copies receive what
    it did in place; nothing a call does reaches the grader's own arrays.
    """
    copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return function(*copies, **kwargs), copies


def passed(what: str, points: int | None = None) -> None:
    """Print the one-line success message at the end of a test cell."""
    extra = f" ({points} point{'s' if points != 1 else ''})" if points is not None else ""
    print(f"✔ {what}: all checks passed{extra}.")


def fill_weights(model) -> None:
    """Set every weight of a Keras model from a generator keyed by the layer's kind and the
    weight's shape, so that two models with the same layers get the same numbers.

    Used by checks that compare a learner's block with a reference built the same way.
    BatchNormalization layers get gamma in [0.5, 1.5], beta ~ N(0, 0.5), moving mean ~ N(0, 0.2)
    and moving variance in [0.5, 1.5]; every other kernel ~ N(0, 1/sqrt(fan-in)), biases ~ N(0, 0.2).
    """
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if type(layer).__name__ == "BatchNormalization":
            c = weights[0].shape[0]
            rng = np.random.default_rng([7, c])
            new = [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.5, c), rng.normal(0, 0.2, c), rng.uniform(0.5, 1.5, c)]
        else:
            new = []
            for j, w in enumerate(weights):
                rng = np.random.default_rng([11, j] + [int(d) for d in w.shape])
                scale = 1 / np.sqrt(max(1, int(np.prod(w.shape[:-1]))))
                new.append(rng.normal(0, scale if w.ndim > 1 else 0.2, w.shape))
        layer.set_weights([n.astype("float32") for n in new])


# --------------------------------------------------------------------------- generated cases
#
# A check over generated cases runs the learner's function on every case an exercise declares (shapes
# non-square and of size one, every argument away from its default, ties, degenerate and extreme inputs)
# and compares with outputs stored as data: ``course_utils/cases/<exercise>.npz``, computed once from
# the reference solution by ``python -m course_tools cases`` (values, never the algorithm). The cases
# come in order, from the small diagnostic ones to the general ones, and the first failing case is
# shown small, with what was expected, what came back and a hint for that kind of case.


def rel_error(x: Any, y: Any) -> float:
    """The largest relative error max |x - y| / max(1e-8, |x| + |y|), as in cs231n's gradient checks."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))) if x.size else 0.0


def numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, df: Any = None, h: float = 1e-5) -> np.ndarray:
    """Centred differences of ``L(x) = sum(f(x) * df)`` for every number of ``x``: (L(x + h) - L(x - h)) / 2h.

    ``f`` takes the array ``x`` (float64, changed one number at a time and restored, so ``f`` must read it
    afresh on each call); ``df`` has the shape of ``f(x)`` (default: ones, i.e. the gradient of the sum).
    Returns an array of the shape of ``x``. With ``L`` linear in each number the differences are exact up
    to rounding (about 1e-10 relative in float64).
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array, got {x.dtype}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        losses = []
        for value in (old + h, old - h):
            x[idx] = value
            out = np.asarray(to_numpy(f(x)), dtype=np.float64)
            losses.append(float(np.sum(out * (1.0 if df is None else np.asarray(df)))))
        x[idx] = old
        grad[idx] = (losses[0] - losses[1]) / (2 * h)
    return grad


class Case:
    """One generated case of an exercise: the inputs, what the reference returned, and how to compare.

    Attributes: ``exercise``, ``index`` (1-based) and ``total``; ``kind`` (what is special about it, e.g.
    "non-square kernel, stride 3, pad 2"), ``hint``, ``group``; ``args`` (tuple), ``kwargs`` (dict),
    ``expected``; ``options`` (``probe``, ``select``, ``returns``, ``dtype``, ``atol``, ``rtol``, ...);
    ``argnames`` (the names of the positional arguments, for messages); ``fresh`` (drawn at grading time:
    messages then say which kind of case failed, never its inputs).
    """

    def __init__(
        self, exercise, index, total, kind, args, kwargs, expected, options, hint="", group="", argnames=(), fresh=False
    ):
        self.exercise, self.index, self.total = exercise, index, total
        self.kind, self.hint, self.group = kind, hint, group
        self.args, self.kwargs, self.expected = tuple(args), dict(kwargs), expected
        self.options, self.argnames, self.fresh = dict(options), tuple(argnames), fresh

    def __repr__(self):
        return f"Case({self.exercise!r} {self.index}/{self.total}: {self.kind})"


def _cases_dir() -> Path:
    return Path(globals().get("__file__") or ".").resolve().with_name("cases")


def _decode(value: Any, arrays) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "$a" in value:
        return np.array(arrays[value["$a"]])
    if "$s" in value:
        return np.array(arrays[value["$s"]])[()]
    if "$t" in value:
        return tuple(_decode(v, arrays) for v in value["$t"])
    if "$d" in value:
        return {k: _decode(v, arrays) for k, v in value["$d"].items()}
    if "$f" in value:
        return float(value["$f"])
    raise ValueError(f"unknown stored value {sorted(value)}")


def cases(exercise: str, *, group: str | None = None) -> list[Case]:
    """The stored cases of ``exercise`` (``course_utils/cases/<exercise>.npz``), optionally one group of them."""
    path = _cases_dir() / f"{exercise}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored cases for {exercise!r} ({path}); a maintainer builds them with `python -m course_tools cases`"
        )
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"][()]))
        arrays = {k: stored[k] for k in stored.files if k != "meta"}
    found = []
    total = len(meta["cases"])
    for i, c in enumerate(meta["cases"], start=1):
        options = dict(meta.get("options", {}), **c.get("options", {}))
        found.append(
            Case(
                exercise,
                i,
                total,
                c["kind"],
                _decode(c["args"], arrays),
                _decode(c["kwargs"], arrays),
                _decode(c["expected"], arrays),
                options,
                hint=c.get("hint") or meta.get("hint", ""),
                group=c.get("group", ""),
                argnames=meta.get("argnames", ()),
            )
        )
    return [c for c in found if group is None or c.group == group]


def _type_name(value: Any) -> str:
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}"


@in_student_kernel
def probe_call(fn, args, kwargs, options=None):
    """Call ``fn(*args, **kwargs)`` and describe what came back, as plain data (runs beside the learner's code).

    Returns ``{"value", "type", "types", "dtype", "mutated", "aliased"}``: the output (``options["select"]``
    picks one part of a tuple, e.g. ``Z`` of ``(Z, cache)``) with tensors converted to NumPy, its type
    (and its items' types), the arguments the call changed in place, and those the output shares memory with.

    ``options["models"]`` lists the positions of arguments stored as model specs, built here into a
    ``keras.Sequential`` before the call: ``{"input": shape, "layers": [(layer class, kwargs), ...], "weights":
    [arrays], "dtype"}`` (``"numpy": True``: a function batch -> NumPy scores instead). ``options["scale"] ==
    "max"`` divides the output by its largest absolute value (an answer defined up to a positive factor).
    ``options["rng_args"]`` lists the positions of arguments stored as an int seed and given to ``fn`` as
    ``np.random.default_rng(seed)``.
    """
    import numpy as np

    options = options or {}
    args = list(args)
    for i in options.get("rng_args", ()):  # a stored seed given to the function as a NumPy generator
        args[i] = np.random.default_rng(int(args[i]))

    def build(spec):
        import keras

        dtype = spec.get("dtype", "float32")
        layers = [getattr(keras.layers, kind)(**dict(config, dtype=dtype)) for kind, config in spec["layers"]]
        net = keras.Sequential([keras.Input(tuple(int(d) for d in spec["input"]), dtype=dtype)] + layers)
        net.set_weights([np.asarray(w, dtype=dtype) for w in spec["weights"]])
        if not spec.get("numpy"):
            return net
        return lambda batch: np.asarray(keras.ops.convert_to_numpy(net(np.asarray(batch, dtype=dtype))))

    args = [build(a) if i in options.get("models", ()) else a for i, a in enumerate(args)]

    def plain(v, depth=0):
        if isinstance(v, np.ndarray) or isinstance(v, np.generic) or v is None or type(v) in (bool, int, float, str):
            return v
        module = type(v).__module__.split(".")[0]
        if module == "torch" and hasattr(v, "detach"):
            return v.detach().cpu().numpy()
        if module in ("tensorflow", "keras", "jax", "jaxlib") and hasattr(v, "numpy"):
            return np.asarray(v.numpy())
        if depth < 4 and isinstance(v, (list, tuple)):
            return type(v)(plain(x, depth + 1) for x in v) if type(v) in (list, tuple) else [plain(x) for x in v]
        if depth < 4 and isinstance(v, dict):
            return {str(k): plain(x, depth + 1) for k, x in v.items()}
        try:
            return float(v)
        except Exception:  # noqa: BLE001
            return f"<{type(v).__module__}.{type(v).__qualname__}>"

    def arrays_of(args, kwargs):
        found = [(f"#{i}", a) for i, a in enumerate(args) if isinstance(a, np.ndarray)]
        return found + [(k, a) for k, a in kwargs.items() if isinstance(a, np.ndarray)]

    inputs = arrays_of(args, kwargs)
    before = [(k, a.copy()) for k, a in inputs]
    out = fn(*args, **kwargs)
    part = out
    select = options.get("select")
    if select is not None:
        if not isinstance(out, (tuple, list)) or len(out) <= select:
            n = len(out) if isinstance(out, (tuple, list)) else None
            return {
                "value": None,
                "type": f"{type(out).__module__}.{type(out).__qualname__}",
                "types": [],
                "dtype": None,
                "mutated": [],
                "aliased": [],
                "not_a_tuple": n,
            }
        part = out[select]
    t = type(part)
    result = {
        "value": plain(part),
        "type": f"{t.__module__}.{t.__qualname__}",
        "types": [f"{type(x).__module__}.{type(x).__qualname__}" for x in part]
        if isinstance(part, (tuple, list))
        else [],
        "dtype": str(getattr(part, "dtype", "")) or None,
        "mutated": [
            k
            for (k, a), (_, b) in zip(inputs, before)
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
        ],
        "aliased": [],
    }
    outs = part if isinstance(part, (tuple, list)) else [part]
    for o in outs:
        if isinstance(o, np.ndarray):
            result["aliased"] += [k for k, a in inputs if np.shares_memory(o, a)]
    value = result["value"]
    if options.get("scale") == "max" and isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.size:
        peak = float(np.max(np.abs(value)))
        result["value"] = value / peak if np.isfinite(peak) and peak > 0 else value
    return result


@in_student_kernel
def probe_tensor(fn, args, kwargs, options=None):
    """Call ``fn`` on backend tensors and differentiate through it (runs beside the learner's code).

    ``options["tensor_args"]`` lists the positions of the arguments given as float32 tensors (default: every
    array argument; a list of arrays becomes a list of tensors); the gradient of ``sum(out * w)`` (``w`` a fixed
    pattern of the output's shape) is taken with respect to those listed in ``options["grad_args"]`` (default:
    the same). Returns ``{"value", "type", "grads", "grad_types", "dtype"}``; a gradient is ``None`` where none
    flows back (NumPy, ``float()`` or a stop-gradient on the way), and a list of gradients for a list argument.
    """
    import keras
    import numpy as np

    options = options or {}
    args = list(args)
    positions = options.get("tensor_args")
    if positions is None:
        positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    grad_positions = options.get("grad_args", positions)

    def tensor(a):
        if type(a) in (list, tuple):
            return [tensor(v) for v in a]
        return keras.ops.convert_to_tensor(np.asarray(a, dtype="float32"))

    for i in positions:
        args[i] = tensor(args[i])
    backend = keras.backend.backend()

    def weights_like(value):
        shape = tuple(value.shape)
        n = int(np.prod(shape)) if shape else 1
        return np.cos(0.7 * np.arange(n) + 0.3).reshape(shape).astype("float32")

    def select(out):
        s = options.get("select")
        return out if s is None else out[s]

    def flat(i):
        return args[i] if isinstance(args[i], list) else [args[i]]

    def regroup(found):
        """One gradient per position of grad_args (a list of them, or None, for a list argument)."""
        out, k = [], 0
        for i in grad_positions:
            part, k = found[k : k + len(flat(i))], k + len(flat(i))
            out.append(part[0] if not isinstance(args[i], list) else None if any(g is None for g in part) else part)
        return out

    grads = [None] * len(grad_positions)
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            for i in grad_positions:
                for t in flat(i):
                    tape.watch(t)
            out = select(fn(*args, **kwargs))
            is_tensor = tf.is_tensor(out)
            if is_tensor:
                loss = tf.reduce_sum(tf.cast(out, "float32") * weights_like(out))
        if is_tensor:
            got = tape.gradient(loss, [t for i in grad_positions for t in flat(i)])
            grads = regroup([None if g is None else np.asarray(tf.convert_to_tensor(g)) for g in got])
    elif backend == "torch":
        import torch

        for i in grad_positions:
            fresh = [t.detach().clone().requires_grad_(True) for t in flat(i)]
            args[i] = fresh if isinstance(args[i], list) else fresh[0]
        out = select(fn(*args, **kwargs))
        if isinstance(out, torch.Tensor) and out.requires_grad:
            loss = (out.float() * torch.as_tensor(weights_like(out))).sum()
            loss.backward()
            found = [None if t.grad is None else t.grad.detach().cpu().numpy() for i in grad_positions for t in flat(i)]
            grads = regroup(found)
    else:
        out = select(fn(*args, **kwargs))
    t = type(out)
    value = out
    if hasattr(out, "detach"):
        value = out.detach().cpu().numpy()
    elif hasattr(out, "numpy"):
        value = np.asarray(out.numpy())
    elif not isinstance(out, (np.ndarray, np.generic, float, int)):
        value = f"<{t.__module__}.{t.__qualname__}>"
    return {
        "value": value,
        "type": f"{t.__module__}.{t.__qualname__}",
        "grads": grads,
        "dtype": str(getattr(out, "dtype", "")) or None,
        "mutated": [],
        "aliased": [],
        "types": [],
    }


@in_student_kernel
def probe_block(fn, args, kwargs, options=None):
    """Build ``keras.Model(inp, fn(inp, *args[1:], **kwargs))`` on ``keras.Input(args[0].shape[1:])``, fill its
    weights with fixed numbers and run it on the batch ``args[0]`` (runs beside the learner's code).

    The weights come from generators keyed by each layer's kind and each weight's shape (as
    :func:`fill_weights`; ``options["zero_bias"]`` sets convolution and dense biases to 0, so that a block
    with and one without biases agree). Returns ``{"value": [output in inference mode, output in training
    mode], "params", "layers"}`` (``options["modes"]`` = ``["inference"]`` skips the training-mode run).
    ``options["inputs"]`` = k: the first k arguments are batches, each given to ``fn`` as a ``keras.Input``
    (a block with a skip connection); a block that returns several tensors gives a list per mode.
    """
    import keras
    import numpy as np

    options = options or {}
    n_in = int(options.get("inputs", 1))
    xs = [np.asarray(a, dtype="float32") for a in args[:n_in]]
    inps = [keras.Input(tuple(a.shape[1:])) for a in xs]
    x = xs if n_in > 1 else xs[0]
    model = keras.Model(inps if n_in > 1 else inps[0], fn(*inps, *args[n_in:], **kwargs))
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            c = weights[0].shape[0]
            g = np.random.default_rng([7, c])
            new = [g.uniform(0.5, 1.5, c), g.normal(0, 0.5, c), g.normal(0, 0.2, c), g.uniform(0.5, 1.5, c)]
            new = new[: len(weights)] if len(weights) == 4 else [w for w in new[:2]][: len(weights)]
        else:
            new = []
            for j, w in enumerate(weights):
                g = np.random.default_rng([11, j] + [int(d) for d in w.shape])
                scale = 1 / np.sqrt(max(1, int(np.prod(w.shape[:-1]))))
                value = g.normal(0, scale if w.ndim > 1 else 0.2, w.shape)
                if w.ndim == 1 and options.get("zero_bias"):
                    value = np.zeros(w.shape)
                new.append(value)
        layer.set_weights([n.astype("float32") for n in new])

    def run(training):
        out = model(x, training=training)
        if isinstance(out, (list, tuple)):
            return [np.asarray(keras.ops.convert_to_numpy(o)) for o in out]
        return np.asarray(keras.ops.convert_to_numpy(out))

    outputs = [run(False)]
    if "training" in options.get("modes", ["inference", "training"]):
        outputs.append(run(True))
    return {
        "value": outputs,
        "params": int(model.count_params()),
        "layers": [type(la).__name__ for la in model.layers],
        "type": "keras.Model",
        "types": [],
        "dtype": None,
        "mutated": [],
        "aliased": [],
    }


@in_student_kernel
def probe_model(fn, args, kwargs, options=None):
    """Call a model builder ``fn(*args, **kwargs)``, fill the model's weights with fixed numbers (as
    :func:`probe_block`) and run it on ``options["x"]`` (runs beside the learner's code).

    Returns ``{"value": [outputs per mode], "params", "layers", "output_shape"}``.
    """
    import keras
    import numpy as np

    options = options or {}
    model = fn(*args, **kwargs)
    if not isinstance(model, keras.Model):
        t = type(model)
        return {
            "value": None,
            "type": f"{t.__module__}.{t.__qualname__}",
            "types": [],
            "dtype": None,
            "mutated": [],
            "aliased": [],
            "params": None,
            "layers": [],
        }
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if type(layer).__name__ == "BatchNormalization":
            c = weights[0].shape[0]
            g = np.random.default_rng([7, c])
            new = [g.uniform(0.5, 1.5, c), g.normal(0, 0.5, c), g.normal(0, 0.2, c), g.uniform(0.5, 1.5, c)]
        else:
            new = []
            for j, w in enumerate(weights):
                g = np.random.default_rng([11, j] + [int(d) for d in w.shape])
                scale = 1 / np.sqrt(max(1, int(np.prod(w.shape[:-1]))))
                new.append(g.normal(0, scale if w.ndim > 1 else 0.2, w.shape))
        layer.set_weights([n.astype("float32") for n in new[: len(weights)]])
    x = np.asarray(options["x"], dtype="float32")
    outputs = [np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))]
    if "training" in options.get("modes", ["inference"]):
        outputs.append(np.asarray(keras.ops.convert_to_numpy(model(x, training=True))))
    return {
        "value": outputs,
        "params": int(model.count_params()),
        "layers": [type(la).__name__ for la in model.layers],
        "output_shape": [None if d is None else int(d) for d in model.outputs[0].shape],  # a Sequential has no .output
        "type": "keras.Model",
        "types": [],
        "dtype": None,
        "mutated": [],
        "aliased": [],
    }


@in_student_kernel
def probe_on_model(fn, args, kwargs, options=None):
    """Call ``fn`` on Keras models built here, from plain data, and describe the result and the models after
    the call (runs beside the learner's code).

    The argument ``"$base"`` becomes a small convolutional base: the layers ``options["base"]`` (a list of
    ``[class name, config]``) chained on ``keras.Input(options["input"])``, weights filled as
    :func:`probe_block`; ``"$model"`` becomes a classifier on it (``base(x, training=False)``, global average
    pooling, ``Dense(2, softmax)``), the base frozen, compiled with Adam(1e-3), categorical cross-entropy and no
    metric (Keras 3.15 keeps the loss and the metrics of an earlier compile when a later one leaves them out).
    ``options["frozen"]`` (default True) says whether the base arrives frozen (``base.trainable =
    False``); ``options["frozen_layers"]`` names base layers frozen one by one before the call.

    ``options["report"]`` lists what ``value`` holds (a dict), in order: ``returned`` (which argument came back:
    ``"$base"``, ``"$model"``, ``"a new keras.Model"`` or a type name), ``trainable`` (``{layer name: flag}`` of
    the base's layers after the call), ``n_trainable`` (trainable parameters of the first argument, or of a
    returned new model), ``outputs`` (a returned model run on ``options["x"]``, per mode of ``options["modes"]``,
    its new layers' weights filled as :func:`probe_block`), ``input_shape``, ``compiled`` (of the first model
    argument: the optimizer's class, whether it is a new one, its learning rate to 4 digits, the loss's name and
    ``from_logits``, and ``evaluate(options["x"], labels 0, 1, 0, ...)``); without ``report``, ``value`` is the
    result itself (NumPy). Arguments (positional or keyword) equal to ``"$base"`` or ``"$model"`` are replaced.
    """
    import keras
    import numpy as np

    options = options or {}

    def fill(layer):
        weights = layer.get_weights()
        if not weights or isinstance(layer, keras.Model):
            return
        if type(layer).__name__ == "BatchNormalization":
            c = weights[0].shape[0]
            g = np.random.default_rng([7, c])
            new = [g.uniform(0.5, 1.5, c), g.normal(0, 0.5, c), g.normal(0, 0.2, c), g.uniform(0.5, 1.5, c)]
        else:
            new = []
            for j, w in enumerate(weights):
                g = np.random.default_rng([11, j] + [int(d) for d in w.shape])
                scale = 1 / np.sqrt(max(1, int(np.prod(w.shape[:-1]))))
                new.append(g.normal(0, scale if w.ndim > 1 else 0.2, w.shape))
        layer.set_weights([n.astype("float32") for n in new[: len(weights)]])

    def count(model):
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    inp = keras.Input(tuple(options["input"]))
    h = inp
    for kind, config in options["base"]:
        h = getattr(keras.layers, kind)(**config)(h)
    base = keras.Model(inp, h, name="base")
    for layer in base.layers:
        fill(layer)
    x_in = keras.Input(tuple(options["input"]))
    pooled = keras.layers.GlobalAveragePooling2D()(base(x_in, training=False))
    model = keras.Model(x_in, keras.layers.Dense(2, activation="softmax")(pooled), name="classifier")
    fill(model.layers[-1])
    base.trainable = not options.get("frozen", True)
    for name in options.get("frozen_layers", ()):
        base.get_layer(name).trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    first_optimizer = model.optimizer
    known = {"$base": base, "$model": model}
    args = [known.get(a, a) if isinstance(a, str) else a for a in args]
    kwargs = {k: known.get(a, a) if isinstance(a, str) else a for k, a in kwargs.items()}
    given = next((a for a in list(args) + list(kwargs.values()) if isinstance(a, keras.Model)), None)
    out = fn(*args, **kwargs)
    t = type(out)
    result = {"type": f"{t.__module__}.{t.__qualname__}", "types": [], "dtype": None, "mutated": [], "aliased": []}
    if "report" not in options:
        value = out
        if hasattr(out, "detach"):
            value = out.detach().cpu().numpy()
        elif hasattr(out, "numpy") and not isinstance(out, np.ndarray):
            value = np.asarray(out.numpy())
        result.update(value=value, dtype=str(getattr(out, "dtype", "")) or None)
        return result
    new_model = isinstance(out, keras.Model) and out is not base and out is not model
    value = {}
    for key in options["report"]:
        if key == "returned":
            value[key] = next((k for k, v in known.items() if out is v), None) or (
                "a new keras.Model" if new_model else result["type"]
            )
        elif key == "trainable":
            value[key] = {la.name: bool(la.trainable) for la in base.layers if type(la).__name__ != "InputLayer"}
        elif key == "n_trainable":
            target = out if new_model else given
            value[key] = count(target) if isinstance(target, keras.Model) else None
        elif key == "input_shape":
            value[key] = [None if d is None else int(d) for d in out.inputs[0].shape] if new_model else None
        elif key == "outputs":
            if not new_model:
                value[key] = None
                continue
            for layer in out.layers:
                fill(layer)
            x = np.asarray(options["x"], dtype="float32")
            value[key] = [
                np.asarray(keras.ops.convert_to_numpy(out(x, training=mode == "training")))
                for mode in options.get("modes", ["inference", "training"])
            ]
            result["params"] = int(out.count_params())
            result["output_shape"] = [None if d is None else int(d) for d in out.outputs[0].shape]
        elif key == "compiled":
            target = given
            optimizer = getattr(target, "optimizer", None)
            loss = getattr(target, "loss", None)
            config = loss.get_config() if hasattr(loss, "get_config") else {}
            name = loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", repr(loss)))
            x = np.asarray(options["x"], dtype="float32")
            try:
                target.run_eagerly = True  # a throw-away model: no graph traced (nor retracing warnings) per case
                scores = target.evaluate(x, np.arange(len(x)) % 2, verbose=0, return_dict=True)
                scores = {k: float(v) for k, v in sorted(scores.items())}
            except Exception as err:  # noqa: BLE001 - shown as what came back
                scores = f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
            value[key] = {
                "optimizer": type(optimizer).__name__,
                "new_optimizer": optimizer is not first_optimizer,
                "learning_rate": f"{float(np.asarray(keras.ops.convert_to_numpy(optimizer.learning_rate))):.4g}"
                if optimizer is not None
                else None,
                "loss": str(name),
                "from_logits": bool(config.get("from_logits", False)),
                "evaluate": scores,
            }
    result["value"] = value
    return result


_PROBES = {
    "call": "probe_call",
    "tensor": "probe_tensor",
    "block": "probe_block",
    "model": "probe_model",
    "on_model": "probe_on_model",
}


def _describe(value: Any, limit: int = 12) -> str:
    """A short description of an argument for a message: small arrays by value, larger ones by shape."""
    if isinstance(value, dict) and "layers" in value and "weights" in value:  # a model given as data
        return str(value.get("name", "a small Keras model"))
    if isinstance(value, np.ndarray):
        if value.size <= limit and value.ndim <= 2 + sum(d == 1 for d in value.shape):
            text = " ".join(_short(np.squeeze(value)).split())
            return text + ("" if value.ndim <= 1 else f" (shape {value.shape})")
        return f"array {value.shape} {value.dtype}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, dict) and "layers" in value and "name" in value:  # a model spec (probe option "models")
        return str(value["name"])
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        return "[" + ", ".join(_describe(v).replace("array ", "", 1) for v in value) + "]"
    if isinstance(value, str) and value.startswith("$"):  # an object the probe builds (probe_on_model)
        return value
    return _short(value, 80)


def _call_line(case: Case, name: str) -> str:
    parts = []
    for i, a in enumerate(case.args):
        label = case.argnames[i] if i < len(case.argnames) else None
        text = _describe(a)
        if label and text.startswith("array "):
            text = f"{label} {text[6:]}"
        elif text.startswith("$"):
            text = label or text[1:]
        elif i in case.options.get("rng_args", ()):
            text = f"{label or 'rng'}=np.random.default_rng({a})"
        elif label:
            text = f"{label}={text}"
        parts.append(text)
    parts += [f"{k}={_describe(v)}" for k, v in case.kwargs.items()]
    return f"called {name}({', '.join(parts)})"


def _shown(value: Any) -> str:
    """An array squeezed to the shape the text uses, printed small."""
    if isinstance(value, np.ndarray) and value.ndim > 2:
        squeezed = np.squeeze(value)
        if squeezed.ndim <= 2:
            return _short(squeezed, 400)
    return _short(value, 400)


def _compare(expected: Any, got: Any, atol: float, rtol: float, where: str = "") -> list[str] | None:
    """Lines saying how ``got`` differs from ``expected`` (None if they agree within the tolerances)."""
    at = f" {where}" if where else ""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"expected a dict{at}, got {type(got).__name__}"]
        if set(map(str, got)) != set(expected):
            return [f"expected the keys {sorted(expected)}{at}", f"got the keys      {sorted(map(str, got))}"]
        got = {str(k): v for k, v in got.items()}
        for k in expected:
            found = _compare(expected[k], got[k], atol, rtol, f"{where}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return [f"expected a {type(expected).__name__} of {len(expected)}{at}, got {type(got).__name__}"]
        if len(got) != len(expected):
            return [f"expected {len(expected)} items{at}, got {len(got)}"]
        for i, (e, g) in enumerate(zip(expected, got)):
            found = _compare(e, g, atol, rtol, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, str) or expected is None or isinstance(expected, bool):
        if got == expected:
            return None
        return [f"expected{at} {expected!r}", f"got     {' ' * len(at)} {_short(got, 200)}"]
    try:
        g = np.asarray(got)
    except Exception:  # noqa: BLE001
        return [f"expected a number or an array{at}, got {type(got).__name__}"]
    e = np.asarray(expected)
    if g.dtype == object or g.dtype.kind not in "biuf":
        return [f"expected numbers{at}, got {_short(got, 200)} ({type(got).__name__})"]
    if g.shape != e.shape:
        return [f"expected shape{at} {e.shape}", f"got shape     {' ' * len(at)} {g.shape}"]
    if e.dtype.kind == "b" or g.dtype.kind == "b":
        return (
            None
            if np.array_equal(g.astype(bool), e.astype(bool))
            else [f"values differ{at}", f"expected {_shown(e)}", f"got      {_shown(g)}"]
        )
    ef, gf = e.astype(np.float64), g.astype(np.float64)
    if np.allclose(gf, ef, atol=atol, rtol=rtol, equal_nan=True) and np.array_equal(np.isnan(gf), np.isnan(ef)):
        return None
    if ef.ndim == 0:
        close = f" (tolerance atol={atol:g}, rtol={rtol:g})" if e.dtype.kind == "f" else ""
        return [f"expected{at} {_short(expected)}", f"got     {' ' * len(at)} {_short(got)}{close}"]
    diff = np.array(np.abs(gf - ef), ndmin=1)
    diff[np.array(np.isnan(gf) & np.isnan(ef), ndmin=1)] = 0  # NaN where NaN is expected: no difference
    diff[np.array(np.isnan(gf) != np.isnan(ef), ndmin=1)] = np.inf
    flat = int(np.argmax(np.nan_to_num(diff, nan=np.inf, posinf=np.inf))) if diff.size else 0
    where_max = tuple(int(i) for i in np.unravel_index(flat, ef.shape)) if ef.ndim else ()
    e_at, g_at = float(ef[where_max]), float(gf[where_max])
    index = f" at index {where_max}" if where_max else ""
    part, label = _plane(ef.shape, where_max)
    return [
        f"values differ{at} (largest difference{index}: expected {e_at:.6g}, got {g_at:.6g}; "
        f"tolerance atol={atol:g}, rtol={rtol:g})",
        f"expected{label} {_shown(e[part])}",
        f"got{' ' * 5}{label} {_shown(g[part])}",
    ]


def _plane(shape: tuple, where: tuple) -> tuple[tuple, str]:
    """The 2-D slice through ``where`` that a message shows of an array with more than two axes of size > 1: the
    two axes before the last (the height and width of (m, n_H, n_W, n_C)), e.g. ``[1, :, :, 2]``."""
    if sum(d > 1 for d in shape) <= 2 or len(shape) < 3:
        return (), ""
    keep = (len(shape) - 3, len(shape) - 2)
    part = tuple(slice(None) if k in keep else where[k] for k in range(len(shape)))
    return part, "[" + ", ".join(":" if k in keep else str(where[k]) for k in range(len(shape))) + "]"


_RETURNS = {
    "numpy": ("a NumPy array", lambda t: t == "numpy.ndarray"),
    "number": ("one number (a float)", lambda t: t in ("builtins.float", "builtins.int") or t.startswith("numpy.")),
    "float": ("a Python float", lambda t: t in ("builtins.float", "numpy.float64")),
    "int": ("an int", lambda t: t in ("builtins.int",) or t.startswith("numpy.int")),
    "pyint": ("a Python int", lambda t: t == "builtins.int"),
    "tensor": ("a backend tensor", lambda t: t.split(".")[0] in ("tensorflow", "torch", "jax", "jaxlib")),
    "tuple": ("a tuple", lambda t: t in ("builtins.tuple",)),
    "list": ("a list", lambda t: t in ("builtins.list",)),
    "dict": ("a dict", lambda t: t in ("builtins.dict", "collections.OrderedDict")),
}


def _case_problems(case: Case, got: dict) -> tuple[list[str], str | None] | None:
    """What is wrong with one probe result, as (lines, hint), or None.

    ``case.expected`` is a dict of what the probe must return: ``value`` (compared within the case's
    tolerances), and where the exercise says so ``grads`` (gradients, see :func:`probe_tensor`), ``params``
    (a parameter count; ``options["params_also"]`` lists other accepted counts) and ``output_shape``;
    ``also`` lists other accepted values (answers the text allows that give another output).
    """
    o = case.options
    expected = case.expected if isinstance(case.expected, dict) else {"value": case.expected}
    if got.get("not_a_tuple", False) is not False:
        n = got["not_a_tuple"]
        return [
            f"expected a tuple whose item {o['select']} is the result, got {got['type']}"
            + (f" of {n} items" if n is not None else "")
        ], o.get("hint_return")
    returns = o.get("returns")
    if returns:
        text, ok = _RETURNS[returns]
        if not ok(got["type"]):
            shape = np.shape(got["value"]) if isinstance(got["value"], np.ndarray) else None
            return [f"expected {text}, got {got['type']}" + (f" of shape {shape}" if shape else "")], o.get(
                "hint_return"
            ) or _RETURN_HINTS.get(returns)
        if returns == "number" and np.ndim(got["value"]) != 0:
            return [f"expected one number, got an array of shape {np.shape(got['value'])}"], o.get("hint_return")
    items = o.get("items")
    if items and got.get("types"):
        text, ok = _RETURNS[items]
        if not all(ok(t) for t in got["types"]):
            return [f"expected every item to be {text}, got {', '.join(got['types'])}"], o.get(
                "hint_items"
            ) or _RETURN_HINTS.get(items)
    if got.get("mutated"):
        names = ", ".join(_argname(case, k) for k in got["mutated"])
        return [f"changed its input {names} in place"], (
            "work on a copy (or build a new array): a function must not change what it is given."
        )
    if got.get("aliased") and not o.get("may_alias"):
        names = ", ".join(_argname(case, k) for k in got["aliased"])
        return [f"returned its input {names} itself (or a view of it), not a new array"], (
            "return a new array: a caller who changes the result must not change the input with it."
        )
    kind = o.get("dtype")
    if kind and got.get("dtype") and _is_dtype(got["dtype"]):
        kinds = {"float": "f", "int": "iu", "bool": "b"}
        if kind in kinds and np.dtype(got["dtype"]).kind not in kinds[kind]:
            return [f"expected a {kind} array, got dtype {got['dtype']}"], o.get("hint_dtype")
        if kind not in kinds and np.dtype(got["dtype"]) != np.dtype(kind):  # an exact dtype, e.g. "uint8"
            return [f"expected dtype {kind}, got dtype {got['dtype']}"], o.get("hint_dtype")
    if "params" in expected and got.get("params") is not None:
        accepted = [expected["params"]] + list(o.get("params_also", []))
        if got["params"] not in accepted:
            return [f"expected {' or '.join(map(str, accepted))} parameters, got {got['params']}"], o.get("hint_params")
    if "output_shape" in expected and got.get("output_shape") != list(expected["output_shape"]):
        return [
            f"expected output shape {tuple(expected['output_shape'])}",
            f"got output shape      {tuple(got.get('output_shape') or ())}",
        ], None
    atol, rtol = float(o.get("atol", 1e-6)), float(o.get("rtol", 1e-5))
    found = _compare_runs(expected.get("value"), got["value"], atol, rtol, o)
    if found and any(_compare_runs(alt, got["value"], atol, rtol, o) is None for alt in expected.get("also", [])):
        found = None  # another answer the text allows (e.g. the stride on another convolution)
    if found:
        lines, mode = found
        return lines, (o.get("hint_training") or _TRAINING_HINT) if mode == 1 else None
    if "grads" in expected:
        names = [case.argnames[i] if i < len(case.argnames) else f"argument {i + 1}" for i in o.get("grad_args", [])]
        for k, (want, have) in enumerate(zip(expected["grads"], got.get("grads") or [])):
            label = names[k] if k < len(names) else f"input {k + 1}"
            if have is None:
                return [f"the value is right, but no gradient flows back to {label}"], (
                    "keep the computation on tensors (keras.ops): NumPy, float() or .numpy() cut the gradient."
                )
            diff = _compare(
                want,
                have,
                10 * float(o.get("atol", 1e-6)),
                10 * float(o.get("rtol", 1e-5)),
                f"of the gradient with respect to {label}",
            )
            if diff:
                return diff, "the value is right but not its gradient: something on the way is not differentiable."
    return None


_MODES = ("in inference mode (training=False)", "in training mode (training=True)")
_TRAINING_HINT = (
    "right with training=False but not with training=True: let every layer follow the training flag "
    "(BatchNormalization normalises with the batch's own statistics in training)."
)


def _compare_runs(expected: Any, got: Any, atol: float, rtol: float, o: dict) -> tuple[list[str], int] | None:
    """Compare a probe's value; for blocks and models, run by run (inference, training) and output by output
    (``o["output_names"]``), so that the message says which. Returns (lines, index of the run) or None."""
    runs = o.get("probe") in ("block", "model") and isinstance(expected, list) and isinstance(got, list)
    if not runs or len(expected) != len(got):
        found = _compare(expected, got, atol, rtol)
        return (found, 0) if found else None
    names = o.get("output_names") or []
    for k, (e, g) in enumerate(zip(expected, got)):
        mode = _MODES[k] if k < len(_MODES) else f"in run {k + 1}"
        if names and isinstance(e, list) and isinstance(g, list) and len(e) == len(g) == len(names):
            for name, e_out, g_out in zip(names, e, g):
                found = _compare(e_out, g_out, atol, rtol, f"of {name} {mode}")
                if found:
                    return found, k
        else:
            found = _compare(e, g, atol, rtol, mode)
            if found:
                return found, k
    return None


_RETURN_HINTS = {
    "numpy": "return a NumPy array (np.asarray(...) if you built a list or a tensor).",
    "number": "return one number: float(...) of a sum, not an array.",
    "float": "return a Python float: float(...).",
    "pyint": "return a Python int: use // (floor division) and int(...), not /.",
    "tensor": "stay on backend tensors (keras.ops), so that gradients can flow through your result.",
}


def _is_dtype(text: str) -> bool:
    try:
        np.dtype(text)
    except TypeError:
        return False
    return True


def _argname(case: Case, key: str) -> str:
    if key.startswith("#"):
        i = int(key[1:])
        return case.argnames[i] if i < len(case.argnames) else f"argument {i + 1}"
    return key


def check_cases(
    fn: Callable, exercise: str, *, name: str | None = None, group: str | None = None, cases_: list[Case] | None = None
) -> int:
    """Run ``fn`` on every stored case of ``exercise`` and fail on the first case it gets wrong.

    For each case, in order: the call must not raise; the result must have the documented type (a NumPy
    array, a number, a tensor, ...), must not be the input itself nor change it; then shape, dtype and
    values are compared with the stored expected output (the case's tolerances). The failure names the
    case (what is special about it), the call, what was expected, what came back, and a hint for that kind
    of case. Returns the number of cases checked.
    """
    name = name or exercise
    if fn is None or not callable(fn):
        _fail(name, [f"expected a function, got {type(fn).__name__}"], "run the cell that defines it first.")
    todo = cases(exercise, group=group) if cases_ is None else cases_
    if not todo:
        _fail(name, ["no cases to check"], None)
    probes = globals()
    for case in todo:
        title = f"{name}, case {case.index} of {case.total} ({case.kind})"
        call = None if case.fresh else _call_line(case, name)
        probe = probes[_PROBES[case.options.get("probe", "call")]]
        try:
            got = probe(fn, [_copy(a) for a in case.args], {k: _copy(v) for k, v in case.kwargs.items()}, case.options)
        except NotImplementedError:
            _fail(name, ["is not implemented yet (raised NotImplementedError)."], None)
        except Exception as err:  # noqa: BLE001 - the learner's error, as a course message
            if type(err).__name__ in ("RemoteTimeout", "RemoteUnavailable"):
                raise
            first = " ".join(str(err).split())[:400]
            _fail(title, ([call] if call else []) + [f"raised {type(err).__name__}: {first}"], case.hint or None)
        found = _case_problems(case, got)
        if found:
            lines, hint = found
            if case.fresh:  # drawn at grading time: say what is wrong, never the values
                lines = [_fresh_line(lines[0])]
            _fail(title, ([call] if call else []) + lines, hint or case.hint or None)
    return len(todo)


_FRESH_LINES = (
    ("values differ", "the values are wrong"),
    ("expected shape", "the shape is wrong"),
    ("expected the keys", "the keys of the result are wrong"),
    ("expected numbers", "the result is not numbers"),
    ("expected ", "the result is wrong"),
    ("got ", "the result is wrong"),
)


def _fresh_line(line: str) -> str:
    """What a failure on a case drawn at grading time may say: the kind of mistake, never a value."""
    for prefix, text in _FRESH_LINES:
        if line.startswith(prefix):
            if prefix == "expected " and line.startswith(("expected a ", "expected an ", "expected one ")):
                return line  # a type or contract ("expected a NumPy array, got ..."): no value in it
            return text
    return line


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_copy(v) for v in value)
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return value
