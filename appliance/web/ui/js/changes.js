// What another counter just did, said in one line: "luis registró la venta V-000045".
// Only other people's changes are announced; your own you already saw happen.

import { api } from "./api.js";
import * as fmt from "./format.js";
import { notify } from "./notices.js";

const SAYINGS = {
  cliente_creado: (d) => `dio de alta al cliente ${d.nombre}`,
  cliente_actualizado: (d) => `actualizó al cliente ${d.nombre}`,
  cliente_eliminado: () => "dio de baja a un cliente",
  orden_creada: (d) => `recibió la orden ${fmt.folioOrden(d.folio)} (${d.equipo} ${d.marca || ""})`,
  orden_actualizada: (d) => `actualizó la orden ${fmt.folioOrden(d.folio)}: ${fmt.estado(d.estado)}`,
  producto_creado: (d) => `agregó el producto ${d.nombre}`,
  producto_actualizado: (d) => `actualizó el producto ${d.nombre}`,
  venta_creada: (d) => `registró la venta ${fmt.folioVenta(d.folio)} por ${fmt.money(d.total)}`,
  venta_cancelada: (d) => `canceló la venta ${fmt.folioVenta(d.folio)}`,
  taller_actualizado: () => "actualizó los datos del taller",
  base_restaurada: () => "restauró un respaldo: los datos se volvieron a cargar",
};

/** Show a notice for a realtime event made by someone else. */
export function announce(event) {
  const say = SAYINGS[event.event];
  if (!say || !event.data) return;
  if (event.usuario && api.me && event.usuario === api.me.username) return;
  notify(`${event.usuario || "Alguien"} ${say(event.data)}`);
}
