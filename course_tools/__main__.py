"""Command line: ``python -m course_tools COMMAND``.

Commands:
  release [--check]        solutions/NN_*.py -> solutions/*.ipynb and notebooks/*.ipynb
                           (--check: only check that they are in sync)
  check NOTEBOOK           run a notebook in a fresh kernel and print the per-exercise table
  test [--backend B]       run the test suite (both Keras backends by default)
  bench [...]              run solution notebooks, write benchmarks/results.json and results.md
  bench --check            judge benchmarks/results.json against benchmarks/claims/*.toml
  bench --outputs-only     store the site's figures (full mode, TensorFlow) in benchmarks/outputs/
  grade SUBMISSIONS ...    grade a folder of submissions (see docs/INSTRUCTORS.md); resumes
  grade merge OUT1 ... --out MERGED   combine the gradebooks of `grade --shard K/N` runs
  grade report OUT         an HTML class report of a graded folder
  export TARGET NN         a Gradescope autograder zip or a GitHub Classroom template repository
  outputs NOTEBOOK ...     fail if a notebook carries outputs (the pre-commit hook)
  lab [--instructor] ...   start JupyterLab as a learner (nbgrader's menus off) or an instructor
  site [--out DIR]         build the course site (HTML) into build/site (needs pip install -e .[docs])
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def _cmd_release(args) -> int:
    from .release import release_all, stale_notebooks

    if args.check:
        from .cases import stale as stale_cases

        stale = stale_notebooks()
        if stale:
            print("Generated notebooks out of date with their sources (run `python -m course_tools release`):")
            for name in stale:
                print(f"  {name}")
        cases = stale_cases()
        if cases:
            print("Stored check cases out of date with their sources (run `python -m course_tools cases NN`):")
            for line in cases:
                print(f"  {line}")
        if stale or cases:
            return 1
        print("solutions/*.ipynb, notebooks/ and course_utils/cases/ are in sync with their sources.")
        return 0
    written = release_all()
    for path in written:
        print(f"wrote {path.parent.name}/{path.name}")
    print(f"{len(written)} notebook(s) regenerated; the others were already in sync.")
    return 0


def _cmd_check(args) -> int:
    from .execute import check_notebook, format_table

    path = Path(args.notebook)
    if not path.exists():
        print(f"No such notebook: {path}", file=sys.stderr)
        return 2
    results, errors = check_notebook(path, timeout=args.timeout)
    if not results:
        print(f"{path} has no graded test cells.")
    else:
        print(format_table(results, title=f"{path.name}"))
    if errors:
        print(f"\n{len(errors)} other cell(s) raised an error (cells that use an unfinished exercise fail too):")
        for line in errors[:20]:
            print(f"  {line[:160]}")
    if not results:
        return 1 if errors else 0
    return 0 if all(r.status == "passed" for r in results) else 1


#: What ``test`` adds to pytest's defaults (pyproject.toml, where one test file runs alone): nbval over the
#: solution notebooks (lax: only errors fail; the current environment's kernel), two xdist workers, each
#: notebook's cells on one worker (``loadscope``), and the slowest tests listed. Arguments after ``test``
#: come later and win (``-n 0``).
SUITE_OPTIONS = (
    "--nbval-lax",
    "--nbval-current-env",
    "--nbval-cell-timeout=900",
    "-n",
    "2",
    "--dist",
    "loadscope",
    "--durations=30",
)


def _cmd_test(args) -> int:
    from course_utils.config import BACKENDS, project_root

    backends = BACKENDS if args.backend == "both" else (args.backend,)
    root = project_root()
    status = 0
    for backend in backends:
        env = dict(os.environ, KERAS_BACKEND=backend, COURSE_FAST="1")
        # Tools installed next to this Python (nbgrader's alembic, jupyter) must be found by name.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        print(f"\n=== tests on the {backend} backend (fast mode) ===", flush=True)
        cmd = [sys.executable, "-m", "pytest", *SUITE_OPTIONS, *args.pytest_args]
        code = subprocess.call(cmd, cwd=root, env=env)
        status = status or code
    return status


def _cmd_bench(args) -> int:
    from .bench import check_claims, run_benchmark
    from .claims import ClaimError

    if args.check or args.update_claims:
        try:
            return check_claims(update=args.update_claims)
        except ClaimError as err:
            print(err, file=sys.stderr)
            return 2
    return run_benchmark(
        notebooks=args.notebooks,
        backends=args.backends,
        modes=args.modes,
        timeout=args.timeout,
        extra=args.extra,
        seeds=tuple(args.seeds) or (0,),
        outputs_only=args.outputs_only,
    )


def _cmd_cases(args) -> int:
    from . import cases

    stems = [s for s in cases.domain_stems() if not args.notebooks or any(s.startswith(p) for p in args.notebooks)]
    if args.notebooks and not stems:
        print(f"no domain module for {args.notebooks} in course_tools/domains/", file=sys.stderr)
        return 2
    if args.check:
        problems = cases.check(stems)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1 if problems else 0
    cases.build(stems)
    return 0


def _cmd_mutation_score(args) -> int:
    import tempfile

    from course_utils.config import project_root

    from . import mutation

    stems = sorted(p.stem for p in (project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stems = [s for s in stems if not args.notebooks or any(s.startswith(p) for p in args.notebooks)]
    scores = {}
    for stem in stems:
        print(f"{stem}:", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            found = mutation.score_notebook(
                stem, Path(tmp), only=args.exercises, timeout=args.timeout, log=lambda line: print(line, flush=True)
            )
        if found:
            scores[stem] = found
    print(mutation.table(scores))
    for items in scores.values():
        for s in items:
            for survivor in s.survivors:
                print(
                    f"  survivor {s.exercise} [{survivor['caught_by']}] line {survivor['line']}: {survivor['key']}"
                    f"{' -- ' + survivor['fresh'] if survivor['fresh'] else ''}"
                )
    if args.record and not args.exercises:
        mutation.record(scores)
    short = mutation.problems(scores)
    for line in short:
        print(f"  below target: {line}", file=sys.stderr)
    return 1 if short else 0


def _cmd_outputs(args) -> int:
    import json

    # Plain JSON, not nbformat: the pre-commit hook runs this on every commit and must start at once.
    status = 0
    for name in args.notebooks:
        try:
            nb = json.loads(Path(name).read_text(encoding="utf-8"))
            cells = [
                i
                for i, c in enumerate(nb["cells"])
                if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))
            ]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            print(f"{name} is not a readable Jupyter notebook: {err}", file=sys.stderr)
            status = 1
            continue
        if cells:
            print(
                f"{name}: cells {cells} carry outputs or execution counts; commit notebooks without them "
                "(generated ones: python -m course_tools release)"
            )
            status = 1
    return status


def _cmd_lab(args) -> int:
    from .lab import main as lab_main

    return lab_main(args)


def _cmd_grade(args) -> int:
    from .grade import main as grade_main

    return grade_main(args)


def _cmd_grade_merge(args) -> int:
    from .grade import main_merge

    return main_merge(args)


def _cmd_grade_report(args) -> int:
    from .grade import main_report

    return main_report(args)


def _cmd_export(args) -> int:
    from .export import main_export

    return main_export(args)


def _cmd_site(args) -> int:
    from .site import main as site_main

    return site_main(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) >= 2 and argv[0] == "grade" and argv[1] in ("merge", "report"):
        # `grade merge` / `grade report` are their own commands (a folder named merge: ./merge)
        argv = [f"grade-{argv[1]}", *argv[2:]]
    parser = argparse.ArgumentParser(
        prog="python -m course_tools", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate solutions/*.ipynb and notebooks/ from solutions/*.py")
    p.add_argument("--check", action="store_true", help="only check that notebooks/ is in sync")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("check", help="run a notebook and print its per-exercise table")
    p.add_argument("notebook")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("test", help="run the test suite on both Keras backends (fast mode)")
    p.add_argument("--backend", choices=["both", "tensorflow", "torch"], default="both")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    p.set_defaults(func=_cmd_test)

    p = sub.add_parser("bench", help="benchmark the solution notebooks")
    p.add_argument("--notebooks", nargs="*", default=None, help="prefixes such as 00 01 (default: all)")
    p.add_argument("--backends", nargs="*", default=["tensorflow", "torch"])
    p.add_argument("--modes", nargs="*", default=["full", "fast"], choices=["full", "fast"])
    p.add_argument("--timeout", type=int, default=1800, help="seconds per notebook")
    p.add_argument("--extra", nargs="*", default=[], help="extra benchmark scripts in benchmarks/ to run")
    p.add_argument(
        "--seeds", nargs="*", type=int, default=[0], help="full mode: run each notebook with these COURSE_SEEDs"
    )
    p.add_argument(
        "--check", action="store_true", help="run nothing: judge the committed results against the claims files"
    )
    p.add_argument(
        "--update-claims", action="store_true", help="like --check, and write the verdicts into the results files"
    )
    p.add_argument(
        "--outputs-only",
        action="store_true",
        help="only store the site's reference outputs (full mode, TensorFlow); leave the results files as they are",
    )
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("cases", help="build the stored cases of the checks (course_utils/cases/) from the solutions")
    p.add_argument("notebooks", nargs="*", help="prefixes such as 00 01 (default: every notebook with a domain)")
    p.add_argument("--check", action="store_true", help="recompute and compare with the stored cases; write nothing")
    p.set_defaults(func=_cmd_cases)

    p = sub.add_parser("mutation-score", help="the automatic mutation score of the checks, per exercise")
    p.add_argument("notebooks", nargs="*", help="prefixes such as 00 01 (default: all)")
    p.add_argument("--exercises", nargs="*", default=None, help="only these answer cells (grade_ids)")
    p.add_argument("--record", action="store_true", help="write the scores into benchmarks/results.json and .md")
    p.add_argument("--timeout", type=float, default=120, help="seconds per mutant and test cell (default 120)")
    p.set_defaults(func=_cmd_mutation_score)

    p = sub.add_parser("outputs", help="fail if a notebook carries outputs")
    p.add_argument("notebooks", nargs="+")
    p.set_defaults(func=_cmd_outputs)

    p = sub.add_parser("lab", help="start JupyterLab as a learner (default) or an instructor")
    p.add_argument("--instructor", action="store_true", help="turn nbgrader's menus and server extensions on")
    p.add_argument("--no-start", action="store_true", help="only set the mode, do not start JupyterLab")
    p.add_argument("lab_args", nargs=argparse.REMAINDER, help="arguments for jupyter lab (a notebook to open, ...)")
    p.set_defaults(func=_cmd_lab)

    # The grader's and the exports' options are defined next to their code; importing it takes seconds, so it is
    # imported only when one of those commands runs (every other command and --help start without it).
    command = argv[0] if argv else ""

    def arguments(name: str, module: str, function: str):
        if command != name:
            return lambda parser: None
        import importlib

        return getattr(importlib.import_module(f"course_tools.{module}"), function)

    p = sub.add_parser("grade", help="grade a folder of submissions")
    arguments("grade", "grade", "add_arguments")(p)
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "grade-merge",
        help="(`grade merge`) combine the gradebooks of shards",
        prog="python -m course_tools grade merge",
    )
    arguments("grade-merge", "grade", "add_merge_arguments")(p)
    p.set_defaults(func=_cmd_grade_merge)

    p = sub.add_parser(
        "grade-report", help="(`grade report`) an HTML class report", prog="python -m course_tools grade report"
    )
    arguments("grade-report", "grade", "add_report_arguments")(p)
    p.set_defaults(func=_cmd_grade_report)

    p = sub.add_parser("export", help="export an assignment for Gradescope or GitHub Classroom")
    arguments("export", "export", "add_arguments")(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("site", help="build the course site (static HTML) from the student release")
    p.add_argument("--out", default="build/site", help="output folder (default build/site)")
    p.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    p.set_defaults(func=_cmd_site)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] == "nbgrader":
            install = 'the instructor\'s extra: pip install -e ".[instructor]" -c constraints.txt (nbgrader)'
        else:
            install = "pip install -e . -c constraints.txt"
        sys.exit(
            f"course_tools needs the course's dependencies ({err.name} is missing in {sys.executable}). "
            "Use the course's environment (.venv/bin/python -m course_tools ...), or install, from the course "
            f"folder, {install}"
        )
