#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis (tools/venv, installed by
# scripts/bootstrap.sh --test) against the built app: a fresh data folder, an owner made with
# create-owner, a write:inventory token made through the tokens page, the acme-health snapshot
# imported so reads have data. Fails on any server error (5xx), any status the document does not
# list, and any response that does not match its schema.
# Usage: scripts/api-fuzz.sh   (BAA_BIN, API_FUZZ_PORT and API_FUZZ_EXAMPLES override defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BAA_BIN:-${CARGO_TARGET_DIR:-target}/debug/baa-tracker}"
port="${API_FUZZ_PORT:-3190}"
examples="${API_FUZZ_EXAMPLES:-40}"
st=tools/venv/bin/schemathesis
[ -x "$st" ] || { echo "schemathesis missing: run scripts/bootstrap.sh --test" >&2; exit 1; }
[ -x "$bin" ] || { echo "$bin missing: build it first (cargo build -p server)" >&2; exit 1; }
data=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
export DATA_DIR="$data" BIND_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" RUST_LOG=warn
export DATABASE_URL="${API_FUZZ_DATABASE_URL:-sqlite://$data/fuzz.db?mode=rwc}"
password='fuzzing the api passphrase'
BAA_OWNER_PASSWORD="$password" "$bin" create-owner --email fuzz@example.com --name Fuzz --workspace Fuzz >/dev/null
"$bin" serve &
pid=$!
for _ in $(seq 1 60); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.5; done
jar="$data/cookies"
form() { curl -sf -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" "$@"; }
form --data-urlencode email=fuzz@example.com --data-urlencode "password=$password" "$base/actions/login"
form --data-urlencode name=fuzz --data-urlencode scope=write:inventory "$base/actions/tokens/create"
token=$(curl -sf -c "$jar" -b "$jar" -H "Origin: $base" -H 'Accept: application/json' -X POST --data '' \
  "$base/api/tokens_page" | python3 -c 'import json, sys; print(json.load(sys.stdin)["new_token"])')
# Seed: the acme-health snapshot, so reads and updates meet real records.
python3 - "$token" "$base" <<'PY'
import json, os, sys, urllib.request
token, base = sys.argv[1], sys.argv[2]
d = "fixtures/fly"
names = ["orgs-list.json", "apps-list.json", "storage-list.txt", "redis-list.txt", "ext-sentry-list.txt",
         "ext-arcjet-list.txt", "ext-vector-list.txt", "ext-kubernetes-list.txt"]
names += [f for f in os.listdir(d) if f.startswith("secrets-list--") and f.endswith(".json")]
files = [{"name": n, "content": open(os.path.join(d, n), encoding="utf-8").read()} for n in names]
req = urllib.request.Request(base + "/api/v1/imports", data=json.dumps({"files": files}).encode(),
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
print("seeded:", json.load(urllib.request.urlopen(req))["created"], "records")
PY
"$st" run "$base/api/v1/openapi.json" \
  --url "$base/api/v1" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" \
  --seed 7 \
  --no-color
