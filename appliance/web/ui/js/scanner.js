// A barcode scanner is a keyboard that types fast: characters ≤ 30 ms apart, then Enter.
// Wherever the focus is, a scan is taken out of the field it fell into (unless that field
// is a scan target, like the POS code field) and handed to whoever listens for scans,
// so a code is never typed into a customer's name or lost because the focus moved.

const GAP_MS = 30;
const MIN_LENGTH = 4;

export class ScannerListener {
  constructor() {
    this.handlers = [];
    this.reset();
    document.addEventListener("keydown", (event) => this.key(event), true);
  }

  reset() {
    this.chars = "";
    this.last = 0;
    this.target = null;
    this.before = null; // the target's value before the burst started
  }

  /** Call `handler(code, target)` for each scan; the newest handler is asked first and
   * returns true when it took the scan. Returns the unsubscribe. */
  on(handler) {
    this.handlers.unshift(handler);
    return () => (this.handlers = this.handlers.filter((h) => h !== handler));
  }

  key(event) {
    const now = event.timeStamp;
    const gap = now - this.last;
    if (event.key === "Enter") {
      const burst = this.chars.length >= MIN_LENGTH && gap <= GAP_MS * 3;
      if (burst) this.scanned(event);
      this.reset();
      return;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.altKey || event.metaKey) {
      if (event.key !== "Shift") this.reset();
      return;
    }
    if (!this.chars || gap > GAP_MS) {
      this.reset();
      this.target = event.target;
      this.before = "value" in event.target ? { value: event.target.value, start: event.target.selectionStart, end: event.target.selectionEnd } : null;
    }
    this.chars += event.key;
    this.last = now;
  }

  scanned(event) {
    const code = this.chars;
    const target = this.target;
    const isTarget = target instanceof HTMLElement && target.dataset.scanTarget !== undefined;
    if (!isTarget && this.before && typeof this.before.value === "string") {
      // Put the field back as it was before the burst: the code was not meant for it.
      target.value = this.before.value;
      if (this.before.start !== null && target.setSelectionRange) target.setSelectionRange(this.before.start, this.before.end);
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
    for (const handler of this.handlers) {
      if (handler(code, target, isTarget)) {
        event.preventDefault();
        event.stopPropagation();
        return;
      }
    }
  }
}

export const scanner = new ScannerListener();
