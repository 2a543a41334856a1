"""Every endpoint needs a token, and each role gets exactly what the shop's rules give it.

The matrix below is written out by hand on purpose: it is the shop's rule book,
not a copy of appliance/permissions.py, so a change to either shows up here.
"""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import Api, client_of, clients_per_role
from helpers import assert_error, cambiar_estado, make_cliente, make_orden, make_producto, token

from appliance.shop.permissions import PERMISSIONS

D, T, M = "dueno", "tecnico", "mostrador"

# (method, OpenAPI path) -> roles allowed.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/clientes"): {D, T, M},
    ("POST", "/clientes"): {D, M},
    ("GET", "/clientes/{id}"): {D, T, M},
    ("PUT", "/clientes/{id}"): {D, M},
    ("DELETE", "/clientes/{id}"): {D, M},
    ("GET", "/clientes/{id}/historial"): {D, T, M},
    ("GET", "/inventario"): {D, T, M},
    ("POST", "/inventario"): {D},
    ("GET", "/inventario/{id}"): {D, T, M},
    ("PUT", "/inventario/{id}"): {D},
    ("PUT", "/inventario/{id}/stock"): {D},
    ("GET", "/inventario/{id}/movimientos"): {D, T, M},
    ("GET", "/ordenes"): {D, T, M},
    ("POST", "/ordenes"): {D, M},
    ("GET", "/ordenes/{id}"): {D, T, M},
    ("PUT", "/ordenes/{id}"): {D, T, M},
    ("PUT", "/ordenes/{id}/estado"): {D, T, M},  # which target states: test_order_states_by_role
    ("POST", "/ordenes/{id}/partes"): {D, T},
    ("GET", "/ordenes/{id}/whatsapp"): {D, T, M},
    ("POST", "/ventas"): {D, M},
    ("POST", "/ventas/cotizar"): {D, M},
    ("GET", "/ventas"): {D, M},
    ("GET", "/ventas/{id}"): {D, M},
    ("POST", "/ventas/{id}/cancelar"): {D},
    ("GET", "/stats/dashboard"): {D, T, M},
    ("GET", "/taller"): {D, T, M},
    ("PUT", "/taller"): {D},
    ("GET", "/qr"): {D, T, M},
    ("GET", "/usuarios"): {D},
    ("GET", "/personal"): {D, T, M},
    ("POST", "/usuarios"): {D},
    ("GET", "/usuarios/me"): {D, T, M},
    ("PUT", "/usuarios/me/password"): {D, T, M},
    ("PUT", "/usuarios/{id}"): {D},
    ("GET", "/auditoria"): {D},
    # Each pushed operation is checked with its REST endpoint's permission (test_sync).
    ("GET", "/sync/changes"): {D, T, M},
    ("POST", "/sync/push"): {D, T, M},
    # The replica's rows are filtered per role inside (test_replica_rows).
    ("GET", "/sync/snapshot"): {D, T, M},
    ("GET", "/sync/filas"): {D, T, M},
    ("POST", "/sync/filas"): {D, T, M},
    ("GET", "/backups"): {D},
    ("POST", "/backups"): {D},
    ("GET", "/backups/{nombre}"): {D},
    ("DELETE", "/backups/{nombre}"): {D},
    ("POST", "/backups/{nombre}/restore"): {D},
}
PUBLIC = {("POST", "/token")}
WRITES = {"POST", "PUT", "DELETE"}


def _operations(api) -> set[tuple[str, str]]:
    doc = api.ok("GET", "/openapi.json")
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "no-existe-" + token(), path)


@pytest.fixture(scope="module")
def server(app_server):
    """The matrix runs in-process: the same app and database code, without a socket per request."""
    return app_server


@pytest.fixture(scope="module")
def staff(server, module_api) -> dict[str, Api]:
    """A signed-in client per role (the owner is the session's seeded account)."""
    return clients_per_role(server, module_api)


def test_the_matrix_names_every_operation(api):
    assert _operations(api) == set(MATRIX) | PUBLIC


@pytest.mark.parametrize("method,path", sorted(MATRIX))
def test_every_endpoint_answers_401_without_a_valid_token(server, method, path):
    anonymous = client_of(server)
    kwargs = {"json": {}} if method in WRITES else {}
    error = assert_error(anonymous.request(method, _url(path), **kwargs), 401, "no_autenticado")
    assert "Inicia sesión" in error["message"]
    response = client_of(server, "no.es.un-token").request(method, _url(path), **kwargs)
    assert assert_error(response, 401, "token_invalido") and response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method,path", sorted(MATRIX))
