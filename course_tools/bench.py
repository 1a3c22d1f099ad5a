"""Benchmark: run solution notebooks in full and fast mode, record time, memory and metrics.

``python -m course_tools bench`` writes ``benchmarks/results.json`` (merged: entries not
re-run are kept) and ``benchmarks/results.md`` (a table). Each notebook runs in its own
child process (and kernel) with ``KERAS_BACKEND``, ``COURSE_FAST`` and
``COURSE_REPORT_FILE`` set; metrics are what the notebook passed to
:func:`course_utils.report`.
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

from .release import solution_paths

__all__ = ["run_benchmark", "run_one", "write_markdown"]


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_one(notebook: Path, *, backend: str, fast: bool, timeout: int = 1800) -> dict:
    """Run one notebook in a child process; return wall time, peak memory, metrics and errors."""
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        report_file = Path(tmp) / "report.jsonl"
        env = dict(
            os.environ,
            KERAS_BACKEND=backend,
            COURSE_FAST="1" if fast else "0",
            COURSE_REPORT_FILE=str(report_file),
            MPLBACKEND="Agg",
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
            "if crash: errors.append(crash)\n"
            "import resource\n"
            "peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the finished kernel\n"
            "print('BENCH_RESULT ' + json.dumps({'errors': errors, 'peak_kb': peak_kb}))\n"
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        out, _ = proc.communicate()  # the child waits for its kernel, so its rusage includes it
        wall = time.perf_counter() - start
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
    return {
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage / 1024, 0) if usage else None,
        "metrics": metrics,
        "errors": errors,
        "ok": not errors,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": _machine(),
    }


def _load(path: Path) -> dict:
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    return {}


def write_markdown(results: dict, path: Path) -> None:
    """Write the results as a Markdown table (one row per notebook, backend and mode)."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m course_tools bench`; measured, not estimated. Peak memory is the",
        "notebook kernel's maximum resident set size.",
        "",
        "| notebook | backend | mode | wall (s) | peak mem (MB) | ok | metrics | date |",
        "|---|---|---|---:|---:|---|---|---|",
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
                    f"| {name} | {backend} | {mode} | {r['wall_s']} | {r['peak_rss_mb']} | "
                    f"{'yes' if r['ok'] else 'NO: ' + '; '.join(r['errors'])[:80]} | {metrics} | {r['date']} |"
                )
    others = {k: v for k, v in results.items() if not k[:2].isdigit()}
    if others:
        lines += ["", "## Other measurements", ""]
        for key, value in sorted(others.items()):
            lines.append(f"- **{key}**: `{json.dumps(value)}`")
    path.write_text("\n".join(lines) + "\n")


def run_benchmark(
    *, notebooks=None, backends=("tensorflow", "torch"), modes=("full", "fast"), timeout: int = 1800, extra=()
) -> int:
    """Run the selected notebooks and merge the results into benchmarks/results.json and .md."""
    root = project_root()
    out_json = root / "benchmarks" / "results.json"
    out_json.parent.mkdir(exist_ok=True)
    paths = [p for p in solution_paths(root) if not notebooks or any(p.name.startswith(n) for n in notebooks)]
    if not paths:
        print(f"No solution notebook matches {notebooks}.", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        for backend in backends:
            for mode in modes:
                print(f"{path.stem} | {backend} | {mode} ...", end=" ", flush=True)
                result = run_one(path, backend=backend, fast=(mode == "fast"), timeout=timeout)
                print(f"{result['wall_s']} s, {'ok' if result['ok'] else 'ERRORS'} {result['metrics']}")
                if not result["ok"]:
                    status = 1
                    for err in result["errors"][:5]:
                        print(f"    {err}")
                results = _load(out_json)  # re-read: other runs may have written meanwhile
                results.setdefault(path.stem, {}).setdefault(backend, {})[mode] = result
                out_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
                write_markdown(results, out_json.with_suffix(".md"))
    for script in extra:
        print(f"benchmarks/{script} ...", flush=True)
        status = subprocess.call([sys.executable, str(root / "benchmarks" / script)], cwd=root) or status
        write_markdown(_load(out_json), out_json.with_suffix(".md"))
    return status
