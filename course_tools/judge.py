"""Verdicts outside the student's process: the trusted side of ``grade``.

Under ``python -m course_tools grade`` the student's answer cells (and the notebook's own cells
around them) run in the sandboxed kernel, as before, but **no test cell runs there**. The grader
runs each test cell itself, in this process, from the official notebook's text, in a namespace of
its own:

- the modules the notebook imports, the checks (``cu.checks``), and every name the test cells
  define are the grader's own;
- data the notebook's own cells define for the tests (a fixture array, a small dataset) is
  computed here too, by running those statements of the official notebook (a *slice*: only the
  statements a test needs, only those that do not use the student's code);
- every name the student's code defines (``conv_forward``, ``model``) is looked up in the kernel
  when the test cell starts. Plain data (numbers, strings, lists, dicts, arrays as bytes with dtype
  and shape) is copied; anything else (a function, a Keras model) is a :class:`Remote` handle:
  calling it, reading an attribute or converting it to an array sends a request to the kernel with
  the inputs as plain data and receives the result as plain data or another handle.

So the kernel only ever computes values under test on the inputs it is sent; the expected values,
the tolerances, the comparisons, the messages and the hidden tests' code never leave this process.
Everything that comes back is hostile data: arguments are sent as copies and nothing the kernel
sends is ever written into the grader's own values (a test that wants the learner's in-place result
asks for it with ``cu.checks.call_on_copies`` and gets scratch copies), and every reply is decoded
with limits on its size, nesting, number of values, array item size and bytes, all checked before
anything is allocated (:class:`_Budget`).

Random inputs come from the judge's seed (one number per submission, :class:`Judge`'s ``seed``):
``cu.checks.rng(*key)`` of a test cell, visible or hidden, draws from ``[seed, *key]`` here (from
``key`` alone in a learner's kernel), and every ``np.random.default_rng(<literal seed>)`` of a
hidden test draws from ``[seed, literal]``: the inputs are not known when the work is handed in.

Limits (written in INSTRUCTORS.md): two structural checks are measured from the student's side and
could be faked by a submission that patches its own interpreter: ``check_uses_none_of`` reads the
*submitted source* here (trusted, but as easy to evade as any static check), and the "no Python
loop" line count of 01's ``conv_forward_fast`` runs in the kernel (:func:`in_student_kernel`).
"""

from __future__ import annotations

import ast
import base64
import binascii
import builtins
import contextlib
import io
import json
import linecache
import math
import secrets
import sys
import time
import traceback
import types
from pathlib import Path

import numpy as np

__all__ = ["Judge", "Remote", "StudentError", "RemoteTimeout", "plan_notebook", "KERNEL_SIDE"]

KERNEL_SIDE = (Path(__file__).with_name("judge_kernel.py")).read_text(encoding="utf-8")
INSTALL = (
    "import sys as _s, types as _t\n"
    "_m = _t.ModuleType('_course_remote')\n"
    f"exec(compile({KERNEL_SIDE!r}, '_course_remote', 'exec'), _m.__dict__)\n"
    "_s.modules['_course_remote'] = _m\n"
    "del _s, _t, _m\n"
)
MIME = "application/x-course-remote+json"
MAX_REPLY = 64 * 2**20  # characters of one reply
MAX_VALUES = 1_000_000  # JSON values in one reply (lists' items, dicts' keys and values)
MAX_DEPTH = 50  # nesting of one reply's values
MAX_ITEMSIZE = 2**20  # bytes of one array item (a text array of dtype <U262144 at most)
MAX_ARRAY_BYTES = 512 * 2**20  # bytes of all the arrays of one reply together
MAX_NDIM = 32
_TENSOR_MODULES = ("tensorflow", "torch", "jax", "jaxlib")


class StudentError(Exception):
    """An error the student's code raised in the kernel (type name and message as sent)."""


class RemoteTimeout(Exception):
    """The kernel did not answer within the test cell's time limit."""


class RemoteUnavailable(Exception):
    """The kernel died or answered with something that is not a reply."""


