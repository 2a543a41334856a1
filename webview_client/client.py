"""The desktop client's Backend: the server when it answers, the replica when it does not, and sync between.

Every UI request goes to the server while it answers. When it cannot be
reached the same request is answered from the replica (offline.py), as the
person who signed in online, until that session's token expires; a sign-in
needs the server. A create gets its id here before it leaves, so if the
server got it and only the answer was lost, the offline copy that follows is
the same record and the server takes it once. A change of unknown fate that
is not a create (a state change, a stock move) is not repeated offline: the
person is told to check it.

Sync runs on a thread of its own: at once when the server answers again, on
every live event (the server changed something), every `sync_interval`
seconds, and after an offline op once the server is back.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from appliance.shop.errors import DomainError

from .api_client import ServitecAPIClient
from .backend import Push
from .config import ClientConfig, pinned_fingerprint
from .errors import ServerUnavailable, ServitecError
from .locations import config_path, replica_path
from .offline import answer, error_body
from .online import OnlineBackend
from .replica import Replica
from .sync import SyncEngine
from .transport import Pinned

log = logging.getLogger(__name__)

PROBE_SECONDS = 2.0
CREATES = re.compile(r"^/(clientes|ordenes|ventas|ordenes/[^/]+/partes)$")

EXPIRED = (
    "Tu sesión venció mientras no había conexión. Lo que hiciste sigue guardado en esta PC "
    "y se enviará cuando vuelvas a entrar con el servidor disponible."
)
SIGN_IN_NEEDS_SERVER = "Para entrar se necesita el servidor. Revisa que esté encendido y en la misma red."
OTHER_ROLE = (
    "Sin conexión, y la copia local de esta PC se hizo para otro rol. "
    "Se actualiza para ti en cuanto vuelva la conexión con el servidor."
)
UNKNOWN_FATE = (
    "El servidor dejó de responder a la mitad de este cambio y no se sabe si lo guardó. "
    "No se repitió sin conexión: revisa el registro cuando vuelva la conexión."
)


def _token_expiry(token: str) -> float:
    """When the token stops working (its exp); read without the server's key, only to stop using it here."""
    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    except jwt.PyJWTError:
        return 0.0


