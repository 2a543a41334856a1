"""The one place that reads the time, so tests and later issues can steer it."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(moment: dt.datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z, the storage format: sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())
