"""What a request handler needs from the app: its services, the settings, the caller."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from flask import current_app, g, request

from .. import workers
from ..config import Config
from ..shop import sync
from ..shop.errors import Invalid
from ..state import AppState
from ..store import Actor, Database, Tx


def state() -> AppState:
    """The running app's services (see state.AppState)."""
    return current_app.extensions["servitec"]


def db() -> Database:
    return state().database


def config() -> Config:
    return state().config


def usuario() -> str | None:
    """The signed-in user's username (recorded in ledgers, histories and the change log)."""
    current = g.get("usuario")
    return current and current["username"]


def rol() -> str:
    return g.usuario["rol"]


def caller() -> sync.Caller:
    """The signed-in account as the shop's op table sees it, with the shop's settings."""
    return sync.Caller(usuario(), rol(), state().shop)


def actor() -> Actor:
    """Who the request is for: the signed-in user and the client's address (for the audit trail)."""
    current = g.get("usuario")
    return Actor(current and current["id"], current and current["username"], g.get("client_ip"))


def write() -> AbstractContextManager[Tx]:
    """A write transaction that knows who it is for (the audit trail reads `tx.actor`)."""
    return db().write(actor())


def expected_version(body_version: int | None = None) -> int | None:
    """The version the client edited: `If-Match: "N"` or a `version` field (they must agree)."""
    header = request.headers.get("If-Match")
    if header is None:
        return body_version
    raw = header.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 10:
        raise Invalid(
            'If-Match debe ser la versión del registro, p. ej. "3".', fields={"If-Match": "Versión no válida."}
        )
    version = int(raw)
    if body_version is not None and body_version != version:
        raise Invalid("If-Match y version no coinciden.", fields={"version": "No coincide con If-Match."})
    return version


T = TypeVar("T")


def offload(fn: Callable[..., T], *args: Any) -> T:
    """Run a long blocking call in gevent's thread pool so the hub keeps serving everyone else."""
    return workers.run(fn, *args)
