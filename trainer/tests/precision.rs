//! Precision and memory: the base in bf16 (or f16) with f32 LoRA, and
//! gradient checkpointing, each held to the f32 run without it.

use brightrun_trainer::model::llama::IGNORE;
use brightrun_trainer::model::{Llama, tiny};
use brightrun_trainer::rng::TrainRng;
use brightrun_trainer::{Event, JobSpec, StepMetrics, train};
use candle_core::{DType, Device, Tensor, Var};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/EQ-12-conversations-demo.jsonl")
        .display()
        .to_string()
}

/// A spec from JSON, as `run --spec` and `POST /v1/jobs` read it.
fn spec(out: &Path, base: &str, extra: serde_json::Value) -> JobSpec {
    let mut v = serde_json::json!({
        "job_id": "precision",
        "base_model": base,
        "dataset": fixture(),
        "output": {"folder": out.join("adapter").display().to_string()},
        "hyperparameters": {
            "max_steps": 20, "batch_size": 2, "max_seq_len": 64, "learning_rate": 1e-3,
            "lora_r": 8, "lora_alpha": 16.0,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        }
    });
    for (k, x) in extra.as_object().unwrap() {
        if k == "hyperparameters" {
            for (hk, hx) in x.as_object().unwrap() {
                v["hyperparameters"][hk] = hx.clone();
            }
        } else {
            v[k] = x.clone();
        }
    }
    JobSpec::from_json(&v.to_string()).unwrap()
}

