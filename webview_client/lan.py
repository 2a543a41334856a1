"""Listening on the shop's LAN for the appliance's announcements: mDNS and the UDP beacon.

appliance/discovery.py is the sending end. This package may not import it, so the protocol is
written on both sides: the service type, the beacon's default port, and the fields (`id`, `ver`,
`api`, `tls`, `path`, `fp`; the beacon adds `app` and `port`). An announcement is only a hint of
where to look: discovery.verify() asks the server itself.
"""

from __future__ import annotations

import json
import queue
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

SERVICE_TYPE = "_servitec._tcp.local."
BEACON_PORT = 42424
APP_NAME = "ServitecManager"
API_VERSION = "1"
MAX_BEACON_BYTES = 1024  # the server's is ~250; anything bigger is someone else's
RESOLVE_SECONDS = 1.0  # an answer to the browse usually carries SRV, TXT and A already

_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
_PATH = re.compile(r"/[0-9A-Za-z._~/-]{0,63}")
_FP = re.compile(r"[0-9A-Fa-f]{64}")


@dataclass(frozen=True)
class Candidate:
    """A server an announcement says is there: where it answers and what it claims to be."""

    url: str
    server_id: str
    fp: str  # AA:BB:... form; "" when announced without TLS
    via: str  # "mdns" or "beacon"


def colon_hex(fp: str) -> str:
    """A SHA-256 fingerprint in the AA:BB:... form gen-cert prints, whether given with colons or without."""
    digits = fp.replace(":", "").upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def candidate(fields: Mapping[str, Any], host: str, port: Any, via: str) -> Candidate | None:
    """The server that announced `fields` from `host`:`port`, or None when they are not a usable announcement."""
    server_id, tls, path, fp = (fields.get(key) for key in ("id", "tls", "path", "fp"))
    if fields.get("api") != API_VERSION or not (isinstance(server_id, str) and _ID.fullmatch(server_id)):
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        return None
    if tls not in ("0", "1") or not (isinstance(path, str) and _PATH.fullmatch(path)) or not isinstance(fp, str):
        return None
    # HTTPS always comes with the fingerprint to check it by, and HTTP never does.
    if (tls == "1") != bool(fp) or (fp and not _FP.fullmatch(fp.replace(":", ""))):
        return None
    scheme = "https" if tls == "1" else "http"
    return Candidate(f"{scheme}://{host}:{port}{path.rstrip('/')}", server_id, colon_hex(fp), via)


def parse_beacon(data: bytes, source: str) -> Candidate | None:
    """The server a beacon datagram from `source` (its sender's address) announces; None for anything else."""
    if len(data) > MAX_BEACON_BYTES:
        return None
    try:
        fields = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, dict) or fields.get("app") != APP_NAME:
        return None
    return candidate(fields, source, fields.get("port"), "beacon")


class MdnsSearch:
    """Browses `_servitec._tcp.local.` from creation until close(); OSError if mDNS cannot be used here."""

    def __init__(self) -> None:
        self._zeroconf = Zeroconf(ip_version=IPVersion.V4Only)
        self._names: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._ready: list[Candidate] = []
        self._browser = ServiceBrowser(self._zeroconf, SERVICE_TYPE, handlers=[self._changed])

    def _changed(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        # Called on the browser's thread (by keyword); resolving waits, so it happens in next().
        if state_change is not ServiceStateChange.Removed:
            self._names.put(name)

    def next(self, until: float) -> Candidate | None:
        """The next server heard of (one per address it announces), or None once time.monotonic() reaches `until`."""
        while not self._ready:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            try:
                name = self._names.get(timeout=remaining)
            except queue.Empty:
                return None
            info = ServiceInfo(SERVICE_TYPE, name)
            if info.request(self._zeroconf, min(remaining, RESOLVE_SECONDS) * 1000):
                fields = info.decoded_properties
                for address in info.parsed_addresses(IPVersion.V4Only):
                    if (found := candidate(fields, address, info.port, "mdns")) is not None:
                        self._ready.append(found)
        return self._ready.pop(0)

    def close(self) -> None:
        self._browser.cancel()
        self._zeroconf.close()


class BeaconSearch:
    """Listens for the servers' beacon on UDP `port` from creation until close(); OSError if the port is unusable."""

    def __init__(self, port: int = BEACON_PORT):
        self.port = port
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # Two clients on one PC (or a client and a test) each hear every beacon.
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(("", port))
        except OSError:
            self._sock.close()
            raise

    def next(self, until: float) -> Candidate | None:
        """The next server whose beacon arrives (those that came since creation first), or None at `until`."""
        while (remaining := until - time.monotonic()) > 0:
            self._sock.settimeout(remaining)
            try:
                data, (host, _) = self._sock.recvfrom(MAX_BEACON_BYTES + 1)
            except TimeoutError:
                return None
            if (found := parse_beacon(data, host)) is not None:
                return found
        return None

    def close(self) -> None:
        self._sock.close()
