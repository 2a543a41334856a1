"""The audit trail: every create/update/delete names who did it, when, what and from where."""

from __future__ import annotations

import uuid

from conftest import Api
from helpers import assert_error, cambiar_estado, make_cliente, make_orden, make_producto, vender


def _trail(owner, entidad_id):
    return owner.ok("GET", "/auditoria", params={"entidad_id": entidad_id, "limit": 100})["items"][::-1]


def test_changes_to_every_entity_are_recorded_with_the_acting_user(server, api):
    username = f"mostrador.{uuid.uuid4().hex[:6]}"
    usuario = api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": "Caja 2", "rol": "mostrador", "password": "clave-de-caja"},
    )
    counter = Api(server.url, server.login(username, "clave-de-caja"), server.verify)

    cliente = make_cliente(counter, nombre="Auditada", telefono="555-0001")
    counter.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "555-0002"})
    orden = make_orden(counter, cliente["id"], contrasena="PIN 8080")
    counter.ok("PUT", f"/ordenes/{orden['id']}", json={"contrasena": "PIN 9090", "notas": "Trae funda"})
    producto = make_producto(api, stock=3, precio=199)
    api.ok("PUT", f"/inventario/{producto['id']}", json={"precio_venta": 210})
    venta = vender(counter, producto["id"]).json()
    api.ok("POST", f"/ventas/{venta['id']}/cancelar", json={"motivo": "Se equivocó de modelo"})
    otro = make_cliente(counter, nombre="Se borra")
    counter.ok("DELETE", f"/clientes/{otro['id']}")
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"nombre": "Caja dos"})

    def who(entidad_id):
        return [(row["accion"], row["usuario"], row["ip"]) for row in _trail(api, entidad_id)]

    assert who(cliente["id"]) == [
        ("cliente_creado", username, "127.0.0.1"),
        ("cliente_actualizado", username, "127.0.0.1"),
    ]
    assert _trail(api, cliente["id"])[1]["campos"] == ["telefono"]
    assert [r[0] for r in who(orden["id"])] == ["orden_creada", "orden_actualizada"]
    assert _trail(api, orden["id"])[1]["campos"] == ["contrasena", "notas"]
    assert who(producto["id"])[:2] == [
        ("producto_creado", "dueno", "127.0.0.1"),
        ("stock_actualizado", "dueno", "127.0.0.1"),
    ]
    assert ("producto_actualizado", "dueno", "127.0.0.1") in who(producto["id"])
    assert who(venta["id"]) == [("venta_creada", username, "127.0.0.1"), ("venta_cancelada", "dueno", "127.0.0.1")]
    assert who(otro["id"])[-1] == ("cliente_eliminado", username, "127.0.0.1")
    assert [r[:2] for r in who(usuario["id"])][:2] == [("usuario_creado", "dueno"), ("inicio_sesion", username)]
    assert who(usuario["id"])[-1][:2] == ("usuario_actualizado", "dueno")

    # Field names only: no passcode, password or hash is ever in the trail.
    everything = api.get("/auditoria", params={"limit": 500}).text
    for secret in ("PIN 8080", "PIN 9090", "clave-de-caja", "$argon2"):
        assert secret not in everything


def test_filters_and_paging(server, api):
    cliente = make_cliente(api)
    for n in range(3):
        api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": f"Llamada {n}"})
    page = api.ok(
        "GET", "/auditoria", params={"entidad_id": cliente["id"], "accion": "cliente_actualizado", "limit": 2}
    )
    assert len(page["items"]) == 2 and page["has_more"] is True
    assert page["items"][0]["id"] > page["items"][1]["id"]  # newest first
    rest = api.ok(
        "GET",
        "/auditoria",
        params={"entidad_id": cliente["id"], "accion": "cliente_actualizado", "limit": 2, "offset": 2},
    )
    assert len(rest["items"]) == 1 and rest["has_more"] is False
    mine = api.ok("GET", "/auditoria", params={"usuario": "dueno", "entidad": "clientes", "limit": 5})["items"]
    assert mine and all(r["usuario"] == "dueno" and r["entidad"] == "clientes" for r in mine)
    desde = page["items"][0]["fecha"]
    assert all(r["fecha"] >= desde for r in api.ok("GET", "/auditoria", params={"desde": desde})["items"])
    assert_error(api.get("/auditoria", params={"limit": 0}), 422)


def test_a_refused_write_leaves_no_audit_row(api):
    producto = make_producto(api, stock=1)
    before = _trail(api, producto["id"])
    assert_error(vender(api, producto["id"], cantidad=5), 409, "stock_insuficiente")
    assert_error(cambiar_estado(api, make_orden(api, make_cliente(api)["id"])["id"], "entregado"), 409)
    assert _trail(api, producto["id"]) == before
