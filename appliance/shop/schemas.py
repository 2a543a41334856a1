"""Request schemas: the domain's input contract, one pydantic model per operation's input.

The API validates request bodies with these models and publishes them in
/openapi.json; the sync op table (sync.py) validates each pushed operation with
the very same models, on the server and on a desktop client's replica. Every
model forbids unknown fields, trims text, refuses text that cannot be stored
(lone surrogates), bounds every number, and turns money into centavos.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from . import clock
from .errors import Invalid
from .money import to_centavos
from .ordenes import ESTADOS
from .usuarios import MIN_PASSWORD_LENGTH

MAX_OPS = 500
# The sync op types (the table itself is sync.OPS, which checks it covers exactly these).
OP_TYPES = (
    "cliente.crear",
    "cliente.actualizar",
    "orden.crear",
    "orden.estado",
    "orden.parte",
    "venta.crear",
    "stock.ajustar",
)


# Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F). A NUL cuts a
# search pattern short and an ESC paints a terminal; only a text of several lines may hold
# tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Contiene caracteres no válidos.") from None
    return value


def _one_line(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(_storable(value)):
        raise ValueError("No puede llevar saltos de línea, tabuladores ni caracteres de control.")
    return value


def _lines(value: str) -> str:
    if _CONTROL_IN_LINES.search(_storable(value)):
        raise ValueError("Solo admite saltos de línea y tabuladores; no caracteres de control.")
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
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": max_length}
            )
        return value

    return BeforeValidator(check)


def Text(max_length: int, min_length: int = 1, pattern: str | None = None, *, multiline: bool = False) -> Any:
    """Required text, trimmed, between min and max characters; one line unless `multiline`."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(_lines if multiline else _one_line),
        _sent_at_most(max_length),
    ]


def OptText(max_length: int, pattern: str | None = None, *, multiline: bool = False) -> Any:
    """Optional text; blank becomes null."""
    # The blank check wraps the Optional: inside it, the None it returns would
    # then fail the text branch ("Debe ser texto.") instead of meaning null.
    return Annotated[
        Text(max_length, 1, pattern, multiline=multiline) | None, BeforeValidator(_blank_to_none), _BlankMeansNull()
    ]


