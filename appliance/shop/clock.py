"""The one place that reads the time, so tests and later issues can steer it."""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(moment: dt.datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z, the storage format: sorts as text."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat, not strftime: 5x faster, and every write stamps several of these.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_iso() -> str:
    return iso(now())


def utc_iso(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """A date-time a person gave, in storage form; one without an offset is the shop's local time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return iso(moment)


def parse_iso(text: str) -> dt.datetime:
    """The moment an ISO-8601 text names (a trailing Z means UTC)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
