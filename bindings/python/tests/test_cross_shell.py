"""The cross-shell pricing cases (``examples/pricing/cases/``) through Python: each input gets the
error code every other shell gives, or exactly the bytes of the priced cart the core wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import merx

CASES = Path(__file__).resolve().parents[3] / "examples" / "pricing" / "cases"
MANIFEST = json.loads((CASES / "cases.json").read_text(encoding="utf-8"))


def test_there_are_cases():
    assert len(MANIFEST) >= 10


@pytest.mark.parametrize("case", MANIFEST, ids=[case["input"] for case in MANIFEST])
def test_each_case_gets_the_same_code_or_bytes(case):
    text = (CASES / case["input"]).read_text(encoding="utf-8")
    if "code" in case:
        with pytest.raises(merx.MerxError) as caught:
            merx.price_cart_json(text)
        assert caught.value.code == case["code"], caught.value
        status = {entry["code"]: entry["status"] for entry in merx.error_codes()}
        assert caught.value.status == status[case["code"]]
    else:
        expected = (CASES / case["priced"]).read_text(encoding="utf-8")
        assert merx.price_cart_json(text) == expected
