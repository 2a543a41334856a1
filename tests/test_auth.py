"""Accounts and tokens (the foundation of issue 3): argon2 hashes, signed tokens, revocation."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys

import apsw
import pytest

from appliance import auth, clock
from appliance.errors import Conflict, Invalid
from appliance.store import Database
from serverproc import ROOT

HOURS_12 = dt.timedelta(hours=12)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "a.db")
    yield database
    database.close()


def _create(db, username="maria", rol="dueno", password="contrasena-segura"):
    with db.write() as tx:
        return auth.create_usuario(tx, {"username": username, "nombre": "María", "rol": rol},
                                   auth.hash_password(password))


def test_password_is_stored_as_an_argon2_hash(db):
    usuario = _create(db)
    with db.read() as tx:
        row = auth.login_row(tx, "MARIA ")
    assert row["id"] == usuario["id"] and "password_hash" not in usuario
    assert row["password_hash"].startswith("$argon2id$") and "contrasena-segura" not in row["password_hash"]
    assert auth.password_matches(row["password_hash"], "contrasena-segura")
    assert not auth.password_matches(row["password_hash"], "contrasena-segurA")
    assert not auth.password_matches("not a hash", "contrasena-segura")


def test_short_password_bad_username_unknown_role_and_duplicate_are_refused(db):
    with pytest.raises(Invalid, match="al menos 8"):
        auth.hash_password("corta")
    with pytest.raises(Invalid, match="letras sin acentos"):
        _create(db, username="maría")
    with pytest.raises(Invalid, match="Rol no válido"):
        _create(db, rol="jefe")
    _create(db, username="luis")
    with pytest.raises(Conflict, match="Ya existe"):
        _create(db, username="LUIS")


def test_token_round_trip_and_expiry(db):
    usuario = _create(db)
    secret = os.urandom(32)
    claims = auth.read_token(auth.issue_token(usuario, secret, HOURS_12), secret)
    assert (claims["sub"], claims["rol"], claims["tv"]) == (usuario["id"], "dueno", 1)
    assert claims["exp"] - claims["iat"] == 12 * 3600
    expired = auth.issue_token(usuario, secret, HOURS_12, now=clock.now() - dt.timedelta(hours=13))
    with pytest.raises(auth.AuthError, match="expiró"):
        auth.read_token(expired, secret)
    with pytest.raises(auth.AuthError, match="no válido"):
        auth.read_token(auth.issue_token(usuario, os.urandom(32), HOURS_12), secret)
    with pytest.raises(auth.AuthError, match="no válido"):
        auth.read_token("abc.def.ghi", secret)


def test_raising_token_version_or_deactivating_revokes_tokens(db):
    usuario = _create(db)
    secret = os.urandom(32)
    claims = auth.read_token(auth.issue_token(usuario, secret, HOURS_12), secret)
    with db.read() as tx:
        assert auth.usuario_of_token(tx, claims)["id"] == usuario["id"]
    with db.write() as tx:
        tx.execute("UPDATE usuarios SET token_version = token_version + 1 WHERE id = ?", (usuario["id"],))
    with db.read() as tx, pytest.raises(auth.AuthError, match="sesión se cerró"):
        auth.usuario_of_token(tx, claims)
    with db.read() as tx:
        fresh = auth.read_token(auth.issue_token(auth.get_usuario(tx, usuario["id"]), secret, HOURS_12), secret)
        assert auth.usuario_of_token(tx, fresh)["token_version"] == 2
    with db.write() as tx:
        tx.execute("UPDATE usuarios SET activo = 0 WHERE id = ?", (usuario["id"],))
    with db.read() as tx, pytest.raises(auth.AuthError, match="ya no está activa"):
        auth.usuario_of_token(tx, fresh)


def test_secret_is_private_stable_and_single_under_a_race(tmp_path):
    script = "import sys; from appliance.auth import load_or_create_secret as s; print(s(sys.argv[1]).hex())"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(6)]
    secrets = {p.communicate(timeout=30)[0].strip() for p in procs}
    assert len(secrets) == 1 and len(secrets.pop()) == 64
    path = tmp_path / auth.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [auth.SECRET_FILE]  # no drafts left behind
    assert auth.load_or_create_secret(tmp_path) == auth.load_or_create_secret(tmp_path)


def _create_user_cli(server, *args, password="contrasena-segura"):
    return subprocess.run([sys.executable, "-m", "appliance", "create-user", *args, "--password-stdin"], cwd=ROOT,
                          env=server.env, input=password + "\n", capture_output=True, text=True, timeout=60)


def test_create_user_command_works_while_the_server_runs(fresh_server):
    done = _create_user_cli(fresh_server, "--rol", "dueno", "--username", "Dueno.Tienda", "--nombre", "Rosa Pérez")
    assert done.returncode == 0, done.stderr
    assert "Cuenta creada: dueno.tienda (dueno)" in done.stdout
    again = _create_user_cli(fresh_server, "--rol", "tecnico", "--username", "dueno.tienda")
    assert again.returncode == 2 and "Ya existe" in again.stderr
    short = _create_user_cli(fresh_server, "--rol", "tecnico", "--username", "luis", password="corta")
    assert short.returncode == 2 and "al menos 8" in short.stderr
    conn = apsw.Connection(str(fresh_server.db_path), flags=apsw.SQLITE_OPEN_READONLY)
    rows = list(conn.execute("SELECT username, nombre, rol, activo, password_hash FROM usuarios"))
    conn.close()
    assert len(rows) == 1
    username, nombre, rol, activo, password_hash = rows[0]
    assert (username, nombre, rol, activo) == ("dueno.tienda", "Rosa Pérez", "dueno", 1)
    assert auth.password_matches(password_hash, "contrasena-segura")
