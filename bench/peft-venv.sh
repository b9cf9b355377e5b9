# Sourced by the CPU benchmarks: PY, a Python with torch, transformers and
# peft, from the venv at PEFT_VENV (default ../.venv-peft beside the
# checkout), made and installed from PyPI on first use.
VENV="${PEFT_VENV:-$ROOT/../.venv-peft}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch, transformers, peft' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch transformers peft safetensors
fi
PY="$VENV/bin/python"
