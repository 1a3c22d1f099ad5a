"""Modes and configuration are read once, validated, and never parsed by notebooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_tools.release import solution_paths
from course_utils import config
from course_utils.config import project_root


def _read(monkeypatch, **env):
    for key in (
        "KERAS_BACKEND",
        "COURSE_FAST",
        "COURSE_DATA_DIR",
        "COURSE_REPORT_FILE",
        "COURSE_SEED",
        "COURSE_THREADS",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return config._read_environment()


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = _read(monkeypatch)
    assert cfg.backend == "tensorflow" and cfg.fast is False and cfg.report_file is None
    assert cfg.data_dir == (tmp_path / ".course_cnn_data").resolve()
    assert project_root() not in cfg.data_dir.parents, "the default data folder must not be inside the repo"


def test_values(monkeypatch, tmp_path):
    cfg = _read(monkeypatch, KERAS_BACKEND="torch", COURSE_FAST="1", COURSE_DATA_DIR=str(tmp_path))
    assert (cfg.backend, cfg.fast, cfg.data_dir) == ("torch", True, tmp_path.resolve())


def test_bad_values_give_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="KERAS_BACKEND must be one of"):
        _read(monkeypatch, KERAS_BACKEND="jax")
    with pytest.raises(ValueError, match="COURSE_FAST must be 1 or 0"):
        _read(monkeypatch, COURSE_FAST="maybe")


def test_by_mode_follows_the_mode():
    expected = "small" if config.is_fast() else "big"
    assert config.by_mode(full="big", fast="small") == expected


def test_notebooks_do_not_read_environment_variables():
    from course_tools.notebooks import read_notebook

    for path in solution_paths():
        text = "\n".join(c.source for c in read_notebook(path).cells if c.cell_type == "code")
        for needle in ("os.environ", "getenv", "COURSE_FAST", "COURSE_DATA_DIR"):
            assert needle not in text, f"{path.name} reads {needle}: use course_utils instead"


def test_report_writes_json_lines(tmp_path):
    report = tmp_path / "r.jsonl"
    code = "import course_utils as cu; cu.report('acc', 0.5); cu.report('n', 3, unit='s')"
    env = {"COURSE_REPORT_FILE": str(report), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "[report] acc = 0.5" in out.stdout
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["name"], r["value"]) for r in rows] == [("acc", 0.5), ("n", 3)]


def test_report_is_silent_in_a_learners_run():
    code = "import course_utils as cu; cu.report('acc', 0.5)"
    env = {"PATH": "/usr/bin:/bin", "KERAS_BACKEND": "torch"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "[report]" not in out.stdout, "a learner sees [report] lines: print them only when the benchmark runs"
    bad = subprocess.run(
        [sys.executable, "-c", "import course_utils as cu; cu.report('not a name', 1)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "snake_case" in bad.stderr


def test_tensorflow_start_up_lines_are_not_shown_in_a_notebook():
    """TensorFlow's C++ start-up lines (CUDA drivers, oneDNN, CPU features) stay out of the notebook.

    Run in a real kernel (which forwards what C++ writes to file descriptor 2 into the notebook), with
    keras imported in the set-up cell's order: course_utils first.
    """
    import os

    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    shown = []
    try:
        code = (
            "import course_utils as cu\nimport keras, numpy as np\ncu.setup(verbose=False)\n"
            "keras.layers.Conv2D(2, 3)(np.zeros((1, 8, 8, 1), 'float32'))\n"
            "import sys; print('real message', file=sys.stderr)\n"
        )
        reply = client.execute_interactive(
            code, timeout=300, output_hook=lambda msg: shown.append(msg["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    text = "".join(shown)
    for noise in ("cuda drivers", "cuInit", "oneDNN", "absl::InitializeLog", "cpu_feature_guard"):
        assert noise not in text, f"TensorFlow start-up noise {noise!r} reaches the learner:\n{text}"
    assert "real message" in text


def test_the_command_line_does_not_import_tensorflow():
    code = "import course_utils, course_utils.config, sys; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    env = {"PATH": "/usr/bin:/bin", "KERAS_BACKEND": "tensorflow", "HOME": str(Path.home())}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], "importing course_utils outside a notebook imports a framework"


def test_seed_and_threads(monkeypatch):
    cfg = _read(monkeypatch, COURSE_SEED="2", COURSE_THREADS="3")
    assert (cfg.seed, cfg.threads) == (2, 3)
    cfg = _read(monkeypatch)
    assert (cfg.seed, cfg.threads) == (0, None)
    for name, bad in (("COURSE_SEED", "-1"), ("COURSE_THREADS", "0"), ("COURSE_THREADS", "two")):
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            _read(monkeypatch, **{name: bad})


def test_pytorch_gets_half_the_cores_unless_told(monkeypatch):
    import os

    from course_utils.session import threads_for

    assert threads_for("tensorflow") is None
    assert threads_for("torch", 3) == 3
    assert threads_for("torch") == (config.get_config().threads or max(1, (os.cpu_count() or 2) // 2))


def test_triton_is_hidden_so_tensorflow_and_torch_share_a_process():
    """PyPI's torch >= 2.14 imports triton at its first optimiser; triton's LLVM and TensorFlow's abort the
    process together (course_utils.config.keep_triton_out). After `import course_utils`, `import triton` fails
    cleanly and a torch optimiser steps with TensorFlow loaded; COURSE_TRITON=1 keeps triton."""
    probe = (
        "import sys, course_utils, tensorflow, torch\n"
        "print(sys.modules.get('triton', 'absent'))\n"
        "try:\n"
        "    import triton\n"
        "    print('triton importable')\n"
        "except ImportError:\n"
        "    print('triton hidden')\n"
        "m = torch.nn.Linear(4, 3)\n"
        "opt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "m(torch.randn(8, 4)).sum().backward()\n"
        "opt.step()\n"
        "print('stepped')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "COURSE_TRITON"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["None", "triton", "hidden", "stepped"], out.stdout
    keep = subprocess.run(
        [sys.executable, "-c", "import sys, course_utils; print(sys.modules.get('triton', 'absent'))"],
        capture_output=True,
        text=True,
        env=dict(env, COURSE_TRITON="1"),
        timeout=600,
    )
    assert keep.stdout.strip() != "None", "COURSE_TRITON=1 should leave triton importable"
