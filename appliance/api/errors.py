"""Every failure leaves the API as `{"error": {"code", "message", "fields"}}` with a 4xx.

Pydantic validation errors are translated to Spanish per field (shop.schemas);
domain errors keep their own message; unknown routes, wrong methods and oversized bodies get
the same shape; an unexpected exception is logged and answered with a 500 in
the same shape, without a stack trace.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..shop.errors import (
    DomainError,
    TooManyAttempts,
    Unauthorized,
)
from ..shop.schemas import validation_fields
from ..store import CommitFailed, IntegrityError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("peticion_invalida", "La petición no es válida."),
    404: ("ruta_no_encontrada", "No existe esa dirección en el API. Consulta /docs."),
    405: ("metodo_no_permitido", "Ese método no está permitido en esta dirección. Consulta /docs."),
    # Answered by the server before the application (server.py), in the same shape.
    408: ("tiempo_agotado", "La petición tardó demasiado en llegar; vuelve a intentarlo."),
    413: ("peticion_demasiado_grande", "La petición es demasiado grande."),
    414: ("direccion_demasiado_larga", "La dirección de la petición es demasiado larga."),
    415: ("tipo_no_soportado", "Envía el cuerpo como JSON (Content-Type: application/json)."),
    431: ("cabeceras_demasiado_grandes", "Las cabeceras de la petición son demasiado grandes."),
    500: ("error_interno", "Ocurrió un error interno. Se registró en el log del servidor."),
}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def _body_problem() -> Response | None:
    """A 400/415/422 when the body itself is unusable, before blaming any field."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.get_data(cache=True):
        return None
    if not request.is_json:
        return error_response(415, *HTTP_MESSAGES[415])
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True).strip() != b"null":
        # orjson also refuses lone UTF-16 surrogates ("\ud800"): text no column could store.
        return error_response(
            400,
            "json_invalido",
            "El cuerpo de la petición no es JSON válido (UTF-8, sin caracteres sustitutos sueltos).",
        )
    if not isinstance(body, dict):
        return error_response(
            422,
            "validacion",
            "El cuerpo de la petición debe ser un objeto JSON.",
            {"cuerpo": "Debe ser un objeto JSON."},
        )
    return None


def validation_error_response(exc: ValidationError) -> Response:
    """flask-openapi3's validation callback: Spanish messages, one per field."""
    problem = _body_problem()
    if problem is not None:
        return problem
    fields = validation_fields(exc)
    if list(fields) == ["cuerpo"]:
        return error_response(422, "validacion", "El cuerpo de la petición debe ser un objeto JSON.", fields)
    summary = "; ".join(f"{name}: {message}" for name, message in list(fields.items())[:3])
    return error_response(422, "validacion", f"Revisa los datos. {summary}", fields)


def register_error_handlers(app: Flask) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]

    @app.before_request
    def body_is_usable() -> Response | None:
        req = request._get_current_object()
        if req.method not in ("POST", "PUT", "PATCH"):
            return None
        # Werkzeug stops reading a chunked body (no Content-Length) at MAX_CONTENT_LENGTH
        # and hands over the part it read: a 2 MB body became a truncated JSON text (400
        # json_invalido) instead of 413. Reading it here tells the two apart.
        if (
            req.environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
            and len(req.get_data(cache=True)) >= limit
        ):
            raise RequestEntityTooLarge()
        # flask-openapi3 validates a body that is a JSON *string* as the object it
        # encodes (a double-encoded body created a customer): check JSON bodies first.
        if req.url_rule is None or not req.is_json:
            return None  # unknown routes and methods answer 404/405; other types get 415 on validation
        return _body_problem()

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        response = error_response(exc.status, exc.code, exc.message, exc.fields)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError) -> Response:
        # Domain rules check first; this is the schema's last line of defence.
        log.warning("Restricción de la base de datos: %s", exc)
        return error_response(409, "conflicto", "El cambio contradice datos existentes; no se guardó nada.")

    @app.errorhandler(CommitFailed)
    def commit_failed(exc: CommitFailed) -> Response:
        log.error("No se pudo guardar: %s", exc)
        return error_response(
            503,
            "no_guardado",
            "No se pudo guardar en la base de datos (¿disco lleno o dañado?). "
            "Nada de esta operación quedó registrado; avisa al encargado del servidor.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.response is not None:  # already shaped (flask-openapi3 aborts with our validation response)
            return exc.response
        status = exc.code or 500
        code, message = HTTP_MESSAGES.get(status, ("error_http", exc.description or "Error en la petición."))
        response = error_response(status, code, message)
        for name, value in exc.get_headers():  # e.g. the Allow a 405 must carry (RFC 9110)
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("Error no esperado en %s %s", request.method, request.path)
        return error_response(500, *HTTP_MESSAGES[500])
