"""HTTP for the dashboard: /stats/dashboard."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import clock, stats
from ..shop.events import last_seq
from .context import config, db, offload, state
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, Salud

bp = APIBlueprint(
    "stats",
    __name__,
    url_prefix="/stats",
    abp_tags=[Tag(name="Estadísticas")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class OrdenBreve(BaseModel):
    id: str
    folio: int
    equipo: str
    marca: str | None
    modelo: str | None
    estado: str
    fecha_promesa: Fecha | None
    cliente_nombre: str
    cliente_telefono: str | None


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


class VentaDia(BaseModel):
    fecha: str = Field(description="Día local de la tienda, AAAA-MM-DD")
    total: float
    cantidad: int


class ProductoBajo(BaseModel):
    id: str
    codigo: str | None
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
    ventas_30_dias: list[VentaDia] = Field(
        description="Ventas completadas por día, los últimos 30 días hasta hoy (del más antiguo al de hoy), con ceros"
    )
    bajo_stock: BajoStock
    top_productos_mes: list[TopProducto]
    respaldo: Salud = Field(description="Estado de los respaldos: edad del último verificado y aviso si hace falta")
    generado_en: Fecha


@bp.get("/dashboard", summary="Dashboard general", responses={200: Dashboard})
@requires("stats:leer")
def dashboard():
    database, zone, now = db(), config().zone, clock.now()
    with database.read() as tx:
        key = (last_seq(tx), clock.iso(now)[:16])

    def compute() -> dict[str, Any]:
        with database.read() as tx:
            return stats.dashboard(tx, zone, now)

    # Backup health is not cached with the figures: it changes with the clock and the backups folder.
    return {**state().dashboard.get(key, lambda: offload(compute)), "respaldo": state().backups.health()}
