"""What a desktop client's replica receives: the server's own rows, only what the role may see."""

from __future__ import annotations

from conftest import clients_per_role
from helpers import make_cliente, make_producto


def _rows(answer: dict, table: str) -> list[dict]:
    block = answer["tablas"].get(table)
    return [] if block is None else [dict(zip(block["columnas"], row, strict=True)) for row in block["filas"]]


def test_the_snapshot_holds_each_roles_view_as_table_rows(server, api):
    roles = clients_per_role(server, api)
    cliente = make_cliente(api)
    producto = make_producto(api, stock=4)
    orden = api.ok(
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga", "contrasena": "1234"},
    )
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 1}]})
    shots = {rol: client.ok("GET", "/sync/snapshot") for rol, client in roles.items()}

    dueno = shots["dueno"]
    assert dueno["seq"] >= 1 and dueno["server_id"] and dueno["ajustes"]["zona_horaria"]
    assert {row["id"] for row in _rows(dueno, "clientes")} >= {cliente["id"]}
    assert {row["id"]: row["stock"] for row in _rows(dueno, "productos")}[producto["id"]] == 3
    [row] = [row for row in _rows(dueno, "ordenes") if row["id"] == orden["id"]]
    assert row["contrasena"] == "1234" and row["folio"] == orden["folio"]
    assert [h["a_estado"] for h in _rows(dueno, "orden_historial") if h["orden_id"] == orden["id"]] == ["recibido"]
    assert [i["venta_id"] for i in _rows(dueno, "venta_items")].count(venta["id"]) == 1
    assert all(user["password_hash"] == "" for user in _rows(dueno, "usuarios"))

    # A counter worker may not see device passcodes; a technician sees no sales at all.
    assert {row["id"]: row["contrasena"] for row in _rows(shots["mostrador"], "ordenes")}[orden["id"]] is None
    assert {row["id"] for row in _rows(shots["mostrador"], "ventas")} >= {venta["id"]}
    assert {row["id"]: row["contrasena"] for row in _rows(shots["tecnico"], "ordenes")}[orden["id"]] == "1234"
    assert not {"ventas", "venta_items", "venta_pagos"} & set(shots["tecnico"]["tablas"])


def test_changed_rows_come_once_per_record_with_their_children(server, api):
    cliente = make_cliente(api)
    since = api.ok("GET", "/sync/snapshot")["seq"]
    orden = api.ok(
        "POST", "/ordenes", 201, json={"cliente_id": cliente["id"], "equipo": "laptop", "falla_reportada": "Lenta"}
    )
    api.ok("PUT", f"/ordenes/{orden['id']}/estado", json={"estado": "diagnostico"})
    page = api.ok("GET", "/sync/filas", params={"since": since})
    assert page["entidades"]["ordenes"] == [orden["id"]] and not page["reiniciar"]
    assert [h["a_estado"] for h in _rows(page, "orden_historial")] == ["recibido", "diagnostico"]
    assert page["last_seq"] > since

    missing = api.ok("POST", "/sync/filas", json={"entidades": {"ordenes": [orden["id"], "no-existe"]}})
    assert [row["id"] for row in _rows(missing, "ordenes")] == [orden["id"]]


def test_row_requests_are_validated(api):
    refused = api.post("/sync/filas", json={"entidades": {"usuarios": ["x"]}})
    assert refused.status_code == 422 and refused.json()["error"]["message"]
    assert api.get("/sync/filas", params={"since": -1}).status_code == 422
