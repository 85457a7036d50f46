"""Merx exceptions: one base class, one subclass per family of the core's error codes.

Every error the engine raises is a :class:`MerxError` carrying the core's stable snake_case
``code`` (``"out_of_stock"``, ``"invalid_transition"``, ...), the HTTP ``status`` a Merx server
answers with for that code, and structured ``details`` when there are any. Catch a family
(``except merx.NotFoundError``) or test the code (``err.code == "coupon_expired"``).

Which family a code belongs to is not decided here: it is the family column of the core's one
error table (``merx.error_codes()``, ``merx_core::ErrorCode::family``). Each class names its family
in ``family``; its ``codes`` are read from the native table when the module is imported, so a code
added to the core lands in the right class without a change here.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Dict, FrozenSet, Optional, Type

from merx import _merx


class MerxError(Exception):
    """Base class of every Merx error.

    Attributes:
        code: the stable error code from the core's table.
        status: the HTTP status a server answers with for this code.
        details: structured details (a dict) or ``None``.
    """

    #: The family of the core's error table this class stands for.
    family: ClassVar[str] = "internal"
    #: The codes of that family, filled in from the native error table.
    codes: ClassVar[FrozenSet[str]] = frozenset()

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

    family = "validation"


class NotFoundError(MerxError, LookupError):
    """The resource does not exist (or is not visible to the caller)."""

    family = "not_found"


class UnavailableError(MerxError):
    """The thing cannot be bought or shipped as asked: inactive product, missing price, empty or
    full cart, unusable shipping method or missing address."""

    family = "unavailable"


class OutOfStockError(MerxError):
    """Not enough stock for the requested quantity; ``details`` names the SKU and quantities."""

    family = "out_of_stock"


class CouponError(MerxError):
    """A coupon was refused at checkout; the code says why (``coupon_expired``, ...)."""

    family = "coupon"


class ConflictError(MerxError):
    """The request collides with the current state: a concurrent change, a reused idempotency
    key (or one whose first request is still running), an illegal state transition, an email
    already registered, a payment already captured."""

    family = "conflict"


class PaymentError(MerxError):
    """The payment provider declined or failed, or a refund exceeds what was captured."""

    family = "payment"


class AuthError(MerxError, PermissionError):
    """Authentication or authorisation failed (credentials, tokens, sessions ended by a password
    or role change, roles, inactive account, rate limits)."""

    family = "auth"


class StorageError(MerxError):
    """The store cannot be reached or failed; the operation may be retried later."""

    family = "storage"


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
    """Maps each code of the native table to the class of its family, and gives each class its
    ``codes``. A family the classes here do not know (a newer native module) falls back to
    :class:`MerxError`, so raising never fails."""
    by_family = {cls.family: cls for cls in families}
    index: Dict[str, Type[MerxError]] = {}
    for code, _status, family, _description in _merx.error_codes():
        index[code] = by_family.get(family, MerxError)
    for cls in families:
        cls.codes = frozenset(code for code, owner in index.items() if owner is cls)
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
