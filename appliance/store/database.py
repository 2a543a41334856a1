"""The SQLite engine, through APSW only: one database file owned by this process.

One write connection behind a lock (every write is `BEGIN IMMEDIATE`), and a
pool of read-only connections, as datasette's database.py does. The stdlib
sqlite3 module must never be imported in this process: it carries another
copy of SQLite and two copies break each other's POSIX locks.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import apsw

from . import copies
from .group_commit import GroupCommit
from .lockfile import AlreadyLocked, LockFile
from .migrations import apply_migrations
from .tx import Actor, CommitFailed, StoreError, Tx, engine_errors, run

BUSY_TIMEOUT_MS = 5000


class DatabaseLocked(Exception):
    """Another appliance process already serves this database file."""


def _configure(conn: apsw.Connection, foreign_keys: bool = True) -> None:
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    run(conn, f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}; PRAGMA cache_size=-32000")


@contextmanager
def _transaction(conn: apsw.Connection, actor: Actor | None = None) -> Iterator[Tx]:
    """BEGIN IMMEDIATE ... COMMIT on `conn`, rolled back if the block raises; CommitFailed if COMMIT fails."""
    run(conn, "BEGIN IMMEDIATE")
    try:
        yield Tx(conn, actor)
    except BaseException:
        if not conn.getautocommit():  # SQLite may already have rolled back (disk full)
            run(conn, "ROLLBACK")
        raise
    try:
        run(conn, "COMMIT")
    except apsw.Error as exc:
        if not conn.getautocommit():
            run(conn, "ROLLBACK")
        raise CommitFailed(str(exc), disk_full=isinstance(exc, apsw.FullError)) from exc


class PausedWrites:
    """The write connection while every other write of the process waits (see Database.paused_writes)."""

    def __init__(self, conn: apsw.Connection):
        self._conn = conn

    def transaction(self, actor: Actor | None = None) -> AbstractContextManager[Tx]:
        """One write transaction of the pause's holder."""
        return _transaction(self._conn, actor)

    def replace_with(self, path: str | os.PathLike[str], progress: copies.Progress | None = None) -> dict[str, Any]:
        """Copy every page of the database file `path` over this database, then migrate it.

        Returns the row counts and content hash of the data as copied, before
        migrations (which may legitimately change an older schema). The copy
        goes through the write connection, so the WAL, the readers and the lock
        file stay valid and the file stays in WAL mode.
        """
        facts = copies.copy_in(self._conn, path, progress)
        with engine_errors:
            apply_migrations(self._conn)
        return facts


class _Reading:
    """Database.read(): a class, not a generator, because every request reads (the gate checks the account)."""

    __slots__ = ("_conn", "_path", "_pool")

    def __init__(self, pool: list[apsw.Connection], path: str):
        self._pool, self._path = pool, path

    def __enter__(self) -> Tx:
        try:
            conn = self._pool.pop()
        except IndexError:
            conn = apsw.Connection(self._path, flags=apsw.SQLITE_OPEN_READONLY)
            _configure(conn)
        run(conn, "BEGIN")
        self._conn = conn
        return Tx(conn)

    def __exit__(self, *exc_info: Any) -> None:
        run(self._conn, "COMMIT")
        self._pool.append(self._conn)


class Database:
    """One SQLite file owned by this process.

    `write()` yields a Tx inside `BEGIN IMMEDIATE` on the single write
    connection and commits when the block ends (rolls back on an exception);
    under the server, commits are shared (see group_commit.py) and the block
    returns once its COMMIT is on disk.
    `read()` yields a Tx on a read-only connection inside a snapshot.
    """

    def __init__(self, path: str | os.PathLike[str], *, exclusive: bool = True, foreign_keys: bool = True):
        """`foreign_keys=False` for a desktop client's replica: it holds only part of the server's
        rows (a recent sale may name an order it does not keep), whose integrity the server checked."""
        self.path = str(Path(path).resolve())
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock_file: LockFile | None = None
        self._writer: apsw.Connection | None = None
        self._group_commit: GroupCommit | None = None
        self._readers: list[apsw.Connection] = []
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
            with engine_errors:
                self._writer = apsw.Connection(self.path)
                _configure(self._writer, foreign_keys)
                run(self._writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")
                apply_migrations(self._writer)
        except BaseException:
            self.close()
            raise
        self._write_lock = threading.Lock()
        # Called after every successful COMMIT of this process's writes (realtime events).
        self.commit_listeners: list[Callable[[], None]] = []
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
        self._group_commit = GroupCommit(self._writer, self._committed)

    def write(self, actor: Actor | None = None) -> AbstractContextManager[Tx]:
        if self._group_commit is not None:
            return self._group_commit.transaction(actor)
        return self._write_alone(actor)

    @contextmanager
    def _write_alone(self, actor: Actor | None) -> Iterator[Tx]:
        with self._write_lock:
            with _transaction(self._writer, actor) as tx:
                yield tx
            self._committed()

    @contextmanager
    def paused_writes(self) -> Iterator[PausedWrites]:
        """The write connection, outside any transaction, while every other write of this process waits.

        For a restore, which copies pages into the live database. Under the
        server, the open group is committed first and the caller's greenlet
        holds the queue: it may hand the work to a worker thread and wait, and
        requests that write wait with it. Commit listeners run afterwards (the
        pages changed).
        """
        if self._group_commit is not None:
            with self._group_commit.paused():
                yield PausedWrites(self._writer)
        else:
            with self._write_lock:
                yield PausedWrites(self._writer)
        self._committed()

    def reload_server_id(self) -> str:
        """Read the installation id again (a restore may bring another one); return it."""
        with self.read() as tx:
            self.server_id = tx.value("SELECT valor FROM meta WHERE clave = 'server_id'") or self.server_id
        return self.server_id

    def _committed(self) -> None:
        for listener in self.commit_listeners:
            listener()

    def read(self) -> AbstractContextManager[Tx]:
        """A Tx on a read-only connection of the pool, inside one snapshot until the block ends."""
        return _Reading(self._readers, self.path)

    def check(self) -> bool:
        """True when the database answers a query."""
        try:
            with self.read() as tx:
                return tx.value("SELECT 1") == 1
        except (apsw.Error, StoreError):
            return False

    def close(self) -> None:
        for conn in self._readers:
            conn.close()
        self._readers = []
        if self._group_commit is not None:
            self._group_commit.close()
            self._group_commit = None
        if self._writer is not None:
            try:
                run(self._writer, "PRAGMA wal_checkpoint(TRUNCATE)")
            except apsw.Error:
                pass  # only shrinks the WAL; SQLite replays it on the next open anyway
            self._writer.close()
            self._writer = None
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None
