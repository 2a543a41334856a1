"""Password hashing (argon2-cffi); the length rule is the accounts' (shop.usuarios.check_password).

Hashing and verifying take ~150 ms of CPU on purpose: callers on the gevent
hub run them in the thread pool.
"""

from __future__ import annotations

import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..shop.usuarios import check_password

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_login(row: dict[str, Any] | None, password: str) -> bool:
    """Check a login's password against its account row; an unknown user costs the same time as a known one.

    Without the dummy verification an attacker could tell which usernames exist
    from how fast the refusal comes back.
    """
    global _dummy_hash
    if row is None:
        _dummy_hash = _dummy_hash or _hasher.hash(secrets.token_hex(16))
        password_matches(_dummy_hash, password)
        return False
    return password_matches(row["password_hash"], password)
