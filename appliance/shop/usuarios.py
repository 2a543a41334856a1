"""Staff accounts and roles: who works at the shop and what each account may still do.

Passwords arrive already hashed (security.passwords, run off the hub); tokens
are issued and read by security.tokens. This module keeps the account rules:
unique usernames, the last active owner, and that a new role, a deactivation or
a new password ends the account's sessions (its `token_version` goes up).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..store import Tx
from . import audit, clock
from .errors import Conflict, Invalid, NotFound, Unauthorized
from .records import check_version, reject_blanks
from .text import fold

ROLES = ("dueno", "tecnico", "mostrador")
MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"^[a-z0-9._-]{3,32}$")
COLUMNS = "id, username, nombre, rol, activo, token_version, version, creado_en, actualizado_en"


def check_password(password: str) -> None:
    """Invalid (422, Spanish) unless a new password is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.",
            fields={"password": f"Mínimo {MIN_PASSWORD_LENGTH} caracteres."},
        )


def public(row: dict[str, Any]) -> dict[str, Any]:
    """An account as the API shows it: never the password hash."""
    row.pop("password_hash", None)
    row["activo"] = bool(row["activo"])
    return row


def normalize_username(username: str) -> str:
    return username.strip().casefold()


def create_usuario(tx: Tx, data: dict[str, Any], password_hash: str) -> dict[str, Any]:
    """Add an account; `password_hash` comes from `hash_password` (run it off the hub)."""
    username = normalize_username(data["username"])
    if not USERNAME.match(username):
        raise Invalid(
            "El usuario debe tener de 3 a 32 letras sin acentos, números, punto, guion o guion bajo.",
            fields={"username": "Formato no válido."},
        )
    if data["rol"] not in ROLES:
        raise Invalid(f"Rol no válido. Opciones: {', '.join(ROLES)}.", fields={"rol": "Rol no válido."})
    if tx.value("SELECT 1 FROM usuarios WHERE username = ?", (username,)):
        raise Conflict(f"Ya existe el usuario {username}.", code="usuario_duplicado", fields={"username": "Ya existe."})
    now = clock.now_iso()
    usuario = public(
        tx.one(
            "INSERT INTO usuarios (id, username, nombre, rol, password_hash, activo, token_version, version,"
            f" creado_en, actualizado_en) VALUES (?, ?, ?, ?, ?, 1, 1, 1, ?, ?) RETURNING {COLUMNS}",
            (str(uuid.uuid4()), username, data["nombre"], data["rol"], password_hash, now, now),
        )
    )
    audit.record(tx, "usuario_creado", "usuarios", usuario["id"], ("username", "nombre", "rol", "password"))
    return usuario


def owner_exists(tx: Tx) -> bool:
    """True once an active owner account exists; until then the shop is not set up."""
    return bool(tx.value("SELECT 1 FROM usuarios WHERE rol = 'dueno' AND activo = 1 LIMIT 1"))


def list_usuarios(tx: Tx) -> list[dict[str, Any]]:
    return [public(row) for row in tx.all(f"SELECT {COLUMNS} FROM usuarios ORDER BY username")]


def list_personal(tx: Tx) -> list[dict[str, Any]]:
    """The active staff, {id, username, nombre, rol}, by name as a person sorts it (accents ignored)."""
    rows = tx.all("SELECT id, username, nombre, rol FROM usuarios WHERE activo = 1")
    return sorted(rows, key=lambda row: (fold(row["nombre"]), row["username"]))


