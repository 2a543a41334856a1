"""Every create/update/delete leaves one change-log row in its own transaction, and only then."""

from __future__ import annotations

import json

import apsw
from conftest import Api


def _changes(server, since: int = 0) -> list[dict]:
    conn = apsw.Connection(str(server.db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        cursor = conn.execute(
            "SELECT seq, evento, entidad, entidad_id, version, op, datos FROM cambios WHERE seq > ? ORDER BY seq",
            (since,),
        )
        names = [d[0] for d in cursor.getdescription()]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.close()


def _last_seq(server) -> int:
    rows = _changes(server)
    return rows[-1]["seq"] if rows else 0


def test_each_write_records_its_event_with_the_new_version(fresh_server):
    api = Api(fresh_server.url, fresh_server.token)
    cliente = api.ok("POST", "/clientes", 201, json={"nombre": "Ana López"})
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "33 1111 2222"})
    producto = api.ok("POST", "/inventario", 201, json={"nombre": "Mica 9H", "precio_venta": 99, "stock": 5})
    api.ok("PUT", f"/inventario/{producto['id']}", json={"precio_venta": 120})
    api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "compra", "cantidad": 3})
    orden = api.ok(
        "POST", "/ordenes", 201, json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga"}
    )
    api.ok("PUT", f"/ordenes/{orden['id']}/estado", json={"estado": "diagnostico"})
    api.ok("POST", f"/ordenes/{orden['id']}/partes", 201, json={"tipo": "parte", "producto_id": producto["id"]})
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 2}]})
    api.ok("POST", f"/ventas/{venta['id']}/cancelar", json={"motivo": "Cliente se arrepintió"})
    api.ok("PUT", f"/ordenes/{orden['id']}/estado", json={"estado": "cancelado"})
    api.ok("DELETE", f"/clientes/{cliente['id']}")

    rows = _changes(fresh_server)
    events = [(r["evento"], r["op"], r["version"]) for r in rows]
    assert events == [
        ("cliente_creado", "crear", 1),
        ("cliente_actualizado", "actualizar", 2),
        ("producto_creado", "crear", 1),
        ("stock_actualizado", "actualizar", 1),  # initial stock: a count
        ("producto_actualizado", "actualizar", 2),
        ("stock_actualizado", "actualizar", 2),  # compra
        ("orden_creada", "crear", 1),
        ("orden_actualizada", "actualizar", 2),  # diagnostico
        ("stock_actualizado", "actualizar", 2),  # part leaves stock
        ("orden_actualizada", "actualizar", 3),  # part added
        ("stock_actualizado", "actualizar", 2),  # sale
        ("venta_creada", "crear", 1),
        ("stock_actualizado", "actualizar", 2),  # refund
        ("venta_cancelada", "actualizar", 2),
        ("orden_actualizada", "actualizar", 4),  # cancelado
        ("cliente_eliminado", "eliminar", 3),
    ]
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    stock_events = [json.loads(r["datos"]) for r in rows if r["evento"] == "stock_actualizado"]
    assert [(e["stock"], e["delta"], e["motivo"]) for e in stock_events] == [
        (5, 5, "conteo"),
        (8, 3, "compra"),
        (7, -1, "orden"),
        (5, -2, "venta"),
        (7, 2, "devolucion"),
    ]
    assert all(e["id"] == producto["id"] for e in stock_events)
    created = json.loads(rows[0]["datos"])
    assert created["id"] == cliente["id"] and created["nombre"] == "Ana López"


def test_refused_writes_leave_no_change_log_row(fresh_server):
    api = Api(fresh_server.url, fresh_server.token)
    producto = api.ok("POST", "/inventario", 201, json={"nombre": "Batería", "precio_venta": 300, "stock": 1})
    cliente = api.ok("POST", "/clientes", 201, json={"nombre": "Luis"})
    before = _last_seq(fresh_server)
    # A sale whose second line is short of stock: the first line must not be half-written.
    otro = producto["id"]
    response = api.post(
        "/ventas", json={"items": [{"producto_id": otro, "cantidad": 1}, {"producto_id": otro, "cantidad": 1}]}
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "stock_insuficiente"
    assert api.post("/clientes", json={"nombre": ""}).status_code == 422
    assert api.put(f"/clientes/{cliente['id']}", json={"nombre": "X", "version": 7}).status_code == 409
    orden = api.post("/ordenes", json={"cliente_id": cliente["id"], "equipo": "nave", "falla_reportada": "x"})
    assert orden.status_code == 422
    assert _last_seq(fresh_server) == before
    assert api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 1
    assert api.ok("GET", "/ventas")["items"] == []
