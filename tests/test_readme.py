"""The README is part of the contract: its settings, its commands and its examples must be true."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests
from serverproc import ServerProcess

from appliance.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The three examples of the original specification, as written there, with the sign-in and the
# token that issue 3 adds to them.
SPEC_CURL_EXAMPLES = """```bash
# Iniciar sesión y guardar el token
TOKEN=$(curl -s -X POST http://localhost:8000/token --data-urlencode username=rosa \\
  --data-urlencode 'password=LA-CONTRASEÑA' | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')

# Obtener clientes
curl -H "Authorization: Bearer $TOKEN" http://localhost:8000/clientes

# Crear cliente
curl -X POST http://localhost:8000/clientes \\
  -H "Authorization: Bearer $TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{"nombre":"Juan Perez","telefono":"555-1234"}'

# Estadísticas
curl -H "Authorization: Bearer $TOKEN" http://localhost:8000/stats/dashboard
```"""


def _readme_settings_table() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]*) \|", README, flags=re.MULTILINE)
    return {name: cell.strip("`") for name, cell in rows}


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
        [
            "awk",
            "/<!-- test-command/ {found=1; next} found && /^```/ {fence++; next} found && fence==1 {print; exit}",
            "README.md",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == (
        "apt-get install -y chromium iproute2 xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 xclip nsis p7zip-full docker-compose"
        " && pip install -r requirements-dev.txt && python -m pytest && SERVITEC_TEST_TLS=1 python -m pytest"
    )
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


def _more_curl_examples() -> str:
    """The README's second block of curl examples (a product, an order, a state change)."""
    match = re.search(r"^Más ejemplos.*?\n\n(```bash\n.*?\n```)", README, flags=re.MULTILINE | re.DOTALL)
    assert match, "the README lost its block of more curl examples"
    return match.group(1)


def test_spec_curl_examples_work_verbatim(tmp_path):
    """The README's curl examples, run by bash as written, against a server on port 8000 whose owner
    was created the way the README says (create-user, with the password on stdin)."""
    assert SPEC_CURL_EXAMPLES in README
    login, listar, crear, stats = _commands(SPEC_CURL_EXAMPLES)
    producto, orden, estado = _commands(_more_curl_examples())
    username, password = re.search(r"username=(\S+) .*'password=([^']+)'", login).groups()
    create_user = re.search(
        r"^python -m appliance create-user --rol dueno --username (\S+) .*$", README, flags=re.MULTILINE
    )
    assert create_user and create_user.group(1) == username, "the examples must sign in as the owner the README creates"

    # Plain HTTP, as the examples are written, even when the suite runs over TLS.
    server = ServerProcess(tmp_path / "data", port=8000, owner=False, SSL_CERT="", SSL_KEY="")
    try:
        server.start()
    except RuntimeError as exc:
        raise AssertionError(f"port 8000 must be free for this test: {exc}") from None
    # The README's `python` and `python3` are the interpreter running the tests.
    env = {**server.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        made = subprocess.run(
            ["bash", "-c", create_user.group(0) + " --password-stdin"],
            input=password + "\n",
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        signed_in = subprocess.run(
            ["bash", "-c", f'set -e\n{login}\nprintf %s "$TOKEN"'], env=env, capture_output=True, text=True, timeout=30
        )
        assert signed_in.returncode == 0 and signed_in.stdout, signed_in.stderr
        env["TOKEN"] = signed_in.stdout
        me = requests.get(server.url + "/usuarios/me", headers={"Authorization": f"Bearer {env['TOKEN']}"}, timeout=10)
        assert me.status_code == 200 and (me.json()["username"], me.json()["rol"]) == (username, "dueno"), me.text

        def run(command: str):
            done = subprocess.run(
                ["bash", "-c", command + " -s -w '\\n%{http_code}'"],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
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

        status, product = run(producto)
        assert status == 201 and product["stock"] == 10, product
        status, order = run(orden.replace("ID-DEL-CLIENTE", created["id"]))
        assert status == 201 and order["estado"] == "recibido" and order["cliente_id"] == created["id"], order
        status, moved = run(estado.replace("ID-DE-LA-ORDEN", order["id"]))
        assert status == 200 and moved["estado"] == "diagnostico", moved
    finally:
        server.stop()


def test_every_event_is_documented():
    """Each event the code writes to the change log, and each notice it sends, has a row in the README."""
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "appliance").rglob("*.py"))
    emitted = set(re.findall(r'record_change\(\s*tx,\s*"([a-z_]+)"', sources))
    assert {"cliente_creado", "stock_actualizado", "venta_creada"} <= emitted, emitted
    notices = set(re.findall(r'\.notify\(\s*"([a-z_]+)"', sources))
    assert {"respaldo_progreso", "respaldo_creado", "respaldo_fallido"} <= notices, notices
    emitted |= notices | {"base_restaurada"}  # written by events.record_restore
    events_section = README.split("### Eventos en tiempo real")[1].split("### Sincronización")[0]
    missing = sorted(name for name in emitted if f"`{name}`" not in events_section)
    assert not missing, f"events missing from the README: {missing}"
