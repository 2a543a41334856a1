"""HTTP for offline sync: GET /sync/changes (pull) and POST /sync/push (the outbox).

The operations and their rules are the shop's op table (shop/sync.py); this is
only its HTTP face.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import clock, events, permissions, replica, sync
from ..shop.schemas import FilasIn, PushIn
from .context import caller, db, rol, state, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, QueryModel

bp = APIBlueprint(
    "sync",
    __name__,
    url_prefix="/sync",
    abp_tags=[Tag(name="Sincronización")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


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


class Tabla(BaseModel):
    columnas: list[str]
    filas: list[list[Any]]


class Ajustes(BaseModel):
    zona_horaria: str
    iva_porcentaje: int
    precios_incluyen_iva: bool
    limite_descuento_porcentaje: int


class Snapshot(BaseModel):
    seq: int = Field(description="Las filas valen hasta este seq; sigue con GET /sync/filas?since=seq")
    server_id: str
    ajustes: Ajustes = Field(description="Lo que las reglas del taller leen, para aplicarlas igual sin conexión")
    tablas: dict[str, Tabla]


class FilasQuery(QueryModel):
    since: int = Field(0, ge=0, le=2**62, description="Último seq que ya tiene la réplica")
    limit: int = Field(500, ge=1, le=1000)


class FilasPage(BaseModel):
    entidades: dict[str, list[str]] = Field(description="Registros cambiados; un id sin filas ya no existe")
    tablas: dict[str, Tabla]
    reiniciar: bool = Field(description="Se restauró un respaldo: vuelve a pedir GET /sync/snapshot")
    last_seq: int
    has_more: bool


class Filas(BaseModel):
    entidades: dict[str, list[str]]
    tablas: dict[str, Tabla]


class OpResult(BaseModel):
    op_id: str
    resultado: Literal["applied", "duplicate", "conflict", "rejected"]
    original: str | None = None
    data: dict[str, Any] | None = None
    actual: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class PushOut(BaseModel):
    results: list[OpResult]


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


@bp.post(
    "/push",
    summary="Enviar operaciones hechas sin conexión (en orden, cada una una sola vez)",
    responses={200: PushOut},
)
@requires("sesion")
def push(body: PushIn):
    # Each op is checked with its REST endpoint's permission by the op table itself.
    return {"results": sync.push(write, caller(), body.device_id, body.model_dump()["ops"])}


@bp.get(
    "/snapshot",
    summary="Copia inicial para la réplica del cliente de escritorio (filas de las tablas y su seq)",
    responses={200: Snapshot},
)
@requires("sesion")
def snapshot():
    shop = state().shop
    with db().read() as tx:
        body = replica.snapshot(tx, rol(), clock.now())
    ajustes = {
        "zona_horaria": shop.zone.key,
        "iva_porcentaje": shop.iva_percent,
        "precios_incluyen_iva": shop.prices_include_iva,
        "limite_descuento_porcentaje": shop.discount_limit_percent,
    }
    return {**body, "server_id": db().server_id, "ajustes": ajustes}


@bp.get("/filas", summary="Filas actuales de lo que cambió después de `since` (réplica)", responses={200: FilasPage})
@requires("sesion")
def filas_cambiadas(query: FilasQuery):
    with db().read() as tx:
        return replica.changed_since(tx, rol(), query.since, query.limit)


@bp.post("/filas", summary="Filas actuales de registros dados (réplica)", responses={200: Filas})
@requires("sesion")
def filas(body: FilasIn):
    with db().read() as tx:
        return {"entidades": body.entidades, "tablas": replica.entity_rows(tx, rol(), body.entidades)}
