"""/clientes against the real server: CRUD, search, paging, versions, soft delete, history."""

from __future__ import annotations

import uuid

from helpers import assert_error, cambiar_estado, make_cliente, make_orden, make_producto, vender


def ids(page):
    return [item["id"] for item in page["items"]]


def test_status_endpoint(api):
    body = api.ok("GET", "/")
    assert body["app"] == "ServitecManager"
    assert isinstance(body["version"], str) and body["version"]
    uuid.UUID(body["server_id"])
    assert body["time"].endswith("Z") and "T" in body["time"]
    assert body["db"] == "ok"
    assert api.ok("GET", "/")["server_id"] == body["server_id"]


def test_create_and_get_round_trip(api, unique):
    body = {
        "nombre": f"Ana López {unique}",
        "telefono": "(55) 1234-5678",
        "email": f"ana.{unique}@correo.mx",
        "direccion": "Av. Juárez 12, Centro",
        "rfc": "loan800101ab1",
        "notas": "Prefiere WhatsApp",
    }
    created = api.ok("POST", "/clientes", 201, json=body)
    uuid.UUID(created["id"])
    assert created["version"] == 1
    assert created["rfc"] == "LOAN800101AB1"  # normalised to upper case
    for field in ("nombre", "telefono", "email", "direccion", "notas"):
        assert created[field] == body[field]
    assert created["creado_en"] == created["actualizado_en"]
    assert api.ok("GET", f"/clientes/{created['id']}") == created


def test_create_trims_and_blanks_become_null(api, unique):
    created = api.ok("POST", "/clientes", 201, json={"nombre": f"  Beto {unique}  ", "email": "   ", "notas": ""})
    assert created["nombre"] == f"Beto {unique}"
    assert created["email"] is None and created["notas"] is None


def test_create_with_client_made_id_and_duplicate(api, unique):
    cliente_id = str(uuid.uuid4())
    created = api.ok("POST", "/clientes", 201, json={"id": cliente_id, "nombre": f"Offline {unique}"})
    assert created["id"] == cliente_id
    assert_error(api.post("/clientes", json={"id": cliente_id, "nombre": f"Otro {unique}"}), 409, "ya_existe")
    assert api.ok("GET", f"/clientes/{cliente_id}")["nombre"] == f"Offline {unique}"


def test_search_is_accent_and_case_insensitive(api, unique):
    jose = make_cliente(api, nombre=f"José Núñez {unique}")
    make_cliente(api, nombre=f"Josefina Ruiz {unique}")
    for query in (
        f"jose nunez {unique}",
        f"NUÑEZ {unique}",
        f"{unique} núñez josé",
        f"JOSÉ NÚÑEZ {unique.upper()}",
        f"nunez {unique}",
    ):
        page = api.ok("GET", "/clientes", params={"q": query})
        assert ids(page) == [jose["id"]], query
    both = api.ok("GET", "/clientes", params={"q": f"jose {unique}"})
    assert len(both["items"]) == 2
    assert api.ok("GET", "/clientes", params={"q": f"nunez zzz{unique}"})["items"] == []


def test_search_by_phone_digits_and_email(api, unique):
    digits = str(uuid.uuid4().int)[:8]
    cliente = make_cliente(
        api, nombre=f"Carla {unique}", telefono=f"55 {digits[:4]}-{digits[4:]}", email=f"Carla.{unique}@Example.COM"
    )
    assert ids(api.ok("GET", "/clientes", params={"q": digits})) == [cliente["id"]]
    assert ids(api.ok("GET", "/clientes", params={"q": f"{digits[:4]}-{digits[4:]}"})) == [cliente["id"]]
    assert ids(api.ok("GET", "/clientes", params={"q": f"carla.{unique}@example.com"})) == [cliente["id"]]
    assert ids(api.ok("GET", "/clientes", params={"q": f"{unique}@EXAMPLE"})) == [cliente["id"]]


def test_search_treats_like_wildcards_literally(api, unique):
    make_cliente(api, nombre=f"Wild {unique}")
    assert api.ok("GET", "/clientes", params={"q": f"W%d {unique}"})["items"] == []
    assert api.ok("GET", "/clientes", params={"q": f"W_ld {unique}"})["items"] == []


