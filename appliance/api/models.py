"""Field types and shapes shared by every resource's request and response models.

Request models forbid unknown fields, trim text, refuse text that cannot be
stored (lone surrogates), bound every number, and turn money into centavos.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints

from pydantic_core import PydanticCustomError

from ..money import to_centavos


def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Contiene caracteres no válidos.") from None
    return value


# What counts as blank: JSON Schema's (ECMAScript) `\s`, plus NEL, spelled out so the server
# and the OpenAPI document agree on every character.
BLANK_PATTERN = r"^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$"
_BLANK = re.compile(BLANK_PATTERN)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and _BLANK.match(value):
        return None
    return value


class _BlankMeansNull:
    """In the OpenAPI document: an optional text also takes blank text (stored as null)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        blank = {"type": "string", "pattern": BLANK_PATTERN, "description": "En blanco = sin valor"}
        return {**schema, "anyOf": [*schema["anyOf"], blank]} if "anyOf" in schema else {"anyOf": [schema, blank]}


def _sent_at_most(max_length: int) -> Any:
    """maxLength as the OpenAPI document states it: of the text sent, not of the text once trimmed."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                      {"max_length": max_length})
        return value

    return BeforeValidator(check)


def Text(max_length: int, min_length: int = 1, pattern: str | None = None) -> Any:
    """Required text, trimmed, between min and max characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(_storable),
        _sent_at_most(max_length),
    ]


def OptText(max_length: int, pattern: str | None = None) -> Any:
    """Optional text; blank becomes null."""
    # The blank check wraps the Optional: inside it, the None it returns would
    # then fail the text branch ("Debe ser texto.") instead of meaning null.
    return Annotated[Optional[Text(max_length, 1, pattern)], BeforeValidator(_blank_to_none), _BlankMeansNull()]


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def _iso_text(pattern: re.Pattern[str], message: str) -> Any:
    """Only ISO-8601 text: pydantic alone also reads numbers (and digit strings) as Unix times."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise ValueError(message)
        return value.strip()

    return BeforeValidator(check)


Money = Annotated[
    Decimal,
    # strict=False: JSON numbers (floats) and numeric text, also inside strict request models.
    Field(ge=0, max_digits=10, decimal_places=2, strict=False, description="Pesos MXN, máximo 2 decimales"),
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
FechaHoraIn = Annotated[dt.datetime, Field(strict=False),
                        _iso_text(_ISO_MOMENT, "Fecha y hora no válida (formato ISO 8601, p. ej. 2026-12-01T17:00).")]
DiaIn = Annotated[dt.date, _iso_text(_ISO_DAY, "Fecha no válida (formato AAAA-MM-DD).")]


class RequestModel(BaseModel):
    """Base of JSON bodies: unknown fields and wrong JSON types are refused.

    strict: "5" is not an integer, 2.0 is not a count, "yes" is not a boolean
    (pydantic's lax mode would accept them all, against the published schema).
    """

    model_config = ConfigDict(extra="forbid", strict=True)


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
