// A list of choices under a text field (a combobox): arrows move, Enter picks, Esc closes,
// a click picks too. The field keeps the focus, so typing or scanning goes on.

import { h, replace, uid } from "./dom.js";

export class PickList {
  /** input: the text field; render(item) -> node or text; onPick(item). */
  constructor(input, { render, onPick, label }) {
    this.input = input;
    this.render = render;
    this.onPick = onPick;
    this.items = [];
    this.active = -1;
    this.list = h("ul", { class: "pick-list", role: "listbox", id: uid("lista"), "aria-label": label, hidden: true });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
    input.addEventListener("keydown", (event) => this.key(event));
    input.addEventListener("blur", () => setTimeout(() => !this.list.contains(document.activeElement) && this.close(), 150));
  }

  get open() {
    return !this.list.hidden;
  }

  /** Show `items`; `active`: the index highlighted at first (-1: none, the field's Enter is its own). */
  show(items, active = -1) {
    this.items = items;
    this.active = items.length ? active : -1;
    replace(
      this.list,
      items.map((item, index) =>
        h(
          "li",
          {
            role: "option",
            id: `${this.list.id}-${index}`,
            "aria-selected": index === this.active ? "true" : "false",
            on: {
              mousedown: (event) => event.preventDefault(), // keep the focus in the field
              click: () => this.pick(index),
            },
          },
          this.render(item),
        ),
      ),
    );
    this.list.hidden = !items.length;
    this.input.setAttribute("aria-expanded", String(!this.list.hidden));
    this.highlight();
  }

  close() {
    this.show([]);
  }

  highlight() {
    [...this.list.children].forEach((li, index) => li.setAttribute("aria-selected", index === this.active ? "true" : "false"));
    if (this.active >= 0) {
      this.input.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
      this.list.children[this.active].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  pick(index) {
    const item = this.items[index];
    this.close();
    if (item !== undefined) this.onPick(item);
  }

  key(event) {
    if (!this.open) return;
    const last = this.items.length - 1;
    if (event.key === "ArrowDown") this.active = this.active >= last ? 0 : this.active + 1;
    else if (event.key === "ArrowUp") this.active = this.active <= 0 ? last : this.active - 1;
    else if (event.key === "Escape") this.close();
    else if (event.key === "Enter" && this.active >= 0) this.pick(this.active);
    else return;
    event.preventDefault(); // the list had this key: not the screen's Esc, not the field's Enter
    event.stopPropagation();
    this.highlight();
  }
}
