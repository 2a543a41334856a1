"""Point of sale: a sale, its lines, its payments and its stock movements, in one transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, NamedTuple

from ..store import Tx
from . import clock, overrides
from .errors import Conflict, Invalid, NotFound
from .events import record_change
from .folios import next_folio
from .inventario import move_stock, shortage, usable_row
from .money import split_iva, to_number
from .records import page, update_row
from .settings import ShopSettings

COLUMNS = (
    "id, folio, cliente_id, orden_id, subtotal, iva, descuento, total, pagado, cambio, estado,"
    " motivo_cancelacion, cancelada_en, notas, usuario, fecha, version"
)
MONEY = ("subtotal", "iva", "descuento", "total", "pagado", "cambio")


def _money(amount: int) -> str:
    return f"${amount / 100:,.2f}"


def _lines(tx: Tx, items: list[dict[str, Any]], rol: str, settings: ShopSettings) -> list[dict[str, Any]]:
    """Resolve each requested item into a priced line (centavos), with the role's price rules.

    A line of a catalogue product keeps its row as `producto` (for the audit trail).
    """
    lines = []
    for index, item in enumerate(items):
        cantidad = item["cantidad"]
        producto = None
        if item.get("producto_id"):
            producto = usable_row(tx, item["producto_id"], f"items.{index}.producto_id")
            precio = overrides.catalogue_price(
                rol, producto, item.get("precio_unitario"), field=f"items.{index}.precio_unitario"
            )
            descripcion = item.get("descripcion") or producto["nombre"]
        else:
            if not item.get("descripcion") or item.get("precio_unitario") is None:
                raise Invalid(
                    "Cada partida necesita un producto, o una descripción y un precio (p. ej. el cobro de una reparación).",
                    fields={f"items.{index}": "Falta producto_id, o descripcion y precio_unitario."},
                )
            precio, descripcion = item["precio_unitario"], item["descripcion"]
        bruto = cantidad * precio
        descuento = item.get("descuento") or 0
        if descuento > bruto:
            raise Invalid(
                f"El descuento de '{descripcion}' ({_money(descuento)}) es mayor que su importe ({_money(bruto)}).",
                fields={f"items.{index}.descuento": "Mayor que el importe."},
            )
        overrides.check_discount(rol, settings, bruto, descuento, descripcion, field=f"items.{index}.descuento")
        lines.append(
            {
                "producto": producto,
                "producto_id": item.get("producto_id"),
                "descripcion": descripcion,
                "cantidad": cantidad,
                "precio_unitario": precio,
                "descuento": descuento,
                "importe": bruto - descuento,
            }
        )
    return lines


def _payments(pagos: list[dict[str, Any]] | None, total: int) -> tuple[list[dict[str, Any]], int, int, int]:
    """(pagos, pagado, cambio, falta) in centavos; only cash may exceed the total (the excess is change).

    What is missing (`falta`) is for the caller to judge: a sale refuses it, a quote shows it.
    """
    if pagos is None:  # omitted: exact cash. An explicit [] means nothing was paid.
        pagos = [{"metodo": "efectivo", "monto": total}] if total else []
    pagado = sum(p["monto"] for p in pagos)
    efectivo = sum(p["monto"] for p in pagos if p["metodo"] == "efectivo")
    cambio, falta = max(pagado - total, 0), max(total - pagado, 0)
    if cambio > efectivo:
        raise Invalid(
            "Solo el efectivo puede exceder el total (para dar cambio); los pagos con tarjeta o transferencia "
            "no pueden ser mayores que lo que se cobra.",
            code="pago_excedido",
            fields={"pagos": "Pago con tarjeta o transferencia mayor al total."},
        )
    return pagos, pagado, cambio, falta


class Priced(NamedTuple):
    """A sale as its rules price it (centavos), before anything is written."""

    cliente_id: str | None
    orden_id: str | None
    lines: list[dict[str, Any]]
    subtotal: int
    iva: int
    descuento: int
    total: int
    pagos: list[dict[str, Any]]
    pagado: int
    cambio: int
    falta: int


def _priced(tx: Tx, data: dict[str, Any], settings: ShopSettings, rol: str) -> Priced:
    """Check and price a sale's request the one way both a sale and a quote do: its customer and
    order, each line with the role's price and discount rules, IVA, and the payments."""
    cliente_id, orden_id = data.get("cliente_id"), data.get("orden_id")
    if orden_id:
        orden = tx.one("SELECT folio, cliente_id, estado FROM ordenes WHERE id = ?", (orden_id,))
        if orden is None:
            raise NotFound(f"No existe la orden {orden_id}.", fields={"orden_id": "No existe."})
        if orden["estado"] == "cancelado":
            raise Conflict(f"La orden {orden['folio']} está cancelada; no se le puede cobrar.", code="orden_cerrada")
        cliente_id = cliente_id or orden["cliente_id"]
    if cliente_id and not tx.value("SELECT 1 FROM clientes WHERE id = ? AND eliminado_en IS NULL", (cliente_id,)):
        raise NotFound(f"No existe el cliente {cliente_id}.", fields={"cliente_id": "No existe."})
    lines = _lines(tx, data["items"], rol, settings)
    subtotal, iva, total = split_iva(
        sum(line["importe"] for line in lines), settings.iva_percent, settings.prices_include_iva
    )
    pagos, pagado, cambio, falta = _payments(data.get("pagos"), total)
    descuento = sum(line["descuento"] for line in lines)
    return Priced(cliente_id, orden_id, lines, subtotal, iva, descuento, total, pagos, pagado, cambio, falta)


