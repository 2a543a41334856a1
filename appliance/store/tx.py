"""Transactions: the `Tx` that domain code runs SQL through, and the one place engine errors are translated.

Domain modules receive a `Tx` and run SQL with `?` placeholders; they never see
an APSW exception. A constraint refusal becomes `IntegrityError`; the disk
refusing a write (full, I/O error) becomes `CommitFailed`, whether it strikes
during a statement or at COMMIT: nothing of the write is saved either way.
Anything else the engine raises is a `StoreError` with the engine's message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import apsw


class Actor(NamedTuple):
    """Who a write is for: the signed-in user and the address the request came from."""

    usuario_id: str | None
    usuario: str | None
    ip: str | None


class StoreError(Exception):
    """The database engine refused or failed an operation; the message is the engine's."""


class IntegrityError(StoreError):
    """A constraint of the schema refused a write (unique, foreign key, check)."""


class CommitFailed(StoreError):
    """The write could not be made durable (disk full, I/O error): nothing of it was saved.

    `disk_full` tells a full disk (or quota) from a failing one.
    """

    def __init__(self, message: str, *, disk_full: bool = False):
        super().__init__(message)
        self.disk_full = disk_full


class _EngineErrors:
    """`with engine_errors:` translates the engine's exceptions into the store's own (the only place that does).

    A class rather than a generator context manager: every statement of every
    request goes through it, and entering a generator costs several times more.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> bool:
        if not isinstance(exc, apsw.Error):
            return False
        if isinstance(exc, apsw.ConstraintError):
            raise IntegrityError(str(exc)) from exc
        if isinstance(exc, (apsw.FullError, apsw.IOError)):
            raise CommitFailed(str(exc), disk_full=isinstance(exc, apsw.FullError)) from exc
        raise StoreError(str(exc)) from exc


engine_errors = _EngineErrors()


def run(conn: apsw.Connection, sql: str, params: Sequence[Any] = ()) -> None:
    """Run statements for their effect (APSW executes lazily: the cursor must be exhausted)."""
    for _ in conn.execute(sql, params):
        pass


def rows(conn: apsw.Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Every row of a query, as tuples (for the store's own bookkeeping queries)."""
    return list(conn.execute(sql, params))


class Tx:
    """An open transaction (write) or snapshot (read) on one connection.

    `actor` says on whose behalf a write runs (user id, username, client address);
    the HTTP layer sets it so the audit trail can name who changed what.
    """

    __slots__ = ("_conn", "actor")

    def __init__(self, conn: apsw.Connection, actor: Actor | None = None):
        self._conn = conn
        self.actor = actor

    def columns_and_rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """The column names and the rows as tuples: a table's worth of rows without a dict per row."""
        with engine_errors:
            cursor = self._conn.execute(sql, params)
            try:
                columns = [d[0] for d in cursor.getdescription()]
            except apsw.ExecutionCompleteError:
                return [], []
            return columns, list(cursor)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        columns, found = self.columns_and_rows(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in found]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.all(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """First column of the first row (None if no row); also for INSERT/UPDATE ... RETURNING."""
        with engine_errors:
            found = rows(self._conn, sql, params)
        return found[0][0] if found else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        with engine_errors:
            run(self._conn, sql, params)
        return self._conn.changes()

    def insert(self, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> int:
        """INSERT one row given as {column: value}; return 1, or 0 when `or_ignore` skipped a clash."""
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
        return self.execute(f'{verb} INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        with engine_errors:
            for _ in self._conn.executemany(sql, params):
                pass
