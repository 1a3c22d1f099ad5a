"""course_tools.sandbox: the limits a grading kernel runs under (fast; no kernel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_tools import sandbox

LAUNCHER = str(Path(sandbox.__file__).resolve())


def _launch(spec: dict, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-S", LAUNCHER, json.dumps(spec), "--", sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_memory_limit_turns_a_bomb_into_memory_error():
    proc = _launch(
        {"memory_mb": 512, "isolate": False},
        "try:\n    x = bytes(2 * 2**30)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')",
    )
    assert proc.stdout.strip() == "MemoryError", proc.stderr


def test_file_size_limit():
    code = (
        "import signal, tempfile\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "f = tempfile.TemporaryFile()\ntry:\n    f.write(b'x' * (3 * 2**20)); f.flush(); print('wrote')\n"
        "except OSError:\n    print('too big')"
    )
    proc = _launch({"fsize_mb": 1, "isolate": False}, code)
    assert proc.stdout.strip() == "too big", proc.stderr


def test_report_and_usage(tmp_path):
    report = tmp_path / "r.json"
    proc = _launch({"memory_mb": 1024, "isolate": False, "report": str(report)}, "print('hi')")
    assert proc.stdout.strip() == "hi"
    assert json.loads(report.read_text())["memory_mb"] == 1024
    bad = subprocess.run([sys.executable, "-S", LAUNCHER, "{}"], capture_output=True, text=True)
    assert bad.returncode != 0 and "usage" in bad.stderr


def test_kill_marked_ends_marked_processes():
    token = f"cu-test-{os.getpid()}-{time.time_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=dict(os.environ, CU_T=token), start_new_session=True
    )
    time.sleep(0.3)
    assert sandbox.kill_marked(token) >= 1
    assert proc.wait(timeout=10) != 0


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="root sandbox: Linux, root")
def test_probe_reports_isolation_as_root():
    report = sandbox.probe()
    assert report["files"].startswith("private") and "none" in report["network"], report


_FILL = (
    "import json, subprocess, sys\n"
    "fill = \"open('/proc/self/oom_score_adj', 'w').write('1000'); import time; b = b'\\\\x01' * (200 * 2**20); "
    'time.sleep(1)"\n'
    "kids = [subprocess.Popen([sys.executable, '-S', '-c', fill]) for _ in range(3)]\n"
    "print(json.dumps([k.wait() for k in kids]))"
)


@pytest.mark.skipif(
    os.geteuid() != 0 or not sandbox.cgroup_dirs("probe"), reason="cgroups need root and writable controllers"
)
def test_cgroup_limits_the_whole_process_tree(tmp_path):
    """Three children fill 200 MB each: per-process limits let all through; a 400 MB cgroup does not."""
    free = _launch({"memory_mb": 400, "isolate": False}, _FILL)
    assert json.loads(free.stdout) == [0, 0, 0], free.stderr
    name = f"cu-test-{os.getpid()}-{time.time_ns()}"
    report = tmp_path / "r.json"
    try:
        held = _launch({"memory_mb": 400, "isolate": False, "cgroup": name, "report": str(report)}, _FILL)
        codes = json.loads(held.stdout)
        assert any(c != 0 for c in codes), f"600 MB of children in a 400 MB cgroup all survived: {codes}"
        assert "for the whole process tree: memory 400 MB" in json.loads(report.read_text())["cgroup"]
    finally:
        sandbox.remove_cgroup(name)
    assert not any(os.path.exists(d) for d in sandbox.cgroup_dirs(name).values())


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="root sandbox: Linux, root")
def test_sys_is_empty_in_the_root_sandbox(tmp_path):
    """The host's /sys lists every kernel's cgroup and the host's devices and paths (issue 42)."""
    import random

    os.chmod(tmp_path, 0o777)
    keep = sorted({str(tmp_path), sys.prefix, sys.base_prefix} | {p for p in sys.path if p.endswith("site-packages")})
    spec = {"isolate": True, "uid": 1_000_000 + random.randrange(10**9), "keep": keep, "writable": [str(tmp_path)]}
    spec.update(chown=[str(tmp_path)], report=str(tmp_path / "r.json"))
    proc = _launch(spec, "import os; print(sorted(os.listdir('/sys')))")
    assert json.loads(tmp_path.joinpath("r.json").read_text())["files"].startswith("private"), proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout[:300] + proc.stderr[-1000:]