def _per_product(lines: list[dict[str, Any]]) -> dict[str, tuple[int, dict[str, Any]]]:
    """Pieces asked of each catalogue product across the lines, with its row: stock leaves per product."""
    needed: dict[str, int] = defaultdict(int)
    rows = {}
    for line in lines:
        if line["producto_id"]:
            needed[line["producto_id"]] += line["cantidad"]
            rows[line["producto_id"]] = line["producto"]
    return {producto_id: (cantidad, rows[producto_id]) for producto_id, cantidad in needed.items()}


def create_venta(
    tx: Tx,
    data: dict[str, Any],
    *,
    settings: ShopSettings,
    rol: str,
    usuario: str | None = None,
    allow_negative_stock: bool = False,
) -> dict[str, Any]:
    """Register a sale. Stock leaves through the ledger; short stock refuses the whole sale (409).

    `rol` decides whether a line may leave the catalogue price or pass the discount limit.
    """
    venta_id = data.get("id") or str(uuid.uuid4())
    if tx.value("SELECT 1 FROM ventas WHERE id = ?", (venta_id,)):
        raise Conflict(f"Ya existe una venta con id {venta_id}.", code="ya_existe", fields={"id": "Ya existe."})
    priced = _priced(tx, data, settings, rol)
    if priced.falta:
        raise Invalid(
            f"Los pagos ({_money(priced.pagado)}) no cubren el total ({_money(priced.total)}).",
            code="pago_insuficiente",
            fields={"pagos": f"Faltan {_money(priced.falta)}."},
        )
    lines = priced.lines

    folio = next_folio(tx, "ventas")
    now = clock.now_iso()
    tx.execute(
        f"INSERT INTO ventas ({COLUMNS}, actualizado_en)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'completada', NULL, NULL, ?, ?, ?, 1, ?)",
        (
            venta_id,
            folio,
            priced.cliente_id,
            priced.orden_id,
            priced.subtotal,
            priced.iva,
            priced.descuento,
            priced.total,
            priced.pagado,
            priced.cambio,
            data.get("notas"),
            usuario,
            now,
            now,
        ),
    )
    tx.executemany(
        "INSERT INTO venta_items (venta_id, producto_id, descripcion, cantidad, precio_unitario, descuento, importe)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                venta_id,
                line["producto_id"],
                line["descripcion"],
                line["cantidad"],
                line["precio_unitario"],
                line["descuento"],
                line["importe"],
            )
            for line in lines
        ],
    )
    tx.executemany(
        "INSERT INTO venta_pagos (venta_id, metodo, monto, referencia) VALUES (?, ?, ?, ?)",
        [(venta_id, p["metodo"], p["monto"], p.get("referencia")) for p in priced.pagos],
    )
    for producto_id, (cantidad, producto) in _per_product(lines).items():
        move_stock(
            tx,
            producto_id,
            -cantidad,
            "venta",
            referencia=venta_id,
            nota=f"Venta {folio}",
            usuario=usuario,
            allow_negative=allow_negative_stock,
            producto=producto,
        )
    for line in lines:
        if line["producto"] is not None:
            overrides.audit_price(tx, "ventas", venta_id, line["producto"], line["precio_unitario"], line["cantidad"])
        if line["descuento"]:
            overrides.audit_discount(tx, venta_id, line)
    venta = get_venta(tx, venta_id)
    record_change(tx, "venta_creada", "ventas", venta_id, 1, "crear", venta, usuario)
    return venta


