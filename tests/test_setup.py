"""First run: the owner account is created at /setup, from the server PC only, exactly once.

A blank server (no accounts) refuses every sign-in until then. The page is driven in headless
Chromium with every request that would leave the appliance blocked.
"""

from __future__ import annotations

import threading

import pytest
import requests
from conftest import Api
from serverproc import ServerProcess

OWNER = {"username": "rosa", "nombre": "Rosa Pérez", "password": "taller-de-rosa-2026"}


@pytest.fixture
def blank(tmp_path):
    """A server on first run (no accounts at all) and an anonymous client for it."""
    proc = ServerProcess(tmp_path / "data", owner=False).start()
    client = Api(proc.url, verify=proc.verify)
    yield proc, client
    client.session.close()
    proc.stop()


def _error(response, status: int, code: str) -> dict:
    __tracebackhide__ = True
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


def _configurado(client: Api) -> bool:
    return client.ok("GET", "/")["configurado"]


def test_first_run_creates_the_owner_through_the_setup_page(blank, chromium):
    proc, client = blank
    status = client.ok("GET", "/")
    assert status["configurado"] is False and "/setup" in status["aviso"]
    _error(client.post("/token", data={"username": OWNER["username"], "password": OWNER["password"]}), 403, "sin_dueno")

    context = chromium.new_context(ignore_https_errors=bool(proc.verify))
    page = context.new_page()
    left, console = [], []

    def only_the_appliance(route, request) -> None:
        if request.url.startswith(proc.url + "/"):
            route.continue_()
        else:
            left.append(request.url)
            route.abort()

    page.route("**/*", only_the_appliance)
    # Chromium logs each 4xx answer ("Failed to load resource"); this test provokes a 422 and a 409.
    page.on(
        "console",
        lambda message: (
            console.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    response = page.goto(proc.url + "/setup")
    assert response.status == 200 and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert page.locator("h2").inner_text() == "Configuración inicial del taller"

    page.fill("#username", OWNER["username"])
    page.fill("#nombre", OWNER["nombre"])
    page.fill("#password", OWNER["password"])
    page.fill("#repetir", OWNER["password"] + "x")
    page.click("button[type=submit]")
    assert page.locator(".campo-error[data-campo=repetir]").inner_text() == "Las contraseñas no coinciden."

    page.fill("#password", "corta")
    page.fill("#repetir", "corta")
    page.click("button[type=submit]")
    page.locator(".campo-error[data-campo=password]").filter(has_text="Mínimo 8").wait_for(timeout=10_000)
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.locator(".campo-error[data-campo=repetir]").inner_text() == ""
    assert _configurado(client) is False

    page.fill("#password", OWNER["password"])
    page.fill("#repetir", OWNER["password"])
    page.click("button[type=submit]")
    page.locator("#listo").wait_for(timeout=10_000)
    assert page.locator("#formulario").is_hidden()
    assert page.locator("#listo-usuario").inner_text() == OWNER["username"]
    # The page's link leads to the staff UI, where the new owner signs in.
    page.locator("#listo a").click()
    page.get_by_label("Usuario").fill(OWNER["username"])
    page.get_by_label("Contraseña").fill(OWNER["password"])
    page.get_by_role("button", name="Entrar").click()
    page.locator(".quien").filter(has_text="Rosa Pérez · Dueño").wait_for(timeout=10_000)
    page.go_back()  # back to /setup

    # Refused once the shop has its owner: the page says so in the browser, the API in its error shape.
    response = page.reload()
    assert response.status == 409
    assert "ya está configurado" in page.locator(".aviso").inner_text()
    assert page.locator("form").count() == 0
    assert not left, f"requests that tried to leave the machine: {left}"
    assert not console, "console messages on /setup:\n  " + "\n  ".join(console)
    context.close()

    owner = Api(proc.url, proc.login(OWNER["username"], OWNER["password"]), proc.verify)
    me = owner.ok("GET", "/usuarios/me")
    assert (me["username"], me["nombre"], me["rol"]) == (OWNER["username"], OWNER["nombre"], "dueno")
    status = client.ok("GET", "/")
    assert status["configurado"] is True and "aviso" not in status
    _error(client.get("/setup"), 409, "ya_configurado")
    _error(client.post("/setup", json={**OWNER, "username": "otro"}), 409, "ya_configurado")
    assert [u["username"] for u in owner.ok("GET", "/usuarios")["items"]] == [OWNER["username"]]
    # The audit trail has the creation, from the server PC's address.
    audit = owner.ok("GET", "/auditoria", params={"accion": "usuario_creado"})["items"]
    assert [(row["entidad_id"], row["ip"]) for row in audit] == [(me["id"], "127.0.0.1")]


def test_setup_is_refused_to_a_client_that_is_not_on_the_server_pc(tmp_path):
    # Behind a trusted proxy on 127.0.0.1 the gate takes the client's address from X-Forwarded-For.
    proc = ServerProcess(tmp_path / "data", owner=False, TRUSTED_PROXIES="127.0.0.1/32").start()
    client = Api(proc.url, verify=proc.verify)
    try:
        remote = {"X-Forwarded-For": "192.168.1.50"}
        error = _error(client.get("/setup", headers=remote), 403, "solo_en_el_servidor")
        assert "solo se hace en la PC del servidor" in error["message"]
        assert f"localhost:{proc.port}/setup" in error["message"]
        page = client.get("/setup", headers={**remote, "Accept": "text/html"})
        assert page.status_code == 403 and "solo se hace en la PC del servidor" in page.text
        assert "<form" not in page.text
        _error(client.post("/setup", json=OWNER, headers=remote), 403, "solo_en_el_servidor")
        assert _configurado(client) is False
        # The same server still serves the page to the server PC itself.
        assert client.get("/setup").status_code == 200
    finally:
        client.session.close()
        proc.stop()


def test_setup_is_refused_through_a_proxy_that_was_not_declared(blank):
    # Without TRUSTED_PROXIES the gate ignores X-Forwarded-For: a proxy on the server PC would make
    # every computer of the network look like 127.0.0.1.
    _proc, client = blank
    for header in (
        {"X-Forwarded-For": "192.168.1.50"},
        {"X-Real-IP": "192.168.1.50"},
        {"Forwarded": "for=192.168.1.50"},
    ):
        error = _error(client.get("/setup", headers=header), 403, "solo_en_el_servidor")
        assert "a través de un proxy" in error["message"], header
        _error(client.post("/setup", json=OWNER, headers=header), 403, "solo_en_el_servidor")
    assert _configurado(client) is False


def test_setup_refuses_other_sites_and_anything_but_json(blank):
    proc, client = blank
    _error(
        client.post("/setup", json=OWNER, headers={"Origin": "http://tienda-falsa.test"}), 403, "origen_no_permitido"
    )
    _error(client.post("/setup", json=OWNER, headers={"Origin": "null"}), 403, "origen_no_permitido")
    # DNS rebinding: a site whose name resolves to 127.0.0.1 is same-origin with itself, not with the server.
    rebound = f"tienda-falsa.test:{proc.port}"
    _error(
        client.post("/setup", json=OWNER, headers={"Host": rebound, "Origin": f"http://{rebound}"}),
        403,
        "solo_en_el_servidor",
    )
    # A cross-site HTML form can only send form encodings or text/plain.
    _error(client.post("/setup", data=OWNER), 415, "tipo_no_soportado")
    _error(
        client.post("/setup", data='{"username": "rosa"}', headers={"Content-Type": "text/plain"}),
        415,
        "tipo_no_soportado",
    )
    assert _configurado(client) is False
    # The page's own origin is accepted.
    assert client.post("/setup", json=OWNER, headers={"Origin": proc.url}).status_code == 201


def test_setup_answers_field_errors_in_spanish(blank):
    proc, client = blank
    error = _error(client.post("/setup", json={**OWNER, "password": "corta"}), 422, "datos_invalidos")
    assert error["fields"] == {"password": "Mínimo 8 caracteres."}
    error = _error(client.post("/setup", json={**OWNER, "username": "Rosa Pérez"}), 422, "datos_invalidos")
    assert error["fields"] == {"username": "Formato no válido."}
    error = _error(client.post("/setup", json={"username": "rosa", "password": OWNER["password"]}), 422, "validacion")
    assert error["fields"] == {"nombre": "Campo obligatorio."}
    _error(client.post("/setup", json={**OWNER, "rol": "tecnico"}), 422, "validacion")
    assert _configurado(client) is False
    assert "Traceback" not in proc.log_path.read_text()


def test_simultaneous_setups_create_exactly_one_owner(blank):
    proc, _client = blank
    candidates = [{**OWNER, "username": f"dueno{n}"} for n in range(3)]
    start = threading.Barrier(len(candidates))
    statuses: dict[str, int] = {}

    def submit(body: dict) -> None:
        start.wait()
        statuses[body["username"]] = requests.post(
            proc.url + "/setup", json=body, timeout=30, verify=proc.verify
        ).status_code

    threads = [threading.Thread(target=submit, args=(body,)) for body in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [username for username, status in statuses.items() if status == 201]
    assert len(winners) == 1 and sorted(statuses.values()) == [201, 409, 409], statuses
    owner = Api(proc.url, proc.login(winners[0], OWNER["password"]), proc.verify)
    assert [(u["username"], u["rol"]) for u in owner.ok("GET", "/usuarios")["items"]] == [(winners[0], "dueno")]
