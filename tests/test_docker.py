"""Docker without a Docker engine: the compose file as docker-compose reads it, and the container run by hand.

No engine runs on these machines. So the compose file is validated by Debian's docker-compose
(`config`), and the image's own recipe is replayed outside Docker: its COPY lines make the code
folder, its ENV (with /app moved to a temp folder laid out like the two volumes) is the
environment, and its CMD and HEALTHCHECK are run as written, with this Python for `python`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from serverproc import OWNER_PASSWORD, ROOT, free_port, suite_tls_env

COMPOSE = ROOT / "docker-compose.server.yml"
DOCKERFILE = ROOT / "installer" / "Dockerfile"
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMPOSE_CMD = "docker compose -f docker-compose.server.yml"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _one(keyword: str) -> str:
    (value,) = [rest for key, rest in _instructions() if key == keyword]
    return value


def _image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for key, rest in _instructions():
        if key == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
    return env


def _exec_form(text: str) -> list[str]:
    """An exec-form command (a JSON list), with the image's `python` as this one."""
    command = json.loads(text)
    assert isinstance(command, list), f"not exec form: {text}"
    return [sys.executable if part == "python" else part for part in command]


def test_the_compose_file_validates_and_keeps_the_data_on_volumes():
    done = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"],
        cwd=ROOT,
        env={**os.environ, "PORT": ""},  # the host's own PORT must not leak into the published port
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    service = config["services"]["api-server"]
    assert service["build"]["dockerfile"] == "installer/Dockerfile"
    assert [(p["published"], p["target"]) for p in service["ports"]] == [(8000, 8000)]
    env = service["environment"]
    assert env["TZ"] == "America/Mexico_City" and env["PYTHONUNBUFFERED"] == "1"
    assert env["PORT"] == "8000" and env["DB_PATH"] == "/app/SERVITEC.DB"
    assert env["SSL_CERT"] == "" and env["SSL_KEY"] == ""  # optional: empty means plain HTTP
    assert service["restart"] == "unless-stopped"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert mounts["/app"] == "servitec-data" and "servitec-data" in config["volumes"]
    assert mounts["/app/backups"] == str(ROOT / "backups")
    # The image's settings agree with the service's.
    image = _image_env()
    for key in ("TZ", "PORT", "DB_PATH", "DATA_DIR", "BACKUP_DIR"):
        assert image[key] == env[key], key
    assert _one("HEALTHCHECK").startswith("--interval")


@pytest.fixture
def volumes(tmp_path) -> dict[str, Path]:
    """The container's file system, made in tmp_path: the code as COPY put it, and the two volumes."""
    code = tmp_path / "opt" / "servitec"
    code.mkdir(parents=True)
    for key, rest in _instructions():
        if key == "COPY":
            source, target = rest.split()
            destination = code / target
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, destination if target != "." else code)
    app = tmp_path / "app"
    (app / "backups").mkdir(parents=True)
    return {"code": code, "app": app}


def _container_env(volumes: dict[str, Path], port: int) -> dict[str, str]:
    env = {key: value.replace("/app", str(volumes["app"])) for key, value in _image_env().items()}
    env.update(PORT=str(port), PATH=os.environ["PATH"], HOME=str(volumes["app"].parent))
    if os.environ.get("SERVITEC_TEST_TLS") == "1":
        env.update(suite_tls_env())
    return env


def _exec(command: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """What `docker compose ... exec api-server <command>` runs: the command, in the container's setting."""
    return subprocess.run(
        _exec_form(json.dumps(shlex.split(command, comments=True))),
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )


def _start(volumes, env) -> subprocess.Popen:
    proc = subprocess.Popen(
        _exec_form(_one("CMD")), cwd=volumes["code"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    scheme = "https" if env.get("SSL_CERT") else "http"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
        try:
            requests.get(f"{scheme}://127.0.0.1:{env['PORT']}/", timeout=1, verify=env.get("SSL_CERT") or True)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the container's command did not start listening")


def _healthy(volumes, env) -> int:
    healthcheck = _one("HEALTHCHECK")
    command = healthcheck[healthcheck.index("CMD ") + 4 :]
    return subprocess.run(_exec_form(command), cwd=volumes["code"], env=env, timeout=30).returncode


def _documented(command: str) -> str:
    """The part after `exec api-server` of the README's documented docker command that contains `command`."""
    line = next(line for line in README.splitlines() if line.startswith(COMPOSE_CMD + " exec") and command in line)
    return line.split("exec api-server ", 1)[1].strip()


def test_the_container_command_runs_with_its_data_on_the_volumes(volumes):
    env = _container_env(volumes, free_port())
    server = _start(volumes, env)
    try:
        scheme = "https" if env.get("SSL_CERT") else "http"
        url = f"{scheme}://127.0.0.1:{env['PORT']}"
        verify = env.get("SSL_CERT") or True
        assert requests.get(url + "/", timeout=10, verify=verify).json()["db"] == "ok"
        assert _healthy(volumes, env) == 0

        create = _documented("create-user").replace("TU-USUARIO", "rosa") + " --password-stdin"
        made = _exec(create, env, volumes["code"], stdin=OWNER_PASSWORD)
        assert made.returncode == 0, made.stderr
        backup = _exec(_documented("backup"), env, volumes["code"])
        assert backup.returncode == 0 and "Verificado:  sí" in backup.stdout, backup.stdout + backup.stderr
        assert len(list((volumes["app"] / "backups").glob("servitec-*-manual.db"))) == 1
    finally:
        server.send_signal(signal.SIGTERM)  # what `docker compose stop/down` sends
        code = server.wait(30)
    assert code == 0
    assert _healthy(volumes, env) != 0  # with the server down the check fails

    # `down` and `up` again: a new container on the same volumes finds everything.
    assert (volumes["app"] / "SERVITEC.DB").is_file()
    assert not [p for p in volumes["code"].iterdir() if p.name not in ("appliance", "requirements-server.txt")]
    server = _start(volumes, env)
    try:
        token = requests.post(
            url + "/token", data={"username": "rosa", "password": OWNER_PASSWORD}, timeout=10, verify=verify
        )
        assert token.status_code == 200, token.text
        listed = requests.get(
            url + "/backups",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
            verify=verify,
        ).json()["items"]
        assert [b["estado"] for b in listed] == ["verificado"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0


def test_the_readme_and_the_bat_start_and_maintain_it_as_the_spec_says():
    bat = (ROOT / "start-api-server.bat").read_bytes()
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b""), "a .bat needs CRLF line ends"
    assert b"-f docker-compose.server.yml up -d --build" in bat
    for command in ("logs -f", "restart", "down", "ps", "exec api-server python -m appliance backup"):
        assert f"{COMPOSE_CMD} {command}" in README, command
    assert "start-api-server.bat" in README
    # The live database is never copied by hand: only the backup command makes a consistent copy.
    for line in README.splitlines():
        assert not re.search(r"\b(docker (compose )?cp|cp)\b.*SERVITEC\.DB", line), line
