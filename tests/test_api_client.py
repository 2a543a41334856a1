"""webview_client against a real appliance: REST calls, typed errors, retries, downloads, live events."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import threading
import time
import uuid
from contextlib import suppress

import pytest
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess, free_port

from webview_client import realtime
from webview_client.api_client import (
    CONECTADO,
    CONECTANDO,
    DETENIDO,
    NO_AUTORIZADO,
    ConflictError,
    InvalidInput,
    LoginLocked,
    NotAuthenticated,
    PermissionDenied,
    RecordNotFound,
    ServerUnavailable,
    ServitecAPIClient,
)

STAFF_PASSWORD = "clave-del-personal-1"

# config.json exactly as the specification shows it (only the address changes).
SPEC_CONFIG = """{
  "api_server": {
    "url": "http://192.168.1.100:8000",
    "timeout": 5,
    "retry_attempts": 3,
    "enable_realtime": true
  },
  "offline_mode": {
    "enabled": true,
    "sync_interval": 300
  }
}
"""


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Feed:
    """What one client's live connection delivered: events and status changes."""

    def __init__(self):
        self.events: list[dict] = []
        self.statuses: list[tuple[str, str | None]] = []

    def on_event(self, event: dict) -> None:
        self.events.append(event)

    def on_status(self, status: str, message: str | None) -> None:
        self.statuses.append((status, message))

    def connected(self) -> bool:
        return bool(self.statuses) and self.statuses[-1][0] == CONECTADO

    def wait_connected(self) -> None:
        wait_for(self.connected, "the realtime connection")


@pytest.fixture
def clients():
    """`clients(server, username=..., password=...)`: a signed-in client, closed after the test."""
    opened: list[ServitecAPIClient] = []

    def make(
        server: ServerProcess, username: str = OWNER, password: str = OWNER_PASSWORD, url: str | None = None, **options
    ) -> ServitecAPIClient:
        client = ServitecAPIClient(url or server.url, verify=server.verify, **options)
        opened.append(client)
        client.login(username, password)
        return client

    yield make
    for client in opened:
        client.close()


def new_user(owner: ServitecAPIClient, rol: str) -> str:
    username = f"{rol}.{uuid.uuid4().hex[:6]}"
    owner.crear_usuario(username, f"Prueba {rol}", rol, STAFF_PASSWORD)
    return username


def test_spec_example_prints_stock_updates(server, clients, capsys):
    owner = clients(server)
    seller = clients(server, new_user(owner, "mostrador"), STAFF_PASSWORD)
    # The specification's client code, verbatim but for the server address and the account.
    client = clients(server, new_user(owner, "mostrador"), STAFF_PASSWORD)

    def on_update(data):
        event = data["event"]
        payload = data["data"]

        if event == "stock_actualizado":
            # Actualizar UI automáticamente
            producto_id = payload["id"]
            nuevo_stock = payload["stock"]
            print(f"Stock actualizado: Producto {producto_id} = {nuevo_stock}")

    feed = Feed()
    client.connect_realtime(on_update, on_status=feed.on_status)
    feed.wait_connected()

    producto = owner.crear_producto(f"Producto {uuid.uuid4().hex[:6]}", precio_venta=100, stock=5)
    seller.crear_venta([{"producto_id": producto["id"], "cantidad": 2}])
    expected = [f"Stock actualizado: Producto {producto['id']} = {stock}" for stock in (5, 3)]
    printed: list[str] = []

    def mine() -> list[str]:
        printed.extend(capsys.readouterr().out.splitlines())
        return [line for line in printed if producto["id"] in line]

    wait_for(lambda: len(mine()) >= 2, "both stock updates")
    assert mine() == expected  # the initial count, then the sale


