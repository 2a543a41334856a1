"""Malformed and hostile input: always a 4xx with the error shape, and nothing written.

Each refused request is checked twice for "no change": the records this module
made, read back through the API, and the database file itself (row counts,
change-log sequence, folios and SQLite's data_version, which moves on any
commit by another connection).
"""

from __future__ import annotations

import json
import uuid

import pytest
from helpers import DbWatch, assert_error, kardex, make_cliente, make_orden, make_producto, token

MARKER = f"val{token()}"


@pytest.fixture(scope="module")
def server(app_server):
    """The matrix runs in-process: the same app and database code, without a socket per request."""
    return app_server


@pytest.fixture(scope="module")
def world(module_api):
    api = module_api
    cliente = make_cliente(api, nombre=f"Validación {MARKER}", telefono="555-0000")
    producto = make_producto(api, nombre=f"Producto {MARKER}", codigo=f"COD-{MARKER}", stock=5, precio=100)
    orden = make_orden(api, cliente["id"], marca=MARKER)
    venta = api.ok(
        "POST",
        "/ventas",
        201,
        json={"cliente_id": cliente["id"], "items": [{"producto_id": producto["id"], "cantidad": 1}]},
    )
    return {"cliente": cliente["id"], "producto": producto["id"], "orden": orden["id"], "venta": venta["id"]}


@pytest.fixture(scope="module")
def watch(server):
    db = DbWatch(server.db_path)
    yield db
    db.close()


def snapshot(api, world):
    # The customer's history holds the customer, its orders and its sales; the
    # kardex holds the product and its ledger.
    return {
        "historial": api.ok("GET", f"/clientes/{world['cliente']}/historial"),
        "kardex": kardex(api, world["producto"]),
        "orden": api.ok("GET", f"/ordenes/{world['orden']}"),
        "venta": api.ok("GET", f"/ventas/{world['venta']}"),
    }


@pytest.fixture
def refused(module_api, world, watch):
    """refused(method, path, status, code=None, **request_kwargs) -> error, asserting nothing changed."""

    def check(method, path, status, code=None, **kwargs):
        path = path.format(**world)
        before_api, before_db = snapshot(module_api, world), watch.state()
        response = module_api.request(method, path, **kwargs)
        error = assert_error(response, status, code)
        assert watch.state() == before_db, f"{method} {path} wrote to the database"
        assert snapshot(module_api, world) == before_api
        return error

    return check


