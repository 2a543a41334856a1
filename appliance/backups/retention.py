"""Which automatic backups to keep (grandfather-father-son), and deleting backups.

Manual and pre-restore backups are only ever deleted by the owner, and never
the only verified backup left.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..shop import clock
from ..shop.errors import Conflict
from .folder import backup_path, manifest_lock, read_manifest, remove, write_manifest


def plan_retention(
    entries: Iterable[dict[str, Any]],
    now: dt.datetime,
    keep_hourly: int = 48,
    keep_daily: int = 14,
    keep_weekly: int = 8,
    keep_monthly: int = 12,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Grandfather-father-son over `auto` entries: (keep, delete), each newest first.

    Each rule keeps the newest backup of each of its N most recent periods
    (UTC hour, day, ISO week, month) that have one, so a shop closed for a
    month still keeps N of each. Entries dated after `now` (a clock set back)
    are kept and left out of the count. Manual and pre-restore entries are
    always kept; the newest verified entry is kept if no other verified one would be.
    """
    entries = sorted(entries, key=lambda e: e["creado"], reverse=True)
    autos = [e for e in entries if e["tipo"] == "auto" and clock.parse_iso(e["creado"]) <= now]
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
            bucket = period(clock.parse_iso(entry["creado"]).astimezone(dt.UTC))
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


def apply_retention(
    backup_dir: str | os.PathLike[str],
    now: dt.datetime | None = None,
    keep_hourly: int = 48,
    keep_daily: int = 14,
    keep_weekly: int = 8,
    keep_monthly: int = 12,
    copy_dir: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Delete the automatic backups `plan_retention` drops (files, copies and manifest entries); return them."""
    folder = Path(backup_dir)
    if not folder.is_dir():
        return []
    with manifest_lock(folder):
        entries = read_manifest(folder)
        keep, delete = plan_retention(entries, now or clock.now(), keep_hourly, keep_daily, keep_weekly, keep_monthly)
        if delete:
            write_manifest(folder, keep)
    for entry in delete:
        remove(folder, entry["nombre"], copy_dir)
    return delete


def delete_backup(
    backup_dir: str | os.PathLike[str], name: str, copy_dir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Delete one backup for the owner; refuses to delete the only verified backup."""
    folder = Path(backup_dir)
    backup_path(folder, name)
    with manifest_lock(folder):
        entries = read_manifest(folder)
        entry = next((e for e in entries if e["nombre"] == name), None)
        verified = [e for e in entries if e.get("verificado") and (folder / e["nombre"]).is_file()]
        if entry is not None and entry.get("verificado") and len(verified) == 1 and verified[0] is entry:
            raise Conflict(
                f"No se puede borrar {name}: es el único respaldo verificado. Haz otro respaldo antes.",
                code="unico_respaldo",
            )
        if entry is not None:
            write_manifest(folder, [e for e in entries if e is not entry])
    remove(folder, name, copy_dir if entry is not None else None)
    return entry or {"nombre": name, "verificado": False}
