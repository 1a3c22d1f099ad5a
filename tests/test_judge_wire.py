"""The judge's wire codec in one process, no kernel: the grader's :class:`course_tools.judge.Channel` talks to
the kernel's side (``judge_kernel.py``, run here from the very text the grader sends to a kernel) through a
loopback, so every value goes grader encode -> JSON -> kernel decode -> kernel encode -> JSON -> grader decode.
Then the replies the grader refuses: oversized, deep, malformed or hostile payloads. Each test runs in
milliseconds.
"""

from __future__ import annotations

import base64
import json
import math
import re
import types
from collections import OrderedDict

import numpy as np
import pytest

from course_tools import judge

_REQUEST = re.compile(r"serve\('([A-Za-z0-9+/=]*)'\)")


class Loopback:
    """The kernel's side of the channel on a namespace of this process, as ``run_code`` of a Channel."""

    def __init__(self, namespace: dict):
        module = types.ModuleType("_course_remote_loopback")
        exec(compile(judge.KERNEL_SIDE, "_course_remote", "exec"), module.__dict__)  # noqa: S102
        self.module = module
        self.server = module.Server()
        self.server.namespace = lambda: namespace
        self.requests: list[dict] = []
        self.replies: list[str] = []

    def __call__(self, code: str, timeout):
        req = json.loads(base64.b64decode(_REQUEST.search(code).group(1)))
        self.requests.append(req)
        text = json.dumps(self.server.answer(req))
        self.replies.append(text)
        return [{"output_type": "display_data", "data": {judge.MIME: text}, "metadata": {}}]


def _channel(**names) -> tuple[judge.Channel, Loopback]:
    loop = Loopback({"ident": lambda x: x, **names})
    return judge.Channel(loop), loop


def _round_trip(value):
    channel, _ = _channel()
    return channel.call(channel.op("get", name="ident"), [value], {})


DTYPES = [
    "?",
    "i1",
    "<i2",
    "<i4",
    "<i8",
    ">i4",
    "u1",
    "<u2",
    "<u4",
    "<u8",
    "<f2",
    "<f4",
    "<f8",
    ">f8",
    "<c8",
    "<c16",
    "<U7",
]  # and bytes ("S"): see the tests of bytes arrays below


def _sample(dtype: np.dtype, shape) -> np.ndarray:
    n = math.prod(shape)
    if dtype.kind == "U":
        return np.array([f"z\u00e9{i}\u4e2d" for i in range(n)], dtype=dtype).reshape(shape)
    if dtype.kind == "S":
        return np.array([bytes([i % 256, 0, 255]) for i in range(n)], dtype=dtype).reshape(shape)
    if dtype.kind == "b":
        return (np.arange(n) % 3 == 0).reshape(shape)
    values = np.arange(n, dtype=np.float64) * (7 if dtype.kind in "iu" else 0.37) + (1 if dtype.kind == "u" else -3)
    a = (values + 1j * values[::-1] if dtype.kind == "c" else values).astype(dtype)
    if dtype.kind in "fc" and n >= 3:
        a.flat[0], a.flat[1], a.flat[2] = np.nan, np.inf, -0.0
    return a.reshape(shape)


