"""Connection handling of the gevent server: idle and stalled clients are dropped quietly."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from serverproc import ServerProcess


@pytest.fixture
def short_timeout_server(tmp_path):
    # Raw HTTP/1.1 bytes on the socket: plain HTTP even in a TLS run (test_tls covers bad TLS clients).
    proc = ServerProcess(tmp_path / "data", IDLE_TIMEOUT="5", LOG_LEVEL="INFO", SSL_CERT="", SSL_KEY="").start()
    yield proc
    proc.stop()


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response: headers and body may arrive in separate packets."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed before a whole response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def _closed_after(sock: socket.socket) -> float:
    started = time.monotonic()
    sock.settimeout(15)
    assert sock.recv(1000) == b""
    return time.monotonic() - started


@pytest.mark.slow
def test_idle_keepalive_connection_is_closed_after_idle_timeout(short_timeout_server):
    sock = socket.create_connection(("127.0.0.1", short_timeout_server.port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert _read_response(sock).startswith(b"HTTP/1.1 200")
    assert 4 <= _closed_after(sock) < 10


@pytest.mark.slow
def test_stalled_request_is_dropped_without_a_traceback(short_timeout_server):
    sock = socket.create_connection(("127.0.0.1", short_timeout_server.port))
    sock.sendall(b"GET / HTTP/1.1\r\nHo")
    assert 4 <= _closed_after(sock) < 10
    # The server keeps serving, and logged no traceback for the stalled client.
    assert requests.get(short_timeout_server.url + "/", timeout=5).json()["db"] == "ok"
    log = short_timeout_server.log_path.read_text()
    assert "Traceback" not in log and "Invalid request" not in log


def test_many_idle_connections_do_not_block_others(short_timeout_server):
    idle = [socket.create_connection(("127.0.0.1", short_timeout_server.port)) for _ in range(200)]
    try:
        started = time.monotonic()
        assert (
            requests.get(
                short_timeout_server.url + "/clientes", headers=short_timeout_server.headers, timeout=5
            ).status_code
            == 200
        )
        assert time.monotonic() - started < 2
    finally:
        for sock in idle:
            sock.close()
