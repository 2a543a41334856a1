"""/ventas against the real server: totals, payments, cancellation, date filters, concurrency, folios."""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import Api
from helpers import (
    DbWatch,
    assert_error,
    assert_ledger_consistent,
    cents,
    drive_to,
    kardex,
    make_cliente,
    make_orden,
    make_producto,
    stock_of,
    vender,
)

SHOP_TZ = ZoneInfo("America/Mexico_City")


def assert_totals_add_up(venta):
    assert cents(venta["subtotal"]) + cents(venta["iva"]) == cents(venta["total"])
    assert cents(venta["total"]) == sum(cents(i["importe"]) for i in venta["items"])
    assert cents(venta["pagado"]) == sum(cents(p["monto"]) for p in venta["pagos"])
    assert cents(venta["cambio"]) == cents(venta["pagado"]) - cents(venta["total"])
    for item in venta["items"]:
        assert cents(item["importe"]) == item["cantidad"] * cents(item["precio_unitario"]) - cents(item["descuento"])


# --- totals ------------------------------------------------------------------------------------


def test_sale_with_iva_included(api):
    producto = make_producto(api, stock=5, precio=116)
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 2}]})
    uuid.UUID(venta["id"])
    assert (venta["subtotal"], venta["iva"], venta["total"]) == (200, 32, 232)
    assert (venta["pagado"], venta["cambio"], venta["descuento"]) == (232, 0, 0)
    assert venta["pagos"] == [{"metodo": "efectivo", "monto": 232, "referencia": None}]  # exact cash by default
    assert venta["estado"] == "completada" and isinstance(venta["folio"], int)
    assert venta["items"] == [
        {
            "producto_id": producto["id"],
            "descripcion": producto["nombre"],
            "cantidad": 2,
            "precio_unitario": 116,
            "descuento": 0,
            "importe": 232,
        }
    ]
    assert_totals_add_up(venta)
    assert api.ok("GET", f"/ventas/{venta['id']}") == venta
    assert stock_of(api, producto["id"]) == 3
    last = assert_ledger_consistent(api, producto["id"])["items"][0]
    assert (last["delta"], last["motivo"], last["referencia"]) == (-2, "venta", venta["id"])


@pytest.mark.parametrize("precio, cantidad", [(99.99, 3), (0.01, 1), (10, 7), (1234.56, 1), (0.05, 3)])
def test_iva_split_is_exact(api, precio, cantidad):
    producto = make_producto(api, stock=10, precio=precio)
    venta = vender(api, producto["id"], cantidad).json()
    total = cents(precio) * cantidad
    assert cents(venta["total"]) == total
    expected = (Decimal(total) * 100 / 116).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert cents(venta["subtotal"]) == int(expected)
    assert_totals_add_up(venta)


def test_line_discount_and_price_override(api):
    a = make_producto(api, stock=5, precio=100)
    b = make_producto(api, stock=5, precio=50)
    venta = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [
                {"producto_id": a["id"], "cantidad": 2, "descuento": 15.5},
                {"producto_id": b["id"], "cantidad": 1, "precio_unitario": 45, "descripcion": "Funda (oferta)"},
            ]
        },
    )
    assert [i["importe"] for i in venta["items"]] == [184.5, 45]
    assert venta["items"][1]["descripcion"] == "Funda (oferta)" and venta["items"][1]["precio_unitario"] == 45
    assert venta["total"] == 229.5 and venta["descuento"] == 15.5
    assert_totals_add_up(venta)
    error = assert_error(
        api.post("/ventas", json={"items": [{"producto_id": a["id"], "cantidad": 1, "descuento": 100.01}]}), 422
    )
    assert any("descuento" in f for f in error["fields"])
    assert stock_of(api, a["id"]) == 3


def test_same_product_twice_is_one_movement(api):
    producto = make_producto(api, stock=5)
    venta = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [{"producto_id": producto["id"], "cantidad": 2}, {"producto_id": producto["id"], "cantidad": 1}]
        },
    )
    page = assert_ledger_consistent(api, producto["id"])
    assert (page["items"][0]["delta"], page["items"][0]["referencia"]) == (-3, venta["id"])
    assert page["producto"]["stock"] == 2
    # Two lines that together exceed the stock are refused even though each alone fits.
    assert_error(
        api.post(
            "/ventas",
            json={
                "items": [
                    {"producto_id": producto["id"], "cantidad": 2},
                    {"producto_id": producto["id"], "cantidad": 1},
                ]
            },
        ),
        409,
        "stock_insuficiente",
    )
    assert stock_of(api, producto["id"]) == 2


def test_service_line_without_product(api):
    venta = api.ok(
        "POST", "/ventas", 201, json={"items": [{"descripcion": "Diagnóstico", "cantidad": 1, "precio_unitario": 150}]}
    )
    assert venta["items"][0]["producto_id"] is None and venta["total"] == 150
    assert_totals_add_up(venta)
    assert_error(api.post("/ventas", json={"items": [{"cantidad": 1, "precio_unitario": 150}]}), 422)
    assert_error(api.post("/ventas", json={"items": [{"descripcion": "x", "cantidad": 1}]}), 422)


