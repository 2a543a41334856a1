"""HTTP for backups (the owner only): list, make one now, download, delete, restore."""

from __future__ import annotations

from typing import Any, Literal

from flask import request, send_file
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from .. import backups
from ..backups.service import BackupService
from ..shop.errors import Invalid
from ..shop.schemas import RequestModel
from .context import actor, config, offload, state
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, ErrorResponse, Salud

bp = APIBlueprint(
    "respaldos",
    __name__,
    url_prefix="/backups",
    abp_tags=[Tag(name="Respaldos")],
    abp_responses={**ERROR_RESPONSES, 503: ErrorResponse},
    abp_security=SIGNED_IN,
)


class Copia(BaseModel):
    ok: bool
    ruta: str
    error: str | None


class Respaldo(BaseModel):
    nombre: str
    tipo: Literal["manual", "auto", "pre-restore"] | None
    creado: str | None = Field(description="Fecha ISO (UTC) en que se hizo")
    tamano: int | None = Field(None, description="Bytes")
    sha256: str | None = None
    version_esquema: str | None = None
    filas: dict[str, int] | None = Field(None, description="Filas de cada tabla principal")
    hash_contenido: str | None = None
    duracion_s: float | None = None
    usuario: str | None = Field(None, description="Quién lo pidió (null: automático)")
    verificado: bool = Field(description="Pasó integrity_check al crearlo")
    copia: Copia | None = Field(None, description="Resultado de la copia a BACKUP_COPY_DIR")


class RespaldoListado(Respaldo):
    estado: Literal["verificado", "sin verificar", "invalido"]
    valido: bool
    razon: str | None = Field(description="Por qué no se puede restaurar")


class RespaldosList(BaseModel):
    items: list[RespaldoListado]
    salud: Salud


class Restaurado(Respaldo):
    respaldo_previo: str = Field(description="Respaldo de los datos de antes de restaurar (tipo pre-restore)")


class NombrePath(BaseModel):
    nombre: str = Field(
        max_length=80, pattern=backups.NAME_RE.pattern, description="p. ej. servitec-20261127-210000-auto.db"
    )


class RestoreIn(RequestModel):
    confirmar: str = Field(max_length=80, description="El nombre del respaldo otra vez, para confirmar")


def service() -> BackupService:
    return state().backups


@bp.get("", summary="Listar respaldos", responses={200: RespaldosList})
@requires("respaldos:administrar")
def listar():
    return {"items": offload(backups.list_backups, config().backup_dir), "salud": service().health()}


@bp.post("", summary="Hacer un respaldo ahora", responses={201: Respaldo})
@requires("respaldos:administrar")
def crear():
    return service().backup("manual", actor()), 201


_FILE = {
    200: {
        "description": "El archivo SQLite del respaldo",
        "content": {"application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@bp.get("/<nombre>", summary="Descargar un respaldo", responses=_FILE)
@requires("respaldos:administrar")
def descargar(path: NombrePath):
    file = backups.backup_path(config().backup_dir, path.nombre)
    if request.method == "GET":  # HEAD (added by Flask) sends no bytes: nothing left the server
        service().downloaded(path.nombre, actor())
    return send_file(file.resolve(), mimetype="application/vnd.sqlite3", as_attachment=True, download_name=path.nombre)


@bp.delete("/<nombre>", summary="Borrar un respaldo", responses={200: Respaldo})
@requires("respaldos:administrar")
def borrar(path: NombrePath):
    return service().delete(path.nombre, actor())


@bp.post(
    "/<nombre>/restore", summary="Restaurar un respaldo (reemplaza los datos actuales)", responses={200: Restaurado}
)
@requires("respaldos:administrar")
def restaurar(path: NombrePath, body: RestoreIn) -> Any:
    if body.confirmar != path.nombre:
        raise Invalid(
            "Para restaurar escribe el nombre exacto del respaldo en confirmar.",
            fields={"confirmar": "Debe ser el nombre del respaldo."},
        )
    restored = service().restore(path.nombre, actor())
    state().sessions.forget_all()  # the restore put the accounts back as they were before it
    return restored
