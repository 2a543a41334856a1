"""Service orders: a device from intake to delivery, its state machine, parts and labor."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..store import Tx
from . import clock, overrides, permissions
from .errors import Conflict, Invalid, NotFound
from .events import record_change
from .folios import next_folio
from .inventario import move_stock, usable_row
from .money import to_number
from .records import check_version, page, reject_blanks, update_row
from .text import like_patterns, search_text

# Allowed next states. From esperando_aprobacion, "listo" is the customer's
# rejection: the device goes back unrepaired.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "recibido": ("diagnostico", "cancelado"),
    "diagnostico": ("esperando_aprobacion", "cancelado"),
    "esperando_aprobacion": ("en_reparacion", "listo", "cancelado"),
    "en_reparacion": ("esperando_refaccion", "listo", "cancelado"),
    "esperando_refaccion": ("en_reparacion", "cancelado"),
    "listo": ("entregado", "cancelado"),
    "entregado": (),
    "cancelado": (),
}
ESTADOS = tuple(TRANSITIONS)
OPEN_STATES = tuple(e for e in ESTADOS if e not in ("entregado", "cancelado"))
CLOSED = "estado IN ('entregado', 'cancelado')"

FIELDS = (
    "cliente_id",
    "equipo",
    "marca",
    "modelo",
    "numero_serie",
    "color",
    "accesorios",
    "contrasena",
    "falla_reportada",
    "condicion",
    "diagnostico",
    "presupuesto",
    "anticipo",
    "costo_final",
    "tecnico_id",
    "prioridad",
    "fecha_promesa",
    "garantia_dias",
    "notas",
)
MONEY = ("presupuesto", "anticipo", "costo_final", "adeudo")
SELECT = (
    "SELECT o.id, o.folio, o.cliente_id, c.nombre AS cliente_nombre, c.telefono AS cliente_telefono,"
    " o.equipo, o.marca, o.modelo, o.numero_serie, o.color, o.accesorios, o.contrasena, o.falla_reportada,"
    " o.condicion, o.diagnostico, o.presupuesto, o.anticipo, o.costo_final, o.adeudo, o.tecnico_id, o.prioridad,"
    " o.fecha_promesa, o.fecha_entrega, o.garantia_dias, o.notas, o.estado, o.version, o.creado_en,"
    " o.actualizado_en FROM ordenes o JOIN clientes c ON c.id = o.cliente_id"
)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    for field in MONEY:
        row[field] = to_number(row[field])
    row["condicion"] = json.loads(row["condicion"])
    return row


def _searchable(orden: dict[str, Any]) -> str:
    return search_text(
        orden.get("folio"), orden.get("equipo"), orden.get("marca"), orden.get("modelo"), orden.get("numero_serie")
    )


def _encode(changes: dict[str, Any]) -> dict[str, Any]:
    if "condicion" in changes:
        changes["condicion"] = json.dumps(changes["condicion"] or [], ensure_ascii=False)
    return changes


def _require_cliente(tx: Tx, cliente_id: str) -> None:
    if not tx.value("SELECT 1 FROM clientes WHERE id = ? AND eliminado_en IS NULL", (cliente_id,)):
        raise NotFound(f"No existe el cliente {cliente_id}.", fields={"cliente_id": "No existe."})


def list_ordenes(
    tx: Tx,
    *,
    estado: str | None = None,
    cliente_id: str | None = None,
    tecnico_id: str | None = None,
    folio: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Orders newest first, filtered by state, customer, technician, exact folio or a text search.

    Each carries the machine's `siguientes_estados` (as `get_orden` does), so a board of
    orders can offer each card's moves without a request per card.
    """
    where, params = "", []
    filters = (("o.estado", estado), ("o.cliente_id", cliente_id), ("o.tecnico_id", tecnico_id), ("o.folio", folio))
    for column, value in filters:
        if value is not None:
            where += f" AND {column} = ?"
            params.append(value)
    for pattern in like_patterns(q or ""):
        where += " AND (o.busqueda LIKE ? ESCAPE '\\' OR c.busqueda LIKE ? ESCAPE '\\')"
        params += [pattern, pattern]
    rows = tx.all(f"{SELECT} WHERE 1 = 1{where} ORDER BY o.folio DESC LIMIT ? OFFSET ?", (*params, limit + 1, offset))
    return page(rows, limit, offset, _listed)


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    orden = _public(row)
    orden["siguientes_estados"] = list(TRANSITIONS[orden["estado"]])
    return orden


