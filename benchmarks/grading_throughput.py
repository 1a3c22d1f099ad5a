"""Grading throughput: grade N submissions of one notebook with ``--workers W``; record the wall time.

    python benchmarks/grading_throughput.py                 # 30 submissions of 01 (or 00), 2 workers
    python benchmarks/grading_throughput.py --notebook 00 --count 10

The submissions are the released notebook with the solution's answers filled in, one in
three of them with the answer cells left blank (so that failing checks are timed too).
Writes ``benchmarks/results.json`` key ``"grading_throughput"`` (other keys are kept) and ``results.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from course_tools.bench import save_measurement
from course_tools.grade import grade_batch
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_tools.release import release_notebook, solution_paths
from course_utils.config import project_root

ROOT = project_root()


def save_result(key: str, result: dict) -> None:
    """Set ``key`` of ``benchmarks/results.json`` (the other keys are kept) and rewrite ``results.md``."""
    save_measurement(key, result, ROOT)


def _default_notebook() -> str:
    names = [p.name for p in solution_paths(ROOT)]
    return "01" if any(n.startswith("01_") for n in names) else "00"


def make_submissions(notebook: str, count: int, folder: Path) -> None:
    """``count`` submissions: the released notebook with the solution's answers (every third blank)."""
    solution = read_notebook(next(p for p in solution_paths(ROOT) if p.name.startswith(f"{notebook}_")))
    released = release_notebook(solution)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells if cell_kind(c) in ("solution", "answer")
    }
    for i in range(count):
        nb = copy.deepcopy(released)
        if i % 3 != 2:
            for cell in nb.cells:
                if cell_kind(cell) in ("solution", "answer"):
                    cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
        write_notebook(nb, folder / f"student{i:03d}.ipynb")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", default=None, help="notebook prefix (default: 01 if it exists, else 00)")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout-cell", type=float, default=300)
    parser.add_argument("--full", action="store_true", help="grade in full mode (default: fast, as `grade` does)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update results.json")
    parser.add_argument(
        "--in-kernel-checks",
        action="store_true",
        help="run the test cells in the student's kernel (nbgrader's model) instead of the grader, for comparison",
    )
    args = parser.parse_args(argv)
    notebook = args.notebook or _default_notebook()
    with tempfile.TemporaryDirectory(prefix="cu-grade-bench-") as tmp:
        subs = Path(tmp) / "submissions"
        subs.mkdir()
        make_submissions(notebook, args.count, subs)
        start = time.perf_counter()
        records = grade_batch(
            subs,
            notebook,
            out=Path(tmp) / "out",
            workers=args.workers,
            timeout_cell=args.timeout_cell,
            timeout_notebook=max(600, args.timeout_cell * 4),
            fast=not args.full,
            in_kernel_checks=args.in_kernel_checks,
        )
        wall = time.perf_counter() - start
    expected_full = sum(1 for i in range(args.count) if i % 3 != 2)
    full = sum(1 for r in records if r["total"] == r["max_total"])
    result = {
        "notebook": notebook,
        "submissions": args.count,
        "workers": args.workers,
        "wall_s": round(wall, 1),
        "per_submission_s": round(wall / max(1, args.count), 2),
        "full_marks": full,
        "expected_full_marks": expected_full,
        "ok": full == expected_full,
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "fast_mode": not args.full,
        "verdicts": "in the kernel" if args.in_kernel_checks else "in the grader",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=1))
    if not args.no_write:
        key = "grading_throughput" if notebook == "01" else f"grading_throughput_{notebook}"
        save_result(key + ("_in_kernel" if args.in_kernel_checks else ""), result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
