// What the desktop window always shows in the frame: whether the server answers, how many
// operations wait to be sent and how many to review, the progress of a long sync and the
// client's notices. Read from the client (api.desktopState) every second; the client
// computes all of it, this only shows it. Each reading is also announced to the page as a
// "servitec:estado" event, so an open Revisar screen follows its count.

import { api } from "./api.js";
import { h, replace } from "./dom.js";

const POLL_MS = 1000;
const OFFLINE = { online: false, pendientes: null, revisar: null, progreso: null, aviso: null };

function count(value, one, many) {
  if (value === null || value === undefined) return "—";
  return `${value} ${value === 1 ? one : many}`;
}

export class DesktopStatus {
  /** indicator: the frame's connection badge; the counts and the strip are placed by the frame. */
  constructor(indicator) {
    this.indicator = indicator;
    this.counts = h("span", { class: "sincronia" });
    this.strip = h("div", { class: "escritorio", role: "status", "aria-live": "polite", hidden: true });
    this.newUi = false;
    this.drawn = null;
    this.timer = null;
    this.stopped = false;
    this.onPush = (event) => {
      if (event.detail.tipo !== "interfaz_nueva") return;
      this.newUi = true;
      this.poll();
    };
    window.addEventListener("servitec:escritorio", this.onPush);
  }

  start() {
    this.poll();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("servitec:escritorio", this.onPush);
  }

  async poll() {
    clearTimeout(this.timer);
    let state;
    try {
      state = await api.desktopState();
    } catch {
      state = OFFLINE; // the window's own bridge did not answer: nothing is known to be sent
    }
    if (this.stopped) return;
    this.show(state);
    window.dispatchEvent(new CustomEvent("servitec:estado", { detail: state }));
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  show(state) {
    // Drawn again only when something changed: the strip is a live region, read out on each change.
    const drawn = JSON.stringify([state, this.newUi]);
    if (drawn === this.drawn) return;
    this.drawn = drawn;
    this.indicator.className = `conexion ${state.online ? "en-linea" : "sin-conexion"}`;
    this.indicator.textContent = state.online ? "En línea" : "Sin conexión";
    const review = count(state.revisar, "por revisar", "por revisar");
    replace(
      this.counts,
      h("span", { class: "pendientes", title: "Operaciones hechas en este equipo que esperan llegar al servidor" }, count(state.pendientes, "por enviar", "por enviar")),
      state.revisar ? h("a", { href: "#/revisar", class: "por-revisar" }, review) : h("span", { class: "por-revisar" }, review),
    );
    const parts = [];
    if (state.progreso) {
      const { fase, hecho, total } = state.progreso;
      parts.push(
        h(
          "span",
          { class: "progreso-sync" },
          h("label", { for: "sync-progreso" }, `Sincronizando: ${fase} (${hecho} de ${total})`),
          h("progress", { id: "sync-progreso", max: String(total || 1), value: String(hecho || 0) }),
        ),
      );
    }
    if (state.aviso) parts.push(h("span", { class: "aviso-sync" }, state.aviso));
    if (this.newUi) {
      parts.push(
        h(
          "span",
          { class: "interfaz-nueva" },
          "Hay una versión nueva de ServitecManager. ",
          h("button", { type: "button", class: "link", on: { click: () => window.location.reload() } }, "Recargar ahora"),
        ),
      );
    }
    this.strip.hidden = parts.length === 0;
    replace(this.strip, parts);
  }
}
