"""The staff UI under test: a real appliance with demo data, and Debian's Chromium through Playwright.

Every page a test opens is watched: a request for anything outside the appliance is
blocked and recorded, and so are Content-Security-Policy violations, page errors
and console errors; `UiPage.assert_clean()` (run for every page when its test ends)
fails the test on any of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route, sync_playwright
from serverproc import OWNER, OWNER_PASSWORD, ROOT, ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Chromium logs every 4xx a page receives (answers the UI shows) and every connection refused
# while a test has the server down; neither is a fault of the page.
EXPECTED_CONSOLE_ERRORS = ("the server responded with a status of", "net::ERR_CONNECTION_REFUSED")
# A person's typing, slower than a barcode scanner (characters ≤ 30 ms apart, then Enter).
HUMAN_MS = 60
VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOTS = ROOT / "docs" / "screenshots"

# The shop's staff in the UI tests: one per role, besides the owner account every test server has.
STAFF = {
    "dueno": (OWNER, OWNER_PASSWORD),
    "mostrador": ("luis", "clave-de-luis-mostrador"),
    "tecnico": ("tere", "clave-de-tere-tecnica"),
}
NAMES = {"luis": "Luis Pérez", "tere": "Teresa Ruiz"}


DEMO_SIZE = ("--clientes", "300", "--ordenes", "600", "--productos", "120", "--ventas", "300", "--seed", "11")


def seed_demo(data_dir: Path) -> None:
    """A small shop's worth of demo data, made by the same command the README documents."""
    subprocess.run(
        [sys.executable, "-m", "appliance", "demo-data", *DEMO_SIZE],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir), "BACKUP_DIR": str(data_dir / "backups")},
        check=True,
        capture_output=True,
    )


# The shop's own data, as its owner fills it in on the first day (tickets and receipts print it).
TALLER = {
    "nombre": "Servitec Centro",
    "direccion": "Av. Juárez 45, Centro, Cuauhtémoc, CDMX",
    "telefono": "55 5512 3400",
    "rfc": "SCE120304AB1",
    "regimen_fiscal": "626 Régimen Simplificado de Confianza",
    "garantia": "90 días en la reparación realizada. No cubre golpes, humedad ni equipos abiertos por terceros.",
    "pie_ticket": "¡Gracias por tu preferencia!",
}


def add_staff(proc: ServerProcess) -> None:
    for rol, (username, password) in STAFF.items():
        if username == OWNER:
            continue
        response = requests.post(
            proc.url + "/usuarios",
            json={"username": username, "nombre": NAMES[username], "rol": rol, "password": password},
            headers=proc.headers,
            timeout=10,
            verify=proc.verify,
        )
        assert response.status_code == 201, response.text


@dataclass
class UiPage:
    """A Playwright page on the appliance, with what it did wrong recorded."""

    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route, request: Request) -> None:
        if request.url.startswith(self.origin + "/") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url}")
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)
        elif message.type == "error" and not any(text in message.text for text in EXPECTED_CONSOLE_ERRORS):
            self.errors.append(message.text)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests left the machine: {self.blocked}"
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"
        assert self.errors == [], f"page errors: {self.errors}"

    def open(self, path: str = "/") -> Page:
        self.page.goto(f"{self.origin}/#{path}")
        return self.page

    def sign_in(self, username: str, password: str) -> Page:
        page = self.page
        page.goto(self.origin + "/")
        page.get_by_label("Usuario").fill(username)
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_selector("nav.menu a")
        return page

    def shot(self, name: str) -> Path:
        """A screenshot of the screen as the person at the counter sees it (docs/screenshots/<name>.png)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=path)
        return path


@pytest.fixture(scope="session")
def playwright() -> Playwright:
    """The session's one Playwright: its sync API allows one running instance per process."""
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def chromium(playwright) -> Browser:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def shop(tmp_path_factory) -> ServerProcess:
    """An appliance with demo data, its shop data and one account per role, shared by the UI tests."""
    data_dir = tmp_path_factory.mktemp("ui-shop")
    seed_demo(data_dir)
    proc = ServerProcess(data_dir).start()
    add_staff(proc)
    response = requests.put(proc.url + "/taller", json=TALLER, headers=proc.headers, timeout=10, verify=proc.verify)
    assert response.status_code == 200, response.text
    yield proc
    proc.stop()


@pytest.fixture
def ui(chromium, shop):
    """Factory of watched pages on `shop`: `ui()` anonymous, `ui("mostrador")` signed in as that role."""
    opened: list[tuple[UiPage, object]] = []

    def open_page(rol: str | None = None, *, server: ServerProcess | None = None) -> UiPage:
        target = server or shop
        context = chromium.new_context(viewport=VIEWPORT, locale="es-MX", ignore_https_errors=True)
        page = context.new_page()
        watched = UiPage(page, target.url)
        page.route("**/*", watched.route)
        page.on("console", watched.console)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        opened.append((watched, context))
        if rol is not None:
            watched.sign_in(*STAFF[rol])
        return watched

    yield open_page
    try:
        for watched, _ in opened:
            watched.assert_clean()
    finally:
        for _, context in opened:
            context.close()


def scan(page: Page, code: str) -> None:
    """A barcode scanner: characters 10 ms apart, then Enter."""
    page.keyboard.type(code, delay=10)
    page.keyboard.press("Enter")
