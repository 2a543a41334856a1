// A barcode scanner is a keyboard that types fast: characters ~30 ms apart or less, then Enter.
// Wherever the focus is, a scan is taken out of the field it fell into (unless that field
// is a scan target, like the POS code field) and handed to whoever listens for scans,
// so a code is never typed into a customer's name or lost because the focus moved.

const GAP_MS = 30; // a scanner's keys come at most this far apart, on average
const MAX_GAP_MS = 150; // a longer pause always ends a scan: no scanner pauses like that
const MIN_LENGTH = 4;

export class ScannerListener {
  constructor() {
    this.handlers = [];
    this.reset();
    document.addEventListener("keydown", (event) => this.key(event), true);
  }

  reset() {
    this.keys = []; // {char, at, before}: each key, when it came, and its field's value before it
    this.target = null;
    this.before = null; // the target's value before the scan started
    this.chars = "";
  }

  /** Call `handler(code, target)` for each scan; the newest handler is asked first and
   * returns true when it took the scan. Returns the unsubscribe. */
  on(handler) {
    this.handlers.unshift(handler);
    return () => (this.handlers = this.handlers.filter((h) => h !== handler));
  }

  key(event) {
    const now = event.timeStamp;
    const last = this.keys[this.keys.length - 1];
    if (event.key === "Enter") {
      if (last && now - last.at <= MAX_GAP_MS && this.found(now)) this.scanned(event);
      this.reset();
      return;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.altKey || event.metaKey) {
      if (event.key !== "Shift") this.reset();
      return;
    }
    if (last && (now - last.at > MAX_GAP_MS || event.target !== this.target)) this.reset();
    if (!this.keys.length) this.target = event.target;
    const field = event.target;
    const before = "value" in field ? { value: field.value, start: field.selectionStart, end: field.selectionEnd } : null;
    this.keys.push({ char: event.key, at: now, before });
  }

  /**
   * The scan is the longest run of the last keys that came at a scanner's pace on average,
   * so one late key (a busy computer) neither cuts the code nor leaves its start in the
   * field, while a person's typing before the scan stays out of it.
   */
  found(enterAt) {
    const keys = this.keys;
    for (let i = 0; i <= keys.length - MIN_LENGTH; i += 1) {
      if ((enterAt - keys[i].at) / (keys.length - i) <= GAP_MS) {
        this.chars = keys.slice(i).map((k) => k.char).join("");
        this.before = keys[i].before;
        return true;
      }
    }
    return false;
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
