// Órdenes: the list (filters by estado, técnico and text) and the board by estado. A card
// offers only the moves the server lists for this user (siguientes_estados). Both redraw
// from orden_creada / orden_actualizada and leave the filters as they are.

import { api } from "../api.js";
import { openDialog } from "../dialogs.js";
import { debounce, h, replace, uid } from "../dom.js";
import * as fmt from "../format.js";
import { field, readForm, showErrors } from "../forms.js";
import { dataTable, pager } from "../table.js";

/** The device types the server accepts (`equipo`), with their Spanish names. */
export const EQUIPOS = Object.fromEntries(fmt.equipos.map((name) => [name, fmt.equipo(name)]));

/** "Celular Samsung Galaxy A51" */
export const equipoTexto = (o) => [fmt.equipo(o.equipo), o.marca, o.modelo].filter(Boolean).join(" ");

/** The staff an order's bench work can be assigned to: técnicos and the owner. */
export async function loadTecnicos() {
  const { items } = await api.get("/personal");
  return items.filter((p) => p.rol === "tecnico" || p.rol === "dueno");
}

const OPEN = fmt.estados.filter((e) => e !== "entregado" && e !== "cancelado");

/**
 * Move `orden` to one of its siguientes_estados with an optional note (PUT /ordenes/{id}/estado).
 * `estado` fixes the target (a button that names it); otherwise the person picks one of the
 * server's options, never delivery, which has its own flow (it may charge). `extra` goes into
 * the request (registrar_adeudo), `intro` above the choice, `confirm` on the button.
 * Resolves with the server's order, or null when cancelled.
 */
export function moveDialog(orden, { estado, extra = {}, intro, confirm } = {}) {
  const targets = estado ? [estado] : orden.siguientes_estados.filter((e) => e !== "entregado");
  return new Promise((resolve) => {
    let moved = null;
    const group = uid("estado");
    const choice = targets.length === 1
      ? h("p", {}, `${fmt.estado(orden.estado)} → `, h("strong", {}, fmt.estado(targets[0])))
      : h(
          "fieldset",
          { class: "opciones-estado" },
          h("legend", {}, "Nuevo estado"),
          targets.map((target, i) => {
            const id = `${group}-${i}`;
            return h(
              "div",
              { class: "opcion" },
              h("input", { type: "radio", id, name: group, value: target, checked: i === 0, "data-field": i === 0 ? "estado" : null }),
              h("label", { for: id }, fmt.estado(target)),
            );
          }),
        );
    const form = h(
      "form",
      { novalidate: true, class: "mover" },
      h("p", { class: "form-error", role: "alert" }),
      intro ? h("p", {}, intro) : null,
      choice,
      field({ name: "nota", label: "Nota (opcional)", type: "textarea", rows: 2, attrs: { maxlength: 1000 } }),
    );
    const picked = () => (targets.length === 1 ? targets[0] : form.querySelector(`input[name="${group}"]:checked`).value);
    const submit = async (close) => {
      const target = picked();
      try {
        moved = await api.put(`/ordenes/${orden.id}/estado`, { ...extra, estado: target, nota: readForm(form).nota, version: orden.version });
        close();
      } catch (error) {
        if (error.fields === undefined) throw error;
        showErrors(form, error);
      }
    };
    const cancelling = targets.length === 1 && targets[0] === "cancelado";
    const dialog = openDialog({
      title: `Cambiar estado de ${fmt.folioOrden(orden.folio)}`,
      body: form,
      onClose: () => resolve(moved),
      actions: [
        { label: "Volver", onClick: (close) => close() },
        { label: confirm || (cancelling ? "Cancelar la orden" : "Cambiar estado"), kind: cancelling ? "danger" : "primary", onClick: submit },
      ],
    });
    // Enter on a choice confirms it, as in any form; in the note it is a new line.
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.type === "radio") {
        event.preventDefault();
        dialog.element.querySelector(".dialog-actions button:last-child").click();
      }
    });
    form.addEventListener("submit", (event) => event.preventDefault());
  });
}

/** Keep keyboard focus on the same record across a redraw of `container` (rows and cards carry data-id). */
function keepingFocus(container, redraw) {
  const active = document.activeElement;
  const holder = active && container.contains(active) ? active.closest("[data-id]") : null;
  const id = holder && holder.dataset.id;
  const role = active && active.dataset.role;
  redraw();
  if (!id) return;
  const again = container.querySelector(`[data-id="${CSS.escape(id)}"]`);
  if (!again) return;
  const target = (role && again.querySelector(`[data-role="${role}"]`)) || (again.tabIndex >= 0 ? again : again.querySelector("a, button"));
  if (target) target.focus();
}

function setUrl(path, values) {
  const query = new URLSearchParams(Object.entries(values).filter(([, v]) => v));
  history.replaceState(null, "", `#${path}${query.toString() ? `?${query}` : ""}`);
}

