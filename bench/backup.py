"""Backup benchmark: automatic and manual backups during sales, and the backup of a 1 GB database.

    python bench/backup.py [--connections 4] [--rates 0,100] [--idle 15] [--size-gb 1] [--skip-1gb] [--db PATH] [--keep]

Part A (sales): seeds a temporary data folder with `python -m appliance demo-data` (the load
bench's sizes) and adds an owner with `python -m appliance create-user`. Then, once per --rates
entry, starts `python -m appliance serve` on 127.0.0.1 with an empty BACKUP_DIR in the temporary
folder, signs in through POST /token, adds stock to 12 products and at once starts sales client
processes (POST /ventas, one keep-alive connection each, back to back or paced). The server's own
schedule makes an automatic backup 5 s after it starts; after it and a quiet window the script
makes a manual one with POST /backups. Sales latency is compared between the quiet window and
each backup's span.
Part B (1 GB): seeds (or copies, --db) a database of --size-gb, starts the server on it and,
while a prober sends GET / and GET /clientes?limit=50 every 50 ms and a light sales load runs,
lets the automatic backup happen, waits, then makes a manual one.

Every backup file is then opened read-only with APSW: PRAGMA integrity_check must say ok and
every sale answered 201 before the backup began must be in its `ventas`. Also checks that stock
equals the kardex and that the server logged no errors. Prints a Markdown report and writes it to
bench/reports/backup-YYYYMMDD-HHMMSS.md; progress goes to stderr. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import websocket
from load import cpu_seconds, create_owner, free_port  # bench/ is the script's folder, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "reports"
SOLD_PRODUCTS = 12  # the sales rotate over these, three different ones per sale (as in load.py)
RESTOCK = 1_000_000  # pieces added to each so the sales never run out
LOAD_SIZES = {"clientes": 20_000, "ordenes": 100_000, "productos": 5_000, "ventas": 20_000}  # load.py's
PER_GB = 3  # times LOAD_SIZES per GiB of database: 3x made 1,055 MiB (1.11 GB)
STARTUP_DELAY = 5  # backups/service.py STARTUP_DELAY_SECONDS: the automatic backup's first check


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the server -----------------------------------------------------------------------------------


def iso_time(text: str) -> float:
    """A server ISO time (UTC, Z) as a time.time() value: server and clients share the machine's clock."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Server:
    """`python -m appliance serve` on a free port of 127.0.0.1 with its own data and backup folders."""

    def __init__(self, data_dir: Path, backup_dir: Path, username: str, password: str):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.backup_dir = backup_dir
        self.log_path = data_dir / "server.log"
        env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "HOST": self.host,
            "PORT": str(self.port),
            "LOG_LEVEL": "INFO",
            "BACKUP_DIR": str(backup_dir),
            "BACKUP_COPY_DIR": "",
            "BACKUP_INTERVAL_HOURS": "6",
        }
        env.pop("DB_PATH", None)
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if self.call("GET", "/")["db"] == "ok":
                    break
            except OSError:
                self.conn.close()
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the server did not answer within 60 s") from None
                time.sleep(0.05)
        self.listening = time.time()  # about when the backup schedule's 5 s began
        form = urllib.parse.urlencode({"username": username, "password": password})
        self.token = self.call("POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"}, raw=True)[
            "access_token"
        ]

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None, raw: bool = False) -> dict:
        if headers is None:
            headers = {"Content-Type": "application/json"}
            if getattr(self, "token", None):
                headers["Authorization"] = f"Bearer {self.token}"
        data = body if raw else (None if body is None else json.dumps(body))
        self.conn.request(method, path, data, headers)
        response = self.conn.getresponse()
        text = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:300]!r}")
        return json.loads(text)

    def stop(self) -> int | None:
        self.conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(150)  # a backup in progress is let finish (up to 120 s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def logged_problems(self) -> list[str]:
        return [
            line
            for line in self.log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or " ERROR " in line or " CRITICAL " in line
        ]


def seed(data_dir: Path, sizes: dict[str, int]) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "demo-data", *(f"--{k}={v}" for k, v in sizes.items())],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"demo-data failed:\n{done.stderr}")
    return done.stdout.strip().removeprefix("Datos de ejemplo agregados: "), time.monotonic() - started


def new_owner(data_dir: Path) -> tuple[str, str]:
    """An owner account made with the CLI (a new name each time, so a reused --db works); (username, password)."""
    username = f"bench-{secrets.token_hex(3)}"
    return username, create_owner(data_dir, username)


