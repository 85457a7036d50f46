#!/usr/bin/env bash
# Load figures for BENCHMARKS.md: a release merx-server on loopback with the demo shop, measured
# with wrk (Debian package `wrk`), 8 connections. Not part of scripts/test.
#   1. GET one product;
#   2. the cart path: add 3 items then get the priced cart (cart.lua), one connection per thread.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20s}
cargo build --release --locked -q -p merx-server
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn MERX_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
    target/release/merx-server --listen "127.0.0.1:$port" --demo --rate-limit 0 > target/bench-server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$base/healthz" > /dev/null 2>&1 && break; sleep 0.1; done

products=$(curl -fsS "$base/v1/products?limit=3&q=tee")
product=$(echo "$products" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
items=$(echo "$products" | python3 -c 'import json,sys; print(",".join(p["id"] + ":" + p["variants"][0]["id"] for p in json.load(sys.stdin)["data"]))')

echo "== GET /v1/products/{id}, 8 connections, $duration"
wrk -t 2 -c 8 -d "$duration" --latency "$base/v1/products/$product"
echo "== cart path (3 x POST /v1/cart/items + GET /v1/cart), 8 connections, $duration"
ITEMS=$items wrk -t 8 -c 8 -d "$duration" --latency -s scripts/bench/cart.lua "$base"
