"""Gap-free human numbers (folios) for service orders and sales."""

from __future__ import annotations

from ..store import Tx


def next_folio(tx: Tx, serie: str) -> int:
    """Take the next number of `serie` inside the caller's write transaction.

    A rollback of that transaction returns the number, so folios never skip.
    """
    return tx.value("UPDATE folios SET ultimo = ultimo + 1 WHERE serie = ? RETURNING ultimo", (serie,))
