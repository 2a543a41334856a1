"""The event hub: committed changes fan out to every open WebSocket, in commit order.

Events are read from the change log (written in the same transaction as the
change), never handed over by a request handler, so a write that rolled back
cannot be announced. A commit of this process wakes the hub at once; a write
made by another process (the CLI) is picked up by a once-a-second poll.

Each subscriber has a bounded queue. Offering to it never blocks the hub: a
subscriber that falls MAX_QUEUE events behind is marked and disconnected by
its own greenlet with a reason, and catches up with `since` when it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
import orjson
from gevent.event import Event
from gevent.queue import Empty, Full, Queue

from .shop import clock, events, permissions
from .store import Database

log = logging.getLogger(__name__)

BATCH = 500
POLL_SECONDS = 1.0
MAX_QUEUE = 5000


def frame(event: dict[str, Any], data: dict[str, Any]) -> str:
    """The JSON text frame clients receive: {"event", "data", "seq", "ts", "usuario"}."""
    return orjson.dumps(
        {"event": event["event"], "data": data, "seq": event["seq"], "ts": event["ts"], "usuario": event.get("usuario")}
    ).decode()


class Subscriber:
    """One open socket's place in the fan-out: a role (what it may see) and a bounded queue.

    Queue items are (seq, frame text) for events, ("notice", frame text) for a
    notice (see Hub.notify), ("recheck", None) when the account changed (see
    Hub.recheck), or a control tuple the socket's own greenlets put there:
    ("since", N), ("closed", None), ("overflow", None).
    """

    def __init__(self, rol: str, usuario_id: str | None = None, max_queue: int = MAX_QUEUE):
        self.rol = rol
        self.usuario_id = usuario_id
        self._queue: Queue = Queue(maxsize=max_queue)
        self.overflowed = False

    def offer(self, item: tuple[Any, Any]) -> None:
        """Queue an item without ever blocking; on overflow the backlog is dropped and the socket told."""
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(item)
        except Full:
            self.overflowed = True
            self._queue = Queue()  # the client resumes with `since` after reconnecting
            self._queue.put_nowait(("overflow", None))

    def next(self, timeout: float) -> tuple[Any, Any] | None:
        try:
            return self._queue.get(timeout=timeout)
        except Empty:
            return None


class Hub:
    def __init__(self, database: Database):
        self.database = database
        self.subscribers: set[Subscriber] = set()
        self._wake = Event()
        self._greenlet: gevent.Greenlet | None = None
        with database.read() as tx:
            self.published = events.last_seq(tx)
        database.commit_listeners.append(self._wake.set)

    def subscribe(self, rol: str, usuario_id: str | None = None) -> tuple[Subscriber, int]:
        """Register a subscriber; return it and the last seq already published (it gets what follows)."""
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)
        # Catch up first (nothing here yields to other greenlets), so the seq returned
        # is the latest committed one and not what the hub last got round to.
        self.publish()
        subscriber = Subscriber(rol, usuario_id)
        self.subscribers.add(subscriber)
        return subscriber, self.published

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def notify(self, event: str, data: dict[str, Any], permission: str) -> None:
        """Send a notice (not a change: `seq` null, never replayed) to the sockets whose role holds `permission`.

        For what happens to the server rather than to the shop's data, such as
        a backup's progress. Call from the hub's thread (a greenlet).
        """
        text = frame({"event": event, "seq": None, "ts": clock.now_iso()}, data)
        for subscriber in list(self.subscribers):
            if permissions.allowed(subscriber.rol, permission):
                subscriber.offer(("notice", text))

    def recheck(self, usuario_id: str) -> None:
        """Ask every open socket of `usuario_id` to check its session again (after the account changed)."""
        for subscriber in list(self.subscribers):
            if subscriber.usuario_id == usuario_id:
                subscriber.offer(("recheck", None))

    def _run(self) -> None:
        while True:
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            try:
                self.publish()
            except Exception:  # the hub must outlive a bad moment (disk error, locked database)
                log.exception("No se pudieron leer los eventos nuevos; se reintenta")
                gevent.sleep(POLL_SECONDS)

    def publish(self) -> int:
        """Fan out every change committed since the last call; return how many."""
        count = 0
        while True:
            with self.database.read() as tx:
                batch = events.changes_after(tx, self.published, BATCH)
            if not batch:
                return count
            for event in batch:
                # One frame per role, shared by every socket of that role.
                by_role: dict[str, str | None] = {}
                for subscriber in list(self.subscribers):
                    if subscriber.rol not in by_role:
                        data = permissions.visible_change(subscriber.rol, event["entidad"], event["data"])
                        by_role[subscriber.rol] = None if data is None else frame(event, data)
                    if by_role[subscriber.rol] is not None:
                        subscriber.offer((event["seq"], by_role[subscriber.rol]))
                self.published = event["seq"]
            count += len(batch)


def catch_up(database: Database, rol: str, since: int, until: int, send: Callable[[str], None]) -> int:
    """Send the events after `since` up to `until` that `rol` may see; return the last seq covered."""
    last = since
    while last < until:
        with database.read() as tx:
            batch = [event for event in events.changes_after(tx, last, BATCH) if event["seq"] <= until]
        if not batch:
            break
        for event in batch:
            data = permissions.visible_change(rol, event["entidad"], event["data"])
            if data is not None:
                send(frame(event, data))
            last = event["seq"]
    return last
