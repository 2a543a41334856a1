"""The production server: Flask on gevent's WSGIServer, one port for everything.

Expects gevent's monkey-patching to have run already (see __main__.py).
"""

from __future__ import annotations

import errno
import http.client
import logging
import os
import signal
import socket
import ssl
from http import HTTPStatus

import gevent
import orjson
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from . import control, logs
from .api.errors import HTTP_MESSAGES
from .app import create_app
from .config import Config, ConfigError
from .discovery import Discovery
from .security.certs import file_fingerprint
from .store import Database

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2


class _HeadersTooSlow(Exception):
    """The client did not send its request line and headers within HEADER_TIMEOUT."""


def _error_parts(status: int) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body, in the API's JSON error shape, of an error found before Flask runs."""
    code, message = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])
    body = orjson.dumps({"error": {"code": code, "message": message, "fields": {}}})
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ]
    return f"{status} {HTTPStatus(status).phrase}", headers, body


def transport_error(status: int) -> bytes:
    """The whole HTTP response of `_error_parts`, to write on the socket as it is."""
    status_line, headers, body = _error_parts(status)
    head = f"HTTP/1.1 {status_line}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    return head.encode("latin-1") + body


class NoDelayHandler(WSGIHandler):
    """pywsgi's handler with what a shop's LAN needs: no delayed ACKs, fair turns, deadlines, JSON errors.

    pywsgi writes headers and body in two sends; without TCP_NODELAY each
    keep-alive response then waits ~40 ms for the peer's delayed ACK.
    """

    idle_timeout: float = 75.0
    header_timeout: float = 10.0

    def __init__(self, sock, address, server, rfile=None):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # An idle keep-alive or a client that stops mid-request is dropped after this.
        sock.settimeout(self.idle_timeout)
        # One timer per connection, started for each request's line and headers.
        self._deadline = gevent.Timeout(self.header_timeout, _HeadersTooSlow)
        self._served = 0
        super().__init__(sock, address, server, rfile)

    def handle(self):
        try:
            super().handle()
        finally:
            self._deadline.close()

    def handle_one_request(self):
        # A keep-alive client whose next request is already buffered would be
        # served again without ever yielding; yield first so connections take
        # turns. Measured, 16 clients on GET /clientes: p99 68 ms -> 11 ms. (Yielding
        # only after requests that never waited was measured too: slower, since the
        # next request had then seldom arrived and the read had to wait on the loop.)
        gevent.sleep(0)
        try:
            result = super().handle_one_request()
        except _HeadersTooSlow:
            log.info(
                "Conexión de %s cerrada: no envió su petición en %g s", self.client_address[0], self.header_timeout
            )
            result = ("408", b"")
        finally:
            self._stop_deadline()
        self._served += 1
        if isinstance(result, tuple):  # refused before the application: the JSON error shape, and close
            return result[0], transport_error(int(result[0]))
        return result

    def read_requestline(self):
        # The header deadline runs from the connection's start for its first request (a
        # TLS handshake happens inside this first read) and from the first byte of each
        # later one: between requests a keep-alive connection only has IDLE_TIMEOUT. Each
        # byte used to reset that timeout, so a client sending one byte a second held its
        # connection (and, past MAX_CONNECTIONS of them, everyone else's turn) for good.
        if self._served:
            self.rfile.peek(1)
        self._deadline.start()
        # Under TLS the handshake runs inside the first read (build_server defers
        # it), so a plain-HTTP client, a port scanner or a client that distrusts
        # the certificate fails here. pywsgi drops the connection quietly; say
        # why at debug level for whoever is troubleshooting.
        try:
            return super().read_requestline()
        except ssl.SSLError as exc:
            log.debug("Conexión TLS de %s descartada: %s", self.client_address[0], exc)
            raise

    def read_request(self, raw_requestline):
        try:
            return super().read_request(raw_requestline)
        finally:
            self._stop_deadline()  # the application runs without it

    def _stop_deadline(self) -> None:
        self._deadline.cancel()

    def log_request(self):
        # No access log (the server passes log=None): pywsgi would still format every line.
        pass

    def run_application(self):
        super().run_application()
        # After a WebSocket the connection is never reused for HTTP: pywsgi would
        # read the next bytes (a late close frame) as a request line, log an error,
        # and keep a client that already said goodbye waiting for its close timeout.
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True

    def _handle_client_error(self, ex):
        # gevent's documented hook for bad client input. A client that stalls
        # mid-request past IDLE_TIMEOUT is expected on a shop LAN (a laptop
        # sleeps); close quietly instead of printing a traceback.
        if isinstance(ex, TimeoutError):
            return None
        if isinstance(ex, _HeadersTooSlow):
            raise ex  # answered 408 by handle_one_request
        # More than 100 headers raise http.client's error; a header line over 64 KiB comes
        # back from pywsgi's header parser as the status "Line too long".
        if isinstance(ex, http.client.HTTPException) or "Line too long" in str(ex):
            log.info("Petición de %s con cabeceras demasiado grandes: %s", self.client_address[0], ex)
            return ("431", b"")
        return super()._handle_client_error(ex)

    def _send_error_response_if_possible(self, error_code):
        # pywsgi's own answers to a broken body or an error inside it are plain text.
        if self.response_length:
            self.close_connection = True
            return
        status_line, headers, body = _error_parts(error_code)
        try:
            self.start_response(status_line, headers)
            self.write(body)
        except OSError:
            self.close_connection = True


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """Server-side TLS 1.2+ context for SSL_CERT/SSL_KEY; ConfigError if they cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        # An empty password: a passphrase-protected key fails here instead of
        # OpenSSL prompting on a console nobody watches.
        context.load_cert_chain(cert, key, password=b"")
    except OSError as exc:
        raise ConfigError(
            f"No se pudo usar el certificado SSL_CERT={cert} con la llave SSL_KEY={key} "
            f"(¿la llave es de otro certificado o tiene contraseña?): {exc}"
        ) from None
    return context


def build_server(config: Config, database: Database) -> WSGIServer:
    tls = {}
    if config.ssl_cert:
        # The handshake is left to the connection's first read, inside the
        # handler: it then runs under IDLE_TIMEOUT, and its failures end the
        # connection quietly instead of as a traceback from the accept loop.
        tls = {"ssl_context": tls_context(config.ssl_cert, config.ssl_key), "do_handshake_on_connect": False}
    app = create_app(config, database)
    handler = type(
        "Handler",
        (NoDelayHandler,),
        {"idle_timeout": float(config.idle_timeout), "header_timeout": float(config.header_timeout)},
    )
    return WSGIServer(
        (config.host, config.port),
        app,
        handler_class=handler,
        spawn=Pool(config.max_connections),
        log=None,
        error_log=logging.getLogger("gevent.pywsgi"),
        **tls,
    )


def serve(config: Config, supervised: bool = False) -> int:
    """Run until SIGINT/SIGTERM (or, `supervised` by the tray, until stdin closes); return the exit code."""
    logs.setup(config.log_level, config.data_dir, "servidor.log")
    database = Database(config.db_path)
    database.enable_group_commit()
    try:
        server = build_server(config, database)
        try:
            server.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                log.error("El puerto %s ya está ocupado por otro programa. Usa otra variable PORT.", config.port)
                return 2
            raise
        backups = server.application.extensions["servitec"].backups
        backups.start()
        # After the bind: what is announced is a port that answers.
        discovery = Discovery(
            config,
            server.server_port,
            file_fingerprint(config.ssl_cert) if config.ssl_cert else "",
            lambda: database.server_id,
        )
        discovery.start()
        stop = gevent.event.Event()
        # Windows delivers Ctrl+C (SIGINT) only; a service manager or Docker sends SIGTERM elsewhere.
        for signum in (signal.SIGINT,) if os.name == "nt" else (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(signum, stop.set)
        if supervised:
            channel = control.Channel(stop, lambda: backups.backup("manual", control.TRAY_ACTOR))
            channel.start()
            channel.say({"listo": {"puerto": server.server_port, "tls": server.ssl_enabled}})
        log.info(
            "ServitecManager escuchando en %s://%s:%s (documentación en /docs, base de datos %s)",
            "https" if server.ssl_enabled else "http",
            config.host,
            server.server_port,
            database.path,
        )
        stop.wait()
        log.info("Deteniendo el servidor…")
        discovery.stop()  # first: its goodbyes tell the counters at once that this server is leaving
        backups.stop()  # before the server: a restore in progress holds the write connection
        # Requests finish in milliseconds; what still runs after the grace is an idle
        # keep-alive connection (every desktop client holds one), so don't wait long.
        server.stop(timeout=STOP_GRACE_SECONDS)
        return 0
    finally:
        database.close()
