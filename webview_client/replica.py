"""The counter's local copy of the shop: the appliance's own schema in an APSW database, and its outbox.

Rows arrive from the server as stored (GET /sync/snapshot, /sync/filas) and go
into the same tables, so the shop layer's list/get functions read them offline
exactly as the server reads its own. Offline writes are sync ops: each is
applied here with the shop's op table (`sync.run_op`) and appended to the
outbox in the same local transaction, so a crash never keeps one without the
other.

Two things keep local rows from colliding with the server's: folios made here
start at PROVISIONAL_FOLIO (the UI shows PROVISIONAL_FOLIO + 7 as P-0007; being
the highest, they list first, as the newest should) and the local
AUTOINCREMENT tables number from LOCAL_ID_BASE. The server's rows of an entity replace every local
row of it at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from appliance.shop import clientes, inventario, ordenes, sync, ventas
from appliance.shop import replica as rows_of
from appliance.shop.errors import NotFound
from appliance.shop.settings import ShopSettings
from appliance.store import Database, Tx

LOCAL_ID_BASE = 1 << 40
# Also in the UI's format.js: a folio from here on is provisional. No shop reaches it for real.
PROVISIONAL_FOLIO = 10**12
AUTOINCREMENT_TABLES = ("orden_historial", "venta_items", "venta_pagos", "movimientos_stock")

LOCAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS local_estado (clave TEXT PRIMARY KEY, valor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS local_outbox (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    tipo TEXT NOT NULL,
    datos TEXT NOT NULL,
    usuario TEXT NOT NULL,
    rol TEXT NOT NULL,
    entidades TEXT NOT NULL,
    creado_en TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS local_revisar (
    id TEXT PRIMARY KEY,
    tipo TEXT NOT NULL,
    datos TEXT NOT NULL,
    usuario TEXT NOT NULL,
    rol TEXT NOT NULL,
    resultado TEXT NOT NULL,
    error TEXT,
    actual TEXT,
    creado_en TEXT NOT NULL
);
"""

# What each op type touches, to fetch the server's rows of it after the push.
_TOUCHES = {
    "cliente.crear": lambda d: {"clientes": [d["id"]]},
    "cliente.actualizar": lambda d: {"clientes": [d["id"]]},
    "orden.crear": lambda d: {"ordenes": [d["id"]]},
    "orden.estado": lambda d: {"ordenes": [d["id"]]},
    "orden.parte": lambda d: {
        "ordenes": [d["orden_id"]],
        "productos": [d["producto_id"]] if d.get("producto_id") else [],
    },
    "venta.crear": lambda d: {
        "ventas": [d["id"]],
        "productos": [i["producto_id"] for i in d.get("items", []) if i.get("producto_id")],
        "ordenes": [d["orden_id"]] if d.get("orden_id") else [],
    },
    "stock.ajustar": lambda d: {"productos": [d["producto_id"]]},
}


# The record an op is about, as the replica holds it (before a sync: mine; after: the server's).
_RECORD = {
    "cliente": lambda tx, d: clientes.get_cliente(tx, d["id"]),
    "orden": lambda tx, d: ordenes.get_orden(tx, d.get("orden_id") or d["id"]),
    "venta": lambda tx, d: ventas.get_venta(tx, d["id"]),
    "stock": lambda tx, d: inventario.get_producto(tx, d["producto_id"]),
}


