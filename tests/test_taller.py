"""The shop's own data ("Datos del taller"): one record every role reads and the owner edits."""

from __future__ import annotations

import pytest
from conftest import clients_per_role
from helpers import assert_error

FIELDS = ("nombre", "direccion", "telefono", "rfc", "regimen_fiscal", "garantia", "pie_ticket")


@pytest.fixture(scope="module")
def server(app_server):
    """In-process, on a database of this module's own: the record starts as it does on a new shop."""
    return app_server


@pytest.fixture(scope="module")
def staff(server, module_api):
    """A signed-in client per role."""
    return clients_per_role(server, module_api)


def test_a_new_shop_has_no_data_yet_and_no_made_up_name(staff):
    for client in staff.values():
        assert client.ok("GET", "/taller") == {**dict.fromkeys(FIELDS), "version": 1, "actualizado_en": None}


def test_the_owner_edits_the_fields_sent_and_every_role_reads_them(staff):
    owner = staff["dueno"]
    before = owner.ok("GET", "/taller")
    garantia = "90 días en mano de obra.\nNo cubre golpes ni humedad.\n\tSin ticket no hay garantía."
    edited = owner.ok(
        "PUT",
        "/taller",
        json={
            "nombre": "  Servitec Centro  ",
            "direccion": "Av. Juárez 12, local 3\nCentro, CDMX",
            "telefono": "55 1234 5678",
            "rfc": "sec990101ab1",
            "regimen_fiscal": "626 - Régimen Simplificado de Confianza",
            "garantia": garantia,
            "pie_ticket": "¡Gracias por su preferencia!",
            "version": before["version"],
        },
    )
    assert edited["nombre"] == "Servitec Centro"  # trimmed
    assert edited["rfc"] == "SEC990101AB1"  # upper-cased, 12 characters (a company)
    assert edited["garantia"] == garantia  # multi-line text keeps its lines and tabs
    assert edited["version"] == before["version"] + 1 and edited["actualizado_en"]
    for client in staff.values():
        assert client.ok("GET", "/taller") == edited

    # Only what is sent changes; blank clears a field (stored as null).
    cleared = owner.ok("PUT", "/taller", json={"pie_ticket": "   ", "regimen_fiscal": None})
    assert cleared["pie_ticket"] is None and cleared["regimen_fiscal"] is None
    assert {k: cleared[k] for k in ("nombre", "rfc", "garantia")} == {
        k: edited[k] for k in ("nombre", "rfc", "garantia")
    }
    assert cleared["version"] == edited["version"] + 1

    # An empty edit writes nothing.
    assert owner.ok("PUT", "/taller", json={}) == cleared


def test_an_edit_over_a_stale_version_is_refused(staff):
    owner = staff["dueno"]
    current = owner.ok("GET", "/taller")
    stale = current["version"] - 1
    error = assert_error(owner.put("/taller", json={"nombre": "Otro", "version": stale}), 409, "version_obsoleta")
    assert "taller" in error["message"]
    assert_error(owner.put("/taller", headers={"If-Match": f'"{stale}"'}, json={"nombre": "Otro"}), 409)
    assert owner.ok("GET", "/taller") == current
    moved = owner.ok("PUT", "/taller", headers={"If-Match": f'"{current["version"]}"'}, json={"nombre": "Servitec"})
    assert moved["nombre"] == "Servitec"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"nombre": "n" * 121}, "nombre"),
        ({"nombre": "Línea 1\nLínea 2"}, "nombre"),
        ({"rfc": "XYZ"}, "rfc"),
        ({"rfc": "SEC990101AB1X2"}, "rfc"),
        ({"telefono": "llámame"}, "telefono"),
        ({"direccion": "d" * 301}, "direccion"),
        ({"garantia": "g" * 2001}, "garantia"),
        ({"garantia": "con \x07 campana"}, "garantia"),
        ({"pie_ticket": "p" * 501}, "pie_ticket"),
        ({"regimen_fiscal": "r" * 151}, "regimen_fiscal"),
        ({"version": 0}, "version"),
        ({"logo": "x"}, "logo"),
    ],
)
def test_invalid_data_is_refused_in_spanish(staff, body, field):
    owner = staff["dueno"]
    before = owner.ok("GET", "/taller")
    error = assert_error(owner.put("/taller", json=body), 422, "validacion")
    assert field in error["fields"], error
    assert error["message"].startswith("Revisa los datos.")
    assert owner.ok("GET", "/taller") == before


def test_only_the_owner_edits(staff):
    before = staff["dueno"].ok("GET", "/taller")
    for rol in ("tecnico", "mostrador"):
        error = assert_error(staff[rol].put("/taller", json={"nombre": "Mío"}), 403, "sin_permiso")
        assert "no permite" in error["message"]
    assert staff["dueno"].ok("GET", "/taller") == before


def test_a_change_is_an_event_every_role_sees_and_is_audited(staff):
    owner = staff["dueno"]
    since = owner.ok("GET", "/sync/changes", params={"since": 0, "limit": 1000})["last_seq"]
    taller = owner.ok("PUT", "/taller", json={"telefono": "55-0000-1111"})
    for client in staff.values():
        changes = client.ok("GET", "/sync/changes", params={"since": since})["items"]
        assert [(c["event"], c["entidad"], c["id"], c["version"]) for c in changes] == [
            ("taller_actualizado", "taller", "taller", taller["version"])
        ]
        assert changes[0]["data"] == taller
    trail = owner.ok("GET", "/auditoria", params={"entidad": "taller", "limit": 1})["items"]
    assert trail[0]["accion"] == "taller_actualizado" and trail[0]["campos"] == ["telefono"]
