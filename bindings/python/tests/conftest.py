"""Shared fixtures: the example pricing request and the native `merx-price` output for it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REQUEST_PATH = ROOT / "examples" / "pricing" / "request.json"


@pytest.fixture(scope="session")
def request_text() -> str:
    return REQUEST_PATH.read_text(encoding="utf-8")


@pytest.fixture()
def request_dict(request_text: str) -> dict:
    return json.loads(request_text)


@pytest.fixture(scope="session")
def native_priced() -> bytes:
    """What the native `merx-price` command prints for the example request. scripts/test-python
    produces it once and names it in MERX_NATIVE_PRICED; run alone, the tests produce it here."""
    given = os.environ.get("MERX_NATIVE_PRICED")
    if given:
        return Path(given).read_bytes()
    return subprocess.run(
        ["cargo", "run", "-q", "--locked", "-p", "merx-example-pricing", "--", str(REQUEST_PATH)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