def restock(server: Server) -> tuple[list[dict], dict[str, int]]:
    """Add stock to the first products; return them and their stock after it."""
    productos = server.call("GET", "/inventario?limit=500")["items"][:SOLD_PRODUCTS]
    stock = {}
    for producto in productos:
        stock[producto["id"]] = server.call(
            "PUT", f"/inventario/{producto['id']}/stock", {"motivo": "compra", "cantidad": RESTOCK}
        )["producto"]["stock"]
    return productos, stock


def sale_bodies(products: list[dict]) -> list[str]:
    """Sales of 3 different products each, rotating over `products`, paid in cash with change (as load.py)."""
    bodies = []
    for index in range(len(products)):
        trio = [products[(index + k) % len(products)] for k in range(3)]
        cash = math.ceil(sum(p["precio_venta"] for p in trio) / 100) * 100
        bodies.append(
            json.dumps(
                {
                    "items": [{"producto_id": p["id"], "cantidad": 1} for p in trio],
                    "pagos": [{"metodo": "efectivo", "monto": cash}],
                }
            )
        )
    return bodies


def check_kardex(server: Server, productos: list[dict], stock_before: dict[str, int]) -> tuple[bool, int]:
    """(stock equals the kardex sum for every product, pieces taken since `stock_before`)."""
    ok, taken = True, 0
    for producto in productos:
        kardex = server.call("GET", f"/inventario/{producto['id']}/movimientos?limit=1")
        ok &= kardex["suma_movimientos"] == kardex["producto"]["stock"]
        taken += stock_before[producto["id"]] - kardex["producto"]["stock"]
    return ok, taken


# --- clients (separate processes: a Python client thread would share the bench's GIL) -------------


def _sell(port: int, token: str, bodies: list[str], first: int, rate: float, stop, out: str) -> None:
    """POST /ventas on one keep-alive connection until `stop`; `rate` > 0 paces it (sales/s).

    Rows: (start, sent, answered, status, id, folio). `start` is when the sale was due: the send
    time unpaced, the scheduled time when paced, so a stalled server's backlog counts as latency.
    """
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    rows, index, due = [], first, time.time()
    cpu = time.process_time()
    while not stop.is_set():
        if rate:
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
        sent = time.time()
        start = due if rate else sent
        due += 1 / rate if rate else 0
        try:
            conn.request("POST", "/ventas", bodies[index % len(bodies)], headers)
            response = conn.getresponse()
            text = response.read()
            answered = time.time()
            if response.status == 201:
                sale = json.loads(text)
                rows.append((start, sent, answered, 201, sale["id"], sale["folio"]))
            else:
                rows.append((start, sent, answered, response.status, text[:200].decode(errors="replace"), None))
        except (OSError, http.client.HTTPException) as exc:
            rows.append((start, sent, time.time(), 0, repr(exc), None))
            conn.close()
        index += 1
    Path(out).write_text(json.dumps({"rows": rows, "cpu": time.process_time() - cpu}))