fn run(
    spec: &JobSpec,
    work: &Path,
) -> (
    brightrun_trainer::TrainOutcome,
    Vec<StepMetrics>,
    Vec<Event>,
) {
    let mut steps = Vec::new();
    let mut events = Vec::new();
    let outcome = train(
        spec,
        work,
        &mut |e| {
            if let Event::Step(m) = e {
                steps.push(m.clone());
            }
            events.push(e.clone());
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    (outcome, steps, events)
}

/// bf16 on the CPU: candle's CPU backend has every op the generic path
/// needs in bf16 (its matmul through gemm), so bf16 is tested, not f16.
#[test]
fn bf16_base_on_the_cpu_stays_within_two_percent_of_f32_and_saves_a_peft_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let f32_spec = spec(
        &dir.path().join("f32"),
        tiny::NAME,
        serde_json::json!({"device": "cpu"}),
    );
    let bf16_spec = spec(
        &dir.path().join("bf16"),
        tiny::NAME,
        serde_json::json!({"device": "cpu", "dtype": "bf16"}),
    );
    let (_, reference, _) = run(&f32_spec, &dir.path().join("work-f32"));
    let (outcome, half, events) = run(&bf16_spec, &dir.path().join("work-bf16"));
    assert_eq!(reference.len(), 20);
    assert_eq!(half.len(), 20);
    for (a, b) in half.iter().zip(&reference) {
        let rel = (a.train_loss - b.train_loss).abs() / b.train_loss;
        assert!(
            rel < 0.02,
            "step {}: bf16 loss {} against f32 {} ({:.2}%)",
            a.step,
            a.train_loss,
            b.train_loss,
            rel * 100.0
        );
    }
    // It learned, and it said where and in what it trained.
    assert!(half.last().unwrap().train_loss < half[0].train_loss);
    let started = events.iter().find_map(|e| match e {
        Event::Started { device, dtype, .. } => Some((device.clone(), *dtype)),
        _ => None,
    });
    let (device, dtype) = started.expect("a started event");
    assert_eq!(device.kind, brightrun::cluster::DeviceKind::Cpu);
    assert_eq!(dtype, brightrun::cluster::BaseDtype::Bf16);
    // The adapter is PEFT's layout, in f32 whatever the base's dtype.
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(outcome.adapter_dir.join("adapter_config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["peft_type"], "LORA");
    assert_eq!(config["r"], 8);
    let weights = candle_core::safetensors::load(
        outcome.adapter_dir.join("adapter_model.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    assert_eq!(weights.len(), 4 * 7 * 2);
    let a = &weights["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"];
    assert_eq!(a.dtype(), DType::F32);
    assert_eq!(a.dims(), &[8, 256]);
    let args: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(outcome.adapter_dir.join("training_args.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(args["dtype"], "bf16");
}

/// The tiny model with rank-4 LoRA everywhere and B drawn small (so every
/// gradient is non-zero), its base in `dtype`.
fn tiny_with_adapters(dtype: DType) -> (Llama, Vec<Var>) {
    let (model, named) = tiny::with_every_adapter(5, &Device::Cpu, dtype, 0.1, 1, 2).unwrap();
    (model, named.into_iter().map(|(_, v)| v).collect())
}

fn batch() -> (Tensor, Vec<i64>) {
    let t = 40;
    let ids: Vec<u32> = (0..2 * t as u32).map(|i| (i * 53 + 7) % 300).collect();
    let labels = (0..2 * t)
        .map(|i| {
            if i % 5 == 0 {
                IGNORE
            } else {
                ((i * 53 + 60) % 300) as i64
            }
        })
        .collect();
    (Tensor::from_vec(ids, (2, t), &Device::Cpu).unwrap(), labels)
}

fn grads_of(model: &Llama, vars: &[Var], checkpointing: bool) -> (f64, Vec<Vec<f32>>) {
    let (ids, labels) = batch();
    let out = model
        .loss_and_grads(
            &brightrun_trainer::model::Batch::unpacked(ids, labels),
            Some(&mut TrainRng::new(9)),
            vars,
            0.5,
            checkpointing,
        )
        .unwrap();
    let flat = out
        .grads
        .iter()
        .map(|g| g.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect();
    (out.loss, flat)
}

fn assert_same(a: &(f64, Vec<Vec<f32>>), b: &(f64, Vec<Vec<f32>>), what: &str) {
    assert!(
        (a.0 - b.0).abs() <= 1e-5 * b.0.abs(),
        "{what}: loss {} vs {}",
        a.0,
        b.0
    );
    for (i, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
        let scale = y.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{what}: gradient {i} is zero");
        let worst = x.iter().zip(y).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
        assert!(
            worst <= 1e-5 * scale,
            "{what}: gradient {i} differs by {worst} (largest {scale})"
        );
    }
}

#[test]
fn gradient_checkpointing_gives_the_same_loss_and_lora_gradients() {
    // The fused CPU kernels, then candle's generic ops (the GPU's path).
    let (mut model, vars) = tiny_with_adapters(DType::F32);
    assert_same(
        &grads_of(&model, &vars, true),
        &grads_of(&model, &vars, false),
        "fused",
    );
    model.set_fused(false);
    assert_same(
        &grads_of(&model, &vars, true),
        &grads_of(&model, &vars, false),
        "generic",
    );
}

/// Peak resident memory of one `brightrun-trainer run` on the ~100M shape
/// (its own process, so the peak is the run's alone).
fn peak_of_a_run(dir: &Path, model: &Path, checkpointing: bool) -> u64 {
    let out = dir.join(format!("ckpt-{checkpointing}"));
    let job = spec(
        &out,
        &model.display().to_string(),
        serde_json::json!({"device": "cpu", "hyperparameters": {
            "max_steps": 1, "batch_size": 2, "max_seq_len": 256, "lora_r": 16,
            "gradient_checkpointing": checkpointing
        }}),
    );
    let spec_path = dir.join(format!("job-{checkpointing}.json"));
    std::fs::write(&spec_path, serde_json::to_string(&job).unwrap()).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .args(["run", "--spec"])
        .arg(&spec_path)
        .arg("--work-dir")
        .arg(out.join("work"))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let args: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("adapter/training_args.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(args["gradient_checkpointing"], checkpointing);
    args["peak_rss_bytes"].as_u64().expect("a measured peak")
}

#[test]
fn gradient_checkpointing_lowers_the_measured_peak_memory_on_the_100m_shape() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model-100m");
    tiny::write_random_folder(&model, &tiny::config_100m(), 0).unwrap();
    let without = peak_of_a_run(dir.path(), &model, false);
    let with = peak_of_a_run(dir.path(), &model, true);
    let mib = |b: u64| b / (1024 * 1024);
    eprintln!(
        "peak RSS, 100M shape, batch 2 × 256: {} MiB without checkpointing, {} MiB with",
        mib(without),
        mib(with)
    );
    // Twenty layers' intermediates against one layer's (measured 2,142
    // against 825 MiB at batch 4 × 256).
    assert!(
        with + 150 * 1024 * 1024 < without,
        "checkpointing peaked at {} MiB, without it {} MiB",
        mib(with),
        mib(without)
    );
}
