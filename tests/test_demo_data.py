"""The demo-data command: bulk data that the real server serves exactly like hand-made data.

Runs `python -m appliance demo-data` as a user would, starts the real server on the result and
checks it through the HTTP API; then reads the SQLite file itself (APSW, read-only) to check
every invariant the domain code keeps on every row, not just on a sample.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys
import unicodedata
import uuid
from pathlib import Path

import apsw
import pytest
from conftest import Api
from serverproc import ROOT, ServerProcess

from appliance.shop import clock
from appliance.shop.money import split_iva
from appliance.shop.ordenes import TRANSITIONS
from appliance.shop.text import search_text

pytestmark = pytest.mark.slow  # seeds thousands of records

DEMO = {"clientes": 300, "ordenes": 800, "productos": 100, "ventas": 300}
RFC = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def run_demo(data_dir: Path, **counts: int) -> dict[str, int]:
    """Run the real command; return what it says it added ({"clientes": 300, ...})."""
    args = [f"--{name}={count}" for name, count in counts.items()]
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "demo-data", *args],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return {name: int(count) for count, name in re.findall(r"(\d+) ([^,\n]+)", result.stdout)}


def fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()


def count_all(api: Api, path: str, **params) -> list[dict]:
    """Every item of a paged list."""
    items, offset = [], 0
    while True:
        page = api.ok("GET", path, params={**params, "limit": 500, "offset": offset})
        items += page["items"]
        if not page["has_more"]:
            return items
        offset += 500


def assert_invariants(db_path: Path) -> None:
    """What the domain functions guarantee, checked on every row of the file."""
    conn = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)

    def rows(sql: str):
        cursor = conn.execute(sql)
        try:
            columns = [d[0] for d in cursor.getdescription()]
        except apsw.ExecutionCompleteError:
            return []
        return [dict(zip(columns, row, strict=True)) for row in cursor]

    for table, fields in (
        ("clientes", ("nombre", "telefono", "email")),
        ("productos", ("codigo", "nombre", "categoria")),
        ("ordenes", ("folio", "equipo", "marca", "modelo", "numero_serie")),
    ):
        for row in rows(f"SELECT id, busqueda, creado_en, actualizado_en, {', '.join(fields)} FROM {table}"):
            assert str(uuid.UUID(row["id"])) == row["id"]
            assert row["busqueda"] == search_text(*(row[f] for f in fields)), row
            assert ISO.match(row["creado_en"]) and ISO.match(row["actualizado_en"]), row

    for c in rows("SELECT telefono, email, rfc FROM clientes"):
        assert c["telefono"] is None or len(re.sub(r"\D", "", c["telefono"])) == 10, c
        assert c["email"] is None or re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", c["email"]), c
        assert c["rfc"] is None or RFC.match(c["rfc"]), c
    first_visit = {
        r["cliente_id"]: r["primera"]
        for r in rows("SELECT cliente_id, MIN(creado_en) AS primera FROM ordenes GROUP BY cliente_id")
    }
    for c in rows("SELECT id, creado_en FROM clientes"):
        assert c["creado_en"] <= first_visit.get(c["id"], c["creado_en"]), "customer registered after an order"

    # Stock: a ledger whose running sum is each row's stock_resultante, never negative, ending at the cache.
    ledger: dict[str, list[dict]] = {}
    for m in rows("SELECT producto_id, delta, stock_resultante FROM movimientos_stock ORDER BY id"):
        ledger.setdefault(m["producto_id"], []).append(m)
    for p in rows("SELECT id, stock, precio_compra, precio_venta FROM productos"):
        running = 0
        for m in ledger.get(p["id"], []):
            running += m["delta"]
            assert m["stock_resultante"] == running >= 0, (p, m)
        assert p["stock"] == running, p
        assert 0 < p["precio_compra"] < p["precio_venta"], p
    assert rows("SELECT COUNT(*) AS n FROM productos WHERE codigo IS NULL")[0]["n"] == 0

    # Orders: a history that walks the state machine from recibido to the current state.
    history: dict[str, list[dict]] = {}
    for h in rows("SELECT orden_id, de_estado, a_estado, fecha FROM orden_historial ORDER BY id"):
        history.setdefault(h["orden_id"], []).append(h)
    paid = {
        r["orden_id"]: r["pagado"]
        for r in rows(
            "SELECT v.orden_id, SUM(i.importe) AS pagado FROM ventas v JOIN venta_items i ON i.venta_id = v.id"
            " WHERE v.orden_id IS NOT NULL AND i.producto_id IS NULL GROUP BY v.orden_id"
        )
    }
    for o in rows("SELECT * FROM ordenes"):
        steps = history[o["id"]]
        assert (steps[0]["de_estado"], steps[0]["a_estado"]) == (None, "recibido")
        assert steps[0]["fecha"] == o["creado_en"] and steps[-1]["fecha"] == o["actualizado_en"]
        for before, after in itertools.pairwise(steps):
            assert after["de_estado"] == before["a_estado"] and after["a_estado"] in TRANSITIONS[before["a_estado"]]
            assert before["fecha"] <= after["fecha"]
        assert steps[-1]["a_estado"] == o["estado"] and o["version"] == 1
        assert o["creado_en"] < o["fecha_promesa"]
        assert isinstance(json.loads(o["condicion"]), list)
        if o["estado"] in ("listo", "entregado"):
            assert o["costo_final"] is not None
        if o["estado"] == "entregado":
            assert o["fecha_entrega"] == o["actualizado_en"]
            assert o["costo_final"] - o["anticipo"] - paid.get(o["id"], 0) == o["adeudo"] >= 0, o
        else:
            assert o["fecha_entrega"] is None and o["adeudo"] == 0 and o["id"] not in paid

    # Sales: lines, IVA, payments and change add up.
    items: dict[str, list[dict]] = {}
    for i in rows("SELECT * FROM venta_items"):
        items.setdefault(i["venta_id"], []).append(i)
    pagos: dict[str, list[dict]] = {}
    for p in rows("SELECT * FROM venta_pagos"):
        pagos.setdefault(p["venta_id"], []).append(p)
    for v in rows("SELECT * FROM ventas"):
        lines = items[v["id"]]
        for i in lines:
            assert i["importe"] == i["cantidad"] * i["precio_unitario"] - i["descuento"] > 0
        assert (v["subtotal"], v["iva"], v["total"]) == split_iva(sum(i["importe"] for i in lines), 16, True)
        assert v["descuento"] == sum(i["descuento"] for i in lines)
        assert v["pagado"] == sum(p["monto"] for p in pagos[v["id"]]) >= v["total"]
        efectivo = sum(p["monto"] for p in pagos[v["id"]] if p["metodo"] == "efectivo")
        assert v["cambio"] == v["pagado"] - v["total"] <= efectivo

    # Folios: gap-free and the counters continue after them; one change-log row per created record.
    for serie in ("ordenes", "ventas"):
        folios = [r["folio"] for r in rows(f"SELECT folio FROM {serie} ORDER BY folio")]
        assert folios == list(range(1, len(folios) + 1))
        assert rows(f"SELECT ultimo FROM folios WHERE serie = '{serie}'")[0]["ultimo"] == len(folios)
    for table in ("clientes", "productos", "ordenes", "ventas"):
        created = rows(
            f"SELECT COUNT(DISTINCT entidad_id) AS n, COUNT(*) AS total FROM cambios"
            f" WHERE entidad = '{table}' AND op = 'crear'"
        )[0]
        assert created["n"] == created["total"] == rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
    # In causal order: a sync client replaying the log meets a customer or product before its orders and sales.
    creation = {r["entidad_id"]: r["seq"] for r in rows("SELECT entidad_id, seq FROM cambios WHERE op = 'crear'")}
    for pair in rows(
        "SELECT o.id AS hijo, o.cliente_id AS padre FROM ordenes o"
        " UNION ALL SELECT v.id, v.cliente_id FROM ventas v WHERE v.cliente_id IS NOT NULL"
        " UNION ALL SELECT v.id, v.orden_id FROM ventas v WHERE v.orden_id IS NOT NULL"
        " UNION ALL SELECT i.venta_id, i.producto_id FROM venta_items i WHERE i.producto_id IS NOT NULL"
    ):
        assert creation[pair["padre"]] < creation[pair["hijo"]], pair
    conn.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A server on a database filled by one demo-data run; yields (server, what the command added)."""
    data_dir = tmp_path_factory.mktemp("demo")
    added = run_demo(data_dir, **DEMO)
    server = ServerProcess(data_dir).start()
    yield server, added
    server.stop()