@pytest.mark.parametrize("rol", [D, T, M])
def test_role_matrix(staff, rol, method, path):
    # An empty body and a made-up id: an allowed role gets past the gate to validation
    # or lookup (4xx other than 401/403) and nothing is written; a refused one gets 403.
    kwargs = {"json": {}} if method in WRITES else {}
    response = staff[rol].request(method, _url(path), **kwargs)
    if rol in MATRIX[(method, path)]:
        assert response.status_code not in (401, 403), (rol, method, path, response.text)
        assert response.status_code < 500, response.text
    else:
        error = assert_error(response, 403, "sin_permiso")
        assert "no permite" in error["message"]


def test_public_routes_need_no_token(server):
    anonymous = client_of(server)
    for path in ("/", "/openapi.json", "/docs", "/swagger/css/swagger-ui.css"):
        assert anonymous.get(path).status_code == 200, path
    assert_error(anonymous.get("/no-existe"), 401)  # unknown paths reveal nothing without a token


def test_order_states_by_role(staff):
    owner = staff[D]
    cliente = make_cliente(owner)
    orden = make_orden(owner, cliente["id"], contrasena="PIN 4321")
    # Bench work is the technician's; the counter may not move it to diagnosis.
    assert_error(cambiar_estado(staff[M], orden["id"], "diagnostico"), 403, "sin_permiso")
    assert cambiar_estado(staff[T], orden["id"], "diagnostico").status_code == 200
    # Handing the device back happens at the counter, not at the bench.
    assert_error(cambiar_estado(staff[T], orden["id"], "cancelado"), 403, "sin_permiso")
    assert cambiar_estado(staff[M], orden["id"], "cancelado").status_code == 200


def _changes_of(client, entidad_id: str) -> list[dict]:
    """The change-log entries of one record, as `client`'s role gets them from GET /sync/changes."""
    found, since = [], 0
    while True:
        page = client.ok("GET", "/sync/changes", params={"since": since, "limit": 1000})
        found += [change for change in page["items"] if change["id"] == entidad_id]
        since = page["last_seq"]
        if not page["has_more"]:
            return found


def test_each_role_is_shown_only_the_next_states_it_may_choose(staff):
    cliente = make_cliente(staff[D])
    orden = make_orden(staff[M], cliente["id"])
    assert orden["siguientes_estados"] == ["cancelado"]  # the counter's own intake answer
    shown = {D: ["diagnostico", "cancelado"], T: ["diagnostico"], M: ["cancelado"]}
    for rol, estados in shown.items():
        assert staff[rol].ok("GET", f"/ordenes/{orden['id']}")["siguientes_estados"] == estados, rol
        # The list too: a board offers each card's moves from it.
        (listed,) = staff[rol].ok("GET", "/ordenes", params={"cliente_id": cliente["id"]})["items"]
        assert listed["siguientes_estados"] == estados, rol
        # /sync/changes carries the order as this role may see it.
        (creada,) = _changes_of(staff[rol], orden["id"])
        assert creada["event"] == "orden_creada" and creada["data"]["siguientes_estados"] == estados, rol
    # Every answer that carries the order: an edit, a part, a state change.
    edited = staff[T].ok("PUT", f"/ordenes/{orden['id']}", json={"diagnostico": "Conector flojo"})
    assert edited["siguientes_estados"] == ["diagnostico"]
    parte = {"tipo": "mano_obra", "descripcion": "Limpieza", "precio_unitario": 100}
    assert staff[T].ok("POST", f"/ordenes/{orden['id']}/partes", 201, json=parte)["siguientes_estados"] == [
        "diagnostico"
    ]
    moved = cambiar_estado(staff[T], orden["id"], "diagnostico")
    assert moved.status_code == 200 and moved.json()["siguientes_estados"] == ["esperando_aprobacion"]
    assert staff[M].ok("GET", f"/ordenes/{orden['id']}")["siguientes_estados"] == ["cancelado"]
    assert staff[D].ok("GET", f"/ordenes/{orden['id']}")["siguientes_estados"] == ["esperando_aprobacion", "cancelado"]
    # What a role is shown is what it may do: the counter's only choice goes through.
    cancelled = cambiar_estado(staff[M], orden["id"], "cancelado")
    assert cancelled.status_code == 200 and cancelled.json()["siguientes_estados"] == []


