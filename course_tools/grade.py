"""Grade a class: ``python -m course_tools grade SUBMISSIONS_DIR --assignment NN``.

For every ``.ipynb`` under ``SUBMISSIONS_DIR`` the grader

1. reads the student's answer cells (by nbgrader ``grade_id``) and puts them into a fresh
   copy of the canonical notebook built from ``solutions/NN_*.ipynb`` with *all* its tests,
   visible and hidden (nbgrader's ClearSolutions; the hidden tests stay). Everything else
   in the submission (other cells, edited or deleted tests) is ignored; changed test cells
   are detected with nbgrader's checksums and reported as ``tampered``;
2. runs that copy cell by cell in a fresh kernel in its own temporary folder, under a
   per-cell and a per-notebook time limit, a memory limit, no network and a private view of
   the file system (see :mod:`course_tools.sandbox`), and kills every process the kernel
   started when it is done. The kernels are forked from one process per batch that has
   already imported what the notebook imports (see :mod:`course_tools.zygote`), so a
   submission does not pay ten seconds of TensorFlow and PyTorch imports. The notebook with
   the hidden tests never touches the disk: the kernel receives one cell at a time;
3. scores each test cell by its own outcome (points from the nbgrader metadata), and writes
   ``grades.csv``, ``grades.json`` and ``feedback/STUDENT.md`` into ``--out``.

Student id: the file name without ``.ipynb`` (``alice.ipynb`` -> ``alice``); for a file in a
per-student folder, the name of the top folder under SUBMISSIONS_DIR
(``alice/00_start_here.ipynb`` -> ``alice``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import copy
import csv
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from course_utils.config import project_root

from . import sandbox, zygote
from .notebooks import cell_kind, read_notebook
from .release import nbgrader_stub_config, release_notebook, solution_paths

__all__ = [
    "add_arguments",
    "main",
    "grade_batch",
    "load_assignment",
    "find_submissions",
    "prepare_submission",
    "STATUSES",
]

STATUSES = {
    "passed": "all checks passed; full points",
    "failed": "a check failed (AssertionError); the message says what was expected",
    "error": "the code raised another error, the kernel died (crash, os._exit, out of memory) "
    "or the check did not report success",
    "timeout": "the cell ran past --timeout-cell, or the notebook past --timeout-notebook",
    "missing": "no answer cell with this grade_id (deleted, renamed, or not a readable notebook of this assignment)",
    "tampered": "the submitted test cell differs from the released one (nbgrader checksum); graded "
    "with the original test, so the points are what the answer earns",
}
_OUTPUT_CAP = 200_000  # characters of output kept per cell
_PASS_MARK = "all checks passed"
_PRELOAD = "import course_utils, keras, numpy, matplotlib.pyplot"


# --------------------------------------------------------------------------- the assignment


def _clear_solutions(solution_nb):
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    cfg = nbgrader_stub_config()
    nb = copy.deepcopy(solution_nb)
    for pre in (ClearSolutions(config=cfg), ClearOutput(config=cfg)):
        nb, _ = pre.preprocess(nb, {"language": "python"})
    return nb


def load_assignment(assignment: str, root: Path | None = None) -> dict:
    """The canonical grading notebook (all tests, no solutions) and the released checksums.

    Args:
        assignment: the notebook prefix, e.g. ``"00"`` or ``"01"``.
    """
    root = root or project_root()
    matches = [p for p in solution_paths(root) if p.name.startswith(f"{assignment}_")]
    if len(matches) != 1:
        raise ValueError(
            f"`--assignment {assignment}` must match one solutions/{assignment}_*.ipynb, "
            f"found {[p.name for p in matches]}"
        )
    solution = read_notebook(matches[0])
    released = release_notebook(solution)
    grading = _clear_solutions(solution)
    checksums = {}
    for cell in released.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and meta.get("checksum"):
            checksums[meta["grade_id"]] = meta["checksum"]
    tests, answers, owners, pending = [], [], {}, []
    for cell in grading.cells:
        kind = cell_kind(cell)
        if kind in ("solution", "answer"):
            gid = cell.metadata["nbgrader"]["grade_id"]
            answers.append(gid)
            pending.append(gid)
        if kind == "answer":  # a manually graded written answer carries its own points
            meta = cell.metadata["nbgrader"]
            tests.append(
                {
                    "grade_id": meta["grade_id"],
                    "points": float(meta.get("points", 0)),
                    "manual": True,
                    "answers": [meta["grade_id"]],
                }
            )
            pending.remove(meta["grade_id"])
        elif kind == "tests":
            meta = cell.metadata["nbgrader"]
            owners[meta["grade_id"]] = list(pending)
            pending = []
            tests.append(
                {
                    "grade_id": meta["grade_id"],
                    "points": float(meta.get("points", 0)),
                    "manual": False,
                    "answers": owners[meta["grade_id"]],
                    "marks_pass": "checks.passed(" in cell.source,
                }
            )
    others = {}
    for path in solution_paths(root):
        if path != matches[0]:
            ids = {
                c.metadata["nbgrader"]["grade_id"]
                for c in read_notebook(path).cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            }
            others[path.stem] = ids
    return {
        "name": matches[0].stem,
        "grading": grading,
        "checksums": checksums,
        "tests": tests,
        "answers": answers,
        "others": others,
        "root": str(root),
    }


# --------------------------------------------------------------------------- submissions


def find_submissions(folder: str | Path, assignment: str = "") -> list[tuple[str, Path]]:
    """``(student_id, path)`` for every notebook under ``folder`` (checkpoints skipped).

    The id is the file stem, or for a file in a sub-folder the top sub-folder's name. When a
    student folder holds several notebooks, the one named ``NN_*`` is taken (else the first).
    """
    folder = Path(folder)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if ".ipynb_checkpoints" in rel.parts or any(p.startswith(".") for p in rel.parts):
            continue
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        found.setdefault(student, []).append(path)
    out = []
    for student, paths in sorted(found.items()):
        preferred = [p for p in paths if assignment and p.name.startswith(f"{assignment}_")]
        out.append((student, (preferred or paths)[0]))
    return out


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg.get("grade_id") if isinstance(nbg, dict) else None


def prepare_submission(path: str | Path, assignment: dict) -> dict:
    """Build the grading copy for one submission (in memory) and list what is wrong with it.

    Returns a dict: ``status`` (``ok``, ``invalid``, ``wrong_assignment`` or ``no_answers``),
    ``notebook`` (the grading copy or None), ``missing`` (answer grade_ids), ``tampered``
    (test grade_ids with their reason), ``notes`` (sentences for the feedback).
    """
    from nbgrader.utils import compute_checksum

    prep = {"status": "ok", "notebook": None, "missing": [], "tampered": {}, "notes": []}
    try:
        sub = read_notebook(path)
        cells = list(sub.cells)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported, never raised
        prep["status"] = "invalid"
        prep["notes"].append(f"not a readable notebook: {str(err).splitlines()[0][:200]}")
        return prep
    by_id: dict[str, list] = {}
    for cell in cells:
        gid = _grade_id(cell)
        if gid:
            by_id.setdefault(str(gid), []).append(cell)
    known = set(assignment["answers"]) | {t["grade_id"] for t in assignment["tests"]}
    if by_id and not (set(by_id) & known):
        best = max(assignment["others"].items(), key=lambda kv: len(kv[1] & set(by_id)), default=None)
        which = f" (it looks like {best[0]})" if best and best[1] & set(by_id) else ""
        prep["status"] = "wrong_assignment"
        prep["notes"].append(f"this is not a notebook of {assignment['name']}{which}")
        return prep
    if not by_id:
        prep["status"] = "no_answers"
        prep["notes"].append("the notebook has no graded cells (was it re-created, or its metadata stripped?)")
    if not by_id:
        prep["missing"] = list(assignment["answers"])
        prep["notebook"] = copy.deepcopy(assignment["grading"])
        return prep
    for gid in sorted(set(by_id) - known):
        prep["notes"].append(f"cell with unknown grade_id {gid!r} ignored")
    grading = copy.deepcopy(assignment["grading"])
    for cell in grading.cells:
        kind = cell_kind(cell)
        gid = _grade_id(cell)
        if kind in ("solution", "answer"):
            theirs = [c for c in by_id.get(gid, []) if c.get("cell_type") == cell.cell_type]
            if not theirs:
                prep["missing"].append(gid)
                continue
            if len(by_id[gid]) > 1:
                prep["notes"].append(f"grade_id {gid!r} appears {len(by_id[gid])} times; the first one is graded")
            cell.source = str(theirs[0].get("source", ""))
        elif kind == "tests":
            theirs = by_id.get(gid, [])
            expected = assignment["checksums"].get(gid)
            if not theirs:
                prep["tampered"][gid] = "the test cell was deleted"
            else:
                try:
                    got = compute_checksum(theirs[0])
                except Exception:  # noqa: BLE001 - broken metadata counts as a change
                    got = None
                if expected and got != expected:
                    prep["tampered"][gid] = "the test cell was edited"
    prep["notebook"] = grading
    return prep


# --------------------------------------------------------------------------- execution


def _guard_lines(root: str) -> str:
    """Hidden lines run at the top of every test cell: fresh check helpers, whatever the student did."""
    checks_py = str(Path(root) / "course_utils" / "checks.py")
    return (
        "import importlib.util as _cu_u, types as _cu_t, sys as _cu_s\n"
        f"_cu_p = _cu_u.spec_from_file_location('course_utils.checks', {checks_py!r})\n"
        "_cu_g = _cu_u.module_from_spec(_cu_p); _cu_p.loader.exec_module(_cu_g)\n"
        "cu = _cu_t.ModuleType('course_utils'); cu.__dict__.update(vars(_cu_s.modules['course_utils']))\n"
        "cu.checks = _cu_g; cu.to_numpy = _cu_g.to_numpy\n"
        "del _cu_u, _cu_t, _cu_s, _cu_p, _cu_g\n"
    )


def _kernel_env(home: str, token: str, fast: bool = True) -> dict:
    """The kernel's whole environment: a few safe variables, an empty home, the mode."""
    keep = (
        "PATH",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "KERAS_BACKEND",
        "COURSE_DATA_DIR",
        "MPLBACKEND",
        "PYTHONHASHSEED",
        "TF_CPP_MIN_LOG_LEVEL",
        "OMP_NUM_THREADS",
        "VIRTUAL_ENV",
        "TZ",
        "PYTHONPATH",
    )
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("MPLBACKEND", "Agg")
    env.update(
        HOME=home,
        TMPDIR=home,
        USER="student",
        LOGNAME="student",
        MPLCONFIGDIR=home,
        IPYTHONDIR=str(Path(home) / ".ipython"),
        KERAS_HOME=str(Path(home) / ".keras"),
        JUPYTER_PLATFORM_DIRS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        COURSE_GRADE_TOKEN=token,
        COURSE_FAST="1" if fast else "0",
    )
    return env


