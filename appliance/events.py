"""The change log: one row per create/update/delete, written in the same transaction.

Because the row commits or rolls back with the change itself, anything that
reads the log (WebSocket events, offline sync) only ever sees committed work.
"""

from __future__ import annotations

from typing import Any

import orjson

from . import clock
from .store import Tx


def record_change(
    tx: Tx,
    evento: str,
    entidad: str,
    entidad_id: str,
    version: int,
    op: str,
    datos: dict[str, Any],
    usuario: str | None = None,
) -> int:
    """Append a change; return its sequence number."""
    return tx.value(
        "INSERT INTO cambios (evento, entidad, entidad_id, version, op, datos, usuario, fecha)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        (evento, entidad, entidad_id, version, op, orjson.dumps(datos).decode(), usuario, clock.now_iso()),
    )


def last_seq(tx: Tx) -> int:
    return tx.value("SELECT COALESCE(MAX(seq), 0) FROM cambios")
