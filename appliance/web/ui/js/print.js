// Printing from the browser: the sale ticket, the intake receipt (customer's copy and the
// device's tag on one print) and the device label. Each layout is built in #print-area, which
// print.css shows alone on paper; the paper (80 mm, 58 mm roll or letter) is a per-station
// choice that swaps the stylesheet <link id="paper">.
//
// renderTicket/renderIntake/renderLabel only build the layout in #print-area (tests call them
// and emulate print media); printTicket/printIntake/printLabel build it and open the print
// dialog. All six return Promises: the intake and the label wait for their QR code.

import { api } from "./api.js";
import { h, replace, uid } from "./dom.js";
import * as fmt from "./format.js";

/** The papers a station can print on: key -> [label, stylesheet file]. */
export const PAPERS = {
  80: ["80 mm", "paper-80.css"],
  58: ["58 mm", "paper-58.css"],
  carta: ["Carta", "paper-carta.css"],
};
const PAPER_KEY = "servitec.impresora";

/** This station's paper: "80", "58" or "carta" (80 mm until someone chooses). */
export function paper() {
  const stored = localStorage.getItem(PAPER_KEY);
  return stored in PAPERS ? stored : "80";
}

// Settles once the paper's stylesheet has loaded: a layout is measured, and printed, only then
// (until it loads the print area has no paper width at all).
let paperReady = Promise.resolve();

/** Point <link id="paper"> at the stylesheet of `name` (same folder, only the file name changes). */
function applyPaper(name) {
  const link = document.getElementById("paper");
  const href = link && link.getAttribute("href").replace(/[^/]*$/, PAPERS[name][1]);
  if (link && href !== link.getAttribute("href")) {
    paperReady = new Promise((resolve) => {
      link.addEventListener("load", resolve, { once: true });
      link.addEventListener("error", resolve, { once: true }); // print anyway, on whatever width
    });
    link.setAttribute("href", href);
  }
  const area = document.getElementById("print-area");
  if (area) area.dataset.papel = name;
}

/** Choose this station's paper; every later print uses it. */
export function setPaper(name) {
  if (!(name in PAPERS)) return;
  localStorage.setItem(PAPER_KEY, name);
  applyPaper(name);
  for (const select of document.querySelectorAll("select[data-impresora]")) select.value = name;
}

/** The "Impresora" selector, for any screen that prints (it stays in step with the others). */
export function printerControl() {
  const id = uid("impresora");
  const select = h(
    "select",
    { id, "data-impresora": "", on: { change: () => setPaper(select.value) } },
    Object.entries(PAPERS).map(([key, [label]]) => h("option", { value: key, selected: key === paper() }, label)),
  );
  return h("div", { class: "field impresora" }, h("label", { for: id }, "Impresora"), select);
}

// --- Building blocks -----------------------------------------------------------------------

const joined = (...parts) => parts.filter((part) => part !== null && part !== undefined && part !== "").join(" ");

const MONEY = /^−?\$/;

/**
 * A line with its label on the left and its value on the right; skipped when there is no value.
 * An amount keeps its line (print.css: .p-fila-monto); a text too long for it goes under its label.
 */
function row(label, value, className = "") {
  if (value === null || value === undefined || value === "") return null;
  const money = MONEY.test(value);
  return h(
    "div",
    { class: `p-fila ${money ? "p-fila-monto" : ""} ${className}` },
    h("span", { class: "p-etiqueta" }, label),
    h("span", { class: money ? "p-valor p-monto" : "p-valor" }, value),
  );
}

/** A label above a text that may run long (a fault, an address). */
function block(label, text) {
  if (!text) return null;
  return h("div", { class: "p-bloque" }, h("div", { class: "p-etiqueta" }, label), h("div", { class: "p-texto" }, text));
}

function shopHeader(taller) {
  const t = taller || {};
  return h(
    "header",
    { class: "p-taller" },
    t.nombre ? h("div", { class: "p-nombre" }, t.nombre) : null,
    t.direccion ? h("div", { class: "p-texto" }, t.direccion) : null,
    t.telefono ? h("div", {}, `Tel. ${t.telefono}`) : null,
    t.rfc ? h("div", {}, `RFC: ${t.rfc}`) : null,
    t.regimen_fiscal ? h("div", {}, `Régimen: ${t.regimen_fiscal}`) : null,
  );
}