def _same(a, b) -> None:
    assert type(a) is type(b), (type(a), type(b))
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes(), (a, b)  # bit for bit: nan, -0.0 and byte order kept


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 4), (0, 3), (1,)])
def test_an_array_of_each_dtype_comes_back_bit_for_bit(dtype, shape):
    a = _sample(np.dtype(dtype), shape)
    _same(_round_trip(a), a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_numpy_scalar_comes_back_as_the_same_scalar(dtype):
    a = _sample(np.dtype(dtype), (5,))
    got = _round_trip(a[3])
    assert type(got) is type(a[3]) and got.dtype == a[3].dtype, (got, a[3])
    assert np.asarray(got).tobytes() == np.asarray(a[3]).tobytes()


BYTES = np.array([[b"\x00\x00\xff", b"\x01ab"], [b"", b"\xfe\xff\x00\x01\x02"]], dtype="S5")


def test_a_bytes_array_of_the_kernel_comes_back_bit_for_bit():
    channel, _ = _channel(data=BYTES)
    _same(channel.op("get", name="data"), BYTES)


@pytest.mark.xfail(
    strict=True,
    reason="judge_kernel.Server.decode makes a bytes (S) array from the base64 text of its items without "
    "decoding it, so the kernel receives b'AAD/' for b'\\x00\\x00\\xff' (cut to the item size)",
)
def test_a_bytes_array_sent_to_the_kernel_arrives_as_its_bytes():
    channel, _ = _channel(raw=lambda a: [a.dtype.str, a.tobytes()])
    assert channel.call(channel.op("get", name="raw"), [BYTES], {}) == ["|S5", BYTES.tobytes()]


def test_views_and_orders_come_back_as_their_values():
    base = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    for view in (base[:, ::2, 1:], base.T, np.asfortranarray(base), base[..., 0], np.array(5.0)):
        got = _round_trip(view)
        np.testing.assert_array_equal(got, view)
        assert got.flags.writeable and got.dtype == view.dtype and got.shape == view.shape


def test_nested_plain_data_keeps_its_types():
    value = {
        "none": None,
        "flags": [True, False],
        (1, "k"): (2**80, -(2**60), 3.5, float("inf"), complex(1.5, -2)),
        "deep": [[[{"x": b"\x00\xffbytes"}]]],
        "slice": slice(1, None, -2),
        "text": "tab\t newline\n \ud800 \u4e2d",
        7: [np.arange(3, dtype=np.uint8), np.float32(2.5)],
        "range": range(3),
    }
    got = _round_trip(value)
    assert set(got) == set(value)
    assert got[(1, "k")][:3] == (2**80, -(2**60), 3.5) and math.isinf(got[(1, "k")][3])
    assert got[(1, "k")][4] == complex(1.5, -2) and type(got[(1, "k")]) is tuple
    assert got["deep"] == [[[{"x": b"\x00\xffbytes"}]]]
    assert got["slice"] == slice(1, None, -2) and got["text"] == value["text"]
    assert got["none"] is None and got["flags"] == [True, False] and type(got["flags"][0]) is bool
    _same(got[7][0], value[7][0])
    assert type(got[7][1]) is np.float32 and got[7][1] == 2.5
    assert got["range"] == [0, 1, 2]
    nan = _round_trip(float("nan"))
    assert type(nan) is float and math.isnan(nan)


def test_an_ordered_dict_of_the_kernel_stays_there_and_compares_as_plain_data():
    ordered = OrderedDict(b=[1, 2], a=np.float64(0.5))
    channel, _ = _channel(cache=ordered)
    remote = channel.op("get", name="cache")
    assert isinstance(remote, judge.Remote), "a dict subclass came back as if it were a dict"
    assert remote == {"a": 0.5, "b": [1, 2]}
    assert remote != {"a": 0.5, "b": [1, 3]}
    assert len(remote) == 2 and remote["b"] == [1, 2]


def test_the_grader_refuses_to_send_what_is_not_plain_data():
    channel, _ = _channel()
    for value in (OrderedDict(a=1), {1, 2}, object(), np.array([object()]), np.datetime64("2020-01-01")):
        with pytest.raises(TypeError, match="cannot send"):
            channel.encode(value)
    deep: list = []
    for _ in range(60):
        deep = [deep]
    with pytest.raises(TypeError, match="nested this deep"):
        channel.encode(deep)
    other, _ = _channel()
    with pytest.raises(TypeError, match="another kernel"):
        channel.encode(other.op("get", name="ident"))


def test_the_same_kernel_object_is_the_same_handle():
    shared = object()
    channel, loop = _channel(pair=lambda: (shared, shared), make=object)
    first, second = channel.call(channel.op("get", name="pair"), [], {})
    assert first is second and isinstance(first, judge.Remote)
    assert channel.call(channel.op("get", name="make"), [], {}) is not first
    assert loop.server.handles[first._id] is shared


def test_arguments_go_as_copies_and_in_place_results_come_back_as_scratch():
    def scale(a, k):
        a *= k
        return None

    channel, _ = _channel(scale=scale)
    x = np.arange(4.0)
    result, (after, k) = channel.call(channel.op("get", name="scale"), [x, 3], {}, after=True)
    assert result is None and k == 3
    np.testing.assert_array_equal(x, np.arange(4.0))  # the grader's own input is untouched
    np.testing.assert_array_equal(after, 3 * np.arange(4.0))
    assert after is not x


def test_a_students_error_comes_back_as_an_exception_to_catch():
    class Custom(Exception):
        pass

    def fails(kind):
        raise {"value": ValueError("bad shape (3,)"), "custom": Custom("mine")}[kind]

    channel, _ = _channel(fails=fails)
    target = channel.op("get", name="fails")
    with pytest.raises(ValueError, match=r"bad shape \(3,\)") as err:
        channel.call(target, ["value"], {})
    assert err.value.__course_student__ == ("ValueError", "bad shape (3,)")
    with pytest.raises(judge.StudentError, match="Custom: mine"):
        channel.call(target, ["custom"], {})
    with pytest.raises(NameError):
        channel.op("get", name="not_defined_anywhere")


def test_the_kernel_keeps_long_lists_and_deep_values_as_handles():
    channel, loop = _channel(short=list(range(5)))
    loop.server.namespace()["long"] = list(range(loop.module.MAX_ITEMS + 1))
    assert isinstance(channel.op("get", name="long"), judge.Remote)
    assert channel.op("get", name="short") == [0, 1, 2, 3, 4]
    deep: list = [1]
    for _ in range(30):
        deep = [deep]
    got = loop.server.encode(deep)
    for _ in range(21):
        got = got[0]
    assert isinstance(got, dict) and "$h" in got, "the kernel sent a value nested deeper than 20"


# --------------------------------------------------------------------------- replies refused


def _array(a: np.ndarray, **extra) -> dict:
    return {"$array": base64.b64encode(a.tobytes()).decode(), "dtype": a.dtype.str, "shape": list(a.shape), **extra}


HOSTILE = {
    "object dtype": {"$array": "", "dtype": "|O", "shape": [0]},
    "structured dtype": {"$array": "", "dtype": "[('a', '<i4')]", "shape": [0]},
    "datetime dtype": {"$array": "", "dtype": "<M8[s]", "shape": [0]},
    "dtype not text": {"$array": "", "dtype": 5, "shape": [0]},
    "dtype too long": {"$array": "", "dtype": "<f8" + " " * 20, "shape": [0]},
    "dtype unknown": {"$array": "", "dtype": "<q9", "shape": [0]},
    "item too large": {"$array": ["x"], "dtype": "<U500000000", "shape": [1], "text": True},
    "negative shape": {"$array": "", "dtype": "<f8", "shape": [-1]},
    "float shape": {"$array": "", "dtype": "<f8", "shape": [1.0]},
    "bool shape": {"$array": "AAAAAAAA8D8=", "dtype": "<f8", "shape": [True]},
    "shape not a list": {"$array": "", "dtype": "<f8", "shape": "3"},
    "too many dims": {"$array": "", "dtype": "<f8", "shape": [1] * 33},
    "bytes short of shape": _array(np.zeros(3), shape=[4]),
    "bytes past shape": _array(np.zeros(5), shape=[4]),
    "not base64": {"$array": "!!!!", "dtype": "<u1", "shape": [3]},
    "too many bytes at once": {"$array": "", "dtype": "<f8", "shape": [2**20, 2**10]},
    "text items not matching": {"$array": ["a"], "dtype": "<U1", "shape": [2], "text": True},
    "text items not text": {"$array": [1, 2], "dtype": "<U1", "shape": [2], "text": True},
    "bytes items not base64": {"$array": ["%%"], "dtype": "|S2", "shape": [1], "text": True},
    "unknown tag": {"$pickle": "gASVAAAA"},
    "kernel-only tag": {"$code": "import os", "name": "os"},
    "too many keys": {f"k{i}": i for i in range(9)} | {"$tuple": []},
    "plain dict": {"a": 1},
    "handle not int": {"$h": "1"},
    "int too long": {"$int": "9" * 4301},
    "int not text": {"$int": 5},
    "int not a number": {"$int": "0x10"},
    "float too long": {"$float": "1" * 65},
    "float not a number": {"$float": "one"},
    "complex of three": {"$complex": ["1", "2", "3"]},
    "slice of four": {"$slice": [1, 2, 3, 4]},
    "tuple not a list": {"$tuple": "abc"},
    "dict pair of three": {"$dict": [[1, 2, 3]]},
    "bytes not base64": {"$bytes": "@@"},
    "too deep": json.loads("[" * 60 + "]" * 60),
}


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_value_is_refused_in_the_graders_words(payload):
    with pytest.raises(judge.RemoteUnavailable, match="^the kernel sent "):
        judge.Channel(None).decode(payload)


def test_a_reply_of_too_many_values_is_refused(monkeypatch):
    monkeypatch.setattr(judge, "MAX_VALUES", 100)
    channel = judge.Channel(None)
    assert channel.decode(list(range(99))) == list(range(99))
    channel = judge.Channel(None)
    with pytest.raises(judge.RemoteUnavailable, match="larger than the grader accepts"):
        channel.decode([list(range(60)), list(range(60))])
    with pytest.raises(judge.RemoteUnavailable, match="more than 100 values"):
        judge._parse_reply(json.dumps({"nonce": "n", "ok": list(range(300))}), "n")


def test_a_reply_of_too_many_array_bytes_is_refused(monkeypatch):
    monkeypatch.setattr(judge, "MAX_ARRAY_BYTES", 64)
    five = _array(np.zeros(5))  # 40 bytes each
    assert len(judge.Channel(None).decode([five])[0]) == 5
    with pytest.raises(judge.RemoteUnavailable, match="larger than the grader accepts"):
        judge.Channel(None).decode([five, five])


def test_a_reply_is_only_a_dict_with_this_requests_nonce():
    assert judge._parse_reply(json.dumps({"nonce": "n", "ok": 1}), "n") == {"nonce": "n", "ok": 1}
    for raw in (json.dumps({"nonce": "m", "ok": 1}), json.dumps([1]), "{", None, b"{}", "[" * 100_000):
        assert judge._parse_reply(raw, "n") is None, raw


def test_a_reply_over_the_size_limit_is_not_parsed(monkeypatch):
    monkeypatch.setattr(judge, "MAX_REPLY", 50)
    assert judge._parse_reply(json.dumps({"nonce": "n", "ok": "x" * 60}), "n") is None


def _replying(*outputs):
    return judge.Channel(lambda code, timeout: list(outputs))


def test_a_kernel_that_sends_no_reply_or_a_forged_one_is_unavailable():
    forged = {"output_type": "display_data", "data": {judge.MIME: json.dumps({"nonce": "guess", "ok": 1})}}
    text = {"output_type": "stream", "name": "stdout", "text": json.dumps({"nonce": "guess", "ok": 1})}
    for channel in (_replying(), _replying(forged, text), judge.Channel(lambda code, timeout: None)):
        with pytest.raises(judge.RemoteUnavailable, match="no reply"):
            channel.request({"op": "get", "name": "x"})


def test_an_error_output_is_the_students_error_cut_short():
    error = {"output_type": "error", "ename": "ZeroDivisionError" + "x" * 300, "evalue": "y" * 5000}
    with pytest.raises(judge.StudentError) as err:
        _replying(error).request({"op": "get", "name": "x"})
    ename, evalue = err.value.__course_student__
    assert len(ename) == 200 and len(evalue) == 4000


def test_a_request_after_the_deadline_is_a_timeout():
    channel, loop = _channel()
    channel.deadline = 0.0  # long past
    with pytest.raises(judge.RemoteTimeout):
        channel.op("get", name="ident")
    assert loop.requests == [], "the request was sent after its deadline"
