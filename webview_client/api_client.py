"""ServitecAPIClient: the appliance's REST API over requests, and its live events over /ws.

The specification's example::

    from webview_client.api_client import ServitecAPIClient

    client = ServitecAPIClient("http://192.168.1.100:8000")
    client.login("maria", "...")

    # Conectar WebSocket
    def on_update(data):
        event = data['event']
        payload = data['data']

        if event == 'stock_actualizado':
            # Actualizar UI automáticamente
            producto_id = payload['id']
            nuevo_stock = payload['stock']
            print(f"Stock actualizado: Producto {producto_id} = {nuevo_stock}")

    client.connect_realtime(on_update)

Methods return the server's JSON as plain dicts. A refusal raises a `ServitecError`
subclass with the server's Spanish `message`, its `code`, `fields` and HTTP `status`.

Retries: a request that provably never left (connection refused) is resent whatever it
is. One that may have reached the server is resent only when repeating it is harmless:
GET, PUT and DELETE (except a stock delta, a state change, a password change and an
update that names a `version`), POST /sync/push (idempotent by op_id) and the creates,
which carry an id made here: a resent create whose first attempt landed answers 409
`ya_existe`, and the record is then fetched and returned, so nothing is created twice.

Live events: after each (re)connection the `conectado` frame gives the last change the
server had published; what this client missed up to it is fetched from
GET /sync/changes, and the socket's own events follow it. Each event reaches the
callback once, in increasing `seq` (gaps are normal: a role does not see everything).
Notices about the server itself (`respaldo_progreso`, `respaldo_creado`...) have `seq`
null and go to `on_notice` instead, as they come, never replayed. `base_restaurada` means the
owner restored a backup: whatever the application cached is stale, pull it all again.
The catch-up goes over HTTP (paged, resumable) rather than the socket's `?since=`, so a
long absence does not hold the socket's first frames back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3
import websocket

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 5.0
PING_SECONDS = 15.0  # a socket silent this long is pinged; silent twice as long, it is dropped
CLOSE_UNAUTHORIZED = 4401
CATCH_UP_PAGE = 500
EVENT_KEYS = ("event", "data", "seq", "ts")

# realtime_status values (also passed to on_status)
DETENIDO = "detenido"
CONECTANDO = "conectando"
CONECTADO = "conectado"
NO_AUTORIZADO = "no_autorizado"

RealtimeEvent = dict[str, Any]


class ServitecError(Exception):
    """A request failed; `message` is Spanish, for the person at the counter."""

    def __init__(self, message: str, code: str = "error", fields: dict[str, str] | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.status = status


class AuthError(ServitecError):
    """401: wrong credentials, or the session expired or was closed."""


class PermissionDenied(ServitecError):
    """403: the role (or the address) may not do this."""


class NotFound(ServitecError):
    """404: the record does not exist."""


class ConflictError(ServitecError):
    """409: the current state forbids it (stock, state machine, stale version...)."""


class ValidationError(ServitecError):
    """422: a field is not valid; `fields` says which."""


class TooManyAttempts(ServitecError):
    """429: sign-in locked after repeated failures; wait `retry_after` seconds."""

    def __init__(self, message: str, code: str = "demasiados_intentos", fields: dict[str, str] | None = None,
                 status: int | None = 429, retry_after: int = 0):
        super().__init__(message, code, fields, status)
        self.retry_after = retry_after


class ServerUnavailable(ServitecError):
    """The server could not be reached, or failed (5xx), after the retries."""


_BY_STATUS: dict[int, type[ServitecError]] = {
    401: AuthError, 403: PermissionDenied, 404: NotFound, 409: ConflictError, 422: ValidationError,
}


def _error_from(response: requests.Response) -> ServitecError:
    status = response.status_code
    try:
        error = response.json()["error"]
        message, code, fields = error["message"], error["code"], error.get("fields") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        message, code, fields = f"El servidor respondió HTTP {status} sin explicación.", f"http_{status}", {}
    if status == 429:
        retry_after = response.headers.get("Retry-After", "")
        return TooManyAttempts(message, code, fields, status, int(retry_after) if retry_after.isdigit() else 0)
    kind = _BY_STATUS.get(status) or (ServerUnavailable if status >= 500 else ServitecError)
    return kind(message, code, fields, status)


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed while connecting, so the server cannot have seen it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _unreachable(url: str, exc: requests.RequestException) -> ServerUnavailable:
    if isinstance(exc, requests.exceptions.SSLError):
        error = ServerUnavailable(f"No se pudo verificar el certificado del servidor {url}; revisa la dirección y "
                                  "el certificado configurado.", "certificado")
    elif _never_sent(exc):
        error = ServerUnavailable(f"No se puede conectar al servidor {url}. Verifica que esté encendido y en la "
                                  "misma red.", "sin_conexion")
    else:
        error = ServerUnavailable(f"El servidor {url} no respondió (la conexión se cortó o tardó demasiado). Si era "
                                  "un cambio, revisa si se guardó antes de repetirlo.", "sin_respuesta")
    error.__cause__ = exc
    return error


def _query(**values: Any) -> dict[str, Any]:
    """Query parameters: None left out, booleans and dates as the API spells them."""
    params = {}
    for name, value in values.items():
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, (dt.date, dt.datetime)):
            params[name] = value.isoformat()
        elif value is not None:
            params[name] = value
    return params


def _fields(**values: Any) -> dict[str, Any]:
    """A JSON body without the fields left as None (the server applies its defaults)."""
    return {name: value for name, value in values.items() if value is not None}


def _path(*parts: str) -> str:
    return "/".join(quote(str(part), safe="") if i else part for i, part in enumerate(parts))


def _close_reason(data: bytes) -> tuple[int | None, str]:
    if len(data) < 2:
        return None, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")


class ServitecAPIClient:
    """One appliance, one signed-in user: REST calls and, optionally, live events.

    `usuario` is the signed-in account; `realtime_status` and `realtime_message` follow the
    live connection (the message is the server's reason when it is `no_autorizado`).
    """

    def __init__(self, url: str, timeout: float = 5, retry_attempts: int = 3, enable_realtime: bool = True,
                 verify: str | bool | None = None):
        """`retry_attempts`: resends after the first attempt. `verify`: the server certificate's PEM
        file for HTTPS with a self-signed certificate (False skips the check; None uses the system's)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"La dirección del servidor debe ser como http://192.168.1.100:8000 "
                             f"(se recibió {url!r}).")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError("timeout debe ser un número de segundos mayor que 0.")
        if isinstance(retry_attempts, bool) or not isinstance(retry_attempts, int) or retry_attempts < 0:
            raise ValueError("retry_attempts debe ser un número entero de 0 en adelante.")
        if not isinstance(enable_realtime, bool):
            raise ValueError("enable_realtime debe ser true o false.")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retry_attempts = retry_attempts
        self.enable_realtime = enable_realtime
        self.verify = verify
        self.usuario: dict[str, Any] | None = None
        self.realtime_status = DETENIDO
        self.realtime_message: str | None = None
        self._token: str | None = None
        self._session = requests.Session()
        self._last_seq: int | None = None
        self._callback: Callable[[RealtimeEvent], None] | None = None
        self._on_status: Callable[[str, str | None], None] | None = None
        self._on_notice: Callable[[RealtimeEvent], None] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._deliver_lock = threading.Lock()
        self._ws: websocket.WebSocket | None = None

    @classmethod
    def from_config(cls, config: str | os.PathLike | Mapping[str, Any],
                    verify: str | bool | None = None) -> "ServitecAPIClient":
        """A client from config.json (its path, or the parsed dict): the `api_server` block."""
        if not isinstance(config, Mapping):
            try:
                with open(config, encoding="utf-8-sig") as file:  # Notepad may save a BOM
                    config = json.load(file)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{config} no es JSON válido: {exc}") from None
        block = config.get("api_server") if isinstance(config, Mapping) else None
        if not isinstance(block, Mapping) or not isinstance(block.get("url"), str):
            raise ValueError('La configuración necesita "api_server" con "url", p. ej. '
                             '{"api_server": {"url": "http://192.168.1.100:8000"}}.')
        options = {name: block[name] for name in ("timeout", "retry_attempts", "enable_realtime") if name in block}
        return cls(block["url"], verify=verify, **options)

    def __enter__(self) -> "ServitecAPIClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop live events and release the connections."""
        self.disconnect_realtime()
        self._session.close()

    @property
    def token(self) -> str | None:
        return self._token

    @property
    def last_seq(self) -> int | None:
        """The change seq live events have covered; pass it as `since` to resume from there later."""
        return self._last_seq

    # --- HTTP -----------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, resend: bool | None = None, params: dict[str, Any] | None = None,
              body: Any = None, data: dict[str, str] | None = None, session: requests.Session | None = None) -> Any:
        """One API call, retried as the module doc says; the JSON body, or a ServitecError."""
        if resend is None:
            resend = method in ("GET", "PUT", "DELETE")
        attempt = 0
        while True:
            result, failure, retry = self._attempt(method, path, resend, session or self._session,
                                                   params=params, json=body, data=data)
            if failure is None:
                return result
            if not retry or attempt >= self.retry_attempts:
                raise failure
            time.sleep(min(BACKOFF_SECONDS * 2 ** attempt, MAX_BACKOFF_SECONDS))
            attempt += 1

    def _attempt(self, method: str, path: str, resend: bool, session: requests.Session,
                 **request: Any) -> tuple[Any, ServitecError | None, bool]:
        """One try: (body, None, _) or (None, error, whether to try again).

        A frame of its own, so that a raised error's traceback does not hold the response
        (and with it the connection pool, which urllib3 closes only once unreferenced).
        """
        try:
            response = session.request(method, self.url + path, headers=self._auth_headers(), timeout=self.timeout,
                                       verify=self.verify, **request)
        except requests.RequestException as exc:
            failure = _unreachable(self.url, exc)
            return None, failure, failure.code != "certificado" and (resend or _never_sent(exc))
        with response:
            if response.status_code >= 400:
                return None, _error_from(response), resend and response.status_code >= 500
            try:
                return response.json(), None, False
            except ValueError:
                return None, ServitecError(f"{self.url} no respondió como un servidor de ServitecManager.",
                                           "respuesta_invalida", status=response.status_code), False

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _create(self, path: str, datos: dict[str, Any]) -> dict[str, Any]:
        """POST a record under a client-made id; an id already taken means this create already landed."""
        datos = {**datos, "id": datos.get("id") or str(uuid.uuid4())}
        try:
            return self._call("POST", path, body=datos, resend=True)
        except ConflictError as exc:
            if exc.code != "ya_existe":
                raise
        return self._call("GET", _path(path, datos["id"]))

    def _update(self, path: str, cambios: dict[str, Any], version: int | None) -> dict[str, Any]:
        # With a version the PUT is a compare-and-set: resent after it landed it would report a conflict with itself.
        body = cambios if version is None else {**cambios, "version": version}
        return self._call("PUT", path, body=body, resend=version is None)

    # --- status and session ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """GET /: app, version, server_id, time, db."""
        return self._call("GET", "/")

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Sign in; the token is kept for later calls. Returns {access_token, token_type, expires_in, usuario}."""
        session = self._call("POST", "/token", data={"username": username, "password": password}, resend=False)
        self._signed_in(session)
        return session

    def logout(self) -> None:
        """Forget the session here and stop live events (the server has no sign-out; the token lapses)."""
        self.disconnect_realtime()
        self._token = self.usuario = None

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/usuarios/me")

    def cambiar_password(self, actual: str, nueva: str) -> dict[str, Any]:
        """Change my password; the server closes my other sessions and this client keeps the new token."""
        session = self._call("PUT", "/usuarios/me/password", body={"actual": actual, "nueva": nueva}, resend=False)
        self._signed_in(session)
        return session

    def _signed_in(self, session: dict[str, Any]) -> None:
        """Keep a new session; live events that were on (or refused the old token) resume with it."""
        self._token, self.usuario = session["access_token"], session["usuario"]
        if self._thread is not None:
            self.connect_realtime(self._callback, on_status=self._on_status, on_notice=self._on_notice)

    # --- clientes -------------------------------------------------------------------------------

    def listar_clientes(self, q: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._call("GET", "/clientes", params=_query(q=q, limit=limit, offset=offset))

    def obtener_cliente(self, cliente_id: str) -> dict[str, Any]:
        return self._call("GET", _path("/clientes", cliente_id))

    def crear_cliente(self, nombre: str, **campos: Any) -> dict[str, Any]:
        return self._create("/clientes", {"nombre": nombre, **campos})

    def actualizar_cliente(self, cliente_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/clientes", cliente_id), cambios, version)

    def eliminar_cliente(self, cliente_id: str, version: int | None = None) -> dict[str, Any]:
        return self._call("DELETE", _path("/clientes", cliente_id), params=_query(version=version))

    def historial_cliente(self, cliente_id: str) -> dict[str, Any]:
        return self._call("GET", _path("/clientes", cliente_id, "historial"))

    # --- inventario -----------------------------------------------------------------------------

    def listar_productos(self, q: str | None = None, categoria: str | None = None, bajo_stock: bool | None = None,
                         incluir_inactivos: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._call("GET", "/inventario", params=_query(q=q, categoria=categoria, bajo_stock=bajo_stock,
                                                              incluir_inactivos=incluir_inactivos, limit=limit,
                                                              offset=offset))

    def obtener_producto(self, producto_id: str) -> dict[str, Any]:
        return self._call("GET", _path("/inventario", producto_id))

    def crear_producto(self, nombre: str, **campos: Any) -> dict[str, Any]:
        return self._create("/inventario", {"nombre": nombre, **campos})

    def actualizar_producto(self, producto_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/inventario", producto_id), cambios, version)

    def ajustar_stock(self, producto_id: str, motivo: str, cantidad: int | None = None, stock: int | None = None,
                      nota: str | None = None) -> dict[str, Any]:
        """A delta (`cantidad`) is never resent after it may have landed; a count (`conteo`, `stock`) is."""
        return self._call("PUT", _path("/inventario", producto_id, "stock"),
                          body=_fields(motivo=motivo, cantidad=cantidad, stock=stock, nota=nota),
                          resend=motivo == "conteo")

    def listar_movimientos(self, producto_id: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """The product's stock ledger (kárdex), newest first."""
        return self._call("GET", _path("/inventario", producto_id, "movimientos"),
                          params=_query(limit=limit, offset=offset))

    # --- órdenes --------------------------------------------------------------------------------

    def listar_ordenes(self, estado: str | None = None, cliente_id: str | None = None, tecnico_id: str | None = None,
                       q: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._call("GET", "/ordenes", params=_query(estado=estado, cliente_id=cliente_id,
                                                           tecnico_id=tecnico_id, q=q, limit=limit, offset=offset))

    def obtener_orden(self, orden_id: str) -> dict[str, Any]:
        return self._call("GET", _path("/ordenes", orden_id))

    def crear_orden(self, cliente_id: str, equipo: str, falla_reportada: str, **campos: Any) -> dict[str, Any]:
        return self._create("/ordenes", {"cliente_id": cliente_id, "equipo": equipo,
                                         "falla_reportada": falla_reportada, **campos})

    def actualizar_orden(self, orden_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/ordenes", orden_id), cambios, version)

    def cambiar_estado_orden(self, orden_id: str, estado: str, nota: str | None = None,
                             registrar_adeudo: bool = False, version: int | None = None) -> dict[str, Any]:
        """A state-machine command: not resent after it may have landed (it would be refused as a repeat)."""
        return self._call("PUT", _path("/ordenes", orden_id, "estado"),
                          body=_fields(estado=estado, nota=nota, registrar_adeudo=registrar_adeudo, version=version),
                          resend=False)

    def agregar_parte(self, orden_id: str, tipo: str, **campos: Any) -> dict[str, Any]:
        """A part (takes stock) or labour on the order; not resent after it may have landed."""
        return self._call("POST", _path("/ordenes", orden_id, "partes"), body={"tipo": tipo, **campos})

    # --- ventas ---------------------------------------------------------------------------------

    def crear_venta(self, items: list[dict[str, Any]], **campos: Any) -> dict[str, Any]:
        return self._create("/ventas", {"items": items, **campos})

    def listar_ventas(self, desde: dt.date | str | None = None, hasta: dt.date | str | None = None,
                      cliente_id: str | None = None, estado: str | None = None, limit: int = 50,
                      offset: int = 0) -> dict[str, Any]:
        return self._call("GET", "/ventas", params=_query(desde=desde, hasta=hasta, cliente_id=cliente_id,
                                                          estado=estado, limit=limit, offset=offset))

    def obtener_venta(self, venta_id: str) -> dict[str, Any]:
        return self._call("GET", _path("/ventas", venta_id))

    def cancelar_venta(self, venta_id: str, motivo: str) -> dict[str, Any]:
        return self._call("POST", _path("/ventas", venta_id, "cancelar"), body={"motivo": motivo})

    # --- estadísticas, usuarios, bitácora -------------------------------------------------------

    def dashboard(self) -> dict[str, Any]:
        return self._call("GET", "/stats/dashboard")

    def listar_usuarios(self) -> dict[str, Any]:
        return self._call("GET", "/usuarios")

    def crear_usuario(self, username: str, nombre: str, rol: str, password: str) -> dict[str, Any]:
        return self._call("POST", "/usuarios", body={"username": username, "nombre": nombre, "rol": rol,
                                                     "password": password})

    def actualizar_usuario(self, usuario_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        """Owner only: nombre, rol, activo, password, cerrar_sesiones."""
        return self._update(_path("/usuarios", usuario_id), cambios, version)

    def listar_auditoria(self, limit: int = 50, offset: int = 0, **filtros: Any) -> dict[str, Any]:
        """Filters: usuario, accion, entidad, entidad_id, desde, hasta."""
        return self._call("GET", "/auditoria", params=_query(limit=limit, offset=offset, **filtros))

    # --- respaldos (solo el dueño) --------------------------------------------------------------

    def listar_respaldos(self) -> dict[str, Any]:
        """{items: backups newest first with estado, salud: the backup health}."""
        return self._call("GET", "/backups")

    def crear_respaldo(self) -> dict[str, Any]:
        """Make a verified backup now (waits until it is done)."""
        return self._call("POST", "/backups")

    def descargar_respaldo(self, nombre: str, destino: str | os.PathLike[str]) -> Path:
        """Save backup `nombre` as the file `destino` (written whole, then renamed); return its path."""
        target = Path(destino)
        partial = target.with_name(target.name + ".part")
        try:
            with self._session.get(self.url + _path("/backups", nombre), headers=self._auth_headers(), stream=True,
                                   timeout=self.timeout, verify=self.verify) as response:
                if response.status_code >= 400:
                    raise _error_from(response)
                with open(partial, "wb") as file:
                    for chunk in response.iter_content(1 << 20):
                        file.write(chunk)
        except requests.RequestException as exc:
            raise _unreachable(self.url, exc) from None
        os.replace(partial, target)
        return target

    def borrar_respaldo(self, nombre: str) -> dict[str, Any]:
        # Not resent: a repeat after it landed would answer 404 for a deletion that worked.
        return self._call("DELETE", _path("/backups", nombre), resend=False)

    def restaurar_respaldo(self, nombre: str) -> dict[str, Any]:
        """Replace the shop's data with backup `nombre` (a pre-restore backup is taken first)."""
        return self._call("POST", _path("/backups", nombre) + "/restore", body={"confirmar": nombre})

    # --- sincronización -------------------------------------------------------------------------

    def obtener_cambios(self, since: int = 0, limit: int = CATCH_UP_PAGE) -> dict[str, Any]:
        """One page of GET /sync/changes: {items, last_seq, has_more}."""
        return self._call("GET", "/sync/changes", params=_query(since=since, limit=limit))

    def iterar_cambios(self, since: int = 0) -> Iterator[dict[str, Any]]:
        """Every change after `since` this role may see, oldest first, page after page."""
        while True:
            page = self.obtener_cambios(since)
            yield from page["items"]
            if not page["has_more"]:
                return
            since = page["last_seq"]

    def enviar_operaciones(self, device_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /sync/push: ops made offline, each {op_id, tipo, datos}; resent safely (by op_id)."""
        return self._call("POST", "/sync/push", body={"device_id": device_id, "ops": ops}, resend=True)

    # --- live events ----------------------------------------------------------------------------

    def connect_realtime(self, callback: Callable[[RealtimeEvent], None], since: int | None = None,
                         on_status: Callable[[str, str | None], None] | None = None,
                         on_notice: Callable[[RealtimeEvent], None] | None = None) -> None:
        """Call `callback(event)` on a background thread for each change, until disconnect_realtime().

        `since`: the last seq already handled (e.g. a saved `last_seq`); later changes come first.
        Without it, events start at the connection (or where an earlier connection left off).
        `on_status(status, message)` hears conectando, conectado, detenido and no_autorizado
        (token expired or revoked: reconnecting stops until login() resumes it).
        `on_notice(event)` hears the server's notices (`seq` null: a backup's progress...),
        as they come, never replayed.
        Does nothing when `enable_realtime` is off.
        """
        if not self.enable_realtime:
            log.info("Tiempo real desactivado en la configuración (enable_realtime: false).")
            return
        if self._token is None:
            raise AuthError("Inicia sesión antes de conectar el tiempo real.", "no_autenticado")
        self.disconnect_realtime()
        if since is not None:
            self._last_seq = since
        self._callback, self._on_status, self._on_notice = callback, on_status, on_notice
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen_forever, args=(self._stop,), name="servitec-realtime",
                                        daemon=True)
        self._thread.start()

    def disconnect_realtime(self) -> None:
        """Stop live events; returns within about 2 s."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        ws = self._ws
        if ws is not None:
            sock = ws.sock
            with suppress(OSError, websocket.WebSocketException):
                ws.send_close()
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the thread's blocked read
        if thread is not threading.current_thread():  # a callback may call close()
            thread.join(2.0)
        self._set_status(DETENIDO)

    def _set_status(self, status: str, message: str | None = None) -> None:
        if (status, message) == (self.realtime_status, self.realtime_message):
            return
        self.realtime_status, self.realtime_message = status, message
        if self._on_status is not None:
            try:
                self._on_status(status, message)
            except Exception:
                log.exception("Error en on_status(%r)", status)

    def _ws_url(self, token: str) -> str:
        return "ws" + self.url[len("http"):] + "/ws?" + urlencode({"token": token})

    def _sslopt(self) -> dict[str, Any] | None:
        if isinstance(self.verify, str):
            return {"ca_certs": self.verify}
        if self.verify is False:
            return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        return None

    def _listen_forever(self, stop: threading.Event) -> None:
        session = requests.Session()
        delay = BACKOFF_SECONDS
        try:
            while not stop.is_set():
                self._set_status(CONECTANDO)
                connected, code, reason = self._listen_once(self._token, stop, session)
                if stop.is_set():
                    return
                if code == CLOSE_UNAUTHORIZED:
                    log.warning("El servidor cerró el tiempo real: %s", reason)
                    self._set_status(NO_AUTORIZADO, reason)
                    return
                delay = BACKOFF_SECONDS if connected else min(delay * 2, MAX_BACKOFF_SECONDS)
                log.info("Tiempo real desconectado (%s %s); reintento en %.2f s", code, reason, delay)
                stop.wait(delay)
        finally:
            session.close()
            if self.realtime_status != NO_AUTORIZADO:
                self._set_status(DETENIDO)

    def _listen_once(self, token: str, stop: threading.Event,
                     session: requests.Session) -> tuple[bool, int | None, str]:
        """One connection: returns whether it got as far as `conectado`, and the close code and reason."""
        ws = websocket.WebSocket(sslopt=self._sslopt())
        self._ws = ws
        connected = False
        try:
            ws.connect(self._ws_url(token), timeout=self.timeout)
            ws.settimeout(PING_SECONDS)
            pinged = False
            while not stop.is_set():
                try:
                    opcode, frame = ws.recv_data_frame(True)
                except websocket.WebSocketTimeoutException:
                    if pinged:
                        return connected, None, "el servidor dejó de responder"
                    ws.ping()
                    pinged = True
                    continue
                pinged = False
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    return (connected, *_close_reason(frame.data))
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue
                message = json.loads(frame.data)
                if message["event"] == "conectado":
                    self._catch_up(message["seq"], session, stop)
                    connected = True
                    self._set_status(CONECTADO)
                elif message["seq"] is None:
                    self._notice(message, stop)
                else:
                    self._deliver(message, stop)
            return connected, None, "detenido"
        except (OSError, ValueError, KeyError, TypeError, websocket.WebSocketException, ServitecError) as exc:
            return connected, None, str(exc) or type(exc).__name__
        finally:
            if self._ws is ws:
                self._ws = None
            ws.shutdown()

    def _catch_up(self, until: int, session: requests.Session, stop: threading.Event) -> None:
        """Deliver the changes missed up to `until` (the `conectado` seq); the socket sends what follows."""
        if self._last_seq is None:
            self._last_seq = until
        elif self._last_seq > until:
            log.warning("El servidor va en el cambio %s y este cliente ya había visto el %s (¿otra base de "
                        "datos?); se sigue desde el del servidor.", until, self._last_seq)
            self._last_seq = until
        while self._last_seq < until:
            page = self._call("GET", "/sync/changes", params=_query(since=self._last_seq, limit=CATCH_UP_PAGE),
                              session=session)
            for item in page["items"]:
                if item["seq"] <= until:
                    self._deliver({key: item[key] for key in EVENT_KEYS}, stop)
            self._last_seq = max(self._last_seq, min(page["last_seq"], until))
            if not page["has_more"]:
                break
        self._last_seq = max(self._last_seq, until)

    def _notice(self, notice: RealtimeEvent, stop: threading.Event) -> None:
        if self._on_notice is None or stop.is_set():
            return
        try:
            self._on_notice(notice)
        except Exception:
            log.exception("Error en el callback de avisos (aviso %s)", notice["event"])

    def _deliver(self, event: RealtimeEvent, stop: threading.Event) -> None:
        # One delivery at a time, never from a listener already told to stop (one that outlived
        # disconnect_realtime's wait must not race the next listener).
        with self._deliver_lock:
            if stop.is_set() or event["seq"] <= self._last_seq:
                return
            self._last_seq = event["seq"]
            try:
                self._callback(event)
            except Exception:
                log.exception("Error en el callback de tiempo real (evento %s, seq %s)", event["event"],
                              event["seq"])
