"""A fork server for grading kernels: import the heavy libraries once, fork a kernel per submission.

Starting a fresh Python kernel and importing Keras, TensorFlow and PyTorch costs about ten
seconds per submission, most of the time it takes to grade a short notebook. The grader
therefore starts one *zygote* per batch::

    python -P course_tools/zygote.py serve SOCKET MODULES_JSON

which imports the modules the assignment's notebook imports (no student code, no TensorFlow or
PyTorch operation, so no thread pool exists yet) and listens on a Unix socket in a folder only
the grader can enter. The kernel manager then launches, instead of the kernel itself::

    python -S course_tools/zygote.py connect SOCKET SPEC_JSON -- python -m ipykernel_launcher -f CONN

This small client passes its environment, working directory and standard streams to the
zygote, which forks. The forked child starts a new session, applies the sandbox of
``sandbox.py`` (memory and file-size limits, namespaces, a fresh user id: the same
``apply`` as for an exec'd kernel), takes the kernel's environment and starts the IPython
kernel in-process. The client stays as the kernel's stand-in for the kernel manager: it
forwards interrupts, and exits with the kernel's exit status. When the client goes away
(killed on a timeout, or the grader stops) the zygote SIGKILLs the child's process group, so
a killed client never leaves a kernel behind.

Only the standard library is imported at the top of this file (the client runs with ``-S``).
"""

from __future__ import annotations

import array
import json
import os
import selectors
import signal
import socket
import sys

__all__ = ["notebook_modules"]

_HEADER = 4  # bytes of length before each JSON message


def _send(sock: socket.socket, payload: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(payload).encode()
    data = len(data).to_bytes(_HEADER, "big") + data
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        sock.sendall(data)


def _recv_exact(sock: socket.socket, n: int, fds: list[int] | None = None) -> bytes:
    buf = b""
    while len(buf) < n:
        if fds is not None and not buf:
            chunk, anc, _flags, _addr = sock.recvmsg(n - len(buf), socket.CMSG_LEN(16 * 4))
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    arr = array.array("i")
                    arr.frombytes(raw[: len(raw) - (len(raw) % arr.itemsize)])
                    fds.extend(arr)
        else:
            chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def _recv(sock: socket.socket, fds: list[int] | None = None) -> dict:
    size = int.from_bytes(_recv_exact(sock, _HEADER, fds), "big")
    return json.loads(_recv_exact(sock, size))


# --------------------------------------------------------------------------- which modules


def notebook_modules(nb, installed_only: bool = True) -> list[str]:
    """The modules the code cells of ``nb`` import (``import a.b``, ``from a.b import c``), sorted.

    ``course_utils`` is left out (it is small and reads the mode when it is imported);
    with ``installed_only`` also every module whose top-level package is not installed.
    """
    import ast
    import importlib.util

    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)  # and the names, which may be submodules (from skimage import data)
                found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    stdlib = getattr(sys, "stdlib_module_names", ())
    found = {m for m in found if m.split(".")[0] != "course_utils" and m.split(".")[0] not in stdlib}
    if installed_only:
        found = {m for m in found if importlib.util.find_spec(m.split(".")[0]) is not None}
    return sorted(found)


# --------------------------------------------------------------------------- the server


def _preload(modules: list[str]) -> dict:
    import importlib

    failed = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # else: ``from a import b`` where b is a name, not a module
                failed[name] = f"ModuleNotFoundError: {err}"
        except BaseException as err:  # noqa: BLE001 - a module that fails here fails in the kernel too
            failed[name] = f"{type(err).__name__}: {err}"
    return failed


