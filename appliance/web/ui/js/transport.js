// The one seam between the UI and the network. A transport moves a request to the
// server and back; nothing else in the UI knows whether that is fetch in a browser or
// the desktop client's bridge (which answers from its replica when offline).

/** fetch and WebSocket to the server this page came from. */
export class BrowserTransport {
  constructor(base = new URL("./", window.location.href)) {
    this.base = base;
  }

  /**
   * request({method, path, query, json, form, accept, token}) -> {status, body, contentType}
   * Never throws for an HTTP answer; throws TypeError when the server cannot be reached.
   */
  async request({ method = "GET", path, query, json, form, accept = "application/json", token }) {
    const url = new URL(path.replace(/^\//, ""), this.base);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Accept: accept };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = new URLSearchParams(form);
    }
    const response = await fetch(url, { method, headers, body, cache: "no-store" });
    const contentType = response.headers.get("Content-Type") || "";
    let parsed;
    if (contentType.includes("json")) parsed = await response.json().catch(() => null);
    else if (contentType.startsWith("text/") || contentType.includes("svg")) parsed = await response.text();
    else parsed = await response.blob();
    return { status: response.status, body: parsed, contentType };
  }

  /** A WebSocket to /ws with the given handlers; returns {send(obj), close()}. */
  socket(query, { open, message, close }) {
    const url = new URL("ws", this.base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const [name, value] of Object.entries(query || {})) url.searchParams.set(name, value);
    const ws = new WebSocket(url);
    ws.addEventListener("open", () => open && open());
    ws.addEventListener("message", (event) => message && message(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => close && close(event.code, event.reason));
    return {
      send: (obj) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(obj)),
      close: () => ws.close(1000),
    };
  }
}

/**
 * The desktop window's bridge: every call is a POST to the window's own local site
 * (puente/<call>, with the secret the page was rendered with), which hands it to the
 * client's Backend. Live events come back pushed from Python through window.servitecPuente.
 * Present only in the desktop: its page carries <meta name="servitec-puente">.
 */
export class BridgeTransport {
  static find() {
    const meta = document.querySelector('meta[name="servitec-puente"]');
    return meta ? new BridgeTransport(meta.content) : null;
  }

  constructor(secret) {
    this.secret = secret;
    this.desktop = true;
    this.channels = new Map(); // canal -> {open, message, close}
    this.count = 0;
    window.servitecPuente = (push) => this.received(push);
  }

  /** One bridge call; throws TypeError (as fetch does) when the server behind it cannot be reached. */
  async call(name, ...args) {
    const response = await fetch(`puente/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Servitec-Puente": this.secret },
      body: JSON.stringify({ args }),
      cache: "no-store",
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new TypeError((answer && answer.error && answer.error.message) || `Error ${response.status}.`);
    return answer.resultado;
  }

  async request({ method = "GET", path, query, json, form, accept = "application/json", token }) {
    const answer = await this.call("request", { method, path, query, json, form, accept, token });
    return { status: answer.status, body: decoded(answer), contentType: answer.contentType };
  }

  socket(query, handlers) {
    this.count += 1;
    const canal = `c${this.count}`;
    this.channels.set(canal, handlers);
    const opened = this.call("socket_open", canal, query || {}).catch(() => this.received({ canal, tipo: "close", datos: { code: 1006, reason: "" } }));
    return {
      send: (obj) => opened.then(() => this.call("socket_send", canal, obj)).catch(() => {}),
      close: () => {
        this.channels.delete(canal);
        opened.then(() => this.call("socket_close", canal)).catch(() => {});
      },
    };
  }

  received(push) {
    if (!push.canal) {
      // Not a socket's: news about the window itself (a new copy of the UI), for whoever listens.
      window.dispatchEvent(new CustomEvent("servitec:escritorio", { detail: push }));
      return;
    }
    const handlers = this.channels.get(push.canal);
    if (!handlers) return; // closed by the page meanwhile
    if (push.tipo === "open" && handlers.open) handlers.open();
    else if (push.tipo === "message" && handlers.message) handlers.message(push.datos);
    else if (push.tipo === "close") {
      this.channels.delete(push.canal);
      if (handlers.close) handlers.close(push.datos.code, push.datos.reason);
    }
  }

  /** {online, servidor, pendientes, revisar, progreso, aviso} */
  estado() {
    return this.call("estado");
  }

  revisar() {
    return this.call("revisar");
  }

  resolver(id, decision) {
    return this.call("resolver", id, decision);
  }
}

/** A body that is neither JSON nor text travels as base64: back to the Blob fetch would give. */
function decoded({ body, contentType }) {
  if (!body || typeof body.base64 !== "string" || contentType.includes("json")) return body;
  const bytes = Uint8Array.from(atob(body.base64), (char) => char.charCodeAt(0));
  return new Blob([bytes], { type: contentType });
}
