"""The change log: one row per create/update/delete, written in the same transaction.

Because the row commits or rolls back with the change itself, anything that
reads the log (WebSocket events, offline sync) only ever sees committed work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from ..store import Tx
from . import audit, clock


def record_change(
    tx: Tx,
    evento: str,
    entidad: str,
    entidad_id: str,
    version: int,
    op: str,
    datos: dict[str, Any],
    usuario: str | None = None,
    campos: Iterable[str] | None = None,
) -> int:
    """Append a change and its audit row; return its sequence number.

    `campos`, the names the audit row lists, are found against the entity's
    previous change unless the caller knows them.
    """
    if campos is None:
        campos = audit.changed_fields(tx, entidad, entidad_id, op, datos)
    seq = tx.value(
        "INSERT INTO cambios (evento, entidad, entidad_id, version, op, datos, usuario, fecha)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        (evento, entidad, entidad_id, version, op, orjson.dumps(datos).decode(), usuario, clock.now_iso()),
    )
    audit.record(tx, evento, entidad, entidad_id, campos)
    return seq


def last_seq(tx: Tx) -> int:
    return tx.value("SELECT COALESCE(MAX(seq), 0) FROM cambios")


def changes_after(tx: Tx, since: int, limit: int) -> list[dict[str, Any]]:
    """Change-log rows after `since`, oldest first, as events: {event, data, seq, ts, usuario, entidad, op}."""
    rows = tx.all(
        "SELECT seq, evento, entidad, entidad_id, version, op, datos, usuario, fecha FROM cambios WHERE seq > ?"
        " ORDER BY seq LIMIT ?",
        (since, limit),
    )
    return [
        {
            "event": row["evento"],
            "data": orjson.loads(row["datos"]),
            "seq": row["seq"],
            "ts": row["fecha"],
            "usuario": row["usuario"],
            "entidad": row["entidad"],
            "id": row["entidad_id"],
            "version": row["version"],
            "op": row["op"],
        }
        for row in rows
    ]


def record_restore(tx: Tx, after_seq: int, datos: dict[str, Any], usuario: str | None = None) -> int:
    """Log `base_restaurada` right after a restore, with a seq above `after_seq` (the last before it).

    The restored change log ends at the backup's last seq, lower than what
    clients have already seen; numbering on from the old end keeps seq
    increasing, so no client mistakes new changes for ones it has, and the
    event tells every client to drop its cache and pull everything again.
    """
    seq = max(after_seq, last_seq(tx)) + 1
    tx.execute(
        "INSERT INTO cambios (seq, evento, entidad, entidad_id, version, op, datos, usuario, fecha)"
        " VALUES (?, 'base_restaurada', 'base', ?, 1, 'actualizar', ?, ?, ?)",
        (seq, datos["respaldo"], orjson.dumps(datos).decode(), usuario, clock.now_iso()),
    )
    audit.record(tx, "base_restaurada", "respaldos", datos["respaldo"])
    return seq
