// Usuarios (owner): the shop's accounts; create one, change its name, role or whether it
// may sign in, reset its password, close its sessions. The server guards the rules (the
// last active owner, password length) and its messages show next to the fields.

import { ApiError, api } from "../api.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { field, keepDraft, onSubmit, showErrors } from "../forms.js";
import { dataTable } from "../table.js";

const ROLES = ["mostrador", "tecnico", "dueno"].map((rol) => [rol, fmt.rol(rol)]);

function errorSlot() {
  return h("p", { class: "form-error", role: "alert" });
}

function newUsuarioDialog() {
  return new Promise((resolve) => {
    let created = null;
    const form = h(
      "form",
      { novalidate: true },
      errorSlot(),
      h(
        "div",
        { class: "grid" },
        field({ name: "username", label: "Usuario (para entrar)", required: true, attrs: { autocomplete: "off", autocapitalize: "none" } }),
        field({ name: "nombre", label: "Nombre", required: true, attrs: { autocomplete: "off" } }),
        field({ name: "rol", label: "Rol", type: "select", options: ROLES, value: "mostrador" }),
        field({ name: "password", label: "Contraseña inicial", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
      ),
      h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Crear usuario")),
    );
    const draft = keepDraft(form, "usuario-nuevo");
    onSubmit(form, async (values) => {
      created = await api.post("/usuarios", values);
      draft.clear();
      dialog.close();
    });
    const dialog = openDialog({ title: "Nuevo usuario", body: form, wide: true, onClose: () => resolve(created) });
    form.elements.username.focus();
  });
}

/** The dialog for one account: details, password reset, closing its sessions. */
function editUsuarioDialog(start, onChanged) {
  let usuario = start;
  const mine = api.me && api.me.id === usuario.id;
  const saved = (updated, text) => {
    usuario = updated;
    onChanged();
    title.textContent = `${usuario.nombre} (${usuario.username})`;
    status.textContent = text;
  };
  const title = h("h3", {}, `${usuario.nombre} (${usuario.username})`);
  const status = h("p", { class: "ok", role: "status" });

  const datos = h(
    "form",
    { novalidate: true },
    errorSlot(),
    h(
      "div",
      { class: "grid" },
      field({ name: "nombre", label: "Nombre", required: true, value: usuario.nombre, attrs: { autocomplete: "off" } }),
      field({ name: "rol", label: "Rol", type: "select", options: ROLES, value: usuario.rol }),
      field({ name: "activo", label: "Cuenta activa (puede entrar)", type: "checkbox", value: usuario.activo }),
    ),
    h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Guardar cambios")),
  );
  onSubmit(datos, async (values) => {
    status.textContent = "";
    const updated = await api.put(`/usuarios/${usuario.id}`, { ...values, version: usuario.version });
    saved(updated, updated.activo ? "Cambios guardados." : "Cambios guardados. La cuenta ya no puede entrar y sus sesiones se cerraron.");
  });

  const clave = h(
    "form",
    { novalidate: true },
    errorSlot(),
    field({ name: "password", label: "Nueva contraseña", type: "password", hint: "Cierra sus sesiones abiertas; dile la nueva contraseña en persona.", attrs: { autocomplete: "new-password" } }),
    h("div", { class: "acciones" }, h("button", { type: "submit" }, "Restablecer contraseña")),
  );
  onSubmit(clave, async (values) => {
    status.textContent = "";
    const updated = await api.put(`/usuarios/${usuario.id}`, { password: values.password, version: usuario.version });
    clave.elements.password.value = "";
    saved(updated, "Contraseña restablecida; sus sesiones se cerraron.");
  });

  const sesionesError = errorSlot();
  const cerrar = h("button", { type: "button", "data-field": "cerrar_sesiones" }, "Cerrar sus sesiones");
  const sesiones = h("div", { class: "sesiones" }, sesionesError, h("p", { class: "tenue" }, "Saca a la cuenta de todas las computadoras donde entró; tendrá que volver a entrar."), cerrar);
  cerrar.addEventListener("click", async () => {
    const question = mine
      ? "¿Cerrar todas tus sesiones, incluida esta? Tendrás que volver a entrar."
      : `¿Cerrar todas las sesiones de ${usuario.nombre}?`;
    if (!(await confirmDialog(question, { title: "Cerrar sesiones", confirm: "Cerrar sesiones", kind: "danger" }))) return;
    sesionesError.textContent = "";
    status.textContent = "";
    try {
      const updated = await api.put(`/usuarios/${usuario.id}`, { cerrar_sesiones: true, version: usuario.version });
      saved(updated, "Sesiones cerradas.");
    } catch (error) {
      if (error.fields === undefined) throw error;
      showErrors(sesiones, error);
    }
  });

  const dialog = openDialog({
    title: "Editar usuario",
    wide: true,
    body: h(
      "div",
      { class: "usuario-editor" },
      title,
      status,
      h("section", { class: "tarjeta" }, h("h3", {}, "Datos y rol"), datos),
      h("div", { class: "columnas" }, h("section", { class: "tarjeta" }, h("h3", {}, "Contraseña"), clave), h("section", { class: "tarjeta" }, h("h3", {}, "Sesiones"), sesiones)),
    ),
    actions: [{ label: "Cerrar", onClick: (close) => close() }],
  });
  datos.elements.nombre.focus();
  return dialog;
}

export default {
  title: "Usuarios",
  async mount(root, params, ctx) {
    if (!api.can("usuarios:administrar")) throw new ApiError(403, { message: "Solo el dueño del taller administra los usuarios." });
    const list = h("div");

    async function load() {
      const { items } = await api.get("/usuarios");
      replace(
        list,
        dataTable({
          label: "Usuarios",
          columns: [
            { label: "Usuario", value: (u) => [u.username, api.me && api.me.id === u.id ? h("span", { class: "tenue" }, " (tú)") : null] },
            { label: "Nombre", value: (u) => u.nombre },
            { label: "Rol", value: (u) => fmt.rol(u.rol) },
            { label: "Estado", value: (u) => (u.activo ? h("span", { class: "insignia bien" }, "Activa") : h("span", { class: "insignia alerta" }, "Desactivada")) },
            { label: "Alta", value: (u) => fmt.date(u.creado_en) },
            { label: "Último cambio", value: (u) => fmt.dateTime(u.actualizado_en) },
          ],
          rows: items,
          onOpen: (u) => editUsuarioDialog(u, () => load().catch((error) => ctx.notify(error.message, "error"))),
          empty: "No hay usuarios.",
        }),
      );
    }

    const nuevo = async () => {
      const created = await newUsuarioDialog();
      if (created) {
        ctx.notify(`Usuario ${created.username} creado.`, "ok");
        await load();
      }
    };
    replace(
      root,
      h(
        "div",
        { class: "encabezado" },
        h("h1", {}, "Usuarios"),
        h("button", { type: "button", class: "primary", on: { click: nuevo }, "aria-keyshortcuts": "Alt+n" }, "Nuevo usuario (Alt N)"),
      ),
      h("p", { class: "tenue" }, "Abre una cuenta (Enter) para cambiar su rol, desactivarla, restablecer su contraseña o cerrar sus sesiones."),
      list,
    );
    ctx.keys({ "Alt+n": { description: "Nuevo usuario", handler: nuevo } });
    await load();
    list.querySelector("tbody tr.fila")?.focus();
  },
};
