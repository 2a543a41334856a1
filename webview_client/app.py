"""`python -m webview_client`: find the server, keep the UI's copy up to date, show it in the window.

The window opens at once on "Buscando servidor…" (pages/), which lists each try
as it happens. Once a server answers, the copy of the UI is refreshed from it
and the window shows the UI; with no server but a copy from an earlier day, the
window shows the copy (the Backend answers what it can offline); with neither,
the page waits for a person to type the address the server's tray shows.

The finder is a module with `locate(config_url, last, *, on_try)` and, for a
typed address, `verify(url, last)`, both returning a Found (url, server_id, fp,
via) or raising with a Spanish message (not found, a different server, a
changed certificate): discovery.py, or the tests' own finder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from .backend import Backend
from .bridge import Bridge
from .client import Client
from .config import ClientConfig, ClientConfigError, last_server, pinned_fingerprint, save_last_server
from .errors import ServitecError
from .locations import client_dir, config_path, ui_dir
from .site import Site
from .transport import Pinned, Transport
from .ui_copy import CopyError, UiCopy

log = logging.getLogger(__name__)

BackendFactory = Callable[[Path, str, ClientConfig], Backend]


class Startup:
    """Everything from the window's first page to the UI, and the search page's calls."""

    def __init__(self, folder: Path, finder: ModuleType, backend_factory: BackendFactory):
        self.folder = folder
        self.finder = finder
        self.backend_factory = backend_factory
        self.copy = UiCopy(ui_dir(folder))
        self.site = Site(self.copy, {"buscando": self.buscando, "conectar": self.conectar})
        self.push: Callable[[dict[str, Any]], None] = lambda message: None
        self.backend: Backend | None = None
        self.steps: list[str] = []
        self.state = {"estado": "buscando", "mensaje": None}
        self._connecting = threading.Lock()
        try:
            self.config = ClientConfig.load(config_path(folder))
            self.problem = None
        except ClientConfigError as exc:
            self.config, self.problem = ClientConfig(), str(exc)

    # --- the search page's calls --------------------------------------------------

    def buscando(self) -> dict[str, Any]:
        """What the search page shows on (re)load; later changes reach it as pushes."""
        return {**self.state, "pasos": self.steps}

    def conectar(self, url: str) -> dict[str, Any]:
        url = (url or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
            return {"ok": False, "mensaje": "Escribe la dirección completa, como http://192.168.1.50:8000."}
        if self.backend is not None:
            return {"ok": True}
        self._step(f"Dirección escrita: {url}")
        try:
            found = self.finder.verify(url, self._last())
        except Exception as exc:  # the finder's refusals (not found, another server, another certificate)
            log.info("La dirección %s no sirvió: %s", url, exc)
            return {"ok": False, "mensaje": _said(exc)}
        failure = self._connect(found)
        return {"ok": failure is None, "mensaje": failure}

    # --- start-up -----------------------------------------------------------------

    def run(self, push: Callable[[dict[str, Any]], None]) -> None:
        """On the GUI's start thread: look for the server, then show the UI or wait for an address."""
        self.push = push
        if self.problem:
            self._set("error", f"{self.problem} Corrige config.json y vuelve a abrir el programa.")
            return
        last = self._last()
        try:
            found = self.finder.locate(self.config.url, last, on_try=self._step)
        except Exception as exc:
            known = self.config.url or (last or {}).get("url")
            if self.copy.ready and known:
                log.info("Sin servidor (%s); la ventana abre la copia local", exc)
                self._show_ui(known, online=False)
            else:
                self._set("no_encontrado", _said(exc))
            return
        failure = self._connect(found)
        if failure:
            self._set("no_encontrado", failure)

    def _connect(self, found: Any) -> str | None:
        """Pair with `found`, refresh the copy from it and show the UI; a Spanish reason when it cannot."""
        with self._connecting:
            if self.backend is not None:
                return None
            save_last_server(config_path(self.folder), found.saved())
            self._step(f"Servidor encontrado: {found.url}")
            self._step("Copiando la interfaz del servidor…")
            try:
                self._refresh(found.url)
            except (ServitecError, CopyError, OSError) as exc:
                if not self.copy.ready:
                    return f"No se pudo copiar la interfaz del servidor: {exc}"
                log.warning("La copia de la interfaz no se actualizó (%s); se usa la anterior", exc)
            self._show_ui(found.url, online=True)
            return None

    def _show_ui(self, url: str, *, online: bool) -> None:
        self.backend = self.backend_factory(self.folder, url, self.config)
        bridge = Bridge(self.backend, self.push, online=online, on_back_online=lambda: self._refresh_later(url))
        self.site.calls.update(bridge.calls())
        self.site.on_page = bridge.close_all
        self.site.show_ui = True
        self._set("listo", None)

    def _refresh(self, url: str) -> bool:
        fp = pinned_fingerprint(config_path(self.folder), url)
        http = Transport(url, self.config.timeout, self.config.retry_attempts, Pinned(fp) if fp else None)
        try:
            return self.copy.refresh(http)
        finally:
            http.close()

    def _refresh_later(self, url: str) -> None:
        """The server answers again: bring the copy up to it, and tell the page if it changed."""
        try:
            changed = self._refresh(url)
        except (ServitecError, CopyError, OSError) as exc:
            log.warning("La copia de la interfaz no se actualizó: %s", exc)
            return
        if changed:
            self.push({"tipo": "interfaz_nueva", "tag": self.copy.tag()})

    def _last(self) -> dict[str, Any] | None:
        return last_server(config_path(self.folder))

    def _step(self, text: str) -> None:
        self.steps.append(text)
        self.push({"tipo": "paso", "texto": text, "numero": len(self.steps) - 1})

    def _set(self, estado: str, mensaje: str | None) -> None:
        self.state = {"estado": estado, "mensaje": mensaje}
        self.push({"tipo": "estado", **self.state})


def _said(exc: Exception) -> str:
    """The Spanish sentence of a finder's refusal."""
    return getattr(exc, "message", None) or str(exc)


def main(finder: ModuleType | None = None, backend_factory: BackendFactory = Client) -> int:
    from .window import open_window  # pywebview and its GUI toolkit load only for the window

    folder = client_dir()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(folder / "cliente.log", encoding="utf-8"), logging.StreamHandler()],
    )
    if finder is None:
        from . import discovery as finder  # zeroconf loads only where the LAN is searched

    startup = Startup(folder, finder, backend_factory)
    open_window(startup.site, startup.run)
    if startup.backend is not None:
        startup.backend.close()
    return 0
