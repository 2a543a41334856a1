// Inventario: products by name or code (a scanned code opens its product), category and
// low-stock filters, create/edit/deactivate (owner), and a product's page with its stock
// adjustments (owner) and kardex. Stock, the low-stock flag and every rule are the server's.

import { api } from "../api.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { debounce, h, replace, TYPING_MS } from "../dom.js";
import * as fmt from "../format.js";
import { field, keepDraft, onSubmit } from "../forms.js";
import { openScanned } from "../lookup.js";
import { dataTable, pager } from "../table.js";

const CATEGORIES_LIST = "categorias-inventario";
const PIECES = { step: "1", min: "0", inputmode: "numeric" };
// The list's address with its filters, so "Volver" on a product returns to the same search.
let listAddress = "#/inventario";

const MOTIVOS = {
  compra: "Compra",
  devolucion: "Devolución",
  merma: "Merma",
  ajuste: "Ajuste",
  conteo: "Conteo físico",
  venta: "Venta",
  orden: "Refacción en orden",
};
const motivo = (name) => MOTIVOS[name] || name;
// The adjustments a person may record by hand, with what each expects.
const AJUSTES = [
  ["compra", "Compra (entran)"],
  ["devolucion", "Devolución (entran)"],
  ["merma", "Merma (salen)"],
  ["ajuste", "Ajuste (±)"],
  ["conteo", "Conteo físico"],
];

function badges(p) {
  return [
    p.bajo_stock ? h("span", { class: "insignia alerta" }, "Bajo stock") : null,
    p.activo ? null : h("span", { class: "insignia" }, "Dado de baja"),
  ];
}

/** A scan into a product form's code field stays there (and its Enter does not submit the form). */
function scannedIntoForm(code, target, isTarget) {
  return isTarget && Boolean(target.closest(".producto-form"));
}

/** The product form, for a new product (`producto` null) or an edit. */
function productoForm({ producto = null, onSaved, draftKey, submitLabel = "Guardar" }) {
  const value = (name) => (producto ? producto[name] : null);
  const specs = [
    { name: "nombre", label: "Nombre", required: true, wide: true, attrs: { autocomplete: "off" } },
    { name: "codigo", label: "Código o código de barras", hint: "Se puede escanear aquí", attrs: { autocomplete: "off", "data-scan-target": "" } },
    // The list screen keeps the categories it has seen, to suggest them for a new product.
    { name: "categoria", label: "Categoría", attrs: { list: producto ? null : CATEGORIES_LIST, autocomplete: "off" } },
    { name: "precio_compra", label: "Precio de compra", type: "number", attrs: { min: "0" } },
    { name: "precio_venta", label: "Precio de venta", type: "number", attrs: { min: "0" } },
    producto ? null : { name: "stock", label: "Existencia inicial", type: "number", hint: "Entra al kárdex como conteo", attrs: PIECES },
    { name: "stock_minimo", label: "Stock mínimo", type: "number", hint: "Con esta existencia o menos, avisa bajo stock", attrs: PIECES },
  ].filter(Boolean);
  const form = h(
    "form",
    { class: "producto-form", novalidate: true },
    h("p", { class: "form-error", role: "alert" }),
    h(
      "div",
      { class: "grid" },
      specs.map((spec) => {
        const wrapper = field({ ...spec, value: value(spec.name) });
        if (spec.wide) wrapper.classList.add("ancho");
        return wrapper;
      }),
    ),
    h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, submitLabel)),
  );
  const draft = keepDraft(form, draftKey);
  onSubmit(form, async (values) => {
    const saved = producto
      ? await api.put(`/inventario/${producto.id}`, { ...values, version: producto.version })
      : await api.post("/inventario", values);
    draft.clear();
    onSaved(saved);
  });
  return form;
}

function newProductoDialog(initialName = "") {
  return new Promise((resolve) => {
    let created = null;
    const form = productoForm({
      draftKey: "producto-nuevo",
      submitLabel: "Crear producto",
      onSaved: (producto) => {
        created = producto;
        dialog.close();
      },
    });
    if (initialName && !form.elements.nombre.value) form.elements.nombre.value = initialName;
    const dialog = openDialog({ title: "Nuevo producto", body: form, wide: true, onClose: () => resolve(created) });
    form.elements.nombre.focus();
  });
}