def _probe(port: int, token: str, interval: float, stop, out: str) -> None:
    """Every `interval` s: GET / then GET /clientes?limit=50. Rows: (path, sent, answered, status)."""
    paths = ["/", "/clientes?limit=50"]
    headers = {"Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    rows, due = [], time.time()
    while not stop.is_set():
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        due = max(due + interval, time.time())  # never a burst to catch up
        for path in paths:
            sent = time.time()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                rows.append((path, sent, time.time(), response.status))
            except (OSError, http.client.HTTPException):
                rows.append((path, sent, time.time(), 0))
                conn.close()
    Path(out).write_text(json.dumps({"rows": rows}))


class Clients:
    """Client processes writing their rows to files in `folder`; `stop()` waits for them and loads them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.context = mp.get_context("spawn")
        self.stop_event = self.context.Event()
        self.procs: list[tuple[str, mp.Process, Path]] = []
        self.results: dict[str, list] | None = None

    def start(self, kind: str, target, *args) -> None:
        out = self.folder / f"{kind}-{len(self.procs)}.json"
        proc = self.context.Process(target=target, args=(*args, self.stop_event, str(out)), daemon=True)
        proc.start()
        self.procs.append((kind, proc, out))

    def stop(self) -> dict[str, list]:
        if self.results is not None:
            return self.results
        self.stop_event.set()
        results: dict[str, list] = {}
        for kind, proc, out in self.procs:
            proc.join(180)
            if proc.is_alive():
                proc.kill()
                proc.join()
            data = json.loads(out.read_text()) if out.exists() else {"rows": [], "cpu": 0.0}
            results.setdefault(kind, []).extend(data["rows"])
            results.setdefault(kind + "_cpu", []).append(data.get("cpu", 0.0))
        self.results = results
        return results


# --- watching the server --------------------------------------------------------------------------


class Watcher(threading.Thread):
    """The owner's /ws: keeps the backup notices (respaldo_*) with their arrival times."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.ws = websocket.create_connection(f"ws://{server.host}:{server.port}/ws?token={server.token}", timeout=600)
        self.notices: list[tuple[float, str, dict]] = []
        self.frames = 0
        self.created = threading.Condition()

    def run(self) -> None:
        try:
            while True:
                raw = self.ws.recv()
                if not raw:
                    return
                self.frames += 1
                if raw.startswith('{"event":"respaldo'):  # skip parsing the sales' change events
                    notice = json.loads(raw)
                    with self.created:
                        self.notices.append((time.time(), notice["event"], notice["data"]))
                        self.created.notify_all()
        except (websocket.WebSocketException, OSError):
            pass

    def wait_created(self, kind: str, timeout: float) -> dict:
        """The respaldo_creado notice of a backup of `kind`; RuntimeError on respaldo_fallido or timeout."""
        deadline = time.monotonic() + timeout
        with self.created:
            while True:
                for _, event, data in self.notices:
                    if event == "respaldo_fallido":
                        raise RuntimeError(f"a backup failed: {data}")
                    if event == "respaldo_creado" and data.get("tipo") == kind:
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no {kind} backup within {timeout:.0f} s")
                self.created.wait(left)

    def copy_done(self, entry: dict) -> float | None:
        """When the page copy of `entry`'s backup ended: the first 'verificando' progress notice after it began
        (notices come every 0.5 s, so this is late by up to 0.5 s)."""
        began = iso_time(entry["creado"])
        return next(
            (
                at
                for at, event, data in self.notices
                if event == "respaldo_progreso"
                and at >= began
                and data.get("operacion") == entry["tipo"]
                and data.get("fase") == "verificando"
            ),
            None,
        )

    def close(self) -> None:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close()


class Sampler(threading.Thread):
    """Every 0.2 s: the server's CPU seconds and the size of its WAL."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.pid = server.proc.pid
        self.wal = server.data_dir / "SERVITEC.DB-wal"
        self.samples: list[tuple[float, float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wal = self.wal.stat().st_size if self.wal.exists() else 0
                self.samples.append((time.time(), cpu_seconds(self.pid), wal))
            except (OSError, IndexError):
                return
            self.stopped.wait(0.2)

    def cpu(self, begin: float, end: float) -> float | None:
        """Share of one core the server used between `begin` and `end`."""
        inside = [s for s in self.samples if begin <= s[0] <= end]
        if len(inside) < 2:
            return None
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def max_wal(self) -> int:
        return max((s[2] for s in self.samples), default=0)


# --- figures ----------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Window:
    name: str
    begin: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.begin


@dataclass
class Latency:
    n: int
    p50: float
    p99: float
    max: float
    per_second: float
    errors: int

    @classmethod
    def of(cls, rows: list, window: Window, start: int, answered: int, ok) -> Latency:
        """Rows that started inside `window` (latency = answered - start, in ms); throughput = answers inside it."""
        inside = [r for r in rows if window.begin <= r[start] < window.end]
        latencies = [(r[answered] - r[start]) * 1000 for r in inside]
        done = sum(1 for r in rows if window.begin <= r[answered] < window.end and ok(r))
        return cls(
            len(inside),
            percentile(latencies, 50),
            percentile(latencies, 99),
            max(latencies, default=math.nan),
            done / window.seconds if window.seconds > 0 else math.nan,
            sum(1 for r in inside if not ok(r)),
        )


def slowest(requests: list[tuple[str, float, float]], entry: dict, watcher: Watcher, count: int = 4) -> str:
    """The `count` slowest of (label, start, answered) that started during `entry`'s backup, with when they
    started (seconds into the backup) and the backup's phase then."""
    window = entry_window("", entry)
    copied = watcher.copy_done(entry) or window.end
    inside = sorted((r for r in requests if window.begin <= r[1] < window.end), key=lambda r: r[1] - r[2])[:count]
    return (
        ", ".join(
            f"{(answered - start) * 1000:,.0f} ms ({label}) at +{start - window.begin:.1f} s"
            f" ({'copying' if start < copied else 'verifying'})"
            for label, start, answered in inside
        )
        or "–"
    )


def entry_window(name: str, entry: dict) -> Window:
    began = iso_time(entry["creado"])
    return Window(name, began, began + entry["duracion_s"])


@dataclass
class Verification:
    name: str
    integrity: str
    seconds: float
    required: int  # sales answered 201 before the backup began
    present: int  # of those, how many the copy holds
    in_flight: int  # sales sent before it ended but answered after it began
    in_flight_present: int
    after: int  # sales sent after the backup ended (cannot be in it)
    after_present: int
    missing: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.present == self.required

    def line(self) -> str:
        return (
            f"- `{self.name}`: integrity_check **{self.integrity}** ({self.seconds:.1f} s); sales answered before"
            f" it began: **{self.present:,} of {self.required:,} present**"
            + ("" if self.present == self.required else f" (**missing**, e.g. folios {self.missing[:5]})")
            + f"; in flight while it began or ran: {self.in_flight_present:,} of {self.in_flight:,} in the copy;"
            f" sent after it ended: {self.after_present} of {self.after:,} in the copy (must be 0)."
        )


def verify(backup_dir: Path, entry: dict, sales: list) -> Verification:
    """Open the copy read-only: integrity_check, and which of `sales` (201 rows of _sell) it holds."""
    path = backup_dir / entry["nombre"]
    started = time.monotonic()
    conn = apsw.Connection(
        path.resolve().as_uri() + "?immutable=1", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    )
    try:
        integrity = "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))[:300]
        seconds = time.monotonic() - started
        held = {row[0] for row in conn.execute("SELECT id FROM ventas")}
    finally:
        conn.close()
    window = entry_window(entry["nombre"], entry)
    before = [r for r in sales if r[2] < window.begin]
    flight = [r for r in sales if r[2] >= window.begin and r[1] < window.end]
    after = [r for r in sales if r[1] >= window.end]
    missing = sorted(r[5] for r in before if r[4] not in held)
    return Verification(
        entry["nombre"],
        integrity,
        seconds,
        len(before),
        len(before) - len(missing),
        len(flight),
        sum(1 for r in flight if r[4] in held),
        len(after),
        sum(1 for r in after if r[4] in held),
        missing,
    )


def ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.1f} ms"


