"""A hostile kernel for the judge (issue 42): it answers the grader's requests with adversarial replies.

:class:`HostileKernel` stands where the student's kernel stands (``run_code(code, seconds) -> outputs``
of :class:`course_tools.judge.Judge`): it reads each request the judge sends and answers it with a
reply made by one of :data:`STRATEGIES`, drawn from a seeded generator. Where an honest backend is
given (the solution's answer cells, run here by the kernel's own server code), the strategies start
from the honest reply: mutated arrays, claims that the arguments changed, replies for the grader's own
inputs echoed back. Without one they make the reply up: wrong dtypes and item sizes, deep and huge
structures, exceptions of every kind, broken protocol.
"""

from __future__ import annotations

import base64
import builtins
import json
import random
import re
import types

import numpy as np

from course_tools import judge

_REQUEST = re.compile(r"serve\('([A-Za-z0-9+/=]*)'\)")


def request_of(code: str) -> dict:
    return json.loads(base64.b64decode(_REQUEST.search(code).group(1)))


def shown(reply) -> list[dict]:
    """The kernel's outputs for one reply (a dict, or raw text sent as it is)."""
    text = reply if isinstance(reply, str) else json.dumps(reply)
    return [{"output_type": "display_data", "data": {judge.MIME: text}, "metadata": {}}]


def array_payload(a: np.ndarray) -> dict:
    return {
        "$array": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode(),
        "dtype": a.dtype.str,
        "shape": list(a.shape),
    }


class HonestServer:
    """The kernel's side of the channel (``judge_kernel.py``) in this process, on ``namespace``."""

    def __init__(self, namespace: dict):
        module = types.ModuleType("_course_remote_double")
        exec(compile(judge.KERNEL_SIDE, "_course_remote", "exec"), module.__dict__)  # noqa: S102
        self.server = module.Server()
        self.server.namespace = lambda: namespace

    def answer(self, req: dict) -> dict:
        return self.server.answer(req)

    def name_of(self, target) -> str | None:
        obj = self.server.handles.get(target.get("$h")) if isinstance(target, dict) else None
        return getattr(obj, "__name__", None)


# --------------------------------------------------------------------------- replies


def _first_array(req: dict) -> np.ndarray | None:
    for a in req.get("args", []):
        if isinstance(a, dict) and "$array" in a and not a.get("text"):
            return np.frombuffer(base64.b64decode(a["$array"]), dtype=a["dtype"]).reshape(a["shape"])
    return None


