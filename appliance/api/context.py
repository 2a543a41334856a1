"""What a request handler needs from the app: the database, the settings, the caller."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from flask import current_app, g, request

from ..config import Config
from ..errors import Invalid
from ..store import Actor, Database, Tx
from .. import clock, workers


def db() -> Database:
    return current_app.extensions["servitec.db"]


def config() -> Config:
    return current_app.extensions["servitec.config"]


def usuario() -> str | None:
    """The signed-in user's username (recorded in ledgers, histories and the change log)."""
    current = g.get("usuario")
    return current and current["username"]


def rol() -> str:
    return g.usuario["rol"]


def actor() -> Actor:
    """Who the request is for: the signed-in user and the client's address (for the audit trail)."""
    current = g.get("usuario")
    return Actor(current and current["id"], current and current["username"], g.get("client_ip"))


@contextmanager
def write() -> Iterator[Tx]:
    """A write transaction that knows who it is for (the audit trail reads `tx.actor`)."""
    with db().write() as tx:
        tx.actor = actor()
        yield tx


def expected_version(body_version: int | None = None) -> int | None:
    """The version the client edited: `If-Match: "N"` or a `version` field (they must agree)."""
    header = request.headers.get("If-Match")
    if header is None:
        return body_version
    raw = header.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 10:
        raise Invalid("If-Match debe ser la versión del registro, p. ej. \"3\".", fields={"If-Match": "Versión no válida."})
    version = int(raw)
    if body_version is not None and body_version != version:
        raise Invalid("If-Match y version no coinciden.", fields={"version": "No coincide con If-Match."})
    return version


T = TypeVar("T")


def offload(fn: Callable[..., T], *args: Any) -> T:
    """Run a long blocking call in gevent's thread pool so the hub keeps serving everyone else."""
    return workers.run(fn, *args)


def utc_iso(moment: dt.datetime | None) -> str | None:
    """Store a client's date-time as UTC; one without offset is shop-local time (TZ)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config().zone)
    return clock.iso(moment)
