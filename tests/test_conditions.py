"""The benchmark's record of its conditions: machine, matmul peak, CPU taken by others, contended flag."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_tools import bench, conditions

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {seconds}: pass\n"
linux_only = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs /proc/stat")


def test_machine_info_names_the_machine():
    info = conditions.machine_info()
    assert info["cores"] == os.cpu_count()
    assert set(info) == {"cores", "memory_gb", "cpu", "blas", "python", "system"}
    assert "kernel" in info["blas"] or info["blas"] == "unknown"


def test_matmul_peak_is_a_positive_rate():
    peak = conditions.matmul_peak_gflops(n=128, seconds=0.05)
    assert isinstance(peak, float) and peak > 0


@linux_only
def test_waited_children_are_the_runs_own_and_strangers_are_other(monkeypatch):
    monkeypatch.setattr(conditions, "CONTENDED_MIN_CPU_S", 0.5)
    meter = conditions.RunMeter()
    start = time.perf_counter()
    other = subprocess.Popen([sys.executable, "-c", BURN.format(seconds=1.5)])
    while other.poll() is None:  # poll reaps it: a child the run waited for is the run's own time
        time.sleep(0.05)
    record = meter.finish(time.perf_counter() - start)
    assert record["cpu_s"] >= 1.2
    # A process nobody waits for during the run (here: still alive at its end) is someone else's.
    meter = conditions.RunMeter()
    start = time.perf_counter()
    stranger = subprocess.Popen([sys.executable, "-c", BURN.format(seconds=1.5) + "import time; time.sleep(30)"])
    time.sleep(2.5)
    record = meter.finish(time.perf_counter() - start)
    stranger.kill()
    stranger.wait()
    assert record["other_cpu_s"] >= 1.2, record
    assert record["other_cores"] == pytest.approx(record["other_cpu_s"] / (time.perf_counter() - start), rel=0.5)
    assert record["contended"] is True


@linux_only
def test_a_quiet_short_run_is_not_flagged():
    meter = conditions.RunMeter()
    record = meter.finish(1.0)
    # Another test may burn CPU beside this one under xdist, but not 5 CPU seconds in no time.
    assert record["contended"] is False
    assert record["other_cpu_s"] is not None and record["load_before"] >= 0


def test_the_table_shows_the_flag_and_old_runs(tmp_path):
    entry = {
        "wall_s": 10.0,
        "peak_rss_mb": 100,
        "ok": True,
        "errors": [],
        "metrics": {"matmul_peak_gflops": 180.0},
        "date": "2026-12-03 16:00 UTC",
    }
    contended = dict(entry, contended=True, conditions={"other_cores": 0.93})
    quiet = dict(entry, contended=False, conditions={"other_cores": 0.01})
    results = {"01_x": {"tensorflow": {"full": contended, "fast": entry}, "torch": {"full": quiet}}}
    out = tmp_path / "results.md"
    bench.write_markdown(results, out)
    rows = [line for line in out.read_text().splitlines() if line.startswith("| 01_x")]
    assert "| **contended** 0.93 |" in rows[0]
    assert "| - |" in rows[1]  # the fast entry predates the measurement
    assert "| 0.01 |" in rows[2]


def test_fraction_of_peak_is_computed_and_tabled(tmp_path):
    metrics = {"train_gflops": 9.0, "matmul_peak_gflops": 180.0}
    bench.add_fraction_of_peak(metrics)
    assert metrics["train_fraction_of_peak"] == 0.05
    no_rate = {"matmul_peak_gflops": 180.0}
    bench.add_fraction_of_peak(no_rate)
    assert "train_fraction_of_peak" not in no_rate
    entry = {"wall_s": 10.0, "peak_rss_mb": 100, "ok": True, "errors": [], "metrics": metrics, "date": "today"}
    out = tmp_path / "results.md"
    bench.write_markdown({"02_x": {"torch": {"full": entry}}}, out)
    text = out.read_text()
    assert "## Distance to the machine's limit" in text
    assert "| 02_x | torch | full | 9.00 | 180 | 5.0% |" in text


def test_levers_and_nbgrader_measurements_are_tabled_not_dumped(tmp_path):
    levers = {
        "date": "today",
        "matmul_peak_gflops": 200.0,
        "busy_cores_before": 0.0,
        "runs": {
            "lenet/tensorflow/baseline": {"epoch_s": 1.0, "train_gflops": 20.0, "fraction_of_peak": 0.1},
            "lenet/tensorflow/jit": {"epoch_s": 2.0, "train_gflops": 10.0, "fraction_of_peak": 0.05},
            "lenet/torch/jit": {"error": "  dynamo failed"},
        },
    }
    side = {
        "date": "today",
        "backend": "tensorflow",
        "notebooks": {
            "01": {
                "submissions": 30,
                "blank_submissions": 10,
                "nbgrader_wall_s": 400.0,
                "ours_wall_s": 100.0,
                "nbgrader_over_ours": 4.0,
                "ours_per_submission_worker_s": 6.67,
                "notebook_fast_run_s": 14.0,
                "ours_over_notebook_run": 0.48,
                "scores_agree": False,
            }
        },
    }
    root = tmp_path
    (root / "benchmarks").mkdir()
    bench.save_measurement("training_levers", levers, root)
    bench.save_measurement("grading_vs_nbgrader", side, root)
    text = (root / "benchmarks" / "results.md").read_text()
    assert "| lenet | tensorflow | jit | 2.000 | 10.0 | 5.0% | 0.50x |" in text
    assert "| lenet | torch | jit | - | - | - | failed: dynamo failed |" in text
    assert "| 01 | 30 (10 blank) | 400.0 | 100.0 | 4.00 | 6.67 | 14.0 | 0.48 | NO |" in text
    assert "## Other measurements" not in text  # both are tabled, neither dumped as JSON
    assert set(json.loads((root / "benchmarks" / "results.json").read_text())) == {
        "training_levers",
        "grading_vs_nbgrader",
    }