def _load_sandbox():
    """``sandbox.py`` from this folder, loaded by path once (this file runs as a script)."""
    if "sandbox" not in sys.modules:
        import importlib.util  # noqa: PLC0415

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
        spec = importlib.util.spec_from_file_location("sandbox", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["sandbox"] = module
    return sys.modules["sandbox"]


def _child(conn: socket.socket, request: dict, fds: list[int], others: list) -> None:
    """In the forked child: become the sandboxed kernel. Never returns."""
    code = 1
    try:
        for other in others:  # the listening socket, the other clients, the selector
            other.close()
        conn.close()
        os.setsid()
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        env = dict(request["env"])
        env["JPY_PARENT_PID"] = str(os.getppid())
        os.environ.clear()
        os.environ.update(env)
        sandbox = _load_sandbox()  # loaded by the server before it forked

        os.chdir(request["cwd"])
        spec = request.get("spec") or {}
        report = sandbox.enter(spec, started="forked from the grading zygote")
        if spec.get("import_dir") and str(report.get("landlock", "")).startswith("Landlock"):
            sys.path.insert(0, spec["import_dir"])  # see sandbox.enter: the course folder is not listable
        argv = list(request["argv"])
        if len(argv) >= 3 and argv[1:3] == ["-m", "ipykernel_launcher"]:
            sys.argv = ["ipykernel_launcher", *argv[3:]]
            signal.signal(signal.SIGINT, signal.default_int_handler)
            from ipykernel import kernelapp

            # parent_handle: watch the zygote (our parent), as a kernel watches the process that
            # started it; its default was read from the zygote's environment at import.
            kernelapp.launch_new_instance(argv=[*argv[3:], f"--IPKernelApp.parent_handle={os.getppid()}"])
            code = 0
        else:  # not an IPython kernel: run the command as sandbox.py would
            os.execvpe(argv[0], argv, os.environ)
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)


def serve(path: str, modules: list[str]) -> None:
    """Preload ``modules``, listen on the Unix socket ``path``, fork a kernel per connection."""
    # Started with ``python -P``: this folder is not on sys.path, so no course_tools module can
    # shadow a library the notebook imports.
    failed = _preload(modules)
    _load_sandbox()  # the children need it; load it before forking
    import gc

    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()  # fewer pages touched (copied) in the children
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, None)
    sel.register(sys.stdin, selectors.EVENT_READ, "parent")
    children: dict[int, socket.socket] = {}  # pid -> client connection
    print(json.dumps({"ready": True, "pid": os.getpid(), "failed": failed}), flush=True)

    def kill(pid: int) -> None:
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass

    try:
        while True:
            for key, _ in sel.select(timeout=0.2):
                if key.data == "parent":  # the grader closed our stdin: it is gone or done
                    if not os.read(sys.stdin.fileno(), 4096):
                        return
                elif key.data is None:
                    conn, _ = server.accept()
                    fds: list[int] = []
                    try:
                        request = _recv(conn, fds)
                    except (OSError, EOFError, ValueError):
                        conn.close()
                        for fd in fds:
                            os.close(fd)
                        continue
                    pid = os.fork()
                    if pid == 0:
                        _child(conn, request, fds, [sel, server, *children.values()])
                    for fd in fds:
                        os.close(fd)
                    children[pid] = conn
                    sel.register(conn, selectors.EVENT_READ, pid)
                    try:
                        _send(conn, {"pid": pid})
                    except OSError:
                        kill(pid)
                else:  # a client closed its end (it ended or was killed): the kernel goes too
                    pid = key.data
                    try:
                        gone = not key.fileobj.recv(4096)
                    except OSError:
                        gone = True
                    if gone:
                        kill(pid)
                        sel.unregister(key.fileobj)
            while children:  # reap, and tell each client how its kernel ended
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = children.pop(pid, None)
                if conn is None:
                    continue
                kill(pid)  # what the kernel left in its process group
                try:
                    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                except OSError:
                    pass
                try:
                    sel.unregister(conn)
                except (KeyError, ValueError):
                    pass
                conn.close()
    finally:
        for pid in list(children):
            kill(pid)
        try:
            os.unlink(path)
        except OSError:
            pass


# --------------------------------------------------------------------------- the client


def connect(path: str, spec: dict, argv: list[str]) -> int:
    """Ask the zygote for a kernel running ``argv`` under ``spec``; wait for it; return its exit code."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        _send(sock, {"spec": spec, "argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}, fds=[0, 1, 2])
        pid = int(_recv(sock)["pid"])
    except (OSError, EOFError, ValueError, KeyError):  # no zygote (it died?): a new Python, as before
        launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
        os.execv(sys.executable, [sys.executable, "-S", launcher, json.dumps(spec), "--", *argv])

    def forward(signum, _frame):  # an interrupt from the kernel manager goes to the kernel
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    while True:
        try:
            message = _recv(sock)
        except InterruptedError:
            continue
        except (OSError, EOFError, ValueError):
            return 1
        if "exit" in message:
            code = int(message["exit"])
            return code if code >= 0 else 128 - code


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], json.loads(argv[2]))
        return 0
    if len(argv) >= 5 and argv[0] == "connect" and argv[3] == "--":
        return connect(argv[1], json.loads(argv[2]), argv[4:])
    print("usage: zygote.py serve SOCKET MODULES_JSON | connect SOCKET SPEC_JSON -- COMMAND...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
