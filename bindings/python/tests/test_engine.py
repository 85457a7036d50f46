"""merx.Engine over the in-memory store: catalog, stock, search, carts, coupons, checkout, orders."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest

import merx


@pytest.fixture()
def engine() -> merx.Engine:
    return merx.Engine.in_memory()


@pytest.fixture()
def shop(engine):
    """A small store: a category tree, two active products, a coupon and a shipping method."""
    apparel = engine.create_category("Apparel")
    tees = engine.create_category("T-shirts", parent_id=apparel["id"])
    tee = engine.put_product(
        {
            "name": "Organic cotton tee",
            "description": "Soft and breathable",
            "status": "active",
            "categoryIds": [tees["id"]],
            "variants": [{"sku": "TEE-M", "prices": {"USD": "24.99"}, "stock": "5"}],
        }
    )
    mug = engine.put_product(
        {
            "name": "Stoneware mug",
            "status": "active",
            "variants": [{"sku": "MUG-1", "prices": {"USD": "12.00"}, "stock": "100"}],
        }
    )
    engine.put_promotion(
        {
            "name": "10% off apparel",
            "couponCode": "apparel10",
            "effect": {
                "type": "percentage_off",
                "percent": "10",
                "target": {"type": "items", "categoryIds": [apparel["id"]]},
            },
        }
    )
    ground = engine.put_shipping_method(
        {"name": "Ground", "rate": {"type": "flat", "amounts": {"USD": "6.95"}}}
    )
    return {"apparel": apparel, "tees": tees, "tee": tee, "mug": mug, "ground": ground}


def test_catalog_round_trips(engine, shop):
    assert shop["tee"]["slug"] == "organic-cotton-tee"
    assert engine.get_product(shop["tee"]["id"]) == shop["tee"]
    assert {c["name"] for c in engine.list_categories()} == {"Apparel", "T-shirts"}
    assert engine.list_promotions()[0]["couponCode"] == "APPAREL10"
    product = engine.get_product(shop["mug"]["id"], decimal=True)
    assert product["variants"][0]["prices"] == {"USD": Decimal("12.00")}


def test_invalid_product_is_a_validation_error(engine):
    with pytest.raises(merx.ValidationError) as caught:
        engine.put_product({"name": "No variants", "variants": []})
    assert caught.value.code == "validation_failed"
    assert caught.value.details == {"field": "variants"}


def test_unknown_and_malformed_ids(engine):
    with pytest.raises(merx.NotFoundError) as caught:
        engine.get_product(str(uuid.uuid4()))
    assert caught.value.status == 404
    assert caught.value.details["entity"] == "product"
    with pytest.raises(merx.ValidationError):
        engine.get_cart("not-a-uuid")


def test_adjust_stock_is_atomic_and_refuses_going_negative(engine, shop):
    variant = shop["tee"]["variants"][0]["id"]
    assert engine.adjust_stock(variant, 3, decimal=True)["stock"] == Decimal("8")
    assert engine.adjust_stock(variant, Decimal("-8"))["stock"] == "0"
    with pytest.raises(merx.OutOfStockError) as caught:
        engine.adjust_stock(variant, -1)
    assert caught.value.details["sku"] == "TEE-M"
    with pytest.raises(TypeError):
        engine.adjust_stock(variant, 1.5)


def test_search_by_prefix_category_price_and_stock(engine, shop):
    found = engine.search_products("org tee", currency="USD")
    assert found["total"] == 1 and found["items"][0]["id"] == shop["tee"]["id"]
    # A parent category finds products filed under its children.
    assert engine.search_products(currency="USD", category_id=shop["apparel"]["id"])["total"] == 1
    cheap = engine.search_products(currency="USD", max_price=Decimal("20"))
    assert [p["id"] for p in cheap["items"]] == [shop["mug"]["id"]]
    by_price = engine.search_products(currency="USD", sort="price_desc")
    assert [p["name"] for p in by_price["items"]] == ["Organic cotton tee", "Stoneware mug"]
    engine.adjust_stock(shop["tee"]["variants"][0]["id"], -5)
    assert engine.search_products(currency="USD", in_stock=True)["total"] == 1
    with pytest.raises(merx.ValidationError):
        engine.search_products(currency="USD", min_price=5, max_price=1)


def test_cart_coupon_pricing_checkout_and_order_lifecycle(engine, shop):
    cart = engine.create_cart("USD")
    cart = engine.add_item(cart["id"], "tee-m", quantity=2)
    cart = engine.add_item(
        cart["id"],
        product_id=shop["mug"]["id"],
        variant_id=shop["mug"]["variants"][0]["id"],
        quantity="1",
    )
    engine.apply_coupon(cart["id"], "apparel10")
    engine.set_shipping_address(cart["id"], {"country": "US", "region": "NY"})
    cart = engine.set_shipping_method(cart["id"], shop["ground"]["id"])
    assert cart["couponCodes"] == ["APPAREL10"]
    # The tee line carries its category's ancestors, so the apparel coupon matches it.
    assert shop["apparel"]["id"] in cart["lines"][0]["categoryIds"]

    priced = engine.price_cart(cart["id"], decimal=True)
    assert priced["rejectedCoupons"] == []
    assert priced["totals"]["subtotal"] == Decimal("61.98")
    assert priced["totals"]["discountTotal"] == Decimal("5.00")
    assert priced["totals"]["shippingTotal"] == Decimal("6.95")
    assert priced["totals"]["total"] == Decimal("63.93")

    order = engine.checkout(cart["id"], email="Shopper@Example.com")
    assert order["status"] == "pending"
    assert order["email"] == "shopper@example.com"
    assert order["totals"]["total"] == "63.93"
    assert engine.stock_level(shop["tee"]["variants"][0]["id"])["stock"] == "3"
    with pytest.raises(merx.NotFoundError):
        engine.get_cart(cart["id"])

    assert [o["id"] for o in engine.list_orders()] == [order["id"]]
    assert engine.list_orders(status="shipped") == []
    engine.transition_order(order["id"], "processing")
    shipped = engine.transition_order(order["id"], "shipped", tracking_number="1Z999")
    assert shipped["trackingNumber"] == "1Z999"
    delivered = engine.transition_order(order["id"], "delivered")
    assert delivered["status"] == "delivered"
    moves = [h["change"] for h in delivered["history"] if h["change"]["type"] == "status"]
    assert [m["to"] for m in moves] == ["processing", "shipped", "delivered"]
    assert delivered["history"][0]["change"] == {"type": "placed"}
    with pytest.raises(merx.ConflictError) as caught:
        engine.transition_order(order["id"], "cancelled")
    assert caught.value.code == "invalid_transition"
    assert caught.value.status == 409


def test_cancelling_releases_stock(engine, shop):
    variant = shop["tee"]["variants"][0]["id"]
    cart = engine.create_cart("USD")
    engine.add_item(cart["id"], "TEE-M", quantity=4)
    order = engine.checkout(cart["id"])
    assert engine.stock_level(variant)["stock"] == "1"
    assert engine.transition_order(order["id"], "cancelled")["status"] == "cancelled"
    assert engine.stock_level(variant)["stock"] == "5"
    with pytest.raises(merx.ConflictError):
        engine.transition_order(order["id"], "pending")
    with pytest.raises(merx.ValidationError):
        engine.transition_order(order["id"], "teleported")


def test_cart_line_edits(engine, shop):
    cart = engine.create_cart("USD")
    cart = engine.add_item(cart["id"], "MUG-1", quantity=2)
    line = cart["lines"][0]["id"]
    assert engine.set_quantity(cart["id"], line, 5)["lines"][0]["quantity"] == "5"
    with pytest.raises(merx.ValidationError) as caught:
        engine.set_quantity(cart["id"], line, Decimal("1.5"))
    assert caught.value.code == "invalid_quantity"
    assert engine.remove_line(cart["id"], line)["lines"] == []
    with pytest.raises(merx.UnavailableError) as caught:
        engine.checkout(cart["id"])
    assert caught.value.code == "cart_empty"
    with pytest.raises(merx.ValidationError):
        engine.add_item(cart["id"])


def test_out_of_stock_is_refused_when_adding_and_at_checkout(engine, shop):
    cart = engine.create_cart("USD")
    with pytest.raises(merx.OutOfStockError):
        engine.add_item(cart["id"], "TEE-M", quantity=6)
    engine.add_item(cart["id"], "TEE-M", quantity=2)
    engine.adjust_stock(shop["tee"]["variants"][0]["id"], -4)
    with pytest.raises(merx.OutOfStockError) as caught:
        engine.checkout(cart["id"])
    assert caught.value.details == {"sku": "TEE-M", "requested": "2", "available": "1"}
    # All or nothing: the cart is still there and the stock untouched.
    assert engine.get_cart(cart["id"])["lines"][0]["quantity"] == "2"
    assert engine.stock_level(shop["tee"]["variants"][0]["id"])["stock"] == "1"


def test_an_unknown_coupon_is_refused_when_entered(engine, shop):
    cart = engine.create_cart("USD")
    engine.add_item(cart["id"], "MUG-1")
    with pytest.raises(merx.CouponError) as caught:
        engine.apply_coupon(cart["id"], "NOSUCHCODE")
    assert caught.value.code == "coupon_not_found"
    assert caught.value.status == 422
    assert engine.get_cart(cart["id"])["couponCodes"] == []


def test_a_rejected_coupon_stops_checkout(engine, shop):
    cart = engine.create_cart("USD")
    engine.add_item(cart["id"], "MUG-1")
    # A known code is kept even though nothing in the cart qualifies yet.
    engine.apply_coupon(cart["id"], "apparel10")
    priced = engine.price_cart(cart["id"])
    assert priced["rejectedCoupons"][0]["reason"] == "not_applicable"
    with pytest.raises(merx.CouponError) as caught:
        engine.checkout(cart["id"])
    assert caught.value.code == "coupon_not_applicable"
    assert caught.value.status == 422
    engine.remove_coupon(cart["id"], "Apparel10")
    assert engine.checkout(cart["id"])["status"] == "pending"


def test_only_existing_active_shipping_methods_can_be_chosen(engine, shop):
    cart = engine.create_cart("USD")
    engine.add_item(cart["id"], "MUG-1")
    with pytest.raises(merx.NotFoundError) as caught:
        engine.set_shipping_method(cart["id"], str(uuid.uuid4()))
    assert caught.value.code == "not_found"
    assert caught.value.details["entity"] == "shipping method"
    paused = engine.put_shipping_method({**shop["ground"], "active": False})
    with pytest.raises(merx.NotFoundError) as caught:
        engine.set_shipping_method(cart["id"], paused["id"])
    assert caught.value.code == "not_found"
    assert engine.get_cart(cart["id"])["shippingMethodId"] is None
    engine.put_shipping_method({**shop["ground"], "active": True})
    chosen = engine.set_shipping_method(cart["id"], shop["ground"]["id"])
    assert chosen["shippingMethodId"] == shop["ground"]["id"]
    assert engine.set_shipping_method(cart["id"], None)["shippingMethodId"] is None


def test_products_go_only_into_existing_categories(engine, shop):
    with pytest.raises(merx.ValidationError) as caught:
        engine.put_product(
            {
                "name": "Lost tee",
                "categoryIds": [str(uuid.uuid4())],
                "variants": [{"sku": "LOST-1", "prices": {"USD": "9.00"}}],
            }
        )
    assert caught.value.code == "validation_failed"
    assert caught.value.details == {"field": "categoryIds"}
    # Replacing keeps the creation time and applies the same checks.
    renamed = engine.put_product({**shop["mug"], "name": "Big mug", "slug": "  "})
    assert renamed["slug"] == "big-mug"
    assert renamed["createdAt"] == shop["mug"]["createdAt"]
    with pytest.raises(merx.ValidationError):
        engine.put_product({**shop["mug"], "categoryIds": [str(uuid.uuid4())]})


def test_pricing_settings_refuse_a_stale_write(engine):
    settings = engine.pricing_settings()
    assert settings["version"] == 0
    rate = {"name": "VAT", "country": "de", "percent": "19"}
    saved = engine.put_pricing_settings({**settings, "tax": {"rates": [rate]}})
    assert saved["version"] == 1
    assert saved["tax"]["rates"][0]["country"] == "DE"
    # A writer who read version 0 lost the race: nothing changes.
    with pytest.raises(merx.ConflictError) as caught:
        engine.put_pricing_settings({**settings, "rounding": "down"})
    assert caught.value.code == "conflict"
    assert engine.pricing_settings() == saved
    again = engine.put_pricing_settings({**saved, "rounding": "down"})
    assert (again["version"], again["rounding"]) == (2, "down")


def test_idempotent_checkout_returns_the_same_order(engine, shop):
    cart = engine.create_cart("USD")
    engine.add_item(cart["id"], "MUG-1", quantity=3)
    first = engine.checkout(cart["id"], idempotency_key="key-1")
    again = engine.checkout(cart["id"], idempotency_key="key-1")
    assert again["id"] == first["id"]
    assert engine.stock_level(shop["mug"]["variants"][0]["id"])["stock"] == "97"
    other = engine.create_cart("USD")
    engine.add_item(other["id"], "MUG-1")
    with pytest.raises(merx.ConflictError) as caught:
        engine.checkout(other["id"], idempotency_key="key-1")
    assert caught.value.code == "idempotency_conflict"


def test_customer_carts_and_orders(engine, shop):
    customer = str(uuid.uuid4())
    cart = engine.create_cart("USD", customer_id=customer)
    engine.add_item(cart["id"], "MUG-1")
    order = engine.checkout(cart["id"])
    assert order["customerId"] == customer
    assert order["history"][0]["actor"] == {"type": "user", "userId": customer}
    assert [o["id"] for o in engine.list_orders(customer_id=customer)] == [order["id"]]
    assert engine.list_orders(customer_id=str(uuid.uuid4())) == []
    with pytest.raises(merx.ValidationError) as caught:
        engine.create_cart("XYZ")
    assert caught.value.code == "unknown_currency"


def test_threads_share_one_engine_without_overselling(engine, shop):
    variant = shop["tee"]["variants"][0]["id"]
    carts = []
    for _ in range(8):
        cart = engine.create_cart("USD")
        engine.add_item(cart["id"], "TEE-M")
        carts.append(cart["id"])
    placed, refused = [], []
    start = threading.Barrier(len(carts))

    def buy(cart_id):
        start.wait()
        try:
            placed.append(engine.checkout(cart_id)["id"])
        except merx.OutOfStockError:
            refused.append(cart_id)

    threads = [threading.Thread(target=buy, args=(c,)) for c in carts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(placed), len(refused)) == (5, 3)
    assert engine.stock_level(variant)["stock"] == "0"


def test_sqlite_engine_persists_across_opens(tmp_path):
    url = f"sqlite://{tmp_path / 'merx.db'}"
    first = merx.Engine.open(url)
    product = first.put_product(
        {
            "name": "Stoneware mug",
            "status": "active",
            "variants": [{"sku": "MUG-1", "prices": {"USD": "12.00"}, "stock": "3"}],
        }
    )
    cart = first.create_cart("USD")
    first.add_item(cart["id"], "MUG-1", quantity=2)
    order = first.checkout(cart["id"])
    del first
    reopened = merx.Engine.open(url)
    assert reopened.get_order(order["id"])["totals"]["total"] == "24.00"
    assert reopened.stock_level(product["variants"][0]["id"])["stock"] == "1"
    assert reopened.search_products("mug", currency="USD")["total"] == 1


def test_open_refuses_a_url_that_is_not_sqlite():
    with pytest.raises(merx.ValidationError) as caught:
        merx.Engine.open("postgres://localhost/merx")
    assert caught.value.code == "validation_failed"
