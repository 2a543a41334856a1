"""The icon by the clock on the server PC: starts the server, shows how it is, and gives the owner its few buttons.

`python -m appliance` on a PC with a desktop lands here. The server itself
runs as a supervised child (supervisor.py); this process holds no database and
no port, only the icon, its menu and the notices. pystray is imported when the
tray starts, not before: on a machine without a display importing it fails, and
`serve` in Docker must not need it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from . import APP_NAME, autostart, icons, locations, logs, supervisor
from .config import Config
from .discovery import NotOnLan, lan_interfaces, only_address

log = logging.getLogger(__name__)

STATUS = {
    supervisor.STARTING: "Iniciando el servidor",
    supervisor.RUNNING: "Servidor funcionando",
    supervisor.STOPPED: "Servidor detenido",
    supervisor.ERROR: "El servidor se detuvo; se reintenta solo",
}
AUTOSTART_LABEL = "Iniciar con Windows" if sys.platform == "win32" else "Iniciar al entrar a la sesión"


def open_path(path: str | os.PathLike[str]) -> None:
    """Show a folder or a file with the program the PC uses for it (Explorer, Notepad, the file manager)."""
    if sys.platform == "win32":
        os.startfile(path)
    else:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(path)])


def copy_text(text: str) -> None:
    """Put `text` on the clipboard, for pasting the address into a chat or a note."""
    import pyperclip

    pyperclip.copy(text)


def show_qr(address: str) -> None:
    """A small window with the address and its QR code, for a phone's camera; in a thread of its own."""
    threading.Thread(target=_qr_window, args=(address,), name="qr", daemon=True).start()


def _qr_window(address: str) -> None:
    import tkinter as tk

    import segno

    root = tk.Tk()
    root.title(f"{APP_NAME}: dirección del servidor")
    root.configure(background="white")
    # Tk reads PNG from base64 data; a scale that keeps the modules sharp on any screen.
    picture = tk.PhotoImage(data=segno.make(address, error="m").png_data_uri(scale=8, border=4).split(",", 1)[1])
    tk.Label(root, image=picture, background="white").pack(padx=16, pady=(16, 4))
    tk.Label(root, text=address, font=("Segoe UI", 16, "bold"), background="white").pack(pady=(0, 4))
    tk.Label(
        root,
        text="Escríbela en el navegador o en el cliente de escritorio de cada mostrador.",
        background="white",
    ).pack(padx=16, pady=(0, 12))
    tk.Button(root, text="Cerrar", command=root.destroy, width=12).pack(pady=(0, 16))
    root.resizable(False, False)
    root.mainloop()


