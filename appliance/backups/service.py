"""The server's backups: the schedule, one backup or restore at a time off the hub, notices, health.

The other modules of this package do the work and block; this one runs it inside the gevent
server. The copy runs in gevent's thread pool (APSW releases the GIL inside
SQLite) while the hub keeps serving; the owner's sockets get progress notices;
each automatic backup is followed by retention; and `health()` is what GET /
and the dashboard report. No Flask here: the API and serve() drive it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from gevent.lock import Semaphore

from .. import workers
from ..config import Config
from ..realtime import Hub
from ..shop import audit, clock, events
from ..shop.errors import Conflict
from ..store import Actor, Database
from .create import create_backup
from .folder import MANIFEST, BackupFailed
from .listing import newest_verified
from .restore import restore_backup
from .retention import apply_retention, delete_backup

log = logging.getLogger(__name__)

CHECK_SECONDS = 60
# The first check waits a moment after start-up: the counters reconnect and catch up first.
STARTUP_DELAY_SECONDS = 5
PROGRESS_SECONDS = 0.5
RETRY_AFTER_FAILURE = dt.timedelta(minutes=10)
STOP_WAIT_SECONDS = 120
PERMISSION = "respaldos:administrar"


class BackupBusy(Conflict):
    code = "respaldo_en_curso"


class BackupService:
    """Backups and restores for a running server (one at a time), and their schedule."""

    def __init__(self, config: Config, database: Database, hub: Hub):
        self.config = config
        self.database = database
        self.hub = hub
        self.folder = Path(config.backup_dir)
        self.copy_dir = config.backup_copy_dir or None
        self._busy = Semaphore()
        self._progress: tuple[int, int] | None = None
        self._operation = ""
        self._scheduler: gevent.Greenlet | None = None
        self._retry_at: dt.datetime | None = None
        self._newest_key: tuple | None = None
        self._newest: dict[str, Any] | None = None
        # The last attempt's failure, until a backup succeeds: {"fecha", "tipo", "mensaje"}.
        self.last_failure: dict[str, Any] | None = None

    # --- running --------------------------------------------------------------------------------

    def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn` in the thread pool; meanwhile send its progress to the owner's sockets."""
        pending = workers.spawn(fn, *args)
        sent = None
        while not pending.ready():
            pending.wait(PROGRESS_SECONDS)
            progress = self._progress
            if progress is not None and progress != sent:
                sent = progress
                copied, total = progress
                self.hub.notify(
                    "respaldo_progreso",
                    {
                        "operacion": self._operation,
                        "paginas_copiadas": copied,
                        "paginas_total": total,
                        "porcentaje": round(100 * copied / total, 1) if total else 100.0,
                        "fase": "verificando" if copied >= total else "copiando",
                    },
                    PERMISSION,
                )
        return workers.result(pending)

    def _record_progress(self, copied: int, total: int) -> None:
        # Called from the worker thread: a plain assignment, read by the hub's greenlet.
        self._progress = (copied, total)

    def _start(self, operation: str) -> None:
        if not self._busy.acquire(blocking=False):
            raise BackupBusy("Ya se está haciendo un respaldo o una restauración. Espera a que termine.")
        self._operation = operation
        self._progress = None

    def _finish(self) -> None:
        self._progress = None  # later thread work (retention, a deletion) reports no progress
        self._busy.release()

    def _audit(self, accion: str, nombre: str, actor: Actor | None) -> None:
        with self.database.write() as tx:
            tx.actor = actor
            audit.record(tx, accion, "respaldos", nombre)

    def backup(self, kind: str = "manual", actor: Actor | None = None) -> dict[str, Any]:
        """Make a verified backup now; BackupBusy if one is running, BackupFailed if it cannot be made."""
        self._start(kind)
        try:
            entry = self._in_thread(
                create_backup,
                self.database.path,
                self.folder,
                kind,
                actor and actor.usuario,
                self._record_progress,
                self.copy_dir,
            )
        except BackupFailed as exc:
            self.last_failure = {"fecha": clock.now_iso(), "tipo": kind, "mensaje": exc.message}
            log.error("Falló el respaldo %s: %s", kind, exc.message)
            self.hub.notify("respaldo_fallido", self.last_failure, PERMISSION)
            raise
        finally:
            self._finish()
        self.last_failure = None
        removed = []
        if kind == "auto":
            removed = [
                e["nombre"]
                for e in self._in_thread(
                    apply_retention,
                    self.folder,
                    clock.now(),
                    self.config.backup_keep_hourly,
                    self.config.backup_keep_daily,
                    self.config.backup_keep_weekly,
                    self.config.backup_keep_monthly,
                    self.copy_dir,
                )
            ]
        if actor is not None:
            self._audit("respaldo_creado", entry["nombre"], actor)
        self.hub.notify("respaldo_creado", {**entry, "eliminados": removed}, PERMISSION)
        return entry

    def restore(self, name: str, actor: Actor) -> dict[str, Any]:
        """Restore backup `name` into the live database (see restore_backup); writes wait meanwhile."""
        self._start("restauracion")
        try:
            entry = restore_backup(
                self.database, self.folder, name, actor, self._record_progress, self.copy_dir, run=self._in_thread
            )
        finally:
            self._finish()
        # No notice: base_restaurada is in the change log, so every socket, and every
        # client that was offline, learns of it from there.
        return entry

    def delete(self, name: str, actor: Actor) -> dict[str, Any]:
        """Delete one backup for the owner (not the only verified one)."""
        entry = self._in_thread(delete_backup, self.folder, name, self.copy_dir)
        self._audit("respaldo_eliminado", name, actor)
        self.hub.notify("respaldo_eliminado", {"nombre": name}, PERMISSION)
        return entry

    def downloaded(self, name: str, actor: Actor) -> None:
        """Audit a download: it is a full copy of the shop's customers and sales leaving the server."""
        self._audit("respaldo_descargado", name, actor)

    # --- schedule -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the schedule (the server calls this once it listens)."""
        self._remove_stale_temp_files()
        self._scheduler = gevent.spawn(self._run_schedule)

    def stop(self) -> None:
        """Stop the schedule, letting a running backup or restore finish first."""
        if self._busy.locked():
            log.info("Esperando a que termine el respaldo en curso…")
        if self._busy.acquire(timeout=STOP_WAIT_SECONDS):
            self._busy.release()
        if self._scheduler is not None:
            self._scheduler.kill()

    def _run_schedule(self) -> None:
        gevent.sleep(STARTUP_DELAY_SECONDS)
        while True:
            now = clock.now()
            try:
                reason = self.due(now)
                if reason and (self._retry_at is None or now >= self._retry_at):
                    log.info("Respaldo automático: %s", reason)
                    self._retry_at = None
                    self.backup("auto")
            except BackupFailed:
                self._retry_at = now + RETRY_AFTER_FAILURE
            except BackupBusy:
                pass  # the owner's backup is running; it counts as the newest when done
            except Exception:  # the schedule must outlive a bad moment
                log.exception("Error en el respaldo automático; se reintenta")
                self._retry_at = now + RETRY_AFTER_FAILURE
            gevent.sleep(CHECK_SECONDS)

    def due(self, now: dt.datetime) -> str | None:
        """Why an automatic backup is due at `now` (Spanish, for the log), or None."""
        with self.database.read() as tx:
            if events.last_seq(tx) == 0:
                return None  # a new installation has nothing to protect yet
        newest = self.newest()
        if newest is None:
            return "no hay ningún respaldo verificado"
        made = clock.parse_iso(newest["creado"])
        if now - made >= dt.timedelta(hours=self.config.backup_interval_hours):
            return f"el último tiene más de {self.config.backup_interval_hours} h"
        local = now.astimezone(self.config.zone)
        daily = local.replace(hour=self.config.backup_daily_hour, minute=0, second=0, microsecond=0)
        if made < daily <= local:
            return f"respaldo diario de las {self.config.backup_daily_hour}:00"
        return None

    def _remove_stale_temp_files(self) -> None:
        # A backup cut short by a power loss leaves its temp file; a day old, no live backup owns it.
        cutoff = time.time() - 86400
        for path in self.folder.glob(".servitec-*.tmp*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass

    # --- health ---------------------------------------------------------------------------------

    def newest(self) -> dict[str, Any] | None:
        """The newest verified backup (cached until backups.json changes)."""
        try:
            stat = os.stat(self.folder / MANIFEST)
            key = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = None
        if key != self._newest_key or (self._newest and not (self.folder / self._newest["nombre"]).is_file()):
            self._newest = newest_verified(self.folder)
            self._newest_key = key
        return self._newest

    def health(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """State of the backups for people: the newest verified one, its age, and a warning if needed.

        `estado`: ok, atrasado (older than twice the interval), fallido (the last
        attempt failed), sin_respaldos, or sin_copia (the second folder failed).
        """
        now = now or clock.now()
        newest = self.newest()
        age = None if newest is None else max(0.0, (now - clock.parse_iso(newest["creado"])).total_seconds() / 3600)
        limit = 2 * self.config.backup_interval_hours
        copy = newest and newest.get("copia")
        if self.last_failure is not None:
            estado, aviso = "fallido", f"El último respaldo falló: {self.last_failure['mensaje']}"
        elif newest is None:
            estado, aviso = "sin_respaldos", "Todavía no hay ningún respaldo verificado."
        elif age > limit:
            estado, aviso = "atrasado", f"El último respaldo verificado tiene {age:.0f} horas (más de {limit})."
        elif copy and not copy.get("ok"):
            estado, aviso = "sin_copia", f"El último respaldo está solo en esta PC. {copy.get('error')}."
        else:
            estado, aviso = "ok", None
        return {
            "estado": estado,
            "aviso": aviso,
            "ultimo": newest and newest["nombre"],
            "fecha": newest and newest["creado"],
            "edad_horas": None if age is None else round(age, 1),
            "en_curso": self._busy.locked(),
        }