def _student_exception(ename: str, evalue: str) -> BaseException:
    """The student's error as an exception a test can catch: a builtin class where the name is one."""
    cls = getattr(builtins, str(ename), None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            err = cls(evalue)
        except Exception:  # noqa: BLE001 - exotic constructors (UnicodeError and co)
            err = StudentError(f"{ename}: {evalue}")
    else:
        err = StudentError(f"{ename}: {evalue}")
    err.__course_student__ = (str(ename), str(evalue))
    return err


# --------------------------------------------------------------------------- plain data, bounded


class _Budget:
    """What one reply may still make here: JSON values and array bytes, spent *before* allocating."""

    def __init__(self):
        self.values, self.bytes = MAX_VALUES, MAX_ARRAY_BYTES

    def spend(self, values: int = 1, nbytes: int = 0) -> None:
        self.values -= values
        self.bytes -= nbytes
        if self.values < 0 or self.bytes < 0:
            raise RemoteUnavailable(
                f"the kernel sent a value larger than the grader accepts (at most {MAX_VALUES} values and "
                f"{MAX_ARRAY_BYTES // 2**20} MB of arrays in one reply)"
            )


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise RemoteUnavailable(f"the kernel sent {what}")


def _check_dtype(text) -> np.dtype:
    _need(type(text) is str and len(text) <= 16, "an array without a valid dtype")
    dtype = np.dtype(text)
    _need(
        dtype.kind in "biufcUS" and not dtype.hasobject and not dtype.fields and dtype.subdtype is None,
        "an array of a dtype other than numbers or text",
    )
    _need(0 < dtype.itemsize <= MAX_ITEMSIZE, f"an array whose items are larger than {MAX_ITEMSIZE} bytes")
    return dtype


def _check_shape(shape) -> tuple:
    _need(type(shape) is list and len(shape) <= MAX_NDIM, "an array without a valid shape")
    _need(all(type(n) is int and n >= 0 for n in shape), "an array with a negative or non-integer shape")
    return tuple(shape)


def _parse_reply(raw, nonce: str):
    """The reply in one output of the kernel, or None: size and counts checked before JSON parses it."""
    if not isinstance(raw, str) or len(raw) > MAX_REPLY:
        return None
    if raw.count(",") + raw.count(":") > 2 * MAX_VALUES:  # every JSON value but the first follows one
        raise RemoteUnavailable(f"the kernel sent a reply of more than {MAX_VALUES} values")
    try:
        got = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return got if isinstance(got, dict) and got.get("nonce") == nonce else None


def _decode_array(value: dict, budget: _Budget) -> np.ndarray:
    """An array of the wire format; dtype, shape, item size and bytes checked before it is made."""
    dtype, shape = _check_dtype(value.get("dtype")), _check_shape(value.get("shape"))
    count = math.prod(shape)
    budget.spend(nbytes=count * dtype.itemsize)
    data = value["$array"]
    if value.get("text"):
        _need(type(data) is list and len(data) == count, "a text array whose items do not match its shape")
        _need(all(type(x) is str for x in data), "a text array with items that are not text")
        items = [x if dtype.kind == "U" else base64.b64decode(x, validate=True) for x in data]
        return np.array(items, dtype=dtype).reshape(shape)
    _need(type(data) is str and len(data) <= 4 * (count * dtype.itemsize + 2) // 3 + 4, "an array of the wrong size")
    raw = base64.b64decode(data, validate=True)
    _need(len(raw) == count * dtype.itemsize, "an array whose bytes do not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


_TAGS = {  # a tagged value of the wire format -> the Channel method that decodes it
    "$h": "_handle",
    "$tuple": "_tuple",
    "$dict": "_dict",
    "$int": "_int",
    "$float": "_float",
    "$complex": "_complex",
    "$bytes": "_bytes",
    "$slice": "_slice",
    "$array": "_array",
}


class Channel:
    """Requests to the student's kernel over an nbclient client; replies parsed as plain data only.

    Nothing a reply holds is written into the grader's values: arguments go out as copies, results
    come back as new values (:meth:`decode`, bounded by a :class:`_Budget` per reply).
    """

    def __init__(self, run_code, deadline: float | None = None):
        self.run_code = run_code  # (code, timeout) -> list of outputs (nbformat dicts)
        self.deadline = deadline
        self.requests = 0
        self.twins: dict[int, object] = {}
        self.remotes: dict[int, Remote] = {}
        self._budget = _Budget()

    def request(self, req: dict):
        nonce = secrets.token_hex(8)
        req = dict(req, nonce=nonce)
        text = base64.b64encode(json.dumps(req).encode()).decode()
        left = None if self.deadline is None else self.deadline - time.monotonic()
        if left is not None and left <= 0.5:
            raise RemoteTimeout("the test cell ran past its time limit")
        self.requests += 1
        outputs = self.run_code(f"__import__('_course_remote').server.serve({text!r})", left)
        reply, error = None, None
        for out in outputs if isinstance(outputs, list) else []:
            if not isinstance(out, dict):
                continue
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            got = _parse_reply(data.get(MIME) if isinstance(data, dict) else None, nonce)
            reply = got if got is not None else reply
            if out.get("output_type") == "error":
                error = (str(out.get("ename", "Error"))[:200], str(out.get("evalue", ""))[:4000])
        if reply is None:
            if error:
                raise _student_exception(*error)
            raise RemoteUnavailable("the kernel sent no reply (its channel was replaced or its output suppressed)")
        self._budget = _Budget()  # one per reply: what the grader makes of it is bounded
        if "error" in reply:
            sent = reply["error"] if isinstance(reply["error"], list) else []
            ename, evalue = ([str(x) for x in sent[:2]] + ["", ""])[:2]
            raise _student_exception(ename[:200], evalue[:4000])
        return reply

    # values --------------------------------------------------------------
    def decode(self, value):
        """A value of the kernel's reply as a new grader-side value (plain data, arrays, handles)."""
        try:
            return self._decode(value, 0)
        except RemoteUnavailable:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, binascii.Error) as err:
            raise RemoteUnavailable(f"the kernel sent a malformed value ({type(err).__name__})") from None

    def _decode(self, value, depth: int):
        _need(depth <= MAX_DEPTH, "a value nested too deep")
        self._budget.spend()
        t = type(value)
        if value is None or t in (bool, int, float, str):
            return value
        if t is list:
            return [self._decode(v, depth + 1) for v in value]
        _need(t is dict and len(value) <= 8, f"a {t.__name__}")
        tag = next((k for k in _TAGS if k in value), None)
        _need(tag is not None, "an unknown kind of value")
        return getattr(self, _TAGS[tag])(value, depth)

    def _items(self, value, tag: str, depth: int, most: int | None = None) -> list:
        items = value[tag]
        _need(type(items) is list and (most is None or len(items) <= most), f"a malformed {tag}")
        return [self._decode(v, depth + 1) for v in items]

    def _handle(self, value, depth):
        hid = value["$h"]
        _need(type(hid) is int, "a malformed handle")
        if hid not in self.remotes:  # one object per handle: `is` works on what the kernel returns
            self.remotes[hid] = Remote(self, hid, str(value.get("type", "?"))[:300])
        return self.remotes[hid]

    def _tuple(self, value, depth):
        return tuple(self._items(value, "$tuple", depth))

    def _dict(self, value, depth):
        out = {}
        for pair in self._items(value, "$dict", depth):
            _need(type(pair) is list and len(pair) == 2, "a malformed $dict")
            key, item = pair
            try:
                hash(key)
            except TypeError:
                key = repr(key)[:2000]
            out[key] = item
        return out

    def _int(self, value, depth):
        _need(type(value["$int"]) is str and len(value["$int"]) <= 4300, "a malformed $int")
        return int(value["$int"])

    def _float(self, value, depth):
        _need(type(value["$float"]) is str and len(value["$float"]) <= 64, "a malformed $float")
        return float(value["$float"])

    def _complex(self, value, depth):
        parts = value["$complex"]
        _need(type(parts) is list and len(parts) == 2, "a malformed $complex")
        return complex(*(self._float({"$float": p}, depth) for p in parts))

    def _bytes(self, value, depth):
        _need(type(value["$bytes"]) is str, "malformed $bytes")
        self._budget.spend(nbytes=len(value["$bytes"]))
        return base64.b64decode(value["$bytes"], validate=True)

    def _slice(self, value, depth):
        return slice(*self._items(value, "$slice", depth, most=3))

    def _array(self, value, depth):
        a = _decode_array(value, self._budget)
        if value.get("scalar"):
            return a[()]
        if value.get("tensor"):
            import keras

            return keras.ops.convert_to_tensor(a)
        return a

    def encode(self, value, depth: int = 0):
        """A grader-side value as plain data for the kernel (never a grader object)."""
        if depth > 50:
            raise TypeError("the grader cannot send a value nested this deep")
        t = type(value)
        if isinstance(value, Remote):
            if value._channel is not self:
                raise TypeError("a handle from another kernel")
            return {"$h": value._id}
        if isinstance(value, KernelHelper):
            return {"$code": value.source, "name": value.name}
        if isinstance(value, KerasTarget):
            return {"$keras": value.name}
        if isinstance(value, np.random.Generator):
            return {"$generator": self.encode(value.bit_generator.state, depth + 1)}
        if value is None or t in (bool, str):
            return value
        if t is int:
            return value if abs(value) < 2**53 else {"$int": str(value)}
        if t is float:
            return value if np.isfinite(value) else {"$float": repr(value)}
        if t is complex:
            return {"$complex": [repr(value.real), repr(value.imag)]}
        if t is bytes:
            return {"$bytes": base64.b64encode(value).decode()}
        if t in (list, tuple):
            items = [self.encode(v, depth + 1) for v in value]
            return items if t is list else {"$tuple": items}
        if t is range:
            return self.encode(list(value), depth)
        if t is dict:
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if t is slice:
            return {"$slice": [self.encode(value.start), self.encode(value.stop), self.encode(value.step)]}
        if isinstance(value, (np.generic, np.ndarray)) and np.asarray(value).dtype.kind in "biufcUS":
            return _array_payload(np.asarray(value), scalar=isinstance(value, np.generic))
        if t.__name__ == "KerasTensor" and t.__module__.startswith("keras"):
            history = getattr(value, "_keras_history", None)
            layer = getattr(history, "operation", None) or (history[0] if history else None)
            if type(layer).__name__ != "InputLayer":
                raise TypeError("the grader can send keras.Input tensors only, not a tensor computed from one")
            self.twins[id(value)] = value  # keeps the id unique while the test runs
            shape = [None if d is None else int(d) for d in value.shape[1:]]
            return {"$input": id(value), "shape": shape, "dtype": str(value.dtype)}
        if t.__module__.split(".")[0] in _TENSOR_MODULES:
            import keras

            if keras.ops.is_tensor(value):
                return _array_payload(np.asarray(keras.ops.convert_to_numpy(value)), tensor=True)
        raise TypeError(
            f"the grader cannot send a {t.__module__}.{t.__qualname__} to the student's kernel "
            "(plain data, arrays and tensors only; build objects there with cu.checks.in_student_kernel)"
        )

    def call(self, target, args, kwargs, after: bool = False):
        """Call ``target`` in the kernel on copies of ``args`` and ``kwargs``; its result, decoded here.

        Nothing comes back into ``args``: with ``after=True`` the result is ``(result, copies)``, the
        positional arguments as the call left them, in scratch copies (``cu.checks.call_on_copies``).
        """
        req = {"op": "call", "target": self.encode(target), "args": [self.encode(a) for a in args]}
        req["kwargs"] = {str(k): self.encode(v) for k, v in kwargs.items()}
        if after:
            req["after"] = True
        reply = self.request(req)
        result = self.decode(reply.get("ok"))
        return (result, self._scratch(reply.get("after"), args)) if after else result

    def _scratch(self, sent, args) -> tuple:
        """The arguments after a call: what the kernel sent for an array argument (a new array of the
        same shape and dtype, else the call failed the test), a copy of the original for the others."""
        sent = sent if type(sent) is list and len(sent) == len(args) else [None] * len(args)
        out = []
        for old, new in zip(args, sent):
            if isinstance(old, np.ndarray) and new is not None:
                new = self.decode(new)
                _need(isinstance(new, np.ndarray) and new.shape == old.shape, "an argument of another shape back")
                out.append(new.astype(old.dtype, copy=False))
            else:
                out.append(np.array(old, copy=True) if isinstance(old, np.ndarray) else old)
        return tuple(out)

    def op(self, kind: str, target=None, **fields):
        req = {"op": kind, **{k: self.encode(v) if k in ("value", "key") else v for k, v in fields.items()}}
        if target is not None:
            req["target"] = self.encode(target)
        return self.decode(self.request(req).get("ok"))


def _array_payload(a: np.ndarray, scalar: bool = False, tensor: bool = False) -> dict:
    out = {"dtype": a.dtype.str, "shape": list(a.shape)}
    if a.dtype.kind in "US":
        out["$array"] = [str(x) if a.dtype.kind == "U" else base64.b64encode(x).decode() for x in a.ravel().tolist()]
        out["text"] = True
    else:
        out["$array"] = base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()
    if scalar:
        out["scalar"] = True
    if tensor:
        out["tensor"] = True
    return out


class Remote:
    """An object that lives in the student's kernel: every use is a request, every answer plain data."""

    __slots__ = ("_channel", "_id", "_type", "_mro")

    def __init__(self, channel: Channel, hid: int, type_name: str):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_mro", None)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            return self._channel.op("getattr", self, name=name)
        except AttributeError as err:
            raise AttributeError(str(err)) from None

    def __setattr__(self, name, value):
        self._channel.op("setattr", self, name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._channel.call(self, args, kwargs)

    def __getitem__(self, key):
        return self._channel.op("getitem", self, key=key)

    def __len__(self):
        return int(self._channel.op("len", self))

    def __iter__(self):
        return iter(self._channel.op("list", self))

    def __array__(self, dtype=None, copy=None):
        a = self._channel.op("array", self)
        if not isinstance(a, np.ndarray):  # an object array stays a handle: not numbers, and never asked again
            raise TypeError(f"the student's {self._type} is not an array of numbers or text")
        return a.astype(dtype) if dtype is not None else a

    def __float__(self):
        return float(self._channel.op("float", self))

    def __int__(self):
        return int(self._channel.op("int", self))

    def __index__(self):
        return int(self._channel.op("index", self))

    def __bool__(self):
        return bool(self._channel.op("bool", self))

    def __repr__(self):
        return str(self._channel.op("repr", self))[:2000]

    def __str__(self):
        return str(self._channel.op("str", self))[:2000]

    def __eq__(self, other):  # compared here, on a plain copy (a dict of any kind, an array): `other` is never sent
        mine = self._channel.op("plain", self)
        return NotImplemented if isinstance(mine, Remote) else mine == other

    def __ne__(self, other):
        same = self.__eq__(other)
        if same is NotImplemented:
            return NotImplemented
        return np.logical_not(same) if isinstance(same, np.ndarray) else not same

    def __hash__(self):
        return hash((id(self._channel), self._id))

    def _type_names(self) -> list[str]:
        if self._mro is None:
            names = self._channel.op("type", self)
            object.__setattr__(self, "_mro", [str(n) for n in names] if isinstance(names, list) else [self._type])
        return self._mro

    @property
    def __name__(self):  # a function's name, for messages
        return str(self._channel.op("getattr", self, name="__name__"))


class KerasTarget:
    """``keras.<name>`` of the kernel (a model built there from the student's layers)."""

    def __init__(self, name: str):
        self.name = name


def _has_remote(value, depth: int = 0) -> bool:
    if isinstance(value, Remote):
        return True
    if depth < 6 and isinstance(value, (list, tuple)):
        return any(_has_remote(v, depth + 1) for v in value)
    if depth < 6 and isinstance(value, dict):
        return any(_has_remote(v, depth + 1) for v in value.values())
    return False


def _keras_for(channel: Channel):
    """The grader's ``keras`` with ``keras.Model(inputs, outputs)`` built in the kernel when the outputs
    live there (the student's block applied to ``keras.Input``s, which are mirrored there)."""
    import keras as real

    class _ModelMeta(type):
        def __call__(cls, *args, **kwargs):
            if _has_remote((args, kwargs)):
                return channel.call(KerasTarget("Model"), args, kwargs)
            return real.Model(*args, **kwargs)

        def __instancecheck__(cls, obj):
            return builtins.isinstance(obj, real.Model)

        def __subclasscheck__(cls, sub):
            return builtins.issubclass(sub, real.Model)

    class Model(metaclass=_ModelMeta):
        __course_real__ = real.Model

    wrapper = types.ModuleType("keras")
    wrapper.__dict__.update(vars(real))
    wrapper.Model = Model
    wrapper.__course_real__ = real
    return wrapper


class KernelHelper:
    """A measuring helper of a test cell that must run beside the student's code (its source is sent)."""

    def __init__(self, name: str, source: str, channel: Channel):
        self.name, self.source, self.channel = name, source, channel

    def __call__(self, *args, **kwargs):
        return self.channel.call(self, args, kwargs)


# --------------------------------------------------------------------------- type and isinstance


def _stand_in(names: list[str]) -> type:
    """A class standing for a remote object's type: the grader's own class where it can import it."""
    for full in names:
        module, _, qual = full.rpartition(".")
        if module.split(".")[0] in ("builtins", "numpy", "keras", "tensorflow", "torch", "collections"):
            mod = sys.modules.get(module)
            obj = mod
            for part in qual.split(".") if mod else []:
                obj = getattr(obj, part, None)
            if isinstance(obj, type):
                return obj
        break
    module, _, qual = names[0].rpartition(".") if names else ("", "", "?")
    return type(qual.split(".")[-1], (), {"__module__": module, "__qualname__": qual, "__course_remote__": True})


def _judge_type(*args):
    if len(args) == 1 and isinstance(args[0], Remote):
        return _stand_in(args[0]._type_names())
    return builtins.type(*args)


def _class_names(cls) -> set[str]:
    out = set()
    for c in cls if isinstance(cls, tuple) else (cls,):
        c = getattr(c, "__course_real__", c)
        if isinstance(c, tuple):
            out |= _class_names(c)
        elif isinstance(c, type):
            out.add(f"{c.__module__}.{c.__qualname__}")
            # keras exports classes under keras.layers.X, defined in keras.src...: match by the defining name
    return out


def _real_classes(cls):
    """``type`` in the grader's namespace is :func:`_judge_type`; in a class tuple it means ``type``."""
    if cls is _judge_type:
        return builtins.type
    if builtins.isinstance(cls, tuple):
        return tuple(_real_classes(c) for c in cls)
    return cls


def _judge_isinstance(obj, cls):
    cls = _real_classes(cls)
    if isinstance(obj, Remote):
        return bool(_class_names(cls) & set(obj._type_names()))
    return builtins.isinstance(obj, cls)


# --------------------------------------------------------------------------- the notebook's plan


def _parse(source: str) -> ast.Module:
    lines = [("pass  # " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    return ast.parse("\n".join(lines))


def _stores(node) -> set[str]:
    out = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            out.add(n.name)
    return out


def _loads(node) -> set[str]:
    """The names ``node`` reads; ``x += 1`` reads ``x`` too (its target is a Store in the AST)."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names | {
        n.target.id for n in ast.walk(node) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }


def _free_loads(tree) -> set[str]:
    """The names a cell reads before its own statements set them (a test's inputs from earlier cells).

    Names local to a function, lambda or comprehension of the cell are not inputs (``symtable``);
    a loop's target is set before its body reads it.
    """
    import symtable

    table = symtable.symtable(ast.unparse(tree), "<cell>", "exec")
    outer: set[str] = set()

    def visit(t, top):
        for sym in t.get_symbols():
            if sym.is_referenced() and (top or sym.is_global()):
                outer.add(sym.get_name())
        for child in t.get_children():
            visit(child, False)

    visit(table, True)
    # Python 3.12 inlines comprehensions into the enclosing scope (PEP 709): their variables then look like the
    # cell's own. A comprehension's target that the cell does not name outside comprehensions is local to it.
    comprehensions = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
    targets = {
        n for c in ast.walk(tree) if isinstance(c, comprehensions) for g in c.generators for n in _stores(g.target)
    }
    outside: set[str] = set()

    def names_outside(node):
        if isinstance(node, comprehensions):
            names_outside(node.generators[0].iter)  # evaluated in the enclosing scope
            return
        if isinstance(node, ast.Name):
            outside.add(node.id)
        for child in ast.iter_child_nodes(node):
            names_outside(child)

    names_outside(tree)
    outer -= targets - outside
    bound: set[str] = set()
    free: set[str] = set()

    def walk(stmts):
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                free.update(_loads(stmt.iter) - bound)
                bound.update(_stores(stmt.target))
                walk(stmt.body + stmt.orelse)
            elif isinstance(stmt, (ast.If, ast.While)):
                free.update(_loads(stmt.test) - bound)
                walk(stmt.body + stmt.orelse)
            elif isinstance(stmt, ast.Try):
                walk(stmt.body)
                for handler in stmt.handlers:
                    if handler.type is not None:
                        free.update(_loads(handler.type) - bound)
                    if handler.name:
                        bound.add(handler.name)
                    walk(handler.body)
                walk(stmt.orelse + stmt.finalbody)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    free.update(_loads(item.context_expr) - bound)
                    if item.optional_vars is not None:
                        bound.update(_stores(item.optional_vars))
                walk(stmt.body)
            else:
                free.update(_loads(stmt) - bound)
            bound.update(_stores(stmt))

    walk(tree.body)
    return free & outer


def plan_notebook(nb) -> dict:
    """What the grader runs itself, per cell of the official notebook.

    Returns ``{"student": names the answer cells define, "tainted": names whose value comes from the
    student's code, "steps": {cell index: [("slice", code) | ("test", code)]}, "kernel": {cell index:
    code}}``. ``kernel`` holds the statements of a test cell that later cells of the notebook use
    (a helper function, a variable): they also run in the kernel, from the visible part only.
    """
    from .notebooks import cell_kind

    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        try:
            tree = _parse(cell.source)
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])
        kind = cell_kind(cell)
        cells.append((i, "answer" if kind == "solution" else ("test" if kind == "tests" else "code"), tree, cell))
    student: set[str] = set()
    for _, kind, tree, _ in cells:
        if kind == "answer":
            for stmt in tree.body:
                if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    student |= _stores(stmt)
    tainted = set(student)
    candidates = []  # (cell index, stmt, pure), or (cell index, None, names a test cell reads before it sets them)
    for i, kind, tree, _ in cells:
        for stmt in tree.body:
            if kind == "answer":
                continue
            if kind == "test":
                tainted -= _stores(stmt) - student
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
                tainted -= _stores(stmt) - student
                candidates.append((i, stmt, True))
                continue
            if _loads(stmt) & tainted:
                tainted |= _stores(stmt)
                candidates.append((i, stmt, False))
            else:
                tainted -= _stores(stmt)
                candidates.append((i, stmt, True))
        if kind == "test":
            candidates.append((i, None, _free_loads(tree)))
    # The backward slice: a statement is kept when a later test cell (or a kept statement) reads what it sets.
    needed: set[str] = set()
    keep = []
    for i, stmt, pure in reversed(candidates):
        if stmt is None:
            needed |= pure
            continue
        stores = _stores(stmt)
        if pure and (isinstance(stmt, (ast.Import, ast.ImportFrom)) or stores & needed):
            keep.append((i, stmt))
            needed |= _loads(stmt)
    keep.reverse()
    steps: dict[int, list] = {}
    for i, stmt in keep:
        steps.setdefault(i, []).append(("slice", ast.get_source_segment(_source_of(nb, i), stmt) or ast.unparse(stmt)))
    later_loads: set[str] = set()
    kernel: dict[int, str] = {}
    for i, kind, tree, cell in reversed(cells):
        if kind == "test":
            steps.setdefault(i, []).append(("test", cell.source))
            visible = _visible_part(cell.source)
            try:
                vtree = _parse(visible)
            except SyntaxError:
                vtree = ast.Module(body=[], type_ignores=[])
            wanted = [s for s in vtree.body if _stores(s) & later_loads]
            if wanted:
                kernel[i] = "\n".join(ast.get_source_segment(visible, s) or ast.unparse(s) for s in wanted)
        else:
            later_loads |= _loads(tree)
    return {"student": student, "tainted": tainted, "steps": steps, "kernel": kernel}


def _source_of(nb, i: int) -> str:
    src = nb.cells[i].source
    return "\n".join(("pass  # " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())


def _visible_part(source: str) -> str:
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN HIDDEN TESTS":
            hidden = True
        elif line.strip() == "### END HIDDEN TESTS":
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def _hidden_lines(source: str) -> set[int]:
    lines, hidden = set(), False
    for n, line in enumerate(source.splitlines(), start=1):
        if line.strip() == "### BEGIN HIDDEN TESTS":
            hidden = True
        elif line.strip() == "### END HIDDEN TESTS":
            hidden = False
        elif hidden:
            lines.add(n)
    return lines


class _SeedRandom(ast.NodeTransformer):
    """``np.random.default_rng(3)`` -> ``__judge_rng__(3)`` in the hidden part of the grader's copy of a test
    cell: the visible checks stay what the learner saw, the hidden ones draw inputs fixed at grading time.
    Only literal seeds: ``default_rng(seed)`` with a variable is a reference repeating what the exercise's
    own algorithm does with its ``seed`` argument, and must stay as it is."""

    def __init__(self, lines: set[int]):
        self.lines = lines

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if (
            node.lineno in self.lines
            and node.args
            and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args)
            and isinstance(f, ast.Attribute)
            and f.attr == "default_rng"
            and isinstance(f.value, ast.Attribute)
            and f.value.attr == "random"
        ):
            node.func = ast.copy_location(ast.Name("__judge_rng__", ast.Load()), f)
        return node


# --------------------------------------------------------------------------- check_uses_none_of, trusted


def _static_function(name: str, answer_sources: list[str], modules: dict) -> types.FunctionType | None:
    """The student's function ``name`` rebuilt here from the submitted text (compiled, never run).

    The answer cells' top-level statements are read in order, each binding replacing the last, as
    in the kernel: so ``name`` is what its *last* binding makes it. A plain ``def`` (or a name bound
    to one, ``f = g``) is rebuilt; anything else (an assignment, a decorated ``def``, an import, a
    binding inside a block or through ``global``) is a stand-in whose ``__module__`` is the first
    forbidden-looking module the statement mentions, and is not a function: the check then fails.
    Globals of the rebuilt functions: the notebook's modules and the answer cells' other names, made
    the same way.
    """
    scope: dict = dict(modules)
    for src in answer_sources:
        try:
            tree = _parse(src)
        except SyntaxError:
            continue
        for stmt in tree.body:
            _bind_statically(stmt, scope)
    return scope.get(name) if isinstance(scope.get(name), types.FunctionType) else None


def _bind_statically(stmt, scope: dict) -> None:
    """What ``stmt`` binds at the top level of an answer cell, as :func:`_static_function` models it."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not stmt.decorator_list:
        mod = compile(ast.Module(body=[stmt], type_ignores=[]), "<answer>", "exec")
        code = next(c for c in mod.co_consts if isinstance(c, types.CodeType))
        scope[stmt.name] = types.FunctionType(code, scope, stmt.name)
        for target in _global_stores(stmt):  # `global f` inside: calling it may rebind f
            scope[target] = types.SimpleNamespace(__module__="__main__")
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for a in stmt.names:
            target = (a.asname or a.name).split(".")[0]
            source_module = stmt.module if isinstance(stmt, ast.ImportFrom) else a.name
            if isinstance(stmt, ast.ImportFrom):
                scope[target] = types.SimpleNamespace(__module__=source_module or "?")
            else:
                scope[target] = types.ModuleType(source_module if a.asname else a.name.split(".")[0])
    elif (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Name)
        and isinstance(scope.get(stmt.value.id), types.FunctionType)
    ):
        scope[stmt.targets[0].id] = scope[stmt.value.id]  # an alias of a function rebuilt above
    else:
        names = sorted(_loads(stmt))
        origin = next(
            (
                getattr(scope.get(n), "__name__", None) or getattr(scope.get(n), "__module__", None)
                for n in names
                if isinstance(scope.get(n), (types.ModuleType, types.SimpleNamespace))
            ),
            None,
        )
        for target in _stores(stmt) | _global_stores(stmt):
            scope[target] = types.SimpleNamespace(__module__=str(origin or "__main__"))


def _global_stores(stmt) -> set[str]:
    """Names a function or class in ``stmt`` declares ``global`` (it may rebind them when called)."""
    return {n for node in ast.walk(stmt) if isinstance(node, ast.Global) for n in node.names}


# --------------------------------------------------------------------------- the judge


class Judge:
    """Runs the test cells of one submission here, against its kernel (one instance per submission).

    ``seed``: one number, the source of every random input the tests draw here (``cu.checks.rng`` and
    the hidden tests' ``default_rng(<literal>)``); the caller derives it (per batch now; per student
    where a class secret is used). ``answer_sources``: the submission's answer cells, ``{cell index:
    source}`` (or a list, read as all preceding every test), read by the static checks.
    """

    def __init__(self, nb, plan: dict, run_code, *, seed: int, answer_sources):
        self.nb, self.plan, self.seed = nb, plan, int(seed)
        self.channel = Channel(run_code)
        self.answer_sources = answer_sources if isinstance(answer_sources, dict) else dict(enumerate(answer_sources))
        self._index = len(nb.cells)  # the test cell running now: the answer cells before it count
        self._hidden: dict[str, set[int]] = {}  # test cell file name -> its hidden lines
        self.ns: dict = {"__name__": "__main__", "__builtins__": self._builtins()}
        self.ns["__judge_rng__"] = self._rng
        self.ns["cu"] = self._course_utils()
        self._protected = {k: self.ns[k] for k in ("__builtins__", "__judge_rng__", "cu")}
        self._done_slices: set[int] = set()
        self._keras = None

    # namespace ------------------------------------------------------------
    def _builtins(self) -> dict:
        b = dict(vars(builtins))
        b["type"] = _judge_type
        b["isinstance"] = _judge_isinstance
        return b

    def _rng(self, seed=None):
        if seed is None:
            return np.random.default_rng(None)
        parts = [self.seed] + [int(s) for s in np.atleast_1d(np.asarray(seed, dtype=np.int64))]
        return np.random.default_rng(parts)

    def _course_utils(self):
        """The test cells' ``cu``: the course's, with checks loaded afresh here and :meth:`_check_overrides`."""
        import course_utils
        import course_utils.checks as real

        # the checks, loaded afresh with the grader's type() and isinstance(), which know remote objects
        fresh = types.ModuleType("course_utils.checks")
        fresh.__dict__.update(
            {"__builtins__": self._builtins(), "__name__": "course_utils.checks", "__file__": real.__file__}
        )
        exec(compile(Path(real.__file__).read_text(encoding="utf-8"), real.__file__, "exec"), fresh.__dict__)  # noqa: S102
        # check_cases looks these up in its own module: its probes run beside the student's code (they call it,
        # trace it, differentiate it), and its cases are drawn afresh with this grading's seed
        for name, fn in list(vars(fresh).items()):
            if isinstance(fn, types.FunctionType) and getattr(fn, "__course_kernel_side__", False):
                fresh.__dict__[name] = KernelHelper(name, self._function_source(fn), self.channel)
        fresh.__dict__["cases"] = self._grading_cases
        checks = types.ModuleType("course_utils.checks")
        checks.__dict__.update(vars(fresh))
        checks.__dict__.update(self._check_overrides(fresh))
        cu = types.ModuleType("course_utils")
        cu.__dict__.update(vars(course_utils))
        cu.checks = checks
        cu.to_numpy = checks.to_numpy
        return cu

    def _grading_cases(self, exercise: str, *, group: str | None = None):
        """An exercise's cases drawn with this grading's seed (:func:`course_tools.cases.grading_cases`)."""
        from .cases import grading_cases

        return grading_cases(exercise, self.seed, group=group)

    def _check_overrides(self, real) -> dict:
        """The checks that work differently here than in a learner's kernel, by name (add new ones here)."""
        judge = self

        def check_uses_none_of(function, forbidden, *, name, hint=None):
            if isinstance(function, Remote):
                function = judge._rebuilt(function, real, name, hint)
            return real.check_uses_none_of(function, forbidden, name=name, hint=hint)

        def in_student_kernel(fn):
            return KernelHelper(fn.__name__, judge._function_source(fn), judge.channel)

        def to_numpy(value):
            return np.asarray(value) if isinstance(value, Remote) else real.to_numpy(value)

        def call_on_copies(function, *args, **kwargs):
            if isinstance(function, (Remote, KernelHelper)):
                return judge.channel.call(function, args, kwargs, after=True)
            return real.call_on_copies(function, *args, **kwargs)

        def rng(*key):
            return np.random.default_rng([judge.seed, *(int(k) for k in key)])

        return {
            "check_uses_none_of": check_uses_none_of,
            "in_student_kernel": in_student_kernel,
            "to_numpy": to_numpy,
            "call_on_copies": call_on_copies,
            "rng": rng,
        }

    def _rebuilt(self, function: Remote, real, name: str, hint):
        """The student's function as the answer cells before this test bind it, rebuilt from their text
        (:func:`_static_function`); it must also be the code the kernel runs under that name."""
        fname = str(function.__name__)
        sources = [src for i, src in sorted(self.answer_sources.items()) if i < self._index]
        rebuilt = _static_function(fname, sources, self._modules())
        if rebuilt is None:
            real._fail(name, [f"{fname} is not bound to a plain `def` in your answer cells (its last binding)"], hint)
        if self._kernel_code(function) != rebuilt.__code__.co_code:
            real._fail(name, [f"{fname} in your kernel is not the `def` of your answer cells"], hint)
        return rebuilt

    def _kernel_code(self, function: Remote):
        try:
            code = self.channel.op("getattr", function, name="__code__")
            return self.channel.op("getattr", code, name="co_code") if isinstance(code, Remote) else None
        except (AttributeError, StudentError):
            return None

    def _modules(self) -> dict:
        return {k: v for k, v in self.ns.items() if isinstance(v, types.ModuleType)}

    def _function_source(self, fn) -> str:
        import inspect
        import textwrap

        src = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(src)
        node = tree.body[0]
        node.decorator_list = []
        return ast.unparse(node)

    # running --------------------------------------------------------------
    def _exec(self, code: str, filename: str, seeded: bool) -> None:
        tree = _parse(code)
        if seeded:
            self._hidden[filename] = _hidden_lines(code)
            tree = ast.fix_missing_locations(_SeedRandom(self._hidden[filename]).visit(tree))
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        try:
            exec(compile(tree, filename, "exec"), self.ns)  # noqa: S102 - the official notebook's own code
        finally:
            self.ns.update(self._protected)  # `import course_utils as cu` in a set-up cell: still the judge's cu
            real_keras = sys.modules.get("keras")
            if real_keras is not None and self.ns.get("keras") is real_keras:
                if self._keras is None:
                    self._keras = _keras_for(self.channel)
                self.ns["keras"] = self._keras

    def run_slices_before(self, index: int) -> None:
        """Run the official statements (not the student's) that tests after cell ``index`` need."""
        for i in sorted(self.plan["steps"]):
            if i >= index or i in self._done_slices:
                continue
            self._done_slices.add(i)
            for kind, code in self.plan["steps"][i]:
                if kind == "slice":
                    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                        try:
                            self._exec(code, f"<notebook cell {i}>", seeded=False)
                        except Exception:  # noqa: BLE001 - a test that needs it then fails by name
                            pass

    def _fetch_student_names(self, code: str) -> None:
        wanted = sorted(_loads(_parse(code)) & (self.plan["student"] | self.plan["tainted"]))
        for name in wanted:
            self.ns.pop(name, None)
            try:
                self.ns[name] = self.channel.op("get", name=name)
            except NameError:
                pass  # not defined by the submission: the test fails with a NameError, as in the kernel

    def run_test(self, index: int, source: str, timeout: float) -> dict:
        """Run test cell ``index`` here; returns ``{"status", "error", "stdout", "hidden", "judged"}``."""
        self.run_slices_before(index + 1)  # the official notebook's own statements: not the student's time
        start = time.monotonic()
        self.channel.deadline = start + timeout
        out = io.StringIO()
        filename = f"<test cell {index}>"
        result = {"status": "ok", "error": None, "stdout": "", "hidden": False, "judged": True}
        self._index = index
        try:
            with contextlib.redirect_stdout(out):
                self._fetch_student_names(source)
                self._exec(source, filename, seeded=True)
        except RemoteTimeout as err:
            result.update(status="timeout", error=("Timeout", str(err)))
        except RemoteUnavailable as err:  # the grader's words, never the student's text
            hidden = self._in_hidden_code(err.__traceback__)
            result.update(status="error", error=("GraderChannel", str(err)), hidden=hidden)
        except Exception as err:  # noqa: BLE001 - the verdict
            student = getattr(err, "__course_student__", None)
            ename = student[0] if student else type(err).__name__
            evalue = student[1] if student else str(err)
            result.update(status="error", error=(ename, evalue), hidden=self._in_hidden_code(err.__traceback__))
            if student:
                result["student_error"] = True  # raised by the submission: its text is the student's
        finally:
            self.channel.deadline = None
            self.channel.twins.clear()
            self.channel.remotes.clear()
            if result["status"] != "timeout":
                try:
                    self.channel.request({"op": "release"})
                except Exception:  # noqa: BLE001
                    pass
        result["stdout"] = out.getvalue()[-20_000:]
        result["requests"] = self.channel.requests
        result["seconds"] = round(time.monotonic() - start, 2)
        return result

    def _in_hidden_code(self, tb) -> bool:
        """Whether the failure went through a hidden line of a test cell: a visible helper called from a
        hidden line fails a hidden case too (any frame of a test cell counts, not only the innermost)."""
        return any(frame.lineno in self._hidden.get(frame.filename, ()) for frame in traceback.extract_tb(tb))
