"""The HTTP layer: blueprints that turn requests into domain calls and back."""

from __future__ import annotations

from flask_openapi3 import OpenAPI
from flask_openapi3_swagger.plugins import RegisterPlugin

from . import backups, clientes, inventario, ordenes, setup, stats, status, sync, taller, usuarios, ventas
from .errors import register_error_handlers
from .gate import register_gate
from .headers import register_security_headers
from .ui import register_ui
from .ws import register_ws


def register_api(app: OpenAPI) -> None:
    register_gate(app)  # first: a refused address or missing token stops here, before any other work
    register_error_handlers(app)
    register_security_headers(app)
    register_ui(app)  # after the gate: a browser's / gets the page, everyone else the status
    app.register_blueprint(status.bp)
    app.register_blueprint(setup.bp)
    # Swagger UI's static files, from the flask-openapi3-swagger package, under /swagger/.
    app.register_blueprint(RegisterPlugin.register(doc_url="openapi.json"))
    register_ws(app, ping_interval=max(2, app.extensions["servitec"].config.idle_timeout // 3))
    app.register_api(usuarios.login_bp)
    for module in (usuarios, clientes, inventario, ordenes, ventas, stats, taller, sync, backups):
        app.register_api(module.bp)
