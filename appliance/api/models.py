"""Field types and shapes shared by every resource's request and response models.

Request models forbid unknown fields, trim text, refuse text that cannot be
stored (lone surrogates), bound every number, and turn money into centavos.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints

from ..money import to_centavos


def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Contiene caracteres no válidos.") from None
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def Text(max_length: int, min_length: int = 1, pattern: str | None = None) -> Any:
    """Required text, trimmed, between min and max characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(_storable),
    ]


def OptText(max_length: int, pattern: str | None = None) -> Any:
    """Optional text; blank becomes null."""
    # The blank check wraps the Optional: inside it, the None it returns would
    # then fail the text branch ("Debe ser texto.") instead of meaning null.
    return Annotated[Optional[Text(max_length, 1, pattern)], BeforeValidator(_blank_to_none)]


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=10, decimal_places=2, description="Pesos MXN, máximo 2 decimales"),
    AfterValidator(to_centavos),
    PlainSerializer(int, return_type=int),  # after validation the value is centavos
]
Cantidad = Annotated[int, Field(ge=1, le=100_000, description="Piezas")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Identificador (UUID)")]
Version = Annotated[int, Field(ge=1, le=2_000_000_000, description="Versión que se editó (concurrencia optimista)")]
Limit = Annotated[int, Field(ge=1, le=500, description="Máximo de registros por página")]
Offset = Annotated[int, Field(ge=0, le=10_000_000, description="Registros a saltar")]
Search = Annotated[Optional[str], Field(None, max_length=100, description="Texto a buscar (sin distinguir acentos ni mayúsculas)"), AfterValidator(lambda v: v if v is None else _storable(v))]
Fecha = Annotated[str, Field(description="UTC, ISO-8601")]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
            setattr(cls, "_schema_cache", cached)
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


ERROR_RESPONSES: dict[int, type[BaseModel]] = {
    400: ErrorResponse,
    404: ErrorResponse,
    409: ErrorResponse,
    422: ErrorResponse,
}

class PageInfo(BaseModel):
    limit: int
    offset: int
    has_more: bool = Field(description="Hay más registros después de esta página")
