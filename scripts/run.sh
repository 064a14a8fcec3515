#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and start BAA Tracker on
# http://127.0.0.1:3000 with an embedded SQLite database in ./data. Environment variables
# (see .env.example) override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build-site.sh
cargo build -p server --release
export SITE_ROOT="${SITE_ROOT:-target/site}"
export DATA_DIR="${DATA_DIR:-data}"
echo "BAA Tracker: open ${PUBLIC_URL:-http://127.0.0.1:3000} (first run offers to create the owner account)"
exec target/release/baa-tracker serve
