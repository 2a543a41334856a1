"""Staff accounts, roles and signed tokens.

Passwords are hashed with argon2 (argon2-cffi); tokens are JWTs (PyJWT, HS256)
signed with a per-installation secret kept in the data folder. Each token
carries the user's `token_version`; raising it (revoking the user, changing
the password) makes every token issued before invalid at once.

Hashing and verifying take ~150 ms of CPU on purpose: callers on the gevent
hub run them in the thread pool.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit, clock
from .errors import Conflict, Invalid, NotFound
from .records import check_version, reject_blanks
from .store import Tx

ROLES = ("dueno", "tecnico", "mostrador")
MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"^[a-z0-9._-]{3,32}$")
SECRET_FILE = "token-secret"
ALGORITHM = "HS256"
COLUMNS = "id, username, nombre, rol, activo, token_version, version, creado_en, actualizado_en"

_hasher = PasswordHasher()


class AuthError(Exception):
    """Credentials or a token were refused; the message is for a person."""


def load_or_create_secret(data_dir: str | os.PathLike[str]) -> bytes:
    """The installation's signing secret: made on first start, readable only by its owner."""
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{SECRET_FILE}.{os.getpid()}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic: a process starting at the same moment keeps the first secret
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return bytes.fromhex(path.read_text().strip())


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.",
            fields={"password": f"Mínimo {MIN_PASSWORD_LENGTH} caracteres."},
        )


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hash: str | None = None


def verify_login(row: dict[str, Any] | None, password: str) -> bool:
    """Check a login's password; an unknown user costs the same time as a known one.

    Without the dummy verification an attacker could tell which usernames exist
    from how fast the refusal comes back.
    """
    global _dummy_hash
    if row is None:
        _dummy_hash = _dummy_hash or _hasher.hash(secrets.token_hex(16))
        password_matches(_dummy_hash, password)
        return False
    return password_matches(row["password_hash"], password)


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
    usuario = public(tx.one(
        "INSERT INTO usuarios (id, username, nombre, rol, password_hash, activo, token_version, version,"
        f" creado_en, actualizado_en) VALUES (?, ?, ?, ?, ?, 1, 1, 1, ?, ?) RETURNING {COLUMNS}",
        (str(uuid.uuid4()), username, data["nombre"], data["rol"], password_hash, now, now),
    ))
    audit.record(tx, "usuario_creado", "usuarios", usuario["id"], ("username", "nombre", "rol", "password"))
    return usuario


def owner_exists(tx: Tx) -> bool:
    """True once an active owner account exists; until then the shop is not set up."""
    return bool(tx.value("SELECT 1 FROM usuarios WHERE rol = 'dueno' AND activo = 1 LIMIT 1"))


def list_usuarios(tx: Tx) -> list[dict[str, Any]]:
    return [public(row) for row in tx.all(f"SELECT {COLUMNS} FROM usuarios ORDER BY username")]


def update_usuario(
    tx: Tx, usuario_id: str, changes: dict[str, Any], expected_version: int | None, password_hash: str | None = None,
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
    loses_owner = current["rol"] == "dueno" and current["activo"] and (
        changed.get("rol", "dueno") != "dueno" or changed.get("activo", True) is False)
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
    updated = public(tx.one(
        f"UPDATE usuarios SET {', '.join(assignments)} WHERE id = ? RETURNING {COLUMNS}",
        (*params, clock.now_iso(), usuario_id),
    ))
    campos = [*changed, *(["password"] if password_hash is not None else []),
              *(["sesiones"] if ends_sessions else [])]
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


def issue_token(usuario: dict[str, Any], secret: bytes, lifetime: dt.timedelta, now: dt.datetime | None = None) -> str:
    now = now or clock.now()
    claims = {
        "sub": usuario["id"],
        "rol": usuario["rol"],
        "tv": usuario["token_version"],
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: bytes) -> dict[str, Any]:
    """The claims of a token signed by this installation and not expired."""
    try:
        claims = _verified_claims(token, secret)
    except jwt.ExpiredSignatureError:
        raise AuthError("La sesión expiró; vuelve a iniciar sesión.") from None
    except jwt.InvalidTokenError:
        raise AuthError("Token no válido; inicia sesión de nuevo.") from None
    if claims["exp"] <= time.time():  # a cached token may have expired since it was first checked
        raise AuthError("La sesión expiró; vuelve a iniciar sesión.")
    return dict(claims)


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: bytes) -> dict[str, Any]:
    # Checking the signature costs ~100 µs, a third of a list request; a counter sends the
    # same token all shift. Only successes are cached (lru_cache does not keep exceptions);
    # revocation is checked on every request against the account (usuario_of_token).
    return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "tv", "exp"]})


def usuario_of_token(tx: Tx, claims: dict[str, Any]) -> dict[str, Any]:
    """The active account a token speaks for; refused once revoked or its password changed."""
    row = tx.one(f"SELECT {COLUMNS} FROM usuarios WHERE id = ?", (claims["sub"],))
    if row is None or not row["activo"]:
        raise AuthError("Esta cuenta ya no está activa.")
    if row["token_version"] != claims["tv"]:
        raise AuthError("La sesión se cerró (contraseña cambiada o acceso revocado); vuelve a iniciar sesión.")
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
            tx.execute(f"UPDATE usuarios SET {assignments} WHERE id = ?",
                       [row[name] for name in columns if name != "id"] + [row["id"]])
        elif tx.value("SELECT 1 FROM usuarios WHERE username = ?", (row["username"],)) is None:
            tx.insert("usuarios", row)
        else:
            skipped.append(row["username"])
    return skipped