def QueryText(max_length: int, description: str | None = None) -> Any:
    """A text filter of a query string: one line, untrimmed (it is compared as given)."""
    return Annotated[str | None, Field(None, max_length=max_length, description=description), AfterValidator(_one_line)]


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def _iso_text(pattern: re.Pattern[str], message: str) -> Any:
    """Only ISO-8601 text: pydantic alone also reads numbers (and digit strings) as Unix times."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise ValueError(message)
        return value.strip()

    return BeforeValidator(check)


# The years a date the shop types can fall in. Outside them a date is a typo (a promised date
# in 0026), and converting one near the edges of Python's calendar would overflow.
YEARS = range(2000, 2100)


def _in_years(value: dt.date) -> dt.date:
    if value.year not in YEARS:
        raise ValueError(f"Fecha fuera de rango: el año debe estar entre {YEARS[0]} y {YEARS[-1]}.")
    return value


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
Search = QueryText(100, "Texto a buscar (sin distinguir acentos ni mayúsculas)")
FechaHoraIn = Annotated[
    dt.datetime,
    Field(strict=False),
    _iso_text(_ISO_MOMENT, "Fecha y hora no válida (formato ISO 8601, p. ej. 2026-12-01T17:00)."),
    AfterValidator(_in_years),
]
DiaIn = Annotated[dt.date, _iso_text(_ISO_DAY, "Fecha no válida (formato AAAA-MM-DD)."), AfterValidator(_in_years)]


class RequestModel(BaseModel):
    """Base of JSON bodies: unknown fields and wrong JSON types are refused.

    strict: "5" is not an integer, 2.0 is not a count, "yes" is not a boolean
    (pydantic's lax mode would accept them all, against the published schema).
    """

    model_config = ConfigDict(extra="forbid", strict=True)


# --- Spanish messages for what a model refuses ---------------------------------------------------

PYDANTIC_MESSAGES = {
    "missing": "Campo obligatorio.",
    "extra_forbidden": "Campo desconocido.",
    "string_type": "Debe ser texto.",
    "string_too_short": "No puede quedar vacío.",
    "string_too_long": "Máximo {max_length} caracteres.",
    "string_pattern_mismatch": "Formato no válido.",
    "int_type": "Debe ser un número entero.",
    "int_parsing": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero.",
    "int_parsing_size": "Número demasiado grande.",
    "decimal_type": "Debe ser un número.",
    "decimal_parsing": "Debe ser un número.",
    "decimal_max_places": "Máximo {decimal_places} decimales.",
    "decimal_max_digits": "Cantidad demasiado grande.",
    "decimal_whole_digits": "Cantidad demasiado grande.",
    "finite_number": "Debe ser un número finito.",
    "greater_than": "Debe ser mayor que {gt}.",
    "greater_than_equal": "Debe ser mayor o igual a {ge}.",
    "less_than": "Debe ser menor que {lt}.",
    "less_than_equal": "Debe ser menor o igual a {le}.",
    "bool_type": "Debe ser true o false.",
    "bool_parsing": "Debe ser true o false.",
    "literal_error": "Valor no válido. Opciones: {expected}.",
    "enum": "Valor no válido. Opciones: {expected}.",
    "list_type": "Debe ser una lista.",
    "too_short": "Debe tener al menos {min_length} elemento(s).",
    "too_long": "Máximo {max_length} elementos.",
    "model_type": "Debe ser un objeto JSON.",
    "model_attributes_type": "Debe ser un objeto JSON.",
    "dict_type": "Debe ser un objeto JSON.",
    "datetime_type": "Fecha y hora no válida (formato ISO 8601, p. ej. 2026-12-01T17:00).",
    "datetime_parsing": "Fecha y hora no válida (formato ISO 8601, p. ej. 2026-12-01T17:00).",
    "datetime_from_date_parsing": "Fecha y hora no válida (formato ISO 8601, p. ej. 2026-12-01T17:00).",
    "date_type": "Fecha no válida (formato AAAA-MM-DD).",
    "date_parsing": "Fecha no válida (formato AAAA-MM-DD).",
    "date_from_datetime_parsing": "Fecha no válida (formato AAAA-MM-DD).",
    "date_from_datetime_inexact": "Fecha no válida (formato AAAA-MM-DD).",
    "json_invalid": "JSON no válido.",
    "json_type": "JSON no válido.",
}


def _field_message(error: dict[str, Any]) -> str:
    template = PYDANTIC_MESSAGES.get(error["type"])
    ctx = error.get("ctx") or {}
    if error["type"] == "string_too_short" and ctx.get("min_length", 1) > 1:
        template = "Mínimo {min_length} caracteres."
    if template is None:
        # Our own validators raise ValueError with a Spanish message.
        if error["type"] == "value_error" and "error" in ctx:
            return str(ctx["error"])
        return "Valor no válido."
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """One Spanish message per offending field, keyed by its dotted path."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "cuerpo"
        fields.setdefault(location, _field_message(error))
    return fields


def validated(schema: type[BaseModel], data: Any) -> Any:
    """`data` checked with `schema`; Invalid (code validacion, one Spanish message per field) otherwise."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Invalid(
            "Revisa los datos. " + "; ".join(f"{k}: {v}" for k, v in list(fields.items())[:3]),
            code="validacion",
            fields=fields,
        ) from None


# --- clientes -------------------------------------------------------------------------------------

RFC = Annotated[
    OptText(13, r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$"),
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    Field(description="RFC con homoclave, 12 o 13 caracteres (p. ej. PEJU800101AB1)"),
]
Telefono = Annotated[OptText(30, r"^[0-9+()\-. ]+$"), Field(description="Dígitos, espacios y + - ( ) .")]
Email = Annotated[OptText(120, r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), Field(description="Correo electrónico")]


class ClienteIn(RequestModel):
    id: Id | None = Field(None, description="Opcional: id creado por el cliente (modo sin conexión)")
    nombre: Text(120)
    telefono: Telefono = None
    email: Email = None
    direccion: OptText(300, multiline=True) = None
    rfc: RFC = None
    notas: OptText(2000, multiline=True) = None


class ClienteUpdate(RequestModel):
    nombre: Text(120) | None = None
    telefono: Telefono = None
    email: Email = None
    direccion: OptText(300, multiline=True) = None
    rfc: RFC = None
    notas: OptText(2000, multiline=True) = None
    version: Version | None = None


# --- inventario -----------------------------------------------------------------------------------

Codigo = Annotated[OptText(64), Field(description="Código / SKU / código de barras; único")]
Piezas = Annotated[int, Field(ge=0, le=1_000_000)]


class ProductoIn(RequestModel):
    id: Id | None = None
    codigo: Codigo = None
    nombre: Text(150)
    categoria: OptText(60) = None
    precio_compra: Money | None = None
    precio_venta: Money | None = None
    stock: Piezas | None = Field(None, description="Existencia inicial (entra al kardex como conteo)")
    stock_minimo: Piezas | None = None
    activo: bool | None = None


class ProductoUpdate(RequestModel):
    codigo: Codigo = None
    nombre: Text(150) | None = None
    categoria: OptText(60) = None
    precio_compra: Money | None = None
    precio_venta: Money | None = None
    stock_minimo: Piezas | None = None
    activo: bool | None = Field(None, description="false para dar de baja (no se borra)")
    version: Version | None = None


class StockIn(RequestModel):
    motivo: Literal["compra", "ajuste", "merma", "devolucion", "conteo"]
    cantidad: Annotated[int, Field(ge=-1000000, le=1000000)] | None = Field(
        None, description="Piezas que entran (+) o salen (−); no con conteo"
    )
    stock: Piezas | None = Field(None, description="Piezas contadas físicamente; solo con motivo conteo")
    nota: OptText(300) = None


# --- órdenes --------------------------------------------------------------------------------------

Equipo = Literal["celular", "laptop", "pc", "tablet", "consola", "otro"]
Prioridad = Literal["baja", "normal", "alta", "urgente"]
Estado = Literal[ESTADOS]  # type: ignore[valid-type]
Garantia = Annotated[int, Field(ge=0, le=3650, description="Días de garantía")]


class PuntoCondicion(RequestModel):
    punto: Text(60)
    estado: Text(120)


Condicion = Annotated[
    list[PuntoCondicion],
    Field(max_length=30, description="Revisión al recibir: pantalla, carcasa, botones, carga, humedad…"),
]


class OrdenFields(RequestModel):
    marca: OptText(60) = None
    modelo: OptText(80) = None
    numero_serie: OptText(80) = Field(None, description="Número de serie o IMEI")
    color: OptText(40) = None
    accesorios: OptText(300, multiline=True) = Field(None, description="Accesorios entregados con el equipo")
    contrasena: OptText(100) = Field(None, description="Contraseña o patrón de desbloqueo")
    diagnostico: OptText(4000, multiline=True) = None
    presupuesto: Money | None = None
    costo_final: Money | None = None
    tecnico_id: Id | None = None
    fecha_promesa: FechaHoraIn | None = Field(None, description="Sin zona horaria = hora local de la tienda")
    notas: OptText(4000, multiline=True) = None

    def changes(self, zone: ZoneInfo) -> dict[str, Any]:
        """The fields sent, as the domain takes them: the promised date in UTC (shop-local if it has no offset)."""
        data = self.model_dump(exclude_unset=True, exclude={"version"})
        if "fecha_promesa" in data:
            data["fecha_promesa"] = clock.utc_iso(data["fecha_promesa"], zone)
        return data


class OrdenIn(OrdenFields):
    id: Id | None = None
    cliente_id: Id
    equipo: Equipo
    falla_reportada: Text(2000, multiline=True)
    condicion: Condicion = []
    anticipo: Money | None = None
    prioridad: Prioridad = "normal"
    garantia_dias: Garantia = 90

    def new_orden(self, zone: ZoneInfo) -> dict[str, Any]:
        """A new order's fields for the domain, defaults included."""
        data = self.changes(zone)
        for field in ("condicion", "prioridad", "garantia_dias"):
            data.setdefault(field, getattr(self, field))
        return data


class OrdenUpdate(OrdenFields):
    cliente_id: Id | None = None
    equipo: Equipo | None = None
    falla_reportada: Text(2000, multiline=True) | None = None
    condicion: Condicion | None = None
    anticipo: Money | None = None
    prioridad: Prioridad | None = None
    garantia_dias: Garantia | None = None
    version: Version | None = None


class EstadoIn(RequestModel):
    estado: Estado
    nota: OptText(1000, multiline=True) = None
    registrar_adeudo: bool = Field(False, description="Entregar con saldo pendiente, registrándolo como adeudo")
    version: Version | None = None


class ParteIn(RequestModel):
    id: Id | None = Field(None, description="Opcional: id creado por el cliente (modo sin conexión)")
    tipo: Literal["parte", "mano_obra"]
    producto_id: Id | None = Field(None, description="Producto del inventario (tipo parte)")
    descripcion: OptText(200) = None
    cantidad: Cantidad = 1
    precio_unitario: Money | None = Field(None, description="Por omisión, el precio de venta del producto")


# --- ventas ---------------------------------------------------------------------------------------


class ItemIn(RequestModel):
    producto_id: Id | None = Field(None, description="Producto del inventario; sin él, partida de servicio")
    descripcion: OptText(200) = Field(
        None, description="Obligatoria en partidas de servicio (p. ej. 'Reparación orden 15')"
    )
    cantidad: Cantidad
    precio_unitario: Money | None = Field(None, description="Por omisión, el precio de venta del producto")
    descuento: Money | None = Field(None, description="Descuento en pesos sobre la partida")


class PagoIn(RequestModel):
    metodo: Literal["efectivo", "tarjeta", "transferencia"]
    monto: Annotated[Money, Field(gt=0)]
    referencia: OptText(80) = None


class VentaIn(RequestModel):
    id: Id | None = None
    cliente_id: Id | None = None
    orden_id: Id | None = Field(None, description="Orden de servicio que se cobra con esta venta")
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=100)]
    pagos: Annotated[list[PagoIn], Field(max_length=10)] | None = Field(
        None, description="Por omisión, efectivo exacto. El efectivo puede exceder el total (cambio)."
    )
    notas: OptText(500, multiline=True) = None


