"""The window's own web site, on pywebview's local HTTP server (127.0.0.1, a free port).

It serves the UI's page rendered from the local copy (ui_copy.py) at /, its files
under /ui/<tag>/, this package's own pages (pages/: "Buscando servidor…") under
/cliente/, and the bridge at POST /puente/<call>. The page's strict policy holds
here as on the server: connect-src 'self' now names this site, so the page can
reach nothing but the bridge, which forwards to the Backend.

The bridge is plain HTTP on the page's own origin, not pywebview's js_api: that
one builds its functions with `new Function` and returns results through `eval`,
both refused by a policy without 'unsafe-eval' (seen with QtWebEngine). Each call
carries the secret the page was rendered with (X-Servitec-Puente), so neither
another program on the PC nor a web page in a browser can use it: a cross-origin
page cannot read the secret, nor send the header without a preflight this site
never allows.
"""

from __future__ import annotations

import hmac
import inspect
import json
import logging
import mimetypes
import secrets
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import jinja2

from .errors import ServitecError
from .ui_copy import UiCopy

log = logging.getLogger(__name__)

SECRET_HEADER = "HTTP_X_SERVITEC_PUENTE"
LOOPBACK_NAMES = ("127.0.0.1", "localhost")  # how the window itself names this site
MAX_CALL_BYTES = 8 << 20  # a sale with a hundred lines is a few KB; a bridge call is never this big
# Explicit types: on Windows mimetypes reads the registry, which may call .js text/plain, and a
# module script served as text/plain does not run.
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
# The client's own pages: the same rules as the UI's (own files only, nothing inline).
OWN_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGES = resources.files(__package__) / "pages"

Call = Callable[..., Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Site:
    """The WSGI application; `calls` are what the bridge may run, by name."""

    def __init__(self, copy: UiCopy, calls: dict[str, Call], on_page: Callable[[], None] = lambda: None):
        self.copy = copy
        self.calls = calls
        self.on_page = on_page  # a page (re)loaded: whatever the previous one had open is gone
        self.secret = secrets.token_urlsafe(32)
        self.show_ui = False  # False: the search page at /; True: the UI from the copy

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        if environ.get("HTTP_HOST", "").rpartition(":")[0] not in LOOPBACK_NAMES:
            # A name of someone else's that resolves to 127.0.0.1 (DNS rebinding) gets nothing.
            return _reply(start_response, "403 Forbidden", "text/plain; charset=utf-8", b"No permitido.")
        try:
            if path == "/" and method in ("GET", "HEAD"):
                self.on_page()
                return self._page(start_response)
            if path.startswith("/ui/") and method in ("GET", "HEAD") and path.count("/") >= 3:
                return self._ui_file(path.split("/", 3)[3], start_response)
            if path.startswith("/cliente/") and method in ("GET", "HEAD"):
                return self._own_file(path.removeprefix("/cliente/"), start_response)
            if path.startswith("/puente/") and method == "POST":
                return self._call(path.removeprefix("/puente/"), environ, start_response)
        except Exception:
            log.exception("Error al servir %s %s", method, path)
            return _reply(start_response, "500 Internal Server Error", "text/plain; charset=utf-8", b"Error interno.")
        return _reply(start_response, "404 Not Found", "text/plain; charset=utf-8", b"No existe.")

    def _page(self, start_response: StartResponse) -> Iterable[bytes]:
        if self.show_ui and self.copy.ready:
            html, policy = self.copy.page(self.secret)
        else:
            template = jinja2.Environment(autoescape=True).from_string((PAGES / "buscando.html").read_text("utf-8"))
            html, policy = template.render(puente=self.secret), OWN_POLICY
        return _reply(start_response, "200 OK", TYPES[".html"], html.encode("utf-8"), policy)

    def _ui_file(self, name: str, start_response: StartResponse) -> Iterable[bytes]:
        # Any tag: like the appliance, the copy answers a page loaded before a refresh too.
        path = self.copy.file(name)
        if path is None or not path.is_file():
            return _reply(start_response, "404 Not Found", "text/plain; charset=utf-8", b"No existe.")
        return _reply(start_response, "200 OK", _type(name), path.read_bytes())

    def _own_file(self, name: str, start_response: StartResponse) -> Iterable[bytes]:
        if "/" in name or name.startswith(".") or not (PAGES / name).is_file() or name.endswith(".html"):
            return _reply(start_response, "404 Not Found", "text/plain; charset=utf-8", b"No existe.")
        return _reply(start_response, "200 OK", _type(name), (PAGES / name).read_bytes())

    def _call(self, name: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not hmac.compare_digest(environ.get(SECRET_HEADER, ""), self.secret):
            return _json(start_response, "403 Forbidden", {"error": {"message": "Llamada no autorizada."}})
        call = self.calls.get(name)
        if call is None:
            return _json(start_response, "404 Not Found", {"error": {"message": f"No existe la llamada {name}."}})
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_CALL_BYTES:
            return _json(
                start_response, "413 Request Entity Too Large", {"error": {"message": "Llamada demasiado grande."}}
            )
        try:
            args = json.loads(environ["wsgi.input"].read(size) or b"{}").get("args", [])
            if not isinstance(args, list):
                raise ValueError(args)
        except (ValueError, AttributeError):
            return _json(start_response, "400 Bad Request", {"error": {"message": "Llamada ilegible."}})
        try:
            inspect.signature(call).bind(*args)
        except TypeError as exc:
            log.warning("Llamada %s con argumentos que no corresponden: %s", name, exc)
            return _json(
                start_response, "400 Bad Request", {"error": {"message": "Llamada con datos que no corresponden."}}
            )
        try:
            result = call(*args)
        except ServitecError as exc:
            # No answer from the server (or one it refused): the page treats it like a failed fetch.
            return _json(start_response, "502 Bad Gateway", {"error": {"code": exc.code, "message": exc.message}})
        return _json(start_response, "200 OK", {"resultado": result})


def _type(name: str) -> str:
    suffix = name[name.rfind(".") :] if "." in name else ""
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _json(start_response: StartResponse, status: str, body: Any) -> Iterable[bytes]:
    return _reply(start_response, status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _reply(
    start_response: StartResponse, status: str, kind: str, body: bytes, policy: str | None = None
) -> Iterable[bytes]:
    headers = [
        ("Content-Type", kind),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if policy:
        headers.append(("Content-Security-Policy", policy))
    start_response(status, headers)
    return [body]
