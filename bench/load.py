"""Load benchmark: seed a realistic database, start the real server, measure it with wrk.

    python bench/load.py [--duration 10] [--connections 16] [--keep]

Seeds a temporary data folder with `python -m appliance demo-data`, adds an owner account with
`python -m appliance create-user`, starts `python -m appliance serve` on 127.0.0.1, signs in through
POST /token, and runs `wrk -t1` (one client thread leaves the other core to the server) against one
endpoint at a time, after a short warm-up, every request carrying the owner's bearer token. Prints
a Markdown report and writes it to bench/reports/load-YYYYMMDD-HHMMSS.md. Afterwards checks through
the API that the sales left the stock equal to the kardex. Linux only (wrk, /proc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "reports"
SOLD_PRODUCTS = 12  # the sales rotate over these, three different ones per sale
RESTOCK = 1_000_000  # pieces added to each so the sales never run out
OWNER = "bench"  # the account whose token every request carries

# Counts every response that is not 2xx (wrk's own summary lets 3xx pass) and shows the first one.
STATUS_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; first_bad = "" end
function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end
function done(summary, latency, requests)
  local total, sample = 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    if t:get("first_bad") ~= "" then sample = t:get("first_bad") end
  end
  io.write(string.format("BENCH_BAD_STATUS %d\n", total))
  if sample ~= "" then io.write("BENCH_FIRST_BAD " .. (sample:gsub("\n", " ")) .. "\n") end
end
"""

POST_CLIENTES_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local nombres = {"José", "María", "Guadalupe", "Raúl", "Sofía", "Andrés", "Verónica", "Ángel"}
local apellidos = {"Hernández", "Núñez", "Peña", "Martínez", "López", "Ramírez", "Gómez", "Cortés"}
local run = tostring(os.time())
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"nombre":"%s %s Carga %s-%d","telefono":"55 %04d %04d","email":"carga%s.%d@example.com"}',
    nombres[counter % #nombres + 1], apellidos[counter % #apellidos + 1], run, counter,
    math.random(1000, 9999), math.random(0, 9999), run, counter)
  return wrk.format(nil, nil, nil, body)
end
"""


@dataclass
class Scenario:
    name: str
    path: str
    lua: str
    min_rps: float | None
    max_p99_ms: float = 50.0

    @property
    def target(self) -> str:
        parts = [f"≥ {self.min_rps:,.0f} req/s"] if self.min_rps else []
        return ", ".join([*parts, f"p99 ≤ {self.max_p99_ms:.0f} ms"])


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    server_cpu: float  # share of one core the server used during the run
    first_error: str

    def met(self, scenario: Scenario) -> bool:
        return (
            self.errors == 0
            and self.p99_ms <= scenario.max_p99_ms
            and (scenario.min_rps is None or self.rps >= scenario.min_rps)
        )


def call(base: str, method: str, path: str, body: object = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(
        base + path, method=method, headers=headers, data=None if body is None else json.dumps(body).encode()
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def create_owner(data_dir: Path, username: str = OWNER) -> str:
    """An owner account in the seeded database, made with the CLI; returns its password."""
    password = f"bench-{secrets.token_urlsafe(16)}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "appliance",
            "create-user",
            "--rol",
            "dueno",
            "--username",
            username,
            "--password-stdin",
        ],
        input=password + "\n",
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return password


def sign_in(base: str, username: str, password: str) -> str:
    """POST /token with the OAuth2 password form; returns the access token."""
    form = urllib.parse.urlencode({"username": username, "password": password}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/token", data=form), timeout=60) as response:
        return json.loads(response.read())["access_token"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, script: Path, connections: int, seconds: float, server_pid: int, token: str) -> Result:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "5s",
        "-H",
        f"Authorization: Bearer {token}",
        "-s",
        str(script),
        url,
    ]
    cpu_before, started = cpu_seconds(server_pid), time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    server_cpu = (cpu_seconds(server_pid) - cpu_before) / (time.monotonic() - started)

    def number(pattern: str) -> re.Match:
        match = re.search(pattern, output)
        if match is None:
            raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{output}")
        return match

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    first_bad = re.search(r"BENCH_FIRST_BAD (.*)", output)
    return Result(
        rps=float(number(r"Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=to_ms(*number(r"\s50%\s+([\d.]+)(us|ms|s|m)\b").groups()),
        p99_ms=to_ms(*number(r"\s99%\s+([\d.]+)(us|ms|s|m)\b").groups()),
        requests=int(number(r"(\d+) requests in").group(1)),
        errors=int(number(r"BENCH_BAD_STATUS (\d+)").group(1))
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
        server_cpu=server_cpu,
        first_error=first_bad.group(1) if first_bad else "",
    )


def ventas_lua(products: list[dict]) -> str:
    """Sales of 3 different products each, rotating over `products`, paid in cash with change."""
    bodies = []
    for index in range(len(products)):
        trio = [products[(index + k) % len(products)] for k in range(3)]
        total = sum(p["precio_venta"] for p in trio)
        cash = math.ceil(total / 100) * 100  # the next $100 bill: the sale gives change
        bodies.append(
            json.dumps(
                {
                    "items": [{"producto_id": p["id"], "cantidad": 1} for p in trio],
                    "pagos": [{"metodo": "efectivo", "monto": cash}],
                }
            )
        )
    table = ",\n".join(f"  [==[{body}]==]" for body in bodies)
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {{
{table}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[i % #bodies + 1])
end
"""


