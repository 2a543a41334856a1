"""What a desktop client's replica holds, as the server's own table rows: a snapshot, then the rows that changed.

The replica has the appliance's schema, so rows travel as they are stored
(columns + values) and go straight into the same tables: no second mapping of
records to rows. It holds what a counter needs offline and the signed-in role
may see: every customer and product, the open orders and those touched in the
last RECENT_DAYS days (and those a recent sale names), the recent sales, the
staff list (without password hashes) and the shop's data. The stock ledger
stays on the server (the kardex screen needs it online).

An entity is a parent row and its children (an order with its history and
parts, a sale with its lines and payments); a client replaces all of them at
once, so the server's rows always win over the provisional ones it made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..store import Tx
from . import events, permissions
from .ordenes import OPEN_STATES

RECENT_DAYS = 90
CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit

# entidad (as the change log names it) -> its parent table, then (child table, column naming the parent).
ENTITIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "clientes": ("clientes", ()),
    "productos": ("productos", ()),
    "ordenes": ("ordenes", (("orden_historial", "orden_id"), ("orden_partes", "orden_id"))),
    "ventas": ("ventas", (("venta_items", "venta_id"), ("venta_pagos", "venta_id"))),
    "taller": ("taller", ()),
}
# Every table a replica receives rows of.
TABLES = (*(t for parent, children in ENTITIES.values() for t in (parent, *(c for c, _ in children))), "usuarios")


def _visible(rol: str) -> list[str]:
    return [entidad for entidad in ENTITIES if permissions.allowed(rol, permissions.READ_PERMISSION[entidad])]


def _shown(rol: str, table: str, columns: list[str], rows: list[tuple]) -> list[list[Any]]:
    """Rows as `rol` may have them: no device passcode without ordenes:ver_acceso, never a password hash."""
    blanked: dict[int, Any] = {}
    if table == "ordenes" and not permissions.allowed(rol, "ordenes:ver_acceso"):
        blanked[columns.index("contrasena")] = None
    if table == "usuarios":
        blanked[columns.index("password_hash")] = ""  # NOT NULL in the schema; the replica never signs anyone in
    return [[blanked.get(i, value) for i, value in enumerate(row)] for row in rows]


def _rows_where(tx: Tx, rol: str, entidad: str, where: str, params: tuple, tablas: dict[str, Any]) -> None:
    parent, children = ENTITIES[entidad]
    for table, sql in (
        (parent, f"SELECT * FROM {parent} WHERE {where}"),
        *(
            (child, f"SELECT * FROM {child} WHERE {key} IN (SELECT id FROM {parent} WHERE {where})")
            for child, key in children
        ),
    ):
        columns, rows = tx.columns_and_rows(sql, params)
        if not columns:  # no row: the names still come from the table itself
            columns = [row["name"] for row in tx.all(f"PRAGMA table_info({table})")]
        block = tablas.setdefault(table, {"columnas": columns, "filas": []})
        block["filas"] += _shown(rol, table, columns, rows)


def _staff(tx: Tx, rol: str, tablas: dict[str, Any]) -> None:
    if permissions.allowed(rol, "personal:leer"):
        columns, rows = tx.columns_and_rows("SELECT * FROM usuarios")
        tablas["usuarios"] = {"columnas": columns, "filas": _shown(rol, "usuarios", columns, rows)}


def snapshot(tx: Tx, rol: str, now: dt.datetime) -> dict[str, Any]:
    """Everything a replica starts from, and the change-log seq it is valid at (all in one read transaction)."""
    since = (now - dt.timedelta(days=RECENT_DAYS)).isoformat()
    open_states = ", ".join("?" for _ in OPEN_STATES)
    scope = {
        "clientes": ("1 = 1", ()),
        "productos": ("1 = 1", ()),
        "ordenes": (
            f"estado IN ({open_states}) OR actualizado_en >= ? OR id IN (SELECT orden_id FROM ventas WHERE fecha >= ?)",
            (*OPEN_STATES, since, since),
        ),
        "ventas": ("fecha >= ?", (since,)),
        "taller": ("1 = 1", ()),
    }
    tablas: dict[str, Any] = {}
    for entidad in _visible(rol):
        _rows_where(tx, rol, entidad, *scope[entidad], tablas)
    _staff(tx, rol, tablas)
    return {"seq": events.last_seq(tx), "tablas": tablas}


def entity_rows(tx: Tx, rol: str, entidades: dict[str, Iterable[str]]) -> dict[str, Any]:
    """The current rows of the given entities ({entidad: ids}) that `rol` may see, plus the staff list.

    An id with no row in the answer no longer exists for this role (a refused
    offline create): the client drops what it holds of it.
    """
    tablas: dict[str, Any] = {}
    visible = set(_visible(rol))
    for entidad, ids in entidades.items():
        if entidad not in visible:
            continue
        ids = list(ids)
        for start in range(0, len(ids), CHUNK):
            chunk = tuple(ids[start : start + CHUNK])
            _rows_where(tx, rol, entidad, f"id IN ({', '.join('?' for _ in chunk)})", chunk, tablas)
    _staff(tx, rol, tablas)
    return tablas


def changed_since(tx: Tx, rol: str, since: int, limit: int) -> dict[str, Any]:
    """The entities changed after `since` (up to `limit` change-log rows) and their current rows.

    `reiniciar` is true when the database was restored from a backup in that
    span: the client must start over from a snapshot.
    """
    batch = events.changes_after(tx, since, limit + 1)
    has_more = len(batch) > limit
    batch = batch[:limit]
    visible = set(_visible(rol))
    entidades: dict[str, list[str]] = {}
    for change in batch:
        if change["entidad"] in visible and change["id"] not in entidades.get(change["entidad"], ()):
            entidades.setdefault(change["entidad"], []).append(change["id"])
    return {
        "entidades": entidades,
        "tablas": entity_rows(tx, rol, entidades),
        "reiniciar": any(change["entidad"] == "base" for change in batch),
        # Changes this role may not see still count: the client moves past them.
        "last_seq": batch[-1]["seq"] if batch else since,
        "has_more": has_more,
    }