/** The filter controls both screens share; `onChange` runs once input pauses. */
function filters(ctx, tecnicos, onChange, { withEstado }) {
  const controls = {};
  const make = (name, label, control, extra = "") => {
    controls[name] = control;
    return h("div", { class: `field ${extra}` }, h("label", { for: control.id }, label), control);
  };
  const estado = withEstado
    ? make(
        "estado",
        "Estado",
        h(
          "select",
          { id: "filtro-estado" },
          h("option", { value: "" }, "Todos"),
          fmt.estados.map((e) => h("option", { value: e, selected: ctx.query.get("estado") === e }, fmt.estado(e))),
        ),
      )
    : null;
  const tecnico = make(
    "tecnico",
    "Técnico",
    h(
      "select",
      { id: "filtro-tecnico" },
      h("option", { value: "" }, "Todos"),
      tecnicos.map((t) => h("option", { value: t.id, selected: ctx.query.get("tecnico") === t.id }, t.nombre)),
    ),
  );
  const texto = make(
    "q",
    "Buscar",
    h("input", {
      type: "search",
      id: "filtro-texto",
      "data-search": "",
      autocomplete: "off",
      placeholder: "Folio, cliente, equipo, serie / IMEI, falla",
      value: ctx.query.get("q") || "",
    }),
    "buscar",
  );
  const changed = debounce(onChange, 150);
  for (const control of Object.values(controls)) control.addEventListener(control.tagName === "SELECT" ? "change" : "input", changed);
  const read = () => ({
    estado: controls.estado ? controls.estado.value : "",
    tecnico: controls.tecnico.value,
    q: controls.q.value.trim(),
  });
  return { element: h("div", { class: "filtros" }, texto, estado, tecnico), read, focus: () => controls.q.focus() };
}

function header(title, other) {
  return h(
    "div",
    { class: "encabezado" },
    h("h1", {}, title),
    h("a", { class: "boton", href: other.href }, other.label),
    api.can("ordenes:recibir") ? h("a", { class: "boton primary", href: "#/ordenes/nueva", "aria-keyshortcuts": "F4" }, "Recibir equipo (F4)") : null,
  );
}

async function listScreen(root, ctx) {
  const tecnicos = await loadTecnicos();
  const nombres = new Map(tecnicos.map((t) => [t.id, t.nombre]));
  const results = h("div", { class: "resultados", "aria-live": "polite" });
  let offset = 0;
  let asked = 0;

  async function load() {
    const mine = ++asked;
    const { estado, tecnico, q } = bar.read();
    const page = await api.get("/ordenes", { estado, tecnico_id: tecnico, q, limit: 50, offset });
    if (mine !== asked) return; // a newer search is on its way
    keepingFocus(results, () =>
      replace(
        results,
        dataTable({
          label: "Órdenes",
          columns: [
            { label: "Folio", value: (o) => h("strong", { class: "sin-corte" }, fmt.folioOrden(o.folio)) },
            { label: "Cliente", value: (o) => o.cliente_nombre },
            { label: "Equipo", value: (o) => equipoTexto(o) },
            { label: "Falla", value: (o) => h("span", { class: "recorte" }, o.falla_reportada) },
            { label: "Estado", value: (o) => h("span", { class: `insignia estado-${o.estado}` }, fmt.estado(o.estado)) },
            { label: "Técnico", value: (o) => nombres.get(o.tecnico_id) || "—" },
            { label: "Promesa", value: (o) => h("span", { class: "sin-corte" }, fmt.date(o.fecha_promesa)) },
            { label: "Recibido", value: (o) => h("span", { class: "sin-corte" }, fmt.date(o.creado_en)) },
          ],
          rows: page.items,
          onOpen: (o) => ctx.navigate(`/ordenes/${o.id}`),
          empty: estado || tecnico || q ? "Ninguna orden coincide con los filtros." : "Aún no hay órdenes.",
        }),
        pager(page, (next) => {
          offset = next;
          load().catch((error) => ctx.notify(error.message, "error"));
        }),
      ),
    );
  }

  const bar = filters(
    ctx,
    tecnicos,
    () => {
      offset = 0;
      setUrl("/ordenes", bar.read());
      load().catch((error) => ctx.notify(error.message, "error"));
    },
    { withEstado: true },
  );
  replace(root, header("Órdenes", { href: "#/ordenes/tablero", label: "Ver tablero" }), bar.element, results);
  const refresh = debounce(() => load().catch(() => {}), 300);
  ctx.on("orden_creada", refresh);
  ctx.on("orden_actualizada", refresh);
  bar.focus();
  return load();
}

