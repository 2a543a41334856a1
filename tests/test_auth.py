"""Accounts and sessions: argon2 hashes, signed tokens, revocation, user management, login throttling."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import time
import uuid

import apsw
import pytest
import requests
from conftest import Api
from helpers import assert_error
from serverproc import ROOT

from appliance.security import passwords, tokens
from appliance.shop import clock, usuarios
from appliance.shop.errors import Conflict, Invalid, Unauthorized
from appliance.store import Database

HOURS_12 = dt.timedelta(hours=12)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "a.db")
    yield database
    database.close()


def _create(db, username="maria", rol="dueno", password="contrasena-segura"):
    with db.write() as tx:
        return usuarios.create_usuario(
            tx, {"username": username, "nombre": "María", "rol": rol}, passwords.hash_password(password)
        )


def test_password_is_stored_as_an_argon2_hash(db):
    usuario = _create(db)
    with db.read() as tx:
        row = usuarios.login_row(tx, "MARIA ")
    assert row["id"] == usuario["id"] and "password_hash" not in usuario
    assert row["password_hash"].startswith("$argon2id$") and "contrasena-segura" not in row["password_hash"]
    assert passwords.password_matches(row["password_hash"], "contrasena-segura")
    assert not passwords.password_matches(row["password_hash"], "contrasena-segurA")
    assert not passwords.password_matches("not a hash", "contrasena-segura")


def test_short_password_bad_username_unknown_role_and_duplicate_are_refused(db):
    with pytest.raises(Invalid, match="al menos 8"):
        passwords.hash_password("corta")
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
    claims = tokens.read_token(tokens.issue_token(usuario, secret, HOURS_12), secret)
    assert (claims["sub"], claims["rol"], claims["tv"]) == (usuario["id"], "dueno", 1)
    assert claims["exp"] - claims["iat"] == 12 * 3600
    expired = tokens.issue_token(usuario, secret, HOURS_12, now=clock.now() - dt.timedelta(hours=13))
    with pytest.raises(tokens.TokenRejected, match="expiró"):
        tokens.read_token(expired, secret)
    with pytest.raises(tokens.TokenRejected, match="no válido"):
        tokens.read_token(tokens.issue_token(usuario, os.urandom(32), HOURS_12), secret)
    with pytest.raises(tokens.TokenRejected, match="no válido"):
        tokens.read_token("abc.def.ghi", secret)


def test_raising_token_version_or_deactivating_revokes_tokens(db):
    usuario = _create(db)
    secret = os.urandom(32)
    claims = tokens.read_token(tokens.issue_token(usuario, secret, HOURS_12), secret)
    with db.read() as tx:
        assert usuarios.usuario_of_token(tx, claims)["id"] == usuario["id"]
    with db.write() as tx:
        tx.execute("UPDATE usuarios SET token_version = token_version + 1 WHERE id = ?", (usuario["id"],))
    with db.read() as tx, pytest.raises(Unauthorized, match="sesión se cerró"):
        usuarios.usuario_of_token(tx, claims)
    with db.read() as tx:
        fresh = tokens.read_token(tokens.issue_token(usuarios.get_usuario(tx, usuario["id"]), secret, HOURS_12), secret)
        assert usuarios.usuario_of_token(tx, fresh)["token_version"] == 2
    with db.write() as tx:
        tx.execute("UPDATE usuarios SET activo = 0 WHERE id = ?", (usuario["id"],))
    with db.read() as tx, pytest.raises(Unauthorized, match="ya no está activa"):
        usuarios.usuario_of_token(tx, fresh)


def test_secret_is_private_stable_and_single_under_a_race(tmp_path):
    script = "import sys; from appliance.security.tokens import load_or_create_secret as s; print(s(sys.argv[1]).hex())"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    secrets = {p.communicate(timeout=30)[0].strip() for p in procs}
    assert len(secrets) == 1 and len(secrets.pop()) == 64
    path = tmp_path / tokens.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [tokens.SECRET_FILE]  # no drafts left behind
    assert tokens.load_or_create_secret(tmp_path) == tokens.load_or_create_secret(tmp_path)


def _create_user_cli(server, *args, password="contrasena-segura"):
    return subprocess.run(
        [sys.executable, "-m", "appliance", "create-user", *args, "--password-stdin"],
        cwd=ROOT,
        env=server.env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_create_user_command_works_while_the_server_runs(blank_server):
    fresh_server = blank_server
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
    assert passwords.password_matches(password_hash, "contrasena-segura")
    assert fresh_server.login("Dueno.Tienda", "contrasena-segura")  # the new owner signs in at once


# --- over HTTP ------------------------------------------------------------------------------------


def _login(server, username, password):
    return requests.post(
        server.url + "/token", data={"username": username, "password": password}, timeout=30, verify=server.verify
    )


def _new_user(api, rol="mostrador", password="clave-de-prueba"):
    username = f"{rol}.{uuid.uuid4().hex[:6]}"
    usuario = api.ok(
        "POST",
        "/usuarios",
        201,
        json={"username": username, "nombre": "Persona de prueba", "rol": rol, "password": password},
    )
    return usuario, password


def test_login_returns_a_bearer_token_for_a_shift(server, api):
    usuario, password = _new_user(api, "tecnico")
    response = _login(server, usuario["username"].upper(), password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "usuario"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    assert body["usuario"] == usuario and "password_hash" not in response.text
    me = Api(server.url, body["access_token"], server.verify).ok("GET", "/usuarios/me")
    assert me["username"] == usuario["username"] and me["rol"] == "tecnico"
    assert_error(_login(server, usuario["username"], "otra-clave"), 401, "credenciales_invalidas")
    assert_error(_login(server, "nadie." + uuid.uuid4().hex[:6], password), 401, "credenciales_invalidas")
    assert_error(
        requests.post(server.url + "/token", json={"username": "x", "password": "y"}, timeout=10, verify=server.verify),
        422,
    )


def test_expired_and_foreign_tokens_are_refused(server, api):
    usuario, _ = _new_user(api)
    secret = tokens.load_or_create_secret(server.data_dir)
    expired = tokens.issue_token(
        {**usuario, "token_version": 1}, secret, HOURS_12, now=clock.now() - dt.timedelta(hours=13)
    )
    error = assert_error(Api(server.url, expired, server.verify).get("/clientes"), 401, "token_invalido")
    assert "expiró" in error["message"]
    foreign = tokens.issue_token({**usuario, "token_version": 1}, os.urandom(32), HOURS_12)
    assert_error(Api(server.url, foreign, server.verify).get("/clientes"), 401, "token_invalido")


def test_revoking_or_changing_a_password_ends_sessions_at_once(server, api):
    usuario, password = _new_user(api)
    first = Api(server.url, _login(server, usuario["username"], password).json()["access_token"], server.verify)
    second = Api(server.url, _login(server, usuario["username"], password).json()["access_token"], server.verify)
    assert first.get("/clientes").status_code == 200 and second.get("/clientes").status_code == 200

    # The user changes their own password: every other session ends, this one gets a new token.
    changed = first.ok("PUT", "/usuarios/me/password", json={"actual": password, "nueva": "nueva-clave-123"})
    assert_error(first.get("/clientes"), 401, "token_invalido")
    assert_error(second.get("/clientes"), 401, "token_invalido")
    renewed = Api(server.url, changed["access_token"], server.verify)
    assert renewed.get("/clientes").status_code == 200
    assert_error(_login(server, usuario["username"], password), 401)
    assert_error(
        renewed.put("/usuarios/me/password", json={"actual": "equivocada", "nueva": "otra-clave-123"}),
        403,
        "contrasena_incorrecta",
    )

    # The owner closes the user's sessions, then deactivates the account.
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"cerrar_sesiones": True})
    assert_error(renewed.get("/clientes"), 401, "token_invalido")
    again = Api(
        server.url, _login(server, usuario["username"], "nueva-clave-123").json()["access_token"], server.verify
    )
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"activo": False})
    assert_error(again.get("/clientes"), 401, "token_invalido")
    assert_error(_login(server, usuario["username"], "nueva-clave-123"), 403, "cuenta_inactiva")

    # Reactivated with a password reset by the owner: the old tokens stay dead.
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"activo": True, "password": "reinicio-123"})
    assert_error(again.get("/clientes"), 401)
    assert _login(server, usuario["username"], "reinicio-123").status_code == 200


def test_user_management_rules(server, api):
    usuario, _ = _new_user(api, "tecnico")
    listed = api.ok("GET", "/usuarios")["items"]
    assert usuario in listed and all("password_hash" not in u for u in listed)
    assert_error(
        api.post(
            "/usuarios",
            json={
                "username": usuario["username"].upper(),
                "nombre": "Otro",
                "rol": "tecnico",
                "password": "clave-larga-1",
            },
        ),
        409,
        "usuario_duplicado",
    )
    error = assert_error(
        api.post("/usuarios", json={"username": "corto.pw", "nombre": "X", "rol": "tecnico", "password": "corta"}), 422
    )
    assert "password" in error["fields"]
    assert_error(
        api.post("/usuarios", json={"username": "x.rol", "nombre": "X", "rol": "jefe", "password": "clave-larga-1"}),
        422,
    )
    promoted = api.ok("PUT", f"/usuarios/{usuario['id']}", json={"rol": "dueno", "version": usuario["version"]})
    assert promoted["rol"] == "dueno" and promoted["version"] == usuario["version"] + 1
    assert_error(
        api.put(f"/usuarios/{usuario['id']}", json={"nombre": "Tarde", "version": usuario["version"]}),
        409,
        "version_obsoleta",
    )
    assert_error(api.put(f"/usuarios/{usuario['id']}", json={"nombre": None}), 422)
    assert_error(api.put("/usuarios/no-existe", json={"nombre": "Nadie"}), 404)
    api.ok("PUT", f"/usuarios/{usuario['id']}", json={"rol": "tecnico"})


def test_the_last_owner_cannot_be_demoted_or_deactivated(fresh_server, fresh_api):
    me = fresh_api.ok("GET", "/usuarios/me")
    for change in ({"rol": "tecnico"}, {"activo": False}):
        assert_error(fresh_api.put(f"/usuarios/{me['id']}", json=change), 409, "ultimo_dueno")
    assert fresh_api.ok("GET", "/usuarios/me")["rol"] == "dueno"


def test_first_run_nothing_works_until_an_owner_exists(blank_server):
    status = requests.get(blank_server.url + "/", timeout=10, verify=blank_server.verify).json()
    assert status["configurado"] is False and "create-user --rol dueno" in status["aviso"]
    done = _create_user_cli(blank_server, "--rol", "tecnico", "--username", "tecnico.antes")
    assert done.returncode == 0, done.stderr
    error = assert_error(_login(blank_server, "tecnico.antes", "contrasena-segura"), 403, "sin_dueno")
    assert "dueño" in error["message"]
    assert _create_user_cli(blank_server, "--rol", "dueno", "--username", "rosa").returncode == 0
    assert requests.get(blank_server.url + "/", timeout=10, verify=blank_server.verify).json()["configurado"] is True
    assert _login(blank_server, "tecnico.antes", "contrasena-segura").status_code == 200


@pytest.mark.slow
def test_twenty_wrong_passwords_lock_the_user_until_the_lock_expires(server_with):
    proc, owner = server_with(LOGIN_MAX_FAILURES="10", LOGIN_LOCK_SECONDS="3")
    usuario, password = _new_user(owner, "mostrador")
    statuses, started = [], time.monotonic()
    for _ in range(20):
        response = _login(proc, usuario["username"], "adivinanza")
        statuses.append(response.status_code)
    assert statuses == [401] * 9 + [429] * 11, statuses
    assert time.monotonic() - started >= 4  # failures 5 to 9 were each answered after a pause
    locked = _login(proc, usuario["username"], password)  # even the right password waits
    error = assert_error(locked, 429, "demasiados_intentos")
    assert 1 <= int(locked.headers["Retry-After"]) <= 3 and "Espera" in error["message"]
    log = proc.log_path.read_text()
    assert f"Inicio de sesión bloqueado 3 s para '{usuario['username']}' desde 127.0.0.1" in log
    trail = owner.ok("GET", "/auditoria", params={"entidad_id": usuario["id"], "limit": 100})["items"]
    acciones = [row["accion"] for row in trail]
    assert acciones.count("inicio_sesion_fallido") == 9 and acciones.count("inicio_sesion_bloqueado") == 1
    assert all(row["ip"] == "127.0.0.1" and row["usuario"] == usuario["username"] for row in trail[:10])
    time.sleep(3.2)
    assert _login(proc, usuario["username"], password).status_code == 200
    assert _login(proc, usuario["username"], "adivinanza").status_code == 401  # the count started over


@pytest.mark.slow
def test_many_usernames_from_one_address_lock_the_address(server_with):
    proc, owner = server_with(LOGIN_MAX_FAILURES="3", LOGIN_LOCK_SECONDS="60")
    usuario, password = _new_user(owner, "tecnico")
    statuses = [_login(proc, f"inventado{n}", "adivinanza").status_code for n in range(9)]
    assert statuses[-1] == 429 and 429 not in statuses[:-1], statuses
    # The address is locked for every account now, the real one included.
    assert_error(_login(proc, usuario["username"], password), 429)


def test_every_role_lists_the_active_staff_by_name(fresh_server, fresh_api):
    """GET /personal: the technician picker at intake; names only, inactive accounts left out."""
    made = {}
    for username, nombre, rol in (
        ("zoe", "Zoe Ruiz", "tecnico"),
        ("alvaro", "Álvaro Núñez", "tecnico"),
        ("beto", "beto Salas", "mostrador"),
        ("carla", "Carla Díaz", "tecnico"),
    ):
        made[username] = fresh_api.ok(
            "POST",
            "/usuarios",
            201,
            json={"username": username, "nombre": nombre, "rol": rol, "password": f"clave-de-{username}"},
        )
    fresh_api.ok("PUT", f"/usuarios/{made['carla']['id']}", json={"activo": False})
    owner = fresh_api.ok("GET", "/usuarios/me")
    expected = [
        {"id": made["alvaro"]["id"], "username": "alvaro", "nombre": "Álvaro Núñez", "rol": "tecnico"},
        {"id": made["beto"]["id"], "username": "beto", "nombre": "beto Salas", "rol": "mostrador"},
        {"id": owner["id"], "username": owner["username"], "nombre": "Dueño de pruebas", "rol": "dueno"},
        {"id": made["zoe"]["id"], "username": "zoe", "nombre": "Zoe Ruiz", "rol": "tecnico"},
    ]
    assert fresh_api.ok("GET", "/personal") == {"items": expected}
    for username in ("zoe", "beto"):
        staff = Api(fresh_server.url, fresh_server.login(username, f"clave-de-{username}"), fresh_server.verify)
        assert staff.ok("GET", "/personal") == {"items": expected}
        assert_error(staff.get("/usuarios"), 403, "sin_permiso")  # the accounts themselves stay the owner's
