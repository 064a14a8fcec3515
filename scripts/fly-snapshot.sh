#!/usr/bin/env bash
# Writes a snapshot of one Fly org's setup, as the `fly` CLI prints it, for BAA Tracker's import
# from the fly CLI (docs/fly-import.md). Usage: scripts/fly-snapshot.sh ORG OUTDIR
#
# Runs read-only `fly` commands only. `fly` never prints secret values; the one password it does
# print (the Private URL of `fly redis status`) is replaced by REDACTED before it is written.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/fly-snapshot.sh ORG OUTDIR

Saves what BAA Tracker imports about the Fly org ORG (its slug, as `fly orgs list` shows it)
into OUTDIR, which must be empty or not exist yet:

  orgs-list.json             fly orgs list --json
  apps-list.json             fly apps list --org ORG --json
  secrets-list--APP.json     fly secrets list --app APP --json   (names only, for every app)
  storage-list.txt           fly storage list --org ORG          (Tigris)
  redis-list.txt             fly redis list --org ORG            (Upstash Redis)
  redis-status--NAME.txt     fly redis status NAME               (plan and ProdPack; password redacted)
  ext-NAME-list.txt          fly ext NAME list [--org ORG]       (sentry, arcjet, vector, kubernetes,
                                                                  wafris, and removed extensions
                                                                  when this flyctl still has them)
  fly-toml/*.toml            fly.toml and fly.*.toml of the current directory, if any

Then import OUTDIR (or a ZIP of it) into BAA Tracker. Needs flyctl logged in
(`fly auth login`, or FLY_API_TOKEN); set FLY=/path/to/flyctl if it is not on the PATH.
EOF
}

die() {
  printf 'fly-snapshot: %s\n' "$*" >&2
  exit 1
}

if [ "$#" -eq 1 ] && { [ "$1" = "-h" ] || [ "$1" = "--help" ]; }; then
  usage
  exit 0
fi
if [ "$#" -ne 2 ]; then
  usage >&2
  exit 2
fi
org=$1
out=$2

case "$org" in
  "" | *[!a-z0-9_-]*) die "ORG must be an org slug such as acme-health-production (see \`fly orgs list\`), not '$org'" ;;
esac
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  die "$out is not empty: use a new folder, so that no file of an older snapshot is imported by mistake"
fi

fly=${FLY:-}
if [ -z "$fly" ]; then
  fly=$(command -v fly || command -v flyctl || true)
fi
[ -n "$fly" ] || die "flyctl not found: install it (https://fly.io/docs/flyctl/install/) or set FLY=/path/to/flyctl"

mkdir -p "$out"

# Runs a fly command with its output in OUTDIR/FILE; the file appears only if the command worked.
save() {
  local file=$1
  shift
  if ! "$fly" "$@" </dev/null >"$out/$file.tmp"; then
    rm -f "$out/$file.tmp"
    die "\`fly $*\` failed (see above); the snapshot in $out is incomplete: delete it and try again"
  fi
  mv "$out/$file.tmp" "$out/$file"
}

# Like save, for extensions that newer flyctl no longer has: skipped, with a note, when the
# command fails or prints help instead of a list.
save_if_available() {
  local file=$1
  shift
  if "$fly" "$@" </dev/null >"$out/$file.tmp" 2>/dev/null && ! grep -q '^Usage:' "$out/$file.tmp"; then
    mv "$out/$file.tmp" "$out/$file"
  else
    rm -f "$out/$file.tmp"
    printf 'fly-snapshot: skipped "fly %s" (not available in this flyctl)\n' "$*" >&2
  fi
}

# App names of `fly apps list --json`.
app_names() {
  if command -v jq >/dev/null; then
    jq -r '.[].Name' "$1"
  else
    # flyctl indents JSON by 4 spaces: an app's own "Name" is at 8, its org's "Name" at 12.
    sed -n 's/^        "Name": "\([^"]*\)",\{0,1\}$/\1/p' "$1"
  fi
}

# First column of a `fly` table, current ("│"-separated) or older (tab-separated) layout.
first_column() {
  awk 'NR == 1 { next }
       /^[[:space:]]*$/ { exit }
       { split($0, cells, /│|\t/); name = cells[1]
         gsub(/^[[:space:]]+|[[:space:]]+$/, "", name)
         if (name != "") print name }' "$1"
}

# Names become parts of file names: letters, digits, dot, dash and underscore only.
safe_name() {
  case "$1" in
    "" | . | .. | *[!A-Za-z0-9._-]*) return 1 ;;
  esac
}

save orgs-list.json orgs list --json
save apps-list.json apps list --org "$org" --json

apps=0
while IFS= read -r app; do
  if ! safe_name "$app"; then
    printf 'fly-snapshot: skipped app with unexpected name %q\n' "$app" >&2
    continue
  fi
  save "secrets-list--$app.json" secrets list --app "$app" --json
  apps=$((apps + 1))
done < <(app_names "$out/apps-list.json")

save storage-list.txt storage list --org "$org"
save redis-list.txt redis list --org "$org"
while IFS= read -r db; do
  if ! safe_name "$db"; then
    printf 'fly-snapshot: skipped Redis database with unexpected name %q\n' "$db" >&2
    continue
  fi
  save "redis-status--$db.txt" redis status "$db"
  # The Private URL carries the database password: keep the host, drop the password.
  sed -E 's#(rediss?://[^:/@[:space:]]*:)[^@[:space:]]*@#\1REDACTED@#g' "$out/redis-status--$db.txt" \
    >"$out/redis-status--$db.txt.tmp"
  mv "$out/redis-status--$db.txt.tmp" "$out/redis-status--$db.txt"
done < <(first_column "$out/redis-list.txt")

for ext in sentry arcjet vector; do
  save "ext-$ext-list.txt" extensions "$ext" list --org "$org"
done
# FKS clusters: this list has no --org and shows every org the user belongs to.
save ext-kubernetes-list.txt extensions kubernetes list
# Wafris has no list command: flyctl prints the command's help, which the import reports as
# "cannot be enumerated" so that nobody forgets to record Wafris WAFs by hand.
save ext-wafris-list.txt extensions wafris list
# Removed extensions (supabase 2025-01, kafka 2025-05, planetscale 2024-04, enveloop 2025,
# mysql 2026-07): older flyctl still lists existing ones, which still need a BAA.
for ext in supabase mysql kafka planetscale enveloop; do
  save_if_available "ext-$ext-list.txt" extensions "$ext" list --org "$org"
done

tomls=0
for toml in fly.toml fly.*.toml; do
  if [ -f "$toml" ]; then
    mkdir -p "$out/fly-toml"
    cp "$toml" "$out/fly-toml/$toml"
    tomls=$((tomls + 1))
  fi
done

printf 'fly-snapshot: saved org %s (%d apps, %d fly.toml files) in %s
' "$org" "$apps" "$tomls" "$out" >&2
