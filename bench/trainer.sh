#!/usr/bin/env bash
# Trainer benchmark and PEFT parity (not a test; see issue 4):
#  1. parity: BrightRun trains an adapter on EQ-12 with the tiny model
#     (`brightrun-trainer run`), PyTorch loads the exported base model and
#     the adapter with PeftModel.from_pretrained, logits compared (1e-4).
#  2. speed: training tokens/s, batch 4 × seq 256, LoRA q,v r16, for the tiny
#     model and a ~100M-parameter one, BrightRun then PyTorch + PEFT on the
#     same batches and thread count, with peak RSS; each side BENCH_ROUNDS
#     times (3), alternating, medians compared.
# torch, transformers and peft are installed into a venv on first use
# (about 5.6 GB, minutes), which is why this is not in the test command.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-trainer}"
THREADS="${BENCH_THREADS:-$(nproc)}"
STEPS_TINY="${BENCH_STEPS_TINY:-20}"
STEPS_100M="${BENCH_STEPS_100M:-5}"
mkdir -p "$WORK"
source bench/peft-venv.sh
cargo build --release -p brightrun-trainer --bin brightrun-trainer --example bench
BIN="$CARGO_TARGET_DIR/release/brightrun-trainer"
BENCH="$CARGO_TARGET_DIR/release/examples/bench"
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="$THREADS"

echo "== parity"
rm -rf "$WORK/parity" && mkdir -p "$WORK/parity"
"$BENCH" export-tiny "$WORK/parity/model"
cat >"$WORK/parity/job.json" <<JSON
{"job_id": "parity", "base_model": "$WORK/parity/model", "dataset": "$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl",
 "hyperparameters": {"epochs": 10, "max_steps": 20, "batch_size": 4, "max_seq_len": 128, "learning_rate": 0.003,
   "lora_r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
 "output": {"folder": "$WORK/parity/adapter"}}
JSON
"$BIN" run --spec "$WORK/parity/job.json" --work-dir "$WORK/parity/work" | tail -1
IDS='[257, 117, 115, 101, 114, 10, 73, 32, 97, 109, 32, 119, 111, 114, 114, 105, 101, 100, 258, 10, 257, 97]'
echo "$IDS" >"$WORK/parity/ids.json"
"$BENCH" logits "$WORK/parity/model" "$WORK/parity/adapter" "$IDS" >"$WORK/parity/logits.json"
"$PY" bench/peft_reference.py parity "$WORK/parity/model" "$WORK/parity/adapter" "$WORK/parity/ids.json" "$WORK/parity/logits.json"

# Each side runs ROUNDS times, alternating, so that load from elsewhere on
# the machine falls on both; the medians are compared.
ROUNDS="${BENCH_ROUNDS:-3}"
for shape in tiny 100m; do
  steps=$STEPS_TINY; [ "$shape" = 100m ] && steps=$STEPS_100M
  echo "== speed $shape ($steps timed steps, $THREADS threads, $ROUNDS rounds each)"
  mkdir -p "$WORK/$shape"
  : >"$WORK/$shape/ours.jsonl"; : >"$WORK/$shape/theirs.jsonl"
  for _ in $(seq "$ROUNDS"); do
    "$BENCH" speed "$shape" "$WORK/$shape" "$steps" >>"$WORK/$shape/ours.jsonl"
    "$PY" bench/peft_reference.py speed "$WORK/$shape/model" "$WORK/$shape/batches.json" "$THREADS" >>"$WORK/$shape/theirs.jsonl"
  done
  python3 - "$WORK/$shape/ours.jsonl" "$WORK/$shape/theirs.jsonl" <<'PY'
import json, statistics, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
mo = statistics.median(r["tokens_per_second"] for r in o)
mt = statistics.median(r["tokens_per_second"] for r in t)
runs = lambda rs: ", ".join(f"{r['tokens_per_second']:.0f}" for r in rs)
print(f"brightrun : {mo:8.0f} tokens/s median ({runs(o)})  peak RSS {max(r['peak_rss_mb'] for r in o)} MB  ({o[0]['parameters']:,} parameters)")
print(f"peft      : {mt:8.0f} tokens/s median ({runs(t)})  peak RSS {max(r['peak_rss_mb'] for r in t)} MB")
print(f"ratio     : {mo / mt:.2f}x  first losses {o[0]['losses'][0]:.4f} vs {t[0]['losses'][0]:.4f}")
PY
done
