"""Print previews (issue 11, acceptance 5): the intake receipt, the sale ticket and the device
label, on the 80 mm and the 58 mm roll, show every listed field within the printable width.

An appliance of the test's own (its shop data are long on purpose: they must not leak into the
shared `shop`), records made through the API with every field filled, and Debian's Chromium:
the paper is chosen with the screen's own "Impresora" control, the layout is built in
#print-area by js/print.js (imported by its tagged URL, as the page loaded it) and measured
under print media. Each preview is saved as docs/screenshots/print-<layout>-<paper>.png.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import requests
from browser import SCREENSHOTS
from conftest import Api
from serverproc import OWNER, OWNER_PASSWORD

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
PRINTABLE_MM = {"80": 72, "58": 48}
PAPER_CSS = {"80": "paper-80.css", "58": "paper-58.css"}
QR_MIN_MM = 20  # a phone at the counter reads a code this size off thermal paper

TALLER = {
    "nombre": "Servitec Reparaciones Electrónicas, Celulares y Cómputo del Centro Histórico de la Ciudad de México",
    "direccion": (
        "Av. Insurgentes Sur 1234, Local 5-B, Planta Baja, Plaza Comercial Insurgentes\n"
        "Col. Del Valle Centro, Alcaldía Benito Juárez\n"
        "Ciudad de México, C.P. 03100"
    ),
    "telefono": "+52 (55) 1234-5678",
    "rfc": "SERC850101AB1",
    "regimen_fiscal": "626 - Régimen Simplificado de Confianza",
    "garantia": (
        "La garantía cubre la mano de obra y las refacciones que instalamos.\n"
        "No cubre daños por humedad, golpes, caídas ni equipos abiertos por terceros.\n"
        "Los equipos no recogidos 30 días después del aviso causan almacenaje de $20.00 diarios.\n"
        "Presente este comprobante para recoger su equipo."
    ),
    "pie_ticket": (
        "¡Gracias por su compra!\n"
        "Cambios con este ticket dentro de 7 días.\n"
        "Facturación: facturacion.reparaciones@servitecdelcentro.com.mx"
    ),
}
CLIENTE = {
    "nombre": "María Guadalupe Hernández Rodríguez de la Santísima Trinidad Villaseñor y Castañeda",
    "telefono": "55 8765 4321",
    "email": "lupita.hernandez@example.com",
}
CONDICION = [
    {"punto": "Pantalla", "estado": "Rayón de 3 cm en la esquina superior derecha, sin píxeles muertos"},
    {"punto": "Carcasa", "estado": "Golpe en la esquina inferior izquierda; bisagra derecha floja"},
    {"punto": "Teclado", "estado": "Falta la tecla F5"},
    {"punto": "Humedad", "estado": "Sin rastros de humedad"},
    {"punto": "Enciende", "estado": "Sí, pero se apaga a los 5 minutos"},
]
PASSWORD_OF_DEVICE = "patron-1-5-9-7-3"


def pesos(amount: float) -> str:
    """An amount as js/format.js's money() shows it (es-MX, MXN): 2549 -> "$2,549.00"."""
    return f"${amount:,.2f}"