def mb(size: int) -> str:
    return f"{size / 1024**2:,.0f} MiB"


def backup_row(entry: dict, watcher: Watcher, cpu: float | None) -> str:
    began = iso_time(entry["creado"])
    copied = watcher.copy_done(entry)
    copy = f"≤ {copied - began:.1f} s ({entry['tamano'] / 1024**2 / (copied - began):,.0f} MiB/s)" if copied else "–"
    pages = next(
        (
            data["paginas_total"]
            for at, event, data in watcher.notices
            if event == "respaldo_progreso" and data.get("operacion") == entry["tipo"] and at >= began
        ),
        None,
    )
    pages = "–" if pages is None else f"{pages:,}"
    return (
        f"| {entry['tipo']} | `{entry['nombre']}` | {mb(entry['tamano'])} | {pages} |"
        f" {entry['duracion_s']:.1f} s | {entry['tamano'] / 1024**2 / entry['duracion_s']:,.0f} MiB/s |"
        f" {copy} | {'–' if cpu is None else f'{cpu:.0%}'} |"
    )


BACKUP_HEADER = [
    "| Backup | File | Size | Pages | Duration | Overall | Page copy | Server CPU |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
]
BACKUP_NOTE = (
    "Duration = the entry's `duracion_s`: page copy, `integrity_check`, row counts and content hash"
    " of the copy, sha256 and fsync. Page copy = from `creado` to the first `respaldo_progreso` notice"
    " in the verifying phase (notices come every 0.5 s). Server CPU = share of one core used by the"
    " server process during the backup (its hub plus the backup thread)."
)


# --- part A: sales ------------------------------------------------------------------------------------


