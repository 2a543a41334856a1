"""Offline operations: the table of op types, and applying a desktop client's outbox exactly once, in order.

Every operation a counter can make offline has a type in `OPS`: its request
schema, the permission its REST endpoint needs, the domain function that does
it and, for an operation that targets one record, how to load that record. The
server applies pushed ops with this table (POST /sync/push); the desktop client
applies the very same ops with it to its local replica while offline, so no
rule is written twice. Stock never travels as a number: sales, parts and
adjustments carry their deltas, and those made offline are accepted even if
stock goes below zero (they already happened).

Each pushed operation runs in a savepoint of its own transaction and its
`op_id` is recorded in that same transaction, so a batch sent twice (the
answer was lost, the client retried) is applied once: the replay answers
`duplicate` with the stored outcome. Outcomes:

- `applied`: done; `data` is the record as it is now.
- `duplicate`: this op_id was seen before (`original` says how it ended), or
  a create whose client-made id already exists.
- `conflict`: an update was made on a version that has moved on; `actual` is
  the record as it is now, for a person to decide.
- `rejected`: a rule refused it (validation, role, state machine), or it
  failed unexpectedly (`error_interno`, logged); `error` says why in Spanish.
  Nothing of it was written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from ..store import CommitFailed, IntegrityError, Tx
from . import clientes, clock, inventario, ordenes, permissions, ventas
from .errors import Conflict, DomainError, Invalid
from .schemas import (
    OP_TYPES,
    ClienteActualizarOp,
    ClienteIn,
    OrdenEstadoOp,
    OrdenIn,
    OrdenParteOp,
    RequestModel,
    StockAjustarOp,
    VentaIn,
    validated,
)
from .settings import ShopSettings

log = logging.getLogger(__name__)


class Caller(NamedTuple):
    """Who applies operations (the signed-in account) and the shop settings the rules read."""

    usuario: str | None
    rol: str
    settings: ShopSettings


@dataclass(frozen=True)
class OpType:
    """One kind of offline operation."""

    schema: type[RequestModel]
    permission: str
    apply: Callable[[Tx, Caller, Any], dict[str, Any]]
    # The record the op targets, shown with a conflict or a duplicate create.
    current: Callable[[Tx, Caller, Any], dict[str, Any]] | None = None


def _client_made_id(body: Any) -> None:
    if not body.id:
        raise Invalid("Sin conexión el cliente crea el id del registro.", fields={"id": "Obligatorio."})


def _cliente_crear(tx: Tx, caller: Caller, body: ClienteIn) -> dict[str, Any]:
    _client_made_id(body)
    return clientes.create_cliente(tx, body.model_dump(), caller.usuario)


def _cliente_actualizar(tx: Tx, caller: Caller, body: ClienteActualizarOp) -> dict[str, Any]:
    changes = body.cambios.model_dump(exclude_unset=True, exclude={"version"})
    return clientes.update_cliente(tx, body.id, changes, body.base_version, caller.usuario)


def _cliente(tx: Tx, caller: Caller, body: Any) -> dict[str, Any]:
    return clientes.get_cliente(tx, body.id)


def _orden_crear(tx: Tx, caller: Caller, body: OrdenIn) -> dict[str, Any]:
    _client_made_id(body)
    orden = ordenes.create_orden(tx, body.new_orden(caller.settings.zone), caller.usuario, rol=caller.rol)
    return permissions.shown_orden(caller.rol, orden)


def _orden(tx: Tx, caller: Caller, body: Any) -> dict[str, Any]:
    return permissions.shown_orden(caller.rol, ordenes.get_orden(tx, body.id))


def _orden_estado(tx: Tx, caller: Caller, body: OrdenEstadoOp) -> dict[str, Any]:
    # A state change is a command checked by the state machine, not a versioned edit.
    orden = ordenes.change_estado(
        tx,
        body.id,
        body.estado,
        nota=body.nota,
        registrar_adeudo=body.registrar_adeudo,
        usuario=caller.usuario,
        rol=caller.rol,
    )
    return permissions.shown_orden(caller.rol, orden)


def _orden_parte(tx: Tx, caller: Caller, body: OrdenParteOp) -> dict[str, Any]:
    orden = ordenes.add_parte(
        tx,
        body.orden_id,
        body.model_dump(exclude={"orden_id"}),
        caller.usuario,
        allow_negative_stock=True,
        rol=caller.rol,
    )
    return permissions.shown_orden(caller.rol, orden)


def _venta_crear(tx: Tx, caller: Caller, body: VentaIn) -> dict[str, Any]:
    _client_made_id(body)
    return ventas.create_venta(
        tx,
        body.model_dump(),
        settings=caller.settings,
        rol=caller.rol,
        usuario=caller.usuario,
        allow_negative_stock=True,
    )


def _venta(tx: Tx, caller: Caller, body: Any) -> dict[str, Any]:
    return ventas.get_venta(tx, body.id)


def _stock_ajustar(tx: Tx, caller: Caller, body: StockAjustarOp) -> dict[str, Any]:
    return inventario.adjust_stock(
        tx,
        body.producto_id,
        body.motivo,
        cantidad=body.cantidad,
        nota=body.nota,
        usuario=caller.usuario,
        allow_negative=True,
    )


OPS: dict[str, OpType] = {
    "cliente.crear": OpType(ClienteIn, "clientes:escribir", _cliente_crear, _cliente),
    "cliente.actualizar": OpType(ClienteActualizarOp, "clientes:escribir", _cliente_actualizar, _cliente),
    "orden.crear": OpType(OrdenIn, "ordenes:recibir", _orden_crear, _orden),
    "orden.estado": OpType(OrdenEstadoOp, "ordenes:cambiar_estado", _orden_estado),
    "orden.parte": OpType(OrdenParteOp, "ordenes:partes", _orden_parte),
    "venta.crear": OpType(VentaIn, "ventas:crear", _venta_crear, _venta),
    "stock.ajustar": OpType(StockAjustarOp, "inventario:ajustar", _stock_ajustar),
}
if tuple(OPS) != OP_TYPES:  # the table and the published list of types must be one and the same
    raise RuntimeError(f"sync.OPS {tuple(OPS)} differs from schemas.OP_TYPES {OP_TYPES}")


def _stored(tx: Tx, op_id: str) -> dict[str, Any] | None:
    row = tx.one("SELECT resultado, respuesta FROM sync_ops WHERE op_id = ?", (op_id,))
    if row is None:
        return None
    return {**orjson.loads(row["respuesta"]), "op_id": op_id, "resultado": "duplicate", "original": row["resultado"]}


def _error(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def run_op(tx: Tx, caller: Caller, tipo: str, datos: dict[str, Any]) -> dict[str, Any]:
    """Check and apply one op of type `tipo`; the record it leaves, or a DomainError saying why not.

    A desktop client runs this on its replica while offline; the server runs it
    for each pushed op (apply_op), so both apply the same rules.
    """
    op = OPS[tipo]
    permissions.require(caller.rol, op.permission)
    return op.apply(tx, caller, validated(op.schema, datos))


def _outcome(tx: Tx, caller: Caller, tipo: str, datos: dict[str, Any]) -> dict[str, Any]:
    """Check and apply one op inside the savepoint `sync_op`; what it did, or why it did nothing."""
    op = OPS[tipo]
    try:
        return {"resultado": "applied", "data": run_op(tx, caller, tipo, datos)}
    except DomainError as exc:
        tx.execute("ROLLBACK TO sync_op")
        if isinstance(exc, Conflict) and exc.code in ("version_obsoleta", "ya_existe") and op.current is not None:
            return {
                "resultado": "conflict" if exc.code == "version_obsoleta" else "duplicate",
                "error": _error(exc.code, exc.message, exc.fields),
                "actual": op.current(tx, caller, validated(op.schema, datos)),
            }
        return {"resultado": "rejected", "error": _error(exc.code, exc.message, exc.fields)}
    except CommitFailed:
        raise  # the disk refused: the whole write fails (503) and the device sends the op again later
    except IntegrityError as exc:
        log.warning("Restricción de la base de datos en la operación %s: %s", tipo, exc)
        tx.execute("ROLLBACK TO sync_op")
        return {
            "resultado": "rejected",
            "error": _error("conflicto", "El cambio contradice datos existentes; no se guardó nada."),
        }
    except Exception:
        # A bug or a damaged row must not stall the device's queue for good: this op is
        # refused and recorded, the ones after it still apply.
        log.exception("Error no esperado al aplicar la operación %s", tipo)
        tx.execute("ROLLBACK TO sync_op")
        return {
            "resultado": "rejected",
            "error": _error(
                "error_interno",
                "Ocurrió un error interno al aplicar esta operación; se registró en el log del servidor. "
                "Las demás operaciones siguieron.",
            ),
        }


def apply_op(tx: Tx, caller: Caller, device_id: str, op_id: str, tipo: str, datos: dict[str, Any]) -> dict[str, Any]:
    """Apply one operation unless `op_id` was applied before; record and return its outcome.

    Whatever the operation wrote is undone if it fails.
    """
    stored = _stored(tx, op_id)
    if stored is not None:
        return stored
    tx.execute("SAVEPOINT sync_op")
    outcome = _outcome(tx, caller, tipo, datos)
    tx.execute("RELEASE sync_op")
    respuesta = {key: value for key, value in outcome.items() if key != "resultado"}
    # A duplicate create is recorded as applied: replaying it must not look like a new conflict.
    stored_as = "applied" if outcome["resultado"] == "duplicate" else outcome["resultado"]
    tx.execute(
        "INSERT INTO sync_ops (op_id, device_id, tipo, resultado, respuesta, usuario, fecha) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (op_id, device_id, tipo, stored_as, orjson.dumps(respuesta).decode(), caller.usuario, clock.now_iso()),
    )
    return {"op_id": op_id, **outcome}


def push(
    write: Callable[[], AbstractContextManager[Tx]], caller: Caller, device_id: str, ops: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Apply a device's ops in order, each in a write transaction of its own; every op's outcome.

    `write()` opens a write transaction (the server's, or the replica's).
    """
    results = []
    for op in ops:
        with write() as tx:
            results.append(apply_op(tx, caller, device_id, op["op_id"], op["tipo"], op["datos"]))
    return results