class Tray:
    """The tray's behaviour, apart from the pystray icon that shows it (so tests can press every item)."""

    def __init__(
        self,
        config: Config,
        child: supervisor.Supervisor | None = None,
        open_url: Callable[[str], Any] = webbrowser.open,
        open_file: Callable[[Path], Any] = open_path,
        copy: Callable[[str], Any] = copy_text,
        qr: Callable[[str], Any] = show_qr,
    ):
        self.config = config
        self.child = child or supervisor.Supervisor()
        self.child.on_state = self._state_changed
        self.child.on_message = self._message
        self.child.on_crash = self._crashed
        self.open_url = open_url
        self.open_file = open_file
        self.copy = copy
        self.qr = qr
        self.icon: Any = None  # the pystray Icon, once run() made it
        self.notices: list[tuple[str, str]] = []  # every notice shown, oldest first
        self.finished = threading.Event()  # set once Salir has stopped the server
        self._first_run_checked = False
        self._backup_pending = False

    # What the menu shows

    def status_text(self) -> str:
        text = STATUS[self.child.state]
        if self.child.state == supervisor.RUNNING:
            text += f" (puerto {self.port})"
        return text

    @property
    def port(self) -> int:
        listening = self.child.listening or {}
        return int(listening.get("puerto") or self.config.port)

    @property
    def scheme(self) -> str:
        listening = self.child.listening
        tls = listening.get("tls") if listening else bool(self.config.ssl_cert)
        return "https" if tls else "http"

    def local_url(self, path: str = "/") -> str:
        """The server as this PC reaches it."""
        host = self.config.host
        host = "localhost" if host in ("0.0.0.0", "::", "") else host
        return f"{self.scheme}://{host}:{self.port}{path}"

    def address(self) -> str | None:
        """What to type on the other PCs: this PC on the shop's LAN (a private network first), if it is on one."""
        try:
            interfaces = lan_interfaces(only_address(self.config.host))
        except NotOnLan:
            return None
        for interface in sorted(interfaces, key=lambda found: not found.ip.is_private):
            return f"{self.scheme}://{interface.ip}:{self.port}"
        return None

    def menu(self):
        """The pystray menu; its texts are computed each time it opens."""
        import pystray

        item, separator = pystray.MenuItem, pystray.Menu.SEPARATOR
        return pystray.Menu(
            item(lambda _: self.status_text(), None, enabled=False),
            item("Abrir ServitecManager", self.open_ui, default=True),
            separator,
            item(lambda _: f"En otras PC: {self.address() or 'sin red local'}", None, enabled=False),
            item("Copiar la dirección", self.copy_address, enabled=lambda _: self.address() is not None),
            item("Ver código QR de la dirección", self.show_address_qr, enabled=lambda _: self.address() is not None),
            separator,
            item("Respaldar ahora", self.backup_now, enabled=lambda _: self.child.state == supervisor.RUNNING),
            item("Abrir carpeta de respaldos", self.open_backups),
            item("Ver registro", self.open_log),
            item("Reiniciar servidor", self.restart),
            item(AUTOSTART_LABEL, self.toggle_autostart, checked=lambda _: autostart.enabled()),
            separator,
            item("Salir", self.quit),
        )

    # The menu's actions (pystray calls them on its own thread: none may block it for long)

    def open_ui(self, *_: Any) -> None:
        self.open_url(self.local_url("/"))

    def copy_address(self, *_: Any) -> None:
        address = self.address()
        if address:
            self.copy(address)
            self.notify("Dirección copiada", f"{address}: pégala en el navegador de otra PC.")

    def show_address_qr(self, *_: Any) -> None:
        address = self.address()
        if address:
            self.qr(address)

    def backup_now(self, *_: Any) -> None:
        if self.child.send({"orden": "respaldar"}):
            self._backup_pending = True
            self.notify("Respaldo en curso", "Te aviso cuando esté verificado.")
        else:
            self.notify("No se pudo respaldar", "El servidor no está funcionando en este momento.")

    def open_backups(self, *_: Any) -> None:
        folder = Path(self.config.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.open_file(folder.resolve())

    def open_log(self, *_: Any) -> None:
        path = locations.log_dir(self.config.data_dir) / "servidor.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        self.open_file(path.resolve())

    def restart(self, *_: Any) -> None:
        self.notify("Reiniciando el servidor", "Los mostradores se reconectan solos en unos segundos.")
        self.child.restart()

    def toggle_autostart(self, *_: Any) -> None:
        autostart.set_enabled(not autostart.enabled())

    def quit(self, *_: Any) -> threading.Thread:
        """Stop the server (after a backup in progress) in the background, then the icon."""
        if self.child.state == supervisor.RUNNING and self._backup_pending:
            self.notify("Saliendo", "Se espera a que termine el respaldo en curso.")
        thread = threading.Thread(target=self._shut_down, name="salir")
        thread.start()
        return thread

    def _shut_down(self) -> None:
        code = self.child.stop()
        log.info("Bandeja: servidor detenido (código %s); fin", code)
        self.finished.set()
        if self.icon is not None:
            self.icon.stop()

    # What the server tells us

    def notify(self, title: str, message: str) -> None:
        """A notice by the clock (where the platform shows them), always in the tray's log."""
        log.info("Aviso: %s: %s", title, message)
        self.notices.append((title, message))
        icon = self.icon
        if icon is not None and icon.visible and icon.HAS_NOTIFICATION:
            try:
                icon.notify(message, title)
            except Exception:
                log.exception("Bandeja: no se pudo mostrar el aviso")

    def _refresh(self) -> None:
        icon = self.icon
        if icon is None:
            return
        try:
            icon.icon = icons.image(self.child.state)
            icon.title = f"{APP_NAME}: {self.status_text()}"
            if icon.visible and icon.HAS_MENU:
                icon.update_menu()
        except Exception:
            # A desktop without a notification area (or one that went away) loses the picture,
            # not the server.
            log.exception("Bandeja: no se pudo actualizar el ícono")

    def _state_changed(self, state: str) -> None:
        log.info("Bandeja: servidor %s", state)
        self._refresh()
        if state == supervisor.RUNNING and not self._first_run_checked:
            self._first_run_checked = True
            threading.Thread(target=self._open_setup_if_new, name="primer-arranque", daemon=True).start()

    def _open_setup_if_new(self) -> None:
        # A shop with no owner account yet: the owner makes it now, in the browser, on this PC.
        try:
            status = requests.get(self.local_url("/"), timeout=10, verify=self.config.ssl_cert or True).json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("Bandeja: no se pudo leer el estado del servidor: %s", exc)
            return
        if status.get("configurado") is False:
            self.notify("Bienvenido a ServitecManager", "Crea la cuenta del dueño en el navegador.")
            self.open_url(self.local_url("/setup"))

    def _message(self, message: dict[str, Any]) -> None:
        if "respaldo" in message:
            self._backup_pending = False
            entry = message["respaldo"]
            self.notify("Respaldo verificado", f"{entry['nombre']} ({entry['tamano'] / 1e6:.1f} MB).")
        elif "respaldo_fallido" in message:
            self._backup_pending = False
            self.notify("El respaldo falló", message["respaldo_fallido"])

    def _crashed(self, code: int, reason: str, retry_in: float) -> None:
        self._backup_pending = False
        self.notify("El servidor se detuvo", f"{reason} (código {code}). Se vuelve a iniciar en {retry_in:g} s.")

    # The icon

    def make_icon(self) -> Any:
        """The pystray icon with its menu, not shown yet."""
        import pystray

        self.icon = pystray.Icon(
            APP_NAME, icons.image(self.child.state), f"{APP_NAME}: {self.status_text()}", self.menu()
        )
        return self.icon

    def run(self) -> None:
        """Show the icon and start the server; returns after Salir."""
        self.make_icon().run(setup=self._setup)

    def _setup(self, icon: Any) -> None:
        self.child.start()  # first: the server runs even where the icon cannot be shown
        icon.visible = True


def main(config: Config) -> int:
    """`python -m appliance` on a desktop: the tray, supervising the server until Salir."""
    logs.setup(config.log_level, config.data_dir, "bandeja.log")
    tray = Tray(config)
    log.info("Bandeja iniciada; datos en %s", Path(config.data_dir).resolve())
    try:
        tray.run()
    finally:
        if not tray.finished.is_set():
            tray.child.stop()
    return 0
