"""HTTP for service orders: /ordenes."""

from __future__ import annotations

from typing import Literal, Optional

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from typing_extensions import Annotated

from .. import ordenes, permissions
from .context import db, expected_version, rol, usuario, utc_iso, write
from .security import requires
from .models import (ERROR_RESPONSES, SIGNED_IN, Cantidad, Fecha, FechaHoraIn, Id, IdPath, Money, OptText, PageInfo, PageQuery,
                     RequestModel, Search, Text, Version)

bp = APIBlueprint("ordenes", __name__, url_prefix="/ordenes", abp_tags=[Tag(name="Órdenes de servicio")],
                  abp_responses=ERROR_RESPONSES, abp_security=SIGNED_IN)

Equipo = Literal["celular", "laptop", "pc", "tablet", "consola", "otro"]
Prioridad = Literal["baja", "normal", "alta", "urgente"]
Estado = Literal[ordenes.ESTADOS]  # type: ignore[valid-type]
Garantia = Annotated[int, Field(ge=0, le=3650, description="Días de garantía")]


class PuntoCondicion(RequestModel):
    punto: Text(60)
    estado: Text(120)


Condicion = Annotated[list[PuntoCondicion], Field(max_length=30, description="Revisión al recibir: pantalla, carcasa, botones, carga, humedad…")]


class OrdenFields(RequestModel):
    marca: OptText(60) = None
    modelo: OptText(80) = None
    numero_serie: OptText(80) = Field(None, description="Número de serie o IMEI")
    color: OptText(40) = None
    accesorios: OptText(300) = Field(None, description="Accesorios entregados con el equipo")
    contrasena: OptText(100) = Field(None, description="Contraseña o patrón de desbloqueo")
    diagnostico: OptText(4000) = None
    presupuesto: Optional[Money] = None
    costo_final: Optional[Money] = None
    tecnico_id: Optional[Id] = None
    fecha_promesa: Optional[FechaHoraIn] = Field(None, description="Sin zona horaria = hora local de la tienda")
    notas: OptText(4000) = None


class OrdenIn(OrdenFields):
    id: Optional[Id] = None
    cliente_id: Id
    equipo: Equipo
    falla_reportada: Text(2000)
    condicion: Condicion = []
    anticipo: Optional[Money] = None
    prioridad: Prioridad = "normal"
    garantia_dias: Garantia = 90


class OrdenUpdate(OrdenFields):
    cliente_id: Optional[Id] = None
    equipo: Optional[Equipo] = None
    falla_reportada: Optional[Text(2000)] = None
    condicion: Optional[Condicion] = None
    anticipo: Optional[Money] = None
    prioridad: Optional[Prioridad] = None
    garantia_dias: Optional[Garantia] = None
    version: Optional[Version] = None


class EstadoIn(RequestModel):
    estado: Estado
    nota: OptText(1000) = None
    registrar_adeudo: bool = Field(False, description="Entregar con saldo pendiente, registrándolo como adeudo")
    version: Optional[Version] = None


class ParteIn(RequestModel):
    tipo: Literal["parte", "mano_obra"]
    producto_id: Optional[Id] = Field(None, description="Producto del inventario (tipo parte)")
    descripcion: OptText(200) = None
    cantidad: Cantidad = 1
    precio_unitario: Optional[Money] = Field(None, description="Por omisión, el precio de venta del producto")


class OrdenesQuery(PageQuery):
    estado: Optional[Estado] = None
    cliente_id: Optional[Id] = None
    tecnico_id: Optional[Id] = None
    q: Search = None


class Punto(BaseModel):
    punto: str
    estado: str


class OrdenOut(BaseModel):
    id: str
    folio: int
    cliente_id: str
    cliente_nombre: str
    cliente_telefono: Optional[str]
    equipo: str
    marca: Optional[str]
    modelo: Optional[str]
    numero_serie: Optional[str]
    color: Optional[str]
    accesorios: Optional[str]
    contrasena: Optional[str]
    falla_reportada: str
    condicion: list[Punto]
    diagnostico: Optional[str]
    presupuesto: Optional[float]
    anticipo: float
    costo_final: Optional[float]
    adeudo: float
    tecnico_id: Optional[str]
    prioridad: str
    fecha_promesa: Optional[Fecha]
    fecha_entrega: Optional[Fecha]
    garantia_dias: int
    notas: Optional[str]
    estado: str
    version: int
    creado_en: Fecha
    actualizado_en: Fecha


