//! Benchmark and parity helper for `bench/trainer.sh` (not a test):
//!   bench export-tiny DIR                 the tiny model as a Hugging Face folder
//!   bench write-100m DIR                  the ~100M shape (random weights) as a folder
//!   bench write-arch MODEL_TYPE DIR       a small random model of that architecture
//!                                         (qwen3, phi3, gemma2, gemma3_text, llama, …)
//!                                         as a Hugging Face folder (bench/architectures.sh)
//!   bench speed SHAPE DIR STEPS           tiny|100m: writes DIR/model and DIR/batches.json,
//!                                         trains STEPS steps (batch 4 × seq 256, LoRA q,v r16),
//!                                         prints tokens/s and peak RSS as JSON
//!   bench logits MODEL ADAPTER IDS_JSON [DEVICE]
//!                                         logits of base+adapter for the ids, as JSON
//!                                         (ADAPTER `none`: the base model's)
//!   bench generate SHAPE DIR TOKENS       tiny|100m: generation at batch 1 with a LoRA
//!                                         adapter, greedy; time to first token and
//!                                         tokens/s as JSON (bench/generate.sh)
//!   bench gradcheck DEVICE                LoRA gradients against central differences
//!                                         through every layer, f32, on DEVICE
//!   bench shape-speed SHAPE STEPS DEVICE DTYPE BATCH SEQ
//!                                         1b|8b|tiny: random weights made on DEVICE in
//!                                         DTYPE, LoRA r16 on all seven projections,
//!                                         checkpointed layers; tokens/s as JSON
//!   bench packing SHAPE DIR STEPS BATCH SEQ
//!                                         tiny|100m on EQ-12, packing off then on:
//!                                         real tokens/s and per step (bench/packing.sh)
//! (`bench/gpu.sh` runs these on a GPU machine, or on the CPU in its CPU mode.)

use brightrun_trainer::model::{LoraShape, ModelConfig, folder, llama::IGNORE, tiny};
use brightrun_trainer::optim::{self, AdamW};
use brightrun_trainer::rng::TrainRng;
use candle_core::{Device, Tensor};
use std::path::Path;
use std::time::Instant;

#[path = "bench/generate.rs"]
mod generate;
#[path = "bench/gradcheck.rs"]
mod gradcheck;
#[path = "bench/packing.rs"]
mod packing;
#[path = "bench/shape_speed.rs"]
mod shape_speed;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn shape(name: &str) -> ModelConfig {
    match name {
        "tiny" => tiny::config(),
        "100m" => tiny::config_100m(),
        other => panic!("unknown shape {other}"),
    }
}

fn peak_rss_mb() -> u64 {
    brightrun_trainer::memory::peak_rss().unwrap_or(0) / (1024 * 1024)
}

/// Batches of 4 × 256 tokens from EQ-12 (byte-level), labels on every
/// next token of the target, as both trainers consume them.
fn batches(steps: usize) -> Vec<(Vec<u32>, Vec<i64>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/EQ-12-conversations-demo.jsonl"
    );
    let examples = brightrun::datasets::training_examples(&std::fs::read(path).unwrap()).unwrap();
    let chat = brightrun_trainer::chat::ChatTokenizer::new(
        tiny::tokenizer(),
        None,
        String::new(),
        "<|im_end|>".into(),
    )
    .unwrap();
    let enc: Vec<_> = examples
        .iter()
        .map(|e| chat.encode(e, 256).unwrap())
        .collect();
    (0..steps)
        .map(|s| {
            let mut ids = Vec::new();
            let mut labels = Vec::new();
            for b in 0..4 {
                let e = &enc[(s * 4 + b) % enc.len()];
                for i in 0..256 {
                    ids.push(e.ids.get(i).copied().unwrap_or(0));
                    labels.push(match (e.ids.get(i + 1), e.target.get(i + 1)) {
                        (Some(&n), Some(true)) => i64::from(n),
                        _ => IGNORE,
                    });
                }
            }
            (ids, labels)
        })
        .collect()
}

