"""HTTPS on the same port: `gen-cert`, serving TLS, and clients that must not hurt the server."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import requests
from conftest import Api
from cryptography import x509
from serverproc import ROOT, ServerProcess, free_port

CERT, KEY = "servitec-cert.pem", "servitec-key.pem"


def gen_cert(out_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "gen-cert", "--out-dir", str(out_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def printed_fingerprint(stdout: str) -> str:
    return re.search(r"^Huella SHA-256: ([0-9A-F:]+)$", stdout, re.MULTILINE).group(1)


def der_fingerprint(der: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def file_fingerprint(cert_path: Path) -> str:
    return der_fingerprint(ssl.PEM_cert_to_DER_cert(cert_path.read_text()))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A certificate from `gen-cert`: (folder, stdout)."""
    out_dir = tmp_path_factory.mktemp("cert")
    result = gen_cert(out_dir, "--host", "servitec.test", "--host", "10.9.8.7")
    assert result.returncode == 0, result.stderr
    return out_dir, result.stdout


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, made):
    out_dir, _ = made
    proc = ServerProcess(
        tmp_path_factory.mktemp("tls"), SSL_CERT=str(out_dir / CERT), SSL_KEY=str(out_dir / KEY), LOG_LEVEL="DEBUG"
    ).start()
    yield proc
    proc.stop()


def test_gen_cert_prints_the_fingerprint_names_and_settings_of_what_it_wrote(made):
    out_dir, stdout = made
    cert_path, key_path = out_dir / CERT, out_dir / KEY
    assert printed_fingerprint(stdout) == file_fingerprint(cert_path)
    assert f"SSL_CERT={cert_path}" in stdout.splitlines() and f"SSL_KEY={key_path}" in stdout.splitlines()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = names.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert {"localhost", "servitec.test", socket.gethostname().lower()} <= set(dns)
    assert {"127.0.0.1", "::1", "10.9.8.7"} <= set(ips)
    printed = re.search(r"^Válido para: +(.+)$", stdout, re.MULTILINE).group(1).split(", ")
    assert printed == [str(name.value) for name in names]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=825)
    assert cert.issuer == cert.subject


def test_gen_cert_refuses_to_overwrite_without_force(tmp_path):
    first = gen_cert(tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / CERT).read_bytes(), (tmp_path / KEY).read_bytes()
    refused = gen_cert(tmp_path)
    assert refused.returncode == 2
    assert "Ya hay un certificado" in refused.stderr and "--force" in refused.stderr
    assert ((tmp_path / CERT).read_bytes(), (tmp_path / KEY).read_bytes()) == before
    (tmp_path / KEY).chmod(0o644)
    forced = gen_cert(tmp_path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert printed_fingerprint(forced.stdout) == file_fingerprint(tmp_path / CERT) != printed_fingerprint(first.stdout)
    assert stat.S_IMODE((tmp_path / KEY).stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == [CERT, KEY]  # no drafts left behind


def test_gen_cert_refuses_bad_options(tmp_path):
    for args, message in ((("--days", "0"), "--days"), (("--host", "no válido!"), "no válido!")):
        result = gen_cert(tmp_path, *args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


def test_https_works_with_the_certificate_as_the_only_trust(tls_server):
    assert tls_server.url.startswith("https://") and tls_server.verify
    status = requests.get(tls_server.url + "/", verify=tls_server.verify, timeout=10)
    assert status.status_code == 200 and status.json()["db"] == "ok"
    api = Api(tls_server.url, tls_server.token, tls_server.verify)
    created = api.ok("POST", "/clientes", 201, json={"nombre": "Cliente por HTTPS"})
    assert api.ok("GET", f"/clientes/{created['id']}") == created
    api.session.close()
    assert f"escuchando en https://127.0.0.1:{tls_server.port}" in tls_server.log_path.read_text()


def test_a_self_signed_certificate_fails_against_the_default_ca_bundle(tls_server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/", verify=requests.certs.where(), timeout=10)


def test_a_client_can_pin_the_printed_fingerprint(tls_server, made):
    _, stdout = made
    # What a desktop client does: accept any certificate, then compare its hash.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw, context.wrap_socket(raw) as tls:
        assert der_fingerprint(tls.getpeercert(binary_form=True)) == printed_fingerprint(stdout)


def test_tls_1_2_and_1_3_only(tls_server):
    def handshake(version: ssl.TLSVersion) -> str:
        context = ssl.create_default_context(cafile=tls_server.verify)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer old versions at all
        context.minimum_version = context.maximum_version = version
        with (
            socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            return tls.version()

    assert handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ssl.SSLError):
            handshake(ssl.TLSVersion.TLSv1_1)
    time.sleep(0.2)
    assert "UNSUPPORTED_PROTOCOL" in tls_server.log_path.read_text()  # the server refused it, not this client


def test_plain_http_garbage_and_dropped_connections_do_not_hurt_the_server(tls_server):
    port = tls_server.port
    # A client that connects and says nothing does not hold up anyone else's handshake.
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert requests.get(tls_server.url + "/", verify=tls_server.verify, timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=10)
    socket.create_connection(("127.0.0.1", port), timeout=10).close()
    for junk in (os.urandom(4096), b"\x16\x03\x01\x00\xff\x01\x00", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(junk)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):  # the server answers nothing useful and hangs up
                pass
    silent.close()
    for _ in range(5):
        assert requests.get(tls_server.url + "/", verify=tls_server.verify, timeout=10).status_code == 200
    assert tls_server.proc.poll() is None
    log = tls_server.log_path.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log
    assert "Conexión TLS de 127.0.0.1 descartada: [SSL: HTTP_REQUEST]" in log


def test_a_key_that_does_not_match_stops_the_start_with_a_clear_message(tmp_path, made):
    out_dir, _ = made
    other = tmp_path / "otro"
    assert gen_cert(other).returncode == 0
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "SSL_CERT": str(out_dir / CERT),
        "SSL_KEY": str(other / KEY),
    }
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 2, result.stderr
    assert "No se pudo usar el certificado" in result.stderr and "Traceback" not in result.stderr
