#!/usr/bin/env bash
# Property-based API test: Schemathesis (from PyPI) against a live build of merx-server on
# loopback, with the server's own OpenAPI document. Fails on any 5xx, any response that violates
# the document, or any other failed check. Installs Schemathesis into target/ on first use.
#
# Tunables: SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 25).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/schemathesis-venv
if [[ ! -x $venv/bin/schemathesis ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis==4.32.5'
fi

# The debug binary `cargo test --workspace --all-features` builds for the integration tests: after
# scripts/test's test step this is a no-op. A release build, or a plain `cargo build` (whose
# features differ without the dev-dependencies), would compile dependencies once more: minutes of
# CI for a run that checks answers, not speed.
cargo test --workspace --all-features --locked --no-run -q
# Cargo puts the binary under CARGO_TARGET_DIR when one is set.
server_bin="${CARGO_TARGET_DIR:-target}/debug/merx-server"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
admin_email=admin@schemathesis.test
admin_password=schemathesis-admin-1
log=target/schemathesis-server.log

# Fuzzing sends thousands of requests from one address: the rate limit is off for this run (it has
# its own in-process test).
MERX_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
    "$server_bin" --listen "127.0.0.1:$port" --demo --rate-limit 0 \
    --admin-email "$admin_email" --admin-password "$admin_password" > "$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$base/readyz" > /dev/null

token=$(curl -fsS -X POST "$base/v1/users/login" -H 'content-type: application/json' \
    -d "{\"email\": \"$admin_email\", \"password\": \"$admin_password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')

# Real ids for the operations on one resource (scripts/schemathesis.toml names them).
eval "$(python3 scripts/schemathesis-fixtures.py "$base" "$token")"

# One worker: with two, Hypothesis's source inspection on this Python (3.11) can hit a CPython
# `ast` race ("AST constructor recursion depth mismatch") that aborts the run.
# As the admin, so every operation gets past authentication and its body is really exercised.
# Every check runs, positive_data_acceptance ("a schema-valid request must get 2xx") included,
# except on the operations scripts/schemathesis.toml names, each with the business rule the
# schema cannot express.
fuzz() {
    "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/v1/openapi.json" \
        --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
        --header "Authorization: Bearer $token" \
        --seed 20261126 \
        --workers 1 \
        --no-color "$@"
}
# updateUser runs last and alone: with the typed document the fuzzer sends valid role lists, and
# a change of the admin's own roles ends the admin's sessions, so every operation fuzzed after it
# would only ever see 401.
fuzz --exclude-operation-id updateUser 2>&1 | tee target/schemathesis.log
# Alone, it has no links to follow: no stateful phase.
fuzz --include-operation-id updateUser --phases examples,coverage,fuzzing 2>&1 | tee -a target/schemathesis.log
