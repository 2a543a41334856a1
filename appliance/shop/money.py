"""Money is integer centavos inside; numbers with at most two decimals outside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def to_centavos(amount: Decimal) -> int:
    """Exact conversion of a validated amount (≤ 2 decimals) to centavos."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def to_number(centavos: int | None) -> int | float | None:
    """JSON form of centavos: whole pesos as integers (1450), else x/100, which prints
    as its exact two-decimal value (1450.5)."""
    if centavos is None:
        return None
    pesos, rest = divmod(centavos, 100)
    return pesos if rest == 0 else centavos / 100


def split_iva(total_lines: int, iva_percent: int, prices_include_iva: bool) -> tuple[int, int, int]:
    """(subtotal, iva, total) in centavos for lines adding up to `total_lines`."""
    if prices_include_iva:
        subtotal = int((Decimal(total_lines) * 100 / (100 + iva_percent)).to_integral_value(rounding=ROUND_HALF_UP))
        return subtotal, total_lines - subtotal, total_lines
    iva = int((Decimal(total_lines) * iva_percent / 100).to_integral_value(rounding=ROUND_HALF_UP))
    return total_lines, iva, total_lines + iva


def format_pesos(centavos: int) -> str:
    """Centavos as a person reads them in Mexico: 123450 -> "$1,234.50" (exact, no float)."""
    sign = "-" if centavos < 0 else ""
    pesos, rest = divmod(abs(centavos), 100)
    return f"{sign}${pesos:,}.{rest:02d}"
