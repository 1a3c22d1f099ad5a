"""The student's side of the trusted grader's channel (see :mod:`course_tools.judge`).

This file is never imported by the grader: its *text* is sent to the student's kernel during the
warm-up, where it becomes the module ``_course_remote``. It only computes values: it runs a
request (look up a name, call a function, read an attribute, run a measuring helper whose source
the grader sends) and answers with plain data, i.e. numbers, strings, lists, dicts and arrays as raw
bytes with dtype and shape. Objects that are not plain data stay here and are answered with a
handle number.

Nothing here is trusted. A submission may replace or patch this module: it can then send wrong
values, but it never sees an expected value or a test's code, so a forged value is a guess.
"""

import base64
import json
import sys

MIME = "application/x-course-remote+json"
MAX_ITEMS = 100_000  # a list longer than this is not sent back


class Server:
    def __init__(self):
        self.handles = {}
        self.by_object = {}
        self.twins = {}
        self.next_id = 1

    # ------------------------------------------------------------------ values
    def handle(self, obj):
        hid = self.by_object.get(id(obj))
        if hid is not None and self.handles.get(hid) is obj:  # the same object: the same handle
            t = type(obj)
            return {"$h": hid, "type": f"{t.__module__}.{t.__qualname__}"}
        hid = self.next_id
        self.next_id += 1
        self.handles[hid] = obj
        self.by_object[id(obj)] = hid
        t = type(obj)
        return {"$h": hid, "type": f"{t.__module__}.{t.__qualname__}"}

    def encode(self, value, depth=0):
        import numpy as np

        if depth > 20:
            return self.handle(value)
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2**53 else {"$int": str(value)}
        if t is float:
            return value if value == value and abs(value) != float("inf") else {"$float": repr(value)}
        if t is complex:
            return {"$complex": [repr(value.real), repr(value.imag)]}
        if t is bytes:
            return {"$bytes": base64.b64encode(value).decode()}
        if t is list or t is tuple:
            if len(value) > MAX_ITEMS:
                return self.handle(value)
            items = [self.encode(v, depth + 1) for v in value]
            return items if t is list else {"$tuple": items}
        if t is dict:
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if t is slice:
            return {"$slice": [self.encode(value.start), self.encode(value.stop), self.encode(value.step)]}
        if isinstance(value, np.generic) and value.dtype.kind in "biufcUS":
            return self.array(np.asarray(value), scalar=True)
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufcUS":
            return self.array(np.asarray(value))
        module = t.__module__.split(".")[0]
        if (
            module in ("tensorflow", "torch", "jax", "jaxlib", "keras")
            and hasattr(value, "shape")
            and hasattr(value, "dtype")
        ):
            try:
                import keras

                if keras.ops.is_tensor(value) and not isinstance(value, keras.Variable):
                    return self.array(np.asarray(keras.ops.convert_to_numpy(value)), tensor=True)
            except Exception:  # noqa: BLE001 - a symbolic tensor, a variable: a handle
                pass
        return self.handle(value)

    def array(self, a, scalar=False, tensor=False):
        a = a.view(type=__import__("numpy").ndarray)
        out = {"$array": None, "dtype": a.dtype.str, "shape": list(a.shape)}
        if a.dtype.kind in "US":
            out["$array"] = [
                str(x) if a.dtype.kind == "U" else base64.b64encode(x).decode() for x in a.ravel().tolist()
            ]
            out["text"] = True
        else:
            out["$array"] = base64.b64encode(__import__("numpy").ascontiguousarray(a).tobytes()).decode()
        if scalar:
            out["scalar"] = True
        if tensor:
            out["tensor"] = True
        return out

    def decode(self, value):
        import numpy as np

        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$h" in value:
            return self.handles[value["$h"]]
        if "$tuple" in value:
            return tuple(self.decode(v) for v in value["$tuple"])
        if "$dict" in value:
            return {self.decode(k): self.decode(v) for k, v in value["$dict"]}
        if "$int" in value:
            return int(value["$int"])
        if "$float" in value:
            return float(value["$float"])
        if "$complex" in value:
            return complex(float(value["$complex"][0]), float(value["$complex"][1]))
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
        if "$slice" in value:
            return slice(*[self.decode(v) for v in value["$slice"]])
        if "$array" in value:
            dtype = np.dtype(value["dtype"])
            if value.get("text"):
                a = np.array(value["$array"], dtype=dtype).reshape(value["shape"])
            else:
                a = np.frombuffer(base64.b64decode(value["$array"]), dtype=dtype).reshape(value["shape"]).copy()
            if value.get("scalar"):
                return a[()]
            if value.get("tensor"):
                import keras

                return keras.ops.convert_to_tensor(a)
            return a
        if "$generator" in value:
            g = np.random.Generator(np.random.PCG64())
            g.bit_generator.state = self.decode(value["$generator"])
            return g
        if "$input" in value:  # the grader's keras.Input, mirrored here once per test
            import keras

            key = value["$input"]
            if key not in self.twins:
                self.twins[key] = keras.Input(shape=tuple(value["shape"]), dtype=value["dtype"])
            return self.twins[key]
        if "$keras" in value:
            import keras

            return getattr(keras, value["$keras"])
        if "$code" in value:  # a measuring helper the grader sends by its source
            scope = dict(self.namespace())
            exec(compile(value["$code"], "<grader helper>", "exec"), scope)  # noqa: S102
            return scope[value["name"]]
        raise ValueError(f"unknown value {sorted(value)}")

    @staticmethod
    def namespace():
        return sys.modules["__main__"].__dict__

    # ------------------------------------------------------------------ requests
    def op(self, req):
        kind = req["op"]
        if kind == "get":
            ns = self.namespace()
            if req["name"] not in ns:
                raise NameError(f"name '{req['name']}' is not defined")
            return ns[req["name"]]
        target = self.decode(req["target"]) if "target" in req else None
        if kind == "call":
            args = [self.decode(a) for a in req.get("args", [])]
            kwargs = {k: self.decode(v) for k, v in req.get("kwargs", {}).items()}
            return {"$result": target(*args, **kwargs), "$args": args}
        if kind == "getattr":
            return getattr(target, req["name"])
        if kind == "setattr":
            setattr(target, req["name"], self.decode(req["value"]))
            return None
        if kind == "getitem":
            return target[self.decode(req["key"])]
        if kind == "len":
            return len(target)
        if kind == "list":
            items = []
            for item in target:
                items.append(item)
                if len(items) > MAX_ITEMS:
                    raise ValueError(f"more than {MAX_ITEMS} items")
            return items
        if kind == "array":
            import numpy as np

            import course_utils.checks as checks

            return np.asarray(checks.to_numpy(target))
        if kind in ("float", "int", "bool", "repr", "str", "index"):
            return {"float": float, "int": int, "bool": bool, "repr": repr, "str": str, "index": int}[kind](target)
        if kind == "type":
            t = type(target)
            return [f"{k.__module__}.{k.__qualname__}" for k in t.__mro__]
        if kind == "plain":
            return self.plain(target)
        if kind == "hasattr":
            return hasattr(target, req["name"])
        if kind == "callable":
            return callable(target)
        if kind == "release":
            self.handles.clear()
            self.by_object.clear()
            self.twins.clear()
            return None
        raise ValueError(f"unknown request {kind!r}")

    def serve(self, text):
        from IPython.display import display

        display({MIME: json.dumps(self.answer(json.loads(base64.b64decode(text))))}, raw=True)

    def answer(self, req):
        """The reply to one request: ``{"nonce", "ok"}`` (plus ``"after"``), or ``{"nonce", "error"}``."""
        reply = {"nonce": req.get("nonce")}
        try:
            value = self.op(req)
            if req["op"] == "call":
                reply["ok"] = self.encode(value["$result"])
                if req.get("after"):
                    reply["after"] = self._after(value["$args"])
            else:
                reply["ok"] = self.encode(value)
        except BaseException as err:  # noqa: BLE001 - the student's error goes back as data
            if isinstance(err, KeyboardInterrupt):
                raise
            reply["error"] = [type(err).__name__, str(err)[:4000]]
        return reply

    def _after(self, args):
        """The array arguments as the call left them, for a test that asks (``cu.checks.call_on_copies``):
        the grader reads them into scratch copies, never into its own inputs."""
        import numpy as np

        return [self.encode(a) if isinstance(a, np.ndarray) else None for a in args]

    def plain(self, value, depth=0):
        """``value`` as plain data where it is one (a dict, list or tuple of any subclass, an array-like):
        the grader compares it there (``==``); anything else stays a handle."""
        import numpy as np

        if depth > 20 or value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
            return value
        if isinstance(value, dict):
            return {k: self.plain(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            items = [self.plain(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        try:
            import course_utils.checks as checks

            a = np.asarray(checks.to_numpy(value))
        except Exception:  # noqa: BLE001 - not array-like: a handle
            return value
        return a if a.dtype.kind in "biufcUS" else value


server = Server()
