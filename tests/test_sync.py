"""Offline sync: outboxes pushed in any order, any number of times, end in the same shop."""

from __future__ import annotations

import uuid

from helpers import assert_error, assert_ledger_consistent, make_cliente, make_producto
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PRODUCTO = "5e0b7a52-6d1c-4c8f-9a51-0f6f3c2d9a11"


def _op(op_tipo: str, **datos) -> dict:
    return {"op_id": str(uuid.uuid4()), "tipo": op_tipo, "datos": datos}


def _push(api, device: str, ops: list[dict]) -> list[dict]:
    return api.ok("POST", "/sync/push", json={"device_id": device, "ops": ops})["results"]


def _outboxes() -> tuple[list[dict], list[dict]]:
    """What two counters did while the network was down (ids made on the devices)."""
    ca, cb, orden, va, vb1, vb2 = (str(uuid.uuid4()) for _ in range(6))
    device_a = [
        _op("cliente.crear", id=ca, nombre="Rosa Díaz", telefono="555-0101"),
        _op("venta.crear", id=va, cliente_id=ca, items=[{"producto_id": PRODUCTO, "cantidad": 3}]),
        _op("cliente.actualizar", id=ca, base_version=1, cambios={"email": "rosa@example.mx"}),
        _op("orden.crear", id=orden, cliente_id=ca, equipo="celular", falla_reportada="No carga"),
        _op("orden.parte", orden_id=orden, tipo="parte", producto_id=PRODUCTO, cantidad=1),
        _op("orden.estado", id=orden, estado="diagnostico", nota="Revisando el puerto"),
    ]
    device_b = [
        _op("cliente.crear", id=cb, nombre="Tomás Ruiz"),
        _op("venta.crear", id=vb1, items=[{"producto_id": PRODUCTO, "cantidad": 4}]),
        _op(
            "venta.crear",
            id=vb2,
            cliente_id=cb,
            items=[{"producto_id": PRODUCTO, "cantidad": 5}],
            pagos=[{"metodo": "efectivo", "monto": 1000}],
        ),
        _op("stock.ajustar", producto_id=PRODUCTO, motivo="merma", cantidad=-1, nota="Se cayó"),
    ]
    return device_a, device_b


def _snapshot(api) -> dict:
    """The shop as the owner sees it, without sequence numbers or timestamps."""
    producto = api.ok("GET", f"/inventario/{PRODUCTO}")
    clientes = {
        c["id"]: (c["nombre"], c["telefono"], c["email"], c["version"])
        for c in api.ok("GET", "/clientes", params={"limit": 500})["items"]
    }
    ventas = {v["id"]: (v["total"], v["estado"]) for v in api.ok("GET", "/ventas", params={"limit": 500})["items"]}
    ordenes = {}
    for resumen in api.ok("GET", "/ordenes", params={"limit": 500})["items"]:
        orden = api.ok("GET", f"/ordenes/{resumen['id']}")
        ordenes[orden["id"]] = (orden["estado"], [(p["tipo"], p["cantidad"]) for p in orden["partes"]])
    return {"stock": producto["stock"], "clientes": clientes, "ventas": ventas, "ordenes": ordenes}


def _fresh_shop(server_with):
    _proc, api = server_with()
    make_producto(api, id=PRODUCTO, codigo="FUNDA-01", nombre="Funda", precio=100, stock=10)
    return api


def test_two_devices_in_any_order_and_with_retries_reach_the_same_shop(server_with):
    device_a, device_b = _outboxes()

    first = _fresh_shop(server_with)
    results_a = _push(first, "caja-a", device_a)
    results_b = _push(first, "caja-b", device_b)
    assert [r["resultado"] for r in results_a + results_b] == ["applied"] * 10, results_a + results_b
    # The answer to A's push was lost: A sends the whole batch again; B resends its last two.
    replay = _push(first, "caja-a", device_a) + _push(first, "caja-b", device_b[2:])
    assert {r["resultado"] for r in replay} == {"duplicate"} and {r["original"] for r in replay} == {"applied"}

    second = _fresh_shop(server_with)
    # B first, in two overlapping chunks; then A, its first half twice.
    _push(second, "caja-b", device_b[:3])
    _push(second, "caja-b", device_b[1:])
    _push(second, "caja-a", device_a[:3])
    _push(second, "caja-a", device_a)

    one, other = _snapshot(first), _snapshot(second)
    assert one == other
    # Stock is initial minus everything sold, fitted or lost, even below zero (it happened offline).
    assert one["stock"] == 10 - 3 - 1 - 4 - 5 - 1 == -4
    assert len(one["ventas"]) == 3 and len(one["clientes"]) == 2
    assert list(one["ordenes"].values()) == [("diagnostico", [("parte", 1)])]
    for api in (first, second):
        assert assert_ledger_consistent(api, PRODUCTO)["suma_movimientos"] == -4


def test_an_update_on_a_moved_record_is_a_conflict_with_the_current_record(fresh_api):
    cliente = make_cliente(fresh_api, nombre="Ana Gil")
    fresh_api.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "555-0200"})  # online, meanwhile
    [result] = _push(
        fresh_api,
        "caja-c",
        [_op("cliente.actualizar", id=cliente["id"], base_version=1, cambios={"telefono": "555-0300"})],
    )
    assert result["resultado"] == "conflict" and result["error"]["code"] == "version_obsoleta"
    assert result["actual"]["telefono"] == "555-0200" and result["actual"]["version"] == 2
    assert fresh_api.ok("GET", f"/clientes/{cliente['id']}")["telefono"] == "555-0200"