def test_every_endpoint_round_trip(server, clients):
    owner = clients(server)
    assert owner.status()["db"] == "ok"
    assert owner.me()["username"] == OWNER and owner.usuario["rol"] == "dueno"

    cliente = owner.crear_cliente("Ana López", telefono="555-0101")
    cliente = owner.actualizar_cliente(cliente["id"], version=cliente["version"], email="ana@example.com")
    assert owner.obtener_cliente(cliente["id"])["email"] == "ana@example.com"
    assert [c["id"] for c in owner.listar_clientes(q="ana@example.com", limit=500)["items"]].count(cliente["id"]) == 1

    producto = owner.crear_producto(f"Mica {uuid.uuid4().hex[:6]}", precio_venta=150, stock=10)
    producto = owner.actualizar_producto(producto["id"], precio_venta=120)
    assert owner.ajustar_stock(producto["id"], "conteo", stock=8)["producto"]["stock"] == 8
    assert owner.ajustar_stock(producto["id"], "compra", cantidad=2)["producto"]["stock"] == 10
    assert owner.listar_movimientos(producto["id"])["suma_movimientos"] == 10
    assert producto["id"] in [p["id"] for p in owner.listar_productos(q=producto["nombre"])["items"]]
    assert owner.obtener_producto(producto["id"])["precio_venta"] == 120

    orden = owner.crear_orden(cliente["id"], "celular", "No carga", marca="Motorola")
    orden = owner.actualizar_orden(orden["id"], diagnostico="Puerto dañado")
    orden = owner.cambiar_estado_orden(orden["id"], "diagnostico", nota="Revisión")
    orden = owner.agregar_parte(orden["id"], "parte", producto_id=producto["id"])
    assert owner.obtener_orden(orden["id"])["estado"] == "diagnostico" and len(orden["partes"]) == 1
    assert orden["id"] in [o["id"] for o in owner.listar_ordenes(cliente_id=cliente["id"])["items"]]

    cotizacion = owner.cotizar_venta([{"producto_id": producto["id"], "cantidad": 1}], pagos=[])
    assert (cotizacion["total"], cotizacion["falta"]) == (120, 120)
    venta = owner.crear_venta([{"producto_id": producto["id"], "cantidad": 1}], cliente_id=cliente["id"])
    assert owner.obtener_venta(venta["id"])["total"] == 120
    assert venta["id"] in [
        v["id"]
        for v in owner.listar_ventas(desde=dt.date.today() - dt.timedelta(days=1), cliente_id=cliente["id"])["items"]
    ]
    assert owner.cancelar_venta(venta["id"], "Prueba")["estado"] == "cancelada"
    assert {o["id"] for o in owner.historial_cliente(cliente["id"])["ordenes"]} == {orden["id"]}
    assert "ordenes_por_estado" in owner.dashboard()
    assert len(owner.dashboard()["ventas_30_dias"]) == 30
    assert owner.historial_cliente(cliente["id"])["equipos"][0]["ultima_orden_id"] == orden["id"]
    assert owner.mensajes_whatsapp(orden["id"])["mensajes"][0]["tipo"] == "recibido"
    taller = owner.obtener_taller()
    assert owner.actualizar_taller(version=taller["version"], pie_ticket="Gracias")["pie_ticket"] == "Gracias"
    assert OWNER in [p["username"] for p in owner.listar_personal()["items"]]

    username = new_user(owner, "tecnico")
    usuario = next(u for u in owner.listar_usuarios()["items"] if u["username"] == username)
    assert owner.actualizar_usuario(usuario["id"], nombre="Técnico de prueba")["nombre"] == "Técnico de prueba"
    tecnico = clients(server, username, STAFF_PASSWORD)
    old_token = tecnico.token
    tecnico.cambiar_password(STAFF_PASSWORD, "otra-clave-segura")
    assert tecnico.token != old_token and tecnico.me()["username"] == username
    assert owner.listar_auditoria(accion="usuario_creado", entidad_id=usuario["id"])["items"]

    op = {"op_id": str(uuid.uuid4()), "tipo": "cliente.crear", "datos": {"id": str(uuid.uuid4()), "nombre": "Sin red"}}
    assert [r["resultado"] for r in owner.enviar_operaciones("caja-1", [op, op])["results"]] == ["applied", "duplicate"]
    page = owner.obtener_cambios(since=0, limit=1)
    assert len(page["items"]) == 1 and page["has_more"]
    assert owner.eliminar_cliente(op["datos"]["id"])["eliminado"] is True


