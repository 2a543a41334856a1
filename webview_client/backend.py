"""What the desktop window asks of the client behind it: the UI's requests, live events, sync state.

The window's JavaScript bridge (window.pywebview.api) forwards every call to a
Backend. The client's Backend answers from the server when it is online and
from the local replica when it is not, so the window never knows which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# push(kind, payload): kind is "open", "message" (payload: the event frame) or "close" (payload: {code, reason}).
Push = Callable[[str, Any], None]


class Backend(Protocol):
    def request(self, req: dict[str, Any]) -> dict[str, Any]:
        """One UI request {method, path, query, json, form, accept, token} -> {status, body, contentType}.

        The same shapes as BrowserTransport.request in the UI's transport.js; a
        body that is not JSON or text comes back as {"base64": ...}.
        """

    def socket_open(self, query: dict[str, Any], push: Push) -> str:
        """Start live events for the open screen (the /ws protocol's frames); return a handle."""

    def socket_send(self, handle: str, message: dict[str, Any]) -> None:
        """Send one frame on the live connection (the first is {"token": ...})."""

    def socket_close(self, handle: str) -> None: ...

    def close(self) -> None:
        """Stop what runs in the background and let go of the server and the local files."""

    def estado(self) -> dict[str, Any]:
        """{online, servidor, pendientes, revisar, progreso, aviso}: what the window always shows.

        progreso is None or {fase, hecho, total}; aviso is None or a Spanish message for a person.
        """

    def revisar(self) -> list[dict[str, Any]]:
        """The operations the server refused or found in conflict, each with both versions:
        {id, tipo, resultado, creado_en, mio, servidor, error (the server's Spanish reason)}."""

    def resolver(self, item_id: str, decision: str) -> dict[str, Any]:
        """decision "mio" (send mine again over the server's current version) or "servidor" (drop mine);
        {ok, mensaje} with a Spanish sentence for the person."""
