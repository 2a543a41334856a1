"""Start the real appliance as a separate process on 127.0.0.1 and a free port."""

from __future__ import annotations

import atexit
import functools
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent

OWNER = "dueno"
OWNER_PASSWORD = "clave-del-dueno-de-pruebas"
_owner_hash: str | None = None


def seed_owner(db_path: Path) -> None:
    """Give a test database its owner account (the tests' stand-in for `create-user --rol dueno`).

    The argon2 hash is made once per test session: hashing on purpose costs
    ~150 ms, and dozens of test servers start. The CLI itself is tested in test_auth.
    """
    global _owner_hash
    from appliance.security import passwords
    from appliance.shop import usuarios
    from appliance.store import Database

    _owner_hash = _owner_hash or passwords.hash_password(OWNER_PASSWORD)
    database = Database(db_path, exclusive=False)
    try:
        with database.write() as tx:
            if usuarios.login_row(tx, OWNER) is None:
                usuarios.create_usuario(
                    tx, {"username": OWNER, "nombre": "Dueño de pruebas", "rol": "dueno"}, _owner_hash
                )
    finally:
        database.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def suite_tls_env() -> dict[str, str]:
    """SERVITEC_TEST_TLS=1: one certificate for every server of the test session."""
    from appliance.security.certs import generate

    folder = tempfile.mkdtemp(prefix="servitec-test-tls-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    cert = generate(folder, days=1)
    # Tests that call requests with server.url directly verify against it too.
    os.environ["REQUESTS_CA_BUNDLE"] = str(cert.cert_path)
    return {"SSL_CERT": str(cert.cert_path), "SSL_KEY": str(cert.key_path)}


# Exits 0 once host:port accepts a TCP connection, 1 after the seconds given.
_PORT_OPEN = """
import socket, sys, time
host, port, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        socket.create_connection((host, port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
"""


def terminate(proc: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM, and SIGKILL if `proc` is still there after `grace` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServerProcess:
    """`python -m appliance serve` with its own data folder; restartable on the same database."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        owner: bool = True,
        netns: str | None = None,
        address: str = "127.0.0.1",
        **env: str,
    ):
        """`owner=False` leaves the database without accounts (the first-run state).

        `netns`: run inside that network namespace (tests/netns.py), where clients reach it at
        `address`. This process is outside it, so the owner is seeded but not signed in (no token).
        """
        self.data_dir = Path(data_dir)
        self.owner = owner
        self.netns = netns
        self.address = address
        self.token: str | None = None
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "BACKUP_DIR": str(self.data_dir / "backups"),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            **env,
        }
        if os.environ.get("SERVITEC_TEST_TLS") == "1" and "SSL_CERT" not in self.env:
            self.env.update(suite_tls_env())
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.verify else 'http'}://{self.address}:{self.port}"

    @property
    def verify(self) -> str | None:
        """For requests' `verify=`: the server's own certificate under TLS, None over plain HTTP."""
        return self.env.get("SSL_CERT") or None

    def connection(self, source_address: tuple[str, int] | None = None) -> http.client.HTTPConnection:
        """An http.client connection to this server, over TLS when it serves HTTPS."""
        if self.verify:
            context = ssl.create_default_context(cafile=self.verify)
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=10, context=context, source_address=source_address
            )
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=source_address)

    @property
    def db_path(self) -> Path:
        return Path(self.env.get("DB_PATH") or self.data_dir / "SERVITEC.DB")

    def start(self, timeout: float = 20.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "appliance", "serve"]
        if self.netns:
            if self.owner:
                seed_owner(self.db_path)
            command = ["ip", "netns", "exec", self.netns, *command]
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if self.netns:
            return self._wait_in_netns(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()}")
            try:
                if requests.get(self.url + "/", timeout=1, verify=self.verify).status_code == 200:
                    if self.owner and self.token is None:
                        seed_owner(self.db_path)
                        self.token = self.login(OWNER, OWNER_PASSWORD)
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not answer within {timeout}s: {self.log_path.read_text()}")

    def _wait_in_netns(self, timeout: float) -> ServerProcess:
        """Wait until the port accepts connections, probed from inside the namespace."""
        waiter = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.netns,
                sys.executable,
                "-c",
                _PORT_OPEN,
                self.address,
                str(self.port),
                str(timeout),
            ]
        )
        while waiter.poll() is None:
            if self.proc.poll() is not None:
                waiter.kill()
                waiter.wait()
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()}")
            time.sleep(0.05)
        if waiter.returncode != 0:
            self.kill()
            raise RuntimeError(f"server did not answer within {timeout}s: {self.log_path.read_text()}")
        return self

    def login(self, username: str, password: str) -> str:
        """Sign in through POST /token; return the access token."""
        response = requests.post(
            self.url + "/token", data={"username": username, "password": password}, timeout=10, verify=self.verify
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        """The owner's Authorization header, for clients other than `Api` (wrk, raw sockets)."""
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit code."""
        if self.proc:
            terminate(self.proc)
        return self.proc.returncode if self.proc else None

    def kill(self) -> None:
        """kill -9: no chance to flush or close anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
