# What every benchmark script shares, sourced after it has read its arguments (from the
# repository's root): a release build, `$bin`, a scratch folder `$work` removed on exit with the
# server and the throwaway PostgreSQL it may have started, `as_pg`, `free_port`, and
# `throwaway_pg`.

cargo build --release --quiet
built="$(git describe --always --dirty 2>/dev/null || echo unknown) at $(date -u +%FT%TZ)"
bin=$PWD/target/release/changedesk
work=$(mktemp -d)
chmod 755 "$work"
server="" pg_started=0 PGBIN=""
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  if [ "$pg_started" = 1 ]; then as_pg "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ "$pg_started" = 1 ] && [ -n "${BENCH_PG_LOG:-}" ]; then cp "$work/postgres.log" "$BENCH_PG_LOG"; fi
  rm -rf "$work"
}
trap cleanup EXIT
export RUST_LOG=warn CHANGEDESK__MAIL__FILE_DIR=$work/mail
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts a throwaway PostgreSQL (15, else the newest installed) under $work with fsync,
# synchronous_commit and full_page_writes left on, as production runs it, and an empty
# database `bench`; sets `pg_url` and `pg_label` ("PG 15"). BENCH_PG_OPTS adds server options
# (e.g. "-c log_min_duration_statement=100"); BENCH_PG_LOG names a file to keep its log in.
throwaway_pg() {
  PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; fi
  local port
  port=$(free_port)
  as_pg "$PGBIN/initdb" -D "$work/pg" -U postgres -A trust >/dev/null
  pg_started=1
  as_pg "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c max_connections=200 ${BENCH_PG_OPTS:-}" start >/dev/null
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -c 'create database bench'
  pg_url="postgres://postgres@127.0.0.1:$port/bench"
  pg_label="PG $(basename "$(dirname "$PGBIN")")"
}
