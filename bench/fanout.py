"""WebSocket fan-out benchmark: N subscribed clients, M writes, delivery latency and losses.

    python bench/fanout.py [--clients 50] [--writes 500] [--writers 4] [--processes 5]

Starts the real server (`python -m appliance serve`, through tests/serverproc.py) on
127.0.0.1 with an empty database, opens N /ws connections as the owner, then makes M
POST /clientes from a few writer threads. Each event's latency is measured from its
`ts` (stamped in the writing transaction, just before COMMIT) to its arrival at the
*last* subscriber. Reports p50/p99/max of that, and per subscriber the lost,
duplicated and out-of-order events. Writes bench/reports/fanout-YYYYMMDD-HHMMSS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from serverproc import ServerProcess  # noqa: E402

REPORTS = ROOT / "bench" / "reports"


class Subscriber(threading.Thread):
    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.ws = websocket.create_connection(f"{url}/ws?token={token}", timeout=30)
        assert json.loads(self.ws.recv())["event"] == "conectado"
        self.frames: list[tuple[str, float]] = []  # (text, arrival); parsed after the run
        self.arrivals: list[tuple[int, float, str]] = []  # (seq, arrival, ts)

    def run(self) -> None:
        try:
            while True:
                raw = self.ws.recv()
                if not raw:  # the close frame
                    return
                self.frames.append((raw, time.time()))
        except (websocket.WebSocketException, OSError):
            pass

    def parse(self) -> None:
        for raw, arrival in self.frames:
            frame = json.loads(raw)
            if frame["seq"] is not None:  # a notice (an automatic backup) is not one of the writes
                self.arrivals.append((frame["seq"], arrival, frame["ts"]))


def _listen(url: str, token: str, count: int, writes: int, ready, results) -> None:
    """One client process: `count` subscribers; reports their arrivals when all are in (or after 60 s)."""
    sys.setswitchinterval(0.0002)
    subscribers = [Subscriber(url, token) for _ in range(count)]
    for subscriber in subscribers:
        subscriber.start()
    ready.put(count)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(len(s.frames) < writes for s in subscribers):
        time.sleep(0.05)
    for subscriber in subscribers:
        subscriber.ws.close()
        subscriber.parse()
    results.put([s.arrivals for s in subscribers])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--writers", type=int, default=4, help="threads making the writes")
    parser.add_argument("--processes", type=int, default=5, help="client processes sharing the subscribers")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data:
        server = ServerProcess(Path(data), LOG_LEVEL="WARNING").start()
        try:
            ws_url = server.url.replace("http", "ws", 1)
            # Receiving threads share a GIL: fifty in one process (at the default 5 ms switch
            # interval) made the client, not the server, set the latency. Several processes
            # with a short switch interval keep the measurement about the server.
            ready, results = multiprocessing.Queue(), multiprocessing.Queue()
            shares = [
                args.clients // args.processes + (i < args.clients % args.processes) for i in range(args.processes)
            ]
            workers = [
                multiprocessing.Process(target=_listen, args=(ws_url, server.token, n, args.writes, ready, results))
                for n in shares
                if n
            ]
            for worker in workers:
                worker.start()
            for _ in workers:
                ready.get(timeout=60)
            session = requests.Session()
            session.headers.update(server.headers)

            def write(n: int) -> int:
                response = session.post(f"{server.url}/clientes", json={"nombre": f"Fan-out {n}"}, timeout=30)
                return response.status_code

            started = time.monotonic()
            with ThreadPoolExecutor(args.writers) as pool:
                statuses = list(pool.map(write, range(args.writes)))
            write_seconds = time.monotonic() - started
            received = [arrivals for _ in workers for arrivals in results.get(timeout=90)]
            for worker in workers:
                worker.join()
            errors = server.log_path.read_text()
        finally:
            server.stop()

    expected = args.writes
    lost = [expected - len({seq for seq, _, _ in arrivals}) for arrivals in received]
    duplicated = [len(arrivals) - len({seq for seq, _, _ in arrivals}) for arrivals in received]
    reordered = [sum(1 for a, b in itertools.pairwise(arrivals) if b[0] <= a[0]) for arrivals in received]
    last_arrival: dict[int, float] = {}
    stamped: dict[int, float] = {}
    for arrivals in received:
        for seq, arrival, ts in arrivals:
            last_arrival[seq] = max(arrival, last_arrival.get(seq, 0.0))
            stamped[seq] = dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    latencies = [(last_arrival[seq] - stamped[seq]) * 1000 for seq in last_arrival]

    load = os.getloadavg()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    report = f"""# WebSocket fan-out — {dt.datetime.now():%Y-%m-%d %H:%M}

Commit `{commit}` · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs ·
load average before/after {load[0]:.1f} · Python {platform.python_version()}

{args.clients} subscribers on /ws (owner token) in {len(workers)} client processes, {args.writes} ×
`POST /clientes` from {args.writers} writer threads, one server process on 127.0.0.1. Latency: from the event's `ts` (stamped in
the writing transaction) to its arrival at the last of the {args.clients} subscribers.

| Measure | Value | Target (issue 4) |
|---|---:|---|
| Writes answered 201 | {statuses.count(201)} of {args.writes} in {write_seconds:.1f} s | |
| Events delivered | {sum(len(arrivals) for arrivals in received):,} | {args.clients * args.writes:,} |
| Latency p50 | {percentile(latencies, 50):.1f} ms | |
| Latency p99 | {percentile(latencies, 99):.1f} ms | ≤ 50 ms |
| Latency max | {max(latencies):.1f} ms | |
| Lost (sum over subscribers) | {sum(lost)} | 0 |
| Duplicated | {sum(duplicated)} | 0 |
| Reordered | {sum(reordered)} | 0 |
| Server errors logged | {"none" if not errors.strip() else "see log"} | none |
"""
    print(report)
    if errors.strip():
        print("Server log:\n" + errors[-3000:])
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"fanout-{dt.datetime.now():%Y%m%d-%H%M%S}.md"
    path.write_text(report, encoding="utf-8")
    print(f"Report: {path.relative_to(ROOT)}")
    return 0 if sum(lost) + sum(duplicated) + sum(reordered) == 0 and statuses.count(201) == args.writes else 1


if __name__ == "__main__":
    sys.exit(main())
