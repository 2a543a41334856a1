"""The window's finder in the tests: the addresses already known, and no other way.

The same two calls as webview_client/discovery.py, `locate(config_url, last, *,
on_try)` and `verify(url, last)`, returning a Found and raising with a Spanish
message, but no mDNS and no beacon: the tests never send those on the
machine's real network (tests/test_discovery.py covers them in namespaces).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from webview_client.errors import ServitecError
from webview_client.transport import Transport

APP_NAME = "ServitecManager"
CHECK_SECONDS = 3.0


class Found(NamedTuple):
    url: str
    server_id: str
    fp: str  # "": this stand-in does not read certificates
    via: str

    def saved(self) -> dict[str, str]:
        """What servidor.json keeps: the address and the pin."""
        return {"url": self.url, "server_id": self.server_id, "fp": self.fp}


class NotFound(Exception):
    """No address answered as this shop's server; `tried` lists what was asked."""

    def __init__(self, message: str, tried: list[str]):
        super().__init__(message)
        self.message = message
        self.tried = tried


def verify(url: str, last: Mapping[str, Any] | None = None, *, via: str = "manual") -> Found:
    """Whether `url` answers GET / as a ServitecManager server, and as the pinned one (`last`)."""
    http = Transport(url, CHECK_SECONDS, 0)
    try:
        status = http.request("GET", "/")
    except ServitecError as exc:
        raise NotFound(exc.message, [url]) from None
    finally:
        http.close()
    if not isinstance(status, dict) or status.get("app") != APP_NAME or not status.get("server_id"):
        raise NotFound(f"{url} contesta, pero no es un servidor de ServitecManager.", [url])
    pinned = (last or {}).get("server_id")
    if pinned and status["server_id"] != pinned:
        raise NotFound(f"{url} es otro servidor de ServitecManager, no el de este taller. Revisa la dirección.", [url])
    return Found(url.rstrip("/"), status["server_id"], "", via)


def locate(
    config_url: str | None, last: Mapping[str, Any] | None, *, on_try: Callable[[str], None] = lambda step: None
) -> Found:
    """config.json's address, then the last server's; the first that is this shop's server."""
    tried: list[str] = []
    for via, label, url in (
        ("config", "config.json", config_url),
        ("last", "Último servidor", (last or {}).get("url")),
    ):
        if not url or url in tried:
            continue
        on_try(f"{label}: {url}")
        tried.append(url)
        try:
            return verify(url, last, via=via)
        except NotFound as exc:
            if "otro servidor" in exc.message:
                raise
    raise NotFound("No se encontró el servidor. Escribe la dirección que muestra su ícono.", tried)
