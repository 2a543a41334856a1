"""Executables benchmark: build time, sizes and start-up times of ServitecServer and ServitecCliente.

    python bench/executables.py [--starts 5] [--dist FOLDER]

Builds both with `python -m PyInstaller build.spec` into a temporary folder (or measures the ones
in --dist, e.g. the tests' cache under ~/.cache/servitec-build/<hash>/dist, without building).
Then, --starts times each, from a fresh copy in an empty folder with a fresh data folder:
- the server: `ServitecServer serve` on 127.0.0.1 and a free port, discovery off, until the
  first `GET /` answers 200 (a one-file program unpacks itself to a temp folder on every start);
- the client: `ServitecCliente` on an Xvfb screen in a network namespace with loopback only
  (tests/netns.py: its real mDNS search stays off the network), until its page shows
  "Buscando servidor…". Needs root, Xvfb and iproute2, as the tests do.
Prints a Markdown report and writes it to bench/reports/executables-YYYYMMDD-HHMMSS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from load import free_port  # bench/ is the script's folder, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "reports"
sys.path.insert(0, str(ROOT / "tests"))
from desktop import FIRST_SCREEN  # noqa: E402  (the tests' probe of the window's first screen)
from frozen import build_command  # noqa: E402
from netns import lan  # noqa: E402


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build(into: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        build_command(into / "dist", into / "work"),
        cwd=ROOT,
        check=True,
    )
    return time.monotonic() - started


def server_start(exe: Path, folder: Path) -> float:
    port = free_port()
    env = {
        "PATH": "/nonexistent",
        "HOME": str(folder),
        "DATA_DIR": str(folder / "data"),
        "BACKUP_DIR": str(folder / "backups"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DISCOVERY_MDNS": "false",
        "DISCOVERY_BEACON": "false",
    }
    started = time.monotonic()
    proc = subprocess.Popen([exe, "serve"], cwd=folder, env=env, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"ServitecServer exited with {proc.returncode}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(30)


def client_start(exe: Path, folder: Path, display: str, net) -> float:
    port = free_port()
    env = {
        "PATH": "/nonexistent",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "datos"),
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox",
        "QTWEBENGINE_REMOTE_DEBUGGING": str(port),
    }
    ip, *inside = net.exec_argv(net.lonely_ns, str(exe))
    started = time.monotonic()
    proc = subprocess.Popen([shutil.which(ip), *inside], cwd=folder, env=env, stderr=subprocess.DEVNULL)
    try:
        seen = net.python(net.lonely_ns, FIRST_SCREEN, port, timeout=180)
        assert seen["title"] == "Buscando servidor…", seen
        return time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(30)


def xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        return proc, ":" + pipe.readline().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--dist", type=Path, help="measure these executables instead of building")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="servitec-bench-exe-"))
    try:
        build_s = None
        dist = args.dist
        if dist is None:
            log("building both executables…")
            build_s = build(work)
            dist = work / "dist"
        sizes = {name: (dist / name).stat().st_size for name in ("ServitecServer", "ServitecCliente")}
        server_times, client_times = [], []
        for n in range(args.starts):
            folder = work / f"servidor-{n}"
            folder.mkdir()
            exe = Path(shutil.copy2(dist / "ServitecServer", folder / "ServitecServer"))
            server_times.append(server_start(exe, folder))
            log(f"server start {n + 1}: {server_times[-1]:.2f} s")
        screen, display = xvfb()
        try:
            with lan() as net:
                for n in range(args.starts):
                    folder = work / f"mostrador-{n}"
                    folder.mkdir()
                    exe = Path(shutil.copy2(dist / "ServitecCliente", folder / "ServitecCliente"))
                    client_times.append(client_start(exe, folder, display, net))
                    log(f"client start {n + 1}: {client_times[-1]:.2f} s")
        finally:
            screen.terminate()
            screen.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    lines = [
        f"# Executables — {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"commit {commit.stdout.strip()}; load average {os.getloadavg()[0]:.2f}.",
        f"Build (both, one spec): {build_s:.0f} s." if build_s is not None else f"Measured {dist} (not built).",
        "",
        f"| Executable | Size | Start-up, median of {args.starts} | min | max | Until |",
        "|---|---|---|---|---|---|",
    ]
    for name, times, until in (
        ("ServitecServer", server_times, "first `GET /` 200"),
        ("ServitecCliente", client_times, '"Buscando servidor…" shown'),
    ):
        lines.append(
            f"| {name} | {sizes[name] / 1e6:.1f} MB | {statistics.median(times):.2f} s | {min(times):.2f} s "
            f"| {max(times):.2f} s | {until} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"executables-{dt.datetime.now():%Y%m%d-%H%M%S}.md").write_text(report, encoding="utf-8")
    print(json.dumps({"server_s": server_times, "client_s": client_times}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
