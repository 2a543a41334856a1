"""Finding the shop's server from a counter PC, and making sure it is the one this PC was paired with.

    found = locate(client_config.url, last_server(path), on_try=window.show_step)
    save_last_server(path, found.saved())

locate(config_url, last, *, mdns=True, beacon=True, timeout=3, check_timeout=2,
beacon_port=42424, on_try=None) -> Found tries, in this order, and returns the first that answers
as the right server:

1. `config_url`, the `url` of config.json;
2. `last["url"]`, the last server that answered (servidor.json, config.last_server);
3. mDNS: browses `_servitec._tcp.local.` for up to `timeout` seconds;
4. the UDP beacon the server broadcasts every BEACON_INTERVAL seconds on `beacon_port`. The port
   is listened to from the start, so a beacon heard during the earlier steps counts; the step
   then waits up to `timeout` seconds more.

`on_try(step)` hears each step as a Spanish sentence for the window. Every error locate raises
carries `tried`, one Spanish line per thing tried and what came of it; NotFound's message lists
them, and the window then asks a person for the address, which verify(url, last) checks the same
way.

Each candidate is checked with GET / (Accept: application/json): `app` must be ServitecManager
and `server_id` present, within `check_timeout` seconds. With HTTPS the certificate is
self-signed and no CA can vouch for it, so the client reads the peer certificate with
verification off, takes its SHA-256 (AA:BB:..., as gen-cert prints it) and sends GET / over that
same connection; the fingerprint must equal the pinned one and, for an announced candidate, the
announced `fp`. A Transport to the server should then check the same fingerprint.

Pinning: `last` (servidor.json, {"url", "server_id", "fp"}: what Found.saved() returns) is the
server this PC is paired with. Another server_id, or the pinned one with another certificate (or
over plain HTTP after HTTPS), is refused: if no step finds the pinned server, locate raises that
refusal (ServerChanged or CertificateChanged, both PinMismatch), and nothing is sent until the
owner confirms. Another shop's server heard on the LAN is only noted. Without a pin the server
found is taken (trust on first use: the window shows `fp` to compare with gen-cert's), unless one
step finds several: SeveralFound, and a person picks.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import ssl
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .lan import APP_NAME, BEACON_PORT, BeaconSearch, Candidate, MdnsSearch, colon_hex

SEARCH_SECONDS = 3.0  # longer than the server's default beacon interval (2 s)
CHECK_SECONDS = 2.0
# After a first server answers, how long to keep listening for a second one (mDNS answers come
# within ~120 ms of the question).
SETTLE_SECONDS = 0.3
MAX_STATUS_BYTES = 64 * 1024

Saved = Mapping[str, Any]  # servidor.json: {"url", "server_id", "fp"}


@dataclass(frozen=True)
class Found:
    """A server that answered GET / as ServitecManager (and as the pinned one, if any)."""

    url: str
    server_id: str
    fp: str  # the certificate's SHA-256 (AA:BB:...); "" over HTTP
    version: str
    via: str  # "config", "last", "mdns", "beacon" or "manual"

    def saved(self) -> dict[str, str]:
        """What to keep in servidor.json (config.save_last_server): the address and the pin."""
        return {"url": self.url, "server_id": self.server_id, "fp": self.fp}


class DiscoveryError(Exception):
    """No server could be settled on; `message` is Spanish, for the person at the counter."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.tried: list[str] = []  # what locate() tried before giving up, one Spanish line each


class NoServer(DiscoveryError):
    """`url` did not answer as a ServitecManager server; `reason` says what happened instead."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"En {url} no responde un servidor de ServitecManager: {reason}.")
        self.url = url
        self.reason = reason


class PinMismatch(DiscoveryError):
    """A server answered where the paired one was expected, and it is not it: `url`, `expected`, `got`."""

    def __init__(self, message: str, url: str, expected: str, got: str):
        super().__init__(message)
        self.url = url
        self.expected = expected
        self.got = got


class ServerChanged(PinMismatch):
    """Another server_id than the pinned one."""


class CertificateChanged(PinMismatch):
    """The pinned server_id with another certificate, or without HTTPS after it had it."""


class NotFound(DiscoveryError):
    """No step found a server."""

    def __init__(self, tried: list[str]):
        lines = tried or ["nada: no hay dirección guardada y la búsqueda en la red está apagada"]
        super().__init__(
            "No se encontró el servidor del taller. Se intentó:\n"
            + "".join(f"- {line}\n" for line in lines)
            + "Escribe la dirección del servidor (la muestra ServitecManager en la PC del servidor), "
            "por ejemplo http://192.168.1.100:8000."
        )
        self.tried = tried


class SeveralFound(DiscoveryError):
    """One step found several servers and no pin says which is this shop's; `found` lists them."""

    def __init__(self, found: list[Found]):
        listed = ", ".join(f"{server.url} (id {server.server_id})" for server in found)
        super().__init__(f"Hay más de un servidor de ServitecManager en la red: {listed}. Elige el de este taller.")
        self.found = found