# --- payments ----------------------------------------------------------------------------------


def test_split_payment_and_change(api):
    producto = make_producto(api, stock=10, precio=150)
    split = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [{"producto_id": producto["id"], "cantidad": 1}],
            "pagos": [
                {"metodo": "tarjeta", "monto": 100, "referencia": "AUT-123"},
                {"metodo": "efectivo", "monto": 50},
            ],
        },
    )
    assert (split["pagado"], split["cambio"]) == (150, 0)
    assert split["pagos"] == [
        {"metodo": "tarjeta", "monto": 100, "referencia": "AUT-123"},
        {"metodo": "efectivo", "monto": 50, "referencia": None},
    ]
    cash = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [{"producto_id": producto["id"], "cantidad": 1}],
            "pagos": [{"metodo": "efectivo", "monto": 200}],
        },
    )
    assert (cash["pagado"], cash["cambio"]) == (200, 50)
    mixed = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [{"producto_id": producto["id"], "cantidad": 1}],
            "pagos": [{"metodo": "transferencia", "monto": 100}, {"metodo": "efectivo", "monto": 100}],
        },
    )
    assert mixed["cambio"] == 50
    for venta in (split, cash, mixed):
        assert_totals_add_up(venta)
    assert stock_of(api, producto["id"]) == 7


@pytest.mark.parametrize(
    "pagos, code",
    [
        ([{"metodo": "tarjeta", "monto": 200}], "pago_excedido"),
        ([{"metodo": "transferencia", "monto": 150.01}], "pago_excedido"),
        ([{"metodo": "tarjeta", "monto": 160}, {"metodo": "efectivo", "monto": 10}], "pago_excedido"),
        ([{"metodo": "efectivo", "monto": 100}], "pago_insuficiente"),
        ([{"metodo": "tarjeta", "monto": 100}, {"metodo": "efectivo", "monto": 49.99}], "pago_insuficiente"),
        ([], "pago_insuficiente"),
    ],
)
def test_refused_payments_write_nothing(api, pagos, code):
    producto = make_producto(api, stock=3, precio=150)
    before = kardex(api, producto["id"])
    error = assert_error(
        api.post("/ventas", json={"items": [{"producto_id": producto["id"], "cantidad": 1}], "pagos": pagos}), 422, code
    )
    assert "pagos" in error["fields"]
    assert kardex(api, producto["id"]) == before


def test_free_sale_needs_no_payment(api):
    producto = make_producto(api, stock=1, precio=0)
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 1}]})
    assert venta["total"] == 0 and venta["pagos"] == []


# --- refusals ----------------------------------------------------------------------------------


def test_insufficient_stock_refuses_the_whole_sale(api):
    a = make_producto(api, stock=5)
    b = make_producto(api, stock=1, nombre=f"Último {uuid.uuid4().hex[:6]}")
    before = (kardex(api, a["id"]), kardex(api, b["id"]))
    error = assert_error(
        api.post(
            "/ventas",
            json={"items": [{"producto_id": a["id"], "cantidad": 2}, {"producto_id": b["id"], "cantidad": 2}]},
        ),
        409,
        "stock_insuficiente",
    )
    assert b["nombre"] in error["message"]
    assert (kardex(api, a["id"]), kardex(api, b["id"])) == before


def test_unknown_references(api):
    producto = make_producto(api, stock=1)
    error = assert_error(vender(api, str(uuid.uuid4())), 404, "no_encontrado")
    assert error["fields"] == {"items.0.producto_id": "No existe."}  # the line, as for an inactive product
    assert_error(vender(api, producto["id"], cliente_id=str(uuid.uuid4())), 404, "no_encontrado")
    assert_error(vender(api, producto["id"], orden_id=str(uuid.uuid4())), 404, "no_encontrado")
    assert_error(api.get(f"/ventas/{uuid.uuid4()}"), 404, "no_encontrado")
    assert_error(api.post(f"/ventas/{uuid.uuid4()}/cancelar", json={"motivo": "x"}), 404)
    assert stock_of(api, producto["id"]) == 1


