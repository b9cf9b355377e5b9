#!/usr/bin/env bash
# Exports (issue 21) against the tools that read them, on tiny-llama, the
# ~100M shape and a ~0.8B TinyLlama-like shape (random f32 weights, the tiny
# tokenizer, an adapter r16 alpha 32 on all seven projections):
#  (a) transformers loads the merged folder: logits equal PEFT's base +
#      adapter (f32, 1e-4);
#  (b) transformers loads the f16 GGUF (gguf_file=): logits equal the
#      merged model's within f16 rounding;
#  (c) llama.cpp (llama-cpp-python) loads the f16, q8_0 and q4_K_M files and
#      the LoRA over the base's f16: largest logit difference from
#      BrightRun's and top-1 agreement per file, its tokenization, a few
#      greedy tokens;
#  (d) llama.cpp's own converter (convert_hf_to_gguf.py on the merged folder,
#      convert_lora_to_gguf.py) and llama-quantize, from the llama.cpp source
#      that llama-cpp-python's sdist vendors, on the same input: layout and
#      bytes compared with ours, wall time, MB/s of f32 input and peak RSS
#      (/usr/bin/time -v) beside `brightrun-trainer export`'s.
# Figures go to $WORK/results.jsonl and a table at the end.
#   BENCH_SHAPES   default: tiny 100m 1b
#   BENCH_PROFILE  cargo profile (default bench: optimised, no LTO)
#   LLAMACPP_VENV  llama-cpp-python's venv (default ../.venv-llamacpp; made and
#                  built on first use: 20+ minutes on two cores)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-export}"
SHAPES="${BENCH_SHAPES:-tiny 100m 1b}"
PROFILE="${BENCH_PROFILE:-bench}"
LLAMACPP_VENV="${LLAMACPP_VENV:-$ROOT/../.venv-llamacpp}"
LLAMACPP_VERSION="0.3.36"
mkdir -p "$WORK"
REF="$ROOT/bench/export_reference.py"
source bench/peft-venv.sh
"$PY" -c 'import gguf, sentencepiece' 2>/dev/null || "$PY" -m pip install --quiet "gguf==0.19.0" sentencepiece

# llama.cpp: llama-cpp-python built from its sdist, whose vendored source
# tree also gives the converters and llama-quantize.
SRC="$WORK/llama-cpp-python-$LLAMACPP_VERSION"
[ -x "$LLAMACPP_VENV/bin/python" ] || python3 -m venv "$LLAMACPP_VENV"
if [ ! -d "$SRC" ]; then
  "$LLAMACPP_VENV/bin/pip" download --quiet --no-deps --no-binary llama-cpp-python -d "$WORK" "llama-cpp-python==$LLAMACPP_VERSION"
  tar -xzf "$WORK/llama_cpp_python-$LLAMACPP_VERSION.tar.gz" -C "$WORK"
  mv "$WORK/llama_cpp_python-$LLAMACPP_VERSION" "$SRC"
fi
LLAMA="$SRC/vendor/llama.cpp"
# The CPU's features without AMX: a VM can list AMX and still trap its
# tile instructions (ggml's Q8_0 matmul died with SIGILL on `tilezero`).
GGML_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
grep -qw avx512f /proc/cpuinfo && GGML_FLAGS="$GGML_FLAGS -DGGML_AVX512=ON"
LPY="$LLAMACPP_VENV/bin/python"
if ! "$LPY" -c 'import llama_cpp' 2>/dev/null; then
  echo "== building llama-cpp-python $LLAMACPP_VERSION (once)"
  CMAKE_ARGS="$GGML_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=2 "$LLAMACPP_VENV/bin/pip" install --quiet "$WORK/llama_cpp_python-$LLAMACPP_VERSION.tar.gz" numpy
fi
QUANTIZE="$WORK/llama.cpp-build/bin/llama-quantize"
if [ ! -x "$QUANTIZE" ]; then
  echo "== building llama-quantize (once)"
  "$LLAMACPP_VENV/bin/pip" install --quiet cmake
  "$LLAMACPP_VENV/bin/cmake" -S "$LLAMA" -B "$WORK/llama.cpp-build" -DCMAKE_BUILD_TYPE=Release $GGML_FLAGS \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
  "$LLAMACPP_VENV/bin/cmake" --build "$WORK/llama.cpp-build" --target llama-quantize -j 2 >/dev/null
fi

cargo build --profile "$PROFILE" -p brightrun-trainer --bin brightrun-trainer --example export_bench
case "$PROFILE" in dev) OUT=debug ;; bench | release) OUT=release ;; *) OUT="$PROFILE" ;; esac # cargo's folders
OUT="$CARGO_TARGET_DIR/$OUT"
BIN="$OUT/brightrun-trainer"
EXB="$OUT/examples/export_bench"
# "<|im_start|>user\nI am worried<|im_end|>\n<|im_start|>a" in the tiny tokenizer.
TEXT=$'<|im_start|>user\nI am worried<|im_end|>\n<|im_start|>a'
IDS='[257, 117, 115, 101, 114, 10, 73, 32, 97, 109, 32, 119, 111, 114, 114, 105, 101, 100, 258, 10, 257, 97]'
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

bytes() { du -cb "$@" | tail -1 | cut -f1; }