class Cambio(BaseModel):
    de_estado: Optional[str]
    a_estado: str
    nota: Optional[str]
    usuario: Optional[str]
    fecha: Fecha


class Parte(BaseModel):
    id: str
    tipo: str
    producto_id: Optional[str]
    descripcion: str
    cantidad: int
    precio_unitario: float
    importe: float
    usuario: Optional[str]
    fecha: Fecha


class OrdenDetalle(OrdenOut):
    historial: list[Cambio]
    partes: list[Parte]
    total_partes: float
    pagado: float = Field(description="Cobrado en ventas ligadas a la orden (partidas de servicio)")
    saldo: float = Field(description="costo_final − anticipo − pagado")
    siguientes_estados: list[str]


class OrdenesPage(PageInfo):
    items: list[OrdenOut]


def new_orden_data(body: OrdenIn) -> dict:
    """A new order's fields for the domain, defaults included."""
    data = _with_dates(body)
    for field in ("condicion", "prioridad", "garantia_dias"):
        data.setdefault(field, getattr(body, field))
    return data


def _with_dates(body: OrdenFields) -> dict:
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    if "fecha_promesa" in data:
        data["fecha_promesa"] = utc_iso(data["fecha_promesa"])
    if data.get("condicion") is not None:
        data["condicion"] = [dict(p) for p in data["condicion"]]
    return data


def shown(orden: dict) -> dict:
    """The order as the caller may see it: device passcodes only for roles that work on the device."""
    if not permissions.allowed(rol(), "ordenes:ver_acceso"):
        orden["contrasena"] = None
    return orden


@bp.get("", summary="Listar órdenes", responses={200: OrdenesPage})
@requires("ordenes:leer")
def listar(query: OrdenesQuery):
    with db().read() as tx:
        page = ordenes.list_ordenes(tx, **query.model_dump())
    page["items"] = [shown(orden) for orden in page["items"]]
    return page


@bp.post("", summary="Recibir un equipo (nueva orden)", responses={201: OrdenDetalle})
@requires("ordenes:recibir")
def crear(body: OrdenIn):
    with write() as tx:
        return shown(ordenes.create_orden(tx, new_orden_data(body), usuario())), 201


@bp.get("/<id>", summary="Obtener orden con historial, partes y saldo", responses={200: OrdenDetalle})
@requires("ordenes:leer")
def obtener(path: IdPath):
    with db().read() as tx:
        return shown(ordenes.get_orden(tx, path.id))


@bp.put("/<id>", summary="Editar orden (detalles, diagnóstico, presupuesto, costos)", responses={200: OrdenDetalle})
@requires("ordenes:editar")
def actualizar(path: IdPath, body: OrdenUpdate):
    changes = _with_dates(body)
    version = expected_version(body.version)
    with write() as tx:
        return shown(ordenes.update_orden(tx, path.id, changes, version, usuario()))


@bp.put("/<id>/estado", summary="Cambiar estado (máquina de estados)", responses={200: OrdenDetalle})
@requires("ordenes:cambiar_estado")
def cambiar_estado(path: IdPath, body: EstadoIn):
    permissions.require(rol(), permissions.estado_permission(body.estado))
    version = expected_version(body.version)
    with write() as tx:
        return shown(ordenes.change_estado(tx, path.id, body.estado, nota=body.nota,
                                            registrar_adeudo=body.registrar_adeudo, expected_version=version,
                                            usuario=usuario()))


@bp.post("/<id>/partes", summary="Agregar refacción del inventario o mano de obra", responses={201: OrdenDetalle})
@requires("ordenes:partes")
def agregar_parte(path: IdPath, body: ParteIn):
    with write() as tx:
        return shown(ordenes.add_parte(tx, path.id, body.model_dump(), usuario())), 201
