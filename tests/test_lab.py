"""``python -m course_tools lab``: a learner's JupyterLab has nbgrader's extensions off, an instructor's on."""

from __future__ import annotations

import json
import subprocess
import sys

from course_tools.lab import NBGRADER_LAB_EXTENSION, NBGRADER_SERVER_EXTENSIONS, NEWS_PLUGIN, config_files, set_mode
from course_utils.config import project_root


def test_learner_mode_writes_the_two_files_and_instructor_mode_removes_them(tmp_path):
    written = set_mode(prefix=tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "etc/jupyter/jupyter_server_config.d/zz-course-cnn-learner.json",
        "etc/jupyter/labconfig/page_config.d/course-cnn-learner.json",
    ]
    server, lab = (json.loads(p.read_text()) for p in written)
    assert server["ServerApp"]["jpserver_extensions"] == dict.fromkeys(NBGRADER_SERVER_EXTENSIONS, False)
    assert lab == {"disabledExtensions": {NBGRADER_LAB_EXTENSION: True, NEWS_PLUGIN: True}}
    assert set_mode(prefix=tmp_path) == [], "learner mode twice changes nothing"
    assert "nbgrader.json" < written[0].name, "read after nbgrader's own file, so it wins"
    assert sorted(set_mode(instructor=True, prefix=tmp_path)) == sorted(written)
    assert not any(p.exists() for p in config_files(tmp_path))


def test_this_environment_lists_nbgrader_disabled_after_learner_mode():
    out = subprocess.run(
        [sys.executable, "-m", "course_tools", "lab", "--no-start"], capture_output=True, text=True, cwd=project_root()
    )
    assert out.returncode == 0 and "learner" in out.stdout, out.stdout + out.stderr
    listing = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    line = next(line for line in (listing.stdout + listing.stderr).splitlines() if NBGRADER_LAB_EXTENSION in line)
    assert "disabled" in line, line
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True, text=True
    )
    text = listing.stdout + listing.stderr
    for name in NBGRADER_SERVER_EXTENSIONS:
        line = next(line for line in text.splitlines() if name in line and "abled" in line)
        assert "disabled" in line, line