class Server:
    """`python -m appliance serve` on a free port of 127.0.0.1, with its own data folder, signed in as
    the owner (`api` calls carry the token)."""

    def __init__(self, data_dir: Path, password: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
        }
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if call(self.url, "GET", "/")["db"] == "ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("the server did not answer within 60 s")
        try:
            self.token = sign_in(self.url, OWNER, password)
        except OSError:
            self.stop()
            raise

    def api(self, method: str, path: str, body: object = None) -> dict:
        return call(self.url, method, path, body, self.token)

    def settled_folio(self) -> int:
        """The last sale's folio once the sales wrk left in flight when it stopped have committed."""
        folio = None
        while (latest := self.api("GET", "/ventas?limit=1")["items"][0]["folio"]) != folio:
            folio = latest
            time.sleep(0.5)
        return folio

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
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


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk,
        "commit": (commit.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty else ""),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per endpoint (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (printed at the end)")
    parser.add_argument("--clientes", type=int, default=20_000)
    parser.add_argument("--ordenes", type=int, default=100_000)
    parser.add_argument("--productos", type=int, default=5_000)
    parser.add_argument("--ventas", type=int, default=20_000, help="counter sales seeded (the dashboard's history)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk", file=sys.stderr)
        return 2

    data_dir = Path(tempfile.mkdtemp(prefix="servitec-bench-"))
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    print(f"Seeding {data_dir} ...", flush=True)
    seed_started = time.monotonic()
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "appliance",
            "demo-data",
            f"--clientes={args.clientes}",
            f"--ordenes={args.ordenes}",
            f"--productos={args.productos}",
            f"--ventas={args.ventas}",
        ],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
    )
    seed_seconds = time.monotonic() - seed_started
    if seeded.returncode != 0:
        print(seeded.stderr, file=sys.stderr)
        return 1
    db_size = (data_dir / "SERVITEC.DB").stat().st_size
    print(seeded.stdout.strip(), f"({seed_seconds:.1f} s)", flush=True)

    server = Server(data_dir, create_owner(data_dir))
    try:
        productos = server.api("GET", "/inventario?limit=500")["items"][:SOLD_PRODUCTS]
        for producto in productos:
            server.api("PUT", f"/inventario/{producto['id']}/stock", {"motivo": "compra", "cantidad": RESTOCK})
        stock_before = {p["id"]: server.api("GET", f"/inventario/{p['id']}")["stock"] for p in productos}
        folio_before = server.api("GET", "/ventas?limit=1")["items"][0]["folio"]

        scenarios = [
            Scenario("GET /clientes?limit=50", "/clientes?limit=50", "", 1800),
            Scenario("GET /ordenes?estado=listo", "/ordenes?estado=listo", "", None),
            Scenario("POST /clientes", "/clientes", POST_CLIENTES_LUA, 1500),
            (ventas := Scenario("POST /ventas (3 items)", "/ventas", ventas_lua(productos), 600)),
            Scenario("GET /stats/dashboard", "/stats/dashboard", "", None),
        ]
        results = []
        for index, scenario in enumerate(scenarios):
            script = data_dir / f"scenario{index}.lua"
            script.write_text(scenario.lua + STATUS_LUA)
            url = server.url + scenario.path
            run_wrk(url, script, args.connections, args.warmup, server.proc.pid, server.token)
            result = run_wrk(url, script, args.connections, args.duration, server.proc.pid, server.token)
            results.append(result)
            print(
                f"{scenario.name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms,"
                f" {result.errors} errors",
                flush=True,
            )

        # The dashboard while the counter sells: each sale changes the dashboard cache's key, so
        # most dashboard requests recompute it (in the thread pool, one computation at a time).
        half = max(args.connections // 2, 1)
        dashboard_script = data_dir / "mixed-dashboard.lua"
        dashboard_script.write_text(STATUS_LUA)
        sales_script = data_dir / f"scenario{scenarios.index(ventas)}.lua"
        with ThreadPoolExecutor(1) as pool:
            selling = pool.submit(
                run_wrk, server.url + ventas.path, sales_script, half, args.duration + 1, server.proc.pid, server.token
            )
            time.sleep(0.5)
            mixed = [
                Scenario(f"GET /stats/dashboard, {half} clients, while {half} sell", "", "", None),
                Scenario(f"POST /ventas, {half} clients, while {half} read the dashboard", "", "", None),
            ]
            results.append(
                run_wrk(
                    server.url + "/stats/dashboard",
                    dashboard_script,
                    half,
                    args.duration,
                    server.proc.pid,
                    server.token,
                )
            )
            results.append(selling.result())
        scenarios += mixed

        # Consistency: every committed sale took one piece of each of its three products through the ledger.
        sales_made = server.settled_folio() - folio_before
        kardex_ok, pieces_sold = True, 0
        for producto in productos:
            kardex = server.api("GET", f"/inventario/{producto['id']}/movimientos?limit=1")
            kardex_ok &= kardex["suma_movimientos"] == kardex["producto"]["stock"]
            pieces_sold += stock_before[producto["id"]] - kardex["producto"]["stock"]
    finally:
        exit_code = server.stop()
    problems = server.logged_problems()
    load_after = os.getloadavg()[0]

    info = machine()
    rows = []
    for scenario, result in zip(scenarios, results, strict=True):
        rows.append(
            f"| {scenario.name} | {result.rps:,.0f} | {result.p50_ms:.1f} ms | {result.p99_ms:.1f} ms |"
            f" {result.errors} | {scenario.target} | {'yes' if result.met(scenario) else '**no**'} |"
            f" {result.server_cpu:.0%} |"
        )
    first_errors = [
        f"- {s.name}: first non-2xx response: `{r.first_error}`"
        for s, r in zip(scenarios, results, strict=True)
        if r.first_error
    ]
    consistent = kardex_ok and pieces_sold == 3 * sales_made
    report = "\n".join(
        [
            f"# Load benchmark, {started_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, {info['wrk']}",
            f"- Load average (1 min): {load_before:.2f} before seeding, {load_after:.2f} after the runs"
            " (anything well above 0 means other work shared the CPUs)",
            f"- Code: {info['commit']}",
            f"- Data: {seeded.stdout.strip().removeprefix('Datos de ejemplo agregados: ')}; seeded in {seed_seconds:.1f} s;"
            f" database file {db_size / 1024**2:,.0f} MB",
            f"- Load: `wrk -t1 -c{args.connections} -d{args.duration:g}s --latency` per endpoint after a {args.warmup:g} s"
            " warm-up; one server process (gevent), on the same machine as wrk; every request signed in (an owner's"
            " bearer token)",
            "",
            "| Endpoint | req/s | p50 | p99 | errors | target | met? | server CPU |",
            "|---|---:|---:|---:|---:|---|---|---:|",
            *rows,
            "",
            "errors = responses other than 2xx plus socket errors; server CPU = share of one core used by the server"
            " process during the measured run. The last two rows run at the same time (their CPU shares overlap);"
            " every sale changes the dashboard, so one computation is always running and the dashboard rows that"
            " waited for it make its p99.",
            *(["", *first_errors] if first_errors else []),
            "",
            f"- Consistency: {sales_made:,} sales during the runs took {pieces_sold:,} pieces of {len(productos)} products"
            f" ({'= 3 per sale' if pieces_sold == 3 * sales_made else '**≠ 3 per sale**'}); stock equals the kardex sum"
            f" for all of them: {'yes' if kardex_ok else '**no**'}.",
            f"- Server: stopped with exit code {exit_code}; {len(problems)} error lines in its log"
            + (":\n" + "\n".join(f"    {line}" for line in problems[:10]) if problems else "."),
            "",
        ]
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"load-{started_at:%Y%m%d-%H%M%S}.md"
    path.write_text(report)
    print("\n" + report)
    print(f"Report written to {path.relative_to(ROOT)}")
    if args.keep:
        print(f"Data folder kept: {data_dir}")
    else:
        shutil.rmtree(data_dir)
    return 0 if consistent and exit_code == 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
