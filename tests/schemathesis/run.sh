#!/usr/bin/env bash
# The API against its own OpenAPI document, fuzzed by schemathesis (pinned, installed into
# target/schemathesis/ on first use) with every check (`--checks all`), on a fresh database of
# each backend: as an admin and as a requester, with deterministic seeds, at least 2,000 cases
# in all. Any failure, any 5xx, fails the run. What the document cannot state (rules that depend
# on current data, such as which categories exist or which status moves are allowed now) is
# told to the checks in tests/schemathesis/st.toml, operation by operation: no check is off.
# Usage: tests/schemathesis/run.sh BINARY [sqlite|postgres://URL]...
#   BINARY  a built changedesk (tests/run passes the test build's)
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
venv=${CARGO_TARGET_DIR:-target}/schemathesis
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $VERSION" ]; then
  echo "schemathesis: installing $VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
bin=$1
shift
examples=${ST_EXAMPLES:-40}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

fuzz() {
  local url=$1
  export DATABASE_URL=$url CHANGEDESK__MAIL__FILE_DIR=$work/mail RUST_LOG=warn
  local port; port=$(free_port)
  "$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
  "$bin" user add --email ada@example.org --name Ada --role admin >/dev/null
  "$bin" user add --email ann@example.org --name Ann --role requester >/dev/null
  "$bin" user add --email spare@example.org --name Spare --role requester >/dev/null
  local ada ann spare
  ada=$("$bin" token create --email ada@example.org 2>/dev/null)
  ann=$("$bin" token create --email ann@example.org 2>/dev/null)
  spare=$("$bin" token create --email spare@example.org 2>/dev/null)
  local base="http://127.0.0.1:$port"
  for i in 1 2; do
    curl -sf -o /dev/null "$base/api/v1/requests" -H "Authorization: Bearer $ann" -H 'Content-Type: application/json' \
      -d "{\"title\":\"Seeded request $i\",\"description\":\"For the fuzzer\",\"category\":\"bug\"}"
  done
  local st=("$venv/bin/st" --config-file tests/schemathesis/st.toml run "$base/api/v1/openapi.json" --checks all
    --seed 1 --no-color --wait-for-schema 30 --generation-database none)
  echo "== schemathesis on $url: admin, $examples examples an operation" >&2
  # Revoking a token makes every later case a 401: the token routes get a throwaway token.
  "${st[@]}" -H "Authorization: Bearer $ada" --max-examples "$examples" --exclude-path-regex '^/api/v1/tokens'
  echo "== schemathesis on $url: requester" >&2
  # A requester gets only 403 from the admins' and leads' operations, which is right: that
  # warning is off for this pass, and the token is shown to work first.
  curl -sf -o /dev/null "$base/api/v1/requests" -H "Authorization: Bearer $ann" || { echo "the requester's token is refused" >&2; exit 1; }
  "${st[@]}" -H "Authorization: Bearer $ann" --max-examples "$examples" --exclude-path-regex '^/api/v1/tokens' \
    --warnings missing_test_data,validation_mismatch,unsupported_regex,method_not_allowed,low_valid_rate
  echo "== schemathesis on $url: the token routes, with a token of their own" >&2
  "${st[@]}" -H "Authorization: Bearer $spare" --max-examples "$examples" --include-path-regex '^/api/v1/tokens'
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
}

for backend in "$@"; do
  case $backend in
    sqlite) fuzz "sqlite://$work/fuzz.db" ;;
    postgres://*) fuzz "$backend" ;;
    *) echo "usage: $0 BINARY [sqlite|postgres://URL]..." >&2; exit 2 ;;
  esac
done
