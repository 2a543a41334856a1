"""One HTTP transport to the appliance: base URL, timeout, retries with backoff, the signed-in
user's Authorization header and TLS `verify`, for JSON requests and streamed downloads alike.

Retries: a request that provably never left (connection refused) is resent whatever it is. One
that may have reached the server is resent only when repeating it is harmless, which the caller
says (`resend`; by default GET, PUT and DELETE). ServitecAPIClient resends GET, PUT and DELETE
(except a stock delta, a state change, a password change, an update that names a `version` and a
backup's deletion), POST /sync/push (idempotent by op_id) and the creates, which carry an id made
by the client: a resent create whose first attempt landed answers 409 `ya_existe`, and the record
is then fetched and returned, so nothing is created twice. A download is a GET: a resend starts
the file over. A 5xx answer is retried under the same rule; a 4xx never is, nor a certificate
that fails verification. The wait between tries doubles from 0.25 s up to 5 s.

A requests Session is not safe to share between threads: a thread of its own (the live events'
catch-up) runs its requests inside `own_session()`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .errors import ServerUnavailable, ServitecError, error_from, never_sent, unreachable

BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 5.0
DOWNLOAD_CHUNK = 1 << 20


class Answer(NamedTuple):
    """An HTTP answer as it came: status, Content-Type and the raw body."""

    status: int
    content_type: str
    content: bytes


class Pinned(NamedTuple):
    """A server certificate known by its SHA-256 (AA:BB:... or bare hex), whoever signed it.

    What a counter paired with a self-signed server holds: no authority vouches for
    that certificate, but its fingerprint, seen when pairing, is the one to accept.
    """

    fingerprint: str

    @property
    def digest(self) -> str:
        """The SHA-256 as bare lowercase hex."""
        return self.fingerprint.replace(":", "").lower()

    def matches(self, der: bytes) -> bool:
        """Whether the DER certificate `der` is the pinned one."""
        return hashlib.sha256(der).hexdigest() == self.digest


class _PinnedAdapter(HTTPAdapter):
    """HTTPS that accepts exactly the pinned certificate (urllib3's assert_fingerprint) and no other."""

    def __init__(self, pin: Pinned):
        self.pin = pin
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, assert_fingerprint=self.pin.digest, **kwargs)


