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
   No test cell runs in that kernel: the grader runs each one itself (:mod:`course_tools.judge`)
   and asks the kernel only for values, as plain data, so nothing in a submission can decide a
   verdict or see a hidden test (``--in-kernel-checks`` runs them in the kernel, as nbgrader does);
3. scores each test cell by its own outcome (points from the nbgrader metadata), and writes
   ``grades.csv``, ``grades.json`` and ``feedback/STUDENT.md`` into ``--out``.

Student id: the file name without ``.ipynb`` (``alice.ipynb`` -> ``alice``); for a file in a
per-student folder, the name of the top folder under SUBMISSIONS_DIR
(``alice/00_start_here.ipynb`` -> ``alice``).
"""

from __future__ import annotations

import argparse
import builtins
import copy
import csv
import hashlib
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

from . import isolation, judge, sandbox, variants, zygote
from .execute import steady_client_class
from .gradebook import FILE_NAME as GRADEBOOK_FILE
from .gradebook import Gradebook, grader_version, parse_shard, shard_of
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
_PRELOAD = "import course_utils, keras, numpy, matplotlib.pyplot\n" + judge.INSTALL


# --------------------------------------------------------------------------- the assignment


def _clear_solutions(solution_nb):
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    cfg = nbgrader_stub_config()
    nb = copy.deepcopy(solution_nb)
    for pre in (ClearSolutions(config=cfg), ClearOutput(config=cfg)):
        nb, _ = pre.preprocess(nb, {"language": "python"})
    return nb


def world_writable_dirs(bases=("/", "/var", "/run", "/dev", "/var/lib", "/var/cache", "/var/spool")) -> list[str]:
    """Directories anyone may write to (``/run/lock``, ``/var/tmp``, ``/dev/mqueue``, ...), found
    one level under ``bases``: the sandbox covers each with an empty tmpfs, so what a kernel
    writes there never reaches the host or another student's kernel."""
    import stat

    found = set()
    for base in bases:
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002 and entry.path not in ("/proc", "/sys"):
                found.add(entry.path)
    return sorted(found)


