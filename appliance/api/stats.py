"""HTTP for the dashboard: /stats/dashboard."""

from __future__ import annotations

from typing import Optional

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

from .. import stats
from .context import config, db
from .models import ERROR_RESPONSES, Fecha

bp = APIBlueprint("stats", __name__, url_prefix="/stats", abp_tags=[Tag(name="Estadísticas")],
                  abp_responses=ERROR_RESPONSES)


class OrdenBreve(BaseModel):
    id: str
    folio: int
    equipo: str
    marca: Optional[str]
    modelo: Optional[str]
    estado: str
    fecha_promesa: Optional[Fecha]
    cliente_nombre: str
    cliente_telefono: Optional[str]


class ListaOrdenes(BaseModel):
    cantidad: int
    ordenes: list[OrdenBreve]


class PorMetodo(BaseModel):
    total: float
    cantidad: int


class ResumenVentas(BaseModel):
    total: float
    cantidad: int
    por_metodo: dict[str, PorMetodo]


class ProductoBajo(BaseModel):
    id: str
    codigo: Optional[str]
    nombre: str
    stock: int
    stock_minimo: int


class BajoStock(BaseModel):
    cantidad: int
    productos: list[ProductoBajo]


class TopProducto(BaseModel):
    id: str
    nombre: str
    cantidad: int
    importe: float


class Dashboard(BaseModel):
    ordenes_por_estado: dict[str, int]
    ordenes_abiertas: int
    listas_para_entrega: ListaOrdenes
    vencidas: ListaOrdenes
    ventas_hoy: ResumenVentas
    ventas_mes: ResumenVentas
    bajo_stock: BajoStock
    top_productos_mes: list[TopProducto]
    generado_en: Fecha


@bp.get("/dashboard", summary="Dashboard general", responses={200: Dashboard})
def dashboard():
    with db().read() as tx:
        return stats.dashboard(tx, config().zone)
