"""JupyterLab for a learner or for an instructor: ``python -m course_tools lab [--instructor] [ARGS...]``.

nbgrader is a dependency of the course (the release and the grader use its preprocessors), and
installing it turns on its JupyterLab menus (Formgrader, Assignments, Courses, Validate) and server
extensions, which log "No nbgrader_config.py file found" at every start. A self-paced learner needs
none of that, nor JupyterLab's prompt about news from the internet. :func:`set_mode` writes two
small JSON files into the environment's Jupyter config (``{sys.prefix}/etc/jupyter``) that turn
them off, or removes them (``instructor=True``) so that nbgrader's own defaults apply again. The
setting stays in the environment: a later plain ``jupyter lab`` starts the same way.

A learner's JupyterLab also opens on the student release, ``notebooks/`` (:func:`learner_arguments`), so
that ``solutions/`` (every answer and hidden test) is not in its file browser; ``--instructor`` opens on
the folder it is started from, as ``jupyter lab`` does.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = [
    "NBGRADER_LAB_EXTENSION",
    "NBGRADER_SERVER_EXTENSIONS",
    "NEWS_PLUGIN",
    "config_files",
    "learner_arguments",
    "set_mode",
    "main",
]

#: The student release, next to this package (not ``course_utils.config.project_root``: importing
#: ``course_utils`` imports TensorFlow, and starting JupyterLab needs neither).
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_ROOT_OPTIONS = ("--ServerApp.root_dir", "--root-dir", "--ServerApp.notebook_dir", "--notebook-dir")

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
                "own environment (python3 -m venv .venv && .venv/bin/pip install -e . -c constraints.txt)"
            ) from None
    return changed


def learner_arguments(lab_args: list[str], notebooks: str | Path = NOTEBOOKS) -> list[str]:
    """``jupyter lab`` arguments that open a learner's JupyterLab on ``notebooks`` (the student release).

    A notebook named on the command line (``notebooks/00_start_here.ipynb``, relative to the current
    folder) is passed as an absolute path, so it opens inside that root. Nothing is changed when the
    arguments choose a root themselves (a ``--ServerApp.root_dir``-like option, or a folder), when a named
    file lies outside ``notebooks`` (JupyterLab then opens on that file's folder), or when there is no
    ``notebooks`` folder (the course was installed without its repository).
    """
    notebooks = Path(notebooks).resolve()
    if not notebooks.is_dir() or any(a.split("=")[0] in _ROOT_OPTIONS for a in lab_args):
        return list(lab_args)
    out = []
    for arg in lab_args:
        path = Path(arg)
        if not arg.startswith("-") and path.exists():
            path = path.resolve()
            if path.is_dir() or not path.is_relative_to(notebooks):
                return list(lab_args)
            arg = str(path)
        out.append(arg)
    return [f"--ServerApp.root_dir={notebooks}", *out]


def main(args) -> int:
    """Entry point of ``python -m course_tools lab``: set the mode, then start JupyterLab (unless --no-start)."""
    try:
        set_mode(instructor=args.instructor)
    except PermissionError as err:
        print(err, file=sys.stderr)
        return 2
    lab_args = args.lab_args if args.instructor else learner_arguments(args.lab_args)
    if args.instructor:
        mode = "instructor (nbgrader's menus on)"
    elif lab_args != args.lab_args:
        mode = f"learner (nbgrader's menus off; the file browser shows {NOTEBOOKS})"
    else:
        mode = "learner (nbgrader's menus off)"
    print(f"JupyterLab mode: {mode}.", flush=True)
    if args.no_start:
        return 0
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter) if jupyter.exists() else "jupyter", "lab", *lab_args]
    os.execvp(command[0], command)
    return 0  # not reached
