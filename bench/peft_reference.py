"""PyTorch + PEFT side of the trainer benchmark and the parity check.

  speed MODEL_DIR BATCHES_JSON THREADS   LoRA (q,v, r16, alpha 32, dropout 0.05)
                                         training tokens/s on the same batches
                                         BrightRun trained on; peak RSS.
  generate MODEL_DIR ADAPTER_DIR PROMPT_JSON TOKENS THREADS
                                         generation at batch 1 with the adapter
                                         (greedy, KV cache): time to first token
                                         and tokens/s, as JSON.
  parity MODEL_DIR ADAPTER_DIR IDS_JSON LOGITS_JSON [DEVICE]
                                         loads base + PeftModel.from_pretrained,
                                         compares logits with BrightRun's (f32).
  arch-parity MODEL_DIR ADAPTER_DIR IDS_JSON BASE_LOGITS_JSON ADAPTED_LOGITS_JSON
                                         the same for the base model and with the
                                         adapter (eager attention, f32, CPU); the
                                         largest differences as JSON, exits non-zero
                                         over 1e-4 (bench/architectures.sh).
"""
import json
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def speed(model_dir, batches_path, threads):
    from peft import LoraConfig, get_peft_model

    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    cfg = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    model = get_peft_model(model, cfg)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4, weight_decay=0.0)
    batches = json.load(open(batches_path))
    timed, losses = 0.0, []
    for s, (ids, labels) in enumerate(batches):
        t0 = time.perf_counter()
        ids = torch.tensor(ids).view(4, 256)
        labels = torch.tensor(labels).view(4, 256)
        logits = model(input_ids=ids).logits
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
        if s > 0:
            timed += time.perf_counter() - t0
    steps = len(batches) - 1
    print(json.dumps({
        "tokens_per_second": steps * 4 * 256 / timed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "losses": losses,
    }))


def parity(model_dir, adapter_dir, ids_path, logits_path, device="cpu"):
    from peft import PeftModel

    base = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).to(device)
    model = PeftModel.from_pretrained(base, adapter_dir).to(device)
    model.eval()
    ids = torch.tensor([json.load(open(ids_path))], device=device)
    ours = torch.tensor(json.load(open(logits_path)))
    with torch.no_grad():
        theirs = model(input_ids=ids).logits.flatten().cpu()
    diff = (ours - theirs).abs().max().item()
    with torch.no_grad(), model.disable_adapter():
        without = model(input_ids=ids).logits.flatten().cpu()
    effect = (theirs - without).abs().max().item()
    print(json.dumps({"max_abs_diff": diff, "adapter_effect": effect, "logits": ours.numel()}))
    if not diff < 1e-4:
        sys.exit(f"PEFT logits differ from BrightRun's by {diff} (limit 1e-4)")
    if not effect > 1e-3:
        sys.exit(f"the adapter changes the logits by only {effect}: nothing was trained")


def generate(model_dir, adapter_dir, prompt_path, tokens, threads):
    """Generation at batch 1 with the adapter through PEFT: greedy, exactly
    TOKENS new tokens (no stop), KV cache on; time to first token and
    tokens/s after it, as BrightRun's `bench generate` measures them."""
    from peft import PeftModel

    torch.set_num_threads(int(threads))
    tokens = int(tokens)
    base = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    model = PeftModel.from_pretrained(base, adapter_dir)
    model.eval()
    ids = torch.tensor([json.load(open(prompt_path))])
    mask = torch.ones_like(ids)

    def run(n):
        start = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                                 do_sample=False, use_cache=True, pad_token_id=0)
        return time.perf_counter() - start, out[0, ids.shape[1]:].tolist()

    run(4)  # warm-up
    first, _ = run(1)
    total, out = run(tokens)
    assert len(out) == tokens, len(out)
    print(json.dumps({"ttft_ms": first * 1e3, "tokens_per_second": (tokens - 1) / (total - first),
                      "first_ids": out[:8]}))


def arch_parity(model_dir, adapter_dir, ids_path, base_path, adapted_path):
    from peft import PeftModel

    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    base.eval()
    ids = torch.tensor([json.load(open(ids_path))])
    with torch.no_grad():
        plain = base(input_ids=ids).logits.flatten()
    model = PeftModel.from_pretrained(base, adapter_dir)
    model.eval()
    with torch.no_grad():
        adapted = model(input_ids=ids).logits.flatten()
    base_diff = (torch.tensor(json.load(open(base_path))) - plain).abs().max().item()
    adapted_diff = (torch.tensor(json.load(open(adapted_path))) - adapted).abs().max().item()
    effect = (adapted - plain).abs().max().item()
    cfg = json.load(open(f"{adapter_dir}/adapter_config.json"))
    print(json.dumps({"architecture": type(base).__name__, "base_max_abs_diff": base_diff,
                      "adapter_max_abs_diff": adapted_diff, "adapter_effect": effect,
                      "target_modules": cfg["target_modules"], "logits": plain.numel()}))
    if not (base_diff < 1e-4 and adapted_diff < 1e-4):
        sys.exit(f"logits differ from transformers': base {base_diff}, with the adapter {adapted_diff} (limit 1e-4)")
    if not effect > 1e-3:
        sys.exit(f"the adapter changes the logits by only {effect}: nothing was trained")


if __name__ == "__main__":
    {"speed": speed, "parity": parity, "generate": generate, "arch-parity": arch_parity}[sys.argv[1]](*sys.argv[2:])