def test_client_made_id_is_idempotent_guard(api):
    producto = make_producto(api, stock=5)
    venta_id = str(uuid.uuid4())
    assert vender(api, producto["id"], id=venta_id).json()["id"] == venta_id
    assert_error(vender(api, producto["id"], id=venta_id), 409, "ya_existe")
    assert stock_of(api, producto["id"]) == 4


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_restocks_and_keeps_the_sale(api):
    a = make_producto(api, stock=5, precio=20)
    b = make_producto(api, stock=5, precio=30)
    venta = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "items": [
                {"producto_id": a["id"], "cantidad": 2},
                {"producto_id": b["id"], "cantidad": 1},
                {"descripcion": "Instalación", "cantidad": 1, "precio_unitario": 50},
            ]
        },
    )
    cancelled = api.ok("POST", f"/ventas/{venta['id']}/cancelar", json={"motivo": "El cliente se arrepintió"})
    assert cancelled["estado"] == "cancelada" and cancelled["motivo_cancelacion"] == "El cliente se arrepintió"
    assert cancelled["cancelada_en"] is not None and cancelled["version"] == 2
    assert (cancelled["folio"], cancelled["total"], cancelled["items"]) == (
        venta["folio"],
        venta["total"],
        venta["items"],
    )
    assert api.ok("GET", f"/ventas/{venta['id']}") == cancelled
    for producto in (a, b):
        page = assert_ledger_consistent(api, producto["id"])
        assert page["producto"]["stock"] == 5
        assert (page["items"][0]["motivo"], page["items"][0]["referencia"]) == ("devolucion", venta["id"])
    assert [m["delta"] for m in kardex(api, a["id"])["items"][:2]] == [2, -2]
    error = assert_error(
        api.post(f"/ventas/{venta['id']}/cancelar", json={"motivo": "otra vez"}), 409, "venta_cancelada"
    )
    assert str(venta["folio"]) in error["message"]
    assert stock_of(api, a["id"]) == 5 and len(kardex(api, a["id"])["items"]) == 3
    assert_error(api.post(f"/ventas/{venta['id']}/cancelar", json={}), 422)
    listed = api.ok("GET", "/ventas", params={"estado": "cancelada", "limit": 500})
    assert venta["id"] in [v["id"] for v in listed["items"]]
    assert all(v["estado"] == "cancelada" for v in listed["items"])


# --- listing -----------------------------------------------------------------------------------


def test_list_by_dates_and_customer(api, unique):
    cliente = make_cliente(api, nombre=f"Compras {unique}")
    producto = make_producto(api, stock=5)
    v1 = vender(api, producto["id"], cliente_id=cliente["id"]).json()
    v2 = vender(api, producto["id"], cliente_id=cliente["id"]).json()
    mine = api.ok("GET", "/ventas", params={"cliente_id": cliente["id"]})
    assert [v["id"] for v in mine["items"]] == [v2["id"], v1["id"]]

    def shop_day(venta):  # the sale's date in the shop's time zone (TZ)
        return dt.datetime.fromisoformat(venta["fecha"].replace("Z", "+00:00")).astimezone(SHOP_TZ).date()

    first, last = shop_day(v1), shop_day(v2)  # the same day unless the test straddles local midnight
    one = dt.timedelta(days=1)
    params = {"cliente_id": cliente["id"]}
    both = api.ok("GET", "/ventas", params={**params, "desde": str(first), "hasta": str(last)})
    assert {v["id"] for v in both["items"]} == {v1["id"], v2["id"]}
    assert api.ok("GET", "/ventas", params={**params, "desde": str(last + one)})["items"] == []
    assert api.ok("GET", "/ventas", params={**params, "hasta": str(first - one)})["items"] == []
    assert len(api.ok("GET", "/ventas", params={**params, "desde": str(first - one)})["items"]) == 2
    assert len(api.ok("GET", "/ventas", params={**params, "hasta": str(last)})["items"]) == 2
    assert api.ok("GET", "/ventas", params={**params, "desde": str(last), "hasta": str(first - one)})["items"] == []
    assert_error(api.get("/ventas", params={"desde": "ayer"}), 422)
    assert_error(api.get("/ventas", params={"desde": "2026-02-30"}), 422)
    page = api.ok("GET", "/ventas", params={**params, "limit": 1})
    assert page["has_more"] is True and [v["id"] for v in page["items"]] == [v2["id"]]


# --- concurrency -------------------------------------------------------------------------------


