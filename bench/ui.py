"""The staff UI's speed at the counter, measured in the real browser on the reference database.

    python bench/ui.py [--clientes 20000 --ordenes 100000 --productos 5000 --ventas 20000] [--rounds 30]

Seeds a temporary data folder with `demo-data` (the reference sizes by default), starts the real
server on 127.0.0.1, opens Debian's Chromium through Playwright at 1366×768 and measures, inside the
page (performance.now(), so Playwright's own round trips are not counted):

- first screen: from navigation start to the Inicio figures painted, signed in (the token kept in
  the tab, as after a reload), and to the sign-in form for a new visitor;
- search as you type: a person types a customer's name at 80 ms per key; from the last keystroke to
  the results for exactly that text painted (p50/p95 over --rounds names);
- scan to line: a scanner types a product code at 10 ms per character and Enter on the POS; from
  Enter to the new line painted (p50/p95).

"Painted" is the first animation frame after the DOM change. Targets (issue 11): first screen
≤ 1 s, search ≤ 150 ms p95, scan ≤ 100 ms p95. The report goes to bench/reports/ui-<time>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

from load import OWNER, ROOT, Server, add_reference_data_args, create_owner, machine, seed, write_report
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS  # the tests' Chromium, flags and all

# A keydown clock and a paint clock on the results. Playwright runs it through the DevTools
# protocol; the page's CSP (no eval) would refuse a plain expression string, so every snippet
# here is a function.
WATCH = """
(selector) => {
  window.__bench = { lastKey: 0, painted: [] };
  document.addEventListener("keydown", (e) => { window.__bench.lastKey = performance.now(); window.__bench.key = e.key; }, true);
  const target = document.querySelector(selector);
  new MutationObserver(() => {
    requestAnimationFrame(() => window.__bench.painted.push({
      at: performance.now(), text: target.textContent, lines: target.querySelectorAll("tr.linea").length,
    }));
  }).observe(target, { childList: true, subtree: true });
}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def first_screen(page: Page, url: str, password: str) -> tuple[float, float]:
    """(ms to the sign-in form for a new visitor, ms to Inicio's figures when signed in)."""
    page.goto(url + "/")
    page.wait_for_selector("form.login")
    login_ms = page.evaluate("() => performance.now()")
    page.get_by_label("Usuario").fill(OWNER)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_selector(".cifras")
    page.reload()
    page.wait_for_selector(".cifras")
    return login_ms, page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(performance.now())))")


def search_times(page: Page, url: str, names: list[str]) -> list[float]:
    page.goto(url + "/#/clientes")
    search = page.get_by_label("Buscar cliente")
    search.wait_for()
    page.evaluate(WATCH, ".resultados")
    times = []
    for name in names:
        search.fill("")
        page.wait_for_function("() => document.querySelector('.resultados').dataset.q === ''")
        page.evaluate("() => { window.__bench.painted = []; }")
        search.type(name, delay=80)
        page.wait_for_function("(q) => document.querySelector('.resultados').dataset.q === q", arg=name)
        page.wait_for_function("() => window.__bench.painted.length > 0")
        times.append(page.evaluate("() => window.__bench.painted.at(-1).at - window.__bench.lastKey"))
    return times


def scan_times(page: Page, url: str, codes: list[str]) -> list[float]:
    page.goto(url + "/#/ventas/nueva")
    page.locator("[data-scan-target]").wait_for()
    page.evaluate(WATCH, ".pos-lineas")
    times = []
    for count, code in enumerate(codes, start=1):
        page.evaluate("() => { window.__bench.painted = []; }")
        page.keyboard.type(code, delay=10)
        page.keyboard.press("Enter")
        page.wait_for_function("(n) => document.querySelectorAll('.pos-lineas tbody tr.linea').length >= n", arg=count)
        # The POS also repaints its lines when a quote comes back (prices, stock warnings), so the
        # paint that counts is the first one showing the new line.
        page.wait_for_function("(n) => window.__bench.painted.some((p) => p.lines >= n)", arg=count)
        times.append(
            page.evaluate("(n) => window.__bench.painted.find((p) => p.lines >= n).at - window.__bench.lastKey", count)
        )
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_reference_data_args(parser)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    started_at = dt.datetime.now()
    with tempfile.TemporaryDirectory(prefix="servitec-ui-bench-") as folder:
        data_dir = Path(folder)
        seeded = seed(data_dir, args)
        if seeded is None:
            return 1
        password = create_owner(data_dir)
        server = Server(data_dir, password)
        try:
            server.wait_for_backup(600)
            rng = random.Random(7)
            clientes = server.api("GET", f"/clientes?limit=200&offset={rng.randrange(0, args.clientes - 200)}")["items"]
            names = [" ".join(c["nombre"].split()[:2]) for c in rng.sample(clientes, args.rounds)]
            productos = [p for p in server.api("GET", "/inventario?limit=200")["items"] if p["codigo"]]
            codes = [p["codigo"] for p in rng.sample(productos, min(args.rounds, len(productos)))]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="es-MX").new_page()
                login_ms, inicio_ms = first_screen(page, server.url, password)
                searches = search_times(page, server.url, names)
                scans = scan_times(page, server.url, codes)
                browser.close()
        finally:
            server.stop()
    rows = [
        ("First screen: sign-in form (new visitor)", f"{login_ms:.0f} ms", "≤ 1,000 ms", login_ms <= 1000),
        ("First screen: Inicio painted (signed in, reload)", f"{inicio_ms:.0f} ms", "≤ 1,000 ms", inicio_ms <= 1000),
        (
            f"Search as you type, {len(searches)} names: last key → results painted",
            f"p50 {statistics.median(searches):.0f} ms, p95 {percentile(searches, 0.95):.0f} ms, max {max(searches):.0f} ms",
            "p95 ≤ 150 ms",
            percentile(searches, 0.95) <= 150,
        ),
        (
            f"Scan to POS line, {len(scans)} codes: Enter → line painted",
            f"p50 {statistics.median(scans):.0f} ms, p95 {percentile(scans, 0.95):.0f} ms, max {max(scans):.0f} ms",
            "p95 ≤ 100 ms",
            percentile(scans, 0.95) <= 100,
        ),
    ]
    info = machine()
    report = "\n".join(
        [
            f"# Staff UI speed — {started_at:%Y-%m-%d %H:%M}",
            "",
            f"- Data: {seeded.summary} (seeded in {seeded.seconds:.0f} s, {seeded.db_size / 2**20:.0f} MiB)",
            *[f"- {key}: {value}" for key, value in info.items()],
            "- load average at the end (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
            "- Browser: Debian's Chromium, headless, 1366×768, through Playwright; times measured in the page",
            "",
            "| Measure | Result | Target | Met |",
            "|---|---|---|---|",
            *[f"| {name} | {result} | {target} | {'yes' if met else 'NO'} |" for name, result, target, met in rows],
            "",
        ]
    )
    write_report("ui", started_at, report, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