def _mutate(value, rng: random.Random):
    """``value`` (a reply's JSON) with every number and numeric array changed."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1.5 + abs(value)
    if isinstance(value, list):
        return [_mutate(v, rng) for v in value]
    if isinstance(value, dict) and "$array" in value and not value.get("text"):
        a = np.frombuffer(base64.b64decode(value["$array"]), dtype=value["dtype"]).reshape(value["shape"])
        b = ~a if a.dtype.kind == "b" else (a + 1 + np.abs(a)).astype(a.dtype)
        return {**value, **array_payload(b)}
    if isinstance(value, dict) and "$h" not in value:
        return {k: _mutate(v, rng) for k, v in value.items()}
    return value


def _junk(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, 0, -1, 2**60, 1e308, "", "x" * rng.randrange(100)])
    if kind == 1:
        return rng.uniform(-1e6, 1e6)
    if kind == 2:
        return rng.choice(["nan", "inf", "\ud800", "\x00"])
    if kind == 3:
        return {"$float": rng.choice(["nan", "1e999", "x", "1" * 100])}
    if kind == 4:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 5:
        return {"$tuple": [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]}
    if kind == 6:
        return {"$dict": [[_junk(rng, depth + 1), _junk(rng, depth + 1)] for _ in range(rng.randrange(3))]}
    if kind == 7:
        return {rng.choice(["$h", "$int", "$bytes", "$slice", "$complex", "$generator", "$what"]): _junk(rng, 3)}
    shape = [rng.randrange(4) for _ in range(rng.randrange(4))]
    return array_payload(np.asarray(np.random.default_rng(rng.randrange(99)).normal(size=shape)))


def _garbage(req, honest, rng):
    return shown({"nonce": req["nonce"], "ok": _junk(rng)})


def _mutated(req, honest, rng):
    if honest is None or "ok" not in honest:
        return _garbage(req, honest, rng)
    return shown({**honest, "ok": _mutate(honest["ok"], rng)})


def _zeroed(value):
    """``value`` (a reply's JSON) with every number and numeric array made zeros of the same shape."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0.0
    if isinstance(value, list):
        return [_zeroed(v) for v in value]
    if isinstance(value, dict) and "$array" in value and not value.get("text"):
        return {**value, **array_payload(np.zeros(value["shape"], value["dtype"]))}
    if isinstance(value, dict) and "$h" not in value:
        return {k: _zeroed(v) for k, v in value.items()}
    return value


def _zeros_and_claims(req, honest, rng):
    """Zeros for the result (shaped as the honest one where there is one), and a claim that every array
    argument became zeros too: the write-back attack."""
    first = _first_array(req)
    if honest is not None and "ok" in honest:
        result = _zeroed(honest["ok"])
    else:
        result = array_payload(np.zeros_like(first)) if first is not None else 0.0
    arrays = [(i, a) for i, a in enumerate(req.get("args", [])) if isinstance(a, dict) and "$array" in a]
    claims = {str(i): array_payload(np.zeros(a["shape"], a["dtype"])) for i, a in arrays if not a.get("text")}
    after = [claims.get(str(i)) for i in range(len(req.get("args", [])))]
    return shown({"nonce": req["nonce"], "ok": result, "args": claims, "after": after})


def _echo(req, honest, rng):
    """The grader's own first input back, as if the function returned it (a forger that sees the grader)."""
    args = req.get("args", [])
    return shown({"nonce": req["nonce"], "ok": args[0] if args else None})


_DTYPES = ["|O", "|V8", "<U500000000", "|S0", "(2,)<f8", "<M8[s]", "x", "<U0", "|b1" * 9]


def _wrong_dtype(req, honest, rng):
    dtype = rng.choice(_DTYPES)
    payload = {"$array": ["a"] if "U" in dtype or "S" in dtype else "AAAAAAAAAAA=", "dtype": dtype, "shape": [1]}
    if "U" in dtype:
        payload["text"] = True
    return shown({"nonce": req["nonce"], "ok": payload})


def _huge(req, honest, rng):
    shapes = [[2**40], [2**31, 2**31], [64], [2**62, 2**62, 4], [-1], [1] * 40, ["2"], [True]]
    shape = rng.choice(shapes)
    payload = rng.choice(
        [
            {"$array": ["x"] * 4, "dtype": "<U500000000", "shape": shape, "text": True},
            {"$array": "AAAA", "dtype": "<f8", "shape": shape},
            {"$array": ["x"], "dtype": "<U262144", "shape": [2**12], "text": True},
            {"$bytes": "A" * 8 + "!"},
            {"$int": "9" * 5000},
        ]
    )
    return shown({"nonce": req["nonce"], "ok": payload})


def _deep(req, honest, rng):
    n = rng.choice([60, 5_000, 200_000])
    kind = rng.randrange(3)
    if kind == 0:
        return shown(f'{{"nonce": "{req["nonce"]}", "ok": {"[" * n}{"]" * n}}}')
    value = None
    for _ in range(min(n, 2000)):
        value = {"$tuple": [value]} if kind == 1 else {"$dict": [["k", value]]}
    return shown(json.dumps({"nonce": req["nonce"], "ok": value}))


def _wide(req, honest, rng):
    n = rng.choice([1_100_000, 3_000_000])
    return shown(f'{{"nonce": "{req["nonce"]}", "ok": [{"0," * n}0]}}')


_EXCEPTIONS = [n for n, c in vars(builtins).items() if isinstance(c, type) and issubclass(c, BaseException)]


def _exception(req, honest, rng):
    name = rng.choice(_EXCEPTIONS + ["Custom_" + "A" * 300, "", "AssertionError"])
    if rng.random() < 0.3:  # the kernel's own error output, no reply
        return [{"output_type": "error", "ename": name, "evalue": "\ud800" * 3 + "x" * 100_000, "traceback": []}]
    return shown({"nonce": req["nonce"], "error": [name, rng.choice(["", "\ud800", "expected 1", "x" * 10_000])]})


def _broken(req, honest, rng):
    n = req["nonce"]
    return rng.choice(
        [
            [],
            shown({"nonce": "0" * 16, "ok": 1}),
            shown("{not json"),
            shown({"nonce": n}),
            shown({"nonce": n, "ok": {"$h": "1"}}),
            shown({"nonce": n, "ok": {"$h": 10**30, "type": "x" * 100_000}}),
            shown({"nonce": n, "ok": {"$what": 1}}),
            shown({"nonce": n, "ok": {"$array": "!!!!", "dtype": "<f8", "shape": [1]}}),
            shown({"nonce": n, "error": "not a list"}),
            [{"output_type": "display_data", "data": "not a dict"}],
            [None, 3, "x"],
            shown("x" * (judge.MAX_REPLY + 1)),
        ]
    )


STRATEGIES = {
    "garbage": _garbage,
    "mutated_arrays": _mutated,
    "zeros_and_claims": _zeros_and_claims,
    "echo_inputs": _echo,
    "wrong_dtypes": _wrong_dtype,
    "huge_structures": _huge,
    "deep_structures": _deep,
    "wide_structures": _wide,
    "exceptions": _exception,
    "broken_protocol": _broken,
}


class HostileKernel:
    """``run_code`` for :class:`course_tools.judge.Judge`: every request answered by ``strategy``.

    ``honest``: a :class:`HonestServer` (names are looked up, calls computed there first); without it,
    ``get`` answers a handle. ``only``: the function name whose calls get hostile replies (the others
    honest); None: every request but ``get`` and ``release``.
    """

    def __init__(self, strategy: str, seed: int, honest: HonestServer | None = None, only: str | None = None):
        self.strategy, self.honest, self.only = STRATEGIES.get(strategy), honest, only
        self.rng = random.Random(seed)
        self.requests = 0

    def __call__(self, code: str, seconds):
        self.requests += 1
        req = request_of(code)
        honest = self.honest.answer(req) if self.honest else None
        if req["op"] in ("release", "get") or self.strategy is None:
            if honest is None:
                ok = {"$h": self.requests, "type": "builtins.function"} if req["op"] == "get" else None
                honest = {"nonce": req["nonce"], "ok": ok}
            return shown(honest)
        if self.only and not (req["op"] == "call" and self.honest.name_of(req.get("target")) == self.only):
            return shown(honest)
        return self.strategy(req, honest, self.rng)
