"""Backups end to end: the HTTP API, /ws notices, restore on a live server, the schedule.

The unit tests of appliance/backups.py are in test_backups.py; here a real
server process does the work and the tests look at it only from outside (HTTP,
WebSocket, the files it writes), plus BackupService.due() in-process with a
fake clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import apsw
import pytest
import websocket
from conftest import Api
from helpers import DbWatch, KeepWriting, assert_error, kardex, make_cliente, make_producto
from serverproc import ServerProcess

from appliance import backups, realtime
from appliance.backups.service import STARTUP_DELAY_SECONDS, BackupService
from appliance.config import Config
from appliance.shop import events
from appliance.store import Database, copies

UTC = dt.UTC
SHOP_TZ = ZoneInfo("America/Mexico_City")
MANUAL_NAME = re.compile(r"^servitec-(\d{8}-\d{6})-manual\.db$")


def _quiet_schedule() -> dict[str, str]:
    """Server settings that keep the daily automatic backup 12 hours away from now.

    Without this a run that crosses 21:00 in the shop's zone would get an `auto`
    backup in the middle of a test. The interval rule cannot fire (servers live
    for seconds), and the start-up rule only fires on a server with changes and
    no backup, which the tests that care about it arrange on purpose.
    """
    hour = (dt.datetime.now(SHOP_TZ).hour + 12) % 24
    return {"TZ": "America/Mexico_City", "BACKUP_DAILY_HOUR": str(hour)}


def _start(data_dir: Path, **env: str) -> tuple[ServerProcess, Api]:
    proc = ServerProcess(data_dir, **{**_quiet_schedule(), **env}).start()
    return proc, Api(proc.url, proc.token, proc.verify)


def _stop(proc: ServerProcess, *clients: Api) -> None:
    for client in clients:
        client.session.close()
    proc.stop()


def _staff_token(proc: ServerProcess, owner: Api, rol: str) -> str:
    username = f"{rol}.{uuid.uuid4().hex[:6]}"
    password = f"clave-de-{rol}"
    owner.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": f"Prueba {rol}", "rol": rol, "password": password},
    )
    return proc.login(username, password)


def _sell(api: Api, producto_id: str, cantidad: int = 1) -> dict:
    # Only the JSON is kept: a requests Response held in a variable keeps its socket open
    # after the session closes, and the server then waits its full grace period to stop.
    return api.ok("POST", "/ventas", 201, json={"items": [{"producto_id": producto_id, "cantidad": cantidad}]})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(api: Api) -> tuple[dict[str, dict], dict]:
    """GET /backups as ({nombre: item}, salud)."""
    body = api.ok("GET", "/backups")
    return {item["nombre"]: item for item in body["items"]}, body["salud"]


def _facts_of(path: Path) -> tuple[dict[str, int], str]:
    """(row counts, content hash) of a SQLite file, read-only from this process."""
    facts = copies.facts(path)
    return facts["filas"], facts["hash_contenido"]


def _ids_in(path: Path, table: str) -> set[str]:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
    finally:
        conn.close()


def _shop_view(api: Api) -> dict[str, Any]:
    """What the counters see of the shop's data (one page each is plenty for these tests)."""
    view = {}
    for path in ("/clientes", "/inventario", "/ventas", "/ordenes"):
        page = api.ok("GET", path, params={"limit": 500})
        assert not page["has_more"]
        view[path] = page["items"]
    return view


# --- WebSocket helpers ------------------------------------------------------------------------------


def _socket(proc: ServerProcess, token: str) -> websocket.WebSocket:
    """An open /ws (ws:// or wss:// like the server), past its `conectado` frame."""
    url = proc.url.replace("http", "ws", 1) + f"/ws?token={token}"
    sslopt = {"ca_certs": proc.verify} if proc.verify else None
    ws = websocket.create_connection(url, timeout=10, sslopt=sslopt)
    hello = json.loads(ws.recv())
    assert hello["event"] == "conectado", hello
    return ws


