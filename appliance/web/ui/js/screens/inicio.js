// Inicio: the day at a glance — orders by state, ready for pickup, overdue, sales of
// today and of the month by payment method, 30 days of sales, low stock and (owner)
// the age of the last backup. Every figure is the server's; it redraws on each change.

import { api } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { dataTable } from "../table.js";

function figure(label, value, extra, href) {
  const body = [h("span", { class: "etiqueta" }, label), h("strong", { class: "valor" }, value), extra ? h("span", { class: "extra" }, extra) : null];
  return href ? h("a", { class: "cifra", href }, body) : h("div", { class: "cifra" }, body);
}

function salesBlock(title, resumen) {
  return h(
    "div",
    { class: "tarjeta" },
    h("h2", {}, title),
    h("p", { class: "total" }, fmt.money(resumen.total), h("span", { class: "tenue" }, ` · ${resumen.cantidad} ventas`)),
    h(
      "ul",
      { class: "metodos" },
      fmt.metodos.map((m) => h("li", {}, h("span", {}, fmt.metodo(m)), h("span", { class: "num" }, fmt.money(resumen.por_metodo[m].total)))),
    ),
  );
}

/** A bar chart of the last 30 days' sales, as inline SVG (no library). */
function salesChart(days) {
  // Wide enough for the dashboard's full width at 1366 px, so the bars fill the card.
  const width = 1080;
  const height = 150;
  const top = Math.max(1, ...days.map((d) => d.total));
  const bar = width / days.length;
  const svg = h("svg:svg", { viewBox: `0 0 ${width} ${height + 18}`, class: "grafica", role: "img", "aria-label": "Ventas de los últimos 30 días" });
  days.forEach((day, i) => {
    const tall = Math.round((day.total / top) * height);
    const rect = h("svg:rect", { x: i * bar + 2, y: height - tall, width: bar - 4, height: Math.max(tall, 1), class: day.total ? "barra-dia" : "barra-vacia" });
    rect.append(h("svg:title", {}, `${day.fecha}: ${fmt.money(day.total)} (${day.cantidad} ventas)`));
    svg.append(rect);
    if (i % 5 === 0 || i === days.length - 1) {
      svg.append(h("svg:text", { x: i * bar + bar / 2, y: height + 14, class: "eje", "text-anchor": "middle" }, day.fecha.slice(8, 10) + "/" + day.fecha.slice(5, 7)));
    }
  });
  return svg;
}

function orderList(ordenes, ctx) {
  return dataTable({
    label: "Órdenes",
    columns: [
      { label: "Folio", value: (o) => fmt.folioOrden(o.folio), nowrap: true },
      { label: "Cliente", value: (o) => o.cliente_nombre },
      { label: "Equipo", value: (o) => [o.equipo, o.marca, o.modelo].filter(Boolean).join(" ") },
      { label: "Promesa", value: (o) => fmt.date(o.fecha_promesa) },
    ],
    rows: ordenes,
    onOpen: (o) => ctx.navigate(`/ordenes/${o.id}`),
    empty: "Ninguna.",
  });
}

function backupBlock(status) {
  const respaldo = status.respaldo || {};
  const bad = respaldo.estado && respaldo.estado !== "ok";
  return h(
    "a",
    { class: `tarjeta respaldo ${bad ? "alerta" : ""}`, href: "#/respaldos" },
    h("h2", {}, "Último respaldo"),
    h("p", {}, respaldo.fecha ? fmt.ago(respaldo.fecha) : "Nunca"),
    respaldo.aviso ? h("p", { class: bad ? "aviso" : "tenue" }, respaldo.aviso) : null,
  );
}

async function render(root, ctx) {
  const [d, status] = await Promise.all([api.get("/stats/dashboard"), api.can("respaldos:administrar") ? api.status() : null]);
  const open = fmt.estados.filter((e) => !["entregado", "cancelado"].includes(e));
  replace(
    root,
    h("div", { class: "encabezado" }, h("h1", {}, "Inicio"), h("span", { class: "tenue" }, `Actualizado ${fmt.time(d.generado_en)}`)),
    h(
      "div",
      { class: "cifras" },
      figure("Órdenes abiertas", d.ordenes_abiertas, null, "#/ordenes"),
      ...open.map((e) => figure(fmt.estado(e), d.ordenes_por_estado[e], null, `#/ordenes?estado=${e}`)),
      figure("Vencidas", d.vencidas.cantidad, "promesa pasada", "#/ordenes"),
      figure("Bajo stock", d.bajo_stock.cantidad, "productos", "#/inventario?bajo_stock=1"),
    ),
    h(
      "div",
      { class: "tablero-inicio" },
      api.can("ventas:leer") ? salesBlock("Ventas de hoy", d.ventas_hoy) : null,
      api.can("ventas:leer") ? salesBlock("Ventas del mes", d.ventas_mes) : null,
      status ? backupBlock(status) : null,
    ),
    api.can("ventas:leer") && d.ventas_30_dias ? h("div", { class: "tarjeta" }, h("h2", {}, "Ventas de los últimos 30 días"), salesChart(d.ventas_30_dias)) : null,
    h(
      "div",
      { class: "columnas" },
      h("div", {}, h("h2", {}, `Listas para entregar (${d.listas_para_entrega.cantidad})`), orderList(d.listas_para_entrega.ordenes, ctx)),
      h("div", {}, h("h2", {}, `Vencidas (${d.vencidas.cantidad})`), orderList(d.vencidas.ordenes, ctx)),
    ),
    h(
      "div",
      {},
      h("h2", {}, "Productos con poco stock"),
      dataTable({
        label: "Productos con poco stock",
        columns: [
          { label: "Código", value: (p) => p.codigo || "—" },
          { label: "Producto", value: (p) => p.nombre },
          { label: "Stock", value: (p) => p.stock, num: true },
          { label: "Mínimo", value: (p) => p.stock_minimo, num: true },
        ],
        rows: d.bajo_stock.productos,
        onOpen: (p) => ctx.navigate(`/inventario/${p.id}`),
        empty: "Todo en orden.",
      }),
    ),
  );
}

export default {
  title: "Inicio",
  mount(root, params, ctx) {
    const again = debounce(() => render(root, ctx).catch(() => {}), 400);
    ctx.on("*", (data, event) => event.seq !== null && again());
    ctx.on("respaldo_creado", again);
    ctx.on("respaldo_fallido", again);
    return render(root, ctx);
  },
};
