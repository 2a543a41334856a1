// Form fields with a visible label, an accessible name and a slot for the server's message,
// plus drafts: what a person types is kept (in this tab) until it is saved, so a reload,
// a re-render or a sign-in in between loses nothing.

import { h, uid } from "./dom.js";

/**
 * field({name, label, type, value, required, options, hint, rows, attrs}) -> <div class="field">
 * type: text (default), number, date, datetime-local, password, email, tel, select, textarea, checkbox.
 * options (select): [[value, label], ...]. The control carries data-field=name, which is how
 * the server's error.fields find it.
 */
export function field({ name, label, type = "text", value, required, options, hint, rows, attrs = {} }) {
  const id = uid(name.replace(/\W/g, "-"));
  const errorId = `${id}-error`;
  const common = { id, name, "data-field": name, "aria-describedby": errorId, required, ...attrs };
  let control;
  if (type === "select") {
    control = h(
      "select",
      common,
      (options || []).map(([optionValue, text]) =>
        h("option", { value: optionValue, selected: String(optionValue) === String(value ?? "") }, text),
      ),
    );
  } else if (type === "textarea") {
    control = h("textarea", { ...common, rows: rows || 3 });
    control.value = value ?? "";
  } else if (type === "checkbox") {
    control = h("input", { ...common, type, checked: Boolean(value) });
  } else {
    control = h("input", { ...common, type, value: value ?? "", step: type === "number" ? (attrs.step ?? "0.01") : null });
  }
  const wrapper = h(
    "div",
    { class: `field field-${type}` },
    type === "checkbox"
      ? h("label", { for: id, class: "check" }, control, " ", label)
      : [h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null), control],
    hint ? h("small", { class: "hint" }, hint) : null,
    h("small", { class: "field-error", id: errorId, role: "alert" }),
  );
  return wrapper;
}

/** The values of a form's named controls; blank text becomes null, numbers become numbers. */
export function readForm(form) {
  const values = {};
  for (const control of form.querySelectorAll("[name]")) {
    if (control.disabled) continue;
    if (control.type === "checkbox") values[control.name] = control.checked;
    else if (control.type === "password") values[control.name] = control.value; // spaces count in a password
    else if (control.value.trim() === "") values[control.name] = null;
    else if (control.type === "number") values[control.name] = Number(control.value);
    else values[control.name] = control.value.trim();
  }
  return values;
}

/** Clear the messages a previous attempt left on `form`. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error, .form-error")) slot.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/**
 * Show an ApiError on `form`: each error.fields entry next to its control (matched by
 * data-field, so "items.0.descuento" finds the first line's discount), and the message
 * in the form's .form-error slot. Focuses the first field in error.
 */
export function showErrors(form, error) {
  clearErrors(form);
  let first = null;
  const leftover = [];
  for (const [name, message] of Object.entries(error.fields || {})) {
    const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const slot = control && control.closest(".field, .cell")?.querySelector(".field-error");
    if (control && slot) {
      control.setAttribute("aria-invalid", "true");
      slot.textContent = message;
      first = first || control;
    } else {
      leftover.push(message);
    }
  }
  let slot = form.querySelector(".form-error");
  if (!slot) {
    slot = h("p", { class: "form-error", role: "alert" });
    form.prepend(slot);
  }
  slot.textContent = [error.message, ...leftover.filter((m) => !error.message.includes(m))].join(" ");
  (first || slot).focus?.();
}

const DRAFT_PREFIX = "servitec.draft.";

/**
 * Keep what is typed into `form` under `key` (sessionStorage), and put a kept draft back.
 * Returns {clear()} to call once the form is saved.
 */
export function keepDraft(form, key) {
  const storageKey = DRAFT_PREFIX + key;
  const saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
  if (saved) {
    for (const control of form.querySelectorAll("[name]")) {
      if (!(control.name in saved)) continue;
      if (control.type === "checkbox") control.checked = saved[control.name];
      else control.value = saved[control.name];
    }
  }
  const store = () => {
    const values = {};
    for (const control of form.querySelectorAll("[name]")) {
      if (control.type === "password") continue; // a password is never written to storage
      values[control.name] = control.type === "checkbox" ? control.checked : control.value;
    }
    sessionStorage.setItem(storageKey, JSON.stringify(values));
  };
  form.addEventListener("input", store);
  form.addEventListener("change", store);
  return { clear: () => sessionStorage.removeItem(storageKey), restored: Boolean(saved) };
}

/** A draft value kept outside a form (a cart, a drawn pattern), as JSON under `key`. */
export const drafts = {
  load: (key, fallback = null) => JSON.parse(sessionStorage.getItem(DRAFT_PREFIX + key) || "null") ?? fallback,
  save: (key, value) => sessionStorage.setItem(DRAFT_PREFIX + key, JSON.stringify(value)),
  clear: (key) => sessionStorage.removeItem(DRAFT_PREFIX + key),
};

/**
 * Run `action` (returns a Promise) when `form` is submitted: disables the submit button
 * meanwhile, shows the server's messages on failure and keeps every typed value.
 */
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      await action(readForm(form));
    } catch (error) {
      if (error && error.fields !== undefined) showErrors(form, error);
      else throw error;
    } finally {
      if (button) button.disabled = false;
    }
  });
}
