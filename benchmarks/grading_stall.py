"""Grading stalls: grade many kernels and record the slowest run beside the median.

    python benchmarks/grading_stall.py                    # 300 submissions of 01, 2 workers
    python benchmarks/grading_stall.py --count 60 --notebook 00 --no-write

A kernel that hangs (a deadlock, a lost message) shows up as a run many times the median. While
the batch runs, a watchdog looks at the sandbox's processes (user ids from 1,000,000 up); one
alive longer than ``--dump-after`` seconds gets its kernel and Python stacks dumped
(py-spy, where installed) into ``--dumps``, so a stall can be read, not guessed.
Writes ``benchmarks/results.json`` key ``"grading_stall"`` (other keys are kept) and the table
``results.md``: kernels, median and longest run in the kernel, how many took more than 5 times the
median, and the cells that timed out in the five slowest runs. Exit status 1 if any run did.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from course_tools.grade import grade_batch
from course_tools.notebooks import read_notebook


def _throughput_module():
    """benchmarks/grading_throughput.py (the same submissions), loaded by path: benchmarks/ is no package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "grading_throughput", Path(__file__).with_name("grading_throughput.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_tp = _throughput_module()
ROOT, _default_notebook, make_submissions = _tp.ROOT, _tp._default_notebook, _tp.make_submissions


def _sandbox_processes() -> dict[int, float]:
    """``pid -> age in seconds`` of the processes of sandbox users (uid >= 1,000,000)."""
    ticks = os.sysconf("SC_CLK_TCK")
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid < 1_000_000:
                continue
            stat = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            out[int(name)] = uptime - int(stat[19]) / ticks
        except (OSError, ValueError, IndexError):
            continue
    return out


def _stacks(pid: int) -> str:
    """What a stalled process is doing: each thread's kernel wait channel and stack, then its
    Python stacks (py-spy, where installed)."""
    text = ""
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            wchan = (task / "wchan").read_text()
            stack = (task / "stack").read_text() if os.access(task / "stack", os.R_OK) else ""
        except OSError:
            continue
        text += f"-- thread {task.name}: {wchan}\n{stack}"
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy):
        return text + "(py-spy is not installed: only the kernel's view above)\n"
    # --nonblocking: read the stacks without stopping the process (a debugger attached with ptrace
    # to a kernel in its own PID namespace hung, and a tracer left behind keeps the kernel a zombie)
    try:
        done = subprocess.run(
            [spy, "dump", "--nonblocking", "--pid", str(pid)], capture_output=True, text=True, timeout=30
        )
        text += done.stdout + done.stderr
    except (OSError, subprocess.SubprocessError) as err:
        text += f"py-spy failed: {err}\n"
    return text


def _watch(stop: threading.Event, dump_after: float, dumps: Path, found: list) -> None:
    done = set(_sandbox_processes())  # older than the batch (a leftover of another run): not ours
    while not stop.wait(2.0):
        for pid, age in _sandbox_processes().items():
            if age < dump_after or pid in done:
                continue
            done.add(pid)
            text = f"pid {pid}, alive {age:.1f} s\n" + _stacks(pid)
            dumps.mkdir(parents=True, exist_ok=True)
            (dumps / f"stall-{pid}.txt").write_text(text)
            found.append(pid)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", default=None, help="notebook prefix (default: 01 if it exists, else 00)")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout-cell", type=float, default=60)
    parser.add_argument("--dump-after", type=float, default=20, help="seconds before a kernel's stacks are dumped")
    parser.add_argument("--dumps", default=str(ROOT / "benchmarks" / "stall_dumps"), help="folder for the dumps")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update results.json")
    args = parser.parse_args(argv)
    notebook = args.notebook or _default_notebook()
    stop, found = threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(stop, args.dump_after, Path(args.dumps), found), daemon=True)
    with tempfile.TemporaryDirectory(prefix="cu-stall-bench-") as tmp:
        subs = Path(tmp) / "submissions"
        subs.mkdir()
        make_submissions(notebook, args.count, subs)
        watcher.start()
        start = time.perf_counter()
        records = grade_batch(
            subs,
            notebook,
            out=Path(tmp) / "out",
            workers=args.workers,
            timeout_cell=args.timeout_cell,
            timeout_notebook=max(600, args.timeout_cell * 4),
        )
        wall = time.perf_counter() - start
        stop.set()
        watcher.join(10)
        # which cells timed out, for the five slowest runs (their first lines)
        cells = {r["student"]: r.get("timed_out_cells", []) for r in records}
        sources = {}
        for r in sorted(records, key=lambda r: r.get("run_seconds") or 0.0)[-5:]:
            nb = read_notebook(subs / f"{r['student']}.ipynb")
            sources[r["student"]] = [
                f"{i}: {nb.cells[i].source.strip().splitlines()[0][:80]}"
                for i in cells[r["student"]]
                if i < len(nb.cells)
            ]
    runs = sorted((r.get("run_seconds") or 0.0, r["student"]) for r in records if r.get("run_seconds") is not None)
    median = statistics.median(s for s, _ in runs) if runs else 0.0
    slow = [(s, st) for s, st in runs if s > 5 * median]
    result = {
        "notebook": notebook,
        "kernels": len(runs),
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "median_run_seconds": round(median, 2),
        "longest_run_seconds": round(runs[-1][0], 2) if runs else None,
        "runs_over_5x_median": len(slow),
        "slowest": [{"student": st, "seconds": s, "timed_out_cells": sources.get(st, [])} for s, st in runs[-5:]],
        "stacks_dumped": len(found),
        "date": time.strftime("%Y-%m-%d"),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=1))
    if not args.no_write:
        _tp.save_result("grading_stall", result)
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
