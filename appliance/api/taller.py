"""HTTP for the shop's own data and what tickets print: GET/PUT /taller, GET /qr."""

from __future__ import annotations

from flask import Response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

from ..shop import qr, taller
from ..shop.schemas import QrTexto, TallerUpdate
from .context import db, expected_version, offload, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, QueryModel

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


class QrQuery(QueryModel):
    texto: QrTexto


_SVG = {
    200: {
        "description": "El código QR en SVG (escalable: viewBox sin tamaño fijo)",
        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
    }
}
# A code only depends on its text: the browser may keep it for a day, but not share it
# with other users (texts can name customers' orders).
QR_CACHE = "private, max-age=86400"


@bp.get("/qr", summary="Código QR de un texto, en SVG (tickets y etiquetas)", responses=_SVG)
@requires("sesion")
def codigo_qr(query: QrQuery):
    # Drawing a long code takes ~20 ms of pure Python: off the hub, so other requests go on.
    return Response(offload(qr.svg, query.texto), mimetype="image/svg+xml", headers={"Cache-Control": QR_CACHE})