# The write endpoints, each with a body it would accept.
def valid_bodies(world):
    return {
        ("POST", "/clientes"): {"nombre": f"Nuevo {MARKER}"},
        ("PUT", "/clientes/{cliente}"): {"notas": "cambio"},
        ("POST", "/inventario"): {"nombre": f"Nuevo {MARKER}", "precio_venta": 10},
        ("PUT", "/inventario/{producto}"): {"precio_venta": 10},
        ("PUT", "/inventario/{producto}/stock"): {"motivo": "compra", "cantidad": 1},
        ("POST", "/ordenes"): {"cliente_id": world["cliente"], "equipo": "pc", "falla_reportada": "No arranca"},
        ("PUT", "/ordenes/{orden}"): {"diagnostico": "x"},
        ("PUT", "/ordenes/{orden}/estado"): {"estado": "diagnostico"},
        ("POST", "/ordenes/{orden}/partes"): {"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1},
        ("POST", "/ventas"): {
            "cliente_id": world["cliente"],
            "items": [{"producto_id": world["producto"], "cantidad": 1}],
        },
        ("POST", "/ventas/cotizar"): {"items": [{"producto_id": world["producto"], "cantidad": 1}]},
        ("POST", "/ventas/{venta}/cancelar"): {"motivo": "x"},
        ("PUT", "/taller"): {"nombre": f"Taller {MARKER}"},
    }


ENDPOINTS = [
    ("POST", "/clientes"),
    ("PUT", "/clientes/{cliente}"),
    ("POST", "/inventario"),
    ("PUT", "/inventario/{producto}"),
    ("PUT", "/inventario/{producto}/stock"),
    ("POST", "/ordenes"),
    ("PUT", "/ordenes/{orden}"),
    ("PUT", "/ordenes/{orden}/estado"),
    ("POST", "/ordenes/{orden}/partes"),
    ("POST", "/ventas"),
    ("POST", "/ventas/cotizar"),
    ("POST", "/ventas/{venta}/cancelar"),
    ("PUT", "/taller"),
]
ENDPOINT_IDS = [f"{m} {p}" for m, p in ENDPOINTS]
JSON = {"Content-Type": "application/json"}

MALFORMED = [
    b'{"nombre":',
    b"{",
    b"{'nombre': 'x'}",
    b'{"nombre": "x",}',
    b"nul",
    b'{"a": NaN}',
    b'{"a": 1e999}',
    b"\xff\xfe{}",
    b'{"nombre": "\xff"}',
    b"[" * 5000 + b"]" * 5000,
]


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_malformed_json(refused, method, path):
    for body in MALFORMED:
        refused(method, path, 400, "json_invalido", data=body, headers=JSON)


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_not_json_content_type(refused, world, method, path):
    valid = json.dumps(valid_bodies(world)[(method, path)])
    refused(method, path, 415, "tipo_no_soportado", data=valid, headers={"Content-Type": "text/plain"})
    refused(method, path, 415, "tipo_no_soportado", data={"nombre": "x"})  # form-encoded
    refused(method, path, 415, "tipo_no_soportado", data=valid.encode())  # no Content-Type at all


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_body_must_be_an_object(refused, world, method, path):
    valid = valid_bodies(world)[(method, path)]
    for body in ([valid], [], "x", json.dumps(valid), 42, True, None):
        error = refused(method, path, 422, data=json.dumps(body), headers=JSON)
        assert "cuerpo" in error["fields"], body


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_empty_body(refused, method, path):
    error = refused(method, path, 422, "validacion", data=b"", headers=JSON)
    assert "cuerpo" in error["fields"]


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_unknown_field(refused, world, method, path):
    body = {**valid_bodies(world)[(method, path)], "campo_raro": 1}
    error = refused(method, path, 422, json=body)
    assert error["fields"] == {"campo_raro": "Campo desconocido."}
    assert "campo_raro" in error["message"]


# A free-text field of each endpoint's body.
TEXT_FIELD = {
    ("POST", "/clientes"): "nombre",
    ("PUT", "/clientes/{cliente}"): "notas",
    ("POST", "/inventario"): "nombre",
    ("PUT", "/inventario/{producto}"): "categoria",
    ("PUT", "/inventario/{producto}/stock"): "nota",
    ("POST", "/ordenes"): "falla_reportada",
    ("PUT", "/ordenes/{orden}"): "diagnostico",
    ("PUT", "/ordenes/{orden}/estado"): "nota",
    ("POST", "/ordenes/{orden}/partes"): "descripcion",
    ("POST", "/ventas"): "notas",
    ("POST", "/ventas/cotizar"): "notas",
    ("POST", "/ventas/{venta}/cancelar"): "motivo",
    ("PUT", "/taller"): "garantia",
}


@pytest.mark.parametrize("method, path", ENDPOINTS, ids=ENDPOINT_IDS)
def test_lone_surrogate(refused, world, method, path):
    valid = valid_bodies(world)[(method, path)]
    raw = json.dumps({**valid, TEXT_FIELD[(method, path)]: "@@"}).replace('"@@"', '"\\ud800"').encode()
    assert b"\\ud800" in raw
    refused(method, path, 400, "json_invalido", data=raw, headers=JSON)
    refused(method, path, 400, "json_invalido", data=b'{"\\ud800": 1}', headers=JSON)
    refused(method, path, 400, "json_invalido", data=b'{"nombre": "\\udc00\\ud800"}', headers=JSON)


def test_lone_surrogate_exact_case(refused):
    error = refused("POST", "/clientes", 400, "json_invalido", data=b'{"nombre":"\\ud800"}', headers=JSON)
    assert "sustitutos" in error["message"]


def test_surrogate_pair_is_fine(module_api):
    created = module_api.post(
        "/clientes", data=b'{"nombre":"Emoji \\ud83d\\ude00 ' + MARKER.encode() + b'"}', headers=JSON
    )
    assert created.status_code == 201 and created.json()["nombre"] == f"Emoji \U0001f600 {MARKER}"


# --- required fields, types, ranges, lengths: one table ---------------------------------------------

LONG = "x" * 5000

CASES = [
    # (method, path, body, field that must be blamed)
    ("POST", "/clientes", {}, "nombre"),
    ("POST", "/clientes", {"nombre": None}, "nombre"),
    ("POST", "/clientes", {"nombre": ""}, "nombre"),
    ("POST", "/clientes", {"nombre": "   "}, "nombre"),
    ("POST", "/clientes", {"nombre": "y" * 121}, "nombre"),
    ("POST", "/clientes", {"nombre": 123}, "nombre"),
    ("POST", "/clientes", {"nombre": ["a"]}, "nombre"),
    ("POST", "/clientes", {"nombre": {"a": 1}}, "nombre"),
    ("POST", "/clientes", {"nombre": "ok", "telefono": "llámame"}, "telefono"),
    ("POST", "/clientes", {"nombre": "ok", "email": "sin-arroba"}, "email"),
    ("POST", "/clientes", {"nombre": "ok", "rfc": "XYZ"}, "rfc"),
    ("POST", "/clientes", {"nombre": "ok", "notas": LONG}, "notas"),
    ("POST", "/clientes", {"nombre": "ok", "direccion": "d" * 301}, "direccion"),
    ("POST", "/clientes", {"nombre": "ok", "id": "no valido!"}, "id"),
    ("POST", "/clientes", {"nombre": "ok", "id": "a" * 65}, "id"),
    ("PUT", "/clientes/{cliente}", {"nombre": "y" * 121}, "nombre"),
    ("PUT", "/clientes/{cliente}", {"version": 0}, "version"),
    ("PUT", "/clientes/{cliente}", {"version": "uno"}, "version"),
    ("PUT", "/clientes/{cliente}", {"id": "otro"}, "id"),
    ("POST", "/inventario", {}, "nombre"),
    ("POST", "/inventario", {"nombre": "p" * 151}, "nombre"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": 10.005}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_compra": 0.001}, "precio_compra"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": -1}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": -0.01}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": 1e10}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": "diez"}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": True}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "precio_venta": [1]}, "precio_venta"),
    ("POST", "/inventario", {"nombre": "ok", "stock": -1}, "stock"),
    ("POST", "/inventario", {"nombre": "ok", "stock": 1.5}, "stock"),
    ("POST", "/inventario", {"nombre": "ok", "stock": "muchos"}, "stock"),
    ("POST", "/inventario", {"nombre": "ok", "stock": 10**30}, "stock"),
    ("POST", "/inventario", {"nombre": "ok", "stock_minimo": -5}, "stock_minimo"),
    ("POST", "/inventario", {"nombre": "ok", "activo": "quizás"}, "activo"),
    ("POST", "/inventario", {"nombre": "ok", "categoria": "c" * 61}, "categoria"),
    ("POST", "/inventario", {"nombre": "ok", "codigo": "c" * 65}, "codigo"),
    ("PUT", "/inventario/{producto}", {"precio_venta": 99.999}, "precio_venta"),
    ("PUT", "/inventario/{producto}", {"stock_minimo": -1}, "stock_minimo"),
    ("PUT", "/inventario/{producto}", {"stock": 3}, "stock"),
    ("PUT", "/inventario/{producto}/stock", {}, "motivo"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "robo", "cantidad": -1}, "motivo"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "compra", "cantidad": 1.5}, "cantidad"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "compra", "cantidad": "1x"}, "cantidad"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "compra", "cantidad": 10**7}, "cantidad"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "conteo", "stock": -3}, "stock"),
    ("PUT", "/inventario/{producto}/stock", {"motivo": "compra", "cantidad": 1, "nota": "n" * 301}, "nota"),
    ("POST", "/ordenes", {"equipo": "pc", "falla_reportada": "x"}, "cliente_id"),
    ("POST", "/ordenes", {"cliente_id": "{cliente}", "falla_reportada": "x"}, "equipo"),
    ("POST", "/ordenes", {"cliente_id": "{cliente}", "equipo": "pc"}, "falla_reportada"),
    ("POST", "/ordenes", {"cliente_id": "{cliente}", "equipo": "tostadora", "falla_reportada": "x"}, "equipo"),
    ("POST", "/ordenes", {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "f" * 2001}, "falla_reportada"),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "anticipo": -100},
        "anticipo",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "presupuesto": 1.234},
        "presupuesto",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "garantia_dias": -1},
        "garantia_dias",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "prioridad": "ya"},
        "prioridad",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "fecha_promesa": "mañana"},
        "fecha_promesa",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "condicion": "pantalla rota"},
        "condicion",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "condicion": [{"punto": "Pantalla"}]},
        "condicion.0.estado",
    ),
    (
        "POST",
        "/ordenes",
        {
            "cliente_id": "{cliente}",
            "equipo": "pc",
            "falla_reportada": "x",
            "condicion": [{"punto": "P", "estado": "ok", "extra": 1}],
        },
        "condicion.0.extra",
    ),
    (
        "POST",
        "/ordenes",
        {
            "cliente_id": "{cliente}",
            "equipo": "pc",
            "falla_reportada": "x",
            "condicion": [{"punto": "P", "estado": "ok"}] * 31,
        },
        "condicion",
    ),
    (
        "POST",
        "/ordenes",
        {"cliente_id": "{cliente}", "equipo": "pc", "falla_reportada": "x", "estado": "listo"},
        "estado",
    ),
    ("PUT", "/ordenes/{orden}", {"costo_final": 100.001}, "costo_final"),
    ("PUT", "/ordenes/{orden}", {"costo_final": -1}, "costo_final"),
    ("PUT", "/ordenes/{orden}", {"diagnostico": LONG}, "diagnostico"),
    ("PUT", "/ordenes/{orden}", {"equipo": "ovni"}, "equipo"),
    ("PUT", "/ordenes/{orden}/estado", {}, "estado"),
    ("PUT", "/ordenes/{orden}/estado", {"estado": "reparado"}, "estado"),
    ("PUT", "/ordenes/{orden}/estado", {"estado": "DIAGNOSTICO"}, "estado"),
    ("PUT", "/ordenes/{orden}/estado", {"estado": None}, "estado"),
    ("PUT", "/ordenes/{orden}/estado", {"estado": "diagnostico", "registrar_adeudo": "tal vez"}, "registrar_adeudo"),
    ("PUT", "/ordenes/{orden}/estado", {"estado": "diagnostico", "nota": "n" * 1001}, "nota"),
    ("POST", "/ordenes/{orden}/partes", {}, "tipo"),
    (
        "POST",
        "/ordenes/{orden}/partes",
        {"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1.005},
        "precio_unitario",
    ),
    (
        "POST",
        "/ordenes/{orden}/partes",
        {"tipo": "mano_obra", "descripcion": "x", "precio_unitario": -1},
        "precio_unitario",
    ),
    (
        "POST",
        "/ordenes/{orden}/partes",
        {"tipo": "mano_obra", "descripcion": "d" * 201, "precio_unitario": 1},
        "descripcion",
    ),
    ("POST", "/ordenes/{orden}/partes", {"tipo": "parte", "producto_id": "{producto}", "cantidad": 0}, "cantidad"),
    ("POST", "/ordenes/{orden}/partes", {"tipo": "parte", "producto_id": "{producto}", "cantidad": -2}, "cantidad"),
    ("POST", "/ventas", {}, "items"),
    ("POST", "/ventas", {"items": []}, "items"),
    ("POST", "/ventas", {"items": {"producto_id": "{producto}", "cantidad": 1}}, "items"),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}"}]}, "items.0.cantidad"),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}", "cantidad": 0}]}, "items.0.cantidad"),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}", "cantidad": -1}]}, "items.0.cantidad"),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1, "precio_unitario": 10.005}]},
        "items.0.precio_unitario",
    ),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1, "descuento": -5}]},
        "items.0.descuento",
    ),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}", "cantidad": 1, "extra": True}]}, "items.0.extra"),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}", "cantidad": 1}] * 101}, "items"),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1}], "pagos": [{"metodo": "cheque", "monto": 100}]},
        "pagos.0.metodo",
    ),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1}], "pagos": [{"metodo": "efectivo", "monto": 0}]},
        "pagos.0.monto",
    ),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1}], "pagos": [{"metodo": "efectivo", "monto": -100}]},
        "pagos.0.monto",
    ),
    (
        "POST",
        "/ventas",
        {"items": [{"producto_id": "{producto}", "cantidad": 1}], "pagos": [{"metodo": "efectivo", "monto": 100.001}]},
        "pagos.0.monto",
    ),
    ("POST", "/ventas", {"items": [{"producto_id": "{producto}", "cantidad": 1}], "notas": "n" * 501}, "notas"),
    ("POST", "/ventas/{venta}/cancelar", {}, "motivo"),
    ("POST", "/ventas/{venta}/cancelar", {"motivo": ""}, "motivo"),
    ("POST", "/ventas/{venta}/cancelar", {"motivo": "m" * 301}, "motivo"),
    ("PUT", "/taller", {"nombre": "n" * 121}, "nombre"),
    ("PUT", "/taller", {"rfc": "XYZ"}, "rfc"),
    ("PUT", "/taller", {"telefono": "llámame"}, "telefono"),
    ("PUT", "/taller", {"garantia": LONG}, "garantia"),
    ("PUT", "/taller", {"pie_ticket": "p" * 501}, "pie_ticket"),
    ("PUT", "/taller", {"nombre": 7}, "nombre"),
    ("PUT", "/taller", {"version": 0}, "version"),
]
# A quote takes the very body of a sale: refused alike.
CASES += [("POST", "/ventas/cotizar", body, field) for method, path, body, field in CASES if path == "/ventas"]


