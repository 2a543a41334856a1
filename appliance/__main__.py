"""Command line: `python -m appliance [tray|serve|demo-data|settings|create-user|gen-cert|backup|backups|restore]`.

With no command: the tray (which supervises the server) on a PC with a desktop,
the server alone where there is none (Docker, a service, an SSH session).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

from . import locations


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m appliance", description="Servidor de ServitecManager.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "tray",
        help="Ícono junto al reloj que inicia y vigila el servidor. Es la opción por omisión en una PC con escritorio.",
    )
    serve = commands.add_parser(
        "serve", help="Inicia solo el servidor (API, interfaz, /docs), sin ícono de bandeja. Es lo que corre Docker."
    )
    # The tray's child: stop when stdin closes, take orders on it (appliance/control.py).
    serve.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)
    demo = commands.add_parser("demo-data", help="Llena la base de datos con datos de ejemplo realistas.")
    demo.add_argument("--clientes", type=int, default=200)
    demo.add_argument("--ordenes", type=int, default=500)
    demo.add_argument("--productos", type=int, default=150)
    demo.add_argument("--ventas", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2026, help="Semilla: los mismos números dan los mismos datos.")
    commands.add_parser("settings", help="Muestra cada variable de configuración, su valor y su ayuda.")
    user = commands.add_parser(
        "create-user", help="Crea una cuenta en la PC del servidor (así se crea el primer dueño)."
    )
    user.add_argument("--rol", required=True, help="dueno, tecnico o mostrador")
    user.add_argument("--username", required=True, help="Usuario para iniciar sesión")
    user.add_argument("--nombre", help="Nombre para mostrar (por omisión, el usuario)")
    user.add_argument(
        "--password-stdin", action="store_true", help="Lee la contraseña de la entrada estándar en lugar de preguntarla"
    )
    cert = commands.add_parser("gen-cert", help="Crea un certificado autofirmado para HTTPS (SSL_CERT, SSL_KEY).")
    cert.add_argument("--out-dir", help="Carpeta donde guardarlo (por omisión, DATA_DIR)")
    cert.add_argument("--days", type=int, default=825, help="Días de validez (por omisión, 825)")
    cert.add_argument(
        "--host", action="append", default=[], help="Otro nombre o IP con el que se llega al servidor; se puede repetir"
    )
    cert.add_argument("--force", action="store_true", help="Reemplaza el certificado y la llave si ya existen")
    commands.add_parser("backup", help="Hace un respaldo verificado ahora (funciona con el servidor encendido).")
    commands.add_parser("backups", help="Lista los respaldos de BACKUP_DIR, del más nuevo al más viejo.")
    restore = commands.add_parser("restore", help="Restaura un respaldo (con el servidor DETENIDO).")
    restore.add_argument(
        "nombre", metavar="NOMBRE", help="Nombre del respaldo, p. ej. servitec-20260105-090000-auto.db"
    )
    restore.add_argument("--yes", action="store_true", help="No pide confirmación")
    return parser


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    if n < 1024**3:
        return f"{n / 1024**2:.1f} MB"
    return f"{n / 1024**3:.2f} GB"


def _copy_status(copia) -> str:
    if not copia:
        return "sin segunda copia (BACKUP_COPY_DIR vacío)"
    return f"copiado a {copia['ruta']}" if copia["ok"] else f"FALLÓ: {copia['error']}"


def _cli_user() -> str:
    import getpass

    try:
        return f"{getpass.getuser()} (línea de comandos)"
    except (OSError, KeyError):  # no login name in a bare container
        return "línea de comandos"


def _backup(config) -> int:
    from . import backups

    # A read-only snapshot of the live file: the server, if running, keeps selling meanwhile.
    entry = backups.create_backup(
        config.db_path, config.backup_dir, kind="manual", usuario=_cli_user(), copy_dir=config.backup_copy_dir or None
    )
    print(f"Respaldo creado: {entry['nombre']}")
    print(f"  Carpeta:     {config.backup_dir}")
    print(f"  Tamaño:      {_size(entry['tamano'])}")
    print(f"  Verificado:  {'sí (integrity_check ok)' if entry['verificado'] else 'no'}")
    print(f"  Duración:    {entry['duracion_s']:.1f} s")
    print(f"  Copia:       {_copy_status(entry['copia'])}")
    return 0


def _list_backups(config) -> int:
    from . import backups

    entries = backups.list_backups(config.backup_dir)
    if not entries:
        print(f"No hay respaldos en {config.backup_dir}.")
        return 0
    for entry in entries:
        line = f"{entry['nombre']}  {_size(entry['tamano']):>10}  {entry['estado']}"
        if entry.get("razon"):
            line += f": {entry['razon']}"
        elif entry.get("copia") and not entry["copia"]["ok"]:
            line += "  (sin segunda copia)"
        print(line)
    return 0


def _restore(config, args) -> int:
    from . import backups
    from .store import Actor, Database, DatabaseLocked

    try:
        database = Database(config.db_path)
    except DatabaseLocked as exc:
        print(
            "Error: el servidor está encendido. Detenlo antes de restaurar desde aquí, o restaura con el "
            f"servidor encendido desde el API como dueño (POST /backups/{args.nombre}/restore). ({exc})",
            file=sys.stderr,
        )
        return 2
    try:
        ok, reason = backups.verify_backup(backups.backup_path(config.backup_dir, args.nombre))
        if not ok:
            print(
                f"Error: no se puede restaurar {args.nombre}: {reason} Los datos actuales no se modificaron.",
                file=sys.stderr,
            )
            return 2
        if not args.yes:
            print(f"Los datos actuales de {database.path} se reemplazarán por los del respaldo {args.nombre}.")
            print("Antes se guardará un respaldo de los datos actuales (tipo pre-restore).")
            if input("Escribe si para continuar: ").strip().lower() not in ("si", "sí"):
                print("Cancelado: no se modificó nada.")
                return 1
        entry = backups.restore_backup(
            database,
            config.backup_dir,
            args.nombre,
            actor=Actor(None, _cli_user(), None),
            copy_dir=config.backup_copy_dir or None,
        )
    finally:
        database.close()
    print(f"Restaurado: {entry['nombre']}")
    print(f"  Filas:            {', '.join(f'{n} {table}' for table, n in entry['filas'].items())}")
    print(f"  Respaldo previo:  {entry['respaldo_previo']} (los datos de antes de restaurar)")
    return 0


def _create_user(config, args) -> int:
    import getpass

    from .security import passwords
    from .shop import usuarios
    from .store import Database

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Contraseña: ")
        if getpass.getpass("Repite la contraseña: ") != password:
            print("Error: las contraseñas no coinciden.", file=sys.stderr)
            return 2
    password_hash = passwords.hash_password(password)
    # Not exclusive: the server may be running; SQLite serialises the two writers.
    database = Database(config.db_path, exclusive=False)
    try:
        with database.write() as tx:
            usuario = usuarios.create_usuario(
                tx, {"username": args.username, "nombre": args.nombre or args.username, "rol": args.rol}, password_hash
            )
    finally:
        database.close()
    print(f"Cuenta creada: {usuario['username']} ({usuario['rol']}).")
    return 0


def _settings(config) -> int:
    from .config import SETTINGS

    print("Carpetas en uso" + (" (instalado)" if locations.installed() else " (desde el código)") + ":")
    print(f"  Datos:          {Path(config.data_dir).resolve()}")
    print(f"  Base de datos:  {Path(config.db_path).resolve()}")
    print(f"  Respaldos:      {Path(config.backup_dir).resolve()}")
    print(f"  Registros:      {locations.log_dir(config.data_dir).resolve()}")
    print()
    for setting in SETTINGS:
        value = getattr(config, setting.name.lower())
        shown = ",".join(map(str, value)) if isinstance(value, tuple) else ("" if value is None else value)
        print(f"{setting.name}={shown}\n    {setting.help}")
    return 0


def _attach_console() -> None:
    """A windowed Windows executable has no stdout: print into the console it was typed in, if any."""
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # -1: the parent process's console
        sys.stdout = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        sys.stderr = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
        sys.stdin = open("CONIN$", encoding="utf-8")  # noqa: SIM115


def _default_command() -> str:
    """The tray where a tray icon can be shown (Windows and macOS; Linux with X11 or Wayland), else the server."""
    if sys.platform in ("win32", "darwin") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return "tray"
    return "serve"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or _default_command()
    if sys.platform == "win32" and sys.stdout is None and not getattr(args, "supervised", False):
        _attach_console()
    if command == "serve":
        # First thing in the server process, before anything imports socket or threading.
        from gevent import monkey

        monkey.patch_all()
    from .config import Config, ConfigError
    from .shop.errors import DomainError
    from .store import CommitFailed, DatabaseLocked, SchemaTooNew, StoreError

    config = None
    try:
        if command == "gen-cert":
            from .security.certs import gen_cert

            # SSL_CERT/SSL_KEY may name the very files this command makes: they need not exist yet.
            data_dir = Config.from_env(ssl_cert=None, ssl_key=None).data_dir
            return gen_cert(args.out_dir or data_dir, args.days, args.host, args.force)
        config = Config.from_env()
        if command == "serve":
            from .server import serve

            return serve(config, supervised=getattr(args, "supervised", False))
        if command == "tray":
            from .tray import main as tray

            return tray(config)
        if command == "demo-data":
            from .demo_data import fill

            counts = fill(
                config,
                clientes=args.clientes,
                ordenes=args.ordenes,
                productos=args.productos,
                ventas=args.ventas,
                seed=args.seed,
            )
            print("Datos de ejemplo agregados:", ", ".join(f"{n} {name}" for name, n in counts.items()))
            return 0
        if command == "create-user":
            return _create_user(config, args)
        if command == "backup":
            return _backup(config)
        if command == "backups":
            return _list_backups(config)
        if command == "restore":
            return _restore(config, args)
        return _settings(config)
    except (ConfigError, DatabaseLocked, SchemaTooNew) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, StoreError) as exc:
        # The disk refused the data folder (full, read-only, gone): a message for the
        # person at the server PC, not a traceback.
        full = getattr(exc, "errno", None) == errno.ENOSPC or (isinstance(exc, CommitFailed) and exc.disk_full)
        where = config.data_dir if config is not None else os.environ.get("DATA_DIR") or locations.default_data_dir()
        if full:
            print(
                f"Error: no hay espacio en el disco para los datos del servidor ({where}). Libera espacio "
                "(o usa otra carpeta con DATA_DIR) y vuelve a iniciarlo.",
                file=sys.stderr,
            )
        else:
            reason = getattr(exc, "strerror", None) or str(exc)
            place = getattr(exc, "filename", None) or where
            print(f"Error: no se pudieron usar los datos del servidor en {place}: {reason}.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
