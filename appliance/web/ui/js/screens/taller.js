// Datos del taller: the shop's name, address, tax data, warranty terms and ticket footer,
// printed on receipts and tickets and used in messages. Every role reads them; the owner
// edits them (guarded by `version`, so two edits at once never overwrite each other).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { field, keepDraft, onSubmit } from "../forms.js";

const FIELDS = [
  { name: "nombre", label: "Nombre del taller", hint: "Como sale en tickets, recibos y mensajes", attrs: { autocomplete: "organization" } },
  { name: "telefono", label: "Teléfono", type: "tel", attrs: { autocomplete: "tel" } },
  { name: "rfc", label: "RFC", hint: "Con homoclave, p. ej. PEJU800101AB1" },
  { name: "regimen_fiscal", label: "Régimen fiscal", hint: "p. ej. 626 - Régimen Simplificado de Confianza" },
  { name: "direccion", label: "Dirección", type: "textarea", rows: 2, wide: true },
  { name: "garantia", label: "Términos de la garantía", type: "textarea", rows: 5, wide: true, hint: "Salen en el recibo de cada equipo recibido" },
  { name: "pie_ticket", label: "Pie del ticket", type: "textarea", rows: 3, wide: true, hint: "Al final de cada ticket de venta" },
];

function readOnly(taller) {
  return h(
    "dl",
    { class: "datos taller-datos" },
    FIELDS.map((spec) => [h("dt", {}, spec.label), h("dd", { class: "multilinea" }, taller[spec.name] || h("span", { class: "tenue" }, "Sin capturar"))]),
  );
}

function editor(taller, onSaved) {
  const form = h(
    "form",
    { class: "taller-form", novalidate: true },
    h("p", { class: "form-error", role: "alert" }),
    h(
      "div",
      { class: "grid" },
      FIELDS.map((spec) => {
        const wrapper = field({ ...spec, value: taller[spec.name] });
        if (spec.wide) wrapper.classList.add("ancho");
        return wrapper;
      }),
    ),
    h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Guardar datos del taller")),
  );
  const draft = keepDraft(form, `taller-v${taller.version}`);
  onSubmit(form, async (values) => {
    const saved = await api.put("/taller", { ...values, version: taller.version });
    draft.clear();
    onSaved(saved);
  });
  return form;
}

export default {
  title: "Datos del taller",
  async mount(root, params, ctx) {
    let taller = await api.get("/taller");
    const canEdit = api.can("taller:editar");
    const body = h("div");
    const stale = h("div", { class: "aviso-cambio", role: "status" });
    const updated = h("span", { class: "tenue" });

    function show() {
      updated.textContent = taller.actualizado_en ? `Actualizado ${fmt.dateTime(taller.actualizado_en)}` : "Aún sin capturar";
      replace(stale);
      if (!canEdit) {
        replace(body, h("div", { class: "tarjeta" }, readOnly(taller)), h("p", { class: "tenue" }, "Solo el dueño del taller puede cambiar estos datos."));
        return;
      }
      replace(
        body,
        h(
          "div",
          { class: "tarjeta" },
          editor(taller, (saved) => {
            taller = saved;
            ctx.notify("Datos del taller guardados.", "ok");
            show();
          }),
        ),
      );
      body.querySelector("[name=nombre]").focus();
    }

    replace(
      root,
      h("div", { class: "encabezado" }, h("h1", {}, "Datos del taller"), updated),
      h("p", { class: "tenue" }, "Estos datos salen en los recibos, los tickets, las etiquetas y los mensajes de WhatsApp."),
      stale,
      body,
    );
    show();

    ctx.on("taller_actualizado", (fresh) => {
      if (fresh.version === taller.version) return; // our own save, already shown
      if (!canEdit) {
        taller = fresh;
        show();
        return;
      }
      // Someone else saved while this form is open: offer their data, keep what is typed.
      replace(
        stale,
        h("p", { class: "aviso" }, "Otra sesión guardó los datos del taller mientras editabas. Si guardas ahora, el servidor te avisará del conflicto."),
        h(
          "button",
          {
            type: "button",
            on: {
              click: () => {
                taller = fresh;
                show();
              },
            },
          },
          "Cargar los datos nuevos (descarta lo que escribiste)",
        ),
      );
    });
  },
};
