#!/usr/bin/env bash
# What-if replay and the audit pack at a year of requests (issue 12: "a year of 250,000 requests
# replayed in ≤ 2 s", "the audit pack of a year of 250,000 requests ≤ 10 s"),
# on a release build: imports a generated year of $ROWS requests, then times the replay of that
# year with two categories moved (bug to Marketing, seo to IT) through the API (curl: cold, then
# the median of 5 warm) and the CLI (`changedesk whatif`, process start included, median of 3),
# then `changedesk audit` of the same year (median of 3, process start included) and
# `GET /api/v1/reports/audit` (curl, median of 3),
# and, side by side, what the database engine alone takes to read the rows the replay reads
# (sqlite3 / psql, the same query, timed by the engine's shell).
# Usage: tests/bench/whatif.sh [--postgres] [--no-sqlite]
#   ROWS=N       requests in the year (default 250000)
#   --postgres   also run on a throwaway PostgreSQL (fsync, synchronous_commit and
#                full_page_writes on, as production runs it)
# Needs sqlite3 and psql (apt-get install sqlite3 postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/../.."
start_pg=0 sqlite=1
for arg in "$@"; do
  case $arg in
    --postgres) start_pg=1 ;;
    --no-sqlite) sqlite=0 ;;
    *) echo "usage: $0 [--postgres] [--no-sqlite]" >&2; exit 2 ;;
  esac
done
rows=${ROWS:-250000}
command -v sqlite3 >/dev/null || { echo "$0: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
. tests/bench/lib.sh

# A year of requests ending three days before today, one every year / ROWS, in four categories
# of the two teams, all priorities, a mix of statuses (answered and resolved ones with times
# drawn at random; open ones without). Seeded: the same file for the same ROWS on the same day.
echo "== generating $rows requests over a year"
python3 - "$rows" >"$work/history.csv" <<'EOF'
import random, sys, datetime as d
random.seed(12); n = int(sys.argv[1]); f = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
today = d.datetime.now(d.timezone.utc).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
end = today - d.timedelta(days=3); cap = end + d.timedelta(days=2)
span = d.timedelta(days=365); b = end - span; step = span / n
C = [("content", "marketing", 300), ("seo", "marketing", 600), ("bug", "it", 1500), ("hosting", "it", 900)]
S = "new acknowledged in_progress resolved closed closed closed rejected".split()
out = sys.stdout.write
out("title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n")
for i in range(n):
    (c, t, slow), s = random.choice(C), random.choice(S)
    cr = b + step * i; fr = min(cr + d.timedelta(minutes=int(random.expovariate(1 / slow)) + 5), cap)
    rs = min(fr + d.timedelta(minutes=random.randint(10, 20000)), cap)
    fr = f(fr) if s != "new" else ""; rs = f(rs) if s in ("resolved", "closed") else ""
    out(f"Request {i},{c},{t},P{random.randint(1, 4)},user{random.randint(1, 5000)}@example.org,{f(cr)},{fr},{rs},{s}\n")
EOF
from=$(sed -n 2p "$work/history.csv" | cut -d, -f6 | cut -c1-10)
to=$(tail -n 1 "$work/history.csv" | cut -d, -f6 | cut -c1-10)
query="from=$from&to=$to&move=bug:marketing&move=seo:it"

declare -a summary=()
add() { summary+=("$(printf '| %-10s | %-56s | %-36s | %-10s |' "$1" "$2" "$3" "$4")"); }
ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.0f} ms')" "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run BACKEND DATABASE_URL
run() {
  local backend=$1
  export DATABASE_URL=$2
  echo
  echo "######## $backend ($rows requests, $from to $to; $(uptime | sed 's/.*load/load/'))"
  $bin migrate >/dev/null
  echo "== import"
  $bin import "$work/history.csv" 2>&1 | tail -n 3
  echo "bench password 123" | $bin user add --email lea@example.org --name Lea --role lead --team it --password-stdin >/dev/null
  local token port
  token=$($bin token create --email lea@example.org 2>/dev/null)
  port=$(free_port)
  $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
  server=$!
  local url=http://127.0.0.1:$port
  until curl -sf "$url/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "== GET /api/v1/reports/whatif?$query: cold, then 5 warm"
  local code t cold times=()
  for i in 0 1 2 3 4 5; do
    read -r code t < <(curl -s -o "$work/body" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "$url/api/v1/reports/whatif?$query")
    [ "$code" = 200 ] || { echo "HTTP $code: $(head -c 300 "$work/body")" >&2; exit 1; }
    if [ "$i" = 0 ]; then cold=$t; else times+=("$t"); fi
  done
  local warm
  warm=$(printf '%s\n' "${times[@]}" | median)
  python3 - "$work/body" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1]))
print(f"   {w['total']['actual']['requests']} requests replayed")
for m in w["moves"]:
    print(f"   {m['category']} to {m['team']}: {m['requests']} requests, basis {m['first_response']['basis']}")
for t in w["teams"]:
    a, r = t["actual"]["first_response"], t["replayed"]["first_response"]
    print(f"   {t['team']}: {t['actual']['requests']} -> {t['replayed']['requests']} requests, median first response {a['median_business_minutes']} -> {r['median_business_minutes']} business minutes")
