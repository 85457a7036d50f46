// Type-checked by the package test against the packed package's `types`: a TypeScript app's use.
import init, { errorCodes, priceCart, priceCartJson } from "merx-wasm";
import type { MerxError, PricedCart, PricingRequest } from "merx-wasm";

export async function total(request: PricingRequest): Promise<string> {
  await init();
  const priced: PricedCart = priceCart(request);
  const codes: { code: string; status: number }[] = errorCodes();
  try {
    priceCartJson("{");
  } catch (e) {
    const error = e as MerxError;
    if (codes.some((c) => c.code === error.code)) return priced.totals.total;
  }
  // @ts-expect-error a number is not a pricing request: the types are real, not `any`.
  priceCart(42);
  return priced.totals.total;
}
