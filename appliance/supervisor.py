"""The tray's hold on its server: runs `serve --supervised` as a child, restarts it when it dies, stops it cleanly.

The server runs in a process of its own so that a crash in it (or in a
library under it) does not take the icon down with it: the owner sees the icon
turn red, gets a notice, and the server comes back by itself after a pause
that grows while it keeps failing (a locked database or a busy port will not
fix itself in a second). The pipe protocol is in control.py.
"""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import control

log = logging.getLogger(__name__)

STARTING, RUNNING, STOPPED, ERROR = "starting", "running", "stopped", "error"
BACKOFF_SECONDS = (1, 2, 5, 10, 30)
# A child that served this long before dying earns a quick restart again.
STABLE_SECONDS = 60
# Long enough for serve's own wait on a running backup (BackupService.stop) and its shutdown.
STOP_TIMEOUT_SECONDS = 180
STDERR_TAIL_LINES = 40


def server_command() -> list[str]:
    """The command line of the supervised server: this same executable when frozen, else this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "serve", "--supervised"]
    return [sys.executable, "-m", "appliance", "serve", "--supervised"]


class Supervisor:
    """Keeps one server child running until stop(); reports state changes and the child's messages."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        on_state: Callable[[str], None] = lambda state: None,
        on_message: Callable[[dict[str, Any]], None] = lambda message: None,
        on_crash: Callable[[int, str, float], None] = lambda code, reason, retry_in: None,
    ):
        self.command = list(command or server_command())
        self.env = env
        self.on_state = on_state
        self.on_message = on_message
        self.on_crash = on_crash
        self.state = STOPPED
        self.listening: dict[str, Any] | None = None  # the child's `listo`: puerto, tls
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._wanted = "run"  # or "stop", or "restart" (one relaunch without the crash pause)
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Launch the server and keep it running, in a thread of its own."""
        self._wanted = "run"
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def send(self, message: dict[str, Any]) -> bool:
        """Write one order to the running server; False when there is none to take it."""
        with self._lock:
            proc = self._proc
            if self.state != RUNNING or proc is None or proc.stdin is None:
                return False
            try:
                proc.stdin.write(control.encode(message))
                proc.stdin.flush()
            except OSError:
                return False
        return True

    def restart(self) -> None:
        """Stop the server cleanly and start it again at once."""
        self._wanted = "restart"
        self._wake.set()
        self._ask_to_stop()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Stop the server cleanly (it finishes a running backup first); kill it after `timeout`. Its exit code."""
        self._wanted = "stop"
        self._wake.set()
        self._ask_to_stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        proc = self._proc
        if proc is not None and proc.poll() is None:
            log.error("El servidor no se detuvo en %s s; se termina a la fuerza", timeout)
            proc.kill()
            proc.wait()
            if thread is not None:
                thread.join(5)
        return proc.returncode if proc is not None else None

    def _ask_to_stop(self) -> None:
        # End of input is the stop order (control.py).
        with self._lock:
            proc = self._proc
            if proc is not None and proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._tell(self.on_state, state)

    @staticmethod
    def _tell(callback: Callable[..., None], *args: Any) -> None:
        # A listener's failure (the icon, a notice) must not end the supervision of the server.
        try:
            callback(*args)
        except Exception:
            log.exception("Error al avisar del estado del servidor")

    def _launch(self) -> subprocess.Popen[bytes] | None:
        self._tail.clear()
        self.listening = None
        flags = subprocess.CREATE_NO_WINDOW if sys.platform == "win32" else 0
        with self._lock:
            # Under the lock with _ask_to_stop: a stop that comes now finds no child, so none is started.
            if self._wanted == "stop":
                return None
            self._set_state(STARTING)
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env if self.env is not None else os.environ.copy(),
                creationflags=flags,
            )
        threading.Thread(target=self._drain_stderr, args=(self._proc,), daemon=True).start()
        log.info("Servidor iniciado (pid %s)", self._proc.pid)
        return self._proc

    def _drain_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        # The server logs to its own file too; the tail is kept for the crash notice.
        assert proc.stderr is not None
        for raw in proc.stderr:
            self._tail.append(raw.decode("utf-8", "replace").rstrip())

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            message = control.decode(line)
            if message is None:
                continue
            if "listo" in message:
                self.listening = message["listo"]
                self._set_state(RUNNING)
            self._tell(self.on_message, message)

    def reason(self) -> str:
        """The child's last error line (its `Error: ...` or the traceback's last line), for a person."""
        lines = [line for line in self._tail if line.strip()]
        for line in reversed(lines):
            if line.startswith("Error: "):
                return line.removeprefix("Error: ")
        return lines[-1] if lines else "sin mensaje"

    def _run(self) -> None:
        failures = 0
        while (proc := self._launch()) is not None:
            started = time.monotonic()
            self._pump(proc)
            code = proc.wait()
            if self._wanted == "stop":
                log.info("Servidor detenido (código %s)", code)
                break
            if self._wanted == "restart":
                self._wanted = "run"
                self._wake.clear()
                self.restarts += 1
                log.info("Servidor reiniciado a petición del dueño")
                continue
            failures = 1 if time.monotonic() - started >= STABLE_SECONDS else failures + 1
            delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS)) - 1]
            reason = self.reason()
            log.error("El servidor terminó con código %s (%s); se reinicia en %s s", code, reason, delay)
            self._set_state(ERROR)
            self._tell(self.on_crash, code, reason, delay)
            self._wake.wait(delay)
            self._wake.clear()
            if self._wanted != "stop":
                self._wanted = "run"
                self.restarts += 1
        self._set_state(STOPPED)
