//! What llama.cpp's tools write for tiny-llama, as tests/gguf_check.py
//! reads expectations: the metadata of convert_hf_to_gguf.py's Llama
//! (TextModel and LlamaModel.set_gguf_parameters, _set_vocab_gpt2), its
//! tensor names, and each tensor's ggml type under the converter's rules
//! (f16, q8_0) or llama-quantize's (q4_K_M, src/llama-quant.cpp). Each
//! was read off the tools' own files for tiny-llama (llama.cpp as
//! llama-cpp-python 0.3.36 vendors it; bench/export.sh), but for the
//! merges: the converter leaves the key out when a tokenizer has none,
//! and llama.cpp then refuses the file.

use brightrun_trainer::chat::CHATML;
use brightrun_trainer::model::{llama::TARGETS, tiny};
use serde_json::{Value, json};

/// A tensor's ggml type from its GGUF kind (`attn_v`), its layer (none for
/// token_embd and output_norm) and its row length (ne0).
pub type TypeRule = fn(&str, Option<usize>, usize) -> &'static str;

/// `--outtype f16`: matrices in F16.
pub fn f16(_: &str, _: Option<usize>, _: usize) -> &'static str {
    "F16"
}

/// `--outtype q8_0`: matrices in Q8_0, F16 where a row does not split
/// into blocks of 32 (gguf.quants raises QuantError, the converter falls back).
pub fn q8_0(_: &str, _: Option<usize>, cols: usize) -> &'static str {
    if cols.is_multiple_of(32) {
        "Q8_0"
    } else {
        "F16"
    }
}

/// llama-quantize Q4_K_M: Q4_K, Q6_K for the tied embeddings (quantized as
/// the output) and for attn_v and ffn_down where use_more_bits, with its
/// fallbacks where a row does not split into blocks of 256 (then 32).
pub fn q4_k_m(kind: &str, layer: Option<usize>, cols: usize) -> &'static str {
    let n = tiny::config().num_hidden_layers;
    let more_bits =
        |i: usize| i < n / 8 || i >= 7 * n / 8 || (i as isize - (n / 8) as isize) % 3 == 2;
    let want = match (kind, layer) {
        ("token_embd", _) => "Q6_K",
        ("attn_v" | "ffn_down", Some(i)) if more_bits(i) => "Q6_K",
        _ => "Q4_K",
    };
    if cols.is_multiple_of(256) {
        return want;
    }
    let fallback = if want == "Q6_K" { "Q8_0" } else { "Q5_0" };
    if cols.is_multiple_of(32) {
        fallback
    } else {
        "F16"
    }
}

fn uint(v: usize) -> Value {
    json!({"type": "UINT32", "value": v})
}

fn float(v: f64) -> Value {
    json!({"type": "FLOAT32", "value": v})
}

fn string(v: &str) -> Value {
    json!({"type": "STRING", "value": v})
}

/// The vocabulary as get_vocab_base lists it: every id below vocab_size,
/// `[PAD{i}]` (UNUSED, 5) where the tokenizer has none, the added special
/// tokens CONTROL (3), the rest NORMAL (1).
fn vocabulary() -> (Vec<String>, Vec<i32>) {
    let t = tiny::tokenizer_json();
    let mut by_id: Vec<Option<(String, i32)>> = vec![None; tiny::config().vocab_size];
    for (token, id) in t["model"]["vocab"].as_object().unwrap() {
        by_id[id.as_u64().unwrap() as usize] = Some((token.clone(), 1));
    }
    for added in t["added_tokens"].as_array().unwrap() {
        let id = added["id"].as_u64().unwrap() as usize;
        by_id[id] = Some((added["content"].as_str().unwrap().into(), 3));
    }
    by_id
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.unwrap_or_else(|| (format!("[PAD{i}]"), 5)))
        .unzip()
}