fn speed(shape_name: &str, dir: &Path, steps: usize) {
    let c = shape(shape_name);
    let model_dir = dir.join("model");
    if !model_dir.join("model.safetensors").is_file() {
        tiny::write_random_folder(&model_dir, &c, 0).unwrap();
    }
    let data = batches(steps + 1);
    std::fs::write(
        dir.join("batches.json"),
        serde_json::to_string(&data).unwrap(),
    )
    .unwrap();
    let dev = Device::Cpu;
    let mut model = folder::load(
        &model_dir.display().to_string(),
        &dev,
        candle_core::DType::F32,
    )
    .unwrap()
    .model;
    let targets = vec!["q_proj".to_string(), "v_proj".to_string()];
    let named = model
        .add_lora(
            &targets,
            LoraShape {
                r: 16,
                alpha: 32.0,
                dropout: 0.05,
            },
            &mut TrainRng::new(0),
        )
        .unwrap();
    let vars: Vec<_> = named.into_iter().map(|(_, v)| v).collect();
    let mut opt = AdamW::new(&vars, 0.0).unwrap();
    let mut timed = 0.0;
    let mut losses = Vec::new();
    for (s, (ids, labels)) in data.iter().enumerate() {
        let t0 = Instant::now();
        let ids = Tensor::from_vec(ids.clone(), (4, 256), &dev).unwrap();
        let mut rng = TrainRng::new(s as u64);
        let (loss, _) = model.loss(&ids, labels, Some(&mut rng)).unwrap();
        let grads = optim::collect(&loss.backward().unwrap(), &vars).unwrap();
        opt.step(&vars, &grads, 2e-4).unwrap();
        losses.push(loss.to_scalar::<f32>().unwrap());
        if s > 0 {
            timed += t0.elapsed().as_secs_f64();
        }
    }
    let out = serde_json::json!({
        "shape": shape_name,
        "parameters": c.parameter_count(),
        "steps": steps,
        "tokens_per_second": (steps * 4 * 256) as f64 / timed,
        "peak_rss_mb": peak_rss_mb(),
        "losses": losses,
    });
    println!("{out}");
}

fn device(name: &str) -> Device {
    let request: brightrun::cluster::DeviceRequest = name.parse().unwrap();
    let info = brightrun_trainer::device::detected();
    brightrun_trainer::device::resolve(request, Some(brightrun::cluster::BaseDtype::F32), info)
        .unwrap()
        .device
}

fn logits(model_dir: &str, adapter: &Path, ids_json: &str, dev: &str) {
    let dev = device(dev);
    let mut base = folder::load(model_dir, &dev, candle_core::DType::F32)
        .unwrap()
        .model;
    if adapter != Path::new("none") {
        brightrun_trainer::adapter::apply(&mut base, adapter).unwrap();
    }
    let ids: Vec<u32> = serde_json::from_str(ids_json).unwrap();
    let n = ids.len();
    let t = Tensor::from_vec(ids, (1, n), &dev).unwrap();
    let l: Vec<f32> = base
        .forward(&t)
        .unwrap()
        .to_device(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    println!("{}", serde_json::to_string(&l).unwrap());
}

fn main() {
    brightrun_trainer::alloc::keep_freed_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["export-tiny", dir] => tiny::write_folder(Path::new(dir), 0).unwrap(),
        ["write-arch", model_type, dir] => {
            let c = tiny::arch_config(model_type).unwrap();
            tiny::write_random_folder(Path::new(dir), &c, 0).unwrap()
        }
        ["write-100m", dir] => {
            tiny::write_random_folder(Path::new(dir), &tiny::config_100m(), 0).unwrap()
        }
        ["speed", shape, dir, steps] => speed(shape, Path::new(dir), steps.parse().unwrap()),
        ["logits", model, adapter, ids] => logits(model, Path::new(adapter), ids, "cpu"),
        ["logits", model, adapter, ids, dev] => logits(model, Path::new(adapter), ids, dev),
        ["gradcheck", dev] => gradcheck::run(&device(dev)),
        ["generate", shape, dir, tokens] => {
            generate::run(shape, Path::new(dir), tokens.parse().unwrap())
        }
        ["packing", shape, dir, steps, batch, seq] => packing::run(
            shape,
            Path::new(dir),
            steps.parse().unwrap(),
            batch.parse().unwrap(),
            seq.parse().unwrap(),
        ),
        ["shape-speed", shape, steps, dev, dtype, batch, seq] => shape_speed::run(
            shape,
            steps.parse().unwrap(),
            &device(dev),
            dtype.parse().unwrap(),
            batch.parse().unwrap(),
            seq.parse().unwrap(),
        ),
        _ => {
            eprintln!(
                "usage: bench export-tiny DIR | write-100m DIR | write-arch MODEL_TYPE DIR | speed tiny|100m DIR STEPS | logits MODEL ADAPTER IDS_JSON [DEVICE] | generate tiny|100m DIR TOKENS | gradcheck DEVICE | shape-speed 1b|8b|tiny STEPS DEVICE DTYPE BATCH SEQ | packing tiny|100m DIR STEPS BATCH SEQ"
            );
            std::process::exit(2);
        }
    }
}
