//! Inputs and figures for the export benchmark (bench/export.sh; not a test):
//!   export_bench write-model SHAPE DIR        tiny|100m|1b with random f32 weights and the
//!                                             tiny tokenizer, as a Hugging Face folder (1b:
//!                                             TinyLlama's widths, 18 layers, ~0.8B)
//!   export_bench write-adapter MODEL DIR R ALPHA STD
//!                                             a PEFT adapter on all seven projections of
//!                                             every layer: A as PEFT draws it, B normal(0, STD)
//!                                             (STD 0: B zero, the base unchanged)
//!   export_bench logits MODEL ADAPTER IDS_JSON
//!                                             base + adapter logits for the ids, [[f32]] JSON
//!   export_bench run MODEL ADAPTER FORMAT OUT one export in this process: seconds, MB/s of
//!                                             base weights and peak RSS (VmHWM) as JSON

use brightrun_trainer::export::{self, ExportFormat, ExportJob};
use brightrun_trainer::model::{ModelConfig, folder, tiny};
use brightrun_trainer::rng::TrainRng;
use brightrun_trainer::spec::HyperParams;
use candle_core::{DType, Device, Tensor};
use std::path::Path;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write-model", shape, dir] => {
            tiny::write_random_folder(Path::new(dir), &shape_config(shape), 0).unwrap()
        }
        ["write-adapter", model, dir, r, alpha, std] => write_adapter(
            Path::new(model),
            Path::new(dir),
            r.parse().unwrap(),
            alpha.parse().unwrap(),
            std.parse().unwrap(),
        ),
        ["logits", model, adapter, ids] => logits(model, Path::new(adapter), ids),
        ["run", model, adapter, format, out] => {
            run(model, Path::new(adapter), format, Path::new(out))
        }
        _ => {
            eprintln!(
                "usage: export_bench write-model tiny|100m|1b DIR | write-adapter MODEL DIR R ALPHA STD \
                 | logits MODEL ADAPTER IDS_JSON | run MODEL ADAPTER FORMAT OUT"
            );
            std::process::exit(2);
        }
    }
}

fn shape_config(shape: &str) -> ModelConfig {
    match shape {
        "tiny" => tiny::config(),
        "100m" => tiny::config_100m(),
        "1b" => ModelConfig {
            hidden_size: 2048,
            intermediate_size: 5632,
            num_hidden_layers: 18,
            num_attention_heads: 32,
            num_key_value_heads: 4,
            head_dim: 64,
            ..tiny::config()
        },
        other => panic!("unknown shape {other}"),
    }
}

/// A PEFT adapter for the model's shape, made from its config alone.
fn write_adapter(model: &Path, dir: &Path, r: usize, alpha: f64, std: f32) {
    let c = ModelConfig::from_file(&model.join("config.json")).unwrap();
    let shapes = tiny::projection_shapes(&c);
    let mut rng = TrainRng::new(1);
    let mut tensors = Vec::new();
    for i in 0..c.num_hidden_layers {
        for &(name, out, inp) in &shapes {
            let key = format!("{}.{i}.{name}", c.peft_layers_prefix());
            let bound = 1.0 / (inp as f32).sqrt();
            let a = rng.uniform(r * inp, -bound, bound);
            let b = if std > 0.0 {
                rng.normal(out * r, std)
            } else {
                vec![0.0; out * r]
            };
            let t = |v: Vec<f32>, shape: (usize, usize)| {
                Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
            };
            tensors.push((format!("{key}.lora_A.weight"), t(a, (r, inp))));
            tensors.push((format!("{key}.lora_B.weight"), t(b, (out, r))));
        }
    }
    let hp = HyperParams {
        lora_r: r,
        lora_alpha: alpha,
        lora_dropout: 0.0,
        target_modules: brightrun_trainer::model::llama::TARGETS
            .map(String::from)
            .to_vec(),
        ..HyperParams::default()
    };
    brightrun_trainer::adapter::write(dir, &model.to_string_lossy(), &hp, &tensors).unwrap();
}

fn logits(model: &str, adapter: &Path, ids: &str) {
    let mut base = folder::load(model, &Device::Cpu, DType::F32).unwrap().model;
    brightrun_trainer::adapter::apply(&mut base, adapter).unwrap();
    let ids: Vec<u32> = serde_json::from_str(ids).unwrap();
    let n = ids.len();
    let l: Vec<Vec<f32>> = base
        .forward(&Tensor::from_vec(ids, (1, n), &Device::Cpu).unwrap())
        .unwrap()
        .squeeze(0)
        .unwrap()
        .to_vec2()
        .unwrap();
    println!("{}", serde_json::to_string(&l).unwrap());
}

fn run(model: &str, adapter: &Path, format: &str, out: &Path) {
    let format = ExportFormat::parse(format).expect("a format");
    let job = ExportJob {
        base_model: model,
        adapter_dir: adapter,
        format,
        out_dir: out,
        cancel: None,
    };
    let mut total = 0;
    let start = Instant::now();
    let files = export::run(&job, &mut |p| total = p.total).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let out_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).unwrap().len())
        .sum();
    let mb = |b: u64| b as f64 / 1e6;
    let report = serde_json::json!({
        "format": format.as_str(),
        "seconds": seconds,
        "weights_mb": mb(total),
        "mb_per_s": mb(total) / seconds,
        "output_mb": mb(out_bytes),
        "peak_rss_mb": peak_rss_kb() as f64 / 1024.0,
    });
    println!("{report}");
}

/// VmHWM: the most resident memory this process has held, in KiB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