EOF
  echo "   cold $(ms "$cold"), median of 5 warm $(ms "$warm")"
  add "$backend" "GET /api/v1/reports/whatif, a year, 2 moves" "$(ms "$warm") (cold $(ms "$cold"))" "≤ 2 s"
  echo "== GET /api/v1/reports/audit?from=$from&to=$to: 3 times"
  times=()
  for i in 1 2 3; do
    read -r code t < <(curl -s -o "$work/audit.zip" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "$url/api/v1/reports/audit?from=$from&to=$to")
    [ "$code" = 200 ] || { echo "HTTP $code: $(head -c 300 "$work/audit.zip")" >&2; exit 1; }
    times+=("$t")
  done
  local api_audit
  api_audit=$(printf '%s\n' "${times[@]}" | median)
  echo "   $(wc -c <"$work/audit.zip") bytes; median $(ms "$api_audit")"
  add "$backend" "GET /api/v1/reports/audit, a year" "$(ms "$api_audit")" "≤ 10 s"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""

  echo "== changedesk whatif --from $from --to $to --move bug=marketing --move seo=it (3 runs)"
  times=()
  for i in 1 2 3; do
    t=$EPOCHREALTIME
    $bin whatif --from "$from" --to "$to" --move bug=marketing --move seo=it >"$work/whatif.txt"
    times+=("$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t" "$EPOCHREALTIME")")
  done
  local cli
  cli=$(printf '%s\n' "${times[@]}" | median)
  sed -n 1,3p "$work/whatif.txt" | sed 's/^/   /'
  echo "   median $(ms "$cli")"
  add "$backend" "changedesk whatif (process start included)" "$(ms "$cli")" "≤ 2 s"

  echo "== changedesk audit --from $from --to $to --out DIR (3 runs)"
  times=()
  for i in 1 2 3; do
    t=$EPOCHREALTIME
    $bin audit --from "$from" --to "$to" --out "$work/audit-$i" >/dev/null
    times+=("$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t" "$EPOCHREALTIME")")
  done
  local audit
  audit=$(printf '%s\n' "${times[@]}" | median)
  echo "   audit.html $(wc -c <"$work/audit-1/audit.html") bytes, audit-csv.zip $(wc -c <"$work/audit-1/audit-csv.zip") bytes; median $(ms "$audit")"
  if cmp -s "$work/audit-1/audit-csv.zip" "$work/audit-2/audit-csv.zip"; then echo "   the CSVs of two runs: the same bytes"; else echo "   the CSVs of two runs DIFFER" >&2; exit 1; fi
  add "$backend" "changedesk audit, a year (process start included)" "$(ms "$audit")" "≤ 10 s"

  # The engine alone: the rows the replay reads (the requests of the year from the stored
  # facts, and their priorities), summed so that every column is read.
  local lo hi
  lo=$(python3 -c "import datetime as d, sys; print(int(d.datetime.fromisoformat(sys.argv[1] + 'T00:00:00+00:00').timestamp() * 1e6))" "$from")
  hi=$(python3 -c "import datetime as d, sys; print(int((d.datetime.fromisoformat(sys.argv[1] + 'T00:00:00+00:00') + d.timedelta(days=1)).timestamp() * 1e6))" "$to")
  local q1="SELECT count(*), sum(length(request_id) + length(team_key) + length(category) + coalesce(fr_business_minutes, 0) + coalesce(res_business_minutes, 0) + coalesce(fr_wall_minutes, 0) + coalesce(res_wall_minutes, 0) + coalesce(fr_breached_at, 0) % 7 + coalesce(res_stopped_at, 0) % 7) FROM request_facts WHERE scope IN ('only', 'request') AND started_at >= $lo AND started_at < $hi;"
  local q2="SELECT count(*), sum(length(id) + length(priority)) FROM requests WHERE created_at >= '$from' AND created_at < '${to}T23:59:59.999999';"
  local engine
  if [ "$backend" = SQLite ]; then
    local db=${DATABASE_URL#sqlite://}
    printf '.timer on\n%s\n%s\n%s\n%s\n' "$q1" "$q2" "$q1" "$q2" | sqlite3 -readonly "$db" >"$work/engine.out"
    engine=$(awk '/^Run Time/ { n++; if (n > 2) s += $4 } END { printf "%.0f ms", s * 1000 }' "$work/engine.out")
  else
    printf '\\timing on\n%s\n%s\n%s\n%s\n' "$q1" "$q2" "$q1" "$q2" | psql -X -q -A -t "$DATABASE_URL" >"$work/engine.out"
    engine=$(awk '/^Time:/ { n++; if (n > 2) s += $2 } END { printf "%.0f ms", s }' "$work/engine.out")
  fi
  grep -v -E '^(Run Time|Time:)' "$work/engine.out" | head -2 | sed 's/^/   rows, checksum: /'
  echo "   the engine alone reads them in $engine (second run)"
  add "$backend" "the engine alone: the same rows read and summed" "$engine" "(the limit)"
}

if [ "$sqlite" = 1 ]; then
  run SQLite "sqlite://$work/bench.db"
  rm -f "$work"/bench.db*
fi
if [ "$start_pg" = 1 ]; then
  command -v psql >/dev/null || { echo "$0: needs psql (apt-get install postgresql-client)" >&2; exit 1; }
  throwaway_pg
  run "$pg_label" "$pg_url"
fi

echo
echo "== summary ($rows requests over a year; built from $built)"
printf '| %-10s | %-56s | %-36s | %-10s |\n' backend figure measured bound
printf '| %-10s | %-56s | %-36s | %-10s |\n' --- --- --- ---
printf '%s\n' "${summary[@]}"
