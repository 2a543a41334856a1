// Revisar (desktop client only): what this counter did offline that the server refused or
// found changed by someone else meanwhile. Each item shows both versions field by field,
// and a person keeps one of them; nothing is decided for them. Which items there are, why,
// and what either choice does, is the client's and the server's word, not this screen's.

import { ApiError, api } from "../api.js";
import { confirmDialog } from "../dialogs.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";

const TIPOS = {
  "cliente.crear": "Alta de cliente",
  "cliente.actualizar": "Cambio de datos de un cliente",
  "orden.crear": "Recepción de un equipo (orden nueva)",
  "orden.estado": "Cambio de estado de una orden",
  "orden.parte": "Parte o mano de obra en una orden",
  "venta.crear": "Venta",
  "stock.ajustar": "Ajuste de existencias",
};
const RESULTADOS = {
  conflict: ["Alguien más lo cambió en el servidor", "alerta"],
  rejected: ["El servidor no lo aceptó", "alerta"],
};
const CAMPOS = {
  nombre: "Nombre",
  telefono: "Teléfono",
  email: "Correo",
  direccion: "Dirección",
  rfc: "RFC",
  notas: "Notas",
  codigo: "Código",
  categoria: "Categoría",
  precio_compra: "Precio de compra",
  precio_venta: "Precio de venta",
  stock: "Existencia",
  stock_minimo: "Existencia mínima",
  activo: "Activo",
  motivo: "Motivo",
  cantidad: "Cantidad",
  nota: "Nota",
  cliente_id: "Cliente",
  equipo: "Equipo",
  marca: "Marca",
  modelo: "Modelo",
  numero_serie: "Número de serie o IMEI",
  color: "Color",
  accesorios: "Accesorios",
  contrasena: "Contraseña o patrón",
  falla_reportada: "Falla reportada",
  diagnostico: "Diagnóstico",
  condicion: "Condición al recibir",
  presupuesto: "Presupuesto",
  costo_final: "Costo final",
  anticipo: "Anticipo",
  prioridad: "Prioridad",
  garantia_dias: "Garantía (días)",
  fecha_promesa: "Fecha promesa",
  tecnico_id: "Técnico",
  estado: "Estado",
  registrar_adeudo: "Registrar adeudo",
  tipo: "Tipo",
  producto_id: "Producto",
  descripcion: "Descripción",
  precio_unitario: "Precio unitario",
  items: "Partidas",
  pagos: "Pagos",
};
// Amounts the server gave: shown as money, never recomputed.
const DINERO = new Set(["precio_compra", "precio_venta", "presupuesto", "costo_final", "anticipo", "precio_unitario", "total", "monto"]);
const FECHAS = new Set(["fecha_promesa", "creado_en", "actualizado_en"]);

function label(key) {
  return CAMPOS[key] || key.replace(/_/g, " ").replace(/^./, (first) => first.toUpperCase());
}

