"""Where the desktop client keeps its files: one folder per user, as each OS expects.

The replica (replica.db), config.json, the copy of the UI files and the log live
in the user's data folder (platformdirs: %LOCALAPPDATA%\\ServitecManager on
Windows, ~/.local/share/ServitecManager on Linux). SERVITEC_CLIENT_DIR wins, so
tests and a second client on one PC each get a folder of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "ServitecManager"


def client_dir() -> Path:
    """The client's folder, created if missing."""
    override = os.environ.get("SERVITEC_CLIENT_DIR")
    folder = Path(override) if override else Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def replica_path(folder: Path) -> Path:
    return folder / "replica.db"


def config_path(folder: Path) -> Path:
    return folder / "config.json"


def ui_dir(folder: Path) -> Path:
    """The local copy of the staff UI's files, refreshed from the server when it answers."""
    return folder / "ui"
