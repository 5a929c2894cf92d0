#!/usr/bin/env bash
# The responsibility ledger at scale ("read fast at a million requests"), on a release build:
# imports a generated history of $ROWS requests (half of them open) plus 5,000 live P1 requests
# inside their at-risk window, then times the digest, the SLA report, the dashboard (curl), the
# queue API (wrk on loopback), the server's memory, and, side by side, what the database engine
# alone takes for a 50-row index read and a full scan of `requests` (sqlite3 / psql).
# Usage: tests/bench/ledger.sh [seconds per wrk run, default 20] [--postgres] [--no-sqlite]
#   ROWS=N              rows of history (default 1000000)
#   DATABASE_URL=postgres://...  also run on that PostgreSQL database (give it an empty one)
#   --postgres          also run on a throwaway PostgreSQL 15 started as tests/run starts it, but
#                       with fsync, synchronous_commit and full_page_writes left on
#   --no-sqlite         skip the SQLite run
# Needs wrk, sqlite3 and psql (apt-get install wrk sqlite3 postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=20 start_pg=0 sqlite=1
for arg in "$@"; do
  case $arg in
    --postgres) start_pg=1 ;;
    --no-sqlite) sqlite=0 ;;
    *[!0-9]* | '') echo "usage: $0 [seconds] [--postgres] [--no-sqlite]" >&2; exit 2 ;;
    *) secs=$arg ;;
  esac
