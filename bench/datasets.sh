#!/usr/bin/env bash
# Dataset benchmark (not a test): builds a ~200 MB brightrun-lora-v4 JSONL
# from the EQ-12 fixture, then in one run times `brightrun dataset validate`
# (optimised build) and the Python reference (json + tiktoken) on it, and
# prints both throughputs and the ratio. Optionally (BENCH_UPLOAD=1, with
# DATABASE_URL set) measures the server's peak RSS during a 500 MB upload.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-data}"
mkdir -p "$WORK"
SIZE_MB="${BENCH_MB:-200}"
FIXTURE="$ROOT/../shared/fixtures/EQ-12-conversations-demo.jsonl"

cargo build --profile bench -p brightrun-server
BIN="$CARGO_TARGET_DIR/release/brightrun"
[ -x "$CARGO_TARGET_DIR/bench/brightrun" ] && BIN="$CARGO_TARGET_DIR/bench/brightrun"
python3 -c 'import tiktoken' 2>/dev/null || pip install --quiet tiktoken

BIG="$WORK/eq12-${SIZE_MB}mb.jsonl"
if [ ! -s "$BIG" ]; then
  # Unique copies of the 44 pairs (ids and targets numbered) until SIZE_MB.
  python3 - "$FIXTURE" "$BIG" "$SIZE_MB" <<'PY'
import json, sys
src, dst, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, encoding="utf-8").read().splitlines()
pairs = [json.loads(l) for l in lines[1:]]
with open(dst, "w", encoding="utf-8") as out:
    out.write(lines[0] + "\n")
    written, copy = 0, 0
    while written < mb * 1048576:
        copy += 1
        for p in pairs:
            q = dict(p, id=f"{p['id']}_{copy}", target_response=f"{p['target_response']} ({copy})")
            line = json.dumps(q, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode())
PY
fi
BYTES=$(stat -c %s "$BIG")
RANKS="$(ls ~/.cargo/registry/src/*/tiktoken-rs-*/assets/cl100k_base.tiktoken | head -1)"

echo "file: $BIG ($((BYTES / 1048576)) MB)"
/usr/bin/time -f "%e %M" -o "$WORK/rust.time" "$BIN" dataset validate "$BIG" --json >"$WORK/rust.json" || true
read -r RUST_S RUST_KB <"$WORK/rust.time"
PY_OUT="$(python3 bench/reference.py "$BIG" "$RANKS")"
PY_S="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$PY_OUT")"
python3 - "$BYTES" "$RUST_S" "$RUST_KB" "$PY_S" "$WORK/rust.json" "$PY_OUT" <<'PY'
import json, sys
size, rs, rkb, ps = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rust = json.load(open(sys.argv[5]))["stats"]
py = json.loads(sys.argv[6])
mb = size / 1048576
print(f"rust   : {mb / rs:8.1f} MB/s  ({rs:.1f} s, peak RSS {rkb // 1024} MB, {rust['trainable_examples']} examples, {rust['tokens']['total']} tokens)")
print(f"python : {mb / ps:8.1f} MB/s  ({ps:.1f} s, {py['examples']} examples, {py['tokens_total']} tokens)")
print(f"ratio  : {ps / rs:.1f}x")
assert rust["tokens"]["total"] == py["tokens_total"], "token totals differ"
PY