function listScreen(root, ctx) {
  const results = h("div", { class: "resultados" });
  const categories = h("datalist", { id: CATEGORIES_LIST });
  const known = new Set();
  const search = h("input", {
    type: "search",
    id: "buscar-productos",
    "data-search": "",
    placeholder: "Nombre o código (también con el escáner)",
    autocomplete: "off",
    value: ctx.query.get("q") || "",
  });
  const categoria = h("input", {
    type: "search",
    id: "filtro-categoria",
    list: CATEGORIES_LIST,
    placeholder: "Todas",
    autocomplete: "off",
    value: ctx.query.get("categoria") || "",
  });
  const bajo = h("input", { type: "checkbox", id: "filtro-bajo-stock", checked: ctx.query.get("bajo_stock") === "1" });
  const inactivos = h("input", { type: "checkbox", id: "filtro-inactivos", checked: ctx.query.get("inactivos") === "1" });
  let offset = 0;
  let asked = 0;

  function filters() {
    return {
      q: search.value.trim(),
      categoria: categoria.value.trim(),
      bajo_stock: bajo.checked ? "1" : "",
      inactivos: inactivos.checked ? "1" : "",
    };
  }

  function remember(rows) {
    for (const p of rows) {
      if (p.categoria && !known.has(p.categoria)) {
        known.add(p.categoria);
        categories.append(h("option", { value: p.categoria }));
      }
    }
  }

  async function load() {
    const mine = ++asked;
    const f = filters();
    const page = await api.get("/inventario", {
      q: f.q,
      categoria: f.categoria,
      bajo_stock: f.bajo_stock ? "true" : null,
      incluir_inactivos: f.inactivos ? "true" : null,
      limit: 50,
      offset,
    });
    if (mine !== asked) return page; // a newer search is on its way
    remember(page.items);
    const filtered = f.q || f.categoria || f.bajo_stock;
    replace(
      results,
      dataTable({
        label: "Productos",
        columns: [
          { label: "Código", value: (p) => p.codigo || "—" },
          { label: "Producto", value: (p) => [p.nombre, " ", badges(p)] },
          { label: "Categoría", value: (p) => p.categoria || "—" },
          { label: "Precio", value: (p) => fmt.money(p.precio_venta), num: true },
          { label: "Existencia", value: (p) => p.stock, num: true },
          { label: "Mínimo", value: (p) => p.stock_minimo, num: true },
        ],
        rows: page.items,
        onOpen: (p) => ctx.navigate(`/inventario/${p.id}`),
        empty: filtered ? "Ningún producto coincide con estos filtros." : "Aún no hay productos.",
      }),
      pager(page, (next) => {
        offset = next;
        load().catch((error) => ctx.notify(error.message, "error"));
      }),
    );
    return page;
  }

  function changed() {
    offset = 0;
    const query = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v)).toString();
    listAddress = `#/inventario${query ? `?${query}` : ""}`;
    history.replaceState(null, "", listAddress);
    return load().catch((error) => ctx.notify(error.message, "error"));
  }

  const typed = debounce(changed, TYPING_MS);
  search.addEventListener("input", typed);
  categoria.addEventListener("input", debounce(changed, 250));
  bajo.addEventListener("change", changed);
  inactivos.addEventListener("change", changed);

  // A scan here looks the code up: exactly one product with that code opens it; otherwise
  // the code becomes the search, and what no product matches (an order's folio) goes on
  // to the app-wide lookup.
  ctx.onScan((code, target, isTarget) => {
    if (scannedIntoForm(code, target, isTarget)) return true;
    api
      .get("/inventario", { q: code, limit: 20, incluir_inactivos: "true" })
      .then((found) => {
        const exact = found.items.filter((p) => (p.codigo || "").toLowerCase() === code.toLowerCase());
        if (exact.length === 1) ctx.navigate(`/inventario/${exact[0].id}`);
        else if (found.items.length) {
          search.value = code;
          changed();
        } else openScanned(code, ctx.navigate);
      })
      .catch((error) => ctx.notify(error.message, "error"));
    return true;
  });

  listAddress = window.location.hash;
  const canWrite = api.can("inventario:escribir");
  const nuevo = async () => {
    const producto = await newProductoDialog(search.value.trim());
    if (producto) ctx.navigate(`/inventario/${producto.id}`);
  };
  replace(
    root,
    h(
      "div",
      { class: "encabezado" },
      h("h1", {}, "Inventario"),
      canWrite ? h("button", { type: "button", class: "primary", on: { click: nuevo }, "aria-keyshortcuts": "Alt+n" }, "Nuevo producto (Alt N)") : null,
    ),
    h(
      "div",
      { class: "filtros" },
      h("div", { class: "field buscar" }, h("label", { for: "buscar-productos" }, "Buscar producto"), search),
      h("div", { class: "field" }, h("label", { for: "filtro-categoria" }, "Categoría"), categoria),
      h("div", { class: "field" }, h("label", { for: "filtro-bajo-stock", class: "check" }, bajo, " Solo bajo stock")),
      h("div", { class: "field" }, h("label", { for: "filtro-inactivos", class: "check" }, inactivos, " Incluir dados de baja")),
    ),
    categories,
    results,
  );
  if (canWrite) ctx.keys({ "Alt+n": { description: "Nuevo producto", handler: nuevo } });
  // Sales, repairs and other counters move stock: the rows follow, the filters stay as typed.
  const refresh = debounce(() => load().catch(() => {}), 300);
  for (const event of ["stock_actualizado", "producto_creado", "producto_actualizado"]) ctx.on(event, refresh);
  search.focus();
  return load();
}

