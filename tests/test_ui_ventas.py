"""The POS and the sales list, driven in Debian's Chromium (the printed ticket: test_ui_print.py).

Scanning is simulated the way a scanner types: characters 10 ms apart, then Enter.
"""

from __future__ import annotations

import json
import uuid

import pytest
from browser import scan
from conftest import Api
from helpers import make_producto, stock_of

pytestmark = pytest.mark.browser


def producto(api: Api, stock: int, precio: float = 250) -> dict:
    return make_producto(api, stock=stock, precio=precio, codigo=f"75{uuid.uuid4().int % 10**11:011d}")


def cart_id(page) -> str:
    return json.loads(page.evaluate("() => sessionStorage.getItem('servitec.draft.pos-venta')"))["id"]


def test_scan_two_products_and_pay_split_with_change(ui, shop_api):
    a, b = producto(shop_api, stock=5, precio=250), producto(shop_api, stock=5, precio=120)
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

    venta = shop_api.ok("GET", f"/ventas/{sale_id}")
    assert sorted((p["metodo"], p["monto"]) for p in venta["pagos"]) == [("efectivo", 320), ("tarjeta", 100)]
    assert venta["cambio"] == 50 and venta["total"] == 370
    assert venta["usuario"] == "luis"
    assert page.locator("tbody tr[data-producto]").count() == 0  # a new sale has started


def test_sale_refused_for_stock_keeps_the_cart(ui, shop_api):
    escaso = producto(shop_api, stock=1)
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
    assert stock_of(shop_api, escaso["id"]) == 1
    page.reload()
    page.wait_for_selector(f"tr[data-producto='{escaso['id']}']")
    assert page.input_value("input.cantidad") == "3"


def test_owner_cancels_a_sale_with_a_reason(ui, shop_api):
    vendido = producto(shop_api, stock=4)
    venta = shop_api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": vendido["id"], "cantidad": 2}]})
    page = ui("dueno").open("/ventas")
    page.wait_for_selector(f"tr[data-id='{venta['id']}']").click()
    page.get_by_role("button", name="Cancelar venta…").click()
    page.fill("dialog[open] textarea", "El cliente devolvió el producto")
    page.get_by_role("button", name="Cancelar venta", exact=True).click()
    page.wait_for_selector("h1 .insignia.alerta")
    assert shop_api.ok("GET", f"/ventas/{venta['id']}")["estado"] == "cancelada"
    assert stock_of(shop_api, vendido["id"]) == 4