def test_twenty_threads_buy_the_last_ten_units(server, api, unique):
    producto = make_producto(api, stock=10, nombre=f"Última pieza {unique}")
    barrier = threading.Barrier(20)

    def buy(_):
        with requests.Session() as session:
            session.headers.update(server.headers)
            barrier.wait(timeout=10)
            return session.post(
                f"{server.url}/ventas", timeout=30, json={"items": [{"producto_id": producto["id"], "cantidad": 1}]}
            )

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(buy, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 10
    for response in responses:
        if response.status_code == 409:
            error = assert_error(response, 409, "stock_insuficiente")
            assert producto["nombre"] in error["message"]
    page = assert_ledger_consistent(api, producto["id"])
    assert page["producto"]["stock"] == 0 and page["suma_movimientos"] == 0
    ventas = [m for m in page["items"] if m["motivo"] == "venta"]
    assert len(ventas) == 10 and all(m["delta"] == -1 for m in ventas)
    sold = {r.json()["id"] for r in responses if r.status_code == 201}
    assert {m["referencia"] for m in ventas} == sold
    folios = sorted(r.json()["folio"] for r in responses if r.status_code == 201)
    assert folios == list(range(folios[0], folios[0] + 10))  # the refused ones took no number


def test_random_concurrent_operations_keep_the_ledger_exact(server, api, unique):
    initial = {}
    for n in range(3):
        producto = make_producto(api, stock=15, nombre=f"Mezcla {n} {unique}")
        initial[producto["id"]] = 15
    productos = list(initial)
    cliente = make_cliente(api, nombre=f"Mezcla {unique}")
    ordenes = [make_orden(api, cliente["id"])["id"] for _ in range(6)]
    deltas = {pid: [] for pid in productos}
    lock = threading.Lock()
    barrier = threading.Barrier(6)
    outcomes = []

    def worker(seed):
        rng = random.Random(seed)
        base = server.url
        with requests.Session() as session:
            session.headers.update(server.headers)
            barrier.wait(timeout=10)
            for _ in range(30):
                pid = rng.choice(productos)
                kind = rng.choice(["venta", "venta2", "compra", "merma", "ajuste", "parte"])
                if kind == "venta":
                    q = rng.randint(1, 3)
                    r = session.post(f"{base}/ventas", json={"items": [{"producto_id": pid, "cantidad": q}]})
                    moved = {pid: -q}
                elif kind == "venta2":
                    other = rng.choice([p for p in productos if p != pid])
                    r = session.post(
                        f"{base}/ventas",
                        json={"items": [{"producto_id": pid, "cantidad": 1}, {"producto_id": other, "cantidad": 2}]},
                    )
                    moved = {pid: -1, other: -2}
                elif kind == "compra":
                    q = rng.randint(1, 4)
                    r = session.put(f"{base}/inventario/{pid}/stock", json={"motivo": "compra", "cantidad": q})
                    moved = {pid: q}
                elif kind == "merma":
                    q = rng.randint(1, 3)
                    r = session.put(f"{base}/inventario/{pid}/stock", json={"motivo": "merma", "cantidad": -q})
                    moved = {pid: -q}
                elif kind == "ajuste":
                    q = rng.choice([-3, -2, -1, 1, 2])
                    r = session.put(f"{base}/inventario/{pid}/stock", json={"motivo": "ajuste", "cantidad": q})
                    moved = {pid: q}
                else:
                    q = rng.randint(1, 2)
                    r = session.post(
                        f"{base}/ordenes/{ordenes[seed]}/partes",
                        json={"tipo": "parte", "producto_id": pid, "cantidad": q},
                    )
                    moved = {pid: -q}
                with lock:
                    outcomes.append((kind, r.status_code))
                    if r.status_code in (200, 201):
                        for key, delta in moved.items():
                            deltas[key].append(delta)
                    else:
                        assert r.status_code == 409 and r.json()["error"]["code"] == "stock_insuficiente", r.text

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(worker, seed) for seed in range(6)]:
            future.result()

    assert len(outcomes) == 180
    assert any(status == 409 for _, status in outcomes), "the mix should hit empty stock at least once"
    assert sum(status in (200, 201) for _, status in outcomes) > 60
    for pid in productos:
        page = assert_ledger_consistent(api, pid)
        expected = initial[pid] + sum(deltas[pid])
        assert page["producto"]["stock"] == page["suma_movimientos"] == expected
        assert all(m["stock_resultante"] >= 0 for m in page["items"])
        assert len(page["items"]) == 1 + len(deltas[pid])
    # Every part the orders record matches a movement of motivo 'orden' referencing it.
    for orden_id in ordenes:
        orden = api.ok("GET", f"/ordenes/{orden_id}")
        for pid in productos:
            used = sum(p["cantidad"] for p in orden["partes"] if p["producto_id"] == pid)
            moved = -sum(
                m["delta"] for m in kardex(api, pid)["items"] if m["motivo"] == "orden" and m["referencia"] == orden_id
            )
            assert used == moved


# --- gap-free folios ---------------------------------------------------------------------------


def test_folios_have_no_gaps_across_failures(api, unique):
    cliente = make_cliente(api, nombre=f"Folios {unique}")
    producto = make_producto(api, stock=2, precio=10)
    inactivo = make_producto(api, stock=5)
    api.ok("PUT", f"/inventario/{inactivo['id']}", json={"activo": False})
    orden_folios, venta_folios = [], []

    def orden_ok():
        orden_folios.append(make_orden(api, cliente["id"])["folio"])

    def venta_ok():
        api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "compra", "cantidad": 1})
        venta_folios.append(vender(api, producto["id"]).json()["folio"])

    orden_ok()
    venta_ok()
    assert_error(vender(api, producto["id"], 50), 409, "stock_insuficiente")
    assert_error(
        api.post("/ordenes", json={"cliente_id": str(uuid.uuid4()), "equipo": "pc", "falla_reportada": "x"}), 404
    )
    assert_error(
        api.post("/ordenes", json={"cliente_id": cliente["id"], "equipo": "nave", "falla_reportada": "x"}), 422
    )
    orden_ok()
    assert_error(vender(api, producto["id"], pagos=[{"metodo": "tarjeta", "monto": 99}]), 422, "pago_excedido")
    assert_error(vender(api, producto["id"], pagos=[{"metodo": "efectivo", "monto": 1}]), 422, "pago_insuficiente")
    assert_error(vender(api, inactivo["id"]), 409, "producto_inactivo")
    venta_ok()
    assert_error(
        api.post(
            "/ventas",
            json={
                "items": [
                    {"producto_id": producto["id"], "cantidad": 1},
                    {"producto_id": producto["id"], "cantidad": 99},
                ]
            },
        ),
        409,
    )
    assert_error(
        api.post("/ventas", json={"id": "bad id!", "items": [{"producto_id": producto["id"], "cantidad": 1}]}), 422
    )
    venta_ok()
    orden_ok()
    venta_ok()
    assert orden_folios == list(range(orden_folios[0], orden_folios[0] + 3))
    assert venta_folios == list(range(venta_folios[0], venta_folios[0] + 4))
    # And the lists agree with what the creations returned.
    listed = api.ok("GET", "/ordenes", params={"cliente_id": cliente["id"]})
    assert sorted(o["folio"] for o in listed["items"]) == orden_folios