def _read_until(ws: websocket.WebSocket, done: Callable[[dict], bool], timeout: float = 15.0) -> list[dict]:
    """Every frame up to and including the first `done` accepts; fails after `timeout` seconds."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching frame within {timeout}s; got {[f['event'] for f in frames]}")
        ws.settimeout(left)
        try:
            frame = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            raise AssertionError(f"no matching frame within {timeout}s; got {[f['event'] for f in frames]}") from None
        frames.append(frame)
        if done(frame):
            return frames


def _is(event: str, **data: Any) -> Callable[[dict], bool]:
    return lambda frame: frame["event"] == event and all(frame["data"].get(k) == v for k, v in data.items())


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- one shop with a backup, shared by the tests that only add to it -------------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A server with staff, a little data made through the API, and one manual backup of it."""
    proc, owner = _start(tmp_path_factory.mktemp("respaldos"))
    try:
        tokens = {rol: _staff_token(proc, owner, rol) for rol in ("tecnico", "mostrador")}
        for _ in range(3):
            make_cliente(owner)
        producto = make_producto(owner, stock=5)
        _sell(owner, producto["id"])
        movimientos = len(kardex(owner, producto["id"])["items"])
        started = dt.datetime.now(UTC).replace(microsecond=0)
        entry = owner.ok("POST", "/backups", 201)
        finished = dt.datetime.now(UTC)
        yield SimpleNamespace(
            proc=proc,
            owner=owner,
            tokens=tokens,
            entry=entry,
            started=started,
            finished=finished,
            expected_filas={
                "clientes": 3,
                "productos": 1,
                "ordenes": 0,
                "ventas": 1,
                "movimientos_stock": movimientos,
                "usuarios": 3,
            },
        )
    finally:
        _stop(proc, owner)


def test_owner_backup_is_verified_listed_and_reported_healthy(shop):
    entry, folder = shop.entry, shop.proc.data_dir / "backups"
    match = MANUAL_NAME.match(entry["nombre"])
    assert match, entry["nombre"]
    named = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert shop.started <= named <= shop.finished  # the name carries the UTC moment it was made
    path = folder / entry["nombre"]
    assert entry["tipo"] == "manual" and entry["verificado"] is True and entry["usuario"] == "dueno"
    assert entry["sha256"] == _sha256(path) and entry["tamano"] == path.stat().st_size
    assert entry["filas"] == shop.expected_filas
    assert (entry["filas"], entry["hash_contenido"]) == _facts_of(path)
    assert entry["copia"] is None  # no BACKUP_COPY_DIR on this server

    listed, salud = _listing(shop.owner)
    item = listed[entry["nombre"]]
    assert (item["estado"], item["valido"], item["razon"]) == ("verificado", True, None)
    assert {k: item[k] for k in entry} == entry
    assert salud["estado"] == "ok" and salud["aviso"] is None and salud["en_curso"] is False
    assert listed[salud["ultimo"]]["estado"] == "verificado"

    status = shop.owner.ok("GET", "/")["respaldo"]
    assert status["estado"] == "ok" and status["aviso"] is None
    assert status["fecha"] >= entry["creado"] and 0 <= status["edad_horas"] <= 0.1
    dashboard = shop.owner.ok("GET", "/stats/dashboard")["respaldo"]
    assert dashboard["estado"] == "ok" and dashboard["ultimo"] == salud["ultimo"] and dashboard["edad_horas"] <= 0.1
    creado = shop.owner.ok("GET", "/auditoria", params={"accion": "respaldo_creado", "entidad_id": entry["nombre"]})[
        "items"
    ]
    assert [(r["usuario"], r["entidad"]) for r in creado] == [("dueno", "respaldos")]


