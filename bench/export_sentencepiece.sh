#!/usr/bin/env bash
# SentencePiece GGUF against llama.cpp: a tiny random model given a
# tokenizer.model trained by Google's sentencepiece as Llama 2's is made
# (tests/sentencepiece_check.py train), exported as f16 GGUF here, then
# llama.cpp (llama-cpp-python from bench/export.sh's venv) loads it,
# tokenizes texts exactly as sentencepiece does, and generates.
#   LLAMACPP_VENV  llama-cpp-python's venv (default ../.venv-llamacpp; run
#                  bench/export.sh once to make it)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LLAMACPP_VENV="${LLAMACPP_VENV:-$ROOT/../.venv-llamacpp}"
[ -x "$LLAMACPP_VENV/bin/python" ] || { echo "no llama-cpp-python at $LLAMACPP_VENV: run bench/export.sh first" >&2; exit 1; }
WORK="$(mktemp -d /tmp/brightrun-spm.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
SPY="$(scripts/gguf-python)"
cargo build --quiet -p brightrun-trainer --example export_bench
B=target/debug/examples/export_bench
$B write-model tiny "$WORK/base"
$B write-adapter "$WORK/base" "$WORK/adapter" 8 16 0.02
"$SPY" trainer/tests/sentencepiece_check.py train "$WORK/base"
$B run "$WORK/base" "$WORK/adapter" gguf-f16 "$WORK/out" >/dev/null
TEXTS='["Where do I start with my debts?", "  Budget\tfirst, then\nsave 10% \u2014 it is fine. ", "\u00c9motions: \ud83d\ude1f about money are normal; 401(k) & IRA.", "interest compounds"]'
"$SPY" -c 'import json, sys, sentencepiece as s
p = s.SentencePieceProcessor(); p.LoadFromFile(sys.argv[1])
print(json.dumps([p.encode(t) for t in json.loads(sys.argv[2])]))' "$WORK/base/tokenizer.model" "$TEXTS" > "$WORK/want.json"
"$LLAMACPP_VENV/bin/python" -c 'import json, sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], verbose=False, n_ctx=64)
want = json.load(open(sys.argv[3]))
got = [llm.tokenize(t.encode(), add_bos=False, special=False) for t in json.loads(sys.argv[2])]
same = sum(w == g for w, g in zip(want, got))
done = llm("Where do I start", max_tokens=8, temperature=0)
print(json.dumps({"texts": len(want), "tokenized_alike": same, "tokens": sum(map(len, want)),
                  "generated_tokens": done["usage"]["completion_tokens"]}))
sys.exit(0 if same == len(want) else 1)' "$WORK/out/model-f16.gguf" "$TEXTS" "$WORK/want.json"
