"""What keeps a student's kernel from the grader's files, decided once per batch, before any kernel starts.

:mod:`course_tools.sandbox` applies the isolation in each kernel; this module is the grader's side:

- :func:`probe` starts the sandbox once on this Python and says which isolation this machine gives
  (:class:`Isolation`): ``namespaces`` (root with ``CAP_SYS_ADMIN``: a private mount, PID, network and
  IPC namespace and a user id of its own), ``uid+landlock`` (root without it, as in a container with
  Docker's default capabilities: a user id of its own and a Landlock allow-list), ``uid`` (the same
  without Landlock: the files are protected by their permissions), ``landlock`` (not root: the grader's
  user id with an allow-list), or ``none``.
- :func:`require` refuses to grade with hidden tests where the kernel would be able to read them
  (``none``), unless the instructor says ``--unsafe``; and where the sandbox user cannot start Python.
- :func:`protect` makes the course's private folders unreadable to other users where only the user id
  protects them (``uid``), as PrairieLearn's grader keeps its tests unreadable to the student's user.
- :func:`kernel_keep_paths` lists what a kernel may read.
"""

from __future__ import annotations

import os
import stat
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox

__all__ = [
    "Isolation",
    "IsolationError",
    "probe",
    "require",
    "protect",
    "kernel_keep_paths",
    "level_counts",
    "summary_line",
]

LEVELS = ("namespaces", "uid+landlock", "uid", "landlock", "none")
_STICKY_SYSTEM = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"}


class IsolationError(ValueError):
    """The machine cannot keep the student's code from the hidden tests; the message says how to fix it."""


@dataclass(frozen=True)
class Isolation:
    """What one kernel gets on this machine (from :func:`probe`)."""

    level: str  # one of LEVELS
    files: str
    network: str
    python: str = "ok"  # whether the sandbox user could start this Python
    report: dict = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.level} (files: {self.files}; network: {self.network})"


def kernel_keep_paths(root: str | Path, kernel_dir: str | Path | None = None) -> list[str]:
    """The paths a grading kernel may read: the Python installation and its packages, ``course_utils``,
    the data folder, and its own folder (``kernel_dir``, the only one it may write)."""
    data = os.environ.get("COURSE_DATA_DIR", "") or str(Path.home() / ".course_cnn_data")
    keep = {str(Path(root) / "course_utils"), str(Path(root) / "datasets"), sys.prefix, sys.base_prefix, data}
    keep |= {p for p in sys.path if p.endswith("site-packages")}
    if kernel_dir:
        keep.add(str(kernel_dir))
    return sorted(k for k in keep if k)


def probe(root: str | Path, *, isolate: bool = True) -> Isolation:
    """Start the sandbox once on this Python and return what a kernel would get."""
    if not isolate:
        return Isolation("none", "not isolated (--no-sandbox)", "not isolated (--no-sandbox)")
    if not sys.platform.startswith("linux"):
        return Isolation("none", f"not isolated ({sys.platform}: time and memory limits only)", "not isolated")
    report = sandbox.probe(keep=kernel_keep_paths(root))
    level = report.get("isolation") or sandbox.isolation_level(report)
    return Isolation(
        level if level in LEVELS else "none",
        str(report.get("files", "?")),
        str(report.get("network", "?")),
        str(report.get("python", "ok")),
        report,
    )


def require(iso: Isolation, *, hidden_tests: bool, unsafe: bool) -> None:
    """Raise :class:`IsolationError` where grading would let the student's code read the hidden tests.

    ``hidden_tests``: the grading notebook holds them (``source="solutions"``; the visible-only grading
    of a GitHub Classroom runner has nothing to hide). ``unsafe``: the instructor's explicit consent.
    """
    if iso.python != "ok" and iso.level != "none":
        raise IsolationError(
            "The kernels run as a user id of their own here, and that user cannot start this Python: expected "
            f"{sys.base_prefix} readable by other users, got {iso.python}. Fix: install the course's Python "
            "where every user can read it (e.g. /usr/local or /opt, as Docker's python images do), or run the "
            "grader with CAP_SYS_ADMIN (root with namespaces)."
        )
    if iso.level != "none" or not hidden_tests or unsafe:
        return
    raise IsolationError(
        "Refusing to grade: the students' code would run with access to the hidden tests and the grader's "
        f"files. Expected namespaces, a user switch or Landlock; got files: {iso.files}; network: {iso.network}. "
        "Fix: run the grader as root (a container with Docker's default capabilities is enough: the kernels "
        "then run as a user id of their own), on Linux with Landlock (5.13 or later) or unprivileged user "
        "namespaces; or pass --unsafe if you trust every submission."
    )


def protect(private: list[str | Path], keep: list[str]) -> list[str]:
    """Make the ``private`` folders (solutions, .git, submissions, the grading output) unreadable to other
    users, for kernels that run as another user with no namespace and no Landlock to hide them.

    A private folder that holds a path the kernel needs (``keep``, e.g. ``course_utils`` inside an
    autograder folder) keeps only its search bit for others, and its other entries are protected in turn.
    World-writable system folders (``/tmp``) are left alone. Returns the paths whose mode changed.
    """
    keep = [os.path.realpath(k) for k in keep]
    changed: list[str] = []
    for path in private:
        real = os.path.realpath(path)
        if real in _STICKY_SYSTEM or real == "/" or not os.path.exists(real):
            continue
        _protect(real, keep, changed)
    return changed


def _protect(path: str, keep: list[str], changed: list[str]) -> None:
    if any(path == k or path.startswith(k.rstrip("/") + "/") for k in keep):
        return  # the kernel reads this
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        return
    holds = [k for k in keep if k.startswith(path.rstrip("/") + "/")]
    mode = stat.S_IMODE(st.st_mode)
    new = (mode & ~0o006) if holds else (mode & ~0o007)  # an ancestor of a kept path: others may pass only
    if new != mode:
        os.chmod(path, new)
        changed.append(path)
    if holds and stat.S_ISDIR(st.st_mode):
        for entry in sorted(os.listdir(path)):
            _protect(os.path.join(path, entry), keep, changed)


def level_counts(records: list[dict]) -> dict[str, int]:
    """``{"uid+landlock": 29, "namespaces": 1}``: how many kernels had each isolation (their sandbox reports)."""
    counts = Counter(str(r.get("sandbox", {}).get("isolation", "?")) for r in records if r.get("sandbox"))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summary_line(records: list[dict]) -> str:
    """``Kernel isolation: uid+landlock 29, namespaces 1`` from the records' sandbox reports."""
    return "Kernel isolation: " + ", ".join(f"{k} {v}" for k, v in level_counts(records).items())
