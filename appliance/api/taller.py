"""HTTP for the shop's own data: GET/PUT /taller."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

from ..shop import taller
from ..shop.schemas import TallerUpdate
from .context import db, expected_version, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha

bp = APIBlueprint(
    "taller",
    __name__,
    abp_tags=[Tag(name="Taller")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class TallerOut(BaseModel):
    nombre: str | None
    direccion: str | None
    telefono: str | None
    rfc: str | None
    regimen_fiscal: str | None
    garantia: str | None
    pie_ticket: str | None
    version: int
    actualizado_en: Fecha | None


@bp.get("/taller", summary="Datos del taller (nulos mientras el dueño no los capture)", responses={200: TallerOut})
@requires("taller:leer")
def obtener():
    with db().read() as tx:
        return taller.get_taller(tx)


@bp.put("/taller", summary="Editar los datos del taller (solo los campos enviados)", responses={200: TallerOut})
@requires("taller:editar")
def actualizar(body: TallerUpdate):
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    version = expected_version(body.version)
    with write() as tx:
        return taller.update_taller(tx, changes, version, usuario())
