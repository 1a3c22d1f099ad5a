"""``python -m course_tools grade``: a corpus of broken and hostile submissions, graded as one batch.

The corpus is generated here from the released ``notebooks/00_start_here.ipynb`` (one
exercise, ``conv_output_size``, 2 points), next to correct submissions. Every hostile one
must end with no points it did not earn and a status that says why; correct ones get full
points; nothing outside the grading output changes; no process outlives the batch.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from listener import Listener

from course_tools import sandbox
from course_tools.grade import find_submissions, grade_batch, load_assignment, prepare_submission
from course_tools.notebooks import STUDENT_CODE_STUB, cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

ROOT = project_root()
RELEASED = ROOT / "notebooks" / "00_start_here.ipynb"
ANSWER = "conv_output_size"
TEST = "test_conv_output_size"
SIGNATURE = "def conv_output_size(n, f, p=0, s=1):\n"
CORRECT = SIGNATURE + "    return (n + 2 * p - f) // s + 1\n"
WRONG = SIGNATURE + "    return (n - f) // s + 1  # ignores the padding\n"


def _with_answer(source: str, mutate=None):
    nb = read_notebook(RELEASED)
    for cell in nb.cells:
        if cell_kind(cell) == "solution":
            cell.source = source
    if mutate:
        mutate(nb)
    return nb


def _cells(nb, kind):
    return [c for c in nb.cells if cell_kind(c) == kind]


def _snapshot(*folders: Path) -> dict:
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else [folder]:
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


FORGED = "Mean total 20.00 / 20; full marks: 7."
SHM_KEY = 0x5CA1AB1E
LOCK_NAME = f"cu_grade_lock_{os.getpid()}"
MAX_MB = 2
BACKUP = ROOT / f".cu-backup-{os.getpid()}"  # a copy of the solutions outside the hidden folders


def _oversized():
    """A valid notebook of this assignment, correct, but above the batch's --max-submission-mb."""
    nb = _with_answer(CORRECT)
    nb.cells[0].source += "\n<!-- " + "x" * (MAX_MB * 2**20 + 1000) + " -->"
    return nb


