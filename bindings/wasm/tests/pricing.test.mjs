// Node tests of the WASM bundle: the browser prices a cart exactly as the server does.
//
// Run by scripts/test-wasm after scripts/build-wasm:
//   node --test bindings/wasm/tests/
// MERX_WASM_PKG points at the built package's files (default bindings/wasm/pkg, the ES-module
// glue for browsers, which Node loads with `initSync`); MERX_NATIVE_PRICED at the native
// `merx-price` output for examples/pricing/request.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../../..");
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const pkg = process.env.MERX_WASM_PKG ?? path.join(root, "bindings/wasm/pkg");
const merx = await import(path.join(pkg, "merx_wasm.js"));
merx.initSync({ module: readFileSync(path.join(pkg, "merx_wasm_bg.wasm")) });
const requestText = readFileSync(path.join(root, "examples/pricing/request.json"), "utf8");
const request = JSON.parse(requestText);

test("the wasm total equals the native total, field for field", () => {
  const nativeFile = process.env.MERX_NATIVE_PRICED ?? path.join(target, "native-priced.json");
  const native = JSON.parse(readFileSync(nativeFile, "utf8"));
  assert.deepEqual(merx.priceCart(request), native);
  assert.deepEqual(JSON.parse(merx.priceCartJson(requestText)), native);
});

test("amounts come back as exact decimal strings", () => {
  const priced = merx.priceCart(request);
  assert.equal(typeof priced.totals.total, "string");
  const sum = priced.lines.reduce((acc, l) => acc + Math.round(Number(l.total) * 100), 0) +
    Math.round(Number(priced.shipping.total) * 100);
  assert.equal(sum, Math.round(Number(priced.totals.total) * 100));
});

test("a zero-decimal currency prices without fractions", () => {
  const yen = structuredClone(request);
  yen.cart.currency = "JPY";
  yen.rules = {};
  yen.cart.shippingMethodId = null;
  yen.cart.couponCodes = [];
  for (const line of yen.cart.lines) line.unitPrice = "1078";
  const priced = merx.priceCart(yen);
  assert.equal(priced.totals.subtotal, "6468");
  assert.equal(priced.totals.total, "6468");
});

test("bad input throws an Error with a stable code", () => {
  const negative = structuredClone(request);
  negative.cart.lines[0].quantity = "-1";
  assert.throws(() => merx.priceCart(negative),
    (e) => e instanceof Error && e.code === "invalid_quantity" && e.family === "validation");
  assert.throws(() => merx.priceCart({ cart: { currency: "XYZ" } }),
    (e) => e.code === "validation_failed" && /currency/.test(e.message));
  assert.throws(() => merx.priceCartJson("{"), (e) => e.code === "malformed_request");
  const rejected = structuredClone(request);
  rejected.cart.couponCodes = ["NOPE"];
  const priced = merx.priceCart(rejected);
  assert.deepEqual(priced.rejectedCoupons.map((r) => [r.code, r.reason]), [["NOPE", "not_found"]]);
});

test("the error table is exported with the family of each code", () => {
  const codes = merx.errorCodes();
  const outOfStock = codes.find((c) => c.code === "out_of_stock");
  assert.equal(outOfStock.status, 409);
  assert.equal(outOfStock.family, "out_of_stock");
  assert.equal(codes.find((c) => c.code === "coupon_expired").family, "coupon");
  assert.equal(codes.find((c) => c.code === "malformed_request").family, "validation");
  assert.ok(codes.every((c) => typeof c.family === "string" && c.family.length > 0));
});

test("a thrown error carries the family of its code from the core's table", () => {
  const families = new Map(merx.errorCodes().map((c) => [c.code, c.family]));
  for (const bad of ["{", JSON.stringify({ cart: { currency: "USD", lines: [{ quantity: "-1" }] } })]) {
    assert.throws(() => merx.priceCartJson(bad), (e) => e.family === families.get(e.code));
  }
});
