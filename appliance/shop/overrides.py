"""Money the counter cannot decide alone: a catalogue product at another price, a big discount.

A sale line or an order part of a catalogue product goes at the product's
`precio_venta` unless the role holds `precios:modificar`; a line discount above
the shop's DISCOUNT_LIMIT_PERCENT of the line's amount needs
`descuentos:sin_limite`. Whoever may do it, each override and each discount
leaves its amounts in the audit trail, so the owner can check them later.
"""

from __future__ import annotations

from typing import Any

from ..store import Tx
from . import audit, permissions
from .money import to_number
from .settings import ShopSettings


def _pesos(centavos: int) -> str:
    return f"${centavos / 100:,.2f}"


def catalogue_price(rol: str, producto: dict[str, Any], precio: int | None, *, field: str) -> int:
    """The unit price (centavos) of a catalogue product: its own, or `precio` if the role may set another."""
    if precio is None or precio == producto["precio_venta"]:
        return producto["precio_venta"]
    permissions.require(
        rol,
        "precios:modificar",
        action=f"usar '{producto['nombre']}' a otro precio que el de catálogo ({_pesos(producto['precio_venta'])})",
        field=field,
    )
    return precio


def check_discount(
    rol: str, settings: ShopSettings, bruto: int, descuento: int, descripcion: str, *, field: str
) -> None:
    """403 unless the role may give `descuento` on a line of `bruto` (both centavos)."""
    if descuento * 100 > bruto * settings.discount_limit_percent:
        permissions.require(
            rol,
            "descuentos:sin_limite",
            action=f"un descuento de más del {settings.discount_limit_percent} % en '{descripcion}'",
            field=field,
        )


def _percent(part: int, whole: int) -> int | float:
    # Hundredths of a percent, shown like money: 50 or 12.34.
    return to_number(round(part * 10_000 / whole)) if whole else 0


def audit_price(tx: Tx, entidad: str, entidad_id: str, producto: dict[str, Any], precio: int, cantidad: int) -> None:
    """Record a catalogue product used at another price than its own."""
    if precio != producto["precio_venta"]:
        audit.record(
            tx,
            "precio_modificado",
            entidad,
            entidad_id,
            detalle={
                "producto_id": producto["id"],
                "descripcion": producto["nombre"],
                "precio_catalogo": to_number(producto["precio_venta"]),
                "precio_unitario": to_number(precio),
                "cantidad": cantidad,
            },
        )


def audit_discount(tx: Tx, venta_id: str, line: dict[str, Any]) -> None:
    """Record a sale line's discount with its amounts."""
    bruto = line["cantidad"] * line["precio_unitario"]
    audit.record(
        tx,
        "descuento_aplicado",
        "ventas",
        venta_id,
        detalle={
            "producto_id": line["producto_id"],
            "descripcion": line["descripcion"],
            "importe_bruto": to_number(bruto),
            "descuento": to_number(line["descuento"]),
            "porcentaje": _percent(line["descuento"], bruto),
        },
    )
