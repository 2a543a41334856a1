"""Making a backup: an online copy of the live database, checked, hashed, named and listed.

Blocking work with no gevent: the server runs it in its thread pool (see
service.py), the CLI calls it directly. The copy is the database exactly as of
the moment it began (every sale answered before it is in) while the server
keeps writing; it appears under its final name only once verified.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from ..shop import clock
from ..store import CommitFailed, StoreError, copies
from .folder import (
    KINDS,
    BackupFailed,
    fsync_dir,
    link_no_clobber,
    manifest_lock,
    read_manifest,
    sha256_and_sync,
    write_manifest,
)

log = logging.getLogger(__name__)


def _no_room(folder: Path) -> str:
    return f"No hay espacio en el disco para el respaldo en {folder}. Libera espacio o usa otra carpeta (BACKUP_DIR)."


def _copy_to(path: Path, sha256: str, copy_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Copy a verified backup to the second destination; report, never raise."""
    folder = Path(copy_dir)
    tmp = folder / f".{path.name}.tmp"
    try:
        if not folder.is_dir():
            raise FileNotFoundError(f"la carpeta {folder} no existe o no está conectada")
        shutil.copyfile(path, tmp)
        if sha256_and_sync(tmp) != sha256:
            raise OSError("la copia no coincide con el original (sha256 distinto)")
        os.replace(tmp, folder / path.name)
        fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = (
            "no hay espacio en el disco"
            if exc.errno == errno.ENOSPC
            else (exc.strerror if isinstance(exc.strerror, str) else str(exc))
        )
        error = f"No se pudo copiar a {folder}: {reason}"
        log.error("%s", error)
        return {"ok": False, "ruta": str(folder), "error": error}
    return {"ok": True, "ruta": str(folder / path.name), "error": None}


def create_backup(
    source: str | os.PathLike[str],
    backup_dir: str | os.PathLike[str],
    kind: str = "manual",
    usuario: str | None = None,
    progress: copies.Progress | None = None,
    copy_dir: str | os.PathLike[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Back up the live database file `source` into `backup_dir`; return its manifest entry.

    Raises BackupFailed if the copy cannot be written or fails its integrity check.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown backup kind {kind!r}")
    started = time.monotonic()
    created = (now or clock.now()).astimezone(dt.UTC)
    folder = Path(backup_dir)
    if not Path(source).is_file():
        raise BackupFailed(f"No existe la base de datos {source}.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupFailed(f"No se pudo crear la carpeta de respaldos {folder}: {exc.strerror or exc}.") from None
    stem = f"servitec-{created:%Y%m%d-%H%M%S}-{kind}"
    tmp = folder / f".{stem}.{os.getpid()}.tmp"
    try:
        facts = copies.copy_out(source, tmp, progress)
        sha256 = sha256_and_sync(tmp)
        size = tmp.stat().st_size
        final = link_no_clobber(tmp, folder, stem)
        fsync_dir(folder)
    except copies.DamagedCopy as exc:
        raise BackupFailed(f"La copia no pasó la verificación (integrity_check: {exc.details}).") from None
    except CommitFailed as exc:
        raise BackupFailed(_no_room(folder) if exc.disk_full else f"No se pudo escribir el respaldo: {exc}.") from None
    except StoreError as exc:
        raise BackupFailed(f"No se pudo hacer el respaldo: {exc}.") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise BackupFailed(_no_room(folder)) from None
        raise BackupFailed(f"No se pudo escribir el respaldo en {folder}: {exc.strerror or exc}.") from None
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
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
    try:
        with manifest_lock(folder):
            entries = read_manifest(folder)
            entries.append(entry)
            write_manifest(folder, entries)
    except OSError as exc:
        final.unlink()  # a backup the manifest does not list would be shown as unverified
        raise BackupFailed(
            _no_room(folder)
            if exc.errno == errno.ENOSPC
            else f"No se pudo anotar el respaldo en {folder / 'backups.json'}: {exc.strerror or exc}."
        ) from None
    log.info("Respaldo creado: %s (%d bytes)", final.name, size)
    return entry
