"""Imported once by the grading workers' fork server (``grade._pool_context``): it dies with the grader.

multiprocessing's fork server exits when the grader closes its end of a pipe, which a SIGKILLed grader
never does cleanly in time; the workers forked from it die with *it* (``grade._die_with_parent``). So
the fork server asks the kernel for SIGKILL when its parent dies: a killed grader leaves no process.
"""

from __future__ import annotations

import os
import signal
import sys


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the grader died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


_die_with_parent()
