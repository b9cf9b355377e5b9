//! `bench generate SHAPE DIR TOKENS`: generation speed at batch 1 with a
//! LoRA adapter (r16 on q and v, B non-zero so it counts): time to the
//! first token (the prompt's prefill and one step) and tokens/s after it,
//! greedy, no stop token, so every run makes exactly TOKENS tokens. Writes
//! DIR/model, DIR/adapter and DIR/prompt.json for the PyTorch side.

use brightrun::cluster::HyperParams;
use brightrun::generation::Sampling;
use brightrun_trainer::generate::{Settings, generate_ids};
use brightrun_trainer::model::{LoraShape, folder, tiny};
use brightrun_trainer::rng::TrainRng;
use candle_core::{DType, Device, Tensor};
use std::path::Path;
use std::time::Instant;

const PROMPT: &str = "I have been putting off opening my credit card statements for months because I am scared of what I will see. Where do I even start?";

pub fn run(shape_name: &str, dir: &Path, tokens: usize) {
    let c = super::shape(shape_name);
    let model_dir = dir.join("model");
    if !model_dir.join("model.safetensors").is_file() {
        tiny::write_random_folder(&model_dir, &c, 0).unwrap();
    }
    let name = model_dir.display().to_string();
    let mut model = folder::load(&name, &Device::Cpu, DType::F32).unwrap().model;
    let targets = vec!["q_proj".to_string(), "v_proj".to_string()];
    let shape = LoraShape {
        r: 16,
        alpha: 32.0,
        dropout: 0.0,
    };
    let vars = model
        .add_lora(&targets, shape, &mut TrainRng::new(0))
        .unwrap();
    let mut rng = TrainRng::new(1);
    for (n, v) in &vars {
        if n.ends_with("lora_B.weight") {
            let b = Tensor::from_vec(rng.normal(v.elem_count(), 0.02), v.shape(), &Device::Cpu);
            v.set(&b.unwrap()).unwrap();
        }
    }
    let h = HyperParams {
        lora_r: 16,
        lora_alpha: 32.0,
        target_modules: targets.clone(),
        ..HyperParams::default()
    };
    let tensors: Vec<_> = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    brightrun_trainer::adapter::write(&dir.join("adapter"), &name, &h, &tensors).unwrap();
    let prompt: Vec<u32> = tiny::tokenizer()
        .encode_fast(PROMPT, false)
        .unwrap()
        .get_ids()
        .to_vec();
    std::fs::write(
        dir.join("prompt.json"),
        serde_json::to_string(&prompt).unwrap(),
    )
    .unwrap();

    let settings = |max_tokens| Settings {
        sampling: Sampling::GREEDY,
        max_tokens,
        adapter: true,
    };
    // Warm-up (page faults, thread pools).
    generate_ids(&model, &prompt, &[], settings(4), &mut |_| true).unwrap();
    let start = Instant::now();
    let mut first = None;
    let (out, _) = generate_ids(&model, &prompt, &[], settings(tokens), &mut |_| {
        first.get_or_insert_with(|| start.elapsed());
        true
    })
    .unwrap();
    let total = start.elapsed();
    let first = first.unwrap();
    assert_eq!(out.len(), tokens);
    let out = serde_json::json!({
        "shape": shape_name,
        "parameters": c.parameter_count(),
        "prompt_tokens": prompt.len(),
        "tokens": tokens,
        "ttft_ms": first.as_secs_f64() * 1e3,
        "tokens_per_second": (tokens - 1) as f64 / (total - first).as_secs_f64(),
        "first_ids": out[..8.min(out.len())],
    });
    println!("{out}");
}
