#!/usr/bin/env bash
# Packing (issue 17; not a test): the trainer on EQ-12 with packing off and
# on, the same steps, examples and seed, for the tiny model and the ~100M
# shape (random weights). Prints real (non-padding) tokens/s, real tokens
# and computed positions per step for each.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-packing}"
mkdir -p "$WORK"
cargo build --release -p brightrun-trainer --example bench
BENCH="$CARGO_TARGET_DIR/release/examples/bench"
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="${BENCH_THREADS:-$(nproc)}"
echo "== tiny: batch 8, max length 1024, 10 steps"
"$BENCH" packing tiny "$WORK" 10 8 1024
echo "== 100m: batch 4, max length 512, 4 steps"
"$BENCH" packing 100m "$WORK" 4 4 512