def test_concurrent_orders_and_sales_get_distinct_consecutive_folios(server, api, unique):
    cliente = make_cliente(api, nombre=f"Paralelo {unique}")
    producto = make_producto(api, stock=100, precio=10)
    barrier = threading.Barrier(16)

    def work(n):
        with requests.Session() as session:
            session.headers.update(server.headers)
            barrier.wait(timeout=10)
            if n % 2:
                r = session.post(
                    f"{server.url}/ordenes",
                    timeout=30,
                    json={"cliente_id": cliente["id"], "equipo": "tablet", "falla_reportada": f"Falla {n}"},
                )
            else:
                r = session.post(
                    f"{server.url}/ventas", timeout=30, json={"items": [{"producto_id": producto["id"], "cantidad": 1}]}
                )
            assert r.status_code == 201, r.text
            return n % 2, r.json()["folio"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    for kind in (0, 1):
        folios = sorted(folio for k, folio in results if k == kind)
        assert folios == list(range(folios[0], folios[0] + 8))
    assert stock_of(api, producto["id"]) == 92


def test_prices_without_iva_setting(server_with):
    _, api = server_with(PRICES_INCLUDE_IVA="false")
    producto = make_producto(api, stock=5, precio=100)
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 2}]})
    assert (venta["subtotal"], venta["iva"], venta["total"], venta["pagado"]) == (200, 32, 232, 232)
    assert_error(
        api.post(
            "/ventas",
            json={
                "items": [{"producto_id": producto["id"], "cantidad": 1}],
                "pagos": [{"metodo": "tarjeta", "monto": 100}],
            },
        ),
        422,
        "pago_insuficiente",
    )


# --- dashboard (own database: exact figures) ---------------------------------------------------