class CancelarIn(RequestModel):
    motivo: Text(300, multiline=True)


# --- usuarios -------------------------------------------------------------------------------------

Rol = Literal["dueno", "tecnico", "mostrador"]
# Taken exactly as typed (no trimming): spaces are part of a password.
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)]


class UsuarioIn(RequestModel):
    username: Text(32, min_length=3)
    nombre: Text(120)
    rol: Rol
    password: Password


class UsuarioUpdate(RequestModel):
    nombre: Text(120) | None = None
    rol: Rol | None = None
    activo: bool | None = Field(None, description="false: la cuenta ya no puede entrar y sus sesiones se cierran")
    password: Password | None = Field(None, description="Restablecer la contraseña (cierra sus sesiones)")
    cerrar_sesiones: bool = Field(False, description="true: cierra todas sus sesiones abiertas")
    version: Version | None = None


class PasswordIn(RequestModel):
    actual: Annotated[str, Field(min_length=1, max_length=256)]
    nueva: Password


class SetupIn(RequestModel):
    username: Text(32)
    nombre: Text(120)
    # Not trimmed: the password is exactly what was typed, as POST /token will compare it.
    password: str = Field(max_length=256)


# --- taller ---------------------------------------------------------------------------------------


class TallerUpdate(RequestModel):
    """The shop's data: only the fields sent change; blank or null clears one."""

    nombre: OptText(120) = Field(None, description="Nombre del taller, como sale en tickets y mensajes")
    direccion: OptText(300, multiline=True) = None
    telefono: Telefono = None
    rfc: RFC = None
    regimen_fiscal: OptText(150) = Field(None, description="p. ej. 626 - Régimen Simplificado de Confianza")
    garantia: OptText(2000, multiline=True) = Field(None, description="Términos de la garantía (varias líneas)")
    pie_ticket: OptText(500, multiline=True) = Field(None, description="Pie del ticket (varias líneas)")
    version: Version | None = None


