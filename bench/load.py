"""Load benchmark: seed a realistic database, start the real server, measure it with wrk.

    python bench/load.py [--duration 10] [--connections 16] [--keep]

Seeds a temporary data folder with `python -m appliance demo-data`, adds an owner account with
`python -m appliance create-user`, starts `python -m appliance serve` on 127.0.0.1, signs in through
POST /token, and runs `wrk -t1` (one client thread leaves the other core to the server) against one
endpoint at a time, after a short warm-up, every request carrying the owner's bearer token. Prints
a Markdown report and writes it to bench/reports/load-YYYYMMDD-HHMMSS.md. Afterwards checks through
the API that the sales left the stock equal to the kardex. Linux only (wrk, /proc).

    python bench/load.py --ab REV [--rounds 3] [--profile]

A/B mode: compares this checkout (B, the candidate) with git revision REV (A, the baseline) on the
same seeded data: a temporary worktree of REV runs A's server, each server on its own copy of the
data, one loaded at a time, A and B alternating per scenario over the rounds. Writes
bench/reports/ab-YYYYMMDD-HHMMSS.md. `--profile` adds py-spy profiles of the write endpoints.
Nothing here imports the appliance package: both servers are reached over HTTP and the CLI only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    other_cpu: float = 0.0  # cores used meanwhile by everything but the server and wrk (other work, steal)

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


def create_owner(data_dir: Path, username: str = OWNER, cwd: Path = ROOT) -> str:
    """An owner account in the seeded database, made with the CLI of the checkout `cwd`; returns its password."""
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
        cwd=cwd,
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


def busy_seconds() -> float:
    """CPU time all cores spent busy (user, nice, system, irq, softirq, steal) since boot, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child processes waited for so far (wrk, once done)
    return usage.ru_utime + usage.ru_stime


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
    cpu_before, busy_before, wrk_before = cpu_seconds(server_pid), busy_seconds(), children_cpu_seconds()
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - started
    server_seconds = cpu_seconds(server_pid) - cpu_before
    server_cpu = server_seconds / elapsed
    other_seconds = busy_seconds() - busy_before - server_seconds - (children_cpu_seconds() - wrk_before)

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
        other_cpu=max(other_seconds, 0.0) / elapsed,
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
    the owner (`api` calls carry the token).

    `cwd` is the checkout whose code runs (the appliance package is imported from there). Backups go to
    `backups/` inside the data folder: the default BACKUP_DIR (./backups) is relative to the cwd, and
    backups must never land in a checkout."""

    def __init__(
        self,
        data_dir: Path,
        password: str,
        cwd: Path = ROOT,
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
    ):
        """`port`: a restart on the port an earlier Server of the same data folder had."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "BACKUP_DIR": str(data_dir / "backups"),
            "BACKUP_COPY_DIR": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance", "serve"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
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

    def backup_state(self) -> dict | None:
        """`respaldo` of GET /: estado, fecha (the newest verified backup's), en_curso; None from a revision that
        makes no backups (before issue 5)."""
        return call(self.url, "GET", "/").get("respaldo")

    def wait_for_backup(self, timeout: float) -> dict | None:
        """Wait until the start-up automatic backup (~5 s after start when none exists) is done, so no backup
        runs during a measurement. Returns the final `respaldo` state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            state = self.backup_state()
            if state is None or (state["estado"] == "ok" and not state["en_curso"]):
                return state
            if state["estado"] == "fallido":
                raise RuntimeError(f"the server's automatic backup failed: {state.get('aviso')}")
            time.sleep(0.5)
        raise RuntimeError(f"the server's automatic backup did not finish within {timeout:.0f} s (last state: {state})")

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


def write_report(kind: str, started_at: dt.datetime, report: str, kept_profiles: list) -> Path:
    """Print the report and write it to bench/reports/KIND-YYYYMMDD-HHMMSS.md, with the raw profiles kept beside it."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{kind}-{started_at:%Y%m%d-%H%M%S}.md"
    path.write_text(report)
    print("\n" + report)
    print(f"Report written to {path.relative_to(ROOT)}")
    for kept in keep_profiles(kept_profiles, path):
        print(f"py-spy raw profile kept: {kept.relative_to(ROOT)}")
    return path


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    wrk = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
        if shutil.which("wrk")
        else "not installed"
    )
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


