"""/inventario against the real server: products, filters, deactivation and the stock ledger."""

from __future__ import annotations

import uuid

import pytest
from helpers import assert_error, assert_ledger_consistent, kardex, make_producto, stock_of, vender


def ids(page):
    return [item["id"] for item in page["items"]]


def test_create_and_get(api, unique):
    body = {
        "codigo": f"750{unique}",
        "nombre": f"Pantalla iPhone 11 {unique}",
        "categoria": "Pantallas",
        "precio_compra": 850.5,
        "precio_venta": 1499.99,
        "stock": 4,
        "stock_minimo": 2,
    }
    producto = api.ok("POST", "/inventario", 201, json=body)
    uuid.UUID(producto["id"])
    for field in ("codigo", "nombre", "categoria", "precio_compra", "precio_venta", "stock", "stock_minimo"):
        assert producto[field] == body[field], field
    assert producto["activo"] is True and producto["bajo_stock"] is False and producto["version"] == 1
    assert api.ok("GET", f"/inventario/{producto['id']}") == producto
    # The initial stock entered the ledger as a count.
    page = kardex(api, producto["id"])
    assert [(m["delta"], m["motivo"], m["stock_resultante"]) for m in page["items"]] == [(4, "conteo", 4)]
    assert page["suma_movimientos"] == 4


def test_defaults(api, unique):
    producto = api.ok("POST", "/inventario", 201, json={"nombre": f"Mica {unique}"})
    assert (
        producto["codigo"],
        producto["categoria"],
        producto["precio_compra"],
        producto["precio_venta"],
        producto["stock"],
        producto["stock_minimo"],
        producto["activo"],
    ) == (None, None, 0, 0, 0, 0, True)
    assert producto["bajo_stock"] is True  # 0 <= 0
    page = kardex(api, producto["id"])
    assert page["items"] == [] and page["suma_movimientos"] == 0


def test_duplicate_codigo_is_refused(api, unique):
    first = make_producto(api, codigo=f"SKU-{unique}")
    error = assert_error(
        api.post("/inventario", json={"nombre": f"Otro {unique}", "codigo": f"SKU-{unique}"}), 409, "codigo_duplicado"
    )
    assert first["nombre"] in error["message"]
    assert ids(api.ok("GET", "/inventario", params={"q": unique})) == [first["id"]]
    other = make_producto(api, codigo=f"SKU2-{unique}")
    assert_error(api.put(f"/inventario/{other['id']}", json={"codigo": f"SKU-{unique}"}), 409, "codigo_duplicado")
    assert api.ok("GET", f"/inventario/{other['id']}") == other
    # Re-saving its own code is fine.
    assert api.ok("PUT", f"/inventario/{first['id']}", json={"codigo": f"SKU-{unique}"})["version"] == 2


def test_list_search_category_and_low_stock(api, unique):
    categoria = f"Cat-{unique}"
    bateria = make_producto(api, nombre=f"Batería Motorola {unique}", categoria=categoria, stock=1, stock_minimo=3)
    cable = make_producto(
        api, nombre=f"Cable USB-C {unique}", categoria=categoria, stock=10, stock_minimo=2, codigo=f"CB{unique}"
    )
    justo = make_producto(api, nombre=f"Cargador {unique}", categoria=categoria, stock=2, stock_minimo=2)
    make_producto(api, nombre=f"Funda {unique}", categoria=f"Otra-{unique}", stock=0, stock_minimo=1)

    assert ids(api.ok("GET", "/inventario", params={"q": f"BATERIA {unique}"})) == [bateria["id"]]
    assert ids(api.ok("GET", "/inventario", params={"q": f"cb{unique}"})) == [cable["id"]]  # by codigo
    assert ids(api.ok("GET", "/inventario", params={"q": f"{categoria.lower()}"})) == [
        bateria["id"],
        cable["id"],
        justo["id"],
    ]
    listed = api.ok("GET", "/inventario", params={"categoria": categoria})
    assert ids(listed) == [bateria["id"], cable["id"], justo["id"]]  # by nombre
    low = api.ok("GET", "/inventario", params={"categoria": categoria, "bajo_stock": "true"})
    assert ids(low) == [bateria["id"], justo["id"]]
    assert all(p["bajo_stock"] for p in low["items"])
    high = api.ok("GET", "/inventario", params={"categoria": categoria, "bajo_stock": "false"})
    assert ids(high) == [cable["id"]]
    both = api.ok("GET", "/inventario", params={"q": unique, "bajo_stock": "true"})
    assert len(both["items"]) == 3  # bateria, cargador and the other category's funda
    paged = api.ok("GET", "/inventario", params={"categoria": categoria, "limit": 2})
    assert paged["has_more"] is True and len(paged["items"]) == 2


