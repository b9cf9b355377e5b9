#!/usr/bin/env bash
# The prepared GPU check (issue 14), one command on a GPU machine (under 8
# minutes on one H100), or its CPU mode here (same steps, CPU, tiny model):
#
#   bench/gpu.sh --prepare      here: builds the CUDA trainer and bench
#                               binaries (scripts/build-cuda), strips and
#                               compresses them into bench/gpu-pkg/ (carried;
#                               the GPU machine has no Rust)
#   bench/gpu.sh                there: runs the checks below on cuda
#   bench/gpu.sh --cpu          here: the same checks on the CPU (builds them)
#
# 1. correctness: the tiny model 20 steps on DEV in f32 and in bf16 against
#    the CPU f32 run (f32: every loss within 1e-4; bf16: within 2 %), and
#    the finite-difference gradient check in f32 on DEV;
# 2. PEFT parity: the adapter trained on DEV, loaded there with
#    PeftModel.from_pretrained, gives BrightRun's logits (f32, 1e-4);
# 3. speed and memory: Llama-3.2-1B- and Llama-3-8B-shaped models (random
#    bf16 weights; the tiny shape on the CPU), LoRA r16 on all seven
#    projections, 4 × 2048 tokens a step (4 × 128 on the CPU), BrightRun then
#    PyTorch + PEFT (SDPA, gradient checkpointing) on the same device:
#    tokens/s, peak device memory, ratios.
# The GPU machine has PyTorch, transformers and peft; on the CPU, steps 2 and
# 3's PEFT side run only where python3 imports torch and peft (else skipped,
# and said so).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODE=gpu
case "${1:-}" in
  --prepare) MODE=prepare ;;
  --cpu) MODE=cpu ;;
  "") ;;
  *) echo "usage: bench/gpu.sh [--prepare | --cpu]" >&2; exit 2 ;;
esac
PKG="$ROOT/bench/gpu-pkg"
WORK="${BENCH_DIR:-/tmp/brightrun-gpu-bench}"
FIXTURE="$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl"
[ -f "$FIXTURE" ] || FIXTURE="$ROOT/bench/gpu-pkg/EQ-12-conversations-demo.jsonl"

if [ "$MODE" = prepare ]; then
  scripts/build-cuda --release --example bench --package "$PKG"
  cp "$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl" "$PKG/"
  ls -l "$PKG"
  exit 0
fi

