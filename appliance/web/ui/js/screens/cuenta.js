// Mi cuenta: who I am and changing my password. The server closes my other sessions and
// answers with a new token, which this session keeps using (it is not signed out).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { field, onSubmit, showErrors } from "../forms.js";

export default {
  title: "Mi cuenta",
  async mount(root) {
    const me = await api.loadMe();
    const row = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
    const done = h("p", { class: "ok", role: "status" });
    const form = h(
      "form",
      { class: "cuenta-form", novalidate: true },
      h("p", { class: "form-error", role: "alert" }),
      field({ name: "actual", label: "Contraseña actual", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
      field({ name: "nueva", label: "Contraseña nueva", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
      field({ name: "confirmacion", label: "Repite la contraseña nueva", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
      h("div", { class: "acciones" }, h("button", { type: "submit", class: "primary" }, "Cambiar contraseña")),
    );
    onSubmit(form, async (values) => {
      done.textContent = "";
      if (values.nueva !== values.confirmacion) {
        // A typing slip, caught before asking the server.
        showErrors(form, { message: "La contraseña nueva no coincide con su repetición.", fields: { confirmacion: "No coincide con la contraseña nueva." } });
        return;
      }
      const session = await api.put("/usuarios/me/password", { actual: values.actual, nueva: values.nueva });
      api.setToken(session.access_token);
      for (const name of ["actual", "nueva", "confirmacion"]) form.elements[name].value = "";
      done.textContent = "Contraseña cambiada. Tus otras sesiones se cerraron; esta sigue abierta.";
    });
    replace(
      root,
      h("div", { class: "encabezado" }, h("h1", {}, "Mi cuenta")),
      h(
        "div",
        { class: "columnas" },
        h(
          "section",
          { class: "tarjeta" },
          h("h2", {}, "Mis datos"),
          h(
            "dl",
            { class: "datos" },
            row("Usuario", me.username),
            row("Nombre", me.nombre),
            row("Rol", fmt.rol(me.rol)),
            row("Cuenta creada", fmt.date(me.creado_en)),
          ),
          api.can("usuarios:administrar")
            ? h("p", { class: "tenue" }, "Tu nombre y tu rol se cambian en ", h("a", { href: "#/usuarios" }, "Usuarios"), ".")
            : h("p", { class: "tenue" }, "Tu nombre y tu rol los cambia el dueño del taller."),
        ),
        h("section", { class: "tarjeta" }, h("h2", {}, "Cambiar contraseña"), done, form),
      ),
    );
    form.elements.actual.focus();
  },
};
