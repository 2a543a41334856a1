"""The two executables of build.spec, built here for Linux and run as a shop would run them.

The build takes minutes, so it is made once and kept under ~/.cache/servitec-build/<hash of
what goes into it>: the second pass of the test command, and a run after a change to tests only,
use the same files. The server is copied into an empty folder and started from there with no
Python on PATH; the client runs in a network namespace with loopback only (tests/netns.py), so
its real mDNS search and beacon listener stay off the machine's network.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket
from desktop import FIRST_SCREEN
from frozen import build_command
from netns import lan
from serverproc import OWNER_PASSWORD, ROOT, free_port

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "servitec-build"
INPUTS = ("build.spec", "requirements.txt", "requirements-dev.txt", "installer", "appliance", "webview_client")


def _inputs_hash() -> str:
    digest = hashlib.sha256()
    for top in INPUTS:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def dist() -> Path:
    """The folder holding ServitecServer and ServitecCliente, built from this checkout."""
    folder = CACHE / _inputs_hash()
    done = folder / "dist"
    if not (done / "ServitecServer").is_file() or not (done / "ServitecCliente").is_file():
        for old in CACHE.glob("*"):  # earlier checkouts' builds: 300 MB each
            shutil.rmtree(old, ignore_errors=True)
        folder.mkdir(parents=True)
        build = subprocess.run(
            build_command(folder / "new", folder / "work"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert build.returncode == 0, build.stderr[-4000:]
        (folder / "new").rename(done)  # only a finished build counts as cached
        shutil.rmtree(folder / "work", ignore_errors=True)
    return done


def _no_python_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A shop PC's environment: no Python anywhere on PATH, nothing inherited from this one."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    assert shutil.which("python3", path=str(empty)) is None
    return {
        "PATH": str(empty),
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(tmp_path / "home" / "datos-usuario"),
        # platformdirs' machine-wide folder on Linux: the first of these.
        "XDG_DATA_DIRS": str(tmp_path / "equipo"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / "config"),
        **extra,
    }


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, f"exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}"
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_the_server_executable_runs_the_whole_appliance_without_python(dist, tmp_path):
    shop = tmp_path / "escritorio"  # where a shortcut would start it: it must stay as it is
    shop.mkdir()
    exe = shutil.copy2(dist / "ServitecServer", shop / "ServitecServer")
    port = free_port()
    env = _no_python_env(tmp_path, HOST="127.0.0.1", PORT=str(port), DISCOVERY_MDNS="false")
    env["DISCOVERY_BEACON"] = "false"

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *args], cwd=shop, env=env, input=stdin, capture_output=True, text=True, timeout=120)

    server = subprocess.Popen([exe, "serve"], cwd=shop, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url + "/", server)
        status = requests.get(url + "/", timeout=10).json()
        assert status["db"] == "ok" and status["configurado"] is False
        index = requests.get(url + "/", headers={"Accept": "text/html"}, timeout=10)
        assert index.status_code == 200 and 'lang="es-MX"' in index.text
        docs = requests.get(url + "/docs", timeout=10)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert requests.get(url + "/swagger/js/swagger-ui-bundle.js", timeout=10).status_code == 200

        made = run("create-user", "--rol", "dueno", "--username", "rosa", "--password-stdin", stdin=OWNER_PASSWORD)
        assert made.returncode == 0, made.stderr
        token = requests.post(url + "/token", data={"username": "rosa", "password": OWNER_PASSWORD}, timeout=10)
        assert token.status_code == 200, token.text
        access = token.json()["access_token"]
        socket = websocket.create_connection(f"ws://127.0.0.1:{port}/ws?token={access}", timeout=10)
        try:
            assert json.loads(socket.recv())["event"] == "conectado"
        finally:
            socket.close()

        backup = run("backup")
        assert backup.returncode == 0, backup.stderr
        listed = run("backups")
        assert listed.returncode == 0 and "verificado" in listed.stdout, listed.stdout

        settings = run("settings").stdout
        assert "Carpetas en uso (instalado):" in settings
        assert str(tmp_path / "equipo" / "ServitecManager" / "data") in settings
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
    assert code == 0
    # Installed, the data is in the machine's folder, never beside the program.
    assert sorted(p.name for p in shop.iterdir()) == ["ServitecServer"]
    machine = tmp_path / "equipo" / "ServitecManager"
    assert (machine / "data" / "SERVITEC.DB").is_file()
    assert (machine / "data" / "logs" / "servidor.log").is_file()
    assert list((machine / "backups").glob("servitec-*-manual.db"))


def test_the_client_executable_opens_on_its_search_screen(dist, tmp_path, xvfb):
    exe = shutil.copy2(dist / "ServitecCliente", tmp_path / "ServitecCliente")
    debug_port = free_port()
    env = _no_python_env(
        tmp_path,
        DISPLAY=xvfb,
        QT_QPA_PLATFORM="xcb",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",  # the tests run as root
        QTWEBENGINE_REMOTE_DEBUGGING=str(debug_port),
    )
    with lan() as net:
        ip, *inside = net.exec_argv(net.lonely_ns, exe)  # `ip` by its full path: PATH has no programs
        client = subprocess.Popen(
            [shutil.which(ip), *inside], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            try:
                seen = net.python(net.lonely_ns, FIRST_SCREEN, debug_port, timeout=180)
            except RuntimeError as exc:
                output = client.stdout.read1().decode(errors="replace") if client.poll() is not None else ""
                raise AssertionError(f"{exc}\n{output[-3000:]}") from None
            assert seen["title"] == "Buscando servidor…"
            assert client.poll() is None
        finally:
            client.terminate()
            try:
                client.wait(20)
            except subprocess.TimeoutExpired:
                client.kill()
                client.wait()
    # The client keeps its copy and settings in the user's data folder.
    assert (tmp_path / "home" / "datos-usuario" / "ServitecManager").is_dir()
