#!/usr/bin/env bash
# The read path under load: seeds SERVICES (1000) services and AGREEMENTS (100) agreements
# through the app's own forms on a fresh SQLite database (or DATABASE_URL), then runs wrk at
# CONNECTIONS (64) for DURATION (20s) against the dashboard, the inventory, the agreements page
# and the REST API (`/api/v1/services?limit=100`, `/api/v1/coverage`), and prints requests/s, p99, answer sizes (plain and compressed) and the server's memory.
#
#   scripts/load-test.sh                          # release build (built if missing)
#   BAA_BIN=target/debug/baa-tracker scripts/load-test.sh
#
# Needs wrk (apt-get install wrk) and curl. Results go in docs/benchmarks.md, "Read path".
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICES="${SERVICES:-1000}"
AGREEMENTS="${AGREEMENTS:-100}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-20s}"
BIN="${BAA_BIN:-target/release/baa-tracker}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
if [ -z "${BAA_BIN:-}" ]; then
  cargo build --release -p server --bin baa-tracker >&2
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export DATA_DIR="$work/data" BIND_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" RUST_LOG=warn
password='correct horse battery staple'
BAA_OWNER_PASSWORD="$password" "$BIN" create-owner \
  --email priya@acme-health.example --name "Priya Raman" --workspace "Acme Health" >/dev/null
"$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
jar="$work/jar"
post() { curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" "$@"; }
post --data-urlencode email=priya@acme-health.example --data-urlencode "password=$password" "$base/actions/login"
cookie="$(awk '$6 ~ /baa_session/ { print $6 "=" $7 }' "$jar")"
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }

started=$(date +%s.%N)
plans=("sentry|business" "sentry|team" "tigris|standard" "upstash-redis|pay-as-you-go" "arcjet|default")
for i in $(seq 1 "$SERVICES"); do
  post --data-urlencode "name=svc-$i" --data-urlencode "vendor_plan=${plans[$((i % 5))]}" \
    --data-urlencode "phi=yes" "$base/actions/services/save"
done
vendors=(sentry tigris upstash-redis arcjet)
for i in $(seq 1 "$AGREEMENTS"); do
  post --data-urlencode "title=BAA $i" --data-urlencode party_a=us \
    --data-urlencode "party_b=vendor:${vendors[$((i % 4))]}" --data-urlencode kind=baa \
    --data-urlencode status=signed --data-urlencode effective=2026-01-01 "$base/actions/agreements/create"
done
seeded=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
echo "read path: $SERVICES services and $AGREEMENTS agreements seeded through the forms in ${seeded}s (one client); $CONNECTIONS connections for $DURATION, $(nproc) cores, load tool on the same cores"
echo "server RSS after seeding $(( $(kb VmRSS) / 1024 )) MB"
printf '| page | requests/s | p50 | p99 | answer (plain) | answer (br) |\n| --- | --- | --- | --- | --- | --- |\n'
# One row of the table: `measure PATH HEADER` (the header authenticates: cookie or bearer token).
measure() {
  local path="$1" auth="$2"
  plain="$(curl -s -o /dev/null -w '%{size_download}' -H "$auth" "$base$path")"
  br="$(curl -s -o /dev/null -w '%{size_download}' -H "$auth" -H 'Accept-Encoding: br' "$base$path")"
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 10s -H "$auth" -H 'Accept-Encoding: br' "$base$path")"
  rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
  errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)"
  printf '| `%s` | %s | %s | %s | %s KB | %s KB | %s\n' "$path" "$rps" "$p50" "$p99" \
    "$(( plain / 1024 ))" "$(( br / 1024 ))" "$errors"
}
for path in / /inventory /agreements; do
  measure "$path" "Cookie: $cookie"
done
# The REST API with a read token (made through the tokens form, read once from its page).
post --data-urlencode name=load --data-urlencode scope=read "$base/actions/tokens/create"
token="$(curl -s -b "$jar" "$base/tokens" | grep -o 'baa_[A-Za-z0-9_-]\{43\}' | head -1)"
[ -n "$token" ] || { echo "no API token" >&2; exit 1; }
for path in '/api/v1/services?limit=100' /api/v1/coverage; do
  measure "$path" "Authorization: Bearer $token"
done
echo "server RSS peak $(( $(kb VmHWM) / 1024 )) MB (VmHWM), now $(( $(kb VmRSS) / 1024 )) MB"
