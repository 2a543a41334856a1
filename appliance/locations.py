"""Where the server keeps its files: beside the code in a clone, in the machine's data folder when installed.

From a source checkout (pyproject.toml beside the package) the defaults stay
`./data` and `./backups`, as a developer expects. A frozen executable or an
installed package has no such folder to write into, and a program started from a
shortcut must not write into whatever its working directory happens to be, so
it uses the machine-wide data folder: %ProgramData%\\ServitecManager on Windows
(platformdirs' site data dir; the installer lets every user of the PC write there).
Elsewhere the machine-wide folder (/usr/local/share/..., /Library/Application
Support/...) is only root's, so it is used when it can be written and the user's
data folder (~/.local/share/ServitecManager) otherwise. DATA_DIR, DB_PATH and
BACKUP_DIR win over all of these.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "ServitecManager"
CHECKOUT_MARKER = Path(__file__).resolve().parent.parent / "pyproject.toml"


def installed() -> bool:
    """True for a frozen executable or an installed package; False when running from a clone."""
    return bool(getattr(sys, "frozen", False)) or not CHECKOUT_MARKER.exists()


def machine_dir() -> Path:
    """The folder of an installed server's data and backups (not created here)."""
    site = Path(platformdirs.site_data_dir(APP_DIR_NAME, appauthor=False))
    if sys.platform == "win32" or _writable(site):
        return site
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def _writable(folder: Path) -> bool:
    """Whether `folder`, or the nearest folder above it that exists, can be written by this user."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def default_data_dir() -> str:
    return str(machine_dir() / "data") if installed() else "./data"


def default_backup_dir() -> str:
    return str(machine_dir() / "backups") if installed() else "./backups"


def log_dir(data_dir: str | Path) -> Path:
    """The rotating logs of the server and of the tray: a folder inside the data folder."""
    return Path(data_dir) / "logs"