function summary(p) {
  const row = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
  return h(
    "dl",
    { class: "datos" },
    row("Código", p.codigo || "—"),
    row("Categoría", p.categoria || "—"),
    row("Precio de venta", fmt.money(p.precio_venta)),
    row("Precio de compra", fmt.money(p.precio_compra)),
    row("Existencia", h("strong", { class: "existencia" }, String(p.stock))),
    row("Stock mínimo", p.stock_minimo),
    row("Actualizado", fmt.dateTime(p.actualizado_en)),
  );
}

/** The stock adjustment form: a delta with its reason, or a physical count. */
function ajusteForm(producto, onDone) {
  const motivoField = field({ name: "motivo", label: "Motivo", type: "select", options: AJUSTES, value: "compra" });
  const cantidadField = field({ name: "cantidad", label: "Cantidad", type: "number", hint: "Piezas que entran (+) o salen (−)", attrs: { step: "1", inputmode: "numeric" } });
  const stockField = field({ name: "stock", label: "Piezas contadas", type: "number", attrs: PIECES });
  const notaField = field({ name: "nota", label: "Nota", attrs: { autocomplete: "off" } });
  notaField.classList.add("ancho");
  const form = h(
    "form",
    { class: "ajuste-form", novalidate: true },
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "grid" }, motivoField, cantidadField, stockField, notaField),
    h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Registrar ajuste")),
  );
  const select = form.elements.motivo;
  // A count states the pieces on the shelf; every other reason states how many moved.
  const toggle = () => {
    const conteo = select.value === "conteo";
    cantidadField.hidden = conteo;
    form.elements.cantidad.disabled = conteo;
    stockField.hidden = !conteo;
    form.elements.stock.disabled = !conteo;
  };
  select.addEventListener("change", toggle);
  const draft = keepDraft(form, `stock-${producto.id}`);
  toggle();
  onSubmit(form, async (values) => {
    const result = await api.put(`/inventario/${producto.id}/stock`, values);
    draft.clear();
    for (const name of ["cantidad", "stock", "nota"]) form.elements[name].value = "";
    onDone(result);
  });
  return form;
}

function kardexTable(items) {
  const ref = (m) => {
    if (!m.referencia) return m.nota || "—";
    const text = m.nota || "Ver";
    if (m.motivo === "orden") return h("a", { href: `#/ordenes/${m.referencia}` }, text);
    if (api.can("ventas:leer")) return h("a", { href: `#/ventas/${m.referencia}` }, text);
    return text;
  };
  return dataTable({
    label: "Kárdex",
    columns: [
      { label: "Fecha", value: (m) => fmt.dateTime(m.fecha) },
      { label: "Motivo", value: (m) => motivo(m.motivo) },
      { label: "Cambio", value: (m) => (m.delta > 0 ? `+${m.delta}` : `−${-m.delta}`), num: true },
      { label: "Existencia", value: (m) => m.stock_resultante, num: true },
      { label: "Usuario", value: (m) => m.usuario || "—" },
      { label: "Nota", value: ref },
    ],
    rows: items,
    empty: "Sin movimientos.",
  });
}

