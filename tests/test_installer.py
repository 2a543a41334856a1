"""The Windows installer (installer/servitec.nsi) compiles with makensis and carries both programs.

Stand-in files take the place of the PyInstaller executables, which only a Windows machine
builds; what is checked is the script: it compiles without a warning, the setup holds both
programs (7z reads NSIS installers), its firewall rules are the README's, and a build without
one of its -D defines stops with a message that names it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance import __version__
from appliance.icons import write_ico

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "installer" / "servitec.nsi"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROGRAMS = ("ServitecServer.exe", "ServitecCliente.exe")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: the README's test command installs it (apt-get install nsis p7zip-full)"
    return path


@pytest.fixture(scope="module")
def defines(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("installer")
    payload = folder / "payload"
    payload.mkdir()
    for name in PROGRAMS:
        (payload / name).write_bytes(b"MZ stand-in for " + name.encode())
    return {
        "VERSION": __version__,
        "PAYLOAD_DIR": str(payload),
        "ICON_FILE": str(write_ico(folder / "servitec.ico")),
        "OUT_FILE": str(folder / f"ServitecManager-Setup-{__version__}.exe"),
    }


def _makensis(defines: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    flags = [f"-D{name}={value}" for name, value in defines.items()]
    return subprocess.run(
        [_tool("makensis"), "-WX", "-V2", *flags, *options, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def preprocessed(defines) -> str:
    """The script as makensis runs it, macros expanded."""
    result = _makensis(defines, "-PPO")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _added_rules(script: str) -> dict[str, tuple[str, str, str]]:
    """name -> (protocol, port, profile) of every `netsh advfirewall firewall add rule` the installer runs."""
    rules = re.findall(
        r'add rule name="([^"]+)" dir=in action=allow protocol=(\w+) localport=(\d+) profile=(\w+)', script
    )
    return {name: (protocol.upper(), port, profile.lower()) for name, protocol, port, profile in rules}


def _readme_rules() -> dict[str, tuple[str, str, str]]:
    section = README.split("### Configurar Firewall (Windows)")[1].split("\n## ")[0]
    rules = re.findall(
        r'New-NetFirewallRule -DisplayName "([^"]+)" -Direction Inbound -LocalPort (\d+) -Protocol (\w+)'
        r" -Action Allow -Profile (\w+)",
        section,
    )
    assert rules, "the README lost its firewall commands"
    return {name: (protocol.upper(), port, profile.lower()) for name, port, protocol, profile in rules}


def test_build_tools_are_installed():
    _tool("makensis")
    _tool("7z")


def test_installer_compiles_and_carries_both_programs(defines):
    result = _makensis(defines)
    assert result.returncode == 0, result.stdout + result.stderr
    setup = Path(defines["OUT_FILE"])
    assert setup.read_bytes()[:2] == b"MZ"
    listing = subprocess.run(
        [_tool("7z"), "l", str(setup)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for name in (*PROGRAMS, "Desinstalar.exe"):
        assert name in listing, listing


def test_firewall_rules_are_the_readmes(preprocessed):
    installer = _added_rules(preprocessed)
    readme = _readme_rules()
    assert installer["ServitecManager API"] == readme["ServitecManager API"] == ("TCP", "8000", "private")
    opened = set(installer.values())
    for name, rule in readme.items():
        assert rule in opened, f"the installer does not open what the README's rule {name!r} opens"


def test_uninstaller_removes_every_rule(preprocessed):
    for name in _added_rules(preprocessed):
        # One delete before each add (a reinstall) and one in the uninstaller.
        assert preprocessed.count(f'delete rule name="{name}"') == 2, name


def test_start_with_windows_is_the_trays_run_value(preprocessed):
    run_key = r'HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "ServitecManager"'
    assert f"WriteRegStr {run_key} '\"$INSTDIR\\ServitecServer.exe\"'" in preprocessed
    assert f"DeleteRegValue {run_key}" in preprocessed


@pytest.mark.parametrize("missing", ["VERSION", "PAYLOAD_DIR", "ICON_FILE", "OUT_FILE"])
def test_a_missing_define_stops_the_build(defines, missing, tmp_path):
    given = {name: value for name, value in defines.items() if name != missing}
    if missing != "OUT_FILE":
        given["OUT_FILE"] = str(tmp_path / "setup-que-no-debe-existir.exe")
    result = _makensis(given)
    assert result.returncode != 0
    assert f"Missing -D{missing}=" in result.stdout + result.stderr
    assert not (tmp_path / "setup-que-no-debe-existir.exe").exists()
