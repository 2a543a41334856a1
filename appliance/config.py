"""Every setting of the appliance in one table.

Each setting is read from the environment variable of the same name. The help
texts are Spanish because the shop owner reads them (`python -m appliance
settings` prints them and the README documents each one; a test checks that).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import locations


class ConfigError(ValueError):
    """A setting has a value the appliance cannot use; the message is for a person."""


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"debe ser un número entero, no {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"debe estar entre {low} y {high}, no {value}")
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "si", "sí", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"debe ser true o false, no {raw!r}")


def _timezone(raw: str) -> str | None:
    # The host may set TZ in POSIX file form (":/etc/localtime"); that names no
    # shop zone, so it counts as unset and the default applies.
    if raw.startswith((":", "/")):
        return None
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"no es una zona horaria conocida: {raw!r}") from None
    return raw


def _text(raw: str) -> str:
    return raw


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"debe ser una lista de redes CIDR separadas por comas; {part!r} no lo es") from None
    return tuple(networks)


def _optional_file(raw: str) -> str | None:
    if not raw.strip():
        return None
    if not Path(raw).is_file():
        raise ConfigError(f"no existe el archivo {raw!r}")
    return raw


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"debe ser DEBUG, INFO, WARNING o ERROR, no {raw!r}")
    return level


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = _text


# Loopback, the RFC 1918 ranges, IPv6 unique-local and link-local (a shop LAN
# with IPv6 uses fd00::/8 or fe80::/10 addresses).
PRIVATE_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,fe80::/10"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "HOST",
        "0.0.0.0",
        "Dirección en la que escucha el servidor. 0.0.0.0 acepta conexiones de toda la red local; 127.0.0.1 solo de esta PC.",
    ),
    Setting(
        "PORT",
        "8000",
        "Puerto TCP del API REST, la documentación (/docs) y el WebSocket (/ws).",
        _int_between(1, 65535),
    ),
    Setting(
        "DATA_DIR",
        None,
        "Carpeta de datos del servidor: base de datos, archivo de bloqueo, secretos y registros (logs). Si no se indica: ./data al correr desde el código; instalado, la carpeta de datos del equipo (C:\\ProgramData\\ServitecManager\\data en Windows).",
    ),
    Setting("DB_PATH", None, "Archivo de la base de datos SQLite. Si no se indica: DATA_DIR/SERVITEC.DB."),
    Setting(
        "TZ",
        "America/Mexico_City",
        "Zona horaria de la tienda: define qué es 'hoy' y 'este mes' en el dashboard.",
        _timezone,
    ),
    Setting("IVA_PERCENT", "16", "Tasa de IVA en porcentaje entero.", _int_between(0, 100)),
    Setting(
        "PRICES_INCLUDE_IVA",
        "true",
        "true si los precios de venta ya incluyen IVA (lo normal en mostrador); false si el IVA se suma al cobrar.",
        _bool,
    ),
    Setting(
        "DISCOUNT_LIMIT_PERCENT",
        "10",
        "Descuento máximo (porcentaje del importe de la partida) que el mostrador puede dar; más que eso solo lo autoriza el dueño.",
        _int_between(0, 100),
    ),
    Setting(
        "MAX_CONNECTIONS",
        "1000",
        "Máximo de conexiones atendidas a la vez; las demás esperan. Evita que una avalancha agote la memoria.",
        _int_between(10, 100000),
    ),
    Setting(
        "HEADER_TIMEOUT",
        "10",
        "Segundos que tiene un cliente para enviar completa la línea y las cabeceras de una petición; si tarda más, se le responde 408 y se cierra la conexión.",
        _int_between(1, 600),
    ),
    Setting(
        "IDLE_TIMEOUT",
        "75",
        "Segundos que una conexión inactiva se mantiene abierta antes de cerrarla.",
        _int_between(5, 3600),
    ),
    Setting(
        "TOKEN_HOURS",
        "12",
        "Horas que dura una sesión (un turno) antes de pedir la contraseña otra vez.",
        _int_between(1, 168),
    ),
    Setting(
        "ALLOWED_IPS",
        PRIVATE_NETWORKS,
        "Redes (CIDR, separadas por comas) desde las que se acepta cualquier petición; las demás reciben 403. Por omisión: esta PC y las redes privadas.",
        _networks,
    ),
    Setting(
        "TRUSTED_PROXIES",
        "",
        "Proxies inversos (CIDR) cuya cabecera X-Forwarded-For se cree para saber la dirección real del cliente. Vacío: no se cree a nadie.",
        _networks,
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        "10",
        "Contraseñas incorrectas seguidas (por usuario o por dirección) antes de bloquear el inicio de sesión.",
        _int_between(3, 1000),
    ),
    Setting(
        "LOGIN_LOCK_SECONDS",
        "300",
        "Segundos que dura el bloqueo tras demasiadas contraseñas incorrectas.",
        _int_between(1, 86400),
    ),
    Setting(
        "SSL_CERT",
        "",
        "Certificado (PEM) para servir HTTPS y WSS en el mismo puerto. Vacío: HTTP. `python -m appliance gen-cert` crea uno.",
        _optional_file,
    ),
    Setting("SSL_KEY", "", "Llave privada (PEM) del certificado de SSL_CERT.", _optional_file),
    Setting(
        "BACKUP_DIR",
        None,
        "Carpeta donde se guardan los respaldos verificados de la base de datos y su lista (backups.json). Si no se indica: ./backups al correr desde el código; instalado, C:\\ProgramData\\ServitecManager\\backups en Windows.",
    ),
    Setting(
        "BACKUP_COPY_DIR",
        "",
        "Segunda carpeta (disco USB o carpeta de red) que recibe una copia de cada respaldo verificado. Vacío: ninguna. Si falta o está llena se avisa, el respaldo no falla.",
    ),
    Setting(
        "BACKUP_INTERVAL_HOURS",
        "6",
        "Horas entre respaldos automáticos. Al arrancar se hace uno si el último es más viejo que esto.",
        _int_between(1, 168),
    ),
    Setting(
        "BACKUP_DAILY_HOUR",
        "21",
        "Hora local (0-23) del respaldo diario, p. ej. al cerrar la tienda; se hace aunque no toque por intervalo.",
        _int_between(0, 23),
    ),
    Setting(
        "BACKUP_KEEP_HOURLY",
        "48",
        "Respaldos automáticos que se conservan, uno por hora, de las horas más recientes.",
        _int_between(0, 10000),
    ),
    Setting(
        "BACKUP_KEEP_DAILY",
        "14",
        "Respaldos automáticos que se conservan, uno por día, de los días más recientes.",
        _int_between(0, 10000),
    ),
    Setting(
        "BACKUP_KEEP_WEEKLY",
        "8",
        "Respaldos automáticos que se conservan, uno por semana, de las semanas más recientes.",
        _int_between(0, 10000),
    ),
    Setting(
        "BACKUP_KEEP_MONTHLY",
        "12",
        "Respaldos automáticos que se conservan, uno por mes, de los meses más recientes. Los manuales y los previos a restaurar se guardan hasta que el dueño los borre.",
        _int_between(0, 10000),
    ),
    Setting(
        "DISCOVERY_MDNS",
        "true",
        "true: el servidor se anuncia en la red local por mDNS (_servitec._tcp) para que los equipos del mostrador lo encuentren sin escribir su dirección. Con HOST=127.0.0.1 no se anuncia.",
        _bool,
    ),
    Setting(
        "DISCOVERY_BEACON",
        "true",
        "true: el servidor envía un aviso UDP de difusión (broadcast) a la red local cada BEACON_INTERVAL segundos, para las redes que bloquean mDNS. Con HOST=127.0.0.1 no se envía.",
        _bool,
    ),
    Setting(
        "BEACON_PORT",
        "42424",
        "Puerto UDP al que va el aviso de difusión; los equipos del mostrador lo escuchan en ese mismo puerto.",
        _int_between(1, 65535),
    ),
    Setting(
        "BEACON_INTERVAL",
        "2",
        "Segundos entre dos avisos de difusión: un equipo que busca por aviso espera a lo más esto.",
        _int_between(1, 3600),
    ),
    Setting("LOG_LEVEL", "INFO", "Nivel de detalle del registro: DEBUG, INFO, WARNING o ERROR.", _log_level),
)


class Config:
    """Resolved settings; attribute names are the lower-case setting names."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Read every setting from `environ` (default os.environ); keyword overrides win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            key = setting.name.lower()
            if key in overrides:
                values[key] = overrides[key]
                continue
            raw = environ.get(setting.name, setting.default)
            if raw is None:
                values[key] = None
                continue
            try:
                values[key] = setting.parse(raw)
            except ConfigError as exc:
                raise ConfigError(f"{setting.name} {exc}") from None
            if values[key] is None and setting.default is not None:
                values[key] = setting.parse(setting.default)
        if bool(values["ssl_cert"]) != bool(values["ssl_key"]):
            raise ConfigError("SSL_CERT y SSL_KEY van juntos: indica los dos o ninguno")
        if values["data_dir"] is None:
            values["data_dir"] = locations.default_data_dir()
        if values["backup_dir"] is None:
            values["backup_dir"] = locations.default_backup_dir()
        if values["db_path"] is None:
            values["db_path"] = str(Path(values["data_dir"]) / "SERVITEC.DB")
        return cls(values)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)
