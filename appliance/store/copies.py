"""Whole-database copies for backups: the online copy to a file, its checks, and copying a file back in.

No gevent here: each function blocks (APSW releases the GIL inside SQLite), so
the server runs them in its thread pool and the CLI calls them directly. A copy
is a plain SQLite file in rollback-journal mode, so it opens anywhere, even
from read-only media. Reasons returned for people are Spanish.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apsw

from .migrations import known_migrations
from .tx import engine_errors, rows, run

MAIN_TABLES = ("clientes", "productos", "ordenes", "ventas", "movimientos_stock", "usuarios")
# Pages per copy step: only sets how often progress is reported and how long one call
# holds the GIL-free SQLite work (4 MB at 4 KiB pages). The source snapshot is held open
# across steps (see _snapshot), so writes by the server never restart the copy.
STEP_PAGES = 1024
HASH_CHUNK_ROWS = 5000
# Written in front of every content hash. A recorded hash with another (or no) prefix
# was made by an earlier way of hashing and cannot be compared.
HASH_FORMAT = "v2:"
BUSY_TIMEOUT_MS = 5000
_SQLITE_MAGIC = b"SQLite format 3\x00"

Progress = Callable[[int, int], None]


class DamagedCopy(Exception):
    """A fresh copy failed PRAGMA integrity_check; `details` are SQLite's first complaints."""

    def __init__(self, details: str):
        super().__init__(details)
        self.details = details


# --- facts of a database ------------------------------------------------------------------------


def _tables(conn: apsw.Connection) -> set[str]:
    return {row[0] for row in rows(conn, "SELECT name FROM sqlite_schema WHERE type = 'table'")}


def _row_counts(conn: apsw.Connection) -> dict[str, int]:
    present = _tables(conn)
    return {table: rows(conn, f'SELECT count(*) FROM "{table}"')[0][0] for table in MAIN_TABLES if table in present}


