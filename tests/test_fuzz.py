"""Issue 2, Acceptance 4: malformed and hostile input to every endpoint yields a 4xx with the
error shape, never a 5xx, and never a change in the database.

Every request carries the owner's token (issue 3), so validation and the domain code are
reached, not just the gate; a 401 anywhere but POST /token fails the test. The servers here run
with the highest LOGIN_MAX_FAILURES, so the wrong passwords that fuzzing POST /token sends
neither slow nor lock anyone out. The account fuzzing edits is a technician's, never the owner's
whose token the fuzz uses (a password reset or `cerrar_sesiones` would end its session).

Five layers, all against a real server process on 127.0.0.1 (no mocks):

1. Schemathesis, driven by the server's own /openapi.json: every operation, its examples,
   coverage (boundary and type-violating values of every parameter, unexpected methods) and
   fuzzing phases, positive and negative data. Checks: no 5xx, the error shape on every 4xx,
   and Schemathesis' status code, content type and response schema conformance.
2. The same schema-driven generation aimed at records that exist (ids of real customers,
   products, orders, sales and a technician's account), so the domain code behind validation
   is reached too.
3. Negative data only (every request invalid) against an appliance of its own: afterwards
   every table of the SQLite file is byte-for-byte what it was, and the API lists agree
   (POST /token's forms are layer 5's).
4. A hand-written Hypothesis test posting random JSON (real field names mixed with random
   ones) to the write endpoints: < 500, error shape on 4xx, and a 2xx only for input that is
   valid by the documented contract, whose record round-trips through the API.
5. Hypothesis login forms to POST /token (URL-encoded and multipart, right and wrong
   passwords of real accounts): a token only for the right password, and it works; a refused
   form changes nothing but the audit line of a failed password check.

Runs are reproducible (fixed seed, derandomized Hypothesis, no example database) and bounded
(examples per operation below), so the file takes about two minutes on the 2-core reference box.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import apsw
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

pytestmark = pytest.mark.slow  # hundreds of generated requests per operation

# Examples per operation for the schema-driven fuzzing phase (the coverage phase adds its own
# deterministic boundary cases on top), and per operation/endpoint for the other tests.
SCHEMA_MAX_EXAMPLES = 40
EXISTING_MAX_EXAMPLES = 25
NEGATIVE_MAX_EXAMPLES = 25
RANDOM_JSON_MAX_EXAMPLES = 120
LOGIN_MAX_EXAMPLES = 60
SEED = 20_260_002

SCHEMATHESIS_CONFIG = {
    "seed": SEED,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
    "request-timeout": 15,
    "generation": {
        "mode": "all",  # positive and negative data
        "max-examples": SCHEMA_MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}

# Besides our own checks (no 5xx, error shape): what Schemathesis verifies on every response.
SCHEMATHESIS_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

HYPOTHESIS_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# Every table of the store; the snapshot also picks up any table added later.
DOMAIN_TABLES = (
    "cambios",
    "clientes",
    "productos",
    "movimientos_stock",
    "ordenes",
    "orden_historial",
    "orden_partes",
    "ventas",
    "venta_items",
    "venta_pagos",
    "folios",
)

RESOURCE_PREFIXES = {
    "clientes": "/clientes/",
    "productos": "/inventario/",
    "ordenes": "/ordenes/",
    "ventas": "/ventas/",
    "usuarios": "/usuarios/",
}

# The highest LOGIN_MAX_FAILURES config.py allows: the few hundred wrong passwords the fuzz sends
# stay below half of it, where each failure starts to cost a second.
FUZZ_ENV = {"LOGIN_MAX_FAILURES": "1000"}


# --------------------------------------------------------------------------- shared checks


def _header(response: Any, wanted: str) -> str:
    """From a requests.Response or a schemathesis Response (lower-case keys, list values)."""
    for name, value in response.headers.items():
        if name.lower() == wanted.lower():
            return value[0] if isinstance(value, list) else value
    return ""


def _content_type(response: Any) -> str:
    return _header(response, "Content-Type")


def assert_error_shape(response: requests.Response | Any, what: str) -> None:
    """`{"error": {"code": str, "message": non-empty str, "fields": {str: str}}}` and nothing else."""
    __tracebackhide__ = True
    content_type = _content_type(response)
    assert content_type.startswith("application/json"), (
        f"{what}: {response.status_code} is not JSON ({content_type!r}): {response.text[:300]!r}"
    )
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"{what}: unexpected error body {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "fields"}, (
        f"{what}: unexpected error {error!r}"
    )
    assert isinstance(error["code"], str) and error["code"], f"{what}: bad code in {error!r}"
    assert isinstance(error["message"], str) and error["message"].strip(), f"{what}: empty message in {error!r}"
    assert isinstance(error["fields"], dict), f"{what}: fields is not an object in {error!r}"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items()), (
        f"{what}: fields must map names to messages: {error!r}"
    )


def is_login(case: schemathesis.Case) -> bool:
    return case.operation.label == "POST /token"


def check_case_response(case: schemathesis.Case, response: Any) -> None:
    """Our must-haves first (no 5xx, the error shape, the owner's session still open), then
    Schemathesis' conformance checks."""
    __tracebackhide__ = True
    what = f"{case.method} {case.formatted_path}\n  reproduce: {case.as_curl_command()}"
    assert response.status_code < 500, f"{what}\n  -> {response.status_code}: {response.text[:500]}"
    assert response.status_code != 401 or is_login(case), (
        f"{what}\n  -> 401: the fuzz's token stopped working, later requests would test only the gate: {response.text}"
    )
    if 400 <= response.status_code < 500 and case.method.upper() != "HEAD":  # HEAD answers carry no body
        assert_error_shape(response, what)
    if response.status_code == 405:
        assert _header(response, "Allow"), f"{what}: a 405 must name the allowed methods (Allow)"
    case.validate_response(response, checks=SCHEMATHESIS_CHECKS)


# --------------------------------------------------------------------------- servers and data


def owner_session(server: ServerProcess) -> requests.Session:
    """requests.Session signed in as the server's owner."""
    session = requests.Session()
    session.headers.update(server.headers)
    return session


def _post(session: requests.Session, base: str, path: str, body: dict) -> dict:
    response = session.post(base + path, json=body, timeout=10)
    assert response.status_code == 201, (path, response.status_code, response.text)
    return response.json()


def seed_records(server: ServerProcess, tag: str = "A") -> dict[str, list[str]]:
    """A few real customers, products, orders (one with a part) and sales, and a technician's
    account, to aim at."""
    s, base = owner_session(server), server.url
    clientes = [
        _post(s, base, "/clientes", {"nombre": f"Cliente Fuzz {i}", "telefono": f"555-010{i}"})["id"] for i in range(3)
    ]
    productos = [
        _post(
            s,
            base,
            "/inventario",
            {
                "nombre": f"Refacción Fuzz {i}",
                "codigo": f"FZ-{tag}-{i}",
                "categoria": "Pantallas",
                "precio_compra": 50,
                "precio_venta": 120.5,
                "stock": 1000,
                "stock_minimo": 2,
            },
        )["id"]
        for i in range(3)
    ]
    ordenes = [
        _post(
            s,
            base,
            "/ordenes",
            {
                "cliente_id": clientes[i % 3],
                "equipo": "celular",
                "marca": "Motorola",
                "falla_reportada": "No enciende",
                "presupuesto": 450,
                "anticipo": 100,
            },
        )["id"]
        for i in range(3)
    ]
    _post(s, base, f"/ordenes/{ordenes[0]}/partes", {"tipo": "parte", "producto_id": productos[0], "cantidad": 1})
    _post(
        s,
        base,
        f"/ordenes/{ordenes[0]}/partes",
        {"tipo": "mano_obra", "descripcion": "Cambio de centro de carga", "precio_unitario": 200},
    )
    ventas = [
        _post(
            s,
            base,
            "/ventas",
            {
                "cliente_id": clientes[i % 3],
                "items": [
                    {"producto_id": productos[i % 3], "cantidad": 1},
                    {"descripcion": "Funda", "cantidad": 2, "precio_unitario": 30},
                ],
                "pagos": [{"metodo": "efectivo", "monto": 500}],
            },
        )["id"]
        for i in range(3)
    ]
    # The account fuzzing edits (role, active flag, password, sessions): never the owner's.
    usuarios = [
        _post(
            s,
            base,
            "/usuarios",
            {
                "username": f"objetivo-{tag.lower()}",
                "nombre": "Técnico Fuzz",
                "rol": "tecnico",
                "password": "clave-del-tecnico-objetivo",
            },
        )["id"]
    ]
    return {"clientes": clientes, "productos": productos, "ordenes": ordenes, "ventas": ventas, "usuarios": usuarios}


def load_schema(server: ServerProcess) -> schemathesis.BaseSchema:
    """The server's /openapi.json; every request Schemathesis makes from it carries the owner's token."""
    config = schemathesis.Config.from_dict({**SCHEMATHESIS_CONFIG, "headers": server.headers})
    return schemathesis.openapi.from_url(server.url + "/openapi.json", config=config)


def operations(schema: schemathesis.BaseSchema) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def resource_of(path: str) -> str | None:
    return next((name for name, prefix in RESOURCE_PREFIXES.items() if path.startswith(prefix)), None)


def db_snapshot(db_path) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table, read-only (APSW, never sqlite3)."""
    conn = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        snapshot = {}
        for table in tables:
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
                count += 1
            snapshot[table] = (count, digest.hexdigest())
        return snapshot
    finally:
        conn.close()


def api_counts(server: ServerProcess) -> dict[str, int]:
    """What a client sees: list sizes (all fit in one page here)."""
    session, counts = owner_session(server), {}
    for name, path in (
        ("clientes", "/clientes"),
        ("productos", "/inventario?incluir_inactivos=true"),
        ("ordenes", "/ordenes"),
        ("ventas", "/ventas"),
    ):
        sep = "&" if "?" in path else "?"
        body = session.get(f"{server.url}{path}{sep}limit=500", timeout=10).json()
        assert body["has_more"] is False
        counts[name] = len(body["items"])
    counts["usuarios"] = len(session.get(f"{server.url}/usuarios", timeout=10).json()["items"])
    return counts


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    """An appliance for this module: fuzzing fills it with odd records the session's tests need not see."""
    proc = ServerProcess(tmp_path_factory.mktemp("fuzz"), **FUZZ_ENV).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def fuzz_records(fuzz_server) -> dict[str, list[str]]:
    return seed_records(fuzz_server)


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_server, fuzz_records):
    return load_schema(fuzz_server)


