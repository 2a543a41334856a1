"""HTTP for the dashboard: /stats/dashboard."""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from .. import clock, stats
from ..events import last_seq
from .context import config, db, offload
from .security import requires
from .backups import Salud
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha

bp = APIBlueprint("stats", __name__, url_prefix="/stats", abp_tags=[Tag(name="Estadísticas")],
                  abp_responses=ERROR_RESPONSES, abp_security=SIGNED_IN)


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
    respaldo: Salud = Field(description="Estado de los respaldos: edad del último verificado y aviso si hace falta")
    generado_en: Fecha


class DashboardCache:
    """The last dashboard, reused until a write lands or the minute turns.

    Computing it scans a month of sales (tens of ms on a busy shop's data) and
    every counter screen polls it. The key is the change log's last sequence
    (any write changes it) and the current minute (what is overdue, and what
    "today" is, move with the clock). One computation at a time; requests that
    arrive while it runs get the previous figures at once instead of queueing
    behind it (under a burst of sales they would otherwise pile up). A
    client that writes and then reads, with nobody else computing, always
    waits for figures that include its write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._value: dict[str, Any] | None = None

    def get(self, key: tuple[int, str], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if key != self._key:
            if self._value is not None and self._lock.locked():
                return self._value
            with self._lock:
                if key != self._key:
                    self._value = compute()
                    self._key = key
        return self._value


@bp.get("/dashboard", summary="Dashboard general", responses={200: Dashboard})
@requires("stats:leer")
def dashboard():
    database, zone, now = db(), config().zone, clock.now()
    with database.read() as tx:
        key = (last_seq(tx), clock.iso(now)[:16])

    def compute() -> dict[str, Any]:
        with database.read() as tx:
            return stats.dashboard(tx, zone, now)

    cache = current_app.extensions.setdefault("servitec.dashboard", DashboardCache())
    # Backup health is not cached with the figures: it changes with the clock and the backups folder.
    return {**cache.get(key, lambda: offload(compute)), "respaldo": current_app.extensions["servitec.backups"].health()}