def add_reference_data_args(parser: argparse.ArgumentParser) -> None:
    """--clientes/--ordenes/--productos/--ventas for `seed`, the reference sizes by default."""
    parser.add_argument("--clientes", type=int, default=20_000)
    parser.add_argument("--ordenes", type=int, default=100_000)
    parser.add_argument("--productos", type=int, default=5_000)
    parser.add_argument("--ventas", type=int, default=20_000, help="counter sales seeded (the dashboard's history)")


@dataclass
class Seeded:
    summary: str  # demo-data's counts, e.g. "20000 clientes, 5000 productos, ..."
    seconds: float
    db_size: int


def seed(data_dir: Path, args: argparse.Namespace, cwd: Path = ROOT) -> Seeded | None:
    """`python -m appliance demo-data` of the checkout `cwd` into `data_dir`; None (stderr printed) if it failed."""
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
        cwd=cwd,
        env={**os.environ, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
    )
    seed_seconds = time.monotonic() - seed_started
    if seeded.returncode != 0:
        print(seeded.stderr, file=sys.stderr)
        return None
    print(seeded.stdout.strip(), f"({seed_seconds:.1f} s)", flush=True)
    return Seeded(
        seeded.stdout.strip().removeprefix("Datos de ejemplo agregados: "),
        seed_seconds,
        (data_dir / "SERVITEC.DB").stat().st_size,
    )


def build_scenarios(productos: list[dict]) -> list[Scenario]:
    return [
        Scenario("GET /clientes?limit=50", "/clientes?limit=50", "", 1800),
        Scenario("GET /ordenes?estado=listo", "/ordenes?estado=listo", "", None),
        Scenario("POST /clientes", "/clientes", POST_CLIENTES_LUA, 1500),
        Scenario("POST /ventas (3 items)", "/ventas", ventas_lua(productos), 600),
        Scenario("GET /stats/dashboard", "/stats/dashboard", "", None),
    ]


@dataclass
class Ledger:
    """The sold products' stock and the last folio before the runs, to check the sales against afterwards."""

    productos: list[dict]
    stock_before: dict[int, int]
    folio_before: int


def restock(server: Server, productos: list[dict]) -> Ledger:
    for producto in productos:
        server.api("PUT", f"/inventario/{producto['id']}/stock", {"motivo": "compra", "cantidad": RESTOCK})
    stock_before = {p["id"]: server.api("GET", f"/inventario/{p['id']}")["stock"] for p in productos}
    return Ledger(productos, stock_before, server.api("GET", "/ventas?limit=1")["items"][0]["folio"])


@dataclass
class LedgerCheck:
    sales_made: int
    pieces_sold: int
    kardex_ok: bool

    @property
    def consistent(self) -> bool:
        return self.kardex_ok and self.pieces_sold == 3 * self.sales_made

    def describe(self, products: int) -> str:
        return (
            f"{self.sales_made:,} sales during the runs took {self.pieces_sold:,} pieces of {products} products"
            f" ({'= 3 per sale' if self.pieces_sold == 3 * self.sales_made else '**≠ 3 per sale**'}); stock"
            f" equals the kardex sum for all of them: {'yes' if self.kardex_ok else '**no**'}."
        )


def check_ledger(server: Server, ledger: Ledger) -> LedgerCheck:
    """Every committed sale took one piece of each of its three products through the ledger."""
    sales_made = server.settled_folio() - ledger.folio_before
    kardex_ok, pieces_sold = True, 0
    for producto in ledger.productos:
        kardex = server.api("GET", f"/inventario/{producto['id']}/movimientos?limit=1")
        kardex_ok &= kardex["suma_movimientos"] == kardex["producto"]["stock"]
        pieces_sold += ledger.stock_before[producto["id"]] - kardex["producto"]["stock"]
    return LedgerCheck(sales_made, pieces_sold, kardex_ok)


