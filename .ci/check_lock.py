"""Does this environment match the lock? ``python .ci/check_lock.py constraints.txt`` (run by ``.ci/run``).

Every installed distribution (but the course itself and the installers pip, setuptools, wheel) must be pinned
in the lock at the version installed; a local build label such as torch's ``+cpu`` is ignored, as ``==`` ignores
it. Pins that are not installed are listed, not refused: the lock is resolved from PyPI, where torch 2.13.0 for
Linux brings its CUDA runtime (``nvidia-*``, ``triton``, ``cuda-*``), which the CPU build of the same release,
installed here, does not need. Exit status 1 when the environment differs from the lock.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

SKIP = {"course-cnn", "pip", "setuptools", "wheel"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def main(lock_path: str) -> int:
    lock = {}
    for line in Path(lock_path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            lock[_name(name)] = version.strip()
    installed = {_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    problems = []
    for name, version in sorted(installed.items()):
        if name in SKIP:
            continue
        if name not in lock:
            problems.append(f"{name}=={version} is installed but not in the lock")
        elif version.split("+")[0] != lock[name]:
            problems.append(f"{name}: installed {version}, the lock pins {lock[name]}")
    absent = sorted(set(lock) - set(installed) - SKIP)
    pinned = len(set(installed) - SKIP)
    if problems:
        print(f"The environment differs from {lock_path}:", *problems, sep="\n  ", file=sys.stderr)
        print("Install with -c constraints.txt, or refresh the lock (CONTRIBUTING.md).", file=sys.stderr)
        return 1
    print(f"The environment matches {lock_path}: {pinned} distributions at the locked versions", end="")
    print(f"; pinned but not installed: {', '.join(absent)}" if absent else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt"))
