#!/usr/bin/env bash
# The memory formula (brightrun::training::memory, the configure page's fit
# check and the trainer's pre-flight) against the peak resident memory of
# real runs on this machine's CPU (not a test): `brightrun-trainer run`, one
# step each, on the tiny model and the ~100M shape, f32 and bf16, with and
# without gradient checkpointing. Each run reports both numbers in its
# training_args.json; this prints them side by side.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-/tmp/brightrun-memory-bench}"
FIXTURE="$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl"
cargo build -p brightrun-trainer --bin brightrun-trainer --example bench
BIN="$CARGO_TARGET_DIR/debug/brightrun-trainer"
rm -rf "$WORK" && mkdir -p "$WORK"
"$CARGO_TARGET_DIR/debug/examples/bench" write-100m "$WORK/model-100m"
printf '%-34s %12s %12s %8s\n' run "formula MiB" "peak MiB" ratio
# model dtype batch: bf16 on the CPU runs candle's generic ops (slow), so
# only on the tiny model.
for run in "tiny-llama f32 4" "tiny-llama bf16 4" "$WORK/model-100m f32 2"; do
  read -r model dtype batch <<<"$run"
  for ckpt in false true; do
      name="$(basename "$model")-$dtype-b$batch-ckpt-$ckpt"
      cat >"$WORK/$name.json" <<JSON
{"job_id": "$name", "base_model": "$model", "dataset": "$FIXTURE", "device": "cpu", "dtype": "$dtype",
 "hyperparameters": {"max_steps": 1, "batch_size": $batch, "max_seq_len": 256, "lora_r": 16,
   "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
   "gradient_checkpointing": $ckpt},
 "output": {"folder": "$WORK/$name/adapter"}}
JSON
      "$BIN" run --spec "$WORK/$name.json" --work-dir "$WORK/$name/work" >/dev/null
      python3 - "$WORK/$name/adapter/training_args.json" "$name" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
est, peak = a["memory_estimate_bytes"] / 2**20, a["peak_rss_bytes"] / 2**20
print(f"{sys.argv[2]:<34} {est:12.0f} {peak:12.0f} {est / peak:8.2f}")
PY
  done
done