function card(orden, ctx, onMoved) {
  const folio = fmt.folioOrden(orden.folio);
  const moves = orden.siguientes_estados.filter((e) => e !== "entregado");
  return h(
    "li",
    { class: "tarjeta-orden", dataset: { id: orden.id } },
    h(
      "div",
      { class: "fila-tarjeta" },
      h("a", { href: `#/ordenes/${orden.id}`, class: "folio", "data-role": "abrir" }, folio),
      orden.fecha_promesa ? h("span", { class: "tenue promesa", title: "Fecha promesa" }, fmt.date(orden.fecha_promesa)) : null,
    ),
    h("div", { class: "cliente" }, orden.cliente_nombre),
    h("div", { class: "tenue" }, equipoTexto(orden)),
    h("div", { class: "falla" }, orden.falla_reportada),
    moves.length || orden.siguientes_estados.includes("entregado")
      ? h(
          "div",
          { class: "acciones-tarjeta" },
          moves.length
            ? h(
                "button",
                {
                  type: "button",
                  "data-role": "mover",
                  "aria-label": `Mover ${folio}`,
                  on: {
                    click: async (event) => {
                      const button = event.currentTarget;
                      const moved = await moveDialog(orden);
                      if (moved) onMoved(moved);
                      else button.focus();
                    },
                  },
                },
                "Mover…",
              )
            : null,
          orden.siguientes_estados.includes("entregado")
            ? h("a", { class: "boton", href: `#/ordenes/${orden.id}?entregar=1`, "data-role": "entregar", "aria-label": `Entregar ${folio}` }, "Entregar…")
            : null,
        )
      : null,
  );
}

/** Arrow keys walk the board: up/down within a column, left/right to the next column. */
function boardKeys(board) {
  board.addEventListener("keydown", (event) => {
    const link = event.target.closest && event.target.closest("a.folio");
    if (!link || !["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const item = link.closest("li");
    let next = null;
    if (event.key === "ArrowDown") next = item.nextElementSibling;
    else if (event.key === "ArrowUp") next = item.previousElementSibling;
    else {
      let column = link.closest(".columna");
      do column = event.key === "ArrowRight" ? column.nextElementSibling : column.previousElementSibling;
      while (column && !column.querySelector("li.tarjeta-orden"));
      next = column && column.querySelector("li.tarjeta-orden");
    }
    if (next) next.querySelector("a.folio").focus();
    event.preventDefault();
  });
}

async function boardScreen(root, ctx) {
  const tecnicos = await loadTecnicos();
  const board = h("div", { class: "tablero", role: "region", "aria-label": "Tablero de órdenes por estado" });
  let asked = 0;
  let focusAfter = null; // a card just moved: focus it once it shows in its new column

  async function load() {
    const mine = ++asked;
    const { tecnico, q } = bar.read();
    const pages = await Promise.all(OPEN.map((estado) => api.get("/ordenes", { estado, tecnico_id: tecnico, q, limit: 25 })));
    if (mine !== asked) return;
    const moved = (orden) => {
      ctx.notify(`${fmt.folioOrden(orden.folio)} pasó a «${fmt.estado(orden.estado)}».`, "ok");
      focusAfter = orden.id;
      load().catch((error) => ctx.notify(error.message, "error"));
    };
    keepingFocus(board, () =>
      replace(
        board,
        OPEN.map((estado, i) => {
          const page = pages[i];
          const titleId = `columna-${estado}`;
          return h(
            "section",
            { class: `columna estado-${estado}`, "aria-labelledby": titleId },
            h("h2", { id: titleId }, fmt.estado(estado), " ", h("span", { class: "cuenta" }, page.has_more ? `${page.items.length}+` : page.items.length)),
            h(
              "ul",
              { class: "tarjetas" },
              page.items.map((orden) => card(orden, ctx, moved)),
              page.items.length ? null : h("li", { class: "vacio" }, "Ninguna"),
            ),
            page.has_more ? h("a", { class: "mas", href: `#/ordenes?estado=${estado}` }, "Ver todas en la lista") : null,
          );
        }),
      ),
    );
    if (focusAfter) {
      const target = board.querySelector(`[data-id="${CSS.escape(focusAfter)}"] a.folio`);
      focusAfter = null;
      if (target) target.focus();
    }
  }

  const bar = filters(
    ctx,
    tecnicos,
    () => {
      setUrl("/ordenes/tablero", bar.read());
      load().catch((error) => ctx.notify(error.message, "error"));
    },
    { withEstado: false },
  );
  boardKeys(board);
  replace(
    root,
    header("Tablero de órdenes", { href: "#/ordenes", label: "Ver lista" }),
    bar.element,
    board,
    h("p", { class: "tenue nota-tablero" }, "Flechas: moverse entre tarjetas · Enter: abrir · Entregadas y canceladas: en la lista."),
  );
  const refresh = debounce(() => load().catch(() => {}), 300);
  ctx.on("orden_creada", refresh);
  ctx.on("orden_actualizada", refresh);
  bar.focus();
  return load();
}

export default {
  title: "Órdenes",
  mount: (root, params, ctx) => listScreen(root, ctx),
};

export const tablero = {
  title: "Tablero de órdenes",
  mount: (root, params, ctx) => boardScreen(root, ctx),
};
