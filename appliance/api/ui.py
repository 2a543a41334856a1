"""The staff web UI: its page at / for browsers, and its files under /ui/<tag>/.

A browser that asks for / (Accept: text/html) gets the UI; curl, monitors and
the Python client keep getting the JSON status from the same address. The UI
routes with the URL's fragment (/#/ordenes/…), so a reload on any screen asks
for / again and returns to it, and no screen's address collides with an API path.

Every file lives under a tag made of the version and a hash of the files'
contents: a browser may keep them for a year, and any change to any file (an
update, or a developer's edit) changes every URL. The page itself is never
cached, so it always names the current tag. Paths inside the UI are relative,
so a copy of the files kept elsewhere (the desktop client's) runs unchanged.

GET /ui/manifest tells that copy what to hold: every file with its sha256 and
size, and what the page is made of (the template with the tag, the module
list and the policy), so the desktop renders the same page from its own copy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request, send_from_directory

from .. import APP_NAME, __version__
from .gate import public
from .headers import UI_POLICY

UI_DIR = Path(__file__).resolve().parent.parent / "web" / "ui"
YEAR = 365 * 24 * 3600


def ui_files() -> list[Path]:
    """Every file the UI is made of, in a stable order."""
    return sorted(path for path in UI_DIR.rglob("*") if path.is_file())


def asset_tag() -> str:
    """The version plus a short hash of every UI file's name and contents."""
    digest = hashlib.sha256()
    for path in ui_files():
        digest.update(path.relative_to(UI_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:10]}"


def wants_page() -> bool:
    """True when the client prefers HTML to JSON (a browser's address bar)."""
    return request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html"


def modules() -> list[str]:
    """The UI's JavaScript modules, relative to its folder (the page preloads them all)."""
    return [path.relative_to(UI_DIR).as_posix() for path in ui_files() if path.suffix == ".js"]


def manifest(tag: str, preload: list[str]) -> dict[str, Any]:
    """What the desktop's copy of the UI must hold: the files under /ui/<tag>/ and the page's makings.

    index.html is the page's template, never served as a file: it travels here as text.
    """
    files = []
    for path in ui_files():
        name = path.relative_to(UI_DIR).as_posix()
        if name != "index.html":
            data = path.read_bytes()
            files.append({"ruta": name, "sha256": hashlib.sha256(data).hexdigest(), "tamano": len(data)})
    return {
        "app": APP_NAME,
        "version": __version__,
        "tag": tag,
        "modulos": preload,
        "politica": UI_POLICY,
        "plantilla": (UI_DIR / "index.html").read_text(encoding="utf-8"),
        "archivos": files,
    }


def register_ui(app: Flask) -> None:
    tag = asset_tag()
    preload = modules()
    bp = Blueprint("ui", __name__, template_folder=str(UI_DIR))

    @app.before_request
    def page_for_browsers() -> Response | None:
        # Runs after the gate (registered first), so a refused address never gets the page.
        if request.path == "/" and request.method in ("GET", "HEAD") and wants_page():
            return page(tag, preload)
        return None

    @bp.get("/ui/manifest")
    @public
    def ui_manifest():
        # Read from the files on each call (a few dozen small ones): what it lists is what
        # /ui/<tag>/ serves right now, so the desktop's sha256 check never fails on an edit.
        response = jsonify(manifest(tag, preload))
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get("/ui/<asset_tag>/<path:name>")
    @public
    def asset(asset_tag: str, name: str):
        if name == "index.html":
            abort(404)  # the page is rendered at /, with the tag filled in
        response = send_from_directory(UI_DIR, name)
        if asset_tag == tag:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:  # a page loaded before an update asks for an old tag: answer, but don't keep it
            response.headers["Cache-Control"] = "no-cache"
        return response

    app.register_blueprint(bp)


def page(tag: str, preload: list[str]) -> Response:
    # Preloading every module turns the import chain (app -> routes -> screens -> helpers), one
    # round trip per level on a first visit, into one parallel fetch.
    body = render_template("index.html", tag=tag, app=APP_NAME, version=__version__, modules=preload)
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = UI_POLICY
    response.vary.add("Accept")
    return response
