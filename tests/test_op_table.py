"""The offline op table is the server's own code: applied locally with no HTTP, the same ops end in the same rows.

A desktop client applies each operation it makes offline to its replica with
shop.sync (no rule written twice). Here the same sequence, covering every op
type, goes (a) through shop.sync.push straight into a fresh local database and
(b) through POST /sync/push to a real server on a fresh database; every row of
the shop's tables must come out the same, except what only the server assigns:
folios, timestamps and the change log's seq.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from serverproc import OWNER

from appliance.config import Config
from appliance.shop import inventario, sync
from appliance.shop.schemas import OP_TYPES, ProductoIn
from appliance.shop.settings import ShopSettings
from appliance.store import Actor, Database

PRODUCTOS = [
    {
        "id": "0c3e6a4e-1f7b-4a65-9d1e-5b9d3f0e7a01",
        "codigo": "PANT-A54",
        "nombre": "Pantalla A54",
        "precio_venta": 1450,
        "precio_compra": 900,
        "stock": 3,
        "stock_minimo": 1,
    },
    {
        "id": "0c3e6a4e-1f7b-4a65-9d1e-5b9d3f0e7a02",
        "codigo": "FUNDA-01",
        "nombre": "Funda",
        "precio_venta": 150,
        "precio_compra": 40,
        "stock": 10,
    },
]
# What only the server assigns (or the moment decides): left out of the comparison.
ASSIGNED = {"folio", "creado_en", "actualizado_en", "fecha", "fecha_entrega", "cancelada_en", "seq", "ts"}
# Business tables, with the column that orders their rows.
TABLES = {
    "clientes": "id",
    "productos": "id",
    "movimientos_stock": "id",
    "ordenes": "id",
    "orden_historial": "id",
    "orden_partes": "id",
    "ventas": "id",
    "venta_items": "id",
    "venta_pagos": "id",
    "sync_ops": "op_id",
}


def _op(op_tipo: str, **datos: Any) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "tipo": op_tipo, "datos": datos}


def _ops() -> list[dict[str, Any]]:
    """A counter's offline afternoon: every op type, with the ids the device made."""
    rosa, tomas, orden, parte, mano, venta, cobro = (str(uuid.uuid4()) for _ in range(7))
    pantalla, funda = PRODUCTOS[0]["id"], PRODUCTOS[1]["id"]
    return [
        _op("cliente.crear", id=rosa, nombre="Rosa Díaz", telefono="55 1234 5678", notas="Prefiere\nWhatsApp"),
        _op("cliente.crear", id=tomas, nombre="Tomás Ruiz"),
        _op("cliente.actualizar", id=rosa, base_version=1, cambios={"email": "rosa@example.mx"}),
        _op(
            "orden.crear",
            id=orden,
            cliente_id=rosa,
            equipo="celular",
            marca="Samsung",
            modelo="A54",
            falla_reportada="Pantalla estrellada",
            anticipo=200,
            presupuesto=1800,
            condicion=[{"punto": "Carcasa", "estado": "Rayada"}],
        ),
        _op("orden.estado", id=orden, estado="diagnostico", nota="Display roto"),
        _op("orden.estado", id=orden, estado="esperando_aprobacion"),
        _op("orden.estado", id=orden, estado="en_reparacion", nota="Autorizó por teléfono"),
        _op("orden.parte", id=parte, orden_id=orden, tipo="parte", producto_id=pantalla, cantidad=1),
        _op(
            "orden.parte",
            id=mano,
            orden_id=orden,
            tipo="mano_obra",
            descripcion="Cambio de display",
            precio_unitario=350,
        ),
        _op("orden.estado", id=orden, estado="listo"),
        _op(
            "venta.crear",
            id=venta,
            cliente_id=tomas,
            items=[{"producto_id": funda, "cantidad": 2, "descuento": 15}],
            pagos=[{"metodo": "efectivo", "monto": 300}],
        ),
        # Sold more than the books show: offline it happened, so it goes below zero.
        _op("venta.crear", id=str(uuid.uuid4()), items=[{"producto_id": pantalla, "cantidad": 3}]),
        _op(
            "venta.crear",
            id=cobro,
            orden_id=orden,
            items=[{"descripcion": "Reparación: cambio de display", "cantidad": 1, "precio_unitario": 1600}],
            pagos=[{"metodo": "tarjeta", "monto": 1600, "referencia": "4821"}],
        ),
        _op("stock.ajustar", producto_id=funda, motivo="merma", cantidad=-1, nota="Se rompió"),
        _op("stock.ajustar", producto_id=pantalla, motivo="compra", cantidad=5),
        # Refused alike on both sides (the state machine, the version): recorded with their reasons.
        _op("orden.estado", id=orden, estado="recibido"),
        _op("cliente.actualizar", id=rosa, base_version=1, cambios={"telefono": "55 0000 0000"}),
    ]


