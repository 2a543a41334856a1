"""Hardening found by a security probe: each group below holds one rule of the fixed server.

1. Dates outside 2000-2099 are a 422, never a 500.
2. An op that fails unexpectedly inside /sync/push is that op's `rejected`, not a 500 for the batch.
3. Price overrides, big discounts and an order's final cost need the right role, and are audited.
4. Control characters are refused in text fields and query parameters.
5. Transport errors (too long, too many headers, too big, garbage) answer in the JSON error shape.
6. Clients that send their headers too slowly get a 408 and do not starve the others.
7. Disk-full and not-found messages are Spanish, useful, and reveal no paths.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import apsw
import pytest
import requests
from conftest import Api
from helpers import assert_error, make_cliente, make_orden, make_producto, stock_of, token
from serverproc import ROOT, ServerProcess, free_port


def _op(op_tipo: str, **datos) -> dict:
    return {"op_id": str(uuid.uuid4()), "tipo": op_tipo, "datos": datos}


def _push(api: Api, ops: list[dict], device: str = "caja-prueba") -> list[dict]:
    """POST /sync/push; the push itself must answer 200 with one result per op."""
    results = api.ok("POST", "/sync/push", json={"device_id": device, "ops": ops})["results"]
    assert [r["op_id"] for r in results] == [op["op_id"] for op in ops], results
    return results


def _staff(server: ServerProcess, owner: Api, rol: str) -> Api:
    username, password = f"{rol}.{token()}", f"clave-de-{rol}-1"
    owner.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": f"Prueba {rol}", "rol": rol, "password": password},
    )
    return Api(server.url, server.login(username, password), server.verify)


def _clientes_matching(api: Api, marker: str) -> list[dict]:
    return api.ok("GET", "/clientes", params={"q": marker, "limit": 500})["items"]


# --- 1. Dates: every date the API takes falls in 2000-2099 ---------------------------------------------


@pytest.mark.parametrize(
    "field, inside, outside",
    [
        ("hasta", "2099-12-31", "9999-12-31"),
        ("desde", "2000-01-01", "0001-01-01"),
        ("hasta", "2099-12-31", "2100-01-01"),
        ("desde", "2000-01-01", "1999-12-31"),
    ],
)
def test_ventas_date_filters_must_fall_in_2000_2099(api, field, inside, outside):
    assert api.get("/ventas", params={field: inside}).status_code == 200
    error = assert_error(api.get("/ventas", params={field: outside}), 422, "validacion")
    assert field in error["fields"], error


OUT_OF_RANGE_MOMENTS = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2100-01-01T00:00",
    "1999-12-31T12:00:00",
]


@pytest.mark.parametrize("moment", OUT_OF_RANGE_MOMENTS)
def test_new_order_fecha_promesa_must_fall_in_2000_2099(api, moment):
    cliente = make_cliente(api)
    body = {"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No enciende"}
    assert api.post("/ordenes", json={**body, "fecha_promesa": "2099-06-30T12:00:00-06:00"}).status_code == 201
    error = assert_error(api.post("/ordenes", json={**body, "fecha_promesa": moment}), 422, "validacion")
    assert "fecha_promesa" in error["fields"], error
    assert len(api.ok("GET", f"/clientes/{cliente['id']}/historial")["ordenes"]) == 1  # only the valid one


@pytest.mark.parametrize("moment", OUT_OF_RANGE_MOMENTS)
def test_order_update_fecha_promesa_must_fall_in_2000_2099(api, moment):
    orden = make_orden(api, make_cliente(api)["id"])
    error = assert_error(api.put(f"/ordenes/{orden['id']}", json={"fecha_promesa": moment}), 422, "validacion")
    assert "fecha_promesa" in error["fields"], error
    assert api.ok("GET", f"/ordenes/{orden['id']}")["version"] == orden["version"]


def test_pushed_order_with_an_extreme_fecha_promesa_is_rejected_not_a_500(api):
    cliente = make_cliente(api)
    orden_id = str(uuid.uuid4())
    response = api.post(
        "/sync/push",
        json={
            "device_id": "caja-fechas",
            "ops": [
                _op(
                    "orden.crear",
                    id=orden_id,
                    cliente_id=cliente["id"],
                    equipo="laptop",
                    falla_reportada="Pantalla",
                    fecha_promesa="9999-12-31T23:59:59-12:00",
                )
            ],
        },
    )
    assert response.status_code == 200, (response.status_code, response.text[:300])
    [result] = response.json()["results"]
    assert result["resultado"] == "rejected" and result["error"]["code"] == "validacion", result
    assert_error(api.get(f"/ordenes/{orden_id}"), 404)


@pytest.mark.parametrize(
    "field, outside",
    [
        ("hasta", "9999-12-31T00:00"),
        ("desde", "0001-01-01T00:00"),
        ("hasta", "2100-01-01T00:00"),
        ("desde", "no es una fecha"),
    ],
)
def test_auditoria_date_filters_are_date_times_in_2000_2099(api, field, outside):
    assert api.get("/auditoria", params={field: "2099-12-31T00:00"}).status_code == 200
    error = assert_error(api.get("/auditoria", params={field: outside}), 422, "validacion")
    assert field in error["fields"], error


# --- 2. Sync batches: an unexpected failure is that op's result ----------------------------------------


def test_an_op_that_fails_unexpectedly_is_rejected_and_the_batch_goes_on(fresh_server, fresh_api):
    conn = apsw.Connection(str(fresh_server.db_path))
    conn.setbusytimeout(5000)
    try:
        conn.execute(
            "CREATE TRIGGER veneno BEFORE INSERT ON clientes WHEN NEW.nombre = 'VENENO' BEGIN SELECT json('{'); END;"
        )
        ids = [str(uuid.uuid4()) for _ in range(3)]
        batch = [
            _op("cliente.crear", id=ids[0], nombre="Antes Álvarez"),
            _op("cliente.crear", id=ids[1], nombre="VENENO"),
            _op("cliente.crear", id=ids[2], nombre="Después Díaz"),
        ]
        response = fresh_api.post("/sync/push", json={"device_id": "caja-veneno", "ops": batch})
        assert response.status_code == 200, (response.status_code, response.text[:300])
        results = response.json()["results"]
        assert [r["resultado"] for r in results] == ["applied", "rejected", "applied"], results
        assert results[1]["error"]["code"] == "error_interno" and results[1]["error"]["message"], results[1]
        assert fresh_api.ok("GET", f"/clientes/{ids[0]}")["nombre"] == "Antes Álvarez"
        assert fresh_api.ok("GET", f"/clientes/{ids[2]}")["nombre"] == "Después Díaz"
        assert_error(fresh_api.get(f"/clientes/{ids[1]}"), 404)

        replay = _push(fresh_api, batch, device="caja-veneno")
        assert [(r["resultado"], r["original"]) for r in replay] == [
            ("duplicate", "applied"),
            ("duplicate", "rejected"),
            ("duplicate", "applied"),
        ], replay
    finally:
        conn.execute("DROP TRIGGER IF EXISTS veneno")
        conn.close()


# --- 3. Prices: overrides, discounts and final costs need a role --------------------------------------


@pytest.fixture(scope="module")
def staff(server, module_api) -> dict[str, Api]:
    clients = {"dueno": module_api}
    for rol in ("tecnico", "mostrador"):
        clients[rol] = _staff(server, module_api, rol)
    yield clients
    for rol in ("tecnico", "mostrador"):
        clients[rol].session.close()


def _sale(producto_id: str, cantidad: int = 1, **line) -> dict:
    return {"items": [{"producto_id": producto_id, "cantidad": cantidad, **line}]}


def test_counter_may_not_sell_a_catalogue_product_at_another_price(staff):
    owner, counter = staff["dueno"], staff["mostrador"]
    producto = make_producto(owner, stock=5, precio=1949)
    counter.ok("POST", "/ventas", 201, json=_sale(producto["id"], precio_unitario=1949))  # the same price: no override
    for precio in (0.01, 1948.99, 2500):
        error = assert_error(
            counter.post("/ventas", json=_sale(producto["id"], precio_unitario=precio)), 403, "sin_permiso"
        )
        assert "items.0.precio_unitario" in error["fields"], error
    assert stock_of(owner, producto["id"]) == 4


def test_counter_discount_is_allowed_up_to_the_limit_and_refused_above_it(staff):
    owner, counter = staff["dueno"], staff["mostrador"]
    producto = make_producto(owner, stock=10, precio=100)
    counter.ok("POST", "/ventas", 201, json=_sale(producto["id"], cantidad=2, descuento=20))  # 10 % of 200
    error = assert_error(
        counter.post("/ventas", json=_sale(producto["id"], cantidad=2, descuento=20.01)), 403, "sin_permiso"
    )
    assert "items.0.descuento" in error["fields"], error
    assert stock_of(owner, producto["id"]) == 8


def test_discount_limit_percent_setting_moves_the_limit(server_with):
    proc, owner = server_with(DISCOUNT_LIMIT_PERCENT="25")
    counter = _staff(proc, owner, "mostrador")
    assert counter.ok("GET", "/usuarios/me")["limite_descuento_porcentaje"] == 25  # the limit the UI is told
    producto = make_producto(owner, stock=10, precio=100)
    counter.ok("POST", "/ventas", 201, json=_sale(producto["id"], descuento=25))
    error = assert_error(counter.post("/ventas", json=_sale(producto["id"], descuento=26)), 403, "sin_permiso")
    assert "items.0.descuento" in error["fields"], error
    counter.session.close()


def test_technician_may_not_fit_an_inventory_part_at_another_price(staff):
    owner, bench = staff["dueno"], staff["tecnico"]
    producto = make_producto(owner, stock=5, precio=800)
    orden = make_orden(owner, make_cliente(owner)["id"])
    path = f"/ordenes/{orden['id']}/partes"
    bench.ok("POST", path, 201, json={"tipo": "parte", "producto_id": producto["id"], "precio_unitario": 800})
    assert_error(
        bench.post(path, json={"tipo": "parte", "producto_id": producto["id"], "precio_unitario": 0.01}),
        403,
        "sin_permiso",
    )
    assert len(owner.ok("GET", f"/ordenes/{orden['id']}")["partes"]) == 1
    assert stock_of(owner, producto["id"]) == 4


def test_only_owner_and_technician_set_an_orders_costo_final(staff):
    owner, bench, counter = staff["dueno"], staff["tecnico"], staff["mostrador"]
    cliente = make_cliente(owner)
    orden = make_orden(owner, cliente["id"])
    assert bench.ok("PUT", f"/ordenes/{orden['id']}", json={"costo_final": 500})["costo_final"] == 500
    assert owner.ok("PUT", f"/ordenes/{orden['id']}", json={"costo_final": 600})["costo_final"] == 600
    counter.ok("PUT", f"/ordenes/{orden['id']}", json={"notas": "Llamar al cliente"})  # other fields: fine
    error = assert_error(counter.put(f"/ordenes/{orden['id']}", json={"costo_final": 1}), 403, "sin_permiso")
    assert "costo_final" in error["fields"], error
    assert owner.ok("GET", f"/ordenes/{orden['id']}")["costo_final"] == 600
    error = assert_error(
        counter.post(
            "/ordenes",
            json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No carga", "costo_final": 1},
        ),
        403,
        "sin_permiso",
    )
    assert "costo_final" in error["fields"], error
    assert len(owner.ok("GET", f"/clientes/{cliente['id']}/historial")["ordenes"]) == 1


def test_pushed_ops_follow_the_same_price_rules(staff):
    owner, bench, counter = staff["dueno"], staff["tecnico"], staff["mostrador"]
    producto = make_producto(owner, stock=5, precio=1949)
    cliente = make_cliente(owner)
    orden = make_orden(owner, cliente["id"])
    ventas = [str(uuid.uuid4()) for _ in range(2)]
    nueva = str(uuid.uuid4())
    results = _push(
        counter,
        [
            _op("venta.crear", id=ventas[0], **_sale(producto["id"], precio_unitario=0.01)),
            _op("venta.crear", id=ventas[1], **_sale(producto["id"], descuento=1000)),
            _op("orden.crear", id=nueva, cliente_id=cliente["id"], equipo="pc", falla_reportada="x", costo_final=1),
        ],
    ) + _push(
        bench, [_op("orden.parte", orden_id=orden["id"], tipo="parte", producto_id=producto["id"], precio_unitario=1)]
    )
    assert [(r["resultado"], (r.get("error") or {}).get("code")) for r in results] == [
        ("rejected", "sin_permiso")
    ] * 4, results
    assert stock_of(owner, producto["id"]) == 5
    for path in (f"/ventas/{ventas[0]}", f"/ventas/{ventas[1]}", f"/ordenes/{nueva}"):
        assert_error(owner.get(path), 404)
    assert owner.ok("GET", f"/ordenes/{orden['id']}")["partes"] == []


def _audit_row(owner: Api, accion: str, venta_id: str) -> dict:
    rows = owner.ok("GET", "/auditoria", params={"accion": accion, "entidad_id": venta_id})["items"]
    assert len(rows) == 1, (accion, rows)
    assert isinstance(rows[0].get("detalle"), dict), rows[0]
    return rows[0]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_owner_may_override_prices_and_discounts_and_it_is_audited(staff):
    owner = staff["dueno"]
    producto = make_producto(owner, stock=10, precio=1949)
    override = owner.ok("POST", "/ventas", 201, json=_sale(producto["id"], cantidad=2, precio_unitario=1500))
    discount = owner.ok("POST", "/ventas", 201, json=_sale(producto["id"], cantidad=1, descuento=974.5))
    orden = make_orden(owner, make_cliente(owner)["id"])
    owner.ok(
        "POST",
        f"/ordenes/{orden['id']}/partes",
        201,
        json={"tipo": "parte", "producto_id": producto["id"], "precio_unitario": 1},
    )

    row = _audit_row(owner, "precio_modificado", override["id"])
    assert row["entidad"] == "ventas" and row["usuario"] == "dueno", row
    detalle = row["detalle"]
    assert {k: detalle.get(k) for k in ("producto_id", "precio_catalogo", "precio_unitario", "cantidad")} == {
        "producto_id": producto["id"],
        "precio_catalogo": 1949,
        "precio_unitario": 1500,
        "cantidad": 2,
    }, detalle
    assert all(_is_number(detalle[k]) for k in ("precio_catalogo", "precio_unitario")), detalle

    detalle = _audit_row(owner, "descuento_aplicado", discount["id"])["detalle"]
    assert {k: detalle.get(k) for k in ("importe_bruto", "descuento", "porcentaje")} == {
        "importe_bruto": 1949,
        "descuento": 974.5,
        "porcentaje": 50,
    }, detalle
    assert all(_is_number(detalle[k]) for k in ("importe_bruto", "descuento", "porcentaje")), detalle
    # Every audit row carries the new field, an object or null.
    assert all(
        "detalle" in r and (r["detalle"] is None or isinstance(r["detalle"], dict))
        for r in owner.ok("GET", "/auditoria", params={"limit": 20})["items"]
    )


# --- 4. Text: no control characters ------------------------------------------------------------------

SINGLE_LINE_BAD = [
    "Ana\x00",
    "\x1b[31mAna",
    "Ana\nPérez",
    "Ana\rPérez",
    "Ana\tPérez",
    "Ana\x7fPérez",
    "Ana\x85Pérez",
    "Ana\x9bPérez",
]


@pytest.mark.parametrize("bad", SINGLE_LINE_BAD, ids=[repr(v) for v in SINGLE_LINE_BAD])
def test_customer_name_refuses_control_characters(api, bad):
    marker = f"ctl{token()}"
    error = assert_error(api.post("/clientes", json={"nombre": f"{bad} {marker}"}), 422, "validacion")
    assert "nombre" in error["fields"], error
    assert _clientes_matching(api, marker) == []


@pytest.mark.parametrize(
    "path, field",
    [
        ("/inventario", "nombre"),
        ("/inventario", "codigo"),
        ("/ordenes", "marca"),
        ("/ordenes", "modelo"),
        ("/ordenes", "numero_serie"),
        ("/ordenes", "contrasena"),
    ],
)
def test_single_line_fields_refuse_line_breaks_and_control_characters(api, path, field):
    if path == "/inventario":
        body = {"nombre": f"Producto {token()}", "precio_venta": 10}
    else:
        cliente = make_cliente(api)
        body = {"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No enciende"}
    for bad in ("A\nB", "A\x00B", "A\x1bB"):
        error = assert_error(api.post(path, json={**body, field: bad}), 422, "validacion")
        assert field in error["fields"], (bad, error)
    if path == "/ordenes":
        assert api.ok("GET", f"/clientes/{cliente['id']}/historial")["ordenes"] == []
    else:
        assert api.ok("GET", "/inventario", params={"q": body["nombre"]})["items"] == []


MULTI_LINE = "línea 1\nlínea 2\tfin"


def _write_text(api: Api, kind: str, field: str, value: str) -> tuple[int, str | None]:
    """Send `value` in `field` of a request of `kind`; return (status, the text as the server keeps it)."""
    if kind == "cliente":
        response = api.post("/clientes", json={"nombre": f"Texto {token()}", field: value})
        return response.status_code, response.json().get(field)
    if kind == "venta":
        servicio = {"descripcion": "Servicio", "cantidad": 1, "precio_unitario": 10}
        response = api.post("/ventas", json={"items": [servicio], field: value})
        return response.status_code, response.json().get(field)
    cliente = make_cliente(api)
    if kind == "orden":
        response = api.post(
            "/ordenes",
            json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No enciende", field: value},
        )
        return response.status_code, response.json().get(field)
    if kind == "orden_put":
        orden = make_orden(api, cliente["id"])
        response = api.put(f"/ordenes/{orden['id']}", json={field: value})
        return response.status_code, response.json().get(field)
    if kind == "estado":
        orden = make_orden(api, cliente["id"])
        response = api.put(f"/ordenes/{orden['id']}/estado", json={"estado": "diagnostico", "nota": value})
        return response.status_code, (response.json().get("historial") or [{}])[-1].get("nota")
    assert kind == "cancelar"
    venta = api.ok(
        "POST", "/ventas", 201, json={"items": [{"descripcion": "Servicio", "cantidad": 1, "precio_unitario": 10}]}
    )
    response = api.post(f"/ventas/{venta['id']}/cancelar", json={"motivo": value})
    return response.status_code, response.json().get("motivo_cancelacion")


@pytest.mark.parametrize(
    "kind, field",
    [
        ("cliente", "notas"),
        ("cliente", "direccion"),
        ("orden", "falla_reportada"),
        ("orden", "accesorios"),
        ("orden", "notas"),
        ("orden_put", "diagnostico"),
        ("estado", "nota"),
        ("venta", "notas"),
        ("cancelar", "motivo"),
    ],
)
def test_multi_line_fields_take_tab_lf_cr_but_no_other_control_character(api, kind, field):
    status, _ = _write_text(api, kind, field, "sonido \x07 aquí")
    assert status == 422, f"{kind}.{field} with BEL answered {status}"
    status, _ = _write_text(api, kind, field, "a\x00b")
    assert status == 422, f"{kind}.{field} with NUL answered {status}"
    status, kept = _write_text(api, kind, field, MULTI_LINE)
    assert status in (200, 201) and kept == MULTI_LINE, (status, kept)
    status, _ = _write_text(api, kind, field, "primera\r\nsegunda")
    assert status in (200, 201), f"{kind}.{field} with CR LF answered {status}"


def test_multi_line_refusal_names_the_field_and_writes_nothing(api):
    marker = f"bel{token()}"
    error = assert_error(
        api.post("/clientes", json={"nombre": f"Campana {marker}", "notas": "línea 1\x07"}), 422, "validacion"
    )
    assert "notas" in error["fields"], error
    assert _clientes_matching(api, marker) == []
    kept = api.ok("POST", "/clientes", 201, json={"nombre": f"Notas {marker}", "notas": "línea 1\nlínea 2\tfin"})
    assert api.ok("GET", f"/clientes/{kept['id']}")["notas"] == "línea 1\nlínea 2\tfin"


def test_customer_update_refuses_control_characters(api):
    cliente = make_cliente(api)
    error = assert_error(api.put(f"/clientes/{cliente['id']}", json={"nombre": "Ana\x1b[2J"}), 422, "validacion")
    assert "nombre" in error["fields"], error
    assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente


@pytest.mark.parametrize(
    "path, param, value",
    [
        ("/clientes", "q", "\x00"),
        ("/clientes", "q", "ana\x00"),
        ("/ordenes", "q", "\x1b"),
        ("/inventario", "q", "\x1b"),
        ("/inventario", "categoria", "Cargadores\x00"),
        ("/auditoria", "accion", "cliente_creado\x00"),
    ],
)
def test_text_query_parameters_refuse_control_characters(api, path, param, value):
    error = assert_error(api.get(path, params={param: value}), 422, "validacion")
    assert param in error["fields"], error


def test_pushed_customer_with_a_nul_is_rejected(api):
    cliente_id = str(uuid.uuid4())
    [result] = _push(api, [_op("cliente.crear", id=cliente_id, nombre="Ana\x00Pérez")])
    assert result["resultado"] == "rejected" and result["error"]["code"] == "validacion", result
    assert_error(api.get(f"/clientes/{cliente_id}"), 404)


# --- 5. Transport errors: JSON error shape on raw HTTP -------------------------------------------------


@pytest.fixture
def plain_server(server_with) -> ServerProcess:
    """Raw bytes on the socket: plain HTTP even in a TLS run."""
    return server_with(SSL_CERT="", SSL_KEY="")[0]


def _response_complete(data: bytes) -> bool:
    if b"\r\n\r\n" not in data:
        return False
    head, body = data.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False  # no length: read until the server closes


def _parse_response(data: bytes) -> tuple[int | None, dict[str, str], bytes]:
    if b"\r\n\r\n" not in data:
        return None, {}, data
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def _exchange(port: int, pieces, timeout: float = 10.0) -> tuple[int | None, dict[str, str], bytes]:
    """Send `pieces` (stop early once the server answers), then read its whole answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        for piece in pieces:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(piece)
            except OSError:
                break
        deadline = time.monotonic() + timeout
        while not _response_complete(data) and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    return _parse_response(data)


