"""How long a counter PC takes to find the server, by each way it looks, on a LAN of namespaces.

    python bench/discovery.py [--runs 10] [--tls]

Builds the tests' LAN of network namespaces (tests/netns.py: a bridge and PCs on a private /24,
as root), starts the real server (`python -m appliance serve`, HOST=0.0.0.0, its default
BEACON_INTERVAL) on the server PC and, on the counter PC, runs webview_client.discovery.locate()
in a fresh process per run, as a counter opening the program does. Timed inside that process:
locate() alone, not Python's start-up. Ways, --runs runs each:

- config.json url; the last server (servidor.json, with its pin);
- mDNS alone (the client's beacon off), against a server that has announced already: unpaired
  (it listens 0.3 s more for a second server) and paired (it takes its own at once);
- the beacon alone (the client's mDNS off): the wait for the next beacon (runs start at random
  moments of the server's 2 s beacon period);
- the whole chain where multicast is filtered (server DISCOVERY_MDNS=false): mDNS listens its
  full timeout, then the beacon;
- nothing to find (server with both off): the time until the window asks a person (3 runs).

`--tls` serves HTTPS with a gen-cert certificate, so every check also reads and compares the
certificate's fingerprint. The report goes to bench/reports/discovery-<time>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from load import ROOT, machine, write_report

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
import netns  # the tests' LAN of namespaces
from serverproc import ServerProcess, suite_tls_env

NOTHING_RUNS = 3  # each waits the two searches' full timeouts
BEACON_INTERVAL = 2.0  # the server's default


def start(lan: netns.Lan, folder: Path, tls: dict[str, str], **env: str) -> ServerProcess:
    """The server on the LAN's server PC, announced (when mDNS is on) before it is measured."""
    server = ServerProcess(
        folder, port=8000, owner=False, netns=lan.server_ns, address=lan.server_ip, HOST="0.0.0.0", LOG_LEVEL="INFO"
    )
    server.env.update({"SSL_CERT": "", "SSL_KEY": "", **tls, **env})
    server.start()
    if env.get("DISCOVERY_MDNS") != "false":
        deadline = time.monotonic() + 15
        while "anunciado por mDNS" not in server.log_path.read_text(encoding="utf-8"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not announce itself: {server.log_path.read_text()}")
            time.sleep(0.05)
    return server


def measure(
    lan: netns.Lan, runs: int, expect: str, config_url: str | None = None, last=None, jitter: float = 0, **options
) -> dict:
    """`runs` locate() calls on the counter PC; every one must end as `expect` (a via, or an error's name).

    `jitter`: a random pause of up to that many seconds before each run. Back to back, runs would
    start at the same phase of the server's beacon period and every wait would be the same.
    """
    seconds, outcomes = [], []
    pauses = random.Random(2026)
    for _ in range(runs):
        time.sleep(pauses.uniform(0, jitter))
        result = lan.locate(config_url, last, **options)
        outcome = result["found"]["via"] if "found" in result else result["error"]
        outcomes.append(outcome)
        seconds.append(result["seconds"])
    return {"seconds": seconds, "ok": outcomes.count(expect), "outcomes": sorted(set(outcomes)), "last": result}


def row(name: str, expect: str, measured: dict) -> str:
    times = measured["seconds"]
    p50, worst = statistics.median(times) * 1000, max(times) * 1000
    ended = f"{measured['ok']}/{len(times)} {expect}"
    if measured["ok"] != len(times):
        ended += f" (also: {', '.join(o for o in measured['outcomes'] if o != expect)})"
    return f"| {name} | {len(times)} | {p50:,.0f} ms | {worst:,.0f} ms | {ended} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (a gen-cert certificate)")
    args = parser.parse_args()
    started_at = dt.datetime.now()
    tls = suite_tls_env() if args.tls else {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="servitec-discovery-bench-") as folder, netns.lan() as lan:
        server = start(lan, Path(folder) / "tienda", tls)
        try:
            lan.locate(server.url, None, mdns=False, beacon=False)  # warm-up: the page cache, not the search
            measured = measure(lan, args.runs, "config", server.url, None, mdns=False, beacon=False)
            rows.append(row("config.json url", "config", measured))
            saved = {key: measured["last"]["found"][key] for key in ("url", "server_id", "fp")}
            rows.append(
                row("last server (servidor.json, pinned)", "last", measure(lan, args.runs, "last", None, saved))
            )
            rows.append(row("mDNS (client's beacon off)", "mdns", measure(lan, args.runs, "mdns", beacon=False)))
            moved = {**saved, "url": f"http://{lan.server_ip}:9"}  # the saved address answers no more
            measured = measure(lan, args.runs, "mdns", None, moved, beacon=False)
            rows.append(row("mDNS, paired (saved address gone: refused, then mDNS)", "mdns", measured))
            rows.append(
                row(
                    "beacon (client's mDNS off)",
                    "beacon",
                    measure(lan, args.runs, "beacon", mdns=False, jitter=BEACON_INTERVAL),
                )
            )
        finally:
            server.stop()
        server = start(lan, Path(folder) / "sin-mdns", tls, DISCOVERY_MDNS="false")
        try:
            measured = measure(lan, args.runs, "beacon", jitter=BEACON_INTERVAL)
            rows.append(row("whole chain, multicast filtered (server DISCOVERY_MDNS=false)", "beacon", measured))
        finally:
            server.stop()
        server = start(lan, Path(folder) / "callado", tls, DISCOVERY_MDNS="false", DISCOVERY_BEACON="false")
        try:
            measured = measure(lan, NOTHING_RUNS, "NotFound")
            rows.append(row("nothing to find (both off): until a person is asked", "NotFound", measured))
        finally:
            server.stop()
    report = "\n".join(
        [
            f"# Server discovery — {started_at:%Y-%m-%d %H:%M}",
            "",
            *[f"- {key}: {value}" for key, value in machine().items() if key != "wrk"],
            "- load average at the end (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
            f"- LAN: network namespaces and a bridge (tests/netns.py); server {'HTTPS' if tls else 'HTTP'}, "
            "HOST=0.0.0.0, BEACON_INTERVAL 2 s (the default)",
            "- client: webview_client.discovery.locate() with its defaults (3 s per network search, 2 s per check), "
            "a fresh process per run; the time is locate()'s alone, not Python's start-up",
            "",
            "| Way | Runs | p50 | max | Ended as |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    write_report("discovery", started_at, report, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