# --------------------------------------------------------------------------- 1. schema-driven fuzz

lazy_schema = schemathesis.pytest.from_fixture("fuzz_schema")


@lazy_schema.parametrize()
def test_every_operation_survives_schema_fuzzing(case):
    """Examples, coverage and fuzzing phases, positive and negative data, every operation."""
    response = case.call(timeout=15)
    check_case_response(case, response)


def test_schema_covers_every_endpoint(fuzz_schema):
    """The fuzz above sees the whole API (issues 2 to 5) (so no endpoint escapes it), and since
    it sends the token everywhere, the schema must say which operations need one: all but the login."""
    ops = operations(fuzz_schema)
    labels = {op.label for op in ops}
    expected = {
        "POST /token",
        "GET /usuarios",
        "GET /personal",
        "POST /usuarios",
        "GET /usuarios/me",
        "PUT /usuarios/me/password",
        "PUT /usuarios/{id}",
        "GET /auditoria",
        "GET /clientes",
        "POST /clientes",
        "GET /clientes/{id}",
        "PUT /clientes/{id}",
        "DELETE /clientes/{id}",
        "GET /clientes/{id}/historial",
        "GET /inventario",
        "POST /inventario",
        "GET /inventario/{id}",
        "PUT /inventario/{id}",
        "PUT /inventario/{id}/stock",
        "GET /inventario/{id}/movimientos",
        "GET /ordenes",
        "POST /ordenes",
        "GET /ordenes/{id}",
        "PUT /ordenes/{id}",
        "PUT /ordenes/{id}/estado",
        "POST /ordenes/{id}/partes",
        "GET /ordenes/{id}/whatsapp",
        "GET /ventas",
        "POST /ventas",
        "POST /ventas/cotizar",
        "GET /ventas/{id}",
        "POST /ventas/{id}/cancelar",
        "GET /stats/dashboard",
        "GET /taller",
        "PUT /taller",
        "GET /qr",
        "GET /sync/changes",
        "POST /sync/push",
        "GET /backups",
        "POST /backups",
        "GET /backups/{nombre}",
        "DELETE /backups/{nombre}",
        "POST /backups/{nombre}/restore",
    }
    assert expected <= labels, f"missing from /openapi.json: {sorted(expected - labels)}"
    public = {op.label for op in ops if not op.definition.raw.get("security")}
    assert public == {"POST /token"}, f"operations /openapi.json lets in without a token: {sorted(public)}"


