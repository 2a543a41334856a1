"""The tray on the server PC: every menu item pressed, against a real server it supervises.

pystray's dummy backend gives real Menu and MenuItem objects without a desktop
to draw them on; the tray's behaviour (tray.Tray) is the same object the real
icon calls. The server is the real `serve --supervised` child. Opening a browser
or a folder is the OS's business: those two are recorded instead, and the test
then opens what was asked for itself (the URL with requests, the file by reading it).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ifaddr
import pytest
import requests
from counter import wait_for
from serverproc import ROOT, free_port, seed_owner

os.environ["PYSTRAY_BACKEND"] = "dummy"  # before anything imports pystray

from appliance import icons, supervisor
from appliance.backups.listing import list_backups
from appliance.config import Config
from appliance.tray import Tray


def _server_env(data_dir: Path, host: str = "127.0.0.1", **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "BACKUP_DIR": str(data_dir / "backups"),
        "HOST": host,
        "PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
        "DISCOVERY_MDNS": "false",
        "DISCOVERY_BEACON": "false",
        **extra,
    }


class Recorded:
    """The tray's openers: what it asked the OS to open, in order."""

    def __init__(self):
        self.urls: list[str] = []
        self.files: list[Path] = []
        self.qr: list[str] = []


def _tray(env: dict[str, str], recorded: Recorded, **tray_options) -> Tray:
    child = supervisor.Supervisor(env=env, command=[sys.executable, "-m", "appliance", "serve", "--supervised"])
    tray = Tray(
        Config.from_env(env),
        child=child,
        open_url=recorded.urls.append,
        open_file=recorded.files.append,
        qr=recorded.qr.append,
        **tray_options,
    )
    tray.make_icon()
    return tray


def _item(tray: Tray, text: str):
    """The menu item whose text starts with `text` (texts are computed as the menu opens)."""
    for item in tray.icon.menu.items:
        if item.text and item.text.startswith(text):
            return item
    raise AssertionError(f"no menu item {text!r} in {[i.text for i in tray.icon.menu.items]}")


def _press(tray: Tray, text: str):
    item = _item(tray, text)
    assert item.enabled, f"{text!r} is disabled"
    return item(tray.icon)


def _dot(tray: Tray) -> tuple[int, ...]:
    """The colour of the status dot drawn on the icon now."""
    picture = tray.icon.icon
    return picture.getpixel((int(picture.width * 50 / 64), int(picture.height * 50 / 64)))


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def _lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback and link-local, read with ifaddr here."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.is_IPv4:
                address = ipaddress.ip_address(ip.ip)
                if not address.is_loopback and not address.is_link_local:
                    found.append(str(address))
    return found


