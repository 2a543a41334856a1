"""The gate every request passes before its view runs: address, then token, then role.

1. The client's address must be inside ALLOWED_IPS (403 before any other work).
   `X-Forwarded-For` is believed only from TRUSTED_PROXIES.
2. Unless the view is marked `@public`, a valid bearer token is required (401).
3. The view's declared permission (`@requires`) must be held by the user's role
   (403); a view that declares nothing is refused for everyone (fail closed).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request

from ..config import Config
from ..security import tokens
from ..security.addresses import address_allowed, client_address
from ..shop import permissions, usuarios
from ..shop.errors import Forbidden, Unauthorized
from .context import config, state

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Swagger UI's static files (the flask-openapi3-swagger plugin's blueprint).
PUBLIC_BLUEPRINTS = frozenset({"swagger"})


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs (see permissions.PERMISSIONS).

    Put it *below* the route decorator: flask-openapi3 wraps views with
    functools.wraps, which carries this attribute over to the registered view.
    """
    if permission not in permissions.PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: F) -> F:
        view.servitec_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Mark a view that answers without a token (status, docs, login, first-run setup)."""
    view.servitec_public = True  # type: ignore[attr-defined]
    return view


def view_permission(app: Flask, endpoint: str) -> str | None:
    """The permission the view of `endpoint` declares; None for public or undeclared views."""
    return getattr(app.view_functions.get(endpoint), "servitec_permission", None)


def is_public(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return False
    if endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS:
        return True
    return bool(getattr(app.view_functions.get(endpoint), "servitec_public", False))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(token: str | None) -> dict[str, Any]:
    """The active user a token speaks for; Unauthorized (401) otherwise."""
    if not token:
        raise Unauthorized("Inicia sesión: falta el token (cabecera Authorization: Bearer <token>).")
    app = state()
    usuario = app.sessions.get(token)
    if usuario is not None:
        return usuario
    try:
        claims = tokens.read_token(token, app.secret)
    except tokens.TokenRejected as exc:
        raise Unauthorized(str(exc), code="token_invalido") from None
    with app.database.read() as tx:
        usuario = usuarios.usuario_of_token(tx, claims)
    app.sessions.put(token, usuario, claims["exp"])
    return usuario


@functools.lru_cache(maxsize=1024)
def _admission(settings: Config, remote_addr: str | None, forwarded_for: str | None) -> tuple[str | None, bool]:
    # Parsing addresses and walking the networks costs ~25 µs a request; a shop has a
    # handful of counters asking again and again, and the settings never change while running.
    client = client_address(settings, remote_addr, forwarded_for)
    return client, address_allowed(settings, client)


_PUBLIC = object()  # the rule of a view that answers without a token


def register_gate(app: Flask) -> None:
    rules: dict[str | None, object] = {}  # endpoint -> _PUBLIC or its permission (None: declares none)

    def rule_of(endpoint: str | None) -> object:
        if endpoint not in rules:  # views never change once registered: look each one up once
            rules[endpoint] = _PUBLIC if is_public(app, endpoint) else view_permission(app, endpoint)
        return rules[endpoint]

    @app.before_request
    def gate() -> None:
        req = request._get_current_object()  # one proxy lookup instead of one per attribute
        g.client_ip, allowed = _admission(config(), req.remote_addr, req.headers.get("X-Forwarded-For"))
        if not allowed:
            log.warning("Petición rechazada de %s (fuera de ALLOWED_IPS): %s %s", g.client_ip, req.method, req.path)
            raise Forbidden("Esta dirección no tiene permitido usar el servidor del taller.", code="ip_no_permitida")
        endpoint = req.endpoint
        rule = rule_of(endpoint)
        if rule is _PUBLIC:
            return
        g.usuario = authenticate(bearer_token())
        if endpoint is None:
            return  # signed in, but no such route: let routing answer 404/405
        if rule is None:
            log.error("La vista %s no declara permiso; se rechaza", endpoint)
            raise Forbidden("Esta acción no tiene permisos definidos.")
        permissions.require(g.usuario["rol"], rule)