function shown(key, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Sí" : "No";
  if (DINERO.has(key) && typeof value === "number") return fmt.money(value);
  if (FECHAS.has(key)) return fmt.dateTime(value);
  if (key === "estado") return fmt.estado(value);
  if (key === "equipo") return fmt.equipo(value);
  if (Array.isArray(value)) return `${value.length} ${value.length === 1 ? "elemento" : "elementos"}`;
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${label(k)}: ${shown(k, v)}`).join(" · ");
  return String(value);
}

/** Mine and the server's, field by field; the fields that differ first and marked. */
function comparison(item) {
  const mio = item.mio || {};
  const servidor = item.servidor || {};
  // The record's id and version are bookkeeping, not something a person chooses between.
  const keys = [...new Set([...Object.keys(mio), ...Object.keys(servidor)])].filter((key) => key !== "id" && key !== "version");
  const differs = (key) => JSON.stringify(mio[key] ?? null) !== JSON.stringify(servidor[key] ?? null);
  keys.sort((a, b) => differs(b) - differs(a));
  return h(
    "table",
    { class: "comparacion", "aria-label": `Las dos versiones: ${TIPOS[item.tipo] || item.tipo}` },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Campo"), h("th", { scope: "col" }, "Lo mío"), h("th", { scope: "col" }, "Lo del servidor"))),
    h(
      "tbody",
      {},
      keys.map((key) =>
        h(
          "tr",
          { class: differs(key) ? "distinto" : null },
          h("th", { scope: "row" }, label(key), differs(key) ? h("span", { class: "sr-only" }, " (distinto)") : null),
          h("td", {}, key in mio ? shown(key, mio[key]) : h("span", { class: "tenue" }, "no lo cambié")),
          h("td", {}, servidor && key in servidor ? shown(key, servidor[key]) : h("span", { class: "tenue" }, "—")),
        ),
      ),
      keys.length ? null : h("tr", {}, h("td", { colspan: 3, class: "vacio" }, "Sin datos que comparar.")),
    ),
  );
}

export default {
  title: "Revisar",
  async mount(root, params, ctx) {
    if (!api.desktop) throw new ApiError(404, { message: "Esta pantalla es del programa de escritorio: ahí se revisa lo hecho sin conexión." });
    const list = h("div", { class: "revisar-lista" });
    let known = null; // the count of the last list shown, to follow the client's estado

    async function decide(item, decision) {
      const question =
        decision === "mio"
          ? "Se enviará tu versión otra vez y quedará sobre la del servidor. ¿Conservar lo tuyo?"
          : "Tu cambio se descarta y queda lo que tiene el servidor. ¿Conservar lo del servidor?";
      const ok = await confirmDialog(question, {
        title: decision === "mio" ? "Conservar lo mío" : "Conservar lo del servidor",
        confirm: decision === "mio" ? "Conservar lo mío" : "Conservar lo del servidor",
      });
      if (!ok) return;
      let answer;
      try {
        answer = await api.resolve(item.id, decision);
      } catch (error) {
        ctx.notify(error.message, "error");
        return;
      }
      if (answer && answer.ok === false) ctx.notify(answer.mensaje || "No se pudo resolver.", "error");
      else ctx.notify((answer && answer.mensaje) || "Listo.", "ok");
      await load();
    }

    function card(item) {
      const [resultado, kind] = RESULTADOS[item.resultado] || [item.resultado, ""];
      const mine = h("button", { type: "button", class: "primary", on: { click: () => decide(item, "mio") } }, "Conservar lo mío");
      const theirs = h("button", { type: "button", on: { click: () => decide(item, "servidor") } }, "Conservar lo del servidor");
      return h(
        "article",
        { class: "tarjeta revision", dataset: { id: item.id }, "aria-label": TIPOS[item.tipo] || item.tipo },
        h(
          "header",
          { class: "encabezado" },
          h("h2", {}, TIPOS[item.tipo] || item.tipo),
          h("span", { class: `insignia ${kind}` }, resultado),
          h("span", { class: "tenue" }, `Hecho ${fmt.dateTime(item.creado_en)} (${fmt.ago(item.creado_en)})`),
        ),
        item.error ? h("p", { class: "aviso" }, item.error) : null,
        comparison(item),
        h("div", { class: "acciones" }, mine, theirs),
      );
    }

    async function load() {
      const items = await api.toReview();
      known = items.length;
      replace(
        list,
        items.length
          ? items.map(card)
          : h("p", { class: "tarjeta vacio-revisar" }, "Nada por revisar: todo lo hecho sin conexión ya llegó al servidor."),
      );
    }

    const follow = (event) => {
      if (known !== null && event.detail.revisar !== null && event.detail.revisar !== known) load().catch(() => {});
    };
    window.addEventListener("servitec:estado", follow);
    ctx.onLeave(() => window.removeEventListener("servitec:estado", follow));
    ctx.keys({ "Alt+a": { description: "Volver a leer la lista", handler: () => load().catch((error) => ctx.notify(error.message, "error")) } });
    replace(
      root,
      h("div", { class: "encabezado" }, h("h1", {}, "Revisar lo hecho sin conexión")),
      h(
        "p",
        { class: "tenue" },
        "Operaciones de este equipo que el servidor no aceptó o que alguien más cambió mientras no había conexión. Compara las dos versiones y elige cuál se queda.",
      ),
      list,
    );
    return load();
  },
};
