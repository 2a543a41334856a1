// Punto de venta. A code field a barcode scanner types into (a scan anywhere on the screen
// lands here too), the lines with their quantity and discount, an optional customer and the
// payments, split as the customer pays. Every figure shown (prices, IVA, total, change, what
// is missing, stock warnings) is the server's quote (POST /ventas/cotizar), asked again after
// each change; the sale itself is POST /ventas. The cart is a draft: a reload or an expired
// session loses nothing, and a refused sale keeps it as it was.
//
// Keys: F9 cobrar (also Enter in the last payment amount), F3 the code field, Alt+C customer,
// Alt+P another payment, Alt+N empty the cart for a new sale.

import { api } from "../api.js";
import { confirmDialog, openDialog } from "../dialogs.js";
import { debounce, h, replace, uid } from "../dom.js";
import * as fmt from "../format.js";
import { clearErrors, drafts, showErrors } from "../forms.js";
import { PickList } from "../picklist.js";
import { printerControl, printTicket, renderTicket } from "../print.js";
import { newClienteDialog } from "./clientes.js";

const DRAFT = "pos-venta";
const ORDER_FOLIO = /^OS-?\d+$/i;

/** A sale id made here, so sending the same sale twice (a retry after a dropped answer) is refused, not doubled. */
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const newPago = (metodo = "efectivo") => ({ metodo, monto: "", referencia: "" });
const newCart = () => ({ id: newId(), items: [], cliente: null, pagos: [newPago()] });