def _pagos_de_orden(tx: Tx, orden_id: str) -> int:
    """Centavos paid toward the repair: service lines of completed sales linked to the order."""
    return tx.value(
        "SELECT COALESCE(SUM(i.importe), 0) FROM venta_items i JOIN ventas v ON v.id = i.venta_id"
        " WHERE v.orden_id = ? AND v.estado = 'completada' AND i.producto_id IS NULL",
        (orden_id,),
    )


def _saldo(orden_row: dict[str, Any], pagado: int) -> int:
    return (orden_row["costo_final"] or 0) - orden_row["anticipo"] - pagado


def amounts(tx: Tx, orden_id: str) -> dict[str, int | None]:
    """An order's money in centavos: presupuesto, costo_final, anticipo, pagado and saldo."""
    row = tx.one("SELECT presupuesto, costo_final, anticipo FROM ordenes WHERE id = ?", (orden_id,))
    if row is None:
        raise NotFound(f"No existe la orden {orden_id}.", fields={"orden_id": "No existe."})
    pagado = _pagos_de_orden(tx, orden_id)
    return {**row, "pagado": pagado, "saldo": _saldo(row, pagado)}


def get_orden(tx: Tx, orden_id: str) -> dict[str, Any]:
    """An order with its status history, part/labor lines and what is paid and owed."""
    row = tx.one(f"{SELECT} WHERE o.id = ?", (orden_id,))
    if row is None:
        raise NotFound(f"No existe la orden {orden_id}.", fields={"orden_id": "No existe."})
    pagado = _pagos_de_orden(tx, orden_id)
    saldo = _saldo(row, pagado)
    orden = _public(row)
    orden["historial"] = tx.all(
        "SELECT de_estado, a_estado, nota, usuario, fecha FROM orden_historial WHERE orden_id = ? ORDER BY id",
        (orden_id,),
    )
    partes = tx.all(
        "SELECT id, tipo, producto_id, descripcion, cantidad, precio_unitario, importe, usuario, fecha"
        " FROM orden_partes WHERE orden_id = ? ORDER BY fecha, id",
        (orden_id,),
    )
    total_partes = sum(p["importe"] for p in partes)
    for parte in partes:
        parte["precio_unitario"] = to_number(parte["precio_unitario"])
        parte["importe"] = to_number(parte["importe"])
    orden["partes"] = partes
    orden["total_partes"] = to_number(total_partes)
    orden["pagado"] = to_number(pagado)
    orden["saldo"] = to_number(saldo)
    # Every next state of the machine; what a role is shown of them is permissions.shown_orden's.
    orden["siguientes_estados"] = list(TRANSITIONS[orden["estado"]])
    return orden


def _changed(tx: Tx, orden_id: str, version: int, usuario: str | None) -> dict[str, Any]:
    orden = get_orden(tx, orden_id)
    record_change(tx, "orden_actualizada", "ordenes", orden_id, version, "actualizar", orden, usuario)
    return orden


def _may_set_final_cost(rol: str) -> None:
    permissions.require(rol, "ordenes:costo_final", action="fijar el costo final de una orden", field="costo_final")


