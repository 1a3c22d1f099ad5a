"""Helpers for the convolutional neural networks course.

Notebooks import the package once and use qualified names::

    import course_utils as cu
    cu.setup()
    (X_train, y_train), (X_test, y_test) = cu.data.load_mnist()
    cu.plots.image_grid(X_train[:16], y_train[:16])

The package holds what a learner calls from a notebook (data, plots, widgets, checks,
models), never the answer to an exercise. The instructor's and maintainer's tooling
(grader, release, benchmark, command line) lives apart, in ``course_tools``, which may
import this package but is never imported by it.
"""

from __future__ import annotations

from .config import by_mode, data_dir, get_config, is_fast, keep_triton_out

get_config()  # validate the environment and set KERAS_BACKEND before keras is imported
keep_triton_out()  # TensorFlow and PyPI's torch in one process (see its docstring)
if get_config().backend == "tensorflow" and "ipykernel" in __import__("sys").modules:
    from .config import quiet_tensorflow_import

    # In a notebook, before keras imports it: no CUDA start-up lines in a learner's notebook. Elsewhere (the
    # command line, the grader's own process) TensorFlow is imported by whatever needs it, and only then.
    quiet_tensorflow_import()

from . import (  # noqa: E402  # noqa: E402
    boxes,
    checks,
    data,
    faces,  # noqa: E402
    models,  # noqa: E402
    plots,
    scenes,
    widgets,  # noqa: E402
)
from .checks import to_numpy  # noqa: E402
from .session import report, setup  # noqa: E402

__version__ = "0.2.0"
__all__ = [
    "boxes",
    "by_mode",
    "checks",
    "data",
    "data_dir",
    "faces",
    "get_config",
    "is_fast",
    "models",
    "plots",
    "report",
    "scenes",
    "setup",
    "to_numpy",
    "widgets",
]
