#!/usr/bin/env bash
# Generation speed (issue 16; not a test): time to first token and tokens/s
# at batch 1 with a LoRA adapter (r16 on q and v), greedy, a fixed number of
# new tokens, for the tiny model and the ~100M shape: BrightRun's trainer
# (`bench generate`) against PyTorch `generate` with the PEFT adapter, the
# same weights, prompt and thread count; each side BENCH_ROUNDS times (3),
# alternating, medians compared. The first generated ids of both are
# printed: the same greedy tokens mean the same model was timed.
# Uses the PEFT virtualenv of bench/trainer.sh (installed there on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-generate}"
THREADS="${BENCH_THREADS:-$(nproc)}"
ROUNDS="${BENCH_ROUNDS:-3}"
TOKENS="${BENCH_TOKENS:-128}"
source bench/peft-venv.sh
cargo build --release -p brightrun-trainer --example bench
BENCH="$CARGO_TARGET_DIR/release/examples/bench"
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="$THREADS"
for shape in tiny 100m; do
  echo "== generate $shape ($TOKENS new tokens, $THREADS threads, $ROUNDS rounds each)"
  mkdir -p "$WORK/$shape"
  : >"$WORK/$shape/ours.jsonl"; : >"$WORK/$shape/theirs.jsonl"
  for _ in $(seq "$ROUNDS"); do
    "$BENCH" generate "$shape" "$WORK/$shape" "$TOKENS" >>"$WORK/$shape/ours.jsonl"
    "$PY" bench/peft_reference.py generate "$WORK/$shape/model" "$WORK/$shape/adapter" \
      "$WORK/$shape/prompt.json" "$TOKENS" "$THREADS" >>"$WORK/$shape/theirs.jsonl"
  done
  python3 - "$WORK/$shape/ours.jsonl" "$WORK/$shape/theirs.jsonl" <<'PY'
import json, statistics, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
med = lambda rs, k: statistics.median(r[k] for r in rs)
for name, rs in (("brightrun", o), ("peft", t)):
    runs = ", ".join("%.0f" % r["tokens_per_second"] for r in rs)
    print(f"{name:10}: {med(rs, 'tokens_per_second'):8.1f} tokens/s  time to first token {med(rs, 'ttft_ms'):7.1f} ms  "
          f"(runs: {runs})  first ids {rs[0]['first_ids']}")
print(f"ratio     : {med(o, 'tokens_per_second') / med(t, 'tokens_per_second'):.2f}x tokens/s, "
      f"{med(t, 'ttft_ms') / med(o, 'ttft_ms'):.2f}x time to first token  ({o[0]['parameters']:,} parameters, {o[0]['prompt_tokens']} prompt tokens)")
PY
done
