"""Test settings: fast mode, the pre-fetched data folder, the backend marker.

The README's test command (``python -m course_tools test``) runs this suite once per
Keras backend. Plain ``pytest`` runs it on the backend in ``KERAS_BACKEND``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "datasets"

# Set before any kernel or course_utils import, so nbval's kernels inherit them.
os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if "COURSE_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_DATA)
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    config.addinivalue_line("markers", "backend(name): the test needs this Keras backend")
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (tests/test_browser.py)")


def pytest_collection_modifyitems(config, items):
    """Skip tests marked for the other Keras backend.

    Scheduling: ``--dist loadscope`` keeps each notebook's cells on one xdist worker
    (one scope per file) and spreads the per-notebook test classes across workers.
    """
    backend = os.environ["KERAS_BACKEND"]
    for item in items:
        wanted = item.get_closest_marker("backend")
        if wanted and wanted.args[0] != backend:
            item.add_marker(pytest.mark.skip(reason=f"needs KERAS_BACKEND={wanted.args[0]}"))


def pytest_terminal_summary(terminalreporter):
    """Print the mutation suite's counts (tests/test_mutations.py records them per notebook)."""
    tables = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "mutations"
    ]
    if tables:
        terminalreporter.section("mutation suite")
        for table in sorted(tables):
            terminalreporter.write_line(table)
