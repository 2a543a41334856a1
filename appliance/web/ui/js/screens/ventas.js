// Ventas: the sales of a day (with their state and totals) and a sale's detail: lines,
// payments, change, cashier and linked order, its ticket again, and (owner) its cancellation
// with a reason. Both follow other counters' sales and cancellations as they happen.

import { api } from "../api.js";
import { openDialog } from "../dialogs.js";
import { debounce, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { field, showErrors } from "../forms.js";
import { printerControl, printTicket } from "../print.js";
import { dataTable, pager } from "../table.js";

const ESTADOS = [
  ["", "Todas"],
  ["completada", "Completadas"],
  ["cancelada", "Canceladas"],
];

function estadoBadge(estado) {
  return h("span", { class: estado === "cancelada" ? "insignia alerta" : "insignia bien" }, estado === "cancelada" ? "Cancelada" : "Completada");
}

function listScreen(root, ctx) {
  const fecha = field({ name: "fecha", label: "Día", type: "date", value: ctx.query.get("fecha") || fmt.today() });
  const estado = field({ name: "estado", label: "Estado", type: "select", options: ESTADOS, value: ctx.query.get("estado") || "" });
  const dayInput = fecha.querySelector("input");
  const estadoSelect = estado.querySelector("select");
  dayInput.setAttribute("data-search", "");
  const results = h("div", { class: "resultados", "aria-live": "polite" });
  let offset = 0;
  let asked = 0;

  async function load() {
    const mine = ++asked;
    const day = dayInput.value || fmt.today();
    const page = await api.get("/ventas", { desde: day, hasta: day, estado: estadoSelect.value, limit: 50, offset });
    if (mine !== asked) return; // a newer filter is on its way
    replace(
      results,
      dataTable({
        label: "Ventas",
        columns: [
          { label: "Folio", value: (v) => fmt.folioVenta(v.folio), nowrap: true },
          { label: "Hora", value: (v) => fmt.time(v.fecha) },
          { label: "Atendió", value: (v) => v.usuario || "—" },
          { label: "Estado", value: (v) => estadoBadge(v.estado) },
          { label: "Subtotal", value: (v) => fmt.money(v.subtotal), num: true },
          { label: "IVA", value: (v) => fmt.money(v.iva), num: true },
          { label: "Descuento", value: (v) => (v.descuento ? fmt.money(v.descuento) : "—"), num: true },
          { label: "Total", value: (v) => fmt.money(v.total), num: true },
          { label: "Cambio", value: (v) => fmt.money(v.cambio), num: true },
        ],
        rows: page.items,
        onOpen: (v) => ctx.navigate(`/ventas/${v.id}`),
        empty: `Sin ventas el ${fmt.date(`${day}T12:00:00Z`)}.`,
      }),
      pager(page, (next) => {
        offset = next;
        load().catch((error) => ctx.notify(error.message, "error"));
      }),
    );
  }

  const filtered = () => {
    offset = 0;
    const query = new URLSearchParams({ fecha: dayInput.value });
    if (estadoSelect.value) query.set("estado", estadoSelect.value);
    history.replaceState(null, "", `#/ventas?${query}`);
    load().catch((error) => ctx.notify(error.message, "error"));
  };
  dayInput.addEventListener("change", filtered);
  estadoSelect.addEventListener("change", filtered);

  replace(
    root,
    h(
      "div",
      { class: "encabezado" },
      h("h1", {}, "Ventas"),
      api.can("ventas:crear") ? h("a", { class: "boton primary", href: "#/ventas/nueva", "aria-keyshortcuts": "F2" }, "Nueva venta (F2)") : null,
    ),
    h("div", { class: "filtros" }, fecha, estado),
    results,
  );
  // Another counter's sale or cancellation shows up in the list; the filters are left alone.
  const refresh = debounce(() => load().catch(() => {}), 300);
  ctx.on("venta_creada", refresh);
  ctx.on("venta_cancelada", refresh);
  dayInput.focus();
  return load();
}

/** The sale as the ticket prints it: with the customer's name and the order's folio when known. */
async function withNames(venta) {
  const [cliente, orden] = await Promise.all([
    venta.cliente_id && api.can("clientes:leer") ? api.get(`/clientes/${venta.cliente_id}`).catch(() => null) : null,
    venta.orden_id && api.can("ordenes:leer") ? api.get(`/ordenes/${venta.orden_id}`).catch(() => null) : null,
  ]);
  return { ...venta, cliente_nombre: cliente ? cliente.nombre : null, orden_folio: orden ? orden.folio : null };
}

/** Ask for the reason and cancel the sale; resolves with the cancelled sale (or null). */
function cancelDialog(venta) {
  return new Promise((resolve) => {
    let cancelled = null;
    const form = h(
      "form",
      { novalidate: true },
      h("p", { class: "form-error", role: "alert" }),
      h("p", {}, `Se regresará al inventario lo vendido en ${fmt.folioVenta(venta.folio)} (${fmt.money(venta.total)}). La venta se conserva, marcada como cancelada.`),
      field({ name: "motivo", label: "Motivo de la cancelación", type: "textarea", required: true, rows: 3 }),
    );
    form.addEventListener("submit", (event) => event.preventDefault());
    const dialog = openDialog({
      title: `Cancelar la venta ${fmt.folioVenta(venta.folio)}`,
      body: form,
      onClose: () => resolve(cancelled),
      actions: [
        { label: "Volver", onClick: (close) => close() },
        {
          label: "Cancelar venta",
          kind: "danger",
          onClick: async (close) => {
            try {
              cancelled = await api.post(`/ventas/${venta.id}/cancelar`, { motivo: form.elements.motivo.value });
              close();
            } catch (error) {
              if (error.fields === undefined) throw error;
              showErrors(form, error);
            }
          },
        },
      ],
    });
    dialog.element.querySelector("textarea").focus();
  });
}

async function detailScreen(root, id, ctx) {
  let venta = await withNames(await api.get(`/ventas/${id}`));
  const title = h("h1");
  const actions = h("div", { class: "acciones-venta" });
  const body = h("div");

  const reprint = async () => {
    try {
      await printTicket(venta, await api.get("/taller"));
    } catch (error) {
      ctx.notify(error.message, "error");
    }
  };
  const cancel = async () => {
    const cancelled = await cancelDialog(venta);
    if (!cancelled) return;
    venta = await withNames(cancelled);
    ctx.notify(`Venta ${fmt.folioVenta(venta.folio)} cancelada; el stock regresó al inventario.`, "ok");
    draw();
    actions.querySelector("button")?.focus();
  };

  function draw() {
    replace(title, `Venta ${fmt.folioVenta(venta.folio)} `, estadoBadge(venta.estado));
    replace(
      actions,
      h("button", { type: "button", class: "primary", on: { click: reprint }, "aria-keyshortcuts": "Alt+i" }, "Reimprimir ticket (Alt I)"),
      api.can("ventas:cancelar") && venta.estado === "completada"
        ? h("button", { type: "button", class: "danger", on: { click: cancel } }, "Cancelar venta…")
        : null,
    );
    const datos = h(
      "dl",
      { class: "datos" },
      h("dt", {}, "Fecha"),
      h("dd", {}, fmt.dateTime(venta.fecha)),
      h("dt", {}, "Atendió"),
      h("dd", {}, venta.usuario || "—"),
      h("dt", {}, "Cliente"),
      h("dd", {}, venta.cliente_id ? h("a", { href: `#/clientes/${venta.cliente_id}` }, venta.cliente_nombre || "Ver cliente") : "Público en general"),
      venta.orden_id
        ? [h("dt", {}, "Orden"), h("dd", {}, h("a", { href: `#/ordenes/${venta.orden_id}` }, venta.orden_folio ? fmt.folioOrden(venta.orden_folio) : "Ver orden"))]
        : null,
      venta.notas ? [h("dt", {}, "Notas"), h("dd", {}, venta.notas)] : null,
      venta.estado === "cancelada"
        ? [h("dt", {}, "Cancelada"), h("dd", { class: "aviso" }, `${fmt.dateTime(venta.cancelada_en)} · ${venta.motivo_cancelacion || ""}`)]
        : null,
    );
    const totales = h(
      "dl",
      { class: "totales" },
      [
        ["Subtotal", venta.subtotal],
        ["IVA", venta.iva],
        ["Descuento", venta.descuento],
        ["Total", venta.total, "total"],
        ["Pagado", venta.pagado],
        ["Cambio", venta.cambio],
      ].map(([label, amount, kind]) => h("div", { class: kind || null }, h("dt", {}, label), h("dd", {}, fmt.money(amount)))),
    );
    replace(
      body,
      h(
        "div",
        { class: "columnas venta-detalle" },
        h(
          "div",
          {},
          h("h2", {}, "Partidas"),
          dataTable({
            label: "Partidas de la venta",
            columns: [
              { label: "Descripción", value: (i) => i.descripcion },
              { label: "Cantidad", value: (i) => i.cantidad, num: true },
              { label: "Precio", value: (i) => fmt.money(i.precio_unitario), num: true },
              { label: "Descuento", value: (i) => (i.descuento ? fmt.money(i.descuento) : "—"), num: true },
              { label: "Importe", value: (i) => fmt.money(i.importe), num: true },
            ],
            rows: venta.items,
          }),
          h("h2", {}, "Pagos"),
          dataTable({
            label: "Pagos de la venta",
            columns: [
              { label: "Forma de pago", value: (p) => fmt.metodo(p.metodo) },
              { label: "Referencia", value: (p) => p.referencia || "—" },
              { label: "Monto", value: (p) => fmt.money(p.monto), num: true },
            ],
            rows: venta.pagos,
            empty: "Sin pagos.",
          }),
        ),
        h("div", { class: "tarjeta" }, datos, totales),
      ),
    );
  }

  replace(
    root,
    h(
      "div",
      { class: "encabezado" },
      title,
      actions,
      printerControl(),
      h("a", { class: "boton", href: "#/ventas", "data-cancel": "" }, "Volver"),
    ),
    body,
  );
  draw();
  ctx.keys({ "Alt+i": { description: "Reimprimir el ticket", handler: reprint } });
  ctx.on("venta_cancelada", async (data) => {
    if (data.id !== id) return;
    venta = await withNames(data);
    draw();
  });
  actions.querySelector("button").focus();
}

export default {
  title: "Ventas",
  mount(root, params, ctx) {
    return params.id ? detailScreen(root, params.id, ctx) : listScreen(root, ctx);
  },
};
