"""WhatsApp for a service order: Mexican numbers as wa.me wants them, and the messages to the customer."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import assert_error, drive_to, make_cliente, make_orden, token

from appliance.shop.money import format_pesos
from appliance.shop.whatsapp import normalize_mx

# --- the number ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "telefono, numero",
    [
        # 10 national digits, however they are spaced or punctuated.
        ("5512345678", "525512345678"),
        ("55 1234 5678", "525512345678"),
        ("(55) 1234-5678", "525512345678"),
        ("55-1234-5678", "525512345678"),
        ("55.1234.5678", "525512345678"),
        ("  33 1234 5678  ", "523312345678"),
        ("(818) 123 4567", "528181234567"),
        # With the country code.
        ("+52 55 1234 5678", "525512345678"),
        ("+525512345678", "525512345678"),
        ("(+52) 55 1234 5678", "525512345678"),
        ("52 55 1234 5678", "525512345678"),
        ("0052 55 1234 5678", "525512345678"),
        # The old mobile 1 after the country code is dropped.
        ("52 1 55 1234 5678", "525512345678"),
        ("+52 1 55 1234 5678", "525512345678"),
        ("+521 (55) 1234-5678", "525512345678"),
        # Old mobile (044, 045) and long-distance (01) prefixes are dropped.
        ("044 55 1234 5678", "525512345678"),
        ("045 33 1234 5678", "523312345678"),
        ("01 55 1234 5678", "525512345678"),
        ("01 (998) 123 4567", "529981234567"),
        # Not a Mexican number of 10 digits: refused.
        (None, None),
        ("", None),
        ("   ", None),
        ("555-0100", None),  # 7 digits: a local number without its area code
        ("55 1234 567", None),  # 9 digits
        ("55 1234 56789", None),  # 11 digits
        ("52 55 1234 567", None),  # country code and 9 digits
        ("52 2 55 1234 5678", None),  # country code, 11 digits not starting with the old 1
        ("+1 212 555 0100", None),  # the United States
        ("+34 612 345 678", None),  # Spain
        ("+44 20 7946 0958", None),  # the United Kingdom
        ("+5512345678", None),  # a + must be followed by the country code
        ("0012125550100", None),  # international prefix, another country
        ("046 55 1234 5678", None),  # not an old mobile prefix
        ("02 55 1234 5678", None),  # not the old long-distance prefix
        ("0512345678", None),  # national digits never start with 0...
        ("1512345678", None),  # ...nor with 1
        ("+52 01 55 1234 5678", None),
    ],
)
def test_normalize_mexican_numbers(telefono, numero):
    assert normalize_mx(telefono) == numero


@pytest.mark.parametrize(
    "centavos, text",
    [(0, "$0.00"), (5, "$0.05"), (123450, "$1,234.50"), (100000000, "$1,000,000.00"), (-2500, "-$25.00")],
)
def test_pesos_as_people_read_them(centavos, text):
    assert format_pesos(centavos) == text


# --- the endpoint ----------------------------------------------------------------------------------


@pytest.fixture
def shop_name(api):
    """Set the shop's name for a test; put back what it was afterwards."""
    before = api.ok("GET", "/taller")["nombre"]

    def set_name(nombre):
        api.ok("PUT", "/taller", json={"nombre": nombre})

    yield set_name
    set_name(before)


def _texts(answer):
    return {m["tipo"]: m["texto"] for m in answer["mensajes"]}


def test_messages_and_links_for_an_order(api, shop_name):
    shop_name("Servitec Centro")
    cliente = make_cliente(api, nombre=f"Lucía Hernández {token()}", telefono="(55) 1234-5678")
    orden = make_orden(api, cliente["id"], equipo="celular", marca="Samsung", modelo="A54", anticipo=200)
    answer = api.ok("GET", f"/ordenes/{orden['id']}/whatsapp")
    assert (answer["telefono"], answer["numero"], answer["error"]) == ("(55) 1234-5678", "525512345678", None)
    assert [(m["tipo"], m["titulo"]) for m in answer["mensajes"]] == [
        ("recibido", "Avisar que lo recibimos"),
        ("presupuesto", "Enviar presupuesto"),
        ("listo", "Avisar que está listo"),
    ]
    folio = orden["folio"]
    texts = _texts(answer)
    assert texts["recibido"] == (
        f"Hola Lucía, en Servitec Centro recibimos tu celular Samsung A54 con el folio {folio}. "
        "Te avisaremos por este medio cuando tengamos el diagnóstico."
    )
    # No diagnosis nor estimate yet: the message says the cost is coming.
    assert texts["presupuesto"] == (
        f"Hola Lucía, en Servitec Centro ya revisamos tu celular Samsung A54 (folio {folio}). "
        "En breve te confirmamos el costo de la reparación."
    )
    # No final cost yet: nothing said about money.
    assert texts["listo"] == (
        f"Hola Lucía, tu celular Samsung A54 (folio {folio}) ya está listo. Puedes recogerlo en Servitec Centro."
    )
    for mensaje in answer["mensajes"]:
        url = urlsplit(mensaje["url"])
        assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", "/525512345678")
        assert parse_qs(url.query) == {"text": [mensaje["texto"]]}  # the whole text, URL-encoded
        assert " " not in mensaje["url"] and "%20" in mensaje["url"]


