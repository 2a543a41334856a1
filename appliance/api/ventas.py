"""HTTP for sales: /ventas."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import clock, ventas
from ..shop.schemas import CancelarIn, DiaIn, Id, VentaIn
from .context import config, db, rol, state, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, IdPath, PageInfo, PageQuery

bp = APIBlueprint(
    "ventas",
    __name__,
    url_prefix="/ventas",
    abp_tags=[Tag(name="Ventas")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class ItemOut(BaseModel):
    producto_id: str | None
    descripcion: str
    cantidad: int
    precio_unitario: float
    descuento: float
    importe: float


class PagoOut(BaseModel):
    metodo: str
    monto: float
    referencia: str | None


class VentaResumenOut(BaseModel):
    id: str
    folio: int
    cliente_id: str | None
    orden_id: str | None
    subtotal: float
    iva: float
    descuento: float
    total: float
    pagado: float
    cambio: float
    estado: str
    motivo_cancelacion: str | None
    cancelada_en: Fecha | None
    notas: str | None
    usuario: str | None
    fecha: Fecha
    version: int


class VentaOut(VentaResumenOut):
    items: list[ItemOut]
    pagos: list[PagoOut]


class CotizacionItem(ItemOut):
    existencia: int | None = Field(description="Existencia actual del producto; null en partidas de servicio")
    aviso: str | None = Field(description="Por qué la venta se rechazaría por falta de stock; null si alcanza")


class CotizacionOut(BaseModel):
    items: list[CotizacionItem]
    subtotal: float
    iva: float
    descuento: float
    total: float
    pagado: float
    cambio: float
    falta: float = Field(description="Lo que los pagos no cubren del total (la venta lo rechazaría)")


class VentasPage(PageInfo):
    items: list[VentaResumenOut]


class VentasQuery(PageQuery):
    desde: DiaIn | None = Field(None, description="Primer día (hora local de la tienda)")
    hasta: DiaIn | None = Field(None, description="Último día, incluido")
    cliente_id: Id | None = None
    estado: Literal["completada", "cancelada"] | None = None


def _local_midnight(day: dt.date) -> str:
    return clock.iso(dt.datetime.combine(day, dt.time(), tzinfo=config().zone))


@bp.post("", summary="Registrar venta", responses={201: VentaOut})
@requires("ventas:crear")
def crear(body: VentaIn):
    with write() as tx:
        venta = ventas.create_venta(tx, body.model_dump(), settings=state().shop, rol=rol(), usuario=usuario())
    return venta, 201


@bp.post(
    "/cotizar",
    summary="Cotizar venta: los mismos precios, IVA, cambio y revisiones que al vender, sin guardar nada",
    responses={200: CotizacionOut},
)
@requires("ventas:crear")
def cotizar(body: VentaIn):
    with db().read() as tx:
        return ventas.quote_venta(tx, body.model_dump(), settings=state().shop, rol=rol())


@bp.get("", summary="Listar ventas", responses={200: VentasPage})
@requires("ventas:leer")
def listar(query: VentasQuery):
    desde = _local_midnight(query.desde) if query.desde else None
    hasta = _local_midnight(query.hasta + dt.timedelta(days=1)) if query.hasta else None
    with db().read() as tx:
        return ventas.list_ventas(
            tx,
            desde=desde,
            hasta=hasta,
            cliente_id=query.cliente_id,
            estado=query.estado,
            limit=query.limit,
            offset=query.offset,
        )


@bp.get("/<id>", summary="Obtener venta", responses={200: VentaOut})
@requires("ventas:leer")
def obtener(path: IdPath):
    with db().read() as tx:
        return ventas.get_venta(tx, path.id)


@bp.post(
    "/<id>/cancelar", summary="Cancelar venta (devuelve el stock; la venta se conserva)", responses={200: VentaOut}
)
@requires("ventas:cancelar")
def cancelar(path: IdPath, body: CancelarIn):
    with write() as tx:
        return ventas.cancel_venta(tx, path.id, body.motivo, usuario())
