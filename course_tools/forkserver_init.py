"""Imported once by the grading workers' fork server (``grade._pool_context``): it dies with the grader.

multiprocessing's fork server exits when the grader closes its end of a pipe, which a SIGKILLed grader
never does cleanly in time; the workers forked from it die with *it* (``grade._die_with_parent``). So
the fork server asks the kernel for SIGKILL when its parent dies: a killed grader leaves no process.
"""

from __future__ import annotations

from .grade import _die_with_parent

_die_with_parent()