if [ "$MODE" = cpu ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  # The dev profile (the trainer and candle are optimised in it): the
  # binaries the tests use, no release build needed for the CPU mode.
  cargo build -p brightrun-trainer --bin brightrun-trainer --example bench
  BIN="$CARGO_TARGET_DIR/debug/brightrun-trainer"
  BENCH="$CARGO_TARGET_DIR/debug/examples/bench"
  DEV=cpu SHAPES="tiny" BATCH=4 SEQ=128 STEPS=3
else
  mkdir -p "$WORK/bin"
  for b in brightrun-trainer bench; do
    zstd -q -d -f "$PKG/$b.zst" -o "$WORK/bin/$b" && chmod +x "$WORK/bin/$b"
  done
  BIN="$WORK/bin/brightrun-trainer" BENCH="$WORK/bin/bench"
  # The CUDA 13 libraries the binary needs come with the machine's PyTorch.
  LIBS="$(python3 -c 'import glob, os, site; print(":".join(sorted({os.path.dirname(p) for d in site.getsitepackages() for p in glob.glob(d + "/nvidia/**/lib/lib*.so*", recursive=True)})))')"
  export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  DEV=cuda SHAPES="1b 8b" BATCH=4 SEQ=2048 STEPS="${BENCH_STEPS:-5}"
fi
# PyTorch + PEFT: the machine's python3, or bench/trainer.sh's venv beside
# the checkout where python3 lacks them.
PY=python3
if ! python3 -c 'import torch, transformers, peft' 2>/dev/null && [ -x "$ROOT/../.venv-peft/bin/python" ]; then
  PY="$ROOT/../.venv-peft/bin/python"
fi
rm -rf "$WORK/runs" && mkdir -p "$WORK/runs"
"$BIN" info 2>/dev/null || true

echo "== 1. correctness: tiny model, 20 steps, $DEV f32 and bf16 against cpu f32"
tiny_run() { # name device dtype
  cat >"$WORK/runs/$1.json" <<JSON
{"job_id": "$1", "base_model": "tiny-llama", "dataset": "$FIXTURE", "device": "$2", "dtype": "$3",
 "hyperparameters": {"epochs": 10, "max_steps": 20, "batch_size": 4, "max_seq_len": 128, "learning_rate": 0.003, "lora_dropout": 0.0,
   "lora_r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
 "output": {"folder": "$WORK/runs/$1/adapter"}}
JSON
  "$BIN" run --spec "$WORK/runs/$1.json" --work-dir "$WORK/runs/$1/work" >"$WORK/runs/$1.log" 2>&1 \
    || { tail -20 "$WORK/runs/$1.log"; exit 1; }
}
tiny_run cpu-f32 cpu f32
tiny_run dev-f32 "$DEV" f32
tiny_run dev-bf16 "$DEV" bf16
python3 - "$WORK/runs" <<'PY'
import json, sys
runs = sys.argv[1]
def losses(name):
    return [json.loads(l)["train_loss"] for l in open(f"{runs}/{name}/adapter/metrics.jsonl")]
ref, f32, bf16 = losses("cpu-f32"), losses("dev-f32"), losses("dev-bf16")
assert len(ref) == len(f32) == len(bf16) == 20, (len(ref), len(f32), len(bf16))
worst_f32 = max(abs(a - b) for a, b in zip(f32, ref))
worst_bf16 = max(abs(a - b) / b for a, b in zip(bf16, ref))
print(json.dumps({"f32_max_abs_diff": worst_f32, "bf16_max_rel_diff": worst_bf16,
                  "cpu_f32_first_last": [ref[0], ref[-1]], "bf16_first_last": [bf16[0], bf16[-1]]}))
assert worst_f32 < 1e-4, f"f32 on the device differs from the CPU by {worst_f32}"
assert worst_bf16 < 0.02, f"bf16 differs from f32 by {worst_bf16:.2%}"
PY
"$BENCH" gradcheck "$DEV"

echo "== 2. PEFT parity: the $DEV-trained adapter in PeftModel.from_pretrained"
if "$PY" -c 'import torch, transformers, peft' 2>/dev/null; then
  "$BENCH" export-tiny "$WORK/runs/model"
  IDS='[257, 117, 115, 101, 114, 10, 73, 32, 97, 109, 32, 119, 111, 114, 114, 105, 101, 100, 258, 10, 257, 97]'
  echo "$IDS" >"$WORK/runs/ids.json"
  "$BENCH" logits "$WORK/runs/model" "$WORK/runs/dev-f32/adapter" "$IDS" "$DEV" >"$WORK/runs/logits.json"
  "$PY" bench/peft_reference.py parity "$WORK/runs/model" "$WORK/runs/dev-f32/adapter" \
    "$WORK/runs/ids.json" "$WORK/runs/logits.json" "$DEV"
else
  echo "skipped: $PY has no torch/transformers/peft (the GPU machine has them; bench/trainer.sh makes a venv)"
fi

echo "== 3. speed and memory: $SHAPES, LoRA r16 x 7, $BATCH x $SEQ tokens a step, $STEPS timed steps"
peak_gpu() { # command...: runs it, prints its output, then the peak GPU memory used (MiB) while it ran
  if ! command -v nvidia-smi >/dev/null; then "$@"; echo '{"peak_gpu_mib": null}'; return; fi
  local log="$WORK/runs/smi.log" pid
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$log" &
  pid=$!
  "$@"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "{\"peak_gpu_mib\": $(sort -n "$log" | tail -1)}"
}
for shape in $SHAPES; do
  ours="$(peak_gpu "$BENCH" shape-speed "$shape" "$STEPS" "$DEV" bf16 "$BATCH" "$SEQ")"
  echo "brightrun $shape: $ours"
  if "$PY" -c 'import torch, transformers, peft' 2>/dev/null; then
    theirs="$(peak_gpu "$PY" bench/gpu_reference.py speed "$shape" "$STEPS" "$DEV" bf16 "$BATCH" "$SEQ")"
    echo "peft $shape: $theirs"
    python3 - "$ours" "$theirs" <<'PY'
import json, sys
def parse(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    return out
o, t = parse(sys.argv[1]), parse(sys.argv[2])
ratio = o["tokens_per_second"] / t["tokens_per_second"]
mem = (o["peak_gpu_mib"] / t["peak_gpu_mib"]) if o.get("peak_gpu_mib") and t.get("peak_gpu_mib") else None
print(json.dumps({"shape": o["shape"], "speed_ratio": round(ratio, 3), "memory_ratio": mem and round(mem, 3)}))
PY
  else
    echo "peft $shape: skipped (no torch/peft in python3 here)"
  fi
done
echo "bench/gpu.sh ($MODE): done"
