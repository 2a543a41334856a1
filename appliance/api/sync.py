"""HTTP for offline sync: GET /sync/changes (pull) and POST /sync/push (the outbox).

Every operation a counter can make offline has a type here, checked with the
same request model and permission as its REST endpoint. Stock never travels
as a number: sales, parts and adjustments carry their deltas, and those made
offline are accepted even if stock goes below zero (they already happened).
"""

from __future__ import annotations

from typing import Any, Callable, Literal, Optional

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, ValidationError

from .. import clientes, events, inventario, ordenes, permissions, sync, ventas
from ..errors import Invalid
from ..store import Tx
from .clientes import ClienteIn, ClienteUpdate
from .context import config, db, rol, usuario, write
from .errors import validation_fields
from .models import ERROR_RESPONSES, SIGNED_IN, Id, QueryModel, RequestModel, Text, Version
from .ordenes import EstadoIn, OrdenIn, ParteIn, new_orden_data, shown
from .security import requires
from .ventas import VentaIn

bp = APIBlueprint("sync", __name__, url_prefix="/sync", abp_tags=[Tag(name="Sincronización")],
                  abp_responses=ERROR_RESPONSES, abp_security=SIGNED_IN)

Tipo = Literal["cliente.crear", "cliente.actualizar", "orden.crear", "orden.estado", "orden.parte", "venta.crear",
               "stock.ajustar"]


class ChangesQuery(QueryModel):
    since: int = Field(0, ge=0, le=2**62, description="Último seq que ya tiene el cliente")
    limit: int = Field(500, ge=1, le=1000)


class Change(BaseModel):
    event: str
    data: dict[str, Any]
    seq: int
    ts: str
    entidad: str
    id: str
    version: int
    op: Literal["crear", "actualizar", "eliminar"]


class ChangesPage(BaseModel):
    items: list[Change]
    last_seq: int = Field(description="Pide la siguiente página con since=last_seq")
    has_more: bool


class OpIn(BaseModel):
    op_id: Id = Field(description="Id único de la operación, creado por el cliente (UUID)")
    tipo: Tipo
    datos: dict[str, Any]


class PushIn(RequestModel):
    device_id: Text(64)
    ops: list[OpIn] = Field(max_length=sync.MAX_OPS)


class OpResult(BaseModel):
    op_id: str
    resultado: Literal["applied", "duplicate", "conflict", "rejected"]
    original: Optional[str] = None
    data: Optional[dict[str, Any]] = None
    actual: Optional[dict[str, Any]] = None
    error: Optional[dict[str, Any]] = None


class PushOut(BaseModel):
    results: list[OpResult]


class _Update(RequestModel):
    id: Id
    base_version: Version
    cambios: ClienteUpdate


class _Estado(EstadoIn):
    id: Id


class _Parte(ParteIn):
    orden_id: Id


class _Ajuste(RequestModel):
    producto_id: Id
    motivo: Literal["compra", "ajuste", "merma", "devolucion"] = Field(
        description="Sin conexión no hay conteos: el stock viaja como movimientos")
    cantidad: int = Field(ge=-1_000_000, le=1_000_000)
    nota: Optional[Text(300)] = None


def _valid(model: type[RequestModel], datos: dict[str, Any]) -> Any:
    try:
        return model.model_validate(datos)
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Invalid("Revisa los datos de la operación. " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
                      code="validacion", fields=fields) from None


def _require_id(body: Any) -> None:
    if not body.id:
        raise Invalid("Sin conexión el cliente crea el id del registro.", fields={"id": "Obligatorio."})


Handler = tuple[str, Callable[[Tx, dict[str, Any]], dict[str, Any]], Optional[Callable[[Tx, dict[str, Any]], dict]]]


