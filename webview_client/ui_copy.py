"""The desktop's own copy of the staff UI's files, so the window opens with the server unreachable.

The server lists the files in GET /ui/manifest (path, sha256, size; the page's
template, tag, modules and policy). A refresh builds the new copy in a folder of
its own: files whose sha256 the current copy already has are copied from it, the
others downloaded from /ui/<tag>/ and checked against the manifest. Only a
complete, verified copy is switched to, by replacing one small file (actual.json)
that names the folder, so a refresh that breaks off (no network, a full disk, a
killed process) leaves the previous copy in use:

    ui/actual.json          {"carpeta": "copia-…", "manifiesto": {...}}
    ui/copia-…/             the files, and index.html (the template)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from .transport import Transport

log = logging.getLogger(__name__)

POINTER = "actual.json"
TEMPLATE = "index.html"


class CopyError(Exception):
    """A refresh could not complete; the message is Spanish, for the person at the counter."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class UiCopy:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def current(self) -> tuple[Path, dict[str, Any]] | None:
        """(folder of the copy in use, its manifest), or None before the first complete refresh."""
        try:
            pointer = json.loads((self.folder / POINTER).read_text(encoding="utf-8"))
            folder = self.folder / pointer["carpeta"]
            manifest = pointer["manifiesto"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        return (folder, manifest) if folder.is_dir() else None

    @property
    def ready(self) -> bool:
        return self.current() is not None

    def tag(self) -> str | None:
        current = self.current()
        return current[1]["tag"] if current else None

    def file(self, name: str) -> Path | None:
        """The file `name` (as the page asks it, under ui/<tag>/) in the copy in use, if it holds one."""
        current = self.current()
        if current is None:
            return None
        folder, manifest = current
        if name not in {entry["ruta"] for entry in manifest["archivos"]}:
            return None
        return folder / name

    def page(self, bridge_secret: str) -> tuple[str, str]:
        """(the UI's page rendered from the copy's template, with the bridge's secret; its policy)."""
        folder, manifest = self.current()
        template = jinja2.Environment(autoescape=True).from_string((folder / TEMPLATE).read_text(encoding="utf-8"))
        html = template.render(
            tag=manifest["tag"],
            app=manifest["app"],
            version=manifest["version"],
            modules=manifest["modulos"],
            puente=bridge_secret,
        )
        return html, manifest["politica"]

    def refresh(self, http: Transport) -> bool:
        """Bring the copy up to the server's files; True when it changed. Raises CopyError or ServitecError."""
        manifest = http.request("GET", "/ui/manifest")
        current = self.current()
        if current is not None and self._holds(current[0], current[1], manifest):
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"copia-{uuid.uuid4().hex[:12]}"
        building = self.folder / f".{name}.part"
        try:
            self._build(building, manifest, current[0] if current else None, http)
            building.rename(self.folder / name)
            pointer = self.folder / (POINTER + ".part")
            pointer.write_text(json.dumps({"carpeta": name, "manifiesto": manifest}, ensure_ascii=False), "utf-8")
            os.replace(pointer, self.folder / POINTER)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        log.info("Copia de la interfaz actualizada a %s", manifest["tag"])
        self._sweep(keep=name)
        return True

    def _holds(self, folder: Path, manifest: dict[str, Any], wanted: dict[str, Any]) -> bool:
        """Whether the copy in `folder` is exactly `wanted`, its files checked, not just its listing."""
        if manifest != wanted:
            return False
        return all(_intact(folder / entry["ruta"], entry) for entry in wanted["archivos"])

    def _build(self, target: Path, manifest: dict[str, Any], previous: Path | None, http: Transport) -> None:
        target.mkdir(parents=True)
        (target / TEMPLATE).write_text(manifest["plantilla"], encoding="utf-8")
        for entry in manifest["archivos"]:
            name = entry["ruta"]
            if name == TEMPLATE or ".." in Path(name).parts or Path(name).is_absolute():
                raise CopyError(f"El servidor listó un archivo con un nombre que no se acepta: {name}")
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if previous is not None and _intact(previous / name, entry):
                shutil.copyfile(previous / name, path)
                continue
            http.download(f"/ui/{quote(manifest['tag'])}/{quote(name)}", path)
            if not _intact(path, entry):
                raise CopyError(
                    f"El archivo {name} de la interfaz llegó distinto de lo que anunció el servidor; "
                    "se sigue usando la copia anterior."
                )

    def _sweep(self, keep: str) -> None:
        """Remove every other copy. One still open (Windows) stays until the next refresh."""
        for path in self.folder.iterdir():
            if path.is_dir() and path.name != keep:
                shutil.rmtree(path, ignore_errors=True)


def _intact(path: Path, entry: dict[str, Any]) -> bool:
    try:
        return path.stat().st_size == entry["tamano"] and sha256(path) == entry["sha256"]
    except FileNotFoundError:
        return False