def _assert_json_error(answer, status: int) -> dict:
    got, headers, body = answer
    assert got == status, (got, headers, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), (got, headers, body[:300])
    payload = json.loads(body)
    assert set(payload) == {"error"} and set(payload["error"]) == {"code", "message", "fields"}, payload
    assert payload["error"]["code"] and payload["error"]["message"], payload
    return payload["error"]


def _still_serving(proc: ServerProcess) -> None:
    assert requests.get(proc.url + "/", timeout=10).status_code == 200


def test_request_line_over_8_kib_is_414_json(plain_server):
    line = b"GET /clientes?q=" + b"a" * (9 * 1024) + b" HTTP/1.1\r\n"
    _assert_json_error(
        _exchange(plain_server.port, [line[i : i + 4096] for i in range(0, len(line), 4096)] + [b"Host: x\r\n\r\n"]),
        414,
    )
    _still_serving(plain_server)


def test_header_line_over_64_kib_is_431_json(plain_server):
    big = b"X-Grande: " + b"a" * (70 * 1024) + b"\r\n"
    pieces = [b"GET / HTTP/1.1\r\nHost: x\r\n"] + [big[i : i + 8192] for i in range(0, len(big), 8192)] + [b"\r\n"]
    _assert_json_error(_exchange(plain_server.port, pieces), 431)
    _still_serving(plain_server)


