"""What every table of records shares: optimistic-concurrency updates and the list page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..store import Tx
from . import clock
from .errors import Conflict, Invalid, NotFound


def update_row(
    tx: Tx,
    table: str,
    row_id: str,
    changes: dict[str, Any],
    expected_version: int | None,
    *,
    label: str,
    alive: str = "",
) -> int:
    """Apply `changes` to one row and bump its version; return the new version.

    `expected_version` (from If-Match or the body) must match the stored one,
    otherwise someone else changed the record first: 409, nothing written.
    `alive` is an extra SQL condition for rows that count as existing.
    """
    version = check_version(tx, table, row_id, expected_version, label=label, alive=alive)
    assignments = "".join(f"{column} = ?, " for column in changes)
    tx.execute(
        f"UPDATE {table} SET {assignments}version = version + 1, actualizado_en = ? WHERE id = ?",
        (*changes.values(), clock.now_iso(), row_id),
    )
    return version + 1


def check_version(tx: Tx, table: str, row_id: str, expected_version: int | None, *, label: str, alive: str = "") -> int:
    """The row's current version; 404 if it does not exist, 409 if it is not the expected one."""
    current = tx.value(f"SELECT version FROM {table} WHERE id = ?{alive}", (row_id,))
    if current is None:
        raise NotFound(f"No existe {label} con id {row_id}.")
    if expected_version is not None and expected_version != current:
        raise Conflict(
            f"Otra persona modificó {label} mientras lo editabas (versión {current}, "
            f"tú tenías la {expected_version}). Vuelve a cargarlo y repite el cambio.",
            code="version_obsoleta",
            fields={"version": f"La versión actual es {current}."},
        )
    return current


def reject_blanks(changes: dict[str, Any], required: tuple[str, ...]) -> None:
    """An update may leave out a required field but may not set it to null."""
    blank = [field for field in required if field in changes and changes[field] is None]
    if blank:
        raise Invalid(
            f"Estos campos no pueden quedar vacíos: {', '.join(blank)}.",
            fields={field: "No puede quedar vacío." for field in blank},
        )


def page(
    rows: list[dict[str, Any]], limit: int, offset: int, shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The list envelope `{items, limit, offset, has_more}` of rows fetched with `LIMIT limit + 1`.

    The extra row only says whether another page follows; a COUNT(*) per page
    would cost more than the page itself. `shape` turns a stored row into its
    public form.
    """
    items = rows[:limit]
    if shape is not None:
        items = [shape(row) for row in items]
    return {"items": items, "limit": limit, "offset": offset, "has_more": len(rows) > limit}
