// Shortcuts that work on every screen. A screen adds its own with `bind` while it is open.
// F2 nueva venta, F3 buscar, F4 nueva orden, Esc cierra o cancela, Alt+1…9 pantallas, ? ayuda.

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

function keyName(event) {
  const name = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return (event.altKey ? "Alt+" : "") + (event.ctrlKey ? "Ctrl+" : "") + name;
}

export class KeyboardHandler {
  constructor() {
    this.global = new Map(); // key -> {handler, description}
    this.screen = new Map();
    document.addEventListener("keydown", (event) => this.handle(event));
  }

  /** A shortcut for the whole app; `description` is what the ? help lists, while `shown()` says so. */
  add(key, description, handler, { whileTyping = true, shown = () => true } = {}) {
    this.global.set(key, { handler, description, whileTyping, shown });
  }

  /** Shortcuts of the open screen; returns a function that removes them. */
  bind(shortcuts) {
    for (const [key, entry] of Object.entries(shortcuts)) this.screen.set(key, entry);
    return () => {
      for (const key of Object.keys(shortcuts)) this.screen.delete(key);
    };
  }

  /** Every shortcut with its description, for the help dialog. */
  list() {
    const rows = [];
    for (const [key, { description, shown }] of [...this.global, ...this.screen]) {
      if (description && (!shown || shown())) rows.push([key, description]);
    }
    return rows;
  }

  handle(event) {
    if (event.defaultPrevented || event.isComposing) return;
    const key = keyName(event);
    const entry = this.screen.get(key) || this.global.get(key);
    if (!entry) return;
    // Plain characters (like ?) are text while typing; function keys and Alt combinations are not.
    const plain = key.length === 1;
    if (typing(event.target) && (plain || entry.whileTyping === false)) return;
    if (document.querySelector("dialog[open]")) return; // a dialog has the keyboard (Esc closes it)
    event.preventDefault();
    entry.handler(event);
  }
}

export const keyboard = new KeyboardHandler();
