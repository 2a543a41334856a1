"""The pipe between the tray and the server it supervises: commands in on stdin, replies out on stdout.

The tray starts `serve --supervised` with both pipes. One JSON object per line
each way. The server says `{"listo": {...}}` once it listens; the tray sends
`{"orden": "respaldar"}` for the owner's manual backup and gets
`{"respaldo": entry}` or `{"respaldo_fallido": message}`. End of input means
stop: closing the pipe is how the tray asks for a clean stop on every OS
(Windows has no SIGTERM for a process without a console), and a tray that dies
takes its server with it instead of leaving one holding the database lock.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
from gevent.threadpool import ThreadPool

from .shop.errors import DomainError
from .store import Actor

log = logging.getLogger(__name__)

BACKUP = "respaldar"
TRAY_ACTOR = Actor(None, "bandeja del servidor", None)


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line."""
    return json.dumps(message, ensure_ascii=False).encode() + b"\n"


def decode(line: bytes | str) -> dict[str, Any] | None:
    """A protocol line's object; None for anything else (a stray print from a library)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


class Channel:
    """The server's end: reads orders until end of input, then sets `stop`."""

    def __init__(self, stop: gevent.event.Event, backup: Callable[[], dict[str, Any]]):
        self.stop = stop
        self.backup = backup
        # A thread of its own: the blocking read must not hold one of the pool's
        # threads, which run the database's commits.
        self._reader = ThreadPool(1)

    def say(self, message: dict[str, Any]) -> None:
        sys.stdout.buffer.write(encode(message))
        sys.stdout.buffer.flush()

    def start(self) -> None:
        gevent.spawn(self._listen)

    def _listen(self) -> None:
        try:
            while line := self._reader.apply(sys.stdin.buffer.readline):
                message = decode(line)
                if message and message.get("orden") == BACKUP:
                    gevent.spawn(self._backup)
                else:
                    log.warning("Orden desconocida de la bandeja: %r", line[:80])
        finally:
            log.info("La bandeja pidió detener el servidor")
            self.stop.set()

    def _backup(self) -> None:
        try:
            self.say({"respaldo": self.backup()})
        except DomainError as exc:  # BackupBusy, BackupFailed: a message for the owner
            self.say({"respaldo_fallido": exc.message})
        except Exception:
            log.exception("Error en el respaldo pedido desde la bandeja")
            self.say({"respaldo_fallido": "Error inesperado; revisa el registro del servidor."})
