"""merx.price_cart: the same JSON contract, and the same bytes, as native pricing."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

import merx


def test_pretty_json_is_byte_identical_to_merx_price(request_text, native_priced):
    # merx-price prints the pretty JSON followed by a newline.
    assert (merx.price_cart_json(request_text, pretty=True) + "\n").encode() == native_priced


def test_compact_json_and_dict_equal_the_native_result(request_text, request_dict, native_priced):
    native = json.loads(native_priced)
    compact = merx.price_cart_json(request_text)
    assert "\n" not in compact
    assert compact == json.dumps(native, separators=(",", ":"), ensure_ascii=False)
    assert merx.price_cart(request_text) == native
    assert merx.price_cart(request_dict) == native
    assert merx.price_cart(request_text.encode()) == native


def test_amounts_are_decimal_strings_and_keys_camel_case(request_text):
    priced = merx.price_cart(request_text)
    assert set(priced["totals"]) == {
        "subtotal",
        "discountTotal",
        "shippingTotal",
        "taxTotal",
        "total",
        "itemCount",
    }
    assert all(isinstance(v, str) for v in priced["totals"].values())
    assert priced["totals"]["total"] == "165.88"


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_decimal_mode_gives_exact_decimals_that_add_up(request_text):
    priced = merx.price_cart(request_text, decimal=True)
    totals = priced["totals"]
    assert isinstance(totals["total"], Decimal)
    lines = sum(line["total"] for line in priced["lines"])
    assert lines + priced["shipping"]["total"] == totals["total"] == Decimal("165.88")
    assert totals["subtotal"] - totals["discountTotal"] + totals["taxTotal"] + totals[
        "shippingTotal"
    ] == totals["total"]
    assert not any(isinstance(leaf, float) for leaf in _leaves(priced))
    # Identifiers stay strings.
    assert isinstance(priced["lines"][0]["lineId"], str)


def test_to_decimals_converts_amounts_only():
    converted = merx.to_decimals(
        {"sku": "1234", "name": "42", "quantity": "3", "prices": {"USD": "9.99"}, "total": 7}
    )
    assert converted == {
        "sku": "1234",
        "name": "42",
        "quantity": Decimal("3"),
        "prices": {"USD": Decimal("9.99")},
        "total": 7,
    }


def test_decimal_and_datetime_values_are_accepted_in_dicts(request_dict, native_priced):
    import datetime as dt

    request = copy.deepcopy(request_dict)
    for line in request["cart"]["lines"]:
        line["unitPrice"] = Decimal(line["unitPrice"])
        line["quantity"] = Decimal(line["quantity"])
    request["now"] = dt.datetime.fromisoformat(request["now"][:26]).replace(tzinfo=dt.timezone.utc)
    assert merx.price_cart(request)["totals"] == json.loads(native_priced)["totals"]


def test_naive_datetime_is_refused(request_dict):
    import datetime as dt

    request_dict["now"] = dt.datetime(2026, 11, 26, 12, 0)
    with pytest.raises(merx.ValidationError, match="time zone"):
        merx.price_cart(request_dict)


def test_zero_decimal_currency_prices_without_fractions(request_dict):
    yen = request_dict
    yen["cart"]["currency"] = "JPY"
    yen["rules"] = {}
    yen["cart"]["shippingMethodId"] = None
    yen["cart"]["couponCodes"] = []
    for line in yen["cart"]["lines"]:
        line["unitPrice"] = "1078"
    priced = merx.price_cart(yen)
    assert priced["totals"]["subtotal"] == "6468"
    assert priced["totals"]["total"] == "6468"


def test_invalid_quantity_raises_validation_error_with_code(request_dict):
    request_dict["cart"]["lines"][0]["quantity"] = "-1"
    with pytest.raises(merx.ValidationError) as caught:
        merx.price_cart(request_dict)
    err = caught.value
    assert err.code == "invalid_quantity"
    assert err.status == 422
    assert err.details == {"quantity": "-1"}
    assert isinstance(err, merx.MerxError) and isinstance(err, ValueError)


def test_unparseable_requests_are_malformed_and_wrong_values_invalid():
    with pytest.raises(merx.ValidationError) as caught:
        merx.price_cart("{")
    assert caught.value.code == "malformed_request"
    assert caught.value.status == 400
    # Parseable JSON that is not a pricing request is refused as the server refuses it.
    with pytest.raises(merx.ValidationError, match="currency") as caught:
        merx.price_cart({"cart": {"currency": "XYZ"}})
    assert caught.value.code == "validation_failed"
    assert caught.value.status == 422


def test_rejected_coupons_are_reported_not_raised(request_dict):
    request_dict["cart"]["couponCodes"] = ["NOPE"]
    priced = merx.price_cart(request_dict)
    assert [(r["code"], r["reason"]) for r in priced["rejectedCoupons"]] == [("NOPE", "not_found")]


def test_objects_outside_the_contract_are_a_type_error(request_dict):
    request_dict["now"] = object()
    with pytest.raises(TypeError):
        merx.price_cart(request_dict)
