"""Shapes shared by the HTTP layer: query-string and path models, error and page responses.

Request bodies are the domain's own schemas (shop.schemas); these are what
only HTTP needs: query strings, paths, and how responses are documented.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..shop.schemas import Id

Limit = Annotated[int, Field(ge=1, le=500, description="Máximo de registros por página")]
Offset = Annotated[int, Field(ge=0, le=10_000_000, description="Registros a saltar")]
Fecha = Annotated[str, Field(description="UTC, ISO-8601")]


class QueryModel(BaseModel):
    """Base of query-string models.

    flask-openapi3 asks the model for its JSON schema on every request to
    find list-typed fields; pydantic builds it anew each time (~0.4 ms, a
    quarter of a list request's budget). The argument-less call is the
    per-request one, so it alone is cached; spec generation is untouched.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        cached = cls.__dict__.get("_schema_cache")
        if cached is None:
            cached = super().model_json_schema()
            cls._schema_cache = cached
        return cached


class IdPath(BaseModel):
    id: Id


class PageQuery(QueryModel):
    limit: Limit = 50
    offset: Offset = 0


class ErrorDetail(BaseModel):
    code: str = Field(description="Código estable para programas, p. ej. stock_insuficiente")
    message: str = Field(description="Explicación en español para la persona en el mostrador")
    fields: dict[str, str] = Field(description="Campo → problema")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# The operations that need a token, for /openapi.json (and Swagger UI's padlocks).
SIGNED_IN: list[dict[str, list[str]]] = [{"OAuth2": []}]

ERROR_RESPONSES: dict[int, type[BaseModel]] = {
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    404: ErrorResponse,
    409: ErrorResponse,
    422: ErrorResponse,
}


class PageInfo(BaseModel):
    limit: int
    offset: int
    has_more: bool = Field(description="Hay más registros después de esta página")


class Salud(BaseModel):
    estado: Literal["ok", "atrasado", "fallido", "sin_respaldos", "sin_copia"]
    aviso: str | None
    ultimo: str | None = Field(description="Nombre del último respaldo verificado")
    fecha: Fecha | None
    edad_horas: float | None
    en_curso: bool
