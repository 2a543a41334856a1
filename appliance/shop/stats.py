"""Dashboard figures for the counter and the owner, and the cache that spares recomputing them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from ..store import Tx
from . import clock
from .money import to_number
from .ordenes import ESTADOS, OPEN_STATES

# Overdue: promised date passed and the device still not repaired. A `listo`
# device waits for its owner; the shop kept its promise.
OVERDUE_IN = "(" + ", ".join(f"'{e}'" for e in OPEN_STATES if e != "listo") + ")"
METODOS = ("efectivo", "tarjeta", "transferencia")


def _local_bounds(now: dt.datetime, zone: ZoneInfo) -> tuple[str, str, str]:
    """UTC ISO of local midnight today, tomorrow, and the first of this month."""
    local = now.astimezone(zone)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + dt.timedelta(days=1)  # wall-clock arithmetic: ZoneInfo recomputes the offset
    month = today.replace(day=1)
    return clock.iso(today), clock.iso(tomorrow), clock.iso(month)


DAYS_CHART = 30


def _daily_sales(tx: Tx, now: dt.datetime, zone: ZoneInfo, days: int = DAYS_CHART) -> list[dict[str, Any]]:
    """Completed sales per local day, the last `days` days ending today, oldest first, zero-filled.

    Each local day's bounds are computed in the shop's zone (a day with a clock change
    has 23 or 25 hours) and matched against the covering `ventas_fecha` index, one range
    per day, in the dashboard's read snapshot.
    """
    today = now.astimezone(zone).date()
    dates = [today - dt.timedelta(days=back) for back in range(days - 1, -1, -1)]

    def midnight(day: dt.date) -> str:
        return clock.iso(dt.datetime.combine(day, dt.time(), tzinfo=zone))

    bounds = [(i, midnight(day), midnight(day + dt.timedelta(days=1))) for i, day in enumerate(dates)]
    rows = tx.all(
        "WITH dias (i, desde, hasta) AS (VALUES " + ", ".join("(?, ?, ?)" for _ in bounds) + ")"
        " SELECT d.i, COUNT(v.id) AS cantidad, COALESCE(SUM(v.total), 0) AS total FROM dias d"
        " LEFT JOIN ventas v ON v.fecha >= d.desde AND v.fecha < d.hasta AND v.estado = 'completada'"
        " GROUP BY d.i ORDER BY d.i",
        [value for bound in bounds for value in bound],
    )
    return [
        {"fecha": day.isoformat(), "total": to_number(row["total"]), "cantidad": row["cantidad"]}
        for day, row in zip(dates, rows, strict=True)
    ]


def _sales_summary(tx: Tx, desde: str, hasta: str) -> dict[str, Any]:
    totals = tx.one(
        "SELECT COUNT(*) AS cantidad, COALESCE(SUM(total), 0) AS total, COALESCE(SUM(cambio), 0) AS cambio"
        " FROM ventas WHERE estado = 'completada' AND fecha >= ? AND fecha < ?",
        (desde, hasta),
    )
    by_method = {m: {"total": 0, "cantidad": 0} for m in METODOS}
    rows = tx.all(
        "SELECT p.metodo, COUNT(DISTINCT v.id) AS cantidad, SUM(p.monto) AS total"
        " FROM venta_pagos p JOIN ventas v ON v.id = p.venta_id"
        " WHERE v.estado = 'completada' AND v.fecha >= ? AND v.fecha < ? GROUP BY p.metodo",
        (desde, hasta),
    )
    for row in rows:
        # Change goes back in cash, once per sale; subtracting it per payment row
        # counted it twice when a sale had two cash payments.
        total = row["total"] - (totals["cambio"] if row["metodo"] == "efectivo" else 0)
        by_method[row["metodo"]] = {"total": to_number(total), "cantidad": row["cantidad"]}
    return {"total": to_number(totals["total"]), "cantidad": totals["cantidad"], "por_metodo": by_method}


def dashboard(tx: Tx, zone: ZoneInfo, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, computed in one read snapshot."""
    now = now or clock.now()
    today, tomorrow, month = _local_bounds(now, zone)
    por_estado = {estado: 0 for estado in ESTADOS}
    for row in tx.all("SELECT estado, COUNT(*) AS n FROM ordenes GROUP BY estado"):
        por_estado[row["estado"]] = row["n"]
    order_columns = (
        "SELECT o.id, o.folio, o.equipo, o.marca, o.modelo, o.estado, o.fecha_promesa, c.nombre AS cliente_nombre,"
        " c.telefono AS cliente_telefono FROM ordenes o JOIN clientes c ON c.id = o.cliente_id"
    )
    listas = tx.all(f"{order_columns} WHERE o.estado = 'listo' ORDER BY o.folio LIMIT 20")
    vencidas_n = tx.value(
        f"SELECT COUNT(*) FROM ordenes WHERE estado IN {OVERDUE_IN} AND fecha_promesa < ?", (clock.iso(now),)
    )
    vencidas = tx.all(
        f"{order_columns} WHERE o.estado IN {OVERDUE_IN} AND o.fecha_promesa < ? ORDER BY o.fecha_promesa LIMIT 20",
        (clock.iso(now),),
    )
    bajo_n = tx.value("SELECT COUNT(*) FROM productos WHERE activo = 1 AND stock <= stock_minimo")
    bajo = tx.all(
        "SELECT id, codigo, nombre, stock, stock_minimo FROM productos WHERE activo = 1 AND stock <= stock_minimo"
        " ORDER BY stock - stock_minimo, nombre LIMIT 20"
    )
    top = tx.all(
        "SELECT i.producto_id AS id, p.nombre, SUM(i.cantidad) AS cantidad, SUM(i.importe) AS importe"
        " FROM venta_items i JOIN ventas v ON v.id = i.venta_id JOIN productos p ON p.id = i.producto_id"
        " WHERE v.estado = 'completada' AND v.fecha >= ? AND v.fecha < ?"
        " GROUP BY i.producto_id, p.nombre ORDER BY SUM(i.cantidad) DESC, p.nombre LIMIT 10",
        (month, tomorrow),
    )
    for row in top:
        row["importe"] = to_number(row["importe"])
    return {
        "ordenes_por_estado": por_estado,
        "ordenes_abiertas": sum(por_estado[e] for e in OPEN_STATES),
        "listas_para_entrega": {"cantidad": por_estado["listo"], "ordenes": listas},
        "vencidas": {"cantidad": vencidas_n, "ordenes": vencidas},
        "ventas_hoy": _sales_summary(tx, today, tomorrow),
        "ventas_mes": _sales_summary(tx, month, tomorrow),
        "ventas_30_dias": _daily_sales(tx, now, zone),
        "bajo_stock": {"cantidad": bajo_n, "productos": bajo},
        "top_productos_mes": top,
        "generado_en": clock.iso(now),
    }


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
