//! Each architecture as a small random model in its real Hugging Face
//! layout (config.json and model.safetensors written by `tiny`, loaded
//! through the folder loader): the fused kernels and the generic ops agree
//! on the loss and every LoRA gradient (plain, packed and checkpointed
//! batches, through sliding windows and softcapping), incremental decoding
//! gives the forward pass's logits, a few LoRA steps lower the loss, and
//! the adapter carries PEFT's names for the architecture.

use super::folder;
use super::llama::{IGNORE, Llama};
use super::packing::{Batch, Packing};
use super::{LoraShape, tiny};
use crate::optim::AdamW;
use crate::rng::TrainRng;
use candle_core::{DType, Device, Tensor, Var};

const T: usize = 80;

/// A model of the architecture, written out and loaded back, with LoRA on
/// every projection (B drawn small, so that A has a gradient too).
fn load(model_type: &str, dir: &std::path::Path) -> (Llama, Vec<(String, Var)>) {
    let c = tiny::arch_config(model_type).unwrap();
    tiny::write_random_folder(dir, &c, 5).unwrap();
    let base = folder::load(&dir.display().to_string(), &Device::Cpu, DType::F32).unwrap();
    let mut model = base.model;
    assert_eq!(model.config, c, "config.json reads back as written");
    let targets: Vec<String> = super::llama::TARGETS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let shape = LoraShape {
        r: 4,
        alpha: 8.0,
        dropout: 0.1,
    };
    let vars = model
        .add_lora(&targets, shape, &mut TrainRng::new(3))
        .unwrap();
    let mut rng = TrainRng::new(4);
    for (name, v) in &vars {
        if name.ends_with("lora_B.weight") {
            let b = Tensor::from_vec(rng.normal(v.elem_count(), 0.05), v.shape(), &Device::Cpu);
            v.set(&b.unwrap()).unwrap();
        }
    }
    (model, vars)
}

fn batch(packed: bool) -> Batch {
    let ids: Vec<u32> = (0..2 * T as u32).map(|i| (i * 53 + 7) % 300).collect();
    let labels: Vec<i64> = (0..2 * T)
        .map(|i| {
            if i % 7 < 2 {
                IGNORE
            } else {
                ((i * 53 + 60) % 300) as i64
            }
        })
        .collect();
    let ids = Tensor::from_vec(ids, (2, T), &Device::Cpu).unwrap();
    let packing = if packed {
        Packing::of_rows(&[vec![30, 45], vec![T]], T)
    } else {
        Packing::none()
    };
    Batch {
        ids,
        labels,
        packing,
    }
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

/// (a): the fused kernels against the generic ops, same dropout masks.
fn fused_and_generic_agree(model: &mut Llama, vars: &[(String, Var)]) {
    let vs: Vec<Var> = vars.iter().map(|(_, v)| v.clone()).collect();
    for packed in [false, true] {
        let b = batch(packed);
        let mut run = |fused: bool, checkpointing: bool| {
            model.set_fused(fused);
            let mut rng = TrainRng::new(9);
            model
                .loss_and_grads(&b, Some(&mut rng), &vs, 1.0, checkpointing)
                .unwrap()
        };
        let generic = run(false, false);
        for (fused, checkpointing) in [(true, false), (true, true)] {
            let got = run(fused, checkpointing);
            let what = format!(
                "{}packed, checkpointing {checkpointing}",
                if packed { "" } else { "un" }
            );
            assert_eq!(got.counted, generic.counted);
            assert!(
                (got.loss - generic.loss).abs() < 1e-5 * generic.loss.abs(),
                "{what}: fused loss {}, generic {}",
                got.loss,
                generic.loss
            );
            for ((name, _), (a, b)) in vars.iter().zip(got.grads.iter().zip(&generic.grads)) {
                let (a, b) = (flat(a), flat(b));
                let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                assert!(scale > 0.0, "{name} has a zero gradient");
                let worst = a
                    .iter()
                    .zip(&b)
                    .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
                assert!(
                    worst < 1e-4 * scale,
                    "{what}: {name}: fused and generic gradients differ by {worst} (largest {scale})"
                );
            }
        }
    }
    model.set_fused(true);
}

/// Decoding in three calls gives the forward pass's logits, with the
/// adapter and without.
fn decoding_matches_the_forward_pass(model: &Llama) {
    let ids: Vec<u32> = (0..20u32).map(|i| (i * 41 + 3) % 300).collect();
    let t = Tensor::from_vec(ids.clone(), (1, 20), &Device::Cpu).unwrap();
    let full = model.forward(&t).unwrap().squeeze(0).unwrap();
    let mut cache = super::decode::DecodeCache::new(model);
    for (from, to) in [(0, 9), (9, 10), (10, 20)] {
        let got = model.decode(&ids[from..to], &mut cache, true).unwrap();
        let want = flat(&full.get(to - 1).unwrap());
        let worst = got
            .iter()
            .zip(&want)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            worst < 1e-4,
            "decoded logits at {} differ by {worst}",
            to - 1
        );
    }
}

