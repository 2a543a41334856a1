"""The desktop client's window under test: the real pywebview window (Qt) on an Xvfb screen of its own,
driven over QtWebEngine's DevTools protocol.

Playwright's connect_over_cdp cannot attach to QtWebEngine (it asks for browser contexts, which
QtWebEngine does not manage), so `Page` speaks the protocol itself over websocket-client: it runs
JavaScript with Runtime.evaluate (DevTools code is not bound by the page's policy), types with
Input.insertText, clicks with real mouse events and takes screenshots. Like browser.py's UiPage it
records policy violations, page errors and console errors; `assert_clean()` fails on any.

The window runs with the tests' address-only finder (address_finder.py): a test never sends mDNS or
the discovery beacon on the machine's real network (shared/ARCHITECTURE.md, "Testing here").
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from browser import EXPECTED_CONSOLE_ERRORS, SCREENSHOTS, VIEWPORT
from serverproc import ROOT, ServerProcess, free_port, terminate

WINDOW = [
    sys.executable,
    "-c",
    "import sys; sys.path.insert(0, 'tests'); import address_finder; from webview_client.app import main;"
    " raise SystemExit(main(address_finder))",
]


# A window's first screen, read from inside the network namespace it runs in (its DevTools port is
# that namespace's loopback): `python -c FIRST_SCREEN <port>` prints {"title", "seconds"} as JSON.
FIRST_SCREEN = """
import json, sys, time
sys.path.insert(0, "tests")
import requests
from desktop import Page
port, deadline = json.loads(sys.argv[1]), time.monotonic() + 90
pages = []
while not pages and time.monotonic() < deadline:
    try:
        pages = [t for t in requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json() if t["type"] == "page"]
    except (requests.RequestException, ValueError):
        time.sleep(0.2)
if not pages:
    sys.exit("the client showed no page within 90 s")
page = Page(pages[0]["webSocketDebuggerUrl"])
title = page.wait("document.getElementById('titulo') && document.getElementById('titulo').textContent", 60)
page.close()
print(json.dumps({"title": title, "seconds": 90 - (deadline - time.monotonic())}))
"""


@pytest.fixture(scope="session")
def xvfb() -> str:
    """An X display of the session's own (Xvfb picks a free number and tells it through -displayfd)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{VIEWPORT['width']}x{VIEWPORT['height']}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


class Page:
    """One DevTools connection to the window's page (the target survives navigations and reloads)."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(ws_url, suppress_origin=True, timeout=30)
        self.count = 0
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        self.call("Runtime.enable")
        self.call("Log.enable")

    def close(self) -> None:
        self.ws.close()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.count += 1
        self.ws.send(json.dumps({"id": self.count, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.count:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self._console(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self._console(params["entry"]["text"])

    def _console(self, text: str) -> None:
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_violations.append(text)
        elif not any(expected in text for expected in EXPECTED_CONSOLE_ERRORS):
            self.errors.append(text)

    def js(self, expression: str) -> Any:
        """The value of `expression` (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 15.0) -> Any:
        """Poll `expression` until it is truthy; its value (true for an element, which has no JSON value)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.js(f"(() => {{ const value = ({expression}); return value instanceof Node || value; }})()")
            except AssertionError:
                value = None  # the page is between documents
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout}s: {expression}")
            time.sleep(0.1)

    def text(self, selector: str) -> str:
        return self.wait(f"document.querySelector({json.dumps(selector)})?.innerText")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = self.wait(
            f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
                if (!el || !el.offsetParent) return null; el.scrollIntoView({{block: "center"}});
                const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"""
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Replace the field's text as a person's typing would (input events included)."""
        self.wait(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el?.focus(); el?.select(); return el; }})()"
        )
        self.call("Input.insertText", text=text)

    def press(self, key: str) -> None:
        code, text = {"Enter": (13, "\r"), "Escape": (27, "")}[key]
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code, text=text)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path

    def assert_clean(self) -> None:
        self.js("1")  # drain what the page reported meanwhile
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"
        assert self.errors == [], f"page errors: {self.errors}"


class Window:
    """`python -m webview_client`'s window for one client folder, against `server` (its TLS trusted)."""

    def __init__(self, display: str, folder: Path, server: ServerProcess | None, command: list[str] = WINDOW):
        self.folder = folder
        self.debug_port = free_port()
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox",  # the tests run as root
            "QTWEBENGINE_REMOTE_DEBUGGING": str(self.debug_port),
            "SERVITEC_CLIENT_DIR": str(folder),
        }
        if server is not None and server.verify:
            env["REQUESTS_CA_BUNDLE"] = env["WEBSOCKET_CLIENT_CA_BUNDLE"] = server.verify
        self.log = open(folder / "window-test.log", "ab")  # noqa: SIM115 (kept open while the window runs)
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.page = Page(self._page_target())

    def _page_target(self, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the window exited with {self.proc.returncode}: {self.log_text()}")
            try:
                targets = requests.get(f"http://127.0.0.1:{self.debug_port}/json", timeout=1).json()
                pages = [target for target in targets if target["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"the window showed no page within {timeout}s: {self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.folder / "window-test.log").read_text(errors="replace")[-3000:]

    def close(self) -> None:
        self.page.close()
        terminate(self.proc)
        self.log.close()


@pytest.fixture
def window(xvfb):
    """Factory of windows: `window(folder, server)`; each is checked clean and closed when the test ends."""
    opened: list[Window] = []

    def open_window(folder: Path, server: ServerProcess | None = None, command: list[str] = WINDOW) -> Window:
        opened.append(Window(xvfb, folder, server, command))
        return opened[-1]

    yield open_window
    try:
        for each in opened:
            each.page.assert_clean()
    finally:
        for each in opened:
            each.close()
