// Generated pricing requests for the parity tests: carts with promotions of every kind, coupons
// (valid, unknown, expired, over their limits), both tax modes with per-line and per-rate
// rounding, flat and weight-banded shipping, lines sold by measure, in JPY, KWD, EUR and USD.
//
// The generator is seeded, so every run (Node, Chromium, the native side) sees the same carts:
//   node bindings/wasm/tests/carts.mjs 500 > carts.jsonl
// writes one JSON request per line; `cargo run -p merx-wasm --example price_lines` prices them
// natively, one JSON result per line, for the tests to compare byte for byte.

const CURRENCIES = [
  { code: "JPY", decimals: 0 },
  { code: "KWD", decimals: 3 },
  { code: "EUR", decimals: 2 },
  { code: "USD", decimals: 2 },
];
const SKUS = ["TEE-S", "TEE-M", "MUG", "CAP", "RICE-KG", "SOCKS"];
const COUNTRIES = ["US", "DE", "JP", "KW"];
const NOW = "2026-11-26T12:00:00Z";

// mulberry32: small, fast and well distributed enough for test data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds the `count` requests of seed `seed` (the tests use 500 of seed 15). */
export function generateRequests(count, seed = 15) {
  const random = rng(seed);
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const chance = (p) => random() < p;
  const pick = (items) => items[int(0, items.length - 1)];
  const some = (items) => items.filter(() => chance(0.4));
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => int(0, 15).toString(16));
    hex[12] = "4";
    hex[16] = "89ab"[int(0, 3)];
    const h = hex.join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  // An amount of `units` minor units written with the currency's decimals ("12.34", "1200", "0.125").
  const money = (units, currency) => {
    if (currency.decimals === 0) return String(units);
    const text = String(units).padStart(currency.decimals + 1, "0");
    return `${text.slice(0, -currency.decimals)}.${text.slice(-currency.decimals)}`;
  };
  const percent = () => (chance(0.2) ? String(int(1, 100)) : `${int(0, 99)}.${int(0, 99)}`);

  const requests = [];
  for (let n = 0; n < count; n++) {
    const currency = CURRENCIES[n % CURRENCIES.length];
    const amount = (lo, hi) => ({ [currency.code]: money(int(lo, hi), currency) });
    const categories = [uuid(), uuid(), uuid()];
    const customerId = chance(0.5) ? uuid() : null;

    const lines = Array.from({ length: int(1, 10) }, () => {
      const sku = pick(SKUS);
      const byMeasure = sku === "RICE-KG";
      return {
        id: uuid(),
        productId: uuid(),
        variantId: uuid(),
        sku,
        name: sku.toLowerCase(),
        unitPrice: money(int(0, 60_000), currency),
        quantity: byMeasure ? `${int(0, 4)}.${String(int(1, 999)).padStart(3, "0")}` : String(int(1, 12)),
        taxClass: pick(["standard", "standard", "reduced"]),
        weight: chance(0.8) ? `${int(0, 3)}.${String(int(0, 999)).padStart(3, "0")}` : null,
        categoryIds: some(categories),
        saleUnit: byMeasure ? { type: "measure", unit: "kg", precision: 3 } : { type: "each" },
      };
    });

    const selector = () => {
      const s = {};
      const roll = int(0, 3);
      if (roll === 1) s.skus = some(SKUS).slice(0, 3);
      if (roll === 2) s.categoryIds = [pick(categories)];
      if (roll === 3) s.productIds = [pick(lines).productId];
      return s;
    };
    const target = () => (chance(0.5) ? { type: "order" } : { type: "items", ...selector() });
    const effect = () => {
      switch (int(0, 6)) {
        case 0:
          return { type: "percentage_off", percent: percent(), target: target() };
        case 1:
          return { type: "amount_off", amounts: amount(0, 50_000), target: target() };
        case 2:
          return { type: "amount_off_each_item", amounts: amount(0, 3_000), items: selector() };
        case 3:
          return { type: "fixed_price", prices: amount(0, 20_000), items: selector() };
        case 4:
          return {
            type: "buy_x_get_y",
            buy: selector(),
            buyQuantity: int(1, 3),
            get: chance(0.5) ? selector() : null,
            getQuantity: int(1, 2),
            reward: chance(0.5) ? { type: "free" } : { type: "percent_off", percent: percent() },
            maxApplications: chance(0.5) ? int(1, 3) : null,
          };
        case 5: {
          const low = int(0, 30_000);
          return {
            type: "tiered_spend",
            tiers: [
              { threshold: { [currency.code]: money(low, currency) }, reward: { type: "percent_off", percent: percent() } },
              { threshold: { [currency.code]: money(low + int(1, 60_000), currency) }, reward: { type: "amount_off", amounts: amount(0, 5_000) } },
            ],
          };
        }
        default:
          return { type: "free_shipping", methodIds: [] };
      }
    };

    const usage = {};
    const promotions = Array.from({ length: int(0, 4) }, (_, i) => {
      const id = uuid();
      const conditions = {};
      if (chance(0.3)) conditions.minSubtotal = amount(0, 40_000);
      if (chance(0.1)) conditions.minQuantity = String(int(1, 6));
      if (chance(0.1)) conditions.endsAt = "2026-11-26T11:00:00Z";
      if (chance(0.1)) conditions.startsAt = "2026-11-27T00:00:00Z";
      if (chance(0.1) && customerId) conditions.customerIds = [chance(0.5) ? customerId : uuid()];
      const promotion = {
        id,
        name: `promotion ${i + 1}`,
        couponCode: chance(0.5) ? ["ONE", "TWO", "THREE", "FOUR"][i] : null,
        active: chance(0.9),
        effect: effect(),
        conditions,
        usageLimit: chance(0.15) ? int(1, 3) : null,
        perCustomerLimit: chance(0.1) ? 1 : null,
        priority: int(-3, 3),
        exclusive: chance(0.15),
      };
      if (promotion.usageLimit !== null || promotion.perCustomerLimit !== null) {
        usage[id] = { total: int(0, 3), byCustomer: int(0, 1) };
      }
      return promotion;
    });

    const shippingMethods = Array.from({ length: int(0, 3) }, (_, i) => ({
      id: uuid(),
      name: ["Standard", "Express", "Freight"][i],
      countries: chance(0.3) ? some(COUNTRIES) : [],
      rate: chance(0.5)
        ? { type: "flat", amounts: amount(0, 2_000) }
        : {
            type: "weight_tiered",
            tiers: [
              { upTo: "1.000", amounts: amount(0, 1_000) },
              { upTo: "5.000", amounts: amount(1_000, 3_000) },
              ...(chance(0.7) ? [{ upTo: null, amounts: amount(3_000, 9_000) }] : []),
            ],
          },
      freeOver: chance(0.3) ? amount(0, 100_000) : null,
      taxClass: chance(0.2) ? "reduced" : null,
      active: chance(0.9),
    }));

    const country = pick(COUNTRIES);
    const rate = (name, rateCountry, taxClass, region = null) => ({
      id: uuid(),
      name,
      country: rateCountry,
      region,
      taxClass,
      percent: `${int(0, 25)}.${int(0, 999)}`,
    });
    const tax = {
      pricesIncludeTax: chance(0.5),
      shippingTaxable: chance(0.5),
      shippingTaxClass: "standard",
      calculation: pick(["per_line", "per_rate"]),
      rounding: pick(["half_up", "half_even", "down"]),
      defaultCountry: chance(0.3) ? pick(COUNTRIES) : null,
      defaultRegion: null,
      rates: [
        rate("Standard", "US", "standard", "NY"),
        rate("City", "US", "standard", "NY"),
        rate("VAT", "DE", "standard"),
        rate("VAT reduced", "DE", "reduced"),
        rate("Consumption", "JP", "standard"),
        ...(chance(0.5) ? [rate("Levy", "KW", "standard")] : []),
      ],
    };

    const couponCodes = some(["ONE", "TWO", "three", "FOUR", "NOPE"]);
    requests.push({
      cart: {
        id: uuid(),
        customerId,
        currency: currency.code,
        lines,
        couponCodes,
        shippingAddress: chance(0.85)
          ? { name: "Ada", line1: "1 Main St", city: "Town", region: country === "US" ? pick(["NY", "CA"]) : null, postalCode: "10001", country }
          : null,
        shippingMethodId: shippingMethods.length && chance(0.85) ? pick(shippingMethods).id : null,
        createdAt: NOW,
        updatedAt: NOW,
        version: int(0, 9),
      },
      rules: { promotions, tax, shippingMethods, rounding: pick(["half_up", "half_even", "down"]) },
      now: NOW,
      usage,
    });
  }
  return requests;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 500);
  for (const request of generateRequests(count)) process.stdout.write(`${JSON.stringify(request)}\n`);
}