def test_dashboard_figures(fresh_api):
    api = fresh_api
    empty = api.ok("GET", "/stats/dashboard")
    assert empty["ordenes_abiertas"] == 0 and set(empty["ordenes_por_estado"].values()) == {0}
    assert empty["ventas_hoy"]["total"] == 0 and empty["ventas_hoy"]["cantidad"] == 0
    assert empty["bajo_stock"]["cantidad"] == 0 and empty["top_productos_mes"] == []

    cliente = make_cliente(api, nombre="Laura Méndez", telefono="55-1234-0000")
    pasado, futuro = "2020-01-15T10:00:00Z", "2099-01-15T10:00:00Z"
    vencida = make_orden(api, cliente["id"], fecha_promesa=pasado)  # recibido, overdue
    diag = make_orden(api, cliente["id"], fecha_promesa=futuro)
    drive_to(api, diag["id"], "diagnostico")
    listo1 = make_orden(api, cliente["id"], fecha_promesa=pasado)  # ready: waits for pickup, not overdue
    drive_to(api, listo1["id"], "listo")
    listo2 = make_orden(api, cliente["id"])
    drive_to(api, listo2["id"], "listo")
    entregada = make_orden(api, cliente["id"], fecha_promesa=pasado)  # closed: not overdue
    drive_to(api, entregada["id"], "entregado")
    cancelada = make_orden(api, cliente["id"], fecha_promesa=pasado)  # closed: not overdue
    drive_to(api, cancelada["id"], "cancelado")
    espera = make_orden(api, cliente["id"], fecha_promesa="2021-06-01T12:00:00")  # esperando_refaccion, overdue
    drive_to(api, espera["id"], "esperando_refaccion")

    p1 = make_producto(api, nombre="Cable Lightning", stock=10, stock_minimo=2, precio=100)
    p2 = make_producto(api, nombre="Batería Moto G", stock=3, stock_minimo=5, precio=50, codigo="BAT-G")
    make_producto(api, nombre="Mica 9H", stock=5, stock_minimo=1, precio=80)
    baja = make_producto(api, nombre="Descontinuado", stock=0, stock_minimo=3)
    api.ok("PUT", f"/inventario/{baja['id']}", json={"activo": False})

    def sale(items, pagos=None):
        body = {"items": items, **({"pagos": pagos} if pagos is not None else {})}
        return api.ok("POST", "/ventas", 201, json=body)

    sale([{"producto_id": p1["id"], "cantidad": 3}])  # 300 cash
    sale(
        [{"producto_id": p2["id"], "cantidad": 1}, {"producto_id": p1["id"], "cantidad": 1}],
        [{"metodo": "tarjeta", "monto": 150}],
    )  # 150 card
    two_cash = sale(
        [{"producto_id": p1["id"], "cantidad": 2}],
        [{"metodo": "efectivo", "monto": 100}, {"metodo": "efectivo", "monto": 150}],
    )  # 200, change 50
    assert two_cash["cambio"] == 50
    mixed = sale(
        [{"descripcion": "Diagnóstico", "cantidad": 1, "precio_unitario": 80}],
        [{"metodo": "transferencia", "monto": 30}, {"metodo": "efectivo", "monto": 100}],
    )  # 80, change 50
    assert mixed["cambio"] == 50
    anulada = sale([{"producto_id": p2["id"], "cantidad": 1}], [{"metodo": "tarjeta", "monto": 50}])
    api.ok("POST", f"/ventas/{anulada['id']}/cancelar", json={"motivo": "error de captura"})

    board = api.ok("GET", "/stats/dashboard")
    assert board["ordenes_por_estado"] == {
        "recibido": 1,
        "diagnostico": 1,
        "esperando_aprobacion": 0,
        "en_reparacion": 0,
        "esperando_refaccion": 1,
        "listo": 2,
        "entregado": 1,
        "cancelado": 1,
    }
    assert board["ordenes_abiertas"] == 5
    listas = board["listas_para_entrega"]
    assert listas["cantidad"] == 2 and [o["id"] for o in listas["ordenes"]] == [listo1["id"], listo2["id"]]
    assert listas["ordenes"][0]["cliente_nombre"] == "Laura Méndez"
    assert listas["ordenes"][0]["cliente_telefono"] == "55-1234-0000"
    vencidas = board["vencidas"]
    assert vencidas["cantidad"] == 2 and [o["id"] for o in vencidas["ordenes"]] == [vencida["id"], espera["id"]]

    hoy = board["ventas_hoy"]
    assert (hoy["cantidad"], hoy["total"]) == (4, 730)
    # Net cash: 300 + (250 - 50 change) + (100 - 50 change).
    assert hoy["por_metodo"] == {
        "efectivo": {"total": 550, "cantidad": 3},
        "tarjeta": {"total": 150, "cantidad": 1},
        "transferencia": {"total": 80 - 50, "cantidad": 1},
    }
    assert sum(cents(m["total"]) for m in hoy["por_metodo"].values()) == cents(hoy["total"])
    assert board["ventas_mes"] == hoy

    bajo = board["bajo_stock"]
    assert bajo["cantidad"] == 1
    assert bajo["productos"] == [
        {"id": p2["id"], "codigo": "BAT-G", "nombre": "Batería Moto G", "stock": 2, "stock_minimo": 5}
    ]
    assert board["top_productos_mes"] == [
        {"id": p1["id"], "nombre": "Cable Lightning", "cantidad": 6, "importe": 600},
        {"id": p2["id"], "nombre": "Batería Moto G", "cantidad": 1, "importe": 50},
    ]
    assert board["generado_en"].endswith("Z")


# --- quotes (POST /ventas/cotizar) ---------------------------------------------------------------

SALE_TOTALS = ("subtotal", "iva", "descuento", "total", "pagado", "cambio")


def _quote(api, body: dict) -> dict:
    return api.ok("POST", "/ventas/cotizar", json=body)


def _as_sold(quote_items: list[dict]) -> list[dict]:
    """A quote's lines without what only a quote has (the stock now and its warning)."""
    return [{k: v for k, v in item.items() if k not in ("existencia", "aviso")} for item in quote_items]


def _mostrador(server, owner) -> Api:
    username, password = f"mostrador.{uuid.uuid4().hex[:6]}", "clave-de-caja-1"
    owner.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": "Caja", "rol": "mostrador", "password": password},
    )
    return Api(server.url, server.login(username, password), server.verify)


def test_quote_equals_the_sale_that_follows(api):
    a = make_producto(api, stock=5, precio=116)
    b = make_producto(api, stock=3, precio=49.9)
    body = {
        "items": [
            {"producto_id": a["id"], "cantidad": 2, "descuento": 10.5},
            {"producto_id": b["id"], "cantidad": 1, "precio_unitario": 45},  # the owner may change the price
            {"descripcion": "Reparación de pantalla", "cantidad": 1, "precio_unitario": 350},
            {"producto_id": a["id"], "cantidad": 1},
        ],
        "pagos": [{"metodo": "tarjeta", "monto": 500, "referencia": "AUT-9"}, {"metodo": "efectivo", "monto": 300}],
    }
    quote = _quote(api, body)
    assert set(quote) == {"items", *SALE_TOTALS, "falta"}
    venta = api.ok("POST", "/ventas", 201, json=body)
    assert_totals_add_up(venta)
    assert {k: quote[k] for k in SALE_TOTALS} == {k: venta[k] for k in SALE_TOTALS}
    assert quote["falta"] == 0 and quote["cambio"] == venta["cambio"] > 0
    assert _as_sold(quote["items"]) == venta["items"]
    assert [(i["existencia"], i["aviso"]) for i in quote["items"]] == [(5, None), (3, None), (None, None), (5, None)]
    assert stock_of(api, a["id"]) == 2  # the sale moved stock; the quote before it did not