def _corpus(canary: Path, port: int, marker: str, sandboxed: bool) -> dict:
    """name -> (notebook node or raw text, expected points, allowed statuses).

    Without the root sandbox (see README) the submissions that read, write or delete files
    outside their folder, use the network or kill every process of their user are left out:
    they would succeed, and ``kill(-1)`` would end the test run itself.
    """
    checks_py = ROOT / "course_utils" / "checks.py"

    def delete_answer(nb):
        nb.cells = [c for c in nb.cells if cell_kind(c) != "solution"]

    def rename_answer(nb):
        _cells(nb, "solution")[0].metadata["nbgrader"]["grade_id"] = "my_answer"

    def strip_metadata(nb):
        for c in nb.cells:
            c.metadata.pop("nbgrader", None)

    def other_assignment(nb):
        for c in nb.cells:
            meta = c.metadata.get("nbgrader")
            if meta:
                meta["grade_id"] = meta["grade_id"].replace("conv_output_size", "conv_forward")

    def edit_test(nb):
        _cells(nb, "tests")[0].source = "cu.checks.passed('conv_output_size', points=2)"

    def delete_test(nb):
        nb.cells = [c for c in nb.cells if cell_kind(c) != "tests"]

    def answer_elsewhere(nb):
        import nbformat

        idx = nb.cells.index(_cells(nb, "solution")[0])
        nb.cells.insert(idx + 1, nbformat.v4.new_code_cell(CORRECT))

    def duplicate_id(nb):
        first = _cells(nb, "solution")[0]
        second = copy.deepcopy(first)
        second.source = CORRECT
        second.id = "dup-cell"
        nb.cells.insert(nb.cells.index(first) + 1, second)

    hostile = {
        "invalid_json": ('{"cells": [ this is not json', 0, {"missing"}),
        "other_assignment": (_with_answer(CORRECT, other_assignment), 0, {"missing"}),
        "missing_answer": (_with_answer(CORRECT, delete_answer), 0, {"missing"}),
        "renamed_grade_id": (_with_answer(CORRECT, rename_answer), 0, {"missing"}),
        "stripped_metadata": (_with_answer(CORRECT, strip_metadata), 0, {"missing"}),
        "answer_in_new_cell": (
            _with_answer(SIGNATURE + "    raise NotImplementedError()\n", answer_elsewhere),
            0,
            {"failed", "error"},  # the check reports "not implemented yet"
        ),
        "blank": (read_notebook(RELEASED), 0, {"failed", "error"}),
        "wrong": (_with_answer(WRONG), 0, {"failed"}),
        "infinite_loop": (_with_answer("while True:\n    pass\n" + CORRECT), 0, {"timeout"}),
        "sleep_past_limit": (_with_answer("import time\ntime.sleep(3600)\n" + CORRECT), 0, {"timeout"}),
        "sys_exit": (_with_answer("import sys\nsys.exit()\n" + CORRECT), 0, {"error"}),
        "os_exit": (_with_answer("import os\nos._exit(1)\n" + CORRECT), 0, {"error"}),
        "segfault": (_with_answer("import ctypes\nctypes.string_at(0)\n" + CORRECT), 0, {"error"}),
        # in its PID namespace there is nobody else to kill: ProcessLookupError, an error
        "kill_all": (_with_answer("import os, signal\nos.kill(-1, signal.SIGKILL)\n" + WRONG), 0, {"failed", "error"}),
        "memory_bomb": (
            _with_answer("blocks = []\nwhile True:\n    blocks.append(bytes(256 * 2**20))\n" + CORRECT),
            0,
            {"error"},
        ),
        "huge_allocation": (_with_answer("x = bytearray(64 * 2**30)\n" + CORRECT), 0, {"error"}),
        "huge_output": (_with_answer("for i in range(20000):\n    print('x' * 200)\n" + CORRECT), 2, {"passed"}),
        "redefine_helpers": (
            _with_answer(
                "import course_utils as cu\nimport sys\nfor _n in dir(cu.checks):\n"
                "    if _n.startswith('check_'):\n        setattr(cu.checks, _n, lambda *a, **k: None)\n"
                "sys.modules['course_utils.checks'].check_equal = lambda *a, **k: None\n" + WRONG
            ),
            0,
            {"failed"},
        ),
        "replace_cu": (
            _with_answer(
                "class _Fake:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
                "class _Cu:\n    checks = _Fake()\ncu = _Cu()\n" + WRONG
            ),
            0,
            {"failed"},
        ),
        "redefine_assert": (
            _with_answer(
                "import builtins\nbuiltins.AssertionError = type('AssertionError', (BaseException,), {})\n"
                "AssertionError = None\nget_ipython().showtraceback = lambda *a, **k: None\n"
                "import sys\nsys.excepthook = lambda *a: None\n" + WRONG
            ),
            0,
            {"failed", "error"},
        ),
        "rewrite_test_cells": (
            _with_answer(
                "def _neuter(lines):\n    return ['pass\\n'] if any('Check that' in l for l in lines) else lines\n"
                "get_ipython().input_transformers_cleanup.append(_neuter)\n" + WRONG
            ),
            0,
            {"failed"},  # the test cells run in the grader: the transformer never sees them; the answer is wrong
        ),
        "edited_visible_test": (_with_answer(WRONG, edit_test), 0, {"tampered"}),
        "deleted_test": (_with_answer(WRONG, delete_test), 0, {"tampered"}),
        "duplicate_grade_id": (_with_answer(WRONG, duplicate_id), 0, {"failed"}),
        "read_hidden_tests": (
            _with_answer(
                "import json, pathlib, course_utils\n"
                "_root = pathlib.Path(course_utils.__file__).resolve().parent.parent\n"
                "_nb = json.loads((_root / 'solutions' / '00_start_here.ipynb').read_text())\n"
                "for _c in _nb['cells']:\n"
                "    if _c.get('metadata', {}).get('nbgrader', {}).get('grade_id') == 'conv_output_size':\n"
                "        exec(''.join(_c['source']))\n"
            ),
            0,
            {"error", "timeout"},
        ),
        "write_outside": (
            _with_answer(
                "import pathlib\n"
                f"for _p, _act in [({str(canary)!r}, 'delete'), ({str(canary.parent / 'new.txt')!r}, 'write'),\n"
                f"                 ({str(checks_py)!r}, 'append'), ('/etc/cu_grade_probe', 'write')]:\n"
                "    try:\n"
                "        if _act == 'delete':\n            pathlib.Path(_p).unlink()\n"
                "        elif _act == 'append':\n"
                "            open(_p, 'a').write('\\ncheck_equal = lambda *a, **k: None\\n')\n"
                "        else:\n            pathlib.Path(_p).write_text('pwned')\n"
                "    except OSError:\n        pass\n" + WRONG
            ),
            0,
            {"failed"},
        ),
        "network": (
            _with_answer(
                "import socket\n_ok = False\ntry:\n"
                f"    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n    _ok = True\n"
                "except OSError:\n    pass\n"
                + SIGNATURE
                + "    if not _ok:\n        return -1\n    return (n + 2 * p - f) // s + 1\n"
            ),
            0,
            {"failed"},
        ),
        "orphan_process": (
            _with_answer(
                "import subprocess, sys\n"
                f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)  # {marker}'],\n"
                "                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                + WRONG
            ),
            0,
            {"failed"},
        ),
    }
    # Intake, reports and the kernel's own descriptors and IPC (issue 28).
    surrogate = json.loads(json.dumps(_with_answer(CORRECT + "# a lone surrogate: \ud800\n")))
    hostile.update(
        {
            "symlink_to_solution": (
                lambda path: path.symlink_to(ROOT / "solutions" / "00_start_here.ipynb"),
                0,
                {"missing"},
            ),
            "fifo": (lambda path: os.mkfifo(path), 0, {"missing"}),
            "oversized": (_oversized(), 0, {"missing"}),
            "lone_surrogate": (json.dumps(surrogate, ensure_ascii=True), 2, {"passed"}),
            "a b": (_with_answer(WRONG), 0, {"failed"}),
            "a_b": (_with_answer(CORRECT), 2, {"passed"}),
            "Zo\u00eb": (_with_answer(WRONG), 0, {"failed"}),
            "Zo\u00e9": (_with_answer(CORRECT), 2, {"passed"}),
            "=1+2": (_with_answer(CORRECT), 2, {"passed"}),
            "fence_breaker": (
                _with_answer(SIGNATURE + "    raise AssertionError('```\\n**Total: 20 / 20**\\n```')\n"),
                0,
                {"failed"},
            ),
            "grader_fds": (
                _with_answer(f"import os\nfor _fd in (1, 2):\n    os.write(_fd, b'\\n{FORGED}\\n')\n" + WRONG),
                0,
                {"failed"},
            ),
            "shm_segment": (
                _with_answer(
                    "import ctypes\n_libc = ctypes.CDLL(None)\n"
                    f"_libc.shmget({SHM_KEY}, 4096, 0o1000 | 0o666)  # IPC_CREAT, world-readable\n" + WRONG
                ),
                0,
                {"failed"},
            ),
            "run_lock": (
                _with_answer(
                    "import pathlib\n"
                    f"for _d in ('/run/lock', '/var/lock', '/var/tmp'):\n"
                    "    try:\n"
                    f"        (pathlib.Path(_d) / {LOCK_NAME!r}).write_text('left behind')\n"
                    "    except OSError:\n        pass\n" + WRONG
                ),
                0,
                {"failed"},
            ),
        }
    )
    # The kernel's process tree is in a cgroup of its own with --memory-mb in all (as root): read
    # from inside the kernel, the answer is right only if it is (tests/test_sandbox.py shows that
    # such a cgroup kills children that fill more than the limit together; its limit is not readable
    # from inside: /sys is not there, see sys_listing).
    held = sandboxed and bool(sandbox.cgroup_dirs("probe"))
    hostile["cgroup_from_inside"] = (
        _with_answer(
            "_held = any('cu-grade-' in _line for _line in open('/proc/self/cgroup'))\n"
            + SIGNATURE
            + "    return (n + 2 * p - f) // s + 1 if _held else (n - f) // s + 1\n"
        ),
        2 if held else 0,
        {"passed"} if held else {"failed"},
    )
    # Five 300 MB files in the kernel's folder (each under the 512 MB file limit): as root the folder
    # is a 1024 MB tmpfs, so they cannot all be written; right only if the total was capped.
    hostile["fill_folder"] = (
        _with_answer(
            "import os, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n_total = 0\n"
            "for _i in range(5):\n    try:\n        with open(f'big{_i}.bin', 'wb') as _f:\n"
            "            for _ in range(30):\n                _f.write(b'\\x01' * (10 * 2**20))\n"
            "                _total += 10 * 2**20\n    except OSError:\n        break\n"
            "for _i in range(5):\n    try:\n        os.remove(f'big{_i}.bin')\n    except OSError:\n        pass\n"
            "_capped = _total <= 1024 * 2**20\n"
            + SIGNATURE
            + "    return (n + 2 * p - f) // s + 1 if _capped else (n - f) // s + 1\n"
        ),
        2 if sandboxed else 0,
        {"passed"} if sandboxed else {"failed"},
    )
    # The kernel looks for the grader's command line and other kernels in /proc: as root it has a
    # PID namespace of its own and sees only its own processes; right only if it saw nothing else.
    hostile["proc_listing"] = (
        _with_answer(
            "import os\n_seen = []\nfor _p in os.listdir('/proc'):\n    if _p.isdigit():\n        try:\n"
            "            _seen.append(open(f'/proc/{_p}/cmdline', 'rb').read())\n        except OSError:\n"
            "            pass\n"
            "_private = not any(b'pytest' in c or b'sandbox.py' in c or b'connect' in c for c in _seen)\n"
            + SIGNATURE
            + "    return (n + 2 * p - f) // s + 1 if _private else (n - f) // s + 1\n"
        ),
        2 if sandboxed else 0,
        {"passed"} if sandboxed else {"failed"},
    )
    # /sys of the host shows every kernel's cgroup and the host's paths (issue 42): as root the kernel's
    # /sys is empty; right only if it saw nothing there.
    hostile["sys_listing"] = (
        _with_answer(
            "import os\n_seen = []\nfor _d in ('/sys/fs/cgroup', '/sys/devices', '/sys/class'):\n    try:\n"
            "        _seen += os.listdir(_d)\n    except OSError:\n        pass\n"
            "_private = not _seen\n"
            + SIGNATURE
            + "    return (n + 2 * p - f) // s + 1 if _private else (n - f) // s + 1\n"
        ),
        2 if sandboxed else 0,
        {"passed"} if sandboxed else {"failed"},
    )
    # A second copy of the course's solutions elsewhere on the host (a backup, another checkout):
    # as root the kernel's file system is an allow-list, so it does not exist for the kernel.
    hostile["read_backup_solutions"] = (
        _with_answer(
            "import json\n_found = False\ntry:\n"
            f"    _nb = json.loads(open({str(BACKUP / 'solutions' / '00_start_here.ipynb')!r}).read())\n"
            "    for _c in _nb['cells']:\n"
            "        if _c.get('metadata', {}).get('nbgrader', {}).get('grade_id') == 'conv_output_size':\n"
            "            exec(''.join(_c['source']))\n            _found = True\n"
            "except OSError:\n    pass\n"
            "if not _found:\n" + "".join("    " + line + "\n" for line in WRONG.splitlines())
        ),
        0,
        {"failed"},
    )
    if not sandboxed:
        for name in ("read_hidden_tests", "write_outside", "network", "kill_all", "run_lock", "read_backup_solutions"):
            hostile.pop(name)
    good = {
        "good_alice": (_with_answer(CORRECT), 2, {"passed"}),
        "good_bob": (
            _with_answer(SIGNATURE + "    import math\n    return math.floor((n + 2 * p - f) / s) + 1\n"),
            2,
            {"passed"},
        ),
        "carol/00_start_here": (_with_answer(CORRECT), 2, {"passed"}),  # per-student folder: id "carol"
    }
    return {**hostile, **good}