QR_MAX_LENGTH = 200


def _not_blank(value: str) -> str:
    if _BLANK.match(value):
        raise ValueError("No puede quedar vacío.")
    return value


# The text of a QR code, taken as given (not trimmed): one line, at most QR_MAX_LENGTH characters.
QrTexto = Annotated[
    str,
    Field(min_length=1, max_length=QR_MAX_LENGTH, description="Texto o dirección que guarda el código QR"),
    AfterValidator(_one_line),
    AfterValidator(_not_blank),
]


# --- sincronización -------------------------------------------------------------------------------

Tipo = Literal[OP_TYPES]  # type: ignore[valid-type]


class OpIn(BaseModel):
    op_id: Id = Field(description="Id único de la operación, creado por el cliente (UUID)")
    tipo: Tipo
    datos: dict[str, Any]


class PushIn(RequestModel):
    device_id: Text(64)
    ops: list[OpIn] = Field(max_length=MAX_OPS)


class FilasIn(RequestModel):
    entidades: dict[
        Literal["clientes", "productos", "ordenes", "ventas", "taller"],
        Annotated[list[Id], Field(max_length=MAX_OPS * 2)],
    ] = Field(description="Ids por entidad cuyas filas actuales se piden (p. ej. tras operaciones rechazadas)")


class ClienteActualizarOp(RequestModel):
    id: Id
    base_version: Version
    cambios: ClienteUpdate


class OrdenEstadoOp(EstadoIn):
    id: Id


class OrdenParteOp(ParteIn):
    orden_id: Id


class StockAjustarOp(RequestModel):
    producto_id: Id
    motivo: Literal["compra", "ajuste", "merma", "devolucion"] = Field(
        description="Sin conexión no hay conteos: el stock viaja como movimientos"
    )
    cantidad: int = Field(ge=-1_000_000, le=1_000_000)
    nota: Text(300) | None = None
