"""The server process itself: durability after kill -9, one process per database, clean stop, HTTP details."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests
from helpers import assert_error, make_producto
from serverproc import ROOT, free_port


def test_kill_9_right_after_201_loses_nothing(fresh_server, fresh_api):
    api = fresh_api
    producto = make_producto(api, stock=5, precio=99.9)
    cliente = api.ok("POST", "/clientes", 201, json={"nombre": "Durable Díaz", "telefono": "555-0001"})
    venta = api.ok(
        "POST",
        "/ventas",
        201,
        json={"cliente_id": cliente["id"], "items": [{"producto_id": producto["id"], "cantidad": 2}]},
    )
    fresh_server.kill()
    assert fresh_server.proc.returncode == -9
    api.session.close()
    fresh_server.start()
    assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente
    assert api.ok("GET", f"/ventas/{venta['id']}") == venta
    kardex = api.ok("GET", f"/inventario/{producto['id']}/movimientos")
    assert kardex["producto"]["stock"] == 3 == kardex["suma_movimientos"]
    assert kardex["items"][0]["referencia"] == venta["id"]


def test_kill_9_after_a_burst_loses_nothing(fresh_server, fresh_api):
    api = fresh_api
    created = [api.ok("POST", "/clientes", 201, json={"nombre": f"Ráfaga {n:02d}"}) for n in range(50)]
    fresh_server.kill()
    api.session.close()
    fresh_server.start()
    for cliente in created:
        assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente
    listed = api.ok("GET", "/clientes", params={"q": "rafaga", "limit": 100})
    assert [c["id"] for c in listed["items"]] == [c["id"] for c in created]
    # The database keeps working after the crash: new writes, folios continue.
    assert api.ok("POST", "/clientes", 201, json={"nombre": "Después"})["version"] == 1


def test_second_appliance_on_the_same_database_refuses_to_start(fresh_server, fresh_api):
    env = {**fresh_server.env, "PORT": str(free_port())}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert time.monotonic() - started < 10
    assert "ya está en uso" in result.stderr
    assert str(fresh_server.db_path.resolve()) in result.stderr
    # The first one is unharmed.
    assert fresh_api.ok("GET", "/")["db"] == "ok"
    assert fresh_api.ok("POST", "/clientes", 201, json={"nombre": "Sigue vivo"})["nombre"] == "Sigue vivo"


def test_second_appliance_via_db_path_refuses_too(fresh_server, tmp_path):
    env = {
        **fresh_server.env,
        "PORT": str(free_port()),
        "DATA_DIR": str(tmp_path / "otro"),
        "DB_PATH": str(fresh_server.db_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 2 and "ya está en uso" in result.stderr


def test_sigterm_stops_cleanly_and_restarts_on_the_same_database(fresh_server, fresh_api):
    api = fresh_api
    server_id = api.ok("GET", "/")["server_id"]
    cliente = api.ok("POST", "/clientes", 201, json={"nombre": "Antes del reinicio"})
    api.session.close()
    started = time.monotonic()
    assert fresh_server.stop() == 0
    assert time.monotonic() - started < 8
    assert (
        not os.path.exists(str(fresh_server.db_path) + "-wal")
        or os.path.getsize(str(fresh_server.db_path) + "-wal") == 0
    )  # checkpointed on the way out
    fresh_server.start()
    status = api.ok("GET", "/")
    assert status["server_id"] == server_id and status["db"] == "ok"
    assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente


def test_sigterm_with_an_idle_keep_alive_client(fresh_server):
    conn = fresh_server.connection()
    conn.request("GET", "/")
    assert conn.getresponse().read()
    started = time.monotonic()
    assert fresh_server.stop() == 0
    assert time.monotonic() - started < 8  # the idle connection does not hold the stop forever
    conn.close()


def test_json_content_type_everywhere(api):
    for path in ("/", "/clientes", "/inventario", "/ordenes", "/ventas", "/stats/dashboard", "/openapi.json"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json"), path
    assert_error(api.get("/no-existe"), 404, "ruta_no_encontrada")
    assert_error(api.request("PATCH", "/clientes"), 405, "metodo_no_permitido")
    created = api.post("/clientes", json={"nombre": "Cabeceras"})
    assert created.status_code == 201 and created.headers["Content-Type"].startswith("application/json")
    assert int(created.headers["Content-Length"]) == len(created.content)


def test_keep_alive_reuses_one_connection(server):
    conn = server.connection()
    conn.connect()
    sock = conn.sock
    for _ in range(50):
        conn.request("GET", "/clientes?limit=5", headers=server.headers)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
        assert (response.getheader("Connection") or "").lower() != "close"
        assert conn.sock is sock, "the server closed a keep-alive connection"
    conn.close()


def test_keep_alive_is_fast(server):
    with requests.Session() as session:
        session.headers.update(server.headers)
        session.get(server.url + "/", timeout=10)
        started = time.monotonic()
        for _ in range(100):
            response = session.get(server.url + "/clientes?limit=5", timeout=10)
            assert response.status_code == 200
        elapsed = time.monotonic() - started
    # Without TCP_NODELAY every response would wait ~40 ms for a delayed ACK (≥ 4 s here).
    assert elapsed < 2.0, f"100 keep-alive requests took {elapsed:.2f}s"
