#!/usr/bin/env bash
# Site delivery benchmark (issue 20; not a test). Builds what scripts/run
# serves (the `serve` server and the optimised bundle), prints the bundle's
# raw, gzip and brotli sizes, then starts a throwaway PostgreSQL and the
# server on 127.0.0.1 and measures, in Chromium throttled to 10 Mbit/s and
# 40 ms round trips, the time to a hydrated job monitor and configure page
# with a cold cache and a warm one (end2end/bench/page_load.mjs).
# Knobs: BENCH_RUNS (loads per page, median reported; 3), BENCH_PORT (38190).
source "$(dirname "$0")/../scripts/lib.sh"
ensure_rust_tools
build_site serve
say "bundle sizes (bytes: raw, gzip, brotli)"
for f in "$BRIGHTRUN_SITE_ROOT"/pkg/brightrun-*.{js,wasm,css}; do
  printf '%-48s %9d %9d %9d\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.gz")" "$(stat -c %s "$f.br")"
done
RUN_DIR="$(mktemp -d)"
PORT="${BENCH_PORT:-38190}"
cleanup() {
  kill "${SERVER_PID:-}" "${PG_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
"$BRIGHTRUN_BIN" database serve --data-dir "$RUN_DIR/pg" --url-file "$RUN_DIR/pg.url" --ephemeral >"$RUN_DIR/pg.log" 2>&1 &
PG_PID=$!
for _ in $(seq 1 120); do [ -s "$RUN_DIR/pg.url" ] && break; sleep 0.5; done
[ -s "$RUN_DIR/pg.url" ] || die "the benchmark PostgreSQL did not start"
BRIGHTRUN_ADDR="127.0.0.1:$PORT" DATABASE_URL="$(cat "$RUN_DIR/pg.url")" BRIGHTRUN_DATA_DIR="$RUN_DIR/data" \
  RUST_LOG=warn "$BRIGHTRUN_BIN" serve >"$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break; sleep 0.5; done
if [ ! -d end2end/node_modules/playwright-core ]; then (cd end2end && npm ci --no-audit --no-fund --loglevel=error); fi
say "page loads at 10 Mbit/s, 40 ms RTT (median of ${BENCH_RUNS:-3})"
BRIGHTRUN_E2E_URL="http://127.0.0.1:$PORT" node end2end/bench/page_load.mjs
