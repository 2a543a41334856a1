"""Login throttling: repeated wrong passwords slow down, then lock for a while.

Failures are counted per username and per client address. From half the limit
on (and never on the first miss), each failed attempt is answered after a short pause; at the limit the key
is locked for `lock_seconds`, during which even the right password is refused.
A success resets both counters. An address gets three times the user limit
because several counters may share one address behind a router.

State lives in memory: a restart forgets it, which costs an attacker a restart
of the server PC they cannot reach.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

SLOWDOWN_SECONDS = 1.0
ADDRESS_FACTOR = 3
MAX_TRACKED = 10_000


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginThrottle:
    def __init__(self, max_failures: int, lock_seconds: int, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self._clock = clock
        self._records: dict[tuple[str, str], _Record] = {}

    def _keys(self, username: str, address: str) -> tuple[tuple[tuple[str, str], int], ...]:
        return (("usuario", username), self.max_failures), (("ip", address), self.max_failures * ADDRESS_FACTOR)

    def _live(self, key: tuple[str, str]) -> _Record | None:
        record = self._records.get(key)
        if record and record.locked_until and record.locked_until <= self._clock():
            del self._records[key]  # the lock ran out: start counting afresh
            return None
        return record

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until a login for this user from this address may be tried; 0 if now."""
        now = self._clock()
        waits = [
            record.locked_until - now
            for key, _ in self._keys(username, address)
            if (record := self._live(key)) and record.locked_until > now
        ]
        return math.ceil(max(waits)) if waits else 0

    def failed(self, username: str, address: str) -> tuple[int, float]:
        """Count a wrong password; return (seconds locked if this locked it, pause before answering)."""
        now = self._clock()
        locked, pause = 0, 0.0
        for key, limit in self._keys(username, address):
            record = self._live(key) or self._records.setdefault(key, _Record())
            record.failures += 1
            record.last_failure = now
            if record.failures >= limit:
                record.locked_until = now + self.lock_seconds
                locked = self.lock_seconds
            elif record.failures >= max(2, limit // 2):
                pause = SLOWDOWN_SECONDS
        self._forget_oldest()
        return locked, pause

    def succeeded(self, username: str, address: str) -> None:
        for key, _ in self._keys(username, address):
            self._records.pop(key, None)

    def _forget_oldest(self) -> None:
        # Bounded memory under a flood of made-up usernames: forget the stalest unlocked keys.
        if len(self._records) <= MAX_TRACKED:
            return
        now = self._clock()
        idle = sorted((r.last_failure, k) for k, r in self._records.items() if r.locked_until <= now)
        for _, key in idle[: len(self._records) - MAX_TRACKED]:
            del self._records[key]
