"""Errors the domain raises; the API turns each into a 4xx with a Spanish message.

Domain modules raise these with a stable `code` (for programs) and a message
for the person at the counter; `fields` points at the offending input.
`status` is the HTTP status it is answered with, by the server and by a
desktop client answering from its replica alike.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    """The record does not exist (or was deleted)."""

    code = "no_encontrado"
    status = 404


class Conflict(DomainError):
    """The request is valid but the current state forbids it (stock, state machine, stale version)."""

    code = "conflicto"
    status = 409


class Invalid(DomainError):
    """The input is well-formed but breaks a business rule (e.g. payments short of the total)."""

    code = "datos_invalidos"
    status = 422


class Unavailable(DomainError):
    """The request is fine but the server cannot do it now (disk full, folder missing): try again later."""

    code = "no_disponible"
    status = 503


class Unauthorized(DomainError):
    """No valid session: missing, expired or revoked token, or wrong credentials."""

    code = "no_autenticado"
    status = 401


class Forbidden(DomainError):
    """The caller is known but may not do this (role, address, first-run rules)."""

    code = "sin_permiso"
    status = 403


class TooManyAttempts(DomainError):
    """Login is locked for a while after repeated failures."""

    code = "demasiados_intentos"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