def lines(text: str) -> list[str]:
    """The lines of a text of several lines, as a print shows them (each trimmed)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture
def printed(fresh_server):
    """This appliance's shop data, and a customer, an order and a sale to print, all made through the API."""
    owner = Api(fresh_server.url, fresh_server.token, verify=fresh_server.verify)
    taller = owner.ok("PUT", "/taller", json=TALLER)
    cliente = owner.ok("POST", "/clientes", 201, json=CLIENTE)
    me = owner.ok("GET", "/usuarios/me")
    promesa = (dt.date.today() + dt.timedelta(days=5)).isoformat() + "T17:30"
    orden = owner.ok(
        "POST",
        "/ordenes",
        201,
        json={
            "cliente_id": cliente["id"],
            "equipo": "laptop",
            "marca": "Lenovo Legion (edición gamer)",
            "modelo": "Legion Pro 7i Gen 9 16IRX9H 83DE0042LM Intel Core i9-14900HX RTX 4090",
            "numero_serie": "PF4Z8K2XSN83DE0042LMIMEI356938035643809",
            "color": "Gris eclipse metálico",
            "accesorios": (
                "Cargador original Lenovo de 330 W con su cable de corriente\n"
                "Mochila negra con bolsillo para el cargador\n"
                "Mouse inalámbrico Logitech con receptor USB"
            ),
            "contrasena": PASSWORD_OF_DEVICE,
            "diagnostico": "Pendiente de revisar ventiladores y pasta térmica.",
            "presupuesto": 3450.5,
            "costo_final": 3450.5,
            "tecnico_id": me["id"],
            "fecha_promesa": promesa,
            "notas": "El cliente pide que no se borre ninguna información del disco.",
            "falla_reportada": (
                "Se apaga sola a los 5 minutos de jugar; el ventilador hace un ruido muy fuerte.\n"
                "Antes de apagarse la pantalla parpadea y huele a quemado cerca de la bisagra."
            ),
            "condicion": CONDICION,
            "anticipo": 1000,
            "prioridad": "urgente",
            "garantia_dias": 120,
        },
    )
    funda = owner.ok(
        "POST",
        "/inventario",
        201,
        json={
            "nombre": "Funda uso rudo con protector de pantalla templado 9H para Samsung Galaxy A54 5G",
            "precio_venta": 1249.5,
            "stock": 5,
        },
    )
    venta = owner.ok(
        "POST",
        "/ventas",
        201,
        json={
            "cliente_id": cliente["id"],
            "items": [
                {"producto_id": funda["id"], "cantidad": 2, "descuento": 100},
                {
                    "descripcion": "Instalación del protector de pantalla con kit de limpieza antiestática",
                    "cantidad": 1,
                    "precio_unitario": 150,
                },
            ],
            "pagos": [
                {"metodo": "tarjeta", "monto": 1000, "referencia": "Aut. 004512"},
                {"metodo": "efectivo", "monto": 2000},
            ],
        },
    )
    assert venta["descuento"] == 100 and venta["total"] == 2549 and venta["cambio"] == 451
    qr = requests.get(
        fresh_server.url + "/qr",
        params={"texto": f"OS-{orden['folio']:06d}"},
        headers=fresh_server.headers,
        timeout=10,
        verify=fresh_server.verify,
    )
    assert qr.status_code == 200, qr.text
    yield {
        "taller": taller,
        "cliente": cliente,
        "orden": owner.ok("GET", f"/ordenes/{orden['id']}"),
        # As the sale's screen hands it to the ticket: with the customer's name.
        "venta": {**owner.ok("GET", f"/ventas/{venta['id']}"), "cliente_nombre": cliente["nombre"]},
        "qr": qr.content,
    }
    owner.close()


RENDER = """async ([layout, record, taller]) => {
    // The modules as the page loaded them: the tagged folder of its <script src>.
    const src = document.querySelector('script[type=module][src$="/js/app.js"]').src;
    const base = src.replace(/js\\/app\\.js$/, '');
    const print = await import(base + 'js/print.js');
    const fmt = await import(base + 'js/format.js');
    const render = {recepcion: print.renderIntake, ticket: print.renderTicket, etiqueta: print.renderLabel}[layout];
    const node = await render(record, taller); // as printing does: once the chosen paper applies
    await Promise.all([...node.querySelectorAll('img')].map((img) => img.decode()));
    const when = record.fecha || record.creado_en;
    return {
        date: fmt.date(when),
        dateTime: fmt.dateTime(when),
        promesa: record.fecha_promesa ? fmt.dateTime(record.fecha_promesa) : null,
    };
}"""

