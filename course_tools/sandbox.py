"""Process limits for a grading kernel: memory, file size, network, file system, user id.

This file is run as a *script* (``python course_tools/sandbox.py SPEC_JSON -- KERNEL_ARGV``)
by the grader's kernel manager, so that it imports only the standard library. It sets the
limits in its own process and then ``exec``s the kernel, which inherits them:

* ``RLIMIT_AS`` (memory), ``RLIMIT_FSIZE`` (largest file written), ``RLIMIT_CORE`` = 0,
  ``RLIMIT_NPROC`` (processes per sandbox user, when running as root).
* When started as root (Linux): a private mount and network namespace. The network
  namespace has no interface but a down loopback: no network at all (the kernel talks to
  the grader through Unix sockets in its own folder). In the mount namespace, an empty
  tmpfs covers every ``hide`` path (solutions/, .git/, the submissions and the grading
  output, the grader's home, /tmp, /var/tmp, /dev/shm); the ``keep`` paths (the kernel's own
  folder, the Python installation, course_utils, the data folder) are bound back read-only,
  except the kernel's folder. Then the process drops to a fresh, unprivileged user id
  (one per submission) with ``PR_SET_NO_NEW_PRIVS``, so it can neither write the course
  files nor signal another student's kernel, and the grader can kill everything that user
  started.
* Not root: an unprivileged user + network namespace where the kernel allows it
  (``unshare -rn``); otherwise no network isolation (reported in the summary).

What was achieved is written as JSON to ``SPEC["report"]`` before the kernel starts.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import sys
import warnings  # noqa: F401 - os.execvpe imports it, and after pivot_root the stdlib may be gone

__all__ = ["apply", "enter", "probe", "kill_user", "kill_marked", "cgroup_dirs", "join_cgroup", "remove_cgroup"]

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_NOEXEC = 8
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
_NEVER_HIDE = {"/", "/proc", "/dev", "/sys", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/run"}


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _isolate_as_root(spec: dict, report: dict) -> None:
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID), "unshare")
    report["network"] = "none (private network namespace)"
    report["ipc"] = "private (System V IPC and POSIX message queues of its own)"
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep = [p for p in spec.get("keep", []) if os.path.exists(p)]
    writable = set(spec.get("writable", []))
    if spec.get("allow_list", True):
        try:
            _pivot_into_allow_list(libc, keep, writable, report)
            uid = int(spec["uid"])
            _enter_pid_namespace(libc, uid, report)
            _become_sandbox_user(libc, spec, uid, report)
            return
        except OSError as err:  # the deny-list below still hides what matters
            report["allow_list"] = f"failed ({err}); hiding a list of folders instead"
    fds = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in keep if os.path.isdir(p)}
    hidden = []
    for path in spec.get("hide", []):
        if not os.path.isdir(path) or os.path.islink(path) or path in _NEVER_HIDE:
            continue
        mode = "1777" if path in ("/tmp", "/var/tmp", "/dev/shm") else "755"
        _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size=256m,mode={mode}")
        hidden.append(path)
    for path, fd in fds.items():
        if not any(path == h or path.startswith(h.rstrip("/") + "/") for h in hidden):
            os.close(fd)
            continue
        os.makedirs(path, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if path not in writable:
            _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)
    _mount(libc, "tmpfs", "/sys", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=555")
    hidden.append("/sys")  # masked: the host's /sys shows other kernels' cgroups and its paths
    report["hidden"] = hidden
    uid = int(spec["uid"])
    _enter_pid_namespace(libc, uid, report)
    _become_sandbox_user(libc, spec, uid, report)


# The system folders a Python process needs (read-only); everything else of the host is absent.
_SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


def _pivot_into_allow_list(libc, keep: list[str], writable: set[str], report: dict) -> None:
    """Make a new root holding only the system folders, the ``keep`` paths (the Python
    installation, course_utils, the data folder, the kernel's own folder), fresh /tmp, /dev and
    /proc, and an empty /sys; then ``pivot_root`` into it and detach the old root. A path not in that list
    (solutions/, another checkout or a backup of the course, /root, /home, the submissions)
    does not exist for the kernel."""
    import platform

    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    fds = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in keep if os.path.isdir(p)}
    new = "/tmp"  # a fresh tmpfs on /tmp becomes the new root (the kept paths are held by fd)
    _mount(libc, "tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=755")

    def bind(source: str, target: str, read_only: bool = True) -> None:
        _mount(libc, source, target, None, MS_BIND | MS_REC)
        if read_only:
            _mount(libc, None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)

    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            os.symlink(os.readlink(d), new + d)
        elif os.path.isdir(d):
            os.makedirs(new + d, exist_ok=True)
            bind(d, new + d)
    os.makedirs(new + "/dev", exist_ok=True)
    _mount(libc, "tmpfs", new + "/dev", "tmpfs", MS_NOSUID, "size=1m,mode=755")
    for name in _DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{new}/dev/{name}", "w").close()
            _mount(libc, f"/dev/{name}", f"{new}/dev/{name}", None, MS_BIND)
    for name, size in (("/dev/shm", "64m"), ("/tmp", "256m"), ("/var/tmp", "64m")):
        os.makedirs(new + name, exist_ok=True)
        _mount(libc, "tmpfs", new + name, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    # the kept paths last: a fresh /tmp must not cover the kernel's folder below it
    for path, fd in sorted(fds.items()):
        os.makedirs(new + path, exist_ok=True)
        bind(f"/proc/self/fd/{fd}", new + path, read_only=path not in writable)
        os.close(fd)
    os.makedirs(new + "/proc", exist_ok=True)  # mounted afresh inside the PID namespace
    os.makedirs(new + "/sys", exist_ok=True)  # empty: the host's /sys shows other kernels' cgroups and its paths
    os.chdir(new)
    libc.syscall.restype = ctypes.c_long
    _check(libc.syscall(number, b".", b"."), "pivot_root")
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    _check(libc.umount2(b".", 2), "umount the old root")  # MNT_DETACH
    os.chdir("/")
    report["files"] = (
        "private mount namespace, unprivileged user id; allow-list root: only the system folders, the "
        "Python installation, course_utils, the data folder (read-only) and the kernel's own folder"
    )
    report["hidden"] = "everything else"


def _become_sandbox_user(libc, spec: dict, uid: int, report: dict) -> None:
    """Hand the kernel's folder to the sandbox user and become it, for good."""
    for path in spec.get("chown", []):
        if os.path.exists(path):
            os.chown(path, uid, uid)
            if os.path.isdir(path):  # without a PID namespace another kernel sees its path in /proc
                os.chmod(path, 0o700)
    nproc = int(spec.get("nproc", 256))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    report["uid"] = uid
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    alive = report.pop("_pdeathsig", None)
    if alive is not None:  # the kernel dies with its stand-in, even one that died before this line
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if select.select([alive], [], [], 0)[0]:  # EOF: the stand-in is already gone
            os._exit(1)
        os.close(alive)


# --------------------------------------------------------------------------- cgroups

_CGROUP_ROOT = "/sys/fs/cgroup"


def _own_cgroups() -> dict:
    """``controller -> path`` of this process's cgroups (v1 lines ``4:memory:/a``; v2 ``0::/a``)."""
    out = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(",") if controllers else [""]:
                    out[c] = path
    except (OSError, ValueError):
        pass
    return out


def cgroup_dirs(name: str) -> dict:
    """Where the kernel cgroup ``name`` lives: ``{"v2": dir}`` on a cgroup v2 host with the memory
    and pids controllers, else ``{"memory": dir, "pids": dir, "cpu": dir}`` (v1) for the controllers
    mounted and writable, else ``{}``. The directories sit below this process's own cgroups (a
    container's delegated subtree), so the grader and its kernels compute the same paths."""
    own = _own_cgroups()
    v2 = os.path.join(_CGROUP_ROOT, "cgroup.controllers")
    if os.path.exists(v2):
        try:
            parent = os.path.join(_CGROUP_ROOT, own.get("", "/").lstrip("/"))
            with open(os.path.join(parent, "cgroup.controllers")) as f:
                if {"memory", "pids"} <= set(f.read().split()):
                    return {"v2": os.path.join(parent, name)}
        except OSError:
            pass
        return {}
    dirs = {}
    for controller in ("memory", "pids", "cpu"):
        base = os.path.join(_CGROUP_ROOT, controller)
        if controller in own and os.access(base, os.W_OK):
            dirs[controller] = os.path.join(base, own[controller].lstrip("/"), name)
    return dirs


def _write(path: str, value) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def join_cgroup(spec: dict, report: dict) -> None:
    """Put this process (and so every process it starts) into a cgroup of its own, with limits for
    the whole tree: ``memory_mb`` of memory (an out-of-memory kill inside the group, not the host),
    ``pids`` processes, ``cpus`` cores of CPU time. Root only; the report says what applied."""
    name = spec.get("cgroup")
    if not name:
        return
    dirs = cgroup_dirs(name)
    mem = spec.get("memory_mb")
    pids = int(spec.get("pids", 256))
    cpus = float(spec.get("cpus") or 0)
    done = []
    try:
        if "v2" in dirs:
            d = dirs["v2"]
            parent = os.path.dirname(d)
            try:
                _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids +cpu")
            except OSError:
                _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
            os.makedirs(d, exist_ok=True)
            if mem:
                _write(os.path.join(d, "memory.max"), int(mem) * 2**20)
                if os.path.exists(os.path.join(d, "memory.swap.max")):
                    _write(os.path.join(d, "memory.swap.max"), 0)
                done.append(f"memory {int(mem)} MB")
            _write(os.path.join(d, "pids.max"), pids)
            done.append(f"{pids} processes")
            if cpus and os.path.exists(os.path.join(d, "cpu.max")):
                _write(os.path.join(d, "cpu.max"), f"{int(cpus * 100000)} 100000")
                done.append(f"{cpus:g} CPU core(s)")
            _write(os.path.join(d, "cgroup.procs"), os.getpid())
            report["cgroup"] = "v2, for the whole process tree: " + ", ".join(done)
            report["cgroup_name"] = name
            return
        if not dirs:
            report["cgroup"] = "not available (no writable cgroup controllers): limits are per process"
            return
        for controller, d in dirs.items():
            os.makedirs(d, exist_ok=True)
            if controller == "memory" and mem:
                _write(os.path.join(d, "memory.limit_in_bytes"), int(mem) * 2**20)
                done.append(f"memory {int(mem)} MB")
            elif controller == "pids":
                _write(os.path.join(d, "pids.max"), pids)
                done.append(f"{pids} processes")
            elif controller == "cpu" and cpus:
                _write(os.path.join(d, "cpu.cfs_period_us"), 100000)
                _write(os.path.join(d, "cpu.cfs_quota_us"), int(cpus * 100000))
                done.append(f"{cpus:g} CPU core(s)")
            _write(os.path.join(d, "cgroup.procs"), os.getpid())
        report["cgroup"] = "v1, for the whole process tree: " + ", ".join(done)
        report["cgroup_name"] = name
    except OSError as err:
        report["cgroup"] = f"not available ({err}): limits are per process"


def remove_cgroup(name: str, rounds: int = 100) -> int:
    """SIGKILL every process left in the kernel cgroup ``name`` and remove it; how many were killed."""
    import time

    killed = 0
    for d in cgroup_dirs(name).values():
        for _ in range(rounds):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids = [int(x) for x in f.read().split()]
            except OSError:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except OSError:
                    pass
            try:
                os.rmdir(d)
                break
            except OSError:
                time.sleep(0.05)
    return killed


def sweep_cgroups(prefix: str = "cu-grade-") -> int:
    """Remove the empty kernel cgroups a killed grader left behind; how many were removed."""
    removed = 0
    for d in cgroup_dirs(prefix + "x").values():
        parent = os.path.dirname(d)
        try:
            names = [n for n in os.listdir(parent) if n.startswith(prefix)]
        except OSError:
            continue
        for n in names:
            try:
                os.rmdir(os.path.join(parent, n))  # fails while a process is in it
                removed += 1
            except OSError:
                pass
    return removed


def mount_tmpfs(path: str, size_mb: int) -> bool:
    """Mount a tmpfs of ``size_mb`` on ``path`` (root, Linux): the kernel's folder, so that what it
    writes there is capped in total, not only per file. False where it cannot be mounted."""
    if not (sys.platform.startswith("linux") and os.geteuid() == 0):
        return False
    try:
        _mount(_libc(), "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size_mb)}m,mode=0755")
        return True
    except OSError:
        return False


def unmount(path: str) -> None:
    """Detach the mount on ``path`` (see :func:`mount_tmpfs`); nothing if there is none."""
    libc = _libc()
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.umount2(path.encode(), 2)  # MNT_DETACH


def _enter_pid_namespace(libc, uid: int, report: dict) -> None:
    """Fork into the PID namespace made by ``unshare``: the child, process 1 there, returns and
    becomes the kernel; this process stays outside as its stand-in and never returns.

    The stand-in keeps the pid the kernel manager knows: it forwards the signals it receives
    (interrupts) to the kernel, drops to the sandbox user, and exits with the kernel's status.
    The kernel dies with it (``PR_SET_PDEATHSIG``), and every process of the namespace dies with
    the kernel. Inside, a fresh ``/proc`` shows only the namespace's own processes: not the
    grader's command line, not the other students' kernels.
    """
    alive_r, alive_w = os.pipe()  # the stand-in holds the write end: EOF here means it is gone
    child = os.fork()
    if child == 0:
        os.close(alive_w)
        report["_pdeathsig"] = alive_r  # set after the user switch, which clears it
        os.setsid()
        _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        os.environ.pop("JPY_PARENT_PID", None)  # that pid means nothing in here
        report["pid"] = "private PID namespace (the kernel is process 1; /proc shows only its own processes)"
        return

    os.close(alive_r)

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    code = 1
    try:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        code = code if code >= 0 else 128 - code
    except BaseException:  # noqa: BLE001 - the stand-in never runs anything else
        pass
    os._exit(code)


def _isolate_by_uid(spec: dict, report: dict, why: OSError) -> None:
    """Root without the capability for namespaces (a container with Docker's default capabilities): do what
    PrairieLearn's grader does, become a fresh unprivileged user id (``CAP_SETUID`` is still there), with
    ``no_new_privs``; then a user + network namespace where the kernel allows one, and a Landlock allow-list
    of the files it may read and write. The grader makes its own files unreadable to other users where
    Landlock is missing (:mod:`course_tools.isolation`)."""
    report["namespaces"] = f"not available ({why})"
    uid = int(spec["uid"])
    _sibling("landlock")  # loaded while the grader's files are still readable
    if os.getuid() != uid:
        try:
            _become_sandbox_user(_libc(), spec, uid, report)
        except OSError as err:  # no CAP_SETUID either: the grader refuses such a machine unless --unsafe
            report["network"] = report["ipc"] = "NOT isolated"
            report["files"] = f"NOT isolated (no namespaces: {why}; no user switch: {err})"
            return
    _isolate_unprivileged(report)
    _landlock(spec, report, as_root=True)


def _landlock(spec: dict, report: dict, as_root: bool) -> None:
    """Restrict the kernel to an allow-list with Landlock: read the system folders and the ``keep`` paths,
    write only the ``writable`` ones (its own folder) and a few devices; ``/proc`` only for itself."""
    if not spec.get("landlock", True):
        report["landlock"] = "not requested"
    else:
        try:
            landlock = _sibling("landlock")
            keep = [p for p in spec.get("keep", []) if os.path.exists(p)]
            devices = [f"/dev/{name}" for name in _DEVICES]
            read = [*_SYSTEM_DIRS, *keep, *devices, "/proc/self"]
            report["landlock"] = landlock.restrict(read, [*spec.get("writable", []), *devices])
        except OSError as err:
            report["landlock"] = f"not available ({err})"
    who = "unprivileged user id of its own (no namespaces)" if as_root else "the grader's user id"
    if report["landlock"].startswith("Landlock"):
        report["files"] = f"{who}; allow-list by {report['landlock']}"
    elif as_root:
        report["files"] = f"{who}; files protected by their permissions only (Landlock {report['landlock']})"
    else:
        report["files"] = (
            f"NOT isolated (Landlock {report['landlock']}; run the grader as root for a private mount "
            "namespace and user id)"
        )


def _sibling(name: str):
    """A module of this folder loaded by path (this file runs as a script, with ``-S``)."""
    import importlib.util

    key = f"_cu_{name}"
    if key not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


def _isolate_unprivileged(report: dict) -> None:
    """A user + network + IPC namespace of its own, where the kernel allows unprivileged ones: no network."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    try:
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    except OSError as err:
        report["network"] = f"NOT isolated ({err})"
        report["ipc"] = "NOT isolated"
        return
    report["network"] = "none (user + network namespace)"
    report["ipc"] = "private (System V IPC and POSIX message queues of its own)"
    try:
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a user switch cleared it, and /proc/self is then root's
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError as err:  # the namespaces hold; the process sees itself as the overflow user id
        report["user_map"] = f"not written ({err})"


def apply(spec: dict) -> dict:
    """Apply the limits in ``spec`` to the current process; return what was achieved."""
    report = {"memory_mb": None, "network": "not requested", "files": "not requested", "ipc": "not requested"}
    mem = spec.get("memory_mb")
    if mem:
        limit = int(mem) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        report["memory_mb"] = int(mem)
    fsize = int(spec.get("fsize_mb", 512)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if spec.get("cgroup") and sys.platform.startswith("linux") and os.geteuid() == 0:
        join_cgroup(spec, report)  # before the user switch: only root may create cgroups
    if spec.get("isolate", True) and sys.platform.startswith("linux"):
        if os.geteuid() == 0 and spec.get("uid"):
            try:
                _isolate_as_root(spec, report)
                if report["files"] == "not requested":
                    report["files"] = "private mount namespace, unprivileged user id"
            except OSError as err:  # a container without CAP_SYS_ADMIN: no namespaces, but CAP_SETUID
                _isolate_by_uid(spec, report, err)
        else:
            _isolate_unprivileged(report)
            _landlock(spec, report, as_root=False)
    report["isolation"] = isolation_level(report)
    if spec.get("require_isolation") and report["isolation"] == "none":
        # the grader probed this machine and found isolation; this kernel did not get it: never run it bare
        raise SystemExit(f"sandbox: the kernel's files are not isolated ({report['files']}); not starting it")
    return report


def isolation_level(report: dict) -> str:
    """What keeps the kernel from the grader's files, in one word, from an :func:`apply` report:
    ``namespaces`` (a private mount namespace and user id), ``uid+landlock``, ``uid`` (a user id of its own,
    files protected by their permissions), ``landlock`` (the grader's user id, an allow-list), ``none``."""
    files = str(report.get("files", ""))
    if files.startswith("private"):
        return "namespaces"
    if report.get("uid") is not None:
        return "uid+landlock" if report.get("landlock", "").startswith("Landlock") else "uid"
    if report.get("landlock", "").startswith("Landlock"):
        return "landlock"
    return "none"


def enter(spec: dict, **note) -> dict:
    """Apply ``spec`` to this process, write the report (plus ``note``) to ``spec["report"]``, go to ``spec["cwd"]``."""
    report = apply(spec)
    report.update(note)
    if spec.get("report"):
        try:
            with open(spec["report"], "w") as f:
                json.dump(report, f)
        except OSError:
            pass
    if spec.get("import_dir") and str(report.get("landlock", "")).startswith("Landlock"):
        # the course folder cannot be listed under the allow-list: import course_utils through the link
        # the grader put in the kernel's own folder (PYTHONPATH for a kernel exec'd here; the zygote's
        # child puts it on sys.path)
        parts = [spec["import_dir"], *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    if spec.get("cwd"):
        os.chdir(spec["cwd"])
    if "log" in spec:  # the grader's kernels (a plain command keeps its descriptors)
        _own_std_streams(spec["log"])
    return report


def _own_std_streams(log: str | None) -> None:
    """Point file descriptors 0, 1 and 2 away from the grader's: stdin at /dev/null, stdout and
    stderr at ``log`` (a file in the kernel's own folder; /dev/null without one).

    The kernel's outputs reach the grader through Jupyter's messages; what a process writes to
    its raw descriptors (C libraries, ``os.write(1, ...)``) must not land in the grader's terminal
    or summary, where it could pass for the grader's own lines.
    """
    null = os.open(os.devnull, os.O_RDWR)
    out = null
    if log:
        try:
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        except OSError:
            out = null
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in {null, out}:
        if fd > 2:
            os.close(fd)


def probe(timeout: float = 30, keep: list[str] | tuple = ()) -> dict:
    """Start the launcher with a root-style spec on this Python (``-S -c pass``); return what it could
    isolate. ``keep``: the paths a kernel reads (the Python installation, course_utils, the data folder).
    ``python`` in the report says whether this Python could start under that isolation (``ok``, or why
    not: without namespaces the kernel runs as another user, who must be able to read the installation)."""
    import random
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cu-probe-") as tmp:
        report = os.path.join(tmp, "report.json")
        os.chmod(tmp, 0o777)
        spec = {
            "memory_mb": None,
            "isolate": True,
            "uid": 1_000_000 + random.randrange(10**9),
            "hide": ["/tmp"],
            "keep": [tmp, *keep],
            "writable": [tmp],
            "chown": [tmp],
            "report": report,
        }
        try:
            proc = subprocess.run(
                [sys.executable, "-S", os.path.abspath(__file__), json.dumps(spec), "--"]
                + [sys.executable, "-S", "-c", "pass"],
                timeout=timeout,
                check=False,
                capture_output=True,
                text=True,
                cwd="/",
            )
            with open(report) as f:
                out = json.load(f)
            tail = (proc.stderr.strip().splitlines() or [""])[-1][:300]
            out["python"] = "ok" if proc.returncode == 0 else f"cannot start (exit {proc.returncode}: {tail})"
            return out
        except (OSError, ValueError, subprocess.SubprocessError) as err:
            return {"network": f"unknown ({err})", "files": f"unknown ({err})", "isolation": "none"}


def _processes():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def kill_user(uid: int, rounds: int = 5) -> int:
    """SIGKILL every process of ``uid`` (a sandbox user id); returns how many were found."""
    return _kill_matching(lambda pid: os.stat(f"/proc/{pid}").st_uid == uid, rounds)


def kill_marked(token: str, rounds: int = 5) -> int:
    """SIGKILL every process whose environment contains ``token`` (non-root fallback)."""
    needle = token.encode()
    me = os.getpid()

    def marked(pid: int) -> bool:
        if pid == me:
            return False
        with open(f"/proc/{pid}/environ", "rb") as f:
            return needle in f.read()

    return _kill_matching(marked, rounds)


def _kill_matching(matches, rounds: int) -> int:
    """SIGKILL the processes for which ``matches(pid)`` is true, repeating until none is left."""

    found = 0
    for _ in range(rounds):
        pids = []
        for pid in _processes():
            try:
                if matches(pid):
                    pids.append(pid)
            except OSError:  # the process ended, or is not ours to read
                continue
        if not pids:
            break
        found += len(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return found


def main(argv: list[str]) -> None:
    """``sandbox.py SPEC_JSON -- KERNEL_ARGV...``: apply the limits, then exec the kernel."""
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: sandbox.py SPEC_JSON -- COMMAND...")
    enter(json.loads(argv[0]))
    os.execvpe(argv[2], argv[2:], os.environ)


if __name__ == "__main__":
    main(sys.argv[1:])