def update_usuario(
    tx: Tx,
    usuario_id: str,
    changes: dict[str, Any],
    expected_version: int | None,
    password_hash: str | None = None,
    revoke: bool = False,
) -> dict[str, Any]:
    """Change role, name or active flag, or reset the password.

    A new role, deactivation, a password reset or `revoke` raises the token
    version, so the user's open sessions end at once. The last active owner can
    be neither demoted nor deactivated: the shop would be left without anyone
    able to manage it.
    """
    reject_blanks(changes, ("nombre", "rol", "activo"))
    check_version(tx, "usuarios", usuario_id, expected_version, label="el usuario")
    current = get_usuario(tx, usuario_id)
    if "rol" in changes and changes["rol"] not in ROLES:
        raise Invalid(f"Rol no válido. Opciones: {', '.join(ROLES)}.", fields={"rol": "Rol no válido."})
    changed = {k: v for k, v in changes.items() if current.get(k) != v}
    loses_owner = (
        current["rol"] == "dueno"
        and current["activo"]
        and (changed.get("rol", "dueno") != "dueno" or changed.get("activo", True) is False)
    )
    if loses_owner and tx.value("SELECT COUNT(*) FROM usuarios WHERE rol = 'dueno' AND activo = 1") == 1:
        raise Conflict("Es la única cuenta de dueño activa: crea otro dueño antes de cambiarla.", code="ultimo_dueno")
    ends_sessions = revoke or password_hash is not None or "rol" in changed or changed.get("activo") is False
    if not changed and not ends_sessions:
        return current
    assignments = [f"{name} = ?" for name in changed]
    params: list[Any] = [int(v) if isinstance(v, bool) else v for v in changed.values()]
    if password_hash is not None:
        assignments.append("password_hash = ?")
        params.append(password_hash)
    if ends_sessions:
        assignments.append("token_version = token_version + 1")
    assignments += ["version = version + 1", "actualizado_en = ?"]
    updated = public(
        tx.one(
            f"UPDATE usuarios SET {', '.join(assignments)} WHERE id = ? RETURNING {COLUMNS}",
            (*params, clock.now_iso(), usuario_id),
        )
    )
    campos = [*changed, *(["password"] if password_hash is not None else []), *(["sesiones"] if ends_sessions else [])]
    audit.record(tx, "usuario_actualizado", "usuarios", usuario_id, campos)
    return updated


def get_usuario(tx: Tx, usuario_id: str) -> dict[str, Any]:
    row = tx.one(f"SELECT {COLUMNS} FROM usuarios WHERE id = ?", (usuario_id,))
    if row is None:
        raise NotFound(f"No existe el usuario {usuario_id}.", fields={"usuario_id": "No existe."})
    return public(row)


def login_row(tx: Tx, username: str) -> dict[str, Any] | None:
    """The account with its password hash, for checking a login; None if unknown."""
    return tx.one(f"SELECT {COLUMNS}, password_hash FROM usuarios WHERE username = ?", (normalize_username(username),))


def usuario_of_token(tx: Tx, claims: dict[str, Any]) -> dict[str, Any]:
    """The active account a token speaks for; refused once revoked or its password changed."""
    row = tx.one(f"SELECT {COLUMNS} FROM usuarios WHERE id = ?", (claims["sub"],))
    if row is None or not row["activo"]:
        raise Unauthorized("Esta cuenta ya no está activa.", code="token_invalido")
    if row["token_version"] != claims["tv"]:
        raise Unauthorized(
            "La sesión se cerró (contraseña cambiada o acceso revocado); vuelve a iniciar sesión.",
            code="token_invalido",
        )
    return public(row)


def all_accounts(tx: Tx) -> list[dict[str, Any]]:
    """Every account row as stored (hash and token version included), for a restore to carry over."""
    return tx.all("SELECT * FROM usuarios")


def carry_over_accounts(tx: Tx, rows: list[dict[str, Any]]) -> list[str]:
    """After a restore, put back the accounts as they were just before it; return usernames not kept.

    Accounts are security state, not shop history: a deactivation, a new
    password or a revocation made after the backup must survive the restore,
    and the owner who restores stays signed in. Accounts only in the backup
    come back as they were. One made after the backup is added unless a
    different restored account has its username (a backup from another PC).
    """
    skipped = []
    for row in rows:
        columns = list(row)
        if tx.value("SELECT 1 FROM usuarios WHERE id = ?", (row["id"],)):
            assignments = ", ".join(f'"{name}" = ?' for name in columns if name != "id")
            tx.execute(
                f"UPDATE usuarios SET {assignments} WHERE id = ?",
                [row[name] for name in columns if name != "id"] + [row["id"]],
            )
        elif tx.value("SELECT 1 FROM usuarios WHERE username = ?", (row["username"],)) is None:
            tx.insert("usuarios", row)
        else:
            skipped.append(row["username"])
    return skipped
