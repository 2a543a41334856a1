"""What a failed request raises: a `ServitecError` subclass per kind of refusal.

Each carries the server's Spanish `message` (for the person at the counter), its `code`,
`fields` (which inputs were refused) and the HTTP `status` (None when no answer came).
The names are the client's own, apart from the server's (`NotFound`, `Conflict`...) and
pydantic's `ValidationError`, so code that imports both never confuses them.
"""

from __future__ import annotations

import requests
import urllib3


class ServitecError(Exception):
    """A request failed; `message` is Spanish, for the person at the counter."""

    def __init__(
        self, message: str, code: str = "error", fields: dict[str, str] | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.status = status


class NotAuthenticated(ServitecError):
    """401: wrong credentials, or the session expired or was closed."""


class PermissionDenied(ServitecError):
    """403: the role (or the address) may not do this."""


class RecordNotFound(ServitecError):
    """404: the record does not exist."""


class ConflictError(ServitecError):
    """409: the current state forbids it (stock, state machine, stale version...)."""


class InvalidInput(ServitecError):
    """422: a field is not valid; `fields` says which."""


class LoginLocked(ServitecError):
    """429: sign-in locked after repeated failures; wait `retry_after` seconds."""

    def __init__(
        self,
        message: str,
        code: str = "demasiados_intentos",
        fields: dict[str, str] | None = None,
        status: int | None = 429,
        retry_after: int = 0,
    ):
        super().__init__(message, code, fields, status)
        self.retry_after = retry_after


class ServerUnavailable(ServitecError):
    """The server could not be reached, or failed (5xx), after the retries."""


_BY_STATUS: dict[int, type[ServitecError]] = {
    401: NotAuthenticated,
    403: PermissionDenied,
    404: RecordNotFound,
    409: ConflictError,
    422: InvalidInput,
}


def error_from(response: requests.Response) -> ServitecError:
    """The error an HTTP error response (4xx, 5xx) stands for, with the server's explanation."""
    status = response.status_code
    try:
        error = response.json()["error"]
        message, code, fields = error["message"], error["code"], error.get("fields") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        message, code, fields = f"El servidor respondió HTTP {status} sin explicación.", f"http_{status}", {}
    if status == 429:
        retry_after = response.headers.get("Retry-After", "")
        return LoginLocked(message, code, fields, status, int(retry_after) if retry_after.isdigit() else 0)
    kind = _BY_STATUS.get(status) or (ServerUnavailable if status >= 500 else ServitecError)
    return kind(message, code, fields, status)


def never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed while connecting, so the server cannot have seen it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def unreachable(url: str, exc: requests.RequestException) -> ServerUnavailable:
    """The error for a request that got no answer: code certificado, sin_conexion or sin_respuesta."""
    if isinstance(exc, requests.exceptions.SSLError):
        error = ServerUnavailable(
            f"No se pudo verificar el certificado del servidor {url}; revisa la dirección y "
            "el certificado configurado.",
            "certificado",
        )
    elif never_sent(exc):
        error = ServerUnavailable(
            f"No se puede conectar al servidor {url}. Verifica que esté encendido y en la misma red.", "sin_conexion"
        )
    else:
        error = ServerUnavailable(
            f"El servidor {url} no respondió (la conexión se cortó o tardó demasiado). Si era "
            "un cambio, revisa si se guardó antes de repetirlo.",
            "sin_respuesta",
        )
    error.__cause__ = exc
    return error
