"""Issue 11: the staff UI's inventory and owner screens (Inventario, Respaldos, Usuarios, Mi cuenta,
Bitácora, Datos del taller) in headless Chromium against a real appliance, signed in per role.

Each test signs in, does the flow as a person would, and checks what the page shows and what the
server then holds. Every page is also checked for requests leaving 127.0.0.1, CSP violations and
JavaScript errors.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from conftest import Api
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect, sync_playwright
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser  # Chromium through Playwright

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
OWNER_MENU = ("Respaldos", "Usuarios", "Bitácora", "Datos del taller")


@dataclass
class UiPage:
    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # page errors, CSP violations, console errors

    def route(self, route: Route, request: Request) -> None:
        if request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        # A refused request (a 4xx the screen then explains) is logged by Chromium itself.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def sign_in(self, username: str, password: str) -> UiPage:
        self.page.goto(self.origin + "/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        expect(self.page.locator(".conexion.en-linea")).to_be_visible()
        return self

    def go(self, path: str) -> Page:
        self.page.goto(f"{self.origin}/#{path}")
        return self.page

    def assert_clean(self) -> None:
        __tracebackhide__ = True
        assert not self.blocked, f"requests that tried to leave the machine: {self.blocked}"
        assert not self.problems, f"errors on the page: {self.problems}"


@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("ui-admin")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def owner_api(appliance):
    api = Api(appliance.url, appliance.token, verify=appliance.verify)
    yield api
    api.close()


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, appliance):
    """open_page(username, password) -> a signed-in UiPage at 1366×768; checked clean at the end."""
    contexts, pages = [], []

    def open_one(username: str, password: str) -> UiPage:
        context = browser.new_context(
            viewport={"width": 1366, "height": 768}, accept_downloads=True, ignore_https_errors=bool(appliance.verify)
        )
        contexts.append(context)
        page = context.new_page()
        ui = UiPage(page, appliance.url)
        page.route("**/*", ui.route)
        page.on("pageerror", lambda error: ui.problems.append(str(error)))
        page.on("console", ui.console)
        pages.append(ui)
        return ui.sign_in(username, password)

    yield open_one
    for context in contexts:
        context.close()
    for ui in pages:
        ui.assert_clean()


def new_user(owner_api, rol: str) -> tuple[str, str]:
    username = f"{rol[:4]}{uuid.uuid4().hex[:6]}"
    password = f"clave-{uuid.uuid4().hex[:10]}"
    owner_api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": f"Persona {username}", "rol": rol, "password": password},
    )
    return username, password


def new_producto(owner_api, **fields) -> dict:
    codigo = f"UI-{uuid.uuid4().hex[:8].upper()}"
    body = {"codigo": codigo, "nombre": f"Mica de prueba {codigo}", "precio_venta": 99, **fields}
    return owner_api.ok("POST", "/inventario", 201, json=body)


def test_the_counter_sees_no_owner_screens_or_buttons(open_page, owner_api):
    producto = new_producto(owner_api, stock=4)
    ui = open_page(*new_user(owner_api, "mostrador"))
    menu = ui.page.locator(".menu a").all_inner_texts()
    assert not [entry for entry in menu if entry.split("\n")[0] in OWNER_MENU]
    assert any(entry.startswith("Mi cuenta") for entry in menu)

    page = ui.go("/respaldos")
    expect(page.locator("main .screen-error")).to_contain_text("Solo el dueño")
    page = ui.go("/inventario")
    expect(page.locator("main tbody tr").first).to_be_visible()
    expect(page.get_by_role("button", name="Nuevo producto")).to_have_count(0)
    page = ui.go(f"/inventario/{producto['id']}")
    expect(page.locator(".existencia")).to_have_text("4")
    expect(page.locator(".ajuste-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Dar de baja")).to_have_count(0)
    page = ui.go("/taller")
    expect(page.locator(".taller-datos")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)


def test_owner_finds_a_low_stock_product_adjusts_it_and_sees_the_kardex(open_page, owner_api):
    producto = new_producto(owner_api, stock=1, stock_minimo=3)
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go("/inventario?bajo_stock=1")
    page.fill("#buscar-productos", producto["codigo"])
    row = page.locator(f"tr[data-id='{producto['id']}']")
    expect(row).to_contain_text("Bajo stock")
    row.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".existencia")).to_have_text("1")

    page.select_option(".ajuste-form [name=motivo]", "compra")
    page.fill(".ajuste-form [name=cantidad]", "5")
    page.fill(".ajuste-form [name=nota]", "Factura 123")
    page.keyboard.press("Enter")
    expect(page.locator(".existencia")).to_have_text("6")
    expect(page.locator(".kardex tbody tr").first).to_contain_text("+5")
    expect(page.locator(".kardex tbody tr").first).to_contain_text("Factura 123")
    expect(page.locator(".encabezado")).not_to_contain_text("Bajo stock")
    assert owner_api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 6

    # A merma needs a negative quantity: the server says so next to the field.
    page.select_option(".ajuste-form [name=motivo]", "merma")
    page.fill(".ajuste-form [name=cantidad]", "2")
    page.keyboard.press("Enter")
    expect(page.locator(".ajuste-form .field-error").filter(has_text="negativa")).to_have_count(1)
    assert owner_api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 6


def test_a_product_page_follows_stock_moved_elsewhere_and_keeps_what_is_typed(open_page, owner_api):
    producto = new_producto(owner_api, stock=10)
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go(f"/inventario/{producto['id']}")
    expect(page.locator(".existencia")).to_have_text("10")
    page.fill(".ajuste-form [name=nota]", "a medio escribir")
    owner_api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 3}]})
    expect(page.locator(".existencia")).to_have_text("7", timeout=2000)
    expect(page.locator(".kardex tbody tr").first).to_contain_text("Venta")
    assert page.input_value(".ajuste-form [name=nota]") == "a medio escribir"


def test_owner_backs_up_now_sees_the_progress_and_downloads_it(open_page, owner_api):
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go("/respaldos")
    page.get_by_role("button", name="Respaldar ahora").click()
    expect(page.locator(".progreso")).to_be_visible()
    expect(page.locator("main p.ok")).to_contain_text("Respaldo hecho y verificado", timeout=30_000)
    expect(page.locator(".progreso")).to_be_hidden()
    listed = owner_api.ok("GET", "/backups")["items"]
    made = next(item for item in listed if item["usuario"] == OWNER and item["tipo"] == "manual")
    expect(page.locator("main p.ok")).to_contain_text(made["nombre"])

    with page.expect_download() as download:
        page.get_by_role("button", name=f"Descargar {made['nombre']}").click()
    assert download.value.suggested_filename == made["nombre"]
    with open(download.value.path(), "rb") as file:
        assert len(file.read()) == made["tamano"]


def test_owner_creates_an_account_with_the_server_messages_next_to_the_fields(open_page, owner_api):
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go("/usuarios")
    expect(page.locator("main tbody tr").first).to_be_visible()
    page.keyboard.press("Alt+n")
    username = f"ana{uuid.uuid4().hex[:6]}"
    dialog = page.locator("dialog[open]")
    dialog.locator("[name=username]").fill(username)
    dialog.locator("[name=nombre]").fill("Ana Gómez")
    dialog.locator("[name=rol]").select_option("tecnico")
    dialog.locator("[name=password]").fill("corta")
    page.keyboard.press("Enter")
    expect(dialog.locator("[name=password]")).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error").filter(has_text="Mínimo")).to_have_count(1)

    dialog.locator("[name=password]").fill("una-clave-larga-1")
    page.keyboard.press("Enter")
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("main tbody")).to_contain_text(username)
    created = next(u for u in owner_api.ok("GET", "/usuarios")["items"] if u["username"] == username)
    assert created["rol"] == "tecnico"
    assert created["activo"] is True


def test_a_password_change_keeps_the_session_going(open_page, owner_api, appliance):
    username, password = new_user(owner_api, "tecnico")
    ui = open_page(username, password)
    page = ui.go("/cuenta")
    page.fill("[name=actual]", password)
    page.fill("[name=nueva]", "otra-clave-nueva-1")
    page.fill("[name=confirmacion]", "otra-clave-nueva-1")
    page.keyboard.press("Enter")
    expect(page.locator("main p.ok")).to_contain_text("Contraseña cambiada")

    page = ui.go("/inventario")
    expect(page.locator("main tbody tr").first).to_be_visible()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator(".conexion.en-linea")).to_be_visible()
    assert appliance.login(username, "otra-clave-nueva-1")


def test_shop_data_saved_by_the_owner_reaches_the_counter_without_reload(open_page, owner_api):
    counter = open_page(*new_user(owner_api, "mostrador"))
    counter.go("/taller")
    expect(counter.page.locator(".taller-datos")).to_be_visible()
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go("/taller")
    nombre = f"Servitec {uuid.uuid4().hex[:4]}"
    page.fill("[name=nombre]", nombre)
    page.fill("[name=garantia]", "90 días en mano de obra.\nNo cubre humedad.")
    page.get_by_role("button", name="Guardar datos del taller").click()
    expect(page.locator(".notices")).to_contain_text("Datos del taller guardados")
    assert owner_api.ok("GET", "/taller")["nombre"] == nombre
    expect(counter.page.locator(".taller-datos")).to_contain_text(nombre, timeout=2000)


def test_the_audit_trail_filters_by_user(open_page, owner_api, appliance):
    username, password = new_user(owner_api, "mostrador")
    appliance.login(username, password)
    ui = open_page(OWNER, OWNER_PASSWORD)
    page = ui.go("/bitacora")
    expect(page.locator("main tbody tr").first).to_be_visible()
    page.fill("[name=usuario]", username)
    expect(page).to_have_url(f"{appliance.url}/#/bitacora?usuario={username}")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Inicio de sesión")
    expect(rows.first).to_contain_text(username)