def test_update_product_and_versions(api, unique):
    producto = make_producto(api, nombre=f"Flex {unique}", precio=200)
    updated = api.ok(
        "PUT", f"/inventario/{producto['id']}", json={"precio_venta": 249.9, "categoria": "Flex", "version": 1}
    )
    assert updated["precio_venta"] == 249.9 and updated["categoria"] == "Flex" and updated["version"] == 2
    assert updated["stock"] == producto["stock"]
    assert_error(
        api.put(f"/inventario/{producto['id']}", json={"precio_venta": 1, "version": 1}), 409, "version_obsoleta"
    )
    assert_error(
        api.put(f"/inventario/{producto['id']}", json={"precio_venta": 1}, headers={"If-Match": '"1"'}),
        409,
        "version_obsoleta",
    )
    assert api.ok("GET", f"/inventario/{producto['id']}") == updated
    assert (
        api.ok("PUT", f"/inventario/{producto['id']}", json={"precio_venta": 1}, headers={"If-Match": '"2"'})["version"]
        == 3
    )
    # Required columns cannot be nulled; stock cannot be edited here (only through the ledger).
    assert_error(api.put(f"/inventario/{producto['id']}", json={"nombre": None}), 422)
    assert_error(api.put(f"/inventario/{producto['id']}", json={"precio_venta": None}), 422)
    assert_error(api.put(f"/inventario/{producto['id']}", json={"stock": 99}), 422)
    assert api.ok("GET", f"/inventario/{producto['id']}")["version"] == 3


def test_deactivate_hides_and_blocks_sales(api, unique):
    producto = make_producto(api, nombre=f"Viejo {unique}", stock=5)
    off = api.ok("PUT", f"/inventario/{producto['id']}", json={"activo": False})
    assert off["activo"] is False
    assert api.ok("GET", "/inventario", params={"q": unique})["items"] == []
    shown = api.ok("GET", "/inventario", params={"q": unique, "incluir_inactivos": "true"})
    assert ids(shown) == [producto["id"]] and shown["items"][0]["activo"] is False
    assert api.ok("GET", f"/inventario/{producto['id']}")["activo"] is False
    error = assert_error(vender(api, producto["id"]), 409, "producto_inactivo")
    assert producto["nombre"] in error["message"]
    assert stock_of(api, producto["id"]) == 5
    assert len(kardex(api, producto["id"])["items"]) == 1
    api.ok("PUT", f"/inventario/{producto['id']}", json={"activo": True})
    assert vender(api, producto["id"]).status_code == 201
    assert stock_of(api, producto["id"]) == 4


@pytest.mark.parametrize(
    "motivo, cantidad", [("compra", 5), ("devolucion", 2), ("merma", -3), ("ajuste", -1), ("ajuste", 4)]
)
def test_stock_adjustment_by_motivo(api, motivo, cantidad):
    producto = make_producto(api, stock=10)
    result = api.ok(
        "PUT",
        f"/inventario/{producto['id']}/stock",
        json={"motivo": motivo, "cantidad": cantidad, "nota": f"prueba {motivo}"},
    )
    assert result["producto"]["stock"] == 10 + cantidad
    movimiento = result["movimiento"]
    assert (movimiento["delta"], movimiento["motivo"], movimiento["stock_resultante"], movimiento["nota"]) == (
        cantidad,
        motivo,
        10 + cantidad,
        f"prueba {motivo}",
    )
    page = assert_ledger_consistent(api, producto["id"])
    assert page["items"][0] == movimiento
    assert stock_of(api, producto["id"]) == 10 + cantidad


