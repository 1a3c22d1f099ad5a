"""Landlock: a file-system allow-list (and no TCP) for one process, without any privilege.

Landlock is a Linux security module (5.13 and later; enabled by most distributions) that lets an
unprivileged process restrict itself and every process it starts: after :func:`restrict`, the process
can read only beneath the ``read`` paths and write only beneath the ``write`` paths; it cannot change
its file-system topology (mount), ptrace or read the memory of a process outside its domain, and, with
a recent kernel (ABI 4, Linux 6.7), bind or connect a TCP socket, or (ABI 6, Linux 6.12) signal a
process outside its domain or reach an abstract Unix socket. Docker's default seccomp profile allows
its three system calls (moby/moby#43199, 2022), so a grader in a container without ``CAP_SYS_ADMIN``
(no namespaces) still gets an allow-list file system for its kernels.

Only the standard library (``ctypes``): :mod:`course_tools.sandbox` loads this file by path before it
``exec``s a kernel. The process must have set ``PR_SET_NO_NEW_PRIVS`` first (the sandbox does).
See https://docs.kernel.org/userspace-api/landlock.html for the interface used here.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["abi_version", "restrict"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
_VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION
_PATH_BENEATH = 1  # LANDLOCK_RULE_PATH_BENEATH

# access rights to files and folders, by the ABI version that introduced them
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_DIR_CHANGES = sum(1 << b for b in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_FILE_ONLY = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV  # rights a rule on a file may hold


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The Landlock ABI the running kernel offers (1, 2, ...), or 0 where there is none."""
    try:
        version = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    rights = _EXECUTE | _WRITE_FILE | _READ_FILE | _READ_DIR | _DIR_CHANGES
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def restrict(read: list[str], write: list[str], *, deny_tcp: bool = True) -> str:
    """Restrict this process (and its future children) to reading beneath ``read`` and writing beneath
    ``write`` (a path that does not exist is skipped); with ``deny_tcp``, no TCP bind or connect where the
    kernel supports it. Returns a sentence saying what applied; raises ``OSError`` where Landlock is not
    available (the process is then unchanged)."""
    abi = abi_version()
    if abi < 1:
        raise OSError(0, "Landlock is not available in this kernel")
    libc = _libc()
    handled = _fs_rights(abi)
    net = _NET_BIND_TCP | _NET_CONNECT_TCP if deny_tcp and abi >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL if abi >= 6 else 0
    attr = _RulesetAttr(handled, net, scoped)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    try:
        readable = _EXECUTE | _READ_FILE | _READ_DIR
        for paths, rights in ((read, readable), (write, handled)):
            for path in paths:
                _allow(libc, int(ruleset), path, rights)
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_restrict_self: {os.strerror(err)}")
    finally:
        os.close(int(ruleset))
    parts = [f"Landlock ABI {abi}: reads only beneath the allowed folders, writes only in its own"]
    parts.append("no TCP" if net else "TCP not restricted (needs Landlock ABI 4, Linux 6.7)")
    if scoped:
        parts.append("no signals or abstract sockets outside its own processes")
    return "; ".join(parts)


def _allow(libc, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not there: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= _FILE_ONLY
        rule = _PathBeneath(rights, fd)
        if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_PATH_BENEATH), ctypes.byref(rule), 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_add_rule {path}: {os.strerror(err)}")
    finally:
        os.close(fd)
