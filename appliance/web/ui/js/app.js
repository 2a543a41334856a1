// Start-up: read the server's status (version, time zone, whether the shop is set up),
// sign in, then build the shell, start the router and the realtime stream.

import { api } from "./api.js";
import { openDialog } from "./dialogs.js";
import { h, replace } from "./dom.js";
import * as fmt from "./format.js";
import { keyboard } from "./keyboard.js";
import { notify } from "./notices.js";
import { Router } from "./router.js";
import { routes } from "./routes.js";
import { loginForm } from "./screens/login.js";
import { menuEntries, Shell } from "./shell.js";
import { announce } from "./changes.js";
import { openScanned } from "./lookup.js";
import { scanner } from "./scanner.js";

const root = document.getElementById("app");
let status = null;
let router = null;
let shell = null;

async function start() {
  try {
    status = await api.status();
  } catch (error) {
    replace(root, h("p", { class: "screen-error", role: "alert" }, error.message));
    setTimeout(start, 3000);
    return;
  }
  fmt.setZone(status.zona_horaria);
  if (api.signedIn) {
    try {
      await api.loadMe();
    } catch {
      api.setToken(null);
    }
  }
  if (api.me) signedIn();
  else showLogin();
}

function setupHint() {
  return status && status.configurado === false ? status.aviso : null;
}

function showLogin() {
  replace(
    root,
    h(
      "div",
      { class: "entrar" },
      h("h1", {}, "ServitecManager"),
      h("p", { class: "sub" }, "Inicia sesión para trabajar en el mostrador"),
      loginForm({ onDone: signedIn, setupHint: setupHint() }),
      h("p", { class: "version" }, `Versión ${status.version}`),
    ),
  );
  root.querySelector("input").focus();
}

/** The sign-in dialog over the current screen, for an expired session; resolves once signed in. */
function reauthenticate() {
  return new Promise((resolve) => {
    const username = api.me && api.me.username;
    let dialog = null;
    const form = loginForm({
      username,
      onDone: () => {
        dialog.close();
        notify("Sesión renovada; puedes continuar.", "ok");
        resolve();
      },
    });
    dialog = openDialog({
      title: "Tu sesión terminó",
      body: h("div", {}, h("p", {}, "Vuelve a entrar para continuar. Lo que escribiste sigue en la pantalla."), form),
      onClose: () => {},
    });
    dialog.element.addEventListener("cancel", (event) => event.stopImmediatePropagation(), true);
    form.querySelector(username ? "input[type=password]" : "input").focus();
  });
}

function showHelp() {
  const rows = keyboard.list().map(([key, description]) => h("tr", {}, h("td", {}, h("kbd", {}, key)), h("td", {}, description)));
  const dialog = openDialog({
    title: "Atajos de teclado",
    body: h("table", { class: "atajos" }, h("tbody", {}, rows)),
    actions: [{ label: "Cerrar", kind: "primary", onClick: (close) => close() }],
  });
  return dialog;
}

function logout() {
  router.stop();
  router = null;
  shell.stop();
  shell = null;
  api.logout();
  history.replaceState(null, "", "#/");
  showLogin();
}

function signedIn() {
  shell = new Shell(root, { version: status.version, onLogout: logout, onHelp: showHelp });
  router = new Router(routes, shell.main, { onChange: (route, path) => shell.select(path) });
  router.show();
  api.connect();
}

function globalKeys() {
  const go = (path, permission) => () => {
    if (api.me && router && (!permission || api.can(permission))) router.navigate(path);
  };
  keyboard.add("F2", "Nueva venta (punto de venta)", go("/ventas/nueva", "ventas:crear"), {
    shown: () => api.can("ventas:crear"),
  });
  keyboard.add("F4", "Recibir equipo (nueva orden)", go("/ordenes/nueva", "ordenes:recibir"), {
    shown: () => api.can("ordenes:recibir"),
  });
  keyboard.add("F3", "Buscar en la pantalla actual", () => {
    const search = document.querySelector("main [data-search]");
    if (search) search.focus();
    else go("/clientes")();
  });
  keyboard.add("Escape", "Cerrar la ventana o cancelar", () => {
    const cancel = document.querySelector("main [data-cancel]");
    if (cancel) cancel.click();
  });
  keyboard.add("?", "Mostrar estos atajos", showHelp);
  for (const [path, label, shortcut, permission] of menuEntries()) {
    if (shortcut) keyboard.add(shortcut, label, go(path, permission), { shown: () => api.can(permission) });
  }
}

api.reauthenticate = reauthenticate;
api.on("*", (data, event) => announce(event));
// A restore replaced every record: the open screen reads its data again (forms keep their drafts).
api.on("base_restaurada", () => router && router.show());
scanner.on((code) => (api.me && router ? openScanned(code, (path) => router.navigate(path)) : false));
globalKeys();
start();
