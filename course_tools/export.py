"""Gradescope and GitHub Classroom: ``python -m course_tools export gradescope|github-classroom NN``.

Two ways to run the course's grader (:func:`course_tools.grade.grade_batch`) where students submit:

* ``export gradescope NN`` writes an autograder zip for Gradescope ("Programming assignment",
  autograder "Zip file upload"): ``setup.sh`` and ``run_autograder`` at its root, and
  ``source/``, the part of the course the grader needs, with ``solutions/NN_*.ipynb`` of this
  assignment only (its hidden tests: the zip goes to the instructor's Gradescope account, never to
  students). Gradescope unpacks the zip into ``/autograder/source``; for each upload it runs
  ``run_autograder``, which grades ``/autograder/submission/*.ipynb`` with every test, hidden ones
  included, and writes ``/autograder/results/results.json``.
* ``export github-classroom NN`` writes a template repository: the student notebook, a workflow
  ``.github/workflows/classroom.yml`` and ``.course/`` (the course's code and the pristine release,
  no solutions). On every push the workflow grades the notebook with the *visible* tests only
  (``source="release"``) and reports one GitHub Classroom test per exercise.

The entry points those two run (``python -m course_tools.export COMMAND``)::

    gradescope-run --assignment NN [--autograder-root DIR] [--course DIR]
    classroom-grade --assignment NN --course DIR --results FILE NOTEBOOK
    classroom-check RESULTS GRADE_ID

This module imports only the standard library at import time: ``classroom-check`` runs once per
exercise and must stay cheap; the grader is imported when a notebook is graded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

__all__ = [
    "ExportError",
    "add_arguments",
    "main_export",
    "build_gradescope_zip",
    "run_gradescope",
    "gradescope_results",
    "build_classroom_template",
    "classroom_workflow",
    "classroom_grade",
    "classroom_check",
    "main",
]

AUTOGRADER_ROOT_ENV = "AUTOGRADER_ROOT"  # where Gradescope's folders are (default /autograder)
PYTHON_ENV = "COURSE_AUTOGRADER_PYTHON"  # the Python run_autograder uses (default the venv of setup.sh)
BUDGET_ENV = "COURSE_AUTOGRADER_BUDGET"  # seconds a run may take (default: the zip's --gradescope-timeout)
GRADESCOPE_TIMEOUT = 600  # Gradescope's default autograder timeout (10 minutes; at most 40)
RESULTS_FILE = ".course-results.json"  # the Classroom workflow's results, in the student's workspace
COURSE_FOLDER = ".course"  # the course's code in the Classroom template
DEFAULTS = {"timeout_cell": 300.0, "timeout_notebook": 900.0, "memory_mb": 8192}
# README.md: pyproject's `readme`; constraints.txt: the lock the course is tested with (installed with -c).
_COURSE_FILES = ("pyproject.toml", "constraints.txt", "README.md", "LICENSE")
_COURSE_PACKAGES = ("course_utils", "course_tools")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")
_PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same course gives the same zip


class ExportError(ValueError):
    """Bad input to an export (unknown assignment, an existing output, ...); the message says how to fix it."""


# --------------------------------------------------------------------------- the assignment


def _root(root: str | Path | None) -> Path:
    if root is not None:
        return Path(root).resolve()
    from course_utils.config import project_root

    return project_root()


def _assignment_paths(assignment: str, root: Path, *, need_solution: bool = True) -> tuple[Path | None, Path]:
    """``(solutions/NN_*.ipynb, notebooks/NN_*.ipynb)`` of assignment ``NN``, or an :class:`ExportError`."""
    assignment = str(assignment)
    known = sorted({p.name[:2] for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb")})
    if not re.fullmatch(r"[0-9]{2}", assignment):
        raise ExportError(
            f"The assignment must be a two-digit notebook prefix, got {assignment!r}. "
            f"Expected one of {', '.join(known) or '(none found)'}, e.g. `export gradescope 01`."
        )
    releases = sorted((root / "notebooks").glob(f"{assignment}_*.ipynb"))
    if len(releases) != 1:
        raise ExportError(
            f"Assignment {assignment} must match exactly one student notebook notebooks/{assignment}_*.ipynb in "
            f"{root}, got {[p.name for p in releases]}. Known assignments: {', '.join(known) or '(none)'}; "
            "if you added a notebook, run `python -m course_tools release` first."
        )
    solution = root / "solutions" / releases[0].name
    if need_solution and not solution.is_file():
        raise ExportError(
            f"Expected the solution notebook solutions/{releases[0].name} (it holds the hidden tests) in {root}, "
            "got no such file. Run `python -m course_tools release` to generate it from its source "
            f"solutions/{releases[0].stem}.py."
        )
    return (solution if solution.is_file() else None), releases[0]


def _exercises(notebook: Path) -> list[dict]:
    """The graded cells of a notebook, in order: ``{"grade_id", "points", "manual"}``.

    Autograded exercises are nbgrader test cells (``grade`` without ``solution``); a written
    answer (a markdown cell with both) is ``manual``. Read from the JSON alone (no nbgrader).
    """
    data = json.loads(notebook.read_text(encoding="utf-8"))
    out = []
    for cell in data.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or not meta.get("grade_id"):
            continue
        if meta.get("solution") and cell.get("cell_type") != "markdown":
            continue  # an autograded answer cell: its points belong to a test cell
        out.append(
            {
                "grade_id": str(meta["grade_id"]),
                "points": float(meta.get("points", 0)),
                "manual": bool(meta.get("solution")),
            }
        )
    return out


def _check_new_output(path: Path, what: str) -> None:
    if path.is_dir() and any(path.iterdir()):
        raise ExportError(
            f"--out {path} must be a new or empty folder for {what}, got a folder that holds "
            f"{len(list(path.iterdir()))} entries. Delete it or choose another --out."
        )
    if path.exists() and not path.is_dir():
        raise ExportError(f"--out {path} already exists. Delete it or choose another --out.")


def _copy_course(root: Path, dest: Path) -> list[str]:
    """Copy the installable course (pyproject, lock, README, LICENSE, course_utils/, course_tools/) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in _COURSE_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, dest / name)
            copied.append(name)
    for name in ("pyproject.toml", "constraints.txt"):
        if name not in copied:
            raise ExportError(f"Expected {root / name} (the course package and its lock), got no such file.")
    for name in _COURSE_PACKAGES:
        if not (root / name).is_dir():
            raise ExportError(f"Expected the package folder {root / name}, got no such folder.")
        shutil.copytree(root / name, dest / name, ignore=_IGNORE)
        copied.append(f"{name}/")
    return copied


