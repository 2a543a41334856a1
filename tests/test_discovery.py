"""Discovery on a LAN of network namespaces: the real appliance announces, the real client finds.

The server runs `python -m appliance serve` inside one namespace (tests/netns.py), the client's
webview_client.discovery inside another, joined by a veth pair; with SERVITEC_TEST_TLS=1 the
server speaks HTTPS and the certificate's fingerprint is announced, pinned and checked.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
import time

import netns
import pytest
from hypothesis import given
from hypothesis import strategies as st
from serverproc import ServerProcess

from appliance.discovery import Announcement, NotOnLan, only_address
from appliance.security.certs import file_fingerprint
from appliance.store import Database
from webview_client.lan import candidate, parse_beacon

SEARCH = 1.5  # seconds each network step listens: > the beacon interval the test servers use
TLS = os.environ.get("SERVITEC_TEST_TLS") == "1"
CERTIFICATE_CHANGED = "El certificado del servidor cambió" if TLS else "ya no usa HTTPS"


@pytest.fixture(scope="module")
def lan():
    try:
        with netns.lan() as made:
            yield made
    except netns.NetnsUnavailable as exc:
        pytest.fail(f"the discovery tests need network namespaces (root and iproute2): {exc}")


def in_server_ns(lan, data_dir, port=8000, **env) -> ServerProcess:
    """An appliance on the server PC of `lan`, listening on every address as a shop's does."""
    env = {"HOST": "0.0.0.0", "BEACON_INTERVAL": "1", "LOG_LEVEL": "INFO", **env}
    return ServerProcess(data_dir, port=port, netns=lan.server_ns, address=lan.server_ip, **env)


@pytest.fixture
def start(lan, tmp_path):
    """start(name, **env): an appliance on the server PC, stopped at the test's end."""
    started = []

    def start(name="tienda", port=8000, ns=None, address=None, **env) -> ServerProcess:
        proc = in_server_ns(lan, tmp_path / name, port, **env)
        proc.netns, proc.address = ns or proc.netns, address or proc.address
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="class")
def shop(lan, tmp_path_factory):
    """One appliance with discovery as it comes (mDNS and beacon), shared by the tests that only look."""
    proc = in_server_ns(lan, tmp_path_factory.mktemp("tienda")).start()
    yield proc
    proc.stop()


def identity(server: ServerProcess) -> dict:
    """What the client should pin for `server`: its url, the database's server_id, the certificate's fingerprint."""
    database = Database(server.db_path, exclusive=False)
    try:
        server_id = database.server_id
    finally:
        database.close()
    return {"url": server.url, "server_id": server_id, "fp": file_fingerprint(server.verify) if server.verify else ""}


