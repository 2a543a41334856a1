"""Online backups: copy, verify, list, retain, restore (see docs/decisions.md, "Backups").

No Flask and no gevent here: every function blocks, so the server calls them
from gevent's thread pool (APSW releases the GIL inside SQLite) and the CLI
calls them directly. A backup is a plain SQLite file (rollback-journal mode,
so it opens anywhere, even read-only media) named
`servitec-YYYYMMDD-HHMMSS-<tipo>.db` (UTC), described in `backups.json` in the
same folder. Messages in exceptions and entries are Spanish: the owner reads them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import apsw

from . import audit, auth, clock, events
from .errors import Conflict, NotFound, Unavailable
from .store import Actor, Database, Tx
from .store.migrations import apply_migrations, known_migrations

log = logging.getLogger(__name__)

KINDS = ("manual", "auto", "pre-restore")
MAIN_TABLES = ("clientes", "productos", "ordenes", "ventas", "movimientos_stock", "usuarios")
MANIFEST = "backups.json"
NAME_RE = re.compile(r"^servitec-(\d{8})-(\d{6})-(manual|auto|pre-restore)(?:-(\d+))?\.db$")
# Pages per backup step: only sets how often progress is reported and how long
# one call holds the GIL-free SQLite work (4 MB at 4 KiB pages). The source
# snapshot is held open across steps (see _open_snapshot), so writes by the
# server never restart the copy whatever the step size.
STEP_PAGES = 1024
_SQLITE_MAGIC = b"SQLite format 3\x00"

Progress = Callable[[int, int], None]


class BackupFailed(Unavailable):
    """The backup could not be made or checked (disk full, damaged copy); nothing was recorded."""

    code = "respaldo_fallido"


# --- reading a database -------------------------------------------------------------------------

def _rows(conn: apsw.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    return list(conn.execute(sql, params))


def _tables(conn: apsw.Connection) -> set[str]:
    return {row[0] for row in _rows(conn, "SELECT name FROM sqlite_schema WHERE type = 'table'")}


def row_counts(conn: apsw.Connection) -> dict[str, int]:
    """Rows in each main table present in the database."""
    present = _tables(conn)
    return {table: _rows(conn, f'SELECT count(*) FROM "{table}"')[0][0] for table in MAIN_TABLES if table in present}


HASH_CHUNK_ROWS = 5000
# Written in front of every content hash. A manifest entry whose hash has another
# (or no) prefix was made by an earlier way of hashing and cannot be compared.
HASH_FORMAT = "v2:"


def content_hash(conn: apsw.Connection) -> str:
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
        columns = [row[0] for row in _rows(conn, "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))]
        keys = [row[0] for row in _rows(conn, "SELECT name FROM pragma_table_info(?) WHERE pk > 0", (table,))]
        key = f'"{keys[0]}"' if len(keys) == 1 else "rowid"
        row_text = " || ',' || ".join(f'quote("{column}")' for column in columns)
        chunk = (f"SELECT group_concat(r, char(10) ORDER BY k), max(k), count(*) FROM"
                 f' (SELECT {key} AS k, {row_text} AS r FROM "{table}" WHERE ? IS NULL OR {key} > ?'
                 f" ORDER BY {key} LIMIT {HASH_CHUNK_ROWS})")
        digest.update(f"\x00{table}\x00".encode())
        last = None
        while True:
            text, last, count = _rows(conn, chunk, (last, last))[0]
            if not count:
                break
            digest.update(text.encode())
            digest.update(b"\n")
    return HASH_FORMAT + digest.hexdigest()


def schema_version(conn: apsw.Connection) -> str | None:
    """The highest migration applied to the database (None if it has none)."""
    return _rows(conn, "SELECT max(name) FROM schema_migrations")[0][0]


def _open_file_readonly(path: Path) -> apsw.Connection:
    # immutable=1: a backup file never changes, so SQLite takes no locks and
    # needs no -shm/-wal beside it (a USB disk or a read-only share works).
    uri = Path(path).resolve().as_uri() + "?immutable=1"
    return apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)


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


def verify_backup(path: str | os.PathLike[str], *, quick: bool = False) -> tuple[bool, str | None]:
    """(True, None) if `path` is a sound ServitecManager database this code can open; else (False, reason).

    `quick` skips `PRAGMA integrity_check` (which reads every page): for listings.
    """
    path = Path(path)
    problem = _header_problem(path)
    if problem:
        return False, problem
    try:
        conn = _open_file_readonly(path)
    except apsw.Error as exc:
        return False, f"SQLite no puede abrir el archivo ({exc})."
    try:
        if not quick:
            result = [row[0] for row in _rows(conn, "PRAGMA integrity_check")]
            if result != ["ok"]:
                return False, f"El archivo está dañado (integrity_check: {'; '.join(map(str, result[:3]))})."
        if not {"schema_migrations", "meta"} <= _tables(conn):
            return False, "No es un respaldo de ServitecManager (le faltan sus tablas)."
        applied = {row[0] for row in _rows(conn, "SELECT name FROM schema_migrations")}
        unknown = applied - {name for name, _ in known_migrations()}
        if unknown:
            return False, ("Lo creó una versión más nueva de ServitecManager "
                           f"(migraciones desconocidas: {', '.join(sorted(unknown))}). Actualiza el programa.")
    except apsw.Error as exc:
        return False, f"El archivo está dañado ({exc})."
    finally:
        conn.close()
    return True, None


# --- manifest -----------------------------------------------------------------------------------

@contextmanager
def _manifest_lock(backup_dir: Path) -> Iterator[None]:
    """Serialise manifest updates between processes (the server and the CLI may back up at once)."""
    fd = os.open(backup_dir / (MANIFEST + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock_blocking(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock on every platform


if os.name == "nt":
    import msvcrt

    def _lock_blocking(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for ~10 s, then raises
                return
            except OSError:
                continue
else:
    import fcntl

    def _lock_blocking(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _read_manifest(backup_dir: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads((backup_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        # A damaged manifest must not hide the backups: list_backups still finds their files.
        log.error("No se pudo leer %s: %s", backup_dir / MANIFEST, exc)
        return []
    return [entry for entry in data.get("respaldos", []) if isinstance(entry, dict) and "nombre" in entry]


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a directory for fsync; NTFS journals the rename itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_manifest(backup_dir: Path, entries: list[dict[str, Any]]) -> None:
    tmp = backup_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as file:
        json.dump({"respaldos": entries}, file, ensure_ascii=False, indent=1)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, backup_dir / MANIFEST)
    _fsync_dir(backup_dir)


# --- creating -----------------------------------------------------------------------------------

def _sha256_and_sync(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb+") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(file.fileno())
    return digest.hexdigest()


def _link_no_clobber(tmp: Path, folder: Path, stem: str) -> Path:
    """Give `tmp` the first free name `stem.db`, `stem-2.db`, ... atomically; never overwrite."""
    for n in range(1, 1000):
        target = folder / (f"{stem}.db" if n == 1 else f"{stem}-{n}.db")
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        os.unlink(tmp)
        return target
    raise BackupFailed(f"Hay demasiados respaldos con el nombre {stem} en {folder}.")


@contextmanager
def _open_snapshot(source: str | os.PathLike[str] | apsw.Connection) -> Iterator[apsw.Connection]:
    """A connection on the live database holding one read snapshot until the block ends.

    SQLite restarts a backup whenever another connection writes to the source
    between two steps; under continuous sales a stepped copy would never end.
    With a read transaction held on the source connection the backup steps all
    read that one snapshot (WAL lets the server keep writing meanwhile), so the
    copy is exactly the database as of the moment it began.
    """
    own = not isinstance(source, apsw.Connection)
    if own:
        if not Path(source).is_file():
            raise BackupFailed(f"No existe la base de datos {source}.")
        conn = apsw.Connection(str(source), flags=apsw.SQLITE_OPEN_READONLY)
        conn.setbusytimeout(5000)
    else:
        conn = source
    began = conn.getautocommit()
    try:
        if began:
            for _ in conn.execute("BEGIN"):
                pass
            _rows(conn, "SELECT count(*) FROM sqlite_schema")  # a read makes BEGIN take its snapshot now
        yield conn
    finally:
        if began and not conn.getautocommit():
            for _ in conn.execute("COMMIT"):
                pass
        if own:
            conn.close()


def _copy_pages(dest: apsw.Connection, source: apsw.Connection, progress: Progress | None,
                after_step: Callable[[], None] | None = None) -> None:
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


def _copy_to(path: Path, sha256: str, copy_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Copy a verified backup to the second destination; report, never raise."""
    folder = Path(copy_dir)
    tmp = folder / f".{path.name}.tmp"
    try:
        if not folder.is_dir():
            raise FileNotFoundError(f"la carpeta {folder} no existe o no está conectada")
        shutil.copyfile(path, tmp)
        if _sha256_and_sync(tmp) != sha256:
            raise OSError("la copia no coincide con el original (sha256 distinto)")
        os.replace(tmp, folder / path.name)
        _fsync_dir(folder)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        reason = exc.strerror if isinstance(exc.strerror, str) else str(exc)
        error = f"No se pudo copiar a {folder}: {reason}"
        log.error("%s", error)
        return {"ok": False, "ruta": str(folder), "error": error}
    return {"ok": True, "ruta": str(folder / path.name), "error": None}