def test_paging_limit_offset_has_more(api, unique):
    created = [make_cliente(api, nombre=f"Pag {unique} {letter}") for letter in "EBDAC"]
    expected = [c["id"] for c in sorted(created, key=lambda c: c["nombre"])]
    seen = []
    for offset, size, more in ((0, 2, True), (2, 2, True), (4, 1, False)):
        page = api.ok("GET", "/clientes", params={"q": f"pag {unique}", "limit": 2, "offset": offset})
        assert (page["limit"], page["offset"], page["has_more"]) == (2, offset, more)
        assert len(page["items"]) == size
        seen += ids(page)
    assert seen == expected  # ordered by nombre, no duplicates, nothing missing
    exact = api.ok("GET", "/clientes", params={"q": f"pag {unique}", "limit": 5})
    assert exact["has_more"] is False and len(exact["items"]) == 5
    assert api.ok("GET", "/clientes", params={"q": f"pag {unique}", "offset": 5})["items"] == []


def test_default_page_size(api):
    page = api.ok("GET", "/clientes")
    assert page["limit"] == 50 and page["offset"] == 0
    assert len(page["items"]) <= 50


def test_update_changes_only_sent_fields_and_bumps_version(api, unique):
    cliente = make_cliente(api, nombre=f"Upd {unique}", email=f"u{unique}@x.mx")
    updated = api.ok("PUT", f"/clientes/{cliente['id']}", json={"telefono": "555-9999", "notas": "VIP"})
    assert updated["version"] == 2
    assert updated["telefono"] == "555-9999" and updated["notas"] == "VIP"
    assert updated["email"] == cliente["email"] and updated["nombre"] == cliente["nombre"]
    assert updated["actualizado_en"] > cliente["actualizado_en"]
    assert api.ok("GET", f"/clientes/{cliente['id']}") == updated
    # The search text follows the edit.
    assert ids(api.ok("GET", "/clientes", params={"q": f"5559999 {unique}"})) == [cliente["id"]]
    # Clearing an optional field with null.
    cleared = api.ok("PUT", f"/clientes/{cliente['id']}", json={"email": None})
    assert cleared["email"] is None and cleared["version"] == 3


def test_update_cannot_blank_the_name(api, unique):
    cliente = make_cliente(api, nombre=f"Blank {unique}")
    assert_error(api.put(f"/clientes/{cliente['id']}", json={"nombre": None}), 422)
    assert_error(api.put(f"/clientes/{cliente['id']}", json={"nombre": "   "}), 422)
    assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente


def test_stale_version_in_body_is_refused(api, unique):
    cliente = make_cliente(api, nombre=f"Ver {unique}")
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": "primera", "version": 1})
    error = assert_error(
        api.put(f"/clientes/{cliente['id']}", json={"notas": "tarde", "version": 1}), 409, "version_obsoleta"
    )
    assert "version" in error["fields"]
    current = api.ok("GET", f"/clientes/{cliente['id']}")
    assert current["notas"] == "primera" and current["version"] == 2
    fixed = api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": "bien", "version": 2})
    assert fixed["version"] == 3 and fixed["notas"] == "bien"


def test_stale_if_match_header_is_refused(api, unique):
    cliente = make_cliente(api, nombre=f"IfMatch {unique}")
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": "x"}, headers={"If-Match": '"1"'})
    assert_error(
        api.put(f"/clientes/{cliente['id']}", json={"notas": "y"}, headers={"If-Match": '"1"'}), 409, "version_obsoleta"
    )
    assert api.ok("GET", f"/clientes/{cliente['id']}")["notas"] == "x"
    updated = api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": "z"}, headers={"If-Match": 'W/"2"'})
    assert updated["version"] == 3
    # Header and body must agree; a header that is not a version is refused.
    assert_error(
        api.put(f"/clientes/{cliente['id']}", json={"notas": "w", "version": 3}, headers={"If-Match": '"2"'}), 422
    )
    assert_error(api.put(f"/clientes/{cliente['id']}", json={"notas": "w"}, headers={"If-Match": '"abc"'}), 422)
    assert api.ok("GET", f"/clientes/{cliente['id']}")["version"] == 3


