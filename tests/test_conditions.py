"""The benchmark's record of its conditions: machine, matmul peak, CPU taken by others, contended flag."""

from __future__ import annotations

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
