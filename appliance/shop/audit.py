"""The audit trail: who changed what, when and from which address.

Every change-log entry is audited from `events.record_change`, in the same
transaction; security events (logins, lock-outs, account changes) are recorded
directly. Only field *names* are kept: values (passwords, device passcodes,
customers' data) stay in their own tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from ..store import Tx
from . import clock
from .records import page

# Bookkeeping fields every update touches; listing them would hide the real change.
_NOISE = frozenset({"id", "version", "actualizado_en", "creado_en", "busqueda"})


def record(
    tx: Tx,
    accion: str,
    entidad: str | None = None,
    entidad_id: str | None = None,
    campos: Iterable[str] = (),
    detalle: dict[str, Any] | None = None,
) -> None:
    """Append an audit row for the transaction's actor (None = the server itself, e.g. the CLI).

    `detalle` holds amounts the owner must be able to check (a price override, a
    discount), never a record's field values.
    """
    actor = tx.actor
    tx.execute(
        "INSERT INTO auditoria (fecha, usuario_id, usuario, ip, accion, entidad, entidad_id, campos, detalle)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            clock.now_iso(),
            actor and actor.usuario_id,
            actor and actor.usuario,
            actor and actor.ip,
            accion,
            entidad,
            entidad_id,
            orjson.dumps(sorted(campos)).decode(),
            None if detalle is None else orjson.dumps(detalle).decode(),
        ),
    )


def changed_fields(tx: Tx, entidad: str, entidad_id: str, op: str, datos: dict[str, Any]) -> list[str]:
    """Names of the fields a change sets, from the entity's previous change-log entry."""
    if op == "eliminar":
        return []
    if op == "crear":
        return [name for name, value in datos.items() if value not in (None, "", []) and name not in _NOISE]
    previous_text = tx.value(
        "SELECT datos FROM cambios WHERE entidad = ? AND entidad_id = ? ORDER BY seq DESC LIMIT 1",
        (entidad, entidad_id),
    )
    previous = orjson.loads(previous_text) if previous_text else {}
    return [name for name, value in datos.items() if name not in _NOISE and previous.get(name) != value]


FILTERS = {
    "usuario": "usuario = ?",
    "accion": "accion = ?",
    "entidad": "entidad = ?",
    "entidad_id": "entidad_id = ?",
    "desde": "fecha >= ?",
    "hasta": "fecha < ?",
}


def list_auditoria(tx: Tx, filters: dict[str, Any], limit: int, offset: int) -> dict[str, Any]:
    """Newest first; `filters` keys are those of FILTERS (None values are ignored)."""
    clauses = [FILTERS[name] for name, value in filters.items() if value is not None]
    params = [value for value in filters.values() if value is not None]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = tx.all(
        f"SELECT id, fecha, usuario_id, usuario, ip, accion, entidad, entidad_id, campos, detalle FROM auditoria {where}"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    )
    return page(rows, limit, offset, _shown)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    row["campos"] = orjson.loads(row["campos"])
    row["detalle"] = None if row["detalle"] is None else orjson.loads(row["detalle"])
    return row


def rows_after(tx: Tx, last_id: int) -> list[dict[str, Any]]:
    """Audit rows after id `last_id`, oldest first (what a restore to that point would erase)."""
    return tx.all("SELECT * FROM auditoria WHERE id > ? ORDER BY id", (last_id,))


def carry_over(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Put back audit rows a restore took away: history is not undone by restoring data."""
    for row in rows:
        tx.insert("auditoria", row, or_ignore=True)
