"""ServitecAPIClient: the appliance's REST API, one method per route, and its live events.

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

Methods return the server's JSON as plain dicts. A refusal raises a `ServitecError` subclass
(errors.py, all importable from here too) with the server's Spanish `message`, its `code`,
`fields` and HTTP `status`. Requests go through transport.py, whose docstring has the retry
rules; each method here decides whether its request may be resent. Live events are realtime.py's.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import (
    ConflictError,
    InvalidInput,
    LoginLocked,
    NotAuthenticated,
    PermissionDenied,
    RecordNotFound,
    ServerUnavailable,
    ServitecError,
)
from .realtime import CATCH_UP_PAGE, CONECTADO, CONECTANDO, DETENIDO, NO_AUTORIZADO, RealtimeEvent, RealtimeListener
from .transport import Transport

__all__ = [
    "CONECTADO",
    "CONECTANDO",
    "DETENIDO",
    "NO_AUTORIZADO",
    "ConflictError",
    "InvalidInput",
    "LoginLocked",
    "NotAuthenticated",
    "PermissionDenied",
    "RealtimeEvent",
    "RecordNotFound",
    "ServerUnavailable",
    "ServitecAPIClient",
    "ServitecError",
]

log = logging.getLogger(__name__)


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


class _OfTransport:
    """A client attribute that lives on its transport, so that changing it (a longer timeout...) takes effect."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, client: ServitecAPIClient | None, owner: type | None = None) -> Any:
        return self if client is None else getattr(client._http, self.name)

    def __set__(self, client: ServitecAPIClient, value: Any) -> None:
        setattr(client._http, self.name, value)


