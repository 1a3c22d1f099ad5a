"""``python -m course_tools lab``: a learner's JupyterLab has nbgrader's extensions off, an instructor's on."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from course_tools.lab import (
    NBGRADER_LAB_EXTENSION,
    NBGRADER_SERVER_EXTENSIONS,
    NEWS_PLUGIN,
    config_files,
    learner_arguments,
    set_mode,
)
from course_utils.config import project_root

ROOT = project_root()


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


def test_learner_arguments_open_on_the_release_folder(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "00_start.ipynb").write_text("{}")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "00_start.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    root = f"--ServerApp.root_dir={notebooks.resolve()}"
    assert learner_arguments([], notebooks) == [root]
    assert learner_arguments(["notebooks/00_start.ipynb", "--port=9"], notebooks) == [
        root,
        str((notebooks / "00_start.ipynb").resolve()),
        "--port=9",
    ]
    assert learner_arguments(["00_start.ipynb"], notebooks) == [root, "00_start.ipynb"], "relative to the root"
    for chosen in (
        ["solutions/00_start.ipynb"],
        ["solutions"],
        ["--ServerApp.root_dir=solutions"],
        ["--notebook-dir", "."],
    ):
        assert learner_arguments(chosen, notebooks) == chosen, "a root the caller chose is kept"
    assert learner_arguments(["x.ipynb"], tmp_path / "absent") == ["x.ipynb"], "no release folder: unchanged"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read())


def test_the_learners_file_browser_lists_the_release_and_no_solutions(tmp_path):
    """The README's first command, as a server: the Contents API (what the file browser lists) shows
    notebooks/ and cannot reach ../solutions."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),  # no user settings of this machine's account
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    command = [sys.executable, "-m", "course_tools", "lab", "notebooks/00_start_here.ipynb", "--no-browser"]
    command += [f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1"]
    command += ["--ServerApp.allow_root=True", "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    api = f"http://127.0.0.1:{port}/api/contents"
    try:
        deadline = time.monotonic() + 300  # course_tools' command line imports TensorFlow first (minutes when loaded)
        while True:
            try:
                listing = _get(f"{api}?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"JupyterLab did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        names = sorted(item["name"] for item in listing["content"])
        assert names == sorted(p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith(".")), names
        assert "solutions" not in names
        for path in ("solutions", "../solutions", "..%2Fsolutions"):
            try:
                _get(f"{api}/{path}?token={token}")
            except urllib.error.HTTPError as err:
                assert err.code in (403, 404), (path, err.code)
            else:
                raise AssertionError(f"the learner's JupyterLab serves {path}")
        assert "Serving notebooks from local directory: " + str(ROOT / "notebooks") in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
