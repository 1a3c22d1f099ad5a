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


def setup(seed: int = 0, *, verbose: bool = True) -> None:
    """Seed every random generator, set the course's plot style, print one banner line.

    This is the only function in the course that changes global settings.

    Args:
        seed: seed for Python, NumPy and the Keras backend.
        verbose: print the environment banner.

    The settings in force are available from :func:`course_utils.get_config`.
    """
    import keras
    import matplotlib.pyplot as plt

    keras.utils.set_random_seed(seed)
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
    cfg = get_config()
    if verbose:
        info = environment_summary()
        mode = "fast (COURSE_FAST=1: small subsets, few epochs)" if cfg.fast else "full"
        print(f"Keras {info['keras']} on {info['backend']} | mode: {mode} | seed {seed} | data: {info['data_dir']}")


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
