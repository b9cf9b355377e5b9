"""The reference side of bench/export.sh: what other tools make of
`brightrun-trainer export`'s files. Each command prints one JSON line and
exits non-zero when a figure is past its limit.

  peft-merged MODEL ADAPTER MERGED IDS_JSON OUT_NPY
        transformers loads the merged folder; its logits (f32) against
        PEFT's base + adapter (limit 1e-4); saves the merged logits
  hf-gguf MERGED_NPY GGUF IDS_JSON
        transformers loads the GGUF (gguf_file=, dequantized to f32); its
        logits against the merged folder's (limit: 1% of the largest logit)
  llamacpp GGUF LORA|- IDS_JSON OURS_JSON TEXT
        llama.cpp (llama-cpp-python) loads the GGUF (and the LoRA over it):
        its logits for every prompt position against BrightRun's (largest
        difference, top-1 agreement), its tokenization of TEXT, a few greedy
        tokens
  compare OURS THEIRS [MERGED]
        two GGUF files side by side: metadata and tensors (name, shape,
        type, bytes; where bytes differ, the dequantized difference and,
        given the merged folder, each file's error against its f32 weights)
  convert LLAMA_CPP_DIR SCRIPT ARGS...
        runs llama.cpp's converter (SCRIPT: convert_hf_to_gguf.py or
        convert_lora_to_gguf.py) from its source tree; a BPE vocabulary it
        does not know (the tiny tokenizer) gets the pre-tokenizer "default"
"""
import json
import resource
import sys

import numpy as np


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def hf_logits(model, ids):
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].float().numpy()


def peft_merged(model_dir, adapter_dir, merged_dir, ids_path, out_npy):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    ids = json.load(open(ids_path))
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    peft = PeftModel.from_pretrained(base, adapter_dir).eval()
    theirs = hf_logits(peft, ids)
    with peft.disable_adapter():
        without = hf_logits(peft, ids)
    del peft, base
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    ours = hf_logits(merged, ids)
    np.save(out_npy, ours)
    diff = float(np.abs(ours - theirs).max())
    effect = float(np.abs(theirs - without).max())
    print(json.dumps({"check": "merged folder vs PEFT base+adapter (f32)", "max_abs_diff": diff,
                      "adapter_effect": effect, "peak_rss_mb": peak_rss_mb()}))
    if not diff <= 1e-4:
        sys.exit(f"the merged folder's logits differ from PEFT's by {diff} (limit 1e-4)")
    if not effect > 1e-3:
        sys.exit(f"the adapter changes the logits by only {effect}: the check would prove nothing")


def hf_gguf(merged_npy, gguf_path, ids_path):
    import os
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    ids = json.load(open(ids_path))
    model = AutoModelForCausalLM.from_pretrained(
        os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path), dtype=torch.float32).eval()
    got = hf_logits(model, ids)
    want = np.load(merged_npy)
    diff = float(np.abs(got - want).max())
    scale = float(np.abs(want).max())
    top1 = float((got.argmax(-1) == want.argmax(-1)).mean())
    print(json.dumps({"check": f"transformers gguf_file={os.path.basename(gguf_path)} vs merged folder",
                      "max_abs_diff": diff, "max_abs_logit": scale, "top1_agreement": top1}))
    if not diff <= 0.01 * scale:
        sys.exit(f"transformers reads logits {diff} away from the merged model's (limit 1% of {scale})")


def llamacpp(gguf_path, lora, ids_path, ours_path, text):
    from llama_cpp import Llama

    ids = json.load(open(ids_path))
    ours = np.array(json.load(open(ours_path)), dtype=np.float32)
    llm = Llama(model_path=gguf_path, lora_path=None if lora == "-" else lora, n_ctx=512,
                n_threads=2, n_batch=512, logits_all=True, verbose=False, seed=0)
    llm.eval(ids)
    got = np.array(llm.scores[: len(ids)], dtype=np.float32)
    diff = np.abs(got - ours)
    top1 = float((got.argmax(-1) == ours.argmax(-1)).mean())
    tokens = llm.tokenize(text.encode(), add_bos=False, special=True)
    generated = []  # greedy, going on from the prompt already in the cache
    for _ in range(6):
        generated.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval(generated[-1:])
    print(json.dumps({"check": f"llama.cpp {gguf_path.rsplit('/', 1)[-1]}" + ("" if lora == "-" else " + LoRA"),
                      "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
                      "max_abs_logit": float(np.abs(ours).max()), "top1_agreement": top1,
                      "tokenizes_like_ours": tokens == ids,
                      "generated": llm.detokenize(generated).decode(errors="replace"),
                      "first_generated_is_our_argmax": generated[0] == int(ours[-1].argmax())}))
    if tokens != ids:
        sys.exit(f"llama.cpp tokenizes the prompt as {tokens}, BrightRun as {ids}")