def test_download_is_the_exact_file_and_is_audited(shop):
    name = shop.entry["nombre"]
    response = shop.owner.get(f"/backups/{name}")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/vnd.sqlite3"
    assert "attachment" in response.headers["Content-Disposition"] and name in response.headers["Content-Disposition"]
    assert hashlib.sha256(response.content).hexdigest() == shop.entry["sha256"]
    audited = shop.owner.ok("GET", "/auditoria", params={"accion": "respaldo_descargado", "entidad_id": name})["items"]
    assert audited and audited[0]["usuario"] == "dueno" and audited[0]["entidad"] == "respaldos"

    error = assert_error(shop.owner.get("/backups/servitec-20200101-000000-manual.db"), 404, "no_encontrado")
    assert "No existe el respaldo" in error["message"]
    assert not shop.owner.ok(
        "GET",
        "/auditoria",
        params={"accion": "respaldo_descargado", "entidad_id": "servitec-20200101-000000-manual.db"},
    )["items"]


@pytest.mark.parametrize(
    "path",
    [
        "/backups/..%2FSERVITEC.DB",
        "/backups/..%2F..%2Ftoken-secret",
        "/backups/SERVITEC.DB",
        "/backups/backups.json",
        "/backups/servitec-20200101-000000-manual.db.bak",
        "/backups/servitec-20200101-000000-manual.db%0A",
        "/backups/servitec-20200101-000000-manual.db%00",
        "/backups/servitec-2020-manual.db",
        "/backups/" + "servitec-" * 40,
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE", "RESTORE"])
def test_malformed_names_get_a_json_4xx_never_a_file_or_500(shop, method, path):
    if method == "RESTORE":
        response = shop.owner.post(path + "/restore", json={"confirmar": "x"})
    else:
        response = shop.owner.request(method, path)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert_error(response, response.status_code)


def test_raw_dot_dot_path_is_not_followed(shop):
    # requests would collapse "../" before sending; http.client sends the path as written.
    for raw in ("/backups/../SERVITEC.DB", "/backups/../backups/" + shop.entry["nombre"] + "/../../SERVITEC.DB"):
        conn = shop.proc.connection()
        try:
            conn.request("GET", raw, headers=shop.proc.headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        assert 400 <= response.status < 500, (raw, response.status)
        assert response.getheader("Content-Type", "").startswith("application/json")
        assert b"SQLite format 3" not in body and set(json.loads(body)) == {"error"}


def test_invalid_files_in_the_folder_are_listed_and_refused(shop):
    folder = shop.proc.data_dir / "backups"
    good = (folder / shop.entry["nombre"]).read_bytes()
    truncated, text = "servitec-20200102-000000-manual.db", "servitec-20200101-000000-manual.db"
    (folder / truncated).write_bytes(good[: len(good) // 2])
    (folder / text).write_text("esto no es una base de datos\n", encoding="utf-8")
    watch = DbWatch(shop.proc.db_path)
    try:
        before, view = watch.state(), _shop_view(shop.owner)
        listed, _ = _listing(shop.owner)
        assert (listed[truncated]["estado"], listed[truncated]["valido"]) == ("invalido", False)
        assert listed[truncated]["razon"].startswith("El archivo está incompleto")
        assert (listed[text]["estado"], listed[text]["valido"]) == ("invalido", False)
        assert listed[text]["razon"] == "No es un archivo de base de datos SQLite."
        assert listed[shop.entry["nombre"]]["estado"] == "verificado"  # the good one is unaffected

        for name in (truncated, text):
            error = assert_error(
                shop.owner.post(f"/backups/{name}/restore", json={"confirmar": name}), 409, "respaldo_invalido"
            )
            assert error["message"].startswith(f"No se puede restaurar {name}: ")
            assert error["message"].endswith("Los datos actuales no se modificaron.")
        assert watch.state() == before and _shop_view(shop.owner) == view
        listed, salud = _listing(shop.owner)
        assert not [n for n, e in listed.items() if e["tipo"] == "pre-restore"]
        assert salud["en_curso"] is False  # the refusal released the one-at-a-time lock
    finally:
        watch.close()
    # Files the manifest does not know can still be deleted by the owner.
    for name in (truncated, text):
        assert shop.owner.ok("DELETE", f"/backups/{name}") == {"nombre": name, "verificado": False}
        assert not (folder / name).exists()
    assert truncated not in _listing(shop.owner)[0]


def test_backup_notices_reach_the_owner_only(shop):
    opened: list[websocket.WebSocket] = []
    try:
        owner_ws = _socket(shop.proc, shop.proc.token)
        opened.append(owner_ws)
        staff_ws = {}
        for rol, token in shop.tokens.items():
            staff_ws[rol] = _socket(shop.proc, token)
            opened.append(staff_ws[rol])
        entry = shop.owner.ok("POST", "/backups", 201)
        frames = _read_until(owner_ws, _is("respaldo_creado", nombre=entry["nombre"]))
        progress = [f for f in frames if f["event"] == "respaldo_progreso"]
        assert progress, [f["event"] for f in frames]
        assert all(f["seq"] is None and f["data"]["operacion"] == "manual" for f in progress)
        last = progress[-1]["data"]
        assert last["paginas_copiadas"] == last["paginas_total"] > 0 and last["porcentaje"] == 100.0
        created = frames[-1]
        assert created["seq"] is None and created["data"] == {**entry, "eliminados": []}

        shop.owner.ok("DELETE", f"/backups/{entry['nombre']}")
        gone = _read_until(owner_ws, _is("respaldo_eliminado"))[-1]
        assert gone["seq"] is None and gone["data"] == {"nombre": entry["nombre"]}

        # A change after the notices: every socket gets events in order, so once the
        # staff see it, any notice meant for them would already have arrived.
        marker = make_cliente(shop.owner)
        for rol, ws in staff_ws.items():
            seen = _read_until(ws, _is("cliente_creado", id=marker["id"]))
            assert not [f["event"] for f in seen if f["event"].startswith("respaldo")], (rol, seen)
    finally:
        for ws in opened:
            ws.close()


# --- deleting --------------------------------------------------------------------------------------


def test_delete_removes_a_backup_but_never_the_only_verified_one(tmp_path):
    proc, owner = _start(tmp_path / "data")
    try:
        make_cliente(owner)
        first = owner.ok("POST", "/backups", 201)
        second = owner.ok("POST", "/backups", 201)
        assert first["nombre"] != second["nombre"]  # same second: the second gets a -2 suffix
        folder = proc.data_dir / "backups"

        assert owner.ok("DELETE", f"/backups/{second['nombre']}") == second
        listed, _ = _listing(owner)
        assert second["nombre"] not in listed and not (folder / second["nombre"]).exists()
        audited = owner.ok("GET", "/auditoria", params={"accion": "respaldo_eliminado"})["items"]
        assert [(r["usuario"], r["entidad_id"]) for r in audited] == [("dueno", second["nombre"])]
        assert_error(owner.delete(f"/backups/{second['nombre']}"), 404, "no_encontrado")

        # Whatever else is verified goes first (robust even if the schedule had made one).
        for name, item in listed.items():
            if name != first["nombre"] and item["estado"] == "verificado":
                owner.ok("DELETE", f"/backups/{name}")
        error = assert_error(owner.delete(f"/backups/{first['nombre']}"), 409, "unico_respaldo")
        assert "único respaldo verificado" in error["message"]
        listed, salud = _listing(owner)
        assert listed[first["nombre"]]["estado"] == "verificado" and (folder / first["nombre"]).is_file()
        assert salud["ultimo"] == first["nombre"] and salud["estado"] == "ok"
    finally:
        _stop(proc, owner)


# --- restoring -------------------------------------------------------------------------------------


def test_restore_on_a_live_server(tmp_path):
    proc, owner = _start(tmp_path / "data")
    sockets: list[websocket.WebSocket] = []
    watch = None
    try:
        tecnico = _staff_token(proc, owner, "tecnico")
        clientes = [make_cliente(owner) for _ in range(2)]
        producto = make_producto(owner, stock=10)
        _sell(owner, producto["id"])
        at_backup = _shop_view(owner)
        entry = owner.ok("POST", "/backups", 201)

        sockets += [_socket(proc, proc.token), _socket(proc, tecnico)]
        # Changes after the backup: the restore must take every one of them away.
        late = [make_cliente(owner) for _ in range(2)]
        owner.ok("PUT", f"/clientes/{clientes[0]['id']}", json={"telefono": "555-9999"})
        sale = _sell(owner, producto["id"], 2)
        marker = make_cliente(owner)  # last, and visible to every role
        seen_seq = owner.ok("GET", "/sync/changes", params={"since": 0, "limit": 1000})["last_seq"]
        for ws in sockets:
            frames = _read_until(ws, _is("cliente_creado", id=marker["id"]))
            assert max(f["seq"] for f in frames) == seen_seq
        assert owner.ok("GET", "/stats/dashboard")["ventas_hoy"]["cantidad"] == 2
        before = _shop_view(owner)
        assert before != at_backup

        # A wrong or missing confirmation changes nothing.
        watch = DbWatch(proc.db_path)
        untouched = watch.state()
        error = assert_error(owner.post(f"/backups/{entry['nombre']}/restore", json={"confirmar": "servitec.db"}), 422)
        assert "confirmar" in error["fields"]
        error = assert_error(owner.post(f"/backups/{entry['nombre']}/restore", json={}), 422)
        assert "confirmar" in error["fields"]
        assert watch.state() == untouched and _shop_view(owner) == before
        assert not [e for e in _listing(owner)[0].values() if e["tipo"] == "pre-restore"]

        restored = owner.ok("POST", f"/backups/{entry['nombre']}/restore", json={"confirmar": entry["nombre"]})
        assert restored["nombre"] == entry["nombre"] and restored["filas"] == entry["filas"]
        previous = restored["respaldo_previo"]
        assert previous.endswith("-pre-restore.db")
        listed, salud = _listing(owner)
        assert listed[previous]["tipo"] == "pre-restore" and listed[previous]["estado"] == "verificado"
        assert listed[previous]["usuario"] == "dueno" and salud["en_curso"] is False

        # The data is exactly the backup's, seen through the API and in the file itself.
        assert _shop_view(owner) == at_backup
        assert _facts_of(proc.db_path) == (entry["filas"], entry["hash_contenido"])
        assert owner.ok("GET", "/stats/dashboard")["ventas_hoy"]["cantidad"] == 1
        # ...and what the restore replaced is in the pre-restore backup.
        pre_path = proc.data_dir / "backups" / previous
        assert sale["id"] in _ids_in(pre_path, "ventas")
        assert {c["id"] for c in (*late, marker)} <= _ids_in(pre_path, "clientes")
        assert _facts_of(pre_path) == (listed[previous]["filas"], listed[previous]["hash_contenido"])

        # Every socket, of any role, learns that its cache is stale, numbered past what it saw.
        marks = []
        for ws in sockets:
            mark = _read_until(ws, _is("base_restaurada"))[-1]
            assert mark["seq"] > seen_seq
            assert mark["data"] == {
                "respaldo": entry["nombre"],
                "creado": entry["creado"],
                "respaldo_previo": previous,
                "coincide": True,
            }
            marks.append(mark["seq"])
        assert marks[0] == marks[1]
        tech_api = Api(proc.url, tecnico, proc.verify)
        try:
            for api in (owner, tech_api):
                pulled = api.ok("GET", "/sync/changes", params={"since": seen_seq})["items"]
                assert [(c["event"], c["seq"]) for c in pulled] == [("base_restaurada", marks[0])]
        finally:
            tech_api.session.close()
        audited = owner.ok("GET", "/auditoria", params={"accion": "base_restaurada"})["items"]
        assert [(r["usuario"], r["entidad_id"]) for r in audited] == [("dueno", entry["nombre"])]

        # The server keeps taking writes, numbered after the restore.
        after = make_cliente(owner)
        _sell(owner, producto["id"])
        for ws in sockets:
            created = _read_until(ws, _is("cliente_creado", id=after["id"]))[-1]
            assert created["seq"] > marks[0]
        assert owner.ok("GET", f"/clientes/{after['id']}")["id"] == after["id"]
        assert owner.ok("GET", "/")["respaldo"]["estado"] == "ok"
    finally:
        if watch is not None:
            watch.close()
        for ws in sockets:
            ws.close()
        _stop(proc, owner)


def test_no_acknowledged_write_is_lost_across_a_restore(tmp_path):
    # Writes keep arriving while the owner restores: each one that got a 201 must be either
    # in the pre-restore backup (made before the restore) or in the live data (made after),
    # never in neither (lost between the two) and never in both.
    proc, owner = _start(tmp_path / "data")
    try:
        make_cliente(owner)
        entry = owner.ok("POST", "/backups", 201)
        with KeepWriting(
            lambda: Api(proc.url, proc.token, proc.verify),
            lambda client: client.post("/clientes", json={"nombre": f"Cliente {uuid.uuid4().hex[:8]}"}),
            threads=3,
        ) as writes:
            made = writes.made
            _wait_for(lambda: len(made) >= 20)
            restored = owner.ok("POST", f"/backups/{entry['nombre']}/restore", json={"confirmar": entry["nombre"]})
            during = len(made)
            _wait_for(lambda: len(made) >= during + 20)
        assert not writes.failures, writes.failures[:3]
        before = _ids_in(proc.data_dir / "backups" / restored["respaldo_previo"], "clientes")
        live = {c["id"] for c in owner.ok("GET", "/clientes", params={"limit": 500})["items"]}
        assert len(made) < 500
        assert not [i for i in made if (i in before) == (i in live)]
        assert before & set(made) and live & set(made)  # writes landed on both sides of the restore
    finally:
        _stop(proc, owner)


def test_a_file_copied_in_by_hand_is_listed_unverified_and_restores(tmp_path):
    # The README's way to move a shop to a new PC: put the file in BACKUP_DIR, restore it.
    proc, owner = _start(tmp_path / "data")
    try:
        kept = make_cliente(owner)
        entry = owner.ok("POST", "/backups", 201)
        folder = proc.data_dir / "backups"
        copied = "servitec-20200101-000000-manual.db"
        (folder / copied).write_bytes((folder / entry["nombre"]).read_bytes())
        dropped = make_cliente(owner)

        item = _listing(owner)[0][copied]
        assert (item["estado"], item["valido"], item["verificado"], item["razon"]) == (
            "sin verificar",
            True,
            False,
            None,
        )
        assert (item["tipo"], item["creado"]) == ("manual", "2020-01-01T00:00:00.000000Z")
        restored = owner.ok("POST", f"/backups/{copied}/restore", json={"confirmar": copied})
        assert restored["nombre"] == copied and restored["verificado"] is False
        assert restored["filas"] == entry["filas"] and restored["hash_contenido"] == entry["hash_contenido"]
        assert owner.ok("GET", f"/clientes/{kept['id']}")["nombre"] == kept["nombre"]
        assert_error(owner.get(f"/clientes/{dropped['id']}"), 404)
    finally:
        _stop(proc, owner)


# --- failures --------------------------------------------------------------------------------------


def test_backup_dir_that_is_a_file_fails_loudly(tmp_path):
    not_a_folder = tmp_path / "respaldos.txt"
    not_a_folder.write_text("no soy una carpeta\n", encoding="utf-8")
    proc, owner = _start(tmp_path / "data", BACKUP_DIR=str(not_a_folder))
    owner_ws = None
    try:
        assert owner.ok("GET", "/")["respaldo"]["estado"] == "sin_respaldos"
        owner_ws = _socket(proc, proc.token)
        error = assert_error(owner.post("/backups"), 503, "respaldo_fallido")
        assert error["message"].startswith("No se pudo crear la carpeta de respaldos")

        notice = _read_until(owner_ws, _is("respaldo_fallido"))[-1]
        assert notice["seq"] is None
        assert notice["data"]["tipo"] == "manual" and notice["data"]["mensaje"] == error["message"]
        status = owner.ok("GET", "/")["respaldo"]
        assert status["estado"] == "fallido" and status["aviso"] == f"El último respaldo falló: {error['message']}"
        listed = owner.ok("GET", "/backups")
        assert listed["items"] == [] and listed["salud"]["estado"] == "fallido"
        assert owner.ok("GET", "/stats/dashboard")["respaldo"]["estado"] == "fallido"
        assert not_a_folder.read_text(encoding="utf-8") == "no soy una carpeta\n"
    finally:
        if owner_ws is not None:
            owner_ws.close()
        _stop(proc, owner)


def test_missing_copy_dir_is_reported_and_recovers(tmp_path):
    usb = tmp_path / "usb-desconectado"
    proc, owner = _start(tmp_path / "data", BACKUP_COPY_DIR=str(usb))
    try:
        entry = owner.ok("POST", "/backups", 201)
        assert entry["verificado"] is True and (proc.data_dir / "backups" / entry["nombre"]).is_file()
        assert entry["copia"]["ok"] is False
        assert entry["copia"]["error"].startswith(f"No se pudo copiar a {usb}: ")
        assert "no existe" in entry["copia"]["error"]
        _, salud = _listing(owner)
        assert salud["estado"] == "sin_copia" and entry["copia"]["error"] in salud["aviso"]
        assert owner.ok("GET", "/")["respaldo"]["estado"] == "sin_copia"

        usb.mkdir()  # the disk is plugged back in
        again = owner.ok("POST", "/backups", 201)
        assert again["copia"] == {"ok": True, "ruta": str(usb / again["nombre"]), "error": None}
        assert _sha256(usb / again["nombre"]) == again["sha256"]
        assert owner.ok("GET", "/")["respaldo"]["estado"] == "ok"
    finally:
        _stop(proc, owner)


# --- the schedule ----------------------------------------------------------------------------------


def _backups_of(api: Api) -> list[dict]:
    return api.ok("GET", "/backups")["items"]


@pytest.mark.slow
def test_schedule_backs_up_changes_at_start_and_only_when_due(tmp_path):
    shop = ServerProcess(tmp_path / "tienda", **_quiet_schedule())
    brand_new = ServerProcess(tmp_path / "nueva", **_quiet_schedule())
    clients: list[tuple[ServerProcess, Api]] = []

    def run(proc: ServerProcess) -> Api:
        proc.start()
        clients.append((proc, Api(proc.url, proc.token, proc.verify)))
        return clients[-1][1]

    def halt(proc: ServerProcess) -> None:
        # Its clients' keep-alive connections first, or the server waits them out on stop.
        for owner, client in clients:
            if owner is proc:
                client.session.close()
        proc.stop()

    try:
        cliente = make_cliente(run(shop))  # a change the first run leaves behind
        halt(shop)  # well before its first check, 5 s after start
        assert not list((shop.data_dir / "backups").glob("servitec-*.db")), "the first run lived long enough to back up"

        # Started again on that database, with no backup: one `auto` backup after the start-up delay.
        started = dt.datetime.now(UTC)
        owner = run(shop)
        deadline = time.monotonic() + 15
        # The file is linked a moment before the manifest lists it, "sin verificar" until then.
        while not (made := _backups_of(owner)) or made[0]["estado"] == "sin verificar":
            assert time.monotonic() < deadline, "no automatic backup within 15 s of start"
            time.sleep(0.2)
        (auto,) = made
        assert auto["tipo"] == "auto" and auto["usuario"] is None and auto["estado"] == "verificado"
        assert auto["filas"]["clientes"] == 1 and auto["nombre"].endswith("-auto.db")
        creado = dt.datetime.fromisoformat(auto["creado"].replace("Z", "+00:00"))
        assert creado - started >= dt.timedelta(seconds=STARTUP_DELAY_SECONDS)
        assert owner.ok("GET", f"/clientes/{cliente['id']}")["id"] == cliente["id"]
        halt(shop)

        # Restarted with a fresh backup, and a brand-new shop with nothing to protect:
        # neither backs up once its first check has run. Both wait out the same delay.
        owner, new_api = run(shop), run(brand_new)
        until = time.monotonic() + STARTUP_DELAY_SECONDS + 3
        while time.monotonic() < until:
            assert [b["nombre"] for b in _backups_of(owner)] == [auto["nombre"]]
            assert _backups_of(new_api) == []
            time.sleep(0.5)
        assert new_api.ok("GET", "/backups")["salud"]["estado"] == "sin_respaldos"
        assert not list((brand_new.data_dir / "backups").glob("servitec-*.db"))
    finally:
        halt(shop)
        halt(brand_new)


# --- BackupService.due() with a fake clock ---------------------------------------------------------


@pytest.fixture
def in_process(tmp_path):
    database = Database(tmp_path / "data" / "SERVITEC.DB")
    hub = realtime.Hub(database)

    def service(backup_dir: Path, **env: str) -> BackupService:
        config = Config.from_env({"DATA_DIR": str(tmp_path / "data"), "BACKUP_DIR": str(backup_dir), **env})
        return BackupService(config, database, hub)

    yield database, service
    database.close()


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHOP_TZ)


def test_due_by_changes_interval_and_daily_hour(in_process, tmp_path):
    database, make_service = in_process
    folder = tmp_path / "bk"
    service = make_service(folder, BACKUP_DAILY_HOUR="21")
    assert service.config.tz == "America/Mexico_City" and service.config.backup_interval_hours == 6
    morning = _local(10, 9)
    assert service.due(morning) is None  # a new installation has nothing to protect

    with database.write() as tx:
        events.record_change(tx, "cliente_creado", "clientes", "c1", 1, "crear", {"id": "c1", "nombre": "Ana"})
    reason = service.due(morning)
    assert reason and "ningún respaldo" in reason

    def backup_at(moment: dt.datetime) -> None:
        backups.create_backup(database.path, folder, kind="auto", now=moment)

    backup_at(morning)
    assert service.due(morning) is None
    assert service.due(morning + dt.timedelta(hours=5)) is None
    assert service.due(morning + dt.timedelta(hours=5, minutes=59)) is None
    reason = service.due(morning + dt.timedelta(hours=6))
    assert reason and "6 h" in reason

    # The daily backup at 21:00 shop time, even when the interval has not passed.
    backup_at(_local(10, 20, 30))
    assert service.due(_local(10, 20, 59)) is None
    reason = service.due(_local(10, 21, 5))
    assert reason and "diario" in reason and "21" in reason
    assert service.due(_local(10, 21, 0)) is not None
    backup_at(_local(10, 21, 1))
    assert service.due(_local(10, 21, 5)) is None
    assert service.due(_local(10, 23, 59)) is None

    # The daily hour is the shop's, not UTC's: at 21:05 in Mexico City it is 03:05 UTC.
    utc_shop = make_service(tmp_path / "bk-utc", BACKUP_DAILY_HOUR="21", TZ="UTC")
    backups.create_backup(database.path, tmp_path / "bk-utc", kind="auto", now=_local(10, 20, 30))
    assert utc_shop.due(_local(10, 21, 5)) is None
