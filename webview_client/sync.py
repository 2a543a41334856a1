"""The sync engine: the outbox pushed in order, then the server's rows pulled over the replica.

Push first, pull second: the server's answer to every op is in its rows, so
after a full sync the replica holds exactly the server's state (provisional
folios replaced by real ones, the same client-made ids). An op the server found
in conflict or refused goes to Revisar with both versions; a person decides.
A lost answer leaves the op in the outbox: it is sent again with the same
op_id, and the server answers `duplicate` with what it did the first time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .api_client import ServitecAPIClient
from .replica import Replica

log = logging.getLogger(__name__)

PUSH_BATCH = 100
PULL_PAGE = 500

Progress = Callable[[dict[str, Any] | None], None]


class SyncEngine:
    """Moves ops and rows between one replica and one server, one sync at a time."""

    def __init__(self, replica: Replica, api: ServitecAPIClient, on_progress: Progress | None = None):
        self.replica = replica
        self.api = api
        self._on_progress = on_progress or (lambda progress: None)
        self._lock = threading.Lock()

    def _progress(self, fase: str, hecho: int, total: int | None) -> None:
        self._on_progress({"fase": fase, "hecho": hecho, "total": total})

    def sync(self, username: str, rol: str) -> dict[str, int]:
        """Push `username`'s waiting ops, then pull; what was sent and what went to Revisar.

        A replica filled for another role (what it may see differs) starts over
        from a snapshot once the outbox is sent. Raises the transport's
        ServitecError when the server stops answering; what was settled stays
        settled, the rest waits for the next sync.
        """
        with self._lock:
            try:
                if not self.replica.filled:
                    self.fill(rol)
                sent = self.push(username)
                if self.replica.get("rol") != rol:
                    self.fill(rol)
                else:
                    self.pull(rol)
                return sent
            finally:
                self._on_progress(None)

    def fill(self, rol: str) -> None:
        """The replica from a snapshot (first start, a restored backup, another role)."""
        self._progress("Descargando copia inicial", 0, None)
        snapshot = self.api.snapshot()
        total = sum(len(block["filas"]) for block in snapshot["tablas"].values())
        self._progress("Guardando copia inicial", 0, total)
        self.replica.fill(snapshot, rol)
        self._progress("Copia inicial lista", total, total)

    def push(self, usuario: str) -> dict[str, int]:
        """Send `usuario`'s outbox in order, in batches; each answer settles its op."""
        counts = {"enviadas": 0, "revisar": 0}
        waiting = self.replica.counts()["pendientes"]
        while batch := self.replica.outbox(usuario, PUSH_BATCH):
            self._progress("Enviando operaciones", counts["enviadas"], waiting)
            answer = self.api.enviar_operaciones(
                self.replica.get("device_id"),
                [{"op_id": op["op_id"], "tipo": op["tipo"], "datos": op["datos"]} for op in batch],
            )
            for op, result in zip(batch, answer["results"], strict=True):
                self.replica.settle(op, result, self.replica.record_of(op["tipo"], op["datos"]))
                counts["enviadas"] += 1
                counts["revisar"] += result["resultado"] in ("conflict", "rejected")
        stale = self.replica.get("por_refrescar", {})
        if stale:
            # A refused create exists only here: the server's (missing) rows take it away.
            self.replica.apply_rows(stale, self._rows_of(stale))
        return counts

    def _rows_of(self, entidades: dict[str, list[str]]) -> dict[str, Any]:
        """The server's rows of these records, asked PULL_PAGE ids at a time, as one set of tables."""
        tablas: dict[str, Any] = {}
        for entidad, ids in entidades.items():
            for start in range(0, len(ids), PULL_PAGE):
                part = self.api.filas({entidad: ids[start : start + PULL_PAGE]})["tablas"]
                for table, block in part.items():
                    tablas.setdefault(table, {"columnas": block["columnas"], "filas": []})["filas"] += block["filas"]
        return tablas

    def pull(self, rol: str) -> None:
        """Every change after the replica's seq, page after page; a restored backup starts over."""
        since, hecho = self.replica.get("seq", 0), 0
        while True:
            page = self.api.filas_cambiadas(since, PULL_PAGE)
            if page["reiniciar"]:
                self.fill(rol)
                return
            self.replica.apply_rows(page["entidades"], page["tablas"], page["last_seq"])
            hecho += sum(len(ids) for ids in page["entidades"].values())
            since = page["last_seq"]
            if not page["has_more"]:
                return
            self._progress("Recibiendo cambios", hecho, None)