def create_backup(source: str | os.PathLike[str] | apsw.Connection, backup_dir: str | os.PathLike[str],
                  kind: str = "manual", usuario: str | None = None, progress: Progress | None = None,
                  copy_dir: str | os.PathLike[str] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Back up the live database (a path, or a connection to copy from) into `backup_dir`; return its entry.

    Raises BackupFailed if the copy cannot be written or fails its integrity check.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown backup kind {kind!r}")
    started = time.monotonic()
    created = (now or clock.now()).astimezone(dt.timezone.utc)
    folder = Path(backup_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupFailed(f"No se pudo crear la carpeta de respaldos {folder}: {exc.strerror or exc}.") from None
    stem = f"servitec-{created:%Y%m%d-%H%M%S}-{kind}"
    tmp = folder / f".{stem}.{os.getpid()}.tmp"
    try:
        dest = apsw.Connection(str(tmp))
        try:
            with _open_snapshot(source) as snapshot, _flushed_as_written(tmp) as flush:
                _copy_pages(dest, snapshot, progress, flush)
            # The copy inherits WAL mode from the live file; rollback-journal mode
            # makes it one self-contained file that opens read-only anywhere.
            _rows(dest, "PRAGMA journal_mode=DELETE")
            check = [row[0] for row in _rows(dest, "PRAGMA integrity_check")]
            if check != ["ok"]:
                raise BackupFailed(f"La copia no pasó la verificación (integrity_check: {'; '.join(check[:3])}).")
            facts = {"version_esquema": schema_version(dest), "filas": row_counts(dest),
                     "hash_contenido": content_hash(dest)}
        finally:
            dest.close()
        sha256 = _sha256_and_sync(tmp)
        size = tmp.stat().st_size
        final = _link_no_clobber(tmp, folder, stem)
        _fsync_dir(folder)
    except apsw.Error as exc:
        raise BackupFailed(f"No se pudo hacer el respaldo: {exc}.") from None
    except OSError as exc:
        raise BackupFailed(f"No se pudo escribir el respaldo en {folder}: {exc.strerror or exc}.") from None
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
    entry = {
        "nombre": final.name,
        "tipo": kind,
        "creado": clock.iso(created),
        "tamano": size,
        "sha256": sha256,
        **facts,
        "duracion_s": round(time.monotonic() - started, 3),
        "usuario": usuario,
        "verificado": True,
        "copia": _copy_to(final, sha256, copy_dir) if copy_dir else None,
    }
    with _manifest_lock(folder):
        entries = _read_manifest(folder)
        entries.append(entry)
        _write_manifest(folder, entries)
    log.info("Respaldo creado: %s (%d bytes)", final.name, size)
    return entry


# --- listing ------------------------------------------------------------------------------------

def _created_from_name(name: str) -> str:
    match = NAME_RE.match(name)
    if not match:
        return ""
    moment = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
    return clock.iso(moment)


def list_backups(backup_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every backup in the folder, newest first, each with `estado`, `valido` and `razon`.

    Manifest entries are checked cheaply (the file is there with its recorded
    size); `servitec-*.db` files the manifest does not know are listed as
    "sin verificar" after a quick look, so a damaged file never breaks the list.
    """
    folder = Path(backup_dir)
    listed = []
    known = set()
    for entry in _read_manifest(folder):
        known.add(entry["nombre"])
        path = folder / entry["nombre"]
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = None
        if size is None:
            reason = "El archivo ya no existe."
        elif size != entry.get("tamano"):
            reason = f"El archivo mide {size} bytes y al crearlo medía {entry.get('tamano')}."
        else:
            reason = None
        listed.append({**entry, "estado": "invalido" if reason else "verificado", "valido": reason is None,
                       "razon": reason})
    if folder.is_dir():
        for path in folder.glob("servitec-*.db"):
            if path.name in known:
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue  # deleted meanwhile (retention, the owner) or a dangling link: nothing to list
            ok, reason = verify_backup(path, quick=True)
            match = NAME_RE.match(path.name)
            listed.append({
                "nombre": path.name, "tipo": match.group(3) if match else None,
                "creado": _created_from_name(path.name), "tamano": size, "verificado": False,
                "estado": "sin verificar" if ok else "invalido", "valido": ok, "razon": reason,
            })
    listed.sort(key=lambda e: (e.get("creado") or "", e["nombre"]), reverse=True)
    return listed


def newest_verified(backup_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The newest backup that passed verification when made and whose file is still there."""
    folder = Path(backup_dir)
    entries = sorted((e for e in _read_manifest(folder) if e.get("verificado")), key=lambda e: e["creado"],
                     reverse=True)
    return next((e for e in entries if (folder / e["nombre"]).is_file()), None)


def backup_path(backup_dir: str | os.PathLike[str], name: str) -> Path:
    """The file of backup `name`; NotFound unless it exists and has a backup's name (no paths)."""
    folder = Path(backup_dir)
    # Only names of the backup form, so a request cannot reach outside the folder.
    if not NAME_RE.match(name) or not (folder / name).is_file():
        raise NotFound(f"No existe el respaldo {name} en {folder}.")
    return folder / name


# --- restoring ----------------------------------------------------------------------------------

def _direct(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _restorable(folder: Path, name: str) -> tuple[Path, dict[str, Any] | None]:
    """The backup's file and manifest entry; Conflict (nothing touched) if it cannot be restored."""
    path = backup_path(folder, name)
    ok, reason = verify_backup(path)
    if not ok:
        raise Conflict(f"No se puede restaurar {name}: {reason} Los datos actuales no se modificaron.",
                       code="respaldo_invalido")
    entry = next((e for e in _read_manifest(folder) if e["nombre"] == name), None)
    if entry is not None and _sha256_and_sync(path) != entry["sha256"]:
        raise Conflict(f"No se puede restaurar {name}: el archivo cambió desde que se creó (sha256 distinto). "
                       "Los datos actuales no se modificaron.", code="respaldo_invalido")
    return path, entry


def _last_audit_id(path: Path) -> int:
    conn = _open_file_readonly(path)
    try:
        if "auditoria" not in _tables(conn):
            return 0
        return _rows(conn, "SELECT COALESCE(MAX(id), 0) FROM auditoria")[0][0]
    finally:
        conn.close()


def _replace_pages(writer: apsw.Connection, path: Path, progress: Progress | None) -> tuple[int, dict[str, Any]]:
    """Copy the backup's pages over the live database; return (last seq before, facts of the restored data)."""
    after_seq = _rows(writer, "SELECT COALESCE(MAX(seq), 0) FROM cambios")[0][0]
    source = _open_file_readonly(path)
    try:
        _copy_pages(writer, source, progress)
    finally:
        source.close()
    restored = {"filas": row_counts(writer), "hash_contenido": content_hash(writer)}
    apply_migrations(writer)
    return after_seq, restored


def _finish_restore(writer: apsw.Connection, after_seq: int, datos: dict[str, Any], actor: Actor | None,
                    accounts: list[dict[str, Any]], trail: list[dict[str, Any]]) -> list[str]:
    """One transaction: the accounts as they were before the restore, the audit rows made since the
    backup, and `base_restaurada`."""
    for _ in writer.execute("BEGIN IMMEDIATE"):
        pass
    try:
        tx = Tx(writer)
        tx.actor = actor
        skipped = auth.carry_over_accounts(tx, accounts)
        audit.carry_over(tx, trail)
        events.record_restore(tx, after_seq, datos, actor and actor.usuario)
    except BaseException:
        if not writer.getautocommit():
            for _ in writer.execute("ROLLBACK"):
                pass
        raise
    for _ in writer.execute("COMMIT"):
        pass
    return skipped


def restore_backup(database: Database | str | os.PathLike[str], backup_dir: str | os.PathLike[str], name: str,
                   actor: Actor | None = None, progress: Progress | None = None,
                   copy_dir: str | os.PathLike[str] | None = None,
                   run: Callable[..., Any] = _direct) -> dict[str, Any]:
    """Replace the live database's content with backup `name`; return its entry plus `respaldo_previo`.

    The backup is verified first (refused with Conflict, live data untouched).
    Then, with every other write of the process paused, the current data is
    saved as a `pre-restore` backup (so no write falls between the two), the
    backup's pages are copied into the live database through its write
    connection (its WAL and lock stay valid), migrations run, the staff
    accounts are put back as they were (auth.carry_over_accounts), so are the
    audit rows made since the backup, and `base_restaurada` goes into the
    change log. Given a path, the database is
    opened exclusively: DatabaseLocked if a server holds it. `run(fn, *args)`
    runs each long step (the server passes its thread pool).
    """
    if not isinstance(database, Database):
        opened = Database(database)
        try:
            return restore_backup(opened, backup_dir, name, actor, progress, copy_dir, run)
        finally:
            opened.close()
    folder = Path(backup_dir)
    usuario = actor and actor.usuario
    path, entry = run(_restorable, folder, name)
    with database.paused_writes() as writer:
        previous = run(create_backup, database.path, folder, "pre-restore", usuario, None, copy_dir)
        accounts = auth.all_accounts(Tx(writer))
        trail = audit.rows_after(Tx(writer), _last_audit_id(path))
        after_seq, restored = run(_replace_pages, writer, path, progress)
        if entry is None:
            entry = {"nombre": name, "tipo": NAME_RE.match(name).group(3), "creado": _created_from_name(name),
                     "verificado": False, **restored}
        recorded = entry.get("hash_contenido") or ""
        comparable = recorded.startswith(HASH_FORMAT)  # else: counts only (an older backup's hash)
        matches = entry.get("filas") == restored["filas"] and (not comparable or recorded == restored["hash_contenido"])
        skipped = _finish_restore(writer, after_seq, {"respaldo": name, "creado": entry.get("creado"),
                                                      "respaldo_previo": previous["nombre"], "coincide": matches},
                                  actor, accounts, trail)
    if skipped:
        log.warning("Cuentas que no se conservaron al restaurar (otra cuenta del respaldo tiene su nombre): %s",
                    ", ".join(skipped))
    database.reload_server_id()
    if not matches:
        raise BackupFailed(f"Los datos restaurados no coinciden con el manifiesto de {name}. Los datos de antes "
                           f"están en {previous['nombre']}.")
    log.warning("Base de datos restaurada desde %s (respaldo previo: %s)", name, previous["nombre"])
    return {**entry, "respaldo_previo": previous["nombre"]}


# --- retention and deletion ---------------------------------------------------------------------

def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def plan_retention(entries: Iterable[dict[str, Any]], now: dt.datetime, keep_hourly: int = 48,
                   keep_daily: int = 14, keep_weekly: int = 8,
                   keep_monthly: int = 12) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Grandfather-father-son over `auto` entries: (keep, delete), each newest first.

    Each rule keeps the newest backup of each of its N most recent periods
    (UTC hour, day, ISO week, month) that have one, so a shop closed for a
    month still keeps N of each. Entries dated after `now` (a clock set back)
    are kept and left out of the count. Manual and pre-restore entries are
    always kept; the newest verified entry is kept if no other verified one would be.
    """
    entries = sorted(entries, key=lambda e: e["creado"], reverse=True)
    autos = [e for e in entries if e["tipo"] == "auto" and _parse_iso(e["creado"]) <= now]
    auto_names = {e["nombre"] for e in autos}
    keep_names = {e["nombre"] for e in entries if e["nombre"] not in auto_names}
    periods: list[tuple[int, Callable[[dt.datetime], tuple]]] = [
        (keep_hourly, lambda t: (t.year, t.month, t.day, t.hour)),
        (keep_daily, lambda t: (t.year, t.month, t.day)),
        (keep_weekly, lambda t: t.isocalendar()[:2]),
        (keep_monthly, lambda t: (t.year, t.month)),
    ]
    for count, period in periods:
        seen: set[tuple] = set()
        for entry in autos:  # newest first, so the first of each period is its newest
            if len(seen) >= count:
                break
            bucket = period(_parse_iso(entry["creado"]).astimezone(dt.timezone.utc))
            if bucket not in seen:
                seen.add(bucket)
                keep_names.add(entry["nombre"])
    if not any(e.get("verificado") and e["nombre"] in keep_names for e in entries):
        newest_verified = next((e for e in entries if e.get("verificado")), None)
        if newest_verified is not None:
            keep_names.add(newest_verified["nombre"])
    keep = [e for e in entries if e["nombre"] in keep_names]
    delete = [e for e in entries if e["nombre"] not in keep_names]
    return keep, delete


def _remove(folder: Path, name: str, copy_dir: str | os.PathLike[str] | None) -> None:
    targets = [folder / name] + ([Path(copy_dir) / name] if copy_dir else [])
    for path in targets:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # an unplugged copy disk must not stop the cleanup of the main folder
            log.error("No se pudo borrar %s: %s", path, exc)


def apply_retention(backup_dir: str | os.PathLike[str], now: dt.datetime | None = None, keep_hourly: int = 48,
                    keep_daily: int = 14, keep_weekly: int = 8, keep_monthly: int = 12,
                    copy_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Delete the automatic backups `plan_retention` drops (files, copies and manifest entries); return them."""
    folder = Path(backup_dir)
    if not folder.is_dir():
        return []
    with _manifest_lock(folder):
        entries = _read_manifest(folder)
        keep, delete = plan_retention(entries, now or clock.now(), keep_hourly, keep_daily, keep_weekly, keep_monthly)
        if delete:
            _write_manifest(folder, keep)
    for entry in delete:
        _remove(folder, entry["nombre"], copy_dir)
    return delete


def delete_backup(backup_dir: str | os.PathLike[str], name: str,
                  copy_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Delete one backup for the owner; refuses to delete the only verified backup."""
    folder = Path(backup_dir)
    backup_path(folder, name)
    with _manifest_lock(folder):
        entries = _read_manifest(folder)
        entry = next((e for e in entries if e["nombre"] == name), None)
        verified = [e for e in entries if e.get("verificado") and (folder / e["nombre"]).is_file()]
        if entry is not None and entry.get("verificado") and len(verified) == 1 and verified[0] is entry:
            raise Conflict(f"No se puede borrar {name}: es el único respaldo verificado. Haz otro respaldo antes.",
                           code="unico_respaldo")
        if entry is not None:
            _write_manifest(folder, [e for e in entries if e is not entry])
    _remove(folder, name, copy_dir if entry is not None else None)
    return entry or {"nombre": name, "verificado": False}
