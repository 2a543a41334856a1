// The UI's one data module: every REST call and the /ws subscription go through here.
// It keeps the session, turns error answers into ApiError (with the server's Spanish
// message and per-field messages), waits for a new sign-in when the session expires
// (the request then runs again, so nothing a person was doing is lost), and keeps the
// realtime stream caught up with `since` after a drop. In the desktop window it speaks
// through the bridge instead, which also tells what the client is syncing (`estado`).

import { BridgeTransport, BrowserTransport } from "./transport.js";

const TOKEN_KEY = "servitec.token";

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || "Error del servidor.");
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || {};
  }
}

const OFFLINE = new ApiError(0, {
  code: "sin_conexion",
  message: "No se puede conectar al servidor. Revisa la red; lo que escribiste se conserva.",
});

class Api {
  constructor(transport) {
    this.transport = transport;
    this.desktop = transport.desktop === true; // the desktop client's window, not a browser
    this.token = sessionStorage.getItem(TOKEN_KEY);
    this.me = null; // the signed-in account, with `permisos`
    this.reauthenticate = null; // set by the app: () => Promise resolved once signed in again
    this.waiting = null; // the sign-in every expired request waits for
    this.listeners = new Map(); // event name ("*" for all) -> Set of handlers
    this.statusListeners = new Set();
    this.online = false;
    this.seq = null;
    this.socket = null;
    this.retryDelay = 1000;
  }

  // --- REST -----------------------------------------------------------------

  async request(method, path, { query, json, form, accept, retry = true } = {}) {
    const token = this.token;
    let answer;
    try {
      answer = await this.transport.request({ method, path, query, json, form, accept, token });
    } catch {
      throw OFFLINE;
    }
    // Refused with a token that has since been replaced (a password change answers with a new
    // one while other requests are on their way): the session goes on, so ask again with it.
    if (answer.status === 401 && token !== this.token && this.token) {
      return this.request(method, path, { query, json, form, accept, retry });
    }
    if (answer.status === 401 && retry && this.token && path !== "/token" && this.reauthenticate) {
      this.waiting = this.waiting || this.reauthenticate().finally(() => (this.waiting = null));
      await this.waiting;
      return this.request(method, path, { query, json, form, accept, retry: false });
    }
    if (answer.status >= 400) {
      const error = answer.body && answer.body.error ? answer.body.error : { message: `Error ${answer.status}.` };
      throw new ApiError(answer.status, error);
    }
    return answer.body;
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }
  post(path, json, query) {
    return this.request("POST", path, { json: json ?? {}, query });
  }
  put(path, json) {
    return this.request("PUT", path, { json });
  }
  delete(path, query) {
    return this.request("DELETE", path, { query });
  }
  /** A non-JSON answer (an SVG, a backup file) as text or a Blob. */
  fetchFile(path, query, accept = "*/*") {
    return this.request("GET", path, { query, accept });
  }
  /** The server's public status: version, time zone, backup health (no session needed). */
  status() {
    return this.request("GET", "/", { retry: false });
  }

  // --- Session --------------------------------------------------------------

  get signedIn() {
    return Boolean(this.token);
  }

  async login(username, password) {
    const session = await this.request("POST", "/token", { form: { username, password }, retry: false });
    this.setToken(session.access_token);
    await this.loadMe();
    return this.me;
  }

  setToken(token) {
    this.token = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  async loadMe() {
    this.me = await this.get("/usuarios/me");
    return this.me;
  }

  /** True when the signed-in role holds `permiso` (the list comes from the server). */
  can(permiso) {
    return Boolean(this.me && (this.me.permisos || []).includes(permiso));
  }

  logout() {
    this.setToken(null);
    this.me = null;
    this.disconnect();
  }

  // --- Realtime -------------------------------------------------------------

  /** Call `handler(data, event)` for each `event` ("*": every event); returns the unsubscribe. */
  on(event, handler) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(handler);
    return () => this.listeners.get(event).delete(handler);
  }

  /** Call `handler(online)` when the connection to the server comes or goes. */
  onStatus(handler) {
    this.statusListeners.add(handler);
    handler(this.online);
    return () => this.statusListeners.delete(handler);
  }

  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    for (const handler of this.statusListeners) handler(online);
  }

  connect() {
    if (this.socket || !this.token) return;
    const query = this.seq === null ? {} : { since: this.seq };
    this.socket = this.transport.socket(query, {
      open: () => this.socket && this.socket.send({ token: this.token }),
      message: (event) => this.dispatch(event),
      close: (code) => this.dropped(code),
    });
  }

  dispatch(event) {
    if (event.event === "conectado") {
      this.retryDelay = 1000;
      this.setOnline(true);
      if (this.seq === null) this.seq = event.seq;
    } else if (event.seq !== null && event.seq !== undefined) {
      this.seq = Math.max(this.seq ?? 0, event.seq);
    }
    for (const key of [event.event, "*"]) {
      for (const handler of this.listeners.get(key) || []) {
        try {
          handler(event.data, event);
        } catch (error) {
          console.error(error);
        }
      }
    }
  }

  dropped(code) {
    this.socket = null;
    this.setOnline(false);
    if (!this.token) return;
    if (code === 4401) {
      // The session ended (expired, revoked): sign in again, then resume where we were.
      this.get("/usuarios/me").then(() => this.connect(), () => {});
      return;
    }
    setTimeout(() => this.connect(), this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 10000);
  }

  disconnect() {
    const socket = this.socket;
    this.socket = null;
    this.seq = null;
    if (socket) socket.close();
    this.setOnline(false);
  }

  // --- Desktop client ---------------------------------------------------------

  /** The client's sync state: {online, servidor, pendientes, revisar, progreso, aviso}. */
  desktopState() {
    return this.transport.estado();
  }

  /** The operations the server refused or found in conflict, each with both versions. */
  toReview() {
    return this.transport.revisar();
  }

  /** Keep "mio" or "servidor" for one of them; {ok, mensaje}. */
  resolve(id, decision) {
    return this.transport.resolver(id, decision);
  }
}

export const api = new Api(BridgeTransport.find() || new BrowserTransport());