def _torch_requirement(root: Path) -> str:
    """``torch==X.Y.Z`` as pinned in the lock, constraints.txt (installed from the PyTorch CPU index first)."""
    lock = root / "constraints.txt"
    lines = lock.read_text(encoding="utf-8").splitlines() if lock.is_file() else []
    pins = [line.split("#")[0].replace(" ", "") for line in lines if re.match(r"torch\s*==", line)]
    if len(pins) != 1:
        raise ExportError(f"Expected one `torch==VERSION` line in {lock}, got {pins}.")
    return pins[0]


def _prefetch_lines(solution_text: str) -> list[str]:
    """Python statements that download the datasets the notebook needs (the grading kernels have no network)."""
    lines = []
    if "load_olivetti_faces" in solution_text:
        lines.append("import course_utils.data as d; d.load_olivetti_faces()")
    if re.search(r"load_mnist\([^)]*source=[\"']keras", solution_text):
        lines.append("import course_utils.data as d; d.load_mnist(source='keras')")
    return lines


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _write_json(path: Path, payload: dict) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it (a reader sees the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_course_root(course: Path) -> Path:
    """The grader grades against the course its ``course_utils`` was imported from: it must be ``course``."""
    from course_utils.config import project_root

    course = Path(course).resolve()
    got = project_root()
    if got != course:
        raise RuntimeError(
            f"the grader must run on the course copy in {course}, but course_utils was imported from {got}. "
            f"Fix: run it with PYTHONPATH={course} (run_autograder and the workflow do), "
            f"or install that copy in editable mode (pip install -e {course})."
        )
    # The kernels inherit PYTHONPATH but start in another folder: make its entries absolute.
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in parts)
    return course


def _pick_notebook(folder: Path, assignment: str, answer_ids: set[str]) -> tuple[Path | None, list[str]]:
    """The submitted notebook to grade in ``folder`` and notes on the choice.

    Preference: a notebook named ``NN_*``; else the only notebook; else the one holding most of the
    assignment's answer cells (by ``grade_id``); checkpoints and hidden files are skipped.
    """
    found = []
    for path in sorted(folder.rglob("*.ipynb")) if folder.is_dir() and not folder.is_symlink() else []:
        rel = path.relative_to(folder)
        if not any(p.startswith(".") for p in rel.parts) and (path.is_file() or path.is_symlink()):
            found.append(path)  # a link is picked like a file, and refused when it is read (_grade_one_notebook)
    if not found:
        return None, []
    notes = []
    named = [p for p in found if p.name.startswith(f"{assignment}_")]
    if named:
        chosen = named[0]
    elif len(found) == 1:
        chosen = found[0]
    else:

        def matches(path: Path) -> int:
            from .grade import IntakeError, read_submission

            try:
                text = read_submission(path, folder).decode("utf-8", errors="replace")
            except IntakeError:
                return 0
            return sum(f'"grade_id": "{gid}"' in text for gid in answer_ids)

        chosen = max(found, key=matches)  # the first one on a tie
    if len(found) > 1:
        others = ", ".join(str(p.relative_to(folder)) for p in found if p != chosen)
        notes.append(f"several notebooks submitted; graded {chosen.relative_to(folder)} (not {others})")
    return chosen, notes


