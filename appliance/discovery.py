"""Discovery on the shop's LAN: an mDNS announcement and a UDP broadcast beacon.

webview_client/discovery.py is the other end. Both carry the same fields: `id` (the database's
server_id), `ver`, `api`, `tls` ("1"/"0"), `path` and `fp` (the TLS certificate's SHA-256 in the
AA:BB:... form gen-cert prints; empty without TLS).

- mDNS/DNS-SD (python-zeroconf): `_servitec._tcp.local.`, those fields as TXT, instance
  "ServitecManager en <PC>" (zeroconf's probe renames it "...-2" when another server has it).
- The beacon: the same fields plus `app` and `port` as one JSON datagram, every BEACON_INTERVAL
  seconds, to the broadcast address of each IPv4 network on BEACON_PORT. Access points and
  switches that drop multicast usually still pass broadcast.

Only IPv4 addresses are announced: all of them with HOST=0.0.0.0, just HOST's when it names one,
none when HOST is loopback (the server then only listens to this PC). Addresses are read again
every ADDRESS_CHECK_SECONDS, so a PC that gets its network (or a new DHCP lease) after the server
started is announced anyway.

zeroconf runs an asyncio loop. Under gevent's monkey-patching its loop thread would be a greenlet
of the hub's OS thread, and CPython keeps the running asyncio loop per OS thread: every greenlet
would then see zeroconf's loop as running, and zeroconf's close() skips its goodbye packets
(measured). So the loop runs in an OS thread of its own (a one-thread gevent ThreadPool) with the
standard library's selector instead of gevent's; the hub posts the stop to it and waits
cooperatively. Our messages from that thread are logged on the hub (gevent's locks, logging's
included, are not meant to be shared between OS threads). The beacon is a greenlet: one sendto
per network every few seconds. Nothing here stops the server: a failure is a Spanish warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import ifaddr
from gevent import monkey
from gevent.threadpool import ThreadPool
from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from . import APP_NAME, __version__
from .config import SETTINGS, Config

log = logging.getLogger(__name__)

SERVICE_TYPE = "_servitec._tcp.local."
API_VERSION = "1"
ADDRESS_CHECK_SECONDS = 30
# The goodbyes take ~0.3 s; a wedged loop must not hold the server's shutdown longer than this.
STOP_SECONDS = 5
MAX_INSTANCE_BYTES = 63  # one DNS label
DEFAULT_PORT = int(next(setting.default for setting in SETTINGS if setting.name == "PORT"))


class NotOnLan(Exception):
    """HOST keeps the server off the LAN (or off IPv4): nothing to announce; the message says why."""


@dataclass(frozen=True)
class Announcement:
    """What the server tells the LAN about itself."""

    server_id: str
    port: int
    fp: str  # "" without TLS

    def fields(self) -> dict[str, str]:
        """The TXT record (the beacon carries the same keys)."""
        return {
            "id": self.server_id,
            "ver": __version__,
            "api": API_VERSION,
            "tls": "1" if self.fp else "0",
            "path": "/",
            "fp": self.fp,
        }

    def beacon(self) -> bytes:
        """One beacon datagram: JSON with the fields, `app` (so other programs' packets are told apart) and `port`."""
        return json.dumps({"app": APP_NAME, **self.fields(), "port": self.port}, separators=(",", ":")).encode()


def only_address(host: str) -> ipaddress.IPv4Address | None:
    """The one address HOST limits discovery to; None for every network. NotOnLan when there is none to announce."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError:
            raise NotOnLan(f"HOST={host} no es una dirección de esta PC") from None
    if address.is_loopback:
        raise NotOnLan(f"HOST={host} solo acepta conexiones de esta PC")
    if address.version == 6:
        raise NotOnLan(f"HOST={host} es IPv6 y el descubrimiento anuncia direcciones IPv4")
    return None if address.is_unspecified else address


def lan_interfaces(only: ipaddress.IPv4Address | None = None) -> list[ipaddress.IPv4Interface]:
    """This PC's IPv4 addresses with their networks, loopback and link-local left out; `only` keeps that one."""
    found: list[ipaddress.IPv4Interface] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4:
                continue
            interface = ipaddress.IPv4Interface(f"{ip.ip}/{ip.network_prefix}")
            if interface.ip.is_loopback or interface.ip.is_link_local or interface in found:
                continue
            if only is None or interface.ip == only:
                found.append(interface)
    return found


def instance_name(port: int) -> str:
    """The name a person sees for this server in a list of them.

    A second server on the same PC (another PORT) gets its port in the name: zeroconf's probe
    renames a taken name, but two responders on one PC can miss each other's answers.
    """
    name = f"{APP_NAME} en {socket.gethostname().split('.')[0] or 'servidor'}"
    suffix = "" if port == DEFAULT_PORT else f" (puerto {port})"
    return name.encode()[: MAX_INSTANCE_BYTES - len(suffix.encode())].decode(errors="ignore") + suffix


def host_name(server_id: str) -> str:
    """The SRV target: the PC's name and a piece of the server id, so two servers under one PC name
    (a reinstall, a test) never merge their address records in a client's cache."""
    label = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().split(".")[0].lower()).strip("-")[:40]
    return f"{label or 'servitec'}-{server_id[:8]}.local."


class _Once:
    """A lasting failure logs one warning, not one per retry: each key logs only when its message changes."""

    def __init__(self, emit: Callable[..., None]):
        self._emit = emit
        self._last: dict[str, str] = {}

    def warn(self, key: str, message: str) -> None:
        if self._last.get(key) != message:
            self._last[key] = message
            self._emit(logging.WARNING, message)

    def ok(self, key: str) -> None:
        self._last.pop(key, None)