/// (b): a few LoRA steps on the batch lower its loss.
fn training_lowers_the_loss(model: &Llama, vars: &[(String, Var)]) {
    let vs: Vec<Var> = vars.iter().map(|(_, v)| v.clone()).collect();
    let mut opt = AdamW::new(&vs, 0.0).unwrap();
    let b = batch(false);
    let mut losses = Vec::new();
    for _ in 0..6 {
        let r = model.loss_and_grads(&b, None, &vs, 1.0, false).unwrap();
        losses.push(r.loss);
        opt.step(&vs, &r.grads, 1e-2).unwrap();
    }
    assert!(
        losses[5] < losses[0] - 0.05,
        "the loss did not fall: {losses:?}"
    );
}

/// (c): the adapter's names are PEFT's for the architecture.
fn adapter_names(model: &Llama, vars: &[(String, Var)], projections: &[&str]) {
    let layers = model.config.num_hidden_layers;
    let mut want = Vec::new();
    for i in 0..layers {
        for p in projections {
            let group = if p.contains("proj")
                && ["gate_up_proj", "gate_proj", "up_proj", "down_proj"].contains(p)
            {
                "mlp"
            } else {
                "self_attn"
            };
            for ab in ["A", "B"] {
                want.push(format!(
                    "base_model.model.model.layers.{i}.{group}.{p}.lora_{ab}.weight"
                ));
            }
        }
    }
    let got: Vec<String> = vars.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(got, want);
    let all: Vec<String> = super::llama::TARGETS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(model.peft_targets(&all).unwrap(), projections);
}

/// The base weights written out are the ones read in (Gemma's norms under
/// their Hugging Face meaning, not 1 + w).
fn base_weights_round_trip(model: &Llama, dir: &std::path::Path) {
    let file = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu).unwrap();
    let ours = model.base_weights();
    assert_eq!(ours.len(), file.len());
    for (name, t) in ours {
        assert_eq!(flat(&t), flat(&file[&name]), "{name}");
    }
}

fn check(model_type: &str, projections: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (mut model, vars) = load(model_type, dir.path());
    base_weights_round_trip(&model, dir.path());
    adapter_names(&model, &vars, projections);
    fused_and_generic_agree(&mut model, &vars);
    decoding_matches_the_forward_pass(&model);
    training_lowers_the_loss(&model, &vars);
}

/// Architectures with separate projections: the contract's names.
const SPLIT: [&str; 7] = brightrun::cluster::TARGET_MODULES;

#[test]
fn qwen3_fused_and_generic_agree_train_and_name_the_adapter_as_peft() {
    check("qwen3", &SPLIT);
}

