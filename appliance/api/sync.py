"""HTTP for offline sync: GET /sync/changes (pull) and POST /sync/push (the outbox).

The operations and their rules are the shop's op table (shop/sync.py); this is
only its HTTP face.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import events, permissions, sync
from ..shop.schemas import PushIn
from .context import caller, db, rol, write
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
