"""Merx for Python: exact cart pricing and an embedded commerce engine.

Everything here calls the same Rust core as the Merx server, CLI and browser bundle, so a total
computed in Python equals the total the server charges, to the minor unit.

Two ways in:

* :func:`price_cart` prices a pricing request (``{"cart": ..., "rules": ..., "now": ...,
  "usage": ...}``) with no store at all and returns the priced cart, in exactly the JSON contract
  every Merx shell speaks: camelCase keys, amounts as decimal strings. Pass ``decimal=True`` (or
  use :func:`to_decimals`) to get :class:`decimal.Decimal` amounts for data work; amounts never
  become floats.
* :class:`Recommender` fits recommendations on interactions and serves "for you", "also
  bought", "buy again" and popular lists; :func:`evaluate` scores them offline.
* :class:`Engine` runs the commerce services over a store (:meth:`Engine.in_memory`, or SQLite with :meth:`Engine.open`): catalog,
  stock, search, carts, coupons, pricing, checkout and orders, as plain synchronous methods that
  take and return dicts in the same contract.

Errors are :class:`MerxError` subclasses carrying the core's stable ``code``, the HTTP ``status``
for it, and ``details``; see :mod:`merx.errors`.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import uuid as _uuid
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from merx import _merx
from merx._contract import DECIMAL_KEYS
from merx._contract import DECIMAL_MAP_KEYS as _DECIMAL_MAP_KEYS
from merx._merx import __version__
from merx.errors import (
    AuthError,
    ConflictError,
    CouponError,
    MerxError,
    NotFoundError,
    OutOfStockError,
    PaymentError,
    StorageError,
    UnavailableError,
    ValidationError,
    exception_class,
)

__all__ = [
    "AuthError",
    "ConflictError",
    "CouponError",
    "DECIMAL_KEYS",
    "Engine",
    "MerxError",
    "NotFoundError",
    "OutOfStockError",
    "PaymentError",
    "Recommender",
    "StorageError",
    "UnavailableError",
    "ValidationError",
    "__version__",
    "error_codes",
    "evaluate",
    "exception_class",
    "price_cart",
    "price_cart_json",
    "to_decimals",
]

JSON = Dict[str, Any]
Request = Union[str, bytes, Mapping[str, Any]]
Number = Union[int, str, Decimal]



def _encode(value: Any) -> Any:
    """JSON for the values Python data work produces that ``json`` cannot write itself."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValidationError(
                f"datetime {value.isoformat()} has no time zone; Merx needs an aware datetime",
                code="validation_failed",
                status=422,
            )
        return value.isoformat()
    if isinstance(value, _uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not part of the Merx JSON contract")


def _to_json(value: Request) -> str:
    """The contract's JSON text for a dict (Decimals, datetimes and UUIDs allowed) or for text
    that already is JSON."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    return _json.dumps(value, default=_encode, ensure_ascii=False)


def _number(value: Number, name: str) -> str:
    """A quantity or amount as the exact decimal text the core parses."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise TypeError(
            f"{name} must be an int, a str or a decimal.Decimal, not {type(value).__name__}"
        )
    return value if isinstance(value, str) else format(Decimal(value), "f")


def to_decimals(value: Any) -> Any:
    """A copy of a contract value (dict, list or scalar) with every amount and quantity (the
    string values under :data:`DECIMAL_KEYS`, and each price in a ``prices`` map) turned into
    :class:`decimal.Decimal`. Identifiers, names and SKUs stay strings, even when they look like
    numbers."""
    if isinstance(value, list):
        return [to_decimals(v) for v in value]
    if not isinstance(value, dict):
        return value
    converted: JSON = {}
    for key, item in value.items():
        if key in DECIMAL_KEYS and isinstance(item, str):
            converted[key] = Decimal(item)
        elif key in _DECIMAL_MAP_KEYS and isinstance(item, dict):
            converted[key] = {
                k: Decimal(v) if isinstance(v, str) else v for k, v in item.items()
            }
        else:
            converted[key] = to_decimals(item)
    return converted


def _result(text: str, decimal: bool) -> Any:
    value = _json.loads(text)
    return to_decimals(value) if decimal else value


