"""OS locks on files: one process owns a database, one process at a time rewrites a manifest.

The OS releases a lock when its process dies (even on kill -9), so a stale
file never blocks a restart. The holder writes who it is into the file, so a
process refused the lock can say who has it.
"""

from __future__ import annotations

import os
import socket
from typing import Any


class AlreadyLocked(Exception):
    """Another live process holds the lock; `holder` says who, as written by it."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class LockFile:
    """`acquire()` takes the lock or raises AlreadyLocked; `with LockFile(path):` waits for it."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd, wait)
        except OSError:
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            os.close(fd)
            raise AlreadyLocked(holder or "otro proceso") from None
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"PID {os.getpid()} en {socket.gethostname()}\n".encode())
        except OSError:
            os.close(fd)  # a full disk: the lock is held by nobody rather than by a half-told holder
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock on every platform
            self._fd = None

    def __enter__(self) -> LockFile:
        self.acquire(wait=True)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()


if os.name == "nt":
    import msvcrt

    def _lock(fd: int, wait: bool) -> None:
        # Lock one byte far past the text we write, so reading the holder still works.
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if not wait:
                    raise
                # LK_LOCK gives up after ~10 s; a waiter keeps waiting

else:
    import fcntl

    def _lock(fd: int, wait: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
