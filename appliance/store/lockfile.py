"""One process owns a database: an OS lock on a file next to it.

The OS releases the lock when the process dies (even on kill -9), so a stale
file never blocks a restart.
"""

from __future__ import annotations

import os
import socket


class AlreadyLocked(Exception):
    """Another live process holds the lock; `holder` says who, as written by it."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class LockFile:
    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            os.close(fd)
            raise AlreadyLocked(holder or "otro proceso") from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"PID {os.getpid()} en {socket.gethostname()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


if os.name == "nt":
    import msvcrt

    def _lock(fd: int) -> None:
        # Lock one byte far past the text we write, so reading the holder still works.
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
