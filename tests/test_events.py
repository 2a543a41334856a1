"""Realtime events on /ws: the spec's eight, after commit only, in order, as each role may see them."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import websocket
from conftest import Api
from helpers import assert_error, make_cliente, make_orden, make_producto, vender
from serverproc import OWNER

SPEC_EVENTS = {
    "cliente_creado",
    "cliente_actualizado",
    "cliente_eliminado",
    "orden_creada",
    "orden_actualizada",
    "producto_creado",
    "stock_actualizado",
    "venta_creada",
}


class Listener:
    """A signed-in /ws connection that collects frames."""

    def __init__(self, server, token):
        sslopt = {"ca_certs": server.verify} if server.verify else None
        self.ws = websocket.create_connection(
            server.url.replace("http", "ws", 1) + f"/ws?token={token}", timeout=10, sslopt=sslopt
        )
        self.hello = json.loads(self.ws.recv())
        assert self.hello["event"] == "conectado"

    def take(self, count: int, timeout: float = 5) -> list[dict]:
        """Up to `count` change events. Notices (seq null: an automatic backup may start at any
        time) are skipped; test_backup_api checks them."""
        frames, deadline = [], time.monotonic() + timeout
        while len(frames) < count and time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                frame = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if frame["seq"] is not None:
                frames.append(frame)
        return frames

    def quiet(self, seconds: float = 0.5) -> list[dict]:
        """Whatever arrives within `seconds` (expected: nothing)."""
        return self.take(1, timeout=seconds)

    def close(self):
        self.ws.close()


@pytest.fixture
def listener(fresh_server):
    opened = Listener(fresh_server, fresh_server.token)
    yield opened
    opened.close()


def test_the_spec_events_arrive_with_their_payloads_in_commit_order(fresh_server, fresh_api, listener):
    api = fresh_api
    cliente = make_cliente(api, nombre="Lucía Hernández")
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "555-0199"})
    orden = make_orden(api, cliente["id"], equipo="laptop")
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "Bisagra rota"})
    producto = make_producto(api, stock=2, precio=150, nombre="Cargador USB-C")
    venta = vender(api, producto["id"]).json()
    otro = make_cliente(api)
    api.ok("DELETE", f"/clientes/{otro['id']}")

    frames = listener.take(10)
    names = [f["event"] for f in frames]
    assert names == [
        "cliente_creado",
        "cliente_actualizado",
        "orden_creada",
        "orden_actualizada",
        "producto_creado",
        "stock_actualizado",
        "stock_actualizado",
        "venta_creada",
        "cliente_creado",
        "cliente_eliminado",
    ], names
    assert set(names) >= SPEC_EVENTS
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > listener.hello["seq"]
    assert all(set(f) == {"event", "data", "seq", "ts", "usuario"} and f["ts"].endswith("Z") for f in frames)
    assert {f["usuario"] for f in frames} == {OWNER}  # who made each change
    by = {f["event"]: f for f in frames}
    assert by["cliente_actualizado"]["data"]["telefono"] == "555-0199"
    assert by["orden_actualizada"]["data"]["diagnostico"] == "Bisagra rota"
    assert by["producto_creado"]["data"]["id"] == producto["id"]
    sold = [f["data"] for f in frames if f["event"] == "stock_actualizado"][-1]
    assert sold == {
        "id": producto["id"],
        "nombre": "Cargador USB-C",
        "stock": 1,
        "delta": -1,
        "motivo": "venta",
        "referencia": venta["id"],
    }
    assert by["venta_creada"]["data"]["id"] == venta["id"] and by["venta_creada"]["data"]["total"] == 150
    assert by["cliente_eliminado"]["data"] == {"id": otro["id"], "version": otro["version"] + 1}


def test_a_refused_write_emits_nothing(fresh_api, listener):
    producto = make_producto(fresh_api, stock=1)
    assert [f["event"] for f in listener.take(2)] == ["producto_creado", "stock_actualizado"]
    assert_error(vender(fresh_api, producto["id"], cantidad=2), 409, "stock_insuficiente")
    assert_error(fresh_api.put(f"/inventario/{producto['id']}", json={"precio_venta": -1}), 422)
    assert listener.quiet() == []
    make_cliente(fresh_api)
    assert [f["event"] for f in listener.take(1)] == ["cliente_creado"]


def test_since_replays_what_a_client_missed_then_continues_live(fresh_server, fresh_api):
    first = Listener(fresh_server, fresh_server.token)
    made = [make_cliente(fresh_api) for _ in range(3)]
    seen = first.take(3)
    first.close()
    missed = [make_cliente(fresh_api) for _ in range(2)]  # while nobody listens
    second = Listener(fresh_server, fresh_server.token)
    assert second.hello["seq"] == seen[-1]["seq"] + 2
    second.ws.send(json.dumps({"since": seen[-1]["seq"]}))
    live = make_cliente(fresh_api)
    frames = second.take(3)
    assert [f["data"]["id"] for f in frames] == [missed[0]["id"], missed[1]["id"], live["id"]]
    assert second.quiet() == []  # nothing twice
    second.ws.send(json.dumps({"since": 0}))
    replay = second.take(6)
    assert [f["data"]["id"] for f in replay] == [c["id"] for c in (*made, *missed, live)]
    second.close()


def test_each_role_sees_what_it_may_read(fresh_server, fresh_api):
    tecnico = f"tecnico.{uuid.uuid4().hex[:6]}"
    fresh_api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": tecnico, "nombre": "Banco", "rol": "tecnico", "password": "clave-del-banco"},
    )
    mostrador = f"mostrador.{uuid.uuid4().hex[:6]}"
    fresh_api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": mostrador, "nombre": "Caja", "rol": "mostrador", "password": "clave-de-caja"},
    )
    bench = Listener(fresh_server, fresh_server.login(tecnico, "clave-del-banco"))
    counter_token = fresh_server.login(mostrador, "clave-de-caja")
    counter = Listener(fresh_server, counter_token)
    producto = make_producto(fresh_api, stock=5)
    cliente = make_cliente(fresh_api)
    make_orden(Api(fresh_server.url, counter_token, fresh_server.verify), cliente["id"], contrasena="PIN 2468")
    vender(fresh_api, producto["id"])
    bench_events = bench.take(6, timeout=2)
    counter_events = counter.take(7, timeout=2)
    # A technician sees no sales; the counter does.
    assert "venta_creada" not in [f["event"] for f in bench_events]
    assert "venta_creada" in [f["event"] for f in counter_events]
    # The device passcode reaches the bench, not the counter.
    assert [f["data"]["contrasena"] for f in bench_events if f["event"] == "orden_creada"] == ["PIN 2468"]
    assert [f["data"]["contrasena"] for f in counter_events if f["event"] == "orden_creada"] == [None]
    bench.close()
    counter.close()


def test_each_role_is_sent_only_the_next_states_it_may_choose(fresh_server, fresh_api):
    listeners = {"dueno": Listener(fresh_server, fresh_server.token)}
    for rol in ("tecnico", "mostrador"):
        username = f"{rol}.{uuid.uuid4().hex[:6]}"
        fresh_api.ok(
            "POST",
            "/usuarios",
            201,
            json={"username": username, "nombre": rol, "rol": rol, "password": f"clave-de-{rol}"},
        )
        listeners[rol] = Listener(fresh_server, fresh_server.login(username, f"clave-de-{rol}"))
    orden = make_orden(fresh_api, make_cliente(fresh_api)["id"])
    fresh_api.ok("PUT", f"/ordenes/{orden['id']}/estado", json={"estado": "diagnostico"})
    shown = {
        "dueno": [["diagnostico", "cancelado"], ["esperando_aprobacion", "cancelado"]],
        "tecnico": [["diagnostico"], ["esperando_aprobacion"]],
        "mostrador": [["cancelado"], ["cancelado"]],
    }
    for rol, listener in listeners.items():
        frames = [f for f in listener.take(3) if f["event"] in ("orden_creada", "orden_actualizada")]
        assert [f["data"]["siguientes_estados"] for f in frames] == shown[rol], rol
    # A technician catching up on what it missed gets the same data as live.
    bench = listeners["tecnico"]
    bench.ws.send(json.dumps({"since": bench.hello["seq"]}))
    replayed = [f for f in bench.take(3) if f["event"] in ("orden_creada", "orden_actualizada")]
    assert [f["data"]["siguientes_estados"] for f in replayed] == shown["tecnico"]
    for listener in listeners.values():
        listener.close()


def test_a_dead_client_does_not_hold_up_the_others(fresh_server, fresh_api):
    stalled = Listener(fresh_server, fresh_server.token)  # never reads again
    healthy = Listener(fresh_server, fresh_server.token)
    started = time.monotonic()
    for _ in range(30):
        make_cliente(fresh_api)
    assert len(healthy.take(30)) == 30
    assert time.monotonic() - started < 10
    stalled.ws.sock.close()  # the connection vanishes without a close frame
    make_cliente(fresh_api)
    assert [f["event"] for f in healthy.take(1)] == ["cliente_creado"]
    healthy.close()


def test_since_in_the_address_resumes_exactly_once_in_order(fresh_server, fresh_api):
    first = Listener(fresh_server, fresh_server.token)
    make_cliente(fresh_api)
    last_seen = first.take(1)[0]["seq"]
    first.close()
    missed = [make_cliente(fresh_api)["id"] for _ in range(3)]
    sslopt = {"ca_certs": fresh_server.verify} if fresh_server.verify else None
    ws = websocket.create_connection(
        fresh_server.url.replace("http", "ws", 1) + f"/ws?token={fresh_server.token}&since={last_seen}",
        timeout=10,
        sslopt=sslopt,
    )
    assert json.loads(ws.recv())["event"] == "conectado"
    live = make_cliente(fresh_api)["id"]
    frames = []
    while len(frames) < 4:
        frame = json.loads(ws.recv())
        if frame["seq"] is not None:  # not a notice
            frames.append(frame)
    assert [f["data"]["id"] for f in frames] == [*missed, live]
    assert [f["seq"] for f in frames] == list(range(last_seen + 1, last_seen + 5))
    ws.close()


def test_the_first_subscriber_gets_the_latest_seq(fresh_server, fresh_api):
    made = make_cliente(fresh_api)  # committed before anyone listens
    listener = Listener(fresh_server, fresh_server.token)
    changes = fresh_api.ok("GET", "/sync/changes", params={"since": 0})
    assert listener.hello["seq"] == changes["last_seq"] and changes["items"][-1]["id"] == made["id"]
    assert listener.quiet() == []
    listener.close()
