"""The log: to stderr as always, and to a rotating file in the data folder for whoever runs the server PC.

The tray starts the server with no console, so without the file a crash at
night would leave no trace; "Ver registro" in the tray opens it. Each process
writes its own file (the server `servidor.log`, the tray `bandeja.log`):
Windows cannot rotate a file another process holds open.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from .locations import log_dir

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_BYTES = 2 * 1024 * 1024
KEEP_FILES = 5  # 12 MB at most for each process's log


def setup(level: str, data_dir: str | Path | None = None, filename: str | None = None) -> Path | None:
    """Log at `level` to stderr, and with a file name to DATA_DIR/logs/<filename>, rotating; returns its path."""
    root = logging.getLogger()
    logging.basicConfig(level=level.upper(), format=FORMAT)
    if data_dir is None or filename is None:
        return None
    path = log_dir(data_dir) / filename
    if any(getattr(handler, "baseFilename", None) == str(path.resolve()) for handler in root.handlers):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=KEEP_FILES, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return path