def quote_venta(tx: Tx, data: dict[str, Any], *, settings: ShopSettings, rol: str) -> dict[str, Any]:
    """What a sale of `data` comes to, priced by the very rules of `create_venta`; writes nothing.

    Refused like the sale (prices, discounts, products, customer, order, a card or
    transfer above the total), except for two things it shows instead: payments
    short of the total (`falta`) and, on each product line, stock the sale would
    refuse (`aviso`, the sale's own message; `existencia` is the stock now).
    """
    priced = _priced(tx, data, settings, rol)
    per_product = _per_product(priced.lines)
    items = []
    for line in priced.lines:
        producto = line["producto"]
        items.append(
            {
                "producto_id": line["producto_id"],
                "descripcion": line["descripcion"],
                "cantidad": line["cantidad"],
                "precio_unitario": to_number(line["precio_unitario"]),
                "descuento": to_number(line["descuento"]),
                "importe": to_number(line["importe"]),
                "existencia": None if producto is None else producto["stock"],
                "aviso": None if producto is None else shortage(producto, per_product[line["producto_id"]][0]),
            }
        )
    totals = ("subtotal", "iva", "descuento", "total", "pagado", "cambio", "falta")
    return {"items": items, **{field: to_number(getattr(priced, field)) for field in totals}}


def _money_shown(row: dict[str, Any]) -> dict[str, Any]:
    for field in MONEY:
        row[field] = to_number(row[field])
    return row


def get_venta(tx: Tx, venta_id: str) -> dict[str, Any]:
    venta = tx.one(f"SELECT {COLUMNS} FROM ventas WHERE id = ?", (venta_id,))
    if venta is None:
        raise NotFound(f"No existe la venta {venta_id}.", fields={"venta_id": "No existe."})
    _money_shown(venta)
    venta["items"] = tx.all(
        "SELECT producto_id, descripcion, cantidad, precio_unitario, descuento, importe FROM venta_items"
        " WHERE venta_id = ? ORDER BY id",
        (venta_id,),
    )
    for item in venta["items"]:
        for field in ("precio_unitario", "descuento", "importe"):
            item[field] = to_number(item[field])
    venta["pagos"] = tx.all(
        "SELECT metodo, monto, referencia FROM venta_pagos WHERE venta_id = ? ORDER BY id", (venta_id,)
    )
    for pago in venta["pagos"]:
        pago["monto"] = to_number(pago["monto"])
    return venta


def list_ventas(
    tx: Tx,
    *,
    desde: str | None = None,
    hasta: str | None = None,
    cliente_id: str | None = None,
    estado: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Sales newest first; `desde`/`hasta` are UTC ISO bounds (hasta exclusive)."""
    where, params = "", []
    for condition, value in (
        ("fecha >= ?", desde),
        ("fecha < ?", hasta),
        ("cliente_id = ?", cliente_id),
        ("estado = ?", estado),
    ):
        if value is not None:
            where += f" AND {condition}"
            params.append(value)
    rows = tx.all(
        f"SELECT {COLUMNS} FROM ventas WHERE 1 = 1{where} ORDER BY folio DESC LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    )
    return page(rows, limit, offset, _money_shown)


def cancel_venta(tx: Tx, venta_id: str, motivo: str, usuario: str | None = None) -> dict[str, Any]:
    """Refund a sale: products go back to stock through the ledger; the sale is kept, marked cancelada."""
    venta = tx.one("SELECT folio, estado FROM ventas WHERE id = ?", (venta_id,))
    if venta is None:
        raise NotFound(f"No existe la venta {venta_id}.", fields={"venta_id": "No existe."})
    if venta["estado"] == "cancelada":
        raise Conflict(f"La venta {venta['folio']} ya estaba cancelada.", code="venta_cancelada")
    returned = tx.all(
        "SELECT producto_id, SUM(cantidad) AS cantidad FROM venta_items WHERE venta_id = ? AND producto_id IS NOT NULL"
        " GROUP BY producto_id ORDER BY producto_id",
        (venta_id,),
    )
    for item in returned:
        move_stock(
            tx,
            item["producto_id"],
            item["cantidad"],
            "devolucion",
            referencia=venta_id,
            nota=f"Cancelación de la venta {venta['folio']}",
            usuario=usuario,
        )
    version = update_row(
        tx,
        "ventas",
        venta_id,
        {"estado": "cancelada", "motivo_cancelacion": motivo, "cancelada_en": clock.now_iso()},
        None,
        label="la venta",
    )
    cancelled = get_venta(tx, venta_id)
    record_change(tx, "venta_cancelada", "ventas", venta_id, version, "actualizar", cancelled, usuario)
    return cancelled