fn model_metadata(file_type: u32) -> Value {
    let c = tiny::config();
    let (tokens, types) = vocabulary();
    json!({
        "general.architecture": string("llama"),
        "general.type": string("model"),
        "general.file_type": uint(file_type as usize),
        "general.quantization_version": uint(2),
        "llama.vocab_size": uint(c.vocab_size),
        "llama.context_length": uint(c.max_position_embeddings),
        "llama.embedding_length": uint(c.hidden_size),
        "llama.feed_forward_length": uint(c.intermediate_size),
        "llama.block_count": uint(c.num_hidden_layers),
        "llama.attention.head_count": uint(c.num_attention_heads),
        "llama.attention.head_count_kv": uint(c.num_key_value_heads),
        "llama.attention.key_length": uint(c.head_dim),
        "llama.attention.value_length": uint(c.head_dim),
        "llama.rope.dimension_count": uint(c.head_dim),
        "llama.rope.freq_base": float(c.rope_theta),
        "llama.attention.layer_norm_rms_epsilon": float(c.rms_norm_eps),
        "tokenizer.ggml.model": string("gpt2"),
        "tokenizer.ggml.pre": string("default"),
        "tokenizer.ggml.tokens": {"type": "ARRAY[STRING]", "value": tokens},
        "tokenizer.ggml.token_type": {"type": "ARRAY[INT32]", "value": types},
        // tiny-llama has no merges; llama.cpp refuses a gpt2 vocabulary
        // without the key, so it is there, empty.
        "tokenizer.ggml.merges": {"type": "ARRAY[STRING]", "value": []},
        "tokenizer.ggml.eos_token_id": uint(258),
        "tokenizer.ggml.padding_token_id": uint(256),
        "tokenizer.chat_template": string(CHATML),
    })
}

/// The merged model's file: metadata and every tensor (tied embeddings,
/// so no output.weight).
pub fn model(file_type: u32, types: TypeRule) -> Value {
    let c = tiny::config();
    let (h, q, kv, ff) = (
        c.hidden_size,
        c.num_attention_heads * c.head_dim,
        c.num_key_value_heads * c.head_dim,
        c.intermediate_size,
    );
    let mut tensors = serde_json::Map::new();
    let mut put = |name: String, shape: Vec<usize>, ty: &str| {
        tensors.insert(name, json!({"shape": shape, "type": ty}));
    };
    put(
        "token_embd.weight".into(),
        vec![c.vocab_size, h],
        types("token_embd", None, h),
    );
    put("output_norm.weight".into(), vec![h], "F32");
    for i in 0..c.num_hidden_layers {
        for norm in ["attn_norm", "ffn_norm"] {
            put(format!("blk.{i}.{norm}.weight"), vec![h], "F32");
        }
        for (kind, rows, cols) in projections(h, q, kv, ff) {
            put(
                format!("blk.{i}.{kind}.weight"),
                vec![rows, cols],
                types(kind, Some(i), cols),
            );
        }
    }
    json!({
        "metadata": model_metadata(file_type),
        "absent": ["tokenizer.ggml.bos_token_id", "adapter.type"],
        "tensors": tensors,
    })
}

/// Each projection's GGUF kind with its [out, in] shape, in TARGETS' order.
fn projections(h: usize, q: usize, kv: usize, ff: usize) -> [(&'static str, usize, usize); 7] {
    [
        ("attn_q", q, h),
        ("attn_k", kv, h),
        ("attn_v", kv, h),
        ("attn_output", h, q),
        ("ffn_gate", ff, h),
        ("ffn_up", ff, h),
        ("ffn_down", h, ff),
    ]
}

/// convert_lora_to_gguf.py's file for an adapter on all seven projections:
/// lora_a [r, in] and lora_b [out, r] in F16, the alpha, no vocabulary.
pub fn lora(rank: usize, alpha: f64) -> Value {
    let c = tiny::config();
    let shapes = projections(
        c.hidden_size,
        c.num_attention_heads * c.head_dim,
        c.num_key_value_heads * c.head_dim,
        c.intermediate_size,
    );
    assert_eq!(shapes.len(), TARGETS.len());
    let mut tensors = serde_json::Map::new();
    for i in 0..c.num_hidden_layers {
        for (kind, rows, cols) in shapes {
            let name = format!("blk.{i}.{kind}.weight");
            tensors.insert(
                format!("{name}.lora_a"),
                json!({"shape": [rank, cols], "type": "F16"}),
            );
            tensors.insert(
                format!("{name}.lora_b"),
                json!({"shape": [rows, rank], "type": "F16"}),
            );
        }
    }
    json!({
        "metadata": {
            "general.architecture": string("llama"),
            "general.type": string("adapter"),
            "adapter.type": string("lora"),
            "adapter.lora.alpha": float(alpha),
            "general.quantization_version": uint(2),
        },
        "absent": ["tokenizer.ggml.tokens"],
        "tensors": tensors,
    })
}
