#!/usr/bin/env bash
# Architecture parity (issue 18): for Qwen3, Phi-3, Gemma 2 and Gemma 3 (and
# Llama as the control, Mistral for its sliding window), BrightRun writes a small random model of that
# architecture in its Hugging Face layout (`bench write-arch`: the tiny
# vocabulary, sliding windows shorter than the prompt, Gemma 2's
# softcapping, Gemma 3's local RoPE base and linear scaling), trains a LoRA
# adapter on every projection for a few steps on EQ-12 (`brightrun-trainer
# run`), and transformers + PEFT load the folder and the adapter unchanged:
# the logits (f32, eager attention) must equal BrightRun's within 1e-4 for
# the base model and with the adapter.
#   BENCH_ARCHS   the architectures (default: llama mistral qwen3 phi3 gemma2 gemma3_text)
#   BENCH_PROFILE cargo profile (default dev: the models are tiny)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-architectures}"
ARCHS="${BENCH_ARCHS:-llama mistral qwen3 phi3 gemma2 gemma3_text}"
PROFILE="${BENCH_PROFILE:-dev}"
mkdir -p "$WORK"
source bench/peft-venv.sh
cargo build --profile "$PROFILE" -p brightrun-trainer --bin brightrun-trainer --example bench
OUT="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"
BIN="$OUT/brightrun-trainer"
BENCH="$OUT/examples/bench"
IDS='[257, 117, 115, 101, 114, 10, 73, 32, 97, 109, 32, 119, 111, 114, 114, 105, 101, 100, 258, 10, 257, 97]'
: >"$WORK/results.jsonl"
for arch in $ARCHS; do
  echo "== $arch"
  dir="$WORK/$arch"
  rm -rf "$dir" && mkdir -p "$dir"
  "$BENCH" write-arch "$arch" "$dir/model"
  cat >"$dir/job.json" <<JSON
{"job_id": "arch-$arch", "base_model": "$dir/model", "dataset": "$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl",
 "hyperparameters": {"epochs": 10, "max_steps": 12, "batch_size": 4, "max_seq_len": 128, "learning_rate": 0.01,
   "lora_r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
 "output": {"folder": "$dir/adapter"}}
JSON
  "$BIN" run --spec "$dir/job.json" --work-dir "$dir/work" | tail -1
  echo "$IDS" >"$dir/ids.json"
  "$BENCH" logits "$dir/model" none "$IDS" >"$dir/base.json"
  "$BENCH" logits "$dir/model" "$dir/adapter" "$IDS" >"$dir/adapted.json"
  "$PY" bench/peft_reference.py arch-parity "$dir/model" "$dir/adapter" "$dir/ids.json" "$dir/base.json" "$dir/adapted.json" \
    | tee -a "$WORK/results.jsonl"
done
echo "== results ($WORK/results.jsonl)"
python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"{r['architecture']:24} base {r['base_max_abs_diff']:.2e}  adapter {r['adapter_max_abs_diff']:.2e}  "
          f"(adapter effect {r['adapter_effect']:.3f}; target_modules {', '.join(r['target_modules'])})")
PY