def test_delete_refused_with_open_order_then_allowed(api, unique):
    cliente = make_cliente(api, nombre=f"Del {unique}")
    orden = make_orden(api, cliente["id"])
    error = assert_error(api.delete(f"/clientes/{cliente['id']}"), 409, "cliente_con_ordenes_abiertas")
    assert str(orden["folio"]) in error["message"]
    assert api.ok("GET", f"/clientes/{cliente['id']}") == cliente
    assert cambiar_estado(api, orden["id"], "cancelado", nota="No quiso").status_code == 200
    deleted = api.ok("DELETE", f"/clientes/{cliente['id']}")
    assert deleted == {"id": cliente["id"], "eliminado": True, "version": 2}
    assert_error(api.get(f"/clientes/{cliente['id']}"), 404, "no_encontrado")
    assert api.ok("GET", "/clientes", params={"q": f"del {unique}"})["items"] == []
    assert_error(api.put(f"/clientes/{cliente['id']}", json={"notas": "x"}), 404)
    assert_error(api.get(f"/clientes/{cliente['id']}/historial"), 404)
    assert_error(api.delete(f"/clientes/{cliente['id']}"), 404)
    # A deleted customer cannot receive new orders or sales.
    assert_error(api.post("/ordenes", json={"cliente_id": cliente["id"], "equipo": "pc", "falla_reportada": "x"}), 404)
    producto = make_producto(api, stock=1)
    assert_error(vender(api, producto["id"], cliente_id=cliente["id"]), 404)
    assert api.ok("GET", f"/inventario/{producto['id']}")["stock"] == 1


def test_delete_after_delivery(api, unique):
    cliente = make_cliente(api, nombre=f"Entregado {unique}")
    orden = make_orden(api, cliente["id"], costo_final=0)
    for estado in ("diagnostico", "esperando_aprobacion", "en_reparacion", "listo"):
        assert cambiar_estado(api, orden["id"], estado).status_code == 200
    assert_error(api.delete(f"/clientes/{cliente['id']}"), 409, "cliente_con_ordenes_abiertas")
    assert cambiar_estado(api, orden["id"], "entregado").status_code == 200
    api.ok("DELETE", f"/clientes/{cliente['id']}")
    assert_error(api.get(f"/clientes/{cliente['id']}"), 404)


def test_delete_names_every_open_folio(api, unique):
    cliente = make_cliente(api, nombre=f"Varias {unique}")
    folios = [make_orden(api, cliente["id"])["folio"] for _ in range(3)]
    error = assert_error(api.delete(f"/clientes/{cliente['id']}"), 409)
    for folio in folios:
        assert str(folio) in error["message"]


def test_delete_with_stale_version(api, unique):
    cliente = make_cliente(api, nombre=f"DelVer {unique}")
    api.ok("PUT", f"/clientes/{cliente['id']}", json={"notas": "x"})
    assert_error(api.delete(f"/clientes/{cliente['id']}", params={"version": 1}), 409, "version_obsoleta")
    assert api.ok("GET", f"/clientes/{cliente['id']}")["version"] == 2
    assert_error(api.delete(f"/clientes/{cliente['id']}", headers={"If-Match": '"1"'}), 409, "version_obsoleta")
    assert api.ok("DELETE", f"/clientes/{cliente['id']}", params={"version": 2})["version"] == 3


def test_historial_lists_orders_and_purchases(api, unique):
    cliente = make_cliente(api, nombre=f"Hist {unique}")
    otro = make_cliente(api, nombre=f"Otro {unique}")
    o1 = make_orden(api, cliente["id"], marca="Samsung", modelo="A52")
    o2 = make_orden(api, cliente["id"], equipo="laptop", costo_final=450)
    make_orden(api, otro["id"])
    producto = make_producto(api, stock=5, precio=120)
    v1 = vender(api, producto["id"], 2, cliente_id=cliente["id"]).json()
    # A sale charging an order belongs to the order's customer even without cliente_id.
    v2 = api.ok(
        "POST",
        "/ventas",
        201,
        json={
            "orden_id": o2["id"],
            "items": [{"descripcion": f"Reparación orden {o2['folio']}", "cantidad": 1, "precio_unitario": 450}],
        },
    )
    assert v2["cliente_id"] == cliente["id"]
    vender(api, producto["id"], 1, cliente_id=otro["id"])

    historial = api.ok("GET", f"/clientes/{cliente['id']}/historial")
    assert historial["cliente"]["id"] == cliente["id"]
    assert [o["id"] for o in historial["ordenes"]] == [o2["id"], o1["id"]]  # newest first
    first = historial["ordenes"][1]
    assert (first["folio"], first["marca"], first["modelo"], first["estado"]) == (
        o1["folio"],
        "Samsung",
        "A52",
        "recibido",
    )
    assert historial["ordenes"][0]["costo_final"] == 450
    assert [v["id"] for v in historial["ventas"]] == [v2["id"], v1["id"]]
    assert historial["ventas"][1]["total"] == 240
    assert historial["ventas"][0]["orden_id"] == o2["id"]