def auto_quiet_manual(
    args,
    tag: str,
    server: Server,
    clients: Clients,
    watcher: Watcher,
    productos: list[dict],
    stock_before: dict[str, int],
    auto_wait: float,
) -> tuple:
    """The run's timeline once the clients are going: the automatic backup, a quiet window, a manual
    backup, then the clients stopped and the kardex checked.

    Returns (auto entry, quiet start, manual entry, manual sent, manual answered, client results,
    kardex ok, pieces taken, GET /backups).
    """
    auto = watcher.wait_created("auto", auto_wait)
    log(f"{tag}: automatic backup {auto['nombre']}: {auto['duracion_s']:.1f} s")
    time.sleep(args.settle)
    quiet_begin = time.time()
    time.sleep(args.idle)
    log(f"{tag}: POST /backups ...")
    manual_sent = time.time()
    manual = server.call("POST", "/backups")
    manual_answered = time.time()
    log(f"{tag}: manual backup {manual['nombre']}: {manual['duracion_s']:.1f} s")
    time.sleep(args.settle)
    results = clients.stop()
    log(f"{tag}: {len(results.get('sales', [])):,} sales sent; checking the kardex ...")
    kardex_ok, taken = check_kardex(server, productos, stock_before)
    return (
        auto,
        quiet_begin,
        manual,
        manual_sent,
        manual_answered,
        results,
        kardex_ok,
        taken,
        server.call("GET", "/backups"),
    )


def shut_down(server: Server, clients: Clients, watcher: Watcher | None, sampler: Sampler | None) -> int:
    """Stop the clients, the watcher, the server and the sampler; return the server's exit code."""
    clients.stop()
    if watcher:
        watcher.close()
    exit_code = server.stop()
    if sampler:
        sampler.stopped.set()
    return exit_code


def part_a(args, base: Path, lines: list[str]) -> bool:
    data_dir = base / "sales"
    data_dir.mkdir()
    log(f"A: seeding {data_dir} ...")
    seeded, seed_seconds = seed(data_dir, {k: getattr(args, k) for k in LOAD_SIZES})
    db_size = (data_dir / "SERVITEC.DB").stat().st_size
    log(f"A: {seeded} ({seed_seconds:.1f} s, {mb(db_size)})")
    owner = new_owner(data_dir)
    lines += [
        "## A. Automatic and manual backup while the counter sells",
        "",
        f"- Data: {seeded}; seeded in {seed_seconds:.1f} s; database file {mb(db_size)}",
        f"- Load: {args.connections} client processes, one keep-alive connection each, POST /ventas (3 products, cash"
        " with change), on the same 2 CPUs as the server. Each run below starts the server with an empty BACKUP_DIR"
        " (the later runs on the same database, grown by the earlier runs' sales) and the clients"
        f" about {STARTUP_DELAY} s before its automatic backup; the quiet window is {args.idle:g} s, {args.settle:g} s after"
        " the automatic backup ended, then POST /backups.",
        "",
    ]
    ok = True
    for number, rate in enumerate(args.rates, 1):
        ok &= sales_run(args, data_dir, owner, rate, number, lines)
    if not args.keep:
        shutil.rmtree(data_dir)
    return ok