# What overflows: any box outside the area's width, any element whose content is wider than
# its box (text cut or spilling), and siblings of a flex row that overlap (a value over its label).
MEASURE = """() => {
    const area = document.getElementById('print-area');
    const box = area.getBoundingClientRect();
    const name = (el) => `<${el.tagName.toLowerCase()} class="${el.className}"> «${(el.textContent || '').trim().slice(0, 40)}»`;
    const problems = [];
    for (const el of [area, ...area.querySelectorAll('*')]) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5)
            problems.push(`${name(el)} spans ${(r.left - box.left).toFixed(1)}..${(r.right - box.left).toFixed(1)} px of ${box.width.toFixed(1)}`);
        if (el.scrollWidth > el.clientWidth && getComputedStyle(el).display !== 'inline')
            problems.push(`${name(el)} overflows: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
        if (getComputedStyle(el).display.endsWith('flex')) {
            const kids = [...el.children].map((k) => [k, k.getBoundingClientRect()]).filter(([, k]) => k.width && k.height);
            for (let i = 0; i < kids.length; i++)
                for (let j = i + 1; j < kids.length; j++) {
                    const [a, ra] = kids[i], [b, rb] = kids[j];
                    const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
                    const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
                    if (x > 0.5 && y > 0.5) problems.push(`${name(a)} overlaps ${name(b)}`);
                }
        }
    }
    const qrs = [...area.querySelectorAll('img')].map((img) => ({
        src: img.getAttribute('src'),
        naturalWidth: img.naturalWidth,
        width: img.getBoundingClientRect().width,
        height: img.getBoundingClientRect().height,
        copy: img.closest('.p-copia') ? [...area.querySelectorAll('.p-copia')].indexOf(img.closest('.p-copia')) : null,
    }));
    const rayas = [...area.querySelectorAll('.p-raya')].map((el) => el.getBoundingClientRect().width);
    return {width: box.width, papel: area.dataset.papel, problems, qrs, rayas};
}"""


def choose_paper(page, papel: str) -> None:
    """The station's paper, chosen with the screen's "Impresora" control."""
    page.get_by_label("Impresora").select_option(papel)
    href = page.get_attribute("link#paper", "href")
    assert href.endswith("/css/" + PAPER_CSS[papel]), href


def preview(watched, path: str, layout: str, record: dict, taller: dict, papel: str):
    """Open the screen that prints `layout`, choose the paper and build the layout under print media."""
    page = watched.sign_in(OWNER, OWNER_PASSWORD)
    watched.open(path)
    page.locator("main h1").wait_for()
    choose_paper(page, papel)
    shown = page.evaluate(RENDER, [layout, record, taller])
    page.emulate_media(media="print")
    return page, shown


def assert_fits(page, papel: str, qr_svg: bytes, copies: tuple[int | None, ...]) -> dict:
    """(b) nothing overflows the area, (c) the area is the roll's printable width, (d) the QR codes loaded."""
    measured = page.evaluate(MEASURE)
    assert measured["papel"] == papel
    assert measured["width"] == pytest.approx(PRINTABLE_MM[papel] * MM, abs=1)
    assert measured["problems"] == [], "\n".join(measured["problems"])
    assert [qr["copy"] for qr in measured["qrs"]] == list(copies)
    for qr in measured["qrs"]:
        assert qr["src"].startswith("data:image/svg+xml"), qr["src"][:60]
        assert base64.b64decode(qr["src"].split(",", 1)[1]) == qr_svg  # the server's /qr of the folio
        assert qr["naturalWidth"] > 0
        assert qr["width"] >= QR_MIN_MM * MM - 0.5 and qr["height"] >= QR_MIN_MM * MM - 0.5, qr
    return measured


def assert_shows(text: str, *values: str) -> None:
    for value in values:
        for line in lines(value):
            assert line in text, f"{line!r} missing from:\n{text}"


def rows(page, within: str = "#print-area") -> list[tuple[str, str]]:
    """The label/value rows of a layout (or of one of its parts), as printed."""
    found = page.eval_on_selector_all(
        f"{within} .p-fila", "rows => rows.map((r) => [...r.children].map((c) => c.innerText.trim()))"
    )
    return [tuple(row) for row in found]


