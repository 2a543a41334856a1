// Screens by address: the URL's fragment (#/ordenes/123) names the screen and its
// parameters, so reload and the back button return to the same place.
//
// A screen module exports {title, mount(root, params, ctx)}; mount may return
// {unmount()}. Everything a screen subscribes to through ctx (events, shortcuts,
// scans) is dropped when it is left, so screens never leak listeners.

import { api } from "./api.js";
import { keyboard } from "./keyboard.js";
import { notify } from "./notices.js";
import { scanner } from "./scanner.js";

function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  return { regex: new RegExp(`^${source}$`), names };
}

export class Router {
  /** routes: [{path: "/clientes/:id", screen, nav?}] */
  constructor(routes, root, { onChange } = {}) {
    this.routes = routes.map((route) => ({ ...route, ...compile(route.path) }));
    this.root = root;
    this.onChange = onChange;
    this.current = null;
    this.listener = () => this.show();
    window.addEventListener("hashchange", this.listener);
  }

  /** Leave the open screen and stop following the address (on sign-out). */
  stop() {
    window.removeEventListener("hashchange", this.listener);
    this.leave();
  }

  static path() {
    const path = window.location.hash.replace(/^#/, "") || "/";
    return path.split("?")[0];
  }

  static query() {
    return new URLSearchParams(window.location.hash.split("?")[1] || "");
  }

  navigate(path) {
    if (`#${path}` === window.location.hash) this.show();
    else window.location.hash = path;
  }

  match(path) {
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (found) {
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
        return { route, params };
      }
    }
    return null;
  }

  show() {
    const path = Router.path();
    const found = this.match(path) || this.match("/");
    this.leave();
    const cleanups = [];
    const ctx = {
      api,
      query: Router.query(),
      navigate: (to) => this.navigate(to),
      notify,
      on: (event, handler) => cleanups.push(api.on(event, handler)),
      keys: (shortcuts) => cleanups.push(keyboard.bind(shortcuts)),
      onScan: (handler) => cleanups.push(scanner.on(handler)),
      onLeave: (fn) => cleanups.push(fn),
    };
    const container = document.createElement("section");
    container.className = "screen";
    container.setAttribute("aria-label", found.route.screen.title);
    this.root.replaceChildren(container);
    document.title = `${found.route.screen.title} · ServitecManager`;
    const mounted = Promise.resolve()
      .then(() => found.route.screen.mount(container, found.params, ctx))
      .catch((error) => {
        // A record that does not exist, a role that may not see it, no connection: say so in place.
        const message = error && error.status !== undefined ? error.message : "No se pudo abrir la pantalla.";
        if (error && error.status === undefined) console.error(error);
        container.replaceChildren();
        const p = document.createElement("p");
        p.className = "screen-error";
        p.setAttribute("role", "alert");
        p.textContent = message;
        container.append(p);
      });
    this.current = { route: found.route, cleanups, mounted, path };
    if (this.onChange) this.onChange(found.route, path);
  }

  leave() {
    if (!this.current) return;
    for (const cleanup of this.current.cleanups) cleanup();
    this.current.mounted.then((m) => m && m.unmount && m.unmount());
    this.current = null;
  }
}