async function detailScreen(root, id, ctx) {
  let producto = await api.get(`/inventario/${id}`);
  let offset = 0;
  const title = h("h1", {});
  const status = h("span", { class: "insignias" });
  const actions = h("span", { class: "acciones-encabezado" });
  const datos = h("div");
  const editor = h("div");
  const kardex = h("div", { class: "kardex" });

  function showProducto() {
    title.textContent = producto.nombre;
    replace(status, badges(producto));
    replace(datos, summary(producto));
    if (api.can("inventario:escribir")) {
      replace(
        actions,
        h("button", { type: "button", class: producto.activo ? "danger" : "", on: { click: toggleActivo } }, producto.activo ? "Dar de baja" : "Reactivar"),
      );
    }
  }

  function showEditor() {
    if (!api.can("inventario:escribir")) return;
    replace(
      editor,
      h("h2", {}, "Editar producto"),
      productoForm({
        producto,
        draftKey: `producto-${producto.id}-v${producto.version}`,
        onSaved: (saved) => {
          producto = saved;
          ctx.notify("Producto guardado.", "ok");
          showProducto();
          showEditor();
        },
      }),
    );
  }

  async function toggleActivo() {
    const activo = !producto.activo;
    const question = activo
      ? `¿Reactivar «${producto.nombre}»? Volverá a ofrecerse en ventas y órdenes.`
      : `¿Dar de baja «${producto.nombre}»? Ya no se podrá vender ni usar en órdenes; su kárdex se conserva.`;
    const ok = await confirmDialog(question, { title: activo ? "Reactivar producto" : "Dar de baja", confirm: activo ? "Reactivar" : "Dar de baja", kind: activo ? "primary" : "danger" });
    if (!ok) return;
    try {
      producto = await api.put(`/inventario/${id}`, { activo, version: producto.version });
      ctx.notify(activo ? "Producto reactivado." : "Producto dado de baja.", "ok");
      showProducto();
      showEditor();
    } catch (error) {
      ctx.notify(error.message, "error");
    }
  }

  async function loadKardex() {
    const page = await api.get(`/inventario/${id}/movimientos`, { limit: 50, offset });
    producto = page.producto;
    showProducto();
    replace(
      kardex,
      h("h2", {}, "Kárdex", h("span", { class: "tenue" }, ` · suma de movimientos: ${page.suma_movimientos}`)),
      kardexTable(page.items),
      pager(page, (next) => {
        offset = next;
        loadKardex().catch((error) => ctx.notify(error.message, "error"));
      }),
    );
  }

  const left = [h("div", { class: "tarjeta" }, datos)];
  if (api.can("inventario:ajustar")) {
    left.push(
      h(
        "div",
        { class: "tarjeta" },
        h("h2", {}, "Ajustar stock"),
        ajusteForm(producto, (result) => {
          ctx.notify(result.movimiento ? `Stock ajustado: ahora hay ${result.producto.stock}.` : "El conteo coincide con la existencia; no hubo movimiento.", "ok");
          offset = 0;
          loadKardex().catch((error) => ctx.notify(error.message, "error"));
        }),
      ),
    );
  }
  if (api.can("inventario:escribir")) left.push(h("div", { class: "tarjeta" }, editor));
  replace(
    root,
    h("div", { class: "encabezado" }, title, status, actions, h("a", { class: "boton", href: listAddress, "data-cancel": "" }, "Volver")),
    h("div", { class: "columnas producto" }, h("div", { class: "pila" }, left), kardex),
  );
  showProducto();
  showEditor();
  ctx.onScan(scannedIntoForm);
  // Another counter's sale or edit: the figures and the kardex follow; the forms keep what is typed.
  const refresh = debounce(() => loadKardex().catch(() => {}), 250);
  ctx.on("stock_actualizado", (d) => d.id === id && refresh());
  ctx.on("producto_actualizado", (d) => d.id === id && refresh());
  return loadKardex();
}

export default {
  title: "Inventario",
  mount(root, params, ctx) {
    return params.id ? detailScreen(root, params.id, ctx) : listScreen(root, ctx);
  },
};