def touched(tipo: str, datos: dict[str, Any]) -> dict[str, list[str]]:
    """The entities an op changes ({entidad: ids}), whose server rows replace the local ones after it is sent."""
    try:
        found = _TOUCHES[tipo](datos)
    except (KeyError, TypeError):  # a malformed op touches nothing it can name; the server refuses it anyway
        return {}
    return {entidad: ids for entidad, ids in found.items() if ids}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Replica:
    """One replica file, owned by this client process."""

    def __init__(self, path: str | Path):
        self.db = Database(path, foreign_keys=False)
        with self.db.write() as tx:
            tx.execute(LOCAL_SCHEMA)
            tx.execute("UPDATE folios SET ultimo = MAX(ultimo, ?)", (PROVISIONAL_FOLIO,))
            for table in AUTOINCREMENT_TABLES:
                if not tx.execute(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (LOCAL_ID_BASE, table)
                ):
                    tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, LOCAL_ID_BASE))
        if self.get("device_id") is None:
            self.put("device_id", str(uuid.uuid4()))

    def close(self) -> None:
        self.db.close()

    # --- local state ---------------------------------------------------------------------------

    def get(self, clave: str, default: Any = None, tx: Tx | None = None) -> Any:
        """A local value; inside a write, give its `tx` (it sees that write's own changes)."""
        if tx is not None:
            raw = tx.value("SELECT valor FROM local_estado WHERE clave = ?", (clave,))
        else:
            with self.db.read() as own:
                raw = own.value("SELECT valor FROM local_estado WHERE clave = ?", (clave,))
        return default if raw is None else orjson.loads(raw)

    def put(self, clave: str, valor: Any, tx: Tx | None = None) -> None:
        sql = "INSERT INTO local_estado (clave, valor) VALUES (?, ?) ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor"
        if tx is not None:
            tx.execute(sql, (clave, orjson.dumps(valor).decode()))
            return
        with self.db.write() as own:
            own.execute(sql, (clave, orjson.dumps(valor).decode()))

    @property
    def filled(self) -> bool:
        return self.get("seq") is not None

    def settings(self, tx: Tx | None = None) -> ShopSettings:
        """The shop's rules' settings as the server sent them."""
        ajustes = self.get("ajustes", tx=tx)
        return ShopSettings(
            ZoneInfo(ajustes["zona_horaria"]),
            ajustes["iva_porcentaje"],
            ajustes["precios_incluyen_iva"],
            ajustes["limite_descuento_porcentaje"],
        )

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.db.read() as tx:
            yield tx

    # --- rows from the server --------------------------------------------------------------------

    def fill(self, snapshot: dict[str, Any], rol: str) -> None:
        """Start over from a snapshot made for `rol`: every replicated table emptied and refilled, in one transaction."""
        with self.db.write() as tx:
            for table in (*rows_of.TABLES, "movimientos_stock"):
                tx.execute(f"DELETE FROM {table}")
            self._insert(tx, snapshot["tablas"])
            self.put("seq", snapshot["seq"], tx)
            self.put("server_id", snapshot["server_id"], tx)
            self.put("ajustes", snapshot["ajustes"], tx)
            self.put("rol", rol, tx)
            self._replay(tx)

    def apply_rows(self, entidades: dict[str, list[str]], tablas: dict[str, Any], seq: int | None = None) -> None:
        """Replace every local row of the given entities with the server's (none: it is gone), in one transaction.

        With `seq`, a page of changes (the replica is now valid up to it); without, the
        answer to `por_refrescar`, which it clears.
        """
        with self.db.write() as tx:
            for entidad, ids in entidades.items():
                self._drop(tx, entidad, ids)
            if "usuarios" in tablas:
                tx.execute("DELETE FROM usuarios")
            self._insert(tx, tablas)
            if seq is not None:
                self.put("seq", seq, tx)
            else:
                self.put("por_refrescar", {}, tx)
            self._replay(tx)

    @staticmethod
    def _drop(tx: Tx, entidad: str, ids: list[str]) -> None:
        """Every local row of these records: the parent row and its children."""
        parent, children = rows_of.ENTITIES[entidad]
        for start in range(0, len(ids), rows_of.CHUNK):
            chunk = ids[start : start + rows_of.CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for child, key in children:
                tx.execute(f"DELETE FROM {child} WHERE {key} IN ({marks})", chunk)
            if entidad == "productos":  # the local ledger lines of offline moves, now on the server
                tx.execute(f"DELETE FROM movimientos_stock WHERE producto_id IN ({marks})", chunk)
            tx.execute(f"DELETE FROM {parent} WHERE id IN ({marks})", chunk)

    @staticmethod
    def _insert(tx: Tx, tablas: dict[str, Any]) -> None:
        for table, block in tablas.items():
            if table not in rows_of.TABLES or not block["filas"]:
                continue
            columns = ", ".join(f'"{c}"' for c in block["columnas"])
            marks = ", ".join("?" for _ in block["columnas"])
            tx.executemany(f'INSERT OR REPLACE INTO "{table}" ({columns}) VALUES ({marks})', block["filas"])

    def _replay(self, tx: Tx) -> None:
        """Apply the ops still waiting over the server's rows, so the screen keeps showing them.

        Only ops that were not sent (another person's, who has not signed in
        since) are still here after a push; their creates are made again with
        the same ids.
        """
        waiting = tx.all("SELECT tipo, datos, usuario, rol FROM local_outbox ORDER BY pos")
        if not waiting:
            return
        settings = self.settings(tx)
        for op in waiting:
            datos = orjson.loads(op["datos"])
            made = touched(op["tipo"], datos) if op["tipo"].endswith(".crear") else {}
            if made:  # the record a create makes is the first it touches
                self._drop(tx, *next(iter(made.items())))
            caller = sync.Caller(op["usuario"], op["rol"], settings)
            tx.execute("SAVEPOINT replay")
            try:
                sync.run_op(tx, caller, op["tipo"], datos)
            except Exception:  # the server decides when it is sent; meanwhile the screen just lacks it
                tx.execute("ROLLBACK TO replay")
            tx.execute("RELEASE replay")

    def record_of(self, tipo: str, datos: dict[str, Any]) -> dict[str, Any] | None:
        """The record op `tipo` is about, as this replica has it now; None if it has none."""
        try:
            with self.db.read() as tx:
                return _RECORD[tipo.split(".")[0]](tx, datos)
        except (NotFound, KeyError, TypeError):
            return None

    # --- offline operations ----------------------------------------------------------------------

    def apply_offline(
        self, usuario: str, rol: str, tipo: str, datos: dict[str, Any], *, replaces: str | None = None
    ) -> dict[str, Any]:
        """Apply an op to the replica and queue it, in one transaction; the record it leaves.

        A DomainError (the same rule the server would apply) leaves nothing behind.
        `replaces`: the Revisar item this op is a person's "keep mine" of.
        """
        caller = sync.Caller(usuario, rol, self.settings())
        op_id = str(uuid.uuid4())
        with self.db.write() as tx:
            record = sync.run_op(tx, caller, tipo, datos)
            if replaces is not None:
                tx.execute("DELETE FROM local_revisar WHERE id = ?", (replaces,))
            tx.execute(
                "INSERT INTO local_outbox (op_id, tipo, datos, usuario, rol, entidades, creado_en)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    op_id,
                    tipo,
                    orjson.dumps(datos).decode(),
                    usuario,
                    rol,
                    orjson.dumps(touched(tipo, datos)).decode(),
                    _now(),
                ),
            )
        return record

    def outbox(self, usuario: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Waiting ops, oldest first (of `usuario` only, when given)."""
        where, params = ("WHERE usuario = ?", (usuario,)) if usuario else ("", ())
        with self.db.read() as tx:
            rows = tx.all(f"SELECT * FROM local_outbox {where} ORDER BY pos LIMIT ?", (*params, limit))
        for row in rows:
            row["datos"] = orjson.loads(row["datos"])
            row["entidades"] = orjson.loads(row["entidades"])
        return rows

    def counts(self) -> dict[str, int]:
        with self.db.read() as tx:
            return {
                "pendientes": tx.value("SELECT COUNT(*) FROM local_outbox"),
                "revisar": tx.value("SELECT COUNT(*) FROM local_revisar"),
            }

    def settle(self, op: dict[str, Any], result: dict[str, Any], mio: dict[str, Any] | None) -> None:
        """Take a sent op out of the outbox; a conflict or a refusal goes to Revisar.

        `mio` is the op's record as the replica had it, before the server's rows replace it.
        """
        with self.db.write() as tx:
            tx.execute("DELETE FROM local_outbox WHERE op_id = ?", (op["op_id"],))
            # Until the server's rows of what it touched arrive, they stay to be fetched (even across a restart).
            stale = self.get("por_refrescar", {}, tx)
            for entidad, ids in op["entidades"].items():
                stale[entidad] = sorted({*stale.get(entidad, ()), *ids})
            self.put("por_refrescar", stale, tx)
            outcome = result["resultado"]
            if outcome == "duplicate":
                outcome = result.get("original") or "applied"
            real = (result.get("data") or {}).get("folio")
            if outcome == "applied" and mio and mio.get("folio", 0) > PROVISIONAL_FOLIO and real:
                # The person may want to reprint what went out with a provisional folio.
                folios = self.get("folios_reales", [], tx)[-19:]
                folios.append({"tipo": op["tipo"], "id": op["datos"]["id"], "provisional": mio["folio"], "real": real})
                self.put("folios_reales", folios, tx)
            if outcome in ("conflict", "rejected"):
                tx.execute(
                    "INSERT OR REPLACE INTO local_revisar (id, tipo, datos, usuario, rol, resultado, error, actual,"
                    " creado_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        op["op_id"],
                        op["tipo"],
                        orjson.dumps(op["datos"]).decode(),
                        op["usuario"],
                        op["rol"],
                        outcome,
                        orjson.dumps(result.get("error")).decode(),
                        orjson.dumps(result.get("actual")).decode(),
                        op["creado_en"],
                    ),
                )

    def revisar(self) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            rows = tx.all("SELECT * FROM local_revisar ORDER BY creado_en")
        for row in rows:
            for key in ("datos", "error", "actual"):
                row[key] = orjson.loads(row[key]) if row[key] is not None else None
        return rows

    def drop_revisar(self, item_id: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM local_revisar WHERE id = ?", (item_id,))
