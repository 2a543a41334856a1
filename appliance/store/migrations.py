"""Named, ordered, recorded schema migrations (the sqlite-utils way).

Each file `schema/NNNN_name.sql` is applied once, in name order, inside its own
transaction together with its row in `schema_migrations`. A database that
records a migration this code does not know was written by a newer version
and is refused rather than misread.
"""

from __future__ import annotations

import datetime as _dt
from importlib import resources

import apsw

from .tx import run


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the appliance."""


def known_migrations() -> list[tuple[str, str]]:
    """(name, sql) for every migration shipped with this code, in order."""
    folder = resources.files(__package__).joinpath("schema")
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name[:-4], f.read_text(encoding="utf-8")) for f in files]


def apply_migrations(conn: apsw.Connection) -> list[str]:
    """Bring the schema up to date; return the names applied now."""
    run(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    known = known_migrations()
    unknown = applied - {name for name, _ in known}
    if unknown:
        raise SchemaTooNew(
            "La base de datos fue creada por una versión más nueva de ServitecManager "
            f"(migraciones desconocidas: {', '.join(sorted(unknown))}). Actualiza el programa."
        )
    done = []
    for name, sql in known:
        if name in applied:
            continue
        with conn:  # one transaction per migration, rolled back whole on error
            run(conn, sql)
            now = _dt.datetime.now(_dt.UTC).isoformat()
            run(conn, "INSERT INTO schema_migrations VALUES (?, ?)", (name, now))
        done.append(name)
    return done