def test_quote_without_payments(api):
    producto = make_producto(api, stock=4, precio=150)
    items = [{"producto_id": producto["id"], "cantidad": 1}]
    # Omitted, as in a sale: exact cash.
    omitted = _quote(api, {"items": items})
    assert (omitted["total"], omitted["pagado"], omitted["cambio"], omitted["falta"]) == (150, 150, 0, 0)
    # Nothing paid yet, or not enough: not an error in a quote, `falta` says how much is missing.
    nothing = _quote(api, {"items": items, "pagos": []})
    assert (nothing["pagado"], nothing["cambio"], nothing["falta"]) == (0, 0, 150)
    short = _quote(api, {"items": items, "pagos": [{"metodo": "efectivo", "monto": 99.5}]})
    assert (short["pagado"], short["cambio"], short["falta"]) == (99.5, 0, 50.5)
    # The sale refuses what the quote showed as missing.
    assert_error(api.post("/ventas", json={"items": items, "pagos": []}), 422, "pago_insuficiente")
    assert stock_of(api, producto["id"]) == 4


def test_quote_split_payment_with_change_and_refused_card_overpayment(api):
    producto = make_producto(api, stock=4, precio=150)
    items = [{"producto_id": producto["id"], "cantidad": 1}]
    split = _quote(
        api, {"items": items, "pagos": [{"metodo": "tarjeta", "monto": 100}, {"metodo": "efectivo", "monto": 100}]}
    )
    assert (split["total"], split["pagado"], split["cambio"], split["falta"]) == (150, 200, 50, 0)
    for pagos in (
        [{"metodo": "tarjeta", "monto": 200}],
        [{"metodo": "tarjeta", "monto": 160}, {"metodo": "efectivo", "monto": 10}],
    ):
        body = {"items": items, "pagos": pagos}
        quoted = assert_error(api.post("/ventas/cotizar", json=body), 422, "pago_excedido")
        assert quoted == assert_error(api.post("/ventas", json=body), 422, "pago_excedido")
    assert stock_of(api, producto["id"]) == 4


def test_quote_warns_of_short_stock_with_the_words_of_the_refusal(api):
    producto = make_producto(api, stock=2, precio=80, nombre=f"Mica {uuid.uuid4().hex[:6]}")
    otro = make_producto(api, stock=9)
    body = {
        "items": [
            {"producto_id": producto["id"], "cantidad": 2},
            {"producto_id": otro["id"], "cantidad": 1},
            {"producto_id": producto["id"], "cantidad": 1},  # 3 of 2 in all: the sale takes stock per product
        ]
    }
    quote = _quote(api, body)
    avisos = [item["aviso"] for item in quote["items"]]
    assert avisos[1] is None and avisos[0] == avisos[2] and producto["nombre"] in avisos[0]
    assert [item["existencia"] for item in quote["items"]] == [2, 9, 2]
    assert quote["total"] == 3 * 80 + otro["precio_venta"] and quote["falta"] == 0
    error = assert_error(api.post("/ventas", json=body), 409, "stock_insuficiente")
    assert error["message"] == avisos[0]
    # Within stock there is no warning.
    assert _quote(api, {"items": body["items"][:2]})["items"][0]["aviso"] is None
    assert stock_of(api, producto["id"]) == 2


def test_quote_refuses_what_the_sale_refuses(server, api):
    counter = _mostrador(server, api)
    producto = make_producto(api, stock=5, precio=100)
    inactivo = make_producto(api, stock=5)
    api.ok("PUT", f"/inventario/{inactivo['id']}", json={"activo": False})
    cancelada = make_orden(api, make_cliente(api)["id"])
    drive_to(api, cancelada["id"], "cancelado")
    line = {"producto_id": producto["id"], "cantidad": 2}
    cases = [
        (counter, {"items": [{**line, "descuento": 20.01}]}, 403, "items.0.descuento"),  # above 10 % of 200
        (counter, {"items": [line, {**line, "precio_unitario": 90}]}, 403, "items.1.precio_unitario"),
        (api, {"items": [{**line, "descuento": 200.01}]}, 422, "items.0.descuento"),  # more than the line
        (api, {"items": [{"producto_id": str(uuid.uuid4()), "cantidad": 1}]}, 404, "items.0.producto_id"),
        (api, {"items": [line, {"producto_id": inactivo["id"], "cantidad": 1}]}, 409, "items.1.producto_id"),
        (api, {"items": [{"cantidad": 1, "precio_unitario": 10}]}, 422, "items.0"),
        (api, {"items": [line], "cliente_id": str(uuid.uuid4())}, 404, "cliente_id"),
        (api, {"items": [line], "orden_id": cancelada["id"]}, 409, None),
    ]
    for client, body, status, field in cases:
        quoted = assert_error(client.post("/ventas/cotizar", json=body), status)
        assert quoted == assert_error(client.post("/ventas", json=body), status), body
        assert field is None or field in quoted["fields"], quoted
    # At the limit the counter's quote and sale both go through.
    assert _quote(counter, {"items": [{**line, "descuento": 20}]})["total"] == 180
    counter.ok("POST", "/ventas", 201, json={"items": [{**line, "descuento": 20}]})
    assert stock_of(api, producto["id"]) == 3
    counter.close()


