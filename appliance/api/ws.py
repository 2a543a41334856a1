"""/ws: the WebSocket every counter keeps open (flask-sock on gevent).

Authentication: the token goes in the query string (`/ws?token=...`, because
a browser's WebSocket cannot set headers), in an `Authorization: Bearer`
header, or as the first message `{"token": "..."}` within AUTH_WAIT seconds.
A missing, wrong, expired or revoked token closes the socket with code 4401
and a Spanish reason. When the owner changes an account (revocation, new
password, new role) that user's open sockets are checked at once (Hub.recheck);
an expired token is noticed within RECHECK_SECONDS.

After `conectado` (whose `seq` is the last change committed) the socket
receives every later change its role may see, in commit order. To resume
after a disconnection, connect with `?since=N` (the last seq processed): what
came after N is sent first, then the live events, each exactly once and in
order. `{"since": N}` sent later asks for a replay: what came after N is sent
again, then the live events continue without a gap. A client too slow to keep
up is closed with 4408 and resumes with `since`. `seq` is the
shop-wide change sequence, so a role that may not see some entities (ventas
for a technician) sees gaps in it.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import gevent
import orjson
from flask import Flask, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from .. import realtime
from ..shop import clock
from ..shop.errors import Unauthorized
from .context import db, state
from .gate import authenticate, bearer_token, public

log = logging.getLogger(__name__)

AUTH_WAIT = 5
RECHECK_SECONDS = 30
CLOSE_UNAUTHORIZED = 4401  # application range (4000-4999), mirrors HTTP 401
CLOSE_TOO_SLOW = 4408
MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 125 bytes with its code

sock = Sock()


def register_ws(app: Flask, ping_interval: int) -> None:
    # Pings keep an idle socket inside IDLE_TIMEOUT (gevent would drop it) and detect dead peers.
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": ping_interval, "max_message_size": 64 * 1024}
    sock.init_app(app)


def _close(ws, code: int, message: str) -> None:
    try:
        ws.close(reason=code, message=message.encode()[:MAX_REASON_BYTES].decode(errors="ignore"))
    except ConnectionClosed:
        pass  # already closing (the peer left, or another greenlet closed it)


def _signed_in(ws, token: str | None) -> dict[str, Any] | None:
    """The user `token` speaks for, or None after closing the socket with the reason."""
    try:
        return authenticate(token)
    except Unauthorized as exc:
        _close(ws, CLOSE_UNAUTHORIZED, exc.message)
        return None


def _parse(raw: Any) -> dict[str, Any] | None:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


def _token_from_first_message(ws) -> str | None:
    message = _parse(ws.receive(timeout=AUTH_WAIT) or b"")
    token = message and message.get("token")
    return token if isinstance(token, str) else None


def _read_requests(ws, subscriber: realtime.Subscriber) -> None:
    """The socket's reading side: turn `{"since": N}` into a request for its sending side."""
    try:
        while True:
            message = _parse(ws.receive())
            since = message and message.get("since")
            if isinstance(since, int) and not isinstance(since, bool) and since >= 0:
                subscriber.offer(("since", since))
    except ConnectionClosed:
        pass
    finally:
        subscriber.offer(("closed", None))


@sock.route("/ws")
@public  # the handshake is open; the socket itself authenticates (see module doc)
def ws_route(ws) -> None:
    usuario, subscriber, reader = None, None, None
    hub = state().hub
    database = db()
    try:
        token = request.args.get("token") or bearer_token() or _token_from_first_message(ws)
        usuario = _signed_in(ws, token)
        if usuario is None:
            return
        subscriber, sent = hub.subscribe(usuario["rol"], usuario["id"])
        ws.send(
            realtime.frame(
                {"event": "conectado", "seq": sent, "ts": clock.now_iso()},
                {"usuario": usuario["username"], "rol": usuario["rol"]},
            )
        )
        since = request.args.get("since", "")
        if since.isdigit() and len(since) < 19:
            # Before any live event: what was missed, then the queue (which starts after `sent`).
            realtime.catch_up(database, usuario["rol"], int(since), sent, ws.send)
        reader = gevent.spawn(_read_requests, ws, subscriber)
        checked = time.monotonic()
        while True:
            item = subscriber.next(timeout=RECHECK_SECONDS)
            kind, value = item or (None, None)
            if kind == "recheck" or time.monotonic() - checked >= RECHECK_SECONDS:
                if _signed_in(ws, token) is None:  # revoked or expired meanwhile: closed with the reason
                    return
                checked = time.monotonic()
            if kind is None or kind == "recheck":
                continue
            if kind == "closed":
                return
            if kind == "overflow":
                _close(
                    ws,
                    CLOSE_TOO_SLOW,
                    f"Conexión demasiado lenta. Vuelve a conectar y envía "
                    f'{{"since": {sent}}} para recibir lo pendiente.',
                )
                return
            if kind == "notice":
                ws.send(value)
            elif kind == "since":
                sent = max(value, realtime.catch_up(database, usuario["rol"], value, hub.published, ws.send))
            elif kind > sent:  # an event; one already sent by a catch-up is skipped
                ws.send(value)
                sent = kind
    except ConnectionClosed:
        pass
    finally:
        if subscriber is not None:
            hub.unsubscribe(subscriber)
        if reader is not None:
            reader.kill(block=False)
        _finish(ws)


def _finish(ws) -> None:
    """End the connection and wait for simple-websocket's reader before pywsgi closes the socket.

    Under TLS the socket cannot be dup()ed, so the reader and pywsgi share one
    file descriptor: if pywsgi closed it while the reader still waited on it,
    libev would abort the whole process. Shutting the connection down wakes the
    reader at once (the close frame, if any, was sent before).
    """
    try:
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the reader already closed it
    ws.thread.join()
