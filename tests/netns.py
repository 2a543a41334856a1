"""A small LAN made of network namespaces, for the discovery tests and bench/discovery.py.

Three PCs (the server's, a second server's and a counter's), each a namespace plugged by a veth
pair into a bridge, the switch, in a namespace of its own, on a private /24; and a PC with
loopback only (no network). Names are unique per run and `lan()` deletes them even when a test
fails. Multicast and broadcast stay inside; the machine's own interfaces are never touched.
Needs root and iproute2's `ip`.

The client side runs as `ip netns exec <counter PC> python -c ...` and prints JSON.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUBNET = "10.231.0"
SERVER_IP = f"{SUBNET}.1"
CLIENT_IP = f"{SUBNET}.2"
OTHER_IP = f"{SUBNET}.3"


class NetnsUnavailable(RuntimeError):
    """The namespaces could not be made (not root, no iproute2, a kernel without them)."""


class Lan:
    """The namespaces' names and addresses; made by `lan()`."""

    def __init__(self) -> None:
        self._tag = tag = secrets.token_hex(3)
        self.switch_ns = f"svt-{tag}-switch"
        self.server_ns = f"svt-{tag}-server"
        self.other_ns = f"svt-{tag}-otra-pc"
        self.client_ns = f"svt-{tag}-pc"
        self.lonely_ns = f"svt-{tag}-sin-red"
        self.server_ip = SERVER_IP
        self.other_ip = OTHER_IP
        self.client_ip = CLIENT_IP

    def _namespaces(self) -> tuple[str, ...]:
        return (self.switch_ns, self.server_ns, self.other_ns, self.client_ns, self.lonely_ns)

    def _create(self) -> None:
        for ns in self._namespaces():
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        # Snooping off: the bridge floods multicast as a plain shop switch does.
        _ip("-n", self.switch_ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip("-n", self.switch_ns, "link", "set", "br0", "up")
        pcs = ((self.server_ns, SERVER_IP), (self.client_ns, CLIENT_IP), (self.other_ns, OTHER_IP))
        for n, (ns, address) in enumerate(pcs):
            pc_end, switch_end = f"svt{self._tag}p{n}", f"svt{self._tag}s{n}"  # 15 characters at most
            _ip("link", "add", pc_end, "netns", ns, "type", "veth", "peer", switch_end, "netns", self.switch_ns)
            _ip("-n", self.switch_ns, "link", "set", switch_end, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "broadcast", f"{SUBNET}.255", "dev", pc_end)
            _ip("-n", ns, "link", "set", pc_end, "up")

    def _delete(self) -> None:
        # Deleting a namespace deletes the veth ends inside it, and with each its pair.
        for ns in self._namespaces():
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)

    def exec_argv(self, ns: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", ns, *argv]

    def python(self, ns: str, code: str, arg: Any, timeout: float = 60) -> Any:
        """Run `code` with `python -c` inside `ns`, its one argument JSON; return what it printed, as JSON."""
        done = subprocess.run(
            self.exec_argv(ns, sys.executable, "-c", code, json.dumps(arg)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"python in {ns} exited with {done.returncode}: {done.stderr}")
        return json.loads(done.stdout)

    def locate(self, config_url: str | None = None, last: dict | None = None, **options: Any) -> dict:
        """webview_client.discovery.locate() on the counter PC: {found, error, message, tried, steps, seconds}."""
        return self.python(self.client_ns, LOCATE, {"config_url": config_url, "last": last, "options": options})

    def hear(self, how: str, timeout: float = 5.0) -> dict | None:
        """The first raw announcement the counter PC hears, `how` = "mdns" (TXT and all) or "beacon" (the JSON)."""
        return self.python(self.client_ns, HEAR, {"how": how, "timeout": timeout})


def _ip(*args: str) -> None:
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise NetnsUnavailable("iproute2's `ip` is not installed (apt-get install -y iproute2)") from None
    if done.returncode != 0:
        raise NetnsUnavailable(f"`ip {' '.join(args)}` failed: {done.stderr.strip()} (this needs root)")


@contextmanager
def lan() -> Iterator[Lan]:
    """A fresh Lan, deleted when the block ends however it ends; NetnsUnavailable if it cannot be made."""
    made = Lan()
    try:
        made._create()
        yield made
    finally:
        made._delete()


LOCATE = """
import json, sys, time
from webview_client import discovery
args = json.loads(sys.argv[1])
steps = []
started = time.monotonic()
try:
    found = discovery.locate(args["config_url"], args["last"], on_try=steps.append, **args["options"])
    out = {"found": {**found.saved(), "via": found.via, "version": found.version}}
except discovery.DiscoveryError as exc:
    out = {"error": type(exc).__name__, "message": exc.message, "tried": exc.tried}
out.update(steps=steps, seconds=time.monotonic() - started)
print(json.dumps(out))
"""

HEAR = """
import json, queue, socket, sys
args = json.loads(sys.argv[1])
if args["how"] == "beacon":
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", 42424))
    sock.settimeout(args["timeout"])
    try:
        data, (source, _) = sock.recvfrom(4096)
        print(json.dumps({"source": source, "beacon": json.loads(data)}))
    except TimeoutError:
        print("null")
else:
    from zeroconf import IPVersion, ServiceBrowser, Zeroconf
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    names = queue.Queue()
    browser = ServiceBrowser(zc, "_servitec._tcp.local.", handlers=[lambda **kw: names.put(kw["name"])])
    try:
        info = zc.get_service_info("_servitec._tcp.local.", names.get(timeout=args["timeout"]), 3000)
        print(json.dumps({"name": info.name, "server": info.server, "port": info.port,
                          "addresses": info.parsed_addresses(), "txt": info.decoded_properties}))
    except queue.Empty:
        print("null")
    finally:
        browser.cancel()
        zc.close()
"""