# measure SHAPE TOOL FORMAT INPUT_BYTES OUTPUT COMMAND...: wall time, peak
# RSS and MB/s of input, one JSON line.
measure() {
  local shape="$1" tool="$2" format="$3" input="$4" output="$5"; shift 5
  if ! /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/command.log" 2>&1; then
    tail -30 "$WORK/command.log"; echo "$tool $format failed on $shape" >&2; exit 1
  fi
  python3 - "$WORK/time.txt" "$shape" "$tool" "$format" "$input" "$(bytes "$output")" <<'PY' | tee -a "$RESULTS"
import json, sys
t = dict(l.strip().rsplit(": ", 1) for l in open(sys.argv[1]) if ": " in l)
parts = [float(p) for p in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
mb = int(sys.argv[5]) / 1e6
print(json.dumps({"shape": sys.argv[2], "tool": sys.argv[3], "format": sys.argv[4], "input_mb": round(mb, 1),
                  "output_mb": round(int(sys.argv[6]) / 1e6, 1), "wall_s": round(wall, 2),
                  "mb_per_s": round(mb / max(wall, 1e-3), 1),
                  "peak_rss_mb": int(t["Maximum resident set size (kbytes)"]) // 1024}))
PY
}

for shape in $SHAPES; do
  echo "== $shape"
  d="$WORK/$shape"
  mkdir -p "$d"
  [ -f "$d/model/config.json" ] || "$EXB" write-model "$shape" "$d/model"
  [ -f "$d/adapter/adapter_config.json" ] || "$EXB" write-adapter "$d/model" "$d/adapter" 16 32 0.02
  [ -f "$d/zero/adapter_config.json" ] || "$EXB" write-adapter "$d/model" "$d/zero" 16 32 0
  echo "$IDS" >"$d/ids.json"
  in_bytes="$(bytes "$d"/model/*.safetensors)"
  rm -rf "$d/ours" "$d/theirs" && mkdir -p "$d/ours" "$d/theirs"
  for format in merged gguf-f16 gguf-q8_0 gguf-q4_k_m gguf-lora; do
    input="$in_bytes"; [ "$format" = gguf-lora ] && input="$(bytes "$d"/adapter/*.safetensors)"
    measure "$shape" brightrun "$format" "$input" "$d/ours/$format" \
      "$BIN" export --base "$d/model" --adapter "$d/adapter" --format "$format" --out "$d/ours/$format"
  done
  # The base alone as f16 GGUF, for llama.cpp's --lora: an adapter whose B is zero.
  "$BIN" export --base "$d/model" --adapter "$d/zero" --format gguf-f16 --out "$d/base-f16" >/dev/null

  echo "-- (a, b) transformers and PEFT"
  "$PY" "$REF" peft-merged "$d/model" "$d/adapter" "$d/ours/merged" "$d/ids.json" "$d/merged.npy" | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$RESULTS"
  "$PY" "$REF" hf-gguf "$d/merged.npy" "$d/ours/gguf-f16/model-f16.gguf" "$d/ids.json" | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$RESULTS"

  echo "-- (c) llama.cpp"
  "$EXB" logits "$d/model" "$d/adapter" "$IDS" >"$d/ours-logits.json"
  for q in f16 q8_0 q4_k_m; do
    "$LPY" "$REF" llamacpp "$d/ours/gguf-$q/model-$q.gguf" - "$d/ids.json" "$d/ours-logits.json" "$TEXT" \
      | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$RESULTS"
  done
  "$LPY" "$REF" llamacpp "$d/base-f16/model-f16.gguf" "$d/ours/gguf-lora/adapter-f16.gguf" "$d/ids.json" \
    "$d/ours-logits.json" "$TEXT" | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$RESULTS"

  echo "-- (d) llama.cpp's converter and quantizer on the same input"
  merged_bytes="$(bytes "$d"/ours/merged/*.safetensors)"
  for q in f16 q8_0; do
    measure "$shape" "llama.cpp convert_hf_to_gguf" "gguf-$q" "$merged_bytes" "$d/theirs/model-$q.gguf" \
      "$PY" "$REF" convert "$LLAMA" convert_hf_to_gguf.py "$d/ours/merged" --outtype "$q" --outfile "$d/theirs/model-$q.gguf"
  done
  measure "$shape" "llama-quantize (from its f16)" gguf-q4_k_m "$merged_bytes" "$d/theirs/model-q4_k_m.gguf" \
    "$QUANTIZE" "$d/theirs/model-f16.gguf" "$d/theirs/model-q4_k_m.gguf" Q4_K_M 2
  measure "$shape" "llama.cpp convert_lora_to_gguf" gguf-lora "$(bytes "$d"/adapter/*.safetensors)" "$d/theirs/adapter-f16.gguf" \
    "$PY" "$REF" convert "$LLAMA" convert_lora_to_gguf.py --base "$d/model" --outtype f16 --outfile "$d/theirs/adapter-f16.gguf" "$d/adapter"
  for f in model-f16 model-q8_0 model-q4_k_m adapter-f16; do
    format="gguf-${f#model-}"; [ "$f" = adapter-f16 ] && format=gguf-lora
    "$PY" "$REF" compare "$d/ours/$format/$f.gguf" "$d/theirs/$f.gguf" "$d/ours/merged" | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$RESULTS"
  done
done

echo "== results ($RESULTS)"
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'shape':6} {'tool':34} {'format':12} {'in MB':>8} {'out MB':>8} {'wall s':>8} {'MB/s':>7} {'peak RSS MB':>11}")
for r in rows:
    if "wall_s" in r:
        print(f"{r['shape']:6} {r['tool']:34} {r['format']:12} {r['input_mb']:8.1f} {r['output_mb']:8.1f} "
              f"{r['wall_s']:8.2f} {r['mb_per_s']:7.1f} {r['peak_rss_mb']:11}")
for r in rows:
    if "check" in r:
        figures = {k: v for k, v in r.items() if k not in ("shape", "check")}
        print(f"{r['shape']:6} {r['check']}: {json.dumps(figures)}")
PY
