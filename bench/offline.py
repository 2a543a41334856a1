"""The desktop client's sync on the reference database: the first fill, and a big outbox pushed.

    python bench/offline.py [--clientes 20000 --ordenes 100000 --productos 5000 --ventas 20000] [--ops 1000]

Seeds a temporary data folder with `demo-data` (the reference sizes by default), starts the real
server on 127.0.0.1 and a real webview_client Client (the window's Backend) in this process:

- first fill: sign in, then GET /sync/snapshot into a new replica (time, rows, replica file size);
- offline ops: the server is stopped, --ops sales are made through the client (each applied to the
  replica and queued), the server is started again, and the time from the first answer to an empty
  outbox and a pulled replica is taken (the sync thread pushes in batches of 100).

The report goes to bench/reports/offline-<time>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from load import OWNER, ROOT, Server, add_reference_data_args, create_owner, machine, seed, write_report

sys.path.insert(0, str(ROOT))
from webview_client.client import Client
from webview_client.config import ClientConfig
from webview_client.locations import replica_path


def ui_call(client: Client, token: str | None, method: str, path: str, **req) -> dict:
    answered = client.request({"method": method, "path": path, "token": token, **req})
    if answered["status"] >= 400:
        raise RuntimeError(f"{method} {path}: {answered}")
    return answered["body"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_reference_data_args(parser)
    parser.add_argument("--ops", type=int, default=1000)
    args = parser.parse_args()
    started_at = dt.datetime.now()
    with tempfile.TemporaryDirectory(prefix="servitec-offline-bench-") as folder:
        data_dir = Path(folder) / "server"
        seeded = seed(data_dir, args)
        if seeded is None:
            return 1
        password = create_owner(data_dir)
        server = Server(data_dir, password)
        client = Client(Path(folder) / "pc", server.url, ClientConfig(timeout=30, sync_interval=3600))
        try:
            productos = [p for p in server.api("GET", "/inventario?limit=200")["items"] if p["activo"]]
            begun = time.perf_counter()
            token = ui_call(client, None, "POST", "/token", form={"username": OWNER, "password": password})[
                "access_token"
            ]
            ui_call(client, token, "GET", "/usuarios/me")
            while not client.replica.filled or client.progreso is not None:
                time.sleep(0.05)
            fill_s = time.perf_counter() - begun
            with client.replica.read() as tx:
                rows = {
                    t: tx.value(f"SELECT COUNT(*) FROM {t}") for t in ("clientes", "productos", "ordenes", "ventas")
                }
            size_mib = replica_path(Path(folder) / "pc").stat().st_size / 2**20

            server.wait_for_backup(600)
            server.stop()
            rng = random.Random(11)
            begun = time.perf_counter()
            for _ in range(args.ops):
                producto = rng.choice(productos)
                total = producto["precio_venta"]
                ui_call(
                    client,
                    token,
                    "POST",
                    "/ventas",
                    json={
                        "items": [{"producto_id": producto["id"], "cantidad": 1}],
                        "pagos": [{"metodo": "efectivo", "monto": total or 1}],
                    },
                )
            offline_s = time.perf_counter() - begun
            server = Server(data_dir, password, port=server.port)
            begun = time.perf_counter()
            while client.estado()["pendientes"] or not client.online or client.progreso is not None:
                time.sleep(0.02)
            push_s = time.perf_counter() - begun
        finally:
            client.close()
            server.stop()
    report = "\n".join(
        [
            f"# Offline sync — {started_at:%Y-%m-%d %H:%M}",
            "",
            f"Data: {seeded.summary}. Machine: {machine()['cpus']} × {machine()['cpu']}, commit {machine()['commit']}.",
            "",
            "| Measure | Result |",
            "|---|---|",
            f"| First fill (sign-in → replica ready) | {fill_s:.1f} s |",
            f"| Replica rows | {', '.join(f'{n} {t}' for t, n in rows.items())} |",
            f"| Replica file | {size_mib:.0f} MiB |",
            f"| {args.ops} sales made offline (applied + queued) | {offline_s:.1f} s ({1000 * offline_s / args.ops:.1f} ms each) |",
            f"| Server back → {args.ops} ops pushed and replica pulled | {push_s:.1f} s |",
        ]
    )
    write_report("offline", started_at, report + "\n", [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
