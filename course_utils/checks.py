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
import math
import types
from collections.abc import Callable
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
]

#: What an exercise "with NumPy" must not call: the check compares with one of these.
LIBRARIES = ("keras", "tensorflow", "torch", "jax", "scipy")


numbers_like = (int, float, np.integer, np.floating)


def _fail(name: str, lines: list[str], hint: str | None) -> None:
    text = [f"{name}:"] + [f"    {line}" for line in lines]
    if hint:
        text.append(f"    Hint: {hint}")
    raise AssertionError("\n".join(text))


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
