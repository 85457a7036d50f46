"""Real ids for Schemathesis: reads and creates demo resources on a live merx-server and prints
them as shell `export` lines, which scripts/schemathesis.toml names in its parameter overrides.

Operations that delete or move a resource get one of their own (a product, category, promotion,
tax rate, shipping method, user and order made here), so the operations fuzzed after them still
find theirs. Usage: python3 schemathesis-fixtures.py BASE_URL ADMIN_TOKEN
"""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid

BASE, TOKEN = sys.argv[1], sys.argv[2]


def call(method: str, path: str, body: object | None = None, token: str | None = TOKEN) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        text = response.read()
    return json.loads(text) if text else {}


def product(name: str) -> dict:
    sku = f"ST-{uuid.uuid4().hex[:8].upper()}"
    return call(
        "POST",
        "/v1/products",
        {
            "name": name,
            "status": "active",
            "variants": [{"sku": sku, "prices": {"USD": "12.00"}, "stock": "1000"}],
        },
    )


def checkout(token: str, product_body: dict) -> dict:
    variant = product_body["variants"][0]["id"]
    call(
        "POST",
        "/v1/cart/items",
        {"productId": product_body["id"], "variantId": variant, "quantity": "1"},
        token,
    )
    return call("POST", "/v1/orders", {}, token)


ids: dict[str, str] = {}
kept = product("Schemathesis mug")
ids["PRODUCT"] = kept["id"]
ids["VARIANT"] = kept["variants"][0]["id"]
ids["DOOMED_PRODUCT"] = product("Schemathesis doomed mug")["id"]
ids["CATEGORY"] = call("POST", "/v1/categories", {"name": "Schemathesis shelf"})["id"]
ids["DOOMED_CATEGORY"] = call("POST", "/v1/categories", {"name": "Schemathesis bin"})["id"]
promotion = {"name": "Schemathesis", "effect": {"type": "percentage_off", "percent": "5",
                                                "target": {"type": "order"}}}
ids["PROMOTION"] = call("POST", "/v1/promotions", promotion)["id"]
ids["DOOMED_PROMOTION"] = call("POST", "/v1/promotions", promotion)["id"]
rate = {"name": "Schemathesis tax", "country": "FR", "taxClass": "standard", "percent": "20"}
ids["TAX_RATE"] = call("POST", "/v1/settings/tax-rates", rate)["id"]
ids["DOOMED_TAX_RATE"] = call("POST", "/v1/settings/tax-rates", rate)["id"]
method = {"name": "Schemathesis post", "rate": {"type": "flat", "amounts": {"USD": "3.00"}}}
ids["SHIPPING_METHOD"] = call("POST", "/v1/shipping-methods", method)["id"]
ids["DOOMED_SHIPPING_METHOD"] = call("POST", "/v1/shipping-methods", method)["id"]
password = "schemathesis-customer-1"
for key in ("USER", "DOOMED_USER"):
    email = f"{key.lower()}-{uuid.uuid4().hex[:8]}@schemathesis.test"
    ids[key] = call("POST", "/v1/users", {"email": email, "password": password, "name": key})["id"]
ids["REVIEW"] = call("POST", f"/v1/products/{ids['PRODUCT']}/reviews",
                     {"rating": 4, "title": "Schemathesis"})["id"]
# Orders of the admin's own: one that stays pending, one that moves along the state machine.
ids["ORDER"] = checkout(TOKEN, kept)["id"]
ids["MOVING_ORDER"] = checkout(TOKEN, kept)["id"]
# A line in the admin's cart, left for the cart operations.
cart = call("POST", "/v1/cart/items",
            {"productId": ids["PRODUCT"], "variantId": ids["VARIANT"], "quantity": "1"})
ids["CART_LINE"] = cart["cart"]["lines"][0]["id"]
call("POST", "/v1/cart/coupons", {"code": "WELCOME10"})
ids["COUPON"] = "WELCOME10"

for key, value in ids.items():
    print(f"export MERX_ST_{key}={value}")
