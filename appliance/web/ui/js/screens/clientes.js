// Clientes: search as you type, create and edit (the server's message next to each
// field), and a customer's history: orders, purchases (if the role may see them), devices.

import { api } from "../api.js";
import { openDialog } from "../dialogs.js";
import { debounce, h, replace, TYPING_MS } from "../dom.js";
import * as fmt from "../format.js";
import { field, keepDraft, onSubmit } from "../forms.js";
import { dataTable, pager } from "../table.js";

const FIELDS = [
  { name: "nombre", label: "Nombre", required: true, attrs: { autocomplete: "off" } },
  { name: "telefono", label: "Teléfono", type: "tel", hint: "10 dígitos; se usa para WhatsApp" },
  { name: "email", label: "Correo", type: "email" },
  { name: "rfc", label: "RFC" },
  { name: "direccion", label: "Dirección", wide: true },
  { name: "notas", label: "Notas", type: "textarea", wide: true, rows: 2 },
];

/**
 * The customer form, for a new customer (`cliente` null) or an edit. `onSaved(cliente)`
 * runs with the server's record. Drafts are kept under `draftKey`.
 */
export function clienteForm({ cliente = null, onSaved, draftKey, submitLabel = "Guardar" }) {
  const form = h(
    "form",
    { class: "cliente-form", novalidate: true },
    h("p", { class: "form-error", role: "alert" }),
    h(
      "div",
      { class: "grid" },
      FIELDS.map((spec) => {
        const wrapper = field({ ...spec, value: cliente ? cliente[spec.name] : null });
        if (spec.wide) wrapper.classList.add("ancho");
        return wrapper;
      }),
    ),
    h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, submitLabel)),
  );
  const draft = draftKey ? keepDraft(form, draftKey) : null;
  onSubmit(form, async (values) => {
    const saved = cliente
      ? await api.put(`/clientes/${cliente.id}`, { ...values, version: cliente.version })
      : await api.post("/clientes", values);
    if (draft) draft.clear();
    onSaved(saved);
  });
  return form;
}

/** Open the new-customer dialog; resolves with the created customer (or null). */
export function newClienteDialog(initialName = "") {
  return new Promise((resolve) => {
    let created = null;
    const form = clienteForm({
      draftKey: "cliente-nuevo",
      submitLabel: "Crear cliente",
      onSaved: (cliente) => {
        created = cliente;
        dialog.close();
      },
    });
    if (initialName && !form.elements.nombre.value) form.elements.nombre.value = initialName;
    const dialog = openDialog({ title: "Nuevo cliente", body: form, wide: true, onClose: () => resolve(created) });
    form.elements.nombre.focus();
  });
}

function listScreen(root, ctx) {
  const results = h("div", { class: "resultados" });
  const search = h("input", {
    type: "search",
    id: "buscar-clientes",
    "data-search": "",
    placeholder: "Nombre, teléfono o correo",
    autocomplete: "off",
    value: ctx.query.get("q") || "",
  });
  const serie = h("input", { type: "search", id: "buscar-serie", placeholder: "Serie o IMEI", autocomplete: "off" });
  let asked = 0;
  let state = { q: search.value.trim(), offset: 0 };

  async function load() {
    const mine = ++asked;
    const page = await api.get("/clientes", { q: state.q, limit: 50, offset: state.offset });
    if (mine !== asked) return; // a newer search is on its way
    replace(
      results,
      dataTable({
        label: "Clientes",
        columns: [
          { label: "Nombre", value: (c) => c.nombre },
          { label: "Teléfono", value: (c) => c.telefono || "—" },
          { label: "Correo", value: (c) => c.email || "—" },
          { label: "Alta", value: (c) => fmt.date(c.creado_en) },
        ],
        rows: page.items,
        onOpen: (c) => ctx.navigate(`/clientes/${c.id}`),
        empty: state.q ? `Ningún cliente coincide con «${state.q}».` : "Aún no hay clientes.",
      }),
      pager(page, (offset) => {
        state.offset = offset;
        load();
      }),
    );
    results.dataset.q = state.q;
  }

  async function findDevice() {
    const q = serie.value.trim();
    if (!q) return load();
    const mine = ++asked;
    const page = await api.get("/ordenes", { q, limit: 50 });
    if (mine !== asked) return;
    replace(
      results,
      h("h2", {}, `Órdenes con el equipo «${q}»`),
      dataTable({
        label: "Órdenes del equipo",
        columns: [
          { label: "Folio", value: (o) => fmt.folioOrden(o.folio), nowrap: true },
          { label: "Cliente", value: (o) => o.cliente_nombre },
          { label: "Equipo", value: (o) => [o.equipo, o.marca, o.modelo].filter(Boolean).join(" ") },
          { label: "Serie / IMEI", value: (o) => o.numero_serie || "—" },
          { label: "Estado", value: (o) => fmt.estado(o.estado) },
          { label: "Recibido", value: (o) => fmt.date(o.creado_en) },
        ],
        rows: page.items,
        onOpen: (o) => ctx.navigate(`/ordenes/${o.id}`),
        empty: `Ninguna orden tiene un equipo con «${q}».`,
      }),
    );
  }

  const typed = debounce(() => {
    state = { q: search.value.trim(), offset: 0 };
    history.replaceState(null, "", `#/clientes${state.q ? `?q=${encodeURIComponent(state.q)}` : ""}`);
    load().catch((error) => ctx.notify(error.message, "error"));
  }, TYPING_MS);
  search.addEventListener("input", typed);
  serie.addEventListener("input", debounce(() => findDevice().catch((error) => ctx.notify(error.message, "error")), TYPING_MS));

  const nuevo = async () => {
    const cliente = await newClienteDialog(search.value.trim());
    if (cliente) ctx.navigate(`/clientes/${cliente.id}`);
  };
  replace(
    root,
    h(
      "div",
      { class: "encabezado" },
      h("h1", {}, "Clientes"),
      api.can("clientes:escribir") ? h("button", { type: "button", class: "primary", on: { click: nuevo }, "aria-keyshortcuts": "Alt+n" }, "Nuevo cliente (Alt N)") : null,
    ),
    h(
      "div",
      { class: "filtros" },
      h("div", { class: "field buscar" }, h("label", { for: "buscar-clientes" }, "Buscar cliente"), search),
      h("div", { class: "field" }, h("label", { for: "buscar-serie" }, "Buscar equipo por serie / IMEI"), serie),
    ),
    results,
  );
  if (api.can("clientes:escribir")) ctx.keys({ "Alt+n": { description: "Nuevo cliente", handler: nuevo } });
  // Other counters' changes show up without a reload; the search box is never re-rendered.
  const refresh = debounce(() => !serie.value.trim() && load().catch(() => {}), 300);
  for (const event of ["cliente_creado", "cliente_actualizado", "cliente_eliminado"]) ctx.on(event, refresh);
  search.focus();
  return load();
}

