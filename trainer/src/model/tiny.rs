//! `tiny-llama`: a 3M-parameter Llama made from a seed, with a byte-level
//! tokenizer the code builds itself, so tests, demos and a fresh machine
//! train for real with no download. It can be written out as a Hugging
//! Face folder (config, safetensors, tokenizer) that transformers loads.

use super::config::{ModelConfig, RopeScaling};
use super::llama::Llama;
use crate::chat::CHATML;
use crate::error::{Result, TrainerError};
use crate::rng::TrainRng;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

pub const NAME: &str = "tiny-llama";
const SPECIAL: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

pub fn config() -> ModelConfig {
    ModelConfig {
        model_type: "llama".into(),
        vocab_size: 320,
        hidden_size: 256,
        intermediate_size: 688,
        num_hidden_layers: 4,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        head_dim: 64,
        rms_norm_eps: 1e-6,
        rope_theta: 10_000.0,
        rope_scaling: RopeScaling::Default,
        tie_word_embeddings: true,
        attention_bias: false,
        max_position_embeddings: 2048,
        bos_token_id: None,
        eos_token_ids: vec![258],
        arch: Default::default(),
    }
}

/// A small model of architecture `model_type` with the tiny vocabulary, as
/// its config.json would describe it (the architecture's defaults, read
/// back through the config parser), with whatever makes it differ from
/// Llama switched on: Qwen2's biases, Gemma's sliding layers on windows
/// shorter than the tests' sequences, Gemma 2's softcapping (small, so
/// that it bites), Gemma 3's local RoPE base and linear scaling.
pub fn arch_config(model_type: &str) -> Result<ModelConfig> {
    let mut v = serde_json::json!({
        "model_type": model_type, "vocab_size": 320, "hidden_size": 64,
        "intermediate_size": 96, "num_hidden_layers": 3, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 256,
        "eos_token_id": 258, "rope_theta": 10000.0, "tie_word_embeddings": false,
    });
    match model_type {
        "qwen3" => {
            v["head_dim"] = 24.into();
        }
        "gemma2" => {
            v["tie_word_embeddings"] = true.into();
            v["sliding_window"] = 5.into();
            v["query_pre_attn_scalar"] = 20.into();
            v["attn_logit_softcapping"] = 1.5.into();
            v["final_logit_softcapping"] = 2.0.into();
        }
        "gemma3_text" => {
            v["tie_word_embeddings"] = true.into();
            v["sliding_window"] = 5.into();
            v["sliding_window_pattern"] = 2.into();
            v["query_pre_attn_scalar"] = 20.into();
            v["rope_theta"] = 100_000.0.into();
            v["rope_local_base_freq"] = 1000.0.into();
            v["rope_scaling"] = serde_json::json!({"rope_type": "linear", "factor": 2.0});
        }
        "phi3" => {
            v["sliding_window"] = 7.into();
        }
        "mistral" => {
            v["sliding_window"] = 6.into();
        }
        _ => {}
    }
    ModelConfig::from_json(&v)
}

/// GPT-2's byte-to-character table: printable bytes stand for themselves,
/// the others take the characters from U+0100 on, in order.
fn byte_chars() -> Vec<char> {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut extra = 0;
    (0..256u32)
        .map(|b| {
            if printable(b) {
                char::from_u32(b).unwrap()
            } else {
                extra += 1;
                char::from_u32(255 + extra).unwrap()
            }
        })
        .collect()
}

/// The tokenizer.json of the tiny model: one token per byte, plus ChatML's
/// special tokens.
pub fn tokenizer_json() -> serde_json::Value {
    let vocab: serde_json::Map<String, serde_json::Value> = byte_chars()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.to_string(), (i as u64).into()))
        .collect();
    let added: Vec<_> = SPECIAL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"id": 256 + i, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": []}
    })
}

pub fn tokenizer() -> tokenizers::Tokenizer {
    tokenizer_json()
        .to_string()
        .parse()
        .expect("the built-in tokenizer parses")
}

pub fn tokenizer_config_json() -> serde_json::Value {
    serde_json::json!({
        "chat_template": CHATML,
        "bos_token": null,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 2048,
        "tokenizer_class": "PreTrainedTokenizerFast",
    })
}

