#!/usr/bin/env bash
# HTTP benchmarks of a release build on SQLite (or PostgreSQL with DATABASE_URL set):
# filing requests, the triage queue and a request page over the API, then the queue, request and
# dashboard pages as signed-in users, with wrk on loopback.
# Usage: tests/bench/http.sh [seconds per run, default 20]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
cargo build --release --quiet
bin=target/release/changedesk
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/bench.db}
export RUST_LOG=warn
$bin user add --email ann@example.org --name Ann --role requester >/dev/null
echo "bench password 123" | $bin user add --email ian@example.org --name Ian --role agent --team it --password-stdin >/dev/null
echo "bench password 123" | $bin user add --email lea@example.org --name Lea --role lead --team it --password-stdin >/dev/null
ANN=$($bin token create --email ann@example.org 2>/dev/null)
IAN=$($bin token create --email ian@example.org 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
url=http://127.0.0.1:$port
echo "== POST /api/v1/requests (file a request), 4 connections"
TOKEN=$ANN wrk -t2 -c4 -d"${secs}s" --latency -s tests/bench/create.lua "$url/api/v1/requests" | grep -E "Requests/sec|50%|99%|Non-2xx"
filed=$(curl -s "$url/api/v1/requests?limit=1" -H "Authorization: Bearer $IAN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["key"])')
echo "   requests in the database: ${filed#CR-}"
for path in "/api/v1/requests?team=it&sort=due&limit=50" "/api/v1/requests?sla=at_risk&sort=due&limit=50" "/api/v1/requests/CR-1"; do
  echo "== GET $path, 8 connections"
  TOKEN=$IAN BENCH_PATH=$path wrk -t2 -c8 -d"${secs}s" --latency -s tests/bench/get.lua "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
done

# Signs in through the sign-in form; prints the session cookie.
session() {
  local jar="$work/$1.jar" csrf
  csrf=$(curl -s -c "$jar" "$url/sign-in" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null "$url/sign-in" --data-urlencode "csrf=$csrf" \
    --data-urlencode "email=$1@example.org" --data-urlencode "password=bench password 123"
  echo "changedesk_session=$(awk '$6 == "changedesk_session" { print $7 }' "$jar")"
}
IAN_COOKIE=$(session ian)
LEA_COOKIE=$(session lea)
for path in "/queues/it" "/requests/CR-1"; do
  echo "== GET $path (page), 8 connections"
  COOKIE=$IAN_COOKIE BENCH_PATH=$path wrk -t2 -c8 -d"${secs}s" --latency -s tests/bench/page.lua "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
echo "== GET /dashboard (page: 4 weeks, 3 charts), 2 connections"
COOKIE=$LEA_COOKIE BENCH_PATH=/dashboard wrk -t1 -c2 -d"${secs}s" --latency -s tests/bench/page.lua "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
