"""Group commit on the gevent server: concurrent requests' writes share one COMMIT.

With `synchronous=FULL` every COMMIT writes its pages to the WAL and waits for
the disk, and on gevent's hub that wait stops every client. A sale touches
~20 pages, most of them the same ones the next sale touches. So each write
still runs alone and in order, as a SAVEPOINT inside one `BEGIN IMMEDIATE`
transaction, but the COMMIT that makes it durable is shared by the writes
that arrived meanwhile; each request answers only after that COMMIT.

A write that fails rolls back to its own savepoint and affects no other. A
COMMIT that fails fails every write of its group: none of them is durable,
and each caller gets an error instead of a false 201.

The COMMIT itself, the disk's wait, runs in a thread of its own (APSW releases
the GIL inside SQLite): meanwhile the hub reads, parses and authorises the next
requests, and those that write queue for the next group. Measured with py-spy
under POST /clientes at 16 clients, the COMMIT on the hub was 27% of all samples.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import apsw
import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.threadpool import ThreadPool

from .tx import Actor, CommitFailed, Tx, run

MAX_GROUP = 64  # bounds the latency a long burst can add to its first write


class _Group:
    __slots__ = ("done", "error", "size")

    def __init__(self) -> None:
        self.done = Event()
        self.error: CommitFailed | None = None
        self.size = 0


class GroupCommit:
    """Write transactions for `Database.write()` while a gevent server runs."""

    def __init__(self, conn: apsw.Connection, on_commit: Callable[[], None]):
        self._conn = conn
        self._on_commit = on_commit
        self._lock = Semaphore()
        self._group: _Group | None = None
        self._names = itertools.count()
        # One thread, for COMMITs only: they run one at a time anyway (under _lock), and a
        # shared pool busy with a backup or a dashboard would make every sale wait for it.
        self._disk = ThreadPool(1)

    def _run(self, sql: str) -> None:
        run(self._conn, sql)

    @contextmanager
    def transaction(self, actor: Actor | None = None) -> Iterator[Tx]:
        with self._lock:
            if self._group is None:
                self._run("BEGIN IMMEDIATE")
                self._group = _Group()
                gevent.spawn(self._commit_soon, self._group)
            group = self._group
            name = f"w{next(self._names)}"
            self._run(f"SAVEPOINT {name}")
            try:
                yield Tx(self._conn, actor)
            except BaseException:
                if self._conn.getautocommit():
                    # SQLite rolled back the whole transaction (disk full, I/O error):
                    # the writes before this one in the group are gone too.
                    self._fail(group, CommitFailed("la base de datos revirtió la transacción"))
                else:
                    self._run(f"ROLLBACK TO {name}")
                    self._run(f"RELEASE {name}")
                raise
            self._run(f"RELEASE {name}")
            group.size += 1
            if group.size >= MAX_GROUP:
                self._commit(group)
        group.done.wait()
        if group.error is not None:
            raise CommitFailed(
                f"No se pudo guardar en la base de datos: {group.error}", disk_full=group.error.disk_full
            )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Commit the open group, then hold every other write until the block ends (a restore)."""
        with self._lock:
            if self._group is not None:
                self._commit(self._group)
            yield

    def flush(self) -> None:
        """Commit the open group now (shutdown)."""
        with self._lock:
            if self._group is not None:
                self._commit(self._group)

    def _commit_soon(self, group: _Group) -> None:
        # Runs after the greenlets that are ready now: requests already read
        # from their sockets get to add their writes to this group first.
        gevent.sleep(0)
        with self._lock:
            if self._group is group:
                self._commit(group)

    def _commit(self, group: _Group) -> None:
        if group.size == 0:
            # Every write of the group was refused and rolled back to its savepoint. SQLite
            # would still write the pages those writes touched (restored, unchanged) to the
            # WAL and wait for the disk: nothing to make durable, so end it without a trace.
            self._run("ROLLBACK")
            self._group = None
            group.done.set()
            return
        # _lock is held meanwhile: no other greenlet touches the connection while the thread commits.
        failure = self._disk.apply(self._commit_in_thread)
        if failure is not None:
            if not self._conn.getautocommit():
                self._run("ROLLBACK")
            self._fail(group, CommitFailed(str(failure), disk_full=isinstance(failure, apsw.FullError)))
            return
        self._group = None
        group.done.set()
        self._on_commit()

    def _commit_in_thread(self) -> apsw.Error | None:
        # Returned, not raised: gevent prints every exception that leaves a pool thread as a crash.
        try:
            self._run("COMMIT")
        except apsw.Error as exc:
            return exc
        return None

    def close(self) -> None:
        """Commit the open group and stop the COMMIT thread (the database is closing)."""
        self.flush()
        self._disk.kill()

    def _fail(self, group: _Group, reason: CommitFailed) -> None:
        self._group = None
        group.error = reason
        group.done.set()