/** A typed amount as the server takes it: blank is absent; anything else goes as typed, for the server to judge. */
function typedNumber(text) {
  const trimmed = String(text ?? "").trim();
  if (trimmed === "") return null;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

function labelled(id, text, control) {
  return [h("label", { for: id, class: "sr-only" }, text), control];
}

export default {
  title: "Punto de venta",
  async mount(root, params, ctx) {
    let cart = drafts.load(DRAFT, null) || newCart();
    let quote = null; // the server's answer for the cart as it is now; null while asking again
    let unquoted = false; // the server refused to quote the cart as it is (its message says why)
    let asked = 0;
    let selling = false;
    let soldDialog = null; // the last sale's ticket, open until the next sale starts
    let refused = null; // why the last sale was refused, shown until the cart changes
    let taller = await api.get("/taller").catch(() => null);

    const save = () => drafts.save(DRAFT, cart);

    // --- The code field and its matches ------------------------------------------------------

    const code = h("input", {
      type: "text",
      id: "pos-codigo",
      "data-scan-target": "",
      "data-search": "",
      "data-field": "items",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "Escanea o escribe código o nombre",
      "aria-describedby": "pos-codigo-aviso",
    });
    // What a scan or an Enter found (or did not), apart from the server's messages below it.
    const codeNotice = h("p", { class: "aviso-codigo", id: "pos-codigo-aviso", role: "alert" });
    const products = new PickList(code, {
      label: "Productos que coinciden",
      render: (p) => [
        h("span", { class: "pick-nombre" }, p.nombre),
        h("span", { class: "pick-extra" }, `${p.codigo || "sin código"} · ${fmt.money(p.precio_venta)} · ${p.stock} en existencia`),
      ],
      onPick: (p) => {
        addProduct(p);
        code.value = "";
        code.focus();
      },
    });

    function sayNoMatch(text) {
      codeNotice.textContent = text;
      code.setAttribute("aria-invalid", "true");
    }
    function clearNotice() {
      codeNotice.textContent = "";
      codeNotice.classList.remove("lista");
      code.removeAttribute("aria-invalid");
    }

    /** Products matching `text`: the one whose code it is exactly, else the search's results. */
    async function matches(text) {
      const page = await api.get("/inventario", { q: text, limit: 20 });
      const exact = page.items.find((p) => (p.codigo || "").toLowerCase() === text.toLowerCase());
      return exact ? [exact] : page.items;
    }

    let looked = 0;
    /** Enter in the code field, or a scan: one match adds its line, several open the list. */
    async function take(text) {
      const wanted = text.trim();
      if (!wanted) return;
      const mine = ++looked;
      typedSinceTake = false;
      clearNotice();
      let found;
      try {
        found = await matches(wanted);
      } catch (error) {
        sayNoMatch(error.message);
        return;
      }
      if (found.length === 1) {
        addProduct(found[0]);
        if (code.value.trim() === wanted) code.value = "";
      } else if (mine === looked) {
        if (!found.length) sayNoMatch(`Ningún producto tiene el código o nombre «${wanted}».`);
        else {
          code.value = wanted;
          products.show(found, 0);
          codeNotice.textContent = `${found.length} productos coinciden: elige uno con ↑ ↓ y Enter.`;
          codeNotice.classList.add("lista");
          code.focus();
        }
      }
    }

    code.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.defaultPrevented) return;
      event.preventDefault();
      take(code.value);
    });
    let suggested = 0;
    let typedSinceTake = false; // a suggestion due after Enter or a scan would cover its answer
    code.addEventListener("input", () => {
      typedSinceTake = true;
      clearNotice();
    });
    code.addEventListener(
      "input",
      debounce(async () => {
        if (!typedSinceTake) return;
        const text = code.value.trim();
        const mine = ++suggested;
        if (text.length < 2) return products.close();
        const page = await api.get("/inventario", { q: text, limit: 8 }).catch(() => null);
        if (mine === suggested && typedSinceTake && page && code.value.trim() === text) products.show(page.items);
      }, 200),
    );

    // A scan anywhere on this screen is a product for the cart (an order's folio is left to the global lookup).
    // In the code field the whole code is in the field, even if the scanner's keys came unevenly.
    ctx.onScan((scanned, target) => {
      const text = target === code ? code.value : scanned;
      if (target === code) code.value = "";
      if (ORDER_FOLIO.test(text)) return false;
      if (soldDialog) soldDialog.close();
      take(text);
      return true;
    });

    // --- The cart -------------------------------------------------------------------------------

    function addProduct(p) {
      const line = cart.items.find((item) => item.producto_id === p.id);
      if (line) line.cantidad = String((parseInt(line.cantidad, 10) || 0) + 1);
      else cart.items.push({ producto_id: p.id, codigo: p.codigo, descripcion: p.nombre, cantidad: "1", descuento: "" });
      changed();
      drawLines();
      const row = lines.querySelector(`tr[data-producto="${CSS.escape(p.id)}"]`);
      if (row) {
        row.classList.remove("recien");
        void row.offsetWidth; // restart the highlight when the same product is scanned again
        row.classList.add("recien");
      }
    }

    function removeLine(index) {
      cart.items.splice(index, 1);
      changed();
      drawLines();
      code.focus();
    }

    /** The body for the quote and the sale: what the person typed, untouched. */
    function body() {
      return {
        id: cart.id,
        cliente_id: cart.cliente ? cart.cliente.id : null,
        items: cart.items.map((item) => ({
          producto_id: item.producto_id,
          cantidad: typedNumber(item.cantidad),
          descuento: typedNumber(item.descuento),
        })),
        pagos: cart.pagos
          .filter((p) => String(p.monto).trim() !== "")
          .map((p) => ({ metodo: p.metodo, monto: typedNumber(p.monto), referencia: p.referencia.trim() || null })),
      };
    }

    /** Error fields as this screen shows them: a stock refusal names the product; here it is the line's quantity. */
    function placed(error) {
      const fields = {};
      for (const [name, message] of Object.entries(error.fields || {})) {
        const index = name === "producto_id" ? cart.items.findIndex((item) => message.startsWith(`${item.producto_id}:`)) : -1;
        if (index >= 0) fields[`items.${index}.cantidad`] = message.slice(cart.items[index].producto_id.length + 1).trim();
        else fields[name] = message;
      }
      return { message: error.message, fields };
    }

    const requote = debounce(async () => {
      const mine = ++asked;
      if (!cart.items.length) {
        quote = null;
        clearErrors(form);
        return drawQuote();
      }
      const sent = body();
      delete sent.id; // a quote is not the sale
      let problem = null;
      try {
        const answer = await api.post("/ventas/cotizar", sent);
        if (mine !== asked) return; // the cart changed meanwhile: a newer quote is on its way
        quote = answer;
      } catch (error) {
        if (mine !== asked) return;
        quote = null;
        unquoted = true;
        if (error.fields === undefined) console.error(error);
        else problem = placed(error);
      }
      // A refused sale's message stays until the cart changes: it answers what the person just did.
      const shown = refused || problem;
      if (shown) showQuietly(shown);
      else clearErrors(form);
      drawQuote();
    }, 120);

    /** The server's messages next to their fields, without taking the focus from where the person types. */
    function showQuietly(error) {
      const focused = document.activeElement;
      showErrors(form, error);
      if (focused && focused !== document.activeElement && focused.isConnected) focused.focus();
    }

    function changed() {
      quote = null;
      unquoted = false;
      refused = null;
      save();
      drawQuote();
      requote();
    }

    // --- Lines table: one row per line, kept while the person types in it -------------------

    const lines = h("tbody");
    const rows = new Map(); // producto_id -> {tr, cantidad, descuento, precio, importe, aviso, error}

    function lineRow(item) {
      const cantidadId = uid("cantidad");
      const descuentoId = uid("descuento");
      const cantidad = h("input", { type: "number", id: cantidadId, min: "1", step: "1", inputmode: "numeric", class: "cantidad", value: item.cantidad });
      const descuento = h("input", { type: "number", id: descuentoId, min: "0", step: "0.01", inputmode: "decimal", class: "descuento", value: item.descuento, placeholder: "0.00" });
      const refs = {
        cantidad,
        descuento,
        nombre: h("span", { class: "linea-nombre" }),
        aviso: h("span", { class: "aviso linea-aviso" }),
        productoError: h("small", { class: "field-error" }),
        cantidadError: h("small", { class: "field-error", role: "alert" }),
        descuentoError: h("small", { class: "field-error", role: "alert" }),
        precio: h("td", { class: "num" }),
        importe: h("td", { class: "num importe" }),
        descripcion: h("div", { class: "cell", tabindex: "-1" }),
        quitar: h("button", { type: "button", class: "link quitar" }, "Quitar"),
      };
      const current = () => cart.items.find((i) => i.producto_id === item.producto_id);
      cantidad.addEventListener("input", () => {
        current().cantidad = cantidad.value;
        changed();
      });
      descuento.addEventListener("input", () => {
        current().descuento = descuento.value;
        changed();
      });
      for (const input of [cantidad, descuento]) {
        input.addEventListener("keydown", (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            code.focus();
          }
        });
      }
      refs.quitar.addEventListener("click", () => removeLine(cart.items.indexOf(current())));
      replace(refs.descripcion, refs.nombre, h("span", { class: "linea-codigo tenue" }, item.codigo || ""), refs.aviso, refs.productoError);
      refs.tr = h(
        "tr",
        { class: "linea", dataset: { producto: item.producto_id } },
        h("td", {}, refs.descripcion),
        h("td", {}, h("div", { class: "cell" }, labelled(cantidadId, "Cantidad", cantidad), refs.cantidadError)),
        refs.precio,
        h("td", {}, h("div", { class: "cell" }, labelled(descuentoId, "Descuento en pesos", descuento), refs.descuentoError)),
        refs.importe,
        h("td", {}, refs.quitar),
      );
      return refs;
    }

    function drawLines() {
      const kept = new Set(cart.items.map((item) => item.producto_id));
      for (const [key, refs] of rows) {
        if (!kept.has(key)) {
          refs.tr.remove();
          rows.delete(key);
        }
      }
      cart.items.forEach((item, index) => {
        let refs = rows.get(item.producto_id);
        if (!refs) {
          refs = lineRow(item);
          rows.set(item.producto_id, refs);
        }
        // Field names follow the line's place, so the server's "items.1.cantidad" finds it.
        refs.cantidad.dataset.field = `items.${index}.cantidad`;
        refs.descuento.dataset.field = `items.${index}.descuento`;
        refs.descripcion.dataset.field = `items.${index}.producto_id`;
        refs.nombre.textContent = item.descripcion;
        refs.cantidad.setAttribute("aria-label", `Cantidad de ${item.descripcion}`);
        refs.descuento.setAttribute("aria-label", `Descuento en pesos de ${item.descripcion}`);
        refs.quitar.setAttribute("aria-label", `Quitar ${item.descripcion}`);
        if (refs.cantidad.value !== item.cantidad) refs.cantidad.value = item.cantidad;
        if (lines.children[index] !== refs.tr) lines.insertBefore(refs.tr, lines.children[index] || null);
      });
      empty.hidden = cart.items.length > 0;
    }

    const empty = h("p", { class: "vacio" }, "Escanea un producto o escribe su código o nombre y oprime Enter.");
    const linesTable = h(
      "table",
      { class: "lineas pos-lineas", "aria-label": "Productos de la venta" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Producto"),
          h("th", { scope: "col", class: "col-cantidad" }, "Cantidad"),
          h("th", { scope: "col", class: "num" }, "Precio"),
          h("th", { scope: "col", class: "col-descuento" }, "Descuento $"),
          h("th", { scope: "col", class: "num" }, "Importe"),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Quitar")),
        ),
      ),
      lines,
    );

    // --- Customer ----------------------------------------------------------------------------

    const clienteInput = h("input", { type: "search", id: "pos-cliente", autocomplete: "off", placeholder: "Nombre o teléfono", "data-field": "cliente_id", "aria-describedby": "pos-cliente-error" });
    const clienteChosen = h("div", { class: "cliente-elegido" });
    const clientes = new PickList(clienteInput, {
      label: "Clientes que coinciden",
      render: (c) => [h("span", { class: "pick-nombre" }, c.nombre), h("span", { class: "pick-extra" }, c.telefono || "")],
      onPick: (c) => chooseCliente(c),
    });
    function chooseCliente(c) {
      cart.cliente = c ? { id: c.id, nombre: c.nombre, telefono: c.telefono || null } : null;
      clienteInput.value = "";
      changed();
      drawCliente();
    }
    function drawCliente() {
      if (!cart.cliente) {
        replace(clienteChosen, h("span", { class: "tenue" }, "Público en general"));
        return;
      }
      replace(
        clienteChosen,
        h("strong", {}, cart.cliente.nombre),
        cart.cliente.telefono ? h("span", { class: "tenue" }, ` · ${cart.cliente.telefono}`) : null,
        " ",
        h("button", { type: "button", class: "link", on: { click: () => chooseCliente(null) }, "aria-label": `Quitar al cliente ${cart.cliente.nombre}` }, "Quitar"),
      );
    }
    let clienteAsked = 0;
    clienteInput.addEventListener(
      "input",
      debounce(async () => {
        const text = clienteInput.value.trim();
        const mine = ++clienteAsked;
        if (text.length < 2) return clientes.close();
        const page = await api.get("/clientes", { q: text, limit: 8 }).catch(() => null);
        if (mine === clienteAsked && page) {
          clientes.show(page.items, page.items.length ? 0 : -1);
          if (!page.items.length) clienteNotice.textContent = `Ningún cliente coincide con «${text}».`;
        }
      }, 150),
    );
    const clienteNotice = h("small", { class: "field-error", id: "pos-cliente-error", role: "alert" });
    clienteInput.addEventListener("input", () => (clienteNotice.textContent = ""));
    const nuevoCliente = async () => {
      const created = await newClienteDialog(clienteInput.value.trim());
      if (created) chooseCliente(created);
      clienteInput.focus();
    };
    const clienteBox = h(
      "fieldset",
      { class: "pos-cliente" },
      h("legend", {}, "Cliente (opcional)"),
      clienteChosen,
      h(
        "div",
        { class: "field cell" },
        h("label", { for: "pos-cliente" }, "Buscar cliente"),
        h("div", { class: "pick-wrap" }, clienteInput, clientes.list),
        clienteNotice,
      ),
      api.can("clientes:escribir") ? h("button", { type: "button", class: "link", on: { click: nuevoCliente } }, "Nuevo cliente") : null,
    );

    // --- Payments ----------------------------------------------------------------------------

    const pagosBody = h("div", { class: "pagos-filas" });
    const pagosError = h("div", { class: "cell", "data-field": "pagos", tabindex: "-1" }, h("small", { class: "field-error", role: "alert" }));
    const completar = h("button", { type: "button", class: "link", on: { click: () => fillMissing() } }, "Completar con lo que falta");

    function addPago() {
      const used = new Set(cart.pagos.map((p) => p.metodo));
      cart.pagos.push(newPago(fmt.metodos.find((m) => !used.has(m)) || "efectivo"));
      changed();
      drawPagos();
      pagosBody.lastElementChild?.querySelector("input")?.focus();
    }

    /** Put the server's «falta» in the empty last payment, or in a new one. */
    function fillMissing() {
      if (!quote || !(quote.falta > 0)) return;
      let pago = cart.pagos[cart.pagos.length - 1];
      if (!pago || String(pago.monto).trim() !== "") {
        addPago();
        pago = cart.pagos[cart.pagos.length - 1];
      }
      pago.monto = String(quote.falta);
      changed();
      drawPagos();
      pagosBody.lastElementChild?.querySelector("input")?.focus();
    }

    function pagoRow(pago, index) {
      const metodoId = uid("metodo");
      const montoId = uid("monto");
      const refId = uid("referencia");
      const metodo = h(
        "select",
        { id: metodoId, "data-field": `pagos.${index}.metodo` },
        fmt.metodos.map((m) => h("option", { value: m, selected: m === pago.metodo }, fmt.metodo(m))),
      );
      const monto = h("input", { type: "number", id: montoId, min: "0", step: "0.01", inputmode: "decimal", value: pago.monto, "data-field": `pagos.${index}.monto`, placeholder: "0.00" });
      const referencia = h("input", { type: "text", id: refId, value: pago.referencia, "data-field": `pagos.${index}.referencia`, autocomplete: "off", placeholder: "Opcional" });
      metodo.addEventListener("change", () => {
        pago.metodo = metodo.value;
        changed();
      });
      monto.addEventListener("input", () => {
        pago.monto = monto.value;
        changed();
      });
      referencia.addEventListener("input", () => {
        pago.referencia = referencia.value;
        save();
      });
      monto.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && index === cart.pagos.length - 1) {
          event.preventDefault();
          cobrar();
        }
      });
      const quitar = h(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": `Quitar el pago ${index + 1}`,
          on: {
            click: () => {
              cart.pagos.splice(index, 1);
              changed();
              drawPagos();
              (pagosBody.querySelector("input") || code).focus();
            },
          },
        },
        "Quitar",
      );
      return h(
        "div",
        { class: "pago-fila" },
        h("div", { class: "field cell" }, h("label", { for: metodoId }, "Forma de pago"), metodo, h("small", { class: "field-error" })),
        h("div", { class: "field cell" }, h("label", { for: montoId }, "Monto"), monto, h("small", { class: "field-error", role: "alert" })),
        h("div", { class: "field cell" }, h("label", { for: refId }, "Referencia"), referencia, h("small", { class: "field-error" })),
        quitar,
      );
    }

    function drawPagos() {
      // Redrawn only when rows come or go (never while an amount is typed), so nothing is lost.
      replace(pagosBody, cart.pagos.map(pagoRow));
    }

    // --- Totals: the server's quote --------------------------------------------------------------

    const totals = h("dl", { class: "pos-totales", "aria-live": "polite" });
    function drawQuote() {
      const q = quote;
      const pending = unquoted ? "—" : "…";
      const money = (value) => (q ? fmt.money(value) : cart.items.length ? pending : fmt.money(0));
      const entry = (label, value, kind) => h("div", { class: kind || null }, h("dt", {}, label), h("dd", {}, money(value)));
      replace(
        totals,
        entry("Subtotal", q && q.subtotal),
        entry("IVA", q && q.iva),
        q && q.descuento ? entry("Descuento", q.descuento) : null,
        entry("Total", q && q.total, "total"),
        entry("Pagado", q && q.pagado),
        q && q.falta > 0 ? entry("Falta", q.falta, "falta") : null,
        entry("Cambio", q && q.cambio, q && q.cambio > 0 ? "cambio" : null),
      );
      totals.dataset.listo = q ? "si" : "no";
      completar.disabled = !(q && q.falta > 0);
      cart.items.forEach((item, index) => {
        const refs = rows.get(item.producto_id);
        const line = q && q.items[index];
        if (!refs) return;
        refs.precio.textContent = line ? fmt.money(line.precio_unitario) : pending;
        refs.importe.textContent = line ? fmt.money(line.importe) : pending;
        refs.aviso.textContent = line && line.aviso ? line.aviso : "";
        refs.tr.classList.toggle("con-aviso", Boolean(line && line.aviso));
      });
    }

    // --- Selling ---------------------------------------------------------------------------------

    const cobrarButton = h("button", { type: "button", class: "primary cobrar", "aria-keyshortcuts": "F9", on: { click: () => cobrar() } }, "Cobrar (F9)");

    async function cobrar() {
      if (selling) return;
      clearErrors(form);
      if (!cart.items.length) {
        sayNoMatch("Agrega al menos un producto antes de cobrar.");
        code.focus();
        return;
      }
      selling = true;
      cobrarButton.disabled = true;
      const sent = body();
      let venta;
      try {
        venta = await api.post("/ventas", sent);
      } catch (error) {
        if (error.code === "ya_existe") {
          // The sale went through and only its answer was lost: it is this very cart.
          venta = await api.get(`/ventas/${sent.id}`).catch(() => null);
        }
        if (!venta) {
          if (error.fields === undefined) throw error;
          refused = placed(error);
          showErrors(form, refused);
          return;
        }
      } finally {
        selling = false;
        cobrarButton.disabled = false;
      }
      const sold = { ...venta, cliente_nombre: cart.cliente ? cart.cliente.nombre : null };
      cart = newCart();
      drafts.clear(DRAFT);
      quote = null;
      clienteInput.value = "";
      drawAll();
      showSold(sold);
    }

    async function showSold(venta) {
      const preview = h("div", { class: "ticket-vista", "aria-label": "Ticket" });
      const imprimir = async () => {
        try {
          await printTicket(venta, taller);
        } catch (error) {
          ctx.notify(error.message, "error");
        }
      };
      const dialog = openDialog({
        title: `Venta ${fmt.folioVenta(venta.folio)} registrada`,
        body: h(
          "div",
          { class: "venta-hecha-cuerpo" },
          h(
            "dl",
            { class: "pos-totales grande" },
            h("div", { class: "total" }, h("dt", {}, "Total"), h("dd", {}, fmt.money(venta.total))),
            h("div", { class: "cambio" }, h("dt", {}, "Cambio"), h("dd", {}, fmt.money(venta.cambio))),
          ),
          preview,
        ),
        actions: [
          { label: "Imprimir ticket", kind: "primary", onClick: imprimir },
          { label: "Nueva venta", onClick: (close) => close() },
        ],
        onClose: () => {
          soldDialog = null;
          code.focus();
        },
        label: `Venta ${fmt.folioVenta(venta.folio)} registrada`,
      });
      soldDialog = dialog;
      dialog.element.classList.add("venta-hecha");
      dialog.element.querySelector("button.primary").focus();
      // The ticket as it will print, built by print.js and shown here before printing.
      const ticket = await renderTicket(venta, taller);
      preview.append(ticket.cloneNode(true));
    }

    const nuevaVenta = async () => {
      if (cart.items.length && !(await confirmDialog("¿Vaciar el carrito y empezar otra venta?", { title: "Nueva venta", confirm: "Vaciar" }))) return;
      cart = newCart();
      drafts.clear(DRAFT);
      drawAll();
      code.focus();
    };

    // --- Layout -----------------------------------------------------------------------------------

    const form = h(
      "form",
      { class: "pos", novalidate: true, on: { submit: (event) => event.preventDefault() } },
      h("p", { class: "form-error", role: "alert" }),
      h(
        "div",
        { class: "pos-columnas" },
        h(
          "div",
          { class: "pos-izquierda" },
          h(
            "div",
            { class: "field codigo cell" },
            h("label", { for: "pos-codigo" }, "Código de producto (F3)"),
            h("div", { class: "pick-wrap" }, code, products.list),
            codeNotice,
            h("small", { class: "field-error", role: "alert" }),
          ),
          h("div", { class: "lineas-marco" }, linesTable, empty),
        ),
        h(
          "div",
          { class: "pos-derecha" },
          clienteBox,
          h(
            "fieldset",
            { class: "pos-pagos" },
            h("legend", {}, "Pagos"),
            pagosBody,
            pagosError,
            h(
              "div",
              { class: "acciones" },
              h("button", { type: "button", class: "link", on: { click: addPago }, "aria-keyshortcuts": "Alt+p" }, "Agregar pago (Alt P)"),
              completar,
            ),
          ),
          totals,
          cobrarButton,
        ),
      ),
    );

    function drawAll() {
      drawLines();
      drawCliente();
      drawPagos();
      drawQuote();
      clearErrors(form);
      requote();
    }

    replace(
      root,
      h(
        "div",
        { class: "encabezado" },
        h("h1", {}, "Punto de venta"),
        taller && !taller.nombre ? h("a", { class: "aviso", href: "#/taller" }, "Faltan los datos del taller para el ticket") : null,
        printerControl(),
        h("button", { type: "button", on: { click: nuevaVenta }, "aria-keyshortcuts": "Alt+n" }, "Nueva venta (Alt N)"),
        api.can("ventas:leer") ? h("a", { class: "boton", href: "#/ventas" }, "Ventas del día") : null,
      ),
      form,
    );
    drawAll();

    ctx.keys({
      F9: { description: "Cobrar la venta", handler: () => cobrar() },
      "Alt+c": { description: "Buscar cliente para la venta", handler: () => clienteInput.focus() },
      "Alt+p": { description: "Agregar otra forma de pago", handler: addPago },
      "Alt+n": { description: "Vaciar el carrito (nueva venta)", handler: nuevaVenta },
    });
    // Another counter sold or adjusted a product in this cart: ask again (the stock warning follows).
    const inCart = (data) => data && cart.items.some((item) => item.producto_id === data.id);
    ctx.on("stock_actualizado", (data) => inCart(data) && requote());
    ctx.on("producto_actualizado", (data) => inCart(data) && requote());
    ctx.on("taller_actualizado", (data) => (taller = data));
    code.focus();
  },
};
