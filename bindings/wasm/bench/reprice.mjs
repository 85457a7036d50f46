// Re-pricing a 10-line cart in Chromium with the built package: the median time of one
// `priceCart` call (object in, object out, as a storefront calls it on every cart change) and of
// one `priceCartJson` call, in microseconds. Not part of the test command; figures go to
// BENCHMARKS.md.
//
//   bash scripts/build-wasm && node bindings/wasm/bench/reprice.mjs
//
// The cart is examples/pricing/request.json grown to 10 lines (two promotions, one of them a
// coupon, stacked sales tax, flat-rate shipping). Chromium coarsens `performance.now()`, so the
// page times batches of 1,000 calls and reports the median batch divided by 1,000.
import { cpSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";
import sirv from "sirv";

const here = import.meta.dirname;
const root = path.resolve(here, "../../..");
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const site = path.join(target, "wasm-pkg/bench-site");
rmSync(site, { recursive: true, force: true });
mkdirSync(path.join(site, "node_modules/merx-wasm"), { recursive: true });
cpSync(path.join(here, "../pkg"), path.join(site, "node_modules/merx-wasm/pkg"), { recursive: true });
cpSync(path.join(here, "../tests/browser/parity.html"), path.join(site, "index.html"));

const request = JSON.parse(readFileSync(path.join(root, "examples/pricing/request.json"), "utf8"));
const base = request.cart.lines;
request.cart.lines = Array.from({ length: 10 }, (_, i) => ({
  ...base[i % base.length],
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  quantity: String(1 + (i % 3)),
}));

const server = createServer(sirv(site, { dev: true }));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const browser = await chromium.launch({
  executablePath: process.env.MERX_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector("body[data-ready=true]");
  const timings = await page.evaluate((req) => {
    window.timeReprice(req, 5, 1000); // warm-up: tier-up compilation, allocator growth
    return window.timeReprice(req, 31, 1000);
  }, request);
  const version = browser.version();
  for (const [call, micros] of Object.entries(timings)) {
    console.log(`${call}: ${micros.toFixed(2)} µs median (10 lines, Chromium ${version})`);
  }
} finally {
  await browser.close();
  server.close();
}
