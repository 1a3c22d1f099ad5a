"""JupyterLab for a learner or for an instructor: ``python -m course_tools lab [--instructor] [ARGS...]``.

nbgrader is a dependency of the course (the release and the grader use its preprocessors), and
installing it turns on its JupyterLab menus (Formgrader, Assignments, Courses, Validate) and server
extensions, which log "No nbgrader_config.py file found" at every start. A self-paced learner needs
none of that, nor JupyterLab's prompt about news from the internet. :func:`set_mode` writes two
small JSON files into the environment's Jupyter config (``{sys.prefix}/etc/jupyter``) that turn
them off, or removes them (``instructor=True``) so that nbgrader's own defaults apply again. The
setting stays in the environment: a later plain ``jupyter lab`` starts the same way.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["NBGRADER_LAB_EXTENSION", "NBGRADER_SERVER_EXTENSIONS", "NEWS_PLUGIN", "config_files", "set_mode", "main"]

NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"
#: JupyterLab's "Would you like to get notified about official Jupyter news?" prompt: the course works
#: offline, and a learner has nothing to decide there.
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
NBGRADER_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)


def config_files(prefix: str | Path | None = None) -> dict[Path, dict]:
    """The learner's config files and their content, under ``prefix`` (default: this Python's environment).

    The server file's name sorts after nbgrader's own ``nbgrader.json`` in ``jupyter_server_config.d``,
    so it is read later and wins.
    """
    etc = Path(prefix or sys.prefix) / "etc" / "jupyter"
    server = {"ServerApp": {"jpserver_extensions": dict.fromkeys(NBGRADER_SERVER_EXTENSIONS, False)}}
    lab = {"disabledExtensions": {NBGRADER_LAB_EXTENSION: True, NEWS_PLUGIN: True}}
    return {
        etc / "jupyter_server_config.d" / "zz-course-cnn-learner.json": server,
        etc / "labconfig" / "page_config.d" / "course-cnn-learner.json": lab,
    }


def set_mode(*, instructor: bool = False, prefix: str | Path | None = None) -> list[Path]:
    """Write (learner) or remove (instructor) the config files; returns the paths changed.

    Raises ``PermissionError`` with a sentence naming the folder if the environment is read-only.
    """
    changed = []
    for path, content in config_files(prefix).items():
        text = json.dumps(content, indent=2) + "\n"
        try:
            if instructor:
                if path.exists():
                    path.unlink()
                    changed.append(path)
            elif not path.exists() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                changed.append(path)
        except PermissionError:
            raise PermissionError(
                f"cannot change {path.parent}: this Python environment is read-only for you. Use the course's "
                "own environment (python3.11 -m venv .venv && .venv/bin/pip install -e .)"
            ) from None
    return changed


def main(args) -> int:
    """Entry point of ``python -m course_tools lab``: set the mode, then start JupyterLab (unless --no-start)."""
    try:
        set_mode(instructor=args.instructor)
    except PermissionError as err:
        print(err, file=sys.stderr)
        return 2
    mode = "instructor (nbgrader's menus on)" if args.instructor else "learner (nbgrader's menus off)"
    print(f"JupyterLab mode: {mode}.", flush=True)
    if args.no_start:
        return 0
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter) if jupyter.exists() else "jupyter", "lab", *args.lab_args]
    os.execvp(command[0], command)
    return 0  # not reached
