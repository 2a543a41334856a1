"""HTTP for service orders: /ordenes."""

from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import ordenes, permissions, whatsapp
from ..shop.schemas import Estado, EstadoIn, Id, OrdenIn, OrdenUpdate, ParteIn, Search
from .context import config, db, expected_version, rol, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, IdPath, PageInfo, PageQuery

bp = APIBlueprint(
    "ordenes",
    __name__,
    url_prefix="/ordenes",
    abp_tags=[Tag(name="Órdenes de servicio")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class OrdenesQuery(PageQuery):
    estado: Estado | None = None
    cliente_id: Id | None = None
    tecnico_id: Id | None = None
    folio: int | None = Field(default=None, ge=1, le=2**53, description="Exactamente este folio (lo que trae su QR)")
    q: Search = None


class Punto(BaseModel):
    punto: str
    estado: str


class OrdenOut(BaseModel):
    id: str
    folio: int
    cliente_id: str
    cliente_nombre: str
    cliente_telefono: str | None
    equipo: str
    marca: str | None
    modelo: str | None
    numero_serie: str | None
    color: str | None
    accesorios: str | None
    contrasena: str | None
    falla_reportada: str
    condicion: list[Punto]
    diagnostico: str | None
    presupuesto: float | None
    anticipo: float
    costo_final: float | None
    adeudo: float
    tecnico_id: str | None
    prioridad: str
    fecha_promesa: Fecha | None
    fecha_entrega: Fecha | None
    garantia_dias: int
    notas: str | None
    estado: str
    version: int
    creado_en: Fecha
    actualizado_en: Fecha


class Cambio(BaseModel):
    de_estado: str | None
    a_estado: str
    nota: str | None
    usuario: str | None
    fecha: Fecha


class Parte(BaseModel):
    id: str
    tipo: str
    producto_id: str | None
    descripcion: str
    cantidad: int
    precio_unitario: float
    importe: float
    usuario: str | None
    fecha: Fecha


class OrdenDetalle(OrdenOut):
    historial: list[Cambio]
    partes: list[Parte]
    total_partes: float
    pagado: float = Field(description="Cobrado en ventas ligadas a la orden (partidas de servicio)")
    saldo: float = Field(description="costo_final − anticipo − pagado")
    siguientes_estados: list[str]


class MensajeWhatsApp(BaseModel):
    tipo: Literal["recibido", "presupuesto", "listo"]
    titulo: str = Field(description="Texto del botón")
    texto: str = Field(description="El mensaje, en español")
    url: str | None = Field(description="https://wa.me/52XXXXXXXXXX?text=… (null si el teléfono no sirve)")


class WhatsAppOrden(BaseModel):
    telefono: str | None = Field(description="El teléfono del cliente como está guardado")
    numero: str | None = Field(description="52 y los 10 dígitos, o null si no es un número de México")
    error: str | None = Field(description="Por qué no hay número, para corregirlo en Clientes")
    mensajes: list[MensajeWhatsApp]


class OrdenListada(OrdenOut):
    siguientes_estados: list[str]


class OrdenesPage(PageInfo):
    items: list[OrdenListada]


@bp.get("", summary="Listar órdenes", responses={200: OrdenesPage})
@requires("ordenes:leer")
def listar(query: OrdenesQuery):
    with db().read() as tx:
        page = ordenes.list_ordenes(tx, **query.model_dump())
    page["items"] = [permissions.shown_orden(rol(), orden) for orden in page["items"]]
    return page


@bp.post("", summary="Recibir un equipo (nueva orden)", responses={201: OrdenDetalle})
@requires("ordenes:recibir")
def crear(body: OrdenIn):
    with write() as tx:
        return permissions.shown_orden(
            rol(), ordenes.create_orden(tx, body.new_orden(config().zone), usuario(), rol=rol())
        ), 201


@bp.get("/<id>", summary="Obtener orden con historial, partes y saldo", responses={200: OrdenDetalle})
@requires("ordenes:leer")
def obtener(path: IdPath):
    with db().read() as tx:
        return permissions.shown_orden(rol(), ordenes.get_orden(tx, path.id))


@bp.put("/<id>", summary="Editar orden (detalles, diagnóstico, presupuesto, costos)", responses={200: OrdenDetalle})
@requires("ordenes:editar")
def actualizar(path: IdPath, body: OrdenUpdate):
    changes = body.changes(config().zone)
    version = expected_version(body.version)
    with write() as tx:
        return permissions.shown_orden(rol(), ordenes.update_orden(tx, path.id, changes, version, usuario(), rol=rol()))


@bp.put("/<id>/estado", summary="Cambiar estado (máquina de estados)", responses={200: OrdenDetalle})
@requires("ordenes:cambiar_estado")
def cambiar_estado(path: IdPath, body: EstadoIn):
    version = expected_version(body.version)
    with write() as tx:
        orden = ordenes.change_estado(
            tx,
            path.id,
            body.estado,
            nota=body.nota,
            registrar_adeudo=body.registrar_adeudo,
            expected_version=version,
            usuario=usuario(),
            rol=rol(),
        )
    return permissions.shown_orden(rol(), orden)


@bp.post("/<id>/partes", summary="Agregar refacción del inventario o mano de obra", responses={201: OrdenDetalle})
@requires("ordenes:partes")
def agregar_parte(path: IdPath, body: ParteIn):
    with write() as tx:
        return permissions.shown_orden(
            rol(), ordenes.add_parte(tx, path.id, body.model_dump(), usuario(), rol=rol())
        ), 201


@bp.get(
    "/<id>/whatsapp",
    summary="Mensajes de WhatsApp para el cliente (recibido, presupuesto, listo) con su enlace wa.me",
    responses={200: WhatsAppOrden},
)
@requires("ordenes:leer")
def mensajes_whatsapp(path: IdPath):
    with db().read() as tx:
        return whatsapp.whatsapp_orden(tx, path.id)