def sales_run(args, data_dir: Path, owner: tuple[str, str], rate: float, number: int, lines: list[str]) -> bool:
    """One server start on `data_dir`: sales at `rate` (0: back to back), its automatic backup, a manual one."""
    mode = f"paced at {rate:g} sales/s" if rate else "back to back"
    tag = f"A{number} ({mode})"
    backup_dir = data_dir / f"backups-{number}"
    server = Server(data_dir, backup_dir, *owner)
    clients = Clients(data_dir)
    watcher = sampler = None
    try:
        productos, stock_before = restock(server)
        bodies = sale_bodies(productos)
        watcher, sampler = Watcher(server), Sampler(server)
        watcher.start()
        sampler.start()
        for index in range(args.connections):
            clients.start("sales", _sell, server.port, server.token, bodies, index * 5, rate / args.connections)
        load_start = time.time()
        log(
            f"{tag}: server on :{server.port}, {args.connections} sales clients started"
            f" {load_start - server.listening:.1f} s after it listened; waiting for the automatic backup ..."
        )
        auto, quiet_begin, manual, manual_sent, manual_answered, results, kardex_ok, taken, listing = auto_quiet_manual(
            args, tag, server, clients, watcher, productos, stock_before, STARTUP_DELAY + 600
        )
        sales = results.get("sales", [])
    finally:
        exit_code = shut_down(server, clients, watcher, sampler)
    problems = server.logged_problems()
    server.log_path.rename(data_dir / f"server-{number}.log")

    good = [r for r in sales if r[3] == 201]
    windows = [
        Window("start-up, before the automatic backup", load_start + 0.5, iso_time(auto["creado"])),
        entry_window("during the automatic backup", auto),
        Window("quiet (no backup)", quiet_begin, manual_sent),
        entry_window("during the manual backup", manual),
    ]
    stats = [Latency.of(sales, w, 0, 2, lambda r: r[3] == 201) for w in windows]
    quiet = stats[2]
    log(f"{tag}: verifying the copies ...")
    checks = [verify(backup_dir, entry, good) for entry in (auto, manual)]

    def ratio(s: Latency) -> str:
        value = s.p99 / quiet.p99
        return f"{value:.2f}× {'(met)' if value <= 2 else '(**over 2×**)'}"

    rows = [
        f"| {w.name} | {w.seconds:.1f} s | {s.n:,} | {s.per_second:,.0f} | {ms(s.p50)} | {ms(s.p99)} |"
        f" {ms(s.max)} | {ratio(s) if i in (1, 3) else ('1×' if i == 2 else '')} | {s.errors} |"
        f" {fmt_cpu(sampler.cpu(w.begin, w.end))} |"
        for i, (w, s) in enumerate(zip(windows, stats, strict=True))
    ]
    sales_cpu = sum(results.get("sales_cpu", [])) / max(manual_answered + args.settle - load_start, 1e-9)
    consistent = kardex_ok and taken == 3 * len(good)
    lines += [
        f"### A{number}. Sales {mode}",
        "",
        (
            f"{args.connections} connections, {rate / args.connections:g} sales/s each on a fixed schedule; latency counts"
            " from each sale's scheduled time, so a stalled server's backlog counts too (no coordinated omission)."
            if rate
            else f"{args.connections} connections in a closed loop: each sends its next sale when the last is"
            " answered, so the server runs as fast as it can and latency is mostly queueing."
        )
        + f" The clients used {sales_cpu:.0%} of one core; they started {load_start - server.listening:.1f} s after"
        " the server listened.",
        "",
        "| Window | Length | Sales | Sales/s | p50 | p99 | max | p99 vs quiet (target ≤ 2×) | errors | server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        *rows,
        "",
        "A sale belongs to the window it was sent in; sales/s counts the answers inside it. errors = answers"
        " other than 201 and failed connections. Slowest sales sent during each backup (seconds after it began;"
        " phase from the progress notices):",
        "",
        *(
            f"- {name}: {slowest([('sale', r[0], r[2]) for r in sales], entry, watcher)}"
            for name, entry in (("automatic", auto), ("manual", manual))
        ),
        "",
        *BACKUP_HEADER,
        backup_row(auto, watcher, sampler.cpu(*span(auto))),
        backup_row(manual, watcher, sampler.cpu(*span(manual))),
        "",
        BACKUP_NOTE + f" The manual POST /backups answered in {manual_answered - manual_sent:.2f} s. Largest WAL"
        f" during the run: {mb(sampler.max_wal())} (the backup's read snapshot holds checkpoints back).",
        "",
        "Copies, opened read-only with APSW:",
        "",
        *(check.line() for check in checks),
        "",
        f"- Consistency: {len(good):,} sales answered 201 took {taken:,} pieces"
        f" ({'= 3 per sale' if taken == 3 * len(good) else '**≠ 3 per sale**'}); stock equals the kardex sum for all"
        f" {len(productos)} products: {'yes' if kardex_ok else '**no**'}.",
        f"- GET /backups afterwards: {len(listing['items'])} backups, health `{listing['salud']['estado']}`.",
        f"- Server: stopped with exit code {exit_code}; {len(problems)} error lines in its log"
        + (":\n" + "\n".join(f"    {line}" for line in problems[:10]) if problems else "."),
        "",
    ]
    print_summary(tag, {"quiet": quiet, "auto": stats[1], "manual": stats[3]})
    return all(c.ok for c in checks) and consistent and exit_code == 0 and not problems


def span(entry: dict) -> tuple[float, float]:
    window = entry_window("", entry)
    return window.begin, window.end


def fmt_cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def print_summary(part: str, stats: dict[str, Latency]) -> None:
    for name, s in stats.items():
        log(f"{part}: {name}: {s.n:,} requests, p50 {ms(s.p50)}, p99 {ms(s.p99)}, max {ms(s.max)}")


