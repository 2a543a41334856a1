"""Issue 2, Acceptance 2: /docs renders Swagger UI with every endpoint and model, and no request
leaves the machine — checked in headless Chromium with every non-local request blocked. Issue 3:
the page signs in with Swagger UI's Authorize button (OAuth2 password flow against POST /token)
and runs under a Content-Security-Policy that it never violates.

The page is opened twice: as http://127.0.0.1:<port>/docs and as http://servitec.test:<port>/docs
(Chromium maps that name to 127.0.0.1), which is how a shop's other computers open it: by a name
that is not localhost. Swagger UI behaves differently then (its online validator badge, for one,
would call validator.swagger.io), so both must stay on the machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

import pytest
import requests
from browser import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route
from serverproc import OWNER, OWNER_PASSWORD

pytestmark = pytest.mark.browser  # Chromium through Playwright

LAN_NAME = "servitec.test"
SWAGGER_FILES = (
    "/swagger/js/swagger-ui-bundle.js",
    "/swagger/js/swagger-ui-standalone-preset.js",
    "/swagger/css/swagger-ui.css",
)
TAGS = [
    "Usuarios y sesión",
    "Clientes",
    "Inventario",
    "Órdenes de servicio",
    "Ventas",
    "Estadísticas",
    "Taller",
    "Sincronización",
    "Respaldos",
]
BROKEN_RENDER_TEXTS = ("Could not render", "Resolver error", "Failed to load API definition", "Unable to render")


@dataclass
class DocsPage:
    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the machine
    responses: dict[str, int] = field(default_factory=dict)  # path -> status, of what the page loaded
    headers: dict[str, str] = field(default_factory=dict)  # of the /docs response
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def route(self, route: Route, request: Request) -> None:
        if request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url} ({request.resource_type})")
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        # Chromium reports what the Content-Security-Policy blocks on the console.
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)
        if message.type == "error":
            self.console_errors.append(message.text)

    def assert_nothing_left_the_machine(self) -> None:
        __tracebackhide__ = True
        assert not self.blocked, "requests that tried to leave the machine (blocked):\n  " + "\n  ".join(self.blocked)
        assert not self.page_errors, "JavaScript errors on /docs:\n  " + "\n  ".join(self.page_errors)
        assert not self.console_errors, "console errors on /docs:\n  " + "\n  ".join(self.console_errors)
        assert not self.csp_violations, "CSP violations on /docs:\n  " + "\n  ".join(self.csp_violations)


@pytest.fixture(scope="module")
def browser(playwright) -> Browser:
    # A browser of its own: the LAN name must resolve to 127.0.0.1.
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"]
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def spec(server) -> dict:
    response = requests.get(server.url + "/openapi.json", timeout=10, verify=server.verify)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module", params=["127.0.0.1", LAN_NAME])
def docs(request, browser, server) -> DocsPage:
    """/docs loaded and rendered, with everything not on this appliance blocked and recorded."""
    origin = f"{server.url.split(':', 1)[0]}://{request.param}:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=bool(server.verify))
    page = context.new_page()
    docs = DocsPage(page, origin)
    page.route("**/*", docs.route)
    page.on(
        "response",
        lambda r: (
            docs.responses.__setitem__(r.url.removeprefix(origin), r.status) if r.url.startswith(origin + "/") else None
        ),
    )
    page.on("pageerror", lambda error: docs.page_errors.append(str(error)))
    page.on("console", docs.console)
    docs.headers = page.goto(origin + "/docs").headers
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    yield docs
    context.close()


def _operations(spec: dict) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    ]


def _operation_block(page: Page, method: str, path: str):
    return page.locator(f".opblock.opblock-{method}:has(> .opblock-summary .opblock-summary-path[data-path='{path}'])")


def _sign_in(page: Page) -> None:
    """Authorize button → OAuth2 password flow: Swagger UI posts the form to /token and keeps the token."""
    page.locator(".auth-wrapper button.authorize").click()
    modal = page.locator(".modal-ux")
    modal.locator("#oauth_username").fill(OWNER)
    modal.locator("#oauth_password").fill(OWNER_PASSWORD)
    modal.locator("button.modal-btn.authorize").click()
    modal.get_by_role("button", name="Remove authorization").wait_for(timeout=15_000)
    assert modal.locator("h6").inner_text() == "Authorized" and modal.locator(".errors").count() == 0
    modal.locator("button.btn-done").click()
    modal.wait_for(state="detached")


def _inline_script_hashes(html: str) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    ]


def test_docs_run_under_a_content_security_policy(docs, server):
    policy = docs.headers.get("content-security-policy")
    assert policy, f"/docs without a Content-Security-Policy: {docs.headers}"
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'", policy
    assert "unsafe" not in directives["script-src"], policy
    assert docs.headers.get("x-frame-options") == "DENY"
    assert docs.headers.get("referrer-policy") == "no-referrer"
    assert docs.headers.get("x-content-type-options") == "nosniff"
    # The Swagger UI start-up script, on /docs and on the plugin's /swagger page, is allowed by its hash.
    for path in ("/docs", "/swagger"):
        page = requests.get(server.url + path, timeout=10, verify=server.verify)
        hashes = _inline_script_hashes(page.text)
        assert hashes and set(hashes) <= set(directives["script-src"].split()), (path, hashes, policy)
        assert page.headers["Content-Security-Policy"] == policy
    docs.page.wait_for_load_state("networkidle")
    assert not docs.csp_violations, docs.csp_violations


def test_every_response_says_nosniff(server):
    for path, headers in (
        ("/", {}),
        ("/openapi.json", {}),
        (SWAGGER_FILES[0], {}),
        ("/clientes", {}),
        ("/clientes", server.headers),
        ("/no-existe", server.headers),
    ):
        response = requests.get(server.url + path, headers=headers, timeout=10, verify=server.verify)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (path, response.headers)
        assert "Content-Security-Policy" not in response.headers, path  # not HTML: nothing to run
        assert "Traceback" not in response.text, path


def test_docs_and_swagger_files_come_from_the_appliance(docs, server):
    docs.page.wait_for_load_state("networkidle")
    for path in ("/docs", "/openapi.json", *SWAGGER_FILES):
        assert docs.responses.get(path) == 200, f"{path} was not loaded from the appliance: {docs.responses}"
    for path in SWAGGER_FILES:
        response = requests.get(server.url + path, timeout=10, verify=server.verify)
        assert response.status_code == 200 and len(response.content) > 1000, (path, response.status_code)
    docs.assert_nothing_left_the_machine()


def test_docs_render_every_operation(docs, spec):
    page = docs.page
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("ServitecManager API")
    missing = [
        f"{method.upper()} {path}"
        for method, path in _operations(spec)
        if _operation_block(page, method, path).count() != 1
    ]
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
    _sign_in(page)
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
    stored = requests.get(
        f"{server.url}/clientes/{created['id']}", headers=server.headers, timeout=10, verify=server.verify
    )
    assert stored.status_code == 200 and stored.json()["nombre"] == "Prueba Docs"
    screenshot = tmp_path / "docs.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    docs.assert_nothing_left_the_machine()
