-- The full guest cart path, one connection per wrk thread: add three items (the first creates a
-- cart, whose X-Cart-Id the next requests send), then read the priced cart; then start over with
-- a new cart so carts stay three lines long. Items come from the environment: ITEMS is
-- "productId:variantId,productId:variantId,productId:variantId".
local items = {}
for pair in string.gmatch(os.getenv("ITEMS"), "[^,]+") do
  local product, variant = string.match(pair, "([^:]+):([^:]+)")
  table.insert(items, string.format('{"productId":"%s","variantId":"%s","quantity":"1"}', product, variant))
end

local step = 0
local cart_id = nil
local failures = 0

request = function()
  if step < 3 then
    local headers = { ["Content-Type"] = "application/json" }
    if step > 0 then headers["X-Cart-Id"] = cart_id end
    return wrk.format("POST", "/v1/cart/items", headers, items[step + 1])
  end
  return wrk.format("GET", "/v1/cart", { ["X-Cart-Id"] = cart_id })
end

response = function(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
  if step == 0 then cart_id = headers["x-cart-id"] or headers["X-Cart-Id"] end
  step = (step + 1) % 4
end

done = function(summary, latency, requests)
  local per_second = summary.requests / (summary.duration / 1e6)
  io.write(string.format("cart operations/s: %.0f; full paths (3 adds + priced cart)/s: %.0f; non-2xx: %d\n",
    per_second, per_second / 4, summary.errors.status))
end
