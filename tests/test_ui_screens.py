"""Every main screen, as the owner sees it at 1366×768: it opens from its address, labels every
input (a visible label or an accessible name), fits the width, and leaves a screenshot in
docs/screenshots/ for the README's "Uso diario". The page watcher (browser.UiPage) fails any
screen that makes a request off the machine, breaks the CSP or throws."""

from __future__ import annotations

import pytest
from conftest import Api
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

UNLABELED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => !(el.labels && [...el.labels].some((l) => l.textContent.trim()))
        && !(el.getAttribute('aria-label') || '').trim() && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 140))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def first(api: Api, path: str, **params) -> dict:
    return api.ok("GET", path, params={"limit": 1, **params})["items"][0]


@pytest.fixture(scope="module")
def records(shop) -> dict[str, str]:
    """One record of each kind from the demo shop, for the detail screens."""
    api = Api(shop.url, shop.token, verify=shop.verify)
    try:
        return {
            "orden": first(api, "/ordenes", estado="en_reparacion")["id"],
            "cliente": first(api, "/clientes")["id"],
            "producto": first(api, "/inventario")["id"],
            "venta": first(api, "/ventas")["id"],
        }
    finally:
        api.close()


SCREENS = [
    ("inicio", "/"),
    ("punto-de-venta", "/ventas/nueva"),
    ("ordenes", "/ordenes"),
    ("tablero", "/ordenes/tablero"),
    ("recibir-equipo", "/ordenes/nueva"),
    ("orden", "/ordenes/{orden}"),
    ("clientes", "/clientes"),
    ("cliente", "/clientes/{cliente}"),
    ("inventario", "/inventario"),
    ("producto", "/inventario/{producto}"),
    ("ventas", "/ventas"),
    ("venta", "/ventas/{venta}"),
    ("respaldos", "/respaldos"),
    ("usuarios", "/usuarios"),
    ("bitacora", "/bitacora"),
    ("taller", "/taller"),
    ("mi-cuenta", "/cuenta"),
]


def settle(page: Page) -> None:
    page.locator("main h1").first.wait_for()
    page.wait_for_load_state("networkidle")


def test_the_sign_in_screen(ui):
    watched = ui()
    page = watched.open("/")
    page.get_by_role("button", name="Entrar").wait_for()
    assert page.evaluate(UNLABELED) == []
    watched.shot("entrar")


def test_every_main_screen_labels_its_inputs_fits_and_is_photographed(ui, records):
    watched = ui("dueno")
    page = watched.page
    for name, path in SCREENS:
        watched.open(path.format(**records))
        settle(page)
        assert page.locator(".screen-error").count() == 0, (name, page.locator(".screen-error").inner_text())
        assert page.evaluate(UNLABELED) == [], name
        assert page.evaluate(OVERFLOW) <= 0, f"{name} is wider than 1366 px"
        watched.shot(name)
