"""The backups folder: file names, the manifest `backups.json`, and safe file handling.

A backup is `servitec-YYYYMMDD-HHMMSS-<tipo>.db` (UTC) beside the manifest
that describes it. The manifest is rewritten as temp + fsync + rename under an
OS lock, because the CLI and the server may back up at the same time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..shop import clock
from ..shop.errors import NotFound, Unavailable
from ..store.lockfile import LockFile

log = logging.getLogger(__name__)

KINDS = ("manual", "auto", "pre-restore")
MANIFEST = "backups.json"
NAME_RE = re.compile(r"^servitec-(\d{8})-(\d{6})-(manual|auto|pre-restore)(?:-(\d+))?\.db$")


class BackupFailed(Unavailable):
    """The backup could not be made or checked (disk full, damaged copy); nothing was recorded."""

    code = "respaldo_fallido"


def manifest_lock(folder: Path) -> AbstractContextManager[LockFile]:
    """Serialise manifest updates between processes."""
    return LockFile(folder / (MANIFEST + ".lock"))


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        # A damaged manifest must not hide the backups: list_backups still finds their files.
        log.error("No se pudo leer %s: %s", folder / MANIFEST, exc)
        return []
    return [entry for entry in data.get("respaldos", []) if isinstance(entry, dict) and "nombre" in entry]


def fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a directory for fsync; NTFS journals the rename itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> None:
    tmp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as file:
        json.dump({"respaldos": entries}, file, ensure_ascii=False, indent=1)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, folder / MANIFEST)
    fsync_dir(folder)


def sha256_and_sync(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb+") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(file.fileno())
    return digest.hexdigest()


def link_no_clobber(tmp: Path, folder: Path, stem: str) -> Path:
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


def created_from_name(name: str) -> str:
    """The UTC moment a backup's name gives, as stored ISO text ("" for another kind of name)."""
    match = NAME_RE.match(name)
    if not match:
        return ""
    moment = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return clock.iso(moment)


def backup_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The file of backup `name`; NotFound unless it exists and has a backup's name (no paths)."""
    folder = Path(folder)
    # Only names of the backup form, so a request cannot reach outside the folder.
    if not NAME_RE.match(name) or not (folder / name).is_file():
        raise NotFound(f"No existe el respaldo {name}.")
    return folder / name


def remove(folder: Path, name: str, copy_dir: str | os.PathLike[str] | None) -> None:
    """Delete a backup's file and its second copy; a missing or unplugged copy is logged, not raised."""
    targets = [folder / name] + ([Path(copy_dir) / name] if copy_dir else [])
    for path in targets:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # an unplugged copy disk must not stop the cleanup of the main folder
            log.error("No se pudo borrar %s: %s", path, exc)
