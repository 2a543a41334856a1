"""The POS, the sales list and the printed ticket, driven in Debian's Chromium.

Scanning is simulated the way a scanner types: characters 10 ms apart, then Enter.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import Api
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("ui-ventas")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def owner(shop):
    api = Api(shop.url, shop.token, verify=shop.verify)
    api.ok("PUT", "/taller", json={"nombre": "Servitec Reparaciones Electrónicas del Centro", "rfc": "SERC850101AB1"})
    yield api
    api.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield chromium
        chromium.close()


def producto(owner: Api, stock: int, precio: float = 250) -> dict:
    codigo = f"75{uuid.uuid4().int % 10**11:011d}"
    return owner.ok(
        "POST",
        "/inventario",
        201,
        json={"codigo": codigo, "nombre": f"Funda de prueba {codigo}", "precio_venta": precio, "stock": stock},
    )


def signed_in(browser, shop, problems: list[str]):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, ignore_https_errors=True)
    page = context.new_page()
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request", lambda r: r.url.startswith(("http", "ws")) and "127.0.0.1" not in r.url and problems.append(r.url)
    )
    page.goto(shop.url + "/")
    page.fill("input[name=username]", OWNER)
    page.fill("input[name=password]", OWNER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".menu")
    return context, page


def scan(page, code: str) -> None:
    page.keyboard.type(code, delay=10)
    page.keyboard.press("Enter")


def test_scan_two_products_and_pay_split_with_change(shop, owner, browser):
    a, b = producto(owner, stock=5, precio=250), producto(owner, stock=5, precio=120)
    problems: list[str] = []
    context, page = signed_in(browser, shop, problems)
    page.goto(shop.url + "/#/ventas/nueva")
    page.wait_for_selector("#pos-codigo:focus")
    scan(page, a["codigo"])
    page.wait_for_selector(f"tr[data-producto='{a['id']}']")
    page.focus("#pos-cliente")  # a scan while another field has the focus still lands in the cart
    scan(page, b["codigo"])
    page.wait_for_selector(f"tr[data-producto='{b['id']}']")
    assert page.input_value("#pos-cliente") == ""
    page.wait_for_selector(".pos-totales[data-listo=si]")
    assert page.locator(".pos-totales .total dd").inner_text() == "$370.00"

    page.locator(".pago-fila select").first.select_option("tarjeta")
    page.locator(".pago-fila input[type=number]").first.fill("100")
    page.keyboard.press("Alt+p")
    page.locator(".pago-fila select").nth(1).select_option("efectivo")
    page.locator(".pago-fila input[type=number]").nth(1).fill("320")
    page.wait_for_selector(".pos-totales .cambio")
    page.locator(".pago-fila input[type=number]").nth(1).press("Enter")
    page.wait_for_selector("dialog.venta-hecha")
    assert "$50.00" in page.locator("dialog.venta-hecha .cambio").inner_text()

    venta = owner.ok("GET", "/ventas", params={"limit": 1})["items"][0]
    venta = owner.ok("GET", f"/ventas/{venta['id']}")
    assert sorted((p["metodo"], p["monto"]) for p in venta["pagos"]) == [("efectivo", 320), ("tarjeta", 100)]
    assert venta["cambio"] == 50 and venta["total"] == 370
    assert page.locator("tbody tr[data-producto]").count() == 0  # a new sale has started
    assert problems == []
    context.close()


def test_sale_refused_for_stock_keeps_the_cart(shop, owner, browser):
    escaso = producto(owner, stock=1)
    problems: list[str] = []
    context, page = signed_in(browser, shop, problems)
    page.goto(shop.url + "/#/ventas/nueva")
    page.wait_for_selector("#pos-codigo:focus")
    scan(page, escaso["codigo"])
    page.wait_for_selector(f"tr[data-producto='{escaso['id']}']")
    page.fill("input.cantidad", "3")
    page.wait_for_selector(".linea-aviso:not(:empty)")  # the quote warns before the sale is tried
    page.locator(".pago-fila input[type=number]").first.fill("1000")
    page.keyboard.press("F9")
    page.wait_for_selector(".pos .form-error:not(:empty)")
    assert "Stock insuficiente" in page.locator(".pos .form-error").inner_text()
    assert "hay 1" in page.locator("tbody .field-error").all_inner_texts()[1]
    assert owner.ok("GET", f"/inventario/{escaso['id']}")["stock"] == 1
    page.reload()
    page.wait_for_selector(f"tr[data-producto='{escaso['id']}']")
    assert page.input_value("input.cantidad") == "3"
    assert problems == []
    context.close()


def test_owner_cancels_a_sale_with_a_reason(shop, owner, browser):
    vendido = producto(owner, stock=4)
    venta = owner.ok("POST", "/ventas", 201, json={"items": [{"producto_id": vendido["id"], "cantidad": 2}]})
    problems: list[str] = []
    context, page = signed_in(browser, shop, problems)
    page.goto(shop.url + "/#/ventas")
    page.wait_for_selector(f"tr[data-id='{venta['id']}']").click()
    page.get_by_role("button", name="Cancelar venta…").click()
    page.fill("dialog[open] textarea", "El cliente devolvió el producto")
    page.get_by_role("button", name="Cancelar venta", exact=True).click()
    page.wait_for_selector("h1 .insignia.alerta")
    assert owner.ok("GET", f"/ventas/{venta['id']}")["estado"] == "cancelada"
    assert owner.ok("GET", f"/inventario/{vendido['id']}")["stock"] == 4
    assert problems == []
    context.close()


@pytest.mark.parametrize(("papel", "ancho_mm"), [("80", 72), ("58", 48)])
def test_ticket_prints_within_the_roll(shop, owner, browser, papel, ancho_mm):
    largo = owner.ok(
        "POST",
        "/inventario",
        201,
        json={
            "nombre": "Funda uso rudo con protector de pantalla templado 9H para Samsung Galaxy A54 5G",
            "precio_venta": 1249.5,
            "stock": 3,
        },
    )
    venta = owner.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [{"producto_id": largo["id"], "cantidad": 2, "descuento": 100}],
            "pagos": [{"metodo": "tarjeta", "monto": 1000}, {"metodo": "efectivo", "monto": 2000}],
        },
    )
    taller = owner.ok("GET", "/taller")
    problems: list[str] = []
    context, page = signed_in(browser, shop, problems)
    page.evaluate(
        """async ([venta, taller, papel]) => {
            const href = document.getElementById('paper').getAttribute('href');
            const print = await import('./' + href.replace(/css\\/[^/]*$/, 'js/print.js'));
            print.setPaper(papel);
            await print.renderTicket(venta, taller);
        }""",
        [venta, taller, papel],
    )
    page.emulate_media(media="print")
    area, widest = page.evaluate(
        """() => {
            const area = document.getElementById('print-area');
            const box = area.getBoundingClientRect();
            let right = 0;
            for (const el of area.querySelectorAll('*')) right = Math.max(right, el.getBoundingClientRect().right);
            return [box.width, right - box.left];
        }"""
    )
    assert area == pytest.approx(ancho_mm * MM, abs=1)
    assert widest <= area + 0.5
    text = page.locator("#print-area").inner_text()
    for expected in (
        "Servitec Reparaciones",
        "SERC850101AB1",
        f"V-{venta['folio']:06d}",
        "Tarjeta",
        "Cambio",
        "$2,399.00",
    ):
        assert expected in text
    assert problems == []
    context.close()
