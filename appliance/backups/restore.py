"""Restoring a backup into the live database, with the server running or stopped.

See docs/decisions.md ("Backups"): verify first, then with every write of the
process paused take a `pre-restore` backup, copy the backup's pages in, check
them against the manifest, and in one transaction put back the staff accounts
and the audit trail as they were and log `base_restaurada`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..shop import audit, events, usuarios
from ..shop.errors import Conflict
from ..store import Actor, Database, copies
from .create import create_backup
from .folder import NAME_RE, BackupFailed, backup_path, created_from_name, read_manifest, sha256_and_sync

log = logging.getLogger(__name__)


def _direct(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _restorable(folder: Path, name: str) -> tuple[Path, dict[str, Any] | None]:
    """The backup's file and manifest entry; Conflict (nothing touched) if it cannot be restored."""
    path = backup_path(folder, name)
    ok, reason = copies.verify_file(path)
    if not ok:
        raise Conflict(
            f"No se puede restaurar {name}: {reason} Los datos actuales no se modificaron.", code="respaldo_invalido"
        )
    entry = next((e for e in read_manifest(folder) if e["nombre"] == name), None)
    if entry is not None and sha256_and_sync(path) != entry["sha256"]:
        raise Conflict(
            f"No se puede restaurar {name}: el archivo cambió desde que se creó (sha256 distinto). "
            "Los datos actuales no se modificaron.",
            code="respaldo_invalido",
        )
    return path, entry


def restore_backup(
    database: Database | str | os.PathLike[str],
    backup_dir: str | os.PathLike[str],
    name: str,
    actor: Actor | None = None,
    progress: copies.Progress | None = None,
    copy_dir: str | os.PathLike[str] | None = None,
    run: Callable[..., Any] = _direct,
) -> dict[str, Any]:
    """Replace the live database's content with backup `name`; return its entry plus `respaldo_previo`.

    The backup is verified first (refused with Conflict, live data untouched).
    Then, with every other write of the process paused, the current data is
    saved as a `pre-restore` backup (so no write falls between the two), the
    backup's pages are copied into the live database, migrations run, the staff
    accounts are put back as they were (usuarios.carry_over_accounts), so are
    the audit rows made since the backup, and `base_restaurada` goes into the
    change log. Given a path, the database is opened exclusively:
    DatabaseLocked if a server holds it. `run(fn, *args)` runs each long step
    (the server passes its thread pool).
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
    with database.paused_writes() as paused:
        previous = run(create_backup, database.path, folder, "pre-restore", usuario, None, copy_dir)
        with paused.transaction() as tx:
            accounts = usuarios.all_accounts(tx)
            trail = audit.rows_after(tx, copies.last_id(path, "auditoria"))
            after_seq = events.last_seq(tx)
        restored = run(paused.replace_with, path, progress)
        if entry is None:
            entry = {
                "nombre": name,
                "tipo": NAME_RE.match(name).group(3),
                "creado": created_from_name(name),
                "verificado": False,
                **restored,
            }
        recorded = entry.get("hash_contenido") or ""
        comparable = recorded.startswith(copies.HASH_FORMAT)  # else: counts only (an older backup's hash)
        matches = entry.get("filas") == restored["filas"] and (not comparable or recorded == restored["hash_contenido"])
        datos = {
            "respaldo": name,
            "creado": entry.get("creado"),
            "respaldo_previo": previous["nombre"],
            "coincide": matches,
        }
        with paused.transaction(actor) as tx:
            skipped = usuarios.carry_over_accounts(tx, accounts)
            audit.carry_over(tx, trail)
            events.record_restore(tx, after_seq, datos, usuario)
    if skipped:
        log.warning(
            "Cuentas que no se conservaron al restaurar (otra cuenta del respaldo tiene su nombre): %s",
            ", ".join(skipped),
        )
    database.reload_server_id()
    if not matches:
        raise BackupFailed(
            f"Los datos restaurados no coinciden con el manifiesto de {name}. Los datos de antes "
            f"están en {previous['nombre']}."
        )
    log.warning("Base de datos restaurada desde %s (respaldo previo: %s)", name, previous["nombre"])
    return {**entry, "respaldo_previo": previous["nombre"]}
