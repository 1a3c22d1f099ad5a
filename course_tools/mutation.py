"""The automatic mutation score of the checks: how many mutants of each reference answer the checks catch.

For every exercise of a notebook, :func:`score_notebook` makes the mutants of the official answer
(:mod:`course_tools.mutants`), and in one kernel that runs the released notebook (as a learner does),
injects each mutant in place of the answer and runs the exercise's **visible** test cells (the student
release's); a mutant they do not catch is run against the solution's test cells (visible and hidden). A
survivor of both is then run on cases drawn afresh from the exercise's domain (when it has one): one that
still agrees with the reference there is listed as *probably equivalent*, for a person to judge (their
verdicts and reasons live in ``EQUIVALENT`` of ``tests/mutations/<stem>.py``); one that does not is a gap
of the checks.

The score of an exercise is caught / (mutants - judged equivalent), visible only and with the hidden
tests. ``python -m course_tools mutation-score [NN ...] [--record]`` prints the table and, with
``--record``, writes it to ``benchmarks/results.json`` under ``mutation_score`` with the hash of what it
depends on, so that the test suite re-runs only notebooks whose answers, checks or domains changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .mutants import mutants

__all__ = ["Kernel", "ExerciseScore", "score_notebook", "THRESHOLDS", "load_equivalent", "sources_hash"]

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = {"total_visible": 0.95, "exercise_visible": 0.90, "total_hidden": 0.99}


class Kernel:
    """A python3 kernel with one call: run code, return None or "ename: evalue" of its error."""

    def __init__(self, cwd: Path, timeout: int = 900):
        from jupyter_client.manager import start_new_kernel

        self.cwd = cwd
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=dict(os.environ))
        self.timeout = timeout
        self.label = ""

    def run(self, code: str, timeout: float | None = None) -> tuple[str | None, str]:
        """Run ``code``; returns (None, "") or ("ename: evalue", ename); ("Timeout: ...", "Timeout") past the limit."""
        t0 = time.perf_counter()
        try:
            reply = self.client.execute_interactive(code, timeout=timeout or self.timeout, output_hook=lambda msg: None)
        except TimeoutError:
            self.manager.interrupt_kernel()
            try:
                while True:
                    msg = self.client.get_shell_msg(timeout=30)
                    if msg["msg_type"] == "execute_reply":
                        break
            except Exception:  # noqa: BLE001 - the kernel did not stop: the caller restarts it
                return "Dead: the kernel did not stop after an interrupt", "Dead"
            return f"Timeout: ran past {timeout or self.timeout} s", "Timeout"
        if os.environ.get("MUTATION_DEBUG") and time.perf_counter() - t0 > 2:
            print(f"[{time.perf_counter() - t0:.1f}s] {self.label} {code[:80]!r}", file=sys.stderr, flush=True)
        content = reply["content"]
        if content["status"] == "ok":
            return None, ""
        return f"{content.get('ename', 'Error')}: {(content.get('evalue') or '').strip()}", content.get("ename", "")

    def restart(self):
        self.close()
        self.__init__(self.cwd, self.timeout)

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@dataclass
class ExerciseScore:
    exercise: str
    mutants: int = 0
    caught_visible: int = 0
    caught_hidden: int = 0  # caught only by the hidden tests
    equivalent: int = 0  # judged equivalent (EQUIVALENT in tests/mutations/<stem>.py)
    survivors: list[dict] = field(default_factory=list)  # not caught, not judged: key, fresh verdict
    seconds: float = 0.0

    @property
    def counted(self) -> int:
        return self.mutants - self.equivalent

    @property
    def visible(self) -> float:
        return self.caught_visible / self.counted if self.counted else 1.0

    @property
    def with_hidden(self) -> float:
        return (self.caught_visible + self.caught_hidden) / self.counted if self.counted else 1.0


def load_equivalent(stem: str) -> dict[str, dict[str, str]]:
    """The mutants of notebook ``stem`` judged equivalent, with the reason: ``{exercise: {mutant key: reason}}``
    (``EQUIVALENT`` in ``tests/mutations/<stem>.py``)."""
    path = ROOT / "tests" / "mutations" / f"{stem}.py"
    return runpy.run_path(str(path)).get("EQUIVALENT", {}) if path.is_file() else {}


def sources_hash(stem: str) -> str:
    """What a notebook's score depends on: its source, its domain module, the checks, the mutants' maker."""
    h = hashlib.sha256()
    for path in [
        ROOT / "solutions" / f"{stem}.py",
        ROOT / "course_tools" / "domains" / f"{stem}.py",
        ROOT / "course_utils" / "checks.py",
        ROOT / "course_tools" / "mutants.py",
        ROOT / "tests" / "mutations" / f"{stem}.py",
    ]:
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


_FRESH = """
import course_utils.checks as _c
from course_tools.cases import fresh_cases as _fresh, reference_namespace as _refs
_ref_ns = globals().get("_ref_ns_{stem}") or _refs({stem!r})
globals()["_ref_ns_{stem}"] = _ref_ns
for _seed in (1, 2):
    _c.check_cases({name}, {exercise!r}, cases_=_fresh({exercise!r}, {stem!r}, _seed, _ref_ns))
