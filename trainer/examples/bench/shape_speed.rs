//! Training speed on a real architecture's shape (Llama-3.2-1B, Llama-3-8B)
//! with random weights made on the device: LoRA r16 on all seven
//! projections, checkpointed decoder layers, a fixed batch of random
//! tokens. Prints tokens/s over the timed steps (the first is warm-up).

use brightrun_trainer::model::{Llama, LoraShape, ModelConfig, tiny};
use brightrun_trainer::optim::AdamW;
use brightrun_trainer::rng::TrainRng;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::time::Instant;

fn config(name: &str) -> ModelConfig {
    let llama3 = ModelConfig {
        vocab_size: 128_256,
        rope_theta: 500_000.0,
        max_position_embeddings: 8192,
        rms_norm_eps: 1e-5,
        ..tiny::config()
    };
    match name {
        "tiny" => tiny::config(),
        "1b" => ModelConfig {
            hidden_size: 2048,
            intermediate_size: 8192,
            num_hidden_layers: 16,
            num_attention_heads: 32,
            num_key_value_heads: 8,
            head_dim: 64,
            tie_word_embeddings: true,
            ..llama3
        },
        "8b" => ModelConfig {
            hidden_size: 4096,
            intermediate_size: 14336,
            num_hidden_layers: 32,
            num_attention_heads: 32,
            num_key_value_heads: 8,
            head_dim: 128,
            tie_word_embeddings: false,
            ..llama3
        },
        other => panic!("unknown shape {other}"),
    }
}

/// Normal(0, 0.02) weights drawn on the device, norms at one.
fn weights(c: &ModelConfig, dev: &Device, dtype: DType) -> HashMap<String, Tensor> {
    let mut w = HashMap::new();
    let mut put = |name: String, rows: usize, cols: usize| {
        let t = Tensor::randn(0f32, 0.02, (rows, cols), dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        w.insert(name, t);
    };
    let (h, q, kv, f) = (
        c.hidden_size,
        c.num_attention_heads * c.head_dim,
        c.num_key_value_heads * c.head_dim,
        c.intermediate_size,
    );
    put("model.embed_tokens.weight".into(), c.vocab_size, h);
    if !c.tie_word_embeddings {
        put("lm_head.weight".into(), c.vocab_size, h);
    }
    for i in 0..c.num_hidden_layers {
        let p = format!("model.layers.{i}");
        put(format!("{p}.self_attn.q_proj.weight"), q, h);
        put(format!("{p}.self_attn.k_proj.weight"), kv, h);
        put(format!("{p}.self_attn.v_proj.weight"), kv, h);
        put(format!("{p}.self_attn.o_proj.weight"), h, q);
        put(format!("{p}.mlp.gate_proj.weight"), f, h);
        put(format!("{p}.mlp.up_proj.weight"), f, h);
        put(format!("{p}.mlp.down_proj.weight"), h, f);
    }
    let mut ones = |name: String| {
        w.insert(name, Tensor::ones(h, dtype, dev).unwrap());
    };
    for i in 0..c.num_hidden_layers {
        ones(format!("model.layers.{i}.input_layernorm.weight"));
        ones(format!("model.layers.{i}.post_attention_layernorm.weight"));
    }
    ones("model.norm.weight".into());
    w
}

pub fn run(
    shape: &str,
    steps: usize,
    dev: &Device,
    dtype: brightrun::cluster::BaseDtype,
    batch: usize,
    seq: usize,
) {
    let c = config(shape);
    let cdtype = brightrun_trainer::train::candle_dtype(dtype);
    let mut model = Llama::from_weights(c.clone(), weights(&c, dev, cdtype), dev, cdtype).unwrap();
    let targets: Vec<String> = brightrun_trainer::model::llama::TARGETS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let shape_lora = LoraShape {
        r: 16,
        alpha: 32.0,
        dropout: 0.0,
    };
    let vars: Vec<_> = model
        .add_lora(&targets, shape_lora, &mut TrainRng::new(0))
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let mut opt = AdamW::new(&vars, 0.0).unwrap();
    let mut rng = TrainRng::new(1);
    let ids: Vec<u32> = rng
        .uniform(batch * seq, 0.0, c.vocab_size as f32)
        .into_iter()
        .map(|x| x as u32 % c.vocab_size as u32)
        .collect();
    let labels: Vec<i64> = ids
        .iter()
        .skip(1)
        .map(|&i| i64::from(i))
        .chain([-100])
        .collect();
    let ids = Tensor::from_vec(ids, (batch, seq), dev).unwrap();
    let rows = brightrun_trainer::model::Batch::unpacked(ids, labels);
    let (mut timed, mut losses) = (0.0, Vec::new());
    for s in 0..=steps {
        let t0 = Instant::now();
        let out = model.loss_and_grads(&rows, None, &vars, 1.0, true).unwrap();
        opt.step(&vars, &out.grads, 1e-4).unwrap();
        dev.synchronize().unwrap();
        losses.push(out.loss);
        if s > 0 {
            timed += t0.elapsed().as_secs_f64();
        }
    }
    let tokens_per_second = (steps * batch * seq) as f64 / timed;
    println!(
        "{}",
        serde_json::json!({
            "shape": shape, "parameters": c.parameter_count(), "dtype": dtype,
            "batch": batch, "seq": seq, "steps": steps,
            "tokens_per_second": tokens_per_second,
            "losses": losses,
        })
    );
}
