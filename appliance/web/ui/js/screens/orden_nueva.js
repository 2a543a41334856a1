// Recibir equipo: the intake of a device into a new service order. Customer picker with
// search as you type and inline quick create, the device, accessories, passcode or unlock
// pattern, condition checklist, fault, estimate, deposit, promised date and technician.
// Everything typed is a draft until the order is saved, so a reload loses nothing.

import { api } from "../api.js";
import { confirmDialog } from "../dialogs.js";
import { debounce, h, replace, TYPING_MS, uid } from "../dom.js";
import * as fmt from "../format.js";
import { drafts, field, keepDraft, onSubmit } from "../forms.js";
import { newClienteDialog } from "./clientes.js";
import { EQUIPOS, loadTecnicos } from "./ordenes.js";

const DRAFT = "orden-nueva";
const CLIENTE_DRAFT = "orden-nueva-cliente";

// Common findings at the counter, as the order's checklist stores them: {punto, estado}.
const CHECKS = [
  ["cond_pantalla", "Pantalla estrellada", "Pantalla", "Estrellada"],
  ["cond_golpes", "Golpes", "Carcasa", "Golpes"],
  ["cond_rayones", "Rayones", "Carcasa", "Rayones"],
  ["cond_mojado", "Mojado", "Humedad", "Mojado"],
  ["cond_bateria", "Sin batería", "Batería", "Sin batería"],
];
const ENCIENDE = [
  ["", "Sin probar"],
  ["Enciende", "Sí enciende"],
  ["No enciende", "No enciende"],
];

/**
 * The customer picker: a combobox over GET /clientes (search as you type, arrows and Enter),
 * an inline "new customer" dialog, and the chosen customer in a hidden `cliente_id`.
 */
