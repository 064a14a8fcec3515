#!/usr/bin/env bash
# Builds the browser bundle into target/site/pkg (or $CARGO_TARGET_DIR/site/pkg): the hydrate WASM, its JS glue and the CSS.
# No cargo-leptos: plain cargo + wasm-bindgen (pinned in scripts/versions.env), so nothing is
# downloaded at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env
# Follows CARGO_TARGET_DIR like cargo does (the server's SITE_ROOT is then $CARGO_TARGET_DIR/site).
target="${CARGO_TARGET_DIR:-target}"
site="$target/site/pkg"
mkdir -p "$site"
cargo build -p frontend --lib --target "$RUST_WASM_TARGET" --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$site" --out-name baa-tracker \
  "$target/$RUST_WASM_TARGET/wasm-release/frontend.wasm"
# Shrink the bundle (about a third of its size). wasm-opt is pinned in tools/package.json.
tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  -o "$site/baa-tracker_bg.wasm" "$site/baa-tracker_bg.wasm"
cp style/main.css "$site/baa-tracker.css"
cp public/upload.js "$site/upload.js"
# Compressed once here, served as they are (server/src/assets.rs): br and gzip at their best
# levels, which would cost too much per request.
for f in "$site/baa-tracker_bg.wasm" "$site/baa-tracker.js" "$site/baa-tracker.css" "$site/upload.js"; do
  gzip -9 -n -k -f "$f"
  brotli -q 11 -k -f "$f"
done
echo "site built in $site: WASM $(stat -c %s "$site/baa-tracker_bg.wasm") bytes," \
  "$(stat -c %s "$site/baa-tracker_bg.wasm.gz") gzipped, $(stat -c %s "$site/baa-tracker_bg.wasm.br") with br"
