"""HTTP for accounts: POST /token (sign in), /usuarios (the owner manages staff), /auditoria."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

import gevent
from flask import g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, ValidationError

from ..security import passwords, tokens
from ..shop import audit, clock, permissions, usuarios
from ..shop.errors import Forbidden, TooManyAttempts, Unauthorized
from ..shop.schemas import FechaHoraIn, PasswordIn, QueryText, Rol, UsuarioIn, UsuarioUpdate
from ..store import Actor
from .context import config, db, expected_version, offload, state, write
from .errors import validation_error_response
from .gate import public, requires
from .models import ERROR_RESPONSES, SIGNED_IN, ErrorResponse, Fecha, Limit, Offset, PageInfo, QueryModel

log = logging.getLogger(__name__)

_TAGS = [Tag(name="Usuarios y sesión")]
# Two blueprints only so that /openapi.json marks every operation but the login as needing a token.
login_bp = APIBlueprint("sesion", __name__, abp_tags=_TAGS, abp_responses=ERROR_RESPONSES)
bp = APIBlueprint("usuarios", __name__, abp_tags=_TAGS, abp_responses=ERROR_RESPONSES, abp_security=SIGNED_IN)


class UsuarioOut(BaseModel):
    id: str
    username: str
    nombre: str
    rol: Rol
    activo: bool
    version: int
    creado_en: Fecha
    actualizado_en: Fecha


class MiCuentaOut(UsuarioOut):
    permisos: list[str] = Field(description="Permisos de mi rol, en orden alfabético (p. ej. ventas:crear)")
    limite_descuento_porcentaje: int = Field(
        description="Descuento máximo por partida, en % de su importe, sin descuentos:sin_limite"
    )


class UsuarioPath(BaseModel):
    id: str = Field(min_length=1, max_length=64)


class UsuariosList(BaseModel):
    items: list[UsuarioOut]


class Persona(BaseModel):
    id: str
    username: str
    nombre: str
    rol: Rol


class PersonalList(BaseModel):
    items: list[Persona]


class TokenForm(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="Usuario")
    password: str = Field(min_length=1, max_length=256, description="Contraseña")
    grant_type: Literal["password"] | None = None
    scope: str | None = Field(None, max_length=256)
    client_id: str | None = Field(None, max_length=256)
    client_secret: str | None = Field(None, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Segundos de vida del token (un turno)")
    usuario: UsuarioOut


class AuditoriaQuery(QueryModel):
    usuario: QueryText(64)
    accion: QueryText(64, "p. ej. cliente_creado, inicio_sesion_fallido")
    entidad: QueryText(32, "clientes, ordenes, productos, ventas, usuarios")
    entidad_id: QueryText(64)
    desde: FechaHoraIn | None = Field(
        None, description="Desde esta fecha y hora (sin zona horaria: hora local de la tienda)"
    )
    hasta: FechaHoraIn | None = Field(None, description="Hasta esta fecha y hora, sin incluirla (sin zona: hora local)")
    limit: Limit = 50
    offset: Offset = 0


class AuditoriaRow(BaseModel):
    id: int
    fecha: Fecha
    usuario_id: str | None
    usuario: str | None
    ip: str | None
    accion: str
    entidad: str | None
    entidad_id: str | None
    campos: list[str] = Field(description="Nombres de los campos que cambiaron (nunca sus valores)")
    detalle: dict[str, Any] | None = Field(
        description="Importes de un precio distinto del de catálogo o de un descuento (precio_modificado, descuento_aplicado)"
    )


class AuditoriaPage(PageInfo):
    items: list[AuditoriaRow]


def _account_changed(usuario_id: str) -> None:
    """After an account change committed: its tokens are checked afresh, its open sockets at once."""
    state().sessions.forget(usuario_id)
    state().hub.recheck(usuario_id)


def _audit_login(accion: str, usuario_id: str | None, username: str) -> None:
    with db().write() as tx:
        tx.actor = Actor(usuario_id, username, g.client_ip)
        audit.record(tx, accion, "usuarios", usuario_id)


def _session(usuario: dict[str, Any]) -> dict[str, Any]:
    lifetime = dt.timedelta(hours=config().token_hours)
    access_token = tokens.issue_token(usuario, state().secret, lifetime)
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": int(lifetime.total_seconds()),
        "usuario": usuario,
    }


# flask-openapi3 JSON-decodes every form field before validating, so the password
# 12345678 would arrive as a number and "clave" (with quotes) as clave: the form is
# parsed here from the raw fields, and only documented through the model.
_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": TokenForm.model_json_schema()}},
    }
}


@login_bp.post(
    "/token",
    summary="Iniciar sesión (OAuth2: formulario username y password)",
    responses={200: TokenOut, 429: ErrorResponse},
    openapi_extensions=_TOKEN_BODY,
)
@public
def token():
    try:
        form = TokenForm.model_validate(request.form.to_dict())
    except ValidationError as exc:
        return validation_error_response(exc)
    throttle = state().throttle
    username, address = usuarios.normalize_username(form.username), g.client_ip
    wait = throttle.retry_after(username, address)
    if wait:
        raise TooManyAttempts(f"Demasiados intentos fallidos. Espera {wait} segundos y vuelve a intentar.", wait)
    with db().read() as tx:
        if not usuarios.owner_exists(tx):
            raise Forbidden(
                "El taller aún no tiene dueño: crea la cuenta del dueño en la PC del servidor "
                "(python -m appliance create-user --rol dueno, o la página /setup).",
                code="sin_dueno",
            )
        row = usuarios.login_row(tx, username)
    if not offload(passwords.verify_login, row, form.password):
        locked, pause = throttle.failed(username, address)
        log.warning("Inicio de sesión fallido para %r desde %s", username, address)
        _audit_login("inicio_sesion_bloqueado" if locked else "inicio_sesion_fallido", row and row["id"], username)
        if locked:
            log.warning("Inicio de sesión bloqueado %s s para %r desde %s", locked, username, address)
            raise TooManyAttempts(
                f"Demasiados intentos fallidos. Espera {locked} segundos y vuelve a intentar.", locked
            )
        gevent.sleep(pause)  # slows a guesser down without holding anyone else up
        raise Unauthorized("Usuario o contraseña incorrectos.", code="credenciales_invalidas")
    if not row["activo"]:
        _audit_login("inicio_sesion_cuenta_inactiva", row["id"], username)
        raise Forbidden("Esta cuenta está desactivada; habla con el dueño del taller.", code="cuenta_inactiva")
    throttle.succeeded(username, address)
    _audit_login("inicio_sesion", row["id"], username)
    return _session(usuarios.public(row))


@bp.get("/usuarios", summary="Listar usuarios", responses={200: UsuariosList})
@requires("usuarios:administrar")
def listar():
    with db().read() as tx:
        return {"items": usuarios.list_usuarios(tx)}


@bp.get("/personal", summary="Personal activo, por nombre (p. ej. para elegir técnico)", responses={200: PersonalList})
@requires("personal:leer")
def personal():
    with db().read() as tx:
        return {"items": usuarios.list_personal(tx)}


@bp.post("/usuarios", summary="Crear usuario", responses={201: UsuarioOut})
@requires("usuarios:administrar")
def crear(body: UsuarioIn):
    password_hash = offload(passwords.hash_password, body.password)
    with write() as tx:
        return usuarios.create_usuario(tx, body.model_dump(exclude={"password"}), password_hash), 201


@bp.get("/usuarios/me", summary="Mi cuenta, con los permisos de mi rol", responses={200: MiCuentaOut})
@requires("sesion")
def yo():
    return {
        **g.usuario,
        "permisos": permissions.held(g.usuario["rol"]),
        "limite_descuento_porcentaje": state().shop.discount_limit_percent,
    }


@bp.put("/usuarios/me/password", summary="Cambiar mi contraseña (cierra mis demás sesiones)", responses={200: TokenOut})
@requires("sesion")
def cambiar_password(body: PasswordIn):
    with db().read() as tx:
        row = usuarios.login_row(tx, g.usuario["username"])
    if not offload(passwords.verify_login, row, body.actual):
        raise Forbidden(
            "La contraseña actual no es correcta.", code="contrasena_incorrecta", fields={"actual": "No coincide."}
        )
    password_hash = offload(passwords.hash_password, body.nueva)
    with write() as tx:
        usuario = usuarios.update_usuario(tx, g.usuario["id"], {}, None, password_hash=password_hash)
    _account_changed(usuario["id"])
    return _session(usuario)


@bp.put(
    "/usuarios/<id>",
    summary="Editar usuario: rol, activo, restablecer contraseña, cerrar sesiones",
    responses={200: UsuarioOut},
)
@requires("usuarios:administrar")
def actualizar(path: UsuarioPath, body: UsuarioUpdate):
    changes = body.model_dump(exclude_unset=True, exclude={"version", "password", "cerrar_sesiones"})
    password_hash = offload(passwords.hash_password, body.password) if body.password is not None else None
    version = expected_version(body.version)
    with write() as tx:
        usuario = usuarios.update_usuario(
            tx, path.id, changes, version, password_hash=password_hash, revoke=body.cerrar_sesiones
        )
    _account_changed(usuario["id"])
    return usuario


@bp.get("/auditoria", summary="Bitácora: quién cambió qué, cuándo y desde dónde", responses={200: AuditoriaPage})
@requires("auditoria:leer")
def auditoria(query: AuditoriaQuery):
    filters = query.model_dump(exclude={"limit", "offset"})
    zone = config().zone
    filters["desde"], filters["hasta"] = clock.utc_iso(query.desde, zone), clock.utc_iso(query.hasta, zone)
    with db().read() as tx:
        return audit.list_auditoria(tx, filters, query.limit, query.offset)