# --- part B: 1 GB -----------------------------------------------------------------------------------


def part_b(args, base: Path, lines: list[str]) -> bool:
    data_dir = base / "big"
    data_dir.mkdir()
    if args.db:
        log(f"B: copying {args.db} ...")
        started = time.monotonic()
        shutil.copyfile(args.db, data_dir / "SERVITEC.DB")
        seeded, seed_seconds = f"copied from {args.db}", time.monotonic() - started
        data_line = f"- Data: {seeded} in {seed_seconds:.1f} s (not seeded in this run)"
    else:
        sizes = {k: round(v * PER_GB * args.size_gb) for k, v in LOAD_SIZES.items()}
        log(f"B: seeding {data_dir} with {sizes} (about {args.size_gb:g} GiB; takes a minute or two per GiB) ...")
        seeded, seed_seconds = seed(data_dir, sizes)
        data_line = f"- Data: {seeded}; seeded in {seed_seconds:.1f} s"
    db_size = (data_dir / "SERVITEC.DB").stat().st_size
    log(f"B: {mb(db_size)} ({db_size / 1e9:.2f} GB) in {seed_seconds:.1f} s")
    username, password = new_owner(data_dir)
    backup_dir = data_dir / "backups"
    server = Server(data_dir, backup_dir, username, password)
    clients = Clients(data_dir)
    watcher = sampler = None
    try:
        productos, stock_before = restock(server)
        watcher, sampler = Watcher(server), Sampler(server)
        watcher.start()
        sampler.start()
        clients.start("probe", _probe, server.port, server.token, args.probe_interval)
        if args.light_rate:
            clients.start("sales", _sell, server.port, server.token, sale_bodies(productos), 0, args.light_rate)
        log(f"B: server on :{server.port}, prober and light sales started; waiting for the automatic backup ...")
        auto, quiet_begin, manual, manual_sent, manual_answered, results, kardex_ok, taken, listing = auto_quiet_manual(
            args, "B", server, clients, watcher, productos, stock_before, STARTUP_DELAY + 1800
        )
    finally:
        exit_code = shut_down(server, clients, watcher, sampler)
    problems = server.logged_problems()

    probes, sales = results.get("probe", []), results.get("sales", [])
    good = [r for r in sales if r[3] == 201]
    windows = [
        Window("quiet (no backup)", quiet_begin, manual_sent),
        entry_window("during the automatic backup", auto),
        entry_window("during the manual backup", manual),
    ]
    rows, summary = [], {}
    for path in ("/", "/clientes?limit=50"):
        mine = [r for r in probes if r[0] == path]
        for w in windows:
            s = Latency.of(mine, w, 1, 2, lambda r: r[3] == 200)
            summary[f"GET {path} {w.name}"] = s
            rows.append(f"| GET {path} | {w.name} | {s.n:,} | {ms(s.p50)} | {ms(s.p99)} | {ms(s.max)} | {s.errors} |")
    for w in windows if sales else []:
        s = Latency.of(sales, w, 0, 2, lambda r: r[3] == 201)
        rows.append(
            f"| POST /ventas ({args.light_rate:g}/s) | {w.name} | {s.n:,} | {ms(s.p50)} | {ms(s.p99)} |"
            f" {ms(s.max)} | {s.errors} |"
        )
    requests = [(f"GET {r[0]}", r[1], r[2]) for r in probes] + [("sale", r[0], r[2]) for r in sales]
    log("B: verifying the copies (integrity_check reads every page) ...")
    checks = [verify(backup_dir, entry, good) for entry in (auto, manual)]
    consistent = kardex_ok and taken == 3 * len(good)
    lines += [
        f"## B. Backup of a {db_size / 1024**3:.2f} GiB database",
        "",
        data_line + f"; database file **{mb(db_size)}** ({db_size / 1e9:.2f} GB)",
        f"- Load: one prober process sends GET / then GET /clientes?limit=50 every {args.probe_interval * 1000:g} ms"
        " (latency from its send)"
        + (
            f", and one client process makes {args.light_rate:g} sales/s (paced, latency from the scheduled time)"
            if args.light_rate
            else ""
        )
        + f". The automatic backup comes 5 s after start; the quiet window is {args.idle:g} s, {args.settle:g} s after"
        " it ended; then POST /backups.",
        "",
        *BACKUP_HEADER,
        backup_row(auto, watcher, sampler.cpu(*span(auto))),
        backup_row(manual, watcher, sampler.cpu(*span(manual))),
        "",
        f"The manual POST /backups answered in {manual_answered - manual_sent:.1f} s. Largest WAL during the run:"
        f" {mb(sampler.max_wal())}. The database was just written, so its pages were in the OS cache (23 GB RAM);"
        " the copy is written to the same disk and fsynced.",
        "",
        "| Request | Window | n | p50 | p99 | max | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Latency from the send (probes) or the scheduled time (sales). Slowest requests sent during each backup"
        " (seconds after it began; phase from the progress notices):",
        "",
        *(
            f"- {name}: {slowest(requests, entry, watcher)}"
            for name, entry in (("automatic", auto), ("manual", manual))
        ),
        "",
        "Copies, opened read-only with APSW:",
        "",
        *(check.line() for check in checks),
        "",
        f"- Consistency: {len(good):,} sales took {taken:,} pieces"
        f" ({'= 3 per sale' if taken == 3 * len(good) else '**≠ 3 per sale**'}); stock equals the kardex sum:"
        f" {'yes' if kardex_ok else '**no**'}.",
        f"- GET /backups afterwards: {len(listing['items'])} backups, health `{listing['salud']['estado']}`.",
        f"- Server: stopped with exit code {exit_code}; {len(problems)} error lines in its log"
        + (":\n" + "\n".join(f"    {line}" for line in problems[:10]) if problems else "."),
        "",
    ]
    print_summary("B", summary)
    if not args.keep:
        shutil.rmtree(data_dir)
    return all(c.ok for c in checks) and consistent and exit_code == 0 and not problems


