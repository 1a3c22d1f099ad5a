"""Notebook session set-up (seeds, plot style, environment banner) and metric reports."""

from __future__ import annotations

import json
import numbers
import platform
import time

from .config import get_config

__all__ = ["setup", "report", "environment_summary"]


def environment_summary() -> dict:
    """Versions and settings in force, as a dict (used by the start page and the benchmark)."""
    import keras
    import numpy

    cfg = get_config()
    info = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": numpy.__version__,
        "fast_mode": cfg.fast,
        "data_dir": str(cfg.data_dir),
    }
    if info["backend"] == "torch":
        import torch

        info["torch"] = torch.__version__
    else:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    return info


def threads_for(backend: str, wanted: int | None = None) -> int | None:
    """The number of CPU threads PyTorch trains with: ``wanted``, else ``COURSE_THREADS``, else half the cores.

    PyTorch's worker threads wait for each other by spinning: on a small machine that also runs something
    else (a browser, the Jupyter server, a second kernel) two threads on two cores can train eight times
    slower than one (measured on the course's 2-core reference machine under load: 85.5 s against 4.3 s
    for the same two epochs). Half the cores leaves room for the rest. ``None`` for TensorFlow, whose
    thread pool does not degrade that way; it keeps its own default.
    """
    import os

    if backend != "torch":
        return None
    return wanted or get_config().threads or max(1, (os.cpu_count() or 2) // 2)


def setup(seed: int | None = None, *, threads: int | None = None, verbose: bool = True) -> None:
    """Seed every random generator, set the course's plot style and PyTorch's threads, print one banner line.

    This is the only function in the course that changes global settings.

    Args:
        seed: seed for Python, NumPy and the Keras backend (default: ``COURSE_SEED``, else 0; the
            benchmark runs notebooks with several seeds to measure how much a figure varies).
        threads: CPU threads for PyTorch (default: ``COURSE_THREADS``, else half the cores; see
            :func:`threads_for`). Set ``COURSE_THREADS`` before starting Jupyter to change it.
        verbose: print the environment banner.

    The settings in force are available from :func:`course_utils.get_config`.
    """
    import keras
    import matplotlib.pyplot as plt

    cfg = get_config()
    seed = cfg.seed if seed is None else int(seed)
    keras.utils.set_random_seed(seed)
    n_threads = threads_for(cfg.backend, threads)
    if n_threads is not None:
        import torch

        torch.set_num_threads(n_threads)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "figure.figsize": (6.4, 4.0),
            "axes.grid": False,
            "image.interpolation": "nearest",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    if verbose:
        info = environment_summary()
        mode = "fast (COURSE_FAST=1: small subsets, few epochs)" if cfg.fast else "full"
        threads_text = f" | threads {n_threads} (COURSE_THREADS)" if n_threads is not None else ""
        print(
            f"Keras {info['keras']} on {info['backend']} | mode: {mode} | seed {seed}{threads_text} | "
            f"data: {info['data_dir']}"
        )


def _plain(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, str):
        return value
    raise TypeError(f"report() takes a number or a string, got {type(value).__name__}")


def report(name: str, value, *, unit: str = "") -> None:
    """Record a headline metric for the benchmark (which checks the notebook's claims against it).

    Silent in a learner's run: the notebook prints what it wants the learner to read. When the
    benchmark runs (``COURSE_REPORT_FILE`` set) the value is appended to that file and a
    ``[report]`` line is printed.

    Args:
        name: short snake_case name, e.g. ``"test_accuracy"``.
        value: a number (NumPy scalars are accepted) or a short string.
        unit: optional unit shown after the value (``"s"``, ``"%"``).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"report() needs a snake_case name, got {name!r}")
    value = _plain(value)
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    cfg = get_config()
    if cfg.report_file is not None:
        print(f"[report] {name} = {shown}{(' ' + unit) if unit else ''}")
        with open(cfg.report_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "value": value, "unit": unit, "time": time.time()}) + "\n")
