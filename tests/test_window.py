"""Issue 12: the desktop client's window. The real pywebview window (Qt WebEngine on Xvfb) shows the
staff UI from its local copy, talks to the appliance only through its bridge, opens that copy with
the server down, and finds its server by config.json or by an address a person types.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import address_finder
import apsw
import pytest
import requests
from counter import Counter, owner_ok, wait_for
from serverproc import OWNER, OWNER_PASSWORD, ServerProcess, free_port

from webview_client.online import OnlineBackend
from webview_client.replica import PROVISIONAL_FOLIO
from webview_client.transport import Transport
from webview_client.ui_copy import CopyError, UiCopy

pytestmark = pytest.mark.desktop


@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("desktop-server")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def counter(tmp_path_factory, appliance):
    """One counter PC's client folder, kept across this module's tests (its copy, its last server)."""
    folder = tmp_path_factory.mktemp("desktop-client")
    (folder / "config.json").write_text(json.dumps({"api_server": {"url": appliance.url, "timeout": 3}}))
    return folder


def server_manifest(server: ServerProcess) -> dict:
    response = requests.get(server.url + "/ui/manifest", timeout=10, verify=server.verify)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    return response.json()


def transport(server: ServerProcess) -> Transport:
    return Transport(server.url, 5, 0, server.verify)


def sign_in(page) -> None:
    page.type("input[name=username]", OWNER)
    page.type("input[type=password]", OWNER_PASSWORD)
    page.click(".entrar form button[type=submit]")
    page.wait("document.querySelector('nav.menu a')")


def local_origin(page) -> str:
    return page.js("location.origin")


def test_the_manifest_lists_what_ui_serves(appliance):
    manifest = server_manifest(appliance)
    page = requests.get(appliance.url + "/", headers={"Accept": "text/html"}, timeout=10, verify=appliance.verify)
    assert f'src="ui/{manifest["tag"]}/js/app.js"' in page.text
    assert manifest["politica"] == page.headers["Content-Security-Policy"]
    assert "{{ tag }}" in manifest["plantilla"] and "js/app.js" in manifest["modulos"]
    names = [entry["ruta"] for entry in manifest["archivos"]]
    assert "index.html" not in names and "js/transport.js" in names and "css/app.css" in names
    for entry in manifest["archivos"][:5]:
        body = requests.get(
            f"{appliance.url}/ui/{manifest['tag']}/{entry['ruta']}", timeout=10, verify=appliance.verify
        )
        assert (len(body.content), hashlib.sha256(body.content).hexdigest()) == (entry["tamano"], entry["sha256"])


def test_the_window_signs_in_and_shows_inicio_from_its_copy(window, counter, appliance):
    shown = window(counter, appliance)
    page = shown.page
    page.wait("document.querySelector('.entrar form')")
    # The page is the copy's, on the window's own site; the server never sees the window's browser.
    origin = local_origin(page)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin) and origin != appliance.url
    tag = server_manifest(appliance)["tag"]
    assert page.js("document.querySelector('script[type=module]').getAttribute('src')") == f"ui/{tag}/js/app.js"
    assert page.js("Boolean(document.querySelector('meta[name=servitec-puente]'))")
    pointer = json.loads((counter / "ui" / "actual.json").read_text())
    assert pointer["manifiesto"]["tag"] == tag
    for entry in pointer["manifiesto"]["archivos"]:
        copied = counter / "ui" / pointer["carpeta"] / entry["ruta"]
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == entry["sha256"], entry["ruta"]

    sign_in(page)
    assert page.text("main h1") == "Inicio"
    assert page.text(".conexion") == "En línea"
    page.wait("document.querySelector('.sincronia')?.innerText.includes('0 por enviar')")
    assert "0 por revisar" in page.text(".sincronia")
    assert "Revisar" in page.js("[...document.querySelectorAll('nav.menu a > span')].map(s => s.textContent)")
    page.shot("escritorio-inicio")

    # Live events reach the page through the bridge: a customer made elsewhere shows up.
    page.js("location.hash = '#/clientes'")
    page.wait("document.querySelector('main table')")
    owner_ok(appliance, "POST", "/clientes", 201, json={"nombre": "Alta desde otro mostrador"})
    page.wait("document.querySelector('main table').innerText.includes('Alta desde otro mostrador')")

    page.js("location.hash = '#/revisar'")
    assert "Nada por revisar" in page.text("main .revisar-lista")
    page.shot("escritorio-revisar")

    # A file that is not JSON nor text (a backup) crosses the bridge as base64 and is a Blob again.
    made = requests.post(appliance.url + "/backups", headers=appliance.headers, timeout=60, verify=appliance.verify)
    assert made.status_code == 201, made.text
    name = made.json()["nombre"]
    size = page.js(
        f"""import("./ui/{tag}/js/api.js").then(({{ api }}) =>
            api.fetchFile("/backups/{name}", null, "application/vnd.sqlite3")).then((blob) => [blob.constructor.name, blob.size])"""
    )
    download = requests.get(
        f"{appliance.url}/backups/{name}", headers=appliance.headers, timeout=30, verify=appliance.verify
    )
    assert size == ["Blob", len(download.content)]
    # Everything the page loaded came from the window's own site.
    resources = page.js("performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert resources and all(url.startswith(origin + "/") for url in resources), resources


def test_a_stale_copy_is_replaced_whole_when_the_server_answers(window, counter, appliance):
    copy = UiCopy(counter / "ui")
    folder, manifest = copy.current()
    # As if the copy were of an older version: another tag, and one of its files different.
    stale = {**manifest, "tag": "0.5.0-0000000000"}
    (folder / "css" / "app.css").write_text("/* la versión anterior */")
    (counter / "ui" / "actual.json").write_text(json.dumps({"carpeta": folder.name, "manifiesto": stale}))

    page = window(counter, appliance).page
    tag = server_manifest(appliance)["tag"]
    page.wait(f"document.querySelector('script[src=\"ui/{tag}/js/app.js\"]')")
    page.wait("document.querySelector('.entrar form')")
    assert copy.tag() == tag
    new_folder = copy.current()[0]
    assert new_folder != folder and not folder.exists()
    assert sorted(path.name for path in (counter / "ui").iterdir()) == sorted(["actual.json", new_folder.name])
    assert "la versión anterior" not in (new_folder / "css" / "app.css").read_text()


def test_a_refresh_that_breaks_off_keeps_the_copy_in_use(tmp_path, appliance):
    copy = UiCopy(tmp_path / "ui")
    assert copy.refresh(transport(appliance)) is True
    assert copy.refresh(transport(appliance)) is False  # nothing changed: nothing downloaded
    before = (tmp_path / "ui" / "actual.json").read_bytes()
    folder = copy.current()[0]
    (folder / "js" / "api.js").write_text("// dañado")

    class Corrupting(Transport):
        def download(self, path, target):
            super().download(path, target)
            target.write_bytes(b"no es el archivo")
            return target

    with pytest.raises(CopyError, match="llegó distinto"):
        copy.refresh(Corrupting(appliance.url, 5, 0, appliance.verify))
    assert (tmp_path / "ui" / "actual.json").read_bytes() == before
    assert sorted(path.name for path in (tmp_path / "ui").iterdir()) == sorted(["actual.json", folder.name])


def test_without_the_server_a_second_start_opens_the_copy_and_offers_the_new_version_once_back(
    window, counter, appliance
):
    copy = UiCopy(counter / "ui")
    folder, manifest = copy.current()
    # The copy this counter kept is of an older version than the server's.
    (counter / "ui" / "actual.json").write_text(
        json.dumps({"carpeta": folder.name, "manifiesto": {**manifest, "tag": "0.5.0-0000000000"}})
    )
    appliance.stop()
    try:
        page = window(counter, appliance).page
        page.wait("document.querySelector('meta[name=servitec-puente]') && document.querySelector('.entrar form')")
        assert page.js("document.querySelector('script[type=module]').getAttribute('src')") == (
            "ui/0.5.0-0000000000/js/app.js"
        )
        # A new window has no session, and signing in needs the server: it says so.
        page.type("input[name=username]", OWNER)
        page.type("input[type=password]", OWNER_PASSWORD)
        page.click(".entrar form button[type=submit]")
        page.wait("document.querySelector('.entrar')?.innerText.includes('Para entrar se necesita el servidor')")
        page.shot("escritorio-sin-servidor")
    finally:
        appliance.start()
    # Once the client sees the server answer, the copy is brought up to it and the page offers
    # the new version.
    sign_in(page)
    page.wait("document.querySelector('.escritorio .interfaz-nueva')")
    assert copy.tag() == server_manifest(appliance)["tag"]
    page.click(".interfaz-nueva button")
    page.wait(f"document.querySelector('script[src=\"ui/{copy.tag()}/js/app.js\"]')")
    page.wait("document.querySelector('nav.menu a')")  # the session survived the reload


def test_a_config_json_it_cannot_use_is_shown_not_replaced(window, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"api_server": {"timeout": "mucho"}}))
    page = window(tmp_path).page
    page.wait("document.getElementById('titulo')?.textContent === 'No se puede empezar'")
    assert "api_server.timeout debe ser un número de segundos" in page.text("#mensaje")
    assert page.js("document.getElementById('conectar').hidden")


def test_with_no_server_known_the_window_asks_for_its_address(window, tmp_path, appliance):
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "config.json").write_text(json.dumps({"api_server": {"url": dead, "timeout": 2}}))
    page = window(tmp_path, appliance).page
    page.wait("document.getElementById('titulo')?.textContent === 'No se encontró el servidor'")
    assert page.text("#pasos") == f"config.json: {dead}"
    assert page.text("#mensaje").startswith("No se encontró el servidor.")
    assert page.js("document.activeElement.id") == "direccion"
    page.type("#direccion", "192.168.1.50")
    page.press("Enter")
    page.wait("document.getElementById('mensaje').textContent.includes('dirección completa')")
    page.shot("escritorio-buscando")

    page.type("#direccion", appliance.url)
    page.click("#conectar button")
    page.wait("document.querySelector('meta[name=servitec-version]') && document.querySelector('.entrar form')")
    assert json.loads((tmp_path / "servidor.json").read_text())["url"] == appliance.url
    sign_in(page)
    assert page.text(".conexion") == "En línea"


def test_an_address_of_another_shop_is_refused(appliance):
    with pytest.raises(address_finder.NotFound, match="otro servidor"):
        address_finder.locate(appliance.url, {"url": appliance.url, "server_id": "el-de-otro-taller"})
    found = address_finder.locate(None, {"url": appliance.url, "server_id": None})
    assert found.via == "last" and found.saved() == {"url": appliance.url, "server_id": found.server_id, "fp": ""}


def test_the_online_backend_answers_as_browser_transport_does(appliance):
    backend = OnlineBackend(appliance.url, retry_attempts=0, verify=appliance.verify)
    try:
        refused = backend.request({"method": "GET", "path": "/clientes"})
        assert refused["status"] == 401 and refused["body"]["error"]["code"]
        token = backend.request(
            {"method": "POST", "path": "/token", "form": {"username": OWNER, "password": OWNER_PASSWORD}}
        )["body"]["access_token"]
        qr = backend.request({"method": "GET", "path": "/", "accept": "application/json", "token": token})
        assert qr["contentType"] == "application/json" and qr["body"]["app"] == "ServitecManager"
        made = requests.post(appliance.url + "/backups", headers=appliance.headers, timeout=60, verify=appliance.verify)
        raw = backend.request(
            {"method": "GET", "path": f"/backups/{made.json()['nombre']}", "accept": "*/*", "token": token}
        )
        assert raw["status"] == 200 and base64.b64decode(raw["body"]["base64"]).startswith(b"SQLite format 3")
        assert backend.estado()["online"] is True and backend.revisar() == []
        assert backend.resolver("x", "mio")["ok"] is False
    finally:
        backend.close()


def _paired(folder, server, **offline) -> None:
    config = {"api_server": {"url": server.url, "timeout": 2}, "offline_mode": {"sync_interval": 3, **offline}}
    (folder / "config.json").write_text(json.dumps(config))


def _replica_seq(folder) -> int | None:
    """The change-log seq the window's replica is valid at (read beside the running window, WAL)."""
    conn = apsw.Connection(str(folder / "replica.db"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        found = list(conn.execute("SELECT valor FROM local_estado WHERE clave = 'seq'"))
    except apsw.SQLError:
        return None
    finally:
        conn.close()
    return int(found[0][0]) if found else None


def test_revisar_shows_both_versions_and_keeps_only_the_choice_made(window, tmp_path):
    server = ServerProcess(tmp_path / "server").start()
    try:
        cliente = owner_ok(server, "POST", "/clientes", 201, json={"nombre": "Juan Pérez", "telefono": "5512345678"})
        folder = tmp_path / "pc"
        folder.mkdir()
        _paired(folder, server)
        # A real conflict: this counter edits the customer offline while the owner edits it on the server.
        counter = Counter(folder, server)
        server.stop()
        counter.ok("PUT", f"/clientes/{cliente['id']}", json={"email": "juan@example.com", "version": 1})
        server.start()
        owner_ok(
            server, "PUT", f"/clientes/{cliente['id']}", json={"email": "jp@example.com", "nombre": "Juan Pérez López"}
        )
        wait_for(lambda: counter.client.estado()["revisar"] == 1, timeout=15, what="the conflict")
        counter.close()

        page = window(folder, server).page
        page.wait("document.querySelector('.entrar form')")
        sign_in(page)
        page.wait("document.querySelector('.sincronia')?.innerText.includes('1 por revisar')")
        assert "revísalas en Revisar" in page.text(".escritorio")
        page.click("a.por-revisar")
        card = "main article.revision"
        page.wait(f"document.querySelector('{card}')")
        rows = page.js(
            f"[...document.querySelectorAll('{card} tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
        )
        assert rows[0] == ["Correo (distinto)", "juan@example.com", "jp@example.com"]
        assert ["Nombre (distinto)", "no lo cambié", "Juan Pérez López"] in rows
        assert "Otra persona modificó" in page.text(card)
        page.shot("escritorio-revisar-conflicto")
        # Each choice asks first; cancelling keeps it waiting.
        page.click(f"{card} button.primary")
        page.wait("document.querySelector('dialog[open]')?.innerText.includes('Se enviará tu versión otra vez')")
        page.press("Escape")
        page.wait("!document.querySelector('dialog[open]')")
        assert page.js(f"Boolean(document.querySelector('{card}'))")
        page.click(f"{card} button.primary")
        page.click("dialog[open] button.primary")
        page.wait("document.querySelector('.notices')?.innerText.includes('Se conservó tu versión')")
        page.wait("document.querySelector('main').innerText.includes('Nada por revisar')")
        # Mine went again over the server's version: my e-mail, the owner's name.
        wait_for(
            lambda: owner_ok(server, "GET", f"/clientes/{cliente['id']}")["email"] == "juan@example.com", what="mine"
        )
        assert owner_ok(server, "GET", f"/clientes/{cliente['id']}")["nombre"] == "Juan Pérez López"
    finally:
        server.stop()


def test_offline_the_window_answers_from_its_replica_and_its_sale_reaches_the_server(window, tmp_path):
    server = ServerProcess(tmp_path / "server").start()
    try:
        owner_ok(server, "POST", "/clientes", 201, json={"nombre": "Rosa Martínez Ibarra", "telefono": "5512345678"})
        producto = owner_ok(
            server,
            "POST",
            "/inventario",
            201,
            json={"nombre": "Mica 9H", "codigo": "MICA9H", "precio_venta": 250, "stock": 5},
        )
        folder = tmp_path / "pc"
        folder.mkdir()
        _paired(folder, server)
        page = window(folder, server).page
        page.wait("document.querySelector('.entrar form')")
        sign_in(page)
        wait_for(lambda: _replica_seq(folder), what="the replica's first fill")

        server.stop()
        page.js("location.hash = '#/clientes'")
        page.type("#buscar-clientes", "Rosa Mart")
        page.wait("document.querySelector('.resultados')?.innerText.includes('Rosa Martínez Ibarra')")
        page.wait("document.querySelector('.conexion')?.innerText === 'Sin conexión'")
        page.shot("escritorio-sin-conexion-clientes")

        page.js("location.hash = '#/ventas/nueva'")
        page.type("#pos-codigo", "MICA9H")
        page.press("Enter")
        page.wait(f"document.querySelector('tr[data-producto=\"{producto['id']}\"]')")
        page.wait("document.querySelector('.pos-totales[data-listo=si]')")
        page.type(".pago-fila input[type=number]", "300")
        page.press("Enter")  # in the last amount: charge (as F9)
        page.wait("document.querySelector('dialog.venta-hecha')")
        assert "Venta P-0001 registrada" in page.text("dialog.venta-hecha")
        assert "Folio provisional" in page.text("dialog.venta-hecha .ticket-vista")
        page.shot("escritorio-venta-sin-conexion")
        page.press("Escape")
        page.wait("!document.querySelector('dialog[open]')")
        page.wait("document.querySelector('.sincronia')?.innerText.includes('1 por enviar')")

        server.start()
        wait_for(
            lambda: owner_ok(server, "GET", f"/inventario/{producto['id']}")["stock"] == 4, timeout=20, what="the sale"
        )
        [venta] = owner_ok(server, "GET", "/ventas")["items"]
        assert venta["total"] == 250 and 0 < venta["folio"] < PROVISIONAL_FOLIO
        page.wait("document.querySelector('.conexion')?.innerText === 'En línea'", timeout=20)
        page.wait("document.querySelector('.sincronia')?.innerText.includes('0 por enviar')", timeout=20)
        real = f"V-{venta['folio']:06d}"
        # The ticket went out with P-0001: the window offers to print it again with the real folio.
        offer = page.text(".escritorio .reimprimir")
        assert f"La venta P-0001 ya tiene su folio: {real}." in offer and "Reimprimir ticket" in offer
        page.shot("escritorio-reimprimir")
        page.click(".escritorio .reimprimir button.link:last-child")
        page.wait("!document.querySelector('.escritorio .reimprimir')")
        # The window's copy has the real folio now: the sales list shows it, not P-0001.
        page.js("location.hash = '#/ventas'")
        page.wait(f"document.querySelector('main')?.innerText.includes('{real}')")
        assert "P-0001" not in page.text("main")
    finally:
        server.stop()


def test_the_local_site_serves_only_its_own_page_and_files_and_the_bridge_only_with_its_secret(tmp_path, appliance):
    from werkzeug.test import Client

    from webview_client.site import Site

    copy = UiCopy(tmp_path / "ui")
    copy.refresh(transport(appliance))
    site = Site(copy, {"eco": lambda text: text})
    site.show_ui = True
    http = Client(site)
    local = {"Host": "127.0.0.1:5000"}
    page = http.get("/", headers=local)
    assert page.status_code == 200 and f'content="{site.secret}"' in page.text
    assert page.headers["Content-Security-Policy"] == server_manifest(appliance)["politica"]
    module = http.get(f"/ui/{copy.tag()}/js/app.js", headers=local)
    assert module.status_code == 200 and module.headers["Content-Type"].startswith("text/javascript")
    assert http.get("/ui/x/index.html", headers=local).status_code == 404  # the template is not a file
    assert http.get("/ui/x/../config.json", headers=local).status_code == 404
    call = {"json": {"args": ["hola"]}}
    assert http.post("/puente/eco", headers={**local, "X-Servitec-Puente": site.secret}, **call).json == {
        "resultado": "hola"
    }
    assert http.post("/puente/eco", headers={**local, "X-Servitec-Puente": "otro"}, **call).status_code == 403
    assert http.post("/puente/otra", headers={**local, "X-Servitec-Puente": site.secret}, **call).status_code == 404
    # Another name that resolves to this PC (DNS rebinding) gets nothing, not even the page.
    assert http.get("/", headers={"Host": "tienda.example:5000"}).status_code == 403
