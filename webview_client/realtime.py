"""Live events: the appliance's changes as they happen, over /ws, on a background thread.

After each (re)connection the `conectado` frame gives the last change the server had published;
what this client missed up to it is fetched from GET /sync/changes, and the socket's own events
follow it. Each event reaches the callback once, in increasing `seq` (gaps are normal: a role
does not see everything). Notices about the server itself (`respaldo_progreso`, `respaldo_creado`...)
have `seq` null and go to `on_notice` instead, as they come, never replayed. `base_restaurada`
means the owner restored a backup: whatever the application cached is stale, pull it all again.
The catch-up goes over HTTP (paged, resumable, through the client's transport with its retries)
rather than the socket's `?since=`, so a long absence does not hold the socket's first frames back.

A lost connection is retried after 0.25 s, the wait doubling up to 5 s while attempts fail. A
close with code 4401 (the token expired or its session was closed) stops it at `no_autorizado`
until a new sign-in resumes it.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

import websocket

from .errors import ServitecError
from .transport import BACKOFF_SECONDS, MAX_BACKOFF_SECONDS, Pinned, Transport

log = logging.getLogger(__name__)

PING_SECONDS = 15.0  # a socket silent this long is pinged; silent twice as long, it is dropped
CLOSE_UNAUTHORIZED = 4401
CATCH_UP_PAGE = 500
EVENT_KEYS = ("event", "data", "seq", "ts")

# RealtimeListener.status values (also passed to on_status)
DETENIDO = "detenido"
CONECTANDO = "conectando"
CONECTADO = "conectado"
NO_AUTORIZADO = "no_autorizado"

RealtimeEvent = dict[str, Any]


def close_reason(data: bytes) -> tuple[int | None, str]:
    """The code and reason of a WebSocket close frame's payload."""
    if len(data) < 2:
        return None, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")


def ws_address(http_url: str, query: dict[str, Any]) -> str:
    """The appliance's /ws address (ws:// or wss://, as its http:// or https://) with `query`."""
    return "ws" + http_url[len("http") :] + "/ws" + ("?" + urlencode(query) if query else "")


def ssl_options(verify: str | bool | Pinned | None) -> dict[str, Any] | None:
    """websocket-client's sslopt for the transport's `verify`: its PEM file, no check, or the system's.

    A Pinned certificate is not checked by the handshake but right after it (check_pinned).
    """
    if isinstance(verify, str):
        return {"ca_certs": verify}
    if verify is False or isinstance(verify, Pinned):
        return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    return None


def check_pinned(ws: websocket.WebSocket, verify: str | bool | Pinned | None) -> None:
    """After connecting: refuse a socket whose certificate is not the pinned one (nothing was sent yet)."""
    if not isinstance(verify, Pinned) or not isinstance(ws.sock, ssl.SSLSocket):
        return
    if not verify.matches(ws.sock.getpeercert(binary_form=True)):
        ws.shutdown()
        raise websocket.WebSocketException(
            "El certificado del servidor no es el que este equipo conoce; no se envió nada."
        )