def price_cart(request: Request, *, decimal: bool = False) -> JSON:
    """Prices a cart without a store.

    Args:
        request: the pricing request, as a dict (``Decimal``, aware ``datetime`` and ``UUID``
            values are accepted) or as JSON text: ``{"cart": {...}, "rules": {...}, "now":
            "2026-11-26T12:00:00Z", "usage": {...}}``; ``rules``, ``now`` and ``usage`` may be
            left out (``now`` defaults to the current time).
        decimal: return amounts and quantities as ``decimal.Decimal`` instead of strings.

    Returns:
        The priced cart in the JSON contract (``lines``, ``shipping``, ``appliedPromotions``,
        ``rejectedCoupons``, ``taxLines``, ``totals``, ...).

    Raises:
        ValidationError: the request is not a pricing request (``malformed_request``) or
            breaks a rule (``invalid_quantity``, ``unknown_currency``, ...).
    """
    return _result(_merx.price_cart_json(_to_json(request)), decimal)


def price_cart_json(request: Request, *, pretty: bool = False) -> str:
    """Like :func:`price_cart`, but returns the priced cart as JSON text: byte for byte what the
    Merx server returns (compact) or what the ``merx-price`` command prints (``pretty=True``)."""
    return _merx.price_cart_json(_to_json(request), pretty=pretty)


def error_codes() -> List[JSON]:
    """The core's error table: ``[{"code", "status", "family", "description"}]`` in table order;
    ``family`` names the exception class a code raises (``"coupon"``: :class:`CouponError`)."""
    return [
        {"code": code, "status": status, "family": family, "description": description}
        for code, status, family, description in _merx.error_codes()
    ]


