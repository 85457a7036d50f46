"""The exception hierarchy covers the core's whole error table, each code exactly once, and takes
each code's class from the table's family column."""

from __future__ import annotations

import pytest

import merx
from merx import _merx, errors


def test_every_code_in_the_native_table_maps_to_exactly_one_class():
    table = [code for code, _, _, _ in _merx.error_codes()]
    assert len(table) == len(set(table)) > 40
    for code in table:
        owners = [family for family in errors.FAMILIES if code in family.codes]
        assert len(owners) == 1, f"{code} is claimed by {owners}"
        assert merx.exception_class(code) is owners[0]


def test_no_family_claims_a_code_the_core_does_not_have():
    table = {code for code, _, _, _ in _merx.error_codes()}
    claimed = set().union(*(family.codes for family in errors.FAMILIES))
    assert claimed == table


def test_only_internal_falls_back_to_the_base_class():
    for code, _, _, _ in _merx.error_codes():
        if code != "internal":
            assert merx.exception_class(code) is not merx.MerxError, code
    assert merx.exception_class("a_code_from_a_newer_core") is merx.MerxError


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("validation_failed", merx.ValidationError),
        ("malformed_request", merx.ValidationError),
        ("uri_too_long", merx.ValidationError),
        ("invalid_quantity", merx.ValidationError),
        ("unknown_currency", merx.ValidationError),
        ("not_found", merx.NotFoundError),
        ("conflict", merx.ConflictError),
        ("idempotency_conflict", merx.ConflictError),
        ("request_in_flight", merx.ConflictError),
        ("invalid_transition", merx.ConflictError),
        ("email_taken", merx.ConflictError),
        ("out_of_stock", merx.OutOfStockError),
        ("coupon_expired", merx.CouponError),
        ("payment_declined", merx.PaymentError),
        ("invalid_credentials", merx.AuthError),
        ("session_revoked", merx.AuthError),
        ("storage_unavailable", merx.StorageError),
        ("cart_empty", merx.UnavailableError),
    ],
)
def test_families(code, family):
    assert merx.exception_class(code) is family
    assert issubclass(family, merx.MerxError)


def test_the_class_of_a_code_is_the_one_for_its_family_in_the_core_table():
    classes = {cls.family: cls for cls in errors.FAMILIES}
    families = {family for _, _, family, _ in _merx.error_codes()}
    # Every family of the core's table has its class, and no class stands for a family the
    # core does not have.
    assert families == set(classes)
    for code, _, family, _ in _merx.error_codes():
        assert merx.exception_class(code) is classes[family], code
    table = {entry["code"]: entry for entry in merx.error_codes()}
    assert table["coupon_expired"]["family"] == "coupon"
    assert table["rate_limited"]["family"] == "auth"


def test_error_table_is_exported_with_statuses():
    table = {entry["code"]: entry for entry in merx.error_codes()}
    assert table["out_of_stock"]["status"] == 409
    assert table["not_found"]["status"] == 404
    assert table["payment_declined"]["status"] == 402
    assert all(entry["description"] for entry in table.values())


def test_raised_errors_carry_the_status_of_their_code():
    statuses = {code: status for code, status, _, _ in _merx.error_codes()}
    with pytest.raises(merx.MerxError) as caught:
        merx.price_cart("[]")
    assert caught.value.status == statuses[caught.value.code]
