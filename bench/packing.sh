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
# The models' tokenizer is byte-level: an EQ-12 example of 321 to 2,956
# real tokens is 1,907 to 13,970 here (median 6,210), so the lengths below
# keep a third of the examples whole (the models are written with 16,384
# positions for it). Both settings run with gradient checkpointing.
echo "== tiny: batch 4, max length 4096, 6 steps"
"$BENCH" packing tiny "$WORK" 6 4 4096
echo "== 100m: batch 2, max length 4096, 2 steps"
"$BENCH" packing 100m "$WORK" 2 2 4096
