#!/usr/bin/env bash
# Runs every test: format, lints, dependency advisories (offline), unit and integration tests on
# SQLite and on PostgreSQL, then the Playwright journeys in Debian's chromium against the built
# app. Installs or starts whatever is missing first. `.ci/run` calls exactly this.
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

step "dependency advisories (offline snapshot)"
advisory_db="${ADVISORY_DB:-../shared/advisory-db}"
if [ ! -d "$advisory_db" ]; then
  echo "advisory database not found at $advisory_db (set ADVISORY_DB)" >&2
  exit 1
fi
cargo audit --no-fetch --db "$advisory_db"
# The one ignored advisory (.cargo/audit.toml) is only safe while its crate is not built.
if cargo tree --workspace -i rsa --target all -e normal,build 2>/dev/null | grep -q '^rsa'; then
  echo "rsa is now part of the build: RUSTSEC-2023-0071 can no longer be ignored" >&2
  exit 1
fi

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
