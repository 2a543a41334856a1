// Respaldos (owner): the backups with their state and the server's health verdict, back up
// now with live progress (the server's respaldo_progreso notices), download, restore with a
// typed confirmation, delete. Whether a backup can be restored or deleted is the server's call.

import { ApiError, api } from "../api.js";
import { confirmDialog } from "../dialogs.js";
import { debounce, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { dataTable } from "../table.js";

const SALUD = {
  ok: ["Al día", "bien"],
  atrasado: ["Atrasado", "alerta"],
  fallido: ["Falló el último respaldo", "alerta"],
  sin_respaldos: ["Sin respaldos", "alerta"],
  sin_copia: ["Sin copia externa", "alerta"],
};
const ESTADO = { verificado: "bien", "sin verificar": "", invalido: "alerta" };
const TIPOS = { manual: "Manual", auto: "Automático", "pre-restore": "Antes de restaurar" };
const OPERACION = { manual: "Respaldo manual", auto: "Respaldo automático", restauracion: "Restauración" };
const FASE = { copiando: "copiando", verificando: "verificando la copia" };

const number = new Intl.NumberFormat("es-MX", { maximumFractionDigits: 1 });
function size(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  if (bytes < 1024 * 1024) return `${number.format(bytes / 1024)} KB`;
  return `${number.format(bytes / (1024 * 1024))} MB`;
}

function healthCard(salud) {
  const [label, kind] = SALUD[salud.estado] || [salud.estado, ""];
  return h(
    "div",
    { class: `tarjeta salud ${kind === "alerta" ? "alerta" : ""}` },
    h("h2", {}, "Estado de los respaldos ", h("span", { class: `insignia ${kind}` }, label)),
    salud.aviso ? h("p", { class: "aviso" }, salud.aviso) : null,
    h(
      "p",
      {},
      "Último respaldo verificado: ",
      salud.ultimo ? h("strong", {}, salud.ultimo) : "ninguno",
      salud.fecha ? h("span", { class: "tenue" }, ` · ${fmt.dateTime(salud.fecha)} (${fmt.ago(salud.fecha)})`) : null,
    ),
  );
}

/** Save `blob` as a file called `name`: a temporary link to an object URL, clicked once. */
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export default {
  title: "Respaldos",
  async mount(root, params, ctx) {
    if (!api.can("respaldos:administrar")) throw new ApiError(403, { message: "Solo el dueño del taller maneja los respaldos." });
    const health = h("div");
    const list = h("div");
    const message = h("p", { class: "form-error", role: "alert" });
    const done = h("p", { class: "ok", role: "status" });
    const bar = h("progress", { id: "respaldo-progreso", max: "100" });
    const barLabel = h("label", { for: "respaldo-progreso" });
    const progress = h("div", { class: "progreso tarjeta", hidden: true }, barLabel, bar);
    const now = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Alt+r" }, "Respaldar ahora (Alt R)");
    let busy = false; // this page is waiting for its own backup or restore to answer
    let poll = null;
    ctx.onLeave(() => clearTimeout(poll));

    function showProgress(text, porcentaje) {
      progress.hidden = false;
      barLabel.textContent = text;
      if (porcentaje === null || porcentaje === undefined) bar.removeAttribute("value");
      else bar.value = porcentaje;
    }

    function hideProgress() {
      progress.hidden = true;
    }

    function say(text) {
      message.textContent = "";
      done.textContent = text;
    }

    function fail(error) {
      done.textContent = "";
      message.textContent = error.message;
    }

    async function load() {
      const answer = await api.get("/backups");
      replace(health, healthCard(answer.salud));
      clearTimeout(poll);
      if (answer.salud.en_curso) {
        // Someone else's backup or restore (or this page's, before a reload): look again until
        // it ends, since a restore announces no end of its own here.
        if (progress.hidden) showProgress("Hay un respaldo o una restauración en curso…", null);
        poll = setTimeout(reload, 2000);
      } else if (!busy) hideProgress();
      replace(
        list,
        dataTable({
          label: "Respaldos",
          columns: [
            { label: "Respaldo", value: (r) => [h("span", { class: "nombre-archivo" }, r.nombre), h("br"), h("span", { class: "tenue" }, TIPOS[r.tipo] || r.tipo || "—")] },
            { label: "Fecha", value: (r) => [fmt.dateTime(r.creado), h("br"), h("span", { class: "tenue" }, fmt.ago(r.creado))] },
            { label: "Tamaño", value: (r) => size(r.tamano), num: true },
            {
              label: "Estado",
              value: (r) => [
                h("span", { class: `insignia ${ESTADO[r.estado] ?? ""}` }, r.estado),
                r.razon ? h("div", { class: "aviso" }, r.razon) : null,
                r.copia ? h("div", { class: r.copia.ok ? "tenue" : "aviso" }, r.copia.ok ? "Con copia externa" : `Copia externa: ${r.copia.error}`) : null,
              ],
            },
            { label: "Hecho por", value: (r) => r.usuario || "Automático" },
            { label: "Acciones", value: (r) => actions(r) },
          ],
          rows: answer.items,
          empty: "Todavía no hay respaldos.",
        }),
      );
    }

    function actions(r) {
      const button = (label, onClick) => h("button", { type: "button", "aria-label": `${label} ${r.nombre}`, on: { click: onClick } }, label);
      const restore = button("Restaurar", () => restoreBackup(r));
      if (!r.valido) {
        restore.disabled = true;
        restore.title = r.razon || "No se puede restaurar";
      }
      return h("div", { class: "acciones-fila" }, button("Descargar", () => download(r)), restore, button("Borrar", () => remove(r)));
    }

    /** Run one long operation (a backup, a restore) with its progress shown; one at a time. */
    async function longRun(label, work) {
      busy = true;
      now.disabled = true;
      say("");
      showProgress(`${label}: empezando…`, null);
      try {
        await work();
      } catch (error) {
        fail(error);
      } finally {
        hideProgress();
        busy = false;
        now.disabled = false;
      }
      await load();
    }

    async function backupNow() {
      if (busy) return;
      await longRun("Respaldo manual", async () => {
        const made = await api.post("/backups");
        say(`Respaldo hecho y verificado: ${made.nombre} (${size(made.tamano)}).`);
      });
    }

    async function download(r) {
      say("");
      try {
        const blob = await api.fetchFile(`/backups/${encodeURIComponent(r.nombre)}`, null, "application/vnd.sqlite3");
        saveBlob(blob, r.nombre);
        say(`Descargado: ${r.nombre}. Guárdalo en un lugar seguro: contiene todos los datos del taller.`);
      } catch (error) {
        fail(error);
      }
    }

    async function restoreBackup(r) {
      const ok = await confirmDialog(
        `Se reemplazarán TODOS los datos actuales por los del respaldo «${r.nombre}» (${fmt.dateTime(r.creado)}). Antes, el servidor guarda un respaldo de los datos de ahora. Las pantallas abiertas volverán a cargar sus datos.`,
        { title: "Restaurar respaldo", confirm: "Restaurar", kind: "danger", typed: "RESTAURAR" },
      );
      if (!ok || busy) return;
      await longRun("Restauración", async () => {
        const restored = await api.post(`/backups/${encodeURIComponent(r.nombre)}/restore`, { confirmar: r.nombre });
        // A notice, not a line on this page: the restore makes every open screen load again.
        ctx.notify(`Datos restaurados desde ${restored.nombre}. Los de antes quedaron en ${restored.respaldo_previo}. Las pantallas vuelven a cargar sus datos.`, "ok", 15000);
      });
    }

    async function remove(r) {
      const ok = await confirmDialog(`¿Borrar el respaldo «${r.nombre}»? El archivo se elimina y no se puede recuperar.`, {
        title: "Borrar respaldo",
        confirm: "Borrar",
        kind: "danger",
      });
      if (!ok) return;
      say("");
      try {
        await api.delete(`/backups/${encodeURIComponent(r.nombre)}`);
        say(`Respaldo borrado: ${r.nombre}.`);
      } catch (error) {
        fail(error);
      }
      await load();
    }

    now.addEventListener("click", backupNow);
    replace(
      root,
      h("div", { class: "encabezado" }, h("h1", {}, "Respaldos"), now),
      health,
      progress,
      message,
      done,
      list,
    );
    ctx.keys({ "Alt+r": { description: "Respaldar ahora", handler: backupNow } });

    const reload = debounce(() => load().catch((error) => fail(error)), 200);
    ctx.on("respaldo_progreso", (d) => {
      const fase = FASE[d.fase] || d.fase;
      const pages = d.paginas_total ? ` (${number.format(d.paginas_copiadas)} de ${number.format(d.paginas_total)} páginas)` : "";
      const operacion = OPERACION[d.operacion] || d.operacion;
      // Verifying reports no progress of its own: the bar runs without a figure meanwhile.
      if (d.fase === "verificando") showProgress(`${operacion}: ${fase}…`, null);
      else showProgress(`${operacion}: ${fase}… ${number.format(d.porcentaje)} %${pages}`, d.porcentaje);
    });
    ctx.on("respaldo_creado", reload);
    ctx.on("respaldo_fallido", (d) => {
      fail({ message: `Falló el respaldo: ${d.mensaje}` });
      reload();
    });
    ctx.on("respaldo_eliminado", reload);
    now.focus();
    return load();
  },
};