def _shaped(value: Any) -> Any:
    """A value without what only the server assigns; JSON text is compared as what it holds."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _shaped(orjson.loads(value))
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, dict):
        return {key: _shaped(item) for key, item in value.items() if key not in ASSIGNED}
    if isinstance(value, list):
        return [_shaped(item) for item in value]
    return value


def _rows(database: Database) -> dict[str, list[dict[str, Any]]]:
    with database.read() as tx:
        shop = {
            table: [_shaped(row) for row in tx.all(f"SELECT * FROM {table} ORDER BY {key}")]
            for table, key in TABLES.items()
        }
        shop["cambios"] = [
            _shaped(row)
            for row in tx.all(
                "SELECT evento, entidad, entidad_id, version, op, datos, usuario FROM cambios ORDER BY seq"
            )
        ]
        shop["auditoria"] = [
            _shaped(row)
            for row in tx.all(
                "SELECT usuario, accion, entidad, entidad_id, campos, detalle FROM auditoria"
                " WHERE entidad IN ('clientes', 'ordenes', 'productos', 'ventas') ORDER BY id"
            )
        ]
    return shop


ACTOR = Actor(None, OWNER, None)  # the owner, signed in on the device


def _local_shop(path) -> Database:
    database = Database(path)
    with database.write(ACTOR) as tx:
        for producto in PRODUCTOS:  # through the request schema, as POST /inventario takes it (pesos -> centavos)
            inventario.create_producto(tx, ProductoIn.model_validate(producto).model_dump(), OWNER)
    return database


def test_every_op_type_is_in_the_sequence():
    assert {op["tipo"] for op in _ops()} == set(OP_TYPES) == set(sync.OPS)


def test_the_op_table_applied_locally_ends_in_the_same_rows_as_the_server(tmp_path, fresh_server, fresh_api):
    ops = _ops()
    for producto in PRODUCTOS:
        fresh_api.ok("POST", "/inventario", 201, json=producto)
    served = fresh_api.ok("POST", "/sync/push", json={"device_id": "caja-1", "ops": ops})["results"]

    # The server's settings, as a replica would get them from it.
    config = Config.from_env()
    settings = ShopSettings(config.zone, config.iva_percent, config.prices_include_iva, config.discount_limit_percent)
    local = _local_shop(tmp_path / "replica.db")
    try:
        applied = sync.push(lambda: local.write(ACTOR), sync.Caller(OWNER, "dueno", settings), "caja-1", ops)
        local_rows = _rows(local)
    finally:
        local.close()

    outcomes = [(r["op_id"], r["resultado"], (r.get("error") or {}).get("code")) for r in served]
    assert outcomes == [(r["op_id"], r["resultado"], (r.get("error") or {}).get("code")) for r in applied]
    assert [o[1:] for o in outcomes[-2:]] == [("rejected", "transicion_invalida"), ("conflict", "version_obsoleta")]
    assert {o[1] for o in outcomes[:-2]} == {"applied"}
    assert _shaped(served) == _shaped(applied)

    server_db = Database(fresh_server.db_path, exclusive=False)
    try:
        server_rows = _rows(server_db)
    finally:
        server_db.close()
    for table in server_rows:
        assert local_rows[table] == server_rows[table], table
    # The comparison saw the rows it was meant to: stock below zero, a linked payment, the ledger.
    pantalla = next(p for p in server_rows["productos"] if p["id"] == PRODUCTOS[0]["id"])
    assert pantalla["stock"] == 3 - 1 - 3 + 5
    assert len(server_rows["movimientos_stock"]) == 2 + 1 + 2 + 2
    assert any(v["orden_id"] for v in server_rows["ventas"])
