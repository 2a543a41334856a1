"""Fixtures: a real appliance process on 127.0.0.1 and a client for its API; the appliance in-process.

Two tiers. Most tests talk HTTP to `python -m appliance serve` (ServerProcess).
The validation and permission matrices, hundreds of requests that need no
network, drive the very same app in this process through Flask's test client
(InProcessServer): same database code, same views, no socket.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from browser import chromium, playwright, shop, ui  # noqa: F401  (the staff UI's fixtures)
from desktop import window, xvfb  # noqa: F401  (the desktop window's fixtures)
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess, seed_owner


class Verbs:
    """get/post/put/delete/ok over `request(method, path, **requests_kwargs)`."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw) -> dict:
        """Make the request and assert its status; return the JSON body."""
        response = self.request(method, path, **kw)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json()


class Api(Verbs):
    """requests.Session bound to one server, signed in; `api.post("/clientes", json=...)`.

    `Api(server.url, server.token)` acts as the owner; `Api(url)` as nobody.
    """

    def __init__(self, base_url: str, token: str | None = None, verify: str | None = None):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        # Per request, not session.verify: requests lets REQUESTS_CA_BUNDLE override the session's.
        self.verify = verify

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.base_url + path, **kwargs)

    def close(self) -> None:
        self.session.close()


class Answer:
    """A Flask test response read like a requests.Response (what the tests and helpers use of one)."""

    def __init__(self, method: str, path: str, response: Any):
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.get_data()
        self.text = self.content.decode("utf-8", "replace")
        self.url = path
        self.request = SimpleNamespace(method=method)

    def json(self) -> Any:
        return json.loads(self.content)  # raises ValueError on a body that is not JSON, as requests does


class InProcessApi(Verbs):
    """Requests to an InProcessServer, with the bearer token of `token` (none: anonymous)."""

    def __init__(self, http: Any, token: str | None = None):
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        kwargs.pop("timeout", None)
        kwargs.pop("verify", None)
        headers = {**self.headers, **(kwargs.pop("headers", None) or {})}
        if "json" in kwargs:  # encoded as requests does (the app's own encoder refuses what a client may send)
            kwargs["data"] = json.dumps(kwargs.pop("json")).encode()
            headers.setdefault("Content-Type", "application/json")
        response = self.http.open(
            path, method=method, headers=headers, query_string=kwargs.pop("params", None), **kwargs
        )
        return Answer(method, path, response)

    def close(self) -> None:
        pass


class InProcessServer:
    """create_app over a database of its own, in this process; signed in as the seeded owner."""

    def __init__(self, data_dir: Path):
        from appliance.app import create_app
        from appliance.config import Config
        from appliance.store import Database

        data_dir.mkdir(parents=True, exist_ok=True)
        config = Config.from_env(
            {"DATA_DIR": str(data_dir), "BACKUP_DIR": str(data_dir / "backups"), "LOG_LEVEL": "WARNING"}
        )
        self.database = Database(config.db_path)
        seed_owner(self.database.path)
        self.app = create_app(config, self.database)
        self.http = self.app.test_client()
        self.token = self.login(OWNER, OWNER_PASSWORD)

    @property
    def db_path(self) -> Path:
        return Path(self.database.path)

    def login(self, username: str, password: str) -> str:
        response = self.http.post("/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["access_token"]

    def close(self) -> None:
        self.database.close()


def client_of(server: ServerProcess | InProcessServer, token: str | None = None) -> Api | InProcessApi:
    """A client of either tier, with `token` (None: anonymous)."""
    if isinstance(server, InProcessServer):
        return InProcessApi(server.http, token)
    return Api(server.url, token, server.verify)


def clients_per_role(server, owner: Api) -> dict[str, Api]:
    """A signed-in client per role: `owner` as dueno, plus a new técnico and mostrador made by it."""
    clients = {"dueno": owner}
    for rol in ("tecnico", "mostrador"):
        username, password = f"{rol}.{uuid.uuid4().hex[:8]}", f"clave-de-{rol}"
        owner.ok(
            "POST",
            "/usuarios",
            201,
            json={"username": username, "nombre": f"Prueba {rol}", "rol": rol, "password": password},
        )
        clients[rol] = client_of(server, server.login(username, password))
    return clients


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One appliance shared by the whole session (tests make their own records)."""
    proc = ServerProcess(tmp_path_factory.mktemp("appliance")).start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """An appliance of the test's own, on an empty database."""
    proc = ServerProcess(tmp_path / "data").start()
    yield proc
    proc.stop()


@pytest.fixture
def blank_server(tmp_path):
    """An appliance on first run: no accounts at all."""
    proc = ServerProcess(tmp_path / "data", owner=False).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """The appliance in-process, shared by one test module; a module opts in by overriding `server` with it."""
    instance = InProcessServer(tmp_path_factory.mktemp("inprocess"))
    yield instance
    instance.close()


@pytest.fixture
def api(server) -> Api:
    return client_of(server, server.token)


@pytest.fixture
def shop_api(shop) -> Api:  # noqa: F811  (the fixture imported from browser above)
    """The owner's Api on the UI tests' `shop` (browser.py)."""
    client = client_of(shop, shop.token)
    yield client
    client.close()


@pytest.fixture
def unique() -> str:
    """A short unique token to keep one test's records apart from another's."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def module_api(server) -> Api:
    """An Api for module-scoped fixtures (records shared by one test module)."""
    client = client_of(server, server.token)
    yield client
    client.close()


@pytest.fixture
def fresh_api(fresh_server):
    """An Api on `fresh_server`; its connections are closed before the server stops."""
    client = Api(fresh_server.url, fresh_server.token, fresh_server.verify)
    yield client
    client.session.close()


@pytest.fixture
def server_with(tmp_path):
    """Factory of appliances with their own settings: `proc, api = server_with(PRICES_INCLUDE_IVA="false")`."""
    started: list[tuple[ServerProcess, Api]] = []

    def start(**env: str) -> tuple[ServerProcess, Api]:
        proc = ServerProcess(tmp_path / f"data{len(started)}", **env).start()
        started.append((proc, Api(proc.url, proc.token, proc.verify)))
        return started[-1]

    yield start
    for proc, client in started:
        client.session.close()
        proc.stop()
