"""`python -m webview_client`: find the server, keep the UI's copy up to date, show it in the window.

The window opens at once on "Buscando servidor…" (pages/), which lists each try
as it happens. Once a server answers, the copy of the UI is refreshed from it
and the window shows the UI; with no server but a copy from an earlier day, the
window shows the copy (the Backend answers what it can offline); with neither,
the page waits for a person to type the address the server's tray shows.

Finding the server is `locate(config_url, last, *, mdns, beacon, timeout, on_try)`
-> Found(url, server_id, fp, via), raising an exception with a Spanish message
(not found, a different server, a changed certificate). It is discovery.py's
when that module is present; without it, only the given addresses are asked
(`locate_by_address`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from .backend import Backend
from .bridge import Bridge
from .config import ClientConfig, ClientConfigError, last_server, save_last_server
from .errors import ServitecError
from .locations import client_dir, config_path, ui_dir
from .online import OnlineBackend
from .site import Site
from .transport import Transport
from .ui_copy import CopyError, UiCopy

log = logging.getLogger(__name__)

APP_NAME = "ServitecManager"
BackendFactory = Callable[[str, ClientConfig], Backend]


class Found(NamedTuple):
    url: str
    server_id: str
    fp: str | None
    via: str


class ServerNotFound(Exception):
    """No address answered as a ServitecManager server; `tried` lists what was asked."""

    def __init__(self, message: str, tried: list[str]):
        super().__init__(message)
        self.tried = tried


def locate_by_address(
    config_url: str | None,
    last: dict[str, Any] | None,
    *,
    mdns: bool = True,
    beacon: bool = True,
    timeout: float = 5.0,
    on_try: Callable[[str], None] = lambda text: None,
) -> Found:
    """The given addresses only (config.json's, then the last server's): discovery's stand-in."""
    tried = []
    pinned = (last or {}).get("server_id")
    for via, url in (("config.json", config_url), ("último servidor", (last or {}).get("url"))):
        if not url or url in tried:
            continue
        on_try(f"{via}: {url}")
        tried.append(url)
        http = Transport(url, timeout, 0)
        try:
            status = http.request("GET", "/")
        except ServitecError as exc:
            if exc.code == "certificado":
                raise ServerNotFound(exc.message, tried) from None
            continue
        finally:
            http.close()
        if not isinstance(status, dict) or status.get("app") != APP_NAME or not status.get("server_id"):
            continue
        if pinned and status["server_id"] != pinned:
            raise ServerNotFound(
                f"{url} es otro servidor de ServitecManager, no el de este taller. Revisa la dirección.", tried
            )
        return Found(url, status["server_id"], None, via)
    raise ServerNotFound("No se encontró el servidor. Escribe la dirección que muestra su ícono.", tried)


def default_locate() -> Callable[..., Found]:
    try:
        from .discovery import locate
    except ImportError:  # a build without discovery (mDNS, beacon)
        return locate_by_address
    return locate


class Startup:
    """Everything from the window's first page to the UI, and the search page's calls."""

    def __init__(self, folder: Path, locate: Callable[..., Found], backend_factory: BackendFactory):
        self.folder = folder
        self.locate = locate
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
        try:
            found = self.locate(
                url, self._last(), mdns=False, beacon=False, timeout=self.config.timeout, on_try=self._step
            )
        except Exception as exc:
            log.info("La dirección %s no sirvió: %s", url, exc)
            return {"ok": False, "mensaje": str(exc)}
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
            found = self.locate(self.config.url, last, timeout=self.config.timeout, on_try=self._step)
        except Exception as exc:
            known = self.config.url or (last or {}).get("url")
            if self.copy.ready and known:
                log.info("Sin servidor (%s); la ventana abre la copia local", exc)
                self._show_ui(known, online=False)
            else:
                self._set("no_encontrado", str(exc))
            return
        failure = self._connect(found)
        if failure:
            self._set("no_encontrado", failure)

    def _connect(self, found: Found) -> str | None:
        """Pair with `found`, refresh the copy from it and show the UI; a Spanish reason when it cannot."""
        with self._connecting:
            if self.backend is not None:
                return None
            save_last_server(config_path(self.folder), {"url": found.url, "server_id": found.server_id, "fp": found.fp})
            self._step(f"Servidor encontrado ({found.via}): {found.url}")
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
        self.backend = self.backend_factory(url, self.config)
        bridge = Bridge(self.backend, self.push, online=online, on_back_online=lambda: self._refresh_later(url))
        self.site.calls.update(bridge.calls())
        self.site.on_page = bridge.close_all
        self.site.show_ui = True
        self._set("listo", None)

    def _refresh(self, url: str) -> bool:
        http = Transport(url, self.config.timeout, self.config.retry_attempts)
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


def online_backend(url: str, config: ClientConfig) -> Backend:
    return OnlineBackend(
        url, timeout=config.timeout, retry_attempts=config.retry_attempts, realtime=config.enable_realtime
    )


def main(locate: Callable[..., Found] | None = None, backend_factory: BackendFactory = online_backend) -> int:
    from .window import open_window  # pywebview and its GUI toolkit load only for the window

    folder = client_dir()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(folder / "cliente.log", encoding="utf-8"), logging.StreamHandler()],
    )
    startup = Startup(folder, locate or default_locate(), backend_factory)
    open_window(startup.site, startup.run)
    if startup.backend is not None and hasattr(startup.backend, "close"):
        startup.backend.close()
    return 0
