// What the desktop window always shows in the frame: whether the server answers, how many
// operations wait to be sent and how many to review, the progress of a long sync and the
// client's notices. Read from the client (api.desktopState) every second; the client
// computes all of it, this only shows it. Each reading is also announced to the page as a
// "servitec:estado" event, so an open Revisar screen follows its count.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import * as fmt from "./format.js";
import { notify } from "./notices.js";
import { printIntake, printTicket } from "./print.js";

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
    this.reprints = []; // papers printed with a provisional folio whose real one has arrived
    this.seenFolios = null; // those already known when the window opened are not offered again
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
    this.offerReprints(state.folios || []);
    this.show(state);
    window.dispatchEvent(new CustomEvent("servitec:estado", { detail: state }));
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  offerReprints(folios) {
    const key = (f) => `${f.tipo}:${f.id}`;
    if (this.seenFolios === null) this.seenFolios = new Set(folios.map(key));
    for (const folio of folios) {
      if (this.seenFolios.has(key(folio))) continue;
      this.seenFolios.add(key(folio));
      this.reprints.push(folio);
    }
  }

  async reprint(folio) {
    this.reprints = this.reprints.filter((f) => f !== folio);
    this.drawn = null;
    try {
      const taller = await api.get("/taller");
      if (folio.tipo === "venta.crear") await printTicket(await api.get(`/ventas/${folio.id}`), taller);
      else await printIntake(await api.get(`/ordenes/${folio.id}`), taller);
    } catch (error) {
      notify(error.message, "error");
    }
  }

  reprintOffer(folio) {
    const venta = folio.tipo === "venta.crear";
    const was = venta ? fmt.folioVenta(folio.provisional) : fmt.folioOrden(folio.provisional);
    const now = venta ? fmt.folioVenta(folio.real) : fmt.folioOrden(folio.real);
    const dismiss = () => {
      this.reprints = this.reprints.filter((f) => f !== folio);
      this.drawn = null;
      this.poll();
    };
    return h(
      "span",
      { class: "reimprimir" },
      `${venta ? "La venta" : "La orden"} ${was} ya tiene su folio: ${now}. `,
      h("button", { type: "button", class: "link", on: { click: () => this.reprint(folio).then(() => this.poll()) } }, venta ? "Reimprimir ticket" : "Reimprimir recepción"),
      " ",
      h("button", { type: "button", class: "link", on: { click: dismiss } }, "No hace falta"),
    );
  }

  show(state) {
    // Drawn again only when something changed: the strip is a live region, read out on each change.
    const drawn = JSON.stringify([state, this.newUi, this.reprints]);
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
          // With no total yet (a download starting) the bar runs without a figure.
          h("label", { for: "sync-progreso" }, total ? `Sincronizando: ${fase} (${hecho} de ${total})` : `Sincronizando: ${fase}…`),
          total ? h("progress", { id: "sync-progreso", max: String(total), value: String(hecho || 0) }) : h("progress", { id: "sync-progreso" }),
        ),
      );
    }
    if (state.aviso) parts.push(h("span", { class: "aviso-sync" }, state.aviso));
    parts.push(...this.reprints.map((folio) => this.reprintOffer(folio)));
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