def test_estimate_and_balance_are_in_pesos(api, shop_name):
    shop_name("Servitec")
    cliente = make_cliente(api, nombre="Jorge Luis Pérez", telefono="+52 1 33 1234 5678")
    orden = make_orden(api, cliente["id"], equipo="laptop", marca="Lenovo", anticipo=234.5)
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "Pantalla dañada.  ", "presupuesto": 1234.5})
    folio = orden["folio"]
    answer = api.ok("GET", f"/ordenes/{orden['id']}/whatsapp")
    assert answer["numero"] == "523312345678"
    assert _texts(answer)["presupuesto"] == (
        f"Hola Jorge, en Servitec ya revisamos tu laptop Lenovo (folio {folio}). Diagnóstico: Pantalla dañada. "
        "El presupuesto de la reparación es de $1,234.50. ¿Nos confirmas si la realizamos?"
    )
    # Ready, with a final cost: the balance is what is left after the advance payment.
    drive_to(api, orden["id"], "listo")
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"costo_final": 1500})
    listo = _texts(api.ok("GET", f"/ordenes/{orden['id']}/whatsapp"))["listo"]
    assert listo == (
        f"Hola Jorge, tu laptop Lenovo (folio {folio}) ya está lista. Puedes recogerla en Servitec. "
        "El saldo a pagar es de $1,265.50."
    )
    # Paid in full with a sale linked to the order: no balance left.
    api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "orden_id": orden["id"],
            "items": [{"descripcion": "Reparación", "cantidad": 1, "precio_unitario": 1265.5}],
        },
    )
    listo = _texts(api.ok("GET", f"/ordenes/{orden['id']}/whatsapp"))["listo"]
    assert listo.endswith("ya está lista. Puedes recogerla en Servitec. No tienes saldo pendiente.")


def test_without_a_shop_name_the_messages_leave_it_out(api, shop_name):
    shop_name(None)
    cliente = make_cliente(api, nombre="Ana", telefono="5587654321")
    orden = make_orden(api, cliente["id"], equipo="otro")
    texts = _texts(api.ok("GET", f"/ordenes/{orden['id']}/whatsapp"))
    assert texts["recibido"].startswith(f"Hola Ana, recibimos tu equipo con el folio {orden['folio']}.")
    assert texts["presupuesto"].startswith(f"Hola Ana, ya revisamos tu equipo (folio {orden['folio']}).")
    assert texts["listo"] == f"Hola Ana, tu equipo (folio {orden['folio']}) ya está listo. Puedes pasar a recogerlo."
    assert "None" not in " ".join(texts.values())


@pytest.mark.parametrize(
    "telefono, error",
    [
        (
            "555-0100",
            "El teléfono del cliente (555-0100) no es un número de México de 10 dígitos; corrígelo en Clientes.",
        ),
        (None, "El cliente no tiene teléfono registrado; agrégalo en Clientes."),
    ],
)
def test_a_phone_that_is_not_mexican_gives_the_reason_and_no_links(api, telefono, error):
    cliente = make_cliente(api, telefono=telefono)
    orden = make_orden(api, cliente["id"])
    answer = api.ok("GET", f"/ordenes/{orden['id']}/whatsapp")
    assert (answer["telefono"], answer["numero"], answer["error"]) == (telefono, None, error)
    assert [m["url"] for m in answer["mensajes"]] == [None, None, None]
    assert all(m["texto"] for m in answer["mensajes"])  # still there, to copy by hand
    # Corrected in Clientes, the links appear.
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "55 1234 0000"})
    answer = api.ok("GET", f"/ordenes/{orden['id']}/whatsapp")
    assert answer["numero"] == "525512340000" and answer["error"] is None
    assert all(m["url"].startswith("https://wa.me/525512340000?text=") for m in answer["mensajes"])


def test_an_unknown_order_is_404(api):
    assert_error(api.get("/ordenes/no-existe/whatsapp"), 404, "no_encontrado")
