"""Products and their stock ledger (kardex).

`productos.stock` is only a cache: every change goes through `move_stock`,
which writes the ledger row and the cache in the caller's transaction, so
stock always equals the sum of the product's movements.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..store import Tx
from . import clock
from .errors import Conflict, Invalid, NotFound
from .events import record_change
from .money import to_number
from .records import check_version, page, reject_blanks, update_row
from .text import search_clause, search_text

FIELDS = ("codigo", "nombre", "categoria", "precio_compra", "precio_venta", "stock_minimo", "activo")
COLUMNS = (
    "id, codigo, nombre, categoria, precio_compra, precio_venta, stock, stock_minimo, activo,"
    " version, creado_en, actualizado_en"
)
ADJUST_RULES = {
    "compra": (1, "Una compra debe sumar piezas (cantidad positiva)."),
    "devolucion": (1, "Una devolución debe sumar piezas (cantidad positiva)."),
    "merma": (-1, "Una merma debe restar piezas (cantidad negativa)."),
    "ajuste": (0, "Un ajuste no puede ser de cero piezas."),
}


def public(row: dict[str, Any]) -> dict[str, Any]:
    row["precio_compra"] = to_number(row["precio_compra"])
    row["precio_venta"] = to_number(row["precio_venta"])
    row["activo"] = bool(row["activo"])
    row["bajo_stock"] = row["stock"] <= row["stock_minimo"]
    return row


def _searchable(row: dict[str, Any]) -> str:
    return search_text(row.get("codigo"), row.get("nombre"), row.get("categoria"))


def list_productos(
    tx: Tx,
    *,
    q: str | None = None,
    categoria: str | None = None,
    bajo_stock: bool | None = None,
    incluir_inactivos: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    where, params = search_clause("busqueda", q)
    if categoria:
        where += " AND categoria = ?"
        params.append(categoria)
    if bajo_stock is not None:
        where += " AND stock <= stock_minimo" if bajo_stock else " AND stock > stock_minimo"
    if not incluir_inactivos:
        where += " AND activo = 1"
    rows = tx.all(
        f"SELECT {COLUMNS} FROM productos WHERE 1 = 1{where} ORDER BY nombre, id LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    )
    return page(rows, limit, offset, public)


def producto_row(tx: Tx, producto_id: str, field: str = "producto_id") -> dict[str, Any]:
    """The stored row (money in centavos); 404 if missing, naming the input `field`."""
    row = tx.one(f"SELECT {COLUMNS} FROM productos WHERE id = ?", (producto_id,))
    if row is None:
        raise NotFound(f"No existe el producto {producto_id}.", fields={field: "No existe."})
    return row


def usable_row(tx: Tx, producto_id: str, field: str = "producto_id") -> dict[str, Any]:
    """The stored row of a product about to leave stock (sale or repair part); 404 if missing, 409 if
    deactivated, both naming the input `field`."""
    producto = producto_row(tx, producto_id, field)
    if not producto["activo"]:
        raise Conflict(
            f"'{producto['nombre']}' está dado de baja; reactívalo en el inventario para usarlo.",
            code="producto_inactivo",
            fields={field: "Producto dado de baja."},
        )
    return producto


def get_producto(tx: Tx, producto_id: str) -> dict[str, Any]:
    return public(producto_row(tx, producto_id))


def _check_codigo_free(tx: Tx, codigo: str | None, producto_id: str) -> None:
    if codigo is None:
        return
    other = tx.one("SELECT id, nombre FROM productos WHERE codigo = ? AND id <> ?", (codigo, producto_id))
    if other:
        raise Conflict(
            f"El código {codigo} ya pertenece a '{other['nombre']}'.",
            code="codigo_duplicado",
            fields={"codigo": "Ya está en uso."},
        )


def create_producto(tx: Tx, data: dict[str, Any], usuario: str | None = None) -> dict[str, Any]:
    """Register a product; an initial `stock` enters the ledger as a count."""
    producto_id = data.get("id") or str(uuid.uuid4())
    if tx.value("SELECT 1 FROM productos WHERE id = ?", (producto_id,)):
        raise Conflict(f"Ya existe un producto con id {producto_id}.", code="ya_existe", fields={"id": "Ya existe."})
    _check_codigo_free(tx, data.get("codigo"), producto_id)
    now = clock.now_iso()
    values = {field: data.get(field) for field in FIELDS}
    values["precio_compra"] = values["precio_compra"] or 0
    values["precio_venta"] = values["precio_venta"] or 0
    values["stock_minimo"] = values["stock_minimo"] or 0
    values["activo"] = 1 if values["activo"] is None or values["activo"] else 0
    tx.execute(
        f"INSERT INTO productos (id, {', '.join(FIELDS)}, stock, busqueda, version, creado_en, actualizado_en)"
        f" VALUES (?, {', '.join('?' for _ in FIELDS)}, 0, ?, 1, ?, ?)",
        (producto_id, *values.values(), _searchable(values), now, now),
    )
    record_change(tx, "producto_creado", "productos", producto_id, 1, "crear", get_producto(tx, producto_id), usuario)
    initial = data.get("stock") or 0
    if initial:
        move_stock(tx, producto_id, initial, "conteo", nota="Existencia inicial al dar de alta", usuario=usuario)
    return get_producto(tx, producto_id)


def update_producto(
    tx: Tx, producto_id: str, changes: dict[str, Any], expected_version: int | None, usuario: str | None = None
) -> dict[str, Any]:
    """Edit a product's details (not its stock: that only moves through the ledger)."""
    current = get_producto(tx, producto_id)
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    reject_blanks(changes, ("nombre", "precio_compra", "precio_venta", "stock_minimo", "activo"))
    if not changes:  # nothing to write: no new version, no change-log row
        check_version(tx, "productos", producto_id, expected_version, label="el producto")
        return current
    if "codigo" in changes:
        _check_codigo_free(tx, changes["codigo"], producto_id)
    if "activo" in changes:
        changes["activo"] = 1 if changes["activo"] else 0
    merged = {**current, **changes}
    version = update_row(
        tx,
        "productos",
        producto_id,
        {**changes, "busqueda": _searchable(merged)},
        expected_version,
        label="el producto",
    )
    producto = get_producto(tx, producto_id)
    record_change(tx, "producto_actualizado", "productos", producto_id, version, "actualizar", producto, usuario)
    return producto