def _fill(value, world):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in world:
        return world[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize(
    "method, path, body, field", CASES, ids=[f"{m} {p} {f} #{i}" for i, (m, p, _, f) in enumerate(CASES)]
)
def test_invalid_field(refused, world, method, path, body, field):
    error = refused(method, path, 422, "validacion", json=_fill(body, world))
    assert field in error["fields"], error
    assert error["message"].startswith("Revisa los datos")


def test_boundaries_are_accepted(module_api, world):
    """The limits themselves are valid: this is what the refusals above are measured against."""
    api = module_api
    created = api.ok("POST", "/clientes", 201, json={"nombre": ("n" * 110 + MARKER)[:120]})
    assert len(created["nombre"]) == 120
    producto = api.ok(
        "POST",
        "/inventario",
        201,
        json={"nombre": f"Borde {MARKER}", "precio_venta": 99999999.99, "precio_compra": 0.01, "stock": 0},
    )
    assert producto["precio_venta"] == 99999999.99 and producto["precio_compra"] == 0.01
    assert (
        api.ok("POST", "/inventario", 201, json={"nombre": f"Borde2 {MARKER}", "precio_venta": 10.10})["precio_venta"]
        == 10.1
    )


def test_money_fields_keep_exact_cents(module_api, world):
    producto = module_api.ok(
        "POST",
        "/inventario",
        201,
        json={"nombre": f"Centavos {MARKER}", "precio_venta": 0.07, "precio_compra": 19.99, "stock": 3},
    )
    venta = module_api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 3}]})
    assert venta["total"] == 0.21 and venta["subtotal"] + venta["iva"] == 0.21