def test_command_reports_what_it_added(demo):
    _, added = demo
    assert {name: added[name] for name in DEMO} == DEMO
    assert added["cobros de órdenes"] > 0  # delivered orders paid through sales linked to them


def test_every_row_keeps_the_domain_invariants(demo):
    server, _ = demo
    assert_invariants(server.db_path)


def test_lists_count_what_was_added(demo):
    server, added = demo
    api = Api(server.url, server.token)
    assert len(count_all(api, "/clientes")) == DEMO["clientes"]
    por_estado = {estado: len(count_all(api, "/ordenes", estado=estado)) for estado in TRANSITIONS}
    assert sum(por_estado.values()) == DEMO["ordenes"]
    # Realistic mix: most delivered, some cancelled, every open state present.
    assert por_estado["entregado"] == max(por_estado.values())
    assert all(por_estado[estado] > 0 for estado in TRANSITIONS), por_estado
    assert len(count_all(api, "/ventas")) == DEMO["ventas"] + added["cobros de órdenes"]


def test_dashboard_has_realistic_figures(demo):
    server, _ = demo
    board = Api(server.url, server.token).ok("GET", "/stats/dashboard")
    assert sum(board["ordenes_por_estado"].values()) == DEMO["ordenes"]
    assert board["vencidas"]["cantidad"] > 0
    assert board["ventas_hoy"]["cantidad"] > 0 and board["ventas_mes"]["cantidad"] >= board["ventas_hoy"]["cantidad"]
    assert board["top_productos_mes"]


