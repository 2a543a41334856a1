"""GET/POST /setup: create the shop's first owner account from a browser on the server PC.

Until an active owner exists nobody can sign in (POST /token answers 403
`sin_dueno`). This page creates that account without the command line. It
answers only on loopback, so only someone at the machine that keeps the data
can claim the shop, and only while there is no owner; after that the owner
manages accounts through /usuarios.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, render_template, request, send_from_directory
from pydantic import ValidationError

from ..security import passwords
from ..security.addresses import is_loopback
from ..shop import usuarios
from ..shop.errors import Conflict, DomainError, Forbidden
from ..shop.schemas import SetupIn
from .context import config, db, offload, write
from .errors import validation_error_response
from .gate import public

log = logging.getLogger(__name__)

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
WEB_DIR = Path(__file__).resolve().parent.parent / "web"

bp = Blueprint("setup", __name__, template_folder=str(WEB_DIR))


def _refusal() -> DomainError | None:
    """Why /setup may not be used by this request, or None while it may."""
    here = f"{'https' if config().ssl_cert else 'http'}://localhost:{config().port}/setup"
    # The Host check stops DNS rebinding: a web page whose own name resolves to
    # 127.0.0.1 would otherwise reach this server as a same-origin loopback client.
    if not is_loopback(g.client_ip) or not _is_loopback_name(urlsplit(f"//{request.host}").hostname):
        return Forbidden(
            f"La configuración inicial solo se hace en la PC del servidor: abre {here} en esa computadora.",
            code="solo_en_el_servidor",
        )
    # A reverse proxy on this PC that is not in TRUSTED_PROXIES makes every computer of
    # the network look like 127.0.0.1; its forwarding headers give it away.
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return Forbidden(
            f"La configuración inicial no se hace a través de un proxy: en la PC del servidor abre "
            f"{here} directamente.",
            code="solo_en_el_servidor",
        )
    with db().read() as tx:
        if usuarios.owner_exists(tx):
            return _already_set_up()
    return None


def _is_loopback_name(hostname: str | None) -> bool:
    return hostname == "localhost" or is_loopback(hostname)


def _already_set_up() -> Conflict:
    return Conflict(
        "El taller ya está configurado: la cuenta del dueño ya existe. Inicia sesión en la página principal (/); "
        "las cuentas del personal las crea el dueño.",
        code="ya_configurado",
    )


def _check_same_origin() -> None:
    # A browser names the page a request comes from; one from another site is refused
    # even though it could not send JSON without a CORS preflight this server never grants.
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        raise Forbidden("La petición viene de otra página; usa el formulario de /setup.", code="origen_no_permitido")


@bp.get("/setup")
@public
def page():
    refusal = _refusal()
    if refusal is None:
        response = Response(render_template("setup.html"), mimetype="text/html")
    elif request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        status = 403 if isinstance(refusal, Forbidden) else 409
        response = Response(render_template("setup.html", mensaje=refusal.message), status, mimetype="text/html")
    else:
        raise refusal
    # The page depends on whether the shop has an owner yet: never show a stale copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get('/setup/<any("setup.js", "setup.css"):name>')
@public
def asset(name: str):
    return send_from_directory(WEB_DIR, name)


@bp.post("/setup")
@public
def create_owner():
    refusal = _refusal()
    if refusal is not None:
        raise refusal
    _check_same_origin()
    if not request.is_json:
        abort(415)
    try:
        body = SetupIn.model_validate(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return validation_error_response(exc)
    # Checked here too: refused inside the thread pool, it would also print a traceback to the log.
    usuarios.check_password(body.password)
    password_hash = offload(passwords.hash_password, body.password)
    with write() as tx:
        # Checked again inside the write transaction, which runs alone: of two
        # submissions at the same moment, the second finds the first one's owner.
        if usuarios.owner_exists(tx):
            raise _already_set_up()
        usuario = usuarios.create_usuario(
            tx, {"username": body.username, "nombre": body.nombre, "rol": "dueno"}, password_hash
        )
    log.info("Cuenta de dueño %r creada desde /setup (%s)", usuario["username"], g.client_ip)
    return usuario, 201
