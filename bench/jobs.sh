#!/usr/bin/env bash
# Jobs benchmark (issue 5; not a test). Starts its own throwaway PostgreSQL
# on 127.0.0.1, then:
#   1. one poll tick (and a second) over 10,000 running jobs on the `http`
#      backend against an in-memory cluster-API stand-in: cluster requests,
#      SQL statements and wall time per tick (backend/examples/poll_bench/);
#   2. `GET /api/jobs/{id}` on a real `brightrun serve` under 1,000
#      concurrent clients from a second process: throughput and latency
#      percentiles, with one shared API token and with one token per client;
#      then the job monitor's refresh, `GET /api/jobs/{id}/updates` with
#      `If-None-Match` (an unchanged job: 304), the same two ways
#      (backend/examples/get_load.rs).
# Prints the figures and stops everything it started.
#
# Knobs: BENCH_PROFILE (cargo profile, default serve), BENCH_JOBS (10000),
# BENCH_HISTORY (stored points per job, 100), BENCH_TICKS (2), BENCH_CLIENTS
# (1000), BENCH_SECONDS (15), BENCH_POINTS (points of the GET job, 200),
# BENCH_MODES (shared,per-client,updates,updates-per-client: the detail,
# then the monitor's refresh; each with one token or one per client),
# BENCH_SKIP_POLL=1 (only the load test), BENCH_SERVER_BIN (use this `brightrun`
# instead of building one), BENCH_SQL_LOG=1 (log every statement's
# duration and print the poll tick's, to see where its time goes).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${BENCH_PROFILE:-serve}" # the profile scripts/run serves with
case "$PROFILE" in
  dev) OUT="$CARGO_TARGET_DIR/debug" ;;
  release | bench) OUT="$CARGO_TARGET_DIR/release" ;; # cargo puts bench builds here
  *) OUT="$CARGO_TARGET_DIR/$PROFILE" ;;
esac

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

say "building ($PROFILE profile)"
cargo build --profile "$PROFILE" -p brightrun-backend --example poll_bench --example get_load
if [ -n "${BENCH_SERVER_BIN:-}" ]; then
  BIN="$BENCH_SERVER_BIN" # a server binary built already (its profile is the caller's)
else
  cargo build --profile "$PROFILE" -p brightrun-server --bin brightrun
  BIN="$OUT/brightrun"
fi

RUN_DIR="$(mktemp -d /tmp/brightrun-bench-jobs.XXXXXX)"
chmod 755 "$RUN_DIR" # the postgres user must be able to enter it
PG_PID=""
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_PID" ]; then kill "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
# 1,000 client sockets here and 1,000 in the server.
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096 2>/dev/null || true

say "starting a throwaway PostgreSQL"
"$BIN" database serve --data-dir "$RUN_DIR/pg" --url-file "$RUN_DIR/pg.url" --ephemeral \
  >"$RUN_DIR/pg.out" 2>&1 &
PG_PID=$!
for _ in $(seq 1 120); do [ -s "$RUN_DIR/pg.url" ] && break; kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.5; done
[ -s "$RUN_DIR/pg.url" ] || { cat "$RUN_DIR/pg.out"; echo "PostgreSQL did not start" >&2; exit 1; }
DB_URL="$(cat "$RUN_DIR/pg.url")"
PG_LOG="$RUN_DIR/pg/postgres.log"

if [ "${BENCH_SQL_LOG:-}" = 1 ]; then
  psql "$DB_URL" -qAtc "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
fi
say "poll tick"
LOG_FROM=$(($(wc -l <"$PG_LOG") + 1))
if [ "${BENCH_SKIP_POLL:-}" = 1 ]; then : >"$RUN_DIR/poll.out"; else
  DATABASE_URL="$DB_URL" "$OUT/examples/poll_bench" | tee "$RUN_DIR/poll.out"
fi
if [ "${BENCH_SQL_LOG:-}" = 1 ]; then
  say "the poll ticks' statements (PostgreSQL's own durations)"
  tail -n +"$LOG_FROM" "$PG_LOG" | grep -E 'duration: .* (execute|bind|parse) [^:]*: (WITH c AS|UPDATE training_jobs j|INSERT INTO metrics_points \(job_id, step, epoch, train_loss, eval_loss|INSERT INTO notifications)' |
    sed -E 's/.*duration: ([0-9.]+) ms +(execute|bind|parse) [^:]*: (.{0,60}).*/\1 ms  \2  \3/'
  psql "$DB_URL" -qAtc "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
fi

say "GET /api/jobs/{id} and the monitor's refresh under load"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BRIGHTRUN_ADDR="127.0.0.1:$PORT" DATABASE_URL="$DB_URL" BRIGHTRUN_DATA_DIR="$RUN_DIR/data" \
  BRIGHTRUN_WORKERS=false RUST_LOG=warn "$BIN" serve >"$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null || { cat "$RUN_DIR/server.log"; echo "the server did not start" >&2; exit 1; }
BENCH_MODES="${BENCH_MODES:-shared,per-client,updates,updates-per-client}" \
  BENCH_URL="http://127.0.0.1:$PORT" DATABASE_URL="$DB_URL" "$OUT/examples/get_load" | tee "$RUN_DIR/get.out"
if grep -qiE 'error|panic' "$RUN_DIR/server.log"; then
  say "server log (errors):"; grep -iE 'error|panic' "$RUN_DIR/server.log" | tail -20
fi

echo
echo "jobs benchmark (examples: $PROFILE profile; server: $BIN; $(nproc) CPUs; PostgreSQL ephemeral: fsync off)"
grep -h '^RESULT' "$RUN_DIR/poll.out" "$RUN_DIR/get.out" | sed 's/^RESULT /  /'