# --------------------------------------------------------------------------- 2. aimed at real records


def _existing_id_strategy(operation, ids: list[str], modes: tuple[GenerationMode, ...]):
    ids_strategy = st.sampled_from(ids)
    return st.one_of(
        *[ids_strategy.flatmap(lambda i, m=mode: operation.as_strategy(m, path_parameters={"id": i})) for mode in modes]
    )


def _has_inputs_besides_path(operation) -> bool:
    return len(operation.body) > 0 or len(operation.query) > 0


@pytest.mark.parametrize("resource", sorted(RESOURCE_PREFIXES))
def test_operations_on_existing_records(fuzz_schema, fuzz_records, resource):
    """Positive and negative data for every `{id}` operation, with ids that exist."""
    targets = [op for op in operations(fuzz_schema) if "{id}" in op.path and resource_of(op.path) == resource]
    assert targets, resource
    for operation in targets:
        modes = (
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            if _has_inputs_besides_path(operation)
            else (GenerationMode.POSITIVE,)
        )

        @settings(max_examples=EXISTING_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
        @given(case=_existing_id_strategy(operation, fuzz_records[resource], modes))
        def run(case):
            check_case_response(case, case.call(timeout=15))

        run()


# --------------------------------------------------------------------------- 3. no partial writes


def test_invalid_input_changes_nothing(server_with):
    """Negative data only, to every operation (random ids and real ones): every write is refused
    with a 4xx in the error shape, and afterwards the database is exactly what it was."""
    fresh_server, _ = server_with(**FUZZ_ENV)
    records = seed_records(fresh_server)
    schema = load_schema(fresh_server)
    before_db = db_snapshot(fresh_server.db_path)
    before_api = api_counts(fresh_server)
    for table in DOMAIN_TABLES:
        assert table in before_db, f"table {table} missing from {sorted(before_db)}"
    assert before_db["cambios"][0] > 0 and before_db["ventas"][0] == 3

    accepted: list[str] = []
    for operation in operations(schema):
        if not (len(operation.path_parameters) or len(operation.query) or len(operation.body)):
            continue  # nothing to make invalid (GET /stats/dashboard); the schema fuzz covers it
        if operation.label == "POST /token":
            # Once form-encoded every field is text, so a "wrong type" is a well-formed login, refused
            # with 401 and, by design, an audit line; test_login_forms checks that malformed forms change nothing.
            continue
        strategies = [operation.as_strategy(GenerationMode.NEGATIVE)]
        resource = resource_of(operation.path)
        if "{id}" in operation.path and _has_inputs_besides_path(operation):
            strategies.append(_existing_id_strategy(operation, records[resource], (GenerationMode.NEGATIVE,)))

        @settings(max_examples=NEGATIVE_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
        @given(case=st.one_of(*strategies))
        def run(case):
            response = case.call(timeout=15)
            what = f"{case.method} {case.formatted_path}\n  reproduce: {case.as_curl_command()}"
            assert response.status_code < 500, f"{what}\n  -> {response.status_code}: {response.text[:500]}"
            if case.method.upper() in ("POST", "PUT", "PATCH", "DELETE") and response.status_code < 400:
                accepted.append(f"{what}\n  -> {response.status_code}: {response.text[:300]}")
            if response.status_code >= 400:
                assert_error_shape(response, what)

        run()

    assert not accepted, "invalid input was accepted by a write:\n" + "\n".join(accepted)
    after_db = db_snapshot(fresh_server.db_path)
    changed = {
        table: (before_db.get(table), after_db.get(table))
        for table in set(before_db) | set(after_db)
        if before_db.get(table) != after_db.get(table)
    }
    assert not changed, f"invalid input changed the database (table: (rows, digest) before/after): {changed}"
    assert api_counts(fresh_server) == before_api


# --------------------------------------------------------------------------- 4. random JSON, by hand


@dataclass(frozen=True)
class F:
    """One field of a request body, as documented: what JSON it takes."""

    kind: str  # text | id | money | int | bool | enum | list | datetime
    required: bool = False
    nullable: bool = True
    lo: int | None = None
    hi: int | None = None
    choices: tuple = ()
    item: dict | None = None
    max_items: int | None = None
    min_items: int = 0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def invalid_reason(value: Any, spec: dict[str, F]) -> str | None:
    """Why `value` breaks the documented contract of a body, or None when it keeps it."""
    if not isinstance(value, dict):
        return f"not an object: {type(value).__name__}"
    unknown = set(value) - set(spec)
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    for name, f in spec.items():
        if name not in value:
            if f.required:
                return f"{name} missing"
            continue
        v = value[name]
        if v is None:
            if f.nullable and not f.required:
                continue
            return f"{name} is null"
        if f.kind in ("text", "id", "datetime") and not isinstance(v, str):
            return f"{name} is not text"
        if f.kind == "money" and not (_is_number(v) or isinstance(v, str)):
            return f"{name} is not an amount"
        if f.kind == "money" and _is_number(v) and v < 0:
            return f"{name} is negative"
        if f.kind == "int":
            if not _is_int(v):
                return f"{name} is not an integer"
            if (f.lo is not None and v < f.lo) or (f.hi is not None and v > f.hi):
                return f"{name} out of range"
        if f.kind == "bool" and not isinstance(v, bool):
            return f"{name} is not a boolean"
        if f.kind == "enum" and v not in f.choices:
            return f"{name} not one of {f.choices}"
        if f.kind == "list":
            if not isinstance(v, list):
                return f"{name} is not a list"
            if len(v) < f.min_items or (f.max_items is not None and len(v) > f.max_items):
                return f"{name} has {len(v)} items"
            for item in v:
                reason = invalid_reason(item, f.item or {})
                if reason:
                    return f"{name}[]: {reason}"
    return None


TEXT, OPT_ID = F("text"), F("id")
MONEY = F("money")
PIEZAS = F("int", lo=0, hi=1_000_000)
CLIENTE = {
    "id": OPT_ID,
    "nombre": F("text", required=True),
    "telefono": TEXT,
    "email": TEXT,
    "direccion": TEXT,
    "rfc": TEXT,
    "notas": TEXT,
}
PRODUCTO = {
    "id": OPT_ID,
    "codigo": TEXT,
    "nombre": F("text", required=True),
    "categoria": TEXT,
    "precio_compra": MONEY,
    "precio_venta": MONEY,
    "stock": PIEZAS,
    "stock_minimo": PIEZAS,
    "activo": F("bool"),
}
PUNTO = {"punto": F("text", required=True), "estado": F("text", required=True)}
EQUIPOS = ("celular", "laptop", "pc", "tablet", "consola", "otro")
PRIORIDADES = ("baja", "normal", "alta", "urgente")
ORDEN = {
    "id": OPT_ID,
    "cliente_id": F("id", required=True),
    "equipo": F("enum", required=True, choices=EQUIPOS),
    "falla_reportada": F("text", required=True),
    "condicion": F("list", nullable=False, item=PUNTO, max_items=30),
    "anticipo": MONEY,
    "prioridad": F("enum", nullable=False, choices=PRIORIDADES),
    "garantia_dias": F("int", nullable=False, lo=0, hi=3650),
    "marca": TEXT,
    "modelo": TEXT,
    "numero_serie": TEXT,
    "color": TEXT,
    "accesorios": TEXT,
    "contrasena": TEXT,
    "diagnostico": TEXT,
    "presupuesto": MONEY,
    "costo_final": MONEY,
    "tecnico_id": OPT_ID,
    "fecha_promesa": F("datetime"),
    "notas": TEXT,
}
ITEM = {
    "producto_id": OPT_ID,
    "descripcion": TEXT,
    "cantidad": F("int", required=True, lo=1, hi=100_000),
    "precio_unitario": MONEY,
    "descuento": MONEY,
}
PAGO = {
    "metodo": F("enum", required=True, choices=("efectivo", "tarjeta", "transferencia")),
    "monto": F("money", required=True),
    "referencia": TEXT,
}
VENTA = {
    "id": OPT_ID,
    "cliente_id": OPT_ID,
    "orden_id": OPT_ID,
    "items": F("list", required=True, item=ITEM, min_items=1, max_items=100),
    "pagos": F("list", item=PAGO, max_items=10),
    "notas": TEXT,
}
STOCK = {
    "motivo": F("enum", required=True, choices=("compra", "ajuste", "merma", "devolucion", "conteo")),
    "cantidad": F("int", lo=-1_000_000, hi=1_000_000),
    "stock": PIEZAS,
    "nota": TEXT,
}
ESTADOS = (
    "recibido",
    "diagnostico",
    "esperando_aprobacion",
    "en_reparacion",
    "esperando_refaccion",
    "listo",
    "entregado",
    "cancelado",
)
ESTADO = {
    "estado": F("enum", required=True, choices=ESTADOS),
    "nota": TEXT,
    "registrar_adeudo": F("bool", nullable=False),
    "version": F("int", lo=1, hi=2_000_000_000),
}

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _value_for(f: F, ids: dict[str, list[str]], name: str) -> st.SearchStrategy:
    """A plausible value of the field's kind (often valid, sometimes at or past a boundary)."""
    if f.kind == "text":
        plausible = st.text(max_size=40) | st.sampled_from(
            ["Juan Pérez", "  con espacios  ", "", "   ", "x" * 121, "PEJU800101AB1", "555-1234", "juan@example.mx"]
        )
    elif f.kind == "id":
        pool = {"cliente_id": "clientes", "orden_id": "ordenes", "producto_id": "productos"}.get(name)
        plausible = st.sampled_from(ids[pool]) if pool else st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
        plausible = plausible | st.sampled_from(["no-existe", "", "../etc", "a" * 65])
    elif f.kind == "money":
        plausible = (
            st.decimals(0, 10_000, places=2).map(float)
            | st.integers(0, 10_000)
            | st.sampled_from(["12.50", "0.001", -1, 1e12, "abc", 99999999.99])
        )
    elif f.kind == "int":
        lo, hi = f.lo if f.lo is not None else -10, f.hi if f.hi is not None else 10
        plausible = st.integers(lo, min(hi, lo + 50)) | st.sampled_from([lo - 1, hi, hi + 1, 2.0, "5"])
    elif f.kind == "bool":
        plausible = st.booleans() | st.sampled_from(["true", 1, 0])
    elif f.kind == "enum":
        plausible = st.sampled_from([*list(f.choices), "no_valido", f.choices[0].upper()])
    elif f.kind == "datetime":
        plausible = st.sampled_from(["2027-01-15T17:00", "2027-01-15T17:00:00Z", "mañana", "2027-13-45", 0])
    elif f.kind == "list":
        item = body_strategy(f.item or {}, ids)
        plausible = st.lists(item, min_size=0, max_size=3)
    else:  # pragma: no cover
        raise AssertionError(f.kind)
    return st.one_of(plausible, plausible, plausible, JSON_VALUES)


SAFE_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(lambda t: t.strip())
VALID_TEXT = {
    "telefono": st.from_regex(r"\A[0-9+()\-. ]{1,30}\Z"),
    "email": st.from_regex(r"\A[a-z0-9._]{1,20}@[a-z0-9]{1,20}\.mx\Z"),
    "rfc": st.from_regex(r"\A[A-Z]{3,4}[0-9]{6}[A-Z0-9]{3}\Z"),
}
VALID_DATETIMES = ["2027-01-15T17:00", "2027-01-15T17:00:00Z", "2027-01-15 09:30:00-06:00", "2027-02-01"]


def _valid_value(f: F, ids: dict[str, list[str]], name: str) -> st.SearchStrategy:
    """A value the documented contract allows (the domain may still refuse it: a 404 or a 409)."""
    if f.kind == "text":
        return VALID_TEXT.get(name, SAFE_TEXT)
    if f.kind == "id":
        pool = {"cliente_id": "clientes", "orden_id": "ordenes", "producto_id": "productos"}.get(name)
        return st.sampled_from(ids[pool]) if pool else st.uuids().map(str)
    if f.kind == "money":
        return st.decimals(0, 5_000, places=2).map(lambda d: float(d) if d % 2 else str(d))
    if f.kind == "int":
        lo = f.lo if f.lo is not None else 0
        return st.integers(lo, min(f.hi, lo + 20) if f.hi is not None else lo + 20)
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "enum":
        return st.sampled_from(f.choices)
    if f.kind == "datetime":
        return st.sampled_from(VALID_DATETIMES)
    if f.kind == "list":
        return st.lists(valid_body(f.item or {}, ids), min_size=max(f.min_items, 1), max_size=3)
    raise AssertionError(f.kind)  # pragma: no cover


def valid_body(spec: dict[str, F], ids: dict[str, list[str]]) -> st.SearchStrategy:
    """Required fields and some optional ones, all valid; a sale's lines sell products or services."""
    if spec is ITEM:
        product = st.fixed_dictionaries(
            {"producto_id": st.sampled_from(ids["productos"]), "cantidad": st.integers(1, 3)}
        )
        service = st.fixed_dictionaries(
            {
                "descripcion": SAFE_TEXT,
                "cantidad": st.integers(1, 3),
                "precio_unitario": _valid_value(MONEY, ids, "precio_unitario"),
            }
        )
        return product | service
    if spec is VENTA:  # payments left out: exact cash
        return st.fixed_dictionaries(
            {"items": st.lists(valid_body(ITEM, ids), min_size=1, max_size=3)},
            optional={"cliente_id": _valid_value(OPT_ID, ids, "cliente_id"), "notas": SAFE_TEXT},
        )
    required = {name: _valid_value(f, ids, name) for name, f in spec.items() if f.required}
    optional = {
        name: _valid_value(f, ids, name)
        for name, f in spec.items()
        if not f.required and name not in ("id", "version", "stock", "cantidad")
    }
    return st.fixed_dictionaries(required, optional=optional)


_DROP = object()


def mutated(body: st.SearchStrategy, spec: dict[str, F]) -> st.SearchStrategy:
    """A valid body with one or two fields dropped, replaced by random JSON or added."""
    names = [*sorted(spec), "campo_x", ""]

    def mutate(draw_pair):
        value, edits = draw_pair
        value = dict(value)
        for name, replacement in edits:
            if replacement is _DROP:
                value.pop(name, None)
            else:
                value[name] = replacement
        return value

    edit = st.tuples(st.sampled_from(names), st.just(_DROP) | JSON_VALUES)
    return st.tuples(body, st.lists(edit, min_size=1, max_size=2)).map(mutate)


def body_strategy(spec: dict[str, F], ids: dict[str, list[str]]) -> st.SearchStrategy:
    """Objects with the real field names (required ones usually present) plus, sometimes, random keys."""
    required = {name: _value_for(f, ids, name) for name, f in spec.items() if f.required}
    optional = {name: _value_for(f, ids, name) for name, f in spec.items() if not f.required}
    known = st.fixed_dictionaries({}, optional={**required, **optional})
    with_required = st.fixed_dictionaries(required, optional=optional)
    extra = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=2)
    return st.one_of(
        with_required,
        with_required,
        with_required,
        known,
        st.tuples(with_required, extra).map(lambda pair: {**pair[1], **pair[0]}),
    )


def payload_strategy(spec: dict[str, F], ids: dict[str, list[str]]) -> st.SearchStrategy:
    """Valid bodies, valid bodies with a field or two broken, field-by-field mixes, any JSON at all."""
    valid = valid_body(spec, ids)
    return st.one_of(
        valid,
        mutated(valid, spec),
        mutated(valid, spec),
        body_strategy(spec, ids),
        body_strategy(spec, ids),
        JSON_VALUES,
    )


# Blank, as the OpenAPI document spells it for optional text (stored as null).
BLANK = re.compile("^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$")


def _norm_text(value: Any) -> str | None:
    if value is None or BLANK.match(value):
        return None
    return value.strip()


def _amount(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(str(value).strip()))
    except InvalidOperation:  # pragma: no cover - the server refused it then
        raise AssertionError(f"accepted amount {value!r}") from None


def assert_fields_round_trip(sent: dict, record: dict, spec: dict[str, F]) -> None:
    """What was sent is what is stored (text trimmed, blank -> null, RFC upper-case, money exact)."""
    __tracebackhide__ = True
    for name, value in sent.items():
        f = spec[name]
        if name not in record or f.kind in ("list", "datetime"):
            continue
        got = record[name]
        if f.kind == "text":
            expected = value.strip() if f.required else _norm_text(value)
            if name == "rfc" and expected is not None:
                expected = expected.upper()
            if f.required or expected is not None:
                assert got is not None and got.strip() == expected, (name, value, got)
            else:
                assert got is None, (name, value, got)
        elif f.kind == "money" and value is not None:
            assert got is not None and abs(got - _amount(value)) < 0.005, (name, value, got)
        elif f.kind in ("int", "bool", "enum", "id") and value is not None:
            assert got == value, (name, value, got)


@dataclass
class RandomJsonClient:
    base: str
    ids: dict[str, list[str]]
    session: requests.Session  # signed in
    orden_slots: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.orden_slots = [self.new_orden() for _ in range(3)]

    def send(self, method: str, path: str, payload: Any, spec: dict[str, F]) -> requests.Response:
        """Send; < 500 always, the error shape on 4xx, and a 2xx only for input the contract allows."""
        __tracebackhide__ = True
        response = self.session.request(method, self.base + path, json=payload, timeout=15)
        what = f"{method} {path} with {payload!r}"
        assert response.status_code < 500, f"{what}\n  -> {response.status_code}: {response.text[:500]}"
        if response.status_code >= 400:
            assert_error_shape(response, what)
        else:
            reason = invalid_reason(payload, spec)
            assert reason is None, f"{what}\n  accepted although {reason}: {response.status_code} {response.text[:300]}"
        return response

    def new_orden(self) -> str:
        orden = _post(
            self.session,
            self.base,
            "/ordenes",
            {
                "cliente_id": self.ids["clientes"][0],
                "equipo": "laptop",
                "falla_reportada": "Pantalla rota",
                "presupuesto": 900,
            },
        )
        return orden["id"]

    def get(self, path: str) -> dict:
        response = self.session.get(self.base + path, timeout=15)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


@pytest.fixture(scope="module")
def random_json(fuzz_server) -> RandomJsonClient:
    # Records of its own: the schema fuzz may have deleted or cancelled the module's others.
    return RandomJsonClient(fuzz_server.url, seed_records(fuzz_server, tag="R"), owner_session(fuzz_server))


def _post_and_read_back(random_json, data, path: str, model):
    """POST a drawn payload; when created, its fields round-trip and GET returns the same record."""
    payload = data.draw(payload_strategy(model, random_json.ids))
    response = random_json.send("POST", path, payload, model)
    if response.status_code != 201:
        return payload, None
    created = response.json()
    assert_fields_round_trip(payload, created, model)
    assert random_json.get(f"{path}/{created['id']}") == created
    return payload, created


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_post_clientes(random_json, data):
    _post_and_read_back(random_json, data, "/clientes", CLIENTE)


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_post_inventario(random_json, data):
    payload, created = _post_and_read_back(random_json, data, "/inventario", PRODUCTO)
    if created:
        kardex = random_json.get(f"/inventario/{created['id']}/movimientos")
        assert kardex["suma_movimientos"] == created["stock"] == (payload.get("stock") or 0)


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_post_ordenes(random_json, data):
    payload, created = _post_and_read_back(random_json, data, "/ordenes", ORDEN)
    if created:
        assert created["estado"] == "recibido"
        assert [p["punto"].strip() for p in created["condicion"]] == [
            p["punto"].strip() for p in payload.get("condicion") or []
        ]


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_post_ventas(random_json, data):
    payload = data.draw(payload_strategy(VENTA, random_json.ids))
    response = random_json.send("POST", "/ventas", payload, VENTA)
    if response.status_code == 201:
        created = response.json()
        assert [(i["producto_id"], i["cantidad"]) for i in created["items"]] == [
            (i.get("producto_id"), i["cantidad"]) for i in payload["items"]
        ]
        assert created["estado"] == "completada"
        assert created["pagado"] >= created["total"] - 0.005
        assert random_json.get(f"/ventas/{created['id']}") == created


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_put_stock(random_json, data):
    producto_id = data.draw(st.sampled_from(random_json.ids["productos"]))
    before = random_json.get(f"/inventario/{producto_id}")
    payload = data.draw(payload_strategy(STOCK, random_json.ids))
    response = random_json.send("PUT", f"/inventario/{producto_id}/stock", payload, STOCK)
    after = random_json.get(f"/inventario/{producto_id}")
    if response.status_code == 200:
        expected = payload["stock"] if payload["motivo"] == "conteo" else before["stock"] + payload["cantidad"]
        assert after["stock"] == expected == response.json()["producto"]["stock"]
    else:
        assert after == before, "a refused stock adjustment changed the product"
    kardex = random_json.get(f"/inventario/{producto_id}/movimientos?limit=1")
    assert kardex["suma_movimientos"] == after["stock"]


@settings(max_examples=RANDOM_JSON_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_random_json_put_estado(random_json, data):
    # Draws never depend on the server's state (Hypothesis replays them): a slot, then an index.
    slot = data.draw(st.integers(0, len(random_json.orden_slots) - 1))
    orden_id = random_json.orden_slots[slot]
    before = random_json.get(f"/ordenes/{orden_id}")
    if not before["siguientes_estados"]:  # delivered or cancelled: take in another device
        orden_id = random_json.orden_slots[slot] = random_json.new_orden()
        before = random_json.get(f"/ordenes/{orden_id}")
    payload = data.draw(payload_strategy(ESTADO, random_json.ids))
    if isinstance(payload, dict) and data.draw(st.booleans()):  # often aim at a transition the machine allows
        siguientes = before["siguientes_estados"]
        payload = {**payload, "estado": siguientes[data.draw(st.integers(0, 7)) % len(siguientes)]}
    response = random_json.send("PUT", f"/ordenes/{orden_id}/estado", payload, ESTADO)
    after = random_json.get(f"/ordenes/{orden_id}")
    if response.status_code == 200:
        assert payload["estado"] in before["siguientes_estados"], (before["estado"], payload)
        assert after["estado"] == payload["estado"] == response.json()["estado"]
        assert after["historial"][-1]["a_estado"] == payload["estado"]
        assert after["historial"][-1]["de_estado"] == before["estado"]
        assert len(after["historial"]) == len(before["historial"]) + 1
    else:
        assert after == before, "a refused state change changed the order"


# --------------------------------------------------------------------------- 5. login forms


FORM_TEXT = st.text(max_size=70)


@pytest.fixture(scope="module")
def login_accounts(fuzz_server) -> dict[str, tuple[str, bool]]:
    """username -> (password, active): the owner, a counter worker and a deactivated technician."""
    accounts = {
        OWNER: (OWNER_PASSWORD, True),
        "mostrador-login": ("clave-del-mostrador", True),
        "tecnico-de-baja": ("clave-del-tecnico-de-baja", False),
    }
    session = owner_session(fuzz_server)
    for username, (password, active) in accounts.items():
        if username == OWNER:
            continue
        created = _post(
            session,
            fuzz_server.url,
            "/usuarios",
            {"username": username, "nombre": username, "rol": "mostrador", "password": password},
        )
        if not active:
            response = session.put(f"{fuzz_server.url}/usuarios/{created['id']}", json={"activo": False}, timeout=10)
            assert response.status_code == 200, response.text
    return accounts


def _spellings(username: str) -> st.SearchStrategy[str]:
    """How people type a username: the server ignores case and surrounding spaces."""
    return st.sampled_from([username, username.upper(), f"  {username} ", username.title() + "\t"])


def _last_audit(session: requests.Session, base: str) -> dict:
    return session.get(base + "/auditoria?limit=1", timeout=10).json()["items"][0]


@settings(max_examples=LOGIN_MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
@given(data=st.data())
def test_login_forms(fuzz_server, login_accounts, data):
    """POST /token with drawn forms, URL-encoded or multipart: a token only for an active account's
    right password, and that token works; 401 for a wrong password or an unknown user, 403 for a
    deactivated account, 422 for a malformed form; a refused form changes nothing but, when the
    password was checked, the one audit line that records the failure."""
    session, base = owner_session(fuzz_server), fuzz_server.url
    multipart = data.draw(st.booleans(), label="multipart")
    known = st.sampled_from(sorted(login_accounts)).flatmap(_spellings)
    username = data.draw(st.one_of(known, known, FORM_TEXT), label="username")
    account = login_accounts.get(username.strip().casefold())
    passwords = [FORM_TEXT]
    if account:
        right = account[0]
        passwords.insert(0, st.sampled_from([right, right, right.upper(), f" {right}", right + "x"]))
    password = data.draw(st.one_of(*passwords), label="password")
    extras = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "grant_type": st.sampled_from(["password", "password", "client_credentials"]) | FORM_TEXT,
                "scope": FORM_TEXT,
                "client_id": FORM_TEXT,
                "client_secret": FORM_TEXT,
                "campo_x": FORM_TEXT,
            },
        ),
        label="extras",
    )
    form = {"username": username, "password": password, **extras}

    before = _last_audit(session, base)
    if multipart:
        response = requests.post(base + "/token", files={k: (None, v) for k, v in form.items()}, timeout=15)
    else:
        response = requests.post(base + "/token", data=form, timeout=15)
    after = _last_audit(session, base)

    well_formed = (
        1 <= len(username) <= 64 and 1 <= len(password) <= 256 and extras.get("grant_type", "password") == "password"
    )
    if not well_formed:
        expected, code = 422, "validacion"
    elif account is None or password != account[0]:
        expected, code = 401, "credenciales_invalidas"
    elif not account[1]:
        expected, code = 403, "cuenta_inactiva"
    else:
        expected, code = 200, None
    what = f"POST /token {'multipart' if multipart else 'urlencoded'} {form!r}"
    assert response.status_code == expected, f"{what}\n  -> {response.status_code}: {response.text[:300]}"
    if code:
        assert_error_shape(response, what)
        assert response.json()["error"]["code"] == code, (what, response.text)
    else:
        token = response.json()
        me = requests.get(
            base + "/usuarios/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
        )
        assert (
            me.status_code == 200
            and me.json()["username"] == username.strip().casefold() == token["usuario"]["username"]
        ), (what, me.text)

    audited = {401: "inicio_sesion_fallido", 200: "inicio_sesion", 403: "inicio_sesion_cuenta_inactiva"}.get(
        response.status_code
    )
    if audited:
        assert after["id"] == before["id"] + 1 and after["accion"] == audited, (what, before, after)
    else:
        assert after == before, f"{what}\n  a refused login changed the audit trail: {before} -> {after}"


@pytest.mark.parametrize("password", ["12345678", '"clave-entre-comillas"', "clave-sin-comillas", " con espacios "])
def test_login_takes_the_password_as_typed(fuzz_server, password):
    """The password the owner gave an account signs in, and no other spelling of it does (flask-openapi3
    would JSON-decode form fields: 12345678 into a number, "clave" into clave)."""
    username = f"tecleo-{hashlib.sha256(password.encode()).hexdigest()[:8]}"
    _post(
        owner_session(fuzz_server),
        fuzz_server.url,
        "/usuarios",
        {"username": username, "nombre": "Tecleo", "rol": "mostrador", "password": password},
    )
    assert (
        requests.post(
            fuzz_server.url + "/token", data={"username": username, "password": password}, timeout=15
        ).status_code
        == 200
    )
    assert (
        requests.post(
            fuzz_server.url + "/token", data={"username": username, "password": json.dumps(password)}, timeout=15
        ).status_code
        == 401
    )