# --- unknown ids, routes and methods ---------------------------------------------------------------

MISSING = str(uuid.uuid4())
UNKNOWN_IDS = [
    ("GET", f"/clientes/{MISSING}", None),
    ("PUT", f"/clientes/{MISSING}", {"notas": "x"}),
    ("DELETE", f"/clientes/{MISSING}", None),
    ("GET", f"/clientes/{MISSING}/historial", None),
    ("GET", f"/inventario/{MISSING}", None),
    ("PUT", f"/inventario/{MISSING}", {"nombre": "x"}),
    ("PUT", f"/inventario/{MISSING}/stock", {"motivo": "compra", "cantidad": 1}),
    ("GET", f"/inventario/{MISSING}/movimientos", None),
    ("GET", f"/ordenes/{MISSING}", None),
    ("PUT", f"/ordenes/{MISSING}", {"notas": "x"}),
    ("PUT", f"/ordenes/{MISSING}/estado", {"estado": "diagnostico"}),
    ("POST", f"/ordenes/{MISSING}/partes", {"tipo": "mano_obra", "descripcion": "x", "precio_unitario": 1}),
    ("GET", f"/ventas/{MISSING}", None),
    ("POST", f"/ventas/{MISSING}/cancelar", {"motivo": "x"}),
    ("POST", "/ordenes", {"cliente_id": MISSING, "equipo": "pc", "falla_reportada": "x"}),
    ("POST", "/ventas", {"items": [{"producto_id": MISSING, "cantidad": 1}]}),
    ("POST", "/ventas", {"cliente_id": MISSING, "items": [{"descripcion": "x", "cantidad": 1, "precio_unitario": 1}]}),
    ("POST", "/ventas", {"orden_id": MISSING, "items": [{"descripcion": "x", "cantidad": 1, "precio_unitario": 1}]}),
    ("POST", "/ordenes/{orden}/partes", {"tipo": "parte", "producto_id": MISSING}),
    ("PUT", "/ordenes/{orden}", {"cliente_id": MISSING}),
]


