"""Fixtures: a real appliance process on 127.0.0.1, and a client for its API."""

from __future__ import annotations

import uuid

import pytest
import requests

from serverproc import ServerProcess


class Api:
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


@pytest.fixture
def api(server) -> Api:
    return Api(server.url, server.token, server.verify)


@pytest.fixture
def unique() -> str:
    """A short unique token to keep one test's records apart from another's."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def module_api(server) -> Api:
    """An Api for module-scoped fixtures (records shared by one test module)."""
    client = Api(server.url, server.token, server.verify)
    yield client
    client.session.close()


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
