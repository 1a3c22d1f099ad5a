"""The grader without CAP_SYS_ADMIN: a container with Docker's default capabilities (issue 45, defect 1).

The grader runs here under ``capsh`` with every capability dropped but Docker's default set (the
capabilities the Kubernetes recipe's pod keeps), so it can create no namespace. Before the fix the
kernels then ran as root with the course readable: a submission read the hidden tests and wrote
outside its folder. Now each kernel runs as a user id of its own, with a Landlock allow-list where
the kernel offers one, and the batch log names that isolation. Every probe submission below is
right only if its attack failed, so a probe that succeeds loses its points.

The Python of this machine may live in a folder other users cannot enter (``/root/.pyenv``); as in a
container image whose Python is under ``/usr/local``, the test makes that folder traversable in a
mount namespace of its own before dropping the capabilities.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from listener import Listener

from course_tools import isolation
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

pytestmark = [
    pytest.mark.backend("tensorflow"),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("unshare") is None,
        reason="dropping capabilities needs root on Linux and util-linux's unshare",
    ),
]

ROOT = project_root()
RELEASED = ROOT / "notebooks" / "00_start_here.ipynb"
TEST = "test_conv_output_size"
SIGNATURE = "def conv_output_size(n, f, p=0, s=1):\n"
RIGHT = "    return (n + 2 * p - f) // s + 1\n"
WRONG = SIGNATURE + "    return (n - f) // s + 1\n"
K8S = ROOT / "docs" / "recipes" / "grade_k8s_job.yaml"


def _pod_capabilities() -> set[str]:
    """The capabilities the Kubernetes recipe's grading pod keeps (Docker's default set, as in its manifest)."""
    docs = list(yaml.safe_load_all(K8S.read_text()))
    job = next(d for d in docs if d and d.get("kind") == "Job")
    ctx = job["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert ctx["capabilities"]["drop"] == ["ALL"]
    return {"cap_" + c.lower() for c in ctx["capabilities"]["add"]}


def _capsh() -> str:
    found = shutil.which("capsh")
    if found is None:  # Debian's libcap2-bin; .ci/run installs it
        pytest.skip("capsh (Debian's libcap2-bin) is not installed: the capability-dropped run cannot start")
    return found


def _bounding_set() -> list[str]:
    out = subprocess.run([_capsh(), "--print"], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("Bounding set ="))
    return [c for c in line.split("=", 1)[1].split(",") if c]


def _guarded(code: str) -> str:
    """An answer that is right only if ``code`` (an attack) raised OSError or found nothing."""
    body = "".join("    " + ln + "\n" for ln in code.strip().splitlines())
    return (
        "_blocked = True\ntry:\n"
        + body
        + "except OSError:\n    pass\n"
        + SIGNATURE
        + "    if not _blocked:\n        return -1\n"
        + RIGHT
    )


def _probes(paths: dict) -> dict[str, str]:
    """name -> answer cell; each attack sets ``_blocked = False`` when it worked."""
    read = "import os\n_p = {!r}\nos.listdir(_p) if os.path.isdir(_p) else open(_p, 'rb').read(1)\n_blocked = False"
    write = "open({!r}, 'w').write('pwned')\n_blocked = False"
    return {
        "read_solution_notebook": _guarded(read.format(str(ROOT / "solutions" / "00_start_here.ipynb"))),
        "read_solution_source": _guarded(read.format(str(ROOT / "solutions" / "00_start_here.py"))),
        "read_git": _guarded(read.format(str(ROOT / ".git"))),
        "read_backup_of_solutions": _guarded(read.format(str(paths["backup"]))),
        "read_other_submission": _guarded(read.format(str(paths["subs"] / "honest.ipynb"))),
        "read_gradebook": _guarded(read.format(str(paths["out"] / "gradebook.sqlite"))),
        "read_grader_environment": _guarded(
            "import os\nfor _p in os.listdir('/proc'):\n    if _p.isdigit() and int(_p) != os.getpid():\n"
            "        try:\n            if b'COURSE_CLASS_SECRET' in open(f'/proc/{_p}/environ', 'rb').read():\n"
            "                _blocked = False\n        except OSError:\n            pass"
        ),
        "read_judge_seed_from_command_lines": _guarded(
            "import os\nfor _p in os.listdir('/proc'):\n    if _p.isdigit():\n        try:\n"
            "            if b'--judge-seed' in open(f'/proc/{_p}/cmdline', 'rb').read():\n"
            "                _blocked = False\n        except OSError:\n            pass"
        ),
        "delete_canary": _guarded(f"import os\nos.remove({str(paths['canary'])!r})\n_blocked = False"),
        "write_outside": _guarded(write.format(str(paths["canary"].parent / "new.txt"))),
        "append_checks": _guarded(
            f"open({str(ROOT / 'course_utils' / 'checks.py')!r}, 'a').write('\\ncheck_equal = None\\n')\n"
            "_blocked = False"
        ),
        "write_tmp": _guarded(write.format(f"/tmp/{paths['marker']}")),
        "write_dev_shm": _guarded(write.format(f"/dev/shm/{paths['marker']}")),
        "write_grades": _guarded(write.format(str(paths["out"] / "grades.csv"))),
        "network": _guarded(
            f"import socket\nsocket.create_connection(('127.0.0.1', {paths['port']}), timeout=3).close()\n"
            "_blocked = False"
        ),
    }


def _notebook(answer: str):
    nb = read_notebook(RELEASED)
    for cell in nb.cells:
        if cell_kind(cell) == "solution":
            cell.source = answer
    return nb


def _snapshot(*folders: Path) -> dict:
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else [folder]:
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _untraversable_ancestor(path: str) -> Path | None:
    """The highest folder above ``path`` that other users cannot enter (``/root``), or None."""
    parts = Path(path).resolve().parts
    for i in range(2, len(parts)):
        folder = Path(*parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _run_dropped(args: list[str], drop: list[str], tmp: Path, env: dict) -> subprocess.CompletedProcess:
    """``python -m course_tools grade ARGS`` with the capabilities ``drop`` removed, in a mount namespace
    where the folder that hides this Python from other users is traversable (as in a container image)."""
    hidden = _untraversable_ancestor(sys.base_prefix)
    setup = ""
    if hidden is not None:
        child = Path(sys.base_prefix).resolve().relative_to(hidden).parts[0]
        stage = tmp / "stage"
        stage.mkdir(exist_ok=True)
        setup = (
            f"mount --bind {hidden / child} {stage} && mount -t tmpfs -o mode=755 tmpfs {hidden} && "
            f"mkdir {hidden / child} && mount --bind {stage} {hidden / child} && "
        )
    command = " ".join([sys.executable, "-m", "course_tools", "grade", *(f"'{a}'" for a in args)])
    script = f'{setup}cd {ROOT} && exec {_capsh()} --drop={",".join(drop)} -- -c "exec {command}"'
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def dropped(tmp_path_factory):
    base = tmp_path_factory.mktemp("dropped")
    os.chmod(base, 0o755)
    subs, out, outside = base / "submissions", base / "out", base / "outside"
    for folder in (subs, outside):
        folder.mkdir()
    canary = outside / "canary.txt"
    canary.write_text("do not touch")
    backup = base / "backup" / "solutions" / "00_start_here.ipynb"  # a world-readable copy elsewhere
    backup.parent.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "00_start_here.ipynb", backup)
    for folder in (outside, backup.parent, backup.parent.parent):
        os.chmod(folder, 0o755)
    os.chmod(backup, 0o644)
    listener = Listener()
    marker = f"cu-dropped-{os.getpid()}"
    paths = {"subs": subs, "out": out, "canary": canary, "backup": backup, "port": listener.port, "marker": marker}
    probes = _probes(paths)
    for name, answer in {**probes, "honest": SIGNATURE + RIGHT, "wrong": WRONG}.items():
        write_notebook(_notebook(answer), subs / f"{name}.ipynb")
    watched = (ROOT / "solutions", ROOT / "course_utils" / "checks.py", outside, subs, backup)
    before = _snapshot(*watched)
    env = dict(os.environ, COURSE_CLASS_SECRET="a class secret for this test", PYTHONPATH=str(ROOT))
    drop = sorted(set(_bounding_set()) - _pod_capabilities())
    args = [str(subs), "--assignment", "00", "--out", str(out), "--workers", "2", "--timeout-cell", "60"]
    try:
        proc = _run_dropped([*args, "--judge-seed", "4545"], drop, base, env)
    finally:
        listener.close()
    leftovers = [p for p in (Path("/tmp") / marker, Path("/dev/shm") / marker) if p.exists()]
    for p in leftovers:
        p.unlink()
    return {
        "proc": proc,
        "out": out,
        "probes": probes,
        "before": before,
        "after": _snapshot(*watched),
        "leftovers": leftovers,
        "listener": listener,
        "base": base,
        "drop": drop,
        "env": env,
    }


def _level(dropped) -> str:
    data = json.loads((dropped["out"] / "grades.json").read_text())
    return data["students"]["honest"]["sandbox"]["isolation"]


def test_the_grader_ran_without_cap_sys_admin(dropped):
    proc = dropped["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "cap_sys_admin" in dropped["drop"]
    data = json.loads((dropped["out"] / "grades.json").read_text())
    reports = [r["sandbox"] for r in data["students"].values()]
    assert all("not available" in r["namespaces"] for r in reports), reports[0]
    assert all(r["uid"] >= 1_000_000 for r in reports), "a kernel ran as root"


def test_the_log_names_the_isolation_of_every_kernel(dropped):
    level = _level(dropped)
    assert level in ("uid+landlock", "uid")
    log = dropped["proc"].stdout
    assert f"Isolation of the kernels on this machine: {level}" in log
    n = len(dropped["probes"]) + 2
    assert f"Kernel isolation: {level} {n}" in log, log[-2000:]
    assert json.loads((dropped["out"] / "grades.json").read_text())["isolation"] == {level: n}


def test_no_probe_reads_or_writes_outside_its_folder(dropped):
    data = json.loads((dropped["out"] / "grades.json").read_text())
    scores = {s: r["exercises"][TEST]["earned"] for s, r in data["students"].items()}
    assert scores["honest"] == 2 and scores["wrong"] == 0
    # Without Landlock only the files' permissions protect: a world-readable copy elsewhere, /tmp, the other
    # processes' command lines and the network (without user namespaces) stay open; INSTRUCTORS.md says so.
    open_without_landlock = {"read_backup_of_solutions", "write_tmp", "write_dev_shm", "network"}
    open_without_landlock.add("read_judge_seed_from_command_lines")
    expected_open = open_without_landlock if _level(dropped) == "uid" else set()
    leaked = sorted(name for name in dropped["probes"] if scores[name] != 2 and name not in expected_open)
    assert not leaked, f"attacks that worked without CAP_SYS_ADMIN: {leaked}"
    changed = {
        k for k in set(dropped["before"]) | set(dropped["after"]) if dropped["before"].get(k) != dropped["after"].get(k)
    }
    assert not changed, f"files changed by the kernels: {sorted(changed)}"
    if _level(dropped) != "uid":
        assert not dropped["leftovers"], dropped["leftovers"]
        assert dropped["listener"].connections == 0


def test_refuses_without_namespaces_or_a_user_switch(dropped, tmp_path):
    """Without CAP_SETUID either, no kernel can be isolated: refused, unless --unsafe."""
    drop = sorted(set(dropped["drop"]) | {"cap_setuid", "cap_setgid"})
    empty = tmp_path / "empty"
    empty.mkdir()
    os.chmod(tmp_path, 0o755)
    refused = _run_dropped(
        [str(empty), "--assignment", "00", "--out", str(tmp_path / "o1")], drop, tmp_path, dropped["env"]
    )
    assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert "Refusing to grade" in refused.stderr and "--unsafe" in refused.stderr
    assert "Traceback" not in refused.stderr
    allowed = _run_dropped(
        [str(empty), "--assignment", "00", "--out", str(tmp_path / "o2"), "--unsafe"], drop, tmp_path, dropped["env"]
    )
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert "Isolation of the kernels on this machine: none" in allowed.stdout


def test_protect_keeps_others_out_but_lets_them_reach_what_kernels_read(tmp_path):
    ag = tmp_path / "autograder"
    (ag / "source" / "course_utils").mkdir(parents=True)
    (ag / "source" / "solutions").mkdir()
    (ag / "results").mkdir()
    (ag / "source" / "solutions" / "01.ipynb").write_text("{}")
    for p in [ag, *ag.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    changed = isolation.protect([ag], [str(ag / "source" / "course_utils")])
    mode = {p.relative_to(tmp_path).as_posix(): os.stat(p).st_mode & 0o777 for p in [ag, *ag.rglob("*")]}
    assert mode["autograder"] == 0o751 and mode["autograder/source"] == 0o751  # others pass, cannot list
    assert mode["autograder/results"] == 0o750 and mode["autograder/source/solutions"] == 0o750
    assert mode["autograder/source/course_utils"] == 0o755
    assert str(ag / "results") in changed and str(ag / "source" / "course_utils") not in changed
    assert isolation.protect(["/tmp"], []) == []  # world-writable system folders are left alone


def test_require_refuses_only_where_hidden_tests_are_exposed():
    bare = isolation.Isolation("none", "NOT isolated", "NOT isolated")
    with pytest.raises(isolation.IsolationError, match="Refusing to grade.*--unsafe"):
        isolation.require(bare, hidden_tests=True, unsafe=False)
    isolation.require(bare, hidden_tests=True, unsafe=True)
    isolation.require(bare, hidden_tests=False, unsafe=False)  # visible checks only (a Classroom runner)
    isolation.require(isolation.Isolation("uid+landlock", "x", "y"), hidden_tests=True, unsafe=False)
    broken = isolation.Isolation("uid", "x", "y", python="cannot start (exit 127: permission denied)")
    with pytest.raises(isolation.IsolationError, match="readable by other users"):
        isolation.require(broken, hidden_tests=True, unsafe=False)