def create_orden(tx: Tx, data: dict[str, Any], usuario: str | None = None, *, rol: str) -> dict[str, Any]:
    """Intake of a device: assigns the next folio and starts the history at `recibido`."""
    if data.get("costo_final") is not None:
        _may_set_final_cost(rol)
    orden_id = data.get("id") or str(uuid.uuid4())
    if tx.value("SELECT 1 FROM ordenes WHERE id = ?", (orden_id,)):
        raise Conflict(f"Ya existe una orden con id {orden_id}.", code="ya_existe", fields={"id": "Ya existe."})
    _require_cliente(tx, data["cliente_id"])
    values = _encode({field: data.get(field) for field in FIELDS})
    values["condicion"] = values["condicion"] or "[]"
    values["anticipo"] = values["anticipo"] or 0
    values["prioridad"] = values["prioridad"] or "normal"
    if values["garantia_dias"] is None:
        values["garantia_dias"] = 90
    folio = next_folio(tx, "ordenes")
    now = clock.now_iso()
    tx.execute(
        f"INSERT INTO ordenes (id, folio, {', '.join(FIELDS)}, estado, busqueda, version, creado_en, actualizado_en)"
        f" VALUES (?, ?, {', '.join('?' for _ in FIELDS)}, 'recibido', ?, 1, ?, ?)",
        (orden_id, folio, *values.values(), _searchable({**values, "folio": folio}), now, now),
    )
    tx.execute(
        "INSERT INTO orden_historial (orden_id, de_estado, a_estado, nota, usuario, fecha) VALUES (?, NULL, 'recibido', ?, ?, ?)",
        (orden_id, "Equipo recibido", usuario, now),
    )
    orden = get_orden(tx, orden_id)
    record_change(tx, "orden_creada", "ordenes", orden_id, 1, "crear", orden, usuario)
    return orden


def update_orden(
    tx: Tx,
    orden_id: str,
    changes: dict[str, Any],
    expected_version: int | None,
    usuario: str | None = None,
    *,
    rol: str,
) -> dict[str, Any]:
    """Edit details, diagnosis, estimate and costs. The state only moves through `change_estado`.

    A new final cost needs the bench's (or the owner's) role; sending the current one again does not.
    """
    current = get_orden(tx, orden_id)
    if current["estado"] in ("entregado", "cancelado"):
        raise Conflict(
            f"La orden {current['folio']} está {current['estado']} y ya no se puede modificar.", code="orden_cerrada"
        )
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    reject_blanks(changes, ("cliente_id", "equipo", "falla_reportada", "prioridad", "garantia_dias", "anticipo"))
    if not changes:  # nothing to write: no new version, no change-log row
        check_version(tx, "ordenes", orden_id, expected_version, label="la orden")
        return current
    if "costo_final" in changes and changes["costo_final"] != tx.value(
        "SELECT costo_final FROM ordenes WHERE id = ?", (orden_id,)
    ):
        _may_set_final_cost(rol)
    if "cliente_id" in changes:
        _require_cliente(tx, changes["cliente_id"])
    merged = {**current, **changes}
    changes = _encode(changes)
    changes["busqueda"] = _searchable(merged)
    version = update_row(tx, "ordenes", orden_id, changes, expected_version, label="la orden")
    return _changed(tx, orden_id, version, usuario)


def change_estado(
    tx: Tx,
    orden_id: str,
    estado: str,
    *,
    nota: str | None = None,
    registrar_adeudo: bool = False,
    expected_version: int | None = None,
    usuario: str | None = None,
    rol: str,
) -> dict[str, Any]:
    """Move an order along the state machine; 409 with the allowed next states otherwise.

    Which targets `rol` may choose is the permission table's (bench work or counter work).
    """
    permissions.require(rol, permissions.estado_permission(estado))
    row = tx.one("SELECT id, folio, estado, costo_final, anticipo FROM ordenes WHERE id = ?", (orden_id,))
    if row is None:
        raise NotFound(f"No existe la orden {orden_id}.", fields={"orden_id": "No existe."})
    allowed = TRANSITIONS[row["estado"]]
    if estado not in allowed:
        options = ", ".join(allowed) if allowed else "ninguno (la orden está cerrada)"
        raise Conflict(
            f"La orden {row['folio']} está en '{row['estado']}' y no puede pasar a '{estado}'. "
            f"Estados permitidos: {options}.",
            code="transicion_invalida",
            fields={"estado": f"Permitidos: {options}."},
        )
    changes: dict[str, Any] = {"estado": estado}
    if estado == "entregado":
        if row["costo_final"] is None:
            raise Conflict(
                f"Registra el costo final de la orden {row['folio']} antes de entregarla.",
                code="sin_costo_final",
                fields={"costo_final": "Obligatorio para entregar."},
            )
        saldo = _saldo(row, _pagos_de_orden(tx, orden_id))
        if saldo > 0 and not registrar_adeudo:
            raise Conflict(
                f"La orden {row['folio']} tiene un saldo pendiente de ${saldo / 100:,.2f}. Cóbralo con una venta "
                "ligada a la orden o marca 'registrar_adeudo' para entregarla a crédito.",
                code="saldo_pendiente",
                fields={"registrar_adeudo": "Necesario para entregar con saldo pendiente."},
            )
        changes["adeudo"] = max(saldo, 0)
        changes["fecha_entrega"] = clock.now_iso()
    version = update_row(tx, "ordenes", orden_id, changes, expected_version, label="la orden")
    tx.execute(
        "INSERT INTO orden_historial (orden_id, de_estado, a_estado, nota, usuario, fecha) VALUES (?, ?, ?, ?, ?, ?)",
        (orden_id, row["estado"], estado, nota, usuario, clock.now_iso()),
    )
    return _changed(tx, orden_id, version, usuario)