class Engine:
    """The Merx services over one store, as synchronous methods.

    Arguments and results are dicts in the JSON contract (camelCase keys, amounts as decimal
    strings; pass ``decimal=True`` where offered for ``Decimal`` amounts). Ids are UUID strings.
    An engine may be shared by several threads; each call releases the GIL while the store
    works.

    Create one with :meth:`in_memory` or :meth:`open`.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _merx.Engine) -> None:
        self._native = native

    @classmethod
    def in_memory(cls) -> "Engine":
        """An engine over a fresh in-memory store; nothing persists once it is dropped."""
        return cls(_merx.Engine.in_memory())

    @classmethod
    def open(cls, url: str) -> "Engine":
        """An engine over the SQLite database at ``url`` (``"sqlite:///path/to/merx.db"``, or
        ``"sqlite::memory:"``), created and migrated when needed. Several engines, and other
        Merx shells, may share the file."""
        return cls(_merx.Engine.open(url))

    # Catalog -----------------------------------------------------------------------------

    def create_category(
        self,
        name: str,
        *,
        parent_id: Optional[str] = None,
        slug: Optional[str] = None,
        position: int = 0,
    ) -> JSON:
        """Creates a category (under ``parent_id`` when given); the slug defaults to one made
        from the name."""
        category: JSON = {"name": name, "parentId": parent_id, "position": position}
        if slug is not None:
            category["slug"] = slug
        return self.put_category(category)

    def put_category(self, category: Mapping[str, Any]) -> JSON:
        """Inserts or replaces a category (``{"id"?, "parentId"?, "name", "slug"?,
        "position"?}``)."""
        return _json.loads(self._native.put_category(_to_json(category)))

    def list_categories(self) -> List[JSON]:
        """Every category."""
        return _json.loads(self._native.list_categories())

    def put_product(self, product: Mapping[str, Any], *, decimal: bool = False) -> JSON:
        """Validates and inserts or replaces a product with its variants.

        ``{"name", "status"?: "draft"|"active"|"archived", "variants": [{"sku", "prices":
        {"USD": "19.99"}, "stock"?, ...}], "categoryIds"?, ...}``; ids and the slug are
        generated when left out. Replacing a product keeps its variants' stock (stock changes
        only through :meth:`adjust_stock` and checkout).
        """
        return _result(self._native.put_product(_to_json(product)), decimal)

    def get_product(self, product_id: str, *, decimal: bool = False) -> JSON:
        """The product with this id (:class:`NotFoundError` when there is none)."""
        return _result(self._native.get_product(str(product_id)), decimal)

    def stock_level(self, variant_id: str, *, decimal: bool = False) -> JSON:
        """A variant's stock: ``{"variantId", "productId", "sku", "stock", "allowBackorder"}``."""
        return _result(self._native.stock_level(str(variant_id)), decimal)

    def adjust_stock(self, variant_id: str, delta: Number, *, decimal: bool = False) -> JSON:
        """Adds ``delta`` (negative to remove) to a variant's stock atomically and returns the
        new stock level; :class:`OutOfStockError` if it would go below zero without
        backorders."""
        return _result(
            self._native.adjust_stock(str(variant_id), _number(delta, "delta")), decimal
        )

    def search_products(
        self,
        text: Optional[str] = None,
        *,
        currency: str,
        category_id: Optional[str] = None,
        min_price: Optional[Number] = None,
        max_price: Optional[Number] = None,
        in_stock: Optional[bool] = None,
        status: Optional[str] = "active",
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 20,
        decimal: bool = False,
    ) -> JSON:
        """Full-text product search with filters: ``{"total", "items": [product, ...]}``.

        ``text`` matches name, description, category names and SKUs by word prefix;
        ``category_id`` includes subcategories; prices are the lowest variant price in
        ``currency``; ``status=None`` searches every status; ``sort`` is one of
        ``relevance``, ``newest``, ``price_asc``, ``price_desc``, ``name_asc``, ``name_desc``.
        """
        query: JSON = {
            "text": text,
            "categoryId": category_id,
            "currency": currency,
            "minPrice": None if min_price is None else _number(min_price, "min_price"),
            "maxPrice": None if max_price is None else _number(max_price, "max_price"),
            "inStock": in_stock,
            "status": status,
            "sort": sort,
            "page": {"offset": offset, "limit": limit},
        }
        return _result(self._native.search_products(_to_json(query)), decimal)

    # Pricing rules -----------------------------------------------------------------------

    def put_promotion(self, promotion: Mapping[str, Any]) -> JSON:
        """Validates and inserts or replaces a promotion (automatic, or behind ``couponCode``)."""
        return _json.loads(self._native.put_promotion(_to_json(promotion)))

    def list_promotions(self) -> List[JSON]:
        """Every promotion."""
        return _json.loads(self._native.list_promotions())

    def put_shipping_method(self, method: Mapping[str, Any]) -> JSON:
        """Validates and inserts or replaces a shipping method."""
        return _json.loads(self._native.put_shipping_method(_to_json(method)))

    def pricing_settings(self) -> JSON:
        """The tax settings (with the tax rates) and rounding mode, and the ``version`` they are
        at."""
        return _json.loads(self._native.pricing_settings())

    def put_pricing_settings(self, settings: Mapping[str, Any]) -> JSON:
        """Replaces the tax settings and rounding mode (``{"tax": {...}, "rounding":
        "half_up", "version": 3}``). ``version`` is the one :meth:`pricing_settings` returned
        (0, or left out, before the first save): if the settings changed since, the write raises
        :class:`ConflictError` (code ``conflict``) and changes nothing. Returns the settings at
        their new version."""
        return _json.loads(self._native.put_pricing_settings(_to_json(settings)))

    # Carts -------------------------------------------------------------------------------

    def create_cart(
        self, currency: str, *, customer_id: Optional[str] = None, decimal: bool = False
    ) -> JSON:
        """A new empty cart in ``currency`` (an ISO-4217 code), for a customer or a guest."""
        return _result(self._native.create_cart(currency, customer_id), decimal)

    def get_cart(self, cart_id: str, *, decimal: bool = False) -> JSON:
        """The cart with this id."""
        return _result(self._native.get_cart(str(cart_id)), decimal)

    def add_item(
        self,
        cart_id: str,
        sku: Optional[str] = None,
        *,
        quantity: Number = 1,
        product_id: Optional[str] = None,
        variant_id: Optional[str] = None,
        decimal: bool = False,
    ) -> JSON:
        """Adds ``quantity`` of a variant, named by ``sku`` or by ``product_id`` and
        ``variant_id``, and returns the cart. A variant already in the cart raises that line's
        quantity. The product must be active and priced in the cart's currency; stock is
        checked here as a courtesy and reserved at checkout."""
        return _result(
            self._native.add_item(
                str(cart_id), _number(quantity, "quantity"), sku, product_id, variant_id
            ),
            decimal,
        )

    def set_quantity(
        self, cart_id: str, line_id: str, quantity: Number, *, decimal: bool = False
    ) -> JSON:
        """Sets a line's quantity (zero removes the line) and returns the cart."""
        return _result(
            self._native.set_quantity(str(cart_id), str(line_id), _number(quantity, "quantity")),
            decimal,
        )

    def remove_line(self, cart_id: str, line_id: str, *, decimal: bool = False) -> JSON:
        """Removes a line and returns the cart."""
        return _result(self._native.remove_line(str(cart_id), str(line_id)), decimal)

    def apply_coupon(self, cart_id: str, code: str, *, decimal: bool = False) -> JSON:
        """Enters a coupon code and returns the cart. A code no promotion has raises
        :class:`CouponError` (code ``coupon_not_found``) at once. Whether a known code applies is
        decided when the cart is priced, which lists a refused code under ``rejectedCoupons``
        with its reason; checkout refuses a cart with a rejected coupon (:class:`CouponError`)."""
        return _result(self._native.apply_coupon(str(cart_id), code), decimal)

    def remove_coupon(self, cart_id: str, code: str, *, decimal: bool = False) -> JSON:
        """Removes a coupon code and returns the cart."""
        return _result(self._native.remove_coupon(str(cart_id), code), decimal)

    def set_shipping_address(
        self, cart_id: str, address: Optional[Mapping[str, Any]], *, decimal: bool = False
    ) -> JSON:
        """Sets (``{"name", "line1", "city", "postalCode", "country", ...}``) or clears
        (``None``) the shipping address, which drives tax and shipping."""
        text = None if address is None else _to_json(address)
        return _result(self._native.set_shipping_address(str(cart_id), text), decimal)

    def set_shipping_method(
        self, cart_id: str, method_id: Optional[str], *, decimal: bool = False
    ) -> JSON:
        """Sets or clears (``None``) the cart's shipping method; an unknown or inactive method
        raises :class:`NotFoundError`."""
        return _result(self._native.set_shipping_method(str(cart_id), method_id), decimal)

    def price_cart(self, cart_id: str, *, decimal: bool = False) -> JSON:
        """Prices the stored cart now with the store's promotions, tax, shipping and promotion
        usage: the same priced-cart contract as :func:`merx.price_cart`."""
        return _result(self._native.price_cart(str(cart_id)), decimal)

    # Orders ------------------------------------------------------------------------------

    def checkout(
        self,
        cart_id: str,
        *,
        email: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        decimal: bool = False,
    ) -> JSON:
        """Turns the cart into an order in one atomic step: prices it afresh, reserves stock
        (:class:`OutOfStockError` naming the first short line), counts promotion usage,
        consumes the cart. With ``idempotency_key``, a retry for the same cart returns the
        same order."""
        return _result(
            self._native.checkout(str(cart_id), email, idempotency_key), decimal
        )

    def get_order(self, order_id: str, *, decimal: bool = False) -> JSON:
        """The order with this id."""
        return _result(self._native.get_order(str(order_id)), decimal)

    def list_orders(
        self,
        *,
        customer_id: Optional[str] = None,
        status: Optional[str] = None,
        offset: int = 0,
        limit: int = 50,
        decimal: bool = False,
    ) -> List[JSON]:
        """Orders, newest first, optionally of one customer or in one status."""
        query = {
            "customerId": customer_id,
            "status": status,
            "page": {"offset": offset, "limit": limit},
        }
        return _result(self._native.list_orders(_to_json(query)), decimal)

    def transition_order(
        self,
        order_id: str,
        status: str,
        *,
        tracking_number: Optional[str] = None,
        decimal: bool = False,
    ) -> JSON:
        """Moves an order along ``pending -> processing -> shipped -> delivered``, or to
        ``cancelled`` from pending or processing (which releases the reserved stock). An illegal
        move raises :class:`ConflictError` with code ``invalid_transition``; every move is
        written to the order's ``history``."""
        return _result(
            self._native.transition_order(str(order_id), status, tracking_number), decimal
        )


