"""Benchmark: run solution notebooks in full and fast mode, record time, memory and metrics.

``python -m course_tools bench`` writes ``benchmarks/results.json`` (merged: entries not
re-run are kept) and ``benchmarks/results.md`` (a table). Each notebook runs in its own
child process (and kernel) with ``KERAS_BACKEND``, ``COURSE_FAST`` and
``COURSE_REPORT_FILE`` set; metrics are what the notebook passed to
:func:`course_utils.report`.

Every full-mode entry also carries the verdicts of the notebook's claims
(``benchmarks/claims/<stem>.toml``, see :mod:`course_tools.claims`): a ``claims`` list of
``{name, statement, check, value, ok}``. ``bench --check`` judges the committed results against
the current claims files and exits 1 naming every broken or unmeasured claim.

Every entry also records the conditions of its run (:mod:`course_tools.conditions`): the machine,
the float32 matmul peak measured just before (``matmul_peak_gflops``, also among the metrics), the
load average, the CPU time other processes took meanwhile, and ``contended`` when that exceeds
a small threshold. ``bench`` warns before it starts on a busy machine; the table shows the flag.

A full-mode run on the reference backend (TensorFlow) also stores the outputs of the notebook's
demonstration cells in ``benchmarks/outputs/`` for the course site (:mod:`course_tools.outputs`);
``bench --outputs-only`` makes only those runs and leaves the results files as they are.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_utils.config import project_root

from .claims import evaluate as evaluate_claim
from .claims import load_claims
from .conditions import (
    CONTENDED_CORES,
    CONTENDED_MIN_CPU_S,
    RunMeter,
    busy_cores_now,
    machine_info,
    matmul_peak_gflops,
)
from .outputs import REFERENCE_BACKEND, store_outputs
from .release import solution_paths, source_paths

__all__ = ["check_claims", "judge_claims", "run_benchmark", "run_one", "write_markdown"]


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_one(
    notebook: Path, *, backend: str, fast: bool, timeout: int = 1800, seed: int = 0, keep: Path | None = None
) -> dict:
    """Run one notebook in a child process; return wall time, peak memory, metrics, errors and conditions.

    ``keep``: also write the executed notebook (with its outputs) to this path; the entry then has
    ``workdir``, the folder the notebook ran in (which stored outputs must not name).
    """
    peak = matmul_peak_gflops()
    notebook = Path(notebook).resolve()  # the child runs in a temporary folder
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        report_file = Path(tmp) / "report.jsonl"
        env = dict(
            os.environ,
            KERAS_BACKEND=backend,
            COURSE_FAST="1" if fast else "0",
            COURSE_REPORT_FILE=str(report_file),
            COURSE_SEED=str(seed),
            # Figures are drawn (inline, as in a learner's JupyterLab) only when the outputs are kept.
            MPLBACKEND="module://matplotlib_inline.backend_inline" if keep else "Agg",
        )
        code = (
            "import sys, json\n"
            "from course_tools.execute import execute_notebook, score_cells\n"
            "from course_tools.notebooks import read_notebook\n"
            f"nb = execute_notebook(read_notebook({str(notebook)!r}), cwd={tmp!r}, timeout={timeout})\n"
            "errors = [f'cell {i}: ' + o.get('ename', '') + ': ' + o.get('evalue', '')[:200]\n"
            "          for i, c in enumerate(nb.cells) if c.cell_type == 'code'\n"
            "          for o in c.get('outputs', []) if o.get('output_type') == 'error']\n"
            "crash = nb.metadata.get('course_execution_error')\n"
            + (f"import nbformat; nbformat.write(nb, {str(keep)!r})\n" if keep else "")
            + "if crash: errors.append(crash)\n"
            "import resource\n"
            "peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the finished kernel\n"
            "print('BENCH_RESULT ' + json.dumps({'errors': errors, 'peak_kb': peak_kb}))\n"
        )
        meter = RunMeter()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        out, _ = proc.communicate()  # the child waits for its kernel, so its rusage includes it
        wall = time.perf_counter() - start
        conditions = meter.finish(wall)
        errors, usage = ["runner failed"], None
        for line in out.splitlines():
            if line.startswith("BENCH_RESULT "):
                payload = json.loads(line[len("BENCH_RESULT ") :])
                errors, usage = payload["errors"], payload["peak_kb"]
        metrics = {}
        if report_file.exists():
            for line in report_file.read_text().splitlines():
                item = json.loads(line)
                metrics[item["name"]] = item["value"]
    metrics["matmul_peak_gflops"] = peak
    add_fraction_of_peak(metrics)
    return {
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage / 1024, 0) if usage else None,
        "metrics": metrics,
        "errors": errors,
        "ok": not errors,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": _machine(),
        "machine_info": machine_info(),
        "conditions": conditions,
        "contended": conditions["contended"],
        "seed": seed,
        **({"workdir": tmp} if keep else {}),
    }


def add_fraction_of_peak(metrics: dict) -> None:
    """Add ``train_fraction_of_peak`` (achieved training GFLOP/s over the matmul peak) where both are known.

    A notebook reports ``train_gflops`` for its heavy training (``cu.models.training_rate``); the
    benchmark measured ``matmul_peak_gflops`` on the same machine just before the run.
    """
    rate, peak = metrics.get("train_gflops"), metrics.get("matmul_peak_gflops")
    if isinstance(rate, (int, float)) and isinstance(peak, (int, float)) and peak > 0:
        metrics["train_fraction_of_peak"] = round(rate / peak, 4)


def _peak_lines(results: dict) -> list[str]:
    rows = []
    for name in sorted(k for k in results if k[:2].isdigit()):
        for backend in sorted(results[name]):
            for mode in ("full", "fast"):
                m = results[name][backend].get(mode, {}).get("metrics", {})
                if "train_fraction_of_peak" in m:
                    rows.append(
                        f"| {name} | {backend} | {mode} | {m['train_gflops']:.2f} | {m['matmul_peak_gflops']:.0f} | "
                        f"{m['train_fraction_of_peak']:.1%} |"
                    )
    if not rows:
        return []
    return [
        "",
        "## Distance to the machine's limit",
        "",
        "The heavy trainings' arithmetic rate (`cu.models.training_rate`: 2 FLOPs per multiply-add, a",
        "training example counted as three forward passes, a validation example as one) against the",
        "float32 matrix-multiply peak the benchmark measured on the same machine just before the run.",
        "",
        "| notebook | backend | mode | training GFLOP/s | matmul peak GFLOP/s | fraction of peak |",
        "|---|---|---|---:|---:|---:|",
        *rows,
    ]


def _levers_lines(levers: dict) -> list[str]:
    """The training-levers table (benchmarks/training_levers.py): one row per model, backend and lever."""
    rows = []
    for key, r in sorted(levers.get("runs", {}).items()):
        model, backend, lever = key.split("/")
        if "error" in r:
            rows.append(f"| {model} | {backend} | {lever} | - | - | - | failed: {r['error'].strip()[:60]} |")
            continue
        base = levers["runs"].get(f"{model}/{backend}/baseline", {})
        speedup = base.get("epoch_s", 0) / r["epoch_s"] if r.get("epoch_s") else None
        rows.append(
            f"| {model} | {backend} | {lever} | {r['epoch_s']:.3f} | {r['train_gflops']:.1f} | "
            f"{r['fraction_of_peak']:.1%} | {speedup:.2f}x |"
        )
    if not rows:
        return []
    return [
        "",
        "## Training levers (one epoch after a warm-up epoch)",
        "",
        f"`benchmarks/training_levers.py`, {levers.get('date', '?')}, matmul peak "
        f"{levers.get('matmul_peak_gflops', 0):.0f} GFLOP/s, other processes "
        f"{levers.get('busy_cores_before', 0):.2f} cores before the run. The epoch is the notebook's own model "
        "and data size; the speed-up is against the baseline row of the same model and backend in the same run.",
        "",
        "| model | backend | lever | epoch (s) | GFLOP/s | fraction of peak | speed-up |",
        "|---|---|---|---:|---:|---:|---:|",
        *rows,
    ]


def _vs_nbgrader_lines(side: dict) -> list[str]:
    """The grading side-by-side table (benchmarks/grading_vs_nbgrader.py)."""
    rows = [
        f"| {nb} | {r['submissions']} ({r['blank_submissions']} blank) | {r['nbgrader_wall_s']:.1f} | "
        f"{r['ours_wall_s']:.1f} | {r['nbgrader_over_ours']:.2f} | {r['ours_per_submission_worker_s']:.2f} | "
        f"{r['notebook_fast_run_s']:.1f} | {r['ours_over_notebook_run']:.2f} | "
        f"{'yes' if r['scores_agree'] else 'NO'} |"
        for nb, r in sorted(side.get("notebooks", {}).items())
    ]
    if not rows:
        return []
    return [
        "",
        "## Grading beside nbgrader",
        "",
        f"`benchmarks/grading_vs_nbgrader.py`, {side.get('date', '?')}, backend {side.get('backend', '?')}, fast "
        "mode: nbgrader's `autograde` (one submission at a time) and `course_tools grade` (2 workers) on the same "
        "submissions. Per-submission time is wall time x workers / submissions, beside the notebook's own "
        "fast-mode run.",
        "",
        "| notebook | submissions | nbgrader (s) | ours (s) | nbgrader / ours | ours per submission-worker (s) | "
        "notebook run (s) | ours / run | scores agree |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
    ]


def _load(path: Path) -> dict:
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    return {}


def judge_claims(stem: str, backend: str, entry: dict, claims: dict) -> list[dict]:
    """The verdicts of a notebook's claims on one full-mode result entry (those for this backend).

    An entry run with several seeds (``bench --seeds 0 1 2``) keeps the other seeds' runs under
    ``seeds``: a claim holds only when it holds on every one of them, and a claim that says its figure
    varies (``seeds = 3`` in its claims file) needs that many runs. ``values`` lists the value per seed.
    """
    runs = [(entry.get("metrics", {}), entry.get("wall_s"))]
    runs += [(run.get("metrics", {}), run.get("wall_s")) for _, run in sorted(entry.get("seeds", {}).items())]
    verdicts = []
    for claim in claims.get(stem, []):
        if backend not in claim.backends:
            continue
        each = [evaluate_claim(claim, metrics, wall) for metrics, wall in runs]
        verdict = dict(each[0])
        verdict["ok"] = all(v["ok"] for v in each) and len(each) >= claim.seeds
        if len(each) > 1 or claim.seeds > 1:
            verdict["values"] = [v["value"] for v in each]
        errors = [v["error"] for v in each if v.get("error")]
        if errors:
            verdict["error"] = errors[0]
        elif len(each) < claim.seeds:
            verdict["error"] = f"the figure varies: judged on {len(each)} seed(s), the claim needs {claim.seeds}"
        verdicts.append(verdict)
    return verdicts


def _claims_cell(entry: dict) -> str:
    verdicts = entry.get("claims")
    if verdicts is None:
        return ""
    broken = [v["name"] for v in verdicts if not v["ok"]]
    held = len(verdicts) - len(broken)
    return f"{held}/{len(verdicts)}" + (f" (broken: {', '.join(broken)})" if broken else "")


def _load_cell(entry: dict) -> str:
    conditions = entry.get("conditions")
    if not conditions or conditions.get("other_cores") is None:
        return "-"
    flag = "**contended** " if entry.get("contended") else ""
    return f"{flag}{conditions['other_cores']:.2f}"


def write_markdown(results: dict, path: Path) -> None:
    """Write the results as a Markdown table (one row per notebook, backend and mode)."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m course_tools bench`; measured, not estimated. Peak memory is the",
        "notebook kernel's maximum resident set size.",
        "",
        "The claims column counts the claims of `benchmarks/claims/<notebook>.toml` that hold on the",
        "full-mode run (`python -m course_tools bench --check` names the broken ones); the verdicts are",
        "listed under the table.",
        "",
        "The load column gives the cores other processes kept busy during the run (`other_cores`);",
        f"**contended** marks a run where they used more than {CONTENDED_CORES} cores on average (and",
        f"{CONTENDED_MIN_CPU_S:g} CPU seconds in all): its times say more about the machine's load than about",
        "the notebook. `-` means the run predates the measurement.",
        "",
        "| notebook | backend | mode | wall (s) | peak mem (MB) | load | ok | claims | metrics | date |",
        "|---|---|---|---:|---:|---|---|---|---|---|",
    ]
    for name in sorted(k for k in results if k[:2].isdigit()):
        for backend in sorted(results[name]):
            for mode in ("full", "fast"):
                r = results[name][backend].get(mode)
                if not r:
                    continue
                metrics = ", ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["metrics"].items()
                )
                lines.append(
                    f"| {name} | {backend} | {mode} | {r['wall_s']} | {r['peak_rss_mb']} | {_load_cell(r)} | "
                    f"{'yes' if r['ok'] else 'NO: ' + '; '.join(r['errors'])[:80]} | {_claims_cell(r)} | "
                    f"{metrics} | {r['date']} |"
                )
    verdict_lines = []
    for name in sorted(k for k in results if k[:2].isdigit()):
        for backend in sorted(results[name]):
            for v in results[name][backend].get("full", {}).get("claims", []):
                value = f"{v['value']:.4g}" if isinstance(v["value"], float) else v["value"]
                verdict_lines.append(
                    f"| {name} | {backend} | {'holds' if v['ok'] else '**BROKEN**'} | {v['name']} | "
                    f"{v['statement']} | `{v['check']}` | {value} |"
                )
    if verdict_lines:
        lines += [
            "",
            "## Claims (full mode)",
            "",
            "| notebook | backend | verdict | claim | statement | check | value |",
            "|---|---|---|---|---|---|---:|",
            *verdict_lines,
        ]
    lines += _peak_lines(results)
    lines += _levers_lines(results.get("training_levers", {}))
    lines += _vs_nbgrader_lines(results.get("grading_vs_nbgrader", {}))
    lines += _mutation_lines(results.get("mutation_score", {}), results.get("mutation_score_total"))
    tabled = {"training_levers", "grading_vs_nbgrader", "mutation_score", "mutation_score_total"}
    others = {k: v for k, v in results.items() if not k[:2].isdigit() and k not in tabled}
    if others:
        lines += ["", "## Other measurements", ""]
        for key, value in sorted(others.items()):
            lines.append(f"- **{key}**: `{json.dumps(value)}`")
    path.write_text("\n".join(lines) + "\n")