async function detailScreen(root, id, ctx) {
  let historial = await api.get(`/clientes/${id}/historial`);
  const editor = h("div", { class: "tarjeta" });
  const history = h("div");

  function showEditor() {
    const cliente = historial.cliente;
    if (!api.can("clientes:escribir")) {
      replace(editor, h("h2", {}, cliente.nombre), h("p", {}, cliente.telefono || "Sin teléfono"), h("p", {}, cliente.email || ""));
      return;
    }
    replace(
      editor,
      h("h2", {}, "Datos del cliente"),
      clienteForm({
        cliente,
        draftKey: `cliente-${cliente.id}-v${cliente.version}`,
        onSaved: (saved) => {
          historial = { ...historial, cliente: saved };
          ctx.notify("Cliente guardado.", "ok");
          title.textContent = saved.nombre;
          showEditor();
        },
      }),
    );
  }

  function showHistory() {
    const { ordenes, ventas, equipos = [] } = historial;
    replace(
      history,
      h("h2", {}, "Equipos"),
      dataTable({
        label: "Equipos del cliente",
        columns: [
          { label: "Equipo", value: (e) => [e.equipo, e.marca, e.modelo].filter(Boolean).join(" ") },
          { label: "Serie / IMEI", value: (e) => e.numero_serie || "—" },
          { label: "Última orden", value: (e) => fmt.folioOrden(e.ultimo_folio), nowrap: true },
        ],
        rows: equipos,
        onOpen: (e) => ctx.navigate(`/ordenes/${e.ultima_orden_id}`),
        empty: "Sin equipos registrados.",
      }),
      h("h2", {}, "Órdenes"),
      dataTable({
        label: "Órdenes del cliente",
        columns: [
          { label: "Folio", value: (o) => fmt.folioOrden(o.folio), nowrap: true },
          { label: "Equipo", value: (o) => [o.equipo, o.marca, o.modelo].filter(Boolean).join(" ") },
          { label: "Falla", value: (o) => o.falla_reportada },
          { label: "Estado", value: (o) => fmt.estado(o.estado) },
          { label: "Recibido", value: (o) => fmt.date(o.creado_en) },
        ],
        rows: ordenes,
        onOpen: (o) => ctx.navigate(`/ordenes/${o.id}`),
        empty: "Sin órdenes.",
      }),
      api.can("ventas:leer")
        ? [
            h("h2", {}, "Compras"),
            dataTable({
              label: "Compras del cliente",
              columns: [
                { label: "Folio", value: (v) => fmt.folioVenta(v.folio), nowrap: true },
                { label: "Fecha", value: (v) => fmt.dateTime(v.fecha) },
                { label: "Estado", value: (v) => v.estado },
                { label: "Total", value: (v) => fmt.money(v.total), num: true },
              ],
              rows: ventas,
              onOpen: (v) => ctx.navigate(`/ventas/${v.id}`),
              empty: "Sin compras.",
            }),
          ]
        : null,
    );
  }

  const title = h("h1", {}, historial.cliente.nombre);
  replace(
    root,
    h(
      "div",
      { class: "encabezado" },
      title,
      api.can("ordenes:recibir") ? h("a", { class: "boton", href: `#/ordenes/nueva?cliente=${id}` }, "Recibir equipo") : null,
      h("a", { class: "boton", href: "#/clientes", "data-cancel": "" }, "Volver"),
    ),
    h("div", { class: "columnas" }, editor, history),
  );
  showEditor();
  showHistory();
  const reload = debounce(async () => {
    historial = await api.get(`/clientes/${id}/historial`);
    showHistory(); // the form keeps what is being typed; only the history is redrawn
  }, 300);
  ctx.on("orden_creada", (o) => o.cliente_id === id && reload());
  ctx.on("orden_actualizada", (o) => o.cliente_id === id && reload());
  ctx.on("venta_creada", (v) => v.cliente_id === id && reload());
}

export default {
  title: "Clientes",
  mount(root, params, ctx) {
    return params.id ? detailScreen(root, params.id, ctx) : listScreen(root, ctx);
  },
};
