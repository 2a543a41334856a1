"""Recently checked sessions: which account a token spoke for, kept a few seconds.

Every request proves its token and then reads the account it names, so that a
deactivation, a new role or a new password takes effect on the very next
request. A counter sends the same token all shift, hundreds of times a
minute: the account read is kept for SECONDS, and dropped at once when this
process changes an account (forget/forget_all, called right after the change
commits). A change made by another process (none does, but a person with an
SQLite tool could) shows within SECONDS.
"""

from __future__ import annotations

import time
from typing import Any

SECONDS = 5.0
MAX_SESSIONS = 4096  # tokens remembered at once; more are simply checked each time


class Sessions:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        # token -> (monotonic moment this entry lapses, the token's own expiry as Unix time, account)
        self._known: dict[str, tuple[float, float, dict[str, Any]]] = {}

    def get(self, token: str) -> dict[str, Any] | None:
        """The account `token` spoke for when last checked, if that was moments ago and the token lives."""
        known = self._known.get(token)
        if known is None:
            return None
        lapses, expires_at, usuario = known
        if self._clock() >= lapses or time.time() >= expires_at:
            del self._known[token]
            return None
        return dict(usuario)  # a request's copy: nothing it does reaches the next one

    def put(self, token: str, usuario: dict[str, Any], expires_at: float) -> None:
        """Remember that `token` (valid until the Unix time `expires_at`) speaks for `usuario`."""
        if len(self._known) >= MAX_SESSIONS:
            self._known.clear()
        self._known[token] = (self._clock() + SECONDS, expires_at, dict(usuario))

    def forget(self, usuario_id: str) -> None:
        """The account changed: its tokens are checked against the database again."""
        for token in [t for t, (_, _, u) in self._known.items() if u["id"] == usuario_id]:
            del self._known[token]

    def forget_all(self) -> None:
        """Every account may have changed (a restore)."""
        self._known.clear()
