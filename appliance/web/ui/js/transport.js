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
