"""Issue 11: the staff UI's inventory and owner screens (Inventario, Respaldos, Usuarios, Mi cuenta,
Bitácora, Datos del taller) in headless Chromium against a real appliance, signed in per role.

Each test signs in, does the flow as a person would, and checks what the page shows and what the
server then holds. Every page is watched (tests/browser.py) for requests leaving the machine, CSP
violations and page errors. The tests share `shop` and its staff; a test that changes an account
makes its own, and the one that changes the shop's data does it on a server of its own.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from serverproc import OWNER

pytestmark = pytest.mark.browser  # Chromium through Playwright

OWNER_MENU = ("Respaldos", "Usuarios", "Bitácora", "Datos del taller")


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


def test_the_counter_sees_no_owner_screens_or_buttons(ui, shop_api):
    producto = new_producto(shop_api, stock=4)
    counter = ui("mostrador")
    menu = counter.page.locator(".menu a").all_inner_texts()
    assert not [entry for entry in menu if entry.split("\n")[0] in OWNER_MENU]
    assert any(entry.startswith("Mi cuenta") for entry in menu)

    page = counter.open("/respaldos")
    expect(page.locator("main .screen-error")).to_contain_text("Solo el dueño")
    page = counter.open("/inventario")
    expect(page.locator("main tbody tr").first).to_be_visible()
    expect(page.get_by_role("button", name="Nuevo producto")).to_have_count(0)
    page = counter.open(f"/inventario/{producto['id']}")
    expect(page.locator(".existencia")).to_have_text("4")
    expect(page.locator(".ajuste-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Dar de baja")).to_have_count(0)
    page = counter.open("/taller")
    expect(page.locator(".taller-datos")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)


def test_owner_finds_a_low_stock_product_adjusts_it_and_sees_the_kardex(ui, shop_api):
    producto = new_producto(shop_api, stock=1, stock_minimo=3)
    page = ui("dueno").open("/inventario?bajo_stock=1")
    # The low-stock list may hold the product too: the row to open is the search's, once it has replaced that list.
    expect(page.locator("main .paginas")).to_be_attached()
    page.locator("main table").evaluate("table => table.dataset.antesDeBuscar = '1'")
    page.fill("#buscar-productos", producto["codigo"])
    expect(page.locator("main table:not([data-antes-de-buscar])")).to_be_visible()
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
    assert shop_api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 6

    # A merma needs a negative quantity: the server says so next to the field.
    page.select_option(".ajuste-form [name=motivo]", "merma")
    page.fill(".ajuste-form [name=cantidad]", "2")
    page.keyboard.press("Enter")
    expect(page.locator(".ajuste-form .field-error").filter(has_text="negativa")).to_have_count(1)
    assert shop_api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 6


def test_a_product_page_follows_stock_moved_elsewhere_and_keeps_what_is_typed(ui, shop_api):
    producto = new_producto(shop_api, stock=10)
    page = ui("dueno").open(f"/inventario/{producto['id']}")
    expect(page.locator(".existencia")).to_have_text("10")
    page.fill(".ajuste-form [name=nota]", "a medio escribir")
    shop_api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 3}]})
    expect(page.locator(".existencia")).to_have_text("7", timeout=2000)
    expect(page.locator(".kardex tbody tr").first).to_contain_text("Venta")
    assert page.input_value(".ajuste-form [name=nota]") == "a medio escribir"


def test_owner_backs_up_now_sees_the_progress_and_downloads_it(ui, shop_api):
    before = {item["nombre"] for item in shop_api.ok("GET", "/backups")["items"]}
    page = ui("dueno").open("/respaldos")
    page.get_by_role("button", name="Respaldar ahora").click()
    expect(page.locator(".progreso")).to_be_visible()
    expect(page.locator("main p.ok")).to_contain_text("Respaldo hecho y verificado", timeout=30_000)
    expect(page.locator(".progreso")).to_be_hidden()
    listed = shop_api.ok("GET", "/backups")["items"]
    # The one manual backup made since (the shop is shared; an automatic one may come along at 21:00).
    [made] = [item for item in listed if item["nombre"] not in before and item["tipo"] == "manual"]
    assert made["usuario"] == OWNER
    expect(page.locator("main p.ok")).to_contain_text(made["nombre"])

    with page.expect_download() as download:
        page.get_by_role("button", name=f"Descargar {made['nombre']}").click()
    assert download.value.suggested_filename == made["nombre"]
    with open(download.value.path(), "rb") as file:
        assert len(file.read()) == made["tamano"]


def test_owner_creates_an_account_with_the_server_messages_next_to_the_fields(ui, shop_api):
    page = ui("dueno").open("/usuarios")
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
    created = next(u for u in shop_api.ok("GET", "/usuarios")["items"] if u["username"] == username)
    assert created["rol"] == "tecnico"
    assert created["activo"] is True


def test_a_password_change_keeps_the_session_going(ui, shop, shop_api):
    username, password = new_user(shop_api, "tecnico")  # its own: the shared técnico keeps her password
    watched = ui()
    watched.sign_in(username, password)
    page = watched.open("/cuenta")
    page.fill("[name=actual]", password)
    page.fill("[name=nueva]", "otra-clave-nueva-1")
    page.fill("[name=confirmacion]", "otra-clave-nueva-1")
    page.keyboard.press("Enter")
    expect(page.locator("main p.ok")).to_contain_text("Contraseña cambiada")

    page = watched.open("/inventario")
    expect(page.locator("main tbody tr").first).to_be_visible()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator(".conexion.en-linea")).to_be_visible()
    assert shop.login(username, "otra-clave-nueva-1")


def test_shop_data_saved_by_the_owner_reaches_the_counter_without_reload(ui, fresh_server, fresh_api):
    # On a server of its own: the shared shop's name and warranty text stay as the other tests know them.
    counter = ui(server=fresh_server)
    counter.sign_in(*new_user(fresh_api, "mostrador"))
    counter.open("/taller")
    expect(counter.page.locator(".taller-datos")).to_be_visible()
    page = ui("dueno", server=fresh_server).open("/taller")
    nombre = f"Servitec {uuid.uuid4().hex[:4]}"
    page.fill("[name=nombre]", nombre)
    page.fill("[name=garantia]", "90 días en mano de obra.\nNo cubre humedad.")
    page.get_by_role("button", name="Guardar datos del taller").click()
    expect(page.locator(".notices")).to_contain_text("Datos del taller guardados")
    assert fresh_api.ok("GET", "/taller")["nombre"] == nombre
    expect(counter.page.locator(".taller-datos")).to_contain_text(nombre, timeout=2000)


def test_the_audit_trail_filters_by_user(ui, shop, shop_api):
    username, password = new_user(shop_api, "mostrador")  # its own: one sign-in and nothing else
    shop.login(username, password)
    watched = ui("dueno")
    page = watched.open("/bitacora")
    expect(page.locator("main tbody tr").first).to_be_visible()
    page.fill("[name=usuario]", username)
    expect(page).to_have_url(f"{watched.origin}/#/bitacora?usuario={username}")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Inicio de sesión")
    expect(rows.first).to_contain_text(username)