def test_kardex_sum_equals_stock(demo):
    server, _ = demo
    api = Api(server.url, server.token)
    productos = count_all(api, "/inventario", incluir_inactivos="true")
    assert len(productos) == DEMO["productos"]
    for producto in productos[::10]:
        kardex = api.ok("GET", f"/inventario/{producto['id']}/movimientos")
        assert kardex["suma_movimientos"] == kardex["producto"]["stock"] == producto["stock"]


def test_accent_insensitive_search_finds_a_customer(demo):
    server, _ = demo
    api = Api(server.url, server.token)
    accented = next(c for c in count_all(api, "/clientes") if fold(c["nombre"]) != c["nombre"].lower())
    for query in (fold(accented["nombre"]), fold(accented["nombre"]).upper()):
        found = api.ok("GET", "/clientes", params={"q": query, "limit": 500})["items"]
        assert accented["id"] in [c["id"] for c in found], query


def test_demo_order_detail_has_its_history(demo):
    server, _ = demo
    api = Api(server.url, server.token)
    for estado in ("entregado", "esperando_refaccion", "cancelado"):
        summary = api.ok("GET", "/ordenes", params={"estado": estado, "limit": 1})["items"][0]
        orden = api.ok("GET", f"/ordenes/{summary['id']}")
        historial = orden["historial"]
        assert historial[0]["de_estado"] is None and historial[0]["a_estado"] == "recibido"
        assert historial[-1]["a_estado"] == orden["estado"] == estado
        assert orden["siguientes_estados"] == list(TRANSITIONS[estado])
        if estado == "entregado":
            assert orden["saldo"] == orden["adeudo"]


def test_new_records_continue_after_the_demo_data(demo):
    server, _ = demo
    api = Api(server.url, server.token)
    cliente = api.ok("GET", "/clientes", params={"limit": 1})["items"][0]
    orden = api.ok(
        "POST",
        "/ordenes",
        201,
        json={"cliente_id": cliente["id"], "equipo": "celular", "falla_reportada": "No enciende"},
    )
    assert orden["folio"] == DEMO["ordenes"] + 1

    producto = next(p for p in count_all(api, "/inventario") if p["stock"] >= 2)
    ventas_antes = len(count_all(api, "/ventas"))
    venta = api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 2}]})
    assert venta["folio"] == ventas_antes + 1
    kardex = api.ok("GET", f"/inventario/{producto['id']}/movimientos")
    assert kardex["producto"]["stock"] == kardex["suma_movimientos"] == producto["stock"] - 2
    assert kardex["items"][0]["referencia"] == venta["id"]


def test_a_second_run_adds_to_the_same_database(tmp_path):
    counts = {"clientes": 120, "ordenes": 300, "productos": 40, "ventas": 150}
    run_demo(tmp_path, **counts)
    server = ServerProcess(tmp_path).start()
    api = Api(server.url, server.token)
    # A sale between the runs: the second run has to continue from the stock it left.
    producto = next(p for p in count_all(api, "/inventario") if p["stock"] >= 1)
    api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto["id"], "cantidad": 1}]})
    server.stop()

    run_demo(tmp_path, **counts)
    server = ServerProcess(tmp_path).start()
    try:
        api = Api(server.url, server.token)
        assert len(count_all(api, "/clientes")) == 2 * counts["clientes"]
        assert len(count_all(api, "/inventario", incluir_inactivos="true")) == 2 * counts["productos"]
        board = api.ok("GET", "/stats/dashboard")
        assert sum(board["ordenes_por_estado"].values()) == 2 * counts["ordenes"]
        assert api.ok("GET", "/ordenes", params={"limit": 1})["items"][0]["folio"] == 2 * counts["ordenes"]
        assert_invariants(server.db_path)
    finally:
        server.stop()


def test_same_seed_same_data(tmp_path):
    run_demo(tmp_path / "a", clientes=50, ordenes=0, productos=20, ventas=0)
    run_demo(tmp_path / "b", clientes=50, ordenes=0, productos=20, ventas=0)
    dumps = []
    for name in ("a", "b"):
        conn = apsw.Connection(str(tmp_path / name / "SERVITEC.DB"), flags=apsw.SQLITE_OPEN_READONLY)
        dumps.append(
            (
                list(conn.execute("SELECT id, nombre, telefono, email, rfc FROM clientes ORDER BY id")),
                list(conn.execute("SELECT id, codigo, nombre, precio_venta, stock FROM productos ORDER BY id")),
            )
        )
        conn.close()
    assert dumps[0] == dumps[1]


def test_refuses_negative_counts(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "demo-data", "--clientes", "-1"],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--clientes" in result.stderr


def test_clock_iso_is_the_storage_format():
    moment = dt.datetime(2025, 3, 9, 7, 5, 3, tzinfo=clock.UTC)
    for extra in (dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(days=400, microseconds=999_999)):
        assert clock.iso(moment + extra) == (moment + extra).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    mexico = dt.datetime(2025, 3, 9, 1, 5, 3, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert clock.iso(mexico) == "2025-03-09T07:05:03.000000Z"