class Discovery:
    """The announcement and the beacon of the running server; start() and stop() never raise."""

    def __init__(self, config: Config, port: int, fp: str, server_id: Callable[[], str]):
        """`server_id` is read on each announcement: a restore may bring back another database's."""
        self._config = config
        self._port = port
        self._fp = fp
        self._server_id = server_id
        self._mdns: _Mdns | None = None
        self._beacon: gevent.Greenlet | None = None

    def announcement(self) -> Announcement:
        return Announcement(self._server_id(), self._port, self._fp)

    def start(self) -> None:
        try:
            self._start()
        except Exception as exc:  # the server serves all the same; clients can still be given its address
            log.warning("No se pudo iniciar el descubrimiento en la red local: %r", exc)

    def _start(self) -> None:
        config = self._config
        if not (config.discovery_mdns or config.discovery_beacon):
            return
        try:
            only = only_address(config.host)
        except NotOnLan as exc:
            log.info("El servidor no se anuncia en la red local: %s.", exc)
            return
        if not lan_interfaces(only):
            log.warning(
                "No hay red local (ninguna dirección IPv4%s): los equipos del mostrador no encontrarán el "
                "servidor solos hasta que la haya; se anunciará en cuanto aparezca.",
                f" {only}" if only else "",
            )
        if config.discovery_mdns:
            self._mdns = _Mdns(self.announcement, only)
        if config.discovery_beacon:
            self._beacon = gevent.spawn(self._send_beacons, only)

    def stop(self) -> None:
        """Say goodbye on mDNS (clients drop this server at once) and stop the beacon."""
        if self._beacon is not None:
            self._beacon.kill()
            self._beacon = None
        if self._mdns is not None:
            self._mdns.stop()
            self._mdns = None

    def _send_beacons(self, only: ipaddress.IPv4Address | None) -> None:
        port = self._config.beacon_port
        failures = _Once(log.log)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            while True:
                packet = self.announcement().beacon()
                for interface in lan_interfaces(only):
                    if interface.network.prefixlen >= 31:
                        continue  # a point-to-point link has no broadcast address
                    target = str(interface.network.broadcast_address)
                    try:
                        sock.sendto(packet, (target, port))
                        failures.ok(target)
                    except OSError as exc:
                        failures.warn(
                            target, f"No se pudo enviar el aviso UDP a {target}:{port} ({exc}); se sigue intentando."
                        )
                gevent.sleep(self._config.beacon_interval)


class _Mdns:
    """The mDNS announcement, kept current, on an asyncio loop in an OS thread of its own (see the module docstring)."""

    def __init__(self, announcement: Callable[[], Announcement], only: ipaddress.IPv4Address | None):
        self._announcement = announcement
        self._only = only
        self._hub_loop = gevent.get_hub().loop
        self._loop = asyncio.SelectorEventLoop(monkey.get_original("selectors", "DefaultSelector")())
        self._stopping = asyncio.Event()
        self._pool = ThreadPool(1)
        self._done = self._pool.spawn(self._thread)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._done.wait(STOP_SECONDS)
        if not self._done.ready():
            log.warning("El anuncio mDNS no terminó en %s s; el servidor se detiene sin esperarlo.", STOP_SECONDS)
        self._pool.kill()

    def _log(self, level: int, message: str) -> None:
        self._hub_loop.run_callback_threadsafe(log.log, level, message)

    def _thread(self) -> None:
        try:
            self._loop.run_until_complete(self._run())
        except Exception as exc:  # whatever broke, the server goes on; the beacon still runs
            self._log(logging.WARNING, f"El anuncio mDNS se detuvo por un error: {exc!r}")
        finally:
            self._loop.close()

    async def _run(self) -> None:
        failures = _Once(self._log)
        zeroconf: AsyncZeroconf | None = None
        current = None
        try:
            while not self._stopping.is_set():
                wanted = (tuple(str(i.ip) for i in lan_interfaces(self._only)), self._announcement())
                if wanted != current:
                    if zeroconf is not None:
                        await zeroconf.async_close()
                        zeroconf = None
                    current = wanted
                    if wanted[0]:
                        try:
                            zeroconf = await self._register(*wanted)
                            failures.ok("mdns")
                        except Exception as exc:  # OSError (port 5353 taken, no multicast) or zeroconf's own
                            current = None  # try again at the next check
                            failures.warn(
                                "mdns",
                                f"No se pudo anunciar el servidor por mDNS ({exc!r}); los equipos del mostrador "
                                "pueden encontrarlo por el aviso UDP o con su dirección. Se reintenta cada "
                                f"{ADDRESS_CHECK_SECONDS} s.",
                            )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), ADDRESS_CHECK_SECONDS)
        finally:
            if zeroconf is not None:
                await zeroconf.async_close()  # sends the goodbyes

    async def _register(self, addresses: tuple[str, ...], announcement: Announcement) -> AsyncZeroconf:
        zeroconf = AsyncZeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
        try:
            info = ServiceInfo(
                SERVICE_TYPE,
                f"{instance_name(announcement.port)}.{SERVICE_TYPE}",
                port=announcement.port,
                properties=announcement.fields(),
                server=host_name(announcement.server_id),
                parsed_addresses=list(addresses),
            )
            await (await zeroconf.async_register_service(info, allow_name_change=True))
        except BaseException:
            await zeroconf.async_close()
            raise
        self._log(
            logging.INFO,
            f"Servidor anunciado por mDNS como «{info.name.removesuffix('.' + SERVICE_TYPE)}» en {', '.join(addresses)}.",
        )
        return zeroconf