def _release_paths(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load_assignment(assignment: str, root: Path | None = None, source: str = "solutions") -> dict:
    """The canonical grading notebook (all tests, no solutions) and the released checksums.

    Args:
        assignment: the notebook prefix, e.g. ``"00"`` or ``"01"``.
        source: ``"solutions"`` (default): built from ``solutions/NN_*.ipynb``, hidden tests
            included. ``"release"``: built from the student release ``notebooks/NN_*.ipynb``
            alone, so only the visible tests run (for graders that run where students can
            read everything, such as a GitHub Classroom runner).
    """
    root = root or project_root()
    if source not in ("solutions", "release"):
        raise ValueError(f"`source` must be 'solutions' or 'release', got {source!r}")
    paths = solution_paths(root) if source == "solutions" else _release_paths(root)
    folder = "solutions" if source == "solutions" else "notebooks"
    matches = [p for p in paths if p.name.startswith(f"{assignment}_")]
    if len(matches) != 1:
        raise ValueError(
            f"`--assignment {assignment}` must match one {folder}/{assignment}_*.ipynb, "
            f"found {[p.name for p in matches]}"
        )
    solution = read_notebook(matches[0])
    if source == "solutions":
        released = release_notebook(solution)
        grading = _clear_solutions(solution)
    else:
        released = solution
        grading = _clear_solutions(solution)
    version = hashlib.sha256(matches[0].read_bytes()).hexdigest()[:16]
    plan = judge.plan_notebook(solution)
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
    for path in paths:
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
        "source": source,
        "version": version,
        "plan": plan,
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
        cleaned, changed = _clean_text(student)
        if changed:  # undecodable bytes in the file name: a printable id, still unique
            student = f"{cleaned}~{hashlib.sha256(os.fsencode(student)).hexdigest()[:8]}"
        found.setdefault(student, []).append(path)
    out = []
    for student, paths in sorted(found.items()):
        preferred = [p for p in paths if assignment and p.name.startswith(f"{assignment}_")]
        out.append((student, (preferred or paths)[0]))
    return out


MAX_SUBMISSION_MB = 50  # a notebook of this course with its outputs is well under 10 MB
JUDGE_MEMORY_MB = 16384  # address space of a grading worker (Keras and a backend alone reserve 1-2 GB)
_SURROGATES = re.compile("[\ud800-\udfff]")


class IntakeError(Exception):
    """A submitted file that is not graded: ``status`` for the record, ``note`` says why."""

    def __init__(self, status: str, note: str):
        super().__init__(note)
        self.status, self.note = status, note


def read_submission(path: str | Path, folder: str | Path | None = None, max_mb: float = MAX_SUBMISSION_MB) -> bytes:
    """The bytes of a submitted file; raises :class:`IntakeError` for anything but a plain file.

    Only a regular file is read: never through a symbolic link (archive extraction can produce
    one pointing at the solutions), never a FIFO or a device (``O_NOFOLLOW | O_NONBLOCK`` and a
    check of the opened file), never outside ``folder``, and at most ``max_mb`` megabytes.
    """
    import stat

    path = Path(path)
    try:
        st = os.lstat(path)
    except OSError as err:
        raise IntakeError("invalid", f"the file cannot be read ({err.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise IntakeError(
            "invalid", "the submission is a symbolic link, not a file (archive extraction can make one): not graded"
        )
    if not stat.S_ISREG(st.st_mode):
        raise IntakeError("invalid", "the submission is not a regular file (a FIFO, a device or a folder): not graded")
    if folder is not None:
        real, base = os.path.realpath(path), os.path.realpath(folder)
        if not real.startswith(base.rstrip(os.sep) + os.sep):
            raise IntakeError(
                "invalid", "the submission lies outside the submissions folder (a linked folder): not graded"
            )
    limit = int(max_mb * 2**20)
    too_large = (
        f"the file is {{:.2f}} MB, above the limit of {max_mb:g} MB (--max-submission-mb): not graded; "
        "clear the notebook's outputs (Kernel > Restart and Clear Outputs) and submit it again"
    )
    if st.st_size > limit:
        raise IntakeError("too_large", too_large.format(st.st_size / 2**20))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise IntakeError("invalid", f"the file cannot be opened ({err.strerror}): not graded") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between lstat and open
            raise IntakeError("invalid", "the submission is not a regular file: not graded")
        chunks, size = [], 0
        while size <= limit:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
            size += len(block)
    finally:
        os.close(fd)
    if size > limit:
        raise IntakeError("too_large", too_large.format(size / 2**20))
    return b"".join(chunks)


def submission_hash(path: str | Path, folder: str | Path | None = None, max_mb: float = MAX_SUBMISSION_MB) -> str:
    """SHA-256 of a submission's bytes, or ``intake:STATUS`` for a file that is not read."""
    try:
        return hashlib.sha256(read_submission(path, folder, max_mb)).hexdigest()
    except IntakeError as err:
        return f"intake:{err.status}"


def _clean_text(text: str) -> tuple[str, bool]:
    """Lone surrogates (not valid text: they cannot be sent to a kernel or written) -> U+FFFD."""
    cleaned = _SURROGATES.sub("\ufffd", text)
    return cleaned, cleaned != text


def _clean_record(value):
    """``value`` (a record) with every text cleaned by :func:`_clean_text`, keys included: whatever a
    submission put into a message or a note, SQLite and the UTF-8 reports can store it."""
    if isinstance(value, str):
        return _clean_text(value)[0]
    if isinstance(value, dict):
        return {_clean_record(k): _clean_record(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clean_record(v) for v in value)
    return value


def _printable_path(path) -> str:
    """A file name as text, whatever its bytes: bytes that are not UTF-8 are escaped (``\\xff``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg.get("grade_id") if isinstance(nbg, dict) else None


PARSE_SECONDS = 30.0  # the most time reading (parsing and validating) one submission may take


class _ParseTimeout(Exception):
    pass


class _time_limit:
    """Raise :class:`_ParseTimeout` in the block after ``seconds`` (a real-time timer; in the main
    thread only, where signals arrive: elsewhere the block runs unlimited, bounded by the size cap)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        import threading

        if self.seconds and threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

            def expired(_signum, _frame):
                raise _ParseTimeout

            self.old = signal.signal(signal.SIGALRM, expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def prepare_submission(
    path: str | Path, assignment: dict, folder: str | Path | None = None, max_mb: float = MAX_SUBMISSION_MB
) -> dict:
    """Build the grading copy for one submission (in memory) and list what is wrong with it.

    Returns a dict: ``status`` (``ok``, ``invalid``, ``wrong_assignment`` or ``no_answers``),
    ``notebook`` (the grading copy or None), ``missing`` (answer grade_ids), ``tampered``
    (test grade_ids with their reason), ``notes`` (sentences for the feedback).
    """
    import nbformat
    from nbgrader.utils import compute_checksum

    prep = {"status": "ok", "notebook": None, "missing": [], "tampered": {}, "notes": [], "content_hash": None}
    try:
        data = read_submission(path, folder, max_mb)
    except IntakeError as err:
        prep["status"] = err.status
        prep["notes"].append(err.note)
        prep["content_hash"] = f"intake:{err.status}"
        return prep
    prep["content_hash"] = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        prep["notes"].append("the file is not valid UTF-8; the undecodable bytes were replaced by U+FFFD")
    try:
        with _time_limit(PARSE_SECONDS):
            sub = nbformat.reads(text, as_version=4)
            cells = list(sub.cells)
    except _ParseTimeout:
        prep["status"] = "invalid"
        prep["notes"].append(f"reading the notebook took more than {PARSE_SECONDS:g} s: not graded")
        return prep
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported, never raised
        prep["status"] = "invalid"
        first = _clean_text(str(err).splitlines()[0] if str(err) else type(err).__name__)[0]
        prep["notes"].append(f"not a readable notebook: {first[:200]}")
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
            source, changed = _clean_text(str(theirs[0].get("source", "")))
            if changed:
                prep["notes"].append(
                    f"answer cell {gid!r} held characters that are not valid text (lone surrogates); "
                    "they were replaced by U+FFFD and the cell graded as it is then"
                )
            cell.source = source
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


def mark_hidden(source: str, mark: str) -> str:
    """Add ``print(mark)`` right after each ``### BEGIN HIDDEN TESTS`` line of a test cell.

    The mark in a failed cell's output says the failure came from the hidden part, whose
    details a student must not see (the feedback and Gradescope's output say only that a
    hidden test failed; ``grades.json`` keeps the message for the instructor). ``mark`` is
    random per batch, so a student's own print cannot fake it ahead of time.
    """
    if not mark:
        return source
    lines = []
    for line in source.splitlines(keepends=True):
        lines.append(line)
        if line.strip() == "### BEGIN HIDDEN TESTS":
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}print({mark!r})\n")
    return "".join(lines)


def _kernel_env(home: str, token: str, fast: bool = True, seed: int | None = None) -> dict:
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
    if seed is not None:
        env["PYTHONHASHSEED"] = str(int(seed))
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

    class CappedClient(steady_client_class(NotebookClient)):
        """Keeps at most ``_OUTPUT_CAP`` characters of output per cell (huge prints)."""

        def output(self, outs, msg, display_id, cell_index):
            if msg.get("msg_type") == "error":  # never dropped; its text capped
                return super().output(outs, _capped_error(msg), display_id, cell_index)
            sizes = self.__dict__.setdefault("_cu_sizes", {})
            total = sizes.get(cell_index, 0) + len(json.dumps(msg.get("content", {}), default=str))
            sizes[cell_index] = total
            cap = self.__dict__.get("_cu_cap", _OUTPUT_CAP)
            if total > cap:
                if total - cap < 100_000_000 and not sizes.get(("note", cell_index)):
                    from nbformat.v4 import new_output

                    sizes[("note", cell_index)] = True
                    outs.append(new_output("stream", name="stdout", text="\n[output truncated by the grader]\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

    return SandboxKernelManager, CappedClient


def _capped_error(msg: dict) -> dict:
    """An error message of the kernel with its name, value and traceback cut to a few kB each."""
    content = dict(msg.get("content") or {})
    content["ename"] = str(content.get("ename", "Error"))[:200]
    content["evalue"] = str(content.get("evalue", ""))[:20_000]
    trace = content.get("traceback")
    content["traceback"] = [str(t)[:5_000] for t in trace[-40:]] if isinstance(trace, list) else []
    return {**msg, "content": content}


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
    seed: int | None = None,
    cpus: float | None = None,
    disk_mb: int | None = 1024,
    make_judge=None,
    require_isolation: bool = False,
    until: float | None = None,
) -> dict:
    """Execute the grading copy cell by cell in a sandboxed kernel; return per-cell outcomes.

    ``until``: a wall-clock time (``time.time()``) the whole run must end by (an autograder's time limit):
    the notebook's deadline is the earlier of it and ``timeout_notebook``. ``require_isolation``: the kernel
    refuses to start where its sandbox isolates nothing (the batch probed this machine and found isolation).

    ``make_judge``: a function ``run_code -> judge.Judge``. With it, no test cell runs in the kernel:
    the judge runs each one here (:mod:`course_tools.judge`) and asks the kernel only for values.

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
    kdir.mkdir()
    (base / "owner").write_text(str(os.getpid()))  # for _sweep_stale after a killed grader
    os.chmod(base, 0o711)
    token = secrets.token_hex(12)
    as_root = isolate and os.geteuid() == 0 and sys.platform.startswith("linux")
    # As root, the kernel's whole folder (sockets, home, working folder) is a tmpfs of --disk-mb:
    # what it writes is capped in total, and the pages count against its memory cgroup.
    on_tmpfs = as_root and bool(disk_mb) and sandbox.mount_tmpfs(str(kdir), int(disk_mb))
    work = kdir / "work"
    work.mkdir()
    uid = 1_000_000 + secrets.randbelow(1_000_000_000) if as_root else None
    keep = isolation.kernel_keep_paths(root, kdir)
    # Where a Landlock allow-list (no mount namespace) keeps the course folder unlistable, the kernel
    # imports course_utils through this link in its own folder.
    (kdir / "py").mkdir()
    (kdir / "py" / "course_utils").symlink_to(Path(root) / "course_utils", target_is_directory=True)
    spec = {
        "memory_mb": memory_mb,
        "isolate": isolate,
        "uid": uid,
        "hide": hide,
        "keep": [k for k in keep if k],
        "writable": [str(kdir)],
        "chown": [str(kdir), str(work), str(kdir / "conn.json")],
        "report": str(kdir / "sandbox.json"),
        "cgroup": f"cu-grade-{token}" if as_root else None,
        "cpus": cpus,
        "log": str(kdir / "kernel.log"),
        "cwd": str(work),
        "import_dir": str(kdir / "py"),
        "require_isolation": require_isolation,
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
        with client.setup_kernel(env=_kernel_env(str(work), token, fast, seed), cwd=str(work)):
            try:
                pid = km.provisioner.process.pid if km.provisioner and km.provisioner.process else None
            except Exception:  # noqa: BLE001
                pid = None
            try:
                outcome["sandbox"] = json.loads((kdir / "sandbox.json").read_text())
            except (OSError, ValueError):
                outcome["sandbox"] = {"note": "no sandbox report"}
            outcome["sandbox"]["disk"] = (
                f"its folder is a tmpfs of {int(disk_mb)} MB" if on_tmpfs else "its folder is on the host's disk"
            )
            stop = None
            # Warm-up before any student code (not counted against the limits): the heavy imports.
            from nbformat.v4 import new_code_cell

            client.timeout = 300 if until is None else max(1, int(min(300, until - time.time())))
            _execute_aside(client, nb, new_code_cell(_PRELOAD))
            start = time.monotonic()
            deadline = start + timeout_notebook
            budget = None  # the run's own time budget (an autograder's limit), where it ends first
            if until is not None and time.monotonic() + until - time.time() < deadline:
                deadline = time.monotonic() + until - time.time()
                budget = "the time budget of this run (the autograder's time limit)"
            judge_ = make_judge(_code_runner(client, nb)) if make_judge else None
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if stop:
                    outcome["cells"][index] = {"status": stop[0], "error": ("NotRun", stop[1]), "stdout": ""}
                    continue
                left = deadline - time.monotonic()
                if left <= 1:
                    limit = budget or f"--timeout-notebook {timeout_notebook:g} s"
                    stop = ("timeout", f"the notebook ran past {limit}")
                    outcome["cells"][index] = {"status": stop[0], "error": ("Timeout", stop[1]), "stdout": ""}
                    continue
                client.timeout = max(1, int(min(timeout_cell, left)))
                client.__dict__.setdefault("_cu_sizes", {}).clear()
                replies.pop(index, None)
                if judge_ is not None and cell_kind(cell) == "tests":
                    extra = judge_.plan["kernel"].get(index)
                    if extra:  # what later cells use from the visible part (a helper, a variable)
                        try:
                            _execute_aside(client, nb, new_code_cell(extra))
                        except Exception:  # noqa: BLE001 - a timeout or death shows in the verdict
                            pass
                    verdict = judge_.run_test(index, judge_.nb.cells[index].source, min(timeout_cell, left))
                    outcome["cells"][index] = verdict
                    if verdict["status"] == "timeout":
                        verdict["error"] = ("Timeout", f"the cell ran past --timeout-cell {timeout_cell:g} s")
                        if not _recover(client, km, cell, index):
                            stop = ("timeout", "not run: the kernel did not respond after an earlier timeout")
                    continue
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
                    why = budget if budget and which != "--timeout-cell" else f"{which} {limit:g} s"
                    outcome["cells"][index] = {
                        "status": "timeout",
                        "stdout": _stdout(cell),
                        "error": ("Timeout", f"the cell ran past {why}"),
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
        if as_root:
            outcome["killed"] += sandbox.remove_cgroup(f"cu-grade-{token}")
        try:
            from nbclient.util import run_sync

            run_sync(km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass
        if on_tmpfs:
            sandbox.unmount(str(kdir))
        shutil.rmtree(base, ignore_errors=True)
    outcome["seconds"] = round(time.monotonic() - start, 1)
    return outcome


def _code_runner(client, nb):
    """``run(code, seconds) -> outputs``: run code in the kernel for the judge (its channel)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat.v4 import new_code_cell

    def run(code: str, seconds: float | None):
        cell = new_code_cell(code)
        old = client.timeout
        client.timeout = max(1, int(seconds)) if seconds else old
        client.__dict__["_cu_cap"] = judge.MAX_REPLY + 1_000_000
        client.__dict__.setdefault("_cu_sizes", {}).clear()
        try:
            _execute_aside(client, nb, cell)
        except CellTimeoutError:
            raise judge.RemoteTimeout("the kernel did not answer within the cell's time limit") from None
        except DeadKernelError:
            raise judge.RemoteUnavailable("the kernel died while computing a value for the test") from None
        finally:
            client.timeout = old
            client.__dict__.pop("_cu_cap", None)
        return cell.get("outputs", [])

    return run


def _execute_aside(client, nb, cell) -> None:
    """Run ``cell`` (the warm-up, a probe) without it taking a notebook cell's place.

    nbclient's ``execute_cell(cell, i)`` ends with ``nb.cells[i] = cell``: run at index 0, the
    warm-up replaced the submission's first cell, which then never ran (a first code cell's
    definitions were lost). Here the cell runs at an index of its own, removed afterwards.
    """
    nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    finally:
        if nb.cells and nb.cells[-1] is cell:
            nb.cells.pop()


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
        client.timeout = 10
        _execute_aside(client, client.nb, new_code_cell("pass"))
        return True
    except Exception:  # noqa: BLE001 - stuck or dead: stop here
        return False


def start_zygote(nb, *, fast: bool = True, timeout: float = 300, seed: int | None = None) -> dict | None:
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
    env = _kernel_env(str(home), "zygote", fast, seed)
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
        if cell_out is not None and cell_out.get("judged"):
            res["judged"] = True  # decided by the grader, outside the student's kernel
        if cell_out is None:
            res["status"], res["message"] = "error", (run or {}).get("crash") or "the test did not run"
        elif cell_out["status"] == "timeout":
            res["status"], res["message"] = "timeout", cell_out["error"][1]
        elif cell_out["status"] == "ok":
            if test.get("marks_pass") and not cell_out.get("judged") and _PASS_MARK not in cell_out["stdout"]:
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
            mark = prep.get("hidden_mark")
            if cell_out.get("judged"):
                if cell_out.get("hidden"):
                    res["hidden"] = True
            elif mark and mark in cell_out.get("stdout", ""):
                res["hidden"] = True  # the visible checks passed; a hidden test failed
            if res.get("hidden"):  # in the kernel (no verdict of the grader's), any text may be the student's
                own = bool(cell_out.get("student_error")) or not cell_out.get("judged")
                res["hidden_message"] = hidden_summary(ename, evalue, from_student=own)
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


def judge_seed(opts: dict, student: str) -> int:
    """The one number a submission's random test inputs are drawn from (:class:`judge.Judge`'s ``seed``).

    The batch's ``--judge-seed`` for every student, or, with a class secret, a seed per student derived
    from the secret and the student's id (:class:`course_tools.variants.SeedPolicy`); here and nowhere else.
    """
    policy = opts.get("variants")
    return policy.for_student(student) if policy is not None else int(opts.get("judge_seed", 0))


def grade_one(student: str, path: str, assignment: dict, opts: dict) -> dict:
    """Grade one submission (runs in a worker process); never raises."""
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # nbclient's leftover tasks after a timeout
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    start = time.monotonic()
    record = {"student": student, "file": _printable_path(path), "submission": "ok", "notes": [], "exercises": {}}
    try:
        prep = prepare_submission(
            path, assignment, opts.get("folder"), opts.get("max_submission_mb", MAX_SUBMISSION_MB)
        )
        record["content_hash"] = prep["content_hash"]
        prep["hidden_mark"] = opts.get("hidden_mark", "")
        record["submission"] = prep["status"]
        record["notes"] = list(prep["notes"])
        run = None
        if prep["notebook"] is not None and set(prep["missing"]) >= set(assignment["answers"]):
            record["notes"].append("no answer cell to grade: the notebook was not run")
            prep["notebook_skipped"] = True
        elif prep["notebook"] is not None:
            nb = prep["notebook"]
            make_judge = None
            if opts.get("judge", True) and assignment.get("plan"):
                answers = {i: c.source for i, c in enumerate(nb.cells) if cell_kind(c) == "solution"}
                official, seed = assignment["grading"], judge_seed(opts, student)

                def make_judge(run_code):
                    return judge.Judge(official, assignment["plan"], run_code, seed=seed, answer_sources=answers)

                record["judge_seed"] = seed
                if opts.get("variants") is not None and opts["variants"].per_student:
                    record["variant"] = opts["variants"].fingerprint()
            guard = _guard_lines(assignment["root"])
            for cell in nb.cells:
                if cell_kind(cell) == "tests":
                    cell.source = guard + mark_hidden(cell.source, opts.get("hidden_mark", ""))
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
                seed=opts.get("seed"),
                cpus=opts.get("cpus"),
                disk_mb=opts.get("disk_mb", 1024),
                make_judge=make_judge,
                require_isolation=opts.get("require_isolation", False),
                until=opts.get("until"),
            )
            if make_judge is not None:  # the references the tests built here: not kept for the next submission
                try:
                    import keras

                    keras.backend.clear_session()
                except Exception:  # noqa: BLE001
                    pass
            record["sandbox"] = run["sandbox"]
            record["run_seconds"] = run.get("seconds")
            timed_out = sorted(i for i, c in run["cells"].items() if c.get("status") == "timeout")
            if timed_out:
                record["timed_out_cells"] = timed_out
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
    return _clean_record(record)


# --------------------------------------------------------------------------- reports


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


HIDDEN_FAILED = (
    "Your answer passes the visible checks but fails a hidden test (one the notebook does not show); "
    "its details are not shown. Test your function on more inputs: edge cases, other shapes, other values."
)


def student_message(exercise: dict) -> str:
    """The message a student may see: for a hidden test, :data:`HIDDEN_FAILED` and :func:`hidden_summary`."""
    if not exercise.get("hidden"):
        return exercise.get("message", "")
    return exercise.get("hidden_message") or HIDDEN_FAILED


def hidden_summary(ename: str, evalue: str, from_student: bool) -> str:
    """What a student sees of a hidden test's failure: which behaviour failed, never its inputs.

    A check's failure (an ``AssertionError`` raised here, by the checks) shows the check's name line with
    its arguments left out and the check's hint; not its ``expected`` / ``got`` lines. An error of the
    submission shows its type if it is a built-in one, never its message (which could carry the inputs
    it was called with back to the student).
    """
    if ename == "AssertionError" and not from_student:
        lines = [ln.strip() for ln in str(evalue).splitlines() if ln.strip()]
        detail = [f"Failed check: {_without_arguments(lines[0])}"] if lines else []
        detail += [ln for ln in lines[1:] if ln.startswith("Hint:")][:1]
    elif ename == "GraderChannel":
        detail = [f"The grader refused your kernel's reply: {evalue}"]
    else:
        cls = getattr(builtins, str(ename), None)
        what = ename if isinstance(cls, type) and issubclass(cls, BaseException) else "an exception"
        detail = [f"Your code raised {what} in a hidden test (its message is not shown)."]
    return "\n".join([HIDDEN_FAILED, *(d[:400] for d in detail)])


def _without_arguments(line: str) -> str:
    """A check's name line with what it was called on left out: ``f(x (3, 4), 2) with k=5:`` -> ``f(…) with k=…:``."""
    out, depth = [], 0
    for ch in line:
        if ch in "([{":
            out.append(ch + "…" if depth == 0 else "")
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
            out.append(ch if depth == 0 else "")
        elif depth == 0:
            out.append(ch)
    return re.sub(r"(?<![\w.])[-+]?\d[\d_]*(\.\d+)?([eE][-+]?\d+)?(?![\w.])", "…", "".join(out))


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it: ``path`` is whole or old."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def feedback_name(student: str, others=()) -> str:
    """The file name of a student's feedback: the id if it is a plain name, else with a short hash.

    ``a b`` and ``a_b``, or ``Zoë`` and ``Zoé``, get different names (``a_b-1f2e3d4c.md``); so do
    ids that differ only in case where another id of ``others`` folds to the same name.
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", student).lstrip(".") or "student"
    folds = sum(1 for o in others if o != student and o.lower() == student.lower())
    if safe != student or folds:
        safe = f"{safe[:80]}-{hashlib.sha256(student.encode('utf-8', 'replace')).hexdigest()[:8]}"
    return f"{safe}.md"


def feedback_names(students) -> dict[str, str]:
    """``student -> file name`` of every feedback file, all different (also where the file system folds case).

    An id that is a plain file name keeps it; the others get :func:`feedback_name`'s hashed name, made
    longer where it would meet a name already given (an id chosen to equal another's hashed name).
    """
    students = sorted(set(students))
    names: dict[str, str] = {}
    taken: set[str] = set()
    for plain in (True, False):
        for student in students:
            name = feedback_name(student, students)
            if (name == f"{student}.md") != plain:
                continue
            base, n = name[:-3], 0
            while name.casefold() in taken:
                n += 1
                name = f"{base}-{hashlib.sha256(student.encode('utf-8', 'replace')).hexdigest()[:16]}-{n}.md"
            taken.add(name.casefold())
            names[student] = name
    return names


def _one_line(text: str) -> str:
    """A student-supplied string shown in a heading or table: no line breaks or control characters."""
    return re.sub(r"[\x00-\x1f\x7f|]", "?", _clean_text(str(text))[0])


def _fenced(text: str) -> list[str]:
    """``text`` in a Markdown code block whose fence no line of ``text`` can close."""
    longest = max((len(m) for m in re.findall(r"`+|~+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def _csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab/CR) is quoted with '."""
    text = _clean_text(str(value))[0]
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def feedback_text(r: dict, assignment_name: str) -> str:
    """The Markdown feedback of one record (what ``feedback/STUDENT.md`` holds).

    Everything from the submission (the id, messages, notes) is kept out of the Markdown
    structure: the id on one line, messages and notes in code blocks they cannot close.
    """
    lines = [
        f"# Feedback: {assignment_name}, {_one_line(r['student'])}",
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
            lines += [f"## {gid}: {e['status']}", "", *_fenced(_clean_text(student_message(e))[0]), ""]
    if r["notes"]:
        lines += ["## Notes", "", *_fenced("\n".join(_clean_text(str(n))[0] for n in r["notes"])), ""]
    return "\n".join(lines)


def write_reports(records: list[dict], assignment: dict, out: Path, meta: dict | None = None) -> None:
    """grades.csv, grades.json and feedback/STUDENT.md, each written atomically.

    Each file is written to a temporary name and renamed, and ``feedback/`` is built beside the
    old one and swapped in: a crash while exporting leaves the previous exports whole (and the
    gradebook, from which the next run rewrites them).
    """
    import io

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = [t["grade_id"] for t in assignment["tests"]]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", *ids, "total", "submission"])
    for r in records:
        writer.writerow(
            [
                _csv_cell(r["student"]),
                *(_num(r["exercises"][g]["earned"]) for g in ids),
                _num(r["total"]),
                r["submission"],
            ]
        )
    _write_atomic(out / "grades.csv", buf.getvalue())
    seeds = sorted({int(r["judge_seed"]) for r in records if "judge_seed" in r and not r.get("variant")})
    secrets_used = sorted({str(r["variant"]) for r in records if r.get("variant")})
    if secrets_used:  # a variant per student: each record holds its own seed
        meta = {
            **(meta or {}),
            "verdicts": "in the grader (outside the kernel)",
            "variants": "a seed per student from the class secret " + ", ".join(secrets_used),
        }
        if seeds:
            meta["judge_seed"] = seeds[0] if len(seeds) == 1 else seeds
    elif seeds:  # where the verdicts were decided, and on which draw of the hidden tests' inputs
        meta = {
            **(meta or {}),
            "verdicts": "in the grader (outside the kernel)",
            "judge_seed": seeds[0] if len(seeds) == 1 else seeds,
        }
    elif records:
        meta = {**(meta or {}), "verdicts": "in the student's kernel"}
    levels = isolation.level_counts(records)
    if levels:  # what kept each kernel from the grader's files (from the records: a merge says the same)
        meta = {**(meta or {}), "isolation": levels}
    payload = {
        "assignment": assignment["name"],
        "max_total": sum(t["points"] for t in assignment["tests"] if not t["manual"]),
        "statuses": STATUSES,
        "students": {r["student"]: r for r in records},
        **(meta or {}),
    }
    _write_atomic(out / "grades.json", json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=True) + "\n")
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".feedback.new-"))
    names = feedback_names(r["student"] for r in records)
    failed = []
    for r in records:
        try:
            name = names[r["student"]]
            text = feedback_text(r, assignment["name"])
            (staging / name).write_text(text, encoding="utf-8", errors="replace")
        except Exception as err:  # noqa: BLE001 - one student's feedback never stops the others'
            failed.append(f"{r.get('student')!r}: {type(err).__name__}: {err}")
    if failed:
        (staging / "_FAILED.txt").write_text(
            "Feedback that could not be written (the grades are in grades.csv / grades.json):\n"
            + "\n".join(failed)
            + "\n",
            encoding="utf-8",
            errors="replace",
        )
    os.chmod(staging, 0o755)
    fb = out / "feedback"
    old = None
    if fb.exists():
        old = Path(tempfile.mkdtemp(dir=out, prefix=".feedback.old-"))
        os.replace(fb, old / "feedback")
    os.replace(staging, fb)
    if old:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in list(out.glob(".feedback.new-*")) + list(out.glob(".feedback.old-*")):
        shutil.rmtree(leftover, ignore_errors=True)  # from a run that died while exporting


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
        lines.append(isolation.summary_line(records))
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
    memory_mb: int | None = 8192,
    isolate: bool = True,
    hide: list[str] | None = None,
    progress: bool = True,
    fast: bool = True,
    preload: bool = True,
    source: str = "solutions",
    regrade: bool = False,
    shard: str | None = None,
    seed: int = 0,
    max_submission_mb: float = MAX_SUBMISSION_MB,
    disk_mb: int = 1024,
    in_kernel_checks: bool = False,
    judge_seed: int | None = None,
    judge_memory_mb: int | None = JUDGE_MEMORY_MB,
    unsafe: bool = False,
    class_secret: bytes | None = None,
    until: float | None = None,
) -> list[dict]:
    """Grade every notebook under ``submissions_dir``; write the reports; return the records.

    ``fast=True`` (the default) runs the kernels in fast mode: fast mode changes only the sizes of
    the experiments (data subsets, epochs), never a graded check, so the scores are the same and
    a class is graded several times faster. ``fast=False`` runs each notebook as a learner would.
    ``preload=True`` forks every kernel from one zygote that has imported what the notebook
    imports (:func:`start_zygote`); ``False`` starts a new Python per kernel. ``source``: see
    :func:`load_assignment` (``"release"`` grades with the visible tests only).

    Every finished submission is stored at once in ``OUT/gradebook.sqlite``
    (:mod:`course_tools.gradebook`); the reports are exports of it. Run again, the batch resumes:
    a submission whose file and assignment version are unchanged is not graded again
    (``regrade=True`` grades everything again). ``shard="K/N"`` grades only the students of shard
    K of N (by a hash of the id; combine the shards' folders with :func:`merge`). ``seed``: the
    kernels' ``PYTHONHASHSEED``, recorded with every grade.

    Verdicts are decided here, outside the student's kernel (:mod:`course_tools.judge`): the test
    cells run in the grader, which asks the kernel only for values, on inputs drawn from
    ``judge_seed`` (random per batch unless given; recorded). Each grading worker's address space is
    limited to ``judge_memory_mb`` (None: no limit); a worker that dies fails only the submission it was
    grading, which is recorded as ``not_graded`` and graded again when the batch is run again.
    ``in_kernel_checks=True`` runs the test cells in the kernel instead, as nbgrader does (not
    forge-proof; for comparison only).

    ``until``: a wall-clock time (``time.time()``) every kernel must be done by (an autograder's own time
    limit, so that it is never killed before it writes its results). ``class_secret``: a variant per student
    (:mod:`course_tools.variants`): each student's inputs are drawn from a seed derived from the secret and
    the student's id (``judge_seed`` mixed in when given), the same on every regrade.

    Before any kernel starts, the batch probes what isolation this machine gives the kernels
    (:mod:`course_tools.isolation`) and refuses to grade with hidden tests where the kernels could read
    them, unless ``unsafe=True``; where only a user id of their own protects the files, the course's
    private folders are made unreadable to other users first.

    Returns the records of every student in the gradebook (this shard's), sorted by id.
    """
    submissions_dir = Path(submissions_dir).resolve()
    if not submissions_dir.is_dir():
        raise ValueError(f"`SUBMISSIONS_DIR` must be a folder, got {submissions_dir}")
    out = Path(out).resolve() if out else submissions_dir.parent / f"grades_{assignment}"
    spec = load_assignment(assignment, source=source)
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
        *world_writable_dirs(),
        *(hide or []),
    ]
    opts = {
        "timeout_cell": timeout_cell,
        "timeout_notebook": timeout_notebook,
        "memory_mb": memory_mb,
        "fast": fast,
        "isolate": isolate,
        "hidden_mark": f"[cu-hidden-{secrets.token_hex(8)}]",
        # each kernel's process tree gets its share of the cores (a cgroup, as root): busy
        # children of one kernel cannot slow its neighbours down
        "cpus": max(1.0, (os.cpu_count() or 1) / max(1, workers)),
        "folder": str(submissions_dir),
        "disk_mb": disk_mb,
        "judge_memory_mb": judge_memory_mb,
        "max_submission_mb": max_submission_mb,
        "until": until,
        "hide": sorted({str(Path(h).resolve()) if not h.startswith("/dev") else h for h in hidden}),
    }
    iso = isolation.probe(root, isolate=isolate)
    isolation.require(iso, hidden_tests=source == "solutions", unsafe=unsafe)
    opts["require_isolation"] = iso.level != "none"
    protected: list[str] = []
    if iso.level == "uid":  # no namespace and no Landlock: only the files' permissions keep the kernels out
        out.mkdir(parents=True, exist_ok=True)
        private = [root / "solutions", root / ".git", submissions_dir, out, *(hide or [])]
        protected = isolation.protect(private, isolation.kernel_keep_paths(root))
    _sweep_stale()
    subs = find_submissions(submissions_dir, assignment)
    shard_kn = parse_shard(shard)
    if shard_kn:
        subs = [(st, path) for st, path in subs if shard_of(st, shard_kn[1]) == shard_kn[0]]
    start = time.monotonic()
    grader = grader_version(root)
    opts["seed"] = int(seed)
    opts["judge"] = not in_kernel_checks
    opts["judge_seed"] = int(judge_seed) if judge_seed is not None else secrets.randbelow(2**31)
    opts["variants"] = variants.SeedPolicy(spec["name"], opts["judge_seed"], judge_seed is not None, class_secret)
    book = Gradebook(Path(out) / GRADEBOOK_FILE, spec)
    try:
        run_id = book.start_run(" ".join(sys.argv), shard or "")
        before = book.fingerprints()
        hashes = {st: submission_hash(path, submissions_dir, max_submission_mb) for st, path in subs}
        todo = [(st, path) for st, path in subs if regrade or before.get(st) != (hashes[st], spec["version"])]
        skipped = len(subs) - len(todo)
        here = {st for st, _ in subs}
        gone = sorted(
            st for st in before if st not in here and (not shard_kn or shard_of(st, shard_kn[1]) == shard_kn[0])
        )
        book.remove(gone)
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"grading {spec['name']}", unit="nb", disable=not progress)

        ctx = _pool_context(judging=bool(opts.get("judge")))
        z = start_zygote(spec["grading"], fast=fast, seed=seed) if preload and todo else None
        opts["zygote"] = z["socket"] if z else None

        def save(record):
            book.save(
                record,
                content=_fingerprint(record, hashes[record["student"]]),
                version=spec["version"],
                grader=grader,
                seed=seed,
                run_id=run_id,
            )

        try:
            _run_pool(todo, spec, opts, workers, ctx, bar, save)
        finally:
            stop_zygote(z)
        bar.close()
        book.finish_run(run_id, graded=len(todo), skipped=skipped)
        records = book.records()
        old_versions = sorted({r["grader_version"] for r in book.rows()} - {grader})
        meta = {
            "assignment_version": spec["version"],
            "grader_version": grader,
            "seed": int(seed),
        }
    finally:
        book.close()
    write_reports(records, spec, out, meta=meta)
    if progress:
        print(f"Isolation of the kernels on this machine: {iso.describe()}")
        if protected:
            print(f"Made unreadable to other users (the kernels' user ids): {', '.join(protected)}")
        if skipped or gone:
            print(
                f"Resumed from {out / GRADEBOOK_FILE}: {skipped} submission(s) unchanged since they were graded "
                f"(not graded again; --regrade forces it), {len(todo)} graded now"
                + (f", {len(gone)} no longer in SUBMISSIONS_DIR removed ({', '.join(gone[:5])})" if gone else "")
                + "."
            )
        if old_versions:
            print(
                f"Note: some grades were decided by another grader version ({', '.join(old_versions)}); "
                "--regrade grades them again with this one."
            )
        if shard_kn:
            print(f"Shard {shard_kn[0]}/{shard_kn[1]}: {len(subs)} student(s); combine the shards with `grade merge`.")
        print(summary(records, spec, time.monotonic() - start))
        if preload and todo:
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
        print(
            f"Wrote {out / 'grades.csv'}, {out / 'grades.json'} and {out / 'feedback'}/ (from {out / GRADEBOOK_FILE})"
        )
    return records


