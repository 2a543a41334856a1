// Every screen and its address. The menu (shell.js) links to these paths.

import clientes from "./screens/clientes.js";
import inicio from "./screens/inicio.js";
import ordenes, { tablero } from "./screens/ordenes.js";

export const routes = [
  { path: "/", screen: inicio },
  { path: "/clientes", screen: clientes },
  { path: "/clientes/:id", screen: clientes },
  { path: "/ordenes", screen: ordenes },
  { path: "/ordenes/tablero", screen: tablero },
];