def _mutation_lines(scores: dict, total: dict | None) -> list[str]:
    """The automatic mutation score of the checks (``python -m course_tools mutation-score --record``)."""
    if not scores:
        return []
    lines = [
        "",
        "## Mutation score of the checks",
        "",
        "Automatic mutants of each reference answer (see `course_tools/mutants.py`), caught by the visible checks and "
        "by visible + hidden tests, over the mutants not judged equivalent (`EQUIVALENT`, `tests/mutations/NN_*.py`).",
        "",
        "| notebook | exercise | mutants | equivalent | visible | + hidden | survivors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for stem in sorted(scores):
        for name, e in scores[stem]["exercises"].items():
            lines.append(
                f"| {stem[:2]} | {name} | {e['mutants']} | {e['equivalent']} | {100 * e['visible']:.1f}% "
                f"| {100 * e['with_hidden']:.1f}% | {len(e['survivors'])} |"
            )
    if total:
        lines.append(
            f"| all | | {total['mutants']} | {total['equivalent']} | {100 * total['visible']:.1f}% "
            f"| {100 * total['with_hidden']:.1f}% | |"
        )
    return lines


def save_measurement(key: str, result: dict, root: Path | None = None) -> None:
    """Set ``key`` of ``benchmarks/results.json`` (the other keys are kept) and rewrite ``results.md``.

    For the scripts in ``benchmarks/`` that measure something other than a notebook run.
    """
    path = (root or project_root()) / "benchmarks" / "results.json"
    data = _load(path)
    data[key] = result
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    write_markdown(data, path.with_name("results.md"))


def _store(path: Path, executed: Path, result: dict, root: Path) -> int:
    """Store the reference outputs of an executed full-mode run (not when it failed); 1 on failure."""
    import nbformat

    workdir = result.pop("workdir", None)
    if not result["ok"] or not executed.exists():
        print(f"    outputs: not stored (the run {'failed' if not result['ok'] else 'wrote no notebook'})")
        return 1
    meta = {
        "backend": REFERENCE_BACKEND,
        "mode": "full",
        "date": result["date"],
        "machine": result["machine"],
        "wall_s": result["wall_s"],
    }
    summary = store_outputs(nbformat.read(executed, as_version=4), path.stem, root=root, meta=meta, workdir=workdir)
    print(
        f"    outputs: {summary['cells']} demonstration cells, {summary['images']} figures, "
        f"{summary['image_bytes'] / 1e6:.2f} MB (largest {summary['largest'] / 1e3:.0f} kB) -> "
        f"benchmarks/outputs/{path.stem}.json"
    )
    return 0


def run_benchmark(
    *,
    notebooks=None,
    backends=("tensorflow", "torch"),
    modes=("full", "fast"),
    timeout: int = 1800,
    extra=(),
    seeds=(0,),
    outputs_only: bool = False,
) -> int:
    """Run the selected notebooks and merge the results into benchmarks/results.json and .md.

    Full-mode runs on the reference backend also store the demonstration cells' outputs
    (:func:`course_tools.outputs.store_outputs`). ``outputs_only``: run only those (full mode, reference
    backend) and leave the results files untouched.
    """
    root = project_root()
    out_json = root / "benchmarks" / "results.json"
    out_json.parent.mkdir(exist_ok=True)
    paths = [p for p in solution_paths(root) if not notebooks or any(p.name.startswith(n) for n in notebooks)]
    if not paths:
        print(f"No solution notebook matches {notebooks}.", file=sys.stderr)
        return 2
    busy = busy_cores_now()
    if busy is not None and busy > CONTENDED_CORES:
        print(
            f"Warning: other processes keep {busy:.2f} of {os.cpu_count()} cores busy right now; the timings "
            f"will be flagged contended if that goes on. Stop them (or wait) for figures that mean something.",
            file=sys.stderr,
        )
    if outputs_only:
        backends, modes, seeds = [REFERENCE_BACKEND], ["full"], (0,)  # the notebooks' own seed
    status = 0
    for path in paths:
        for backend in backends:
            for mode in modes:
                print(f"{path.stem} | {backend} | {mode} ...", end=" ", flush=True)
                store = mode == "full" and backend == REFERENCE_BACKEND and seeds[0] == 0
                with tempfile.TemporaryDirectory(prefix="course-outputs-") as keep_dir:
                    keep = Path(keep_dir) / path.name if store else None
                    result = run_one(
                        path, backend=backend, fast=(mode == "fast"), timeout=timeout, seed=seeds[0], keep=keep
                    )
                    if store:
                        status = _store(path, keep, result, root) or status
                if outputs_only:
                    continue
                other = result["conditions"]["other_cores"]
                flag = f" CONTENDED (other cores {other:.2f})" if result["contended"] else ""
                print(f"{result['wall_s']} s{flag}, {'ok' if result['ok'] else 'ERRORS'} {result['metrics']}")
                if mode == "full" and len(seeds) > 1:
                    result["seeds"] = {}
                    for seed in seeds[1:]:
                        print(f"    seed {seed} ...", end=" ", flush=True)
                        run = run_one(path, backend=backend, fast=False, timeout=timeout, seed=seed)
                        result["seeds"][str(seed)] = {
                            k: run[k] for k in ("wall_s", "peak_rss_mb", "metrics", "errors", "ok", "contended")
                        }
                        print(f"{run['wall_s']} s, {'ok' if run['ok'] else 'ERRORS'} {run['metrics']}")
                        result["ok"] = result["ok"] and run["ok"]
                if not result["ok"]:
                    status = 1
                    for err in result["errors"][:5]:
                        print(f"    {err}")
                if mode == "full":
                    result["claims"] = judge_claims(path.stem, backend, result, load_claims(root))
                    broken = [v["name"] for v in result["claims"] if not v["ok"]]
                    print(f"    claims: {_claims_cell(result)}")
                    status = 1 if broken else status
                results = _load(out_json)  # re-read: other runs may have written meanwhile
                results.setdefault(path.stem, {}).setdefault(backend, {})[mode] = result
                out_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
                write_markdown(results, out_json.with_suffix(".md"))
    for script in () if outputs_only else extra:
        print(f"benchmarks/{script} ...", flush=True)
        status = subprocess.call([sys.executable, str(root / "benchmarks" / script)], cwd=root) or status
        write_markdown(_load(out_json), out_json.with_suffix(".md"))
    return status


def check_claims(*, root: Path | None = None, update: bool = False, out=sys.stdout) -> int:
    """Judge the committed full-mode results against the current claims files.

    Returns 0 when every claim of every notebook holds on every backend it names; 1 when one is
    broken, names a metric the run did not record, or has no full-mode result to be judged on. With
    ``update``, the verdicts are written back into ``results.json`` and ``results.md``.
    """
    root = root or project_root()
    out_json = root / "benchmarks" / "results.json"
    results, claims = _load(out_json), load_claims(root)
    problems, held = [], 0
    stems = [p.stem for p in source_paths(root)]
    for stem in stems:
        if stem not in claims:
            problems.append(f"{stem}: no claims file benchmarks/claims/{stem}.toml")
    for stem in sorted(claims):
        if stem not in stems:
            problems.append(f"benchmarks/claims/{stem}.toml: no notebook solutions/{stem}.py")
            continue
        for backend in sorted({b for c in claims[stem] for b in c.backends}):
            entry = results.get(stem, {}).get(backend, {}).get("full")
            if entry is None:
                problems.append(
                    f"{stem} | {backend}: no full-mode result (run: python -m course_tools bench "
                    f"--notebooks {stem[:2]} --backends {backend} --modes full)"
                )
                continue
            verdicts = judge_claims(stem, backend, entry, claims)
            if update:
                entry["claims"] = verdicts
            for v in verdicts:
                if v["ok"]:
                    held += 1
                    continue
                why = v.get("error") or f"value {v['value']!r}"
                problems.append(
                    f"{stem} | {backend} | {v['name']}: {v['statement']} -- `{v['check']}` fails ({why}; "
                    f"measured {entry.get('date', '?')})"
                )
    if update:
        out_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        write_markdown(results, out_json.with_suffix(".md"))
    for line in problems:
        print(f"BROKEN  {line}", file=out)
    print(f"{held} claim verdicts hold, {len(problems)} problem(s).", file=out)
    return 1 if problems else 0
