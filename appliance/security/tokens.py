"""Signed session tokens: JWTs (PyJWT, HS256) with a per-installation secret.

Each token carries the user's `token_version`; raising it (revoking the user,
changing the password) makes every token issued before invalid at once. The
account check itself lives with the accounts (shop.usuarios.usuario_of_token).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

from ..shop import clock

SECRET_FILE = "token-secret"
ALGORITHM = "HS256"


class TokenRejected(Exception):
    """A token is not ours, is malformed or has expired; the message is for a person."""


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
    """The claims of a token signed by this installation and not expired; TokenRejected otherwise."""
    try:
        claims = _verified_claims(token, secret)
    except jwt.ExpiredSignatureError:
        raise TokenRejected("La sesión expiró; vuelve a iniciar sesión.") from None
    except jwt.InvalidTokenError:
        raise TokenRejected("Token no válido; inicia sesión de nuevo.") from None
    if claims["exp"] <= time.time():  # a cached token may have expired since it was first checked
        raise TokenRejected("La sesión expiró; vuelve a iniciar sesión.")
    return dict(claims)


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: bytes) -> dict[str, Any]:
    # Checking the signature costs ~100 µs, a third of a list request; a counter sends the
    # same token all shift. Only successes are cached (lru_cache does not keep exceptions);
    # revocation is checked on every request against the account (usuario_of_token).
    return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "tv", "exp"]})