#[test]
fn phi3_fused_and_generic_agree_train_and_name_the_adapter_as_peft() {
    check("phi3", &["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]);
}

#[test]
fn gemma2_fused_and_generic_agree_train_and_name_the_adapter_as_peft() {
    check("gemma2", &SPLIT);
}

#[test]
fn gemma3_fused_and_generic_agree_train_and_name_the_adapter_as_peft() {
    check("gemma3_text", &SPLIT);
}

#[test]
fn mistral_slides_its_window_in_the_fused_and_the_generic_path() {
    check("mistral", &SPLIT);
}

#[test]
fn the_llama_family_still_loads_from_its_folder() {
    for t in ["llama", "mistral", "qwen2"] {
        let dir = tempfile::tempdir().unwrap();
        let (model, vars) = load(t, dir.path());
        base_weights_round_trip(&model, dir.path());
        adapter_names(&model, &vars, &SPLIT);
    }
}

#[test]
fn phi3_maps_the_contract_targets_onto_its_fused_projections() {
    let c = tiny::arch_config("phi3").unwrap();
    let ask = |t: &[&str]| c.lora_targets(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(ask(&["q_proj", "v_proj"]).unwrap(), ["qkv_proj"]);
    assert_eq!(
        ask(&["up_proj", "k_proj", "gate_proj"]).unwrap(),
        ["gate_up_proj", "qkv_proj"]
    );
    assert_eq!(
        ask(&["qkv_proj", "o_proj"]).unwrap(),
        ["qkv_proj", "o_proj"]
    );
    assert!(ask(&["fc1"]).is_err());
    let q = tiny::arch_config("qwen3").unwrap();
    assert!(q.lora_targets(&["qkv_proj".to_string()]).is_err());
}

#[test]
fn gemma3_with_its_vision_tower_loads_the_text_model_and_names_the_adapter_under_language_model() {
    let c = tiny::arch_config("gemma3_text").unwrap();
    let w = tiny::random_weights(&c, 5, &Device::Cpu).unwrap();
    let text = Llama::from_weights(c.clone(), w.clone(), &Device::Cpu, DType::F32).unwrap();
    let mut mc = c.clone();
    mc.arch.multimodal = true;
    let mut renamed: std::collections::HashMap<String, Tensor> = w
        .into_iter()
        .map(|(k, t)| (format!("language_model.{k}"), t))
        .collect();
    let extra = Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap();
    renamed.insert(
        "vision_tower.vision_model.post_layernorm.weight".into(),
        extra,
    );
    let mut mm = Llama::from_weights(mc, renamed, &Device::Cpu, DType::F32).unwrap();
    let ids = Tensor::from_vec((0..12u32).collect::<Vec<_>>(), (1, 12), &Device::Cpu).unwrap();
    let (a, b) = (text.forward(&ids).unwrap(), mm.forward(&ids).unwrap());
    assert_eq!(flat(&a), flat(&b));
    let shape = LoraShape {
        r: 2,
        alpha: 4.0,
        dropout: 0.0,
    };
    let vars = mm
        .add_lora(&["q_proj".to_string()], shape, &mut TrainRng::new(1))
        .unwrap();
    assert_eq!(
        vars[0].0,
        "base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight"
    );
}

/// A bf16 base (the generic ops, Gemma's 1 + w norms in f32) stays within
/// 2% of f32 on the loss, for each of the new architectures.
#[test]
fn a_bf16_base_stays_close_to_f32_for_every_new_architecture() {
    for t in ["qwen3", "phi3", "gemma2", "gemma3_text"] {
        let dir = tempfile::tempdir().unwrap();
        let c = tiny::arch_config(t).unwrap();
        tiny::write_random_folder(dir.path(), &c, 5).unwrap();
        let loss = |dtype: DType| {
            let m = folder::load(&dir.path().display().to_string(), &Device::Cpu, dtype)
                .unwrap()
                .model;
            let b = batch(true);
            m.batch_loss(&b, None)
                .unwrap()
                .0
                .to_scalar::<f32>()
                .unwrap()
        };
        let (full, half) = (loss(DType::F32), loss(DType::BF16));
        assert!(
            (full - half).abs() < 0.02 * full,
            "{t}: bf16 loss {half}, f32 {full}"
        );
    }
}