# Recommendations ---------------------------------------------------------------------------


def _timestamp(value: Union[int, _dt.datetime]) -> int:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValidationError(
                f"datetime {value.isoformat()} has no time zone; Merx needs an aware datetime",
                code="validation_failed",
                status=422,
            )
        return int(value.timestamp())
    return int(value)


def _request(
    k: int,
    exclude_seen: bool,
    allow: Optional[Iterable[str]],
    deny: Iterable[str],
    unavailable: Iterable[str],
    explain: int,
    fill_with_popular: bool,
) -> str:
    return _json.dumps(
        {
            "k": k,
            # The core's request is camelCase and ignores fields it does not know.
            "excludeSeen": exclude_seen,
            "allow": None if allow is None else [str(i) for i in allow],
            "deny": [str(i) for i in deny],
            "unavailable": [str(i) for i in unavailable],
            "explain": explain,
            "fillWithPopular": fill_with_popular,
        }
    )


class Recommender:
    """Recommendations from implicit feedback: "recommended for you", "customers also bought",
    "buy again" and popular items, with filters and explanations (``merx_core::recommend``).

    Users and items are strings (store UUIDs or any ids). Results are lists of
    ``{"item", "score", "source", "because": [{"item", "weight"}]}``; ``source`` is
    ``collaborative``, ``buy_again`` or ``popular``. Every serving method takes the same
    filters: ``k`` (list length), ``exclude_seen`` (leave out the user's own items), ``allow``
    (only these), ``deny`` and ``unavailable`` (never these; pass inactive or out-of-stock
    products), ``explain`` (contributing items per result) and ``fill_with_popular``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _merx.Recommender) -> None:
        self._native = native

    @classmethod
    def fit(
        cls,
        interactions: Iterable[Mapping[str, Any]],
        *,
        config: Optional[Mapping[str, Any]] = None,
    ) -> "Recommender":
        """Fits on interactions ``{"user", "item", "timestamp", "weight"?}`` (timestamp in
        seconds or an aware datetime; weight defaults to 1). ``config`` is the core's
        ``RecommenderConfig`` (``{"model": {"kind": "item_similarity" | "ease" | "als", ...},
        "decay": {"half_life_seconds": ...}, "buy_again": ..., "popularity_decay": ...}``);
        without it, SAR: Jaccard item similarity with a 30-day half-life."""
        rows = [
            {
                "user": str(row["user"]),
                "item": str(row["item"]),
                "weight": float(row.get("weight", 1.0)),
                "timestamp": _timestamp(row["timestamp"]),
            }
            for row in interactions
        ]
        text = None if config is None else _to_json(config)
        return cls(_merx.Recommender.fit(_json.dumps(rows), text))

    @classmethod
    def from_json(cls, text: str) -> "Recommender":
        """A recommender saved with :meth:`to_json`."""
        return cls(_merx.Recommender.from_json(text))

    def to_json(self) -> str:
        """The fitted model as JSON text, to save and serve later without refitting."""
        return self._native.to_json()

    @property
    def config(self) -> JSON:
        """The configuration it was fitted with."""
        return _json.loads(self._native.config())

    def recommend_for_user(
        self,
        user: str,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        allow: Optional[Iterable[str]] = None,
        deny: Iterable[str] = (),
        unavailable: Iterable[str] = (),
        explain: int = 0,
        fill_with_popular: bool = True,
    ) -> List[JSON]:
        """"Recommended for you"; a user without history gets popular items."""
        request = _request(k, exclude_seen, allow, deny, unavailable, explain, fill_with_popular)
        return _json.loads(self._native.recommend_for_user(str(user), request))

    def also_bought(
        self,
        items: Union[str, Iterable[str]],
        k: int = 10,
        *,
        allow: Optional[Iterable[str]] = None,
        deny: Iterable[str] = (),
        unavailable: Iterable[str] = (),
        explain: int = 0,
        fill_with_popular: bool = True,
    ) -> List[JSON]:
        """"Customers who bought this also bought" for one item or a basket (never the query
        items themselves)."""
        query = [items] if isinstance(items, str) else [str(i) for i in items]
        request = _request(k, True, allow, deny, unavailable, explain, fill_with_popular)
        return _json.loads(self._native.also_bought(query, request))

    def buy_again(
        self,
        user: str,
        k: int = 10,
        *,
        allow: Optional[Iterable[str]] = None,
        deny: Iterable[str] = (),
        unavailable: Iterable[str] = (),
    ) -> List[JSON]:
        """"Buy again": the user's own past items by frequency and recency."""
        request = _request(k, False, allow, deny, unavailable, 0, False)
        return _json.loads(self._native.buy_again(str(user), request))

    def popular(
        self,
        k: int = 10,
        *,
        allow: Optional[Iterable[str]] = None,
        deny: Iterable[str] = (),
        unavailable: Iterable[str] = (),
    ) -> List[JSON]:
        """The most popular (or trending) items passing the filters."""
        request = _request(k, True, allow, deny, unavailable, 0, True)
        return _json.loads(self._native.popular(request))


def evaluate(
    recommended: Mapping[str, Sequence[str]],
    relevant: Mapping[str, Iterable[str]],
    *,
    k: int = 10,
    catalog_size: int,
) -> JSON:
    """Offline ranking metrics at ``k`` of recommended lists (``{user: [item, ...]}``) against
    held-out items (``{user: [item, ...]}``): ``{"k", "users", "precision", "recall", "ndcg",
    "map", "map_at_k", "coverage"}``, averaged over users with held-out items."""
    return _json.loads(
        _merx.evaluate(
            _json.dumps({str(u): [str(i) for i in items] for u, items in recommended.items()}),
            _json.dumps({str(u): [str(i) for i in items] for u, items in relevant.items()}),
            k,
            catalog_size,
        )
    )
