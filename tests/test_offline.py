"""The desktop client's offline work against a real appliance: replica, outbox, sync, Revisar.

The server is stopped for real (its process ends) and started again on the
same database and port; the client is webview_client.client.Client, the
Backend the window uses, driven with the very requests the UI sends.
"""

from __future__ import annotations

import time
import uuid

import pytest
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

from webview_client.client import Client
from webview_client.config import ClientConfig

SYNC_INTERVAL = 3.0


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Counter:
    """A counter PC: a Client and the requests its UI makes, with the token its sign-in got."""

    def __init__(self, folder, server: ServerProcess, username=OWNER, password=OWNER_PASSWORD):
        self.client = Client(folder, server.url, ClientConfig(timeout=2, sync_interval=SYNC_INTERVAL), server.verify)
        signed = self.call("POST", "/token", form={"username": username, "password": password})
        assert signed["status"] == 200, signed
        self.token = signed["body"]["access_token"]
        assert self.call("GET", "/usuarios/me")["status"] == 200
        wait_for(lambda: self.client.replica.filled, what="the first fill")

    def call(self, method, path, **req):
        return self.client.request({"method": method, "path": path, "token": getattr(self, "token", None), **req})

    def ok(self, method, path, status=200, **req):
        answered = self.call(method, path, **req)
        assert answered["status"] == status, (method, path, answered)
        return answered["body"]

    def settled(self):
        state = self.client.estado()
        return state["online"] and state["pendientes"] == 0 and state["progreso"] is None

    def close(self):
        self.client.close()


@pytest.fixture
def shop(tmp_path):
    proc = ServerProcess(tmp_path / "server").start()
    yield proc
    proc.stop()


def owner_ok(server, method, path, status=200, **kw):
    import requests

    response = requests.request(
        method,
        server.url + path,
        headers={"Authorization": f"Bearer {server.token}"},
        verify=server.verify,
        timeout=10,
        **kw,
    )
    assert response.status_code == status, (path, response.text)
    return response.json()


def test_a_counter_works_offline_and_the_server_gets_it_all(shop, tmp_path):
    producto = owner_ok(
        shop,
        "POST",
        "/inventario",
        201,
        json={
            "nombre": "Mica iPhone 13",
            "codigo": f"M{uuid.uuid4().hex[:6]}",
            "precio_venta": 150,
            "stock": 5,
            "stock_minimo": 2,
        },
    )
    cliente = owner_ok(shop, "POST", "/clientes", 201, json={"nombre": "Rosa Martínez", "telefono": "5512345678"})
    abierta = owner_ok(
        shop,
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga"},
    )
    counter = Counter(tmp_path / "pc1", shop)
    try:
        shop.stop()
        nuevo = counter.ok("POST", "/clientes", 201, json={"nombre": "Juan Pérez", "telefono": "5587654321"})
        orden = counter.ok(
            "POST",
            "/ordenes",
            201,
            json={"cliente_id": nuevo["id"], "equipo": "laptop", "falla_reportada": "Pantalla rota"},
        )
        assert orden["folio"] < 0, "an offline folio is provisional"
        venta = counter.ok(
            "POST",
            "/ventas",
            201,
            json={
                "items": [{"producto_id": producto["id"], "cantidad": 3}],
                "pagos": [{"metodo": "efectivo", "monto": 500}],
            },
        )
        assert venta["folio"] < 0
        counter.ok("PUT", f"/ordenes/{abierta['id']}/estado", json={"estado": "diagnostico", "nota": "Revisando"})
        counter.ok(
            "PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "merma", "cantidad": -1, "nota": "Se rompió"}
        )
        assert counter.ok("GET", f"/inventario/{producto['id']}")["stock"] == 1
        assert counter.ok("GET", "/clientes", query={"q": "Juan"})["items"][0]["id"] == nuevo["id"]
        assert counter.client.estado()["pendientes"] == 5
        assert not counter.client.estado()["online"]

        shop.start()
        wait_for(counter.settled, timeout=SYNC_INTERVAL + 10, what="the outbox to reach the server")

        assert owner_ok(shop, "GET", f"/clientes/{nuevo['id']}")["nombre"] == "Juan Pérez"
        real_orden = owner_ok(shop, "GET", f"/ordenes/{orden['id']}")
        real_venta = owner_ok(shop, "GET", f"/ventas/{venta['id']}")
        assert real_orden["folio"] > 0 and real_venta["folio"] > 0
        assert owner_ok(shop, "GET", f"/ordenes/{abierta['id']}")["estado"] == "diagnostico"
        assert owner_ok(shop, "GET", f"/inventario/{producto['id']}")["stock"] == 1
        # The replica now holds the server's version of each record.
        assert counter.ok("GET", f"/ordenes/{orden['id']}")["folio"] == real_orden["folio"]
        assert counter.ok("GET", f"/ventas/{venta['id']}")["folio"] == real_venta["folio"]
        with counter.client.replica.read() as tx:
            assert tx.value("SELECT stock FROM productos WHERE id = ?", (producto["id"],)) == 1
        assert {f["real"] for f in counter.client.estado()["folios"]} == {real_orden["folio"], real_venta["folio"]}
    finally:
        counter.close()