def test_refused_operations_write_nothing_and_say_why(fresh_api):
    cliente = make_cliente(fresh_api)
    orden_id = str(uuid.uuid4())
    results = _push(
        fresh_api,
        "caja-d",
        [
            _op("orden.crear", id=orden_id, cliente_id=cliente["id"], equipo="tablet", falla_reportada="Pantalla"),
            _op("orden.estado", id=orden_id, estado="entregado"),  # the state machine says no
            _op("venta.crear", items=[]),  # invalid, and no id
            _op("stock.ajustar", producto_id=str(uuid.uuid4()), motivo="compra", cantidad=2),
            _op("cliente.crear", id=cliente["id"], nombre="Otra vez"),  # the id already exists
        ],
    )
    assert [r["resultado"] for r in results] == ["applied", "rejected", "rejected", "rejected", "duplicate"]
    assert results[1]["error"]["code"] == "transicion_invalida" and "no puede pasar" in results[1]["error"]["message"]
    assert results[2]["error"]["code"] == "validacion"
    assert results[3]["error"]["code"] == "no_encontrado"
    assert results[4]["actual"]["nombre"] == cliente["nombre"]
    assert fresh_api.ok("GET", f"/ordenes/{orden_id}")["estado"] == "recibido"


def test_each_operation_needs_the_role_its_endpoint_needs(fresh_server, fresh_api):
    from conftest import Api

    username = f"tecnico.{uuid.uuid4().hex[:6]}"
    fresh_api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": "Banco", "rol": "tecnico", "password": "clave-del-banco"},
    )
    bench = Api(fresh_server.url, fresh_server.login(username, "clave-del-banco"), fresh_server.verify)
    producto = make_producto(fresh_api, stock=4)
    results = _push(
        bench,
        "banco-1",
        [
            _op("venta.crear", id=str(uuid.uuid4()), items=[{"producto_id": producto["id"], "cantidad": 1}]),
            _op("stock.ajustar", producto_id=producto["id"], motivo="merma", cantidad=-1),
        ],
    )
    assert [(r["resultado"], r["error"]["code"]) for r in results] == [("rejected", "sin_permiso")] * 2
    assert fresh_api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 4


def test_push_envelope_is_validated(fresh_api):
    assert_error(
        fresh_api.post(
            "/sync/push", json={"device_id": "x", "ops": [{"op_id": "1", "tipo": "borrar_todo", "datos": {}}]}
        ),
        422,
    )
    assert_error(fresh_api.post("/sync/push", json={"ops": []}), 422)
    assert fresh_api.ok("POST", "/sync/push", json={"device_id": "x", "ops": []}) == {"results": []}


def test_changes_pages_through_the_log(fresh_api):
    ids = [make_cliente(fresh_api)["id"] for _ in range(5)]
    seen, since, pages = [], 0, 0
    while True:
        page = fresh_api.ok("GET", "/sync/changes", params={"since": since, "limit": 2})
        seen += [c["id"] for c in page["items"]]
        since, pages = page["last_seq"], pages + 1
        if not page["has_more"]:
            break
    assert seen == ids and pages == 3
    assert fresh_api.ok("GET", "/sync/changes", params={"since": since}) == {
        "items": [],
        "last_seq": since,
        "has_more": False,
    }


# --- property: whatever the sequence, stock is the ledger's sum and nothing applies twice ----------

operation = st.one_of(
    st.tuples(st.just("venta"), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("compra"), st.integers(0, 1), st.integers(1, 5)),
    st.tuples(st.just("merma"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("replay"), st.integers(0, 50), st.just(0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=12), batch=st.integers(1, 5))
def test_random_outboxes_keep_stock_equal_to_the_ledger(server, api, steps, batch):
    productos = [make_producto(api, stock=3) for _ in range(2)]
    sent: list[dict] = []
    expected = [3, 3]
    ops: list[dict] = []
    for kind, which, amount in steps:
        if kind == "replay":
            if sent:
                ops.append(sent[which % len(sent)])
            continue
        producto_id = productos[which]["id"]
        if kind == "venta":
            op = _op("venta.crear", id=str(uuid.uuid4()), items=[{"producto_id": producto_id, "cantidad": amount}])
            expected[which] -= amount
        else:
            delta = amount if kind == "compra" else -amount
            op = _op("stock.ajustar", producto_id=producto_id, motivo=kind, cantidad=delta)
            expected[which] += delta
        ops.append(op)
        sent.append(op)
    applied: set[str] = set()
    for start in range(0, len(ops), batch):
        for result in _push(api, "propiedad", ops[start : start + batch]):
            if result["resultado"] == "applied":
                assert result["op_id"] not in applied, "an operation was applied twice"
                applied.add(result["op_id"])
            else:
                assert result["resultado"] == "duplicate" and result["op_id"] in applied, result
    assert applied == {op["op_id"] for op in sent}
    for producto, stock in zip(productos, expected, strict=True):
        assert api.ok("GET", f"/inventario/{producto['id']}")["stock"] == stock
        assert_ledger_consistent(api, producto["id"])