/** The QR of `texto` as an <img>, drawn by the server; without a connection, just the text. */
async function qrImage(texto, className) {
  try {
    const svg = await api.fetchFile("/qr", { texto }, "image/svg+xml");
    const src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
    return h("img", { class: `p-qr ${className || ""}`, src, alt: `Código QR ${texto}` });
  } catch {
    return h("div", { class: `p-qr p-sin-qr ${className || ""}` }, texto);
  }
}

/** Put `content` in #print-area, marked with the paper it is laid out for; resolves once that paper applies. */
async function fill(kind, ...content) {
  const area = document.getElementById("print-area");
  const doc = h("div", { class: `p-doc p-${kind}` }, content);
  replace(area, doc);
  area.dataset.papel = paper();
  await paperReady;
  return doc;
}

async function printed(node) {
  // Images are data: URLs, decoded before the dialog opens so the QR is never missing on paper.
  await Promise.all([...node.querySelectorAll("img")].map((img) => img.decode().catch(() => {})));
  window.print();
  return node;
}

// --- Sale ticket ---------------------------------------------------------------------------

/**
 * The sale ticket: shop name, RFC and regime, folio, date and time, cashier, lines, discount,
 * subtotal, IVA, total, payments and change, footer. `venta` as GET /ventas/{id} returns it
 * (with, when the screen knows them, `cliente_nombre` and `orden_folio`); `taller` as GET /taller.
 */
export async function renderTicket(venta, taller) {
  const t = taller || {};
  const lines = venta.items.map((item) =>
    h(
      "div",
      { class: "p-partida" },
      h("div", { class: "p-descripcion" }, item.descripcion),
      row(
        h(
          "span",
          {},
          `${item.cantidad} × ${fmt.money(item.precio_unitario)}`,
          item.descuento ? [" ", h("span", { class: "p-junto" }, `desc. −${fmt.money(item.descuento)}`)] : null,
        ),
        fmt.money(item.importe),
      ),
    ),
  );
  return fill(
    "ticket",
    shopHeader(t),
    h("div", { class: "p-titulo" }, "Ticket de venta"),
    venta.estado === "cancelada" ? h("div", { class: "p-cancelada" }, "VENTA CANCELADA", venta.motivo_cancelacion ? h("div", { class: "p-menor" }, venta.motivo_cancelacion) : null) : null,
    row("Folio", fmt.folioVenta(venta.folio), "p-fuerte"),
    provisionalNote(venta.folio),
    row("Fecha", fmt.dateTime(venta.fecha)),
    row("Atendió", venta.usuario),
    row("Cliente", venta.cliente_nombre),
    row("Orden", venta.orden_folio ? fmt.folioOrden(venta.orden_folio) : null),
    h("div", { class: "p-partidas" }, lines),
    h(
      "div",
      { class: "p-totales" },
      venta.descuento ? row("Descuento", `−${fmt.money(venta.descuento)}`) : null,
      row("Subtotal", fmt.money(venta.subtotal)),
      row("IVA", fmt.money(venta.iva)),
      row("Total", fmt.money(venta.total), "p-total"),
    ),
    h(
      "div",
      { class: "p-pagos" },
      venta.pagos.map((pago) => row(joined(fmt.metodo(pago.metodo), pago.referencia ? `(${pago.referencia})` : null), fmt.money(pago.monto))),
      row("Cambio", fmt.money(venta.cambio), "p-fuerte"),
    ),
    t.pie_ticket ? h("footer", { class: "p-pie p-texto" }, t.pie_ticket) : null,
  );
}

export async function printTicket(venta, taller) {
  return printed(await renderTicket(venta, taller));
}

/** What a paper made offline says: its folio will change (a reprint is offered when it does). */
function provisionalNote(folio) {
  return fmt.isProvisional(folio)
    ? h("div", { class: "p-menor p-provisional" }, "Folio provisional (hecho sin conexión): el folio definitivo se asigna al volver la conexión.")
    : null;
}

// --- Intake receipt and device label --------------------------------------------------------

const device = (orden) => joined(fmt.equipo(orden.equipo), orden.marca, orden.modelo, orden.color ? `(${orden.color})` : null);