def _answer_ids(notebook: Path) -> set[str]:
    data = json.loads(notebook.read_text(encoding="utf-8"))
    return {
        str(c["metadata"]["nbgrader"]["grade_id"])
        for c in data.get("cells", [])
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def _grade_one_notebook(
    notebook: Path, assignment: str, *, source: str, limits: dict, hide: list[str], folder: Path | None = None
) -> dict:
    """Grade one notebook with :func:`~course_tools.grade.grade_batch` in a temporary folder; its record.

    The notebook is read as every submission is (:func:`~course_tools.grade.read_submission`): a plain
    file within ``folder`` only, never through a symbolic link; anything else is a record with
    ``submission`` ``invalid`` (or ``too_large``) and 0 points, not graded.
    """
    from .grade import IntakeError, grade_batch, read_submission

    try:
        data = read_submission(notebook, folder)
    except IntakeError as err:
        return _not_read_record(assignment, source, err)
    with tempfile.TemporaryDirectory(prefix="cu-export-") as tmp:
        subs, out = Path(tmp) / "submissions", Path(tmp) / "out"
        subs.mkdir()
        (subs / "student.ipynb").write_bytes(data)
        records = grade_batch(
            subs,
            assignment,
            out=out,
            workers=1,
            timeout_cell=limits["timeout_cell"],
            timeout_notebook=limits["timeout_notebook"],
            memory_mb=limits["memory_mb"] or None,
            hide=hide,
            progress=False,
            source=source,
            until=limits.get("until"),
        )
    if len(records) != 1:
        raise RuntimeError(f"expected the grader to return 1 record, got {len(records)}")
    return records[0]


def _not_read_record(assignment: str, source: str, err) -> dict:
    """The record of a submitted notebook that intake refused (:class:`~course_tools.grade.IntakeError`)."""
    from .grade import load_assignment

    tests = load_assignment(assignment, source=source)["tests"]
    return {
        "submission": err.status,
        "notes": [err.note],
        "total": 0.0,
        "max_total": sum(t["points"] for t in tests if not t["manual"]),
        "exercises": {
            t["grade_id"]: {
                "points": t["points"],
                "earned": 0.0,
                "status": "manual" if t["manual"] else "missing",
                "message": err.note,
            }
            for t in tests
        },
    }


# --------------------------------------------------------------------------- Gradescope

_SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image from this zip
# (unpacked into /autograder/source). Base image: Ubuntu 22.04 (Python 3.11 from apt; on other
# releases it comes from the deadsnakes PPA).
#
# What is installed from where:
# - the course's own code (course_utils, course_tools) from this zip, offline: ./source;
# - the third-party wheels are downloaded now, at image build time: {torch} (CPU only) from the
#   PyTorch CPU index, then TensorFlow, Keras, nbgrader, ... (pinned in source/constraints.txt)
#   from PyPI. Grading a submission later needs no network.
set -euxo pipefail
cd "$(dirname "$0")"
VENV="${{AUTOGRADER_ROOT:-/autograder}}/venv"
export DEBIAN_FRONTEND=noninteractive

install_python() {{
  apt-get update
  if ! apt-get install -y python3.11 python3.11-venv; then
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y python3.11 python3.11-venv
  fi
}}

command -v python3.11 >/dev/null 2>&1 || install_python
python3.11 -m venv "$VENV" || {{ install_python && python3.11 -m venv "$VENV"; }}
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install {torch} --index-url {index}
"$VENV/bin/python" -m pip install "./source[instructor]" -c ./source/constraints.txt
{prefetch}
"$VENV/bin/python" -c "import course_tools.grade, keras, torch; print('course environment ready')"
"""

_RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades /autograder/submission/*.ipynb (assignment
# {assignment}, every test, the hidden ones included) and writes /autograder/results/results.json.
# Made by `python -m course_tools export gradescope {assignment}`; see docs/INSTRUCTORS.md.
#   {root_env}: the folder laid out like /autograder (default /autograder)
#   {python_env}: the Python with the course's packages (default the venv setup.sh made)
#   {budget_env}: seconds this run may take (default {budget}: the autograder timeout of the assignment's
#     Gradescope settings, which `export gradescope --gradescope-timeout` was given)
set -u
STARTED=$(date +%s)
AUTOGRADER_ROOT="${{{root_env}:-/autograder}}"
COURSE="$AUTOGRADER_ROOT/source/source"
PYTHON="${{{python_env}:-$AUTOGRADER_ROOT/venv/bin/python}}"
RESULTS="$AUTOGRADER_ROOT/results/results.json"
BUDGET="${{{budget_env}:-{budget}}}"
mkdir -p "$AUTOGRADER_ROOT/results"
# A valid result even if the grader never gets to write one (a missing Python, a killed run).
cat > "$RESULTS" <<'EOF'
{placeholder}
EOF
# The grader grades against the course its course_utils is imported from: this copy.
export PYTHONPATH="$COURSE${{PYTHONPATH:+:$PYTHONPATH}}"
export KERAS_BACKEND="${{KERAS_BACKEND:-{backend}}}"
export COURSE_DATA_DIR="${{COURSE_DATA_DIR:-$AUTOGRADER_ROOT/course_data}}"
export MPLBACKEND=Agg
cd "$COURSE" || exit 0
# Gradescope kills a run that reaches its timeout, and the student then gets 0 and no test results. So
# the grader ends its kernels in time to write results.json within BUDGET, and if it still runs 15 s
# before the end it is killed here: the placeholder above is then what Gradescope shows.
timeout --signal=KILL "$((BUDGET - 15))" "$PYTHON" -m course_tools.export gradescope-run \\
  --assignment {assignment} --autograder-root "$AUTOGRADER_ROOT" --course "$COURSE" \\
  --timeout-cell {timeout_cell} --timeout-notebook {timeout_notebook} --memory-mb {memory_mb} \\
  --budget "$BUDGET" --started "$STARTED"
exit 0
"""


_PLACEHOLDER = {
    "score": 0.0,
    "output": "The autograder did not finish (it failed to start, or ran out of its time budget). "
    "This is not a grade of your work: tell your instructor.",
    "stdout_visibility": "hidden",
    "tests": [],
}


def _zip_add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_gradescope_zip(
    assignment: str,
    out: str | Path | None = None,
    *,
    root: str | Path | None = None,
    timeout_cell: float = DEFAULTS["timeout_cell"],
    timeout_notebook: float = DEFAULTS["timeout_notebook"],
    memory_mb: int = DEFAULTS["memory_mb"],
    backend: str = "tensorflow",
    gradescope_timeout: float = GRADESCOPE_TIMEOUT,
) -> Path:
    """Write the Gradescope autograder zip of assignment ``NN``; return its path.

    ``gradescope_timeout``: the autograder timeout of the assignment's Gradescope settings (seconds; its
    default is 600): every run ends in time to write its results within it.

    Layout (Gradescope's): ``setup.sh`` and ``run_autograder`` (executable) at the root;
    ``source/``: pyproject.toml, constraints.txt, README.md, LICENSE, course_utils/, course_tools/,
    ``solutions/NN_*.ipynb`` and ``solutions/NN_*.py`` of this assignment only (its hidden tests) and
    ``notebooks/NN_*.ipynb``.
    No other solution, no .git, no __pycache__. Default ``out``: ``gradescope_NN_name.zip`` in the
    current folder; an existing file is refused.
    """
    root = _root(root)
    solution, release = _assignment_paths(assignment, root)
    if backend not in ("tensorflow", "torch"):
        raise ExportError(f"--backend must be tensorflow or torch, got {backend!r}.")
    out = Path(out) if out else Path.cwd() / f"gradescope_{release.stem}.zip"
    if not 120 <= float(gradescope_timeout) <= 2400:
        raise ExportError(
            f"--gradescope-timeout must be the assignment's autograder timeout in Gradescope, 120 to 2400 seconds "
            f"(Gradescope allows up to 40 minutes), got {gradescope_timeout:g}."
        )
    if out.suffix != ".zip":
        raise ExportError(f"--out must name a .zip file, got {out}. Example: --out gradescope_{assignment}.zip")
    if out.exists():
        raise ExportError(f"--out {out} already exists. Delete it or choose another --out.")
    torch = _torch_requirement(root)
    prefetch = _prefetch_lines(solution.read_text(encoding="utf-8"))
    prefetch_sh = "\n".join(
        f'COURSE_DATA_DIR="${{AUTOGRADER_ROOT:-/autograder}}/course_data" "$VENV/bin/python" -c "{line}"'
        for line in prefetch
    )
    setup = _SETUP_SH.format(
        torch=torch,
        index=_PYTORCH_CPU_INDEX,
        prefetch=("# The datasets this notebook uses (the grading kernels have no network):\n" + prefetch_sh)
        if prefetch
        else "# (this notebook needs no downloaded dataset)",
    )
    run = _RUN_AUTOGRADER.format(
        assignment=assignment,
        root_env=AUTOGRADER_ROOT_ENV,
        python_env=PYTHON_ENV,
        backend=backend,
        timeout_cell=_num(timeout_cell),
        timeout_notebook=_num(timeout_notebook),
        memory_mb=int(memory_mb),
        placeholder=json.dumps(_PLACEHOLDER),
        budget_env=BUDGET_ENV,
        budget=int(gradescope_timeout),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cu-export-") as tmp:
        source = Path(tmp) / "source"
        _copy_course(root, source)
        # the solution's text source too: the grader draws check_cases' cases afresh from the official
        # answers in it (course_tools.cases.grading_cases); without it a correct answer scored 0 here
        text_source = solution.with_suffix(".py")
        for path in (solution, release, *([text_source] if text_source.is_file() else [])):
            (source / path.parent.name).mkdir(exist_ok=True)
            shutil.copy2(path, source / path.parent.name / path.name)
        partial = out.with_name(f".{out.name}.part")
        with zipfile.ZipFile(partial, "w") as zf:
            _zip_add(zf, "setup.sh", setup.encode(), 0o755)
            _zip_add(zf, "run_autograder", run.encode(), 0o755)
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    mode = 0o755 if os.access(path, os.X_OK) else 0o644
                    _zip_add(zf, path.relative_to(Path(tmp)).as_posix(), path.read_bytes(), mode)
        os.replace(partial, out)
    return out


def _gradescope_failure(output: str, exercises: list[dict], reason: str) -> dict:
    """A valid results.json with score 0: every exercise failed with ``reason``."""
    tests = [
        {
            "name": e["grade_id"],
            "number": str(i),
            "score": 0.0,
            "max_score": e["points"],
            "status": "failed",
            "output": reason,
            "visibility": "visible",
        }
        for i, e in enumerate((e for e in exercises if not e["manual"]), 1)
    ]
    return {
        "score": 0.0,
        "output": output,
        "output_format": "text",
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "tests": tests,
    }


def gradescope_results(record: dict, assignment_name: str, notebook_name: str = "", order: list[str] = ()) -> dict:
    """Gradescope's results.json for one graded record of :func:`~course_tools.grade.grade_batch`.

    ``score`` is the sum of the tests' scores; every exercise is one test (``name`` = its
    ``grade_id``), numbered in the notebook's ``order`` (the exercises' grade_ids in the notebook), whose
    ``output`` is the status and :func:`~course_tools.grade.student_message` (a hidden test's own message
    is never included). Written answers (``manual``) are left to Gradescope's manual grading and listed
    in ``output``.
    """
    from .grade import STATUSES, student_message
    from .gradebook import in_order

    tests, manual = [], []
    for gid, e in in_order(record["exercises"], list(order)).items():
        if e["status"] == "manual":
            manual.append(gid)
            continue
        passed = e["status"] == "passed" or (e["status"] == "tampered" and e["earned"] >= e["points"])
        message = student_message(e) or STATUSES.get(e["status"], "")
        text = f"{e['status']} ({_num(e['earned'])}/{_num(e['points'])} points)"
        tests.append(
            {
                "name": gid,
                "number": str(len(tests) + 1),
                "score": float(e["earned"]),
                "max_score": float(e["points"]),
                "status": "passed" if passed else "failed",
                "output": text + (f"\n\n{message}" if message else ""),
                "visibility": "visible",
            }
        )
    score = float(sum(t["score"] for t in tests))
    max_score = float(sum(t["max_score"] for t in tests))
    lines = [f"{assignment_name}: {_num(score)} / {_num(max_score)} points."]
    if notebook_name:
        lines.append(f"Graded notebook: {notebook_name}.")
    if record.get("submission", "ok") != "ok":
        lines.append(f"Submission: {record['submission']}.")
    lines += [f"Note: {n}" for n in record.get("notes", [])]
    if manual:
        lines.append(f"Written answers graded by hand: {', '.join(manual)}.")
    lines.append(
        "Every exercise is graded with its visible checks and more hidden tests; fix the failed ones and upload again."
    )
    return {
        "score": score,
        "output": "\n".join(lines),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "tests": tests,
    }


def run_gradescope(
    assignment: str,
    autograder_root: str | Path | None = None,
    *,
    course: str | Path | None = None,
    timeout_cell: float = DEFAULTS["timeout_cell"],
    timeout_notebook: float = DEFAULTS["timeout_notebook"],
    memory_mb: int | None = DEFAULTS["memory_mb"],
    budget: float | None = None,
    started: float | None = None,
) -> dict:
    """Grade ``AUTOGRADER_ROOT/submission`` and write ``AUTOGRADER_ROOT/results/results.json``; return it.

    ``budget``: seconds the whole run may take from ``started`` (a ``time.time()``; default now): the kernel
    is stopped in time to write the results within it (Gradescope gives a run that reaches its timeout 0 and
    no test results, so the student would not see which tests ran).

    ``autograder_root``: default ``$AUTOGRADER_ROOT`` or ``/autograder``. ``course``: the course copy
    to grade with (default ``AUTOGRADER_ROOT/source/source``); ``course_utils`` must be imported from
    it (``run_autograder`` sets ``PYTHONPATH``). Never raises for a bad submission or a grader crash:
    the results then hold score 0 and an ``output`` that says why.
    """
    start = time.monotonic()
    until = None
    if budget:
        reserve = min(60.0, 0.15 * float(budget))  # results, cleanup and the processes' exits
        until = (started or time.time()) + float(budget) - reserve
    ag = Path(autograder_root or os.environ.get(AUTOGRADER_ROOT_ENV) or "/autograder").resolve()
    course = Path(course).resolve() if course else ag / "source" / "source"
    results_path = ag / "results" / "results.json"
    exercises: list[dict] = []
    name = f"assignment {assignment}"
    limits = {"timeout_cell": timeout_cell, "timeout_notebook": timeout_notebook, "memory_mb": memory_mb}
    limits["until"] = until
    try:
        solution, _ = _assignment_paths(assignment, course)
        name = solution.stem
        exercises = _exercises(solution)
        _check_course_root(course)
        notebook, notes = _pick_notebook(ag / "submission", assignment, _answer_ids(solution))
        if notebook is None:
            results = _gradescope_failure(
                f"{name}: 0 points. No notebook (.ipynb) was found in your submission. "
                f"Upload your {solution.name} itself (File > Download in JupyterLab), then submit again.",
                exercises,
                "not graded: no notebook was submitted",
            )
        else:
            hide = [str(ag)] if ag != Path("/") else []  # the kernels see neither the zip nor the results
            record = _grade_one_notebook(
                notebook, assignment, source="solutions", limits=limits, hide=hide, folder=ag / "submission"
            )
            record["notes"] = notes + list(record.get("notes", []))
            print(f"Kernel sandbox (for the instructor): {json.dumps(record.get('sandbox', {}), sort_keys=True)}")
            order = [e["grade_id"] for e in exercises]
            results = gradescope_results(record, name, str(notebook.relative_to(ag / "submission")), order)
    except Exception as err:  # noqa: BLE001 - a crash still gives Gradescope a valid result
        first = (str(err).strip().splitlines() or [""])[0][:400]
        results = _gradescope_failure(
            f"{name}: the autograder failed ({type(err).__name__}: {first}). "
            "This is not a grade of your work: tell your instructor.",
            exercises,
            "not graded: the autograder failed",
        )
    results["execution_time"] = round(time.monotonic() - start)
    _write_json(results_path, results)
    return results


def _print_gradescope_summary(results: dict, path: Path) -> None:
    print(results["output"])
    for t in results["tests"]:
        print(f"  {t['name']}: {_num(t['score'])}/{_num(t['max_score'])} {t['status']}")
    print(f"Wrote {path}")


# --------------------------------------------------------------------------- GitHub Classroom


def _step_id(grade_id: str, taken: set[str]) -> str:
    """A valid, unique GitHub Actions step id for an exercise: lowercase letters, digits and dashes."""
    base = re.sub(r"[^a-z0-9]+", "-", grade_id.lower()).strip("-") or "exercise"
    if not base[0].isalpha():
        base = f"ex-{base}"
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    taken.add(sid)
    return sid


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text)


def classroom_workflow(
    assignment: str,
    notebook_name: str,
    exercises: list[dict],
    *,
    torch: str,
    timeout_cell: float = DEFAULTS["timeout_cell"],
    timeout_notebook: float = DEFAULTS["timeout_notebook"],
    memory_mb: int = DEFAULTS["memory_mb"],
    backend: str = "tensorflow",
) -> str:
    """The text of ``.github/workflows/classroom.yml`` for the autograded ``exercises`` of ``notebook_name``.

    One grading step runs the grader once (visible tests only, ``source="release"``) and writes
    ``.course-results.json``; then one ``autograding-command-grader`` step per exercise exits 0 iff
    that exercise passed; the reporter sums them for GitHub Classroom.
    """
    graded = [e for e in exercises if not e["manual"]]
    if not graded:
        raise ExportError(f"{notebook_name} has no autograded exercise (test cell): nothing for GitHub Classroom.")
    for e in graded:
        if not float(e["points"]).is_integer():
            raise ExportError(
                f"GitHub Classroom's command grader takes whole points (max-score), got {e['points']:g} for "
                f"{e['grade_id']}. Give that test cell whole points in solutions/{notebook_name[:-6]}.py."
            )
    taken = {"grade"}
    ids = [_step_id(e["grade_id"], taken) for e in graded]
    grade_cmd = (
        f'PYTHONPATH="$PWD/{COURSE_FOLDER}" python -m course_tools.export classroom-grade --assignment {assignment} '
        f"--course {COURSE_FOLDER} --results {RESULTS_FILE} --timeout-cell {_num(timeout_cell)} "
        f"--timeout-notebook {_num(timeout_notebook)} --memory-mb {int(memory_mb)} {notebook_name}"
    )
    minutes = int(timeout_notebook // 60) + 10
    lines = [
        f"# Made by `python -m course_tools export github-classroom {assignment}` (see the course's",
        "# docs/INSTRUCTORS.md). It grades the notebook with its VISIBLE checks only: the hidden tests are",
        "# not in this repository. The points it reports are feedback; the grade of record comes from the",
        "# instructor's own grader run (with the hidden tests) on the collected repositories.",
        "name: Autograding (visible checks)",
        "on:",
        "  push:",
        "  workflow_dispatch:",
        "  repository_dispatch:",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        f"    timeout-minutes: {minutes + 20}",
        "    env:",
        f"      KERAS_BACKEND: {backend}",
        "      COURSE_DATA_DIR: ${{ github.workspace }}/.course-data",
        "      MPLBACKEND: Agg",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "      - name: Set up Python 3.11",
        "        uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.11"',
        "          cache: pip",
        f"          cache-dependency-path: {COURSE_FOLDER}/constraints.txt",
        "      - name: Install the course's packages",
        "        run: |",
        "          python -m pip install --upgrade pip",
        f"          python -m pip install {torch} --index-url {_PYTORCH_CPU_INDEX}",
        f'          python -m pip install "./{COURSE_FOLDER}[instructor]" -c {COURSE_FOLDER}/constraints.txt',
        f"      - name: Grade {notebook_name} (visible checks)",
        "        id: grade",
        f"        timeout-minutes: {minutes}",
        "        run: |",
        f"          {grade_cmd}",
    ]
    for e, sid in zip(graded, ids):
        check = f"python -m course_tools.export classroom-check {RESULTS_FILE} {e['grade_id']}"
        lines += [
            f"      - name: {_q(e['grade_id'])}",
            f"        id: {sid}",
            "        uses: classroom-resources/autograding-command-grader@v1",
            "        with:",
            f"          test-name: {_q(e['grade_id'])}",
            f"          command: {_q(check)}",
            "          timeout: 1",
            f"          max-score: {int(e['points'])}",
        ]
    lines += [
        "      - name: Autograding Reporter",
        "        uses: classroom-resources/autograding-grading-reporter@v1",
        "        env:",
        *(f'          {sid.upper()}_RESULTS: "${{{{steps.{sid}.outputs.result}}}}"' for sid in ids),
        "        with:",
        f"          runners: {','.join(ids)}",
    ]
    return "\n".join(lines) + "\n"


_STUDENT_README = """\
# {name}

Open `{notebook}` in JupyterLab, answer the exercises, then commit and push:

```
git add {notebook}
git commit -m "my answers"
git push
```

Every push runs the notebook's **visible** checks on GitHub (the *Actions* tab shows the result,
one line per exercise). Your instructor grades the final version with more, hidden tests of the
same kind, so make your answers correct for every valid input, not only the examples.

Do not edit `.github/` or `.course/` (the course's code and the original notebook): the
instructor's grader ignores them.

To run the checks yourself (with the course's environment installed):

```
python -m course_tools check {notebook}
```
"""


def build_classroom_template(
    assignment: str,
    out: str | Path | None = None,
    *,
    root: str | Path | None = None,
    timeout_cell: float = DEFAULTS["timeout_cell"],
    timeout_notebook: float = DEFAULTS["timeout_notebook"],
    memory_mb: int = DEFAULTS["memory_mb"],
    backend: str = "tensorflow",
) -> Path:
    """Write the GitHub Classroom template repository of assignment ``NN``; return its folder.

    Contents: ``NN_name.ipynb`` (the student release) at the top, ``README.md``, ``.gitignore``,
    ``.github/workflows/classroom.yml`` (:func:`classroom_workflow`) and ``.course/``
    (pyproject.toml, constraints.txt, README.md, LICENSE, course_utils/, course_tools/ and the pristine release
    ``notebooks/NN_name.ipynb``). No solutions: the hidden tests never enter a student's repository.
    Default ``out``: ``classroom_NN_name`` in the current folder; it must be new or empty.
    """
    root = _root(root)
    _, release = _assignment_paths(assignment, root, need_solution=False)
    if backend not in ("tensorflow", "torch"):
        raise ExportError(f"--backend must be tensorflow or torch, got {backend!r}.")
    out = Path(out) if out else Path.cwd() / f"classroom_{release.stem}"
    _check_new_output(out, "the template repository")
    workflow = classroom_workflow(
        assignment,
        release.name,
        _exercises(release),
        torch=_torch_requirement(root),
        timeout_cell=timeout_cell,
        timeout_notebook=timeout_notebook,
        memory_mb=memory_mb,
        backend=backend,
    )
    out.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(release, out / release.name)
        course = out / COURSE_FOLDER
        _copy_course(root, course)
        (course / "notebooks").mkdir()
        shutil.copy2(release, course / "notebooks" / release.name)
        (out / ".github" / "workflows").mkdir(parents=True)
        (out / ".github" / "workflows" / "classroom.yml").write_text(workflow, encoding="utf-8")
        (out / "README.md").write_text(
            _STUDENT_README.format(name=release.stem, notebook=release.name), encoding="utf-8"
        )
        (out / ".gitignore").write_text(
            f"{RESULTS_FILE}\n.course-data/\n__pycache__/\n.ipynb_checkpoints/\n*.egg-info/\nbuild/\n",
            encoding="utf-8",
        )
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def classroom_grade(
    notebook: str | Path,
    assignment: str,
    *,
    course: str | Path,
    results: str | Path,
    timeout_cell: float = DEFAULTS["timeout_cell"],
    timeout_notebook: float = DEFAULTS["timeout_notebook"],
    memory_mb: int | None = DEFAULTS["memory_mb"],
) -> dict:
    """Grade ``notebook`` with the visible tests of the course copy ``course``; write ``results``; return it.

    The results file: ``{"assignment", "notebook", "source": "release", "submission", "notes",
    "total", "max_total", "exercises": {grade_id: {"status", "earned", "points", "message"}}}``
    with :func:`~course_tools.grade.student_message` as the message. A missing notebook or a grader
    crash is written as such (every exercise ``error`` or ``missing`` with the reason), so that the
    per-exercise checks fail with a clear message rather than not run.
    """
    course = Path(course).resolve()
    results = Path(results)
    results.unlink(missing_ok=True)  # never read a stale or committed file
    _, release = _assignment_paths(assignment, course, need_solution=False)
    exercises = [e for e in _exercises(release) if not e["manual"]]
    _check_course_root(course)
    notebook = Path(notebook)
    payload = {
        "assignment": release.stem,
        "notebook": str(notebook),
        "source": "release",
        "submission": "ok",
        "notes": [],
    }

    def everything(status: str, message: str) -> dict:
        return {
            e["grade_id"]: {"status": status, "earned": 0.0, "points": e["points"], "message": message}
            for e in exercises
        }

    if not (notebook.is_file() or notebook.is_symlink()):  # a link is refused when it is read
        payload["submission"] = "missing"
        payload["exercises"] = everything(
            "missing", f"{notebook} is not in the repository (renamed or deleted?): keep the notebook's name"
        )
    else:
        try:
            from .grade import student_message

            limits = {"timeout_cell": timeout_cell, "timeout_notebook": timeout_notebook, "memory_mb": memory_mb}
            record = _grade_one_notebook(
                notebook, assignment, source="release", limits=limits, hide=[], folder=notebook.absolute().parent
            )
            payload["submission"] = record.get("submission", "ok")
            payload["notes"] = list(record.get("notes", []))
            payload["exercises"] = {
                gid: {
                    "status": e["status"],
                    "earned": float(e["earned"]),
                    "points": float(e["points"]),
                    "message": student_message(e),
                }
                for gid, e in record["exercises"].items()
                if e["status"] != "manual"
            }
        except Exception as err:  # noqa: BLE001 - the checks then fail with this reason
            first = (str(err).strip().splitlines() or [""])[0][:400]
            payload["submission"] = "grader_error"
            payload["exercises"] = everything("error", f"the grader failed: {type(err).__name__}: {first}")
    payload["total"] = sum(e["earned"] for e in payload["exercises"].values())
    payload["max_total"] = sum(e["points"] for e in payload["exercises"].values())
    _write_json(results, payload)
    return payload


def classroom_check(results: str | Path, grade_id: str) -> int:
    """Print one exercise's result from a :func:`classroom_grade` results file; 0 iff it passed."""
    path = Path(results)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(
            f"{grade_id}: no readable results file {path} ({type(err).__name__}): the grading step did not run "
            "or failed; see its log above."
        )
        return 1
    exercise = data.get("exercises", {}).get(grade_id)
    if exercise is None:
        print(f"{grade_id}: not in {path}; expected one of {', '.join(data.get('exercises', {})) or '(none)'}.")
        return 1
    print(f"{grade_id}: {exercise['status']} ({_num(exercise['earned'])}/{_num(exercise['points'])} points)")
    if exercise.get("message"):
        print(exercise["message"])
    return 0 if exercise["status"] == "passed" else 1


# --------------------------------------------------------------------------- command lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m course_tools export``."""
    parser.description = (
        "Export an assignment for Gradescope (an autograder zip: every test, hidden ones included; for the "
        "instructor's Gradescope account only) or GitHub Classroom (a template repository whose workflow "
        "runs the visible checks; no solutions). See docs/INSTRUCTORS.md."
    )
    parser.add_argument("target", choices=["gradescope", "github-classroom"])
    parser.add_argument("assignment", metavar="NN", help="notebook prefix, e.g. 00 or 01")
    parser.add_argument(
        "--out",
        default=None,
        help="gradescope: the .zip to write (default gradescope_NN_name.zip); github-classroom: a new or "
        "empty folder (default classroom_NN_name)",
    )
    parser.add_argument(
        "--timeout-cell",
        type=float,
        default=DEFAULTS["timeout_cell"],
        metavar="S",
        help=f"seconds per cell when grading (default {_num(DEFAULTS['timeout_cell'])})",
    )
    parser.add_argument(
        "--timeout-notebook",
        type=float,
        default=DEFAULTS["timeout_notebook"],
        metavar="S",
        help=f"seconds per notebook (default {_num(DEFAULTS['timeout_notebook'])}; keep Gradescope's autograder "
        "timeout above it)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=DEFAULTS["memory_mb"],
        metavar="M",
        help=f"address-space limit of the kernel in MB (default {DEFAULTS['memory_mb']}; 0 = none)",
    )
    parser.add_argument("--backend", choices=["tensorflow", "torch"], default="tensorflow", help="KERAS_BACKEND")
    parser.add_argument(
        "--gradescope-timeout",
        type=float,
        default=GRADESCOPE_TIMEOUT,
        metavar="S",
        help=f"gradescope: the autograder timeout set in the assignment's Gradescope settings (default "
        f"{GRADESCOPE_TIMEOUT}, Gradescope's own); every run ends in time to write its results within it",
    )


def main_export(args) -> int:
    """Entry point of ``python -m course_tools export``."""
    limits = {
        "timeout_cell": args.timeout_cell,
        "timeout_notebook": args.timeout_notebook,
        "memory_mb": args.memory_mb,
        "backend": args.backend,
    }
    try:
        if args.target == "gradescope":
            path = build_gradescope_zip(args.assignment, args.out, gradescope_timeout=args.gradescope_timeout, **limits)
            print(
                f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB). It holds the hidden tests: upload it to your "
                "Gradescope assignment (Configure Autograder > Zip file upload), never give it to students."
            )
        else:
            path = build_classroom_template(args.assignment, args.out, **limits)
            print(
                f"Wrote the template repository {path}/. Push it to a new repository of your classroom's "
                "organization, mark it as a template, and pick it as the assignment's starter code."
            )
    except ExportError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout-cell", type=float, default=DEFAULTS["timeout_cell"], metavar="S")
    parser.add_argument("--timeout-notebook", type=float, default=DEFAULTS["timeout_notebook"], metavar="S")
    parser.add_argument("--memory-mb", type=int, default=DEFAULTS["memory_mb"], metavar="M")


def main(argv: list[str] | None = None) -> int:
    """``python -m course_tools.export gradescope-run|classroom-grade|classroom-check ...`` (see the module doc)."""
    parser = argparse.ArgumentParser(prog="python -m course_tools.export", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("gradescope-run", help="grade AUTOGRADER_ROOT/submission, write results/results.json")
    p.add_argument("--assignment", required=True, metavar="NN")
    p.add_argument(
        "--autograder-root", default=None, help=f"default ${AUTOGRADER_ROOT_ENV} or /autograder (Gradescope's)"
    )
    p.add_argument("--course", default=None, help="the course copy (default AUTOGRADER_ROOT/source/source)")
    p.add_argument("--budget", type=float, default=None, metavar="S", help="seconds the whole run may take")
    p.add_argument("--started", type=float, default=None, metavar="EPOCH", help="when the run started (date +%%s)")
    _limit_arguments(p)

    p = sub.add_parser("classroom-grade", help="grade a notebook with the visible tests, write a results file")
    p.add_argument("notebook")
    p.add_argument("--assignment", required=True, metavar="NN")
    p.add_argument("--course", required=True, help="the course copy (.course in the template)")
    p.add_argument("--results", required=True, help="the results file to write")
    _limit_arguments(p)

    p = sub.add_parser("classroom-check", help="exit 0 iff one exercise passed in a results file")
    p.add_argument("results")
    p.add_argument("grade_id")

    args = parser.parse_args(argv)
    if args.command == "classroom-check":
        return classroom_check(args.results, args.grade_id)
    limits = {"timeout_cell": args.timeout_cell, "timeout_notebook": args.timeout_notebook}
    limits["memory_mb"] = args.memory_mb or None
    if args.command == "gradescope-run":
        results = run_gradescope(
            args.assignment,
            args.autograder_root,
            course=args.course,
            budget=args.budget,
            started=args.started,
            **limits,
        )
        ag = Path(args.autograder_root or os.environ.get(AUTOGRADER_ROOT_ENV) or "/autograder")
        _print_gradescope_summary(results, ag / "results" / "results.json")
        return 0
    try:
        payload = classroom_grade(args.notebook, args.assignment, course=args.course, results=args.results, **limits)
    except (ExportError, RuntimeError) as err:  # a broken template or workflow: the instructor's to fix
        print(err, file=sys.stderr)
        return 2
    print(f"{payload['assignment']} (visible checks only): {_num(payload['total'])} / {_num(payload['max_total'])}")
    for gid, e in payload["exercises"].items():
        print(f"  {gid}: {e['status']} ({_num(e['earned'])}/{_num(e['points'])})")
    for note in payload["notes"]:
        print(f"  note: {note}")
    print(f"Wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
