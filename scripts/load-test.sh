#!/usr/bin/env bash
# The read path under load. On a fresh database (SQLite in a temporary folder, or DATABASE_URL),
# it creates SERVICES (1000) services through the REST API with WRITERS (4) clients at once
# (scripts/load/create-services.py; timed: the write figure), records AGREEMENTS (100)
# agreements through the forms (the API has no write
# route for them), then runs wrk at CONNECTIONS (64) for DURATION (20s) against the dashboard,
# the inventory, the agreements page and the REST API (`/api/v1/services?limit=100`,
# `/api/v1/coverage`), and prints requests/s, p50, p99, answer sizes (plain and compressed), the
# server's memory (after seeding, peak, after the load and a rest), and the cold start (process
# start to the first answer of /healthz and of the dashboard) on the seeded database.
#
#   scripts/load-test.sh                                   # release build (built if missing)
#   SERVICES=10000 AGREEMENTS=1000 scripts/load-test.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/baa_load scripts/load-test.sh
#   BAA_BIN=target/debug/baa-tracker scripts/load-test.sh
#
# A PostgreSQL DATABASE_URL names a database this script drops and creates. Needs wrk
# (apt-get install wrk), curl and python3. Results go in docs/benchmarks.md, "Read path".
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICES="${SERVICES:-1000}"
AGREEMENTS="${AGREEMENTS:-100}"
WRITERS="${WRITERS:-4}"
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
engine=SQLite
if [ -n "${DATABASE_URL:-}" ]; then
  engine=PostgreSQL
  db="${DATABASE_URL##*/}"
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$db\"" >/dev/null
fi
password='correct horse battery staple'
BAA_OWNER_PASSWORD="$password" "$BIN" create-owner \
  --email priya@acme-health.example --name "Priya Raman" --workspace "Acme Health" >/dev/null
pid=
start_server() {
  "$BIN" serve >>"$work/server.log" 2>&1 &
  pid=$!
}
stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
start_server
trap 'stop_server; rm -rf "$work"' EXIT
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
# API tokens, made through the tokens form and read once from its page.
token() {
  post --data-urlencode "name=load-${1%%:*}" --data-urlencode "scope=$1" "$base/actions/tokens/create"
  curl -s -b "$jar" "$base/tokens" | grep -o 'baa_[A-Za-z0-9_-]\{43\}' | head -1
}
write_token="$(token write:inventory)"
read_token="$(token read)"
[ -n "$write_token" ] && [ -n "$read_token" ] || { echo "no API token" >&2; exit 1; }
idle_kb="$(kb VmRSS)"

# Writes: SERVICES services through the API, WRITERS clients at once (scripts/load/create-services.py).
read -r created took rate w_p50 w_p99 < <(python3 scripts/load/create-services.py "$base" "$write_token" "$SERVICES" "$WRITERS")

# Agreements: a BAA with each of four vendors, the rest customer BAAs (a customer each, added
# through the parties form; its id read back from the agreement form's party list).
vendors=(sentry tigris upstash-redis arcjet)
a_started=$(date +%s.%N)
agreement() {
  post --data-urlencode "title=$1" --data-urlencode "party_a=$2" --data-urlencode "party_b=$3" \
    --data-urlencode kind=baa --data-urlencode status=signed --data-urlencode effective=2026-01-01 \
    "$base/actions/agreements/create"
}
for i in $(seq 1 "$AGREEMENTS"); do
  if [ "$i" -le 4 ]; then
    agreement "BAA $i" us "vendor:${vendors[$((i - 1))]}"
  else
    post --data-urlencode "name=Customer $i" --data-urlencode kind=customer --data-urlencode active=on \
      --data-urlencode handles_phi=on "$base/actions/parties/save"
  fi
done
curl -s -b "$jar" "$base/agreements" | grep -o 'value="cust:[0-9a-f]*"' | sort -u | cut -d'"' -f2 >"$work/customers"
n=4
while read -r customer; do
  n=$((n + 1))
  agreement "Customer BAA $n" "$customer" us
done <"$work/customers"
a_took=$(python3 -c "print(f'{$(date +%s.%N) - $a_started:.1f}')")
recorded="$(curl -s -H "Authorization: Bearer $read_token" "$base/api/v1/agreements?limit=1000" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["agreements"]))')"
[ "$recorded" -eq "$AGREEMENTS" ] || { echo "$recorded agreements recorded, not $AGREEMENTS" >&2; exit 1; }

echo "read path, $engine: $created services created through the API by $WRITERS clients in ${took}s" \
  "($rate services/s, p50 $w_p50 ms, p99 $w_p99 ms);" \
  "$AGREEMENTS agreements (and their customers) through the forms in ${a_took}s (one client)."
echo "$CONNECTIONS connections for $DURATION, $(nproc) cores, wrk on the same cores."
echo "server RSS idle $(( idle_kb / 1024 )) MB, after seeding $(( $(kb VmRSS) / 1024 )) MB"
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
for path in '/api/v1/services?limit=100' /api/v1/coverage; do
  measure "$path" "Authorization: Bearer $read_token"
done
peak_kb="$(kb VmHWM)"
after_kb="$(kb VmRSS)"
sleep 10
echo "server RSS peak $(( peak_kb / 1024 )) MB (VmHWM), $(( after_kb / 1024 )) MB right after, $(( $(kb VmRSS) / 1024 )) MB 10 s later"

# Cold start on the seeded database: process start to the first 200 of /healthz, then of the
# dashboard (which builds the coverage view: nothing is cached yet).
stop_server
cold="$(python3 - "$BIN" "$base" "$cookie" <<'PY'
import subprocess, sys, time, urllib.request
binary, base, cookie = sys.argv[1:4]
start = time.monotonic()
proc = subprocess.Popen([binary, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def first(path, headers):
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=5) as r:
                if r.status == 200:
                    r.read()
                    return (time.monotonic() - start) * 1000
        except OSError:
            time.sleep(0.002)
health = first("/healthz", {})
page = first("/", {"Cookie": cookie})
proc.terminate()
proc.wait()
print(f"cold start: /healthz answered {health:.0f} ms after the process started, the dashboard {page:.0f} ms")
PY
)"
echo "$cold"
pid=
