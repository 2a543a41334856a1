"""/ws: the WebSocket every counter keeps open (flask-sock on gevent).

Authentication: the token goes in the query string (`/ws?token=...`, because
a browser's WebSocket cannot set headers), in an `Authorization: Bearer`
header, or as the first message `{"token": "..."}` within AUTH_WAIT seconds.
A missing, wrong, expired or revoked token closes the socket with code 4401
and a Spanish reason. When the owner changes an account (revocation, new
password, new role) that user's open sockets are checked at once; an expired
token is noticed within RECHECK_SECONDS.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import orjson
from flask import Flask, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from .. import clock, events
from ..errors import Unauthorized
from .context import db
from .security import authenticate, bearer_token, public

log = logging.getLogger(__name__)

AUTH_WAIT = 5
RECHECK_SECONDS = 30
CLOSE_UNAUTHORIZED = 4401  # application range (4000-4999), mirrors HTTP 401
MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 125 bytes with its code

sock = Sock()

# Open sockets per user id, with the token each signed in with (one process serves them all).
_open: dict[str, dict[Any, str]] = {}


def register_ws(app: Flask, ping_interval: int) -> None:
    # Pings keep an idle socket inside IDLE_TIMEOUT (gevent would drop it) and detect dead peers.
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": ping_interval, "max_message_size": 64 * 1024}
    sock.init_app(app)


def _reason(message: str) -> str:
    data = message.encode()[:MAX_REASON_BYTES]
    return data.decode(errors="ignore")


def _frame(event: str, data: dict[str, Any], seq: int) -> str:
    return orjson.dumps({"event": event, "data": data, "seq": seq, "ts": clock.now_iso()}).decode()


def _token_from_first_message(ws) -> str | None:
    raw = ws.receive(timeout=AUTH_WAIT)
    if raw is None:
        return None
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    token = message.get("token") if isinstance(message, dict) else None
    return token if isinstance(token, str) else None


def recheck_sessions(usuario_id: str) -> None:
    """Close `usuario_id`'s sockets whose token no longer holds (call after changing the account)."""
    for ws, token in list(_open.get(usuario_id, {}).items()):
        _signed_in(ws, token)


def _signed_in(ws, token: str | None) -> dict[str, Any] | None:
    """The user `token` speaks for, or None after closing the socket with the reason."""
    try:
        return authenticate(token)
    except Unauthorized as exc:
        try:
            ws.close(reason=CLOSE_UNAUTHORIZED, message=_reason(exc.message))
        except ConnectionClosed:
            pass  # already closing (the peer left, or another greenlet closed it)
        return None


@sock.route("/ws")
@public  # the handshake is open; the socket itself authenticates (see module doc)
def ws_route(ws) -> None:
    usuario = None
    try:
        token = request.args.get("token") or bearer_token() or _token_from_first_message(ws)
        usuario = _signed_in(ws, token)
        if usuario is None:
            return
        with db().read() as tx:
            seq = events.last_seq(tx)
        ws.send(_frame("conectado", {"usuario": usuario["username"], "rol": usuario["rol"]}, seq))
        _open.setdefault(usuario["id"], {})[ws] = token
        while _signed_in(ws, token) is not None:  # expired meanwhile: closed with the reason
            ws.receive(timeout=RECHECK_SECONDS)
    except ConnectionClosed:
        pass
    finally:
        if usuario is not None:
            sockets = _open.get(usuario["id"], {})
            sockets.pop(ws, None)
            if not sockets:
                _open.pop(usuario["id"], None)
        # gevent keeps the HTTP connection for another request after the handler
        # returns; the client would wait for its close timeout (~5 s). End it now.
        try:
            ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
