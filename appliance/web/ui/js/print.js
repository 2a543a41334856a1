// Printing an order from the browser: the intake receipt (the customer's copy and the
// device's tag on one print) and the device label. Each is built in #print-area, which
// print.css shows alone on paper, then the print dialog opens. The QR of the folio is
// drawn by the server (GET /qr); without a connection the folio is printed as text.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import * as fmt from "./format.js";

function line(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return h("div", { class: "p-fila" }, h("span", { class: "p-etiqueta" }, `${label}: `), h("span", { class: "p-valor" }, value));
}

function shop(taller) {
  const t = taller || {};
  return h(
    "header",
    { class: "p-taller" },
    t.nombre ? h("div", { class: "p-nombre" }, t.nombre) : null,
    t.direccion ? h("div", {}, t.direccion) : null,
    t.telefono ? h("div", {}, `Tel. ${t.telefono}`) : null,
  );
}

async function qr(texto) {
  try {
    const svg = await api.fetchFile("/qr", { texto }, "image/svg+xml");
    const src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
    return h("img", { class: "p-qr", src, alt: `Código QR ${texto}`, width: 96, height: 96 });
  } catch {
    return h("div", { class: "p-qr" }, texto);
  }
}

const condicion = (orden) => (orden.condicion || []).map((p) => `${p.punto}: ${p.estado}`).join("; ");

async function show(kind, ...content) {
  const area = document.getElementById("print-area");
  replace(area, h("div", { class: `p-doc p-${kind}` }, content));
  await Promise.all([...area.querySelectorAll("img")].map((img) => img.decode().catch(() => {})));
  window.print();
  return area;
}

/** The intake receipt: the customer's copy, then the tag that stays with the device. */
export async function printIntake(orden, taller) {
  const folio = fmt.folioOrden(orden.folio);
  const code = await qr(folio);
  const copia = (titulo, extra) =>
    h(
      "section",
      { class: "p-copia" },
      shop(taller),
      h("div", { class: "p-titulo" }, titulo),
      line("Folio", folio),
      line("Fecha", fmt.dateTime(orden.creado_en)),
      line("Cliente", orden.cliente_nombre),
      line("Teléfono", orden.cliente_telefono),
      line("Equipo", [orden.equipo, orden.marca, orden.modelo, orden.color].filter(Boolean).join(" ")),
      line("Serie / IMEI", orden.numero_serie),
      line("Accesorios", orden.accesorios),
      line("Condición", condicion(orden)),
      line("Falla", orden.falla_reportada),
      line("Presupuesto", orden.presupuesto === null ? null : fmt.money(orden.presupuesto)),
      line("Anticipo", fmt.money(orden.anticipo)),
      line("Promesa", orden.fecha_promesa ? fmt.dateTime(orden.fecha_promesa) : null),
      extra,
    );
  return show(
    "recepcion",
    copia("Recepción de equipo — copia del cliente", [
      line("Garantía", `${orden.garantia_dias} días`),
      taller && taller.garantia ? h("p", { class: "p-garantia" }, taller.garantia) : null,
      h("div", { class: "p-firma" }, "______________________________", h("div", {}, "Firma del cliente")),
      code,
    ]),
    copia("Etiqueta del equipo", code.cloneNode(true)),
  );
}

/** The device label for small label rolls: folio, customer, phone, date and QR. */
export async function printLabel(orden, taller) {
  const folio = fmt.folioOrden(orden.folio);
  return show(
    "etiqueta",
    h("div", { class: "p-nombre" }, (taller && taller.nombre) || folio),
    h("div", { class: "p-titulo" }, folio),
    line("Cliente", orden.cliente_nombre),
    line("Tel.", orden.cliente_telefono),
    line("Fecha", fmt.date(orden.creado_en)),
    await qr(folio),
  );
}
