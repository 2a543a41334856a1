// Modal dialogs on the native <dialog> element: it traps focus, and Esc closes it
// (the "cancel" event), so every dialog closes from the keyboard the same way.

import { h } from "./dom.js";

/**
 * openDialog({title, body, actions, onClose, wide}) -> {element, close()}
 * actions: [{label, kind: "primary"|"danger"|undefined, onClick(close) -> maybe a Promise}]
 * An action's click runs `onClick`; the dialog stays open until it calls close().
 */
export function openDialog({ title, body, actions = [], onClose, wide = false, label }) {
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const footer = h("footer", { class: "dialog-actions" });
  const dialog = h(
    "dialog",
    { class: wide ? "dialog wide" : "dialog", "aria-labelledby": label ? null : titleId, "aria-label": label },
    title ? h("h2", { id: titleId }, title) : null,
    h("div", { class: "dialog-body" }, body),
    footer,
  );
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
    if (onClose) onClose();
  };
  for (const action of actions) {
    const button = h("button", { type: "button", class: action.kind || "" }, action.label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await action.onClick(close);
      } finally {
        button.disabled = false;
      }
    });
    footer.append(button);
  }
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = dialog.querySelector("input, select, textarea, button.primary, button");
  if (first) first.focus();
  return { element: dialog, close };
}

/**
 * Ask a yes/no question. With `typed`, the person must type that word to confirm
 * (restoring a backup, for one). Resolves true only when confirmed.
 */
export function confirmDialog(message, { title = "Confirmar", confirm = "Aceptar", kind = "primary", typed } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const input = typed
      ? h("input", { type: "text", id: "confirm-typed", autocomplete: "off", "aria-label": `Escribe ${typed}` })
      : null;
    const body = h(
      "div",
      {},
      h("p", {}, message),
      typed ? h("label", { for: "confirm-typed" }, `Escribe ${typed} para confirmar:`) : null,
      input,
    );
    const dialog = openDialog({
      title,
      body,
      onClose: () => resolve(answer),
      actions: [
        { label: "Cancelar", onClick: (close) => close() },
        {
          label: confirm,
          kind,
          onClick: (close) => {
            if (typed && input.value.trim().toUpperCase() !== typed) {
              input.setAttribute("aria-invalid", "true");
              input.focus();
              return;
            }
            answer = true;
            close();
          },
        },
      ],
    });
    if (input) {
      input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        // Without preventDefault the Enter's keypress lands on the button that gets the focus
        // back once the dialog closes, and clicks it again (opening the same question anew).
        event.preventDefault();
        dialog.element.querySelector("button.primary, button.danger").click();
      });
    }
  });
}

/** The topmost open dialog, if any. */
export function openDialogElement() {
  const dialogs = document.querySelectorAll("dialog[open]");
  return dialogs.length ? dialogs[dialogs.length - 1] : null;
}
