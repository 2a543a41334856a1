"""The staff UI's requests answered from the replica while the server is unreachable.

Reads run the shop layer's own list/get functions on the replica; the replica
holds only what the signed-in role may see (the server filtered it), so no
read permission is checked here. Writes become sync ops: the REST body is
turned into the op's datos, applied with the shop's op table and queued
(Replica.apply_offline). Refusals are the shop's DomainErrors with their own
statuses and Spanish messages, as the server answers. Anything else (reports,
backups, accounts, the kardex) says it needs the server.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from appliance.shop import clientes, inventario, ordenes, permissions, qr, stats, taller, usuarios, ventas, whatsapp
from appliance.shop.errors import DomainError, Invalid, Unavailable

from .replica import Replica

NEEDS_SERVER = "Sin conexión con el servidor: esto necesita el servidor. Lo demás sigue funcionando con la copia local."


class Request:
    """One UI request and who makes it (the session the UI signed in with online)."""

    def __init__(self, replica: Replica, usuario: dict[str, Any], query: dict[str, Any], body: Any):
        self.replica = replica
        self.usuario = usuario
        self.query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        self.body = body if isinstance(body, dict) else {}

    @property
    def rol(self) -> str:
        return self.usuario["rol"]

    def text(self, name: str) -> str | None:
        value = self.query.get(name)
        return None if value is None else str(value)

    def number(self, name: str, default: int | None = None, low: int = 0, high: int = 2**53) -> int | None:
        value = self.query.get(name, default)
        if value is None:
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid(f"{name} debe ser un número entero.", fields={name: "Número entero."}) from None
        if not low <= number <= high:
            raise Invalid(f"{name} debe estar entre {low} y {high}.", fields={name: f"Entre {low} y {high}."})
        return number

    def flag(self, name: str) -> bool | None:
        value = self.query.get(name)
        return None if value is None else str(value).lower() in ("true", "1")

    def page(self) -> dict[str, int]:
        return {"limit": self.number("limit", 50, 1, 500), "offset": self.number("offset", 0)}

    def op(self, tipo: str, datos: dict[str, Any]) -> dict[str, Any]:
        return self.replica.apply_offline(self.usuario["username"], self.rol, tipo, datos)


def _read(fn: Callable[..., Any]) -> Callable[[Request, tuple[str, ...]], Any]:
    """A read on the replica: fn(tx, request, *path parts)."""

    def run(req: Request, parts: tuple[str, ...]) -> Any:
        with req.replica.read() as tx:
            return fn(tx, req, *parts)

    return run


def _with_id(body: dict[str, Any]) -> dict[str, Any]:
    """Offline, every create carries an id made here, which the server keeps."""
    return {**body, "id": body.get("id") or str(uuid.uuid4())}


def _ordenes(tx, req: Request) -> dict[str, Any]:
    page = ordenes.list_ordenes(
        tx,
        estado=req.text("estado"),
        cliente_id=req.text("cliente_id"),
        tecnico_id=req.text("tecnico_id"),
        folio=req.number("folio"),
        q=req.text("q"),
        **req.page(),
    )
    page["items"] = [permissions.shown_orden(req.rol, orden) for orden in page["items"]]
    return page


def _historial(tx, req: Request, cliente_id: str) -> dict[str, Any]:
    result = clientes.historial_cliente(tx, cliente_id)
    if not permissions.allowed(req.rol, "ventas:leer"):
        result["ventas"] = []
    return result


def _cotizar(req: Request) -> dict[str, Any]:
    with req.replica.read() as tx:
        return ventas.quote_venta(tx, req.body, settings=req.replica.settings(), rol=req.rol)


def _cliente_actualizar(req: Request, parts: tuple[str, ...]) -> dict[str, Any]:
    cambios = {k: v for k, v in req.body.items() if k != "version"}
    version = req.body.get("version")
    if version is None:
        with req.replica.read() as tx:
            version = clientes.get_cliente(tx, parts[0])["version"]
    return req.op("cliente.actualizar", {"id": parts[0], "base_version": version, "cambios": cambios})


def _estado(req: Request, parts: tuple[str, ...]) -> dict[str, Any]:
    return req.op("orden.estado", {"id": parts[0], **{k: v for k, v in req.body.items() if k != "version"}})


def _stock(req: Request, parts: tuple[str, ...]) -> dict[str, Any]:
    if req.body.get("motivo") == "conteo":
        raise Unavailable(
            "Un conteo físico fija el stock y necesita el servidor; sin conexión registra una compra, merma o ajuste.",
            fields={"motivo": "Sin conexión no hay conteos."},
        )
    return req.op("stock.ajustar", {"producto_id": parts[0], **req.body})


# (method, path pattern, handler(request, path parts), status of a success)
ROUTES: list[tuple[str, re.Pattern[str], Callable[[Request, tuple[str, ...]], Any], int]] = [
    (m, re.compile(f"^{p}$"), h, s)
    for m, p, h, s in (
        ("GET", "/clientes", _read(lambda tx, r: clientes.list_clientes(tx, q=r.text("q"), **r.page())), 200),
        ("GET", "/clientes/([^/]+)", _read(lambda tx, r, i: clientes.get_cliente(tx, i)), 200),
        ("GET", "/clientes/([^/]+)/historial", _read(_historial), 200),
        (
            "GET",
            "/inventario",
            _read(
                lambda tx, r: inventario.list_productos(
                    tx,
                    q=r.text("q"),
                    categoria=r.text("categoria"),
                    bajo_stock=r.flag("bajo_stock"),
                    incluir_inactivos=bool(r.flag("incluir_inactivos")),
                    **r.page(),
                )
            ),
            200,
        ),
        ("GET", "/inventario/([^/]+)", _read(lambda tx, r, i: inventario.get_producto(tx, i)), 200),
        ("GET", "/ordenes", _read(_ordenes), 200),
        (
            "GET",
            "/ordenes/([^/]+)",
            _read(lambda tx, r, i: permissions.shown_orden(r.rol, ordenes.get_orden(tx, i))),
            200,
        ),
        ("GET", "/ordenes/([^/]+)/whatsapp", _read(lambda tx, r, i: whatsapp.whatsapp_orden(tx, i)), 200),
        (
            "GET",
            "/ventas",
            _read(
                lambda tx, r: ventas.list_ventas(
                    tx, cliente_id=r.text("cliente_id"), estado=r.text("estado"), **r.page()
                )
            ),
            200,
        ),
        ("GET", "/ventas/([^/]+)", _read(lambda tx, r, i: ventas.get_venta(tx, i)), 200),
        ("GET", "/personal", _read(lambda tx, r: {"items": usuarios.list_personal(tx)}), 200),
        ("GET", "/taller", _read(lambda tx, r: taller.get_taller(tx)), 200),
        ("GET", "/stats/dashboard", _read(lambda tx, r: stats.dashboard(tx, r.replica.settings().zone)), 200),
        ("GET", "/usuarios/me", lambda r, p: r.usuario, 200),
        ("POST", "/ventas/cotizar", lambda r, p: _cotizar(r), 200),
        ("POST", "/clientes", lambda r, p: r.op("cliente.crear", _with_id(r.body)), 201),
        ("PUT", "/clientes/([^/]+)", _cliente_actualizar, 200),
        ("POST", "/ordenes", lambda r, p: r.op("orden.crear", _with_id(r.body)), 201),
        ("PUT", "/ordenes/([^/]+)/estado", _estado, 200),
        (
            "POST",
            "/ordenes/([^/]+)/partes",
            lambda r, p: r.op("orden.parte", {"orden_id": p[0], **_with_id(r.body)}),
            201,
        ),
        ("POST", "/ventas", lambda r, p: r.op("venta.crear", _with_id(r.body)), 201),
        ("PUT", "/inventario/([^/]+)/stock", _stock, 200),
    )
]


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def answer(replica: Replica, usuario: dict[str, Any], method: str, path: str, query: Any, body: Any) -> tuple[int, Any]:
    """(status, JSON body) for one UI request, from the replica."""
    if path == "/qr" and method == "GET":
        texto = str((query or {}).get("texto") or "")
        if not texto:
            return 422, error_body("validacion", "Falta el texto del código QR.", {"texto": "Obligatorio."})
        return 200, qr.svg(texto).decode()
    for verb, pattern, handler, status in ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            try:
                return status, handler(Request(replica, usuario, query, body), match.groups())
            except DomainError as exc:
                return exc.status, error_body(exc.code, exc.message, exc.fields)
    return 503, error_body("sin_conexion", NEEDS_SERVER)
