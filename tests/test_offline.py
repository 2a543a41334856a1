"""The desktop client's offline work against a real appliance: replica, outbox, sync, Revisar.

The server is stopped for real (its process ends) and started again on the
same database and port; the client is webview_client.client.Client, the
Backend the window uses, driven with the very requests the UI sends.
"""

from __future__ import annotations

import hashlib
import ssl
import uuid

import pytest
from counter import SYNC_INTERVAL, Counter, owner_ok, wait_for
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

from webview_client.client import Client
from webview_client.config import ClientConfig, save_last_server
from webview_client.locations import config_path
from webview_client.replica import PROVISIONAL_FOLIO
from webview_client.transport import Pinned


@pytest.fixture
def appliance(tmp_path):
    proc = ServerProcess(tmp_path / "server").start()
    yield proc
    proc.stop()


def test_a_counter_works_offline_and_the_server_gets_it_all(appliance, tmp_path):
    producto = owner_ok(
        appliance,
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
    cliente = owner_ok(appliance, "POST", "/clientes", 201, json={"nombre": "Rosa Martínez", "telefono": "5512345678"})
    abierta = owner_ok(
        appliance,
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga"},
    )
    counter = Counter(tmp_path / "pc1", appliance)
    try:
        appliance.stop()
        nuevo = counter.ok("POST", "/clientes", 201, json={"nombre": "Juan Pérez", "telefono": "5587654321"})
        orden = counter.ok(
            "POST",
            "/ordenes",
            201,
            json={"cliente_id": nuevo["id"], "equipo": "laptop", "falla_reportada": "Pantalla rota"},
        )
        assert orden["folio"] > PROVISIONAL_FOLIO, "an offline folio is provisional"
        venta = counter.sell(producto, 3, 500)
        assert venta["folio"] > PROVISIONAL_FOLIO
        counter.ok("PUT", f"/ordenes/{abierta['id']}/estado", json={"estado": "diagnostico", "nota": "Revisando"})
        counter.ok(
            "PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "merma", "cantidad": -1, "nota": "Se rompió"}
        )
        assert counter.ok("GET", f"/inventario/{producto['id']}")["stock"] == 1
        assert counter.ok("GET", "/clientes", query={"q": "Juan"})["items"][0]["id"] == nuevo["id"]
        assert counter.client.estado()["pendientes"] == 5
        assert not counter.client.estado()["online"]

        appliance.start()
        wait_for(counter.settled, timeout=SYNC_INTERVAL + 10, what="the outbox to reach the server")

        assert owner_ok(appliance, "GET", f"/clientes/{nuevo['id']}")["nombre"] == "Juan Pérez"
        real_orden = owner_ok(appliance, "GET", f"/ordenes/{orden['id']}")
        real_venta = owner_ok(appliance, "GET", f"/ventas/{venta['id']}")
        assert 0 < real_orden["folio"] < PROVISIONAL_FOLIO and 0 < real_venta["folio"] < PROVISIONAL_FOLIO
        assert owner_ok(appliance, "GET", f"/ordenes/{abierta['id']}")["estado"] == "diagnostico"
        assert owner_ok(appliance, "GET", f"/inventario/{producto['id']}")["stock"] == 1
        # The replica now holds the server's version of each record.
        assert counter.ok("GET", f"/ordenes/{orden['id']}")["folio"] == real_orden["folio"]
        assert counter.ok("GET", f"/ventas/{venta['id']}")["folio"] == real_venta["folio"]
        with counter.client.replica.read() as tx:
            assert tx.value("SELECT stock FROM productos WHERE id = ?", (producto["id"],)) == 1
        assert {f["real"] for f in counter.client.estado()["folios"]} == {real_orden["folio"], real_venta["folio"]}
    finally:
        counter.close()


def test_two_offline_counters_selling_the_same_product_both_count(appliance, tmp_path):
    producto = owner_ok(
        appliance,
        "POST",
        "/inventario",
        201,
        json={"nombre": "Cargador USB-C", "precio_venta": 200, "stock": 5, "stock_minimo": 2},
    )
    uno, dos = Counter(tmp_path / "pc1", appliance), Counter(tmp_path / "pc2", appliance)
    try:
        appliance.stop()
        for counter in (uno, dos):
            counter.sell(producto, 3, 600)
            assert counter.ok("GET", f"/inventario/{producto['id']}")["stock"] == 2
        appliance.start()
        for counter in (uno, dos):
            wait_for(counter.settled, timeout=SYNC_INTERVAL + 10, what="both outboxes")
        server_side = owner_ok(appliance, "GET", f"/inventario/{producto['id']}")
        assert server_side["stock"] == -1
        bajo = owner_ok(appliance, "GET", "/inventario", params={"bajo_stock": "true", "limit": 500})["items"]
        assert producto["id"] in {p["id"] for p in bajo}
        ventas = owner_ok(appliance, "GET", "/ventas", params={"limit": 500})["items"]
        assert (
            sum(
                1
                for v in ventas
                for i in owner_ok(appliance, "GET", f"/ventas/{v['id']}")["items"]
                if i["producto_id"] == producto["id"]
            )
            == 2
        )
        # The second counter's pull brings the first one's sale: both show -1.
        uno.client.sync_now()
        for counter in (uno, dos):
            assert counter.ok("GET", f"/inventario/{producto['id']}")["stock"] == -1
    finally:
        uno.close()
        dos.close()


def test_an_outbox_sent_twice_applies_once(appliance, tmp_path):
    producto = owner_ok(
        appliance, "POST", "/inventario", 201, json={"nombre": "Funda", "precio_venta": 100, "stock": 10}
    )
    counter = Counter(tmp_path / "pc", appliance)
    try:
        appliance.stop()
        counter.sell(producto, 2, 200)
        ops = counter.client.replica.outbox()
        appliance.start()
        # The answer to this push is "lost": the client never settles it and sends the same op_ids again.
        first = counter.client.api.enviar_operaciones(
            counter.client.replica.get("device_id"), [{k: op[k] for k in ("op_id", "tipo", "datos")} for op in ops]
        )
        assert [r["resultado"] for r in first["results"]] == ["applied"]
        wait_for(counter.settled, timeout=SYNC_INTERVAL + 10, what="the retry")
        assert owner_ok(appliance, "GET", f"/inventario/{producto['id']}")["stock"] == 8
        assert counter.ok("GET", f"/inventario/{producto['id']}")["stock"] == 8
        assert counter.client.estado()["revisar"] == 0
    finally:
        counter.close()


def test_a_conflict_goes_to_revisar_and_each_choice_does_what_it_says(appliance, tmp_path):
    clientes = [
        owner_ok(appliance, "POST", "/clientes", 201, json={"nombre": f"Cliente {n}", "telefono": "5511112222"})
        for n in range(2)
    ]
    counter = Counter(tmp_path / "pc", appliance)
    try:
        appliance.stop()
        for cliente in clientes:
            counter.ok(
                "PUT",
                f"/clientes/{cliente['id']}",
                json={"notas": "Cambio en mostrador", "version": cliente["version"]},
            )
        appliance.start()
        for cliente in clientes:  # meanwhile someone changed both on the server
            owner_ok(appliance, "PUT", f"/clientes/{cliente['id']}", json={"notas": "Cambio en el servidor"})
        wait_for(lambda: counter.client.estado()["revisar"] == 2, timeout=SYNC_INTERVAL + 10, what="two conflicts")
        items = counter.client.revisar()
        assert {i["resultado"] for i in items} == {"conflict"}
        assert all(i["mio"] == {"notas": "Cambio en mostrador"} for i in items)
        assert all(i["servidor"]["notas"] == "Cambio en el servidor" for i in items)
        mine, theirs = sorted(items, key=lambda i: i["servidor"]["nombre"])
        assert counter.client.resolver(mine["id"], "mio")["ok"]
        assert counter.client.resolver(theirs["id"], "servidor")["ok"]
        wait_for(counter.settled, timeout=SYNC_INTERVAL + 10, what="the resent change")
        assert owner_ok(appliance, "GET", f"/clientes/{clientes[0]['id']}")["notas"] == "Cambio en mostrador"
        assert owner_ok(appliance, "GET", f"/clientes/{clientes[1]['id']}")["notas"] == "Cambio en el servidor"
        assert counter.ok("GET", f"/clientes/{clientes[1]['id']}")["notas"] == "Cambio en el servidor"
        assert counter.client.estado()["revisar"] == 0
    finally:
        counter.close()


def test_a_refused_op_goes_to_revisar_and_its_provisional_record_goes_away(appliance, tmp_path):
    cliente = owner_ok(appliance, "POST", "/clientes", 201, json={"nombre": "Se borrará", "telefono": "5511112222"})
    counter = Counter(tmp_path / "pc", appliance)
    try:
        appliance.stop()
        orden = counter.ok(
            "POST",
            "/ordenes",
            201,
            json={"cliente_id": cliente["id"], "equipo": "consola", "falla_reportada": "No enciende"},
        )
        appliance.start()
        owner_ok(appliance, "DELETE", f"/clientes/{cliente['id']}")
        wait_for(lambda: counter.client.estado()["revisar"] == 1, timeout=SYNC_INTERVAL + 10, what="the refusal")
        # The refusal is recorded as the push answers; the provisional record goes with the pull after it.
        wait_for(lambda: counter.client.revisar()[0]["servidor"] is None, timeout=SYNC_INTERVAL + 10, what="the pull")
        [item] = counter.client.revisar()
        assert item["resultado"] == "rejected" and item["error"].startswith("No existe el cliente")
        assert item["mio"]["falla_reportada"] == "No enciende" and item["servidor"] is None
        assert "Revisar" in counter.client.estado()["aviso"]
        assert counter.call("GET", f"/ordenes/{orden['id']}")["status"] == 404
    finally:
        counter.close()


def test_a_client_restarted_offline_keeps_its_outbox_and_an_expired_session_keeps_the_work(appliance, tmp_path):
    producto = owner_ok(
        appliance, "POST", "/inventario", 201, json={"nombre": "Batería", "precio_venta": 500, "stock": 4}
    )
    counter = Counter(tmp_path / "pc", appliance)
    appliance.stop()
    counter.sell(producto, 1, 500)
    counter.close()
    again = Client(
        tmp_path / "pc", appliance.url, ClientConfig(timeout=2, sync_interval=SYNC_INTERVAL), appliance.verify
    )
    try:
        assert again.estado()["pendientes"] == 1
        # A new window has no session: signing in needs the server, and nothing is lost meanwhile.
        refused = again.request(
            {"method": "POST", "path": "/token", "form": {"username": OWNER, "password": OWNER_PASSWORD}}
        )
        assert refused["status"] == 503 and "servidor" in refused["body"]["error"]["message"]
        expired = again.request({"method": "GET", "path": "/clientes", "token": counter.token})
        assert expired["status"] == 401 and "sigue guardado" in expired["body"]["error"]["message"]
        appliance.start()
        signed = again.request(
            {"method": "POST", "path": "/token", "form": {"username": OWNER, "password": OWNER_PASSWORD}}
        )
        assert signed["status"] == 200
        wait_for(lambda: again.estado()["pendientes"] == 0, timeout=SYNC_INTERVAL + 10, what="the queued sale")
        assert owner_ok(appliance, "GET", f"/inventario/{producto['id']}")["stock"] == 3
    finally:
        again.close()


def test_a_self_signed_server_is_trusted_by_the_fingerprint_pinned_at_pairing_and_no_other(tmp_path):
    from appliance.security.certs import generate

    cert = generate(tmp_path / "cert", days=1)
    fp = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.cert_path.read_text())).hexdigest()
    server = ServerProcess(tmp_path / "server", SSL_CERT=str(cert.cert_path), SSL_KEY=str(cert.key_path)).start()
    folder = tmp_path / "pc"
    folder.mkdir()
    try:
        # What pairing saved: the address and the certificate's fingerprint (no authority vouches for it).
        save_last_server(config_path(folder), {"url": server.url, "server_id": "x", "fp": fp})
        paired = Client(folder, server.url, ClientConfig(timeout=2))
        try:
            signed = paired.request(
                {"method": "POST", "path": "/token", "form": {"username": OWNER, "password": OWNER_PASSWORD}}
            )
            assert signed["status"] == 200
            token = signed["body"]["access_token"]
            assert paired.request({"method": "GET", "path": "/usuarios/me", "token": token})["status"] == 200
            wait_for(lambda: paired.api.realtime_status == "conectado", what="live events over the pinned socket")
            wait_for(lambda: paired.replica.filled, what="the first fill over the pinned connection")
        finally:
            paired.close()
        stranger = Client(tmp_path / "other", server.url, ClientConfig(timeout=2), verify=Pinned("AB:" * 31 + "AB"))
        try:
            refused = stranger.request(
                {"method": "POST", "path": "/token", "form": {"username": OWNER, "password": OWNER_PASSWORD}}
            )
            assert refused["status"] == 503 and refused["body"]["error"]["code"] == "certificado"
            assert stranger.online, "a certificate refused is not an outage: nothing is done offline in its name"
        finally:
            stranger.close()
    finally:
        server.stop()
