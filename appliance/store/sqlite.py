"""The SQLite engine, through APSW only.

One write connection behind a lock (every write is `BEGIN IMMEDIATE`), and a
pool of read-only connections, as datasette's database.py does. The stdlib
sqlite3 module must never be imported in this process: it carries another
copy of SQLite and two copies break each other's POSIX locks.
"""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Iterator, NamedTuple, Sequence

import apsw

from .lockfile import AlreadyLocked, LockFile
from .migrations import apply_migrations, SchemaTooNew

__all__ = ["Database", "Tx", "DatabaseLocked", "IntegrityError", "CommitFailed", "SchemaTooNew"]

BUSY_TIMEOUT_MS = 5000


class Actor(NamedTuple):
    """Who a write is for: the signed-in user and the address the request came from."""

    usuario_id: str | None
    usuario: str | None
    ip: str | None


class DatabaseLocked(Exception):
    """Another appliance process already serves this database file."""


class IntegrityError(Exception):
    """A constraint of the schema refused a write (unique, foreign key, check)."""


class CommitFailed(Exception):
    """The write could not be made durable (disk full, I/O error): nothing of it was saved."""


class Tx:
    """An open transaction (write) or snapshot (read) on one connection.

    `actor` says on whose behalf a write runs (user id, username, client address);
    the HTTP layer sets it so the audit trail can name who changed what.
    """

    __slots__ = ("_conn", "actor")

    def __init__(self, conn: apsw.Connection):
        self._conn = conn
        self.actor: Actor | None = None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        try:
            columns = [d[0] for d in cursor.getdescription()]
        except apsw.ExecutionCompleteError:
            return []
        return [dict(zip(columns, row)) for row in cursor]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """First column of the first row (None if no row); also for INSERT/UPDATE ... RETURNING."""
        try:
            rows = list(self._conn.execute(sql, params))
        except apsw.ConstraintError as exc:
            raise IntegrityError(str(exc)) from exc
        except (apsw.FullError, apsw.IOError) as exc:
            raise CommitFailed(str(exc)) from exc
        return rows[0][0] if rows else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        try:
            for _ in self._conn.execute(sql, params):
                pass
        except apsw.ConstraintError as exc:
            raise IntegrityError(str(exc)) from exc
        except (apsw.FullError, apsw.IOError) as exc:
            raise CommitFailed(str(exc)) from exc
        return self._conn.changes()

    def insert(self, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> int:
        """INSERT one row given as {column: value}; return 1, or 0 when `or_ignore` skipped a clash."""
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        return self.execute(f'INSERT {"OR IGNORE " if or_ignore else ""}INTO "{table}" ({columns}) VALUES ({marks})',
                            list(row.values()))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            for _ in self._conn.executemany(sql, rows):
                pass
        except apsw.ConstraintError as exc:
            raise IntegrityError(str(exc)) from exc
        except (apsw.FullError, apsw.IOError) as exc:
            raise CommitFailed(str(exc)) from exc


def _configure(conn: apsw.Connection) -> None:
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    for _ in conn.execute("PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000"):
        pass


class Database:
    """One SQLite file owned by this process.

    `write()` yields a Tx inside `BEGIN IMMEDIATE` on the single write
    connection and commits when the block ends (rolls back on an exception);
    under the server, commits are shared (see group_commit.py) and the block
    returns once its COMMIT is on disk.
    `read()` yields a Tx on a read-only connection inside a snapshot.
    """

    def __init__(self, path: str | os.PathLike[str], *, exclusive: bool = True):
        self.path = str(Path(path).resolve())
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock_file: LockFile | None = None
        if exclusive:
            self._lock_file = LockFile(self.path + ".lock")
            try:
                self._lock_file.acquire()
            except AlreadyLocked as exc:
                raise DatabaseLocked(
                    f"La base de datos {self.path} ya está en uso por otro servidor "
                    f"({exc.holder}). Solo puede haber un servidor por base de datos: "
                    "detén el otro o usa otro DB_PATH."
                ) from None
        try:
            self._writer = apsw.Connection(self.path)
            _configure(self._writer)
            for _ in self._writer.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL"):
                pass
            apply_migrations(self._writer)
        except BaseException:
            self.close()
            raise
        self._write_lock = threading.Lock()
        self._group_commit = None
        # Called after every successful COMMIT of this process's writes (realtime events).
        self.commit_listeners: list[Callable[[], None]] = []
        self._readers: list[apsw.Connection] = []
        self.server_id = self._ensure_server_id()

    def _ensure_server_id(self) -> str:
        with self.write() as tx:
            server_id = tx.value("SELECT valor FROM meta WHERE clave = 'server_id'")
            if server_id is None:
                server_id = str(uuid.uuid4())
                tx.execute("INSERT INTO meta (clave, valor) VALUES ('server_id', ?)", (server_id,))
        return server_id

    def enable_group_commit(self) -> None:
        """Share COMMITs among concurrent writes; only under a running gevent hub (the server)."""
        from .group_commit import GroupCommit

        self._group_commit = GroupCommit(self._writer, self._committed)

    def write(self) -> ContextManager[Tx]:
        if self._group_commit is not None:
            return self._group_commit.transaction()
        return self._write_alone()

    @contextmanager
    def _write_alone(self) -> Iterator[Tx]:
        with self._write_lock:
            conn = self._writer
            for _ in conn.execute("BEGIN IMMEDIATE"):
                pass
            try:
                yield Tx(conn)
            except BaseException:
                if not conn.getautocommit():  # SQLite may already have rolled back (disk full)
                    for _ in conn.execute("ROLLBACK"):
                        pass
                raise
            try:
                for _ in conn.execute("COMMIT"):
                    pass
            except apsw.Error as exc:
                if not conn.getautocommit():
                    for _ in conn.execute("ROLLBACK"):
                        pass
                raise CommitFailed(str(exc)) from exc
            self._committed()

    @contextmanager
    def paused_writes(self) -> Iterator[apsw.Connection]:
        """The write connection, outside any transaction, while every other write of this process waits.

        For a restore, which copies pages into the live database through this
        connection. Under the server, the open group is committed first and the
        caller's greenlet holds the queue: it may hand the connection to a
        worker thread and wait, and requests that write wait with it. Commit
        listeners run afterwards (the pages changed).
        """
        if self._group_commit is not None:
            with self._group_commit.paused():
                yield self._writer
        else:
            with self._write_lock:
                yield self._writer
        self._committed()

    def reload_server_id(self) -> str:
        """Read the installation id again (a restore may bring another one); return it."""
        with self.read() as tx:
            self.server_id = tx.value("SELECT valor FROM meta WHERE clave = 'server_id'") or self.server_id
        return self.server_id

    def _committed(self) -> None:
        for listener in self.commit_listeners:
            listener()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        try:
            conn = self._readers.pop()
        except IndexError:
            conn = apsw.Connection(self.path, flags=apsw.SQLITE_OPEN_READONLY)
            _configure(conn)
        for _ in conn.execute("BEGIN"):
            pass
        try:
            yield Tx(conn)
        finally:
            for _ in conn.execute("COMMIT"):
                pass
            self._readers.append(conn)

    def check(self) -> bool:
        """True when the database answers a query."""
        try:
            with self.read() as tx:
                return tx.value("SELECT 1") == 1
        except apsw.Error:
            return False

    def close(self) -> None:
        for conn in getattr(self, "_readers", []):
            conn.close()
        writer = getattr(self, "_writer", None)
        if getattr(self, "_group_commit", None) is not None:
            self._group_commit.flush()
            self._group_commit = None
        if writer is not None:
            try:
                for _ in writer.execute("PRAGMA wal_checkpoint(TRUNCATE)"):
                    pass
            except apsw.Error:
                pass  # only shrinks the WAL; SQLite replays it on the next open anyway
            writer.close()
            self._writer = None
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None
