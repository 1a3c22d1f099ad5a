"""The course's configuration, read once from the environment.

Three settings, and no others, change how the course runs:

* ``KERAS_BACKEND``: ``tensorflow`` (default) or ``torch``.
* ``COURSE_FAST``: ``1`` for fast mode (small subsets, few epochs), for tests.
  Fast mode changes sizes only, never logic.
* ``COURSE_DATA_DIR``: where downloaded datasets are cached or pre-placed
  (default ``~/.course_cnn_data``).

``COURSE_REPORT_FILE`` is set by the benchmark runner only: metrics passed to
:func:`course_utils.report` are appended there as JSON lines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Config", "get_config", "is_fast", "by_mode", "data_dir", "project_root", "BACKENDS"]

BACKENDS = ("tensorflow", "torch")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def project_root() -> Path:
    """The course folder: the parent of ``course_utils/`` (it holds ``solutions/``, ``notebooks/``, ...)."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """The settings in force (immutable)."""

    backend: str
    fast: bool
    data_dir: Path
    report_file: Path | None
    seed: int = 0
    threads: int | None = None


def _read_environment() -> Config:
    backend = os.environ.get("KERAS_BACKEND", "").strip().lower() or "tensorflow"
    if backend not in BACKENDS:
        raise ValueError(
            f"KERAS_BACKEND must be one of {BACKENDS}, got {backend!r}. "
            "Set it before starting Jupyter, e.g. `KERAS_BACKEND=torch jupyter lab`."
        )
    # Keras reads the variable when it is first imported: make the default explicit.
    os.environ["KERAS_BACKEND"] = backend

    fast_text = os.environ.get("COURSE_FAST", "").strip().lower()
    if fast_text not in _TRUE | _FALSE:
        raise ValueError(f"COURSE_FAST must be 1 or 0, got {fast_text!r}.")

    data = os.environ.get("COURSE_DATA_DIR", "").strip()
    data_path = Path(data).expanduser() if data else Path.home() / ".course_cnn_data"

    report = os.environ.get("COURSE_REPORT_FILE", "").strip()
    numbers = {}
    for name, low in (("COURSE_SEED", 0), ("COURSE_THREADS", 1)):
        text = os.environ.get(name, "").strip()
        if text and not (text.isdigit() and int(text) >= low):
            raise ValueError(f"{name} must be a whole number >= {low}, got {text!r}.")
        numbers[name] = int(text) if text else None
    return Config(
        backend=backend,
        fast=fast_text in _TRUE,
        data_dir=data_path.resolve(),
        report_file=Path(report) if report else None,
        seed=numbers["COURSE_SEED"] or 0,
        threads=numbers["COURSE_THREADS"],
    )


_CONFIG: Config | None = None


def get_config() -> Config:
    """Return the configuration, reading the environment on the first call only."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = _read_environment()
    return _CONFIG


def is_fast() -> bool:
    """True in fast mode (``COURSE_FAST=1``)."""
    return get_config().fast


def by_mode(full, fast):
    """Return ``full`` normally and ``fast`` in fast mode.

    Use it for sizes only (epochs, subset sizes, image counts)::

        epochs = cu.by_mode(full=20, fast=2)
    """
    return fast if is_fast() else full


def data_dir() -> Path:
    """The folder where datasets are cached or pre-placed (``COURSE_DATA_DIR``)."""
    return get_config().data_dir


# What TensorFlow's C++ side prints on a CPU machine when it is imported: not for a learner's eyes.
_TENSORFLOW_NOISE = (
    "All log messages before absl::InitializeLog",
    "cudart_stub.cc",
    "Could not find cuda drivers",
    "cuda_platform.cc",
    "failed call to cuInit",
    "port.cc:",
    "oneDNN custom operations are on",
    "cpu_feature_guard.cc",
    "To enable the following instructions",
    "Unable to register cu",
    "TF-TRT Warning",
)


def quiet_tensorflow_import() -> None:
    """Import TensorFlow with its start-up log lines about CUDA and CPU features filtered out.

    TensorFlow writes them from C++ straight to file descriptor 2, before any Python setting can
    apply (``TF_CPP_MIN_LOG_LEVEL`` does not stop them), and Jupyter shows that descriptor in the
    notebook. The import runs with descriptor 2 sent to a temporary file; what is not a known
    start-up line is written to ``sys.stderr`` afterwards, so a real problem still shows. On a machine
    without an NVIDIA driver, ``TF_CPP_MIN_LOG_LEVEL`` is set to 3 (unless set already) so that the
    "failed call to cuInit" error of the first operation stays quiet too. Does nothing when
    TensorFlow is already imported or not installed.
    """
    import importlib.util
    import sys
    import tempfile

    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    if not Path("/proc/driver/nvidia").exists():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        failed = True
        try:
            import tensorflow  # noqa: F401

            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", errors="replace").splitlines()
            kept = [
                line for line in lines if line.strip() and (failed or not any(n in line for n in _TENSORFLOW_NOISE))
            ]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


def keep_triton_out() -> bool:
    """Hide ``triton`` from torch, so that TensorFlow and torch can share one process; True if hidden.

    PyPI's Linux builds of torch 2.14 and later import ``triton`` (the GPU compiler of ``torch.compile``) when
    an optimiser is created. Triton and TensorFlow 2.21 each carry their own copy of LLVM, and loading both aborts
    the process ("LLVM ERROR: inconsistency in registered CommandLine options"): a notebook that trains with
    Keras on TensorFlow and with a native PyTorch loop died at its first ``torch.optim.SGD`` (measured on Python
    3.13 with torch 2.15.0 and TensorFlow 2.21.0). The course runs on the CPU, where triton does nothing, so
    ``import triton`` is made to fail and torch carries on without it (its own fallback). Set
    ``COURSE_TRITON=1`` to keep triton (a GPU machine without TensorFlow in the same process).
    """
    import os
    import sys

    if os.environ.get("COURSE_TRITON") == "1" or "triton" in sys.modules:
        return False
    sys.modules["triton"] = None  # `import triton` now raises ImportError, which torch treats as "no triton"
    return True