def test_sync_push_answers_show_the_order_as_the_pushing_role_may_see_it(staff):
    cliente = make_cliente(staff[D])
    orden_id = str(uuid.uuid4())
    crear = {"op_id": str(uuid.uuid4()), "tipo": "orden.crear"}
    crear["datos"] = {"id": orden_id, "cliente_id": cliente["id"], "equipo": "tablet", "falla_reportada": "No carga"}
    (applied,) = staff[M].ok("POST", "/sync/push", json={"device_id": "caja-1", "ops": [crear]})["results"]
    assert applied["resultado"] == "applied" and applied["data"]["siguientes_estados"] == ["cancelado"]
    # A create whose id exists already answers with the record as it is, shown the same way.
    again = {**crear, "op_id": str(uuid.uuid4())}
    (duplicate,) = staff[M].ok("POST", "/sync/push", json={"device_id": "caja-1", "ops": [again]})["results"]
    assert duplicate["resultado"] == "duplicate" and duplicate["actual"]["siguientes_estados"] == ["cancelado"]
    estado = {"op_id": str(uuid.uuid4()), "tipo": "orden.estado", "datos": {"id": orden_id, "estado": "diagnostico"}}
    (moved,) = staff[T].ok("POST", "/sync/push", json={"device_id": "banco-1", "ops": [estado]})["results"]
    assert moved["resultado"] == "applied" and moved["data"]["siguientes_estados"] == ["esperando_aprobacion"]


# What each role holds, as the shop's rule book says (the owner holds every permission).
HELD = {
    T: [
        "clientes:leer",
        "inventario:leer",
        "ordenes:cambiar_estado",
        "ordenes:costo_final",
        "ordenes:editar",
        "ordenes:estado_taller",
        "ordenes:leer",
        "ordenes:partes",
        "ordenes:ver_acceso",
        "personal:leer",
        "sesion",
        "stats:leer",
        "taller:leer",
    ],
    M: [
        "clientes:eliminar",
        "clientes:escribir",
        "clientes:leer",
        "inventario:leer",
        "ordenes:cambiar_estado",
        "ordenes:editar",
        "ordenes:estado_mostrador",
        "ordenes:leer",
        "ordenes:recibir",
        "personal:leer",
        "sesion",
        "stats:leer",
        "taller:leer",
        "ventas:crear",
        "ventas:leer",
    ],
}


def test_my_account_lists_what_my_role_may_do(staff):
    every = set()
    for rol in (T, M):
        me = staff[rol].ok("GET", "/usuarios/me")
        assert me["rol"] == rol and me["permisos"] == HELD[rol], rol
        assert me["limite_descuento_porcentaje"] == 10  # DISCOUNT_LIMIT_PERCENT's default
        every |= set(me["permisos"])
    owner = staff[D].ok("GET", "/usuarios/me")
    assert owner["permisos"] == sorted(PERMISSIONS) and set(owner["permisos"]) > every  # the owner holds them all
    assert "password_hash" not in owner


def test_device_passcode_is_shown_only_to_roles_that_work_on_the_device(staff):
    owner = staff[D]
    cliente = make_cliente(owner)
    orden = make_orden(staff[M], cliente["id"], contrasena="Patrón Z 1-5-9")
    assert orden["contrasena"] is None  # the counter takes it down but does not read it back
    for rol in (D, T):
        assert staff[rol].ok("GET", f"/ordenes/{orden['id']}")["contrasena"] == "Patrón Z 1-5-9"
    assert staff[M].ok("GET", f"/ordenes/{orden['id']}")["contrasena"] is None
    listed = staff[M].ok("GET", "/ordenes", params={"q": orden["folio"]})["items"]
    assert listed and all(item["contrasena"] is None for item in listed)
    assert staff[T].ok("GET", "/ordenes", params={"q": orden["folio"]})["items"][0]["contrasena"] == "Patrón Z 1-5-9"


def test_refused_role_changes_nothing(staff):
    producto = make_producto(staff[D], stock=5, precio=250)
    assert_error(staff[M].put(f"/inventario/{producto['id']}", json={"precio_venta": 1}), 403)
    assert_error(staff[T].put(f"/inventario/{producto['id']}/stock", json={"cantidad": -5, "motivo": "merma"}), 403)
    assert staff[D].ok("GET", f"/inventario/{producto['id']}") == producto


def test_a_technician_sees_a_customers_devices_but_not_their_purchases(staff):
    cliente = make_cliente(staff[D])
    make_orden(staff[M], cliente["id"])
    producto = make_producto(staff[D], stock=2)
    staff[M].ok(
        "POST",
        "/ventas",
        201,
        json={"cliente_id": cliente["id"], "items": [{"producto_id": producto["id"], "cantidad": 1}]},
    )
    for rol, ventas in ((D, 1), (M, 1), (T, 0)):
        historial = staff[rol].ok("GET", f"/clientes/{cliente['id']}/historial")
        assert len(historial["ordenes"]) == 1 and len(historial["ventas"]) == ventas, rol