/// SmolLM-135M's widths with 20 layers and the tiny tokenizer: about 99M
/// parameters, for benchmarks and memory measurements.
pub fn config_100m() -> ModelConfig {
    ModelConfig {
        vocab_size: 49152,
        hidden_size: 576,
        intermediate_size: 1536,
        num_hidden_layers: 20,
        num_attention_heads: 9,
        num_key_value_heads: 3,
        head_dim: 64,
        ..config()
    }
}

/// The weights, drawn from `seed` (normal, std 0.02; norms at one).
pub fn weights(seed: u64, device: &Device) -> Result<HashMap<String, Tensor>> {
    random_weights(&config(), seed, device)
}

/// Seeded random weights for any untied-or-tied Llama shape (benchmarks
/// use a ~100M-parameter one). The draws go in a fixed order (embeddings,
/// every layer's projections, the norms, the biases, the head), so a seed
/// always gives the same weights.
pub fn random_weights(
    c: &ModelConfig,
    seed: u64,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    let mut d = Draw {
        rng: TrainRng::derive(seed, NAME),
        w: HashMap::new(),
        device,
    };
    d.normal(
        "model.embed_tokens.weight".into(),
        c.vocab_size,
        c.hidden_size,
    )?;
    for i in 0..c.num_hidden_layers {
        let p = format!("model.layers.{i}");
        for (name, rows, cols) in projection_shapes(c) {
            d.normal(format!("{p}.{name}.weight"), rows, cols)?;
        }
    }
    draw_norms(c, &mut d)?;
    if c.attention_bias {
        draw_biases(c, &mut d)?;
    }
    if !c.tie_word_embeddings {
        d.normal("lm_head.weight".into(), c.vocab_size, c.hidden_size)?;
    }
    Ok(d.w)
}

/// The weights drawn so far, and what draws the next.
struct Draw<'a> {
    rng: TrainRng,
    w: HashMap<String, Tensor>,
    device: &'a Device,
}

impl Draw<'_> {
    /// A [rows, cols] matrix, normal with std 0.02.
    fn normal(&mut self, name: String, rows: usize, cols: usize) -> Result<()> {
        let t = Tensor::from_vec(
            self.rng.normal(rows * cols, 0.02),
            (rows, cols),
            self.device,
        )?;
        self.w.insert(name, t);
        Ok(())
    }
}

/// The hidden width and the widths of q and of k and v.
fn widths(c: &ModelConfig) -> (usize, usize, usize) {
    (
        c.hidden_size,
        c.num_attention_heads * c.head_dim,
        c.num_key_value_heads * c.head_dim,
    )
}

/// Each layer's projections, by their names under the layer, with their
/// [out, in] shapes.
pub fn projection_shapes(c: &ModelConfig) -> Vec<(&'static str, usize, usize)> {
    let (h, q, kv) = widths(c);
    let im = c.intermediate_size;
    if c.fused_projections() {
        vec![
            ("self_attn.qkv_proj", q + 2 * kv, h),
            ("self_attn.o_proj", h, q),
            ("mlp.gate_up_proj", 2 * im, h),
            ("mlp.down_proj", h, im),
        ]
    } else {
        vec![
            ("self_attn.q_proj", q, h),
            ("self_attn.k_proj", kv, h),
            ("self_attn.v_proj", kv, h),
            ("self_attn.o_proj", h, q),
            ("mlp.gate_proj", im, h),
            ("mlp.up_proj", im, h),
            ("mlp.down_proj", h, im),
        ]
    }
}

