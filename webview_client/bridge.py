"""The calls of the UI's BridgeTransport (transport.js), forwarded to a Backend (backend.py).

The page names each live socket itself (`canal`), so the events the Backend
pushes for it can never arrive before the page knows where they go; they
reach the page through `push` as {"canal", "tipo", "datos"}.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .backend import Backend

log = logging.getLogger(__name__)

DECISIONS = ("mio", "servidor")


class Bridge:
    def __init__(
        self,
        backend: Backend,
        push: Callable[[dict[str, Any]], None],
        *,
        online: bool,
        on_back_online: Callable[[], None] = lambda: None,
    ):
        """`online`: whether the server answered when the window opened; `on_back_online` runs
        (on a thread of its own) each time estado() finds it answering again after that."""
        self.backend = backend
        self.push = push
        self.online = online
        self.on_back_online = on_back_online
        self._channels: dict[str, str] = {}  # the page's canal -> the Backend's handle
        self._lock = threading.Lock()

    def calls(self) -> dict[str, Callable[..., Any]]:
        """What the page may call, by the names transport.js uses."""
        return {
            "request": self.request,
            "socket_open": self.socket_open,
            "socket_send": self.socket_send,
            "socket_close": self.socket_close,
            "estado": self.estado,
            "revisar": self.revisar,
            "resolver": self.resolver,
        }

    def request(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.backend.request(req)

    def socket_open(self, canal: str, query: dict[str, Any]) -> None:
        def push(kind: str, payload: Any) -> None:
            self.push({"canal": canal, "tipo": kind, "datos": payload})

        handle = self.backend.socket_open(query or {}, push)
        with self._lock:
            self._channels[canal] = handle

    def socket_send(self, canal: str, message: dict[str, Any]) -> None:
        handle = self._channels.get(canal)
        if handle is not None:
            self.backend.socket_send(handle, message)

    def socket_close(self, canal: str) -> None:
        with self._lock:
            handle = self._channels.pop(canal, None)
        if handle is not None:
            self.backend.socket_close(handle)

    def close_all(self) -> None:
        """The page was (re)loaded: the sockets the previous one opened have nobody to talk to."""
        for canal in list(self._channels):
            self.socket_close(canal)

    def estado(self) -> dict[str, Any]:
        state = self.backend.estado()
        if state.get("online") and not self.online:
            threading.Thread(target=self.on_back_online, name="servitec-back-online", daemon=True).start()
        self.online = bool(state.get("online"))
        return state

    def revisar(self) -> list[dict[str, Any]]:
        return self.backend.revisar()

    def resolver(self, item_id: str, decision: str) -> dict[str, Any]:
        if decision not in DECISIONS:
            return {"ok": False, "mensaje": "Elige conservar lo tuyo o lo del servidor."}
        return self.backend.resolver(item_id, decision)