def test_more_than_100_headers_is_431_json(plain_server):
    headers = b"".join(b"X-Cabecera-%d: %d\r\n" % (n, n) for n in range(150))
    _assert_json_error(_exchange(plain_server.port, [b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"]), 431)
    _still_serving(plain_server)


def test_chunked_body_over_1_mib_is_413_json(plain_server):
    marker = f"grande{token()}"
    head = (
        f"POST /clientes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {plain_server.token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    body = json.dumps({"nombre": marker, "notas": "a" * (2 * 1024 * 1024)}).encode()
    chunks = [b"%x\r\n%s\r\n" % (len(part), part) for part in (body[i : i + 65536] for i in range(0, len(body), 65536))]
    _assert_json_error(_exchange(plain_server.port, [head, *chunks, b"0\r\n\r\n"]), 413)
    api = Api(plain_server.url, plain_server.token)
    assert _clientes_matching(api, marker) == []
    api.session.close()


def test_garbage_request_line_is_400_json(plain_server):
    _assert_json_error(_exchange(plain_server.port, [b"GARBAGE\r\n\r\n"]), 400)
    _still_serving(plain_server)


# --- 6. Slow senders: HEADER_TIMEOUT ------------------------------------------------------------------


def _dribble(port: int, outcome: dict, stop: threading.Event, seconds: float = 15.0) -> None:
    """Send a request line, then one header byte every 0.5 s, never finishing; note when the server answers/closes."""
    header = b"X-Lento: " + b"a" * 64
    started = time.monotonic()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as exc:
        outcome["error"] = repr(exc)
        return
    try:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        for n in range(int(seconds / 0.5)):
            if stop.is_set():
                break
            if select.select([sock], [], [], 0.5)[0]:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    chunk = b""
                if chunk:
                    outcome.setdefault("answered", time.monotonic() - started)
                    outcome["data"] = outcome.get("data", b"") + chunk
                    continue
                outcome["closed"] = time.monotonic() - started
                return
            try:
                sock.send(header[n % len(header) : n % len(header) + 1])
            except OSError:
                outcome["closed"] = time.monotonic() - started
                return
    finally:
        sock.close()


def test_slow_header_senders_get_408_and_do_not_starve_others(server_with):
    header_timeout = 2
    proc, _ = server_with(MAX_CONNECTIONS="10", HEADER_TIMEOUT=str(header_timeout), SSL_CERT="", SSL_KEY="")
    stop = threading.Event()
    outcomes: list[dict] = [{} for _ in range(30)]
    threads = [threading.Thread(target=_dribble, args=(proc.port, outcome, stop), daemon=True) for outcome in outcomes]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, started + 1 - time.monotonic()))
        asked = time.monotonic()
        try:
            answer = requests.get(proc.url + "/", timeout=12).status_code
        except requests.RequestException as exc:
            answer = repr(exc)
        waited = time.monotonic() - asked
        time.sleep(max(0.0, started + header_timeout + 2.5 - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)
    # 30 slow senders queue ahead of it for 10 slots: three rounds of the deadline, less the second it came late.
    bound = 3 * header_timeout + 2
    assert answer == 200 and waited <= bound, f"GET / behind 30 slow senders: {answer} after {waited:.1f}s (> {bound})"
    assert not any("error" in o for o in outcomes), outcomes
    ended = [o for o in outcomes if min(o.get("answered", 99), o.get("closed", 99)) <= header_timeout + 2]
    assert ended, f"no slow sender was answered or closed within {header_timeout + 2}s"
    for outcome in ended:
        if outcome.get("data"):
            status, headers, body = _parse_response(outcome["data"])
            assert status == 408 and headers.get("content-type", "").startswith("application/json"), outcome["data"]
            assert set(json.loads(body)["error"]) == {"code", "message", "fields"}


def test_header_timeout_below_one_second_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "settings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATA_DIR": str(tmp_path), "HEADER_TIMEOUT": "0"},
        timeout=30,
    )
    assert done.returncode == 2 and "HEADER_TIMEOUT" in done.stderr, (done.returncode, done.stderr[-500:])


def test_new_settings_are_listed_with_their_defaults():
    env = {k: v for k, v in os.environ.items() if k not in ("HEADER_TIMEOUT", "DISCOUNT_LIMIT_PERCENT")}
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "settings"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "HEADER_TIMEOUT=10" in done.stdout.splitlines(), done.stdout
    assert "DISCOUNT_LIMIT_PERCENT=10" in done.stdout.splitlines(), done.stdout


# --- 7. Messages: full disks and missing files --------------------------------------------------------


@pytest.fixture
def tmpfs(request, tmp_path):
    """A tmpfs of `request.param` bytes (e.g. "1m") mounted at tmp_path/tmpfs; unmounted at teardown.

    Needs root with CAP_SYS_ADMIN; a failed mount is an error of the test, not a skip.
    """
    path = tmp_path / "tmpfs"
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={request.param}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mount -t tmpfs failed ({done.returncode}): {done.stderr.strip()}")
    yield path
    if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def _fill(folder: Path) -> Path:
    """Write a ballast file in shrinking chunks until not one more byte fits (ENOSPC)."""
    ballast = folder / "lastre.bin"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        size = 1 << 20
        while size:
            try:
                os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                size //= 2
    finally:
        os.close(fd)
    return ballast


def _quiet_schedule() -> dict[str, str]:
    """Keep the daily automatic backup 12 hours away (as test_backup_api does)."""
    hour = (dt.datetime.now(ZoneInfo("America/Mexico_City")).hour + 12) % 24
    return {"TZ": "America/Mexico_City", "BACKUP_DAILY_HOUR": str(hour)}


@pytest.mark.parametrize("tmpfs", ["256k"], indirect=True)
def test_full_disk_at_start_up_exits_2_with_a_spanish_message(tmpfs, tmp_path):
    _fill(tmpfs)
    env = {
        **os.environ,
        "DATA_DIR": str(tmpfs),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=30
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, (done.returncode, output[-1500:])
    assert "espacio" in output and "Traceback" not in output, output[-1500:]


@pytest.mark.parametrize("tmpfs", ["1m"], indirect=True)
def test_backup_without_space_is_503_saying_so(tmpfs, server_with):
    _proc, owner = server_with(BACKUP_DIR=str(tmpfs), **_quiet_schedule())
    make_cliente(owner)
    _fill(tmpfs)
    error = assert_error(owner.post("/backups"), 503, "respaldo_fallido")
    assert "espacio" in error["message"] and "not an error" not in error["message"], error


def test_missing_backup_404_does_not_reveal_the_folder(server, api):
    error = assert_error(api.get("/backups/servitec-20200101-000000-manual.db"), 404)
    folder = Path(server.env["BACKUP_DIR"])
    for path in {str(folder), str(folder.resolve()), str(server.data_dir), str(server.data_dir.resolve())}:
        assert path not in error["message"], error


@pytest.mark.parametrize("tmpfs", ["8m"], indirect=True)
def test_full_disk_at_commit_is_503_no_guardado_and_saves_nothing(tmpfs, tmp_path):
    proc = ServerProcess(tmpfs / "data", BACKUP_DIR=str(tmp_path / "backups"), **_quiet_schedule())
    proc.log_path = tmp_path / "server.log"  # the log must not need the full disk
    marker, notas = f"lleno{token()}", "n" * 1900
    api = None
    try:
        api = Api(proc.start().url, proc.token, proc.verify)
        make_cliente(api, nombre=f"Antes {marker}", notas=notas)
        ballast = _fill(tmpfs)
        saved, refused, answers = [], [], []
        for n in range(25):
            response = api.post("/clientes", json={"nombre": f"Lleno {marker} {n:02d}", "notas": notas})
            answers.append(response.status_code)
            if response.status_code == 201 and not refused:
                saved.append(f"Lleno {marker} {n:02d}")  # the WAL may still have had room
                continue
            assert_error(response, 503, "no_guardado")
            refused.append(f"Lleno {marker} {n:02d}")
            if len(refused) == 4:
                break
        assert len(refused) == 4, answers
        ballast.unlink()
        assert api.ok("POST", "/clientes", 201, json={"nombre": f"Después {marker}"})  # room again: works again
        api.session.close()
        assert proc.stop() == 0
        proc.start()
        names = {c["nombre"] for c in _clientes_matching(api, marker)}
        assert names == {f"Antes {marker}", f"Después {marker}", *saved}, (names, answers)
    finally:
        if api is not None:
            api.session.close()
        proc.stop()