/// Norms at one (Gemma's at zero: it scales by 1 + w), except in the
/// architectures added after Llama, Mistral and Qwen2, whose tests
/// need norms that are not the identity to tell 1 + w from w.
fn draw_norms(c: &ModelConfig, d: &mut Draw) -> Result<()> {
    let h = c.hidden_size;
    let plain = matches!(c.model_type.as_str(), "llama" | "mistral" | "qwen2");
    let norm = |d: &mut Draw, name: String, n: usize| -> Result<()> {
        let base = if c.arch.gemma { 0.0 } else { 1.0 };
        let values: Vec<f32> = if plain {
            vec![base; n]
        } else {
            d.rng.normal(n, 0.1).into_iter().map(|x| x + base).collect()
        };
        d.w.insert(name, Tensor::from_vec(values, n, d.device)?);
        Ok(())
    };
    let mut names = vec!["input_layernorm", "post_attention_layernorm"];
    if c.arch.gemma {
        names.extend(["pre_feedforward_layernorm", "post_feedforward_layernorm"]);
    }
    for i in 0..c.num_hidden_layers {
        for n in &names {
            norm(d, format!("model.layers.{i}.{n}.weight"), h)?;
        }
        if c.arch.qk_norm {
            for n in ["q_norm", "k_norm"] {
                norm(
                    d,
                    format!("model.layers.{i}.self_attn.{n}.weight"),
                    c.head_dim,
                )?;
            }
        }
    }
    norm(d, "model.norm.weight".into(), h)
}

/// q, k and v's biases (and o's, where the architecture has one), normal
/// with std 0.02.
fn draw_biases(c: &ModelConfig, d: &mut Draw) -> Result<()> {
    let (h, q, kv) = widths(c);
    for i in 0..c.num_hidden_layers {
        let p = format!("model.layers.{i}.self_attn");
        let mut biases = vec![("q_proj", q), ("k_proj", kv), ("v_proj", kv)];
        if c.o_bias() {
            biases.push(("o_proj", h));
        }
        for (name, n) in biases {
            let t = Tensor::from_vec(d.rng.normal(n, 0.02), n, d.device)?;
            d.w.insert(format!("{p}.{name}.bias"), t);
        }
    }
    Ok(())
}

pub fn model(seed: u64, device: &Device) -> Result<Llama> {
    model_in(seed, device, candle_core::DType::F32)
}

/// The tiny model with its base weights frozen in `dtype`.
pub fn model_in(seed: u64, device: &Device, dtype: candle_core::DType) -> Result<Llama> {
    Llama::from_weights(config(), weights(seed, device)?, device, dtype)
}

/// Writes the tiny model as a Hugging Face folder.
pub fn write_folder(dir: &Path, seed: u64) -> Result<()> {
    write_random_folder(dir, &config(), seed)
}

/// Writes a seeded random model of this shape, with the tiny tokenizer, as a
/// Hugging Face folder.
pub fn write_random_folder(dir: &Path, c: &ModelConfig, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| TrainerError::io(dir.display(), e))?;
    let model = Llama::from_weights(
        c.clone(),
        random_weights(c, seed, &Device::Cpu)?,
        &Device::Cpu,
        candle_core::DType::F32,
    )?;
    let write = |name: &str, v: &serde_json::Value| {
        std::fs::write(dir.join(name), serde_json::to_string_pretty(v).unwrap())
            .map_err(|e| TrainerError::io(dir.join(name).display(), e))
    };
    write("config.json", &c.to_hf_json())?;
    write("tokenizer.json", &tokenizer_json())?;
    write("tokenizer_config.json", &tokenizer_config_json())?;
    crate::adapter::write_safetensors(&dir.join("model.safetensors"), &model.base_weights())
}

/// The tiny model (base in `dtype` on `device`) with rank-4 LoRA on every
/// projection of every layer, for gradient checks. B starts at zero in
/// PEFT (so A's gradient would be zero): here it gets small normal values
/// drawn from `b_seed`.
pub fn with_every_adapter(
    model_seed: u64,
    device: &Device,
    dtype: candle_core::DType,
    dropout: f32,
    lora_seed: u64,
    b_seed: u64,
) -> Result<(Llama, Vec<(String, candle_core::Var)>)> {
    let mut model = model_in(model_seed, device, dtype)?;
    let targets: Vec<String> = super::llama::TARGETS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let shape = super::LoraShape {
        r: 4,
        alpha: 8.0,
        dropout,
    };
    let vars = model.add_lora(&targets, shape, &mut TrainRng::new(lora_seed))?;
    let mut rng = TrainRng::new(b_seed);
    for (name, v) in &vars {
        if name.ends_with("lora_B.weight") {
            v.set(&Tensor::from_vec(
                rng.normal(v.elem_count(), 0.05),
                v.shape(),
                device,
            )?)?;
        }
    }
    Ok((model, vars))
}
