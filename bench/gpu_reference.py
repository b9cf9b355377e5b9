"""PyTorch + PEFT side of bench/gpu.sh: LoRA r16 on all seven projections of
a Llama-shaped model with random weights, gradient checkpointing, SDPA
attention, the same batch shape BrightRun trains; tokens/s and peak memory.

  speed SHAPE STEPS DEVICE DTYPE BATCH SEQ
"""
import json
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

SHAPES = {
    "tiny": dict(vocab_size=320, hidden_size=256, intermediate_size=688, num_hidden_layers=4,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=64, tie_word_embeddings=True),
    "1b": dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
               num_attention_heads=32, num_key_value_heads=8, head_dim=64, tie_word_embeddings=True,
               rope_theta=500000.0),
    "8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
               num_attention_heads=32, num_key_value_heads=8, head_dim=128, tie_word_embeddings=False,
               rope_theta=500000.0),
}
DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}


def speed(shape, steps, device, dtype, batch, seq):
    from peft import LoraConfig, get_peft_model

    steps, batch, seq = int(steps), int(batch), int(seq)
    torch.manual_seed(0)
    cfg = LlamaConfig(max_position_embeddings=max(seq, 2048), rms_norm_eps=1e-5, **SHAPES[shape])
    cfg._attn_implementation = "sdpa"
    with torch.device(device):
        model = LlamaForCausalLM(cfg).to(DTYPES[dtype])
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, lora)
    # PEFT keeps LoRA in the base's dtype unless told; BrightRun keeps f32 masters.
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), device=device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    timed, losses = 0.0, []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        with torch.autocast(device_type=device.split(":")[0], dtype=DTYPES[dtype], enabled=dtype != "f32"):
            out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(out.loss.item())
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if s > 0:
            timed += time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else None
    print(json.dumps({"shape": shape, "tokens_per_second": steps * batch * seq / timed,
                      "peak_allocated_bytes": peak, "losses": losses}))


if __name__ == "__main__":
    {"speed": speed}[sys.argv[1]](*sys.argv[2:])
