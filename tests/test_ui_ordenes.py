"""The Órdenes screens in Chromium: intake from the keyboard, a técnico moving the order on the
board and the detail, the counter delivering it by charging the balance, and a second page that
sees the change live without losing what it was typing. Every page is watched (tests/browser.py)
for page errors, CSP violations and requests that leave the machine.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from browser import HUMAN_MS
from helpers import make_cliente, token
from playwright.sync_api import expect

pytestmark = pytest.mark.browser  # Chromium through Playwright

SHOP_ZONE = ZoneInfo("America/Mexico_City")  # the appliance's default zone (test_ui_shell checks it)


def test_intake_from_the_keyboard(ui, shop_api):
    promesa = date.today() + timedelta(days=7)  # a week out: the order is not born overdue on the shared shop
    cliente = make_cliente(shop_api, nombre=f"Recepción {token()}")
    counter = ui("mostrador")
    page, keys = counter.page, counter.page.keyboard
    keys.press("F4")
    expect(page.locator("form.recepcion")).to_be_visible()
    keys.type(cliente["nombre"], delay=HUMAN_MS)
    expect(page.locator(".sugerencias [role=option]")).to_have_count(1)
    keys.press("Enter")  # picks the highlighted customer; the focus goes on to the device
    expect(page.locator(".elegido")).to_contain_text(cliente["nombre"])
    assert page.evaluate("document.activeElement.name") == "equipo"
    for text in ("Samsung", "Galaxy A54", "356789012345678", "Negro", "Funda"):  # marca … accesorios
        keys.press("Tab")
        keys.type(text, delay=HUMAN_MS)
    keys.press("Tab")
    keys.press("p")  # Acceso: Patrón de desbloqueo
    keys.press("Tab")  # the grid
    for dot in "12369":
        keys.press(dot)
    expect(page.locator(".patron-texto")).to_have_text("Patrón: 1-2-3-6-9")
    keys.press("Tab")  # Borrar último
    keys.press("Tab")  # Limpiar
    keys.press("Tab")
    keys.press("Space")  # Pantalla estrellada
    page.focus("textarea[name=falla_reportada]")
    keys.type("No da imagen", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("1800", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("500", delay=HUMAN_MS)
    keys.press("Tab")
    # The date's parts come in the order of Chromium's own language (en-US: month, day, year), not the page's.
    keys.type(f"{promesa:%m%d%Y}", delay=HUMAN_MS)
    keys.press("Tab")
    keys.type("0600P", delay=HUMAN_MS)
    while page.evaluate("document.activeElement.type") != "submit":
        keys.press("Tab")
    keys.press("Enter")
    expect(page.locator(".resumen-orden")).to_be_visible()
    orden_id = page.url.rsplit("/", 1)[1]
    orden = shop_api.ok("GET", f"/ordenes/{orden_id}")
    assert orden["cliente_id"] == cliente["id"] and orden["estado"] == "recibido"
    assert (orden["marca"], orden["modelo"], orden["numero_serie"], orden["accesorios"]) == (
        "Samsung",
        "Galaxy A54",
        "356789012345678",
        "Funda",
    )
    assert orden["contrasena"] == "patrón 1-2-3-6-9"
    assert {"punto": "Pantalla", "estado": "Estrellada"} in orden["condicion"]
    assert (orden["presupuesto"], orden["anticipo"]) == (1800, 500)
    assert datetime.fromisoformat(orden["fecha_promesa"]).astimezone(SHOP_ZONE) == datetime.combine(
        promesa, time(18), SHOP_ZONE
    )
    expect(page.locator("h1")).to_contain_text(f"OS-{orden['folio']:06d}")
    assert page.evaluate("Object.keys(sessionStorage).filter((k) => k.includes('orden-nueva'))") == []


def test_board_bench_work_and_delivery_charging_the_balance(ui, shop_api):
    cliente = make_cliente(shop_api, nombre=f"Entrega {token()}", telefono="55 1234 5678")
    orden = shop_api.ok(
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga", "anticipo": 200},
    )
    folio = f"OS-{orden['folio']:06d}"
    bench = ui("tecnico")
    keys = bench.page.keyboard

    # The board: the técnico is offered only the bench move, with a note.
    page = bench.open(f"/ordenes/tablero?q={orden['folio']}")
    card = page.locator(f".columna.estado-recibido [data-id='{orden['id']}']")
    expect(card).to_be_visible()
    assert card.locator("[data-role=entregar]").count() == 0
    card.locator("[data-role=mover]").focus()
    keys.press("Enter")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Recibido → En diagnóstico")
    keys.type("Reviso el conector", delay=HUMAN_MS)
    dialog.locator("button.primary").click()
    expect(page.locator(f".columna.estado-diagnostico [data-id='{orden['id']}'] a.folio")).to_be_focused()

    # The detail: final cost, a labor line, then on to listo.
    keys.press("Enter")
    expect(page.locator("h1")).to_contain_text(folio)
    page.fill("input[name=costo_final]", "700")
    page.focus("input[name=costo_final]")
    keys.press("Enter")
    expect(page.locator(".notices")).to_contain_text("Trabajo guardado")
    page.fill("form.mano-obra input[name=descripcion]", "Cambio de conector")
    page.focus("form.mano-obra input[name=precio_unitario]")
    keys.type("300", delay=HUMAN_MS)
    keys.press("Enter")
    expect(page.locator(".detalle-orden table[aria-label='Partes y mano de obra']")).to_contain_text(
        "Cambio de conector"
    )
    for target in ("Esperando aprobación", "En reparación", "Listo para entregar"):
        page.get_by_role("button", name=f"→ {target}").click()
        page.locator("dialog[open] button.primary").click()
        expect(page.locator("h1")).to_contain_text(target)
    assert page.get_by_role("button", name=re.compile("Entregar")).count() == 0  # delivery is the counter's

    # The counter charges the balance (700 − 200) with cash and sees the server's change.
    counter = ui("mostrador")
    keys = counter.page.keyboard
    page = counter.open(f"/ordenes/{orden['id']}")
    expect(page.locator("h1")).to_contain_text("Listo para entregar")
    keys.press("Alt+e")
    expect(page.locator("dialog[open]")).to_contain_text("$500.00")
    keys.press("Enter")  # Cobrar saldo
    expect(page.locator("dialog[open] input[name=monto]")).to_be_focused()
    keys.type("600", delay=HUMAN_MS)
    expect(page.locator(".cotizacion")).to_contain_text("Cambio")
    expect(page.locator(".cotizacion")).to_contain_text("$100.00")
    keys.press("Enter")
    expect(page.locator("h1")).to_contain_text("Entregado")
    entregada = shop_api.ok("GET", f"/ordenes/{orden['id']}")
    assert entregada["estado"] == "entregado" and entregada["saldo"] == 0 and entregada["pagado"] == 500
    assert entregada["adeudo"] == 0


def test_an_open_order_updates_live_and_keeps_what_is_typed(ui, shop_api):
    cliente = make_cliente(shop_api, nombre=f"En vivo {token()}")
    orden = shop_api.ok(
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "laptop", "falla_reportada": "Bisagra rota"},
    )
    counter = ui("mostrador")
    page = counter.open(f"/ordenes/{orden['id']}")
    expect(page.locator("h1")).to_contain_text("Recibido")
    page.fill("textarea[name=notas]", "Pide factura")
    bench = shop_api.ok(
        "PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "Bisagra izquierda rota", "version": orden["version"]}
    )
    shop_api.ok("PUT", f"/ordenes/{orden['id']}/estado", json={"estado": "diagnostico", "version": bench["version"]})
    expect(page.locator("h1")).to_contain_text("En diagnóstico", timeout=2000)
    expect(page.locator(".linea-tiempo")).to_contain_text("En diagnóstico")
    # The untouched field shows the bench's text; the typed note stays and saves on the new version.
    expect(page.locator("textarea[name=diagnostico]")).to_have_value("Bisagra izquierda rota")
    expect(page.locator("textarea[name=notas]")).to_have_value("Pide factura")
    page.get_by_role("button", name="Guardar trabajo").click()
    expect(page.locator(".notices")).to_contain_text("Trabajo guardado")
    saved = shop_api.ok("GET", f"/ordenes/{orden['id']}")
    assert (saved["notas"], saved["diagnostico"]) == ("Pide factura", "Bisagra izquierda rota")