def shoot(page, layout: str, papel: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#print-area").screenshot(path=SCREENSHOTS / f"print-{layout}-{papel}.png")


@pytest.mark.parametrize("papel", ["80", "58"])
def test_intake_receipt_preview(fresh_server, printed, ui, papel):
    orden, taller, cliente = printed["orden"], printed["taller"], printed["cliente"]
    watched = ui(server=fresh_server)
    page, shown = preview(watched, f"/ordenes/{orden['id']}", "recepcion", orden, taller, papel)
    measured = assert_fits(page, papel, printed["qr"], copies=(0, 1))
    assert len(measured["rayas"]) == 1 and measured["rayas"][0] >= 30 * MM  # room to sign

    folio = f"OS-{orden['folio']:06d}"
    receipt, tag = page.locator("#print-area .p-copia").all_inner_texts()
    assert_shows(
        receipt,
        taller["nombre"],
        taller["direccion"],
        taller["telefono"],
        taller["rfc"],
        folio,
        shown["dateTime"],
        cliente["nombre"],
        cliente["telefono"],
        "Laptop",
        orden["marca"],
        orden["modelo"],
        orden["numero_serie"],
        orden["accesorios"],
        *(f"{punto['punto']}: {punto['estado']}" for punto in CONDICION),
        orden["falla_reportada"],
        f"{orden['garantia_dias']} días",
        taller["garantia"],
        "Firma del cliente",
    )
    assert_shows(
        tag, folio, cliente["nombre"], cliente["telefono"], orden["modelo"], orden["numero_serie"], shown["date"]
    )
    receipt_rows = rows(page, "#print-area .p-copia:first-child")
    for expected in (
        ("Presupuesto", pesos(orden["presupuesto"])),
        ("Anticipo", pesos(orden["anticipo"])),
        ("Fecha promesa", shown["promesa"]),
    ):
        assert expected in receipt_rows, receipt_rows
    assert PASSWORD_OF_DEVICE not in receipt + tag  # the unlock code stays on the screen, off paper
    shoot(page, "recepcion", papel)


@pytest.mark.parametrize("papel", ["80", "58"])
def test_sale_ticket_preview(fresh_server, printed, ui, papel):
    venta, taller = printed["venta"], printed["taller"]
    watched = ui(server=fresh_server)
    page, shown = preview(watched, f"/ventas/{venta['id']}", "ticket", venta, taller, papel)
    assert_fits(page, papel, printed["qr"], copies=())  # no QR on a ticket

    text = page.locator("#print-area").inner_text()
    funda, servicio = venta["items"]
    assert_shows(
        text,
        taller["nombre"],
        taller["rfc"],
        taller["regimen_fiscal"],
        f"V-{venta['folio']:06d}",
        shown["dateTime"],
        funda["descripcion"],
        f"2 × {pesos(1249.5)}",
        f"desc. −{pesos(100)}",
        pesos(2399),
        servicio["descripcion"],
        f"1 × {pesos(150)}",
        taller["pie_ticket"],
    )
    printed_rows = rows(page)
    for expected in (
        ("Atendió", OWNER),  # the cashier
        ("Descuento", f"−{pesos(venta['descuento'])}"),
        ("Subtotal", pesos(venta["subtotal"])),
        ("IVA", pesos(venta["iva"])),
        ("Total", pesos(venta["total"])),
        ("Tarjeta (Aut. 004512)", pesos(1000)),
        ("Efectivo", pesos(2000)),
        ("Cambio", pesos(venta["cambio"])),
    ):
        assert expected in printed_rows, printed_rows
    assert venta["subtotal"] + venta["iva"] == venta["total"]
    shoot(page, "ticket", papel)


@pytest.mark.parametrize("papel", ["80", "58"])
def test_device_label_preview(fresh_server, printed, ui, papel):
    orden, taller, cliente = printed["orden"], printed["taller"], printed["cliente"]
    watched = ui(server=fresh_server)
    page, shown = preview(watched, f"/ordenes/{orden['id']}", "etiqueta", orden, taller, papel)
    assert_fits(page, papel, printed["qr"], copies=(None,))

    text = page.locator("#print-area").inner_text()
    assert_shows(text, f"OS-{orden['folio']:06d}", cliente["nombre"], cliente["telefono"], shown["date"])
    shoot(page, "etiqueta", papel)