def test_backups_round_trip_with_notices_and_a_restore(tmp_path, clients):
    # A server of its own: the restore rewinds its data.
    proc = ServerProcess(tmp_path / "data").start()
    try:
        owner = clients(proc)
        feed, notices = Feed(), []
        owner.connect_realtime(feed.on_event, on_status=feed.on_status, on_notice=notices.append)
        feed.wait_connected()
        antes = owner.crear_cliente("Antes del respaldo")
        respaldo = owner.crear_respaldo()
        wait_for(lambda: "respaldo_creado" in [n["event"] for n in notices], "the respaldo_creado notice")
        # Notices go to on_notice only; the change callback keeps its increasing seqs.
        assert all(n["seq"] is None for n in notices) and all(e["seq"] is not None for e in feed.events)
        listed = owner.listar_respaldos()
        assert listed["items"][0]["nombre"] == respaldo["nombre"] and listed["salud"]["estado"] == "ok"
        copy = owner.descargar_respaldo(respaldo["nombre"], tmp_path / "copia.db")
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == respaldo["sha256"]
        with pytest.raises(RecordNotFound):
            owner.descargar_respaldo("servitec-20000101-000000-manual.db", tmp_path / "nada.db")
        assert not (tmp_path / "nada.db").exists()

        despues = owner.crear_cliente("Después del respaldo")
        restored = owner.restaurar_respaldo(respaldo["nombre"])
        wait_for(lambda: "base_restaurada" in [e["event"] for e in feed.events], "base_restaurada")
        ids = {c["id"] for c in owner.listar_clientes(limit=500)["items"]}
        assert antes["id"] in ids and despues["id"] not in ids
        seqs = [e["seq"] for e in feed.events]
        assert seqs == sorted(set(seqs))
        assert owner.borrar_respaldo(restored["respaldo_previo"])["nombre"] == restored["respaldo_previo"]
        with pytest.raises(RecordNotFound):
            owner.borrar_respaldo(restored["respaldo_previo"])
    finally:
        proc.stop()


@pytest.mark.slow
def test_events_arrive_once_and_in_order_across_kill_and_restart(tmp_path, clients):
    proc = ServerProcess(tmp_path / "data").start()
    try:
        feed = Feed()
        subscriber = clients(proc)
        subscriber.connect_realtime(feed.on_event, on_status=feed.on_status)
        feed.wait_connected()
        writer = clients(proc)
        created, failed, retried = [], 0, []

        def connections() -> int:
            return [status for status, _ in feed.statuses].count(CONECTADO)

        def write() -> float:
            nonlocal failed
            started = time.monotonic()
            try:
                created.append(writer.crear_cliente(f"Cliente {len(created) + failed}")["id"])
            except ServerUnavailable:
                failed += 1
            return time.monotonic() - started

        for _ in range(10):
            write()
        # kill -9 once, then a graceful stop once (it serves open connections 2 s more), each followed by a
        # restart on the same port and data; the writer keeps writing through it, then writes some more.
        for outage_number, stop in enumerate((proc.kill, proc.stop), start=1):
            outage = threading.Thread(target=lambda stop=stop: (stop(), proc.start()))
            outage.start()
            took = []
            while outage.is_alive():
                took.append(write())
                time.sleep(0.1)
            retried.append(max(took) >= 0.25)  # a write met the server down and was resent
            for _ in range(10):
                write()
            # Back online before the next outage: after a long one its retries have backed off (up
            # to MAX_BACKOFF_SECONDS), and a second outage inside that wait would be one reconnect.
            wait_for(lambda n=outage_number: connections() > n, "the subscriber to reconnect", timeout=30)

        committed = [(c["seq"], c["data"]["id"]) for c in writer.iterar_cambios(0) if c["event"] == "cliente_creado"]

        def received() -> list[tuple[int, str]]:
            return [(e["seq"], e["data"]["id"]) for e in feed.events if e["event"] == "cliente_creado"]

        wait_for(lambda: len(received()) >= len(committed), "the subscriber to catch up")
        assert received() == committed  # each committed create once, in seq order
        assert [seq for seq, _ in committed] == sorted({seq for seq, _ in committed})
        assert set(created) <= {cliente_id for _, cliente_id in committed}
        assert retried == [True, True] and len(created) >= 30
        assert [status for status, _ in feed.statuses].count(CONECTADO) >= 3  # it did reconnect twice
    finally:
        proc.stop()


