"""The POS, the sales list and the printed ticket, driven in Debian's Chromium.

Scanning is simulated the way a scanner types: characters 10 ms apart, then Enter.
"""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import Api
from helpers import make_producto, stock_of

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
TALLER = {
    "nombre": "Servitec Reparaciones Electrónicas del Centro",
    "direccion": "Av. Insurgentes Sur 1234, Local 5, Col. Del Valle Centro, Benito Juárez, CDMX, C.P. 03100",
    "telefono": "5512345678",
    "rfc": "SERC850101AB1",
    "regimen_fiscal": "626 - Régimen Simplificado de Confianza",
    "garantia": None,
    "pie_ticket": "¡Gracias por su compra!\nCambios con este ticket dentro de 7 días.",
}


@pytest.fixture
def owner(shop):
    api = Api(shop.url, shop.token, verify=shop.verify)
    yield api
    api.close()


def producto(owner: Api, stock: int, precio: float = 250) -> dict:
    return make_producto(owner, stock=stock, precio=precio, codigo=f"75{uuid.uuid4().int % 10**11:011d}")


def cart_id(page) -> str:
    return json.loads(page.evaluate("() => sessionStorage.getItem('servitec.draft.pos-venta')"))["id"]


def scan(page, code: str) -> None:
    page.keyboard.type(code, delay=10)
    page.keyboard.press("Enter")


def test_scan_two_products_and_pay_split_with_change(ui, owner):
    a, b = producto(owner, stock=5, precio=250), producto(owner, stock=5, precio=120)
    page = ui("mostrador").open("/ventas/nueva")
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
    sale_id = cart_id(page)
    page.locator(".pago-fila input[type=number]").nth(1).press("Enter")
    page.wait_for_selector("dialog.venta-hecha")
    assert "$50.00" in page.locator("dialog.venta-hecha .cambio").inner_text()

    venta = owner.ok("GET", f"/ventas/{sale_id}")
    assert sorted((p["metodo"], p["monto"]) for p in venta["pagos"]) == [("efectivo", 320), ("tarjeta", 100)]
    assert venta["cambio"] == 50 and venta["total"] == 370
    assert venta["usuario"] == "luis"
    assert page.locator("tbody tr[data-producto]").count() == 0  # a new sale has started


def test_sale_refused_for_stock_keeps_the_cart(ui, owner):
    escaso = producto(owner, stock=1)
    page = ui("mostrador").open("/ventas/nueva")
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
    assert stock_of(owner, escaso["id"]) == 1
    page.reload()
    page.wait_for_selector(f"tr[data-producto='{escaso['id']}']")
    assert page.input_value("input.cantidad") == "3"


def test_owner_cancels_a_sale_with_a_reason(ui, owner):
    vendido = producto(owner, stock=4)
    venta = owner.ok("POST", "/ventas", 201, json={"items": [{"producto_id": vendido["id"], "cantidad": 2}]})
    page = ui("dueno").open("/ventas")
    page.wait_for_selector(f"tr[data-id='{venta['id']}']").click()
    page.get_by_role("button", name="Cancelar venta…").click()
    page.fill("dialog[open] textarea", "El cliente devolvió el producto")
    page.get_by_role("button", name="Cancelar venta", exact=True).click()
    page.wait_for_selector("h1 .insignia.alerta")
    assert owner.ok("GET", f"/ventas/{venta['id']}")["estado"] == "cancelada"
    assert stock_of(owner, vendido["id"]) == 4


@pytest.mark.parametrize(("papel", "ancho_mm"), [("80", 72), ("58", 48)])
def test_ticket_prints_within_the_roll(ui, owner, papel, ancho_mm):
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
    page = ui("dueno").open("/")
    page.locator("main h1").wait_for()
    page.evaluate(
        """async ([venta, taller, papel]) => {
            const href = document.getElementById('paper').getAttribute('href');
            const print = await import('./' + href.replace(/css\\/[^/]*$/, 'js/print.js'));
            print.setPaper(papel);
            await print.renderTicket(venta, taller);
        }""",
        [venta, TALLER, papel],
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
