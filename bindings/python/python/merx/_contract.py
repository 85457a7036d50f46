"""The decimal keys of the Merx wire contract, for :func:`merx.to_decimals`.

Generated from the OpenAPI document built from merx-core's serde types by
server/tests/contract_files.rs. Do not edit: regenerate with
``MERX_REGENERATE_CONTRACT=1 cargo test -p merx-server --test contract_files``.
"""

#: Keys whose string values are decimal amounts or quantities in any body of the contract.
DECIMAL_KEYS = frozenset(
    {
        "amount",
        "authorized",
        "captured",
        "delta",
        "discountTotal",
        "itemCount",
        "minQuantity",
        "percent",
        "quantity",
        "refunded",
        "shippingTotal",
        "stock",
        "subtotal",
        "taxTotal",
        "taxableAmount",
        "total",
        "unitPrice",
        "upTo",
        "weight",
    }
)

#: Keys whose value maps currency codes to decimal amounts (a variant's ``prices``).
DECIMAL_MAP_KEYS = frozenset(
    {
        "amounts",
        "freeOver",
        "minSubtotal",
        "prices",
        "threshold",
    }
)
