#!/usr/bin/env bash
# Installs what is missing on a fresh machine (idempotent). Usage: scripts/bootstrap.sh [--test]
# Without --test: what building and running the app needs. With --test: also what the test
# suite needs (cargo-deny, PostgreSQL running, chromium, poppler, Playwright from npm,
# schemathesis from PyPI in tools/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
source scripts/versions.env
want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! command -v cargo >/dev/null; then
  echo "bootstrap: cargo is missing; install Rust with rustup first (https://rustup.rs)." >&2
  exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx "$RUST_WASM_TARGET"; then
  say "adding the $RUST_WASM_TARGET target"
  rustup target add "$RUST_WASM_TARGET"
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Not --locked: its lock file names a yanked crate.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# build-site.sh compresses the browser files once with brotli (Debian's package).
if ! command -v brotli >/dev/null; then
  say "installing brotli from Debian"
  apt-get update -qq && apt-get install -y -qq brotli >/dev/null
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

if $want_test; then
  if [ "$(cargo deny --version 2>/dev/null | awk '{print $2}')" != "$CARGO_DENY_VERSION" ]; then
    say "installing cargo-deny $CARGO_DENY_VERSION (about 8 minutes)"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --force
  fi
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  command -v psql >/dev/null || missing+=(postgresql-client)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  if [ "$(tools/venv/bin/schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, into tools/venv)"
    if ! python3 -m venv tools/venv 2>/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv tools/venv
    fi
    tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "installing Playwright (npm; the browser is Debian's chromium)"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