@pytest.mark.parametrize("method, path, body", UNKNOWN_IDS, ids=[f"{m} {p}" for m, p, _ in UNKNOWN_IDS])
def test_unknown_ids(refused, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    error = refused(method, path, 404, "no_encontrado", **kwargs)
    assert MISSING in error["message"]


@pytest.mark.parametrize(
    "path", ["/clientes/a%20b", "/clientes/" + "a" * 65, "/inventario/%C3%B1", "/ordenes/x;y", "/ventas/%00"]
)
def test_malformed_ids(refused, path):
    error = refused("GET", path, 422, "validacion")
    assert "id" in error["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/nada",
        "/clientes/x/y/z",
        "/inventario/x/precio",
        "/ventas/x/devolver",
        "/stats",
        "/stats/otro",
        "/clientes%00",
        "/" + "z" * 3000,
    ],
)
def test_unknown_routes(refused, path):
    refused("GET", path, 404, "ruta_no_encontrada")
    refused("POST", path, 404, "ruta_no_encontrada", json={"nombre": "x"})


@pytest.mark.parametrize(
    "method, path",
    [
        ("PATCH", "/clientes"),
        ("DELETE", "/clientes"),
        ("PUT", "/clientes"),
        ("POST", "/clientes/{cliente}"),
        ("PATCH", "/clientes/{cliente}"),
        ("DELETE", "/inventario/{producto}"),
        ("POST", "/inventario/{producto}/stock"),
        ("DELETE", "/ordenes/{orden}"),
        ("GET", "/ordenes/{orden}/estado"),
        ("GET", "/ordenes/{orden}/partes"),
        ("PUT", "/ventas/{venta}"),
        ("DELETE", "/ventas/{venta}"),
        ("GET", "/ventas/{venta}/cancelar"),
        ("POST", "/stats/dashboard"),
        ("POST", "/"),
        ("DELETE", "/inventario/{producto}/movimientos"),
    ],
)
def test_wrong_methods(refused, method, path):
    refused(method, path, 405, "metodo_no_permitido", json={"nombre": "x"})


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/clientes", {"limit": 0}, "limit"),
        ("/clientes", {"limit": 501}, "limit"),
        ("/clientes", {"limit": "x"}, "limit"),
        ("/clientes", {"offset": -1}, "offset"),
        ("/clientes", {"q": "q" * 101}, "q"),
        ("/inventario", {"bajo_stock": "quizás"}, "bajo_stock"),
        ("/inventario", {"categoria": "c" * 61}, "categoria"),
        ("/ordenes", {"estado": "perdido"}, "estado"),
        ("/ordenes", {"cliente_id": "no valido"}, "cliente_id"),
        ("/ventas", {"desde": "2026-13-01"}, "desde"),
        ("/ventas", {"hasta": "hoy"}, "hasta"),
        ("/ventas", {"estado": "pagada"}, "estado"),
        ("/inventario/{producto}/movimientos", {"limit": 501}, "limit"),
    ],
)
def test_invalid_query_parameters(refused, path, params, field):
    error = refused("GET", path, 422, "validacion", params=params)
    assert field in error["fields"]


