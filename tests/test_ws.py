"""/ws: only signed-in users keep a socket open; refusals say why."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
import websocket

from appliance.security import tokens
from appliance.shop import clock

CLOSE_UNAUTHORIZED = 4401


def _ws_url(server, query=""):
    return server.url.replace("http", "ws", 1) + "/ws" + query


def _connect(server, query="", **kwargs):
    sslopt = {"ca_certs": server.verify} if server.verify else None
    return websocket.create_connection(_ws_url(server, query), timeout=10, sslopt=sslopt, **kwargs)


def _close_frame(ws) -> tuple[int, str]:
    opcode, frame = ws.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, frame.data)
    return int.from_bytes(frame.data[:2], "big"), frame.data[2:].decode()


def test_a_valid_token_opens_the_socket(server):
    for kwargs in ({"query": f"?token={server.token}"}, {"header": [f"Authorization: Bearer {server.token}"]}):
        ws = _connect(server, **kwargs)
        hello = json.loads(ws.recv())
        assert hello["event"] == "conectado" and hello["data"] == {"usuario": "dueno", "rol": "dueno"}
        assert isinstance(hello["seq"], int) and hello["ts"].endswith("Z")
        ws.close()


def test_token_in_the_first_message(server):
    ws = _connect(server)
    ws.send(json.dumps({"token": server.token}))
    assert json.loads(ws.recv())["event"] == "conectado"
    ws.close()


@pytest.mark.parametrize(
    "query,reason",
    [
        ("?token=no-es-un-token", "Token no válido"),
        ("", "falta el token"),
    ],
)
@pytest.mark.slow
def test_missing_or_wrong_token_closes_with_the_reason(server, query, reason):
    ws = _connect(server, query)
    started = time.monotonic()
    code, message = _close_frame(ws)
    assert code == CLOSE_UNAUTHORIZED and reason in message
    assert time.monotonic() - started < 8  # a silent client is given up on after a few seconds
    ws.close()


def test_expired_token_closes_with_the_reason(server, api):
    usuario = api.ok("GET", "/usuarios/me")
    expired = tokens.issue_token(
        usuario,
        tokens.load_or_create_secret(server.data_dir),
        dt.timedelta(hours=12),
        now=clock.now() - dt.timedelta(hours=13),
    )
    code, message = _close_frame(_connect(server, f"?token={expired}"))
    assert code == CLOSE_UNAUTHORIZED and "expiró" in message


def test_clean_close_frees_the_connection_at_once(server):
    ws = _connect(server, f"?token={server.token}")
    ws.recv()
    started = time.monotonic()
    ws.close()
    assert time.monotonic() - started < 1


def test_revoking_a_user_closes_their_open_sockets_at_once(server, api):
    username = f"tecnico.{uuid.uuid4().hex[:6]}"
    usuario = api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": "Banco 1", "rol": "tecnico", "password": "clave-del-banco"},
    )
    token = server.login(username, "clave-del-banco")
    sockets = [_connect(server, f"?token={token}") for _ in range(2)]
    owner_socket = _connect(server, f"?token={server.token}")
    for ws in (*sockets, owner_socket):
        assert json.loads(ws.recv())["event"] == "conectado"
    started = time.monotonic()
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"cerrar_sesiones": True})
    for ws in sockets:
        code, message = _close_frame(ws)
        assert code == CLOSE_UNAUTHORIZED and "sesión se cerró" in message
    assert time.monotonic() - started < 2
    owner_socket.ping()  # the owner's socket is untouched
    assert owner_socket.connected
    owner_socket.close()
