#!/usr/bin/env bash
# Chat templates (issue 18; rerunnable by a reviewer): renders every family's
# published template (trainer/tests/data/chat_templates) with transformers'
# apply_chat_template into fresh golden files, compares them with the ones
# committed, and runs the Rust test that checks chat.rs against them.
#   bench/chat_templates.sh           regenerate into a scratch folder, diff
#   bench/chat_templates.sh --write   regenerate the committed golden files
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-chat-templates}"
VENV="${PEFT_VENV:-$ROOT/../.venv-peft}"
if ! "$VENV/bin/python" -c 'import transformers, jinja2' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet transformers jinja2 tokenizers
fi
EXPECTED=trainer/tests/data/chat_templates/expected
rm -rf "$WORK" && mkdir -p "$WORK/tokenizers" "$WORK/expected"
# The byte-level tokenizers with each family's special tokens, from the Rust test.
CHAT_TEMPLATES_TOKENIZERS="$WORK/tokenizers" cargo test -p brightrun-trainer --lib \
  chat::real_templates::write_family_tokenizers -- --ignored --exact --quiet
OUT="$WORK/expected"
[ "${1:-}" = "--write" ] && OUT="$EXPECTED"
"$VENV/bin/python" bench/chat_templates.py "$WORK/tokenizers" "$OUT"
if [ "$OUT" != "$EXPECTED" ]; then
  if diff -r -q -x versions.json "$EXPECTED" "$OUT"; then
    echo "golden files: transformers renders as committed"
  else
    echo "golden files differ from transformers' renders (bench/chat_templates.sh --write to update)"
    exit 1
  fi
fi
cargo test -p brightrun-trainer --lib chat:: -- --quiet