class RealtimeListener:
    """The live events of the transport's appliance, as its signed-in user may see them.

    `status` and `message` follow the connection (the message is the server's reason when it is
    `no_autorizado`); `last_seq` is the change seq delivered so far.
    """

    def __init__(self, http: Transport):
        self.status = DETENIDO
        self.message: str | None = None
        self.last_seq: int | None = None
        self._http = http
        self._callback: Callable[[RealtimeEvent], None] | None = None
        self._on_status: Callable[[str, str | None], None] | None = None
        self._on_notice: Callable[[RealtimeEvent], None] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._deliver_lock = threading.Lock()
        self._ws: websocket.WebSocket | None = None

    def start(
        self,
        callback: Callable[[RealtimeEvent], None],
        since: int | None = None,
        on_status: Callable[[str, str | None], None] | None = None,
        on_notice: Callable[[RealtimeEvent], None] | None = None,
    ) -> None:
        """Listen on a new thread (after stopping any earlier one); `since` replaces `last_seq`."""
        self.stop()
        if since is not None:
            self.last_seq = since
        self._callback, self._on_status, self._on_notice = callback, on_status, on_notice
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._listen_forever, args=(self._stop,), name="servitec-realtime", daemon=True
        )
        self._thread.start()

    def resume(self) -> None:
        """After a new sign-in: listen again with the same callbacks if it was on (or refused the old token)."""
        if self._thread is not None:
            self.start(self._callback, on_status=self._on_status, on_notice=self._on_notice)

    def stop(self) -> None:
        """Stop listening; returns within about 2 s."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        ws = self._ws
        if ws is not None:
            sock = ws.sock
            with suppress(OSError, websocket.WebSocketException):
                ws.send_close()
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the thread's blocked read
        if thread is not threading.current_thread():  # a callback may call close()
            thread.join(2.0)
        self._set_status(DETENIDO)

    def _set_status(self, status: str, message: str | None = None) -> None:
        if (status, message) == (self.status, self.message):
            return
        self.status, self.message = status, message
        if self._on_status is not None:
            try:
                self._on_status(status, message)
            except Exception:
                log.exception("Error en on_status(%r)", status)

    def _listen_forever(self, stop: threading.Event) -> None:
        delay = BACKOFF_SECONDS
        try:
            with self._http.own_session():  # the catch-up's requests, apart from the caller's thread
                while not stop.is_set():
                    self._set_status(CONECTANDO)
                    connected, code, reason = self._listen_once(self._http.token, stop)
                    if stop.is_set():
                        return
                    if code == CLOSE_UNAUTHORIZED:
                        log.warning("El servidor cerró el tiempo real: %s", reason)
                        self._set_status(NO_AUTORIZADO, reason)
                        return
                    delay = BACKOFF_SECONDS if connected else min(delay * 2, MAX_BACKOFF_SECONDS)
                    log.info("Tiempo real desconectado (%s %s); reintento en %.2f s", code, reason, delay)
                    stop.wait(delay)
        finally:
            if self.status != NO_AUTORIZADO:
                self._set_status(DETENIDO)

    def _listen_once(self, token: str | None, stop: threading.Event) -> tuple[bool, int | None, str]:
        """One connection: returns whether it got as far as `conectado`, and the close code and reason."""
        ws = websocket.WebSocket(sslopt=ssl_options(self._http.verify))
        self._ws = ws
        connected = False
        try:
            ws.connect(ws_address(self._http.url, {"token": token}), timeout=self._http.timeout)
            check_pinned(ws, self._http.verify)
            ws.settimeout(PING_SECONDS)
            pinged = False
            while not stop.is_set():
                try:
                    opcode, frame = ws.recv_data_frame(True)
                except websocket.WebSocketTimeoutException:
                    if pinged:
                        return connected, None, "el servidor dejó de responder"
                    ws.ping()
                    pinged = True
                    continue
                pinged = False
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    return (connected, *close_reason(frame.data))
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue
                message = json.loads(frame.data)
                if message["event"] == "conectado":
                    self._catch_up(message["seq"], stop)
                    connected = True
                    self._set_status(CONECTADO)
                elif message["seq"] is None:
                    self._notice(message, stop)
                else:
                    self._deliver(message, stop)
            return connected, None, "detenido"
        except (OSError, ValueError, KeyError, TypeError, websocket.WebSocketException, ServitecError) as exc:
            return connected, None, str(exc) or type(exc).__name__
        finally:
            if self._ws is ws:
                self._ws = None
            ws.shutdown()

    def _catch_up(self, until: int, stop: threading.Event) -> None:
        """Deliver the changes missed up to `until` (the `conectado` seq); the socket sends what follows."""
        if self.last_seq is None:
            self.last_seq = until
        elif self.last_seq > until:
            log.warning(
                "El servidor va en el cambio %s y este cliente ya había visto el %s (¿otra base de "
                "datos?); se sigue desde el del servidor.",
                until,
                self.last_seq,
            )
            self.last_seq = until
        while self.last_seq < until:
            page = self._http.request("GET", "/sync/changes", params={"since": self.last_seq, "limit": CATCH_UP_PAGE})
            for item in page["items"]:
                if item["seq"] <= until:
                    self._deliver({key: item[key] for key in EVENT_KEYS}, stop)
            self.last_seq = max(self.last_seq, min(page["last_seq"], until))
            if not page["has_more"]:
                break
        self.last_seq = max(self.last_seq, until)

    def _notice(self, notice: RealtimeEvent, stop: threading.Event) -> None:
        if self._on_notice is None or stop.is_set():
            return
        try:
            self._on_notice(notice)
        except Exception:
            log.exception("Error en el callback de avisos (aviso %s)", notice["event"])

    def _deliver(self, event: RealtimeEvent, stop: threading.Event) -> None:
        # One delivery at a time, never from a listener already told to stop (one that outlived
        # stop()'s wait must not race the next listener).
        with self._deliver_lock:
            if stop.is_set() or event["seq"] <= self.last_seq:
                return
            self.last_seq = event["seq"]
            try:
                self._callback(event)
            except Exception:
                log.exception("Error en el callback de tiempo real (evento %s, seq %s)", event["event"], event["seq"])
