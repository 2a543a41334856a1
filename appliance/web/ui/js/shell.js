// The frame around every screen: the shop's name, who is signed in, the connection
// indicator, the server's version and the menu of screens this role may open. In the
// desktop window it also shows the client's sync state (desktop.js) and its Revisar screen.

import { api } from "./api.js";
import { DesktopStatus } from "./desktop.js";
import { h, replace } from "./dom.js";
import * as fmt from "./format.js";

/**
 * The menu: [path, label, shortcut, permission]. Which entries a person sees is decided
 * by the permissions the server lists for their role, not by a role table here.
 */
export const MENU = [
  ["/", "Inicio", "Alt+1", "stats:leer"],
  ["/ventas/nueva", "Punto de venta", "Alt+2", "ventas:crear"],
  ["/ordenes", "Órdenes", "Alt+3", "ordenes:leer"],
  ["/clientes", "Clientes", "Alt+4", "clientes:leer"],
  ["/inventario", "Inventario", "Alt+5", "inventario:leer"],
  ["/ventas", "Ventas", "Alt+6", "ventas:leer"],
  ["/respaldos", "Respaldos", "Alt+7", "respaldos:administrar"],
  ["/usuarios", "Usuarios", "Alt+8", "usuarios:administrar"],
  ["/bitacora", "Bitácora", "Alt+9", "auditoria:leer"],
  ["/taller", "Datos del taller", null, "taller:editar"],
  ["/cuenta", "Mi cuenta", null, "sesion"],
];

/** Screens only the desktop client has: its operations to review exist nowhere else. */
export const DESKTOP_MENU = [["/revisar", "Revisar", "Alt+0", "sesion"]];

/** The menu of this window: the desktop's entries only inside the desktop client. */
export function menuEntries() {
  return api.desktop ? [...MENU, ...DESKTOP_MENU] : MENU;
}

export class Shell {
  constructor(root, { version, onLogout, onHelp }) {
    this.links = new Map();
    this.indicator = h("span", { class: "conexion", role: "status", "aria-live": "polite" });
    this.main = h("main", { id: "contenido", tabindex: "-1" });
    const nav = h("nav", { class: "menu", "aria-label": "Pantallas" });
    for (const [path, label, shortcut, permission] of menuEntries()) {
      if (!api.can(permission)) continue;
      const link = h(
        "a",
        { href: `#${path}`, "aria-keyshortcuts": shortcut },
        h("span", {}, label),
        shortcut ? h("kbd", { "aria-hidden": "true" }, shortcut.replace("Alt+", "Alt ")) : null,
      );
      this.links.set(path, link);
      nav.append(link);
    }
    const me = api.me;
    this.desktop = api.desktop ? new DesktopStatus(this.indicator) : null;
    replace(
      root,
      h(
        "header",
        { class: "barra" },
        h("a", { class: "marca", href: "#/" }, "ServitecManager"),
        this.indicator,
        this.desktop && this.desktop.counts,
        h("span", { class: "espacio" }),
        h("button", { type: "button", class: "link", on: { click: onHelp }, "aria-keyshortcuts": "?" }, "Atajos (?)"),
        h("span", { class: "quien" }, `${me.nombre || me.username} · ${fmt.rol(me.rol)}`),
        h("button", { type: "button", class: "link", on: { click: onLogout } }, "Salir"),
      ),
      this.desktop && this.desktop.strip,
      h("div", { class: "cuerpo" }, nav, this.main),
      h("footer", { class: "pie" }, `ServitecManager ${version}`),
    );
    // In the desktop the client knows best whether the server answers (its socket may be local).
    if (this.desktop) this.desktop.start();
    else this.unsubscribe = api.onStatus((online) => this.showOnline(online));
  }

  /** The frame is taken down (sign-out): stop following the connection. */
  stop() {
    if (this.desktop) this.desktop.stop();
    if (this.unsubscribe) this.unsubscribe();
  }

  showOnline(online) {
    this.indicator.className = `conexion ${online ? "en-linea" : "sin-conexion"}`;
    this.indicator.textContent = online ? "En línea" : "Sin conexión";
  }

  /** Mark the menu entry of the screen at `path`. */
  select(path) {
    let best = null;
    for (const candidate of this.links.keys()) {
      if (path === candidate || (candidate !== "/" && path.startsWith(`${candidate}/`))) {
        if (!best || candidate.length > best.length) best = candidate;
      }
    }
    for (const [candidate, link] of this.links) {
      if (candidate === best) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}