def _make_client_classes():
    from jupyter_client import AsyncKernelManager
    from nbclient import NotebookClient

    class SandboxKernelManager(AsyncKernelManager):
        sandbox_spec: dict = {}
        zygote_socket: str | None = None

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            if self.zygote_socket:  # forked from the pre-imported zygote, sandboxed in the child
                launcher = str(Path(zygote.__file__).resolve())
                return [
                    sys.executable,
                    "-S",
                    launcher,
                    "connect",
                    self.zygote_socket,
                    json.dumps(self.sandbox_spec),
                    "--",
                    *cmd,
                ]
            launcher = str(Path(sandbox.__file__).resolve())
            return [sys.executable, "-S", launcher, json.dumps(self.sandbox_spec), "--", *cmd]

    class CappedClient(NotebookClient):
        """Keeps at most ``_OUTPUT_CAP`` characters of output per cell (huge prints)."""

        def output(self, outs, msg, display_id, cell_index):
            if msg.get("msg_type") == "error":  # never dropped
                return super().output(outs, msg, display_id, cell_index)
            sizes = self.__dict__.setdefault("_cu_sizes", {})
            total = sizes.get(cell_index, 0) + len(json.dumps(msg.get("content", {}), default=str))
            sizes[cell_index] = total
            if total > _OUTPUT_CAP:
                if total - _OUTPUT_CAP < 100_000_000 and not sizes.get(("note", cell_index)):
                    from nbformat.v4 import new_output

                    sizes[("note", cell_index)] = True
                    outs.append(new_output("stream", name="stdout", text="\n[output truncated by the grader]\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

    return SandboxKernelManager, CappedClient


def _error_of(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), str(out.get("evalue", ""))
    return None


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _first_lines(text: str, n: int = 6) -> str:
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[:n])[:1200]


def run_grading_copy(
    nb,
    *,
    root: str,
    timeout_cell: float,
    timeout_notebook: float,
    memory_mb: int | None,
    hide: list[str],
    isolate: bool = True,
    fast: bool = True,
    zygote_socket: str | None = None,
) -> dict:
    """Execute the grading copy cell by cell in a sandboxed kernel; return per-cell outcomes.

    ``fast``: run the kernel in fast mode (``COURSE_FAST=1``): the same graded checks, smaller
    experiments around them. ``zygote_socket``: fork the kernel from this running zygote
    (:func:`start_zygote`) instead of starting a new Python.

    Returns ``{"cells": {index: {"status", "error", "stdout", "reply"}}, "crash": str|None,
    "sandbox": dict, "killed": int}``.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    KM, Client = _make_client_classes()
    base = Path(tempfile.mkdtemp(prefix="cu-grade-"))  # 0700, owned by the grader
    kdir = base / secrets.token_hex(8)
    work = kdir / "work"
    work.mkdir(parents=True)
    os.chmod(base, 0o711)
    token = secrets.token_hex(12)
    as_root = isolate and os.geteuid() == 0 and sys.platform.startswith("linux")
    uid = 1_000_000 + secrets.randbelow(1_000_000_000) if as_root else None
    keep = sorted(
        {
            str(kdir),
            str(Path(root) / "course_utils"),
            sys.prefix,
            sys.base_prefix,
            os.environ.get("COURSE_DATA_DIR", "") or str(Path.home() / ".course_cnn_data"),
        }
        | {p for p in sys.path if p.endswith("site-packages")}
    )
    spec = {
        "memory_mb": memory_mb,
        "isolate": isolate,
        "uid": uid,
        "hide": hide,
        "keep": [k for k in keep if k],
        "writable": [str(kdir)],
        "chown": [str(kdir), str(work), str(kdir / "conn.json")],
        "report": str(kdir / "sandbox.json"),
        "cwd": str(work),
    }
    km = KM(kernel_name="python3")
    km.sandbox_spec = spec
    km.zygote_socket = zygote_socket
    km.transport = "ipc"
    km.ip = str(kdir / "ipc")
    km.connection_file = str(kdir / "conn.json")
    outcome = {"cells": {}, "crash": None, "sandbox": {}, "killed": 0}
    client = Client(
        nb,
        km=km,
        timeout=int(timeout_cell),
        allow_errors=True,
        interrupt_on_timeout=False,
        record_timing=False,
        iopub_timeout=5,
        shutdown_kernel="immediate",
        startup_timeout=120,
    )
    replies: dict[int, str] = {}

    def on_executed(cell, cell_index, execute_reply):
        replies[cell_index] = (execute_reply or {}).get("content", {}).get("status", "?")

    client.on_cell_executed = on_executed
    start = time.monotonic()
    deadline = start + timeout_notebook
    pid = None
    try:
        with client.setup_kernel(env=_kernel_env(str(work), token, fast), cwd=str(work)):
            try:
                pid = km.provisioner.process.pid if km.provisioner and km.provisioner.process else None
            except Exception:  # noqa: BLE001
                pid = None
            try:
                outcome["sandbox"] = json.loads((kdir / "sandbox.json").read_text())
            except (OSError, ValueError):
                outcome["sandbox"] = {"note": "no sandbox report"}
            stop = None
            # Warm-up before any student code (not counted against the limits): the heavy imports.
            from nbformat.v4 import new_code_cell

            client.timeout = 300
            client.execute_cell(new_code_cell(_PRELOAD), 0)
            start = time.monotonic()
            deadline = start + timeout_notebook
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if stop:
                    outcome["cells"][index] = {"status": stop[0], "error": ("NotRun", stop[1]), "stdout": ""}
                    continue
                left = deadline - time.monotonic()
                if left <= 1:
                    stop = ("timeout", f"the notebook ran past --timeout-notebook {timeout_notebook:g} s")
                    outcome["cells"][index] = {"status": stop[0], "error": ("Timeout", stop[1]), "stdout": ""}
                    continue
                client.timeout = max(1, int(min(timeout_cell, left)))
                client.__dict__.setdefault("_cu_sizes", {}).clear()
                replies.pop(index, None)
                try:
                    client.execute_cell(cell, index)
                    err = _error_of(cell)
                    status = "ok" if err is None and replies.get(index) == "ok" else "error"
                    outcome["cells"][index] = {
                        "status": status,
                        "error": err,
                        "stdout": _stdout(cell),
                        "reply": replies.get(index),
                    }
                except CellTimeoutError:
                    which = "--timeout-cell" if client.timeout >= timeout_cell else "--timeout-notebook"
                    limit = timeout_cell if which == "--timeout-cell" else timeout_notebook
                    outcome["cells"][index] = {
                        "status": "timeout",
                        "stdout": _stdout(cell),
                        "error": ("Timeout", f"the cell ran past {which} {limit:g} s"),
                    }
                    if not _recover(client, km, cell, index):
                        stop = ("timeout", "not run: the kernel did not respond after an earlier timeout")
                except DeadKernelError:
                    outcome["cells"][index] = {
                        "status": "error",
                        "stdout": _stdout(cell),
                        "error": (
                            "KernelDied",
                            "the kernel died while running this cell (os._exit, a crash, or out of memory)",
                        ),
                    }
                    stop = ("error", "not run: the kernel died in an earlier cell")
                    outcome["crash"] = f"kernel died in cell {index}"
    except Exception as err:  # noqa: BLE001 - a kernel that fails to start is reported, not raised
        outcome["crash"] = f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        outcome["killed"] = _kill_everything(pid, uid, token)
        try:
            from nbclient.util import run_sync

            run_sync(km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass
        shutil.rmtree(base, ignore_errors=True)
    outcome["seconds"] = round(time.monotonic() - start, 1)
    return outcome


def _recover(client, km, cell, index) -> bool:
    """After a timeout: interrupt the kernel and check it answers a trivial cell within 10 s."""
    from nbformat.v4 import new_code_cell

    try:
        from nbclient.util import run_sync

        run_sync(km.interrupt_kernel)()
        # nbclient leaves the timed-out cell's output reader running; it would swallow the next
        # cells' outputs. A new client (fresh channels) ends it.
        try:
            client.kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
        client.kc = None
        client.start_new_kernel_client()
        probe = new_code_cell("pass")
        client.timeout = 10
        client.execute_cell(probe, index)
        return True
    except Exception:  # noqa: BLE001 - stuck or dead: stop here
        return False


def start_zygote(nb, *, fast: bool = True, timeout: float = 300) -> dict | None:
    """Start the zygote for notebook ``nb``: it imports what ``nb`` imports, then forks kernels.

    Returns ``{"socket", "process", "folder", "modules", "failed"}``, or None where it cannot run
    (not Linux, or it did not come up within ``timeout`` seconds): the grader then starts a new
    Python per kernel, as before.
    """
    import subprocess
    import threading

    if not sys.platform.startswith("linux"):
        return None
    modules = sorted(set(zygote.notebook_modules(nb)) | {"numpy", "keras", "matplotlib.pyplot", "ipykernel.kernelapp"})
    folder = Path(tempfile.mkdtemp(prefix="cu-zygote-"))  # 0700: only the grader enters
    home = folder / "home"
    home.mkdir()
    path = str(folder / "zygote.sock")
    env = _kernel_env(str(home), "zygote", fast)
    proc = subprocess.Popen(
        [sys.executable, "-P", str(Path(zygote.__file__).resolve()), "serve", path, json.dumps(modules)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=str(home),
    )
    ready: list[dict] = []

    def read_ready():
        line = proc.stdout.readline()
        try:
            ready.append(json.loads(line))
        except ValueError:
            pass

    reader = threading.Thread(target=read_ready, daemon=True)
    reader.start()
    reader.join(timeout)
    if not ready or not ready[0].get("ready"):
        stop_zygote({"process": proc, "folder": str(folder)})
        return None
    return {
        "socket": path,
        "process": proc,
        "folder": str(folder),
        "modules": modules,
        "failed": ready[0].get("failed", {}),
    }


def stop_zygote(z: dict | None) -> None:
    """Stop a zygote of :func:`start_zygote` (it kills the kernels still running) and remove its folder."""
    if not z:
        return
    proc = z["process"]
    try:
        proc.stdin.close()  # end of its stdin: it kills its children and exits
        proc.wait(timeout=10)
    except Exception:  # noqa: BLE001
        proc.kill()
        proc.wait()
    shutil.rmtree(z["folder"], ignore_errors=True)


def _kill_everything(pid: int | None, uid: int | None, token: str) -> int:
    """Kill the kernel's process group, every process of its sandbox user, and marked processes."""
    killed = 0
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
            killed += 1
        except OSError:
            pass
    time.sleep(0.2)
    if uid:
        killed += sandbox.kill_user(uid)
    killed += sandbox.kill_marked(token)
    return killed


# --------------------------------------------------------------------------- scoring


def score(assignment: dict, prep: dict, run: dict | None) -> dict:
    """Per-exercise results: points, earned, status, message."""
    results = {}
    nb = prep.get("notebook")
    test_index = {}
    if nb is not None:  # indices of the canonical copy (the executed one may lose metadata)
        for i, cell in enumerate(assignment["grading"].cells):
            gid = _grade_id(cell)
            if gid:
                test_index[gid] = i
    for test in assignment["tests"]:
        gid, points = test["grade_id"], test["points"]
        res = {"points": points, "earned": 0.0, "status": "missing", "message": ""}
        results[gid] = res
        if nb is None:
            res["message"] = "; ".join(prep["notes"]) or "not graded"
            continue
        missing = [a for a in test["answers"] if a in prep["missing"]]
        if test["manual"]:
            res["status"] = "missing" if missing else "manual"
            res["message"] = "no answer" if missing else "written answer: graded by hand"
            continue
        cell_out = (run or {}).get("cells", {}).get(test_index.get(gid), None)
        if missing and run is None:
            res["status"] = "missing"
            res["message"] = f"no answer cell with grade_id {', '.join(missing)} (deleted or renamed?)"
            if prep["status"] == "no_answers":
                res["message"] += "; " + "; ".join(prep["notes"])
            continue
        if cell_out is None:
            res["status"], res["message"] = "error", (run or {}).get("crash") or "the test did not run"
        elif cell_out["status"] == "timeout":
            res["status"], res["message"] = "timeout", cell_out["error"][1]
        elif cell_out["status"] == "ok":
            if test.get("marks_pass") and _PASS_MARK not in cell_out["stdout"]:
                res["status"] = "error"
                res["message"] = "the check did not report success (its output was suppressed or altered)"
            else:
                res["status"], res["earned"] = "passed", points
        else:
            ename, evalue = cell_out["error"] or (
                "Error",
                "the cell failed without an error message (the error display was tampered with)",
            )
            res["status"] = "failed" if ename == "AssertionError" else "error"
            res["message"] = _first_lines(f"{ename}: {evalue}")
        answer_outs = [(run or {}).get("cells", {}).get(test_index.get(a)) for a in test["answers"]]
        answer_outs = [o for o in answer_outs if o and o["status"] != "ok"]
        if answer_outs and res["status"] != "passed":
            first = answer_outs[0]
            if first["status"] == "timeout":
                res["status"] = "timeout"
            what = ": ".join(first["error"]) if first.get("error") else first["status"]
            res["message"] = _first_lines(f"answer cell: {what}\ntest: {res['message']}")
        if missing and res["status"] != "passed":
            res["status"] = "missing"
            res["message"] = f"no answer cell with grade_id {', '.join(missing)} (deleted or renamed?)" + (
                f"; {res['message']}" if res["message"] else ""
            )
        if gid in prep["tampered"]:
            res["message"] = f"{prep['tampered'][gid]}; graded with the original test: {res['status']}" + (
                f" ({res['message']})" if res["message"] else ""
            )
            res["status"] = "tampered"
    return results


def grade_one(student: str, path: str, assignment: dict, opts: dict) -> dict:
    """Grade one submission (runs in a worker process); never raises."""
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # nbclient's leftover tasks after a timeout
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    start = time.monotonic()
    record = {"student": student, "file": str(path), "submission": "ok", "notes": [], "exercises": {}}
    try:
        prep = prepare_submission(path, assignment)
        record["submission"] = prep["status"]
        record["notes"] = list(prep["notes"])
        run = None
        if prep["notebook"] is not None and set(prep["missing"]) >= set(assignment["answers"]):
            record["notes"].append("no answer cell to grade: the notebook was not run")
            prep["notebook_skipped"] = True
        elif prep["notebook"] is not None:
            nb = prep["notebook"]
            guard = _guard_lines(assignment["root"])
            for cell in nb.cells:
                if cell_kind(cell) == "tests":
                    cell.source = guard + cell.source
            run = run_grading_copy(
                nb,
                root=assignment["root"],
                timeout_cell=opts["timeout_cell"],
                timeout_notebook=opts["timeout_notebook"],
                memory_mb=opts["memory_mb"],
                hide=opts["hide"],
                isolate=opts["isolate"],
                fast=opts["fast"],
                zygote_socket=opts.get("zygote"),
            )
            record["sandbox"] = run["sandbox"]
            record["run_seconds"] = run.get("seconds")
            if run["crash"]:
                record["notes"].append(run["crash"])
        record["exercises"] = score(assignment, prep, run)
    except Exception as err:  # noqa: BLE001 - one broken submission never stops the batch
        record["submission"] = "grader_error"
        record["notes"].append(f"grader error: {type(err).__name__}: {err}")
        record["exercises"] = {
            t["grade_id"]: {"points": t["points"], "earned": 0.0, "status": "error", "message": "grader error"}
            for t in assignment["tests"]
        }
    record["total"] = sum(e["earned"] for e in record["exercises"].values())
    record["max_total"] = sum(t["points"] for t in assignment["tests"] if not t["manual"])
    record["seconds"] = round(time.monotonic() - start, 1)
    return record


# --------------------------------------------------------------------------- reports


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def write_reports(records: list[dict], assignment: dict, out: Path) -> None:
    """grades.csv, grades.json and feedback/STUDENT.md."""
    out.mkdir(parents=True, exist_ok=True)
    ids = [t["grade_id"] for t in assignment["tests"]]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *ids, "total", "submission"])
        for r in records:
            writer.writerow(
                [r["student"], *(_num(r["exercises"][g]["earned"]) for g in ids), _num(r["total"]), r["submission"]]
            )
    payload = {
        "assignment": assignment["name"],
        "max_total": sum(t["points"] for t in assignment["tests"] if not t["manual"]),
        "statuses": STATUSES,
        "students": {r["student"]: r for r in records},
    }
    (out / "grades.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    for r in records:
        lines = [
            f"# Feedback: {assignment['name']}, {r['student']}",
            "",
            f"**Total: {_num(r['total'])} / {_num(r['max_total'])}**",
            "",
        ]
        if r["submission"] != "ok":
            lines += [f"Submission: **{r['submission']}**", ""]
        lines += ["| exercise | points | status |", "|---|---:|---|"]
        for gid, e in r["exercises"].items():
            lines.append(f"| {gid} | {_num(e['earned'])} / {_num(e['points'])} | {e['status']} |")
        lines.append("")
        for gid, e in r["exercises"].items():
            if e["message"]:
                lines += [f"## {gid}: {e['status']}", "", "```", e["message"], "```", ""]
        if r["notes"]:
            lines += ["## Notes", ""] + [f"- {n}" for n in r["notes"]] + [""]
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", r["student"]) or "student"
        (fb / f"{safe}.md").write_text("\n".join(lines), encoding="utf-8")


def summary(records: list[dict], assignment: dict, seconds: float) -> str:
    """A few lines: counts per status, mean total, slowest submission."""
    from collections import Counter

    counts = Counter(e["status"] for r in records for e in r["exercises"].values())
    subs = Counter(r["submission"] for r in records)
    max_total = sum(t["points"] for t in assignment["tests"] if not t["manual"])
    mean = sum(r["total"] for r in records) / len(records) if records else 0.0
    lines = [
        f"Graded {len(records)} submission(s) of {assignment['name']} in {seconds:.1f} s.",
        f"Mean total {mean:.2f} / {_num(max_total)}; full marks: {sum(1 for r in records if r['total'] == max_total)}.",
        "Exercise results: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        "Submissions: " + ", ".join(f"{k} {v}" for k, v in sorted(subs.items())),
    ]
    sandboxes = {json.dumps(r.get("sandbox", {}).get("network")) for r in records if r.get("sandbox")}
    if sandboxes:
        lines.append("Kernel network: " + ", ".join(sorted(s.strip('"') for s in sandboxes)))
    files = {str(r.get("sandbox", {}).get("files")) for r in records if r.get("sandbox")}
    if files:
        lines.append("Kernel files: " + ", ".join(sorted(files)))
    return "\n".join(lines)


# --------------------------------------------------------------------------- batch and CLI


def grade_batch(
    submissions_dir: str | Path,
    assignment: str,
    *,
    out: str | Path | None = None,
    workers: int = 2,
    timeout_cell: float = 60,
    timeout_notebook: float = 600,
    memory_mb: int | None = 4096,
    isolate: bool = True,
    hide: list[str] | None = None,
    progress: bool = True,
    fast: bool = True,
    preload: bool = True,
) -> list[dict]:
    """Grade every notebook under ``submissions_dir``; write the reports; return the records.

    ``fast=True`` (the default) runs the kernels in fast mode: fast mode changes only the sizes of
    the experiments (data subsets, epochs), never a graded check, so the scores are the same and
    a class is graded several times faster. ``fast=False`` runs each notebook as a learner would.
    ``preload=True`` forks every kernel from one zygote that has imported what the notebook
    imports (:func:`start_zygote`); ``False`` starts a new Python per kernel.
    """
    submissions_dir = Path(submissions_dir).resolve()
    if not submissions_dir.is_dir():
        raise ValueError(f"`SUBMISSIONS_DIR` must be a folder, got {submissions_dir}")
    out = Path(out).resolve() if out else submissions_dir.parent / f"grades_{assignment}"
    spec = load_assignment(assignment)
    root = Path(spec["root"])
    hidden = [
        str(root / "solutions"),
        str(root / ".git"),
        str(submissions_dir),
        str(out),
        str(Path.home()),
        "/tmp",
        "/var/tmp",
        "/dev/shm",
        *(hide or []),
    ]
    opts = {
        "timeout_cell": timeout_cell,
        "timeout_notebook": timeout_notebook,
        "memory_mb": memory_mb,
        "fast": fast,
        "isolate": isolate,
        "hide": sorted({str(Path(h).resolve()) if not h.startswith("/dev") else h for h in hidden}),
    }
    subs = find_submissions(submissions_dir, assignment)
    start = time.monotonic()
    records = []
    from tqdm.auto import tqdm

    bar = tqdm(total=len(subs), desc=f"grading {spec['name']}", unit="nb", disable=not progress)
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    z = start_zygote(spec["grading"], fast=fast) if preload and subs else None
    opts["zygote"] = z["socket"] if z else None
    try:
        records += _run_pool(subs, spec, opts, workers, ctx, bar)
    finally:
        stop_zygote(z)
    bar.close()
    records.sort(key=lambda r: r["student"])
    write_reports(records, spec, out)
    if progress:
        print(summary(records, spec, time.monotonic() - start))
        if preload and subs:
            print(
                "Kernels: "
                + (
                    f"forked from a zygote that imported {', '.join(z['modules'])}"
                    if z
                    else "a new Python each (the zygote did not start)"
                )
            )
            for name, why in (z["failed"] if z else {}).items():
                print(f"  (the zygote could not import {name}: {why}; the kernels import it themselves)")
        print(f"Wrote {out / 'grades.csv'}, {out / 'grades.json'} and {out / 'feedback'}/")
    return records


def _run_pool(subs, spec, opts, workers, ctx, bar) -> list[dict]:
    records = []
    with cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx) as pool:
        futures = {pool.submit(grade_one, s, str(p), spec, opts): s for s, p in subs}
        for fut in cf.as_completed(futures):
            try:
                records.append(fut.result())
            except Exception as err:  # noqa: BLE001 - a dead worker process: report, go on
                records.append(
                    {
                        "student": futures[fut],
                        "file": "",
                        "submission": "grader_error",
                        "notes": [f"grader error: {err}"],
                        "total": 0.0,
                        "max_total": sum(t["points"] for t in spec["tests"] if not t["manual"]),
                        "exercises": {
                            t["grade_id"]: {
                                "points": t["points"],
                                "earned": 0.0,
                                "status": "error",
                                "message": "grader error",
                            }
                            for t in spec["tests"]
                        },
                    }
                )
            bar.update(1)
    return records


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m course_tools grade``."""
    parser.description = (
        "Grade every .ipynb under SUBMISSIONS_DIR against solutions/NN_*.ipynb (all tests, hidden "
        "ones included) in sandboxed kernels; write grades.csv, grades.json and feedback/*.md. "
        "Student id: the file name without .ipynb (alice.ipynb -> alice), or, for a file inside a "
        "per-student folder, that folder's name (alice/00_start_here.ipynb -> alice)."
    )
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="folder of submitted notebooks")
    parser.add_argument("--assignment", required=True, metavar="NN", help="notebook prefix, e.g. 00 or 01")
    parser.add_argument("--out", default=None, help="output folder (default: grades_NN next to SUBMISSIONS_DIR)")
    parser.add_argument("--workers", type=int, default=2, help="kernels run in parallel (default 2)")
    parser.add_argument("--timeout-cell", type=float, default=60, metavar="S", help="seconds per cell (default 60)")
    parser.add_argument(
        "--timeout-notebook", type=float, default=600, metavar="S", help="seconds per notebook (default 600)"
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=4096,
        metavar="M",
        help="address-space limit of the kernel in MB (default 4096; 0 = none)",
    )
    parser.add_argument(
        "--hide",
        action="append",
        default=[],
        metavar="PATH",
        help="another folder the kernel must not see (repeatable; root only)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run the notebooks in full mode (default: fast mode, COURSE_FAST=1: the same "
        "graded checks around smaller experiments)",
    )
    parser.add_argument(
        "--no-preload",
        action="store_true",
        help="start a new Python for every kernel instead of forking it from one that has "
        "already imported the notebook's libraries (slower; for debugging)",
    )
    parser.add_argument(
        "--no-sandbox", action="store_true", help="no namespaces or user switch (memory and time limits still apply)"
    )


def main(args) -> int:
    """Entry point of ``python -m course_tools grade``."""
    try:
        grade_batch(
            args.submissions,
            args.assignment,
            out=args.out,
            workers=args.workers,
            timeout_cell=args.timeout_cell,
            timeout_notebook=args.timeout_notebook,
            memory_mb=args.memory_mb or None,
            isolate=not args.no_sandbox,
            hide=args.hide,
            fast=not args.full,
            preload=not args.no_preload,
        )
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return 0
