"""Security headers on every response.

Every response says `X-Content-Type-Options: nosniff`, so a browser never runs a
JSON body or a static file as something other than its declared type. HTML
pages (/docs, the plugin's /swagger, /setup) also get a Content-Security-Policy
that runs only this server's scripts, may not be framed (clickjacking) and
sends no Referer off the page. The staff UI's page sets a stricter one of its
own (UI_POLICY): it needs no inline script or style at all.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, render_template_string
from flask_openapi3_swagger.templates import swagger_html_string

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_script_hashes(app: Flask) -> list[str]:
    """CSP sources for the inline start-up script of the Swagger UI page.

    /docs and the plugin's /swagger render flask-openapi3-swagger's template
    with the same arguments as here; the script's text depends only on them and
    on SWAGGER_CONFIG, so rendering it once at start gives the exact text the
    browser hashes. Hashing what a response carries instead would allow any
    script that ever ended up in one.
    """
    with app.app_context():
        page = render_template_string(
            swagger_html_string, doc_url="openapi.json", swagger_config=app.config["SWAGGER_CONFIG"], oauth_config=None
        )
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    ]


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        # Swagger UI applies inline styles of its own at run time (Chromium blocks
        # one even with the page's <style> block allowed by hash); styles cannot run scripts.
        "style-src": "'self' 'unsafe-inline'",
        # swagger-ui.css draws its icons as data: SVGs.
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# The staff UI: its own files only; no inline script or style attribute; it talks
# only to this server (fetch and /ws: CSP3's 'self' covers ws:/wss: to the same host).
UI_POLICY = "; ".join(
    f"{name} {value}"
    for name, value in {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        # QR codes arrive as SVG text and are shown as data: images.
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }.items()
)


def register_security_headers(app: Flask) -> None:
    policy = content_security_policy(swagger_script_hashes(app))

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
            # For browsers that predate frame-ancestors.
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
