"""The README is part of the contract: its settings, its commands and its examples must be true."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from appliance.config import SETTINGS
from serverproc import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The three examples of the original specification, as written there.
SPEC_CURL_EXAMPLES = '''```bash
# Obtener clientes
curl http://localhost:8000/clientes

# Crear cliente
curl -X POST http://localhost:8000/clientes \\
  -H "Content-Type: application/json" \\
  -d '{"nombre":"Juan Perez","telefono":"555-1234"}'

# Estadísticas
curl http://localhost:8000/stats/dashboard
```'''


def _readme_settings_table() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z_]+)` \| `?([^|`]*)`? \|", README, flags=re.MULTILINE)
    return dict(rows)


def test_every_setting_is_documented_with_its_default():
    documented = _readme_settings_table()
    missing = [s.name for s in SETTINGS if s.name not in documented]
    assert not missing, f"settings missing from the README table: {missing}"
    for setting in SETTINGS:
        if setting.default is not None:
            assert documented[setting.name] == setting.default, setting.name
    unknown = set(documented) - {s.name for s in SETTINGS}
    assert not unknown, f"README documents settings the code does not have: {unknown}"


def test_every_setting_has_help_text():
    for setting in SETTINGS:
        assert len(setting.help) > 20, setting.name


def test_ci_runs_the_readme_test_command():
    extracted = subprocess.run(
        ["awk", '/<!-- test-command/ {found=1; next} found && /^```/ {fence++; next} found && fence==1 {print; exit}',
         "README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == "apt-get install -y chromium && pip install -r requirements-dev.txt && python -m pytest"
    assert extracted in README.split("## Arquitectura")[0], "the quick start must show the same test command"
    assert "awk '/<!-- test-command/" in (ROOT / ".ci" / "run").read_text()


def test_start_command_is_in_both_quick_starts():
    command = "pip install -r requirements.txt && python -m appliance serve"
    assert README.count(command) >= 2


def _commands(block: str) -> list[str]:
    """Shell commands of a fenced block, joining backslash continuations."""
    body = block.strip("`").removeprefix("bash\n")
    commands, current = [], ""
    for line in body.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(current)
            current = ""
    return commands


def test_spec_curl_examples_work_verbatim(tmp_path):
    """The spec's three curl examples, copied from the README, against a server on port 8000."""
    assert SPEC_CURL_EXAMPLES in README
    listar, crear, stats = _commands(SPEC_CURL_EXAMPLES)
    server = ServerProcess(tmp_path / "data", port=8000)
    try:
        server.start()
    except RuntimeError as exc:
        raise AssertionError(f"port 8000 must be free for this test: {exc}") from None
    try:
        def run(command: str):
            done = subprocess.run(["bash", "-c", command + " -s -w '\\n%{http_code}'"], capture_output=True,
                                  text=True, timeout=30)
            assert done.returncode == 0, done.stderr
            body, status = done.stdout.rsplit("\n", 1)
            return int(status), json.loads(body)

        status, created = run(crear)
        assert status == 201
        assert created["nombre"] == "Juan Perez" and created["telefono"] == "555-1234" and created["version"] == 1
        status, listed = run(listar)
        assert status == 200
        assert [c["id"] for c in listed["items"]] == [created["id"]]
        status, dashboard = run(stats)
        assert status == 200
        assert dashboard["ordenes_por_estado"]["recibido"] == 0
        assert dashboard["ventas_hoy"]["cantidad"] == 0
    finally:
        server.stop()