# --- main -------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": apsw.sqlitelibversion(),
        "ram": f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 1024**3:.0f} GiB",
        "commit": (commit.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty else ""),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=4, help="sales client processes in part A (default 4)")
    parser.add_argument(
        "--rates",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[0.0, 100.0],
        help="part A's runs: sales/s in all for each, paced; 0 = back to back (default 0,100)",
    )
    parser.add_argument("--idle", type=float, default=15, help="seconds of the quiet window before the manual backup")
    parser.add_argument("--settle", type=float, default=2, help="seconds after a backup before the next window")
    for name, default in LOAD_SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=default, help=f"part A's seed (default {default:,})")
    parser.add_argument("--size-gb", type=float, default=1.0, help="part B's database, GiB (default 1)")
    parser.add_argument("--db", type=Path, help="part B: copy this database instead of seeding one (e.g. a --keep one)")
    parser.add_argument("--skip-1gb", action="store_true", help="part A only")
    parser.add_argument("--skip-sales", action="store_true", help="part B only")
    parser.add_argument("--probe-interval", type=float, default=0.05, help="part B's probe period, s (default 0.05)")
    parser.add_argument("--light-rate", type=float, default=10, help="part B's sales/s (default 10; 0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the data folders (printed at the end)")
    args = parser.parse_args()
    if args.db and not args.db.is_file():
        parser.error(f"--db {args.db}: no such file")

    base = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    wall = time.monotonic()
    sections: list[str] = []
    ok = True
    try:
        if not args.skip_sales:
            ok &= part_a(args, base, sections)
        if not args.skip_1gb:
            ok &= part_b(args, base, sections)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    info = machine()
    report = "\n".join(
        [
            f"# Backup benchmark, {started_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}, Python {info['python']},"
            f" SQLite {info['sqlite']}",
            f"- Load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
            " (anything well above the benchmark's own load means other work shared the CPUs)",
            f"- Code: {info['commit']}",
            f"- Run: `{' '.join(['python bench/backup.py', *sys.argv[1:]])}`, {time.monotonic() - wall:.0f} s in all;"
            " one server process (gevent) on 127.0.0.1, clients in separate processes on the same machine",
            "",
            *sections,
            f"Result: {'all checks passed' if ok else '**a check failed**'} (copies complete and sound, stock = kardex,"
            " no server errors; a missed latency target is reported, not a failure).",
            "",
        ]
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"backup-{started_at:%Y%m%d-%H%M%S}.md"
    path.write_text(report)
    print(report)
    log(f"Report written to {path.relative_to(ROOT)}")
    if args.keep:
        log(f"Data folders kept: {base}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