function clientePicker(onPicked) {
  const listId = uid("clientes");
  const hidden = h("input", { type: "hidden", name: "cliente_id" });
  const search = h("input", {
    type: "search",
    id: uid("buscar-cliente"),
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    "data-field": "cliente_id",
    autocomplete: "off",
    placeholder: "Nombre, teléfono o correo",
  });
  const list = h("ul", { id: listId, role: "listbox", class: "sugerencias", "aria-label": "Clientes encontrados", hidden: true });
  const chosen = h("div", { class: "elegido", hidden: true });
  const nuevo = h("button", { type: "button", "aria-keyshortcuts": "Alt+c" }, "Nuevo cliente (Alt C)");
  const error = h("small", { class: "field-error", id: `${search.id}-error`, role: "alert" });
  search.setAttribute("aria-describedby", error.id);
  let found = [];
  let active = -1;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    const li = list.children[index];
    if (li) {
      search.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  };

  function show(cliente) {
    hidden.value = cliente ? cliente.id : "";
    drafts.save(CLIENTE_DRAFT, cliente);
    hidden.dispatchEvent(new Event("input", { bubbles: true })); // the form's draft keeps the id
    if (!cliente) {
      chosen.hidden = true;
      search.hidden = false;
      nuevo.hidden = false;
      return;
    }
    replace(
      chosen,
      h("strong", {}, cliente.nombre),
      h("span", { class: "tenue" }, cliente.telefono || "Sin teléfono"),
      h(
        "button",
        {
          type: "button",
          class: "link",
          on: {
            click: () => {
              show(null);
              search.focus();
            },
          },
        },
        "Cambiar cliente",
      ),
    );
    chosen.hidden = false;
    search.hidden = true;
    nuevo.hidden = true;
    search.removeAttribute("aria-invalid");
    error.textContent = "";
    close();
  }

  function pick(cliente) {
    show(cliente);
    search.value = "";
    onPicked();
  }

  async function lookup() {
    const q = search.value.trim();
    const mine = ++asked;
    if (!q) {
      close();
      return;
    }
    const page = await api.get("/clientes", { q, limit: 8 });
    if (mine !== asked) return;
    found = page.items;
    replace(
      list,
      found.map((c, i) =>
        h(
          "li",
          { role: "option", id: `${listId}-${i}`, "aria-selected": "false", on: { mousedown: (e) => e.preventDefault(), click: () => pick(c) } },
          h("span", {}, c.nombre),
          h("span", { class: "tenue" }, c.telefono || c.email || ""),
        ),
      ),
      found.length ? null : h("li", { class: "vacio", role: "presentation" }, `Ningún cliente coincide con «${q}». Alt C lo da de alta.`),
    );
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    highlight(found.length ? 0 : -1);
  }

  const quickCreate = async () => {
    const cliente = await newClienteDialog(search.value.trim());
    if (cliente) pick(cliente);
    else search.focus();
  };

  search.addEventListener("input", debounce(() => lookup().catch((e) => (error.textContent = e.message)), TYPING_MS));
  search.addEventListener("keydown", (event) => {
    const open = !list.hidden && found.length;
    if (event.key === "ArrowDown" && open) highlight(Math.min(active + 1, found.length - 1));
    else if (event.key === "ArrowUp" && open) highlight(Math.max(active - 1, 0));
    else if (event.key === "Enter") {
      if (open && active >= 0) pick(found[active]);
    } else if (event.key === "Escape" && !list.hidden) close();
    else return;
    event.preventDefault(); // Enter here picks a customer, it does not submit the intake
  });
  search.addEventListener("blur", () => setTimeout(close, 150));
  nuevo.addEventListener("click", quickCreate);

  const element = h(
    "div",
    { class: "field picker" },
    h("label", { for: search.id }, "Cliente", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    chosen,
    h("div", { class: "buscador" }, search, nuevo),
    list,
    error,
    hidden,
  );
  return { element, hidden, show, pick, quickCreate, focus: () => (search.hidden ? chosen.querySelector("button") : search).focus() };
}

/**
 * The unlock pattern on a 3×3 grid of numbered dots. Drawn with the mouse (press and drag
 * over the dots, or click them in order) or typed: keys 1–9 add a dot, Backspace removes
 * the last one, Delete clears. The sequence ("1-2-3-6-9") lives in the hidden `input`.
 */
function patternPad(input) {
  const size = 180;
  const step = size / 3;
  const at = (dot) => ({ x: ((dot - 1) % 3) * step + step / 2, y: Math.floor((dot - 1) / 3) * step + step / 2 });
  const read = () => (input.value ? input.value.split("-").map(Number) : []);
  const labelId = uid("patron");
  const said = h("p", { class: "patron-texto", "aria-live": "polite" });
  const svg = h("svg:svg", { viewBox: `0 0 ${size} ${size}`, class: "patron-svg", "aria-hidden": "true" });
  const pad = h(
    "div",
    { class: "patron", tabindex: "0", role: "group", "aria-labelledby": labelId, "aria-describedby": `${labelId}-ayuda` },
    svg,
  );
  let drawing = false;

  function set(dots) {
    input.value = dots.join("-");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    draw();
  }

  function add(dot) {
    const dots = read();
    if (!dots.includes(dot)) set([...dots, dot]);
  }

  function draw() {
    const dots = read();
    svg.replaceChildren();
    if (dots.length > 1) {
      svg.append(h("svg:polyline", { class: "patron-linea", points: dots.map((d) => `${at(d).x},${at(d).y}`).join(" ") }));
    }
    for (let dot = 1; dot <= 9; dot += 1) {
      const { x, y } = at(dot);
      const order = dots.indexOf(dot);
      const group = h("svg:g", { class: order >= 0 ? "patron-punto activo" : "patron-punto", dataset: { punto: dot } });
      group.append(h("svg:circle", { cx: x, cy: y, r: 22, class: "patron-zona" }), h("svg:circle", { cx: x, cy: y, r: 9, class: "patron-centro" }));
      group.append(h("svg:text", { x: x + 14, y: y - 12, class: "patron-numero" }, String(dot)));
      if (order >= 0) group.append(h("svg:text", { x, y: y + 4, class: "patron-orden", "text-anchor": "middle" }, String(order + 1)));
      svg.append(group);
    }
    said.textContent = dots.length ? `Patrón: ${dots.join("-")}` : "Sin patrón dibujado.";
  }

  const dotUnder = (event) => {
    const target = document.elementFromPoint(event.clientX, event.clientY);
    const group = target && target.closest && target.closest("[data-punto]");
    return group && pad.contains(group) ? Number(group.dataset.punto) : null;
  };
  pad.addEventListener("pointerdown", (event) => {
    const dot = dotUnder(event);
    if (!dot) return;
    if (!drawing && read().length && !read().includes(dot)) set([]); // a new stroke starts a new pattern
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    add(dot);
    event.preventDefault();
  });
  pad.addEventListener("pointermove", (event) => {
    const dot = drawing && dotUnder(event);
    if (dot) add(dot);
  });
  const stop = () => (drawing = false);
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  pad.addEventListener("keydown", (event) => {
    if (/^[1-9]$/.test(event.key)) add(Number(event.key));
    else if (event.key === "Backspace") set(read().slice(0, -1));
    else if (event.key === "Delete") set([]);
    else return;
    event.preventDefault();
  });
  draw();
  const element = h(
    "div",
    { class: "field patron-campo" },
    h("span", { class: "etiqueta-campo", id: labelId }, "Patrón de desbloqueo"),
    h(
      "div",
      { class: "patron-fila" },
      pad,
      h(
        "div",
        { class: "patron-lado" },
        said,
        h("small", { class: "hint", id: `${labelId}-ayuda` }, "Dibuja con el mouse, o con el foco en la cuadrícula teclea 1–9 en orden (1 arriba a la izquierda, 9 abajo a la derecha). Retroceso borra el último punto; Supr lo borra todo."),
        h("div", { class: "acciones" }, h("button", { type: "button", on: { click: () => set(read().slice(0, -1)) } }, "Borrar último"), h("button", { type: "button", on: { click: () => set([]) } }, "Limpiar")),
      ),
    ),
  );
  return { element, redraw: draw };
}

/** The order's `condicion` from the checklist, the power test and the free lines ("Punto: estado"). */
function condicionOf(values) {
  const condicion = CHECKS.filter(([name]) => values[name]).map(([, , punto, estado]) => ({ punto, estado }));
  if (values.encendido) condicion.push({ punto: "Encendido", estado: values.encendido });
  for (const line of (values.condicion_otras || "").split("\n")) {
    const text = line.trim();
    if (!text) continue;
    const named = /^([^:]+):\s*(.+)$/.exec(text);
    condicion.push(named ? { punto: named[1].trim(), estado: named[2].trim() } : { punto: "Observación", estado: text });
  }
  return condicion;
}

function contrasenaOf(values) {
  if (values.acceso === "texto") return values.clave;
  if (values.acceso === "patron") return values.patron ? `patrón ${values.patron}` : null;
  return null;
}

function section(title, ...children) {
  return h("fieldset", { class: "seccion" }, h("legend", {}, title), children);
}

async function mount(root, params, ctx) {
  const tecnicos = await loadTecnicos();
  const equipo = field({
    name: "equipo",
    label: "Tipo de equipo",
    type: "select",
    required: true,
    value: "celular",
    options: Object.entries(EQUIPOS),
  });
  const picker = clientePicker(() => equipo.querySelector("select").focus());
  const patron = h("input", { type: "hidden", name: "patron" });
  const pad = patternPad(patron);
  const acceso = field({
    name: "acceso",
    label: "Acceso al equipo",
    type: "select",
    value: "ninguno",
    options: [
      ["ninguno", "Sin contraseña"],
      ["texto", "Contraseña o PIN"],
      ["patron", "Patrón de desbloqueo"],
    ],
  });
  const clave = field({ name: "clave", label: "Contraseña o PIN", attrs: { autocomplete: "off", maxlength: 100, "data-field": "contrasena" } });
  const serie = field({ name: "numero_serie", label: "Serie / IMEI", attrs: { autocomplete: "off", maxlength: 80, "data-scan-target": "" } });
  const serieInput = serie.querySelector("input");

  const wide = (node) => {
    node.classList.add("ancho");
    return node;
  };
  const form = h(
    "form",
    { class: "recepcion", novalidate: true, "aria-label": "Recibir equipo" },
    h("p", { class: "form-error", role: "alert" }),
    h(
      "div",
      { class: "recepcion-columnas" },
      h(
        "div",
        {},
        section("Cliente", picker.element),
        section(
          "Equipo",
          h(
            "div",
            { class: "grid" },
            equipo,
            field({ name: "marca", label: "Marca", attrs: { autocomplete: "off", maxlength: 60 } }),
            field({ name: "modelo", label: "Modelo", attrs: { autocomplete: "off", maxlength: 80 } }),
            serie,
            field({ name: "color", label: "Color", attrs: { autocomplete: "off", maxlength: 40 } }),
            wide(field({ name: "accesorios", label: "Accesorios que deja", hint: "p. ej. funda, cargador, chip, memoria", attrs: { autocomplete: "off", maxlength: 300 } })),
          ),
        ),
        section("Acceso", h("div", { class: "grid" }, acceso, clave), pad.element, patron),
      ),
      h(
        "div",
        {},
        section(
          "Condición al recibir",
          h(
            "div",
            { class: "checks" },
            CHECKS.map(([name, label]) => field({ name, label, type: "checkbox" })),
            field({ name: "encendido", label: "¿Enciende?", type: "select", options: ENCIENDE }),
          ),
          field({
            name: "condicion_otras",
            label: "Otras observaciones",
            type: "textarea",
            rows: 2,
            hint: "Una por línea; «Punto: estado», p. ej. «Cámara: no enfoca».",
            attrs: { "data-field": "condicion" },
          }),
        ),
        section(
          "Servicio",
          field({ name: "falla_reportada", label: "Falla reportada", type: "textarea", rows: 3, required: true, attrs: { maxlength: 2000 } }),
          h(
            "div",
            { class: "grid" },
            field({ name: "presupuesto", label: "Presupuesto (MXN)", type: "number", attrs: { min: 0 } }),
            field({ name: "anticipo", label: "Anticipo (MXN)", type: "number", attrs: { min: 0 } }),
            field({ name: "fecha_promesa", label: "Fecha promesa", type: "datetime-local" }),
            field({
              name: "tecnico_id",
              label: "Técnico",
              type: "select",
              options: [["", "Sin asignar"], ...tecnicos.map((t) => [t.id, t.nombre])],
            }),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "acciones" },
      h("button", { type: "submit", class: "primary", "aria-keyshortcuts": "Control+Enter" }, "Recibir equipo (Ctrl Enter)"),
      h("a", { class: "boton", href: "#/ordenes", "data-cancel": "" }, "Salir (el borrador se queda)"),
      h("button", { type: "button", class: "link", on: { click: discard } }, "Descartar borrador"),
    ),
  );

  const accessShown = () => {
    const mode = form.elements.acceso.value;
    clave.hidden = mode !== "texto";
    pad.element.hidden = mode !== "patron";
  };
  form.elements.acceso.addEventListener("change", accessShown);

  const draft = keepDraft(form, DRAFT);
  pad.redraw();
  accessShown();
  const kept = drafts.load(CLIENTE_DRAFT);
  if (kept && kept.id === picker.hidden.value) picker.show(kept);

  async function discard() {
    if (!(await confirmDialog("Se borrará todo lo capturado en esta recepción.", { title: "Descartar borrador", confirm: "Descartar", kind: "danger" }))) return;
    draft.clear();
    drafts.clear(CLIENTE_DRAFT);
    ctx.navigate("/ordenes/nueva");
  }

  onSubmit(form, async (values) => {
    if (form.elements.fecha_promesa.validity.badInput) {
      // A date typed without its time reads as empty: say so rather than drop it.
      throw { message: "Completa la fecha promesa: día, mes, año y hora.", fields: { fecha_promesa: "Fecha u hora incompleta." } };
    }
    const body = {
      cliente_id: values.cliente_id,
      equipo: values.equipo,
      marca: values.marca,
      modelo: values.modelo,
      numero_serie: values.numero_serie,
      color: values.color,
      accesorios: values.accesorios,
      contrasena: contrasenaOf(values),
      falla_reportada: values.falla_reportada,
      condicion: condicionOf(values),
      presupuesto: values.presupuesto,
      anticipo: values.anticipo,
      fecha_promesa: values.fecha_promesa,
      tecnico_id: values.tecnico_id,
    };
    try {
      const orden = await api.post("/ordenes", body);
      draft.clear();
      drafts.clear(CLIENTE_DRAFT);
      ctx.notify(`Orden ${fmt.folioOrden(orden.folio)} recibida.`, "ok");
      ctx.navigate(`/ordenes/${orden.id}`);
    } catch (error) {
      // Each checklist line's message ("condicion.3.estado") goes next to the free-text lines.
      for (const name of Object.keys(error.fields || {})) {
        if (name.startsWith("condicion.") && !error.fields.condicion) error.fields.condicion = error.fields[name];
      }
      throw error;
    }
  });

  replace(
    root,
    h("div", { class: "encabezado" }, h("h1", {}, "Recibir equipo"), draft.restored ? h("span", { class: "insignia" }, "Borrador recuperado") : null),
    form,
  );
  ctx.keys({
    "Ctrl+Enter": { description: "Recibir el equipo (guardar la orden)", handler: () => form.requestSubmit() },
    "Alt+c": { description: "Dar de alta un cliente nuevo", handler: () => picker.quickCreate() },
  });
  // An IMEI scanned into its field stays there; any other scan goes to the global lookup.
  ctx.onScan((code, target, isTarget) => isTarget && target === serieInput);

  const preselected = ctx.query.get("cliente");
  if (preselected && preselected !== picker.hidden.value) {
    picker.pick(await api.get(`/clientes/${encodeURIComponent(preselected)}`));
  } else if (picker.hidden.value) {
    equipo.querySelector("select").focus();
  } else {
    picker.focus();
  }
}

export default { title: "Recibir equipo", mount };
