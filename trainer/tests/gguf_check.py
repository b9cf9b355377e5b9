"""Checks a GGUF file with llama.cpp's own reader (`gguf` from PyPI,
scripts/gguf-python) against what it must hold.

  gguf_check.py FILE.gguf EXPECT.json

EXPECT.json:
  "metadata":  {key: value or {"type": "UINT32", "value": 4}}  each key present
               with that value (floats to 1e-6 relative; arrays whole) and,
               where given, that GGUF value type (ARRAY[INT32] for arrays)
  "absent":    [key, ...]  keys that must not be there
  "tensors":   {name: {"shape": [rows, cols], "type": "F16"}}  the exact set
               of tensors; shapes outermost first, as PyTorch and numpy order
               them (llama.cpp's ne reversed); types as ggml names them
  "values":    optional: every tensor dequantized against a reference:
               {"safetensors": [paths], "layout": "model" | "lora",
                "heads": n_head, "kv_heads": n_head_kv}
               The reference has Hugging Face (model) or PEFT (lora) names;
               attn_q and attn_k rows go through llama.cpp's rotary
               permutation (for a LoRA, lora_b's only). The error allowed
               is the type's (TOLERANCE), as RMS error over RMS value.

Prints a JSON summary (the largest relative error per type) and exits 0,
or lists every mismatch on stderr and exits 1.
"""
import json
import re
import struct
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.quants import dequantize

# RMS error over RMS value that a type's rounding stays under on weights
# drawn from a normal distribution: about twice what llama.cpp's own files
# show (convert_hf_to_gguf.py and llama-quantize on tiny-llama: F16 2.1e-4,
# Q8_0 5.4e-3, Q6_K 1.8e-2, Q4_K 7.2e-2), far under a wrong layout's ~1.
TOLERANCE = {
    "F32": 1e-6, "F16": 1e-3, "BF16": 8e-3, "Q8_0": 1e-2, "Q6_K": 3e-2,
    "Q5_0": 6e-2, "Q5_1": 6e-2, "Q5_K": 6e-2, "Q4_K": 0.12, "Q4_0": 0.15,
}

LAYER = {
    "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}
GLOBAL = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def type_name(field):
    main = GGUFValueType(field.types[0])
    if main != GGUFValueType.ARRAY:
        return main.name
    # The reader lists the item type only from a first item; an empty
    # array's is in its header (parts: key length, key, type, item type, …).
    return f"ARRAY[{GGUFValueType(int(field.parts[3][0])).name}]"


def same(got, want):
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(same, got, want))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, float):
        return isinstance(got, (int, float)) and abs(got - want) <= 1e-6 * max(abs(want), 1e-30)
    return got == want


def show(v):
    if isinstance(v, list) and len(v) > 8:
        return f"[{len(v)} items: {', '.join(map(repr, v[:4]))}, ...]"
    return repr(v)


def check_metadata(reader, expect, errors):
    for key, want in expect.get("metadata", {}).items():
        field = reader.fields.get(key)
        if field is None:
            errors.append(f"metadata `{key}` is missing (want {show(want)})")
            continue
        if isinstance(want, dict):
            if type_name(field) != want["type"]:
                errors.append(f"metadata `{key}` is {type_name(field)}, want {want['type']}")
            want = want["value"]
        got = field.contents()
        if not same(got, want):
            if isinstance(want, list) and isinstance(got, list) and len(got) == len(want):
                i = next(i for i, (g, w) in enumerate(zip(got, want)) if not same(g, w))
                errors.append(f"metadata `{key}`[{i}] is {got[i]!r}, want {want[i]!r}")
            else:
                errors.append(f"metadata `{key}` is {show(got)}, want {show(want)}")
    for key in expect.get("absent", []):
        if key in reader.fields:
            errors.append(f"metadata `{key}` must not be there (it is {show(reader.fields[key].contents())})")


def check_tensors(reader, expect, errors):
    want = expect.get("tensors", {})
    have = {t.name: t for t in reader.tensors}
    for name in sorted(set(want) - set(have)):
        errors.append(f"tensor `{name}` is missing")
    for name in sorted(set(have) - set(want)):
        errors.append(f"tensor `{name}` must not be there")
    for name in sorted(set(want) & set(have)):
        t, w = have[name], want[name]
        shape = [int(x) for x in reversed(t.shape)]
        if shape != w["shape"]:
            errors.append(f"tensor `{name}` has shape {shape}, want {w['shape']}")
        if t.tensor_type.name != w["type"]:
            errors.append(f"tensor `{name}` is {t.tensor_type.name}, want {w['type']}")


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = np.frombuffer(body[a:b], dtype={"F32": np.float32, "F16": np.float16, "BF16": np.uint16}[info["dtype"]])
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = raw.astype(np.float32).reshape(info["shape"])
    return out


def permute(w, n_head):
    """llama.cpp's rotary layout for attn_q/attn_k rows (convert_hf_to_gguf.py)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def reference(name, ref, values):
    """The reference tensor for a GGUF tensor name, in llama.cpp's layout."""
    if values["layout"] == "model" and name in GLOBAL:
        return ref.get(GLOBAL[name])
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight(?:\.lora_(a|b))?", name)
    if not m or m.group(2) not in LAYER:
        return None
    layer, kind, lora = m.groups()
    hf = f"model.layers.{layer}.{LAYER[kind]}"
    if values["layout"] == "lora":
        if lora is None:
            return None
        w = ref.get(f"base_model.model.{hf}.lora_{lora.upper()}.weight")
        rows_permuted = lora == "b"
    else:
        w = ref.get(f"{hf}.weight")
        rows_permuted = True
    if w is not None and rows_permuted and kind in ("attn_q", "attn_k"):
        w = permute(w, values["heads"] if kind == "attn_q" else values["kv_heads"])
    return w


def check_values(reader, values, errors):
    ref = {}
    for path in values["safetensors"]:
        ref.update(read_safetensors(path))
    worst = {}
    for t in reader.tensors:
        want = reference(t.name, ref, values)
        if want is None:
            errors.append(f"tensor `{t.name}` has no reference tensor to compare with")
            continue
        got = dequantize(t.data, t.tensor_type).reshape(want.shape)
        rel = float(np.sqrt(np.mean((got - want) ** 2)) / max(np.sqrt(np.mean(want**2)), 1e-30))
        kind = t.tensor_type.name
        worst[kind] = max(worst.get(kind, 0.0), rel)
        if not rel <= TOLERANCE.get(kind, 0.0):
            errors.append(f"tensor `{t.name}` ({kind}) is off its reference by {rel:.3g} RMS relative "
                          f"(allowed {TOLERANCE.get(kind, 0.0):g}): wrong weights, layout or quantization")
    return worst


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gguf_check.py FILE.gguf EXPECT.json")
    path, expect = sys.argv[1], json.load(open(sys.argv[2]))
    try:
        reader = GGUFReader(path)
    except Exception as e:  # the reader's own message says what is malformed
        sys.exit(f"{path}: llama.cpp's GGUF reader cannot read it: {e}")
    errors = []
    check_metadata(reader, expect, errors)
    check_tensors(reader, expect, errors)
    worst = check_values(reader, expect["values"], errors) if "values" in expect else {}
    if errors:
        sys.exit(f"{path}: {len(errors)} mismatch(es):\n  " + "\n  ".join(errors))
    print(json.dumps({"file": path, "tensors": len(reader.tensors), "metadata": len(reader.fields),
                      "worst_relative_error": worst}))


if __name__ == "__main__":
    main()
