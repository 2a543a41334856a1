"""GET / (status for people, monitors and the desktop client), /docs and /openapi.json."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template_string
from flask_openapi3_swagger.templates import swagger_html_string

from .. import APP_NAME, __version__
from ..shop import clock, usuarios
from .context import config, db, state
from .gate import public

bp = Blueprint("status", __name__)


@bp.get("/")
@public
def status():
    database = db()
    ok = database.check()
    body = {
        "app": APP_NAME,
        "version": __version__,
        "server_id": database.server_id,
        "time": clock.now_iso(),
        "zona_horaria": config().tz,
        "db": "ok" if ok else "error",
    }
    if ok:
        health = state().backups.health()
        body["respaldo"] = {key: health[key] for key in ("estado", "aviso", "fecha", "edad_horas", "en_curso")}
        with database.read() as tx:
            body["configurado"] = usuarios.owner_exists(tx)
        if not body["configurado"]:
            settings = config()
            body["aviso"] = (
                "Falta crear la cuenta del dueño. En la PC del servidor: "
                "python -m appliance create-user --rol dueno --username <usuario>, "
                f"o abre {'https' if settings.ssl_cert else 'http'}://localhost:{settings.port}/setup "
                "en esa PC."
            )
    return body, 200 if ok else 503


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(current_app.api_doc)


@bp.get("/docs")
@public
def docs():
    # The page loads Swagger UI's files from /swagger/... (flask-openapi3-swagger's
    # package data, served locally) and the spec from /openapi.json: no internet needed.
    return render_template_string(
        swagger_html_string,
        doc_url="openapi.json",
        swagger_config=current_app.config["SWAGGER_CONFIG"],
        oauth_config=None,
    )
