"""Grading side by side: the same submissions graded by our grader and by nbgrader's ``autograde``.

    python benchmarks/grading_vs_nbgrader.py                    # 01, 06 and 08; 30 submissions each
    python benchmarks/grading_vs_nbgrader.py --notebooks 01 --count 6

For each notebook: nbgrader's own ``generate_assignment`` makes the release from the solution; the
submissions are that release with the solution's answers filled in, every third one left blank;
``nbgrader autograde`` grades them (one after another, in the student's kernel, as it always does),
then our ``grade_batch`` grades the same files (``--workers``, verdicts in the grader). Both run in
fast mode (``COURSE_FAST=1``), the mode ``grade`` uses by default. Recorded per notebook: both wall
times, the ratio, whether every submission's score agrees, and our overhead: our per-submission
time (wall x workers / submissions) against the notebook's own fast-mode run, timed here in the same
run by executing the solution once (``course_tools.execute``).

Writes ``benchmarks/results.json`` key ``"grading_vs_nbgrader"`` (other keys are kept) and ``results.md``.
Run it on an otherwise idle machine: the script records the cores other processes kept busy just
before each grader started (:func:`course_tools.conditions.busy_cores_now`).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_tools.bench import save_measurement
from course_tools.conditions import busy_cores_now, machine_info, matmul_peak_gflops
from course_tools.grade import grade_batch
from course_tools.notebooks import STUDENT_CODE_STUB, cell_kind, read_notebook, write_notebook
from course_tools.release import solution_paths
from course_utils.config import project_root

ROOT = project_root()


def _solution(notebook: str) -> Path:
    matches = [p for p in solution_paths(ROOT) if p.name.startswith(f"{notebook}_")]
    if not matches:
        raise SystemExit(f"no solution notebook starts with {notebook!r} in {ROOT / 'solutions'}")
    return matches[0]


def _env() -> dict:
    env = dict(os.environ, COURSE_FAST="1")
    env.pop("COURSE_REPORT_FILE", None)
    # nbgrader runs `alembic` by name: put this Python's scripts folder on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nbgrader(course: Path, *args: str, timeout: float) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")


def own_run_seconds(solution: Path, timeout: float) -> float:
    """Wall seconds of one fast-mode run of the solution notebook in a fresh kernel, as a learner runs it."""
    from course_tools.execute import execute_notebook

    nb = read_notebook(solution)
    start = time.perf_counter()
    execute_notebook(nb, cwd=solution.parent, timeout=int(timeout), env=_env())
    return time.perf_counter() - start


def side_by_side(notebook: str, count: int, workers: int, timeout_cell: float, folder: Path) -> dict:
    solution_path = _solution(notebook)
    course = folder / "course"
    (course / "source" / "ps").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'cnn'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
        f"c.ClearSolutions.code_stub = {{'python': {STUDENT_CODE_STUB!r}}}\n"
        f"c.Execute.timeout = {int(timeout_cell)}\n"
    )
    (course / "source" / "ps" / solution_path.name).write_bytes(solution_path.read_bytes())
    _nbgrader(course, "generate_assignment", "ps", timeout=600)
    released = read_notebook(course / "release" / "ps" / solution_path.name)
    solution = read_notebook(solution_path)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells if cell_kind(c) in ("solution", "answer")
    }
    ours = folder / "ours"
    students = [f"student{i:03d}" for i in range(count)]
    for i, student in enumerate(students):
        nb = copy.deepcopy(released)
        if i % 3 != 2:
            for cell in nb.cells:
                if cell_kind(cell) in ("solution", "answer"):
                    cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
        for target in (course / "submitted" / student / "ps" / solution_path.name, ours / student / solution_path.name):
            target.parent.mkdir(parents=True, exist_ok=True)
            write_notebook(nb, target)

    idle_before_nbgrader = busy_cores_now()
    start = time.perf_counter()
    _nbgrader(course, "autograde", "ps", timeout=count * max(600, 4 * timeout_cell))
    nbgrader_s = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        theirs = {s: float(gb.find_submission("ps", s).score) for s in students}

    idle_before_ours = busy_cores_now()
    start = time.perf_counter()
    records = grade_batch(
        ours,
        notebook,
        out=folder / "out",
        workers=workers,
        timeout_cell=timeout_cell,
        timeout_notebook=max(600, timeout_cell * 4),
        progress=False,
    )
    ours_s = time.perf_counter() - start
    mine = {r["student"]: float(r["total"]) for r in records}
    disagree = sorted(s for s in students if mine.get(s) != theirs[s])
    own_s = own_run_seconds(solution_path, timeout=max(600, timeout_cell * 4))
    per_submission = ours_s * workers / count
    return {
        "submissions": count,
        "blank_submissions": sum(1 for i in range(count) if i % 3 == 2),
        "workers_ours": workers,
        "nbgrader_wall_s": round(nbgrader_s, 1),
        "ours_wall_s": round(ours_s, 1),
        "nbgrader_over_ours": round(nbgrader_s / ours_s, 2),
        "nbgrader_per_submission_s": round(nbgrader_s / count, 2),
        "ours_per_submission_worker_s": round(per_submission, 2),
        "notebook_fast_run_s": round(own_s, 1),
        "ours_over_notebook_run": round(per_submission / own_s, 2),
        "scores_agree": not disagree,
        "disagreeing_students": {s: {"ours": mine.get(s), "nbgrader": theirs[s]} for s in disagree},
        "full_marks_ours": sum(1 for r in records if r["total"] == r["max_total"]),
        "max_total": records[0]["max_total"] if records else None,
        # Cores other processes kept busy just before each grader started (the machine should be idle).
        "busy_cores_before": {"nbgrader": idle_before_nbgrader, "ours": idle_before_ours},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="*", default=["01", "06", "08"])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout-cell", type=float, default=600)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update results.json")
    args = parser.parse_args(argv)
    result = {
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine_info": machine_info(),
        "matmul_peak_gflops": matmul_peak_gflops(),
        "notebooks": {},
    }
    for notebook in args.notebooks:
        with tempfile.TemporaryDirectory(prefix=f"cu-vs-nbgrader-{notebook}-") as tmp:
            result["notebooks"][notebook] = side_by_side(
                notebook, args.count, args.workers, args.timeout_cell, Path(tmp)
            )
        print(notebook, json.dumps(result["notebooks"][notebook], indent=1), flush=True)
        if not args.no_write:  # after each notebook, so that a long batch keeps what it measured
            _save(result)
    return 0 if all(r["scores_agree"] for r in result["notebooks"].values()) else 1


def _save(result: dict) -> None:
    """Store under key ``grading_vs_nbgrader``; notebooks measured earlier and not re-run are kept."""
    path = ROOT / "benchmarks" / "results.json"
    try:
        earlier = json.loads(path.read_text()).get("grading_vs_nbgrader", {}) if path.exists() else {}
    except json.JSONDecodeError:
        earlier = {}
    notebooks = dict(earlier.get("notebooks", {}))
    for name, record in result["notebooks"].items():
        notebooks[name] = dict(
            record, date=result["date"], backend=result["backend"], matmul_peak_gflops=result["matmul_peak_gflops"]
        )
    save_measurement("grading_vs_nbgrader", dict(result, notebooks=notebooks))


if __name__ == "__main__":
    sys.exit(main())