def wait_for_log(server: ServerProcess, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log_path.read_text(encoding="utf-8")
        if text in log:
            return log
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the server's log: {server.log_path.read_text(encoding='utf-8')}")


def found(result: dict, via: str, server: dict) -> None:
    assert "found" in result, result
    assert result["found"] == {**server, "via": via, "version": result["found"]["version"]}, result


# --- on the namespaces' LAN -----------------------------------------------------------------------


class TestOneShop:
    """Tests that only look at one shop's server (started once for them), and a second one beside it."""

    def test_found_by_mdns_with_nothing_configured(self, lan, shop):
        server = identity(shop)
        heard = lan.hear("mdns")
        assert heard is not None, "nothing announced over mDNS"
        assert heard["txt"] == {
            "id": server["server_id"],
            "ver": heard["txt"]["ver"],
            "api": "1",
            "tls": "1" if TLS else "0",
            "path": "/",
            "fp": server["fp"],
        }
        assert heard["txt"]["ver"] and heard["port"] == shop.port and heard["addresses"] == [lan.server_ip]
        assert heard["name"].startswith("ServitecManager en ") and heard["name"].endswith("._servitec._tcp.local.")

        result = lan.locate(None, None, beacon=False, timeout=SEARCH)
        found(result, "mdns", server)
        assert result["steps"] == ["Buscando el servidor en la red local (mDNS)…"]

    def test_the_config_url_and_the_last_server_come_first(self, lan, shop):
        server = identity(shop)
        dead = f"http://{lan.server_ip}:9"  # nothing listens there: refused at once
        config_step = "Probando la dirección de config.json: {}…"
        last_step = "Probando el último servidor que respondió: {}…"

        result = lan.locate(shop.url, None)
        found(result, "config", server)
        assert result["steps"] == [config_step.format(shop.url)]

        result = lan.locate(dead, server)
        found(result, "last", server)
        assert result["steps"] == [config_step.format(dead), last_step.format(shop.url)]

        gone = f"http://{lan.server_ip}:10"
        result = lan.locate(dead, {**server, "url": gone}, timeout=SEARCH)
        found(result, "mdns", server)
        assert result["steps"] == [
            config_step.format(dead),
            last_step.format(gone),
            "Buscando el servidor en la red local (mDNS)…",
        ]

    def test_a_changed_certificate_is_refused(self, lan, shop):
        server = identity(shop)
        pinned = {**server, "fp": ":".join(["AB"] * 32)}

        result = lan.locate(None, pinned, beacon=False, timeout=SEARCH)
        assert result["error"] == "CertificateChanged", result
        assert (
            CERTIFICATE_CHANGED in result["message"]
            and "no se enviará nada hasta que el dueño lo confirme" in result["message"]
        )
        # The same server found over mDNS is refused just the same.
        assert any(CERTIFICATE_CHANGED in line for line in result["tried"] if line.startswith("mDNS")), result

    def test_two_servers_on_one_lan(self, lan, shop, start):
        """Unpaired, a person must choose; paired, the client takes its own wherever it is."""
        server = identity(shop)
        wait_for_log(shop, "anunciado por mDNS")
        proc = start("otra", ns=lan.other_ns, address=lan.other_ip)
        log = wait_for_log(proc, "anunciado por mDNS")
        # Two PCs with one name: the second one's probe found the name taken and took another.
        assert re.search(r"«ServitecManager en .+-2»", log), log
        other = identity(proc)

        result = lan.locate(None, None, beacon=False, timeout=SEARCH)
        assert result["error"] == "SeveralFound", result
        assert f"{shop.url} (id {server['server_id']})" in result["message"]
        assert f"{proc.url} (id {other['server_id']})" in result["message"]

        moved = {**server, "url": proc.url}  # the other server now answers where this one used to
        result = lan.locate(None, moved, timeout=SEARCH)
        found(result, "mdns", server)


def test_found_by_the_beacon_where_mdns_is_off(lan, start):
    proc = start(DISCOVERY_MDNS="false")
    server = identity(proc)
    heard = lan.hear("beacon")
    assert heard is not None and heard["source"] == lan.server_ip
    assert heard["beacon"] == {
        "app": "ServitecManager",
        "id": server["server_id"],
        "ver": heard["beacon"]["ver"],
        "api": "1",
        "tls": "1" if TLS else "0",
        "path": "/",
        "fp": server["fp"],
        "port": proc.port,
    }

    result = lan.locate(None, None, timeout=SEARCH)
    found(result, "beacon", server)
    assert result["steps"] == [
        "Buscando el servidor en la red local (mDNS)…",
        "Esperando el aviso del servidor en la red local (UDP 42424)…",
    ]


def test_nothing_found_says_what_was_tried(lan, start):
    proc = start(DISCOVERY_MDNS="false", DISCOVERY_BEACON="false")

    result = lan.locate(None, None, timeout=SEARCH)
    assert result["error"] == "NotFound", result
    assert result["tried"] == [
        f"mDNS: ningún servidor respondió en {SEARCH:g} s",
        f"aviso UDP (puerto 42424): ningún servidor respondió en {SEARCH:g} s",
    ]
    assert result["message"].startswith("No se encontró el servidor del taller. Se intentó:\n- mDNS")
    assert "Escribe la dirección del servidor" in result["message"]
    # The server is there all the same, for whoever types its address.
    found(lan.locate(proc.url, None, mdns=False, beacon=False), "config", identity(proc))


def test_another_server_at_the_saved_address_is_refused(lan, start):
    first = start("primera", port=8100)
    paired = identity(first)
    first.stop()
    second = start("reinstalada", port=8100)  # same PC, same address and port: a new database, a new id
    other = identity(second)
    assert other["server_id"] != paired["server_id"]

    result = lan.locate(None, paired, beacon=False, timeout=SEARCH)
    assert result["error"] == "ServerChanged", result
    assert result["message"].startswith(
        f"En {lan.server_ip}:{second.port} responde otro servidor (id {other['server_id']}), no el de este taller "
        f"(id {paired['server_id']})."
    )
    assert "no se enviará nada" in result["message"]

    # The other server announces itself too; the client notes it and takes nothing.
    result = lan.locate(None, {**paired, "url": f"http://{lan.server_ip}:9"}, beacon=False, timeout=SEARCH)
    assert result["error"] == "NotFound", result
    assert f"mDNS: en {second.url} hay otro servidor (id {other['server_id']}), no el de este taller" in result["tried"]


def test_a_discovery_failure_is_a_warning_and_the_server_serves(lan, start, tmp_path):
    lonely = start("sin-red", ns=lan.lonely_ns, address="127.0.0.1")
    assert "WARNING appliance.discovery: No hay red local" in wait_for_log(lonely, "No hay red local")
    lonely.stop()

    # Something else holds UDP 5353 without sharing it: mDNS cannot start, the beacon still goes out.
    holder = subprocess.Popen(
        lan.exec_argv(
            lan.server_ns,
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.bind(('0.0.0.0', 5353))\n"
            "print('ok', flush=True)\n"
            "time.sleep(60)\n",
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "ok\n"
        proc = start("puerto-ocupado")
        log = wait_for_log(proc, "No se pudo anunciar el servidor por mDNS")
        assert "WARNING appliance.discovery: No se pudo anunciar el servidor por mDNS" in log
        result = lan.locate(None, None, timeout=SEARCH)
        found(result, "beacon", identity(proc))
    finally:
        holder.kill()
        holder.wait()


# --- the wire format, without a network -----------------------------------------------------------


def test_what_the_appliance_sends_is_what_the_client_reads():
    fp = ":".join(["0F"] * 32)
    announcement = Announcement("c3f5a3c2-9d7e-4a8e-8f00-1b2c3d4e5f60", 8443, fp)
    heard = parse_beacon(announcement.beacon(), "192.168.1.20")
    assert heard is not None
    assert (heard.url, heard.server_id, heard.fp, heard.via) == (
        "https://192.168.1.20:8443",
        "c3f5a3c2-9d7e-4a8e-8f00-1b2c3d4e5f60",
        fp,
        "beacon",
    )
    plain = Announcement("c3f5a3c2-9d7e-4a8e-8f00-1b2c3d4e5f60", 8000, "")
    heard = candidate(plain.fields(), "192.168.1.20", 8000, "mdns")
    assert heard is not None and heard.url == "http://192.168.1.20:8000" and heard.fp == ""


GOOD = b'{"app":"ServitecManager","id":"abc-123","ver":"0.6.0","api":"1","tls":"0","path":"/","fp":"","port":8000}'


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"null",
        b"[1, 2]",
        b'"ServitecManager"',
        b"[" * 500 + b"]" * 500,
        GOOD.replace(b"ServitecManager", b"OtroPrograma"),
        GOOD.replace(b'"api":"1"', b'"api":"2"'),
        GOOD.replace(b'"port":8000', b'"port":"8000"'),
        GOOD.replace(b'"port":8000', b'"port":true'),
        GOOD.replace(b'"port":8000', b'"port":0'),
        GOOD.replace(b'"port":8000', b'"port":70000'),
        GOOD.replace(b'"tls":"0"', b'"tls":"2"'),
        GOOD.replace(b'"tls":"0"', b'"tls":"1"'),  # HTTPS with no fingerprint to check it by
        GOOD.replace(b'"fp":""', b'"fp":"' + b"AB" * 32 + b'"'),  # a fingerprint without HTTPS
        GOOD.replace(b'"tls":"0"', b'"tls":"1"').replace(b'"fp":""', b'"fp":"AB:CD"'),
        GOOD.replace(b'"id":"abc-123"', b'"id":"a b"'),
        GOOD.replace(b'"id":"abc-123"', b'"id":""'),
        GOOD.replace(b'"id":"abc-123"', b'"id":"' + b"a" * 65 + b'"'),
        GOOD.replace(b'"path":"/"', b'"path":"@evil.example/"'),
        GOOD.replace(b'"path":"/"', b'"path":null'),
        GOOD[:-1] + b',"relleno":"' + b"x" * 1024 + b'"}',
    ],
)
def test_a_packet_that_is_not_a_servitec_beacon_is_ignored(packet):
    assert parse_beacon(GOOD, "10.0.0.5") is not None
    assert parse_beacon(packet, "10.0.0.5") is None


@given(st.binary(max_size=2048))
def test_no_packet_makes_the_beacon_parser_fail(packet):
    assert parse_beacon(packet, "10.0.0.5") is None


@pytest.mark.parametrize(
    "host, result",
    [
        ("0.0.0.0", None),
        ("192.168.1.10", "192.168.1.10"),
        ("127.0.0.1", NotOnLan),
        ("localhost", NotOnLan),
        ("::1", NotOnLan),
        ("::", NotOnLan),
    ],
)
def test_host_decides_what_is_announced(host, result):
    if result is NotOnLan:
        with pytest.raises(NotOnLan):
            only_address(host)
    else:
        assert only_address(host) == (result and ipaddress.ip_address(result))
