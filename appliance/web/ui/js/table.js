// Lists: a table whose rows open with a click or Enter, and a pager for {items, has_more}.

import { h } from "./dom.js";

// num: figures, right-aligned; nowrap: short codes (folios) that must not break across lines.
function cellClass(column) {
  return [column.num ? "num" : "", column.nowrap ? "nowrap" : ""].join(" ").trim() || null;
}

/**
 * dataTable({columns: [{label, value(row), num, nowrap}], rows, onOpen(row), empty, label})
 * Each row is focusable; Enter or a click opens it. Arrow keys move between rows.
 */
export function dataTable({ columns, rows, onOpen, empty = "Sin resultados.", label }) {
  const body = h("tbody");
  for (const row of rows) {
    const tr = h(
      "tr",
      { class: onOpen ? "fila" : null, tabindex: onOpen ? "0" : null, dataset: { id: row.id ?? "" } },
      columns.map((column) => h("td", { class: cellClass(column) }, column.value(row))),
    );
    if (onOpen) {
      tr.addEventListener("click", () => onOpen(row));
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter") onOpen(row);
        else if (event.key === "ArrowDown") tr.nextElementSibling?.focus();
        else if (event.key === "ArrowUp") tr.previousElementSibling?.focus();
        else return;
        event.preventDefault();
      });
    }
    body.append(tr);
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { class: "vacio", colspan: columns.length }, empty)));
  return h(
    "table",
    { "aria-label": label },
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { class: cellClass(column), scope: "col" }, column.label)))),
    body,
  );
}

/** «Anterior · 51–100 · Siguiente» for a page envelope; onPage(newOffset). */
export function pager(page, onPage) {
  const { offset, limit, items, has_more: more } = page;
  if (!offset && !more) return h("div", { class: "paginas" }, items.length ? `${items.length} resultados` : "");
  return h(
    "div",
    { class: "paginas" },
    h("button", { type: "button", disabled: offset === 0, on: { click: () => onPage(Math.max(0, offset - limit)) } }, "‹ Anterior"),
    h("span", {}, `${offset + 1}–${offset + items.length}`),
    h("button", { type: "button", disabled: !more, on: { click: () => onPage(offset + limit) } }, "Siguiente ›"),
  );
}
