"""Backups (issue 5): online copies of a live server, verification, listing, retention, restore, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest
from conftest import Api
from helpers import KeepWriting, make_cliente, make_producto, vender
from serverproc import ROOT

from appliance import backups
from appliance.shop import events, usuarios
from appliance.shop.errors import Conflict
from appliance.store import Actor, Database, copies
from appliance.store.migrations import known_migrations

UTC = dt.UTC


def cli(server, backup_dir: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**server.env, "BACKUP_DIR": str(backup_dir), **env},
    )


def live_state(db_path: Path) -> tuple[dict[str, int], str]:
    facts = copies.facts(db_path)
    return facts["filas"], facts["hash_contenido"]


def manifest(backup_dir: Path) -> dict[str, dict]:
    return {e["nombre"]: e for e in json.loads((backup_dir / "backups.json").read_text(encoding="utf-8"))["respaldos"]}


@pytest.fixture
def shop_db(tmp_path) -> Path:
    """A closed database with a few rows, made through the store like the server makes them."""
    path = tmp_path / "data" / "SERVITEC.DB"
    database = Database(path)
    try:
        with database.write() as tx:
            for n in range(5):
                tx.execute(
                    "INSERT INTO clientes (id, nombre, telefono, busqueda, creado_en, actualizado_en)"
                    " VALUES (?, ?, '555', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                    (f"c{n}", f"Cliente {n}", f"cliente {n}"),
                )
    finally:
        database.close()
    return path


# --- online backup under load -------------------------------------------------------------------


def test_backup_of_a_server_selling_flat_out_has_every_earlier_sale(fresh_server, fresh_api, tmp_path, monkeypatch):
    producto = make_producto(fresh_api, stock=1_000_000, precio=10)
    for _ in range(200):
        make_cliente(fresh_api)
    # Small steps, so the copy spans many steps while sales commit between them: without the
    # snapshot held across steps SQLite would restart the copy after each of them.
    monkeypatch.setattr(copies, "STEP_PAGES", 4)
    with KeepWriting(
        lambda: Api(fresh_server.url, fresh_server.token, fresh_server.verify),
        lambda seller: vender(seller, producto["id"]),
        threads=4,
    ) as sales:
        while len(sales.made) < 50:
            time.sleep(0.01)
        before = list(sales.made)  # each of these answered 201, so it is on disk before the backup begins
        steps: list[tuple[int, int]] = []
        entry = backups.create_backup(
            fresh_server.db_path,
            tmp_path / "bk",
            kind="auto",
            usuario="prueba",
            progress=lambda done, total: steps.append((done, total)),
        )
        during = len(sales.made) - len(before)
    assert not sales.failures, sales.failures[:3]
    assert len(steps) > 10 and steps[-1][0] == steps[-1][1]
    path = tmp_path / "bk" / entry["nombre"]
    assert backups.verify_backup(path) == (True, None)
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        saved = {row[0] for row in conn.execute("SELECT id FROM ventas")}
    finally:
        conn.close()
    assert copies.facts(path)["hash_contenido"] == entry["hash_contenido"]
    assert set(before) <= saved
    assert entry["filas"]["ventas"] == len(saved) >= len(before)
    assert entry["tipo"] == "auto" and entry["usuario"] == "prueba" and entry["verificado"] is True
    assert entry["version_esquema"] == known_migrations()[-1][0]
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and entry["tamano"] == path.stat().st_size
    print(f"sales committed during the backup: {during}; backup took {entry['duracion_s']} s")


# --- restore through the CLI --------------------------------------------------------------------


@pytest.mark.slow
def test_cli_backup_while_running_then_restore_only_when_stopped(fresh_server, fresh_api, tmp_path):
    backup_dir = tmp_path / "bk"
    producto = make_producto(fresh_api, stock=100)
    for _ in range(5):
        make_cliente(fresh_api)
        assert vender(fresh_api, producto["id"]).status_code == 201

    made = cli(fresh_server, backup_dir, "backup")
    assert made.returncode == 0, made.stderr
    assert "Respaldo creado: servitec-" in made.stdout and "Verificado:  sí" in made.stdout
    (name,) = manifest(backup_dir)
    saved = manifest(backup_dir)[name]

    extra = make_cliente(fresh_api)  # after the backup: the restore must take it away
    assert vender(fresh_api, producto["id"]).status_code == 201

    refused = cli(fresh_server, backup_dir, "restore", name, "--yes")
    assert refused.returncode == 2 and "Error: el servidor está encendido" in refused.stderr, refused.stderr
    assert f"POST /backups/{name}/restore" in refused.stderr  # the way to do it with the server on
    assert fresh_api.ok("GET", f"/clientes/{extra['id']}")["id"] == extra["id"]

    listed = cli(fresh_server, backup_dir, "backups")
    assert listed.returncode == 0 and name in listed.stdout and "verificado" in listed.stdout

    fresh_server.stop()
    before = live_state(fresh_server.db_path)
    declined = cli(fresh_server, backup_dir, "restore", name, stdin="no\n")
    assert declined.returncode == 1 and "Cancelado" in declined.stdout
    assert live_state(fresh_server.db_path) == before

    restored = cli(fresh_server, backup_dir, "restore", name, "--yes")
    assert restored.returncode == 0, restored.stderr
    assert live_state(fresh_server.db_path) == (saved["filas"], saved["hash_contenido"])
    kinds = [e["tipo"] for e in backups.list_backups(backup_dir)]
    assert sorted(kinds) == ["manual", "pre-restore"]
    assert "Respaldo previo: " in restored.stdout

    fresh_server.start()
    assert fresh_api.get(f"/clientes/{extra['id']}").status_code == 404
    assert vender(fresh_api, producto["id"]).status_code == 201  # the restored database takes writes


# --- damaged, foreign and newer files -----------------------------------------------------------


def test_truncated_and_text_files_are_listed_invalid_and_never_restored(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    good = backups.create_backup(shop_db, backup_dir, now=dt.datetime(2026, 1, 3, tzinfo=UTC))
    data = (backup_dir / good["nombre"]).read_bytes()
    (backup_dir / "servitec-20260102-000000-manual.db").write_bytes(data[: len(data) // 2])
    (backup_dir / "servitec-20260101-000000-manual.db").write_text("esto no es una base de datos\n")
    recorded_then_cut = backups.create_backup(shop_db, backup_dir, now=dt.datetime(2026, 1, 4, tzinfo=UTC))
    with open(backup_dir / recorded_then_cut["nombre"], "r+b") as file:
        file.truncate(4096)

    listed = {e["nombre"]: e for e in backups.list_backups(backup_dir)}
    assert [e["nombre"] for e in backups.list_backups(backup_dir)] == sorted(listed, reverse=True)
    assert listed[good["nombre"]]["valido"] and listed[good["nombre"]]["estado"] == "verificado"
    truncated = listed["servitec-20260102-000000-manual.db"]
    assert (truncated["valido"], truncated["estado"]) == (False, "invalido")
    assert "incompleto" in truncated["razon"]
    text = listed["servitec-20260101-000000-manual.db"]
    assert text["valido"] is False and text["razon"] == "No es un archivo de base de datos SQLite."
    assert (
        listed[recorded_then_cut["nombre"]]["valido"] is False
        and "medía" in listed[recorded_then_cut["nombre"]]["razon"]
    )

    before = live_state(shop_db)
    for name in (
        "servitec-20260102-000000-manual.db",
        "servitec-20260101-000000-manual.db",
        recorded_then_cut["nombre"],
    ):
        with pytest.raises(Conflict) as refused:
            backups.restore_backup(shop_db, backup_dir, name)
        assert refused.value.message.startswith(f"No se puede restaurar {name}: ")
        assert refused.value.message.endswith("Los datos actuales no se modificaron.")
        assert live_state(shop_db) == before
    assert not [e for e in backups.list_backups(backup_dir) if e["tipo"] == "pre-restore"]


def test_cli_refuses_a_damaged_file_with_a_spanish_error(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    backup_dir.mkdir()
    (backup_dir / "servitec-20260101-000000-manual.db").write_text("hola\n")
    env = {"DATA_DIR": str(shop_db.parent), "BACKUP_DIR": str(backup_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "restore", "servitec-20260101-000000-manual.db", "--yes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: no se puede restaurar servitec-20260101-000000-manual.db: No es un archivo")
    missing = subprocess.run(
        [sys.executable, "-m", "appliance", "restore", "../SERVITEC.DB", "--yes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert missing.returncode == 2 and "Error: No existe el respaldo ../SERVITEC.DB" in missing.stderr


def test_a_foreign_or_newer_sqlite_file_is_refused(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    backup_dir.mkdir()
    foreign = apsw.Connection(str(backup_dir / "servitec-20260101-000000-manual.db"))
    foreign.execute("CREATE TABLE contactos (nombre TEXT); INSERT INTO contactos VALUES ('Ana')")
    foreign.close()
    ok, reason = backups.verify_backup(backup_dir / "servitec-20260101-000000-manual.db")
    assert not ok and reason == "No es un respaldo de ServitecManager (le faltan sus tablas)."

    newer = backups.create_backup(shop_db, backup_dir, now=dt.datetime(2026, 1, 2, tzinfo=UTC))
    conn = apsw.Connection(str(backup_dir / newer["nombre"]))
    conn.execute("INSERT INTO schema_migrations VALUES ('9999_futuro', '2030-01-01')")
    conn.close()
    ok, reason = backups.verify_backup(backup_dir / newer["nombre"])
    assert not ok and "versión más nueva" in reason and "9999_futuro" in reason

    before = live_state(shop_db)
    for name in ("servitec-20260101-000000-manual.db", newer["nombre"]):
        with pytest.raises(Conflict):
            backups.restore_backup(shop_db, backup_dir, name)
    assert live_state(shop_db) == before


def test_restore_refuses_a_file_changed_since_its_backup(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    entry = backups.create_backup(shop_db, backup_dir)
    conn = apsw.Connection(str(backup_dir / entry["nombre"]))
    conn.execute("UPDATE clientes SET nombre = 'Otro' WHERE id = 'c1'")  # still sound SQLite, same size
    conn.close()
    with pytest.raises(Conflict) as refused:
        backups.restore_backup(shop_db, backup_dir, entry["nombre"])
    assert "sha256 distinto" in refused.value.message


def test_restore_in_process_brings_back_exact_data_and_keeps_wal(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    entry = backups.create_backup(shop_db, backup_dir)
    database = Database(shop_db)
    try:
        with database.write() as tx:
            tx.execute("DELETE FROM clientes WHERE id = 'c2'")
            seen_by_clients = events.record_change(tx, "cliente_eliminado", "clientes", "c2", 2, "eliminar", {})
        used = backups.restore_backup(database, backup_dir, entry["nombre"], actor=Actor(None, "rosa", None))
        with database.read() as tx:
            assert tx.value("SELECT count(*) FROM clientes") == 5
            assert tx.value("PRAGMA journal_mode") == "wal"
            marker = tx.one("SELECT * FROM cambios ORDER BY seq DESC LIMIT 1")
            audited = tx.one("SELECT * FROM auditoria WHERE accion = 'base_restaurada'")
            # The audit row of the deletion made after the backup survives the restore.
            kept = tx.one("SELECT * FROM auditoria WHERE accion = 'cliente_eliminado'")
        with database.write() as tx:  # the writer works after the restore
            tx.execute("UPDATE clientes SET nombre = 'Nuevo' WHERE id = 'c2'")
    finally:
        database.close()
    assert used["nombre"] == entry["nombre"] and used["respaldo_previo"].endswith("-pre-restore.db")
    previous = manifest(backup_dir)[used["respaldo_previo"]]
    assert previous["filas"]["clientes"] == 4 and previous["usuario"] == "rosa"
    # The change log numbers on past everything clients saw before the restore, and says so.
    assert marker["evento"] == "base_restaurada" and marker["seq"] == seen_by_clients + 1
    assert json.loads(marker["datos"])["respaldo_previo"] == used["respaldo_previo"]
    assert audited["usuario"] == "rosa" and audited["entidad_id"] == entry["nombre"]
    assert kept["entidad_id"] == "c2" and kept["id"] < audited["id"]


# --- second destination -------------------------------------------------------------------------


def test_copy_dir_receives_a_verified_copy(shop_db, tmp_path):
    copies = tmp_path / "usb"
    copies.mkdir()
    entry = backups.create_backup(shop_db, tmp_path / "bk", copy_dir=copies)
    assert entry["copia"] == {"ok": True, "ruta": str(copies / entry["nombre"]), "error": None}
    assert hashlib.sha256((copies / entry["nombre"]).read_bytes()).hexdigest() == entry["sha256"]
    assert [p.name for p in copies.iterdir()] == [entry["nombre"]]


@pytest.mark.parametrize("where", ["missing", "a file"])
def test_a_missing_or_unwritable_copy_dir_is_reported_not_fatal(shop_db, tmp_path, where):
    copy_dir = tmp_path / "usb"
    if where == "a file":
        copy_dir.write_text("no soy carpeta")
    entry = backups.create_backup(shop_db, tmp_path / "bk", copy_dir=copy_dir)
    assert entry["verificado"] is True and (tmp_path / "bk" / entry["nombre"]).is_file()
    assert entry["copia"]["ok"] is False
    assert entry["copia"]["error"].startswith(f"No se pudo copiar a {copy_dir}: ")
    assert manifest(tmp_path / "bk")[entry["nombre"]]["copia"] == entry["copia"]


def test_copy_dir_failure_shows_in_cli(shop_db, tmp_path):
    env = {
        **os.environ,
        "DATA_DIR": str(shop_db.parent),
        "BACKUP_DIR": str(tmp_path / "bk"),
        "BACKUP_COPY_DIR": str(tmp_path / "no-conectado"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "backup"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "Copia:       FALLÓ: No se pudo copiar a" in done.stdout


# --- retention ----------------------------------------------------------------------------------


def _entry(moment: dt.datetime, kind: str = "auto", verified: bool = True) -> dict:
    return {
        "nombre": f"servitec-{moment:%Y%m%d-%H%M%S}-{kind}.db",
        "tipo": kind,
        "creado": moment.isoformat(),
        "verificado": verified,
    }


def test_retention_over_a_simulated_year_keeps_exactly_the_expected_set():
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    six_hours = dt.timedelta(hours=6)
    extra = [
        _entry(dt.datetime(2025, 3, 5, 10, 30, tzinfo=UTC), "manual"),
        _entry(dt.datetime(2025, 7, 9, 8, 0, tzinfo=UTC), "pre-restore"),
    ]
    kept: list[dict] = []
    now = start
    # The scheduler's life: a backup every 6 hours, retention right after each one.
    for n in range(365 * 4):
        now = start + n * six_hours
        kept.append(_entry(now))
        kept.extend(e for e in extra if dt.datetime.fromisoformat(e["creado"]) <= now and e not in kept)
        kept, deleted = backups.plan_retention(kept, now)
        assert all(e["tipo"] == "auto" for e in deleted)
    assert now == dt.datetime(2025, 12, 31, 18, tzinfo=UTC)

    def at(day: str, hour: int = 18) -> str:
        return f"servitec-{day.replace('-', '')}-{hour:02d}0000-auto.db"

    hourly = {at(f"2025-12-{d:02d}", h) for d in range(20, 32) for h in (0, 6, 12, 18)}  # the last 48
    daily = {at(f"2025-12-{d:02d}") for d in range(18, 32)}  # the last 14 days
    weekly = {at("2025-12-31")} | {
        at(day)
        for day in ("2025-12-28", "2025-12-21", "2025-12-14", "2025-12-07", "2025-11-30", "2025-11-23", "2025-11-16")
    }  # Sundays
    monthly = {
        at(day)
        for day in (
            "2025-01-31",
            "2025-02-28",
            "2025-03-31",
            "2025-04-30",
            "2025-05-31",
            "2025-06-30",
            "2025-07-31",
            "2025-08-31",
            "2025-09-30",
            "2025-10-31",
            "2025-11-30",
            "2025-12-31",
        )
    }
    expected = hourly | daily | weekly | monthly | {e["nombre"] for e in extra}
    assert {e["nombre"] for e in kept} == expected
    assert len(expected) == 48 + 2 + 5 + 10 + 2
    # Applied once to the whole year, the plan is the same.
    year = [_entry(start + n * six_hours) for n in range(365 * 4)] + extra
    assert {e["nombre"] for e in backups.plan_retention(year, now)[0]} == expected


def test_retention_never_drops_the_only_verified_backup_nor_counts_future_ones():
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    autos = [_entry(now - dt.timedelta(days=d)) for d in range(5)]
    keep, delete = backups.plan_retention(autos, now, 0, 0, 0, 0)
    assert [e["nombre"] for e in keep] == [autos[0]["nombre"]] and len(delete) == 4
    unverified_manual = _entry(now, "manual", verified=False)
    keep, _ = backups.plan_retention([*autos, unverified_manual], now, 0, 0, 0, 0)
    assert {e["nombre"] for e in keep} == {autos[0]["nombre"], unverified_manual["nombre"]}
    # A clock set back a year: the "future" backups are all kept and the new one still counts.
    past = now - dt.timedelta(days=365)
    keep, delete = backups.plan_retention([*autos, _entry(past)], past, 1, 0, 0, 0)
    assert not delete and len(keep) == 6


def test_apply_retention_and_delete_remove_files_and_entries(shop_db, tmp_path):
    backup_dir, copies = tmp_path / "bk", tmp_path / "usb"
    copies.mkdir()
    base = dt.datetime(2026, 2, 1, tzinfo=UTC)
    autos = [
        backups.create_backup(shop_db, backup_dir, kind="auto", copy_dir=copies, now=base + dt.timedelta(days=d))
        for d in range(3)
    ]
    manual = backups.create_backup(shop_db, backup_dir, kind="manual", now=base)
    deleted = backups.apply_retention(backup_dir, base + dt.timedelta(days=3), 1, 0, 0, 0, copy_dir=copies)
    assert [e["nombre"] for e in deleted] == [autos[1]["nombre"], autos[0]["nombre"]]
    assert set(manifest(backup_dir)) == {autos[2]["nombre"], manual["nombre"]}
    assert sorted(p.name for p in backup_dir.glob("servitec-*.db")) == sorted(manifest(backup_dir))
    assert [p.name for p in copies.glob("servitec-*.db")] == [autos[2]["nombre"]]

    backups.delete_backup(backup_dir, manual["nombre"])
    with pytest.raises(Conflict) as refused:
        backups.delete_backup(backup_dir, autos[2]["nombre"], copy_dir=copies)
    assert "único respaldo verificado" in refused.value.message
    assert (backup_dir / autos[2]["nombre"]).is_file() and list(manifest(backup_dir)) == [autos[2]["nombre"]]


def test_restore_keeps_staff_accounts_as_they_are_now(shop_db, tmp_path):
    """A deactivation, a new password or a revoked session after the backup survive the restore."""
    backup_dir = tmp_path / "bk"
    database = Database(shop_db)
    try:
        with database.write() as tx:
            rosa = usuarios.create_usuario(tx, {"username": "rosa", "nombre": "Rosa", "rol": "dueno"}, "hash-viejo")
            luis = usuarios.create_usuario(tx, {"username": "luis", "nombre": "Luis", "rol": "mostrador"}, "hash-luis")
        entry = backups.create_backup(database.path, backup_dir)
        with database.write() as tx:
            tx.execute(
                "UPDATE usuarios SET password_hash = 'hash-nuevo', token_version = 7 WHERE id = ?", (rosa["id"],)
            )
            tx.execute("UPDATE usuarios SET activo = 0 WHERE id = ?", (luis["id"],))
            beto = usuarios.create_usuario(tx, {"username": "beto", "nombre": "Beto", "rol": "tecnico"}, "hash-beto")
            tx.execute("DELETE FROM clientes WHERE id = 'c1'")
        backups.restore_backup(database, backup_dir, entry["nombre"])
        with database.read() as tx:
            accounts = {row["username"]: row for row in tx.all("SELECT * FROM usuarios")}
            assert tx.value("SELECT count(*) FROM clientes") == 5  # the shop's data went back
    finally:
        database.close()
    assert (accounts["rosa"]["password_hash"], accounts["rosa"]["token_version"]) == ("hash-nuevo", 7)
    assert accounts["luis"]["activo"] == 0
    assert accounts["beto"]["id"] == beto["id"]


def test_restoring_a_backup_from_another_pc_keeps_its_accounts_and_skips_clashing_names(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    other = tmp_path / "otra-pc" / "SERVITEC.DB"
    foreign = Database(other)
    try:
        with foreign.write() as tx:
            old_rosa = usuarios.create_usuario(
                tx, {"username": "rosa", "nombre": "Rosa", "rol": "dueno"}, "hash-pc-vieja"
            )
    finally:
        foreign.close()
    entry = backups.create_backup(other, backup_dir)
    database = Database(shop_db)
    try:
        with database.write() as tx:  # the new PC's own owner, made at setup with the same username
            usuarios.create_usuario(tx, {"username": "rosa", "nombre": "Rosa", "rol": "dueno"}, "hash-pc-nueva")
            usuarios.create_usuario(tx, {"username": "ana", "nombre": "Ana", "rol": "dueno"}, "hash-ana")
        backups.restore_backup(database, backup_dir, entry["nombre"])
        with database.read() as tx:
            accounts = {row["username"]: row for row in tx.all("SELECT * FROM usuarios")}
    finally:
        database.close()
    assert accounts["rosa"]["id"] == old_rosa["id"] and accounts["rosa"]["password_hash"] == "hash-pc-vieja"
    assert accounts["ana"]["password_hash"] == "hash-ana"


def test_a_backup_hashed_the_older_way_restores_on_its_row_counts(shop_db, tmp_path):
    backup_dir = tmp_path / "bk"
    entry = backups.create_backup(shop_db, backup_dir)
    saved = json.loads((backup_dir / "backups.json").read_text())
    saved["respaldos"][0]["hash_contenido"] = "0" * 64  # as an earlier version recorded it: no format prefix
    (backup_dir / "backups.json").write_text(json.dumps(saved))
    restored = backups.restore_backup(shop_db, backup_dir, entry["nombre"])
    assert restored["filas"]["clientes"] == 5
    # A current-format hash that does not match is still a failed restore.
    saved["respaldos"][0]["hash_contenido"] = copies.HASH_FORMAT + "0" * 64
    (backup_dir / "backups.json").write_text(json.dumps(saved))
    with pytest.raises(backups.BackupFailed, match="no coinciden"):
        backups.restore_backup(shop_db, backup_dir, entry["nombre"])
