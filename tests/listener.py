"""A TCP server on 127.0.0.1 that records whether anyone connected: the grading tests' check that a student's
kernel has no network (tests/test_grade.py, tests/test_isolation.py)."""

from __future__ import annotations

import socket
import threading


class Listener:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                self.sock.accept()[0].close()
                self.connections += 1
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()
