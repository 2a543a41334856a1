"""A full disk during a statement answers 503 no_guardado and writes nothing (at COMMIT: test_hardening).

SQLite refuses to grow the file past `PRAGMA max_page_count`, at the statement
that needs a new page: the same SQLITE_FULL a full disk gives, raised by the
INSERT itself rather than by the COMMIT. The writes that meet it here are the
ones that go through Tx.one (INSERT ... RETURNING), which once had no
translation of engine errors and answered 500.
"""

from __future__ import annotations

import pytest
from conftest import InProcessServer, client_of
from helpers import DbWatch, assert_error, token


@pytest.fixture
def full_server(tmp_path):
    server = InProcessServer(tmp_path / "data")
    yield server
    server.close()


def _fill_to_the_last_page(server: InProcessServer) -> None:
    with server.database.write() as tx:
        tx.value(f"PRAGMA max_page_count = {tx.value('PRAGMA page_count')}")


@pytest.mark.parametrize(
    "path, body",
    [
        ("/clientes", lambda n: {"nombre": f"Cliente {n}", "notas": "n" * 2000}),
        (
            "/usuarios",
            lambda n: {"username": f"caja{n}", "nombre": "C" * 120, "rol": "mostrador", "password": "clave-de-caja"},
        ),
    ],
    ids=["cliente", "usuario"],
)
def test_a_full_disk_during_the_insert_is_503_and_saves_nothing(full_server, path, body):
    owner = client_of(full_server, full_server.token)
    watch = DbWatch(full_server.db_path)
    marker = token()
    try:
        _fill_to_the_last_page(full_server)
        answers = []
        for n in range(60):  # the free space left in the last pages takes the first few
            before = watch.state()
            response = owner.post(path, json=body(f"{marker}{n}"))
            answers.append(response.status_code)
            if response.status_code != 201:
                assert_error(response, 503, "no_guardado")
                assert watch.state() == before, "the refused write left something behind"
                break
        assert answers[-1] == 503, answers
    finally:
        watch.close()
