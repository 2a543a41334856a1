// What a scan names when no screen takes it: an order's folio (OS-000123, as its QR
// and label print it) opens the order; a product code opens the product.

import { api } from "./api.js";
import { notify } from "./notices.js";

const ORDER_FOLIO = /^OS-?0*(\d+)$/i;

/** Find and open what `code` names; always takes the scan (returns true). */
export function openScanned(code, navigate) {
  find(code).then(
    (path) => (path ? navigate(path) : notify(`Nada coincide con el código escaneado «${code}».`, "error")),
    (error) => notify(error.message, "error"),
  );
  return true;
}

async function find(code) {
  const folio = ORDER_FOLIO.exec(code);
  if (folio) {
    const found = await api.get("/ordenes", { folio: Number(folio[1]), limit: 1 });
    return found.items.length ? `/ordenes/${found.items[0].id}` : null;
  }
  const found = await api.get("/inventario", { q: code, limit: 20 });
  const producto = found.items.find((item) => (item.codigo || "").toLowerCase() === code.toLowerCase());
  return producto ? `/inventario/${producto.id}` : null;
}
