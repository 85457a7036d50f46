// A bundled app's use of the package: the bare import resolves through the package's `exports`,
// and the .wasm is imported as an asset (esbuild's `file` loader gives its path relative to the
// bundle; Vite finds the `new URL(..., import.meta.url)` in the glue by itself) and handed to init.
import init, { priceCartJson } from "merx-wasm";
import wasmUrl from "merx-wasm/merx_wasm_bg.wasm";

await init({ module_or_path: new URL(wasmUrl, import.meta.url) });
window.priceCartJson = priceCartJson;
document.body.dataset.ready = "true";