def test_a_quote_writes_nothing(fresh_server, fresh_api):
    producto = make_producto(fresh_api, stock=3, precio=100)
    first = vender(fresh_api, producto["id"]).json()
    watch = DbWatch(fresh_server.db_path)
    try:
        before, seq = watch.state(), fresh_api.ok("GET", "/sync/changes", params={"since": 0})["last_seq"]
        bodies = [
            {"items": [{"producto_id": producto["id"], "cantidad": 1, "descuento": 5}]},
            {"items": [{"producto_id": producto["id"], "cantidad": 1, "precio_unitario": 80}]},  # audited in a sale
            {"items": [{"producto_id": producto["id"], "cantidad": 9}], "pagos": []},
        ]
        for body in bodies:
            _quote(fresh_api, body)
        assert fresh_api.ok("GET", "/sync/changes", params={"since": 0})["last_seq"] == seq
        assert watch.state() == before
    finally:
        watch.close()
    assert vender(fresh_api, producto["id"]).json()["folio"] == first["folio"] + 1  # no folio was taken


def test_dashboard_sales_of_the_last_30_days_by_local_day(server_with):
    """30 local days of the shop's zone ending today, oldest first, zero-filled, completed sales only.
    A zone 14 hours ahead of UTC: for most of the day its date is not the UTC date."""
    zone = ZoneInfo("Pacific/Kiritimati")
    _, api = server_with(TZ="Pacific/Kiritimati")
    empty = api.ok("GET", "/stats/dashboard")["ventas_30_dias"]
    assert len(empty) == 30 and all((d["total"], d["cantidad"]) == (0, 0) for d in empty)

    producto = make_producto(api, stock=10, precio=120.5)
    vender(api, producto["id"], 2)  # 241
    vender(api, producto["id"], 1, pagos=[{"metodo": "tarjeta", "monto": 120.5}])
    anulada = vender(api, producto["id"], 3).json()
    api.ok("POST", f"/ventas/{anulada['id']}/cancelar", json={"motivo": "prueba"})
    today_before = dt.datetime.now(zone).date()
    board = api.ok("GET", "/stats/dashboard")
    today_after = dt.datetime.now(zone).date()

    dias = board["ventas_30_dias"]
    assert len(dias) == 30
    fechas = [dt.date.fromisoformat(d["fecha"]) for d in dias]
    assert fechas[-1] in (today_before, today_after)
    assert fechas == [fechas[-1] - dt.timedelta(days=back) for back in range(29, -1, -1)]  # consecutive
    assert dias[-1] == {"fecha": fechas[-1].isoformat(), "total": 361.5, "cantidad": 2}
    assert (dias[-1]["total"], dias[-1]["cantidad"]) == (board["ventas_hoy"]["total"], board["ventas_hoy"]["cantidad"])
    assert all((d["total"], d["cantidad"]) == (0, 0) for d in dias[:-1])


def test_daily_sales_follow_local_midnight_across_a_clock_change(tmp_path):
    """Madrid, 29 March 2026: the clocks go forward at 02:00, so that day lasts 23 hours."""
    from appliance.shop import clock, stats
    from appliance.store import Database

    zone = ZoneInfo("Europe/Madrid")
    database = Database(tmp_path / "dst.db")
    local = [
        ("2026-03-28T23:59:59", 100, "completada"),
        ("2026-03-29T00:00:00", 200, "completada"),
        ("2026-03-29T23:59:59", 300, "completada"),
        ("2026-03-29T12:00:00", 900, "cancelada"),
        ("2026-03-30T00:00:00", 400, "completada"),
        ("2026-02-28T12:00:00", 800, "completada"),  # 30 days back is 1 March: outside
    ]
    try:
        with database.write() as tx:
            for folio, (moment, total, estado) in enumerate(local, start=1):
                fecha = clock.iso(dt.datetime.fromisoformat(moment).replace(tzinfo=zone))
                tx.execute(
                    "INSERT INTO ventas (id, folio, subtotal, iva, descuento, total, pagado, cambio, estado, fecha,"
                    " actualizado_en) VALUES (?, ?, ?, 0, 0, ?, ?, 0, ?, ?, ?)",
                    (str(uuid.uuid4()), folio, total * 100, total * 100, total * 100, estado, fecha, fecha),
                )
        now = dt.datetime(2026, 3, 30, 12, 0, tzinfo=zone)
        with database.read() as tx:
            dias = stats.dashboard(tx, zone, now)["ventas_30_dias"]
    finally:
        database.close()
    assert len(dias) == 30 and (dias[0]["fecha"], dias[-1]["fecha"]) == ("2026-03-01", "2026-03-30")
    busy = {d["fecha"]: (d["total"], d["cantidad"]) for d in dias if d["cantidad"]}
    assert busy == {"2026-03-28": (100, 1), "2026-03-29": (500, 2), "2026-03-30": (400, 1)}