def _counts(stock: int, needed: int) -> str:
    return f"hay {stock}, se necesitan {needed}"


def shortage(producto: dict[str, Any], needed: int) -> str | None:
    """Why `needed` pieces of `producto` (its row: nombre, stock) cannot leave stock, in Spanish; None if they can.

    The very words of the 409 that refuses the sale or part (`move_stock`), so a
    quote warns with what the sale would answer.
    """
    if needed <= producto["stock"]:
        return None
    return f"Stock insuficiente de '{producto['nombre']}': {_counts(producto['stock'], needed)}."


def move_stock(
    tx: Tx,
    producto_id: str,
    delta: int,
    motivo: str,
    *,
    referencia: str | None = None,
    nota: str | None = None,
    usuario: str | None = None,
    allow_negative: bool = False,
    producto: dict[str, Any] | None = None,
) -> int:
    """Write one ledger row and update the cached stock; return the resulting stock.

    Refuses (409, naming the product) to take stock below zero unless
    `allow_negative` (an offline sale that already happened). `producto` is its
    row as already read in this transaction (nombre, stock, version), if the
    caller has it.
    """
    if producto is None:
        producto = tx.one("SELECT nombre, stock, version FROM productos WHERE id = ?", (producto_id,))
    if producto is None:
        raise NotFound(f"No existe el producto {producto_id}.", fields={"producto_id": "No existe."})
    resulting = producto["stock"] + delta
    if delta < 0 and not allow_negative and (message := shortage(producto, -delta)) is not None:
        raise Conflict(
            message,
            code="stock_insuficiente",
            fields={"producto_id": f"{producto_id}: {_counts(producto['stock'], -delta)}."},
        )
    tx.execute("UPDATE productos SET stock = ? WHERE id = ?", (resulting, producto_id))
    tx.execute(
        "INSERT INTO movimientos_stock (producto_id, delta, motivo, referencia, nota, usuario, stock_resultante, fecha)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (producto_id, delta, motivo, referencia, nota, usuario, resulting, clock.now_iso()),
    )
    record_change(
        tx,
        "stock_actualizado",
        "productos",
        producto_id,
        producto["version"],
        "actualizar",
        {
            "id": producto_id,
            "nombre": producto["nombre"],
            "stock": resulting,
            "delta": delta,
            "motivo": motivo,
            "referencia": referencia,
        },
        usuario,
        campos=("stock",),  # a movement changes the product's stock and nothing else of it
    )
    return resulting


def adjust_stock(
    tx: Tx,
    producto_id: str,
    motivo: str,
    *,
    cantidad: int | None = None,
    stock: int | None = None,
    nota: str | None = None,
    usuario: str | None = None,
    allow_negative: bool = False,
) -> dict[str, Any]:
    """A manual stock change: a delta with its reason, or a physical count (`conteo`).

    `allow_negative`: a loss recorded offline happened even if the books show too few.
    """
    producto = get_producto(tx, producto_id)
    if motivo == "conteo":
        if stock is None or cantidad is not None:
            raise Invalid(
                "Para un conteo indica solo 'stock' (las piezas contadas).",
                fields={"stock": "Obligatorio en un conteo."},
            )
        delta = stock - producto["stock"]
        if delta == 0:
            return {"producto": producto, "movimiento": None}
    else:
        if cantidad is None or stock is not None:
            raise Invalid(
                "Indica 'cantidad' (piezas que entran o salen); 'stock' solo se usa con motivo conteo.",
                fields={"cantidad": "Obligatorio."},
            )
        sign, message = ADJUST_RULES[motivo]
        if cantidad == 0 or cantidad * sign < 0:
            raise Invalid(message, fields={"cantidad": message})
        delta = cantidad
    move_stock(tx, producto_id, delta, motivo, nota=nota, usuario=usuario, allow_negative=allow_negative)
    movimiento = tx.one(
        "SELECT id, delta, motivo, referencia, nota, usuario, stock_resultante, fecha FROM movimientos_stock"
        " WHERE producto_id = ? ORDER BY id DESC LIMIT 1",
        (producto_id,),
    )
    return {"producto": get_producto(tx, producto_id), "movimiento": movimiento}


def list_movimientos(tx: Tx, producto_id: str, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The product's kardex, newest first, with the current stock and the ledger's sum."""
    producto = get_producto(tx, producto_id)
    rows = tx.all(
        "SELECT id, delta, motivo, referencia, nota, usuario, stock_resultante, fecha FROM movimientos_stock"
        " WHERE producto_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        (producto_id, limit + 1, offset),
    )
    ledger_sum = tx.value("SELECT COALESCE(SUM(delta), 0) FROM movimientos_stock WHERE producto_id = ?", (producto_id,))
    return {"producto": producto, "suma_movimientos": ledger_sum, **page(rows, limit, offset)}
