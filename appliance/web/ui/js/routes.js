// Every screen and its address. The menu (shell.js) links to these paths.
// First match wins: fixed paths (/ordenes/nueva, /ordenes/tablero, /ventas/nueva) come before /…/:id.

import bitacora from "./screens/bitacora.js";
import clientes from "./screens/clientes.js";
import cuenta from "./screens/cuenta.js";
import inicio from "./screens/inicio.js";
import inventario from "./screens/inventario.js";
import orden from "./screens/orden.js";
import ordenNueva from "./screens/orden_nueva.js";
import ordenes, { tablero } from "./screens/ordenes.js";
import pos from "./screens/pos.js";
import respaldos from "./screens/respaldos.js";
import revisar from "./screens/revisar.js";
import taller from "./screens/taller.js";
import usuarios from "./screens/usuarios.js";
import ventas from "./screens/ventas.js";

export const routes = [
  { path: "/", screen: inicio },
  { path: "/clientes", screen: clientes },
  { path: "/clientes/:id", screen: clientes },
  { path: "/ordenes", screen: ordenes },
  { path: "/ordenes/tablero", screen: tablero },
  { path: "/ordenes/nueva", screen: ordenNueva },
  { path: "/ordenes/:id", screen: orden },
  { path: "/inventario", screen: inventario },
  { path: "/inventario/:id", screen: inventario },
  // The owner's screens (the server refuses their data to other roles; the menu hides them).
  { path: "/respaldos", screen: respaldos },
  { path: "/usuarios", screen: usuarios },
  { path: "/bitacora", screen: bitacora },
  // Every role reads the shop's data; only the owner gets the form.
  { path: "/taller", screen: taller },
  { path: "/cuenta", screen: cuenta },
  // The desktop client's offline operations the server refused (the menu shows it only there).
  { path: "/revisar", screen: revisar },
  { path: "/ventas/nueva", screen: pos }, // before /ventas/:id, which would take "nueva" for an id
  { path: "/ventas", screen: ventas },
  { path: "/ventas/:id", screen: ventas },
];
