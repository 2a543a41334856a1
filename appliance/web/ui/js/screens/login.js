// Entrar: the sign-in form, as the first screen or over the current one when the
// session expires (then the screen below keeps everything that was typed in it).

import { api } from "../api.js";
import { h } from "../dom.js";
import { field, onSubmit } from "../forms.js";

/** The sign-in form; `onDone(me)` runs after a successful sign-in. */
export function loginForm({ onDone, username, setupHint }) {
  const form = h(
    "form",
    { class: "login", novalidate: true },
    h("p", { class: "form-error", role: "alert" }),
    field({ name: "username", label: "Usuario", value: username, required: true, attrs: { autocomplete: "username", autocapitalize: "none" } }),
    field({ name: "password", label: "Contraseña", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("button", { type: "submit", class: "primary" }, "Entrar"),
    setupHint ? h("p", { class: "aviso" }, setupHint) : null,
  );
  onSubmit(form, async (values) => {
    const me = await api.login(values.username || "", values.password || "");
    onDone(me);
  });
  return form;
}