def test_oversized_body(refused):
    refused("POST", "/clientes", 413, data=b'{"nombre": "' + b"x" * (1024 * 1024 + 10) + b'"}', headers=JSON)


def test_refused_business_rules_write_nothing(refused, module_api, world):
    """Domain refusals (409/422 after validation) roll back completely."""
    refused(
        "POST",
        "/ventas",
        409,
        "stock_insuficiente",
        json={
            "items": [
                {"producto_id": world["producto"], "cantidad": 1},
                {"producto_id": world["producto"], "cantidad": 1000},
            ]
        },
    )
    refused(
        "POST",
        "/ventas",
        422,
        "pago_insuficiente",
        json={
            "items": [{"producto_id": world["producto"], "cantidad": 1}],
            "pagos": [{"metodo": "efectivo", "monto": 1}],
        },
    )
    refused("PUT", "/inventario/{producto}/stock", 409, "stock_insuficiente", json={"motivo": "merma", "cantidad": -99})
    refused("PUT", "/ordenes/{orden}/estado", 409, "transicion_invalida", json={"estado": "entregado"})
    refused(
        "POST",
        "/ordenes/{orden}/partes",
        409,
        "stock_insuficiente",
        json={"tipo": "parte", "producto_id": world["producto"], "cantidad": 99},
    )
    refused("DELETE", "/clientes/{cliente}", 409, "cliente_con_ordenes_abiertas")
    refused("PUT", "/clientes/{cliente}", 409, "version_obsoleta", json={"notas": "x", "version": 999})
    refused("PUT", "/clientes/{cliente}", 422, json={"notas": "x"}, headers={"If-Match": "abc"})
    refused("POST", "/inventario", 409, "codigo_duplicado", json={"nombre": "x", "codigo": f"COD-{MARKER}"})
    refused("POST", "/clientes", 409, "ya_existe", json={"id": world["cliente"], "nombre": "x"})
