"""/ordenes against the real server: intake, edits, parts, filters and every state transition."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from zoneinfo import ZoneInfo

import pytest
from helpers import (
    ESTADOS,
    TRANSITIONS,
    assert_error,
    assert_ledger_consistent,
    cambiar_estado,
    drive_to,
    kardex,
    make_cliente,
    make_orden,
    make_producto,
    stock_of,
)

CONDICION = [
    {"punto": "Pantalla", "estado": "Estrellada en la esquina"},
    {"punto": "Carcasa", "estado": "Rayones leves"},
    {"punto": "Botones", "estado": "OK"},
    {"punto": "Carga", "estado": "No carga"},
    {"punto": "Humedad", "estado": "Sin señales"},
]


@pytest.fixture
def cliente(api, unique):
    return make_cliente(api, nombre=f"Dueña Equipo {unique}", telefono="33-1111-2222")


def ids(page):
    return [item["id"] for item in page["items"]]


# --- intake and reading ----------------------------------------------------------------------


def test_intake_assigns_folio_and_starts_history(api, cliente, unique):
    body = {
        "cliente_id": cliente["id"],
        "equipo": "celular",
        "marca": "Xiaomi",
        "modelo": "Redmi Note 12",
        "numero_serie": f"IMEI{unique}",
        "color": "Azul",
        "accesorios": "Funda y cargador",
        "contrasena": "1234",
        "falla_reportada": "Pantalla rota, no da imagen",
        "condicion": CONDICION,
        "anticipo": 200,
        "presupuesto": 1200.5,
        "prioridad": "alta",
        "notas": "Cliente frecuente",
    }
    orden = api.ok("POST", "/ordenes", 201, json=body)
    uuid.UUID(orden["id"])
    assert isinstance(orden["folio"], int) and orden["folio"] >= 1
    assert orden["estado"] == "recibido" and orden["version"] == 1
    assert orden["condicion"] == CONDICION
    assert orden["garantia_dias"] == 90
    for field in (
        "equipo",
        "marca",
        "modelo",
        "numero_serie",
        "color",
        "accesorios",
        "contrasena",
        "falla_reportada",
        "anticipo",
        "presupuesto",
        "prioridad",
        "notas",
    ):
        assert orden[field] == body[field], field
    assert orden["cliente_nombre"] == cliente["nombre"] and orden["cliente_telefono"] == cliente["telefono"]
    assert (orden["costo_final"], orden["diagnostico"], orden["fecha_entrega"], orden["adeudo"]) == (
        None,
        None,
        None,
        0,
    )
    assert len(orden["historial"]) == 1
    first = orden["historial"][0]
    assert first["de_estado"] is None and first["a_estado"] == "recibido" and first["fecha"].endswith("Z")
    assert orden["partes"] == [] and orden["total_partes"] == 0
    assert orden["siguientes_estados"] == ["diagnostico", "cancelado"]
    assert api.ok("GET", f"/ordenes/{orden['id']}") == orden


def test_intake_defaults(api, cliente):
    orden = make_orden(api, cliente["id"])
    assert (orden["garantia_dias"], orden["prioridad"], orden["anticipo"], orden["condicion"]) == (90, "normal", 0, [])
    assert make_orden(api, cliente["id"], garantia_dias=0)["garantia_dias"] == 0
    assert make_orden(api, cliente["id"], garantia_dias=30)["garantia_dias"] == 30


def test_folios_increase_by_one(api, cliente):
    folios = [make_orden(api, cliente["id"])["folio"] for _ in range(5)]
    assert folios == list(range(folios[0], folios[0] + 5))


def test_fecha_promesa_without_zone_is_shop_local_time(api, cliente):
    orden = make_orden(api, cliente["id"], fecha_promesa="2026-12-01T17:00:00")
    expected = dt.datetime(2026, 12, 1, 17, 0, tzinfo=ZoneInfo("America/Mexico_City")).astimezone(dt.UTC)
    assert orden["fecha_promesa"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    utc = make_orden(api, cliente["id"], fecha_promesa="2026-12-01T17:00:00Z")
    assert utc["fecha_promesa"] == "2026-12-01T17:00:00.000000Z"


def test_intake_for_unknown_customer(api):
    error = assert_error(
        api.post("/ordenes", json={"cliente_id": str(uuid.uuid4()), "equipo": "pc", "falla_reportada": "x"}),
        404,
        "no_encontrado",
    )
    assert "cliente_id" in error["fields"]


def test_unknown_order_is_404_everywhere(api):
    missing = str(uuid.uuid4())
    assert_error(api.get(f"/ordenes/{missing}"), 404, "no_encontrado")
    assert_error(api.put(f"/ordenes/{missing}", json={"diagnostico": "x"}), 404)
    assert_error(cambiar_estado(api, missing, "diagnostico"), 404)
    assert_error(
        api.post(f"/ordenes/{missing}/partes", json={"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1}),
        404,
    )


# --- edits -------------------------------------------------------------------------------------


def test_update_diagnosis_estimate_and_final_cost(api, cliente):
    orden = make_orden(api, cliente["id"], condicion=CONDICION)
    updated = api.ok(
        "PUT",
        f"/ordenes/{orden['id']}",
        json={
            "diagnostico": "Display dañado; flex OK",
            "presupuesto": 1850.75,
            "costo_final": 1800,
            "tecnico_id": "tec-1",
            "condicion": CONDICION[:2],
            "version": 1,
        },
    )
    assert updated["version"] == 2
    assert (updated["diagnostico"], updated["presupuesto"], updated["costo_final"], updated["tecnico_id"]) == (
        "Display dañado; flex OK",
        1850.75,
        1800,
        "tec-1",
    )
    assert updated["condicion"] == CONDICION[:2]
    assert updated["falla_reportada"] == orden["falla_reportada"] and updated["estado"] == "recibido"
    assert updated["saldo"] == 1800
    assert api.ok("GET", f"/ordenes/{orden['id']}") == updated
    # The state does not change through PUT /ordenes/{id}.
    assert_error(api.put(f"/ordenes/{orden['id']}", json={"estado": "listo"}), 422)
    # Nulling a required field is refused; an optional one may be cleared.
    assert_error(api.put(f"/ordenes/{orden['id']}", json={"falla_reportada": None}), 422)
    cleared = api.ok("PUT", f"/ordenes/{orden['id']}", json={"costo_final": None})
    assert cleared["costo_final"] is None and cleared["version"] == 3


def test_update_with_stale_version(api, cliente):
    orden = make_orden(api, cliente["id"])
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "uno"})
    assert_error(api.put(f"/ordenes/{orden['id']}", json={"diagnostico": "dos", "version": 1}), 409, "version_obsoleta")
    assert_error(
        api.put(f"/ordenes/{orden['id']}", json={"diagnostico": "dos"}, headers={"If-Match": '"1"'}),
        409,
        "version_obsoleta",
    )
    current = api.ok("GET", f"/ordenes/{orden['id']}")
    assert current["diagnostico"] == "uno" and current["version"] == 2
    assert (
        api.ok("PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "tres"}, headers={"If-Match": '"2"'})["version"]
        == 3
    )


def test_estado_change_with_stale_version(api, cliente):
    orden = make_orden(api, cliente["id"])
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"notas": "x"})
    assert_error(cambiar_estado(api, orden["id"], "diagnostico", version=1), 409, "version_obsoleta")
    current = api.ok("GET", f"/ordenes/{orden['id']}")
    assert current["estado"] == "recibido" and len(current["historial"]) == 1
    assert cambiar_estado(api, orden["id"], "diagnostico", version=2).json()["version"] == 3


def test_move_order_to_another_customer(api, cliente, unique):
    otro = make_cliente(api, nombre=f"Nuevo dueño {unique}")
    orden = make_orden(api, cliente["id"])
    moved = api.ok("PUT", f"/ordenes/{orden['id']}", json={"cliente_id": otro["id"]})
    assert moved["cliente_id"] == otro["id"] and moved["cliente_nombre"] == otro["nombre"]
    assert_error(api.put(f"/ordenes/{orden['id']}", json={"cliente_id": str(uuid.uuid4())}), 404)
    assert api.ok("GET", f"/ordenes/{orden['id']}")["cliente_id"] == otro["id"]


def test_closed_order_cannot_be_edited(api, cliente):
    orden = make_orden(api, cliente["id"])
    cancelled = cambiar_estado(api, orden["id"], "cancelado").json()
    assert_error(api.put(f"/ordenes/{orden['id']}", json={"notas": "x"}), 409, "orden_cerrada")
    assert_error(
        api.post(
            f"/ordenes/{orden['id']}/partes", json={"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1}
        ),
        409,
        "orden_cerrada",
    )
    assert api.ok("GET", f"/ordenes/{orden['id']}") == cancelled


# --- parts and labor ---------------------------------------------------------------------------


def test_part_consumes_stock_through_the_ledger(api, cliente):
    producto = make_producto(api, stock=5, precio=350)
    orden = make_orden(api, cliente["id"])
    with_part = api.ok(
        "POST",
        f"/ordenes/{orden['id']}/partes",
        201,
        json={"tipo": "parte", "producto_id": producto["id"], "cantidad": 2},
    )
    assert with_part["version"] == 2
    [parte] = with_part["partes"]
    assert (
        parte["tipo"],
        parte["producto_id"],
        parte["descripcion"],
        parte["cantidad"],
        parte["precio_unitario"],
        parte["importe"],
    ) == ("parte", producto["id"], producto["nombre"], 2, 350, 700)
    assert stock_of(api, producto["id"]) == 3
    page = assert_ledger_consistent(api, producto["id"])
    last = page["items"][0]
    assert (last["delta"], last["motivo"], last["referencia"], last["stock_resultante"]) == (
        -2,
        "orden",
        orden["id"],
        3,
    )
    assert str(orden["folio"]) in last["nota"]

    labor = api.ok(
        "POST",
        f"/ordenes/{orden['id']}/partes",
        201,
        json={"tipo": "mano_obra", "descripcion": "Cambio de pantalla", "precio_unitario": 400},
    )
    assert [p["tipo"] for p in labor["partes"]] == ["parte", "mano_obra"]
    assert labor["partes"][1]["producto_id"] is None and labor["partes"][1]["importe"] == 400
    assert labor["total_partes"] == 1100
    assert stock_of(api, producto["id"]) == 3
    # A part at a price of its own.
    priced = api.ok(
        "POST",
        f"/ordenes/{orden['id']}/partes",
        201,
        json={
            "tipo": "parte",
            "producto_id": producto["id"],
            "precio_unitario": 300,
            "descripcion": "Pantalla (promo)",
        },
    )
    assert priced["partes"][2]["precio_unitario"] == 300 and priced["partes"][2]["descripcion"] == "Pantalla (promo)"
    assert priced["total_partes"] == 1400 and stock_of(api, producto["id"]) == 2
    assert api.ok("GET", f"/ordenes/{orden['id']}") == priced


def test_part_with_insufficient_stock_writes_nothing(api, cliente):
    producto = make_producto(api, stock=1)
    orden = make_orden(api, cliente["id"])
    before_kardex = kardex(api, producto["id"])
    error = assert_error(
        api.post(
            f"/ordenes/{orden['id']}/partes", json={"tipo": "parte", "producto_id": producto["id"], "cantidad": 2}
        ),
        409,
        "stock_insuficiente",
    )
    assert producto["nombre"] in error["message"]
    assert api.ok("GET", f"/ordenes/{orden['id']}") == orden
    assert kardex(api, producto["id"]) == before_kardex


@pytest.mark.parametrize(
    "body, status",
    [
        ({"tipo": "parte"}, 422),
        ({"tipo": "parte", "producto_id": "no-existe"}, 404),
        ({"tipo": "mano_obra", "descripcion": "Limpieza"}, 422),
        ({"tipo": "mano_obra", "precio_unitario": 100}, 422),
        ({"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1, "producto_id": "PRODUCTO"}, 422),
        ({"tipo": "refaccion", "descripcion": "x", "precio_unitario": 1}, 422),
        ({"tipo": "parte", "producto_id": "PRODUCTO", "cantidad": 0}, 422),
        ({"tipo": "parte", "producto_id": "PRODUCTO", "cantidad": -1}, 422),
    ],
)
def test_invalid_parts_write_nothing(api, cliente, body, status):
    producto = make_producto(api, stock=3)
    body = {k: producto["id"] if v == "PRODUCTO" else v for k, v in body.items()}
    orden = make_orden(api, cliente["id"])
    before = kardex(api, producto["id"])
    assert_error(api.post(f"/ordenes/{orden['id']}/partes", json=body), status)
    assert api.ok("GET", f"/ordenes/{orden['id']}") == orden
    assert kardex(api, producto["id"]) == before


# --- list filters --------------------------------------------------------------------------------


def test_list_filters(api, unique):
    ana = make_cliente(api, nombre=f"Ána Filtro {unique}")
    beto = make_cliente(api, nombre=f"Beto Filtro {unique}")
    tecnico = f"tec-{unique}"
    o1 = make_orden(api, ana["id"], equipo="laptop", marca="Lenovo", numero_serie=f"SN{unique}A")
    o2 = make_orden(api, ana["id"], equipo="consola", marca="Sony", tecnico_id=tecnico)
    o3 = make_orden(api, beto["id"], equipo="consola", marca="Nintendo", tecnico_id=tecnico)
    drive_to(api, o2["id"], "en_reparacion")

    assert ids(api.ok("GET", "/ordenes", params={"cliente_id": ana["id"]})) == [o2["id"], o1["id"]]  # newest first
    assert ids(api.ok("GET", "/ordenes", params={"tecnico_id": tecnico})) == [o3["id"], o2["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"tecnico_id": tecnico, "estado": "en_reparacion"})) == [o2["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"cliente_id": ana["id"], "estado": "recibido"})) == [o1["id"]]
    assert api.ok("GET", "/ordenes", params={"cliente_id": beto["id"], "estado": "listo"})["items"] == []
    listos = api.ok("GET", "/ordenes", params={"estado": "en_reparacion", "limit": 500})
    assert o2["id"] in ids(listos) and all(o["estado"] == "en_reparacion" for o in listos["items"])
    # q: customer name (accent-insensitive), serial number, equipment, brand, folio.
    assert ids(api.ok("GET", "/ordenes", params={"q": f"ana filtro {unique}"})) == [o2["id"], o1["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"q": f"sn{unique}a"})) == [o1["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"q": f"consola {unique}"})) == [o3["id"], o2["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"q": f"nintendo {unique}"})) == [o3["id"]]
    by_folio = api.ok("GET", "/ordenes", params={"q": str(o3["folio"])})
    assert ids(by_folio)[0] == o3["id"]  # the newest order with that number in its text: its own folio
    page = api.ok("GET", "/ordenes", params={"q": unique, "limit": 2})
    assert page["has_more"] is True and ids(page) == [o3["id"], o2["id"]]
    assert ids(api.ok("GET", "/ordenes", params={"q": unique, "limit": 2, "offset": 2})) == [o1["id"]]
    item = api.ok("GET", "/ordenes", params={"q": f"sn{unique}a"})["items"][0]
    assert item["cliente_nombre"] == ana["nombre"] and item["folio"] == o1["folio"]


def test_search_finds_an_order_by_serial_number_or_imei(api, unique):
    """At the counter a device is often known only by the IMEI on its label (*#06#), typed with or
    without dashes, or by the last digits of it."""
    digits = f"{random.randrange(10**13, 10**14)}"
    imei = f"{digits[:2]}-{digits[2:8]}-{digits[8:]}-7"  # 15 digits as the box prints them
    cliente = make_cliente(api, nombre=f"Serie {unique}")
    celular = make_orden(api, cliente["id"], marca="Motorola", numero_serie=imei)
    laptop = make_orden(api, cliente["id"], equipo="laptop", numero_serie=f"pf{unique}X")
    for q in (imei, digits + "7", digits[-6:] + "7", imei.lower()):
        assert ids(api.ok("GET", "/ordenes", params={"q": q})) == [celular["id"]], q
    assert ids(api.ok("GET", "/ordenes", params={"q": f"PF{unique}x"})) == [laptop["id"]]  # case-insensitive
    # A corrected serial is searchable at once; the old one no longer finds the order.
    api.ok("PUT", f"/ordenes/{laptop['id']}", json={"numero_serie": f"PG{unique}Y"})
    assert ids(api.ok("GET", "/ordenes", params={"q": f"pg{unique}y"})) == [laptop["id"]]
    assert api.ok("GET", "/ordenes", params={"q": f"pf{unique}x"})["items"] == []


# --- the state machine -------------------------------------------------------------------------

PAIRS = list(itertools.product(ESTADOS, ESTADOS))


def test_spec_and_code_agree_on_transitions():
    from appliance.shop.ordenes import TRANSITIONS as CODE

    assert {k: set(v) for k, v in CODE.items()} == TRANSITIONS


@pytest.mark.parametrize("origen, destino", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition(api, cliente, origen, destino):
    # costo_final 0 so that a delivery has nothing to charge.
    orden = make_orden(api, cliente["id"], costo_final=0)
    orden = drive_to(api, orden["id"], origen)
    assert set(orden["siguientes_estados"]) == TRANSITIONS[origen]
    response = cambiar_estado(api, orden["id"], destino, nota=f"de {origen} a {destino}")
    if destino in TRANSITIONS[origen]:
        assert response.status_code == 200, response.text
        after = response.json()
        assert after["estado"] == destino and after["version"] == orden["version"] + 1
        assert len(after["historial"]) == len(orden["historial"]) + 1
        last = after["historial"][-1]
        assert (last["de_estado"], last["a_estado"], last["nota"]) == (origen, destino, f"de {origen} a {destino}")
        assert set(after["siguientes_estados"]) == TRANSITIONS[destino]
        assert api.ok("GET", f"/ordenes/{orden['id']}") == after
    else:
        error = assert_error(response, 409, "transicion_invalida")
        for allowed in TRANSITIONS[origen]:
            assert allowed in error["message"], error["message"]
        if not TRANSITIONS[origen]:
            assert "ninguno" in error["message"]
        assert origen in error["message"] and destino in error["message"]
        after = api.ok("GET", f"/ordenes/{orden['id']}")
        assert after == orden  # version, estado, history: untouched


def test_transition_history_keeps_the_whole_path(api, cliente):
    orden = make_orden(api, cliente["id"], costo_final=0)
    path = [
        "diagnostico",
        "esperando_aprobacion",
        "en_reparacion",
        "esperando_refaccion",
        "en_reparacion",
        "esperando_refaccion",
        "en_reparacion",
        "listo",
        "entregado",
    ]
    for estado in path:
        assert cambiar_estado(api, orden["id"], estado).status_code == 200
    final = api.ok("GET", f"/ordenes/{orden['id']}")
    pairs = [(h["de_estado"], h["a_estado"]) for h in final["historial"]]
    assert pairs == list(zip([None, "recibido", *path[:-1]], ["recibido", *path], strict=True))
    assert final["version"] == 1 + len(path)
    assert final["fecha_entrega"] is not None and final["siguientes_estados"] == []


def test_unknown_estado_is_422(api, cliente):
    orden = make_orden(api, cliente["id"])
    error = assert_error(cambiar_estado(api, orden["id"], "reparado"), 422)
    assert "estado" in error["fields"]
    assert api.ok("GET", f"/ordenes/{orden['id']}") == orden


# --- delivery rules ----------------------------------------------------------------------------


def test_delivery_needs_final_cost(api, cliente):
    orden = make_orden(api, cliente["id"])
    listo = drive_to(api, orden["id"], "listo")
    error = assert_error(cambiar_estado(api, orden["id"], "entregado"), 409, "sin_costo_final")
    assert str(orden["folio"]) in error["message"]
    assert api.ok("GET", f"/ordenes/{orden['id']}") == listo


def test_delivery_with_balance_is_refused_unless_recorded_as_owed(api, cliente):
    orden = make_orden(api, cliente["id"], anticipo=100, costo_final=500)
    listo = drive_to(api, orden["id"], "listo")
    assert listo["saldo"] == 400
    error = assert_error(cambiar_estado(api, orden["id"], "entregado"), 409, "saldo_pendiente")
    assert "400.00" in error["message"]
    assert api.ok("GET", f"/ordenes/{orden['id']}") == listo
    delivered = cambiar_estado(api, orden["id"], "entregado", registrar_adeudo=True, nota="Paga el viernes")
    assert delivered.status_code == 200, delivered.text
    delivered = delivered.json()
    assert delivered["estado"] == "entregado" and delivered["adeudo"] == 400 and delivered["saldo"] == 400
    assert delivered["fecha_entrega"] is not None
    assert delivered["historial"][-1]["nota"] == "Paga el viernes"


def test_delivery_after_paying_the_balance_with_a_sale(api, cliente):
    orden = make_orden(api, cliente["id"], anticipo=100, costo_final=500)
    drive_to(api, orden["id"], "listo")
    service = {"descripcion": f"Reparación orden {orden['folio']}", "cantidad": 1}
    partial = api.ok(
        "POST", "/ventas", 201, json={"orden_id": orden["id"], "items": [{**service, "precio_unitario": 150}]}
    )
    assert partial["cliente_id"] == cliente["id"] and partial["orden_id"] == orden["id"]
    assert api.ok("GET", f"/ordenes/{orden['id']}")["saldo"] == 250
    assert_error(cambiar_estado(api, orden["id"], "entregado"), 409, "saldo_pendiente")
    api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "orden_id": orden["id"],
            "items": [{**service, "precio_unitario": 250}],
            "pagos": [{"metodo": "tarjeta", "monto": 250}],
        },
    )
    paid = api.ok("GET", f"/ordenes/{orden['id']}")
    assert (paid["pagado"], paid["saldo"]) == (400, 0)
    delivered = cambiar_estado(api, orden["id"], "entregado")
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["adeudo"] == 0 and delivered.json()["saldo"] == 0


def test_product_lines_do_not_pay_the_repair_and_cancelled_sales_stop_counting(api, cliente):
    producto = make_producto(api, stock=5, precio=300)
    orden = make_orden(api, cliente["id"], costo_final=300)
    drive_to(api, orden["id"], "listo")
    api.ok(
        "POST",
        "/ventas",
        201,
        json={"orden_id": orden["id"], "items": [{"producto_id": producto["id"], "cantidad": 1}]},
    )
    assert api.ok("GET", f"/ordenes/{orden['id']}")["saldo"] == 300
    pago = api.ok(
        "POST",
        "/ventas",
        201,
        json={"orden_id": orden["id"], "items": [{"descripcion": "Reparación", "cantidad": 1, "precio_unitario": 300}]},
    )
    assert api.ok("GET", f"/ordenes/{orden['id']}")["saldo"] == 0
    api.ok("POST", f"/ventas/{pago['id']}/cancelar", json={"motivo": "Se cobró dos veces"})
    assert api.ok("GET", f"/ordenes/{orden['id']}")["saldo"] == 300
    assert_error(cambiar_estado(api, orden["id"], "entregado"), 409, "saldo_pendiente")


def test_rejection_path_returns_the_device_unrepaired(api, cliente):
    orden = make_orden(api, cliente["id"])
    drive_to(api, orden["id"], "esperando_aprobacion")
    rejected = cambiar_estado(api, orden["id"], "listo", nota="El cliente no aceptó el presupuesto")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["historial"][-1]["de_estado"] == "esperando_aprobacion"
    api.ok("PUT", f"/ordenes/{orden['id']}", json={"costo_final": 0})
    delivered = cambiar_estado(api, orden["id"], "entregado")
    assert delivered.status_code == 200 and delivered.json()["estado"] == "entregado"


def test_sale_for_a_cancelled_order_is_refused(api, cliente):
    orden = make_orden(api, cliente["id"])
    cambiar_estado(api, orden["id"], "cancelado")
    assert_error(
        api.post(
            "/ventas",
            json={"orden_id": orden["id"], "items": [{"descripcion": "x", "cantidad": 1, "precio_unitario": 10}]},
        ),
        409,
        "orden_cerrada",
    )
    assert_error(
        api.post(
            "/ventas",
            json={"orden_id": str(uuid.uuid4()), "items": [{"descripcion": "x", "cantidad": 1, "precio_unitario": 10}]},
        ),
        404,
    )


def test_deactivated_product_cannot_be_used_as_a_part(api, unique):
    producto = make_producto(api, stock=3)
    api.ok("PUT", f"/inventario/{producto['id']}", json={"activo": False})
    orden = make_orden(api, make_cliente(api)["id"])
    error = assert_error(
        api.post(f"/ordenes/{orden['id']}/partes", json={"tipo": "parte", "producto_id": producto["id"]}),
        409,
        "producto_inactivo",
    )
    assert producto["nombre"] in error["message"]
    assert api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 3
    assert api.ok("GET", f"/ordenes/{orden['id']}")["partes"] == []


def test_an_exact_folio_finds_only_that_order(api):
    cliente = make_cliente(api)
    first = make_orden(api, cliente["id"])
    make_orden(api, cliente["id"])
    found = api.ok("GET", "/ordenes", params={"folio": first["folio"]})["items"]
    assert [o["id"] for o in found] == [first["id"]]
    assert api.ok("GET", "/ordenes", params={"folio": 2**52})["items"] == []
    assert_error(api.get("/ordenes", params={"folio": 0}), 422)