def _sweep_stale() -> None:
    """Remove what a grader killed mid-batch (SIGKILL, a reboot) left: kernel folders whose worker
    is gone (unmounting their tmpfs) and empty kernel cgroups. Folders of a live grader stay."""
    for base in Path(tempfile.gettempdir()).glob("cu-grade-*"):
        try:
            owner = int((base / "owner").read_text())
            os.kill(owner, 0)
            continue  # a running grader's
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        for kdir in base.iterdir():
            if kdir.is_dir():
                sandbox.unmount(str(kdir))
        shutil.rmtree(base, ignore_errors=True)
    sandbox.sweep_cgroups()


def _pool_context(judging: bool):
    """The multiprocessing context of the grading workers.

    Workers that only drive kernels are forked from the grader (cheap). Workers that judge run the test
    cells' Keras references themselves, and a process forked from one that has already run parallel
    PyTorch or TensorFlow code hangs in its first parallel operation (libgomp's thread team and TF's
    thread pools do not survive ``fork``: measured, a worker stuck in ``gomp_team_barrier_wait_end``
    when the grader had trained a model before the batch). So judging workers come from a fork server:
    a clean Python, started once per grader, that has imported Keras and never ran an operation.
    """
    import multiprocessing

    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    if not judging:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["course_tools.forkserver_init", "keras", "course_utils.checks", "course_tools.judge"])
    return ctx