# --- profiles (py-spy) ----------------------------------------------------------------------------

PROFILED = ("POST /clientes", "POST /ventas (3 items)")  # the write endpoints the issue asks profiles of
PROFILE_RATE = 200  # samples per second
PROFILE_TOP = 15
PYSPY_VERSION = "0.4.3"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


@dataclass
class Profile:
    samples: int
    inclusive: list[tuple[float, str]]  # (share of samples, function): the function anywhere in the stack
    self_share: list[tuple[float, str]]  # (share of samples, function): the function is the leaf frame
    result: Result  # wrk's figures while py-spy sampled (slowed down by the sampling)
    seconds: int
    raw: Path


def frame_name(frame: str) -> str:
    """`GroupCommit._run (appliance/store/group_commit.py:58)` -> `GroupCommit._run (appliance/store/group_commit.py)`:
    one function, whatever line of it the sample was on."""
    match = FRAME.match(frame)
    return f"{match['function']} ({match['file']})" if match else frame


def top_functions(raw: Path, top: int = PROFILE_TOP) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """From py-spy's raw (collapsed) stacks, `root;...;leaf COUNT` per line: the sample count and the top
    functions by inclusive share (counted once per sample however often the stack holds them) and by self
    share (the leaf frame)."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(frame) for frame in stack.split(";")]
        total += int(count)
        for name in set(frames):
            inclusive[name] += int(count)
        leaf[frames[-1]] += int(count)

    def shares(counter: Counter[str]) -> list[tuple[float, str]]:
        return [(n / total, name) for name, n in counter.most_common(top)] if total else []

    return total, shares(inclusive), shares(leaf)


def record_profile(
    server: Server, scenario: Scenario, script: Path, connections: int, seconds: int, raw: Path
) -> Profile:
    """py-spy on the server for `seconds` while wrk loads `scenario` (wrk starts 1 s earlier, ends 2 s later)."""
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(
            run_wrk, server.url + scenario.path, script, connections, seconds + 3, server.proc.pid, server.token
        )
        time.sleep(1)
        spy = subprocess.run(
            [
                "py-spy",
                "record",
                "--pid",
                str(server.proc.pid),
                "--duration",
                str(seconds),
                "--rate",
                str(PROFILE_RATE),
                "--format",
                "raw",
                "--output",
                str(raw),
            ],
            capture_output=True,
            text=True,
        )
        result = loading.result()
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(
            f"py-spy failed ({spy.returncode}); it needs ptrace (root, or"
            f" kernel.yama.ptrace_scope=0):\n{spy.stderr.strip()}"
        )
    samples, inclusive, self_share = top_functions(raw)
    return Profile(samples, inclusive, self_share, result, seconds, raw)


def profile_server(
    server: Server,
    scenarios: list[Scenario],
    scripts: dict[str, Path],
    connections: int,
    seconds: int,
    folder: Path,
    side: str,
) -> dict[str, Profile]:
    profiles = {}
    for scenario in scenarios:
        if scenario.name in PROFILED:
            slug = re.sub(r"[^a-z]+", "-", scenario.name.split(" (")[0].lower()).strip("-")
            print(f"Profiling {side} {scenario.name} for {seconds} s ...", flush=True)
            profiles[scenario.name] = record_profile(
                server, scenario, scripts[scenario.name], connections, seconds, folder / f"pyspy-{side}-{slug}.txt"
            )
    return profiles


def profile_section(sides: list[tuple[str, dict[str, Profile]]]) -> list[str]:
    """Per profiled endpoint: the top functions by inclusive and by self share, one column per server."""

    def cell(entries: list[tuple[float, str]], rank: int) -> str:
        if rank >= len(entries):
            return ""
        share, name = entries[rank]
        return f"{share:.1%} `{name}`".replace("|", "\\|")

    first = sides[0][1]
    seconds = next(iter(first.values())).seconds if first else 0
    lines = [
        "## Profiles (py-spy)",
        "",
        f"`py-spy record --rate {PROFILE_RATE} --duration {seconds} --format raw` on each server process while"
        f" wrk loads the endpoint (an extra run after the measured ones, same connections). Shares are of the"
        f" samples py-spy kept (it leaves out threads that are idle, e.g. the hub waiting in epoll);"
        f" *inclusive* counts a function once per sample if it is anywhere in the stack, *self* only when it is"
        f" the leaf frame. py-spy pauses the process for each sample, so the req/s under profiling is lower"
        f" than in the measured runs and is shown only to tell the profiles' load apart.",
    ]
    for endpoint in PROFILED:
        columns = [(side, profiles[endpoint]) for side, profiles in sides if endpoint in profiles]
        if not columns:
            continue
        lines += ["", f"### {endpoint}", ""]
        lines += [
            f"- {side}: {p.samples:,} samples; {p.result.rps:,.0f} req/s, p99 {p.result.p99_ms:.1f} ms,"
            f" {p.result.errors} errors under py-spy"
            for side, p in columns
        ]
        for title, attribute in (("inclusive", "inclusive"), ("self", "self_share")):
            lines += [
                "",
                "| # | " + " | ".join(f"{side} {title}" for side, _ in columns) + " |",
                "|---:|" + "---|" * len(columns),
            ]
            depth = max(len(getattr(p, attribute)) for _, p in columns)
            lines += [
                f"| {rank + 1} | " + " | ".join(cell(getattr(p, attribute), rank) for _, p in columns) + " |"
                for rank in range(depth)
            ]
    return lines


def keep_profiles(sides: list[tuple[str, dict[str, Profile]]], report: Path) -> list[Path]:
    """Copy the raw py-spy files next to the report (--keep)."""
    kept = []
    for _, profiles in sides:
        for profile in profiles.values():
            target = report.with_name(f"{report.stem}-{profile.raw.name}")
            shutil.copyfile(profile.raw, target)
            kept.append(target)
    return kept


def pyspy_missing() -> bool:
    if shutil.which("py-spy") is not None:
        return False
    print(
        f"py-spy is not installed. Install it with: pip install py-spy=={PYSPY_VERSION}"
        " (it attaches with ptrace: run as root, or set kernel.yama.ptrace_scope=0)",
        file=sys.stderr,
    )
    return True


# --- single-server mode ---------------------------------------------------------------------------


def main_single(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="servitec-bench-"))
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    seeded = seed(data_dir, args)
    if seeded is None:
        return 1

    server = Server(data_dir, create_owner(data_dir))
    profiles: dict[str, Profile] = {}
    try:
        productos = server.api("GET", "/inventario?limit=500")["items"][:SOLD_PRODUCTS]
        ledger = restock(server, productos)

        scenarios = build_scenarios(productos)
        ventas = scenarios[3]
        scripts: dict[str, Path] = {}
        results = []
        for index, scenario in enumerate(scenarios):
            script = scripts[scenario.name] = data_dir / f"scenario{index}.lua"
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
        sales_script = scripts[ventas.name]
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
        measured = scenarios
        scenarios = scenarios + mixed

        if args.profile:
            profiles = profile_server(
                server, measured, scripts, args.connections, profile_seconds(args), data_dir, "server"
            )
        ledger_check = check_ledger(server, ledger)
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
    report = "\n".join(
        [
            f"# Load benchmark, {started_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, {info['wrk']}",
            f"- Load average (1 min): {load_before:.2f} before seeding, {load_after:.2f} after the runs"
            " (anything well above 0 means other work shared the CPUs)",
            f"- Code: {info['commit']}",
            f"- Data: {seeded.summary}; seeded in {seeded.seconds:.1f} s; database file {seeded.db_size / 1024**2:,.0f} MB",
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
            f"- Consistency: {ledger_check.describe(len(ledger.productos))}",
            f"- Server: stopped with exit code {exit_code}; {len(problems)} error lines in its log"
            + (":\n" + "\n".join(f"    {line}" for line in problems[:10]) if problems else "."),
            *(["", *profile_section([("server", profiles)])] if profiles else []),
            "",
        ]
    )
    write_report("load", started_at, report, [("server", profiles)] if args.keep else [])
    if args.keep:
        print(f"Data folder kept: {data_dir}")
    else:
        shutil.rmtree(data_dir)
    return 0 if ledger_check.consistent and exit_code == 0 and not problems else 1


def profile_seconds(args: argparse.Namespace) -> int:
    return max(1, round(args.duration))


# --- A/B mode -------------------------------------------------------------------------------------

WRITE_SPEEDUP = 1.25  # a write endpoint passes when B's req/s ≥ this × A's ...
WRITE_MAX_P99_MS = 50.0  # ... and B's p99 is at most this
READ_FLOOR = 0.97  # a read endpoint is "not slower" when B's req/s ≥ this × A's (run-to-run noise allowance)
SERVER_DEFAULT_TZ = "America/Mexico_City"  # the appliance's default TZ setting
OTHER_CPU_WARN = 0.2  # cores used by other processes during a measured run that make the report warn


def git(*arguments: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def no_scheduled_backup_env() -> dict[str, str]:
    """Settings that keep each server's schedule from starting a backup during the runs. The start-up backup
    (awaited before measuring) is then the newest; the next would come after BACKUP_INTERVAL_HOURS (6 h) or at
    the shop's daily hour (BACKUP_DAILY_HOUR, 21:00 by default, in the shop's TZ), which is moved to the hour
    that has just begun there, so it comes round again only in about a day."""
    raw = os.environ.get("TZ", "")
    try:  # the server reads TZ the same way: unset or in POSIX file form (":/etc/localtime") means its default
        zone = ZoneInfo(raw if raw and not raw.startswith((":", "/")) else SERVER_DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(SERVER_DEFAULT_TZ)
    return {"BACKUP_DAILY_HOUR": str(dt.datetime.now(zone).hour)}


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> float:
    """(max − min) ÷ median: how much the rounds of one side disagree."""
    return (max(values) - min(values)) / median(values) if median(values) else 0.0


def main_ab(args: argparse.Namespace) -> int:
    try:
        rev = git("rev-parse", "--verify", "--quiet", f"{args.ab}^{{commit}}")
    except subprocess.CalledProcessError:
        print(f"--ab {args.ab}: not a git revision of {ROOT}", file=sys.stderr)
        return 2
    a_commit = git("rev-parse", "--short", rev)
    info = machine()
    # Reports written by earlier runs leave bench/reports/ untracked: they are not changes to the candidate.
    dirty = git("status", "--porcelain", "--", ".", ":(exclude)bench/reports")
    b_commit = git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")
    if args.rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2

    run_started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="servitec-ab-"))
    tree = work / f"worktree-{a_commit}"
    servers: dict[str, Server] = {}
    exit_codes: dict[str, int | None] = {}
    problems: dict[str, list[str]] = {}
    worktree_added = False
    phases: dict[str, float] = {}
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill too
    try:
        print(f"A = {args.ab} ({a_commit}): worktree in {tree}", flush=True)
        git("worktree", "add", "--detach", str(tree), rev)
        worktree_added = True
        # One seed, by A's demo-data, then one copy per server: each server locks its database file.
        # The older revision seeds: B migrates A's schema forward when it opens it, while A refuses
        # a database that carries a migration it does not know.
        seed_dir = work / "seed"
        seed_dir.mkdir()
        seeded = seed(seed_dir, args, cwd=tree)
        if seeded is None:
            return 1
        password = create_owner(seed_dir, cwd=tree)
        data_dirs = {"A": work / "data-A", "B": work / "data-B"}
        shutil.copytree(seed_dir, data_dirs["A"])
        seed_dir.rename(data_dirs["B"])
        extra_env = no_scheduled_backup_env()
        for side, cwd in (("A", tree), ("B", ROOT)):
            servers[side] = Server(data_dirs[side], password, cwd=cwd, extra_env=extra_env)
        print("Waiting for each server's start-up backup ...", flush=True)
        backup_timeout = 120 + seeded.db_size / 2**20 / 2  # generous: ~9 s per 350 MB when alone
        first_backup = {side: server.wait_for_backup(backup_timeout) for side, server in servers.items()}

        listed = {
            side: server.api("GET", "/inventario?limit=500")["items"][:SOLD_PRODUCTS]
            for side, server in servers.items()
        }
        if [p["id"] for p in listed["A"]] != [p["id"] for p in listed["B"]]:
            raise RuntimeError("A and B list different products on the same data: the sales would differ")
        productos = listed["B"]
        ledgers = {side: restock(server, productos) for side, server in servers.items()}
        scenarios = build_scenarios(productos)
        scripts: dict[str, Path] = {}
        for index, scenario in enumerate(scenarios):
            scripts[scenario.name] = work / f"scenario{index}.lua"
            scripts[scenario.name].write_text(scenario.lua + STATUS_LUA)
        phases["setup (worktree, seed, copies, start-up backups)"] = time.monotonic() - run_started

        # results[scenario][side][round]; each round runs every scenario on both, A first on odd rounds.
        results: dict[str, dict[str, list[Result]]] = {s.name: {"A": [], "B": []} for s in scenarios}
        orders = []
        rounds_started = time.monotonic()
        for round_index in range(args.rounds):
            order = "AB" if round_index % 2 == 0 else "BA"
            orders.append(order)
            for scenario in scenarios:
                for side in order:
                    server = servers[side]
                    url = server.url + scenario.path
                    run_wrk(url, scripts[scenario.name], args.connections, args.warmup, server.proc.pid, server.token)
                    result = run_wrk(
                        url, scripts[scenario.name], args.connections, args.duration, server.proc.pid, server.token
                    )
                    results[scenario.name][side].append(result)
                    print(
                        f"round {round_index + 1}/{args.rounds} {side} {scenario.name}: {result.rps:,.0f} req/s,"
                        f" p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {result.errors} errors",
                        flush=True,
                    )
        phases[f"{args.rounds} rounds"] = time.monotonic() - rounds_started

        profiles: list[tuple[str, dict[str, Profile]]] = []
        if args.profile:
            profile_started = time.monotonic()
            for side in "AB":
                profiles.append(
                    (
                        side,
                        profile_server(
                            servers[side], scenarios, scripts, args.connections, profile_seconds(args), work, side
                        ),
                    )
                )
            phases["profiles"] = time.monotonic() - profile_started

        later_backup = {}
        for side, server in servers.items():
            state, first = server.backup_state(), first_backup[side]
            later_backup[side] = state is not None and (state["en_curso"] or state["fecha"] != first["fecha"])
        checks = {side: check_ledger(servers[side], ledgers[side]) for side in "AB"}
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            print("Interrupted: stopping the servers, removing the worktree", file=sys.stderr, flush=True)
        else:
            for side, server in servers.items():
                tail = server.log_path.read_text(errors="replace").splitlines()[-20:]
                if tail:
                    print(
                        f"--- last lines of {side}'s server log ({server.log_path}):", *tail, sep="\n", file=sys.stderr
                    )
        raise
    finally:
        for side, server in servers.items():
            exit_codes[side] = server.stop()
            problems[side] = server.logged_problems()  # read before the data folders go
        if worktree_added:
            removed = subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True, text=True
            )
            if removed.returncode != 0:  # e.g. its folder went already: forget it
                shutil.rmtree(tree, ignore_errors=True)
                subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
        signal.signal(signal.SIGTERM, previous_sigterm)
        if not args.keep or not servers:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()[0]
    phases["in all"] = time.monotonic() - run_started

    def is_write(scenario: Scenario) -> bool:
        return scenario.name.startswith("POST")

    summary_rows, raw_rows, verdicts, first_errors = [], [], [], []
    for scenario in scenarios:
        by_side = results[scenario.name]
        rps = {side: median([r.rps for r in by_side[side]]) for side in "AB"}
        p99 = {side: median([r.p99_ms for r in by_side[side]]) for side in "AB"}
        errors = {side: sum(r.errors for r in by_side[side]) for side in "AB"}
        ratio = rps["B"] / rps["A"] if rps["A"] else math.inf
        summary_rows.append(
            f"| {scenario.name} | {rps['A']:,.0f} | {rps['B']:,.0f} | {ratio:.2f}× | {p99['A']:.1f} ms |"
            f" {p99['B']:.1f} ms | {errors['A']} / {errors['B']} |"
            f" {spread([r.rps for r in by_side['A']]):.0%} / {spread([r.rps for r in by_side['B']]):.0%} |"
        )
        for round_index, order in enumerate(orders):
            a, b = by_side["A"][round_index], by_side["B"][round_index]
            raw_rows.append(
                f"| {scenario.name} | {round_index + 1} | {order[0]} → {order[1]} |"
                + "".join(
                    f" {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {r.server_cpu:.0%} |"
                    for r in (a, b)
                )
                + f" {b.rps / a.rps if a.rps else math.inf:.2f}× | {a.other_cpu:.2f} / {b.other_cpu:.2f} |"
            )
        if is_write(scenario):
            met = ratio >= WRITE_SPEEDUP and p99["B"] <= WRITE_MAX_P99_MS and errors["B"] == 0
            verdicts.append(
                f"- {scenario.name} (write): B/A {ratio:.2f}× (needs ≥ {WRITE_SPEEDUP:g}×), B p99"
                f" {p99['B']:.1f} ms (needs ≤ {WRITE_MAX_P99_MS:.0f} ms), B errors {errors['B']}:"
                f" {'**met**' if met else '**not met**'}"
            )
        else:
            met = ratio >= READ_FLOOR and errors["B"] == 0
            verdicts.append(
                f"- {scenario.name} (read): B/A {ratio:.2f}× (needs ≥ {READ_FLOOR:g}×), B errors"
                f" {errors['B']}: {'not slower' if met else '**slower**'}"
            )
        for side in "AB":
            sample = next((r.first_error for r in by_side[side] if r.first_error), "")
            if sample:
                first_errors.append(f"- {side} {scenario.name}: first non-2xx response: `{sample}`")

    ok = all(checks[side].consistent and exit_codes[side] == 0 and not problems[side] for side in "AB")
    server_lines = []
    for side in "AB":
        lines = problems[side]
        server_lines.append(
            f"- {side}: {checks[side].describe(len(productos))} Stopped with exit code {exit_codes[side]};"
            f" {len(lines)} error lines in its log"
            + (":\n" + "\n".join(f"    {line}" for line in lines[:10]) if lines else ".")
        )
    all_runs = [
        (f"{side} {name} round {index + 1}", result)
        for name, by_side in results.items()
        for side in "AB"
        for index, result in enumerate(by_side[side])
    ]
    busy_runs = [(label, r.other_cpu) for label, r in all_runs if r.other_cpu >= OTHER_CPU_WARN]
    worst = max(all_runs, key=lambda item: item[1].other_cpu)
    other_line = (
        f"- Other work: other processes used at most {worst[1].other_cpu:.2f} cores during a measured run."
        if not busy_runs
        else f"- Other work: **other processes used ≥ {OTHER_CPU_WARN:g} cores during {len(busy_runs)} of"
        f" {len(all_runs)} measured runs** (most: {worst[1].other_cpu:.2f} cores, {worst[0]}); those"
        " figures are noisy: compare the rounds, or run again on a quiet machine."
    )
    backup_line = (
        "- Backups: each server's start-up backup finished before the first run; no other backup"
        " started during the runs."
        if not any(later_backup.values())
        else "- Backups: **a scheduled backup ran during the runs on "
        + " and ".join(side for side in "AB" if later_backup[side])
        + "**: the figures around it are skewed; run again."
    )
    report = "\n".join(
        [
            f"# A/B load benchmark, {started_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, {info['wrk']}",
            f"- Load average (1 min): {load_before:.2f} before seeding, {load_after:.2f} after the runs"
            " (anything well above 0 means other work shared the CPUs)",
            f"- A (baseline): {a_commit}"
            + (f" (`--ab {args.ab}`)" if args.ab != a_commit else "")
            + ", run from a temporary worktree",
            f"- B (candidate): {b_commit}, this checkout",
            f"- Data: {seeded.summary}; seeded once by A's `demo-data` in {seeded.seconds:.1f} s; database file"
            f" {seeded.db_size / 1024**2:,.0f} MB, copied for each server",
            f"- Load: `wrk -t1 -c{args.connections} -d{args.duration:g}s --latency` per endpoint and server after a"
            f" {args.warmup:g} s warm-up; {args.rounds} rounds, each running every endpoint on A and B back to back"
            f" (A first in odd rounds, B first in even ones); both servers up all along (gevent, one process each,"
            f" own data copy and BACKUP_DIR), only one loaded at a time, on the same machine as wrk; every request"
            f" signed in (an owner's bearer token)",
            "- Time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items()),
            "",
            f"## Results (median of {args.rounds} rounds)",
            "",
            "| Endpoint | A req/s | B req/s | B/A | A p99 | B p99 | errors A / B | spread A / B |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *summary_rows,
            "",
            "req/s and p99 = median over the rounds of each server's measured runs; B/A = B's median req/s ÷ A's;"
            " errors = responses other than 2xx plus socket errors, summed over the rounds; spread = (highest −"
            " lowest req/s) ÷ median over the rounds, each server's own run-to-run noise. The servers' data drift"
            " apart a little after the first round: each keeps the customers and sales its own runs made.",
            "",
            "## Verdicts",
            "",
            f"Rules: a write endpoint (POST) is met when B's median req/s ≥ {WRITE_SPEEDUP:g} × A's, B's median p99 ≤"
            f" {WRITE_MAX_P99_MS:.0f} ms and B had no errors. A read endpoint (GET) is not slower when B's median"
            f" req/s ≥ {READ_FLOOR:g} × A's (a {1 - READ_FLOOR:.0%} allowance for run-to-run noise) and B had no"
            " errors. A missed rule is reported, not an exit failure.",
            "",
            *verdicts,
            "",
            "## Each round",
            "",
            "| Endpoint | round | order | A req/s | A p50 ms | A p99 ms | A errors | A CPU | B req/s | B p50 ms |"
            " B p99 ms | B errors | B CPU | B/A | other CPU A / B |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *raw_rows,
            "",
            "CPU = share of one core used by that server process during its measured run; other CPU = cores used"
            " meanwhile by everything else on the machine (other work, the idle server, the hypervisor's steal),"
            " i.e. all busy CPU time less the loaded server's and wrk's, during A's run / B's run.",
            *(["", *first_errors] if first_errors else []),
            "",
            "## Checks",
            "",
            *server_lines,
            backup_line,
            other_line,
            *(["", *profile_section(profiles)] if profiles else []),
            "",
        ]
    )
    write_report("ab", started_at, report, profiles if args.keep else [])
    if args.keep:
        print(f"Data folders kept: {work}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per endpoint (default 2)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder(s) (printed at the end) and the raw py-spy files"
    )
    add_reference_data_args(parser)
    parser.add_argument(
        "--ab", metavar="REV", help="compare this checkout (B) with git revision REV (A) on the same data, alternating"
    )
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3); with --ab only")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"py-spy profiles of the write endpoints after the runs (pip install py-spy=={PYSPY_VERSION})",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.profile and pyspy_missing():
        return 2
    try:
        return main_ab(args) if args.ab else main_single(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
