"""Fixtures: a real appliance process on 127.0.0.1, and a client for its API."""

from __future__ import annotations

import uuid

import pytest
import requests

from serverproc import ServerProcess


class Api:
    """requests.Session bound to one server; `api.post("/clientes", json=...)`."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
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
def api(server) -> Api:
    return Api(server.url)


@pytest.fixture
def unique() -> str:
    """A short unique token to keep one test's records apart from another's."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def module_api(server) -> Api:
    """An Api for module-scoped fixtures (records shared by one test module)."""
    client = Api(server.url)
    yield client
    client.session.close()


@pytest.fixture
def fresh_api(fresh_server):
    """An Api on `fresh_server`; its connections are closed before the server stops."""
    client = Api(fresh_server.url)
    yield client
    client.session.close()


@pytest.fixture
def server_with(tmp_path):
    """Factory of appliances with their own settings: `proc, api = server_with(PRICES_INCLUDE_IVA="false")`."""
    started: list[tuple[ServerProcess, Api]] = []

    def start(**env: str) -> tuple[ServerProcess, Api]:
        proc = ServerProcess(tmp_path / f"data{len(started)}", **env).start()
        started.append((proc, Api(proc.url)))
        return started[-1]

    yield start
    for proc, client in started:
        client.session.close()
        proc.stop()