def _clipboard(display: str) -> str:
    return subprocess.run(
        ["xclip", "-o", "-selection", "clipboard"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout


def test_every_menu_item_against_a_real_server(tmp_path, xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)  # the clipboard is the X server's
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # where the session's autostart lives
    # Every interface, as a shop's server listens: the menu shows the address for the other PCs.
    env = _server_env(tmp_path / "datos", host="0.0.0.0")
    recorded = Recorded()
    tray = _tray(env, recorded)
    assert _dot(tray) == icons.STATE_COLOURS[supervisor.STOPPED]
    tray.child.start()
    try:
        wait_for(lambda: tray.child.state == supervisor.RUNNING, 30, what="the server to listen")
        port = int(env["PORT"])
        assert _item(tray, "Servidor funcionando").text == f"Servidor funcionando (puerto {port})"
        assert _dot(tray) == icons.STATE_COLOURS[supervisor.RUNNING]

        # First run: no owner account yet, so the owner is sent to /setup on this PC.
        wait_for(lambda: recorded.urls, 30, what="the first-run page")
        assert recorded.urls == [f"http://localhost:{port}/setup"]
        assert "Bienvenido a ServitecManager" in [title for title, _ in tray.notices]
        page = requests.get(recorded.urls[0], headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        seed_owner(Path(env["DATA_DIR"]) / "SERVITEC.DB")

        _press(tray, "Abrir ServitecManager")
        assert recorded.urls[-1] == f"http://localhost:{port}/"
        ui = requests.get(recorded.urls[-1], headers={"Accept": "text/html"}, timeout=10)
        assert ui.status_code == 200 and "<html" in ui.text.lower()
        assert _get(recorded.urls[-1]).json()["configurado"] is True

        lan = _lan_addresses()
        assert lan, "this test needs a network interface besides loopback"
        shown = _item(tray, "En otras PC:").text.removeprefix("En otras PC: ")
        assert shown in [f"http://{ip}:{port}" for ip in lan]
        _press(tray, "Copiar la dirección")
        assert wait_for(lambda: _clipboard(xvfb) == shown, 10, "the address on the clipboard")
        _press(tray, "Ver código QR")
        assert recorded.qr == [shown]

        _press(tray, "Respaldar ahora")
        verified = wait_for(
            lambda: [m for t, m in tray.notices if t == "Respaldo verificado"], 30, what="the backup's notice"
        )
        (entry,) = list_backups(env["BACKUP_DIR"])
        assert entry["tipo"] == "manual" and entry["usuario"] == "bandeja del servidor"
        assert entry["estado"] == "verificado"
        assert entry["nombre"] in verified[0]
        assert (Path(env["BACKUP_DIR"]) / entry["nombre"]).is_file()

        _press(tray, "Abrir carpeta de respaldos")
        assert recorded.files[-1] == Path(env["BACKUP_DIR"]).resolve()
        _press(tray, "Ver registro")
        assert recorded.files[-1] == (Path(env["DATA_DIR"]) / "logs" / "servidor.log").resolve()
        assert "ServitecManager escuchando" in recorded.files[-1].read_text(encoding="utf-8")

        autostart = _item(tray, "Iniciar al entrar a la sesión")
        assert not autostart.checked
        _press(tray, "Iniciar al entrar a la sesión")
        entry_file = tmp_path / "config" / "autostart" / "servitecmanager.desktop"
        assert "Exec=" in entry_file.read_text() and "appliance" in entry_file.read_text()
        assert _item(tray, "Iniciar al entrar a la sesión").checked
        _press(tray, "Iniciar al entrar a la sesión")
        assert not entry_file.exists() and not _item(tray, "Iniciar al entrar a la sesión").checked

        first = tray.child.pid
        _press(tray, "Reiniciar servidor")
        wait_for(
            lambda: tray.child.pid not in (None, first) and tray.child.state == supervisor.RUNNING, 30, what="restart"
        )
        assert _get(f"http://127.0.0.1:{port}/").json()["db"] == "ok"
        assert [t for t, _ in tray.notices if t == "El servidor se detuvo"] == []  # a restart is not a crash

        # Killed outright (a crash, the task manager): the tray says so and starts it again.
        killed = tray.child.pid
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: "El servidor se detuvo" in [t for t, _ in tray.notices], 10, "the crash notice")
        wait_for(
            lambda: tray.child.pid not in (None, killed) and tray.child.state == supervisor.RUNNING, 30, what="respawn"
        )
        assert _get(f"http://127.0.0.1:{port}/").json()["db"] == "ok"
        assert tray.child.restarts == 2

        _press(tray, "Salir")
        assert tray.finished.wait(30), "Salir did not stop the server"
        assert tray.child.state == supervisor.STOPPED and tray.child.pid is None
        with pytest.raises(requests.ConnectionError):
            _get(f"http://127.0.0.1:{port}/")
    finally:
        tray.child.stop(10)


def test_crash_loops_back_off_and_tell_why(tmp_path):
    # Another server already holds this database: each start fails with the same clear reason.
    env = _server_env(tmp_path / "datos")
    holder = subprocess.Popen([sys.executable, "-m", "appliance", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        wait_for(
            lambda: requests.get(f"http://127.0.0.1:{env['PORT']}/", timeout=1).ok if _port_open(env) else False, 30
        )
        second = _server_env(tmp_path / "datos")
        tray = _tray(second, Recorded())
        tray.child.start()
        try:
            crashes = wait_for(
                lambda: len(c := [m for t, m in tray.notices if t == "El servidor se detuvo"]) >= 2 and c,
                timeout=30,
                what="two failed starts",
            )
            assert "ya está en uso por otro servidor" in crashes[0]
            assert "Se vuelve a iniciar en 1 s" in crashes[0] and "Se vuelve a iniciar en 2 s" in crashes[1]
            assert tray.child.state in (supervisor.ERROR, supervisor.STARTING)
        finally:
            assert tray.child.stop(10) is not None
        assert tray.child.state == supervisor.STOPPED
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(10)


def _port_open(env: dict[str, str]) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{env['PORT']}/", timeout=1)
    except requests.ConnectionError:
        return False
    return True


def _big_database(data_dir: Path, megabytes: int) -> None:
    """A shop's database with `megabytes` of history, so that its backup takes a few seconds."""
    from appliance.store import Database

    data_dir.mkdir(parents=True)
    database = Database(data_dir / "SERVITEC.DB", exclusive=False)
    try:
        with database.write() as tx:
            tx.execute("CREATE TABLE relleno (datos BLOB)")
            tx.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO relleno SELECT randomblob(65536) FROM n",
                (megabytes * 16,),
            )
    finally:
        database.close()


def test_salir_during_a_backup_waits_for_it(tmp_path):
    data_dir = tmp_path / "datos"
    _big_database(data_dir, 400)
    seed_owner(data_dir / "SERVITEC.DB")
    env = _server_env(data_dir)
    tray = _tray(env, Recorded())
    tray.child.start()
    try:
        wait_for(lambda: tray.child.state == supervisor.RUNNING, 30, what="the server to listen")
        proc = tray.child._proc
        tray.backup_now()
        wait_for(lambda: list(Path(env["BACKUP_DIR"]).glob(".servitec-*.tmp")), 10, "the backup to start")
        started = time.monotonic()
        tray.quit()
        assert tray.finished.wait(120), "Salir did not finish"
        waited = time.monotonic() - started
        assert proc.returncode == 0
        (entry,) = list_backups(env["BACKUP_DIR"])
        assert entry["estado"] == "verificado" and entry["tipo"] == "manual" and entry["tamano"] > 400 * 1024 * 1024
        assert any(t == "Respaldo verificado" for t, _ in tray.notices)
        assert "Saliendo" in [t for t, _ in tray.notices]
        # It stopped after the backup, not before: the wait covered the rest of the copy.
        assert waited >= 0.5 * entry["duracion_s"] - 0.5
    finally:
        tray.child.stop(10)


def test_without_a_desktop_the_program_is_the_server_alone(tmp_path):
    env = _server_env(tmp_path / "datos")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "appliance"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _port_open(env), 30, what="the server")
        assert _get(f"http://127.0.0.1:{env['PORT']}/").json()["db"] == "ok"
        assert not (tmp_path / "datos" / "logs" / "bandeja.log").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def test_on_a_desktop_the_program_is_the_tray_and_takes_its_server_along(tmp_path, xvfb):
    seed_owner(tmp_path / "datos" / "SERVITEC.DB")  # not a first run: no browser opens on /setup
    env = _server_env(tmp_path / "datos", DISPLAY=xvfb)
    env.pop("PYSTRAY_BACKEND", None)  # the real X11 icon
    tray = subprocess.Popen([sys.executable, "-m", "appliance"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _port_open(env), 30, what="the supervised server")
        assert _get(f"http://127.0.0.1:{env['PORT']}/").json()["db"] == "ok"
        assert "Bandeja iniciada" in (tmp_path / "datos" / "logs" / "bandeja.log").read_text(encoding="utf-8")
    finally:
        # The tray ends without a word (killed): its server sees its input close and stops too.
        tray.kill()
        tray.wait(10)
    wait_for(lambda: not _port_open(env), 30, "the orphaned server to stop")
    log = (tmp_path / "datos" / "logs" / "servidor.log").read_text(encoding="utf-8")
    assert "La bandeja pidió detener el servidor" in log


def test_settings_prints_the_folders_in_use(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path / "d"), "BACKUP_DIR": str(tmp_path / "r")}
    env.pop("DB_PATH", None)
    out = subprocess.run(
        [sys.executable, "-m", "appliance", "settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    ).stdout
    assert "Carpetas en uso (desde el código):" in out
    assert f"Base de datos:  {tmp_path / 'd' / 'SERVITEC.DB'}" in out
    assert f"Respaldos:      {tmp_path / 'r'}" in out
    assert f"Registros:      {tmp_path / 'd' / 'logs'}" in out
