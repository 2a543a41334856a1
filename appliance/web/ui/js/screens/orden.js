// One service order: who and what, its state with the moves the server allows this user,
// the bench's work (diagnosis, estimate, final cost, notes), parts and labor, the balance,
// WhatsApp messages, printing, the history, and delivery (charging the balance through a
// sale, or recording it as owed). Another counter's change redraws what is shown, never a
// form being typed in.

import { api } from "../api.js";
import { openDialog } from "../dialogs.js";
import { debounce, h, replace, TYPING_MS } from "../dom.js";
import * as fmt from "../format.js";
import { field, keepDraft, onSubmit, readForm, showErrors } from "../forms.js";
import { printerControl, printIntake, printLabel } from "../print.js";
import { dataTable } from "../table.js";
import { equipoTexto, loadTecnicos, moveDialog } from "./ordenes.js";

const EDITABLE = ["diagnostico", "presupuesto", "costo_final", "tecnico_id", "notas"];
const asInput = (value) => (value === null || value === undefined ? "" : String(value));
const closed = (orden) => orden.estado === "entregado" || orden.estado === "cancelado";

function dl(rows) {
  return h(
    "dl",
    { class: "datos" },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
}

/**
 * The payment for the balance: method and amount received; the server quotes the sale
 * (POST /ventas/cotizar) for the change or what is missing. Resolves with the sale, or null.
 */
function payDialog(orden) {
  const folio = fmt.folioOrden(orden.folio);
  return new Promise((resolve) => {
    let venta = null;
    const quote = h("div", { class: "cotizacion", "aria-live": "polite" });
    const metodo = field({ name: "metodo", label: "Forma de pago", type: "select", value: "efectivo", options: fmt.metodos.map((m) => [m, fmt.metodo(m)]), attrs: { "data-field": "pagos.0.metodo" } });
    const monto = field({ name: "monto", label: "Recibido (MXN)", type: "number", value: orden.saldo, attrs: { min: 0, "data-field": "pagos.0.monto" } });
    const referencia = field({ name: "referencia", label: "Referencia (opcional)", attrs: { maxlength: 80, autocomplete: "off", "data-field": "pagos.0.referencia" } });
    const form = h(
      "form",
      { novalidate: true, class: "cobro" },
      h("p", { class: "form-error", role: "alert" }),
      h("p", {}, `Reparación ${folio}: saldo `, h("strong", {}, fmt.money(orden.saldo))),
      h("div", { class: "grid" }, metodo, monto, referencia),
      quote,
    );
    const body = () => {
      const values = readForm(form);
      return {
        orden_id: orden.id,
        items: [{ descripcion: `Reparación ${folio}`, cantidad: 1, precio_unitario: orden.saldo }],
        pagos: [{ metodo: values.metodo, monto: values.monto, referencia: values.referencia }],
      };
    };
    let asked = 0;
    const cotizar = debounce(async () => {
      const mine = ++asked;
      try {
        const q = await api.post("/ventas/cotizar", body());
        if (mine !== asked) return;
        replace(
          quote,
          dl([
            ["Total", fmt.money(q.total)],
            ["Recibido", fmt.money(q.pagado)],
            q.falta > 0 ? ["Falta", h("strong", { class: "aviso" }, fmt.money(q.falta))] : ["Cambio", h("strong", {}, fmt.money(q.cambio))],
          ]),
        );
      } catch (error) {
        if (mine === asked) replace(quote, h("p", { class: "aviso" }, error.message));
      }
    }, 200);
    form.addEventListener("input", cotizar);
    form.addEventListener("change", cotizar);
    const charge = async (close) => {
      try {
        venta = await api.post("/ventas", body());
        close();
      } catch (error) {
        if (error.fields === undefined) throw error;
        showErrors(form, error);
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      dialog.element.querySelector("button.primary").click();
    });
    form.append(h("button", { type: "submit", hidden: true, tabindex: "-1" }, "Cobrar"));
    const dialog = openDialog({
      title: `Cobrar saldo de ${folio}`,
      body: form,
      onClose: () => resolve(venta),
      actions: [
        { label: "Volver", onClick: (close) => close() },
        { label: "Cobrar y entregar", kind: "primary", onClick: charge },
      ],
    });
    monto.querySelector("input").select();
    cotizar();
  });
}

/** Ask how to deliver an order with a balance: charge it, or record it as owed. */
function balanceDialog(orden) {
  return new Promise((resolve) => {
    let choice = null;
    const pick = (value) => (close) => {
      choice = value;
      close();
    };
    const actions = [{ label: "Volver", onClick: (close) => close() }, { label: "Entregar con adeudo", onClick: pick("adeudo") }];
    if (api.can("ventas:crear")) actions.push({ label: "Cobrar saldo", kind: "primary", onClick: pick("cobrar") });
    const dialog = openDialog({
      title: `Entregar ${fmt.folioOrden(orden.folio)}`,
      body: h("p", {}, "La orden tiene un saldo pendiente de ", h("strong", {}, fmt.money(orden.saldo)), "."),
      onClose: () => resolve(choice),
      actions,
    });
    dialog.element.querySelector(".dialog-actions button:last-child").focus();
  });
}

async function mount(root, { id }, ctx) {
  const [first, tecnicos] = await Promise.all([api.get(`/ordenes/${encodeURIComponent(id)}`), loadTecnicos()]);
  let orden = first;
  let taller = null;
  const nombres = new Map(tecnicos.map((t) => [t.id, t.nombre]));

  const head = h("div", { class: "encabezado" });
  const summary = h("p", { class: "resumen-orden" });
  const actions = h("div", { class: "acciones acciones-orden" });
  const impresora = printerControl(); // one node, kept (and its focus) across repaints
  const actionError = h("p", { class: "form-error", role: "alert" });
  const info = h("div", { class: "tarjeta" });
  const cuenta = h("div", { class: "tarjeta" });
  const partesTabla = h("div");
  const whatsapp = h("div", { class: "tarjeta" });
  const historial = h("div", { class: "tarjeta" });

  // --- The bench's work: a kept draft with the version it was typed against -------------
  const version = h("input", { type: "hidden", name: "version" });
  const costo = field({ name: "costo_final", label: "Costo final (MXN)", type: "number", attrs: { min: 0 }, hint: api.can("ordenes:costo_final") ? "Lo que se cobrará al entregar" : "Lo fija el técnico o el dueño" });
  if (!api.can("ordenes:costo_final")) costo.querySelector("input").disabled = true;
  const conflict = h("div", { class: "conflicto", hidden: true });
  const work = h(
    "form",
    { class: "trabajo", novalidate: true, "aria-label": "Trabajo en la orden" },
    h("p", { class: "form-error", role: "alert" }),
    conflict,
    h(
      "fieldset",
      { class: "sin-borde" },
      field({ name: "diagnostico", label: "Diagnóstico", type: "textarea", rows: 3, attrs: { maxlength: 4000 } }),
      h(
        "div",
        { class: "grid" },
        field({ name: "presupuesto", label: "Presupuesto (MXN)", type: "number", attrs: { min: 0 } }),
        costo,
        field({ name: "tecnico_id", label: "Técnico", type: "select", options: [["", "Sin asignar"], ...tecnicos.map((t) => [t.id, t.nombre])] }),
      ),
      field({ name: "notas", label: "Notas internas", type: "textarea", rows: 2, attrs: { maxlength: 4000 } }),
      version,
      h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Guardar trabajo")),
    ),
  );
  const fill = (source) => {
    for (const name of EDITABLE) work.elements[name].value = asInput(source[name]);
    version.value = source.version;
  };
  fill(orden);
  const workDraft = keepDraft(work, `orden-${orden.id}`);
  // What the form's values were typed over: the server's record of that version (unknown
  // when a draft from an older version came back after a reload).
  let base = Number(version.value) === orden.version ? orden : null;
  const storeDraft = () => work.dispatchEvent(new Event("input"));

  function showConflict() {
    replace(
      conflict,
      h("p", {}, "Lo que escribiste sigue aquí. Carga la versión actual para ver qué cambió y guarda de nuevo."),
      h(
        "button",
        {
          type: "button",
          on: {
            click: async () => {
              const fresh = await api.get(`/ordenes/${orden.id}`);
              orden = fresh;
              base = fresh;
              version.value = fresh.version;
              storeDraft();
              conflict.hidden = true;
              for (const name of EDITABLE) {
                const control = work.elements[name];
                const slot = control.closest(".field").querySelector(".field-error");
                slot.textContent = control.value.trim() !== asInput(fresh[name]) ? `En el servidor: ${fresh[name] === null ? "(vacío)" : name === "tecnico_id" ? nombres.get(fresh[name]) || fresh[name] : fresh[name]}` : "";
              }
              work.querySelector(".form-error").textContent = "Se cargó la versión actual; lo que escribiste sigue aquí. Revisa y guarda de nuevo.";
              paint();
            },
          },
        },
        "Cargar la versión actual (conserva lo que escribiste)",
      ),
    );
    conflict.hidden = false;
  }

  onSubmit(work, async (values) => {
    conflict.hidden = true;
    const changes = { version: Number(values.version) };
    for (const name of EDITABLE) if (name in values) changes[name] = values[name];
    try {
      const saved = await api.put(`/ordenes/${orden.id}`, changes);
      workDraft.clear();
      base = saved;
      fill(saved);
      update(saved);
      ctx.notify("Trabajo guardado.", "ok");
    } catch (error) {
      if (error.code === "version_obsoleta") showConflict();
      throw error;
    }
  });

  // --- Parts from inventory and labor lines ---------------------------------------------
  const partForms = api.can("ordenes:partes") ? partsForms() : null;

  function partsForms() {
    let producto = null;
    const results = h("div", { class: "resultados-inventario" });
    const chosen = h("p", { class: "elegido", hidden: true });
    const search = h("input", { type: "search", id: "buscar-refaccion", autocomplete: "off", placeholder: "Nombre o código (escáner)", "data-scan-target": "", "data-field": "producto_id", "aria-describedby": "buscar-refaccion-error" });
    const cantidad = field({ name: "cantidad", label: "Cantidad", type: "number", value: 1, attrs: { min: 1 } });
    cantidad.querySelector("input").step = "1";
    let asked = 0;

    const choose = (p) => {
      producto = p;
      replace(chosen, h("strong", {}, p.nombre), ` · ${fmt.money(p.precio_venta)} · existencia ${p.stock}`);
      chosen.hidden = false;
      replace(results);
      cantidad.querySelector("input").focus();
      cantidad.querySelector("input").select();
    };
    async function find(exact) {
      const q = search.value.trim();
      const mine = ++asked;
      if (!q) return replace(results);
      const page = await api.get("/inventario", { q, limit: 8 });
      if (mine !== asked) return;
      const match = exact && page.items.find((p) => (p.codigo || "").toLowerCase() === q.toLowerCase());
      if (match) return choose(match);
      replace(
        results,
        dataTable({
          label: "Refacciones encontradas",
          columns: [
            { label: "Producto", value: (p) => p.nombre },
            { label: "Código", value: (p) => p.codigo || "—" },
            { label: "Exist.", value: (p) => p.stock, num: true },
            { label: "Precio", value: (p) => fmt.money(p.precio_venta), num: true },
          ],
          rows: page.items,
          onOpen: choose,
          empty: `Nada en el inventario coincide con «${q}».`,
        }),
      );
    }
    search.addEventListener("input", debounce(() => find(false).catch((e) => ctx.notify(e.message, "error")), TYPING_MS));
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") results.querySelector("tr.fila")?.focus();
      else if (event.key === "Enter") find(true).catch((e) => ctx.notify(e.message, "error"));
      else return;
      event.preventDefault();
    });
    ctx.onScan((code, target, isTarget) => {
      if (!isTarget || target !== search) return false;
      find(true).catch((e) => ctx.notify(e.message, "error"));
      return true;
    });

    const parte = h(
      "form",
      { class: "parte", novalidate: true, "aria-label": "Agregar refacción" },
      h("p", { class: "form-error", role: "alert" }),
      h(
        "div",
        { class: "fila-parte" },
        h("div", { class: "field buscar" }, h("label", { for: search.id }, "Refacción del inventario"), search, h("small", { class: "field-error", id: "buscar-refaccion-error", role: "alert" })),
        cantidad,
        h("button", { type: "submit" }, "Agregar refacción"),
      ),
      chosen,
      results,
    );
    onSubmit(parte, async (values) => {
      if (!producto) {
        search.focus();
        throw { message: "Elige una refacción de la búsqueda.", fields: { producto_id: "Busca y elige un producto." } };
      }
      update(await api.post(`/ordenes/${orden.id}/partes`, { tipo: "parte", producto_id: producto.id, cantidad: values.cantidad }));
      ctx.notify(`Se agregó ${producto.nombre}.`, "ok");
      producto = null;
      chosen.hidden = true;
      search.value = "";
      cantidad.querySelector("input").value = 1;
      search.focus();
    });

    const precio = field({ name: "precio_unitario", label: "Precio (MXN)", type: "number", attrs: { min: 0 } });
    const veces = field({ name: "cantidad", label: "Cantidad", type: "number", value: 1, attrs: { min: 1 } });
    veces.querySelector("input").step = "1";
    const mano = h(
      "form",
      { class: "mano-obra", novalidate: true, "aria-label": "Agregar mano de obra" },
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "fila-parte" }, field({ name: "descripcion", label: "Mano de obra", attrs: { maxlength: 200, autocomplete: "off" } }), precio, veces, h("button", { type: "submit" }, "Agregar mano de obra")),
    );
    const manoDraft = keepDraft(mano, `orden-${orden.id}-mano-obra`);
    onSubmit(mano, async (values) => {
      update(await api.post(`/ordenes/${orden.id}/partes`, { tipo: "mano_obra", ...values }));
      manoDraft.clear();
      mano.reset();
      mano.elements.cantidad.value = 1;
      ctx.notify("Mano de obra agregada.", "ok");
      mano.elements.descripcion.focus();
    });
    return h("div", { class: "agregar-partes" }, parte, mano);
  }

  // --- What is shown, redrawn on every change ------------------------------------------
  async function act(run) {
    actionError.textContent = "";
    try {
      const result = await run();
      if (result) update(result);
    } catch (error) {
      if (error.status === undefined) throw error;
      actionError.textContent = error.message;
    }
  }

  async function deliver() {
    if (!orden.siguientes_estados.includes("entregado")) return;
    const entregar = (extra, confirm, intro) => moveDialog(orden, { estado: "entregado", extra, confirm, intro });
    if (orden.saldo <= 0) return act(() => entregar({}, "Entregar"));
    const choice = await balanceDialog(orden);
    if (choice === "adeudo") {
      return act(() => entregar({ registrar_adeudo: true }, "Entregar con adeudo", `El saldo de ${fmt.money(orden.saldo)} quedará como adeudo del cliente.`));
    }
    if (choice !== "cobrar") return;
    const venta = await payDialog(orden);
    if (!venta) return;
    ctx.notify(`Venta ${fmt.folioVenta(venta.folio)} registrada.`, "ok");
    return act(async () => {
      const fresh = await api.get(`/ordenes/${orden.id}`);
      update(fresh);
      return api.put(`/ordenes/${orden.id}/estado`, { estado: "entregado", nota: `Cobrado con la venta ${fmt.folioVenta(venta.folio)}`, version: fresh.version });
    });
  }

  async function print(which) {
    actionError.textContent = "";
    try {
      taller = taller || (await api.get("/taller"));
      await which(orden, taller);
    } catch (error) {
      if (error.status === undefined) throw error;
      actionError.textContent = error.message;
    }
  }

  function paintActions() {
    const moves = orden.siguientes_estados.filter((e) => e !== "entregado");
    const focused = actions.contains(document.activeElement) ? document.activeElement : null;
    replace(
      actions,
      moves.map((estado) =>
        h(
          "button",
          {
            type: "button",
            class: estado === "cancelado" ? "danger" : "",
            dataset: { estado },
            on: { click: () => act(() => moveDialog(orden, { estado })) },
          },
          estado === "cancelado" ? "Cancelar orden" : `→ ${fmt.estado(estado)}`,
        ),
      ),
      orden.siguientes_estados.includes("entregado")
        ? h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Alt+e", on: { click: deliver } }, "Entregar (Alt E)")
        : null,
      !orden.siguientes_estados.length && !closed(orden) ? h("span", { class: "tenue" }, "El siguiente paso le toca a otro rol.") : null,
      h("span", { class: "espacio" }),
      h("button", { type: "button", on: { click: () => print(printIntake) } }, "Imprimir recepción"),
      h("button", { type: "button", on: { click: () => print(printLabel) } }, "Etiqueta"),
      impresora,
    );
    const again = focused && (impresora.contains(focused) ? focused : [...actions.querySelectorAll("button")].find((b) => b.textContent === focused.textContent));
    if (again) again.focus();
  }

  function paint() {
    const folio = fmt.folioOrden(orden.folio);
    replace(
      head,
      h("h1", {}, folio, " ", h("span", { class: `insignia grande estado-${orden.estado}` }, fmt.estado(orden.estado))),
      h("a", { class: "boton", href: "#/ordenes", "data-cancel": "" }, "Volver a órdenes"),
    );
    replace(
      summary,
      h("a", { href: `#/clientes/${orden.cliente_id}` }, orden.cliente_nombre),
      ` · ${orden.cliente_telefono || "sin teléfono"} · ${equipoTexto(orden)}`,
      orden.numero_serie ? ` · ${orden.numero_serie}` : "",
    );
    paintActions();
    replace(
      info,
      h("h2", {}, "Equipo y recepción"),
      dl([
        ["Equipo", equipoTexto(orden)],
        ["Serie / IMEI", orden.numero_serie],
        ["Color", orden.color],
        ["Accesorios", orden.accesorios],
        ["Contraseña / patrón", orden.contrasena],
        ["Falla reportada", orden.falla_reportada],
        ["Condición", orden.condicion.length ? h("ul", { class: "condicion" }, orden.condicion.map((p) => h("li", {}, h("strong", {}, p.punto), `: ${p.estado}`))) : "Sin observaciones"],
        ["Recibido", fmt.dateTime(orden.creado_en)],
        ["Promesa", orden.fecha_promesa ? fmt.dateTime(orden.fecha_promesa) : null],
        ["Entregado", orden.fecha_entrega ? fmt.dateTime(orden.fecha_entrega) : null],
        ["Técnico", nombres.get(orden.tecnico_id) || "Sin asignar"],
        ["Garantía", `${orden.garantia_dias} días`],
      ]),
    );
    replace(
      cuenta,
      h("h2", {}, "Cuenta"),
      dl([
        ["Presupuesto", fmt.money(orden.presupuesto)],
        ["Partes y mano de obra", fmt.money(orden.total_partes)],
        ["Costo final", fmt.money(orden.costo_final)],
        ["Anticipo", fmt.money(orden.anticipo)],
        ["Pagado", fmt.money(orden.pagado)],
        ["Saldo", h("strong", { class: orden.saldo > 0 ? "aviso" : "" }, fmt.money(orden.saldo))],
        ...(orden.adeudo > 0 ? [["Adeudo", h("strong", { class: "aviso" }, fmt.money(orden.adeudo))]] : []),
      ]),
    );
    replace(
      partesTabla,
      dataTable({
        label: "Partes y mano de obra",
        columns: [
          { label: "Descripción", value: (p) => [p.descripcion, p.tipo === "mano_obra" ? h("span", { class: "tenue" }, " (mano de obra)") : null] },
          { label: "Cant.", value: (p) => p.cantidad, num: true },
          { label: "Precio", value: (p) => fmt.money(p.precio_unitario), num: true },
          { label: "Importe", value: (p) => fmt.money(p.importe), num: true },
          { label: "Por", value: (p) => p.usuario || "—" },
        ],
        rows: orden.partes,
        empty: "Sin partes ni mano de obra.",
      }),
      h("p", { class: "total-partes" }, "Total: ", h("strong", {}, fmt.money(orden.total_partes))),
    );
    if (partForms) partForms.hidden = closed(orden);
    replace(
      historial,
      h("h2", {}, "Historial"),
      h(
        "ol",
        { class: "linea-tiempo" },
        orden.historial.map((c) =>
          h(
            "li",
            {},
            h("time", { datetime: c.fecha }, fmt.dateTime(c.fecha)),
            h("span", {}, c.de_estado ? `${fmt.estado(c.de_estado)} → ` : "", h("strong", {}, fmt.estado(c.a_estado))),
            c.usuario ? h("span", { class: "tenue" }, ` · ${c.usuario}`) : null,
            c.nota ? h("div", { class: "nota" }, c.nota) : null,
          ),
        ),
      ),
    );
    work.querySelector("fieldset").disabled = closed(orden);
  }

  async function paintWhatsapp() {
    let data;
    try {
      data = await api.get(`/ordenes/${orden.id}/whatsapp`);
    } catch (error) {
      replace(whatsapp, h("h2", {}, "WhatsApp"), h("p", { class: "tenue" }, error.message));
      return;
    }
    replace(
      whatsapp,
      h("h2", {}, "WhatsApp"),
      data.numero
        ? h(
            "div",
            { class: "acciones" },
            data.mensajes.map((m) =>
              m.url ? h("a", { class: "boton", href: m.url, target: "_blank", rel: "noopener", title: m.texto }, m.titulo) : null,
            ),
          )
        : h("p", { class: "aviso" }, data.error),
    );
  }
  const refreshWhatsapp = debounce(() => paintWhatsapp(), 300);

  /**
   * Bring the work form up to `next` without losing what is typed: fields nobody typed in
   * show the new values, typed ones stay, and the form moves to the new version. When the
   * change touched a field being typed in, nothing moves: saving then gets the server's
   * conflict, and the person chooses.
   */
  function merge(next) {
    if (!base) return;
    const touched = EDITABLE.filter((name) => !work.elements[name].disabled && work.elements[name].value.trim() !== asInput(base[name]));
    if (touched.some((name) => asInput(base[name]) !== asInput(next[name]))) return;
    for (const name of EDITABLE) if (!touched.includes(name)) work.elements[name].value = asInput(next[name]);
    version.value = next.version;
    base = next;
    if (touched.length) storeDraft();
    else workDraft.clear();
  }

  /** A newer record of this order from anywhere (our own answer, another counter's event). */
  function update(next) {
    if (next.version < orden.version) return;
    const previous = orden;
    orden = next;
    merge(next);
    paint();
    if (previous.estado !== next.estado || previous.presupuesto !== next.presupuesto || previous.version !== next.version) refreshWhatsapp();
  }

  replace(
    root,
    head,
    summary,
    actions,
    actionError,
    h(
      "div",
      { class: "columnas detalle-orden" },
      h("div", {}, info, h("div", { class: "tarjeta" }, h("h2", {}, "Trabajo"), work)),
      h("div", {}, cuenta, h("div", { class: "tarjeta" }, h("h2", {}, "Partes y mano de obra"), partesTabla, partForms), whatsapp, historial),
    ),
  );
  paint();
  paintWhatsapp();

  ctx.on("orden_actualizada", (data) => data.id === orden.id && update(data));
  const reload = debounce(async () => update(await api.get(`/ordenes/${orden.id}`)), 200);
  ctx.on("venta_creada", (venta) => venta.orden_id === orden.id && reload());
  ctx.on("venta_cancelada", (venta) => venta.orden_id === orden.id && reload());
  ctx.keys({
    "Alt+e": { description: "Entregar la orden", handler: deliver },
    "Ctrl+Enter": {
      description: "Guardar el formulario en el que escribes",
      handler: () => {
        const form = document.activeElement && document.activeElement.closest && document.activeElement.closest("main form");
        if (form) form.requestSubmit();
      },
    },
  });
  if (ctx.query.get("entregar")) {
    history.replaceState(null, "", `#/ordenes/${orden.id}`); // a reload shows the order, not the dialog again
    deliver();
  }
}

export default { title: "Orden de servicio", mount };
