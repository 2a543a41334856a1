"""HTTP for customers: /clientes."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import clientes, permissions
from ..shop.schemas import ClienteIn, ClienteUpdate, Search, Version
from .context import db, expected_version, rol, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, IdPath, PageInfo, PageQuery, QueryModel

bp = APIBlueprint(
    "clientes",
    __name__,
    url_prefix="/clientes",
    abp_tags=[Tag(name="Clientes")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class ClienteOut(BaseModel):
    id: str
    nombre: str
    telefono: str | None
    email: str | None
    direccion: str | None
    rfc: str | None
    notas: str | None
    version: int
    creado_en: Fecha
    actualizado_en: Fecha


class ClientesPage(PageInfo):
    items: list[ClienteOut]


class ClientesQuery(PageQuery):
    q: Search = None


class VersionQuery(QueryModel):
    version: Version | None = None


class ClienteEliminado(BaseModel):
    id: str
    eliminado: bool
    version: int


class OrdenResumen(BaseModel):
    id: str
    folio: int
    equipo: str
    marca: str | None
    modelo: str | None
    estado: str
    falla_reportada: str
    costo_final: float | None
    creado_en: Fecha
    fecha_entrega: Fecha | None


class VentaResumen(BaseModel):
    id: str
    folio: int
    total: float
    estado: str
    fecha: Fecha
    orden_id: str | None


class Equipo(BaseModel):
    equipo: str
    marca: str | None
    modelo: str | None
    numero_serie: str | None
    color: str | None = Field(description="Como lo anotó su orden más reciente")
    ultima_orden_id: str
    ultimo_folio: int
    ultima_fecha: Fecha = Field(description="Cuándo se recibió en su orden más reciente")


class Historial(BaseModel):
    cliente: ClienteOut
    ordenes: list[OrdenResumen]
    ventas: list[VentaResumen]
    equipos: list[Equipo] = Field(
        description="Equipos distintos (tipo, marca, modelo y serie) de sus órdenes, del más reciente al más antiguo"
    )


@bp.get("", summary="Listar clientes", responses={200: ClientesPage})
@requires("clientes:leer")
def listar(query: ClientesQuery):
    with db().read() as tx:
        return clientes.list_clientes(tx, q=query.q, limit=query.limit, offset=query.offset)


@bp.get("/<id>", summary="Obtener cliente", responses={200: ClienteOut})
@requires("clientes:leer")
def obtener(path: IdPath):
    with db().read() as tx:
        return clientes.get_cliente(tx, path.id)


@bp.post("", summary="Crear cliente", responses={201: ClienteOut})
@requires("clientes:escribir")
def crear(body: ClienteIn):
    with write() as tx:
        return clientes.create_cliente(tx, body.model_dump(), usuario()), 201


@bp.put("/<id>", summary="Actualizar cliente (solo los campos enviados)", responses={200: ClienteOut})
@requires("clientes:escribir")
def actualizar(path: IdPath, body: ClienteUpdate):
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    version = expected_version(body.version)
    with write() as tx:
        return clientes.update_cliente(tx, path.id, changes, version, usuario())


@bp.delete(
    "/<id>", summary="Eliminar cliente (baja lógica; no si tiene órdenes abiertas)", responses={200: ClienteEliminado}
)
@requires("clientes:eliminar")
def eliminar(path: IdPath, query: VersionQuery):
    version = expected_version(query.version)
    with write() as tx:
        return clientes.delete_cliente(tx, path.id, version, usuario())


@bp.get("/<id>/historial", summary="Órdenes, compras y equipos del cliente", responses={200: Historial})
@requires("clientes:leer")
def historial(path: IdPath):
    with db().read() as tx:
        result = clientes.historial_cliente(tx, path.id)
    if not permissions.allowed(rol(), "ventas:leer"):
        result["ventas"] = []  # a technician sees the customer's devices, not what they paid
    return result
