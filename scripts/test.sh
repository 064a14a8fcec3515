#!/usr/bin/env bash
# Runs every test: format, lints, dependency policy (cargo-deny, offline advisories), unit and
# integration tests on SQLite and on PostgreSQL, then the Playwright journeys in Debian's chromium
# against the built app. Installs or starts whatever is missing first. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env
# A single run gains nothing from incremental artifacts, and they cost tens of GB of disk.
export CARGO_INCREMENTAL=0
started=$(date +%s)
step() { printf '\n\033[1m==> %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "bootstrap"
scripts/bootstrap.sh --test

step "format"
cargo fmt --all -- --check

step "lints (server side, then the browser crate for wasm32)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p frontend --target "$RUST_WASM_TARGET" -- -D warnings

step "layering (no import circle among the modules of a crate)"
scripts/check-layering.py

step "dependency policy (cargo-deny: advisories from the offline snapshot, licences, bans, sources)"
# deny.toml; ADVISORY_DB (default ../shared/advisory-db) is the snapshot, never fetched.
scripts/check-deps.sh

step "unit and integration tests on SQLite"
timeout 1800 cargo test --workspace --exclude frontend

step "integration tests on PostgreSQL"
pg="${BAA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
# Each test creates its own database; drop those left by earlier runs.
psql "$pg/postgres" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'baa\_t\_%'" \
  | while read -r db; do psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
# Same package selection as above, so nothing is rebuilt.
BAA_TEST_POSTGRES="$pg" timeout 1800 cargo test --workspace --exclude frontend --test api

step "REST API fuzzing (schemathesis against the OpenAPI document)"
# target/debug/baa-tracker was built by the test runs above.
scripts/api-fuzz.sh

step "browser journeys (Playwright + Debian chromium)"
scripts/build-site.sh
# The app and the fake Fly.io API the journeys start (already built by the test runs above;
# this only makes sure, and costs nothing then).
cargo build -p server --bin baa-tracker -p fly-fake --bin fly-fake
(cd end2end && timeout 1200 npx playwright test)

step "all tests passed"
