"""config.json of a counter PC: which server, how patient, and how it works offline.

    {"api_server": {"url": "http://192.168.1.100:8000", "timeout": 5,
                    "retry_attempts": 3, "enable_realtime": true},
     "offline_mode": {"enabled": true, "sync_interval": 300}}

Every key is optional: with no `url` the client finds the server by itself
(discovery). A value the client cannot use is refused with a Spanish message
naming it, never silently replaced.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ClientConfigError(ValueError):
    """config.json has something the client cannot use; the message is for a person."""


@dataclass(frozen=True)
class ClientConfig:
    url: str | None = None
    timeout: float = 5.0
    retry_attempts: int = 3
    enable_realtime: bool = True
    offline_enabled: bool = True
    sync_interval: float = 300.0

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ClientConfig:
        """The settings in `path`; the defaults when the file does not exist."""
        try:
            with open(path, encoding="utf-8-sig") as file:  # Notepad may save a BOM
                raw = json.load(file)
        except FileNotFoundError:
            return cls()
        except json.JSONDecodeError as exc:
            raise ClientConfigError(f"{path} no es JSON válido: {exc}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Any, where: str = "config.json") -> ClientConfig:
        if not isinstance(raw, dict):
            raise ClientConfigError(f"{where} debe ser un objeto JSON.")
        server = _block(raw, "api_server", where)
        offline = _block(raw, "offline_mode", where)
        url = server.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ClientConfigError(f"{where}: api_server.url debe ser como http://192.168.1.100:8000.")
        return cls(
            url=url.rstrip("/") if url else None,
            timeout=_number(server, "timeout", 5.0, where, "api_server"),
            retry_attempts=int(_number(server, "retry_attempts", 3, where, "api_server", integer=True, low=0)),
            enable_realtime=_flag(server, "enable_realtime", True, where, "api_server"),
            offline_enabled=_flag(offline, "enabled", True, where, "offline_mode"),
            sync_interval=_number(offline, "sync_interval", 300.0, where, "offline_mode"),
        )


def _block(raw: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    block = raw.get(name, {})
    if not isinstance(block, dict):
        raise ClientConfigError(f"{where}: {name} debe ser un objeto JSON.")
    return block


def _number(
    block: dict[str, Any], key: str, default: float, where: str, name: str, *, integer: bool = False, low: float = 0
) -> float:
    value = block.get(key, default)
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value < low or (not integer and value == 0):
        what = "un número entero de 0 en adelante" if integer else "un número de segundos mayor que 0"
        raise ClientConfigError(f"{where}: {name}.{key} debe ser {what}.")
    return value


def _flag(block: dict[str, Any], key: str, default: bool, where: str, name: str) -> bool:
    value = block.get(key, default)
    if not isinstance(value, bool):
        raise ClientConfigError(f"{where}: {name}.{key} debe ser true o false.")
    return value


def save_last_server(path: Path, server: dict[str, Any]) -> None:
    """Remember the server that answered (url, id, certificate fingerprint) next to config.json."""
    target = path.with_name("servidor.json")
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(server, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, target)


def last_server(path: Path) -> dict[str, Any] | None:
    """The server saved by save_last_server, or None."""
    try:
        saved = json.loads(path.with_name("servidor.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return saved if isinstance(saved, dict) and isinstance(saved.get("url"), str) else None


def pinned_fingerprint(path: Path, url: str) -> str | None:
    """The certificate fingerprint saved when this PC was paired with the HTTPS server at `url`, if any."""
    saved = last_server(path)
    if not url.startswith("https://") or saved is None or saved.get("url") != url:
        return None
    return saved.get("fp") or None
