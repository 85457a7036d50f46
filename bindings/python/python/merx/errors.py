"""Merx exceptions: one base class, one subclass per family of the core's error codes.

Every error the engine raises is a :class:`MerxError` carrying the core's stable snake_case
``code`` (``"out_of_stock"``, ``"invalid_transition"``, ...), the HTTP ``status`` a Merx server
answers with for that code, and structured ``details`` when there are any. Catch a family
(``except merx.NotFoundError``) or test the code (``err.code == "coupon_expired"``).

Each family lists its codes in ``codes``; every code of the core's table (``merx.error_codes()``)
belongs to exactly one family, which the test suite checks against the native module.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Dict, FrozenSet, Optional, Type


class MerxError(Exception):
    """Base class of every Merx error.

    Attributes:
        code: the stable error code from the core's table.
        status: the HTTP status a server answers with for this code.
        details: structured details (a dict) or ``None``.
    """

    codes: ClassVar[FrozenSet[str]] = frozenset({"internal"})

    def __init__(
        self,
        message: str,
        *,
        code: str = "internal",
        status: int = 500,
        details: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ValidationError(MerxError, ValueError):
    """The input is malformed or breaks a rule (bad quantity, currency, email, amount...)."""

    codes = frozenset(
        {
            "validation_failed",
            "malformed_request",
            "payload_too_large",
            "uri_too_long",
            "method_not_allowed",
            "unknown_currency",
            "currency_mismatch",
            "invalid_quantity",
            "overflow",
            "invalid_email",
            "weak_password",
        }
    )


class NotFoundError(MerxError, LookupError):
    """The resource does not exist (or is not visible to the caller)."""

    codes = frozenset({"not_found"})


class UnavailableError(MerxError):
    """The thing cannot be bought or shipped as asked: inactive product, missing price, empty or
    full cart, unusable shipping method or missing address."""

    codes = frozenset(
        {
            "product_not_available",
            "price_not_available",
            "cart_limit_exceeded",
            "cart_empty",
            "shipping_method_unavailable",
            "shipping_address_required",
        }
    )


class OutOfStockError(MerxError):
    """Not enough stock for the requested quantity; ``details`` names the SKU and quantities."""

    codes = frozenset({"out_of_stock"})


class CouponError(MerxError):
    """A coupon was refused at checkout; the code says why (``coupon_expired``, ...)."""

    codes = frozenset(
        {
            "coupon_not_found",
            "coupon_expired",
            "coupon_not_started",
            "coupon_inactive",
            "coupon_usage_limit",
            "coupon_customer_usage_limit",
            "coupon_customer_not_eligible",
            "coupon_min_subtotal_not_met",
            "coupon_min_quantity_not_met",
            "coupon_not_applicable",
            "coupon_not_combinable",
            "coupon_currency_mismatch",
        }
    )


class ConflictError(MerxError):
    """The request collides with the current state: a concurrent change, a reused idempotency
    key (or one whose first request is still running), an illegal state transition, an email
    already registered, a payment already captured."""

    codes = frozenset(
        {
            "conflict",
            "idempotency_conflict",
            "request_in_flight",
            "invalid_transition",
            "email_taken",
            "already_captured",
        }
    )


class PaymentError(MerxError):
    """The payment provider declined or failed, or a refund exceeds what was captured."""

    codes = frozenset({"payment_declined", "payment_failed", "refund_exceeds_capture"})


class AuthError(MerxError, PermissionError):
    """Authentication or authorisation failed (credentials, tokens, sessions ended by a password
    or role change, roles, inactive account, rate limits)."""

    codes = frozenset(
        {
            "invalid_credentials",
            "unauthenticated",
            "token_expired",
            "invalid_token",
            "session_revoked",
            "forbidden",
            "account_inactive",
            "rate_limited",
        }
    )


class StorageError(MerxError):
    """The store cannot be reached or failed; the operation may be retried later."""

    codes = frozenset({"storage_unavailable"})


FAMILIES: tuple[Type[MerxError], ...] = (
    ValidationError,
    NotFoundError,
    UnavailableError,
    OutOfStockError,
    CouponError,
    ConflictError,
    PaymentError,
    AuthError,
    StorageError,
    MerxError,
)


def _index(families: tuple[Type[MerxError], ...]) -> Dict[str, Type[MerxError]]:
    index: Dict[str, Type[MerxError]] = {}
    for family in families:
        for code in family.codes:
            if code in index:
                raise RuntimeError(f"{code} is in both {index[code].__name__} and {family.__name__}")
            index[code] = family
    return index


EXCEPTION_FOR_CODE: Dict[str, Type[MerxError]] = _index(FAMILIES)


def exception_class(code: str) -> Type[MerxError]:
    """The exception class raised for an error code (``MerxError`` for a code this version of
    the package does not know, so a newer native module never fails to raise)."""
    return EXCEPTION_FOR_CODE.get(code, MerxError)


def _from_native(code: str, message: str, status: int, details: Optional[str]) -> MerxError:
    """Called by ``merx._merx`` to build the exception for a core error."""
    parsed = json.loads(details) if details is not None else None
    return exception_class(code)(message, code=code, status=status, details=parsed)
