"""What is in the backups folder, newest first, and which backup is the newest good one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..store import copies
from .folder import NAME_RE, created_from_name, read_manifest


def list_backups(backup_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every backup in the folder, newest first, each with `estado`, `valido` and `razon`.

    Manifest entries are checked cheaply (the file is there with its recorded
    size); `servitec-*.db` files the manifest does not know are listed as
    "sin verificar" after a quick look, so a damaged file never breaks the list.
    """
    folder = Path(backup_dir)
    listed = []
    known = set()
    for entry in read_manifest(folder):
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
        listed.append(
            {**entry, "estado": "invalido" if reason else "verificado", "valido": reason is None, "razon": reason}
        )
    if folder.is_dir():
        for path in folder.glob("servitec-*.db"):
            if path.name in known:
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue  # deleted meanwhile (retention, the owner) or a dangling link: nothing to list
            ok, reason = copies.verify_file(path, quick=True)
            match = NAME_RE.match(path.name)
            listed.append(
                {
                    "nombre": path.name,
                    "tipo": match.group(3) if match else None,
                    "creado": created_from_name(path.name),
                    "tamano": size,
                    "verificado": False,
                    "estado": "sin verificar" if ok else "invalido",
                    "valido": ok,
                    "razon": reason,
                }
            )
    listed.sort(key=lambda e: (e.get("creado") or "", e["nombre"]), reverse=True)
    return listed


def newest_verified(backup_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The newest backup that passed verification when made and whose file is still there."""
    folder = Path(backup_dir)
    entries = sorted((e for e in read_manifest(folder) if e.get("verificado")), key=lambda e: e["creado"], reverse=True)
    return next((e for e in entries if (folder / e["nombre"]).is_file()), None)
