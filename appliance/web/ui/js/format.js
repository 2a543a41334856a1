// How money, dates and names look (es-MX, MXN, the shop's time zone). Presentation only:
// every amount shown was computed by the server.

let zone = "America/Mexico_City";

/** The shop's time zone (from the server's status), used for every date shown. */
export function setZone(name) {
  if (name) zone = name;
}

const moneyFormat = new Intl.NumberFormat("es-MX", { style: "currency", currency: "MXN" });

/** 1234.5 -> "$1,234.50" */
export function money(amount) {
  if (amount === null || amount === undefined) return "—";
  return moneyFormat.format(amount);
}

function parts(iso, options) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("es-MX", { timeZone: zone, ...options }).format(new Date(iso));
}

export const date = (iso) => parts(iso, { day: "2-digit", month: "short", year: "numeric" });
export const dateTime = (iso) =>
  parts(iso, { day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
export const time = (iso) => parts(iso, { hour: "2-digit", minute: "2-digit" });

/** Today's date in the shop's zone as YYYY-MM-DD (for date inputs and queries). */
export function today(offsetDays = 0) {
  const when = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(when);
}

/** "hace 5 min", "hace 3 h", "hace 2 días" */
export function ago(iso) {
  if (!iso) return "nunca";
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "hace un momento";
  if (minutes < 60) return `hace ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `hace ${hours} h`;
  return `hace ${Math.round(hours / 24)} días`;
}

const ESTADOS = {
  recibido: "Recibido",
  diagnostico: "En diagnóstico",
  esperando_aprobacion: "Esperando aprobación",
  en_reparacion: "En reparación",
  esperando_refaccion: "Esperando refacción",
  listo: "Listo para entregar",
  entregado: "Entregado",
  cancelado: "Cancelado",
};
/** The order states in their display order, with their Spanish names. */
export const estados = Object.keys(ESTADOS);
export const estado = (name) => ESTADOS[name] || name;

const ROLES = { dueno: "Dueño", tecnico: "Técnico", mostrador: "Mostrador" };
export const rol = (name) => ROLES[name] || name;

const METODOS = { efectivo: "Efectivo", tarjeta: "Tarjeta", transferencia: "Transferencia" };
export const metodos = Object.keys(METODOS);
export const metodo = (name) => METODOS[name] || name;

const EQUIPOS = {
  celular: "Celular",
  laptop: "Laptop",
  pc: "PC de escritorio",
  tablet: "Tablet",
  consola: "Consola",
  otro: "Otro",
};
/** The device types the server accepts (`equipo`), with their Spanish names. */
export const equipos = Object.keys(EQUIPOS);
export const equipo = (name) => EQUIPOS[name] || name;

// A desktop client numbers what it makes offline from here (webview_client/replica.py):
// provisional until the server assigns the real folio.
const PROVISIONAL_FOLIO = 1e12;
export const isProvisional = (folio) => folio > PROVISIONAL_FOLIO;
const provisional = (folio) => `P-${String(folio - PROVISIONAL_FOLIO).padStart(4, "0")}`;

/** The folio as staff say it: "OS-000123" for orders, "V-000045" for sales, "P-0007" made offline. */
export const folioOrden = (folio) => (isProvisional(folio) ? provisional(folio) : `OS-${String(folio).padStart(6, "0")}`);
export const folioVenta = (folio) => (isProvisional(folio) ? provisional(folio) : `V-${String(folio).padStart(6, "0")}`);
