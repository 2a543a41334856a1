// Bitácora (owner): who changed what, when and from where, newest first, filtered by dates
// (shop time), user, entity, action or record. The filters live in the address, so a
// reload or a link keeps them.

import { ApiError, api } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { clearErrors, field, readForm, showErrors } from "../forms.js";
import { dataTable, pager } from "../table.js";

const ACCIONES = {
  inicio_sesion: "Inicio de sesión",
  inicio_sesion_fallido: "Inicio de sesión fallido",
  inicio_sesion_bloqueado: "Inicio de sesión bloqueado",
  inicio_sesion_cuenta_inactiva: "Intento con cuenta desactivada",
  usuario_creado: "Usuario creado",
  usuario_actualizado: "Usuario modificado",
  cliente_creado: "Cliente creado",
  cliente_actualizado: "Cliente modificado",
  cliente_eliminado: "Cliente dado de baja",
  orden_creada: "Orden recibida",
  orden_actualizada: "Orden modificada",
  producto_creado: "Producto creado",
  producto_actualizado: "Producto modificado",
  stock_actualizado: "Movimiento de stock",
  venta_creada: "Venta registrada",
  venta_cancelada: "Venta cancelada",
  precio_modificado: "Precio distinto del catálogo",
  descuento_aplicado: "Descuento aplicado",
  taller_actualizado: "Datos del taller modificados",
  respaldo_creado: "Respaldo hecho",
  respaldo_descargado: "Respaldo descargado",
  respaldo_eliminado: "Respaldo borrado",
  base_restaurada: "Respaldo restaurado",
};
const ENTIDADES = {
  clientes: "Clientes",
  ordenes: "Órdenes",
  productos: "Productos",
  ventas: "Ventas",
  usuarios: "Usuarios",
  respaldos: "Respaldos",
  taller: "Taller",
};
const LINKS = { clientes: "/clientes/", ordenes: "/ordenes/", productos: "/inventario/", ventas: "/ventas/" };
const FILTERS = ["desde", "hasta", "usuario", "entidad", "accion", "entidad_id"];

function registro(row) {
  if (!row.entidad_id) return "—";
  if (row.entidad === "respaldos") return h("span", { class: "nombre-archivo" }, row.entidad_id);
  const short = row.entidad_id.length > 13 ? `${row.entidad_id.slice(0, 8)}…` : row.entidad_id;
  const link = LINKS[row.entidad];
  return link ? h("a", { href: `#${link}${row.entidad_id}`, title: row.entidad_id }, short) : h("span", { title: row.entidad_id }, short);
}

function detalle(row) {
  const d = row.detalle;
  if (!d) return row.campos.length ? row.campos.join(", ") : "—";
  if (row.accion === "precio_modificado") {
    return `${d.descripcion}: ${fmt.money(d.precio_unitario)} en lugar de ${fmt.money(d.precio_catalogo)} (× ${d.cantidad})`;
  }
  if (row.accion === "descuento_aplicado") {
    return `${d.descripcion}: descuento de ${fmt.money(d.descuento)} sobre ${fmt.money(d.importe_bruto)} (${d.porcentaje} %)`;
  }
  return Object.entries(d)
    .map(([key, value]) => `${key}: ${value}`)
    .join(" · ");
}

export default {
  title: "Bitácora",
  async mount(root, params, ctx) {
    if (!api.can("auditoria:leer")) throw new ApiError(403, { message: "Solo el dueño del taller consulta la bitácora." });
    const results = h("div", { class: "bitacora-tabla" });
    const usernames = h("datalist", { id: "bitacora-usuarios" });
    const actions = h(
      "datalist",
      { id: "bitacora-acciones" },
      Object.entries(ACCIONES).map(([value, label]) => h("option", { value }, label)),
    );
    const start = (name) => ctx.query.get(name) || "";
    const form = h(
      "form",
      { class: "filtros bitacora-filtros", novalidate: true, role: "search" },
      h("p", { class: "form-error", role: "alert" }),
      field({ name: "desde", label: "Desde el día", type: "date", value: start("desde") }),
      field({ name: "hasta", label: "Hasta el día (incluido)", type: "date", value: start("hasta") }),
      field({ name: "usuario", label: "Usuario", value: start("usuario"), attrs: { list: "bitacora-usuarios", autocomplete: "off", "data-search": "" } }),
      field({
        name: "entidad",
        label: "Qué",
        type: "select",
        value: start("entidad"),
        options: [["", "Todo"], ...Object.entries(ENTIDADES)],
      }),
      field({ name: "accion", label: "Acción", value: start("accion"), attrs: { list: "bitacora-acciones", autocomplete: "off", placeholder: "Todas" } }),
      field({ name: "entidad_id", label: "Id del registro", value: start("entidad_id"), attrs: { autocomplete: "off" } }),
      h("div", { class: "acciones" }, h("button", { type: "reset" }, "Quitar filtros")),
    );
    let offset = 0;
    let asked = 0;

    function filters() {
      const values = readForm(form);
      return Object.fromEntries(FILTERS.map((name) => [name, values[name] ?? ""]));
    }

    async function load() {
      const mine = ++asked;
      const f = filters();
      let page;
      try {
        page = await api.get("/auditoria", {
          ...f,
          // A day in the shop's time zone, through its last instant (the server's `hasta` excludes itself).
          hasta: f.hasta ? `${f.hasta}T23:59:59.999999` : "",
          limit: 50,
          offset,
        });
      } catch (error) {
        if (mine !== asked || error.fields === undefined) throw error;
        showErrors(form, error);
        return;
      }
      if (mine !== asked) return;
      clearErrors(form);
      replace(
        results,
        dataTable({
          label: "Bitácora",
          columns: [
            { label: "Fecha", value: (r) => fmt.dateTime(r.fecha) },
            { label: "Usuario", value: (r) => r.usuario || h("span", { class: "tenue" }, "servidor") },
            { label: "Acción", value: (r) => ACCIONES[r.accion] || r.accion },
            { label: "Qué", value: (r) => ENTIDADES[r.entidad] || r.entidad || "—" },
            { label: "Registro", value: registro },
            { label: "Campos o detalle", value: detalle },
            { label: "IP", value: (r) => r.ip || "—" },
          ],
          rows: page.items,
          empty: "Nada registrado con estos filtros.",
        }),
        pager(page, (next) => {
          offset = next;
          load().catch((error) => ctx.notify(error.message, "error"));
        }),
      );
    }

    function changed() {
      offset = 0;
      const query = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v)).toString();
      history.replaceState(null, "", `#/bitacora${query ? `?${query}` : ""}`);
      load().catch((error) => ctx.notify(error.message, "error"));
    }

    const later = debounce(changed, 250);
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      changed();
    });
    form.addEventListener("reset", () => setTimeout(changed));
    replace(
      root,
      h("div", { class: "encabezado" }, h("h1", {}, "Bitácora")),
      form,
      usernames,
      actions,
      results,
    );
    // Every saved change writes an audit row: the first page follows them as they happen.
    const refresh = debounce(() => load().catch(() => {}), 500);
    ctx.on("*", (data, event) => event.seq !== null && event.seq !== undefined && offset === 0 && refresh());
    api
      .get("/usuarios")
      .then(({ items }) => usernames.append(...items.map((u) => h("option", { value: u.username }, u.nombre))))
      .catch(() => {});
    form.elements.usuario.focus();
    return load();
  },
};
