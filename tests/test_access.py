"""ALLOWED_IPS and TRUSTED_PROXIES: who may talk to the server at all.

Clients are bound to another loopback address (127.0.0.2) so the server sees a
different source address without leaving the machine.
"""

from __future__ import annotations

import json
import socket

import pytest
import websocket


def _get(proc, path, source="127.0.0.1", headers=None):
    conn = proc.connection(source_address=(source, 0))
    try:
        conn.request("GET", path, headers={**proc.headers, **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.fixture
def only_this_pc(server_with):
    # Plain HTTP even in a TLS run: the WebSocket check hands websocket-client a raw socket
    # bound to 127.0.0.2, which it does not wrap in TLS. The allow-list sits before either.
    proc, _ = server_with(ALLOWED_IPS="127.0.0.1/32", SSL_CERT="", SSL_KEY="")
    return proc


def test_an_address_outside_the_allow_list_gets_403_before_anything_else(only_this_pc):
    proc = only_this_pc
    assert _get(proc, "/clientes")[0] == 200
    for path in ("/", "/clientes", "/docs", "/no-existe"):
        status, body = _get(proc, path, source="127.0.0.2")
        assert status == 403 and body["error"]["code"] == "ip_no_permitida", (path, body)
        assert "no tiene permitido" in body["error"]["message"]
    sock = socket.create_connection(("127.0.0.1", proc.port), timeout=10, source_address=("127.0.0.2", 0))
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://127.0.0.1:{proc.port}/ws?token={proc.token}", timeout=10, socket=sock)
    assert refused.value.status_code == 403
    sock.close()
    assert "fuera de ALLOWED_IPS" in proc.log_path.read_text()


def test_forwarded_for_is_believed_only_from_trusted_proxies(server_with):
    proc, api = server_with(ALLOWED_IPS="127.0.0.1/32,192.168.0.0/16", TRUSTED_PROXIES="127.0.0.1/32")
    # Through the proxy (127.0.0.1): the client's own address decides.
    assert _get(proc, "/clientes", headers={"X-Forwarded-For": "192.168.1.9"})[0] == 200
    assert _get(proc, "/clientes", headers={"X-Forwarded-For": "8.8.8.8"})[0] == 403
    # A chain: the right-most untrusted hop is the client, whatever it claims further left.
    assert _get(proc, "/clientes", headers={"X-Forwarded-For": "192.168.1.9, 8.8.4.4"})[0] == 403
    assert _get(proc, "/clientes", headers={"X-Forwarded-For": "8.8.4.4, 192.168.1.9"})[0] == 200
    # Not from a trusted proxy: the header is ignored, the real address (127.0.0.2) is refused.
    assert _get(proc, "/clientes", source="127.0.0.2", headers={"X-Forwarded-For": "127.0.0.1"})[0] == 403
    # The audit trail records the client's address, not the proxy's.
    conn = proc.connection()
    conn.request(
        "POST",
        "/clientes",
        body=json.dumps({"nombre": "Vía proxy"}),
        headers={**proc.headers, "Content-Type": "application/json", "X-Forwarded-For": "192.168.1.77"},
    )
    created = json.loads(conn.getresponse().read())
    conn.close()
    trail = api.ok("GET", "/auditoria", params={"entidad_id": created["id"]})["items"]
    assert [(row["accion"], row["ip"]) for row in trail] == [("cliente_creado", "192.168.1.77")]


def test_default_allow_list_is_loopback_and_private_ranges():
    from appliance.config import Config
    from appliance.security.addresses import address_allowed, client_address

    settings = Config.from_env({})
    for address in (
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.9",
        "172.31.255.1",
        "192.168.100.4",
        "fd12::5",
        "fe80::1%eth0",
        "::ffff:192.168.1.4",
    ):
        assert address_allowed(settings, client_address(settings, address, None)), address
    for address in ("8.8.8.8", "172.32.0.1", "2001:db8::1", "::ffff:8.8.8.8", "", None, "no-es-ip"):
        assert not address_allowed(settings, client_address(settings, address, None)), address
    assert client_address(settings, "10.0.0.5", "8.8.8.8") == "10.0.0.5"  # no trusted proxies by default


def test_bad_network_settings_stop_the_server_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    from serverproc import ROOT

    done = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATA_DIR": str(tmp_path), "ALLOWED_IPS": "192.168.1.0/24,la-oficina", "PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    assert done.returncode == 2 and "ALLOWED_IPS" in done.stderr and "la-oficina" in done.stderr