class Transport:
    """Requests to one appliance; `token` (set by signing in) goes in each one's Authorization header."""

    def __init__(
        self, url: str, timeout: float = 5, retry_attempts: int = 3, verify: str | bool | Pinned | None = None
    ):
        """`retry_attempts`: resends after the first attempt. `verify`: the server certificate's PEM
        file for HTTPS with a self-signed certificate, or its Pinned fingerprint (False skips the
        check; None uses the system's)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"La dirección del servidor debe ser como http://192.168.1.100:8000 (se recibió {url!r}).")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError("timeout debe ser un número de segundos mayor que 0.")
        if isinstance(retry_attempts, bool) or not isinstance(retry_attempts, int) or retry_attempts < 0:
            raise ValueError("retry_attempts debe ser un número entero de 0 en adelante.")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retry_attempts = retry_attempts
        self.verify = verify
        self.token: str | None = None
        self._session = self._new_session()
        self._this_thread = threading.local()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        if isinstance(self.verify, Pinned):
            session.mount("https://", _PinnedAdapter(self.verify))
        return session

    @property
    def _verify(self) -> str | bool | None:
        """requests' own `verify`: a pinned certificate is checked by its adapter instead."""
        return False if isinstance(self.verify, Pinned) else self.verify

    def close(self) -> None:
        self._session.close()

    @contextmanager
    def own_session(self) -> Iterator[None]:
        """Until the block ends, the calling thread's requests go over a session of its own."""
        self._this_thread.session = session = self._new_session()
        try:
            yield
        finally:
            del self._this_thread.session
            session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        resend: bool | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        """One API call, retried as the module doc says; the JSON body, or a ServitecError."""
        if resend is None:
            resend = method in ("GET", "PUT", "DELETE")
        return self._send(method, path, resend, None, params=params, json=body, data=data)

    def download(self, path: str, target: Path) -> Path:
        """GET `path` into the file `target` (written whole as `target`.part, then renamed); return `target`."""
        partial = target.with_name(target.name + ".part")
        self._send("GET", path, True, partial, stream=True)
        os.replace(partial, target)
        return target

    def exchange(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        accept: str | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        data: dict[str, str] | None = None,
    ) -> Answer:
        """One request exactly as the staff UI asks it, through the desktop window's bridge.

        Every HTTP answer comes back as it is, error statuses included (the UI reads them);
        `token` is the page's own session. Only what cannot have reached the server is resent,
        and a GET; no answer at all raises ServerUnavailable.
        """
        headers = {"Accept": accept or "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = {"headers": headers, "params": params, "json": body, "data": data}
        return self._retrying(lambda: self._exchange_once(method, path, method == "GET", request))

    def _exchange_once(
        self, method: str, path: str, resend: bool, request: dict[str, Any]
    ) -> tuple[Answer | None, ServitecError | None, bool]:
        session = getattr(self._this_thread, "session", self._session)
        try:
            response = session.request(method, self.url + path, timeout=self.timeout, verify=self._verify, **request)
        except requests.RequestException as exc:
            return (None, *self._unanswered(exc, resend))
        with response:
            return Answer(response.status_code, response.headers.get("Content-Type", ""), response.content), None, False

    def _send(self, method: str, path: str, resend: bool, into: Path | None, **request: Any) -> Any:
        return self._retrying(lambda: self._attempt(method, path, resend, into, **request))

    def _retrying(self, attempt: Callable[[], tuple[Any, ServitecError | None, bool]]) -> Any:
        tries = 0
        while True:
            result, failure, retry = attempt()
            if failure is None:
                return result
            if not retry or tries >= self.retry_attempts:
                raise failure
            time.sleep(min(BACKOFF_SECONDS * 2**tries, MAX_BACKOFF_SECONDS))
            tries += 1

    def _attempt(
        self, method: str, path: str, resend: bool, into: Path | None, **request: Any
    ) -> tuple[Any, ServitecError | None, bool]:
        """One try: (result, None, _) or (None, error, whether to try again). The result is the JSON
        body, or with `into` the body streamed into that file.

        A frame of its own, so that a raised error's traceback does not hold the response
        (and with it the connection pool, which urllib3 closes only once unreferenced).
        """
        session = getattr(self._this_thread, "session", self._session)
        try:
            response = session.request(
                method,
                self.url + path,
                headers=self._auth_headers(),
                timeout=self.timeout,
                verify=self._verify,
                **request,
            )
        except requests.RequestException as exc:
            return (None, *self._unanswered(exc, resend))
        with response:
            if response.status_code >= 400:
                return None, error_from(response), resend and response.status_code >= 500
            if into is not None:
                return self._save(response, into, resend)
            try:
                return response.json(), None, False
            except ValueError:
                return (
                    None,
                    ServitecError(
                        f"{self.url} no respondió como un servidor de ServitecManager.",
                        "respuesta_invalida",
                        status=response.status_code,
                    ),
                    False,
                )

    def _save(
        self, response: requests.Response, into: Path, resend: bool
    ) -> tuple[Path | None, ServitecError | None, bool]:
        try:
            with open(into, "wb") as file:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    file.write(chunk)
        except requests.RequestException as exc:  # the body broke off midway
            return (None, *self._unanswered(exc, resend))
        return into, None, False

    def _unanswered(self, exc: requests.RequestException, resend: bool) -> tuple[ServerUnavailable, bool]:
        failure = unreachable(self.url, exc)
        return failure, failure.code != "certificado" and (resend or never_sent(exc))

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}
