"""The store on its own: migrations, the single-owner lock, transactions. Real SQLite files."""

from __future__ import annotations

import os
import subprocess
import sys

import apsw
import pytest
from serverproc import ROOT, free_port

from appliance.store import CommitFailed, Database, DatabaseLocked, SchemaTooNew
from appliance.store.migrations import known_migrations


def test_migrations_are_recorded_once_in_order(tmp_path):
    db = Database(tmp_path / "a.db")
    with db.read() as tx:
        names = [r["name"] for r in tx.all("SELECT name FROM schema_migrations ORDER BY name")]
    db.close()
    assert names == [name for name, _ in known_migrations()]
    db = Database(tmp_path / "a.db")  # reopening applies nothing new and keeps the server id
    with db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM schema_migrations") == len(names)
    db.close()


def test_server_id_is_stable_across_restarts(tmp_path):
    first = Database(tmp_path / "a.db")
    server_id = first.server_id
    first.close()
    second = Database(tmp_path / "a.db")
    assert second.server_id == server_id
    second.close()


def test_database_written_by_a_newer_version_is_refused(tmp_path):
    Database(tmp_path / "a.db").close()
    conn = apsw.Connection(str(tmp_path / "a.db"))
    conn.execute("INSERT INTO schema_migrations VALUES ('9999_from_the_future', '2030-01-01')")
    conn.close()
    with pytest.raises(SchemaTooNew, match="versión más nueva"):
        Database(tmp_path / "a.db")
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATA_DIR": str(tmp_path), "DB_PATH": str(tmp_path / "a.db"), "PORT": str(free_port())},
        timeout=30,
    )
    assert done.returncode == 2
    assert "versión más nueva" in done.stderr


def test_second_owner_of_the_same_file_is_refused(tmp_path):
    owner = Database(tmp_path / "a.db")
    try:
        with pytest.raises(DatabaseLocked, match="ya está en uso"):
            Database(tmp_path / "a.db")
    finally:
        owner.close()
    Database(tmp_path / "a.db").close()  # free again once the owner closed


def test_write_rolls_back_everything_on_error(tmp_path):
    db = Database(tmp_path / "a.db")
    with pytest.raises(RuntimeError), db.write() as tx:
        tx.execute("INSERT INTO meta (clave, valor) VALUES ('x', '1')")
        raise RuntimeError("boom")
    with db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM meta WHERE clave = 'x'") == 0
    db.close()


def test_database_is_in_wal_mode_with_full_sync(tmp_path):
    db = Database(tmp_path / "a.db")
    with db.write() as tx:
        assert tx.value("PRAGMA journal_mode") == "wal"
        assert tx.value("PRAGMA synchronous") == 2  # FULL
        assert tx.value("PRAGMA foreign_keys") == 1
    db.close()


def test_group_commit_never_reports_a_write_that_is_not_on_disk(tmp_path):
    """Writes in one group, the last one filling the disk: every write that returned is durable."""
    import gevent

    db = Database(tmp_path / "a.db")
    db.enable_group_commit()
    with db.write() as tx:
        pages = tx.value("PRAGMA page_count")
    outcomes: dict[str, str] = {}

    def write(key: str, size: int) -> None:
        try:
            with db.write() as tx:
                tx.execute("INSERT INTO meta (clave, valor) VALUES (?, ?)", (key, "x" * size))
            outcomes[key] = "ok"
        except CommitFailed as exc:
            outcomes[key] = "full" if "full" in str(exc) else str(exc)

    with db.write() as tx:  # "disk" of a few pages more than the schema needs
        tx.value(f"PRAGMA max_page_count = {pages + 8}")
    gevent.joinall(
        [
            gevent.spawn(write, "small-1", 10),
            gevent.spawn(write, "small-2", 10),
            gevent.spawn(write, "huge", 200_000),
            gevent.spawn(write, "small-3", 10),
        ]
    )
    db.close()
    assert outcomes["huge"] == "full"
    reopened = Database(tmp_path / "a.db")
    with reopened.read() as tx:
        stored = {r["clave"] for r in tx.all("SELECT clave FROM meta WHERE clave <> 'server_id'")}
    reopened.close()
    assert "huge" not in stored
    assert stored == {key for key, outcome in outcomes.items() if outcome == "ok"}
    assert stored, "the small writes around the failed one must not be lost"
