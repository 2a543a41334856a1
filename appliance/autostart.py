"""The tray's "Iniciar con Windows": the server PC's user session starts ServitecManager by itself.

On Windows it is the value `ServitecManager` under the user's
Software\\Microsoft\\Windows\\CurrentVersion\\Run key, the same value the
installer's "Iniciar con Windows" writes, so either can undo the other. Elsewhere
it is an XDG autostart entry (~/.config/autostart), which desktop sessions on
Linux honour.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

NAME = "ServitecManager"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def command() -> list[str]:
    """What the session should run: this executable when frozen, else this Python with the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "appliance"]


def _desktop_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "autostart" / "servitecmanager.desktop"


def enabled() -> bool:
    """Whether the session starts ServitecManager."""
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, NAME)
        except OSError:
            return False
        return True
    return _desktop_file().is_file()


def set_enabled(on: bool) -> None:
    """Turn starting with the session on or off."""
    if sys.platform == "win32":
        import subprocess
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if on:
                winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command()))
            else:
                try:
                    winreg.DeleteValue(key, NAME)
                except FileNotFoundError:
                    pass
        return
    path = _desktop_file()
    if on:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "[Desktop Entry]\nType=Application\nName=ServitecManager\n"
            f"Comment=Servidor del taller\nExec={shlex.join(command())}\nPath={os.getcwd()}\n"
            "X-GNOME-Autostart-enabled=true\n",
            encoding="utf-8",
        )
    else:
        path.unlink(missing_ok=True)
