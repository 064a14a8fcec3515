#!/usr/bin/env bash
# Sign-in under attack: CONNECTIONS (300) concurrent wrong-password sign-ins, REQUESTS (6000)
# in all, against a release build on a fresh SQLite database; prints the answers (303 refused,
# 429 busy), latencies, and the server's resident memory before and at its peak (VmHWM).
#
#   scripts/load-signin.sh                    # distributed: every request from another address
#   MODE=single scripts/load-signin.sh        # every request from one address
#
# Distributed is the worst case for memory: the per-address throttle never kicks in, so every
# admitted request runs argon2 (19 MiB). The server trusts X-Forwarded-For from loopback for
# this (CLIENT_IP_HEADER + TRUSTED_PROXIES), as behind a proxy. Needs wrk (apt-get install wrk).
# Results go in docs/benchmarks.md, "Sign-in under attack".
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${CONNECTIONS:-300}"
REQUESTS="${REQUESTS:-6000}"
THREADS="${THREADS:-2}"
MODE="${MODE:-distributed}"
BIN="${BAA_BIN:-target/release/baa-tracker}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
if [ -z "${BAA_BIN:-}" ]; then
  cargo build --release -p server --bin baa-tracker >&2
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export DATA_DIR="$work/data" BIND_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" RUST_LOG=warn
export CLIENT_IP_HEADER=X-Forwarded-For TRUSTED_PROXIES=127.0.0.1
BAA_OWNER_PASSWORD='correct horse battery staple' "$BIN" create-owner \
  --email priya@acme-health.example --name "Priya Raman" --workspace "Acme Health" >/dev/null
"$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
rss_before="$(kb VmRSS)"

cat >"$work/signin.lua" <<'LUA'
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  limit, origin, distributed = tonumber(args[1]), args[2], args[3] == "distributed"
  sent, got, s303, s429, other = 0, 0, 0, 0, 0
end
function request()
  sent = sent + 1
  local n = id * 1000000 + sent
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Origin"] = origin }
  if distributed then
    headers["X-Forwarded-For"] = string.format("198.18.%d.%d", math.floor(n / 250) % 250, n % 250)
  end
  local body = string.format("email=guess%d%%40acme-health.example&password=wrong-password-%d", n, n)
  return wrk.format("POST", "/actions/login", headers, body)
end
function response(status, headers, body)
  got = got + 1
  if status == 303 then s303 = s303 + 1 elseif status == 429 then s429 = s429 + 1 else other = other + 1 end
  if got >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local a, b, c, d = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a, b, c, d = a + t:get("got"), b + t:get("s303"), c + t:get("s429"), d + t:get("other")
  end
  io.write(string.format("answers     %d: %d refused (303), %d busy (429 + Retry-After), %d other\n", a, b, c, d))
  io.write(string.format("latency     p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("throughput  %.0f answers/s over %.1f s\n", a / (summary.duration / 1e6), summary.duration / 1e6))
end
LUA

per_thread=$(( REQUESTS / THREADS ))
echo "sign-in under attack: $CONNECTIONS connections, $REQUESTS requests, mode $MODE, $(nproc) cores"
wrk -t"$THREADS" -c"$CONNECTIONS" -d120s --timeout 30s -s "$work/signin.lua" "$base" -- "$per_thread" "$base" "$MODE" \
  | grep -E '^(answers|latency|throughput|  Socket errors)' || true
echo "server RSS  before $(( rss_before / 1024 )) MB, peak $(( $(kb VmHWM) / 1024 )) MB (VmHWM), after $(( $(kb VmRSS) / 1024 )) MB"
# The real owner can still sign in once the flood stops (their account was never guessed).
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: $base" -H 'X-Forwarded-For: 203.0.113.9' \
  --data-urlencode email=priya@acme-health.example --data-urlencode 'password=correct horse battery staple' \
  "$base/actions/login")"
echo "owner sign-in after the flood: HTTP $code (303 to / is success)"
