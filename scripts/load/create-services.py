#!/usr/bin/env python3
"""Creates services through the REST API with several clients at once and times it.

    create-services.py BASE_URL TOKEN COUNT CLIENTS

Each client keeps one HTTP/1.1 connection and posts its share of COUNT services one after the
other (POST /api/v1/services), so CLIENTS writes are in flight at any time. Names are unique,
so every request is a real write. Prints one line: created, seconds, services/s, p50 and p99
latency in ms. Exits non-zero if any answer is not 201.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

PLANS = [("sentry", "business"), ("sentry", "team"), ("tigris", "standard"),
         ("upstash-redis", "pay-as-you-go"), ("arcjet", "default")]


def main() -> int:
    base, token, count, clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    url = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        mine = []
        for i in range(n, count, clients):
            vendor, plan = PLANS[i % len(PLANS)]
            body = json.dumps({"name": f"svc-{i}", "vendor": vendor, "plan": plan, "phi": "yes"})
            started = time.monotonic()
            conn.request("POST", "/api/v1/services", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            answer = conn.getresponse()
            text = answer.read()
            mine.append(time.monotonic() - started)
            if answer.status != 201:
                with lock:
                    failures.append(f"{answer.status} {text[:200]!r}")
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    created = len(latencies) - len(failures)
    print(f"{created} {took:.2f} {created / took:.0f} {pct(0.5):.1f} {pct(0.99):.1f}")
    if failures:
        print(f"{len(failures)} failed, first: {failures[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