def _cliente_crear(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(ClienteIn, datos)
    _require_id(body)
    return clientes.create_cliente(tx, body.model_dump(), usuario())


def _cliente_actualizar(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(_Update, datos)
    return clientes.update_cliente(tx, body.id, body.cambios.model_dump(exclude_unset=True, exclude={"version"}),
                                   body.base_version, usuario())


def _orden_crear(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(OrdenIn, datos)
    _require_id(body)
    return shown(ordenes.create_orden(tx, new_orden_data(body), usuario()))


def _orden_estado(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(_Estado, datos)
    permissions.require(rol(), permissions.estado_permission(body.estado))
    # A state change is a command checked by the state machine, not a versioned edit.
    return shown(ordenes.change_estado(tx, body.id, body.estado, nota=body.nota,
                                       registrar_adeudo=body.registrar_adeudo, usuario=usuario()))


def _orden_parte(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(_Parte, datos)
    return shown(ordenes.add_parte(tx, body.orden_id, body.model_dump(exclude={"orden_id"}), usuario(),
                                   allow_negative_stock=True))


def _venta_crear(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(VentaIn, datos)
    _require_id(body)
    settings = config()
    return ventas.create_venta(tx, body.model_dump(), iva_percent=settings.iva_percent,
                               prices_include_iva=settings.prices_include_iva, usuario=usuario(),
                               allow_negative_stock=True)


def _stock_ajustar(tx: Tx, datos: dict[str, Any]) -> dict[str, Any]:
    body = _valid(_Ajuste, datos)
    return inventario.adjust_stock(tx, body.producto_id, body.motivo, cantidad=body.cantidad, nota=body.nota,
                                   usuario=usuario(), allow_negative=True)


HANDLERS: dict[str, Handler] = {
    "cliente.crear": ("clientes:escribir", _cliente_crear, lambda tx, d: clientes.get_cliente(tx, d["id"])),
    "cliente.actualizar": ("clientes:escribir", _cliente_actualizar,
                           lambda tx, d: clientes.get_cliente(tx, d["id"])),
    "orden.crear": ("ordenes:recibir", _orden_crear, lambda tx, d: shown(ordenes.get_orden(tx, d["id"]))),
    "orden.estado": ("ordenes:cambiar_estado", _orden_estado, None),
    "orden.parte": ("ordenes:partes", _orden_parte, None),
    "venta.crear": ("ventas:crear", _venta_crear, lambda tx, d: ventas.get_venta(tx, d["id"])),
    "stock.ajustar": ("inventario:ajustar", _stock_ajustar, None),
}


@bp.get("/changes", summary="Cambios después de `since` (para ponerse al día)", responses={200: ChangesPage})
@requires("sesion")
def changes(query: ChangesQuery):
    with db().read() as tx:
        batch = events.changes_after(tx, query.since, query.limit + 1)
    has_more = len(batch) > query.limit
    batch = batch[: query.limit]
    items = []
    for event in batch:
        data = permissions.visible_change(rol(), event["entidad"], event["data"])
        if data is not None:
            items.append({**event, "data": data})
    # The seq of changes this role may not see still counts: the client moves past them.
    last_seq = batch[-1]["seq"] if batch else query.since
    return {"items": items, "last_seq": last_seq, "has_more": has_more}


@bp.post("/push", summary="Enviar operaciones hechas sin conexión (en orden, cada una una sola vez)",
         responses={200: PushOut})
@requires("sesion")
def push(body: PushIn):
    results = []
    for op in body.ops:
        current = HANDLERS[op.tipo][2]
        targets_record = current is not None and isinstance(op.datos.get("id"), str)
        # The lambdas run inside this iteration's sync.apply, so they see this op.
        with write() as tx:
            results.append(sync.apply(
                tx, op.op_id, body.device_id, op.tipo, lambda tx: _run(tx, op.tipo, op.datos),
                current=(lambda tx: current(tx, op.datos)) if targets_record else None, usuario=usuario(),
            ))
    return {"results": results}


def _run(tx: Tx, tipo: str, datos: dict[str, Any]) -> dict[str, Any]:
    """One operation, with the permission its REST endpoint needs."""
    permission, handler, _ = HANDLERS[tipo]
    permissions.require(rol(), permission)
    return handler(tx, datos)