def test_stock_count_sets_the_counted_stock(api):
    producto = make_producto(api, stock=10)
    down = api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "conteo", "stock": 7})
    assert down["producto"]["stock"] == 7
    assert (down["movimiento"]["delta"], down["movimiento"]["motivo"]) == (-3, "conteo")
    up = api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "conteo", "stock": 12})
    assert up["movimiento"]["delta"] == 5 and up["producto"]["stock"] == 12
    same = api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "conteo", "stock": 12})
    assert same["movimiento"] is None and same["producto"]["stock"] == 12
    zero = api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "conteo", "stock": 0})
    assert zero["producto"]["stock"] == 0
    page = assert_ledger_consistent(api, producto["id"])
    assert [m["delta"] for m in page["items"]] == [-12, 5, -3, 10]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"motivo": "compra", "cantidad": -2}, 422, None),
        ({"motivo": "compra", "cantidad": 0}, 422, None),
        ({"motivo": "devolucion", "cantidad": -1}, 422, None),
        ({"motivo": "merma", "cantidad": 2}, 422, None),
        ({"motivo": "merma", "cantidad": -4}, 409, "stock_insuficiente"),
        ({"motivo": "ajuste", "cantidad": -4}, 409, "stock_insuficiente"),
        ({"motivo": "ajuste", "cantidad": 0}, 422, None),
        ({"motivo": "ajuste"}, 422, None),
        ({"motivo": "compra", "stock": 5}, 422, None),
        ({"motivo": "compra", "cantidad": 1, "stock": 5}, 422, None),
        ({"motivo": "conteo", "cantidad": 3}, 422, None),
        ({"motivo": "conteo", "stock": 3, "cantidad": 3}, 422, None),
        ({"motivo": "conteo"}, 422, None),
        ({"motivo": "conteo", "stock": -1}, 422, None),
        ({"motivo": "venta", "cantidad": -1}, 422, None),
        ({"motivo": "orden", "cantidad": -1}, 422, None),
        ({"cantidad": 1}, 422, None),
    ],
)
def test_refused_stock_adjustments_write_nothing(api, body, status, code):
    producto = make_producto(api, stock=3)
    before = kardex(api, producto["id"])
    error = assert_error(api.put(f"/inventario/{producto['id']}/stock", json=body), status, code)
    if status == 409:
        assert producto["nombre"] in error["message"]
    assert kardex(api, producto["id"]) == before
    assert api.ok("GET", f"/inventario/{producto['id']}") == producto


def test_kardex_newest_first_with_references(api):
    producto = make_producto(api, stock=10, precio=50)
    api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "compra", "cantidad": 5})
    venta = vender(api, producto["id"], 3).json()
    api.ok("PUT", f"/inventario/{producto['id']}/stock", json={"motivo": "merma", "cantidad": -1, "nota": "rota"})
    api.ok("POST", f"/ventas/{venta['id']}/cancelar", json={"motivo": "devolución"})
    page = assert_ledger_consistent(api, producto["id"])
    assert [(m["motivo"], m["delta"]) for m in page["items"]] == [
        ("devolucion", 3),
        ("merma", -1),
        ("venta", -3),
        ("compra", 5),
        ("conteo", 10),
    ]
    assert page["items"][0]["referencia"] == venta["id"]
    assert page["items"][2]["referencia"] == venta["id"]
    assert page["items"][1]["nota"] == "rota"
    assert page["suma_movimientos"] == page["producto"]["stock"] == 14
    # Paging of the kardex.
    first = kardex(api, producto["id"], limit=2)
    assert first["has_more"] is True and [m["id"] for m in first["items"]] == [m["id"] for m in page["items"][:2]]
    rest = kardex(api, producto["id"], limit=2, offset=4)
    assert rest["has_more"] is False and [m["id"] for m in rest["items"]] == [page["items"][4]["id"]]
    assert rest["suma_movimientos"] == 14


def test_unknown_product_is_404_everywhere(api):
    missing = str(uuid.uuid4())
    assert_error(api.get(f"/inventario/{missing}"), 404, "no_encontrado")
    assert_error(api.put(f"/inventario/{missing}", json={"nombre": "x"}), 404)
    assert_error(api.put(f"/inventario/{missing}/stock", json={"motivo": "compra", "cantidad": 1}), 404)
    assert_error(api.get(f"/inventario/{missing}/movimientos"), 404)
    assert_error(vender(api, missing), 404)