def _worker_start(judging: bool, fast: bool = True, memory_mb: int | None = None) -> None:
    """Worker set-up: die with the grader; a memory limit of its own (``--judge-memory-mb``: what it
    makes of a kernel's replies and the tests' references ends in a MemoryError there, not in the host's
    out-of-memory killer); when the grader judges, import Keras now (once per worker), in the kernels'
    mode (the notebook's own statements the tests need run here too, with their sizes)."""
    _die_with_parent()
    os.environ["COURSE_FAST"] = "1" if fast else "0"
    if memory_mb and hasattr(os, "fork"):
        import resource

        # the soft limit only: the kernels this worker starts set their own (--memory-mb)
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = int(memory_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    if judging:
        try:
            import keras  # noqa: F401 - the test cells' references run here

            import course_utils.checks  # noqa: F401
        except Exception:  # noqa: BLE001 - a test that needs it reports the error by name
            pass


def _die_with_parent() -> None:
    """Worker initializer: on Linux, the worker is killed when the grader dies (no orphan workers)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the grader died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _not_graded_record(student: str, path, spec: dict, why: str) -> dict:
    """The record of a submission whose grading did not finish: 0 points, ``submission: not_graded``;
    it is graded again when the batch is run again (:func:`_fingerprint`)."""
    return _clean_record(
        {
            "student": student,
            "file": _printable_path(path),
            "submission": "not_graded",
            "notes": [f"not graded: {why}; run the same command again to grade it"],
            "total": 0.0,
            "max_total": sum(t["points"] for t in spec["tests"] if not t["manual"]),
            "exercises": {
                t["grade_id"]: {
                    "points": t["points"],
                    "earned": 0.0,
                    "status": "error",
                    "message": f"not graded: {why}",
                }
                for t in spec["tests"]
            },
        }
    )


def _fingerprint(record: dict, content_hash: str) -> str:
    """What the gradebook stores as the submission's content: its hash, except for a grading that did not
    finish (a dead worker, a grader error), which must not count as graded when the batch resumes."""
    if record.get("submission") in ("not_graded", "grader_error"):
        return f"retry:{content_hash}"
    return record.get("content_hash") or content_hash


def _worker_loop(conn, judging: bool, fast: bool, memory_mb: int | None) -> None:
    """A grading worker: grade the submissions it is sent, one at a time, until it is sent None."""
    _worker_start(judging, fast, memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(grade_one(*task))


class _Worker:
    """One grading process and the submission it is grading (``task``)."""

    def __init__(self, ctx, opts: dict):
        self.ctx, self.task = ctx, None
        self.args = (bool(opts.get("judge")), bool(opts.get("fast", True)), opts.get("judge_memory_mb"))
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_worker_loop, args=(child, *self.args))
        self.process.start()
        child.close()

    def give(self, task: tuple, spec: dict, opts: dict) -> None:
        self.task = task
        self.conn.send((task[0], str(task[1]), spec, opts))

    def result(self, spec: dict) -> dict | None:
        """The finished record, or None while it runs. A worker that died gives a not-graded record for
        its own submission only, and a new worker takes its place."""
        if self.conn.poll():
            try:
                record = self.conn.recv()
                self.task = None
                return record
            except (EOFError, OSError):
                pass
        elif self.process.is_alive():
            return None
        self.process.join()
        code = self.process.exitcode
        record = _not_graded_record(
            *self.task, spec, f"the grading worker died (exit code {code}: killed for memory, or a crash)"
        )
        self.conn.close()
        self.task = None
        self._start()
        return record

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _run_pool(subs, spec, opts, workers, ctx, bar, save) -> None:
    """Grade ``subs`` in worker processes; ``save(record)`` each one as soon as it is finished.

    Each worker grades one submission at a time; one that dies fails only the submission it was
    grading (recorded as not graded, graded again on resume), and a new worker goes on."""
    import multiprocessing.connection

    pending = list(subs)
    pool = [_Worker(ctx, opts) for _ in range(max(1, min(workers, len(pending))))]
    try:
        for w in pool:
            if pending:
                w.give(pending.pop(0), spec, opts)
        while any(w.task for w in pool):
            busy = [w for w in pool if w.task]
            multiprocessing.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for w in busy:
                record = w.result(spec)
                if record is None:
                    continue
                save(record)
                bar.update(1)
                if pending:
                    w.give(pending.pop(0), spec, opts)
    finally:
        for w in pool:
            w.stop()


def merge(folders: list[str | Path], out: str | Path, progress: bool = True) -> list[dict]:
    """Combine the gradebooks of several ``--out`` folders (shards) into ``out``; write its reports.

    Refuses folders of different assignments or assignment versions (a shard graded against
    another solution notebook), a student graded in two folders for different files, and an
    ``out`` that already holds a gradebook. Returns the merged records, sorted by student.
    """
    if not folders:
        raise ValueError("`grade merge` needs the --out folders of the shards: grade merge OUT1 OUT2 ... --out MERGED")
    out = Path(out).resolve()
    if (out / GRADEBOOK_FILE).exists():
        raise ValueError(f"{out} already holds a gradebook: give `grade merge` a new --out folder")
    books = []
    try:
        for folder in folders:
            path = Path(folder) / GRADEBOOK_FILE
            if not path.is_file():
                raise ValueError(f"no gradebook in {folder}: expected the --out folder of a `grade --shard` run")
            books.append(Gradebook(path))
        names = {b.meta().get("assignment") for b in books}
        if len(names) != 1:
            raise ValueError(f"the folders hold grades of different assignments: {sorted(map(str, names))}")
        _check_shards_complete(folders, books)
        versions: dict[str, list[str]] = {}
        for folder, b in zip(folders, books):
            for v in {b.meta().get("assignment_version")} | {r["assignment_version"] for r in b.rows()}:
                versions.setdefault(str(v), []).append(str(folder))
        if len(versions) != 1:
            detail = "; ".join(f"{v}: {', '.join(sorted(set(f)))}" for v, f in sorted(versions.items()))
            raise ValueError(
                "the shards were graded against different versions of the assignment (the solution notebook "
                f"changed between them): {detail}. Regrade the stale shards with the current solutions "
                "(grade --shard K/N --regrade) and merge again."
            )
        seen: dict[str, tuple[str, str]] = {}
        for folder, b in zip(folders, books):
            for row in b.rows():
                prev = seen.get(row["student"])
                if prev and prev[0] != row["content_hash"]:
                    raise ValueError(
                        f"student {row['student']!r} was graded in {prev[1]} and in {folder} for different "
                        "files: merge shards of one class (same SUBMISSIONS_DIR), each once"
                    )
                if prev:
                    raise ValueError(
                        f"student {row['student']!r} is in both {prev[1]} and {folder}: was one shard graded twice "
                        "into two folders? Merge each shard once."
                    )
                seen[row["student"]] = (row["content_hash"], str(folder))
        meta = books[0].meta()
        spec = {
            "name": meta["assignment"],
            "version": meta["assignment_version"],
            "tests": json.loads(meta.get("tests", "[]")),
        }
        with Gradebook(out / GRADEBOOK_FILE, spec) as merged:
            for b in books:
                merged.copy_from(b)
            records = merged.records()
            graders = sorted({r["grader_version"] for r in merged.rows()})
            seeds = sorted({r["seed"] for r in merged.rows()})
    finally:
        for b in books:
            b.close()
    report_meta = {
        "assignment_version": spec["version"],
        "grader_version": ", ".join(graders),
        "seed": seeds[0] if len(seeds) == 1 else seeds,
    }
    write_reports(records, spec, out, meta=report_meta)
    if progress:
        print(f"Merged {len(folders)} gradebook(s): {len(records)} student(s) of {spec['name']}.")
        print(f"Wrote {out / GRADEBOOK_FILE}, {out / 'grades.csv'}, {out / 'grades.json'} and {out / 'feedback'}/")
    return records


def _check_shards_complete(folders: list, books: list) -> None:
    """Refuse folders of ``grade --shard`` runs that are not exactly the shards 1..N of one N, once each (a
    shard never graded, for example task 0 of a Slurm array started at 0, would silently be missing)."""
    found: dict[int, str] = {}
    sizes: set[int] = set()
    for folder, book in zip(folders, books):
        shards = book.shards()
        if len(shards) > 1:
            raise ValueError(
                f"{folder} holds runs of several shards ({', '.join(sorted(shards))}): one --out per shard"
            )
        if not shards:
            continue
        k, n = parse_shard(next(iter(shards)))
        sizes.add(n)
        if k in found:
            raise ValueError(f"shard {k}/{n} is in both {found[k]} and {folder}: merge each shard once")
        found[k] = str(folder)
    if not found:
        return  # folders of unsharded runs (each student is checked below)
    if len(found) != len(folders) or len(sizes) != 1:
        raise ValueError(
            "merge the --out folders of one sharded run: expected every folder graded with --shard K/N of the same N, "
            f"got N = {sorted(sizes)} and {len(folders) - len(found)} unsharded folder(s)"
        )
    n = sizes.pop()
    missing = sorted(set(range(1, n + 1)) - set(found))
    if missing:
        raise ValueError(
            f"shard(s) {', '.join(f'{k}/{n}' for k in missing)} missing: expected the --out folders of all {n} shards, "
            f"got {len(found)}. Grade the missing ones (grade ... --shard K/{n} --out ...) and merge again; a Slurm "
            "array started at 0 with an older recipe never graded its last shard."
        )


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m course_tools grade merge``."""
    parser.description = (
        "Combine the --out folders of `grade --shard K/N` runs into one gradebook and its reports "
        "(refuses shards graded against different versions of the assignment)."
    )
    parser.add_argument("folders", nargs="+", metavar="OUT", help="--out folders of the shards")
    parser.add_argument("--out", required=True, help="folder for the merged gradebook and reports (new)")


def main_merge(args) -> int:
    """Entry point of ``python -m course_tools grade merge``."""
    try:
        merge(args.folders, args.out)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m course_tools grade report``."""
    parser.description = (
        "Write OUT/report/index.html (with PNGs): score histogram, pass rate per exercise, the most "
        "frequent failure messages, submissions that timed out, crashed or were tampered with, the slowest."
    )
    parser.add_argument("out", metavar="OUT", help="the --out folder of a `grade` or `grade merge` run")
    parser.add_argument("--dest", default=None, help="where to write (default OUT/report)")


def main_report(args) -> int:
    """Entry point of ``python -m course_tools grade report``."""
    from .class_report import write_class_report

    try:
        index = write_class_report(args.out, args.dest)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"Wrote {index} (open it in a browser)")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m course_tools grade``."""
    parser.description = (
        "Grade every .ipynb under SUBMISSIONS_DIR against solutions/NN_*.ipynb (all tests, hidden "
        "ones included) in sandboxed kernels; write grades.csv, grades.json and feedback/*.md. "
        "Student id: the file name without .ipynb (alice.ipynb -> alice), or, for a file inside a "
        "per-student folder, that folder's name (alice/00_start_here.ipynb -> alice). Every finished "
        "submission is stored at once in OUT/gradebook.sqlite; run the same command again to resume "
        "(unchanged submissions are not graded again). Also: `grade merge OUT1 OUT2 ... --out MERGED` "
        "(combine shards), `grade report OUT` (an HTML class report)."
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
        default=8192,
        metavar="M",
        help="address-space limit of the kernel in MB (default 8192; 04 needs more than 4096; 0 = none)",
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
        "--no-sandbox",
        action="store_true",
        help="no namespaces, user switch or Landlock (memory and time limits still apply); needs --unsafe",
    )
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="grade even where the students' code could read the hidden tests (no namespaces, no user switch, "
        "no Landlock on this machine, or --no-sandbox): only for submissions you trust",
    )
    parser.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, even those unchanged since the gradebook in --out graded them",
    )
    parser.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="grade only shard K of N (a fixed 1/N of the students, by a hash of the id); one --out per "
        "shard, then `grade merge` (see docs/INSTRUCTORS.md for Slurm and Kubernetes)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the kernels' PYTHONHASHSEED, recorded (default 0)")
    parser.add_argument(
        "--disk-mb",
        type=int,
        default=1024,
        metavar="MB",
        help="as root: the kernel's folder is a tmpfs of this size, all files together (default 1024; 0 = host disk)",
    )
    parser.add_argument(
        "--max-submission-mb",
        type=float,
        default=MAX_SUBMISSION_MB,
        metavar="MB",
        help=f"larger files are not graded (submission: too_large; default {MAX_SUBMISSION_MB})",
    )
    parser.add_argument(
        "--judge-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the tests' random inputs for the whole class (default: $COURSE_JUDGE_SEED, else drawn per "
        "batch; recorded in grades.json)",
    )
    parser.add_argument(
        "--class-secret-file",
        default=None,
        metavar="FILE",
        help="a variant per student: each student's test inputs come from a seed derived from this secret and "
        "the student's id, the same on every regrade (default: $COURSE_CLASS_SECRET; none: one seed for all)",
    )
    parser.add_argument(
        "--judge-memory-mb",
        type=int,
        default=JUDGE_MEMORY_MB,
        metavar="M",
        help=f"address-space limit of each grading worker in MB (default {JUDGE_MEMORY_MB}; 0 = none)",
    )
    parser.add_argument(
        "--in-kernel-checks",
        action="store_true",
        help="run the test cells inside the student's kernel, as nbgrader does (NOT forge-proof; for comparison)",
    )


def main(args) -> int:
    """Entry point of ``python -m course_tools grade``."""
    try:
        class_secret = variants.load_secret(args.class_secret_file)
        judge_seed_ = args.judge_seed if args.judge_seed is not None else variants.seed_from_env()
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
            regrade=args.regrade,
            shard=args.shard,
            seed=args.seed,
            max_submission_mb=args.max_submission_mb,
            disk_mb=args.disk_mb,
            in_kernel_checks=args.in_kernel_checks,
            judge_seed=judge_seed_,
            judge_memory_mb=args.judge_memory_mb or None,
            unsafe=args.unsafe,
            class_secret=class_secret,
        )
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return 0
