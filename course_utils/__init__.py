"""Helpers for the convolutional neural networks course.

Notebooks import the package once and use qualified names::

    import course_utils as cu
    cu.setup()
    (X_train, y_train), (X_test, y_test) = cu.data.load_mnist()
    cu.plots.image_grid(X_train[:16], y_train[:16])

The package holds tools (data, plots, widgets, checks, models, the command line),
never the answer to an exercise.
"""
from __future__ import annotations

from .config import by_mode, data_dir, get_config, is_fast

get_config()  # validate the environment and set KERAS_BACKEND before keras is imported

from . import data, grading, plots  # noqa: E402
from . import faces  # noqa: E402
from . import models  # noqa: E402
from . import boxes, scenes  # noqa: E402
from .session import report, setup  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "boxes",
    "by_mode",
    "data",
    "data_dir",
    "faces",
    "get_config",
    "grading",
    "is_fast",
    "models",
    "plots",
    "report",
    "scenes",
    "setup",
]