def _orphans(marker: str) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                    pids.append(int(name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("grade")
    subs, out, outside = base / "submissions", base / "out", base / "outside"
    subs.mkdir()
    outside.mkdir()
    canary = outside / "canary.txt"
    canary.write_text("do not touch")
    listener = Listener()
    marker = f"cu-orphan-{os.getpid()}-{time.time_ns()}"
    sandboxed = str(sandbox.probe().get("files", "")).startswith("private")
    corpus = _corpus(canary, listener.port, marker, sandboxed)
    for name, (content, _, _) in corpus.items():
        path = subs / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            write_notebook(content, path)
    (BACKUP / "solutions").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "solutions" / "00_start_here.ipynb", BACKUP / "solutions")
    watched = (ROOT / "course_utils" / "checks.py", ROOT / "solutions" / "00_start_here.ipynb", RELEASED, subs, outside)
    before = _snapshot(*watched)
    start = time.monotonic()
    # What the grader's own descriptors receive while grading (kernels inherit them unless redirected).
    grader_fds = base / "grader_fds.txt"
    capture = os.open(grader_fds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    saved = os.dup(1), os.dup(2)
    os.dup2(capture, 1)
    os.dup2(capture, 2)
    try:
        records = grade_batch(
            subs,
            "00",
            out=out,
            workers=3,
            timeout_cell=10,
            timeout_notebook=90,
            memory_mb=4096,
            progress=False,
            max_submission_mb=MAX_MB,
        )
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, capture):
            os.close(fd)
        listener.close()
        shutil.rmtree(BACKUP, ignore_errors=True)
    seconds = time.monotonic() - start
    time.sleep(1)
    return {
        "records": {r["student"]: r for r in records},
        "corpus": corpus,
        "out": out,
        "before": before,
        "after": _snapshot(*watched),
        "canary": canary,
        "listener": listener,
        "marker": marker,
        "seconds": seconds,
        "subs": subs,
        "sandboxed": sandboxed,
        "grader_fds": grader_fds.read_text(errors="replace"),
    }


def test_every_submission_is_graded_with_the_expected_outcome(batch):
    records = batch["records"]
    expected_ids = {name.split("/")[0] for name in batch["corpus"]}
    assert set(records) == expected_ids
    problems = []
    for name, (_, points, statuses) in batch["corpus"].items():
        student = name.split("/")[0]
        ex = records[student]["exercises"][TEST]
        if ex["earned"] != points or ex["status"] not in statuses:
            problems.append(
                f"{student}: {ex['earned']} points, {ex['status']} ({ex['message'][:150]}); "
                f"expected {points}, {sorted(statuses)}"
            )
    assert not problems, "\n".join(problems)
    print(f"\nfixture batch: {len(records)} submissions in {batch['seconds']:.1f} s")


def test_status_messages_say_why(batch):
    ex = {s: r["exercises"][TEST] for s, r in batch["records"].items()}
    assert "not a readable notebook" in ex["invalid_json"]["message"]
    assert "not a notebook of 00_start_here" in ex["other_assignment"]["message"]
    assert "grade_id conv_output_size" in ex["missing_answer"]["message"]
    assert "grade_id conv_output_size" in ex["renamed_grade_id"]["message"]
    assert "--timeout-cell" in ex["infinite_loop"]["message"]
    assert "kernel died" in ex["os_exit"]["message"] and "kernel died" in ex["segfault"]["message"]
    assert "MemoryError" in ex["memory_bomb"]["message"]
    assert "edited" in ex["edited_visible_test"]["message"]
    assert "deleted" in ex["deleted_test"]["message"]
    # A case drawn at grading time is named (its parameters and a hint), never shown with its values.
    assert "AssertionError" in ex["wrong"]["message"] and "padding 1" in ex["wrong"]["message"]
    assert "add 2p" in ex["wrong"]["message"]
    assert "not implemented yet" in ex["blank"]["message"]
    notes = batch["records"]["renamed_grade_id"]["notes"]
    assert any("my_answer" in n for n in notes)
    assert batch["records"]["invalid_json"]["submission"] == "invalid"
    assert batch["records"]["other_assignment"]["submission"] == "wrong_assignment"


def test_nothing_outside_the_output_changed(batch):
    assert batch["canary"].read_text() == "do not touch"
    changed = {k for k in set(batch["before"]) | set(batch["after"]) if batch["before"].get(k) != batch["after"].get(k)}
    assert not changed, f"files changed by grading: {sorted(changed)}"
    assert not Path("/etc/cu_grade_probe").exists()


def test_no_process_outlives_the_batch(batch):
    assert not _orphans(batch["marker"]), "a submission's subprocess survived the grading"


def test_kernels_are_forked_from_the_zygote(batch):
    forked = [
        r["student"]
        for r in batch["records"].values()
        if r.get("sandbox", {}).get("started") == "forked from the grading zygote"
    ]
    assert "good_alice" in forked and "wrong" in forked, f"kernels forked from the zygote: {forked}"


def test_notebook_modules_lists_what_the_notebook_imports():
    import nbformat.v4 as v4

    from course_tools.zygote import notebook_modules

    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("import numpy as np\nimport os, sys\nfrom skimage import data, color\n%matplotlib inline"),
            v4.new_code_cell("def f():\n    import keras.layers\n    from . import x\nimport course_utils.widgets"),
            v4.new_code_cell("import not_a_module_anywhere_42\nthis is not python"),
            v4.new_code_cell("import scipy.ndimage"),
            v4.new_markdown_cell("import matplotlib"),
        ]
    )
    assert notebook_modules(nb) == [
        "keras.layers",
        "numpy",
        "scipy.ndimage",
        "skimage",
        "skimage.color",
        "skimage.data",
    ]
    nb.cells[2].source = "import not_a_module_anywhere_42"
    assert "not_a_module_anywhere_42" in notebook_modules(nb, installed_only=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote forks (Linux)")
def test_killing_the_client_kills_the_forked_process(tmp_path):
    """The kernel manager kills the client on a timeout: the zygote must kill what it forked."""
    import signal

    import nbformat.v4 as v4

    from course_tools import zygote
    from course_tools.grade import start_zygote, stop_zygote

    z = start_zygote(v4.new_notebook(cells=[v4.new_code_cell("import numpy")]))
    assert z is not None and "numpy" in z["modules"]
    pid_file = tmp_path / "pid"
    cmd = [
        sys.executable,
        "-c",
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)",
    ]
    client = subprocess.Popen(
        [
            sys.executable,
            "-S",
            zygote.__file__,
            "connect",
            z["socket"],
            json.dumps({"isolate": False, "memory_mb": 512}),
            "--",
            *cmd,
        ]
    )
    try:
        for _ in range(100):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert Path(f"/proc/{child}").exists()
        limit = [
            ln for ln in Path(f"/proc/{child}/limits").read_text().splitlines() if ln.startswith("Max address space")
        ]
        assert str(512 * 1024 * 1024) in limit[0], limit  # the sandbox applied in the child
        client.send_signal(signal.SIGKILL)
        client.wait(10)
        for _ in range(50):
            if not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the forked process outlived its killed client")
    finally:
        client.kill()
        stop_zygote(z)
    assert not Path(z["folder"]).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the PID namespace needs root")
