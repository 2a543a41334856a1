// Short notices in a corner: what another counter just did, what was saved, what failed.
// One aria-live region, so a screen reader says them too.

import { h } from "./dom.js";

let region = null;

function ensureRegion() {
  if (!region || !region.isConnected) {
    region = h("div", { class: "notices", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/** Show `text` for a few seconds; kind: "info" | "ok" | "error". */
export function notify(text, kind = "info", ms = 4000) {
  const notice = h("div", { class: `notice ${kind}` }, text);
  ensureRegion().append(notice);
  setTimeout(() => notice.remove(), kind === "error" ? ms * 2 : ms);
  return notice;
}