class Client:
    """One counter PC's connection to one server, with its replica (the Backend the window uses)."""

    def __init__(
        self, folder: Path, url: str, config: ClientConfig | None = None, verify: str | bool | Pinned | None = None
    ):
        """`verify` as Transport's; by default, over HTTPS, the certificate pinned when this PC was
        paired with the server (servidor.json), so a self-signed one works and no other does."""
        self.config = config or ClientConfig()
        self.url = url.rstrip("/")
        if verify is None and (fp := pinned_fingerprint(config_path(folder), self.url)):
            verify = Pinned(fp)
        self.verify = verify
        self.replica = Replica(replica_path(folder))
        self.api = ServitecAPIClient(url, timeout=self.config.timeout, retry_attempts=1, verify=verify)
        self.engine = SyncEngine(self.replica, self.api, self._set_progress)
        # The UI's requests and live sockets while the server answers.
        self.server = OnlineBackend(
            url,
            timeout=self.config.timeout,
            retry_attempts=self.config.retry_attempts,
            verify=verify,
            realtime=self.config.enable_realtime,
        )
        self._sessions: dict[str, dict[str, Any]] = {}  # token -> the account /usuarios/me answered
        self._lock = threading.Lock()
        self.online = True
        self._listening = False
        self.aviso: str | None = None
        self.progreso: dict[str, Any] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="servitec-sync", daemon=True)
        self._worker.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._worker.join(timeout=10)
        self.api.close()
        self.server.close()
        self.replica.close()

    # --- the Backend protocol ----------------------------------------------------------------------

    def request(self, req: dict[str, Any]) -> dict[str, Any]:
        method, path = req.get("method", "GET").upper(), req["path"]
        if method == "POST" and CREATES.match(path) and isinstance(req.get("json"), dict) and not req["json"].get("id"):
            req = {**req, "json": {**req["json"], "id": str(uuid.uuid4())}}
        if self.online or path == "/token":  # signing in needs the server anyway: ask it at once
            try:
                answered = self.server.request(req)
            except ServerUnavailable as exc:
                if exc.code == "certificado":  # not offline: a server this client must not talk to
                    return self._json(503, error_body(exc.code, exc.message))
                self._went_offline(exc)
                if not self.config.offline_enabled:  # config.json asked for a counter that works online only
                    return self._json(503, error_body(exc.code, exc.message))
                if exc.code != "sin_conexion" and method != "GET" and not CREATES.match(path):
                    return self._json(503, error_body("sin_respuesta", UNKNOWN_FATE))
            else:
                if not self.online:
                    self._back_online()
                self._learn(req, answered)
                return answered
        return self._offline(req, method, path)

    def socket_open(self, query: dict[str, Any], push: Push) -> str:
        return self.server.socket_open(query, push)

    def socket_send(self, handle: str, message: dict[str, Any]) -> None:
        self.server.socket_send(handle, message)

    def socket_close(self, handle: str) -> None:
        self.server.socket_close(handle)

    def estado(self) -> dict[str, Any]:
        counts = self.replica.counts()
        aviso = self.aviso
        if aviso is None and counts["revisar"]:
            aviso = (
                f"El servidor no aceptó {counts['revisar']} operación(es) hechas sin conexión: "
                "revísalas en Revisar y elige qué conservar."
            )
        return {
            "online": self.online,
            "servidor": self.url,
            **counts,
            "progreso": self.progreso,
            "aviso": aviso,
            "folios": self.replica.get("folios_reales", []),
        }

    def revisar(self) -> list[dict[str, Any]]:
        """Each refused or conflicting op: what I sent (an update's changes) beside the server's record."""
        return [
            {
                "id": item["id"],
                "tipo": item["tipo"],
                "resultado": item["resultado"],
                "creado_en": item["creado_en"],
                "usuario": item["usuario"],
                "mio": item["datos"].get("cambios", item["datos"]),
                # After the sync the replica holds the server's version of the record, if it has one.
                "servidor": item["actual"] or self.replica.record_of(item["tipo"], item["datos"]),
                "error": (item["error"] or {}).get("message"),
            }
            for item in self.replica.revisar()
        ]

    def resolver(self, item_id: str, decision: str) -> dict[str, Any]:
        item = next((i for i in self.replica.revisar() if i["id"] == item_id), None)
        if item is None:
            return {"ok": False, "mensaje": "Esa operación ya no está en Revisar."}
        if decision == "servidor":
            self.replica.drop_revisar(item_id)
            return {"ok": True, "mensaje": "Se conservó la versión del servidor; la tuya se descartó."}
        if decision != "mio":
            return {"ok": False, "mensaje": 'La decisión debe ser "mio" o "servidor".'}
        datos = dict(item["datos"])
        if item["tipo"] == "cliente.actualizar" and item["actual"]:
            datos["base_version"] = item["actual"]["version"]  # mine, over the version the server has now
        try:
            self.replica.apply_offline(item["usuario"], item["rol"], item["tipo"], datos, replaces=item_id)
        except DomainError as exc:  # the same rule still refuses it
            return {"ok": False, "mensaje": f"Sigue sin poder aplicarse: {exc.message}"}
        self._wake.set()
        return {"ok": True, "mensaje": "Se conservó tu versión; se enviará de nuevo al servidor."}

    # --- online ------------------------------------------------------------------------------------

    def _learn(self, req: dict[str, Any], answered: dict[str, Any]) -> None:
        """Keep the account behind each of the UI's tokens (to work offline as it), and sync as the latest."""
        body, token = answered["body"], req.get("token")
        if answered["status"] != 200 or not isinstance(body, dict):
            return
        if req["path"] == "/":  # shown offline as the server's last word (its version, its time zone)
            self.replica.put(
                "estado_servidor", {k: body.get(k) for k in ("app", "version", "server_id", "zona_horaria")}
            )
            return
        if req["path"] == "/usuarios/me" and token:
            account = body  # with permisos, which the UI asks for offline too
        elif req["path"] == "/token" and "access_token" in body:
            token, account = body["access_token"], body["usuario"]
        else:
            return
        with self._lock:
            self._sessions[token] = {**self._sessions.get(token, {}), **account}
            current = self._sessions[token]
        if current != self.api.usuario or token != self.api.token:
            self.api.use_session(token, current)  # live events, if on, resume with this token
        if self.config.enable_realtime and not self._listening:
            # Any change on the server wakes the sync thread, which pulls it into the replica.
            self.api.connect_realtime(lambda event: self._wake.set(), on_status=self._live_status)
            self._listening = True
        self._wake.set()

    def _live_status(self, status: str, message: str | None) -> None:
        if status == "conectado" and not self.online:
            self._back_online()

    # --- offline -----------------------------------------------------------------------------------

    def _offline(self, req: dict[str, Any], method: str, path: str) -> dict[str, Any]:
        if not self.config.offline_enabled:
            return self._json(503, error_body("sin_conexion", f"Sin conexión con el servidor {self.url}."))
        if path == "/token":
            return self._json(503, error_body("sin_conexion", SIGN_IN_NEEDS_SERVER))
        if path == "/":  # the status, public as on the server: the UI starts from it
            return self._json(200, self._status())
        usuario = self._sessions.get(req.get("token") or "")
        if usuario is None or _token_expiry(req["token"]) <= time.time():
            return self._json(401, error_body("sesion_vencida", EXPIRED))
        if not self.replica.filled:
            return self._json(
                503, error_body("sin_conexion", "Sin conexión y esta PC aún no tiene copia local de los datos.")
            )
        status, body = answer(self.replica, usuario, method, path, req.get("query"), req.get("json"))
        if isinstance(body, str):
            return {"status": status, "body": body, "contentType": "image/svg+xml"}
        return self._json(status, body)

    def _status(self) -> dict[str, Any]:
        last = self.replica.get("estado_servidor") or {"app": "ServitecManager", "zona_horaria": "America/Mexico_City"}
        return {**last, "db": "ok", "configurado": True, "sin_conexion": True}

    @staticmethod
    def _json(status: int, body: Any) -> dict[str, Any]:
        return {"status": status, "body": body, "contentType": "application/json"}

    def _went_offline(self, exc: BaseException) -> None:
        if self.online:
            log.warning("Sin conexión con %s: %s", self.url, exc)
        self.online = False
        self.aviso = f"Sin conexión con el servidor {self.url}. Se trabaja con la copia local."
        self._wake.set()

    def _back_online(self) -> None:
        self.online = True
        self._listening = False
        self.aviso = None
        self._wake.set()

    # --- the sync thread ---------------------------------------------------------------------------

    def _set_progress(self, progreso: dict[str, Any] | None) -> None:
        self.progreso = progreso

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(PROBE_SECONDS if not self.online else self.config.sync_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not self.online:
                if not self._answers():
                    continue
                self._back_online()
            self.sync_now()

    def _answers(self) -> bool:
        try:
            self.api.status()
        except ServitecError:
            return False
        return True

    def sync_now(self) -> dict[str, int] | None:
        """One sync as the latest signed-in account; None when there is nobody to sync as, or
        config.json turned offline work off (then the replica is never filled)."""
        usuario = self.api.usuario
        if not self.config.offline_enabled or usuario is None or _token_expiry(self.api.token or "") <= time.time():
            return None
        try:
            sent = self.engine.sync(usuario["username"], usuario["rol"])
        except ServitecError as exc:
            if exc.status in (None, 502, 503, 504):
                self._went_offline(exc)
            else:
                log.warning("La sincronización falló: %s", exc)
                self.aviso = f"La sincronización falló: {exc}"
            return None
        return sent