"""


def score_notebook(
    stem: str, cwd: Path, *, only: list[str] | None = None, timeout: float = 120, log=print
) -> list[ExerciseScore]:
    """Score every exercise of notebook ``stem`` (or the answer cells named in ``only``)."""
    from .cases import domain_stems, domains
    from .notebooks import cell_kind, read_notebook

    released = read_notebook(ROOT / "notebooks" / f"{stem}.ipynb")
    solution = read_notebook(ROOT / "solutions" / f"{stem}.ipynb")
    answers = {c.metadata.nbgrader.grade_id: c.source for c in solution.cells if cell_kind(c) == "solution"}
    full_tests = {c.metadata.nbgrader.grade_id: c.source for c in solution.cells if cell_kind(c) == "tests"}
    with_domain = set(domains(stem)) if stem in domain_stems() else set()
    equivalent = load_equivalent(stem)
    cells = released.cells
    kinds = [cell_kind(c) for c in cells]
    exercises = [i for i, k in enumerate(kinds) if k == "solution" and cells[i].cell_type == "code"]
    wanted = [i for i in exercises if not only or cells[i].metadata.nbgrader.grade_id in only]
    if not wanted:
        return []
    after = [j for j in exercises if j > max(wanted)]
    end_of_last = after[0] if after else len(cells)
    last_test = max(i for i, k in enumerate(kinds[:end_of_last]) if k == "tests")
    scores = []
    kernel = Kernel(cwd)
    done: list[str] = []  # what ran so far with the official answers, to replay after a restart

    def run_official(code):
        error, _ = kernel.run(code)
        done.append(code)
        return error

    def restart():
        kernel.restart()
        for code in done:
            kernel.run(code)

    try:
        for i, cell in enumerate(cells[: last_test + 1]):
            if cell.cell_type != "code":
                continue
            if i not in wanted:
                if i in exercises:
                    run_official(answers[cell.metadata.nbgrader.grade_id])
                else:
                    run_official(cell.source)
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            following = [j for j in exercises if j > i]
            end = following[0] if following else len(cells)
            tests = [j for j in range(i + 1, end) if kinds[j] == "tests"]
            between = [j for j in range(i + 1, (tests[-1] + 1) if tests else i + 1) if cells[j].cell_type == "code"]
            error = run_official(answers[grade_id])
            assert error is None, f"{stem}: the official answer of {grade_id} fails: {error}"
            for j in between:
                if kinds[j] != "tests":
                    run_official(cells[j].source)
            for j in tests:  # the official answer passes its own checks (and they define what later cells read)
                error = run_official(full_tests[cells[j].metadata.nbgrader.grade_id])
                assert error is None, (
                    f"{stem}: the official answer fails {cells[j].metadata.nbgrader.grade_id}: {error}"
                )
            score = ExerciseScore(grade_id)
            judged = equivalent.get(grade_id, {})
            started = time.perf_counter()
            for mutant in mutants(answers[grade_id]):
                score.mutants += 1
                kernel.label = f"{grade_id}: {mutant.key}"
                verdict = _judge(
                    kernel,
                    mutant.source,
                    [cells[j].source for j in tests],
                    [full_tests[cells[j].metadata.nbgrader.grade_id] for j in tests],
                    timeout,
                )
                if verdict == "dead":
                    restart()
                    verdict = "visible"
                if verdict == "visible":
                    score.caught_visible += 1
                elif verdict == "hidden":
                    score.caught_hidden += 1
                if verdict in ("hidden", "survived") and mutant.key in judged:
                    score.equivalent += 1
                    if verdict == "hidden":
                        score.caught_hidden -= 1
                elif verdict in ("hidden", "survived"):
                    fresh = ""
                    if grade_id in with_domain:
                        name = _function_name(answers[grade_id], grade_id)
                        code = _FRESH.format(stem=stem, name=name, exercise=grade_id)
                        kernel.run(mutant.source)
                        err, _ = kernel.run(code, timeout)
                        fresh = (
                            "agrees on fresh cases"
                            if err is None
                            else f"differs on fresh cases: {err.splitlines()[0][:200]}"
                        )
                    score.survivors.append(
                        {"key": mutant.key, "line": mutant.line, "caught_by": verdict, "fresh": fresh}
                    )
                error = run_official_again(kernel, answers[grade_id])
                if error == "dead":
                    restart()
            score.seconds = round(time.perf_counter() - started, 1)
            log(_line(score))
            scores.append(score)
    finally:
        kernel.close()
    return scores


def run_official_again(kernel: Kernel, answer: str):
    error, ename = kernel.run(answer)
    return "dead" if ename == "Dead" else error


def _function_name(source: str, grade_id: str) -> str:
    import ast

    names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    return grade_id if grade_id in names else (names[0] if names else grade_id)


def _judge(kernel: Kernel, mutant: str, visible: list[str], full: list[str], timeout: float) -> str:
    """ "visible", "hidden", "survived" or "dead" (the kernel had to be restarted; caught: it hung)."""
    error, ename = kernel.run(mutant, timeout)
    if ename == "Dead":
        return "dead"
    if error is not None:
        return "visible"  # the answer cell itself fails: a learner sees an error at once
    for code in visible:
        error, ename = kernel.run(code, timeout)
        if ename == "Dead":
            return "dead"
        if error is not None:
            return "visible"
    for code in full:
        error, ename = kernel.run(code, timeout)
        if ename == "Dead":
            return "dead"
        if error is not None:
            return "hidden"
    return "survived"


def _line(s: ExerciseScore) -> str:
    return (
        f"  {s.exercise:<28} mutants {s.mutants:>4}  equivalent {s.equivalent:>3}  "
        f"visible {s.caught_visible:>4}/{s.counted:<4} {100 * s.visible:5.1f}%  "
        f"+hidden {s.caught_visible + s.caught_hidden:>4}/{s.counted:<4} {100 * s.with_hidden:5.1f}%  "
        f"survivors {len(s.survivors):>3}  {s.seconds:>6.1f}s"
    )


def table(scores: dict[str, list[ExerciseScore]]) -> str:
    lines = ["automatic mutation score of the checks (caught / non-equivalent mutants):"]
    allv = allh = alln = 0
    for stem, items in scores.items():
        lines.append(f"{stem}:")
        for s in items:
            lines.append(_line(s))
            allv += s.caught_visible
            allh += s.caught_visible + s.caught_hidden
            alln += s.counted
    if alln:
        lines.append(
            f"total: visible {allv}/{alln} {100 * allv / alln:.1f}%, with hidden {allh}/{alln} {100 * allh / alln:.1f}%"
        )
    return "\n".join(lines)


def problems(scores: dict[str, list[ExerciseScore]]) -> list[str]:
    """What falls short of :data:`THRESHOLDS`."""
    found = []
    allv = allh = alln = 0
    for items in scores.values():
        for s in items:
            allv += s.caught_visible
            allh += s.caught_visible + s.caught_hidden
            alln += s.counted
            if s.visible < THRESHOLDS["exercise_visible"]:
                found.append(
                    f"{s.exercise}: visible checks catch {100 * s.visible:.1f}% "
                    f"(< {100 * THRESHOLDS['exercise_visible']:.0f}%)"
                )
    if alln and allv / alln < THRESHOLDS["total_visible"]:
        found.append(
            f"total: visible checks catch {100 * allv / alln:.1f}% (< {100 * THRESHOLDS['total_visible']:.0f}%)"
        )
    if alln and allh / alln < THRESHOLDS["total_hidden"]:
        found.append(f"total: with hidden tests {100 * allh / alln:.1f}% (< {100 * THRESHOLDS['total_hidden']:.0f}%)")
    return found


def record(scores: dict[str, list[ExerciseScore]], path: Path | None = None) -> None:
    """Write the scores into ``benchmarks/results.json`` under ``mutation_score`` (per notebook)."""
    from .bench import write_markdown

    path = path or ROOT / "benchmarks" / "results.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    stored = data.setdefault("mutation_score", {})
    for stem, items in scores.items():
        stored[stem] = {
            "sources": sources_hash(stem),
            "date": time.strftime("%Y-%m-%d"),
            "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
            "exercises": {
                s.exercise: {**asdict(s), "visible": round(s.visible, 4), "with_hidden": round(s.with_hidden, 4)}
                for s in items
            },
        }
    totals = [
        e for nb in stored.values() if isinstance(nb, dict) and "exercises" in nb for e in nb["exercises"].values()
    ]
    counted = sum(e["mutants"] - e["equivalent"] for e in totals)
    if counted:
        data["mutation_score_total"] = {
            "visible": round(sum(e["caught_visible"] for e in totals) / counted, 4),
            "with_hidden": round(sum(e["caught_visible"] + e["caught_hidden"] for e in totals) / counted, 4),
            "mutants": sum(e["mutants"] for e in totals),
            "equivalent": sum(e["equivalent"] for e in totals),
        }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    write_markdown(data, path.with_name("results.md"))


def stored_scores(path: Path | None = None) -> dict[str, list[ExerciseScore]]:
    path = path or ROOT / "benchmarks" / "results.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    out = {}
    for stem, nb in data.get("mutation_score", {}).items():
        out[stem] = []
        for e in nb["exercises"].values():
            fields = {
                k: e[k]
                for k in (
                    "exercise",
                    "mutants",
                    "caught_visible",
                    "caught_hidden",
                    "equivalent",
                    "survivors",
                    "seconds",
                )
            }
            out[stem].append(ExerciseScore(**fields))
    return out