class ServitecAPIClient:
    """One appliance, one signed-in user: REST calls and, optionally, live events.

    `usuario` is the signed-in account; `realtime_status` and `realtime_message` follow the
    live connection (the message is the server's reason when it is `no_autorizado`).
    """

    url = _OfTransport()
    timeout = _OfTransport()
    retry_attempts = _OfTransport()
    verify = _OfTransport()

    def __init__(
        self,
        url: str,
        timeout: float = 5,
        retry_attempts: int = 3,
        enable_realtime: bool = True,
        verify: str | bool | None = None,
    ):
        """`retry_attempts`: resends after the first attempt. `verify`: the server certificate's PEM
        file for HTTPS with a self-signed certificate (False skips the check; None uses the system's)."""
        self._http = Transport(url, timeout, retry_attempts, verify)
        if not isinstance(enable_realtime, bool):
            raise ValueError("enable_realtime debe ser true o false.")
        self.enable_realtime = enable_realtime
        self.usuario: dict[str, Any] | None = None
        self._live = RealtimeListener(self._http)

    @classmethod
    def from_config(
        cls, config: str | os.PathLike | Mapping[str, Any], verify: str | bool | None = None
    ) -> ServitecAPIClient:
        """A client from config.json (its path, or the parsed dict): the `api_server` block."""
        if not isinstance(config, Mapping):
            try:
                with open(config, encoding="utf-8-sig") as file:  # Notepad may save a BOM
                    config = json.load(file)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{config} no es JSON válido: {exc}") from None
        block = config.get("api_server") if isinstance(config, Mapping) else None
        if not isinstance(block, Mapping) or not isinstance(block.get("url"), str):
            raise ValueError(
                'La configuración necesita "api_server" con "url", p. ej. '
                '{"api_server": {"url": "http://192.168.1.100:8000"}}.'
            )
        options = {name: block[name] for name in ("timeout", "retry_attempts", "enable_realtime") if name in block}
        return cls(block["url"], verify=verify, **options)

    def __enter__(self) -> ServitecAPIClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop live events and release the connections."""
        self.disconnect_realtime()
        self._http.close()

    @property
    def token(self) -> str | None:
        return self._http.token

    @property
    def realtime_status(self) -> str:
        return self._live.status

    @property
    def realtime_message(self) -> str | None:
        return self._live.message

    @property
    def last_seq(self) -> int | None:
        """The change seq live events have covered; pass it as `since` to resume from there later."""
        return self._live.last_seq

    def _create(self, path: str, datos: dict[str, Any]) -> dict[str, Any]:
        """POST a record under a client-made id; an id already taken means this create already landed."""
        datos = {**datos, "id": datos.get("id") or str(uuid.uuid4())}
        try:
            return self._http.request("POST", path, body=datos, resend=True)
        except ConflictError as exc:
            if exc.code != "ya_existe":
                raise
        return self._http.request("GET", _path(path, datos["id"]))

    def _update(self, path: str, cambios: dict[str, Any], version: int | None) -> dict[str, Any]:
        # With a version the PUT is a compare-and-set: resent after it landed it would report a conflict with itself.
        body = cambios if version is None else {**cambios, "version": version}
        return self._http.request("PUT", path, body=body, resend=version is None)

    # --- status and session ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """GET /: app, version, server_id, time, db."""
        return self._http.request("GET", "/")

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Sign in; the token is kept for later calls. Returns {access_token, token_type, expires_in, usuario}."""
        session = self._http.request("POST", "/token", data={"username": username, "password": password}, resend=False)
        self._signed_in(session)
        return session

    def logout(self) -> None:
        """Forget the session here and stop live events (the server has no sign-out; the token lapses)."""
        self.disconnect_realtime()
        self._http.token = self.usuario = None

    def me(self) -> dict[str, Any]:
        return self._http.request("GET", "/usuarios/me")

    def cambiar_password(self, actual: str, nueva: str) -> dict[str, Any]:
        """Change my password; the server closes my other sessions and this client keeps the new token."""
        session = self._http.request(
            "PUT", "/usuarios/me/password", body={"actual": actual, "nueva": nueva}, resend=False
        )
        self._signed_in(session)
        return session

    def use_session(self, token: str, usuario: dict[str, Any]) -> None:
        """Adopt a session signed in elsewhere (the desktop window's sign-in screen)."""
        self._signed_in({"access_token": token, "usuario": usuario})

    def _signed_in(self, session: dict[str, Any]) -> None:
        """Keep a new session; live events that were on (or refused the old token) resume with it."""
        self._http.token, self.usuario = session["access_token"], session["usuario"]
        self._live.resume()

    # --- clientes -------------------------------------------------------------------------------

    def listar_clientes(self, q: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._http.request("GET", "/clientes", params=_query(q=q, limit=limit, offset=offset))

    def obtener_cliente(self, cliente_id: str) -> dict[str, Any]:
        return self._http.request("GET", _path("/clientes", cliente_id))

    def crear_cliente(self, nombre: str, **campos: Any) -> dict[str, Any]:
        return self._create("/clientes", {"nombre": nombre, **campos})

    def actualizar_cliente(self, cliente_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/clientes", cliente_id), cambios, version)

    def eliminar_cliente(self, cliente_id: str, version: int | None = None) -> dict[str, Any]:
        return self._http.request("DELETE", _path("/clientes", cliente_id), params=_query(version=version))

    def historial_cliente(self, cliente_id: str) -> dict[str, Any]:
        return self._http.request("GET", _path("/clientes", cliente_id, "historial"))

    # --- inventario -----------------------------------------------------------------------------

    def listar_productos(
        self,
        q: str | None = None,
        categoria: str | None = None,
        bajo_stock: bool | None = None,
        incluir_inactivos: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        return self._http.request(
            "GET",
            "/inventario",
            params=_query(
                q=q,
                categoria=categoria,
                bajo_stock=bajo_stock,
                incluir_inactivos=incluir_inactivos,
                limit=limit,
                offset=offset,
            ),
        )

    def obtener_producto(self, producto_id: str) -> dict[str, Any]:
        return self._http.request("GET", _path("/inventario", producto_id))

    def crear_producto(self, nombre: str, **campos: Any) -> dict[str, Any]:
        return self._create("/inventario", {"nombre": nombre, **campos})

    def actualizar_producto(self, producto_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/inventario", producto_id), cambios, version)

    def ajustar_stock(
        self,
        producto_id: str,
        motivo: str,
        cantidad: int | None = None,
        stock: int | None = None,
        nota: str | None = None,
    ) -> dict[str, Any]:
        """A delta (`cantidad`) is never resent after it may have landed; a count (`conteo`, `stock`) is."""
        return self._http.request(
            "PUT",
            _path("/inventario", producto_id, "stock"),
            body=_fields(motivo=motivo, cantidad=cantidad, stock=stock, nota=nota),
            resend=motivo == "conteo",
        )

    def listar_movimientos(self, producto_id: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """The product's stock ledger (kárdex), newest first."""
        return self._http.request(
            "GET", _path("/inventario", producto_id, "movimientos"), params=_query(limit=limit, offset=offset)
        )

    # --- órdenes --------------------------------------------------------------------------------

    def listar_ordenes(
        self,
        estado: str | None = None,
        cliente_id: str | None = None,
        tecnico_id: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        return self._http.request(
            "GET",
            "/ordenes",
            params=_query(estado=estado, cliente_id=cliente_id, tecnico_id=tecnico_id, q=q, limit=limit, offset=offset),
        )

    def obtener_orden(self, orden_id: str) -> dict[str, Any]:
        return self._http.request("GET", _path("/ordenes", orden_id))

    def crear_orden(self, cliente_id: str, equipo: str, falla_reportada: str, **campos: Any) -> dict[str, Any]:
        return self._create(
            "/ordenes", {"cliente_id": cliente_id, "equipo": equipo, "falla_reportada": falla_reportada, **campos}
        )

    def actualizar_orden(self, orden_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        return self._update(_path("/ordenes", orden_id), cambios, version)

    def cambiar_estado_orden(
        self,
        orden_id: str,
        estado: str,
        nota: str | None = None,
        registrar_adeudo: bool = False,
        version: int | None = None,
    ) -> dict[str, Any]:
        """A state-machine command: not resent after it may have landed (it would be refused as a repeat)."""
        return self._http.request(
            "PUT",
            _path("/ordenes", orden_id, "estado"),
            body=_fields(estado=estado, nota=nota, registrar_adeudo=registrar_adeudo, version=version),
            resend=False,
        )

    def agregar_parte(self, orden_id: str, tipo: str, **campos: Any) -> dict[str, Any]:
        """A part (takes stock) or labour on the order; not resent after it may have landed."""
        return self._http.request("POST", _path("/ordenes", orden_id, "partes"), body={"tipo": tipo, **campos})

    def mensajes_whatsapp(self, orden_id: str) -> dict[str, Any]:
        """{telefono, numero, error, mensajes: [{tipo, titulo, texto, url}]}: the order's WhatsApp messages."""
        return self._http.request("GET", _path("/ordenes", orden_id, "whatsapp"))

    # --- ventas ---------------------------------------------------------------------------------

    def crear_venta(self, items: list[dict[str, Any]], **campos: Any) -> dict[str, Any]:
        return self._create("/ventas", {"items": items, **campos})

    def cotizar_venta(self, items: list[dict[str, Any]], **campos: Any) -> dict[str, Any]:
        """What the sale would come to (totals, IVA, change, what is missing, stock warnings); writes nothing."""
        return self._http.request("POST", "/ventas/cotizar", body={"items": items, **campos}, resend=True)

    def listar_ventas(
        self,
        desde: dt.date | str | None = None,
        hasta: dt.date | str | None = None,
        cliente_id: str | None = None,
        estado: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        return self._http.request(
            "GET",
            "/ventas",
            params=_query(desde=desde, hasta=hasta, cliente_id=cliente_id, estado=estado, limit=limit, offset=offset),
        )

    def obtener_venta(self, venta_id: str) -> dict[str, Any]:
        return self._http.request("GET", _path("/ventas", venta_id))

    def cancelar_venta(self, venta_id: str, motivo: str) -> dict[str, Any]:
        return self._http.request("POST", _path("/ventas", venta_id, "cancelar"), body={"motivo": motivo})

    # --- estadísticas, usuarios, bitácora -------------------------------------------------------

    def dashboard(self) -> dict[str, Any]:
        return self._http.request("GET", "/stats/dashboard")

    def listar_personal(self) -> dict[str, Any]:
        """{items: [{id, username, nombre, rol}]}: the active staff by name (every role)."""
        return self._http.request("GET", "/personal")

    def listar_usuarios(self) -> dict[str, Any]:
        return self._http.request("GET", "/usuarios")

    def crear_usuario(self, username: str, nombre: str, rol: str, password: str) -> dict[str, Any]:
        return self._http.request(
            "POST", "/usuarios", body={"username": username, "nombre": nombre, "rol": rol, "password": password}
        )

    def actualizar_usuario(self, usuario_id: str, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        """Owner only: nombre, rol, activo, password, cerrar_sesiones."""
        return self._update(_path("/usuarios", usuario_id), cambios, version)

    def listar_auditoria(self, limit: int = 50, offset: int = 0, **filtros: Any) -> dict[str, Any]:
        """Filters: usuario, accion, entidad, entidad_id, desde, hasta."""
        return self._http.request("GET", "/auditoria", params=_query(limit=limit, offset=offset, **filtros))

    # --- datos del taller -----------------------------------------------------------------------

    def obtener_taller(self) -> dict[str, Any]:
        """The shop's data (name, address, RFC, warranty, ticket footer); null fields were never set."""
        return self._http.request("GET", "/taller")

    def actualizar_taller(self, version: int | None = None, **cambios: Any) -> dict[str, Any]:
        """Owner only: nombre, direccion, telefono, rfc, regimen_fiscal, garantia, pie_ticket."""
        return self._update("/taller", cambios, version)

    # --- respaldos (solo el dueño) --------------------------------------------------------------

    def listar_respaldos(self) -> dict[str, Any]:
        """{items: backups newest first with estado, salud: the backup health}."""
        return self._http.request("GET", "/backups")

    def crear_respaldo(self) -> dict[str, Any]:
        """Make a verified backup now (waits until it is done)."""
        return self._http.request("POST", "/backups")

    def descargar_respaldo(self, nombre: str, destino: str | os.PathLike[str]) -> Path:
        """Save backup `nombre` as the file `destino` (written whole, then renamed); return its path."""
        return self._http.download(_path("/backups", nombre), Path(destino))

    def borrar_respaldo(self, nombre: str) -> dict[str, Any]:
        # Not resent: a repeat after it landed would answer 404 for a deletion that worked.
        return self._http.request("DELETE", _path("/backups", nombre), resend=False)

    def restaurar_respaldo(self, nombre: str) -> dict[str, Any]:
        """Replace the shop's data with backup `nombre` (a pre-restore backup is taken first)."""
        return self._http.request("POST", _path("/backups", nombre) + "/restore", body={"confirmar": nombre})

    # --- sincronización -------------------------------------------------------------------------

    def obtener_cambios(self, since: int = 0, limit: int = CATCH_UP_PAGE) -> dict[str, Any]:
        """One page of GET /sync/changes: {items, last_seq, has_more}."""
        return self._http.request("GET", "/sync/changes", params=_query(since=since, limit=limit))

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
        return self._http.request("POST", "/sync/push", body={"device_id": device_id, "ops": ops}, resend=True)

    def snapshot(self) -> dict[str, Any]:
        """GET /sync/snapshot: the rows a replica starts from, {seq, server_id, ajustes, tablas}."""
        return self._http.request("GET", "/sync/snapshot")

    def filas_cambiadas(self, since: int, limit: int = CATCH_UP_PAGE) -> dict[str, Any]:
        """GET /sync/filas: the current rows of what changed after `since`, {entidades, tablas, last_seq, ...}."""
        return self._http.request("GET", "/sync/filas", params=_query(since=since, limit=limit))

    def filas(self, entidades: dict[str, list[str]]) -> dict[str, Any]:
        """POST /sync/filas: the current rows of the given records ({entidad: ids})."""
        return self._http.request("POST", "/sync/filas", body={"entidades": entidades}, resend=True)

    # --- live events ----------------------------------------------------------------------------

    def connect_realtime(
        self,
        callback: Callable[[RealtimeEvent], None],
        since: int | None = None,
        on_status: Callable[[str, str | None], None] | None = None,
        on_notice: Callable[[RealtimeEvent], None] | None = None,
    ) -> None:
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
        if self._http.token is None:
            raise NotAuthenticated("Inicia sesión antes de conectar el tiempo real.", "no_autenticado")
        self._live.start(callback, since, on_status, on_notice)

    def disconnect_realtime(self) -> None:
        """Stop live events; returns within about 2 s."""
        self._live.stop()