def _content_hash(conn: apsw.Connection) -> str:
    """sha256 over every row of the main tables, in primary-key order: equal hashes, equal data.

    Each row is serialised by SQLite itself (`quote()` of every column, exact
    and unambiguous) and chunks of rows are joined by `group_concat`, so the
    work runs inside SQLite with the GIL released: done row by row in Python,
    on a 1 GB database it took the GIL from the server for ~6 s and slowed
    every counter meanwhile.
    """
    digest = hashlib.sha256()
    present = _tables(conn)
    for table in MAIN_TABLES:
        if table not in present:
            continue
        columns = [row[0] for row in rows(conn, "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))]
        keys = [row[0] for row in rows(conn, "SELECT name FROM pragma_table_info(?) WHERE pk > 0", (table,))]
        key = f'"{keys[0]}"' if len(keys) == 1 else "rowid"
        row_text = " || ',' || ".join(f'quote("{column}")' for column in columns)
        chunk = (
            f"SELECT group_concat(r, char(10) ORDER BY k), max(k), count(*) FROM"
            f' (SELECT {key} AS k, {row_text} AS r FROM "{table}" WHERE ? IS NULL OR {key} > ?'
            f" ORDER BY {key} LIMIT {HASH_CHUNK_ROWS})"
        )
        digest.update(f"\x00{table}\x00".encode())
        last = None
        while True:
            text, last, count = rows(conn, chunk, (last, last))[0]
            if not count:
                break
            digest.update(text.encode())
            digest.update(b"\n")
    return HASH_FORMAT + digest.hexdigest()


def _facts(conn: apsw.Connection) -> dict[str, Any]:
    return {"filas": _row_counts(conn), "hash_contenido": _content_hash(conn)}


def _open_file(path: str | os.PathLike[str]) -> apsw.Connection:
    # immutable=1: a backup file never changes, so SQLite takes no locks and
    # needs no -shm/-wal beside it (a USB disk or a read-only share works).
    uri = Path(path).resolve().as_uri() + "?immutable=1"
    return apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)


def facts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Row counts of the main tables and content hash of a database file, read-only.

    The file may be live (another process writing it): it is read in one snapshot.
    """
    conn = apsw.Connection(os.fspath(path), flags=apsw.SQLITE_OPEN_READONLY)
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    try:
        with engine_errors, _snapshot(conn):
            return _facts(conn)
    finally:
        conn.close()


def last_id(path: str | os.PathLike[str], table: str) -> int:
    """The highest `id` in `table` of a backup file; 0 if it has no such table (made before it existed)."""
    conn = _open_file(path)
    try:
        with engine_errors:
            if table not in _tables(conn):
                return 0
            return rows(conn, f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')[0][0]
    finally:
        conn.close()


# --- verification -------------------------------------------------------------------------------


def _header_problem(path: Path) -> str | None:
    """Cheap checks on the file itself: SQLite magic and no truncation."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return "El archivo no existe."
    except OSError as exc:
        return f"No se puede leer el archivo: {exc.strerror or exc}."
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "No es un archivo de base de datos SQLite."
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The in-header page count is trustworthy when the change counter equals "version-valid-for".
    if header[24:28] == header[92:96] and size < page_size * pages:
        return f"El archivo está incompleto: mide {size} bytes y debería medir {page_size * pages}."
    return None


def verify_file(path: str | os.PathLike[str], *, quick: bool = False) -> tuple[bool, str | None]:
    """(True, None) if `path` is a sound ServitecManager database this code can open; else (False, reason).

    `quick` skips `PRAGMA integrity_check` (which reads every page): for listings.
    """
    path = Path(path)
    problem = _header_problem(path)
    if problem:
        return False, problem
    try:
        conn = _open_file(path)
    except apsw.Error as exc:
        return False, f"SQLite no puede abrir el archivo ({exc})."
    try:
        if not quick:
            result = [row[0] for row in rows(conn, "PRAGMA integrity_check")]
            if result != ["ok"]:
                return False, f"El archivo está dañado (integrity_check: {'; '.join(map(str, result[:3]))})."
        if not {"schema_migrations", "meta"} <= _tables(conn):
            return False, "No es un respaldo de ServitecManager (le faltan sus tablas)."
        applied = {row[0] for row in rows(conn, "SELECT name FROM schema_migrations")}
        unknown = applied - {name for name, _ in known_migrations()}
        if unknown:
            return False, (
                "Lo creó una versión más nueva de ServitecManager "
                f"(migraciones desconocidas: {', '.join(sorted(unknown))}). Actualiza el programa."
            )
    except apsw.Error as exc:
        return False, f"El archivo está dañado ({exc})."
    finally:
        conn.close()
    return True, None


# --- copying ------------------------------------------------------------------------------------


@contextmanager
def _snapshot(conn: apsw.Connection) -> Iterator[apsw.Connection]:
    """Hold one read snapshot on `conn` until the block ends.

    SQLite restarts a backup whenever another connection writes to the source
    between two steps; under continuous sales a stepped copy would never end.
    With a read transaction held on the source connection the backup steps all
    read that one snapshot (WAL lets the server keep writing meanwhile), so the
    copy is exactly the database as of the moment it began.
    """
    run(conn, "BEGIN")
    try:
        rows(conn, "SELECT count(*) FROM sqlite_schema")  # a read makes BEGIN take its snapshot now
        yield conn
    finally:
        if not conn.getautocommit():
            run(conn, "COMMIT")


def _copy_pages(
    dest: apsw.Connection,
    source: apsw.Connection,
    progress: Progress | None,
    after_step: Callable[[], None] | None = None,
) -> None:
    with dest.backup("main", source, "main") as backup:
        while not backup.done:
            backup.step(STEP_PAGES)
            if after_step is not None:
                after_step()
            if progress is not None:
                progress(backup.pagecount - backup.remaining, backup.pagecount)


_datasync = getattr(os, "fdatasync", os.fsync)  # Windows has only fsync


@contextmanager
def _flushed_as_written(path: Path) -> Iterator[Callable[[], None]]:
    """A callable that pushes what has been written to `path` so far to the disk.

    Left to the end, a 1 GB copy is one huge flush, and on ext4 (and other
    journalling file systems) the server's small COMMIT fsyncs wait behind it:
    the counters froze for 150-370 ms at the end of each copy. Flushing after
    every step keeps each flush at a few MB (worst COMMIT fsync 4-9 ms) for
    ~3 s more per GB.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield lambda: _datasync(fd)
    finally:
        os.close(fd)


def copy_out(
    source: str | os.PathLike[str], dest: str | os.PathLike[str], progress: Progress | None = None
) -> dict[str, Any]:
    """Copy the live database file `source` into the new file `dest` while it keeps serving; check the copy.

    Returns the copy's `version_esquema` (highest migration), `filas` and
    `hash_contenido`. Raises DamagedCopy if the copy fails integrity_check,
    CommitFailed if the disk refuses the copy (see `disk_full`), StoreError if
    SQLite cannot read it, FileNotFoundError if there is no database at `source`. `dest` is left for the caller to remove.
    """
    if not Path(source).is_file():
        raise FileNotFoundError(source)
    with engine_errors:
        conn = apsw.Connection(os.fspath(source), flags=apsw.SQLITE_OPEN_READONLY)
        conn.setbusytimeout(BUSY_TIMEOUT_MS)
        try:
            copy = apsw.Connection(os.fspath(dest))
            try:
                with _snapshot(conn), _flushed_as_written(Path(dest)) as flush:
                    _copy_pages(copy, conn, progress, flush)
                # The copy inherits WAL mode from the live file; rollback-journal mode
                # makes it one self-contained file that opens read-only anywhere.
                rows(copy, "PRAGMA journal_mode=DELETE")
                check = [row[0] for row in rows(copy, "PRAGMA integrity_check")]
                if check != ["ok"]:
                    raise DamagedCopy("; ".join(map(str, check[:3])))
                return {"version_esquema": rows(copy, "SELECT max(name) FROM schema_migrations")[0][0], **_facts(copy)}
            finally:
                copy.close()
        finally:
            conn.close()


def copy_in(writer: apsw.Connection, path: str | os.PathLike[str], progress: Progress | None) -> dict[str, Any]:
    """Copy every page of the file `path` over the database of `writer`; return the copied data's facts."""
    with engine_errors:
        source = _open_file(path)
        try:
            _copy_pages(writer, source, progress)
        finally:
            source.close()
        return _facts(writer)
