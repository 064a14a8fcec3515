#!/usr/bin/env bash
# Dependency policy (deny.toml) with cargo-deny: advisories from the offline RustSec snapshot,
# licences, bans (rsa, OpenSSL) and sources. Never fetches the advisory database.
# Usage: scripts/check-deps.sh [CHECK...]   e.g. scripts/check-deps.sh bans licenses
# ADVISORY_DB: folder of the snapshot (default ../shared/advisory-db from the repo root).
# Run by scripts/test.sh; cargo-deny is installed by scripts/bootstrap.sh --test.
set -euo pipefail
cd "$(dirname "$0")/.."

advisory_db="${ADVISORY_DB:-../shared/advisory-db}"
if [ ! -d "$advisory_db/crates" ]; then
  echo "advisory database not found at $advisory_db (set ADVISORY_DB)" >&2
  exit 1
fi
# SNAPSHOT.md names the upstream commit and its date ("at commit <sha> (YYYY-MM-DD)").
snapshot=$(tr -s ' \n' '  ' <"$advisory_db/SNAPSHOT.md" 2>/dev/null \
  | grep -o 'commit [0-9a-f]\{40\} ([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\})' | head -1 || true)
echo "advisory database: $advisory_db${snapshot:+, $snapshot}"

# cargo-deny opens each database as a git checkout at <db-path>/<name>-<hash of its url>; for
# the default RustSec url that is the folder below (cargo-deny 0.20; a new cargo-deny that names
# it otherwise fails loudly here, with the path it looked for). The snapshot is a plain folder,
# and CI's copy of shared/ is read-only, so it is copied into a temp folder and committed there.
dbs=$(mktemp -d)
trap 'rm -rf "$dbs"' EXIT
db="$dbs/advisory-db-3157b0e258782691"
cp -R "$advisory_db" "$db"
chmod -R u+w "$db"
git -C "$db" init -q
git -C "$db" add -A
git -C "$db" -c user.name=db -c user.email=db@localhost -c commit.gpgsign=false \
  commit -q --no-verify -m "snapshot of $advisory_db"
# The copy is fresh, so cargo-deny's 90-day staleness guard (meant for fetched clones) never
# trips; warn here instead when the snapshot itself is old.
snap_date=$(grep -o '[0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}' <<<"$snapshot" || true)
if [ -n "$snap_date" ]; then
  age_days=$(( ($(date +%s) - $(date -d "$snap_date" +%s)) / 86400 ))
  if [ "$age_days" -gt 90 ]; then
    echo "warning: the advisory snapshot is $age_days days old ($snap_date); refresh shared/advisory-db" >&2
  fi
fi

# cargo-deny reads the dependency graph with `cargo metadata`, which needs every locked crate's
# manifest, for every platform; `cargo fetch` gets the missing ones from crates.io (nothing when
# the build has them already). cargo-deny itself then runs with no network at all (--frozen:
# --offline and --locked; --offline also disables fetching the advisory database).
cargo fetch --locked --quiet
deny() { DENY_ADVISORY_DBS="$dbs" cargo deny --frozen check "$@"; }
# Without inclusion graphs: the ~45 duplicate-version warnings would print 5,000 lines.
rc=0
deny --hide-inclusion-graph --show-stats "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "dependency policy failed (cargo-deny exit $rc); the errors again, with what pulls each crate in:" >&2
  deny --allow duplicate "$@" >&2 || true
  exit "$rc"
fi