def test_killing_the_client_kills_the_kernel_in_its_pid_namespace(tmp_path):
    """As root the forked process is a stand-in outside the kernel's PID namespace: killing the
    client must end the kernel inside it too (nothing of the sandbox user is left)."""
    import signal

    import nbformat.v4 as v4

    from course_tools import zygote
    from course_tools.grade import start_zygote, stop_zygote

    uid = 1_000_000 + int.from_bytes(os.urandom(3), "big")
    os.chmod(tmp_path, 0o777)
    keep = sorted({str(tmp_path), sys.prefix, sys.base_prefix} | {p for p in sys.path if p.endswith("site-packages")})
    spec = {"isolate": True, "memory_mb": 2048, "uid": uid, "keep": keep, "writable": [str(tmp_path)]}
    spec.update(chown=[str(tmp_path)], cwd=str(tmp_path), log=str(tmp_path / "log"))
    z = start_zygote(v4.new_notebook(cells=[v4.new_code_cell("import numpy")]))
    ready = tmp_path / "ready"
    cmd = [sys.executable, "-c", f"import time; open({str(ready)!r}, 'w').write('1'); time.sleep(120)"]
    client = subprocess.Popen(
        [sys.executable, "-S", zygote.__file__, "connect", z["socket"], json.dumps(spec), "--", *cmd]
    )

    def of_uid():
        found = []
        for name in os.listdir("/proc"):
            try:
                if name.isdigit() and os.stat(f"/proc/{name}").st_uid == uid:
                    found.append(int(name))
            except OSError:
                pass
        return found

    try:
        for _ in range(100):
            if ready.exists():
                break
            time.sleep(0.1)
        assert ready.exists(), (tmp_path / "log").read_text() if (tmp_path / "log").exists() else "no log"
        assert len(of_uid()) >= 2  # the stand-in and the kernel (process 1 of its namespace)
        client.send_signal(signal.SIGKILL)
        client.wait(10)
        for _ in range(50):
            if not of_uid():
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"processes of the sandbox user outlived the killed client: {of_uid()}")
    finally:
        client.kill()
        stop_zygote(z)
        sandbox.kill_user(uid)


