#!/usr/bin/env bash
# Full-text search at a million requests (`q` on GET /api/v1/requests), on a release build:
# imports ROWS generated requests (one in ten new, the rest closed; titles and descriptions of words drawn from a Zipf
# distribution over a 3,000-word vocabulary, 40 of them holding the rare word "zeppelin"),
# indexes them, then times a stated query mix, each query 200 times in a row after 10 warm-up
# calls, as a member of IT (staff: every request) and as a requester (their ~200 own requests),
# and, side by side, the engine alone answering the index lookup the server starts with
# (sqlite3 / psql, the server stopped).
# Usage: tests/bench/search.sh [--postgres] [--no-sqlite]
#   ROWS=N          requests (default 1000000)
#   --postgres      also run on a throwaway PostgreSQL started as tests/bench/ledger.sh starts it
#                   (fsync, synchronous_commit and full_page_writes on)
#   --no-sqlite     skip the SQLite run
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
rows=${ROWS:-1000000}
command -v sqlite3 >/dev/null || { echo "$0: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
began=$EPOCHREALTIME
. tests/bench/lib.sh

# The requests: the import file (titles) and the descriptions, by key number. Seeded.
echo "== generating $rows requests"
python3 - "$rows" "$work" <<'EOF'
import bisect, itertools, random, sys, datetime as d
random.seed(7); n, work = int(sys.argv[1]), sys.argv[2]
base = ("page banner image hero checkout form button footer header menu link redirect copy text price "
        "pricing campaign landing mobile desktop tablet safari chrome analytics tag pixel consent cookie "
        "newsletter signup login cart product category search filter video autoplay font colour logo brand "
        "seo meta title description sitemap robots canonical speed slow broken error timeout cache cdn ssl "
        "certificate domain dns hosting server staging production release deploy typo translation german french "
        "spanish accessibility contrast alt screen reader keyboard focus modal popup cta headline subheading "
        "blog article author date schedule webinar event registration crm hubspot salesforce integration api "
        "webhook export import csv report dashboard chart table layout grid spacing margin padding border").split()
vocab = base + [f"term{i}" for i in range(3000 - len(base))]
weights = list(itertools.accumulate(1 / (r + 1) for r in range(len(vocab))))
total = weights[-1]
def words(k):
    return [vocab[bisect.bisect_left(weights, random.random() * total)] for _ in range(k)]
rare = set(random.sample(range(n), 40))
f = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
end = d.datetime.now(d.timezone.utc).replace(tzinfo=None, microsecond=0) - d.timedelta(days=3)
step = d.timedelta(days=4 * 365.25) / n
C = [("content", "marketing"), ("seo", "marketing"), ("bug", "it"), ("hosting", "it")]
with open(f"{work}/history.csv", "w") as csv, open(f"{work}/descriptions.tsv", "w") as tsv:
    csv.write("title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n")
    for i in range(n):
        c, t = random.choice(C)
        cr = end - step * (n - i)
        title = " ".join(words(random.randint(3, 6)))
        description = " ".join(words(random.randint(15, 40)) + (["zeppelin"] if i in rare else []))
        # One in ten still new; the rest answered after half an hour and closed two hours later.
        times = ",," if i % 10 == 0 else f",{f(cr + d.timedelta(minutes=30))},{f(cr + d.timedelta(minutes=150))}"
        status = "new" if i % 10 == 0 else "closed"
        csv.write(f"{title},{c},{t},P{random.randint(1, 4)},user{random.randint(1, 5000)}@example.org,{f(cr)}{times},{status}\n")
        tsv.write(f"{i + 1}\t{description}\n")
EOF
# The query mix: a key, a rare word, the most common word, two words, a prefix.
mix=("CR-$((rows / 2))" "zeppelin" "page" "checkout button" "pric")

# The server's answers: each query of the mix 200 times after 10 warm-up calls, one connection.
# measure BACKEND WHO TOKEN
measure() {
  python3 - "$url" "$3" "$1" "$2" "${mix[@]}" >>"$work/summary" <<'EOF'
import http.client, json, sys, time, urllib.parse
url, token, backend, who, queries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
host = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(host.hostname, host.port)
def get(q):
    conn.request("GET", "/api/v1/requests?q=" + urllib.parse.quote(q), headers={"Authorization": "Bearer " + token})
    r = conn.getresponse(); body = r.read()
    if r.status != 200: raise SystemExit(f"{q}: HTTP {r.status} {body[:200]}")
    return json.loads(body)
everything = []
for q in queries:
    first = get(q)
    for _ in range(9): get(q)
    times = []
    for _ in range(200):
        t = time.perf_counter(); get(q); times.append((time.perf_counter() - t) * 1000)
    times.sort(); everything += times
    print(f"| {backend} | {who} | q={q} ({len(first['items'])} on the first page) | p50 {times[99]:.1f} ms, p99 {times[197]:.1f} ms, max {times[-1]:.1f} ms |")
everything.sort()
print(f"| {backend} | {who} | the whole mix ({len(everything)} calls) | p50 {everything[len(everything) // 2]:.1f} ms, p99 {everything[int(len(everything) * 0.99)]:.1f} ms |")
EOF
}

# run BACKEND DATABASE_URL
run() {
  local backend=$1 t0=$EPOCHREALTIME
  export DATABASE_URL=$2
  echo
  echo "######## $backend ($rows requests; $(uptime | sed 's/.*load/load/'))"
  $bin migrate >/dev/null
  echo "== import"
  /usr/bin/time -f "%e s" $bin import "$work/history.csv" 2>&1 | tail -n 3
  # The descriptions, then the index built again from the rows as migration 000030 builds it.
  echo "== descriptions and the search index"
  t=$EPOCHREALTIME
  if [ "$backend" = SQLite ]; then
    local db=${DATABASE_URL#sqlite://}
    python3 - "$db" "$work/descriptions.tsv" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2]) as f:
    db.executemany("UPDATE requests SET description = ? WHERE number = ?", ((d.rstrip("\n"), int(n)) for n, d in (l.split("\t", 1) for l in f)))
db.execute("DELETE FROM request_search")
db.execute("""INSERT INTO request_search (rowid, title, body, comments, notes, owner)
              SELECT number, title, description, '', '', replace(requester_id, '-', '') FROM requests""")
db.commit()
EOF
  else
    local psql=(psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL")
    "${psql[@]}" <<EOF
CREATE TEMP TABLE d (number BIGINT, description TEXT);
\copy d FROM '$work/descriptions.tsv'
UPDATE requests r SET description = d.description FROM d WHERE r.number = d.number;
TRUNCATE request_search;
INSERT INTO request_search (number, request_id, title, body)
SELECT number, id, trim(regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g')),
       trim(regexp_replace(lower(description), '[^[:alnum:]]+', ' ', 'g')) FROM requests;
VACUUM ANALYZE requests;
VACUUM ANALYZE request_search;
EOF
  fi
  printf '   %.0f s\n' "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t" "$EPOCHREALTIME")"

  echo "bench password 123" | $bin user add --email ian@example.org --name Ian --role agent --team it --password-stdin >/dev/null
  local staff requester port
  staff=$($bin token create --email ian@example.org 2>/dev/null)
  requester=$($bin token create --email user17@example.org 2>/dev/null)
  port=$(free_port)
  $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
  server=$!
  url=http://127.0.0.1:$port
  until curl -sf "$url/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "== the query mix: ${mix[*]}"
  measure "$backend" staff "$staff"
  measure "$backend" requester "$requester"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""

  # The engine alone: the index lookup the server starts a search with, 200 times.
  echo "== the engine alone"
  local sql
  for q in zeppelin page; do
    if [ "$backend" = SQLite ]; then
      sql="SELECT rowid FROM request_search WHERE request_search MATCH '\"$q\"*' ORDER BY rowid DESC LIMIT 5001;"
      t=$EPOCHREALTIME
      for ((i = 0; i < 200; i++)); do echo "$sql"; done | sqlite3 -readonly "${DATABASE_URL#sqlite://}" >/dev/null
    else
      sql="SELECT number FROM request_search WHERE all_tsv @@ to_tsquery('simple', '''$q'':*') ORDER BY number DESC LIMIT 5001;"
      t=$EPOCHREALTIME
      for ((i = 0; i < 200; i++)); do echo "$sql"; done | psql -X -q -A -t "$DATABASE_URL" >/dev/null
    fi
    printf '| %s | engine | q=%s: %s x 200 in one process | %.1f ms each |\n' "$backend" "$q" "${sql:0:48}..." \
      "$(python3 -c "import sys; print((float(sys.argv[2]) - float(sys.argv[1])) * 1000 / 200)" "$t" "$EPOCHREALTIME")" >>"$work/summary"
  done
  printf '   %s took %.0f s\n' "$backend" "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$EPOCHREALTIME")"
}

: >"$work/summary"
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
echo "== summary ($rows requests; each query 200 times after 10 warm-up calls, one connection; built from $built)"
echo "| backend | as | query | latency |"
echo "| --- | --- | --- | --- |"
cat "$work/summary"
printf 'end to end: %.0f s\n' "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$began" "$EPOCHREALTIME")"
