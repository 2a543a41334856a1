"""Issue 2, Acceptance 2: /docs renders Swagger UI with every endpoint and model, and no request
leaves the machine — checked in headless Chromium with every non-local request blocked.

The page is opened twice: as http://127.0.0.1:<port>/docs and as http://servitec.test:<port>/docs
(Chromium maps that name to 127.0.0.1), which is how a shop's other computers open it: by a name
that is not localhost. Swagger UI behaves differently then (its online validator badge, for one,
would call validator.swagger.io), so both must stay on the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LAN_NAME = "servitec.test"
SWAGGER_FILES = ("/swagger/js/swagger-ui-bundle.js", "/swagger/js/swagger-ui-standalone-preset.js",
                 "/swagger/css/swagger-ui.css")
TAGS = ["Clientes", "Inventario", "Órdenes de servicio", "Ventas", "Estadísticas"]
BROKEN_RENDER_TEXTS = ("Could not render", "Resolver error", "Failed to load API definition", "Unable to render")


@dataclass
class DocsPage:
    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the machine
    responses: dict[str, int] = field(default_factory=dict)  # path -> status, of what the page loaded
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def route(self, route: Route, request: Request) -> None:
        if request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url} ({request.resource_type})")
            route.abort()

    def assert_nothing_left_the_machine(self) -> None:
        __tracebackhide__ = True
        assert not self.blocked, "requests that tried to leave the machine (blocked):\n  " + "\n  ".join(self.blocked)
        assert not self.page_errors, "JavaScript errors on /docs:\n  " + "\n  ".join(self.page_errors)
        assert not self.console_errors, "console errors on /docs:\n  " + "\n  ".join(self.console_errors)


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + [f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def spec(server) -> dict:
    response = requests.get(server.url + "/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module", params=["127.0.0.1", LAN_NAME])
def docs(request, browser, server) -> DocsPage:
    """/docs loaded and rendered, with everything not on this appliance blocked and recorded."""
    origin = f"http://{request.param}:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    docs = DocsPage(page, origin)
    page.route("**/*", docs.route)
    page.on("response", lambda r: docs.responses.__setitem__(r.url.removeprefix(origin), r.status)
            if r.url.startswith(origin + "/") else None)
    page.on("pageerror", lambda error: docs.page_errors.append(str(error)))
    page.on("console", lambda m: docs.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(origin + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    yield docs
    context.close()


def _operations(spec: dict) -> list[tuple[str, str]]:
    return [(method, path) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "delete", "patch")]


def _operation_block(page: Page, method: str, path: str):
    return page.locator(f".opblock.opblock-{method}:has(> .opblock-summary .opblock-summary-path[data-path='{path}'])")


def test_docs_and_swagger_files_come_from_the_appliance(docs, server):
    docs.page.wait_for_load_state("networkidle")
    for path in ("/docs", "/openapi.json", *SWAGGER_FILES):
        assert docs.responses.get(path) == 200, f"{path} was not loaded from the appliance: {docs.responses}"
    for path in SWAGGER_FILES:
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 200 and len(response.content) > 1000, (path, response.status_code)
    docs.assert_nothing_left_the_machine()


def test_docs_render_every_operation(docs, spec):
    page = docs.page
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("ServitecManager API")
    missing = [f"{method.upper()} {path}" for method, path in _operations(spec)
               if _operation_block(page, method, path).count() != 1]
    assert not missing, f"operations of /openapi.json without their block in /docs: {missing}"
    assert page.locator(".swagger-ui .opblock").count() == len(_operations(spec))
    tags = [t.strip() for t in page.locator(".swagger-ui .opblock-tag").all_inner_texts()]
    assert tags == [tag["name"] for tag in spec["tags"]] == TAGS
    assert page.locator(".swagger-ui .errors-wrapper").count() == 0, page.locator(".errors-wrapper").inner_text()
    text = page.locator("body").inner_text()
    assert not [t for t in BROKEN_RENDER_TEXTS if t in text], text[:2000]
    docs.assert_nothing_left_the_machine()


def test_docs_list_every_schema(docs, spec):
    section = docs.page.locator(".swagger-ui section.models")
    assert section.locator("h4").inner_text().strip() == "Schemas"
    shown = set(section.locator(".json-schema-2020-12__title").all_inner_texts())
    expected = set(spec["components"]["schemas"])
    assert expected <= shown, f"schemas missing from /docs: {sorted(expected - shown)}"
    docs.assert_nothing_left_the_machine()


def test_try_it_out_creates_a_customer(docs, server, tmp_path):
    page = docs.page
    block = _operation_block(page, "post", "/clientes")
    block.locator(".opblock-summary-control").click()
    block.locator(".try-out__btn").click()
    block.locator("textarea.body-param__text").fill('{"nombre":"Prueba Docs"}')
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status")
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip() == "201", block.locator(".live-responses-table").inner_text()
    created = json.loads(block.locator(".live-responses-table .response-col_description pre").first.inner_text())
    assert created["nombre"] == "Prueba Docs"
    stored = requests.get(f"{server.url}/clientes/{created['id']}", timeout=10)
    assert stored.status_code == 200 and stored.json()["nombre"] == "Prueba Docs"
    screenshot = tmp_path / "docs.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    docs.assert_nothing_left_the_machine()
