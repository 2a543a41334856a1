"""A counter PC in a test: the desktop client's Client driven with the requests its UI sends.

Shared by the offline tests and the window's: the Client is the window's own
Backend, signed in as the UI signs in (POST /token, then GET /usuarios/me).
"""

from __future__ import annotations

import time

import requests
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess

from webview_client.client import Client
from webview_client.config import ClientConfig

SYNC_INTERVAL = 3.0


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Counter:
    """A counter PC: a Client and the requests its UI makes, with the token its sign-in got."""

    def __init__(self, folder, server: ServerProcess, username=OWNER, password=OWNER_PASSWORD):
        self.client = Client(folder, server.url, ClientConfig(timeout=2, sync_interval=SYNC_INTERVAL), server.verify)
        signed = self.call("POST", "/token", form={"username": username, "password": password})
        assert signed["status"] == 200, signed
        self.token = signed["body"]["access_token"]
        assert self.call("GET", "/usuarios/me")["status"] == 200
        wait_for(lambda: self.client.replica.filled, what="the first fill")

    def call(self, method, path, **req):
        return self.client.request({"method": method, "path": path, "token": getattr(self, "token", None), **req})

    def ok(self, method, path, status=200, **req):
        answered = self.call(method, path, **req)
        assert answered["status"] == status, (method, path, answered)
        return answered["body"]

    def sell(self, producto, cantidad, monto):
        """A cash sale of one product line, as the POS sends it."""
        return self.ok(
            "POST",
            "/ventas",
            201,
            json={
                "items": [{"producto_id": producto["id"], "cantidad": cantidad}],
                "pagos": [{"metodo": "efectivo", "monto": monto}],
            },
        )

    def settled(self):
        state = self.client.estado()
        return state["online"] and state["pendientes"] == 0 and state["progreso"] is None

    def close(self):
        self.client.close()


def owner_ok(server, method, path, status=200, **kw):
    response = requests.request(
        method,
        server.url + path,
        headers={"Authorization": f"Bearer {server.token}"},
        verify=server.verify,
        timeout=10,
        **kw,
    )
    assert response.status_code == status, (path, response.text)
    return response.json()