function customerCopy(orden, taller, qr) {
  const t = taller || {};
  const recibio = orden.historial && orden.historial.length ? orden.historial[0].usuario : null;
  return h(
    "section",
    { class: "p-copia" },
    shopHeader(t),
    h("div", { class: "p-titulo" }, "Orden de servicio · copia del cliente"),
    h("div", { class: "p-folio-qr" }, h("div", { class: "p-folio" }, fmt.folioOrden(orden.folio)), qr),
    provisionalNote(orden.folio),
    row("Recibido", fmt.dateTime(orden.creado_en)),
    row("Recibió", recibio),
    row("Cliente", orden.cliente_nombre),
    row("Teléfono", orden.cliente_telefono),
    row("Equipo", device(orden)),
    row("Serie / IMEI", orden.numero_serie),
    block("Accesorios", orden.accesorios || "Ninguno"),
    orden.condicion && orden.condicion.length
      ? h(
          "div",
          { class: "p-bloque" },
          h("div", { class: "p-etiqueta" }, "Condición al recibir"),
          h("ul", { class: "p-lista" }, orden.condicion.map((c) => h("li", {}, joined(`${c.punto}:`, c.estado)))),
        )
      : null,
    block("Falla reportada", orden.falla_reportada),
    h(
      "div",
      { class: "p-totales" },
      row("Presupuesto", orden.presupuesto === null || orden.presupuesto === undefined ? "Por diagnosticar" : fmt.money(orden.presupuesto)),
      row("Anticipo", fmt.money(orden.anticipo || 0)),
      row("Fecha promesa", orden.fecha_promesa ? fmt.dateTime(orden.fecha_promesa) : "Por confirmar", "p-fuerte"),
    ),
    block("Garantía", [orden.garantia_dias ? `${orden.garantia_dias} días en la reparación.` : null, t.garantia].filter(Boolean).join("\n")),
    h("div", { class: "p-firma" }, h("div", { class: "p-raya" }), h("div", {}, "Firma del cliente")),
  );
}

function deviceTag(orden, qr) {
  return h(
    "section",
    { class: "p-copia p-etiqueta-equipo" },
    h("div", { class: "p-titulo" }, "Etiqueta del equipo"),
    h("div", { class: "p-folio-qr" }, h("div", { class: "p-folio" }, fmt.folioOrden(orden.folio)), qr),
    row("Cliente", orden.cliente_nombre),
    row("Teléfono", orden.cliente_telefono),
    row("Equipo", device(orden)),
    row("Serie / IMEI", orden.numero_serie),
    row("Recibido", fmt.date(orden.creado_en)),
    row("Promesa", orden.fecha_promesa ? fmt.dateTime(orden.fecha_promesa) : null),
    block("Falla", orden.falla_reportada),
  );
}

/**
 * The intake receipt: the customer's copy, a cut line and the device's tag, on one print.
 * `orden` as GET /ordenes/{id} returns it; `taller` as GET /taller.
 */
export async function renderIntake(orden, taller) {
  const qr = await qrImage(fmt.folioOrden(orden.folio));
  return fill(
    "recepcion",
    customerCopy(orden, taller, qr),
    h("div", { class: "p-corte", "aria-hidden": "true" }, "✂ cortar aquí"),
    deviceTag(orden, qr.cloneNode(true)),
  );
}

export async function printIntake(orden, taller) {
  return printed(await renderIntake(orden, taller));
}

/**
 * The label stuck on a device: folio, customer, phone, date and QR, for small label rolls. The
 * QR sits beside the folio, the date and the phone; the customer's name (which may run long)
 * takes the whole width under them, so the label stays short.
 */
export async function renderLabel(orden, taller) {
  const qr = await qrImage(fmt.folioOrden(orden.folio));
  return fill(
    "etiqueta",
    h(
      "div",
      { class: "p-etiqueta-cuerpo" },
      qr,
      h(
        "div",
        { class: "p-etiqueta-datos" },
        h("div", { class: "p-folio" }, fmt.folioOrden(orden.folio)),
        h("div", {}, fmt.date(orden.creado_en)),
        orden.cliente_telefono ? h("div", {}, `Tel. ${orden.cliente_telefono}`) : null,
      ),
    ),
    h("div", { class: "p-fuerte p-etiqueta-cliente" }, orden.cliente_nombre),
    taller && taller.nombre ? h("div", { class: "p-menor" }, taller.nombre) : null,
  );
}

export async function printLabel(orden, taller) {
  return printed(await renderLabel(orden, taller));
}

applyPaper(paper());