done
rows=${ROWS:-1000000}
pg_url=""
case ${DATABASE_URL:-} in postgres://* | postgresql://*) pg_url=$DATABASE_URL ;; esac
command -v wrk >/dev/null || { echo "$0: needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "$0: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
if [ -n "$pg_url" ] || [ "$start_pg" = 1 ]; then
  command -v psql >/dev/null || { echo "$0: needs psql (apt-get install postgresql-client)" >&2; exit 1; }
fi
began=$EPOCHREALTIME
. tests/bench/lib.sh

# The history: ROWS requests over four years ending three days before today (midnight UTC), one
# every 4 years / ROWS, columns and mix as in docs/benchmarks.md but half open (4 statuses of 8).
# Answer and resolution times past two days before today are cut to that day (import refuses
# times in the future). Seeded, so the same file for the same ROWS on the same day.
echo "== generating $rows rows of history"
python3 - "$rows" >"$work/history.csv" <<'EOF'
import random, sys, datetime as d
random.seed(1); n = int(sys.argv[1]); f = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
today = d.datetime.now(d.timezone.utc).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
end = today - d.timedelta(days=3); cap = end + d.timedelta(days=2)
span = d.timedelta(days=4 * 365.25); b = end - span; step = span / n
C = [("content", "marketing"), ("seo", "marketing"), ("bug", "it"), ("hosting", "it")]
S = "new acknowledged in_progress waiting_on_requester resolved closed closed rejected".split()
out = sys.stdout.write
out("title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n")
for i in range(n):
    (c, t), s = random.choice(C), random.choice(S)
    cr = b + step * i; fr = min(cr + d.timedelta(minutes=random.randint(5, 2000)), cap)
    rs = min(fr + d.timedelta(minutes=random.randint(10, 20000)), cap)
    fr = f(fr) if s != "new" else ""; rs = f(rs) if s in ("resolved", "closed") else ""
    out(f"Request {i},{c},{t},P{random.randint(1, 4)},user{random.randint(1, 5000)}@example.org,{f(cr)},{fr},{rs},{s}\n")
EOF
first_day=$(sed -n 2p "$work/history.csv" | cut -d, -f6 | cut -c1-10)
# The dates the reads ask for: the ISO week before this one, the last full quarter, all time.
read -r week q_from q_to today < <(python3 -c '
import datetime as d
t = d.date.today(); y, w, _ = (t - d.timedelta(days=7)).isocalendar()
q = (t.month - 1) // 3; qy, qs = (t.year, q - 1) if q else (t.year - 1, 3)
f = d.date(qy, 3 * qs + 1, 1); n = d.date(qy + (qs == 3), (3 * qs + 3) % 12 + 1, 1)
print(f"{y}-W{w:02}", f, n - d.timedelta(days=1), t)')

# 5,000 live requests, at risk now: IT P1 (24x7, resolution 240 minutes, at risk at 75 %), created
# 200 minutes ago, answered 5 minutes later, in progress: at risk from now - 20 to now + 40 min.
live_rows() {
  python3 - <<'EOF'
import datetime as d
f = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
cr = d.datetime.now(d.timezone.utc).replace(tzinfo=None, microsecond=0) - d.timedelta(minutes=200)
for i in range(5000):
    print(f"Live request {i},bug,it,P1,user{i + 1}@example.org,{f(cr)},{f(cr + d.timedelta(minutes=5))},,in_progress")
EOF
}

declare -a summary=()
add() { summary+=("$(printf '| %-10s | %-50s | %-46s | %-24s |' "$1" "$2" "$3" "$4")"); }
ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.1f} ms')" "$1"; }

# GETs a URL once cold and 5 times warm with curl; prints and records the times.
# timed BACKEND LABEL BOUND URL [curl arguments]
timed() {
  local backend=$1 label=$2 bound=$3 url=$4 out code t times=() cold
  shift 4
  for i in 0 1 2 3 4 5; do
    read -r code t < <(curl -s -o "$work/body" -w '%{http_code} %{time_total}\n' "$@" "$url")
    if [ "$i" = 0 ]; then cold=$t; else times+=("$t"); fi
  done
  out=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
  if [ "${code:0:1}" = 2 ]; then
    echo "   $label: HTTP $code, cold $(ms "$cold"), median of 5 warm $(ms "$out") ($(wc -c <"$work/body") bytes)"
    add "$backend" "$label" "$(ms "$out") (cold $(ms "$cold"))" "$bound"
  else
    echo "   $label: HTTP $code in $(ms "$out"): $(head -c 300 "$work/body")"
    add "$backend" "$label" "HTTP $code: $(python3 -c 'import json, sys
try: print(json.load(sys.stdin)["error"]["message"].removeprefix("invalid input: "))
except Exception: print("(not JSON)")' <"$work/body")" "$bound"
  fi
}

# wrk BACKEND LABEL PATH: 8 connections for $secs seconds with the lead's token.
bench_wrk() {
  local backend=$1 label=$2 path=$3
  echo "== GET $path, 8 connections, ${secs}s"
  TOKEN=$TOKEN BENCH_PATH=$path wrk -t2 -c8 -d"${secs}s" --latency -s tests/bench/get.lua "$url" >"$work/wrk.out"
  grep -E "Requests/sec|50%|99%|Non-2xx" "$work/wrk.out"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$work/wrk.out")
  # wrk's latencies in ms, whatever unit it printed them in (us, ms, s).
  latency() { awk -v q="$1" '$1 == q { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; printf "%.1f ms", v }' "$work/wrk.out"; }
  p50=$(latency 50%) p99=$(latency 99%)
  local non2xx
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.out")
  add "$backend" "$label: req/s, latency" "$rps/s, p50 $p50, p99 $p99${non2xx:+, $non2xx non-2xx}" ">= 3,000/s, p99 <= 15 ms"
}

# run BACKEND DATABASE_URL
run() {
  local backend=$1 t0=$EPOCHREALTIME
  export DATABASE_URL=$2
  echo
  echo "######## $backend ($rows rows + 5,000 live; $(uptime | sed 's/.*load/load/'))"
  live_rows | cat "$work/history.csv" - >"$work/import.csv"
  $bin migrate >/dev/null
  echo "== import"
  /usr/bin/time -f "%e %M" -o "$work/import.time" $bin import "$work/import.csv" 2>&1 | tail -n 15
  read -r wall kb <"$work/import.time"
  local peak=$((kb / 1024))
  echo "   $wall s wall, peak $peak MiB"
  add "$backend" "import $rows + 5,000 rows: wall, peak memory" "$wall s, $peak MiB" "<= 50 s (1.25 x 40 s, 1M)"
  rm -f "$work/import.csv"

  echo "bench password 123" | $bin user add --email lea@example.org --name Lea --role lead --team it --password-stdin >/dev/null
  TOKEN=$($bin token create --email lea@example.org 2>/dev/null)
  local port
  port=$(free_port)
  $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
  server=$!
  url=http://127.0.0.1:$port
  until curl -sf "$url/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
  local auth=(-H "Authorization: Bearer $TOKEN")
  echo "== curl: cold, then median of 5"
  timed "$backend" "GET /api/v1/digests/$week" "<= 200 ms" "$url/api/v1/digests/$week" "${auth[@]}"
  timed "$backend" "GET /api/v1/reports/sla, $q_from..$q_to" "<= 100 ms" "$url/api/v1/reports/sla?from=$q_from&to=$q_to" "${auth[@]}"
  timed "$backend" "GET /api/v1/reports/sla, $first_day..$today" "<= 1 s" "$url/api/v1/reports/sla?from=$first_day&to=$today" "${auth[@]}"
  local jar=$work/lea.jar csrf
  csrf=$(curl -s -c "$jar" "$url/sign-in" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null "$url/sign-in" --data-urlencode "csrf=$csrf" \
    --data-urlencode "email=lea@example.org" --data-urlencode "password=bench password 123"
  local cookie="changedesk_session=$(awk '$6 == "changedesk_session" { print $7 }' "$jar")"
  timed "$backend" "GET /dashboard (signed-in lead)" "<= 200 ms" "$url/dashboard" -H "Cookie: $cookie"

  local at_risk="/api/v1/requests?sla=at_risk&sort=due&limit=50"
  local n
  n=$(curl -s "$url$at_risk" "${auth[@]}" | python3 -c 'import json, sys
try: print(len(json.load(sys.stdin)["items"]))
except Exception as e: print(f"not a list ({e})")')
  echo "== $at_risk: $n items (50 expected)"
  add "$backend" "at_risk page items" "$n" "50"
  bench_wrk "$backend" "sla=at_risk&sort=due&limit=50" "$at_risk"
  bench_wrk "$backend" "team=it&sort=due&limit=50" "/api/v1/requests?team=it&sort=due&limit=50"

  local rss hwm
  rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  echo "== server memory: VmRSS $rss MiB, VmHWM $hwm MiB"
  add "$backend" "server VmRSS, VmHWM after all" "$rss MiB, $hwm MiB" "<= 150 MiB"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""

  # The engine alone, the server stopped: N 50-row reads on an index, then a full scan (twice).
  local reads=5000 read_q="SELECT id FROM requests WHERE team_key='it' ORDER BY queue_due_at, id LIMIT 50;"
  local scan_q="SELECT count(*), sum(length(id)) FROM requests;" t rate scan
  echo "== the engine alone: $reads x $read_q; then $scan_q"
  for ((i = 0; i < reads; i++)); do echo "$read_q"; done >"$work/reads.sql"
  if [ "$backend" = SQLite ]; then
    local db=${DATABASE_URL#sqlite://}
    t=$EPOCHREALTIME
    sqlite3 -readonly "$db" <"$work/reads.sql" >/dev/null
    rate=$(python3 -c "import sys; print(f'{int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):,.0f}')" "$reads" "$t" "$EPOCHREALTIME")
    printf '.timer on\n%s\n%s\n' "$scan_q" "$scan_q" | sqlite3 -readonly "$db" >"$work/scan.out"
    grep -v '^Run' "$work/scan.out" | head -1 | sed 's/^/   count, sum: /'
    scan=$(awk '/^Run Time/ { s = $4 } END { printf "%.0f ms", s * 1000 }' "$work/scan.out")
    echo "   $(grep '^Run Time' "$work/scan.out" | tr '\n' ';')"
    echo "   $rate reads/s (sqlite3 $(sqlite3 --version | cut -d' ' -f1), one process); full scan $scan (second run)"
  else
    local psql=(psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL")
    { echo '\timing on'; cat "$work/reads.sql"; } | "${psql[@]}" >"$work/reads.out"
    rate=$(awk '/^Time:/ { s += $2; n++ } END { print n / (s / 1000) }' "$work/reads.out" | python3 -c 'print(f"{float(input()):,.0f}")')
    printf '\\timing on\n%s\n%s\n' "$scan_q" "$scan_q" | "${psql[@]}" -A -t >"$work/scan.out"
    grep -v '^Time' "$work/scan.out" | head -1 | sed 's/^/   count, sum: /'
    scan=$(awk '/^Time:/ { s = $2 } END { printf "%.0f ms", s }' "$work/scan.out")
    echo "   $(grep '^Time' "$work/scan.out" | tr '\n' ';')"
    echo "   $rate reads/s (psql \\timing, summed over $reads queries); full scan $scan (second run)"
  fi
  add "$backend" "engine: 50-row index read (reads/s)" "$rate/s" "(the machine's limit)"
  add "$backend" "engine: count(*), sum(length(id)) scan" "$scan" "(the machine's limit)"
  printf '   %s took %.0f s\n' "$backend" "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$EPOCHREALTIME")"
}

if [ "$sqlite" = 1 ]; then
  run SQLite "sqlite://$work/bench.db"
  rm -f "$work"/bench.db*
fi
if [ -n "$pg_url" ]; then
  run PostgreSQL "$pg_url"
fi
if [ "$start_pg" = 1 ]; then
  throwaway_pg
  run "$pg_label" "$pg_url"
fi

echo
echo "== summary ($rows rows + 5,000 live; wrk ${secs}s at 8 connections; curl: median of 5 warm; built from $built)"
printf '| %-10s | %-50s | %-46s | %-24s |\n' backend figure measured bound
printf '| %-10s | %-50s | %-46s | %-24s |\n' --- --- --- ---
printf '%s\n' "${summary[@]}"
printf 'end to end: %.0f s\n' "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$began" "$EPOCHREALTIME")"
