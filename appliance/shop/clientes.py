"""Customers: the people who bring devices and buy at the counter."""

from __future__ import annotations

import uuid
from typing import Any

from ..store import Tx
from . import clock
from .errors import Conflict, NotFound
from .events import record_change
from .money import to_number
from .records import check_version, page, reject_blanks, update_row
from .text import fold, search_clause, search_text

FIELDS = ("nombre", "telefono", "email", "direccion", "rfc", "notas")
COLUMNS = "id, " + ", ".join(FIELDS) + ", version, creado_en, actualizado_en"
OPEN_ORDER = "estado NOT IN ('entregado', 'cancelado')"


def _searchable(row: dict[str, Any]) -> str:
    return search_text(row.get("nombre"), row.get("telefono"), row.get("email"))


def list_clientes(tx: Tx, *, q: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """A page of live customers by name, optionally filtered by a search over nombre/telefono/email."""
    where, params = search_clause("busqueda", q)
    rows = tx.all(
        f"SELECT {COLUMNS} FROM clientes WHERE eliminado_en IS NULL{where} ORDER BY nombre, id LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    )
    return page(rows, limit, offset)


def get_cliente(tx: Tx, cliente_id: str) -> dict[str, Any]:
    row = tx.one(f"SELECT {COLUMNS} FROM clientes WHERE id = ? AND eliminado_en IS NULL", (cliente_id,))
    if row is None:
        raise NotFound(f"No existe el cliente {cliente_id}.", fields={"cliente_id": "No existe."})
    return row


def create_cliente(tx: Tx, data: dict[str, Any], usuario: str | None = None) -> dict[str, Any]:
    """Register a customer; `data` may carry a client-made `id` (offline creation)."""
    cliente_id = data.get("id") or str(uuid.uuid4())
    if tx.value("SELECT 1 FROM clientes WHERE id = ?", (cliente_id,)):
        raise Conflict(f"Ya existe un cliente con id {cliente_id}.", code="ya_existe", fields={"id": "Ya existe."})
    now = clock.now_iso()
    values = [data.get(field) for field in FIELDS]
    cliente = tx.one(
        f"INSERT INTO clientes (id, {', '.join(FIELDS)}, busqueda, version, creado_en, actualizado_en)"
        f" VALUES (?, {', '.join('?' for _ in FIELDS)}, ?, 1, ?, ?) RETURNING {COLUMNS}",
        (cliente_id, *values, _searchable(data), now, now),
    )
    record_change(tx, "cliente_creado", "clientes", cliente_id, 1, "crear", cliente, usuario)
    return cliente


def update_cliente(
    tx: Tx, cliente_id: str, changes: dict[str, Any], expected_version: int | None, usuario: str | None = None
) -> dict[str, Any]:
    """Change the given fields of a customer."""
    current = get_cliente(tx, cliente_id)
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    reject_blanks(changes, ("nombre",))
    if not changes:  # nothing to write: no new version, no change-log row
        check_version(tx, "clientes", cliente_id, expected_version, label="el cliente")
        return current
    merged = {**current, **changes}
    version = update_row(
        tx,
        "clientes",
        cliente_id,
        {**changes, "busqueda": _searchable(merged)},
        expected_version,
        label="el cliente",
        alive=" AND eliminado_en IS NULL",
    )
    cliente = get_cliente(tx, cliente_id)
    record_change(tx, "cliente_actualizado", "clientes", cliente_id, version, "actualizar", cliente, usuario)
    return cliente


def delete_cliente(
    tx: Tx, cliente_id: str, expected_version: int | None = None, usuario: str | None = None
) -> dict[str, Any]:
    """Soft-delete a customer; refused while they have open service orders."""
    cliente = get_cliente(tx, cliente_id)
    open_orders = tx.all(
        f"SELECT folio FROM ordenes WHERE cliente_id = ? AND {OPEN_ORDER} ORDER BY folio LIMIT 5", (cliente_id,)
    )
    if open_orders:
        folios = ", ".join(str(o["folio"]) for o in open_orders)
        raise Conflict(
            f"No se puede eliminar a {cliente['nombre']}: tiene órdenes abiertas (folio {folios}). "
            "Entrégalas o cancélalas primero.",
            code="cliente_con_ordenes_abiertas",
        )
    version = update_row(
        tx,
        "clientes",
        cliente_id,
        {"eliminado_en": clock.now_iso()},
        expected_version,
        label="el cliente",
        alive=" AND eliminado_en IS NULL",
    )
    record_change(
        tx,
        "cliente_eliminado",
        "clientes",
        cliente_id,
        version,
        "eliminar",
        {"id": cliente_id, "version": version},
        usuario,
    )
    return {"id": cliente_id, "eliminado": True, "version": version}


def _device_key(orden: dict[str, Any]) -> tuple[str, ...]:
    # "Samsung" and "samsung", or an IMEI typed with or without its dashes, are the same device.
    words = tuple(" ".join(fold(orden[name] or "").split()) for name in ("equipo", "marca", "modelo"))
    return (*words, "".join(ch for ch in fold(orden["numero_serie"] or "") if ch.isalnum()))


def _equipos(ordenes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct devices of a customer's orders (newest first), each as its latest order has it."""
    equipos: dict[tuple[str, ...], dict[str, Any]] = {}
    for orden in ordenes:  # newest first: the first order of a device is its latest
        equipos.setdefault(
            _device_key(orden),
            {
                "equipo": orden["equipo"],
                "marca": orden["marca"],
                "modelo": orden["modelo"],
                "numero_serie": orden["numero_serie"],
                "color": orden["color"],
                "ultima_orden_id": orden["id"],
                "ultimo_folio": orden["folio"],
                "ultima_fecha": orden["creado_en"],
            },
        )
    return list(equipos.values())


def historial_cliente(tx: Tx, cliente_id: str) -> dict[str, Any]:
    """A customer's service orders, purchases and devices, newest first."""
    cliente = get_cliente(tx, cliente_id)
    ordenes = tx.all(
        "SELECT id, folio, equipo, marca, modelo, estado, falla_reportada, costo_final, creado_en, fecha_entrega,"
        " numero_serie, color FROM ordenes WHERE cliente_id = ? ORDER BY folio DESC",
        (cliente_id,),
    )
    equipos = _equipos(ordenes)
    for orden in ordenes:  # the summary of an order stays as it was; the device's details are in equipos
        del orden["numero_serie"], orden["color"]
    ventas = tx.all(
        "SELECT id, folio, total, estado, fecha, orden_id FROM ventas WHERE cliente_id = ? ORDER BY folio DESC",
        (cliente_id,),
    )
    for orden in ordenes:
        orden["costo_final"] = to_number(orden["costo_final"])
    for venta in ventas:
        venta["total"] = to_number(venta["total"])
    return {"cliente": cliente, "ordenes": ordenes, "ventas": ventas, "equipos": equipos}
