"""The pywebview window: the local site (site.py) on pywebview's own HTTP server, and pushes to the page.

Python reaches the page with `run_js`, which runs a script as it is. Not with
`evaluate_js`: it wraps the script in `eval`, which the page's policy refuses.
Each push calls the function the page registered, `window.servitecPuente`.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

import webview

from . import site as local_site

log = logging.getLogger(__name__)

TITLE = "ServitecManager"
SIZE = (1366, 768)  # the counters' screens; the UI is laid out for it


class PagePush:
    """Messages to the page in order, from a thread of its own: run_js waits for the page,
    and the Backend's threads (live events) must not."""

    def __init__(self, window: webview.Window):
        self.window = window
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._deliver, name="servitec-push", daemon=True).start()

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.put(message)

    def _deliver(self) -> None:
        while True:
            message = self.messages.get()
            script = f"window.servitecPuente && window.servitecPuente({json.dumps(message)})"
            try:
                self.window.run_js(script)
            except Exception:
                log.exception("No se pudo avisar a la ventana (%s)", message.get("tipo"))


def open_window(site: local_site.Site, on_start: Callable[[PagePush], None]) -> None:
    """Show the window (blocks until it is closed); `on_start(push)` runs on a thread once the GUI is up."""
    # The owner's backup download is a Blob the page saves: let the window ask where to.
    webview.settings["ALLOW_DOWNLOADS"] = True
    window = webview.create_window(
        TITLE,
        site,
        width=SIZE[0],
        height=SIZE[1],
        min_size=(1024, 640),
        text_select=True,  # as in a browser; pywebview's "no selection" is an inline style the policy refuses
        background_color="#F4F6F9",
    )
    # Qt on Linux, named: pywebview would first try GTK, which this client does not install.
    webview.start(on_start, (PagePush(window),), gui="qt" if sys.platform == "linux" else None, private_mode=True)
