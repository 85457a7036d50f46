// The cross-shell pricing cases (examples/pricing/cases/) through the WASM bundle: each input gets
// the error code every other shell gives, or exactly the bytes of the priced cart the core wrote.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

// The built package, loaded as pricing.test.mjs loads it (MERX_WASM_PKG, default bindings/wasm/pkg).
const root = path.resolve(import.meta.dirname, "../../..");
const pkg = process.env.MERX_WASM_PKG ?? path.join(root, "bindings/wasm/pkg");
const merx = await import(path.join(pkg, "merx_wasm.js"));
merx.initSync({ module: readFileSync(path.join(pkg, "merx_wasm_bg.wasm")) });
const casesDir = path.join(root, "examples/pricing/cases");
const cases = JSON.parse(readFileSync(path.join(casesDir, "cases.json"), "utf8"));

test("there are cases", () => {
  assert.ok(cases.length >= 10);
});

for (const c of cases) {
  test(`${c.input}: ${c.name}`, () => {
    const text = readFileSync(path.join(casesDir, c.input), "utf8");
    if (c.code !== undefined) {
      assert.throws(() => merx.priceCartJson(text), (e) => {
        assert.equal(e.code, c.code, e.message);
        return true;
      });
    } else {
      const expected = readFileSync(path.join(casesDir, c.priced), "utf8");
      assert.equal(merx.priceCartJson(text), expected);
    }
  });
}