def test_client_without_a_zygote_starts_a_new_python(tmp_path):
    from course_tools import zygote

    done = subprocess.run(
        [
            sys.executable,
            "-S",
            zygote.__file__,
            "connect",
            str(tmp_path / "no.sock"),
            json.dumps({"isolate": False, "memory_mb": 512}),
            "--",
            sys.executable,
            "-c",
            "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(512 * 1024 * 1024)  # still sandboxed (sandbox.py)


def test_grading_without_the_zygote_gives_the_same_scores(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    write_notebook(_with_answer(CORRECT), subs / "right.ipynb")
    write_notebook(_with_answer(WRONG), subs / "wrong.ipynb")
    records = grade_batch(
        subs,
        "00",
        out=tmp_path / "out",
        workers=2,
        timeout_cell=60,
        timeout_notebook=300,
        progress=False,
        preload=False,
    )
    by = {r["student"]: r for r in records}
    assert by["right"]["total"] == 2 and by["wrong"]["total"] == 0
    assert "started" not in by["right"]["sandbox"]


def test_sandbox_blocks_network_and_hidden_files_when_root(batch):
    if not batch["sandboxed"]:
        pytest.skip("the file-system and network sandbox needs root on Linux (see README)")
    assert batch["listener"].connections == 0, "a kernel reached 127.0.0.1"
    ex = batch["records"]["read_hidden_tests"]["exercises"][TEST]
    assert ex["earned"] == 0 and ("FileNotFoundError" in ex["message"] or "NameError" in ex["message"])


def test_reports_csv_json_feedback(batch):
    out = batch["out"]
    lines = (out / "grades.csv").read_text().splitlines()
    assert lines[0] == f"student,{TEST},total,submission"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows["good_alice"][1:3] == ["2", "2"] and rows["wrong"][1:3] == ["0", "0"]
    assert rows["carol"][1] == "2"
    data = json.loads((out / "grades.json").read_text())
    assert data["max_total"] == 2
    assert data["students"]["wrong"]["exercises"][TEST]["status"] == "failed"
    feedback = (out / "feedback" / "wrong.md").read_text()
    assert "0 / 2" in feedback and "add 2p" in feedback
    assert len(list((out / "feedback").glob("*.md"))) == len(batch["records"])


def test_huge_output_is_capped(batch):
    assert (batch["out"] / "grades.json").stat().st_size < 2_000_000


def test_student_ids_and_preparation(tmp_path):
    (tmp_path / "dave").mkdir()
    write_notebook(_with_answer(CORRECT), tmp_path / "dave" / "00_start_here.ipynb")
    write_notebook(_with_answer(CORRECT), tmp_path / "dave" / "scratch.ipynb")
    write_notebook(_with_answer(CORRECT), tmp_path / "erin.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_notebook(_with_answer(CORRECT), tmp_path / ".ipynb_checkpoints" / "x.ipynb")
    found = find_submissions(tmp_path, "00")
    assert [(s, p.name) for s, p in found] == [("dave", "00_start_here.ipynb"), ("erin", "erin.ipynb")]
    spec = load_assignment("00")
    prep = prepare_submission(tmp_path / "erin.ipynb", spec)
    assert prep["status"] == "ok" and not prep["missing"] and not prep["tampered"]
    test_cell = next(c for c in prep["notebook"].cells if cell_kind(c) == "tests")
    assert "### BEGIN HIDDEN TESTS" in test_cell.source  # all tests, hidden ones included
    answer = next(c for c in prep["notebook"].cells if cell_kind(c) == "solution")
    assert answer.source == CORRECT


def test_reading_a_submission_is_time_limited(tmp_path, monkeypatch):
    """A notebook that takes too long to parse or validate is reported, not waited for."""
    import nbformat

    from course_tools import grade

    write_notebook(_with_answer(CORRECT), tmp_path / "slow.ipynb")
    spec = load_assignment("00")

    def slow_reads(*_args, **_kwargs):
        time.sleep(10)

    monkeypatch.setattr(grade, "PARSE_SECONDS", 0.5)
    monkeypatch.setattr(nbformat, "reads", slow_reads)
    start = time.monotonic()
    prep = prepare_submission(tmp_path / "slow.ipynb", spec)
    assert time.monotonic() - start < 5
    assert prep["status"] == "invalid" and prep["notebook"] is None
    assert "took more than 0.5 s" in prep["notes"][-1], prep["notes"]
    monkeypatch.undo()
    assert prepare_submission(tmp_path / "slow.ipynb", spec)["status"] == "ok"  # the timer is gone


def test_cli_help_documents_student_ids():
    out = subprocess.run(
        [sys.executable, "-m", "course_tools", "grade", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    out = " ".join(out.split())
    assert "--timeout-cell" in out and "folder's name" in out


class TestNbgraderPeer:
    """nbgrader's own ``generate_assignment`` and ``autograde`` give the same scores as ours.

    A class, so that xdist's ``loadscope`` can run it next to the batch above.
    """

    SUBMISSIONS = {
        "correct": CORRECT,
        "blank": None,
        "visible_only": SIGNATURE
        + (  # passes the visible checks, fails the hidden ones
            "    known = {(6, 3, 0, 1): 4, (7, 3, 0, 2): 3, (6, 3, 1, 1): 6, (8, 3, 0, 2): 3}\n"
            "    return known.get((n, f, p, s), n)\n"
        ),
        "wrong": WRONG,
    }

    # nbgrader and our grader both run the same Python kernel; the comparison does not depend on
    # the Keras backend, and it is the slowest test of the suite, so it runs in the TensorFlow pass.
    @pytest.mark.backend("tensorflow")
    def test_scores_equal_nbgraders(self, tmp_path):
        import html

        course = tmp_path / "course"
        (course / "source" / "ps1").mkdir(parents=True)
        # the configuration the course ships for nbgrader, with this course folder's own settings after it
        (course / "nbgrader_config.py").write_text(
            NBGRADER_CONFIG.read_text()
            + "c.CourseDirectory.course_id = 'cnn'\n"
            + f"c.CourseDirectory.root = {str(course)!r}\n"
            + f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
        )
        source = course / "source" / "ps1" / "00_start_here.ipynb"
        source.write_bytes((ROOT / "solutions" / "00_start_here.ipynb").read_bytes())
        env = dict(os.environ)
        # nbgrader runs `alembic` by name: put this Python's scripts folder on PATH (CI does not activate the venv).
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

        def nbgrader(*args):
            proc = subprocess.run(
                [sys.executable, "-m", "nbgrader", *args, "--force"],
                cwd=course,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]

        nbgrader("generate_assignment", "ps1")
        released = read_notebook(course / "release" / "ps1" / "00_start_here.ipynb")
        ours = tmp_path / "ours"
        for student, answer in self.SUBMISSIONS.items():
            nb = copy.deepcopy(released)
            if answer is not None:
                for cell in nb.cells:
                    if cell_kind(cell) == "solution":
                        cell.source = answer
            target = course / "submitted" / student / "ps1" / "00_start_here.ipynb"
            target.parent.mkdir(parents=True)
            write_notebook(nb, target)
            (ours / student).mkdir(parents=True)
            write_notebook(nb, ours / student / "00_start_here.ipynb")
        nbgrader("autograde", "ps1")
        # What nbgrader shows a student: its feedback is the autograded notebook, hidden tests included
        # (INSTRUCTORS.md says so; the course's own grader never shows them).
        nbgrader("generate_feedback", "ps1")
        feedback = (course / "feedback" / "visible_only" / "ps1" / "00_start_here.html").read_text()
        hidden = [ln.strip() for ln in _hidden_lines() if ln.strip()]
        assert any(html.escape(ln) in feedback or ln in feedback for ln in hidden), "nbgrader hid the hidden tests"

        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
            theirs = {s: gb.find_submission("ps1", s).score for s in self.SUBMISSIONS}
        records = grade_batch(
            ours, "00", out=tmp_path / "out", workers=2, timeout_cell=60, timeout_notebook=300, progress=False
        )
        mine = {r["student"]: r["total"] for r in records}
        assert mine == theirs, f"ours {mine} != nbgrader {theirs}"
        assert theirs["correct"] == 2 and theirs["visible_only"] == 0


NBGRADER_CONFIG = ROOT / "docs" / "recipes" / "nbgrader_config.py"


def _hidden_lines() -> list[str]:
    import re

    text = "".join(c.source + "\n" for c in read_notebook(ROOT / "solutions" / "00_start_here.ipynb").cells)
    return "".join(re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, flags=re.S)).splitlines()


def test_the_course_ships_the_nbgrader_config_it_needs():
    """nbgrader's default cell timeout (30 s) ends most autogrades of this course: the config sets its own
    (issue 45), and the release's stubs."""
    from traitlets.config import Config

    from course_tools.notebooks import STUDENT_TEXT_STUB

    c = Config()
    exec(compile(NBGRADER_CONFIG.read_text(), str(NBGRADER_CONFIG), "exec"), {"get_config": lambda: c})  # noqa: S102
    assert c.Execute.timeout >= 300 and c.Execute.startup_timeout >= 60
    assert c.ClearSolutions.code_stub == {"python": STUDENT_CODE_STUB}
    assert c.ClearSolutions.text_stub == STUDENT_TEXT_STUB


def test_kernels_run_in_fast_mode_unless_full(monkeypatch):
    import argparse

    from course_tools.grade import _kernel_env, add_arguments

    monkeypatch.setenv("COURSE_FAST", "0")  # the grader's own mode does not leak into the kernels
    assert _kernel_env("/home/x", "token")["COURSE_FAST"] == "1"
    assert _kernel_env("/home/x", "token", fast=False)["COURSE_FAST"] == "0"
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["subs", "--assignment", "01"]).full is False
    assert parser.parse_args(["subs", "--assignment", "01", "--full"]).full is True


# --------------------------------------------------------------------------- intake and reports (issue 28)


def test_intake_grades_only_regular_files_within_the_cap(batch):
    records = batch["records"]
    for name in ("symlink_to_solution", "fifo"):
        assert records[name]["submission"] == "invalid", records[name]
    assert "symbolic link" in " ".join(records["symlink_to_solution"]["notes"])
    assert "not a regular file" in " ".join(records["fifo"]["notes"])
    assert records["oversized"]["submission"] == "too_large"
    assert "--max-submission-mb" in " ".join(records["oversized"]["notes"])
    lone = records["lone_surrogate"]
    assert lone["total"] == 2 and any("surrogate" in n for n in lone["notes"])


def test_reports_cannot_collide_or_lie(batch):
    out, records = batch["out"], batch["records"]
    names = {}
    for path in (out / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        student = text.splitlines()[0].split(", ", 1)[1]
        names[student] = (path.name, text)
    for a, b in (("a b", "a_b"), ("Zo\u00eb", "Zo\u00e9")):
        assert names[a][0] != names[b][0], f"{a!r} and {b!r} share {names[a][0]}"
        assert f"**Total: {int(records[a]['total'])} / 2**" in names[a][1]
        assert f"**Total: {int(records[b]['total'])} / 2**" in names[b][1]
    assert len(names) == len(records)
    rows = list(csv.reader((out / "grades.csv").open(encoding="utf-8")))
    assert ["'=1+2", "2", "2", "ok"] in rows
    assert not [r for r in rows[1:] if r[0][:1] in "=+-@"]
    text = names["fence_breaker"][1]
    totals = [line for line in text.splitlines() if "Total:" in line]
    assert totals[0] == "**Total: 0 / 2**"
    inside, fence = False, None
    for line in text.splitlines():  # every other "Total" line is inside a code block
        if line.startswith("```") and (fence is None or line == fence):
            inside, fence = (not inside), (line if not inside else None)
        elif "**Total: 20 / 20**" in line:
            assert inside, "a message closed its code block and printed a fake total"


def test_kernels_never_write_to_the_graders_descriptors(batch):
    assert FORGED not in batch["grader_fds"], batch["grader_fds"][-500:]


def test_kernels_have_their_own_ipc_and_world_writable_folders(batch):
    report = batch["records"]["good_alice"]["sandbox"]
    if not str(report.get("ipc", "")).startswith("private") and not batch["sandboxed"]:
        pytest.skip(f"kernels had neither a private IPC namespace nor the sandbox here ({report.get('ipc')!r})")
    if str(report.get("ipc", "")).startswith("private"):
        shm = Path("/proc/sysvipc/shm").read_text()
        assert not [ln for ln in shm.splitlines()[1:] if ln.split() and int(ln.split()[0]) == SHM_KEY], (
            "a kernel's System V shared-memory segment outlived it on the host"
        )
    if batch["sandboxed"]:
        for folder in ("/run/lock", "/var/lock", "/var/tmp"):
            assert not (Path(folder) / LOCK_NAME).exists(), f"a kernel's file stayed in {folder}"


def test_class_report_of_the_corpus(batch):
    from course_tools.class_report import write_class_report

    index = write_class_report(batch["out"])
    page = index.read_text(encoding="utf-8")
    odd = page.split("did not grade normally")[1].split("<h2>")[0]
    for student in ("infinite_loop", "edited_visible_test", "invalid_json", "fifo", "oversized", "os_exit"):
        assert student in odd, f"{student} missing from the report's list of unusual submissions"
    assert "good_alice" not in odd
    assert "<script" not in page  # escaping itself: tests/test_class_report_escaping.py
    print(f"\nclass report: {index} ({len(page)} characters)")


def test_kernels_have_a_cgroup_for_their_process_tree(batch):
    report = batch["records"]["good_alice"]["sandbox"]
    assert report["disk"] == (
        "its folder is a tmpfs of 1024 MB" if batch["sandboxed"] else "its folder is on the host's disk"
    )
    if batch["sandboxed"] and sandbox.cgroup_dirs("probe"):
        assert "for the whole process tree" in report.get("cgroup", ""), report
        assert "memory 4096 MB" in report["cgroup"] and "CPU core" in report["cgroup"]
        names = {r["sandbox"].get("cgroup_name") for r in batch["records"].values() if r.get("sandbox")} - {None}
        assert len(names) >= 20
        leftovers = [d for n in names for d in sandbox.cgroup_dirs(n).values() if os.path.exists(d)]
        assert not leftovers, f"kernels' cgroups were not removed: {leftovers[:3]}"
    else:
        assert "cgroup" not in report or "not available" in report["cgroup"]


# --------------------------------------------------------------------------- issue 42


def test_names_and_messages_of_any_bytes_never_stop_the_batch(tmp_path):
    """A file name that is not UTF-8, a message with a lone surrogate and an id chosen to equal another
    student's hashed feedback name: every submission graded, every report written, nobody overwritten."""
    from course_tools.class_report import write_class_report
    from course_tools.grade import feedback_name

    subs = tmp_path / "subs"
    subs.mkdir()
    write_notebook(_with_answer(CORRECT), Path(os.fsdecode(bytes(subs) + b"/caf\xe9.ipynb")))
    write_notebook(
        _with_answer(SIGNATURE + "    raise ValueError('lone \\ud800 surrogate')\n"), subs / "surrogate.ipynb"
    )
    write_notebook(_with_answer(WRONG), subs / "a b.ipynb")
    victim = feedback_name("a b", ["a b"])[: -len(".md")]
    write_notebook(_with_answer(CORRECT), subs / f"{victim}.ipynb")
    write_notebook(_with_answer(CORRECT), subs / "control.ipynb")
    out = tmp_path / "out"
    records = {r["student"]: r for r in grade_batch(subs, "00", out=out, workers=2, timeout_cell=30, progress=False)}
    assert len(records) == 5 and (out / "grades.csv").is_file()
    odd = next(r for s, r in records.items() if s.startswith("caf"))
    assert odd["total"] == 2 and "\\xe9" in odd["file"], odd
    assert records["control"]["total"] == 2 and records["surrogate"]["total"] == 0
    feedback = {p.read_text(encoding="utf-8").splitlines()[0] for p in (out / "feedback").glob("*.md")}
    assert len(feedback) == 5 and any(victim in line for line in feedback), feedback
    report = write_class_report(out)
    assert report.stat().st_size > 1000 and "surrogate" in report.read_text(encoding="utf-8")


def test_a_dead_worker_fails_only_its_own_submission(tmp_path, monkeypatch):
    """A grading worker killed while grading one submission (as the out-of-memory killer would): the
    others are graded, that one is recorded as not graded, and the next run grades it."""
    from course_tools import grade
    from course_tools.gradebook import FILE_NAME, Gradebook

    subs = tmp_path / "subs"
    subs.mkdir()
    names = ["ann", "bob", "cat", "victim", "dan", "eve"]
    for name in names:
        write_notebook(_with_answer(CORRECT + f"# {name}\n"), subs / f"{name}.ipynb")
    killed = tmp_path / "killed"

    def grade_one(student, path, spec, opts):  # runs in the worker (forked: in_kernel_checks)
        if student == "victim" and not killed.exists():
            killed.write_text("once")
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.3)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        passed = {"points": 2.0, "earned": 2.0, "status": "passed", "message": ""}
        return {
            "student": student,
            "file": str(path),
            "submission": "ok",
            "notes": [],
            "content_hash": digest,
            "exercises": {TEST: passed},
            "total": 2.0,
            "max_total": 2.0,
        }

    monkeypatch.setattr(grade, "grade_one", grade_one)
    kwargs = {"out": tmp_path / "out", "workers": 2, "progress": False, "preload": False, "in_kernel_checks": True}
    first = {r["student"]: r for r in grade_batch(subs, "00", **kwargs)}
    assert first["victim"]["submission"] == "not_graded" and "worker died" in " ".join(first["victim"]["notes"])
    assert all(first[n]["submission"] == "ok" and first[n]["total"] == 2 for n in names if n != "victim"), first
    second = {r["student"]: r for r in grade_batch(subs, "00", **kwargs)}
    assert second["victim"]["submission"] == "ok" and second["victim"]["total"] == 2
    with Gradebook(kwargs["out"] / FILE_NAME) as book:
        graded_ok = [s for s, h, _ in book.log() if not h.startswith("retry:")]
    assert sorted(graded_ok) == sorted(names), "each submission graded once, the victim on the second run"
