"""Offline sync: applying a desktop client's outbox exactly once, in order.

Each pushed operation runs in a savepoint of its own transaction and its
`op_id` is recorded in that same transaction, so a batch sent twice (the
answer was lost, the client retried) is applied once: the replay answers
`duplicate` with the stored outcome. Outcomes:

- `applied`: done; `data` is the record as it is now.
- `duplicate`: this op_id was seen before (`original` says how it ended), or
  a create whose client-made id already exists.
- `conflict`: an update was made on a version that has moved on; `actual` is
  the record as it is now, for a person to decide.
- `rejected`: a rule refused it (validation, role, state machine); `error`
  says why in Spanish. Nothing of it was written.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from . import clock
from .errors import Conflict, DomainError
from .store import Tx

MAX_OPS = 500


def _stored(tx: Tx, op_id: str) -> dict[str, Any] | None:
    row = tx.one("SELECT resultado, respuesta FROM sync_ops WHERE op_id = ?", (op_id,))
    if row is None:
        return None
    return {**orjson.loads(row["respuesta"]), "op_id": op_id, "resultado": "duplicate", "original": row["resultado"]}


def _error(exc: DomainError) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "fields": exc.fields}


def apply(
    tx: Tx,
    op_id: str,
    device_id: str,
    tipo: str,
    run: Callable[[Tx], dict[str, Any]],
    *,
    current: Callable[[Tx], dict[str, Any]] | None = None,
    usuario: str | None = None,
) -> dict[str, Any]:
    """Apply one operation (`run`) unless `op_id` was applied before; return its outcome.

    `current` loads the record the operation targets, shown with a conflict or
    a duplicate create. Whatever `run` wrote is undone if it fails.
    """
    stored = _stored(tx, op_id)
    if stored is not None:
        return stored
    tx.execute("SAVEPOINT sync_op")
    try:
        outcome: dict[str, Any] = {"resultado": "applied", "data": run(tx)}
    except DomainError as exc:
        tx.execute("ROLLBACK TO sync_op")
        if isinstance(exc, Conflict) and exc.code in ("version_obsoleta", "ya_existe") and current is not None:
            resultado = "conflict" if exc.code == "version_obsoleta" else "duplicate"
            outcome = {"resultado": resultado, "error": _error(exc), "actual": current(tx)}
        else:
            outcome = {"resultado": "rejected", "error": _error(exc)}
    tx.execute("RELEASE sync_op")
    respuesta = {key: value for key, value in outcome.items() if key != "resultado"}
    # A duplicate create is recorded as applied: replaying it must not look like a new conflict.
    stored_as = "applied" if outcome["resultado"] == "duplicate" else outcome["resultado"]
    tx.execute(
        "INSERT INTO sync_ops (op_id, device_id, tipo, resultado, respuesta, usuario, fecha) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (op_id, device_id, tipo, stored_as, orjson.dumps(respuesta).decode(), usuario, clock.now_iso()),
    )
    return {"op_id": op_id, **outcome}