def add_parte(
    tx: Tx,
    orden_id: str,
    data: dict[str, Any],
    usuario: str | None = None,
    allow_negative_stock: bool = False,
    *,
    rol: str,
) -> dict[str, Any]:
    """Add a part from inventory (its stock leaves through the ledger) or a labor line.

    A part goes at its catalogue price unless `rol` may set another (audited).
    `allow_negative_stock`: a part already fitted while offline is recorded even
    if the books show too few. `data` may carry a client-made `id`.
    """
    row = tx.one("SELECT folio, estado FROM ordenes WHERE id = ?", (orden_id,))
    if row is None:
        raise NotFound(f"No existe la orden {orden_id}.", fields={"orden_id": "No existe."})
    if row["estado"] in ("entregado", "cancelado"):
        raise Conflict(f"La orden {row['folio']} está {row['estado']}; ya no admite partes.", code="orden_cerrada")
    cantidad = data.get("cantidad") or 1
    if data["tipo"] == "parte":
        if not data.get("producto_id"):
            raise Invalid("Una parte debe indicar el producto del inventario.", fields={"producto_id": "Obligatorio."})
        producto = usable_row(tx, data["producto_id"])
        descripcion = data.get("descripcion") or producto["nombre"]
        precio = overrides.catalogue_price(rol, producto, data.get("precio_unitario"), field="precio_unitario")
    else:
        if data.get("producto_id"):
            raise Invalid("La mano de obra no lleva producto.", fields={"producto_id": "No aplica a mano de obra."})
        if not data.get("descripcion") or data.get("precio_unitario") is None:
            raise Invalid(
                "La mano de obra necesita descripción y precio.",
                fields={"descripcion": "Obligatorio.", "precio_unitario": "Obligatorio."},
            )
        descripcion, precio = data["descripcion"], data["precio_unitario"]
    parte_id = data.get("id") or str(uuid.uuid4())
    if tx.value("SELECT 1 FROM orden_partes WHERE id = ?", (parte_id,)):
        raise Conflict(f"Ya existe una parte con id {parte_id}.", code="ya_existe", fields={"id": "Ya existe."})
    tx.execute(
        "INSERT INTO orden_partes (id, orden_id, tipo, producto_id, descripcion, cantidad, precio_unitario, importe,"
        " usuario, fecha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            parte_id,
            orden_id,
            data["tipo"],
            data.get("producto_id"),
            descripcion,
            cantidad,
            precio,
            cantidad * precio,
            usuario,
            clock.now_iso(),
        ),
    )
    if data["tipo"] == "parte":
        move_stock(
            tx,
            data["producto_id"],
            -cantidad,
            "orden",
            referencia=orden_id,
            nota=f"Orden {row['folio']}",
            usuario=usuario,
            allow_negative=allow_negative_stock,
            producto=producto,
        )
        overrides.audit_price(tx, "ordenes", orden_id, producto, precio, cantidad)
    version = update_row(tx, "ordenes", orden_id, {}, None, label="la orden")
    return _changed(tx, orden_id, version, usuario)
