"""The online half of the desktop client's Backend: every UI request and live socket goes to the server.

It keeps nothing: with the server unreachable a request raises ServerUnavailable
(the window's UI then says it has no connection, as in a browser) and a socket
closes with 1006. estado() says whether the server answered last; there are no
operations waiting or to review, since none are made offline here.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
import uuid
from contextlib import suppress
from typing import Any

import websocket

from .backend import Push
from .errors import ServerUnavailable
from .realtime import PING_SECONDS, check_pinned, close_reason, ssl_options, ws_address
from .transport import Answer, Pinned, Transport

log = logging.getLogger(__name__)

CLOSE_ABNORMAL = 1006  # the socket ended without a close frame (no server, a dropped network)
PROBE_SECONDS = 3.0  # with nothing else going on, estado() asks the server this often whether it is there


def ui_body(answer: Answer) -> Any:
    """The body as BrowserTransport reads it: parsed JSON, text, or {"base64": ...} for anything else."""
    kind = answer.content_type
    if "json" in kind:
        try:
            return json.loads(answer.content)
        except ValueError:
            return None
    if kind.startswith("text/") or "svg" in kind:
        return answer.content.decode("utf-8", "replace")
    return {"base64": base64.b64encode(answer.content).decode("ascii")}


class OnlineBackend:
    """The Backend of backend.py over one server, with no local replica."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5,
        retry_attempts: int = 3,
        verify: str | bool | Pinned | None = None,
        realtime: bool = True,
    ):
        """`realtime` False (config.json's enable_realtime): sockets never open, so no live events."""
        self.http = Transport(url, timeout, retry_attempts, verify)
        self.realtime = realtime
        self.online: bool | None = None  # None: not asked yet
        self._answered_at = 0.0
        self._probing = threading.Lock()
        self._sockets: dict[str, _Socket] = {}

    @property
    def url(self) -> str:
        return self.http.url

    def _seen(self, online: bool) -> None:
        self.online = online
        if online:
            self._answered_at = time.monotonic()

    def request(self, req: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self.http.exchange(
                req.get("method") or "GET",
                req["path"],
                token=req.get("token"),
                accept=req.get("accept"),
                params={k: v for k, v in (req.get("query") or {}).items() if v not in (None, "")},
                body=req.get("json"),
                data=req.get("form"),
            )
        except ServerUnavailable:
            self._seen(False)
            raise
        self._seen(True)
        return {"status": answer.status, "body": ui_body(answer), "contentType": answer.content_type}

    def socket_open(self, query: dict[str, Any], push: Push) -> str:
        handle = uuid.uuid4().hex
        live = _Socket(ws_address(self.url, query), self.http.verify, self.http.timeout, push, self)
        self._sockets[handle] = live
        if self.realtime:
            live.start()
        return handle

    def socket_send(self, handle: str, message: dict[str, Any]) -> None:
        live = self._sockets.get(handle)
        if live is not None:
            live.send(message)

    def socket_close(self, handle: str) -> None:
        live = self._sockets.pop(handle, None)
        if live is not None:
            live.close()

    def estado(self) -> dict[str, Any]:
        if time.monotonic() - self._answered_at > PROBE_SECONDS:
            self._probe()
        return {
            "online": bool(self.online),
            "servidor": self.url,
            "pendientes": 0,
            "revisar": 0,
            "progreso": None,
            "aviso": None,
        }

    def _probe(self) -> None:
        """Ask GET / in the background (one probe at a time): estado() must answer at once."""
        if not self._probing.acquire(blocking=False):
            return

        def probe() -> None:
            try:
                self.request({"method": "GET", "path": "/"})
            except ServerUnavailable:
                pass  # _seen(False) already recorded it
            finally:
                self._probing.release()

        threading.Thread(target=probe, name="servitec-probe", daemon=True).start()

    def revisar(self) -> list[dict[str, Any]]:
        return []

    def resolver(self, item_id: str, decision: str) -> dict[str, Any]:
        return {
            "ok": False,
            "mensaje": "Este equipo trabaja solo en línea: no guarda operaciones sin conexión y no hay nada que revisar.",
        }

    def close(self) -> None:
        for handle in list(self._sockets):
            self.socket_close(handle)
        self.http.close()


class _Socket:
    """One live connection to /ws on a thread of its own, reported through `push`."""

    def __init__(self, url: str, verify: str | bool | Pinned | None, timeout: float, push: Push, owner: OnlineBackend):
        self.url, self.verify, self.timeout, self.push, self.owner = url, verify, timeout, push, owner
        self.ws = websocket.WebSocket(sslopt=ssl_options(verify))
        self.closing = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="servitec-ws", daemon=True).start()

    def send(self, message: dict[str, Any]) -> None:
        with suppress(OSError, websocket.WebSocketException):
            self.ws.send(json.dumps(message))

    def close(self) -> None:
        self.closing.set()
        with suppress(OSError, websocket.WebSocketException):
            self.ws.send_close()
        if self.ws.sock is not None:
            with suppress(OSError):
                self.ws.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread's blocked read

    def _run(self) -> None:
        code, reason = CLOSE_ABNORMAL, ""
        try:
            self.ws.connect(self.url, timeout=self.timeout)
            check_pinned(self.ws, self.verify)
            self.owner._seen(True)
            self.push("open", None)
            code, reason = self._receive()
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            if not self.closing.is_set():
                self.owner._seen(False)
                reason = str(exc) or type(exc).__name__
        finally:
            self.ws.shutdown()
        if self.closing.is_set():
            code, reason = 1000, ""
        self.push("close", {"code": code, "reason": reason})

    def _receive(self) -> tuple[int, str]:
        self.ws.settimeout(PING_SECONDS)
        pinged = False
        while not self.closing.is_set():
            try:
                opcode, frame = self.ws.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                if pinged:
                    self.owner._seen(False)
                    return CLOSE_ABNORMAL, "el servidor dejó de responder"
                self.ws.ping()
                pinged = True
                continue
            pinged = False
            self.owner._seen(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code, reason = close_reason(frame.data)
                return code or 1005, reason
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self.push("message", json.loads(frame.data))
        return 1000, ""