def verify(url: str, last: Saved | None = None, *, timeout: float = CHECK_SECONDS, via: str = "manual") -> Found:
    """Check that `url` answers as a ServitecManager server, and as the pinned one when `last` is given.

    Raises NoServer, ServerChanged or CertificateChanged.
    """
    status, fp = _status(url.rstrip("/"), timeout)
    found = Found(url.rstrip("/"), status["server_id"], fp, str(status.get("version", "")), via)
    _check_pin(found, last)
    return found


def locate(
    config_url: str | None,
    last: Saved | None,
    *,
    mdns: bool = True,
    beacon: bool = True,
    timeout: float = SEARCH_SECONDS,
    check_timeout: float = CHECK_SECONDS,
    beacon_port: int = BEACON_PORT,
    on_try: Callable[[str], None] | None = None,
) -> Found:
    """Find the server: config url, last server, mDNS, beacon (see the module docstring).

    Raises NotFound, SeveralFound, ServerChanged or CertificateChanged.
    """
    search = _Search(last, timeout, check_timeout, on_try or (lambda step: None))
    try:
        return search.run(config_url, mdns, beacon, beacon_port)
    except DiscoveryError as exc:
        exc.tried = search.tried
        raise


class _Search:
    """One locate(): the pin, the time limits, and what was tried and refused so far."""

    def __init__(self, last: Saved | None, timeout: float, check_timeout: float, tell: Callable[[str], None]):
        self.last = last
        self.pinned = bool(last and last.get("server_id"))
        self.timeout = timeout
        self.check_timeout = check_timeout
        self.tell = tell
        self.tried: list[str] = []
        self.refused: list[PinMismatch] = []

    def run(self, config_url: str | None, mdns: bool, beacon: bool, beacon_port: int) -> Found:
        beacons: BeaconSearch | None = None
        beacon_error = None
        if beacon:
            try:
                beacons = BeaconSearch(beacon_port)  # from now on: beacons heard meanwhile are kept
            except OSError as exc:
                beacon_error = exc
        try:
            addresses = [("config", config_url, "la dirección de config.json")]
            last_url = self.last.get("url") if self.last else None
            if last_url and last_url.rstrip("/") != (config_url or "").rstrip("/"):
                addresses.append(("last", last_url, "el último servidor que respondió"))
            for via, url, label in addresses:
                if url and (found := self.saved_address(url, via, label)) is not None:
                    return found
            if mdns:
                self.tell("Buscando el servidor en la red local (mDNS)…")
                try:
                    browsing = MdnsSearch()
                except OSError as exc:
                    self.tried.append(f"mDNS: no se pudo buscar en esta red ({exc})")
                else:
                    with closing(browsing):
                        if (found := self.listen(browsing, "mDNS")) is not None:
                            return found
            if beacon:
                label = f"aviso UDP (puerto {beacon_port})"
                self.tell(f"Esperando el aviso del servidor en la red local (UDP {beacon_port})…")
                if beacons is None:
                    self.tried.append(f"{label}: no se pudo escuchar ese puerto ({beacon_error})")
                elif (found := self.listen(beacons, label)) is not None:
                    return found
        finally:
            if beacons is not None:
                beacons.close()
        if self.refused:
            raise self.refused[0]
        raise NotFound(self.tried)

    def saved_address(self, url: str, via: str, label: str) -> Found | None:
        self.tell(f"Probando {label}: {url}…")
        try:
            return verify(url, self.last, timeout=self.check_timeout, via=via)
        except PinMismatch as exc:
            self.refused.append(exc)
            self.tried.append(f"{label} ({url}): {exc.message}")
        except NoServer as exc:
            self.tried.append(f"{label} ({url}): {exc.reason}")
        return None

    def listen(self, source: BeaconSearch | MdnsSearch, label: str) -> Found | None:
        """The server `source` hears of within the timeout; SeveralFound when, unpinned, it hears of more than one."""
        noted = len(self.tried)
        found: list[Found] = []
        seen: set[str] = set()
        until = time.monotonic() + self.timeout
        while (heard := source.next(until)) is not None:
            if heard.url in seen:
                continue
            seen.add(heard.url)
            server = self._check(heard, label)
            if server is None:
                continue
            if self.pinned:
                return server
            if all(other.server_id != server.server_id for other in found):
                found.append(server)
            until = min(until, time.monotonic() + SETTLE_SECONDS)
        if len(found) > 1:
            raise SeveralFound(found)
        if found:
            return found[0]
        if len(self.tried) == noted:
            self.tried.append(f"{label}: ningún servidor respondió en {self.timeout:g} s")
        return None

    def _check(self, heard: Candidate, label: str) -> Found | None:
        try:
            server = verify(heard.url, self.last, timeout=self.check_timeout, via=heard.via)
        except NoServer as exc:
            self.tried.append(f"{label}: {heard.url} se anunció pero {exc.reason}")
            return None
        except ServerChanged as exc:  # another shop's server on the same network
            self.tried.append(f"{label}: en {heard.url} hay otro servidor (id {exc.got}), no el de este taller")
            return None
        except CertificateChanged as exc:
            self.refused.append(exc)
            self.tried.append(f"{label}: {exc.message}")
            return None
        if server.fp != heard.fp:
            self.tried.append(f"{label}: {heard.url} presentó otro certificado que el que anunció; se ignora")
            return None
        return server


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, AA:BB:... (the form gen-cert prints and servidor.json keeps)."""
    return colon_hex(hashlib.sha256(der).hexdigest())


def _check_pin(found: Found, last: Saved | None) -> None:
    if not last or not last.get("server_id"):
        return
    where = urlsplit(found.url).netloc
    if found.server_id != last["server_id"]:
        raise ServerChanged(
            f"En {where} responde otro servidor (id {found.server_id}), no el de este taller "
            f"(id {last['server_id']}). Si el taller cambió de servidor, el dueño debe confirmarlo en este "
            "equipo; mientras tanto no se enviará nada.",
            found.url,
            last["server_id"],
            found.server_id,
        )
    pinned = colon_hex(str(last.get("fp") or ""))
    if pinned and not found.fp:
        raise CertificateChanged(
            f"El servidor de {where} ya no usa HTTPS y este equipo lo conoció con certificado; no se enviará "
            "nada hasta que el dueño lo confirme.",
            found.url,
            pinned,
            "",
        )
    if pinned and pinned != found.fp:
        raise CertificateChanged(
            f"El certificado del servidor cambió en {where} (huella esperada {pinned[:11]}…, recibida "
            f"{found.fp[:11]}…); no se enviará nada hasta que el dueño lo confirme. Si el dueño hizo un "
            "certificado nuevo, compara su huella con la que mostró gen-cert.",
            found.url,
            pinned,
            found.fp,
        )


def _status(url: str, timeout: float) -> tuple[dict[str, Any], str]:
    """GET / of `url` as JSON, and the certificate's fingerprint over HTTPS ("" over HTTP); NoServer otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NoServer(url, "no es una dirección como http://192.168.1.100:8000")
    if parts.scheme == "https":
        # Self-signed: the fingerprint, checked by the caller, is what vouches for the server. A bare
        # context, since loading the system's CA store (create_default_context) takes ~20 ms a check.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.connect()
        fp = fingerprint(conn.sock.getpeercert(binary_form=True)) if parts.scheme == "https" else ""
        conn.request("GET", parts.path + "/", headers={"Accept": "application/json"})
        response = conn.getresponse()
        body = response.read(MAX_STATUS_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise NoServer(url, _why(exc, timeout)) from None
    finally:
        conn.close()
    try:
        status = json.loads(body)
    except ValueError:
        status = None
    if not (isinstance(status, dict) and status.get("app") == APP_NAME and isinstance(status.get("server_id"), str)):
        raise NoServer(url, f"respondió HTTP {response.status}, pero no como un servidor de ServitecManager")
    return status, fp


def _why(exc: BaseException, timeout: float) -> str:
    """A failed connection, in words for the person at the counter."""
    if isinstance(exc, TimeoutError):
        return f"no contestó en {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "rechazó la conexión (¿está encendido el servidor? ¿es el puerto correcto?)"
    if isinstance(exc, ssl.SSLError):
        return f"falló la conexión HTTPS ({exc.reason or exc}; ¿el servidor usa HTTPS?)"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return "cerró la conexión sin responder (¿el servidor usa HTTPS?)"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "no hay ruta a esa dirección desde esta red"
    return f"error de red: {exc}"
