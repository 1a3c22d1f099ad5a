"""Execute a notebook in a fresh kernel and score its graded cells."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .notebooks import cell_kind, read_notebook

__all__ = [
    "CellResult",
    "execute_notebook",
    "score_cells",
    "format_table",
    "other_errors",
    "check_notebook",
    "steady_client_class",
]

POLL_SLICE = 0.5  # seconds: the longest a message can wait unseen in the client's socket


@dataclass
class CellResult:
    """The outcome of one graded cell."""

    grade_id: str
    points: int
    earned: int
    status: str  # passed | failed | error | not run
    message: str = ""


def _sliced(get_msg, step: float = POLL_SLICE):
    """``get_msg(timeout)`` of a kernel client's channel, polling in slices of ``step`` seconds.

    A zmq socket's readiness reaches asyncio as an edge on its file descriptor, and a send on
    the same socket can consume that edge: the message then sits in the socket while the
    waiting poll sleeps to its timeout (pyzmq's poll does a real ``poll(0)`` only when it times
    out). Polling in short slices turns a missed edge into at most ``step`` seconds of delay.
    """
    import time
    from queue import Empty

    async def get_msg_sliced(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            now = step if deadline is None else max(0.0, min(step, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=now)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_sliced


def steady_client_class(base=None):
    """``nbclient.NotebookClient`` (or ``base``) without the intermittent stall of a cell.

    Measured: about one kernel in 50 of notebook 01 waited the full cell timeout in its
    playground cell although the kernel had answered at once (its main thread idle, the reply
    in the client's socket). That cell opens an ``ipywidgets.Output``; nbclient then mirrors the
    widget by *sending* comm messages on the shell channel from its output reader while its
    reply reader waits on the same socket, and the send can swallow the reply's wake-up. This
    client (1) does not mirror widgets (a batch run has no one to show them to; what they print
    stays in the cell's outputs), so it never sends during a cell, and (2) polls the shell and
    IOPub channels in slices of ``POLL_SLICE`` seconds, so any other missed wake-up costs at most
    that. ``benchmarks/grading_stall.py`` measures the longest of 300 runs against the median.
    """
    if base is None:
        from nbclient import NotebookClient as base

    class SteadyClient(base):
        def on_comm_open_jupyter_widget(self, msg):
            return None

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            for channel in (kc.shell_channel, kc.iopub_channel):
                if not getattr(channel.get_msg, "_cu_sliced", False):
                    channel.get_msg = _sliced(channel.get_msg)
                    channel.get_msg._cu_sliced = True
            return kc

    SteadyClient.__name__ = SteadyClient.__qualname__ = f"Steady{base.__name__}"
    return SteadyClient


def execute_notebook(
    nb, *, cwd: str | Path | None = None, timeout: int = 600, env: dict | None = None, kernel_name: str = "python3"
):
    """Run every cell of ``nb`` in a fresh kernel, continuing past errors; returns the executed copy.

    Args:
        nb: a notebook node (not modified).
        cwd: working directory of the kernel (default: the current one).
        timeout: seconds allowed per cell.
        env: extra environment variables for the kernel.
    """
    import copy

    nb = copy.deepcopy(nb)
    kernel_env = dict(os.environ)
    kernel_env.update(env or {})
    client = steady_client_class()(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=True,
        resources={"metadata": {"path": str(cwd or os.getcwd())}},
    )
    try:
        client.execute(env=kernel_env)
    except Exception as err:  # noqa: BLE001 - a dead kernel or a timeout ends the run; report it
        nb.metadata["course_execution_error"] = f"{type(err).__name__}: {str(err).strip()[:300]}"
    return nb


def _error_text(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = out.get("evalue", "").strip()
            first = next((ln for ln in value.splitlines() if ln.strip()), "")
            rest = [ln.strip() for ln in value.splitlines()[1:] if ln.strip()]
            text = f"{out.get('ename', 'Error')}: {first}"
            if rest:
                text += " | " + " | ".join(rest)
            return text
    return None


def score_cells(executed_nb) -> list[CellResult]:
    """Score the graded test cells of an executed notebook (points from the nbgrader metadata)."""
    results = []
    for cell in executed_nb.cells:
        if cell_kind(cell) != "tests":
            continue
        meta = cell.metadata["nbgrader"]
        points = int(meta.get("points", 0))
        ran = cell.get("execution_count") is not None or bool(cell.get("outputs"))
        error = _error_text(cell)
        if error is None and ran:
            results.append(CellResult(meta["grade_id"], points, points, "passed"))
        elif error is None:
            results.append(CellResult(meta["grade_id"], points, 0, "not run", "the cell did not run"))
        elif error.startswith("AssertionError"):
            results.append(CellResult(meta["grade_id"], points, 0, "failed", error))
        else:
            results.append(CellResult(meta["grade_id"], points, 0, "error", error))
    return results


def other_errors(executed_nb) -> list[str]:
    """``"cell N: Error: message"`` for every cell that is not a graded test cell and raised an error."""
    found = []
    for i, cell in enumerate(executed_nb.cells):
        if cell.cell_type == "code" and cell_kind(cell) != "tests":
            error = _error_text(cell)
            if error:
                found.append(f"cell {i}: {error}")
    return found


def format_table(results: list[CellResult], title: str = "") -> str:
    """A plain-text table: grade_id, points earned/possible, status, first line of the failure."""
    width = max([len(r.grade_id) for r in results] + [8])
    lines = [title] if title else []
    lines.append(f"{'grade_id':<{width}}  points  status   message")
    lines.append("-" * (width + 40))
    for r in results:
        msg = r.message if len(r.message) <= 100 else r.message[:97] + "..."
        lines.append(f"{r.grade_id:<{width}}  {r.earned:>2}/{r.points:<3}  {r.status:<7}  {msg}")
    earned = sum(r.earned for r in results)
    possible = sum(r.points for r in results)
    lines.append("-" * (width + 40))
    lines.append(f"{'total':<{width}}  {earned:>2}/{possible:<3}")
    long = [r for r in results if r.status != "passed" and r.message and len(r.message) > 100]
    for r in long:
        lines += ["", f"{r.grade_id} ({r.status}):", "    " + r.message.replace(" | ", "\n    ")]
    return "\n".join(lines)


def check_notebook(path: str | Path, *, timeout: int = 600) -> tuple[list[CellResult], list[str]]:
    """Execute the notebook at ``path`` (in its own folder); return the graded results and other errors."""
    path = Path(path)
    executed = execute_notebook(read_notebook(path), cwd=path.parent, timeout=timeout)
    results = score_cells(executed)
    crash = executed.metadata.get("course_execution_error")
    if crash:
        for r in results:
            if r.status == "not run":
                r.message = f"execution stopped: {crash}"
    return results, other_errors(executed)
