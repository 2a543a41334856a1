"""Blocking work in gevent's thread pool, so the hub keeps serving everyone else.

APSW releases the GIL inside SQLite (and hashlib inside large digests), so a
heavy report, a password hash or a backup runs beside the requests instead of
freezing them. The callable must not touch Flask's request context.
Exceptions reach the waiting greenlet as raised; they are carried back as
values because gevent prints every exception that leaves a pool thread as a
crash, and an expected refusal (a missing backup, a wrong password) is not one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import gevent
from gevent.event import AsyncResult

T = TypeVar("T")


def spawn(fn: Callable[..., Any], *args: Any) -> AsyncResult:
    """Start `fn(*args)` in the pool; wait on the result with `result()` (or poll `.ready()`)."""

    def call() -> tuple[bool, Any]:
        try:
            return True, fn(*args)
        except Exception as exc:
            return False, exc

    return gevent.get_hub().threadpool.spawn(call)


def result(pending: AsyncResult) -> Any:
    """What the call returned, or raise what it raised."""
    ok, value = pending.get()
    if not ok:
        raise value
    return value


def run(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` in the pool and wait (the greenlet yields meanwhile)."""
    return result(spawn(fn, *args))
