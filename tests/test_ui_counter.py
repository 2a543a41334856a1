"""Issue 11, acceptance 2 and 3: the whole counter as staff use it.

- Two people signed in with different roles see each other's sale, stock change and order
  change within a second, without reloading.
- One device goes from intake to repair to delivery, and a sale follows, with the keyboard
  alone: no click anywhere (the scanner is a keyboard too).
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from browser import HUMAN_MS, scan
from helpers import make_cliente, make_orden, make_producto
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

LIVE_MS = 1000  # "within 1 s": from the moment the actor's screen confirms to the other screen showing it


def new_code() -> str:
    return f"77{uuid.uuid4().int % 10**11:011d}"


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focus is on an element matching `selector` (a person looking for a control)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_two_roles_see_each_others_sale_stock_and_order_live(ui, shop_api):
    producto = make_producto(shop_api, stock=6, precio=180, codigo=new_code())
    cliente = make_cliente(shop_api, nombre=f"Cliente en vivo {uuid.uuid4().hex[:6]}")
    orden = make_orden(shop_api, cliente["id"])

    rosa_stock = ui("dueno").open(f"/inventario/{producto['id']}")
    expect(rosa_stock.locator(".existencia")).to_have_text("6")
    rosa_sales = ui("dueno").open("/ventas")
    rosa_sales.locator("main table").wait_for()
    luis = ui("mostrador").open("/ventas/nueva")
    luis.wait_for_selector("#pos-codigo:focus")

    # Luis sells two pieces: Rosa's sales list and her product page follow.
    scan(luis, producto["codigo"])
    luis.wait_for_selector(f"tr[data-producto='{producto['id']}']")
    luis.fill("input.cantidad", "2")
    luis.wait_for_selector(".pos-totales[data-listo=si]")
    expect(luis.locator(".pos-totales .total dd")).to_have_text("$360.00")
    luis.locator(".pago-fila input[type=number]").first.fill("400")
    expect(luis.locator(".pos-totales .cambio")).to_contain_text("$40.00")
    luis.keyboard.press("F9")
    luis.wait_for_selector("dialog.venta-hecha")
    venta = shop_api.ok("GET", "/ventas", params={"limit": 1})["items"][0]
    assert venta["usuario"] == "luis" and venta["total"] == 360
    expect(rosa_sales.locator(f"tr[data-id='{venta['id']}']")).to_be_visible(timeout=LIVE_MS)
    expect(rosa_stock.locator(".existencia")).to_have_text("4", timeout=LIVE_MS)
    expect(rosa_sales.locator(".notices")).to_contain_text("luis registró la venta", timeout=LIVE_MS)
    luis.keyboard.press("Escape")

    # Rosa counts the shelf (a stock change of hers): Luis's inventory row shows it.
    luis.goto(f"{luis.url.split('#')[0]}#/inventario?q={producto['codigo']}")
    row = luis.locator(f"tr[data-id='{producto['id']}']")
    expect(row).to_contain_text("4")
    shop_api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "conteo", "stock": 9})
    expect(row).to_contain_text("9", timeout=LIVE_MS)

    # Rosa moves the order on her screen: Luis's board moves the card.
    luis.goto(f"{luis.url.split('#')[0]}#/ordenes/tablero?q={orden['folio']}")
    expect(luis.locator(f".columna.estado-recibido [data-id='{orden['id']}']")).to_be_visible()
    rosa_stock.goto(f"{rosa_stock.url.split('#')[0]}#/ordenes/{orden['id']}")
    rosa_stock.get_by_role("button", name="→ En diagnóstico").click()
    rosa_stock.locator("dialog[open] button.primary").click()
    expect(rosa_stock.locator("h1")).to_contain_text("En diagnóstico")
    expect(luis.locator(f".columna.estado-diagnostico [data-id='{orden['id']}']")).to_be_visible(timeout=LIVE_MS)
    assert shop_api.ok("GET", f"/ordenes/{orden['id']}")["estado"] == "diagnostico"


def test_intake_repair_delivery_and_a_sale_with_the_keyboard_alone(ui, shop_api):
    suffix = uuid.uuid4().hex[:6]
    funda = make_producto(shop_api, stock=3, precio=150, codigo=new_code(), nombre=f"Funda rígida {suffix}")
    luis = ui("mostrador")
    page, keys = luis.page, luis.page.keyboard

    # Intake: F4, a new customer created from the picker, the device, the fault, the estimate.
    keys.press("F4")
    expect(page.locator("form.recepcion")).to_be_visible()
    keys.press("Alt+c")
    dialog = page.get_by_role("dialog", name="Nuevo cliente")
    expect(dialog).to_be_visible()
    keys.type(f"Martina Solís {suffix}", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("55 8765 4321", delay=HUMAN_MS)
    keys.press("Enter")
    expect(page.locator(".elegido")).to_contain_text(f"Martina Solís {suffix}")
    tab_to(page, "[name=marca]")
    keys.type("Motorola", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("Moto G54", delay=HUMAN_MS)
    tab_to(page, "[name=falla_reportada]")
    keys.type("Pantalla no responde al tacto", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("900", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("200", delay=HUMAN_MS)
    keys.press("Control+Enter")
    expect(page.locator(".resumen-orden")).to_be_visible()
    orden_id = page.url.rsplit("/", 1)[1]
    orden = shop_api.ok("GET", f"/ordenes/{orden_id}")
    assert (orden["marca"], orden["modelo"], orden["presupuesto"], orden["anticipo"]) == (
        "Motorola",
        "Moto G54",
        900,
        200,
    )
    assert orden["cliente_nombre"] == f"Martina Solís {suffix}"

    # Repair: the técnico takes it through diagnosis to ready, with the final cost.
    tere = ui("tecnico")
    bench, bench_keys = tere.page, tere.page.keyboard
    bench.goto(f"{tere.origin}/#/ordenes/{orden_id}")
    expect(bench.locator("h1")).to_contain_text("Recibido")
    for estado, target in (
        ("diagnostico", "En diagnóstico"),
        ("esperando_aprobacion", "Esperando aprobación"),
        ("en_reparacion", "En reparación"),
    ):
        tab_to(bench, f"button[data-estado={estado}]")
        bench_keys.press("Enter")
        expect(bench.locator("dialog[open]")).to_be_visible()
        bench_keys.type("Revisado", delay=HUMAN_MS)  # the note for the history
        tab_to(bench, "dialog[open] button.primary")
        bench_keys.press("Enter")
        expect(bench.locator("h1")).to_contain_text(target)
    tab_to(bench, "[name=costo_final]")
    bench_keys.type("1100", delay=HUMAN_MS)
    bench_keys.press("Enter")
    expect(bench.locator(".notices")).to_contain_text("Trabajo guardado")
    tab_to(bench, "button[data-estado=listo]")
    bench_keys.press("Enter")
    tab_to(bench, "dialog[open] button.primary")
    bench_keys.press("Enter")
    expect(bench.locator("h1")).to_contain_text("Listo para entregar")

    # Delivery: the counter charges the balance (1100 − 200) in cash.
    page.reload()
    expect(page.locator("h1")).to_contain_text("Listo para entregar")
    keys.press("Alt+e")
    expect(page.locator("dialog[open]")).to_contain_text("$900.00")
    keys.press("Enter")
    expect(page.locator("dialog[open] input[name=monto]")).to_be_focused()
    keys.type("1000", delay=HUMAN_MS)
    expect(page.locator(".cotizacion")).to_contain_text("$100.00")
    keys.press("Enter")
    expect(page.locator("h1")).to_contain_text("Entregado")
    entregada = shop_api.ok("GET", f"/ordenes/{orden_id}")
    assert (entregada["estado"], entregada["saldo"], entregada["pagado"]) == ("entregado", 0, 900)

    # A sale: F2, the case scanned, exact cash, F9.
    keys.press("F2")
    page.wait_for_selector("#pos-codigo:focus")
    scan(page, funda["codigo"])
    page.wait_for_selector(f"tr[data-producto='{funda['id']}']")
    page.wait_for_selector(".pos-totales[data-listo=si]")
    expect(page.locator(".pos-totales .total dd")).to_have_text("$150.00")
    tab_to(page, ".pago-fila input[type=number]")
    keys.type("200", delay=HUMAN_MS)
    expect(page.locator(".pos-totales .cambio")).to_contain_text("$50.00")
    keys.press("Enter")
    page.wait_for_selector("dialog.venta-hecha")
    time.sleep(0.2)
    venta = shop_api.ok("GET", "/ventas", params={"limit": 1})["items"][0]
    assert venta["total"] == 150 and venta["usuario"] == "luis"
    assert shop_api.ok("GET", f"/inventario/{funda['id']}")["stock"] == 2
    assert re.fullmatch(r".*#/ventas/nueva", page.url)