class FaultyProxy:
    """A TCP proxy to the server for what a network does to a client.

    `arm(relay)`: it passes the next request on but cuts the connection after relaying `relay`
    bytes of the answer: a network failure after the server did the work. `shut()` cuts every
    connection and refuses new ones (nothing reaches the server) until `open()`.
    """

    def __init__(self, server: ServerProcess):
        self.upstream = server.port
        self.armed = threading.Event()
        self.relay = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self.port = 0
        self.open()
        self.url = server.url.rsplit(":", 1)[0] + f":{self.port}"

    def arm(self, relay: int = 0) -> None:
        self.relay = relay
        self.armed.set()

    def open(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # the same port every time
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def shut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), which close() alone does not
            listener.close()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                downstream.close()
                continue
            with self._lock:
                if listener is not self._listener:  # shut meanwhile
                    downstream.close()
                    upstream.close()
                    return
                self._sockets += [downstream, upstream]
            threading.Thread(target=self._pipe, args=(downstream, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers and self.armed.is_set():
                    if len(data) > self.relay:
                        sink.sendall(data[: self.relay])
                        self.armed.clear()
                        self.dropped += 1
                        break
                    self.relay -= len(data)
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        source.close()  # each socket is the source of one pipe


def test_a_create_resent_after_it_landed_returns_the_record_without_a_second_one(server, clients):
    owner = clients(server)
    proxy = FaultyProxy(server)
    try:
        # The same server through the proxy; signing in opens the connection the drop will cut.
        client = clients(server, url=proxy.url)
        nombre = f"Cliente {uuid.uuid4().hex[:8]}"
        proxy.arm()
        cliente = client.crear_cliente(nombre)
        assert proxy.dropped == 1  # the first answer was lost; the resend found the record (409 ya_existe)
        assert cliente["nombre"] == nombre
        assert [c["id"] for c in owner.listar_clientes(q=nombre)["items"]] == [cliente["id"]]
        assert len(owner.listar_auditoria(accion="cliente_creado", entidad_id=cliente["id"])["items"]) == 1
        assert client.crear_cliente(nombre, id=cliente["id"]) == cliente  # an explicit id: same answer

        # A stock delta may not be resent: the caller hears the doubt, and the stock moved once.
        producto = owner.crear_producto(f"Cable {uuid.uuid4().hex[:6]}", precio_venta=80)
        proxy.arm()
        with pytest.raises(ServerUnavailable) as info:
            client.ajustar_stock(producto["id"], "compra", cantidad=5)
        assert info.value.code == "sin_respuesta" and "revisa si se guardó" in info.value.message
        assert proxy.dropped == 2 and owner.obtener_producto(producto["id"])["stock"] == 5
    finally:
        proxy.shut()


def test_a_backup_download_is_resent_like_any_get_and_a_missing_one_is_record_not_found(
    fresh_server, clients, tmp_path
):
    owner = clients(fresh_server)
    respaldo = owner.crear_respaldo()
    proxy = FaultyProxy(fresh_server)
    try:
        client = clients(fresh_server, url=proxy.url, retry_attempts=5)

        # Refused before anything was sent: resent (0.25 s, then 0.5 s later) until the proxy listens again.
        proxy.shut()
        reopen = threading.Timer(0.4, proxy.open)
        reopen.start()
        started = time.monotonic()
        copy = client.descargar_respaldo(respaldo["nombre"], tmp_path / "copia.db")
        assert time.monotonic() - started >= 0.7
        reopen.join()
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == respaldo["sha256"]

        # Sent, and the answer lost before it began or halfway through the file: a GET is resent, the
        # file written from the start.
        assert respaldo["tamano"] > 40_000
        for relay, name in ((0, "otra.db"), (20_000, "una-mas.db")):
            proxy.arm(relay)
            copy = client.descargar_respaldo(respaldo["nombre"], tmp_path / name)
            assert hashlib.sha256(copy.read_bytes()).hexdigest() == respaldo["sha256"]
        assert proxy.dropped == 2
        assert sorted(path.name for path in tmp_path.glob("*.db*")) == ["copia.db", "otra.db", "una-mas.db"]

        nombre = "servitec-20000101-000000-manual.db"
        with pytest.raises(RecordNotFound) as info:
            client.descargar_respaldo(nombre, tmp_path / "nada.db")
        assert (info.value.status, info.value.code) == (404, "no_encontrado")
        assert info.value.message.startswith(f"No existe el respaldo {nombre}")
        assert not list(tmp_path.glob("nada.db*"))
    finally:
        proxy.shut()


def test_after_a_reconnect_the_catch_up_delivers_what_was_missed_once_and_in_order(server, clients, monkeypatch):
    monkeypatch.setattr(realtime, "CATCH_UP_PAGE", 2)  # so that the catch-up takes several pages
    owner = clients(server)
    proxy = FaultyProxy(server)
    try:
        feed = Feed()
        subscriber = clients(server, url=proxy.url)
        subscriber.connect_realtime(feed.on_event, on_status=feed.on_status)
        feed.wait_connected()
        first = owner.crear_cliente(f"En vivo {uuid.uuid4().hex[:6]}")
        mine = {first["id"]}

        def received() -> list[tuple[int, str]]:
            return [(e["seq"], e["data"]["id"]) for e in feed.events if e["data"].get("id") in mine]

        wait_for(received, "the live event")
        proxy.shut()
        wait_for(lambda: feed.statuses[-1][0] == CONECTANDO, "the lost connection")
        # Committed while the socket was down: only GET /sync/changes can bring them.
        missed = [owner.crear_cliente(f"Perdido {i} {uuid.uuid4().hex[:6]}")["id"] for i in range(5)]
        mine.update(missed)
        proxy.open()
        wait_for(lambda: len(received()) >= 6, "the catch-up")
        after = owner.crear_cliente(f"Después {uuid.uuid4().hex[:6]}")
        mine.add(after["id"])
        wait_for(lambda: len(received()) >= 7, "the live event after the catch-up")
        assert [cliente_id for _, cliente_id in received()] == [first["id"], *missed, after["id"]]
        seqs = [seq for seq, _ in received()]
        assert seqs == sorted(set(seqs)) and subscriber.last_seq >= seqs[-1]
        assert [status for status, _ in feed.statuses].count(CONECTADO) == 2
    finally:
        proxy.shut()


def test_errors_are_typed_and_carry_the_server_message(server, clients):
    owner = clients(server)
    username = new_user(owner, "mostrador")
    with ServitecAPIClient(server.url, verify=server.verify) as client, pytest.raises(NotAuthenticated) as info:
        client.login(username, "no-es-la-clave")
    assert (info.value.status, info.value.code, info.value.message) == (
        401,
        "credenciales_invalidas",
        "Usuario o contraseña incorrectos.",
    )
    failures = owner.listar_auditoria(usuario=username, accion="inicio_sesion_fallido")["items"]
    assert len(failures) == 1  # a refused sign-in is not retried

    producto = owner.crear_producto(f"Batería {uuid.uuid4().hex[:6]}", precio_venta=300, stock=1)
    mostrador = clients(server, username, STAFF_PASSWORD)
    with pytest.raises(ConflictError) as info:
        mostrador.crear_venta([{"producto_id": producto["id"], "cantidad": 2}])
    assert (info.value.status, info.value.code) == (409, "stock_insuficiente")
    assert producto["nombre"] in info.value.message and "producto_id" in info.value.fields

    tecnico = clients(server, new_user(owner, "tecnico"), STAFF_PASSWORD)
    with pytest.raises(PermissionDenied) as info:
        tecnico.crear_producto("Producto del técnico")
    assert (info.value.status, info.value.code) == (403, "sin_permiso") and info.value.message

    with pytest.raises(RecordNotFound) as info:
        owner.obtener_cliente("no-existe")
    assert info.value.status == 404 and "no-existe" in info.value.message
    with pytest.raises(InvalidInput) as info:
        owner.crear_cliente("Correo malo", email="sin-arroba")
    assert info.value.status == 422 and set(info.value.fields) == {"email"}


def test_login_locked_and_unreachable_server(server_with):
    proc, _ = server_with(LOGIN_MAX_FAILURES="3", LOGIN_LOCK_SECONDS="60")
    with ServitecAPIClient(proc.url, verify=proc.verify) as client, pytest.raises(LoginLocked) as info:
        for _ in range(3):
            with suppress(NotAuthenticated):
                client.login(OWNER, "no-es-la-clave")
    assert info.value.status == 429 and info.value.retry_after == 60 and "60 segundos" in info.value.message

    # A request that never left is resent even when it is not idempotent (a sign-in here).
    nobody = ServitecAPIClient(f"http://127.0.0.1:{free_port()}", retry_attempts=2)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable) as info:
        nobody.login(OWNER, OWNER_PASSWORD)
    assert info.value.code == "sin_conexion" and info.value.status is None and "encendido" in info.value.message
    assert time.monotonic() - started >= 0.7  # two resends, 0.25 s and 0.5 s apart


def test_from_config_reads_the_spec_config_json(server, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(SPEC_CONFIG.replace("http://192.168.1.100:8000", server.url), encoding="utf-8-sig")
    client = ServitecAPIClient.from_config(path, verify=server.verify)
    assert (client.url, client.timeout, client.retry_attempts, client.enable_realtime) == (server.url, 5, 3, True)
    assert client.status()["db"] == "ok"

    config = {"api_server": {"url": server.url + "/", "enable_realtime": False, "otra_opcion": 1}, "extra": {}}
    with ServitecAPIClient.from_config(config, verify=server.verify) as quiet:
        assert (quiet.url, quiet.timeout, quiet.retry_attempts) == (server.url, 5, 3)
        quiet.login(OWNER, OWNER_PASSWORD)
        quiet.connect_realtime(print)
        assert quiet.realtime_status == DETENIDO
    with pytest.raises(ValueError, match="api_server"):
        ServitecAPIClient.from_config({"servidor": {"url": server.url}})
    with pytest.raises(ValueError, match="retry_attempts"):
        ServitecAPIClient.from_config({"api_server": {"url": server.url, "retry_attempts": "3"}})


def test_a_refused_sale_sends_no_event(server, clients):
    owner = clients(server)
    producto = owner.crear_producto(f"Funda {uuid.uuid4().hex[:6]}", precio_venta=90, stock=1)
    feed = Feed()
    subscriber = clients(server)
    subscriber.connect_realtime(feed.on_event, on_status=feed.on_status)
    feed.wait_connected()
    # Start from a change seen live (a subscriber may first get changes older than its connection).
    warm = owner.crear_cliente(f"Inicio {uuid.uuid4().hex[:6]}")
    wait_for(lambda: warm["id"] in [e["data"].get("id") for e in feed.events], "the first event")
    before = subscriber.last_seq
    feed.events.clear()

    with pytest.raises(ConflictError):
        owner.crear_venta([{"producto_id": producto["id"], "cantidad": 2}])
    marca = owner.crear_cliente(f"Marca {uuid.uuid4().hex[:6]}")
    wait_for(lambda: feed.events, "the next event")
    # Nothing at all was committed for the refused sale: the next change is the very next seq.
    assert [(e["event"], e["data"]["id"], e["seq"]) for e in feed.events] == [
        ("cliente_creado", marca["id"], before + 1)
    ]


def test_a_revoked_session_stops_the_feed_and_signing_in_resumes_it(server, clients):
    owner = clients(server)
    username = new_user(owner, "mostrador")
    usuario_id = next(u["id"] for u in owner.listar_usuarios()["items"] if u["username"] == username)
    feed = Feed()
    client = clients(server, username, STAFF_PASSWORD)
    client.connect_realtime(feed.on_event, on_status=feed.on_status)
    feed.wait_connected()

    # Changing one's own password revokes the old token: the feed follows the new one, losing nothing.
    client.cambiar_password(STAFF_PASSWORD, "clave-nueva-123")
    first = owner.crear_cliente("Durante el cambio de clave")
    feed.wait_connected()
    wait_for(lambda: first["id"] in [e["data"].get("id") for e in feed.events], "the event after the change")

    owner.actualizar_usuario(usuario_id, cerrar_sesiones=True)
    wait_for(lambda: client.realtime_status == NO_AUTORIZADO, "the 4401 close")
    assert feed.statuses[-1][0] == NO_AUTORIZADO and "sesión" in feed.statuses[-1][1].lower()
    missed = owner.crear_cliente("Mientras no había sesión")
    time.sleep(0.5)
    assert client.realtime_status == NO_AUTORIZADO and missed["id"] not in [e["data"].get("id") for e in feed.events]

    client.login(username, "clave-nueva-123")  # resumes the feed, starting with what it missed
    wait_for(lambda: missed["id"] in [e["data"].get("id") for e in feed.events], "the missed event")
    seqs = [e["seq"] for e in feed.events]
    assert seqs == sorted(set(seqs))
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 2.5 and client.realtime_status == DETENIDO
    assert not [t for t in threading.enumerate() if t.name == "servitec-realtime"]