def test_historial_of_new_customer_is_empty(api, unique):
    cliente = make_cliente(api, nombre=f"Nuevo {unique}")
    historial = api.ok("GET", f"/clientes/{cliente['id']}/historial")
    assert historial == {"cliente": cliente, "ordenes": [], "ventas": [], "equipos": []}


def test_historial_lists_the_customers_distinct_devices_newest_first(api, unique):
    cliente = make_cliente(api, nombre=f"Equipos {unique}")
    a54 = dict(equipo="celular", marca="Samsung", modelo="A54", numero_serie="35-209900-176148-1")
    o1 = make_orden(api, cliente["id"], color="Negro", **a54)
    o2 = make_orden(api, cliente["id"], equipo="laptop", marca="Lenovo", modelo="IdeaPad 3")
    # The same phone again, its brand and IMEI typed differently, now in a new case.
    o3 = make_orden(
        api,
        cliente["id"],
        equipo="celular",
        marca="samsung",
        modelo="A54",
        numero_serie="352099001761481",
        color="Negro con funda",
    )
    o4 = make_orden(api, cliente["id"], equipo="celular", marca="Samsung", modelo="A54")  # no serial: another one
    make_orden(api, make_cliente(api)["id"], **a54)  # someone else's orders are not theirs

    equipos = api.ok("GET", f"/clientes/{cliente['id']}/historial")["equipos"]
    assert equipos == [
        {
            "equipo": "celular",
            "marca": "Samsung",
            "modelo": "A54",
            "numero_serie": None,
            "color": None,
            "ultima_orden_id": o4["id"],
            "ultimo_folio": o4["folio"],
            "ultima_fecha": o4["creado_en"],
        },
        {
            "equipo": "celular",
            "marca": "samsung",
            "modelo": "A54",
            "numero_serie": "352099001761481",
            "color": "Negro con funda",
            "ultima_orden_id": o3["id"],
            "ultimo_folio": o3["folio"],
            "ultima_fecha": o3["creado_en"],
        },
        {
            "equipo": "laptop",
            "marca": "Lenovo",
            "modelo": "IdeaPad 3",
            "numero_serie": None,
            "color": None,
            "ultima_orden_id": o2["id"],
            "ultimo_folio": o2["folio"],
            "ultima_fecha": o2["creado_en"],
        },
    ]
    assert o1["folio"] < o2["folio"] < o3["folio"] < o4["folio"]
    # The orders themselves are all listed, unchanged in shape.
    ordenes = api.ok("GET", f"/clientes/{cliente['id']}/historial")["ordenes"]
    assert [o["id"] for o in ordenes] == [o4["id"], o3["id"], o2["id"], o1["id"]]
    assert "numero_serie" not in ordenes[0]


def test_unknown_customer_is_404_everywhere(api):
    missing = str(uuid.uuid4())
    assert_error(api.get(f"/clientes/{missing}"), 404, "no_encontrado")
    assert_error(api.put(f"/clientes/{missing}", json={"notas": "x"}), 404)
    assert_error(api.delete(f"/clientes/{missing}"), 404)
    assert_error(api.get(f"/clientes/{missing}/historial"), 404)


def test_empty_update_writes_nothing(api, unique):
    cliente = make_cliente(api, nombre=f"Sin cambios {unique}")
    same = api.ok("PUT", f"/clientes/{cliente['id']}", json={})
    assert same["version"] == cliente["version"] == 1
    assert same["actualizado_en"] == cliente["actualizado_en"]
    # Still guarded: an empty update with a stale version is refused.
    assert_error(api.put(f"/clientes/{cliente['id']}", json={"version": 5}), 409, "version_obsoleta")


def test_control_characters_in_search_are_refused(api, unique):
    """A NUL used to end the search words early and list every customer (test_hardening covers the other lists)."""
    make_cliente(api, nombre=f"Control {unique}")
    for q in ("\x00", f"control\x00{unique}", f"control\t{unique}"):
        assert_error(api.get("/clientes", params={"q": q}), 422, "validacion")
    found = api.ok("GET", "/clientes", params={"q": f"control {unique}"})["items"]
    assert [c["nombre"] for c in found] == [f"Control {unique}"]
