"""The shop's own settings that business rules read: time zone, IVA, how far a discount may go.

The server builds them from its configuration; a desktop client's replica gets
the same values from the server, so both apply the rules alike.
"""

from __future__ import annotations

from typing import NamedTuple
from zoneinfo import ZoneInfo


class ShopSettings(NamedTuple):
    zone: ZoneInfo
    iva_percent: int
    prices_include_iva: bool
    # A line discount above this share of the line's amount needs the owner (descuentos:sin_limite).
    discount_limit_percent: int = 10
