"""Command line: `python -m appliance [serve|demo-data|settings|create-user|gen-cert]`."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m appliance", description="Servidor de ServitecManager.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="Inicia el servidor (API, /docs). Es la opción por omisión.")
    demo = commands.add_parser("demo-data", help="Llena la base de datos con datos de ejemplo realistas.")
    demo.add_argument("--clientes", type=int, default=200)
    demo.add_argument("--ordenes", type=int, default=500)
    demo.add_argument("--productos", type=int, default=150)
    demo.add_argument("--ventas", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2026, help="Semilla: los mismos números dan los mismos datos.")
    commands.add_parser("settings", help="Muestra cada variable de configuración, su valor y su ayuda.")
    user = commands.add_parser("create-user", help="Crea una cuenta en la PC del servidor (así se crea el primer dueño).")
    user.add_argument("--rol", required=True, help="dueno, tecnico o mostrador")
    user.add_argument("--username", required=True, help="Usuario para iniciar sesión")
    user.add_argument("--nombre", help="Nombre para mostrar (por omisión, el usuario)")
    user.add_argument("--password-stdin", action="store_true",
                      help="Lee la contraseña de la entrada estándar en lugar de preguntarla")
    cert = commands.add_parser("gen-cert", help="Crea un certificado autofirmado para HTTPS (SSL_CERT, SSL_KEY).")
    cert.add_argument("--out-dir", help="Carpeta donde guardarlo (por omisión, DATA_DIR)")
    cert.add_argument("--days", type=int, default=825, help="Días de validez (por omisión, 825)")
    cert.add_argument("--host", action="append", default=[],
                      help="Otro nombre o IP con el que se llega al servidor; se puede repetir")
    cert.add_argument("--force", action="store_true", help="Reemplaza el certificado y la llave si ya existen")
    return parser


def _create_user(config, args) -> int:
    import getpass

    from . import auth
    from .store import Database

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Contraseña: ")
        if getpass.getpass("Repite la contraseña: ") != password:
            print("Error: las contraseñas no coinciden.", file=sys.stderr)
            return 2
    password_hash = auth.hash_password(password)
    # Not exclusive: the server may be running; SQLite serialises the two writers.
    database = Database(config.db_path, exclusive=False)
    try:
        with database.write() as tx:
            usuario = auth.create_usuario(
                tx, {"username": args.username, "nombre": args.nombre or args.username, "rol": args.rol}, password_hash)
    finally:
        database.close()
    print(f"Cuenta creada: {usuario['username']} ({usuario['rol']}).")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    if command == "serve":
        # First thing in the server process, before anything imports socket or threading.
        from gevent import monkey

        monkey.patch_all()
    from .config import Config, ConfigError
    from .errors import DomainError
    from .store import DatabaseLocked, SchemaTooNew

    try:
        if command == "gen-cert":
            from .certs import gen_cert

            # SSL_CERT/SSL_KEY may name the very files this command makes: they need not exist yet.
            data_dir = Config.from_env(ssl_cert=None, ssl_key=None).data_dir
            return gen_cert(args.out_dir or data_dir, args.days, args.host, args.force)
        config = Config.from_env()
        if command == "serve":
            from .server import serve

            return serve(config)
        if command == "demo-data":
            from .demo_data import fill

            counts = fill(config, clientes=args.clientes, ordenes=args.ordenes, productos=args.productos,
                          ventas=args.ventas, seed=args.seed)
            print("Datos de ejemplo agregados:", ", ".join(f"{n} {name}" for name, n in counts.items()))
            return 0
        if command == "create-user":
            return _create_user(config, args)
        from .config import SETTINGS

        for setting in SETTINGS:
            value = getattr(config, setting.name.lower())
            shown = ",".join(map(str, value)) if isinstance(value, tuple) else ("" if value is None else value)
            print(f"{setting.name}={shown}\n    {setting.help}")
        return 0
    except (ConfigError, DatabaseLocked, SchemaTooNew) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