def compare(ours_path, theirs_path, merged_dir=None):
    from gguf import GGUFReader
    from gguf.quants import dequantize

    ours, theirs = GGUFReader(ours_path), GGUFReader(theirs_path)
    skip = ("GGUF.", "general.name", "general.basename", "general.size_label", "general.finetune")
    keys = lambda r: {k for k in r.fields if not k.startswith(skip)}  # noqa: E731
    meta_diff = {}
    for k in sorted(keys(ours) | keys(theirs)):
        a = ours.fields[k].contents() if k in ours.fields else "<absent>"
        b = theirs.fields[k].contents() if k in theirs.fields else "<absent>"
        if a != b:
            meta_diff[k] = {"ours": str(a)[:80], "theirs": str(b)[:80]}
    mine = {t.name: t for t in ours.tensors}
    other = {t.name: t for t in theirs.tensors}
    layout_diff, identical, worst, errors = [], 0, 0.0, {}
    for name in sorted(set(mine) | set(other)):
        if name not in mine or name not in other:
            layout_diff.append(f"{name}: only in {'ours' if name in mine else 'theirs'}")
            continue
        a, b = mine[name], other[name]
        if list(a.shape) != list(b.shape) or a.tensor_type != b.tensor_type:
            layout_diff.append(f"{name}: ours {a.tensor_type.name}{list(a.shape)}, "
                               f"theirs {b.tensor_type.name}{list(b.shape)}")
            continue
        if np.array_equal(a.data, b.data):
            identical += 1
            continue
        x, y = dequantize(a.data, a.tensor_type), dequantize(b.data, b.tensor_type)
        worst = max(worst, rel_rms(x, y))
        want = reference_of(name, merged_dir) if merged_dir else None
        if want is not None:  # a LoRA's halves have no merged original
            for who, got in (("ours", x), ("theirs", y)):
                errors.setdefault(f"{who} {a.tensor_type.name}", []).append(rel_rms(got.reshape(want.shape), want))
    print(json.dumps({"check": f"{ours_path.rsplit('/', 1)[-1]} vs llama.cpp's {theirs_path.rsplit('/', 1)[-1]}",
                      "metadata_differences": meta_diff, "layout_differences": layout_diff,
                      "tensors": len(mine), "bit_identical_tensors": identical,
                      "worst_relative_rms_difference": worst,
                      "mean_error_vs_f32_merge_where_they_differ": {
                          k: float(np.mean(v)) for k, v in sorted(errors.items())}}))


def rel_rms(got, want):
    return float(np.sqrt(np.mean((got - want) ** 2)) / max(np.sqrt(np.mean(want**2)), 1e-30))


_merged = {}


def reference_of(name, merged_dir):
    """A GGUF tensor's f32 original from the merged folder, in llama.cpp's
    layout (trainer/tests/gguf_check.py's mapping and rotary permutation)."""
    import glob
    import os

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../trainer/tests"))
    import gguf_check

    if not _merged:
        for f in glob.glob(os.path.join(merged_dir, "*.safetensors")):
            _merged.update(gguf_check.read_safetensors(f))
        config = json.load(open(os.path.join(merged_dir, "config.json")))
        _merged["__values__"] = {"layout": "model", "heads": config["num_attention_heads"],
                                 "kv_heads": config["num_key_value_heads"]}
    return gguf_check.reference(name, _merged, _merged["__values__"])


def convert(llama_dir, script, *args):
    import os
    import runpy

    sys.path[:0] = [llama_dir, os.path.join(llama_dir, "gguf-py")]
    from conversion import base

    known = base.TextModel.get_vocab_base_pre

    def pre(self, tokenizer):
        try:
            return known(self, tokenizer)
        except NotImplementedError:
            return "default"

    base.TextModel.get_vocab_base_pre = pre
    sys.argv = [script, *args]
    runpy.run_path(os.path.join(llama_dir, script), run_name="__main__")


if __name__ == "__main__":
    commands = {"peft-merged": peft_merged, "hf-gguf": hf_gguf, "llamacpp": llamacpp,
                "compare": compare, "convert": convert}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
