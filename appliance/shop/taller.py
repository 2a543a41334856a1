"""The shop's own data ("Datos del taller"): name, address, tax data, warranty terms, ticket footer.

One row, present from the first start with every field null: nothing is made up
for a shop that has not filled it in (the UI shows a hint instead). Edited by the
owner like any record: only the fields sent, guarded by `version`, with a change
(`taller_actualizado`) every role receives.
"""

from __future__ import annotations

from typing import Any

from ..store import Tx
from .events import record_change
from .records import check_version, update_row

ROW_ID = "taller"
FIELDS = ("nombre", "direccion", "telefono", "rfc", "regimen_fiscal", "garantia", "pie_ticket")
COLUMNS = ", ".join(FIELDS) + ", version, actualizado_en"


def get_taller(tx: Tx) -> dict[str, Any]:
    """The shop's data; fields never set are null (`actualizado_en` too, until the first edit)."""
    return tx.one(f"SELECT {COLUMNS} FROM taller WHERE id = ?", (ROW_ID,))


def update_taller(
    tx: Tx, changes: dict[str, Any], expected_version: int | None, usuario: str | None = None
) -> dict[str, Any]:
    """Change the given fields (already validated by schemas.TallerUpdate; null clears one)."""
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    if not changes:  # nothing to write: no new version, no change-log row
        check_version(tx, "taller", ROW_ID, expected_version, label="el registro del taller")
        return get_taller(tx)
    version = update_row(tx, "taller", ROW_ID, changes, expected_version, label="el registro del taller")
    taller = get_taller(tx)
    record_change(tx, "taller_actualizado", "taller", ROW_ID, version, "actualizar", taller, usuario)
    return taller
